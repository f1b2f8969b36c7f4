//! `wimlib-imagex info --header`: one `Label = value` line per header field.

use crate::model::{HeaderView, ReshdrView};
use std::fmt::Write;

/// Header flag names in bit order, as wimlib prints them.
const FLAG_NAMES: [(u32, &str); 13] = [
    (0x0000_0001, "WIM_HDR_FLAG_RESERVED"),
    (0x0000_0002, "WIM_HDR_FLAG_COMPRESSION"),
    (0x0000_0004, "WIM_HDR_FLAG_READONLY"),
    (0x0000_0008, "WIM_HDR_FLAG_SPANNED"),
    (0x0000_0010, "WIM_HDR_FLAG_RESOURCE_ONLY"),
    (0x0000_0020, "WIM_HDR_FLAG_METADATA_ONLY"),
    (0x0000_0040, "WIM_HDR_FLAG_WRITE_IN_PROGRESS"),
    (0x0000_0080, "WIM_HDR_FLAG_RP_FIX"),
    (0x0001_0000, "WIM_HDR_FLAG_COMPRESS_RESERVED"),
    (0x0002_0000, "WIM_HDR_FLAG_COMPRESS_XPRESS"),
    (0x0004_0000, "WIM_HDR_FLAG_COMPRESS_LZX"),
    (0x0008_0000, "WIM_HDR_FLAG_COMPRESS_LZMS"),
    (0x0020_0000, "WIM_HDR_FLAG_COMPRESS_XPRESS_2"),
];

/// Magic bytes with NUL shown as `\0`.
fn magic_text(m: &[u8; 8]) -> String {
    let mut s = String::new();
    for &b in m {
        match b {
            0 => s.push_str("\\0"),
            0x20..=0x7e => s.push(char::from(b)),
            _ => {
                let _ = write!(s, "\\x{b:02x}");
            }
        }
    }
    s
}

fn reshdr(o: &mut String, prefix: &str, r: &ReshdrView, orig_label: &str) {
    let mut l = |label: String, v: String| {
        let _ = writeln!(o, "{label:<28}= {v}");
    };
    l(format!("{prefix} Size"), r.size.to_string());
    l(format!("{prefix} Flags"), format!("0x{:x}", r.flags));
    l(format!("{prefix} Offset"), r.offset.to_string());
    l(
        format!("{prefix} {orig_label}"),
        r.original_size.to_string(),
    );
}

/// The full `--header` report.
pub fn header(h: &HeaderView) -> String {
    let mut o = String::new();
    let l = |o: &mut String, label: &str, v: String| {
        let _ = writeln!(o, "{label:<28}= {v}");
    };
    l(&mut o, "Magic Characters", magic_text(&h.magic));
    l(&mut o, "Header Size", h.header_size.to_string());
    l(&mut o, "Version", format!("0x{:x}", h.version));
    l(&mut o, "Flags", format!("0x{:x}", h.flags));
    for (bit, name) in FLAG_NAMES {
        if h.flags & bit != 0 {
            let _ = writeln!(o, "    {name} is set");
        }
    }
    l(&mut o, "Chunk Size", h.chunk_size.to_string());
    l(&mut o, "GUID", super::hex(&h.guid));
    l(&mut o, "Part Number", h.part_number.to_string());
    l(&mut o, "Total Parts", h.total_parts.to_string());
    l(&mut o, "Image Count", h.image_count.to_string());
    // wimlib spells two of these "Original_size" and two "Original Size".
    reshdr(&mut o, "Blob Table", &h.blob_table, "Original_size");
    reshdr(&mut o, "XML Data", &h.xml, "Original Size");
    reshdr(&mut o, "Boot Metadata", &h.boot_metadata, "Original Size");
    l(&mut o, "Boot Index", h.boot_index.to_string());
    reshdr(&mut o, "Integrity", &h.integrity, "Original_size");
    o
}

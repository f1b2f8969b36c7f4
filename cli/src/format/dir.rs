//! `wimlib-imagex dir` (one path per line) and `dir --detailed` blocks.

use super::blobs::blob;
use super::time::format_filetime;
use crate::model::{DirEntryView, StreamKind};
use std::fmt::Write;

/// `FILE_ATTRIBUTE_*` names wimlib decodes, in bit order. Bits not listed (for
/// example 0x8000) are shown only in the hex value.
const ATTR_NAMES: [(u32, &str); 15] = [
    (0x0000_0001, "FILE_ATTRIBUTE_READONLY"),
    (0x0000_0002, "FILE_ATTRIBUTE_HIDDEN"),
    (0x0000_0004, "FILE_ATTRIBUTE_SYSTEM"),
    (0x0000_0010, "FILE_ATTRIBUTE_DIRECTORY"),
    (0x0000_0020, "FILE_ATTRIBUTE_ARCHIVE"),
    (0x0000_0040, "FILE_ATTRIBUTE_DEVICE"),
    (0x0000_0080, "FILE_ATTRIBUTE_NORMAL"),
    (0x0000_0100, "FILE_ATTRIBUTE_TEMPORARY"),
    (0x0000_0200, "FILE_ATTRIBUTE_SPARSE_FILE"),
    (0x0000_0400, "FILE_ATTRIBUTE_REPARSE_POINT"),
    (0x0000_0800, "FILE_ATTRIBUTE_COMPRESSED"),
    (0x0000_1000, "FILE_ATTRIBUTE_OFFLINE"),
    (0x0000_2000, "FILE_ATTRIBUTE_NOT_CONTENT_INDEXED"),
    (0x0000_4000, "FILE_ATTRIBUTE_ENCRYPTED"),
    (0x0001_0000, "FILE_ATTRIBUTE_VIRTUAL"),
];

/// The separator line opening each detailed block (76 dashes).
pub const SEPARATOR: &str =
    "----------------------------------------------------------------------------";

/// A plain `dir` line.
pub fn plain(e: &DirEntryView) -> String {
    format!("{}\n", e.path)
}

/// A `dir --detailed` block.
pub fn detailed(e: &DirEntryView) -> String {
    let mut o = String::new();
    let l = |o: &mut String, label: &str, v: &dyn std::fmt::Display| {
        let _ = writeln!(o, "{label:<20}= {v}");
    };
    o.push_str(SEPARATOR);
    o.push('\n');
    l(&mut o, "Full Path", &format!("\"{}\"", e.path));
    l(&mut o, "Short Name", &format!("\"{}\"", e.short_name));
    l(&mut o, "Attributes", &format!("0x{:08x}", e.attributes));
    for (bit, name) in ATTR_NAMES {
        if e.attributes & bit != 0 {
            let _ = writeln!(o, "    {name} is set");
        }
    }
    if let Some(sd) = &e.security_descriptor {
        l(&mut o, "Security Descriptor", &super::hex(sd));
    }
    l(&mut o, "Creation Time", &format_filetime(e.creation_time));
    l(
        &mut o,
        "Last Write Time",
        &format_filetime(e.last_write_time),
    );
    l(
        &mut o,
        "Last Access Time",
        &format_filetime(e.last_access_time),
    );
    if let Some(tag) = e.reparse_tag {
        l(&mut o, "Reparse Tag", &format!("0x{tag:08x}"));
    }
    l(
        &mut o,
        "Link Group ID",
        &format!("0x{:016x}", e.link_group_id),
    );
    l(&mut o, "Link Count", &e.link_count);
    if let Some(u) = &e.unix_data {
        l(
            &mut o,
            "UNIX Data",
            &format!(
                "uid:{} gid:{} mode:0{:o} rdev:0x{:x}",
                u.uid, u.gid, u.mode, u.rdev
            ),
        );
    }
    if let Some(id) = &e.object_id {
        l(
            &mut o,
            "Object ID",
            &format!("0x{}", super::hex(&id.object_id)),
        );
        l(
            &mut o,
            "Birth Volume ID",
            &format!("0x{}", super::hex(&id.birth_volume_id)),
        );
        l(
            &mut o,
            "Birth Object ID",
            &format!("0x{}", super::hex(&id.birth_object_id)),
        );
    }
    for s in &e.streams {
        match &s.kind {
            StreamKind::Unnamed => o.push_str("\tUnnamed data stream:\n"),
            StreamKind::ReparsePoint => o.push_str("\tReparse point stream:\n"),
            StreamKind::Named(n) => {
                let _ = writeln!(o, "\tNamed data stream \"{n}\":");
            }
        }
        o.push_str(&blob(&s.blob));
    }
    o
}

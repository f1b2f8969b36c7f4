//! `wimlib-imagex info` text: the "WIM Information:" block and the image blocks.

use super::time::format_filetime;
use crate::model::{ImageSummary, WimSummary};
use std::fmt::Write;

/// Header flag: integrity table present is taken from the summary; these are the
/// flag bits that produce attribute words.
const HDR_READONLY: u32 = 0x4;
const HDR_RESOURCE_ONLY: u32 = 0x10;
const HDR_METADATA_ONLY: u32 = 0x20;
const HDR_RP_FIX: u32 = 0x80;

/// The words of the "Attributes:" line, in wimlib's order.
pub fn attribute_words(s: &WimSummary) -> Vec<&'static str> {
    let mut v = Vec::new();
    if s.pipable {
        v.push("Pipable");
    }
    if s.has_integrity {
        v.push("Integrity info");
    }
    if s.header_flags & HDR_RP_FIX != 0 {
        v.push("Relative path junction");
    }
    if s.header_flags & HDR_RESOURCE_ONLY != 0 {
        v.push("Resource only");
    }
    if s.header_flags & HDR_METADATA_ONLY != 0 {
        v.push("Metadata only");
    }
    if s.header_flags & HDR_READONLY != 0 {
        v.push("Readonly");
    }
    v
}

/// The "WIM Information:" block, ending with the blank line.
pub fn wim_block(s: &WimSummary) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "WIM Information:");
    let _ = writeln!(o, "----------------");
    let _ = writeln!(o, "Path:           {}", s.path);
    let _ = writeln!(o, "GUID:           0x{}", super::hex(&s.guid));
    let _ = writeln!(o, "Version:        {}", s.version);
    let _ = writeln!(o, "Image Count:    {}", s.image_count);
    let _ = writeln!(o, "Compression:    {}", s.compression.name());
    let _ = writeln!(o, "Chunk Size:     {} bytes", s.chunk_size);
    let _ = writeln!(o, "Part Number:    {}/{}", s.part_number, s.total_parts);
    let _ = writeln!(o, "Boot Index:     {}", s.boot_index);
    let _ = writeln!(o, "Size:           {} bytes", s.total_bytes);
    let _ = writeln!(o, "Attributes:     {}", attribute_words(s).join(", "));
    o.push('\n');
    o
}

/// Architecture word for `<ARCH>`.
pub fn arch_name(arch: u64) -> &'static str {
    match arch {
        0 => "x86",
        1 => "MIPS",
        5 => "ARM",
        6 => "ia64",
        9 => "x86_64",
        12 => "ARM64",
        _ => "unknown",
    }
}

/// The per-image field lines (from "Index:" to "WIMBoot compatible:"), plus the
/// trailing blank line.
pub fn image_fields(img: &ImageSummary) -> String {
    let mut o = String::new();
    let mut line = |label: &str, value: &dyn std::fmt::Display| {
        // Labels are padded to 24 columns ("Last Modification Time: " is the widest).
        let _ = writeln!(o, "{:<24}{}", format!("{label}:"), value);
    };
    line("Index", &img.index);
    line("Name", &img.name);
    line("Description", &img.description);
    if let Some(v) = &img.display_name {
        line("Display Name", v);
    }
    if let Some(v) = &img.display_description {
        line("Display Description", v);
    }
    line("Directory Count", &img.dir_count);
    line("File Count", &img.file_count);
    line("Total Bytes", &img.total_bytes);
    line("Hard Link Bytes", &img.hard_link_bytes);
    line("Creation Time", &format_filetime(img.creation_time));
    line(
        "Last Modification Time",
        &format_filetime(img.last_modification_time),
    );
    if let Some(w) = &img.windows {
        line("Architecture", &arch_name(w.arch));
        let opt = [
            ("Product Name", &w.product_name),
            ("Edition ID", &w.edition_id),
            ("Installation Type", &w.installation_type),
            ("HAL", &w.hal),
            ("Product Type", &w.product_type),
            ("Product Suite", &w.product_suite),
        ];
        for (label, v) in opt {
            if let Some(v) = v {
                line(label, v);
            }
        }
        if let Some(langs) = &w.languages {
            let mut s = String::new();
            for l in langs {
                s.push_str(l);
                s.push(' ');
            }
            line("Languages", &s);
        }
        if let Some(v) = &w.default_language {
            line("Default Language", v);
        }
        if let Some(v) = &w.system_root {
            line("System Root", v);
        }
        if let Some(v) = &w.version {
            line("Major Version", &v.major);
            line("Minor Version", &v.minor);
            line("Build", &v.build);
            line("Service Pack Build", &v.sp_build);
            line("Service Pack Level", &v.sp_level);
        }
    }
    if let Some(v) = &img.flags {
        line("Flags", v);
    }
    line(
        "WIMBoot compatible",
        &if img.wimboot { "yes" } else { "no" },
    );
    o.push('\n');
    o
}

/// `info WIM`: the WIM block then "Available Images:" and every image.
pub fn info_all(s: &WimSummary, images: &[ImageSummary]) -> String {
    let mut o = wim_block(s);
    o.push_str("Available Images:\n-----------------\n");
    for img in images {
        o.push_str(&image_fields(img));
    }
    o
}

/// `info WIM IMAGE`: "Information for Image N" underlined, then the fields.
pub fn info_one(img: &ImageSummary) -> String {
    let title = format!("Information for Image {}", img.index);
    let mut o = String::new();
    o.push_str(&title);
    o.push('\n');
    o.push_str(&"-".repeat(title.len()));
    o.push('\n');
    o.push_str(&image_fields(img));
    o
}

//! `info WIMFILE [IMAGE] --deep`: Windows properties derived from each image's files
//! (SOFTWARE/SYSTEM hives, kernel32.dll), the OS version as `MAJOR.MINOR.BUILD.UBR`, and
//! every place where the image's XML disagrees with them.

use super::out;
use crate::error::{CliError, ErrorCode};
use crate::model::backend::{Opened, WimInfo, lib_error};
use servicing::properties::pe::arch_name;
use servicing::properties::{
    HiveErrorKind, ImageProperties, PropertiesError, SpBuildSource, compare_with_xml,
    derive_from_metadata,
};
use std::io::Write;
use wim_format::ImageIndex;

/// Prints the deep properties of `selected` images (all when `None`).
pub fn run(opened: &Opened, wim: &WimInfo, selected: Option<&[u32]>) -> Result<(), CliError> {
    let path = wim.summary.path.clone();
    let xml = wim_format::xml::WimInfo::parse(&wim.xml, opened.wim().limits())
        .map_err(|e| lib_error(&path, &e))?;
    let indices: Vec<u32> = match selected {
        Some(ix) => ix.to_vec(),
        None => wim.images.iter().map(|i| i.index).collect(),
    };
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    for index in indices {
        let meta = opened.metadata(index)?;
        let props = derive_from_metadata(opened.wim(), &meta).map_err(|e| match e {
            PropertiesError::Wim(e) => lib_error(&path, &e),
            PropertiesError::Hive { ref error, .. } if error.kind == HiveErrorKind::Dirty => {
                CliError::lib(ErrorCode::Unsupported, format!("image {index}: {e}"))
            }
            other => CliError::lib(ErrorCode::Read, format!("image {index}: {other}")),
        })?;
        let title = format!("Deep information for Image {index}");
        out(&mut w, &format!("{title}\n{}\n", "-".repeat(title.len())))?;
        let Some(p) = props else {
            out(
                &mut w,
                "No Windows system root (System32\\kernel32.dll or config hives) found.\n\n",
            )?;
            continue;
        };
        out(&mut w, &report(&p))?;
        let img = ImageIndex::new(index).and_then(|ix| xml.image(ix));
        match img {
            None => out(&mut w, "XML: no IMAGE element for this index\n")?,
            Some(img) => {
                let m = compare_with_xml(&p, &img, SpBuildSource::Ubr);
                if m.is_empty() {
                    out(&mut w, &format!("{:<24}none\n", "XML/hive disagreements:"))?;
                } else {
                    out(
                        &mut w,
                        &format!("{:<24}{}\n", "XML/hive disagreements:", m.len()),
                    )?;
                    for x in m {
                        out(&mut w, &format!("  MISMATCH {x}\n"))?;
                    }
                }
            }
        }
        out(&mut w, "\n")?;
    }
    w.flush()?;
    Ok(())
}

fn report(p: &ImageProperties) -> String {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let n = |v: Option<u64>| v.map(|x| x.to_string()).unwrap_or_default();
    let mut s = String::new();
    let mut row = |k: &str, v: String| s.push_str(&format!("{:<24}{v}\n", format!("{k}:")));
    row("System Root", p.system_root.clone());
    row(
        "Architecture",
        p.arch
            .map(|a| arch_name(a).to_string())
            .or_else(|| {
                p.pe_machine
                    .map(|m| format!("unknown (PE machine {m:#06x})"))
            })
            .unwrap_or_default(),
    );
    row("Product Name", o(&p.product_name));
    row("Edition ID", o(&p.edition_id));
    row("Installation Type", o(&p.installation_type));
    row("HAL", o(&p.hal));
    row("Product Type", o(&p.product_type));
    row("Product Suite", o(&p.product_suite));
    row("Languages", p.languages.join(" "));
    row("Default Language", o(&p.default_language));
    row("Version", p.version_string().unwrap_or_default());
    row("Display Version", o(&p.display_version));
    row("UBR", n(p.ubr));
    row("CSDBuildNumber", n(p.csd_build_number));
    row("Service Pack Build", n(p.spbuild(SpBuildSource::Ubr)));
    row("Service Pack Level", n(p.splevel));
    row("Control Set", format!("ControlSet{:03}", p.control_set));
    s
}

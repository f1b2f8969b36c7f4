//! `info WIMFILE IMAGE NEW_NAME [NEW_DESC]`, `info WIMFILE IMAGE --boot`,
//! `info WIMFILE IMAGE --image-property NAME=VALUE`: in-place XML/header changes.
//! Messages as wimlib-imagex 1.13 (`Setting the NAME property of image 1 to "x".`,
//! `Marking image 2 as bootable.`).

use super::export::{op_error, open, select};
use super::{ProgressMode, out};
use crate::args::InfoArgs;
use crate::error::CliError;
use servicing::info_edit::{InfoChange, edit_info_with};
use std::path::Path;

/// True when the arguments ask for a change rather than a report.
pub fn wants_edit(a: &InfoArgs) -> bool {
    a.new_name.is_some() || a.boot || !a.image_property.is_empty()
}

/// Applies the changes.
pub fn run(a: &InfoArgs, progress: ProgressMode) -> Result<(), CliError> {
    let Some(image_text) = &a.image else {
        return Err(CliError::Usage(
            "ERROR: an IMAGE is needed to change a name, a property or the boot index".into(),
        ));
    };
    let wim = open(&a.wimfile, &[])?;
    let mut msgs = Vec::new();
    let mut changes = Vec::new();
    let clear_boot = a.boot && image_text == "0";
    let image = if clear_boot {
        None
    } else {
        let v = select(&wim, image_text, &a.wimfile)?;
        if v.len() != 1 {
            return Err(CliError::Usage(
                "ERROR: Only one image can be modified at a time".into(),
            ));
        }
        v.first().copied()
    };
    drop(wim);
    let n = image.map_or(0, |i| i.get());
    if a.boot {
        changes.push(InfoChange::Boot(n));
        msgs.push(if n == 0 {
            "No longer marking any image as bootable.".to_string()
        } else {
            format!("Marking image {n} as bootable.")
        });
    }
    if let Some(name) = &a.new_name {
        changes.push(InfoChange::Name(name.clone()));
        msgs.push(format!(
            "Setting the NAME property of image {n} to \"{name}\"."
        ));
    }
    if let Some(d) = &a.new_desc {
        changes.push(InfoChange::Description(d.clone()));
        msgs.push(format!(
            "Setting the DESCRIPTION property of image {n} to \"{d}\"."
        ));
    }
    for p in &a.image_property {
        let Some((k, v)) = p.split_once('=') else {
            return Err(CliError::Usage(format!(
                "ERROR: \"{p}\" is not of the form NAME=VALUE"
            )));
        };
        changes.push(InfoChange::Property {
            path: k.to_string(),
            value: v.to_string(),
        });
        msgs.push(if v.is_empty() {
            format!("Deleting the {k} property of image {n}.")
        } else {
            format!("Setting the {k} property of image {n} to \"{v}\".")
        });
    }
    let integrity = if a.nocheck {
        Some(false)
    } else if a.check || a.include_integrity {
        Some(true)
    } else {
        None
    };
    edit_info_with(Path::new(&a.wimfile), image, &changes, integrity)
        .map_err(|e| op_error(&e, &a.wimfile))?;
    if progress != ProgressMode::Off {
        let mut o = std::io::stdout().lock();
        for m in msgs {
            out(&mut o, &m)?;
            out(&mut o, "\n")?;
        }
    }
    Ok(())
}

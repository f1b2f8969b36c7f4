//! Update packages (folders): `files/` is laid over the image root (`add files/ /`, but
//! a replaced file keeps its security descriptor, attributes and short name), then the
//! optional `commands` file (update command language; relative sources are taken from
//! the package folder) is run. Each applied package is recorded in the image's XML:
//!
//! ```text
//! <IMAGE INDEX="1"> …
//!   <WIMKIT><UPDATES>
//!     <UPDATE ID="KB123"><DATE>2024-01-31T12:00:00Z</DATE><ADDED>3</ADDED>
//!       <REPLACED>1</REPLACED><DELETED>0</DELETED><BYTES>4096</BYTES></UPDATE>
//!   </UPDATES></WIMKIT>
//! </IMAGE>
//! ```
//!
//! wimlib and Microsoft's tools keep unknown elements of `<IMAGE>`. A package whose id is
//! already recorded is skipped. Windows servicing-stack packages (.msu, .cab with
//! `update.mum`) are refused: installing them needs CBS/CSI (see `servicing.md`).

use super::command::{Defaults, UpdateCommand, decode_script, parse_script};
use super::edit::EditStats;
use super::{EditOutcome, UpdateOptions, UpdateReport, update_with};
use crate::error::{Error, FsOp, Result, UsageKind};
use crate::progress::EventSink;
use std::path::{Path, PathBuf};
use wim_format::ImageIndex;
use wim_format::xml::{Element, XmlNode};

/// One package to apply.
#[derive(Debug, Clone)]
pub struct PackageSpec {
    /// The package folder.
    pub dir: PathBuf,
    /// The id recorded in the XML.
    pub id: String,
}

/// What happened to one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackageResult {
    /// Applied, with these changes.
    Applied(EditStats),
    /// The id was already recorded: nothing done.
    AlreadyApplied,
    /// Failed (only with `continue_on_error`; its changes were discarded).
    Failed(String),
}

/// The outcome of one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageOutcome {
    /// The package's id.
    pub id: String,
    /// What happened.
    pub result: PackageResult,
}

/// One update recorded in an image's XML.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppliedUpdate {
    /// ID attribute.
    pub id: String,
    /// DATE (ISO 8601 UTC).
    pub date: String,
    /// ADDED.
    pub added: u64,
    /// REPLACED.
    pub replaced: u64,
    /// DELETED.
    pub deleted: u64,
    /// BYTES.
    pub bytes: u64,
}

/// The updates recorded in an `<IMAGE>` element (`WIMKIT/UPDATES/UPDATE`), in order.
pub fn applied_updates(image: &Element) -> Vec<AppliedUpdate> {
    let Some(u) = image.descendant("WIMKIT/UPDATES") else {
        return Vec::new();
    };
    let num = |e: &Element, n: &str| {
        e.text_at(n)
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0)
    };
    u.children_named("UPDATE")
        .map(|e| AppliedUpdate {
            id: e.attr("ID").unwrap_or_default().to_string(),
            date: e.text_at("DATE").unwrap_or_default(),
            added: num(e, "ADDED"),
            replaced: num(e, "REPLACED"),
            deleted: num(e, "DELETED"),
            bytes: num(e, "BYTES"),
        })
        .collect()
}

fn text(name: &str, v: String) -> XmlNode {
    let mut e = Element::new(name);
    e.children.push(XmlNode::Text(v));
    XmlNode::Element(e)
}

/// Appends an `UPDATE` record to `image` (creating `WIMKIT/UPDATES`).
pub fn record_update(image: &mut Element, u: &AppliedUpdate) {
    if image.child("WIMKIT").is_none() {
        image
            .children
            .push(XmlNode::Element(Element::new("WIMKIT")));
    }
    let Some(w) = image.child_mut("WIMKIT") else {
        return;
    };
    if w.child("UPDATES").is_none() {
        w.children.push(XmlNode::Element(Element::new("UPDATES")));
    }
    let Some(list) = w.child_mut("UPDATES") else {
        return;
    };
    let mut e = Element::new("UPDATE");
    e.set_attr("ID", u.id.clone());
    e.children.push(text("DATE", u.date.clone()));
    e.children.push(text("ADDED", u.added.to_string()));
    e.children.push(text("REPLACED", u.replaced.to_string()));
    e.children.push(text("DELETED", u.deleted.to_string()));
    e.children.push(text("BYTES", u.bytes.to_string()));
    list.children.push(XmlNode::Element(e));
}

/// `secs` since 1970 as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn iso8601(secs: u64) -> String {
    let rem = secs % 86400;
    let (y, m, d) = wim_format::metadata::time::civil_from_days((secs / 86400) as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The reason a path is a Windows servicing-stack package we refuse, if it is one.
pub fn windows_package_refusal(p: &Path) -> Option<String> {
    let kind = crate::package::sniff(p)?;
    Some(format!(
        "\"{}\" is a Windows update package ({kind}). Installing it needs the Windows servicing \
         stack (CBS/CSI: TrustedInstaller, component store, pending.xml), which does not run on \
         Linux. Alternatives: run DISM /Add-Package on a Windows host, or stage it for Windows \
         Setup / first boot (see servicing.md); `wimkit service inspect-package` shows its identity.",
        p.display()
    ))
}

/// Reads a package folder: the `files/` overlay (if any) and its commands.
fn package_commands(dir: &Path) -> Result<Vec<UpdateCommand>> {
    if let Some(msg) = windows_package_refusal(dir) {
        return Err(Error::Usage(UsageKind::InvalidParam, msg));
    }
    let md = std::fs::metadata(dir).map_err(|e| Error::fs(FsOp::Stat, dir, e))?;
    if !md.is_dir() {
        return Err(Error::Usage(
            UsageKind::InvalidParam,
            format!(
                "\"{}\" is not an update package folder (files/ and/or commands)",
                dir.display()
            ),
        ));
    }
    let files = dir.join("files");
    let cmds = dir.join("commands");
    let mut out = Vec::new();
    if files.is_dir() {
        out.push(UpdateCommand::Add {
            source: files,
            dest: "/".into(),
            options: Default::default(),
        });
    }
    if cmds.exists() {
        let b = std::fs::read(&cmds).map_err(|e| Error::fs(FsOp::Read, &cmds, e))?;
        let parsed = parse_script(&decode_script(&b), &Defaults::default()).map_err(|e| {
            Error::Usage(
                UsageKind::InvalidParam,
                format!("\"{}\" {e}", cmds.display()),
            )
        })?;
        for c in parsed {
            out.push(match c {
                UpdateCommand::Add {
                    source,
                    dest,
                    options,
                } if source.is_relative() => UpdateCommand::Add {
                    source: dir.join(source),
                    dest,
                    options,
                },
                other => other,
            });
        }
    }
    if out.is_empty() {
        return Err(Error::Usage(
            UsageKind::InvalidParam,
            format!(
                "\"{}\" holds neither files/ nor a commands file",
                dir.display()
            ),
        ));
    }
    Ok(out)
}

/// Applies `packages` in order to `image` of the WIM at `path`, in one write.
/// Without `continue_on_error` the run is all or nothing (the first failure is returned
/// and nothing is written); with it, a failing package's changes are discarded, it is
/// reported as [`PackageResult::Failed`], and the others are applied.
pub fn apply_packages(
    path: &Path,
    image: ImageIndex,
    packages: &[PackageSpec],
    continue_on_error: bool,
    opts: &UpdateOptions,
    events: EventSink<'_>,
) -> Result<(Vec<PackageOutcome>, UpdateReport)> {
    let mut o = opts.clone();
    o.keep_metadata_on_replace = true;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    update_with(path, image, &o, events, None, &mut |ed| {
        let mut outcomes = Vec::new();
        let mut changed = false;
        for p in packages {
            let done: Vec<String> = ed
                .writer
                .xml_mut()
                .image_element_mut(image)
                .map(|e| applied_updates(e).into_iter().map(|u| u.id).collect())
                .unwrap_or_default();
            if done.contains(&p.id)
                || outcomes.iter().any(|x: &PackageOutcome| {
                    x.id == p.id && matches!(x.result, PackageResult::Applied(_))
                })
            {
                outcomes.push(PackageOutcome {
                    id: p.id.clone(),
                    result: PackageResult::AlreadyApplied,
                });
                continue;
            }
            let snapshot = ed.tree.clone();
            let before = ed.stats;
            ed.stats = EditStats::default();
            let r = package_commands(&p.dir).and_then(|cmds| {
                for c in &cmds {
                    ed.run(c)?;
                }
                Ok(())
            });
            let st = ed.stats;
            ed.stats = EditStats {
                added: before.added + st.added,
                replaced: before.replaced + st.replaced,
                deleted: before.deleted + st.deleted,
                bytes: before.bytes + st.bytes,
            };
            match r {
                Ok(()) => {
                    if let Some(e) = ed.writer.xml_mut().image_element_mut(image) {
                        record_update(
                            e,
                            &AppliedUpdate {
                                id: p.id.clone(),
                                date: iso8601(now),
                                added: st.added,
                                replaced: st.replaced,
                                deleted: st.deleted,
                                bytes: st.bytes,
                            },
                        );
                    }
                    changed = true;
                    outcomes.push(PackageOutcome {
                        id: p.id.clone(),
                        result: PackageResult::Applied(st),
                    });
                }
                Err(e) if continue_on_error => {
                    *ed.tree = snapshot;
                    ed.stats = before;
                    outcomes.push(PackageOutcome {
                        id: p.id.clone(),
                        result: PackageResult::Failed(e.to_string()),
                    });
                }
                Err(e) => {
                    return Err(Error::Usage(
                        match &e {
                            Error::Usage(k, _) => *k,
                            _ => UsageKind::Other,
                        },
                        format!("update package \"{}\" ({}): {e}", p.dir.display(), p.id),
                    ));
                }
            }
        }
        Ok(EditOutcome {
            value: outcomes,
            changed,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(1_706_702_400), "2024-01-31T12:00:00Z");
    }

    #[test]
    fn record_round_trip() {
        let mut e = Element::new("IMAGE");
        let u = AppliedUpdate {
            id: "KB1".into(),
            date: "d".into(),
            added: 1,
            replaced: 2,
            deleted: 3,
            bytes: 4,
        };
        record_update(&mut e, &u);
        record_update(
            &mut e,
            &AppliedUpdate {
                id: "KB2".into(),
                ..u.clone()
            },
        );
        let v = applied_updates(&e);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0], u);
        assert_eq!(v[1].id, "KB2");
    }
}

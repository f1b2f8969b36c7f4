//! `wiminfo` changes: image name, description, arbitrary XML properties, boot index.
//!
//! ```text
//! in place: header gets WRITE_IN_PROGRESS → new blob table + XML (+ integrity) after
//!           the old end of the file → final header (the old tables stay valid until then)
//! ```
//!
//! Property paths use wimlib's syntax: `WINDOWS/VERSION/BUILD`, `WINDOWS/LANGUAGES/LANGUAGE[2]`
//! (1-based index among same-named siblings); an empty value deletes the element.

use crate::error::{Error, Result, UsageKind};
use std::path::Path;
use wim_format::xml::{Element, XmlNode};
use wim_format::{ImageIndex, Wim, WimWriterBuilder};

/// One change to a WIM's XML or header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InfoChange {
    /// Sets NAME of the image (must stay unique; empty removes it).
    Name(String),
    /// Sets DESCRIPTION of the image.
    Description(String),
    /// Sets (or with an empty value deletes) an element under `<IMAGE>`.
    Property {
        /// Path such as `WINDOWS/VERSION/BUILD` or `FOO[2]`.
        path: String,
        /// Text; empty deletes.
        value: String,
    },
    /// Sets the boot index (0 clears).
    Boot(u32),
}

fn bad(msg: impl Into<String>) -> Error {
    Error::Usage(UsageKind::InvalidParam, msg.into())
}

/// Splits `NAME[3]` into `("NAME", 3)` (index 1 when absent).
fn component(c: &str) -> Result<(&str, usize)> {
    if let Some(open) = c.find('[') {
        let name = &c[..open];
        let rest = &c[open + 1..];
        let n: usize = rest
            .strip_suffix(']')
            .and_then(|d| d.parse().ok())
            .filter(|&n| n >= 1)
            .ok_or_else(|| bad(format!("invalid property path component \"{c}\"")))?;
        Ok((name, n))
    } else {
        Ok((c, 1))
    }
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
        && !n.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.')
}

/// Sets or deletes the element at `path` under `e`.
pub fn set_property(e: &mut Element, path: &str, value: &str) -> Result<()> {
    let comps: Vec<&str> = path.split('/').collect();
    let mut cur = e;
    for (k, c) in comps.iter().enumerate() {
        let (name, n) = component(c)?;
        if !valid_name(name) {
            return Err(bad(format!("invalid property name \"{path}\"")));
        }
        let last = k + 1 == comps.len();
        let positions: Vec<usize> = cur
            .children
            .iter()
            .enumerate()
            .filter(|(_, x)| matches!(x, XmlNode::Element(el) if el.name == name))
            .map(|(i, _)| i)
            .collect();
        let pos = match positions.get(n - 1) {
            Some(&p) => p,
            None => {
                if value.is_empty() {
                    return Ok(()); // nothing to delete
                }
                if n != positions.len() + 1 {
                    return Err(bad(format!(
                        "property \"{path}\": element {name}[{}] does not exist",
                        n - 1
                    )));
                }
                cur.children.push(XmlNode::Element(Element::new(name)));
                cur.children.len() - 1
            }
        };
        if last && value.is_empty() {
            cur.children.remove(pos);
            return Ok(());
        }
        let Some(XmlNode::Element(next)) = cur.children.get_mut(pos) else {
            return Err(bad("internal: property path"));
        };
        if last {
            next.set_text(value);
            return Ok(());
        }
        cur = next;
    }
    Ok(())
}

/// Applies `changes` to image `image` (or only the boot change when `image` is `None`)
/// of the WIM at `path`, in place and crash-safe. `integrity` asks for an integrity table
/// (an existing one is kept anyway).
pub fn edit_info(
    path: &Path,
    image: Option<ImageIndex>,
    changes: &[InfoChange],
    integrity: bool,
) -> Result<()> {
    edit_info_with(path, image, changes, integrity.then_some(true))
}

/// [`edit_info`] with the three integrity choices of wimlib: `Some(true)` (`--check`)
/// writes a table, `Some(false)` (`--nocheck`) drops an existing one, `None` keeps the
/// table when the file had one.
pub fn edit_info_with(
    path: &Path,
    image: Option<ImageIndex>,
    changes: &[InfoChange],
    integrity: Option<bool>,
) -> Result<()> {
    let wim = Wim::open(path)?;
    if wim.header().is_split() {
        return Err(bad("cannot modify a split WIM"));
    }
    if wim.header().pipable {
        drop(wim);
        return crate::pipable::edit_pipable(path, |p| {
            edit_info_with(p, image, changes, integrity)
        });
    }
    let count = wim.image_count();
    let names = crate::export::image_names(&crate::export::src_xml(&wim)?);
    drop(wim);
    for c in changes {
        match c {
            InfoChange::Boot(b) if *b > count => {
                return Err(
                    wim_format::Error::Usage(wim_format::error::UsageError::NoSuchImage(
                        b.to_string(),
                    ))
                    .into(),
                );
            }
            InfoChange::Name(n) if !n.is_empty() => {
                if let Some(ix) = image
                    && names
                        .iter()
                        .enumerate()
                        .any(|(i, x)| x == n && i + 1 != ix.get() as usize)
                {
                    return Err(Error::Usage(
                        UsageKind::ImageNameCollision,
                        format!("There is already an image named \"{n}\" in the WIM"),
                    ));
                }
            }
            _ => {}
        }
    }
    let mut b = WimWriterBuilder::new();
    if let Some(i) = integrity {
        b = b.integrity(i);
    }
    let mut w = b.append(path)?;
    for c in changes {
        match c {
            InfoChange::Boot(n) => w.set_boot_index(*n),
            other => {
                let ix = image.ok_or_else(|| bad("an image is needed for this change"))?;
                let e = w.xml_mut().image_element_mut(ix).ok_or_else(|| {
                    Error::from(wim_format::Error::Usage(
                        wim_format::error::UsageError::NoSuchImage(ix.get().to_string()),
                    ))
                })?;
                match other {
                    InfoChange::Name(n) => set_property(e, "NAME", n)?,
                    InfoChange::Description(d) => set_property(e, "DESCRIPTION", d)?,
                    InfoChange::Property { path, value } => set_property(e, path, value)?,
                    InfoChange::Boot(_) => {}
                }
            }
        }
    }
    w.finish()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_paths() {
        let mut e = Element::new("IMAGE");
        set_property(&mut e, "WINDOWS/VERSION/BUILD", "9600").unwrap();
        assert_eq!(e.text_at("WINDOWS/VERSION/BUILD").as_deref(), Some("9600"));
        set_property(&mut e, "WINDOWS/LANGUAGES/LANGUAGE", "en-US").unwrap();
        set_property(&mut e, "WINDOWS/LANGUAGES/LANGUAGE[2]", "de-DE").unwrap();
        assert!(set_property(&mut e, "WINDOWS/LANGUAGES/LANGUAGE[4]", "x").is_err());
        let langs: Vec<String> = e
            .descendant("WINDOWS/LANGUAGES")
            .unwrap()
            .children_named("LANGUAGE")
            .map(|l| l.text())
            .collect();
        assert_eq!(langs, ["en-US", "de-DE"]);
        set_property(&mut e, "WINDOWS/LANGUAGES/LANGUAGE[1]", "").unwrap();
        assert_eq!(
            e.text_at("WINDOWS/LANGUAGES/LANGUAGE").as_deref(),
            Some("de-DE")
        );
        assert!(set_property(&mut e, "A//B", "x").is_err());
        set_property(&mut e, "WINDOWS/VERSION/BUILD", "").unwrap();
        assert!(e.text_at("WINDOWS/VERSION/BUILD").is_none());
        assert!(set_property(&mut e, "1BAD", "x").is_err());
    }
}

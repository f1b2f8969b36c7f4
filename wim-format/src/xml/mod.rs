//! The XML document of a WIM (layout: `../shared/docs/wim-format.md` §7): UTF-16LE with a
//! BOM, root `<WIM>`, one `<IMAGE INDEX="n">` per image, a top-level `<TOTALBYTES>`.
//!
//! [`WimInfo`] keeps the whole element tree (unknown elements, attribute order and
//! whitespace included) so it can be written back unchanged by [`WimInfo::to_utf16le_bytes`];
//! [`ImageInfo`] and [`WindowsInfo`] are typed read views over it.
//!
//! Validation on parse: size bounded by [`Limits::max_xml_bytes`], nesting by
//! [`Limits::max_depth`], root must be `WIM`, image INDEX attributes must be exactly
//! `1..=n` (any order), at most [`Limits::max_images`] images; `<ESD><ENCRYPTED>` gives
//! [`Unsupported::EncryptedEsd`].

pub mod parse;
pub mod write;

pub use parse::{Element, XmlDocument, XmlNode};

use crate::digest::ImageIndex;
use crate::error::{Error, FormatError, FormatErrorKind, Result, Unsupported};
use crate::limits::Limits;
use crate::metadata::FileTime;

/// The parsed XML document of a WIM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WimInfo {
    doc: XmlDocument,
    /// Positions (in `doc.root.children`) of the IMAGE elements, ordered by INDEX.
    images: Vec<usize>,
}

fn bad(detail: String) -> Error {
    FormatError::new(FormatErrorKind::BadXml, detail).into()
}

/// Parses a number as wimlib writes them: decimal, or hexadecimal with `0x`.
pub fn parse_number(s: &str) -> Option<u64> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

impl WimInfo {
    /// Parses the raw XML resource (UTF-16LE, BOM optional).
    pub fn parse(bytes: &[u8], limits: &Limits) -> Result<WimInfo> {
        Limits::check("XML data size", bytes.len() as u64, limits.max_xml_bytes)?;
        let (text, bom) = parse::decode_utf16le(bytes)?;
        let doc = parse::parse_document(&text, bom, limits.max_depth)?;
        Self::from_document(doc, limits)
    }

    /// Validates a document and indexes its images.
    pub fn from_document(doc: XmlDocument, limits: &Limits) -> Result<WimInfo> {
        if doc.root.name != "WIM" {
            return Err(bad(format!(
                "root element is <{}>, expected <WIM>",
                doc.root.name
            )));
        }
        if doc
            .root
            .children_named("ESD")
            .any(|e| e.child("ENCRYPTED").is_some())
        {
            return Err(Error::Unsupported(Unsupported::EncryptedEsd));
        }
        let mut found: Vec<(u32, usize)> = Vec::new();
        for (pos, n) in doc.root.children.iter().enumerate() {
            let XmlNode::Element(e) = n else { continue };
            if e.name != "IMAGE" {
                continue;
            }
            Limits::check(
                "image count in XML",
                found.len() as u64 + 1,
                u64::from(limits.max_images),
            )?;
            let idx = e.attr("INDEX").ok_or_else(|| {
                bad(format!(
                    "IMAGE element {} has no INDEX attribute",
                    found.len() + 1
                ))
            })?;
            let n = idx
                .trim()
                .parse::<u32>()
                .map_err(|_| bad(format!("IMAGE INDEX \"{idx}\" is not a number")))?;
            found.push((n, pos));
        }
        found.sort_unstable();
        for (i, &(n, _)) in found.iter().enumerate() {
            if n as usize != i + 1 {
                return Err(bad(format!(
                    "IMAGE INDEX values are not 1..={}: found {n} at position {}",
                    found.len(),
                    i + 1
                )));
            }
        }
        let images = found.into_iter().map(|(_, p)| p).collect();
        Ok(WimInfo { doc, images })
    }

    /// An empty document: `<WIM></WIM>`.
    pub fn new() -> WimInfo {
        WimInfo {
            doc: XmlDocument {
                root: Element::new("WIM"),
                ..Default::default()
            },
            images: Vec::new(),
        }
    }

    /// The document.
    pub fn document(&self) -> &XmlDocument {
        &self.doc
    }

    /// The `<WIM>` element.
    pub fn root(&self) -> &Element {
        &self.doc.root
    }

    /// Gives up the view and returns the document (re-validate with [`Self::from_document`]).
    pub fn into_document(self) -> XmlDocument {
        self.doc
    }

    /// Number of IMAGE elements.
    pub fn image_count(&self) -> u32 {
        self.images.len() as u32
    }

    /// Checks the number of IMAGE elements against the header's image count:
    /// `ImageCountMismatch` when they differ.
    pub fn check_image_count(&self, header_count: u32) -> Result<()> {
        if self.images.len() as u64 != u64::from(header_count) {
            return Err(crate::Error::format(
                crate::FormatErrorKind::ImageCountMismatch,
                format!(
                    "the XML describes {} images, the header {header_count}",
                    self.images.len()
                ),
            ));
        }
        Ok(())
    }

    /// The image with INDEX `index`.
    pub fn image(&self, index: ImageIndex) -> Option<ImageInfo<'_>> {
        let pos = *self.images.get(index.zero_based())?;
        match self.doc.root.children.get(pos) {
            Some(XmlNode::Element(e)) => Some(ImageInfo { elem: e }),
            _ => None,
        }
    }

    /// The IMAGE element with INDEX `index`, mutably (INDEX itself should not be changed).
    pub fn image_element_mut(&mut self, index: ImageIndex) -> Option<&mut Element> {
        let pos = *self.images.get(index.zero_based())?;
        match self.doc.root.children.get_mut(pos) {
            Some(XmlNode::Element(e)) => Some(e),
            _ => None,
        }
    }

    /// The images in INDEX order.
    pub fn images(&self) -> impl Iterator<Item = ImageInfo<'_>> {
        (1..=self.image_count()).filter_map(|i| ImageIndex::new(i).and_then(|i| self.image(i)))
    }

    /// The top-level `<TOTALBYTES>` (file offset of the XML data, as written by wimlib).
    pub fn total_bytes(&self) -> Option<u64> {
        self.doc
            .root
            .child("TOTALBYTES")
            .and_then(|e| parse_number(&e.text()))
    }

    /// Sets the top-level `<TOTALBYTES>` (creating it at the end if missing).
    pub fn set_total_bytes(&mut self, v: u64) {
        self.doc.root.set_child_text("TOTALBYTES", v.to_string());
    }

    /// The document as text (no BOM).
    pub fn to_xml_string(&self) -> String {
        write::to_string(&self.doc)
    }

    /// The document as UTF-16LE with a BOM, ready to be stored in a WIM.
    pub fn to_utf16le_bytes(&self) -> Vec<u8> {
        write::to_utf16le_with_bom(&self.to_xml_string())
    }
}

impl Default for WimInfo {
    fn default() -> Self {
        WimInfo::new()
    }
}

/// A read view of one `<IMAGE>` element.
#[derive(Debug, Clone, Copy)]
pub struct ImageInfo<'a> {
    elem: &'a Element,
}

fn time_of(e: Option<&Element>) -> Option<FileTime> {
    let e = e?;
    let hi = parse_number(&e.text_at("HIGHPART")?)?;
    let lo = parse_number(&e.text_at("LOWPART")?)?;
    Some(FileTime::from_parts(
        u32::try_from(hi).ok()?,
        u32::try_from(lo).ok()?,
    ))
}

impl<'a> ImageInfo<'a> {
    /// The underlying element.
    pub fn element(&self) -> &'a Element {
        self.elem
    }
    /// The INDEX attribute.
    pub fn index(&self) -> u32 {
        self.elem
            .attr("INDEX")
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0)
    }
    /// The text of the child element at `path` (e.g. `WINDOWS/VERSION/BUILD`).
    pub fn get(&self, path: &str) -> Option<String> {
        self.elem.text_at(path)
    }
    fn num(&self, path: &str) -> Option<u64> {
        self.get(path).and_then(|s| parse_number(&s))
    }
    /// `NAME`.
    pub fn name(&self) -> Option<String> {
        self.get("NAME")
    }
    /// `DESCRIPTION`.
    pub fn description(&self) -> Option<String> {
        self.get("DESCRIPTION")
    }
    /// `DISPLAYNAME`.
    pub fn display_name(&self) -> Option<String> {
        self.get("DISPLAYNAME")
    }
    /// `DISPLAYDESCRIPTION`.
    pub fn display_description(&self) -> Option<String> {
        self.get("DISPLAYDESCRIPTION")
    }
    /// `DIRCOUNT`.
    pub fn dir_count(&self) -> Option<u64> {
        self.num("DIRCOUNT")
    }
    /// `FILECOUNT`.
    pub fn file_count(&self) -> Option<u64> {
        self.num("FILECOUNT")
    }
    /// `TOTALBYTES` of the image.
    pub fn total_bytes(&self) -> Option<u64> {
        self.num("TOTALBYTES")
    }
    /// `HARDLINKBYTES`.
    pub fn hard_link_bytes(&self) -> Option<u64> {
        self.num("HARDLINKBYTES")
    }
    /// `CREATIONTIME` (HIGHPART/LOWPART).
    pub fn creation_time(&self) -> Option<FileTime> {
        time_of(self.elem.child("CREATIONTIME"))
    }
    /// `LASTMODIFICATIONTIME` (HIGHPART/LOWPART).
    pub fn last_modification_time(&self) -> Option<FileTime> {
        time_of(self.elem.child("LASTMODIFICATIONTIME"))
    }
    /// `FLAGS`.
    pub fn flags(&self) -> Option<String> {
        self.get("FLAGS")
    }
    /// `WIMBOOT` as a boolean (non-zero number = true).
    pub fn wimboot(&self) -> Option<bool> {
        self.num("WIMBOOT").map(|v| v != 0)
    }
    /// The `WINDOWS` element, if present.
    pub fn windows(&self) -> Option<WindowsInfo<'a>> {
        self.elem.child("WINDOWS").map(|elem| WindowsInfo { elem })
    }
}

/// A read view of `<IMAGE><WINDOWS>`.
#[derive(Debug, Clone, Copy)]
pub struct WindowsInfo<'a> {
    elem: &'a Element,
}

/// `<WINDOWS><VERSION>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WindowsVersion {
    /// `MAJOR`.
    pub major: Option<u64>,
    /// `MINOR`.
    pub minor: Option<u64>,
    /// `BUILD`.
    pub build: Option<u64>,
    /// `SPBUILD`.
    pub spbuild: Option<u64>,
    /// `SPLEVEL`.
    pub splevel: Option<u64>,
}

impl<'a> WindowsInfo<'a> {
    /// The underlying element.
    pub fn element(&self) -> &'a Element {
        self.elem
    }
    fn s(&self, p: &str) -> Option<String> {
        self.elem.text_at(p)
    }
    /// `ARCH` (PROCESSOR_ARCHITECTURE code: 0 x86, 5 ARM, 6 IA64, 9 AMD64, 12 ARM64).
    pub fn arch(&self) -> Option<u64> {
        self.s("ARCH").and_then(|s| parse_number(&s))
    }
    /// `PRODUCTNAME`.
    pub fn product_name(&self) -> Option<String> {
        self.s("PRODUCTNAME")
    }
    /// `EDITIONID`.
    pub fn edition_id(&self) -> Option<String> {
        self.s("EDITIONID")
    }
    /// `INSTALLATIONTYPE`.
    pub fn installation_type(&self) -> Option<String> {
        self.s("INSTALLATIONTYPE")
    }
    /// `HAL`.
    pub fn hal(&self) -> Option<String> {
        self.s("HAL")
    }
    /// `PRODUCTTYPE`.
    pub fn product_type(&self) -> Option<String> {
        self.s("PRODUCTTYPE")
    }
    /// `PRODUCTSUITE`.
    pub fn product_suite(&self) -> Option<String> {
        self.s("PRODUCTSUITE")
    }
    /// `LANGUAGES/LANGUAGE` values in order.
    pub fn languages(&self) -> Vec<String> {
        self.elem
            .child("LANGUAGES")
            .map(|l| l.children_named("LANGUAGE").map(Element::text).collect())
            .unwrap_or_default()
    }
    /// `LANGUAGES/DEFAULT`.
    pub fn default_language(&self) -> Option<String> {
        self.s("LANGUAGES/DEFAULT")
    }
    /// `SYSTEMROOT`.
    pub fn system_root(&self) -> Option<String> {
        self.s("SYSTEMROOT")
    }
    /// `VERSION/*`, if `VERSION` is present.
    pub fn version(&self) -> Option<WindowsVersion> {
        let v = self.elem.child("VERSION")?;
        let n = |p: &str| v.text_at(p).and_then(|s| parse_number(&s));
        Some(WindowsVersion {
            major: n("MAJOR"),
            minor: n("MINOR"),
            build: n("BUILD"),
            spbuild: n("SPBUILD"),
            splevel: n("SPLEVEL"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(s: &str) -> Vec<u8> {
        write::to_utf16le_with_bom(s)
    }

    const SAMPLE: &str = "<WIM><TOTALBYTES>9327</TOTALBYTES>\
<IMAGE INDEX=\"2\"><NAME>Second</NAME></IMAGE>\
<IMAGE INDEX=\"1\" EXTRA=\"a&amp;b\"><NAME>My &lt;Img&gt;</NAME><DESCRIPTION>Desc</DESCRIPTION>\
<DISPLAYNAME>Disp</DISPLAYNAME><DISPLAYDESCRIPTION>DDesc</DISPLAYDESCRIPTION>\
<DIRCOUNT>2</DIRCOUNT><FILECOUNT>3</FILECOUNT><TOTALBYTES>34432</TOTALBYTES><HARDLINKBYTES>3</HARDLINKBYTES>\
<CREATIONTIME><HIGHPART>0x01DBF317</HIGHPART><LOWPART>0xD62C84D3</LOWPART></CREATIONTIME>\
<LASTMODIFICATIONTIME><HIGHPART>0x01DBF317</HIGHPART><LOWPART>0xD62C84D4</LOWPART></LASTMODIFICATIONTIME>\
<FLAGS>Professional</FLAGS><WIMBOOT>1</WIMBOOT>\
<WINDOWS><ARCH>9</ARCH><PRODUCTNAME>Microsoft® Windows® Operating System</PRODUCTNAME>\
<EDITIONID>Professional</EDITIONID><INSTALLATIONTYPE>Client</INSTALLATIONTYPE>\
<HAL>acpiapic</HAL><PRODUCTTYPE>WinNT</PRODUCTTYPE><PRODUCTSUITE>Terminal Server</PRODUCTSUITE>\
<LANGUAGES><LANGUAGE>en-US</LANGUAGE><LANGUAGE>de-DE</LANGUAGE><DEFAULT>en-US</DEFAULT></LANGUAGES>\
<VERSION><MAJOR>10</MAJOR><MINOR>0</MINOR><BUILD>22621</BUILD><SPBUILD>2861</SPBUILD><SPLEVEL>0</SPLEVEL></VERSION>\
<SYSTEMROOT>WINDOWS</SYSTEMROOT><SERVICINGDATA><X a=\"1\" b=\"2\">keep</X></SERVICINGDATA></WINDOWS>\
<UNKNOWN z=\"9\" a=\"8\"/>\n  </IMAGE></WIM>";

    #[test]
    fn accessors() {
        let w = WimInfo::parse(&utf16(SAMPLE), &Limits::default()).unwrap();
        assert_eq!(w.image_count(), 2);
        assert_eq!(w.total_bytes(), Some(9327));
        let names: Vec<_> = w.images().map(|i| i.name()).collect();
        assert_eq!(
            names,
            [Some("My <Img>".to_string()), Some("Second".to_string())]
        );
        let i = w.image(ImageIndex::new(1).unwrap()).unwrap();
        assert_eq!(i.index(), 1);
        assert_eq!(i.description().as_deref(), Some("Desc"));
        assert_eq!(i.display_name().as_deref(), Some("Disp"));
        assert_eq!(i.display_description().as_deref(), Some("DDesc"));
        assert_eq!((i.dir_count(), i.file_count()), (Some(2), Some(3)));
        assert_eq!(
            (i.total_bytes(), i.hard_link_bytes()),
            (Some(34432), Some(3))
        );
        assert_eq!(
            i.creation_time().unwrap().to_string(),
            "Sat Jul 12 10:29:24 2025 UTC"
        );
        assert_eq!(
            i.last_modification_time(),
            Some(FileTime(0x01DB_F317_D62C_84D4))
        );
        assert_eq!(i.flags().as_deref(), Some("Professional"));
        assert_eq!(i.wimboot(), Some(true));
        let win = i.windows().unwrap();
        assert_eq!(win.arch(), Some(9));
        assert_eq!(
            win.product_name().as_deref(),
            Some("Microsoft® Windows® Operating System")
        );
        assert_eq!(win.edition_id().as_deref(), Some("Professional"));
        assert_eq!(win.installation_type().as_deref(), Some("Client"));
        assert_eq!(win.hal().as_deref(), Some("acpiapic"));
        assert_eq!(win.product_type().as_deref(), Some("WinNT"));
        assert_eq!(win.product_suite().as_deref(), Some("Terminal Server"));
        assert_eq!(win.languages(), ["en-US", "de-DE"]);
        assert_eq!(win.default_language().as_deref(), Some("en-US"));
        assert_eq!(win.system_root().as_deref(), Some("WINDOWS"));
        let v = win.version().unwrap();
        assert_eq!(
            (v.major, v.minor, v.build, v.spbuild, v.splevel),
            (Some(10), Some(0), Some(22621), Some(2861), Some(0))
        );
        assert_eq!(i.get("WINDOWS/SERVICINGDATA/X").as_deref(), Some("keep"));
        let second = w.image(ImageIndex::new(2).unwrap()).unwrap();
        assert_eq!(second.windows().map(|_| ()), None);
        assert_eq!(second.dir_count(), None);
        assert!(w.image(ImageIndex::new(3).unwrap()).is_none());
    }

    #[test]
    fn round_trip_keeps_everything() {
        let w = WimInfo::parse(&utf16(SAMPLE), &Limits::default()).unwrap();
        let bytes = w.to_utf16le_bytes();
        assert_eq!(&bytes[..2], &[0xFF, 0xFE]);
        let w2 = WimInfo::parse(&bytes, &Limits::default()).unwrap();
        assert_eq!(w, w2);
        let unknown = w2
            .image(ImageIndex::new(1).unwrap())
            .unwrap()
            .element()
            .child("UNKNOWN")
            .unwrap();
        assert_eq!(
            unknown.attributes,
            [("z".into(), "9".into()), ("a".into(), "8".into())]
        );
        // The written text is what went in, modulo escaping choices.
        assert_eq!(w.to_xml_string(), SAMPLE);
    }

    #[test]
    fn edits_and_new_document() {
        let mut w = WimInfo::new();
        w.set_total_bytes(5);
        assert_eq!(w.to_xml_string(), "<WIM><TOTALBYTES>5</TOTALBYTES></WIM>");
        let mut w = WimInfo::parse(&utf16(SAMPLE), &Limits::default()).unwrap();
        let e = w.image_element_mut(ImageIndex::new(2).unwrap()).unwrap();
        e.set_child_text("DESCRIPTION", "new & <x>");
        let w2 = WimInfo::parse(&w.to_utf16le_bytes(), &Limits::default()).unwrap();
        let d = w2.image(ImageIndex::new(2).unwrap()).unwrap().description();
        assert_eq!(d.as_deref(), Some("new & <x>"));
    }

    #[test]
    fn validation_errors() {
        let l = Limits::default();
        let kind = |s: &str| WimInfo::parse(&utf16(s), &l).unwrap_err().format_kind();
        assert_eq!(kind("<NOTWIM/>"), Some(FormatErrorKind::BadXml));
        assert_eq!(kind("<WIM><IMAGE/></WIM>"), Some(FormatErrorKind::BadXml));
        assert_eq!(
            kind("<WIM><IMAGE INDEX=\"2\"/></WIM>"),
            Some(FormatErrorKind::BadXml)
        );
        assert_eq!(
            kind("<WIM><IMAGE INDEX=\"1\"/><IMAGE INDEX=\"1\"/></WIM>"),
            Some(FormatErrorKind::BadXml)
        );
        assert_eq!(
            kind("<WIM><IMAGE INDEX=\"x\"/></WIM>"),
            Some(FormatErrorKind::BadXml)
        );
        let e = WimInfo::parse(&utf16("<WIM><ESD><ENCRYPTED/></ESD></WIM>"), &l).unwrap_err();
        assert!(matches!(e, Error::Unsupported(Unsupported::EncryptedEsd)));
        let small = Limits {
            max_xml_bytes: 10,
            ..Limits::default()
        };
        let e = WimInfo::parse(&utf16("<WIM></WIM>"), &small).unwrap_err();
        assert!(matches!(
            e,
            Error::LimitExceeded {
                what: "XML data size",
                ..
            }
        ));
        let one = Limits {
            max_images: 1,
            ..Limits::default()
        };
        let e = WimInfo::parse(
            &utf16("<WIM><IMAGE INDEX=\"1\"/><IMAGE INDEX=\"2\"/></WIM>"),
            &one,
        )
        .unwrap_err();
        assert!(matches!(
            e,
            Error::LimitExceeded {
                what: "image count in XML",
                ..
            }
        ));
        // No BOM is tolerated; empty WIM is fine.
        let no_bom: Vec<u8> = "<WIM/>".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(WimInfo::parse(&no_bom, &l).unwrap().image_count(), 0);
        // Offsets count the BOM: "<WIM><X></WIM>" → the "</WIM>" tag at char 8.
        match WimInfo::parse(&utf16("<WIM><X></WIM>"), &l).unwrap_err() {
            Error::Format(f) => assert_eq!(f.offset(), Some(2 + 16)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn truncations_and_corruptions_never_panic() {
        let b = utf16(SAMPLE);
        let l = Limits::default();
        let mut failures = 0;
        for i in 0..b.len() {
            failures += WimInfo::parse(&b[..i], &l).is_err() as usize;
            let mut c = b.clone();
            c[i] ^= 0x3C;
            let _ = WimInfo::parse(&c, &l);
        }
        assert!(failures > b.len() / 2);
    }
}

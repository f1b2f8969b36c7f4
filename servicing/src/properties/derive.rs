//! Image properties derived from an image's files: the system root, `kernel32.dll`'s PE
//! machine, and the SOFTWARE and SYSTEM registry hives (map in
//! `../shared/docs/wim-format.md`, "Windows information derived from the image's registry
//! hives").
//!
//! Two deliberate differences from wimlib, both recorded in [`ImageProperties`] so callers
//! can choose:
//! - the SYSTEM control set is resolved through `Select\Current` (fallback `Default`, then
//!   `ControlSet001`) instead of hard-coding `ControlSet001`;
//! - `SPBUILD` is the SOFTWARE `CurrentVersion\UBR` when present (what DISM reports as
//!   "ServicePack Build"), falling back to `CSDBuildNumber` ([`SpBuildSource`]).

use std::fmt;
use std::io::Read;

use wim_format::metadata::{DentryTree, ImageMetadata, NodeId};
use wim_format::xml::{Element, ImageInfo, XmlNode};
use wim_format::{ImageIndex, Wim};

use super::lcid::install_language_tag;
use super::pe::{PE_PREFIX_LIMIT, arch_of_machine, pe_machine};
use super::regf::{Hive, HiveError, Key, RegValue};
use super::system_root::{rel_lookup, system_root};

/// The class key whose `0000\MatchingDeviceId` names the HAL.
const HAL_CLASS: &str = "{4D36E966-E325-11CE-BFC1-08002BE10318}";
/// The SOFTWARE key holding the version values.
const CURRENT_VERSION: &str = "Microsoft\\Windows NT\\CurrentVersion";
/// Largest hive we read into memory (real SOFTWARE hives are ~100-200 MB).
pub const MAX_HIVE_BYTES: u64 = 1 << 30;

/// Why properties could not be derived.
#[derive(Debug)]
#[non_exhaustive]
pub enum PropertiesError {
    /// Reading the WIM failed.
    Wim(wim_format::Error),
    /// A hive in the image could not be parsed (dirty, corrupt, hostile).
    Hive {
        /// The hive's path in the image.
        path: String,
        /// The parse error.
        error: HiveError,
    },
    /// A file is larger than we are willing to read into memory.
    TooLarge {
        /// The path in the image.
        path: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Reading a file's data failed.
    Io {
        /// The path in the image.
        path: String,
        /// The error.
        error: std::io::Error,
    },
}

impl fmt::Display for PropertiesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PropertiesError::Wim(e) => write!(f, "{e}"),
            PropertiesError::Hive { path, error } => write!(f, "\"{path}\": {error}"),
            PropertiesError::TooLarge { path, size, limit } => {
                write!(
                    f,
                    "\"{path}\" is {size} bytes, above the {limit}-byte limit"
                )
            }
            PropertiesError::Io { path, error } => write!(f, "reading \"{path}\": {error}"),
        }
    }
}

impl std::error::Error for PropertiesError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PropertiesError::Wim(e) => Some(e),
            PropertiesError::Hive { error, .. } => Some(error),
            PropertiesError::Io { error, .. } => Some(error),
            PropertiesError::TooLarge { .. } => None,
        }
    }
}

impl From<wim_format::Error> for PropertiesError {
    fn from(e: wim_format::Error) -> Self {
        PropertiesError::Wim(e)
    }
}

/// Where `VERSION/SPBUILD` comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SpBuildSource {
    /// SOFTWARE `CurrentVersion\UBR`, fallback SYSTEM `CSDBuildNumber` (ours; DISM's view).
    #[default]
    Ubr,
    /// SYSTEM `Control\Windows\CSDBuildNumber` only (wimlib's choice).
    CsdBuildNumber,
}

/// Properties of a Windows image derived from its files.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImageProperties {
    /// The system root directory's name as stored in the image (e.g. `Windows`).
    pub system_root_dir: String,
    /// `SYSTEMROOT`: the upper-cased name.
    pub system_root: String,
    /// `ARCH`, from kernel32.dll's PE machine.
    pub arch: Option<u32>,
    /// The raw PE machine of kernel32.dll.
    pub pe_machine: Option<u16>,
    /// `PRODUCTNAME` (also `DISPLAYNAME` and `DISPLAYDESCRIPTION`).
    pub product_name: Option<String>,
    /// `EDITIONID` (also `FLAGS`).
    pub edition_id: Option<String>,
    /// `INSTALLATIONTYPE`.
    pub installation_type: Option<String>,
    /// `VERSION/MAJOR`.
    pub major: Option<u64>,
    /// `VERSION/MINOR`.
    pub minor: Option<u64>,
    /// `VERSION/BUILD`.
    pub build: Option<u64>,
    /// SOFTWARE `CurrentVersion\UBR` (update build revision).
    pub ubr: Option<u64>,
    /// SYSTEM `Control\Windows\CSDBuildNumber`.
    pub csd_build_number: Option<u64>,
    /// `VERSION/SPLEVEL` (`CSDVersion >> 8`).
    pub splevel: Option<u64>,
    /// `PRODUCTTYPE`.
    pub product_type: Option<String>,
    /// `PRODUCTSUITE` (first string of the multi-string).
    pub product_suite: Option<String>,
    /// `HAL`.
    pub hal: Option<String>,
    /// `LANGUAGES/LANGUAGE`, in hive order.
    pub languages: Vec<String>,
    /// `LANGUAGES/DEFAULT`.
    pub default_language: Option<String>,
    /// SOFTWARE `CurrentVersion\DisplayVersion` (e.g. `22H2`; not in the XML).
    pub display_version: Option<String>,
    /// The control set number used for SYSTEM lookups (`ControlSet00N`).
    pub control_set: u32,
    /// Whether a SOFTWARE hive was found.
    pub has_software_hive: bool,
    /// Whether a SYSTEM hive was found.
    pub has_system_hive: bool,
}

impl ImageProperties {
    /// `VERSION/SPBUILD` from `source`.
    pub fn spbuild(&self, source: SpBuildSource) -> Option<u64> {
        match source {
            SpBuildSource::Ubr => self.ubr.or(self.csd_build_number),
            SpBuildSource::CsdBuildNumber => self.csd_build_number,
        }
    }

    /// `MAJOR.MINOR.BUILD.UBR` (e.g. `10.0.18362.1139`); the parts known, in order.
    pub fn version_string(&self) -> Option<String> {
        let parts = [
            self.major?,
            self.minor?,
            self.build?,
            self.spbuild(SpBuildSource::Ubr).unwrap_or(0),
        ];
        Some(
            parts
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join("."),
        )
    }

    /// The elements wimlib writes into `<IMAGE>` for a Windows image, in its order:
    /// `WINDOWS` (SYSTEMROOT, ARCH, EDITIONID, INSTALLATIONTYPE, PRODUCTNAME, VERSION,
    /// PRODUCTTYPE, PRODUCTSUITE, HAL, LANGUAGES), then `FLAGS`, `DISPLAYNAME`,
    /// `DISPLAYDESCRIPTION`. Absent values are left out.
    pub fn xml_elements(&self, source: SpBuildSource) -> Vec<Element> {
        let mut w = Element::new("WINDOWS");
        let push = |e: &mut Element, name: &str, v: Option<String>| {
            if let Some(v) = v {
                e.children.push(XmlNode::Element(text_element(name, v)));
            }
        };
        push(&mut w, "SYSTEMROOT", Some(self.system_root.clone()));
        push(&mut w, "ARCH", self.arch.map(|a| a.to_string()));
        push(&mut w, "EDITIONID", self.edition_id.clone());
        push(&mut w, "INSTALLATIONTYPE", self.installation_type.clone());
        push(&mut w, "PRODUCTNAME", self.product_name.clone());
        let mut v = Element::new("VERSION");
        let n = |x: Option<u64>| x.map(|x| x.to_string());
        push(&mut v, "MAJOR", n(self.major));
        push(&mut v, "MINOR", n(self.minor));
        push(&mut v, "BUILD", n(self.build));
        push(&mut v, "SPBUILD", n(self.spbuild(source)));
        push(&mut v, "SPLEVEL", n(self.splevel));
        if !v.children.is_empty() {
            w.children.push(XmlNode::Element(v));
        }
        push(&mut w, "PRODUCTTYPE", self.product_type.clone());
        push(&mut w, "PRODUCTSUITE", self.product_suite.clone());
        push(&mut w, "HAL", self.hal.clone());
        if !self.languages.is_empty() || self.default_language.is_some() {
            let mut l = Element::new("LANGUAGES");
            for lang in &self.languages {
                push(&mut l, "LANGUAGE", Some(lang.clone()));
            }
            push(&mut l, "DEFAULT", self.default_language.clone());
            w.children.push(XmlNode::Element(l));
        }
        let mut out = vec![w];
        if let Some(e) = &self.edition_id {
            out.push(text_element("FLAGS", e.clone()));
        }
        if let Some(p) = &self.product_name {
            out.push(text_element("DISPLAYNAME", p.clone()));
            out.push(text_element("DISPLAYDESCRIPTION", p.clone()));
        }
        out
    }

    /// [`Self::xml_elements`] serialized as wimlib writes them (no whitespace).
    pub fn xml_string(&self, source: SpBuildSource) -> String {
        let mut s = String::new();
        for e in self.xml_elements(source) {
            wim_format::xml::write::write_element(&e, &mut s);
        }
        s
    }
}

fn text_element(name: &str, text: String) -> Element {
    let mut e = Element::new(name);
    e.children.push(XmlNode::Text(text));
    e
}

/// Finds a path in a dentry tree comparing names case-insensitively, as Windows does
/// (`/` or `\` separators; flagged entries are skipped). An exact-case match wins over
/// other case-insensitive matches.
pub fn lookup_ci(tree: &DentryTree, path: &str) -> Option<NodeId> {
    rel_lookup(tree, tree.root(), path)
}

/// Picks the system root: among top-level directories, the one holding the most of
/// `System32\kernel32.dll`, `System32\config\SOFTWARE`, `System32\config\SYSTEM`; ties
/// prefer `Windows`. `None` if no directory holds any.
pub fn find_system_root(tree: &DentryTree) -> Option<NodeId> {
    system_root(tree)
}

/// Reads at most `limit` bytes of a file's unnamed stream (`None` if absent or not a file).
fn read_file(
    wim: &Wim,
    tree: &DentryTree,
    id: NodeId,
    path: &str,
    limit: u64,
    whole: bool,
) -> Result<Option<Vec<u8>>, PropertiesError> {
    let d = tree.dentry(id);
    if d.is_directory() {
        return Ok(None);
    }
    let Some(hash) = d.unnamed_stream_hash() else {
        return Ok(Some(Vec::new()));
    };
    let size = wim.entry(&hash)?.size;
    if whole && size > limit {
        return Err(PropertiesError::TooLarge {
            path: path.to_string(),
            size,
            limit,
        });
    }
    let want = size.min(limit);
    let cap = usize::try_from(want).map_err(|_| PropertiesError::TooLarge {
        path: path.to_string(),
        size,
        limit,
    })?;
    let mut buf = Vec::with_capacity(cap);
    let r = wim.open_blob(&hash)?;
    r.take(want)
        .read_to_end(&mut buf)
        .map_err(|error| PropertiesError::Io {
            path: path.to_string(),
            error,
        })?;
    Ok(Some(buf))
}

/// Derives the properties of image `image` of `wim`; `Ok(None)` if it holds no Windows tree.
pub fn derive_image_properties(
    wim: &Wim,
    image: ImageIndex,
) -> Result<Option<ImageProperties>, PropertiesError> {
    let bytes = wim.metadata_bytes(image)?;
    let meta = ImageMetadata::parse(&bytes, wim.limits())?;
    derive_from_metadata(wim, &meta)
}

/// Derives the properties of an image whose metadata is already parsed.
pub fn derive_from_metadata(
    wim: &Wim,
    meta: &ImageMetadata,
) -> Result<Option<ImageProperties>, PropertiesError> {
    let tree = meta.tree();
    let Some(root) = find_system_root(tree) else {
        return Ok(None);
    };
    let dir = tree.dentry(root).name().to_string_lossy();
    let k32 = format!("{dir}/System32/kernel32.dll");
    let kernel32 = match rel_lookup(tree, root, "System32/kernel32.dll") {
        Some(id) => read_file(wim, tree, id, &k32, PE_PREFIX_LIMIT as u64, false)?,
        None => None,
    };
    let sw_path = format!("{dir}/System32/config/SOFTWARE");
    let software_data = match rel_lookup(tree, root, "System32/config/SOFTWARE") {
        Some(id) => read_file(wim, tree, id, &sw_path, MAX_HIVE_BYTES, true)?,
        None => None,
    };
    let sys_path = format!("{dir}/System32/config/SYSTEM");
    let system_data = match rel_lookup(tree, root, "System32/config/SYSTEM") {
        Some(id) => read_file(wim, tree, id, &sys_path, MAX_HIVE_BYTES, true)?,
        None => None,
    };
    derive_from_files(
        &dir,
        kernel32.as_deref(),
        software_data.as_deref(),
        system_data.as_deref(),
    )
    .map(Some)
}

/// Derives the properties from the files themselves: `system_root_dir` (the system root
/// directory's stored name), the first bytes of `System32\kernel32.dll` and the SOFTWARE
/// and SYSTEM hives (`None` = absent). Used by [`derive_from_metadata`] and by capture,
/// which reads the files from the source directory.
pub fn derive_from_files(
    system_root_dir: &str,
    kernel32: Option<&[u8]>,
    software_hive: Option<&[u8]>,
    system_hive: Option<&[u8]>,
) -> Result<ImageProperties, PropertiesError> {
    let dir = system_root_dir;
    let mut p = ImageProperties {
        system_root: dir.to_uppercase(),
        system_root_dir: dir.to_string(),
        control_set: 1,
        ..ImageProperties::default()
    };
    if let Some(data) = kernel32
        && let Ok(m) = pe_machine(data)
    {
        p.pe_machine = Some(m);
        p.arch = arch_of_machine(m);
    }
    if let Some(data) = software_hive {
        let sw_path = format!("{dir}/System32/config/SOFTWARE");
        let hive = Hive::parse(data).map_err(|error| PropertiesError::Hive {
            path: sw_path.clone(),
            error,
        })?;
        p.has_software_hive = true;
        software(&hive, &mut p).map_err(|error| PropertiesError::Hive {
            path: sw_path.clone(),
            error,
        })?;
    }
    if let Some(data) = system_hive {
        let sys_path = format!("{dir}/System32/config/SYSTEM");
        let hive = Hive::parse(data).map_err(|error| PropertiesError::Hive {
            path: sys_path.clone(),
            error,
        })?;
        p.has_system_hive = true;
        system(&hive, &mut p).map_err(|error| PropertiesError::Hive {
            path: sys_path.clone(),
            error,
        })?;
    }
    Ok(p)
}

fn val(k: &Key<'_, '_>, name: &str) -> Result<Option<RegValue>, HiveError> {
    match k.value(name)? {
        Some(v) => v.parse().map(Some),
        None => Ok(None),
    }
}

fn string(k: &Key<'_, '_>, name: &str) -> Result<Option<String>, HiveError> {
    Ok(val(k, name)?.and_then(|v| v.as_string().map(str::to_string)))
}

fn number(k: &Key<'_, '_>, name: &str) -> Result<Option<u64>, HiveError> {
    Ok(val(k, name)?.and_then(|v| v.as_number()))
}

/// Fills the SOFTWARE-derived fields from a parsed SOFTWARE hive.
pub fn software(hive: &Hive<'_>, p: &mut ImageProperties) -> Result<(), HiveError> {
    let Some(k) = hive.open_key(CURRENT_VERSION)? else {
        return Ok(());
    };
    p.edition_id = string(&k, "EditionID")?;
    p.product_name = string(&k, "ProductName")?;
    p.installation_type = string(&k, "InstallationType")?;
    p.major = number(&k, "CurrentMajorVersionNumber")?;
    p.minor = number(&k, "CurrentMinorVersionNumber")?;
    if (p.major.is_none() || p.minor.is_none())
        && let Some(cv) = string(&k, "CurrentVersion")?
    {
        let mut it = cv.trim().splitn(2, '.');
        let ma = it.next().and_then(|s| s.parse().ok());
        let mi = it.next().and_then(|s| s.parse().ok());
        p.major = p.major.or(ma);
        p.minor = p.minor.or(mi);
    }
    let build = match string(&k, "CurrentBuild")? {
        Some(b) if b.contains('.') => string(&k, "CurrentBuildNumber")?,
        Some(b) => Some(b),
        None => string(&k, "CurrentBuildNumber")?,
    };
    p.build = build.and_then(|b| b.trim().parse().ok());
    p.ubr = number(&k, "UBR")?;
    p.display_version = string(&k, "DisplayVersion")?;
    Ok(())
}

/// Resolves the current control set number through `Select\Current`, then
/// `Select\Default`, then 1; only numbers whose `ControlSet00N` key exists are taken.
pub fn current_control_set(hive: &Hive<'_>) -> Result<u32, HiveError> {
    if let Some(sel) = hive.open_key("Select")? {
        for name in ["Current", "Default"] {
            if let Some(n) = number(&sel, name)?
                && let Ok(n) = u32::try_from(n)
                && n > 0
                && n < 1000
                && hive.open_key(&format!("ControlSet{n:03}"))?.is_some()
            {
                return Ok(n);
            }
        }
    }
    Ok(1)
}

/// Fills the SYSTEM-derived fields from a parsed SYSTEM hive.
pub fn system(hive: &Hive<'_>, p: &mut ImageProperties) -> Result<(), HiveError> {
    let cs = current_control_set(hive)?;
    p.control_set = cs;
    let control = format!("ControlSet{cs:03}\\Control");
    if let Some(k) = hive.open_key(&format!("{control}\\Windows"))? {
        p.csd_build_number = number(&k, "CSDBuildNumber")?;
        p.splevel = number(&k, "CSDVersion")?.map(|v| v >> 8);
    }
    if let Some(k) = hive.open_key(&format!("{control}\\ProductOptions"))? {
        p.product_type = string(&k, "ProductType")?;
        p.product_suite = string(&k, "ProductSuite")?;
    }
    if let Some(k) = hive.open_key(&format!("{control}\\Class\\{HAL_CLASS}\\0000"))? {
        p.hal = string(&k, "MatchingDeviceId")?;
    }
    if let Some(k) = hive.open_key(&format!("{control}\\MUI\\UILanguages"))? {
        p.languages = k.subkeys()?.iter().map(Key::name).collect();
    }
    if let Some(k) = hive.open_key(&format!("{control}\\Nls\\Language"))? {
        p.default_language = string(&k, "InstallLanguage")?
            .and_then(|s| install_language_tag(&s))
            .map(str::to_string);
    }
    Ok(())
}

/// One place where an image's XML and its files disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The XML element path under `<IMAGE>` (e.g. `WINDOWS/VERSION/SPBUILD`).
    pub field: &'static str,
    /// The XML's value (`None` = element absent).
    pub xml: Option<String>,
    /// The value derived from the image's files (`None` = not derivable).
    pub derived: Option<String>,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = |v: &Option<String>| v.clone().unwrap_or_else(|| "(absent)".into());
        write!(
            f,
            "{}: XML has {}, image files say {}",
            self.field,
            s(&self.xml),
            s(&self.derived)
        )
    }
}

/// Lists every field where `xml` (the image's `<IMAGE>` element) disagrees with `props`
/// (with `SPBUILD` taken from `source`). Numbers compare numerically, languages as a set.
pub fn compare_with_xml(
    props: &ImageProperties,
    xml: &ImageInfo<'_>,
    source: SpBuildSource,
) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let mut text = |field: &'static str, derived: Option<String>| {
        let x = xml.get(field);
        if x.as_deref().map(str::trim) != derived.as_deref() {
            out.push(Mismatch {
                field,
                xml: x,
                derived,
            });
        }
    };
    text("WINDOWS/SYSTEMROOT", Some(props.system_root.clone()));
    text("WINDOWS/EDITIONID", props.edition_id.clone());
    text("WINDOWS/INSTALLATIONTYPE", props.installation_type.clone());
    text("WINDOWS/PRODUCTNAME", props.product_name.clone());
    text("WINDOWS/PRODUCTTYPE", props.product_type.clone());
    text("WINDOWS/PRODUCTSUITE", props.product_suite.clone());
    text("WINDOWS/HAL", props.hal.clone());
    text("WINDOWS/LANGUAGES/DEFAULT", props.default_language.clone());
    text("FLAGS", props.edition_id.clone());
    text("DISPLAYNAME", props.product_name.clone());
    text("DISPLAYDESCRIPTION", props.product_name.clone());
    let mut num = |field: &'static str, derived: Option<u64>| {
        let x = xml.get(field);
        let xn = x.as_deref().and_then(wim_format::xml::parse_number);
        if xn != derived || (x.is_some() && xn.is_none()) {
            out.push(Mismatch {
                field,
                xml: x,
                derived: derived.map(|d| d.to_string()),
            });
        }
    };
    num("WINDOWS/ARCH", props.arch.map(u64::from));
    num("WINDOWS/VERSION/MAJOR", props.major);
    num("WINDOWS/VERSION/MINOR", props.minor);
    num("WINDOWS/VERSION/BUILD", props.build);
    num("WINDOWS/VERSION/SPBUILD", props.spbuild(source));
    num("WINDOWS/VERSION/SPLEVEL", props.splevel);
    let xl = xml.windows().map(|w| w.languages()).unwrap_or_default();
    let norm = |v: &[String]| {
        let mut v: Vec<String> = v.iter().map(|s| s.trim().to_ascii_lowercase()).collect();
        v.sort();
        v
    };
    if norm(&xl) != norm(&props.languages) {
        let j = |v: &[String]| (!v.is_empty()).then(|| v.join(" "));
        out.push(Mismatch {
            field: "WINDOWS/LANGUAGES/LANGUAGE",
            xml: j(&xl),
            derived: j(&props.languages),
        });
    }
    out
}

//! Windows update packages (.msu, .cab): read-only identification.
//!
//! Installing them needs the Windows servicing stack (CBS/CSI) and is refused (see
//! `servicing.md`); [`inspect`] reads the identity from `update.mum`:
//!
//! ```text
//! .msu = CAB { Windows10.0-KBnnnn-x64.cab, ….xml, WSUSSCAN.cab, …pkgProperties.txt }
//!             └─ package CAB { update.mum, *.mum, *.cat, *.manifest, payload }
//! update.mum: <assembly><assemblyIdentity name version processorArchitecture language
//!             publicKeyToken/><package identifier="KBnnnn" releaseType=…>…
//! ```
//!
//! A WIM-format MSU (`MSWIM` magic, Windows 11 since build 25336) is recognised but not
//! opened here.

pub mod cab;

use cab::{CabError, Cabinet};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use wim_format::xml::Element;

/// `update.mum` larger than this is refused.
const MUM_LIMIT: u64 = 16 << 20;
/// An inner package CAB larger than this is refused.
const INNER_LIMIT: u64 = 8 << 30;

/// The identity of a Windows update package.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PackageIdentity {
    /// Container: `MSU (CAB)`, `CAB`.
    pub container: String,
    /// The package CAB's name inside an MSU.
    pub inner_cab: Option<String>,
    /// assemblyIdentity/@name (e.g. `Package_for_RollupFix`).
    pub name: String,
    /// The KB number (`KB5005565`), from package/@identifier or the name.
    pub kb: Option<String>,
    /// assemblyIdentity/@version.
    pub version: String,
    /// assemblyIdentity/@processorArchitecture.
    pub arch: String,
    /// assemblyIdentity/@language.
    pub language: String,
    /// assemblyIdentity/@publicKeyToken.
    pub public_key_token: String,
    /// package/@releaseType.
    pub release_type: Option<String>,
}

impl PackageIdentity {
    /// The CBS identity string `name~token~arch~lang~version` (`neutral` language empty).
    pub fn cbs_identity(&self) -> String {
        let lang = if self.language.eq_ignore_ascii_case("neutral") {
            ""
        } else {
            self.language.as_str()
        };
        format!(
            "{}~{}~{}~{}~{}",
            self.name, self.public_key_token, self.arch, lang, self.version
        )
    }
}

/// Why a package could not be inspected.
#[derive(Debug)]
pub enum PackageError {
    /// Reading the file failed.
    Io(std::io::Error),
    /// The cabinet is malformed or unsupported.
    Cab(CabError),
    /// The content is not a Windows update package.
    NotAPackage(String),
}

impl std::fmt::Display for PackageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PackageError::Io(e) => write!(f, "{e}"),
            PackageError::Cab(e) => write!(f, "{e}"),
            PackageError::NotAPackage(m) => f.write_str(m),
        }
    }
}
impl std::error::Error for PackageError {}
impl From<std::io::Error> for PackageError {
    fn from(e: std::io::Error) -> Self {
        PackageError::Io(e)
    }
}
impl From<CabError> for PackageError {
    fn from(e: CabError) -> Self {
        PackageError::Cab(e)
    }
}

/// What kind of Windows package `p` is (`None`: not one). Folders holding `update.mum`
/// count too.
pub fn sniff(p: &Path) -> Option<String> {
    if p.is_dir() {
        return p
            .join("update.mum")
            .is_file()
            .then(|| "extracted CBS package".into());
    }
    let mut m = [0u8; 8];
    let mut f = File::open(p).ok()?;
    f.read_exact(&mut m).ok()?;
    let ext = p
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if &m[..4] == b"MSCF" {
        return Some(if ext == "msu" {
            "MSU".into()
        } else {
            "CAB".into()
        });
    }
    if &m == b"MSWIM\0\0\0" && ext == "msu" {
        return Some("MSU (WIM container)".into());
    }
    None
}

fn attr(e: &Element, local: &str) -> Option<String> {
    e.attr(local).map(str::to_string)
}

fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

fn find<'a>(e: &'a Element, name: &str) -> Option<&'a Element> {
    e.elements().find(|c| local(&c.name) == name)
}

/// Parses an `update.mum` document.
pub fn parse_mum(bytes: &[u8]) -> Result<PackageIdentity, PackageError> {
    let text = crate::capture::config::decode_text(bytes);
    let doc = wim_format::xml::parse::parse_document(&text, 0, 64)
        .map_err(|e| PackageError::NotAPackage(format!("update.mum is not valid XML: {e}")))?;
    let root = &doc.root;
    if local(&root.name) != "assembly" {
        return Err(PackageError::NotAPackage(
            "update.mum has no <assembly> root".into(),
        ));
    }
    let id = find(root, "assemblyIdentity")
        .ok_or_else(|| PackageError::NotAPackage("update.mum has no <assemblyIdentity>".into()))?;
    let pkg = find(root, "package");
    let name = attr(id, "name").unwrap_or_default();
    let kb = pkg
        .and_then(|p| attr(p, "identifier"))
        .filter(|s| s.to_ascii_uppercase().starts_with("KB"))
        .or_else(|| {
            let u = name.to_ascii_uppercase();
            let at = u.find("KB")?;
            let digits: String = u[at + 2..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            (!digits.is_empty()).then(|| format!("KB{digits}"))
        });
    Ok(PackageIdentity {
        container: String::new(),
        inner_cab: None,
        name,
        kb,
        version: attr(id, "version").unwrap_or_default(),
        arch: attr(id, "processorArchitecture").unwrap_or_default(),
        language: attr(id, "language").unwrap_or_default(),
        public_key_token: attr(id, "publicKeyToken").unwrap_or_default(),
        release_type: pkg.and_then(|p| attr(p, "releaseType")),
    })
}

fn mum_of_cab(f: &mut (impl Read + std::io::Seek)) -> Result<PackageIdentity, PackageError> {
    let cab = Cabinet::parse(f)?;
    let Some(m) = cab.find("update.mum") else {
        return Err(PackageError::NotAPackage(
            "the cabinet holds no update.mum".into(),
        ));
    };
    let bytes = cab.read_file(f, m, MUM_LIMIT)?;
    parse_mum(&bytes)
}

/// Reads the identity of a .cab or .msu package (read-only).
pub fn inspect(p: &Path) -> Result<PackageIdentity, PackageError> {
    let mut f = BufReader::new(File::open(p)?);
    let mut magic = [0u8; 8];
    f.read_exact(&mut magic)?;
    if &magic == b"MSWIM\0\0\0" {
        return Err(PackageError::NotAPackage(
            "a WIM-format MSU (Windows 11 build 25336+): open it with `wimkit dir`".into(),
        ));
    }
    let cab = Cabinet::parse(&mut f)?;
    if cab.find("update.mum").is_some() {
        let mut id = mum_of_cab(&mut f)?;
        id.container = "CAB".into();
        return Ok(id);
    }
    // MSU: the package CAB is the .cab that is not WSUSSCAN.cab.
    let inner = cab
        .files
        .iter()
        .filter(|x| {
            let l = x.name.to_ascii_lowercase();
            l.ends_with(".cab") && !l.ends_with("wsusscan.cab")
        })
        .max_by_key(|x| x.size)
        .cloned()
        .ok_or_else(|| {
            PackageError::NotAPackage(
                "neither update.mum nor a package .cab inside: not a Windows update package".into(),
            )
        })?;
    let mut tmp = tempfile_in_tmp()?;
    cab.extract(&mut f, &inner, INNER_LIMIT, &mut tmp.1)?;
    use std::io::Seek;
    tmp.1.seek(std::io::SeekFrom::Start(0))?;
    let mut r = BufReader::new(&tmp.1);
    let res = mum_of_cab(&mut r);
    let _ = std::fs::remove_file(&tmp.0);
    let mut id = res?;
    id.container = "MSU (CAB)".into();
    id.inner_cab = Some(inner.name);
    Ok(id)
}

fn tempfile_in_tmp() -> std::io::Result<(std::path::PathBuf, File)> {
    let dir = std::env::temp_dir();
    for n in 0..1000u32 {
        let p = dir.join(format!("wimkit-msu-{}-{n}.cab", std::process::id()));
        match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&p)
        {
            Ok(f) => return Ok((p, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free temporary file name"))
}

//! A read-only parser of Windows registry hive files ("regf").
//!
//! Layout (msuhanov's "Windows registry file format specification", cross-checked with the
//! notes in `../shared/docs/servicing-research.md` §5):
//!
//! ```text
//! 0      base block, 4096 bytes: "regf", seq1 @4, seq2 @8, FILETIME @12, major @20,
//!        minor @24, type @28, format @32, root cell @36, hive-bins size @40,
//!        clustering @44, name @48 (64 bytes), XOR-32 checksum of 0..508 @508
//! 4096   hive bins: "hbin", offset @4 (relative to 4096), size @8 (multiple of 4096),
//!        then cells up to the end of the bin
//! cell   i32 size (negative = allocated, absolute value includes the 4-byte field),
//!        then data: nk (key), vk (value), li/lf/lh/ri (subkey lists), db (big data),
//!        sk (security), or raw data / offset arrays
//! ```
//!
//! Every cell offset is relative to the start of the hive bins (file offset 4096). Each one
//! read from the file is checked to land inside a hive bin, past its header, with the cell
//! (and the bytes the reader needs) ending inside the same bin. The parser borrows the input,
//! allocates only for names, lists and value data (all bounded by cell sizes already in the
//! input or by [`HiveLimits`]), never recurses on input structure (`ri` lists must point at
//! leaves), and [`walk`] bounds depth and detects cycles.
//!
//! A hive whose primary and secondary sequence numbers differ was not cleanly written: its
//! true state needs the transaction logs (`.LOG1`/`.LOG2`) replayed, which we do not do, so
//! it is refused with [`HiveErrorKind::Dirty`].

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

/// Size of the base block.
pub const BASE_BLOCK_SIZE: usize = 4096;
/// Largest data segment of a big-data (`db`) value.
pub const BIG_DATA_SEGMENT: usize = 16344;

/// Value type `REG_NONE`.
pub const REG_NONE: u32 = 0;
/// Value type `REG_SZ`.
pub const REG_SZ: u32 = 1;
/// Value type `REG_EXPAND_SZ`.
pub const REG_EXPAND_SZ: u32 = 2;
/// Value type `REG_BINARY`.
pub const REG_BINARY: u32 = 3;
/// Value type `REG_DWORD` (little-endian).
pub const REG_DWORD: u32 = 4;
/// Value type `REG_DWORD_BIG_ENDIAN`.
pub const REG_DWORD_BIG_ENDIAN: u32 = 5;
/// Value type `REG_LINK`.
pub const REG_LINK: u32 = 6;
/// Value type `REG_MULTI_SZ`.
pub const REG_MULTI_SZ: u32 = 7;
/// Value type `REG_QWORD` (little-endian).
pub const REG_QWORD: u32 = 11;

/// `nk` flag: the key is a symbolic link (`SymbolicLinkValue` holds the target).
pub const KEY_SYM_LINK: u16 = 0x0010;
/// `nk` flag: the name is stored as Latin-1 bytes instead of UTF-16LE.
pub const KEY_COMP_NAME: u16 = 0x0020;
/// `vk` flag: the name is stored as Latin-1 bytes instead of UTF-16LE.
pub const VALUE_COMP_NAME: u16 = 0x0001;

/// Stable classification of a [`HiveError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HiveErrorKind {
    /// Not a hive (no `regf` magic, file shorter than the base block).
    NotAHive,
    /// Primary and secondary sequence numbers differ: the hive needs log replay.
    Dirty,
    /// The base-block checksum is wrong.
    BadChecksum,
    /// Unsupported version or file type.
    Unsupported,
    /// A hive bin header is malformed or out of place.
    BadBin,
    /// A cell offset or size is out of bounds, or a cell has the wrong signature.
    BadCell,
    /// A [`HiveLimits`] bound was exceeded, or a cycle was found.
    Limit,
}

/// A hive parse error: what is wrong and where (file offset when known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HiveError {
    /// Classification.
    pub kind: HiveErrorKind,
    /// Human-readable detail.
    pub detail: String,
    /// File offset (from the start of the hive file) of the offending structure.
    pub offset: Option<u64>,
}

impl HiveError {
    fn new(kind: HiveErrorKind, detail: impl Into<String>) -> Self {
        HiveError {
            kind,
            detail: detail.into(),
            offset: None,
        }
    }
    fn at(mut self, file_offset: u64) -> Self {
        self.offset = Some(file_offset);
        self
    }
}

impl fmt::Display for HiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "registry hive: {}", self.detail)?;
        if let Some(o) = self.offset {
            write!(f, " (at file offset {o:#x})")?;
        }
        Ok(())
    }
}

impl std::error::Error for HiveError {}

/// Result alias of this module.
pub type HiveResult<T> = std::result::Result<T, HiveError>;

/// Bounds for hostile input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HiveLimits {
    /// Largest value data assembled from big-data segments (inline data is bounded by its
    /// cell anyway).
    pub max_value_bytes: usize,
    /// Deepest key nesting [`walk`] descends to.
    pub max_depth: u32,
    /// Most keys [`walk`] visits.
    pub max_keys: usize,
}

impl Default for HiveLimits {
    fn default() -> Self {
        HiveLimits {
            max_value_bytes: 64 << 20,
            max_depth: 512,
            max_keys: 4 << 20,
        }
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// The base block's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseBlock {
    /// Primary sequence number.
    pub primary_sequence: u32,
    /// Secondary sequence number.
    pub secondary_sequence: u32,
    /// Last written FILETIME.
    pub last_written: u64,
    /// Major version (1).
    pub major: u32,
    /// Minor version (3..=6).
    pub minor: u32,
    /// File type (0 = primary file).
    pub file_type: u32,
    /// File format (1 = direct memory load).
    pub file_format: u32,
    /// Root key cell offset (relative to the hive bins).
    pub root_cell: u32,
    /// Size of the hive bins data.
    pub hive_bins_size: u32,
    /// Stored checksum.
    pub checksum: u32,
}

/// The checksum of a base block: XOR of the 127 little-endian u32 words before offset 508,
/// with 0xFFFFFFFF mapped to 0xFFFFFFFE and 0 to 1.
pub fn base_block_checksum(block: &[u8]) -> Option<u32> {
    let b = block.get(..508)?;
    let x = b.chunks_exact(4).fold(0u32, |acc, c| {
        acc ^ u32::from_le_bytes([c[0], c[1], c[2], c[3]])
    });
    Some(match x {
        0xFFFF_FFFF => 0xFFFF_FFFE,
        0 => 1,
        v => v,
    })
}

/// A parsed hive borrowing its file bytes.
#[derive(Debug, Clone)]
pub struct Hive<'a> {
    data: &'a [u8],
    base: BaseBlock,
    /// Start offsets (relative to the hive bins) and sizes of the bins, ascending.
    bins: Vec<(u32, u32)>,
    limits: HiveLimits,
}

impl<'a> Hive<'a> {
    /// Parses a hive file held in memory with default limits.
    pub fn parse(data: &'a [u8]) -> HiveResult<Hive<'a>> {
        Self::parse_with(data, HiveLimits::default())
    }

    /// Parses a hive file: base block (magic, sequence numbers, checksum, version), then the
    /// chain of hive bin headers.
    pub fn parse_with(data: &'a [u8], limits: HiveLimits) -> HiveResult<Hive<'a>> {
        let head = data.get(..BASE_BLOCK_SIZE).ok_or_else(|| {
            HiveError::new(
                HiveErrorKind::NotAHive,
                format!(
                    "file is {} bytes, shorter than the 4096-byte base block",
                    data.len()
                ),
            )
        })?;
        if &head[..4] != b"regf" {
            return Err(HiveError::new(HiveErrorKind::NotAHive, "no \"regf\" signature").at(0));
        }
        let g = |at| u32_at(head, at).unwrap_or(0);
        let base = BaseBlock {
            primary_sequence: g(4),
            secondary_sequence: g(8),
            last_written: u64::from(g(12)) | (u64::from(g(16)) << 32),
            major: g(20),
            minor: g(24),
            file_type: g(28),
            file_format: g(32),
            root_cell: g(36),
            hive_bins_size: g(40),
            checksum: g(508),
        };
        if base.primary_sequence != base.secondary_sequence {
            return Err(HiveError::new(
                HiveErrorKind::Dirty,
                format!(
                    "dirty hive: primary sequence number {} != secondary sequence number {}; \
                     the hive was not written cleanly and needs its transaction logs \
                     (.LOG1/.LOG2) replayed, which is not supported",
                    base.primary_sequence, base.secondary_sequence
                ),
            )
            .at(4));
        }
        let want = base_block_checksum(head).unwrap_or(0);
        if want != base.checksum {
            return Err(HiveError::new(
                HiveErrorKind::BadChecksum,
                format!(
                    "base block checksum is {:#010x}, computed {want:#010x}",
                    base.checksum
                ),
            )
            .at(508));
        }
        if base.major != 1 || !(2..=6).contains(&base.minor) {
            return Err(HiveError::new(
                HiveErrorKind::Unsupported,
                format!("unsupported hive version {}.{}", base.major, base.minor),
            )
            .at(20));
        }
        if base.file_type != 0 {
            return Err(HiveError::new(
                HiveErrorKind::Unsupported,
                format!(
                    "file type {} is not a primary hive file (a log?)",
                    base.file_type
                ),
            )
            .at(28));
        }
        let avail = data.len() - BASE_BLOCK_SIZE;
        let declared = usize::try_from(base.hive_bins_size).unwrap_or(usize::MAX);
        if declared > avail {
            return Err(HiveError::new(
                HiveErrorKind::BadBin,
                format!("hive bins size {declared} exceeds the {avail} bytes after the base block"),
            )
            .at(40));
        }
        let mut bins = Vec::new();
        let mut pos = 0usize;
        while pos < declared {
            let file_off = (pos + BASE_BLOCK_SIZE) as u64;
            let h = data
                .get(BASE_BLOCK_SIZE + pos..)
                .and_then(|b| b.get(..32))
                .ok_or_else(|| {
                    HiveError::new(HiveErrorKind::BadBin, "truncated hive bin header").at(file_off)
                })?;
            if &h[..4] != b"hbin" {
                return Err(
                    HiveError::new(HiveErrorKind::BadBin, "no \"hbin\" signature").at(file_off),
                );
            }
            let off = u32_at(h, 4).unwrap_or(u32::MAX);
            let size = u32_at(h, 8).unwrap_or(0);
            if off as usize != pos {
                return Err(HiveError::new(
                    HiveErrorKind::BadBin,
                    format!("hive bin says it is at {off:#x}, found at {pos:#x}"),
                )
                .at(file_off + 4));
            }
            let end = pos.checked_add(size as usize);
            if size == 0 || !size.is_multiple_of(4096) || end.is_none_or(|e| e > declared) {
                return Err(HiveError::new(
                    HiveErrorKind::BadBin,
                    format!("hive bin size {size:#x} is not a non-zero multiple of 4096 within the hive bins"),
                )
                .at(file_off + 8));
            }
            bins.push((off, size));
            pos = end.unwrap_or(declared);
        }
        if bins.is_empty() {
            return Err(HiveError::new(HiveErrorKind::BadBin, "hive has no hive bins").at(40));
        }
        Ok(Hive {
            data,
            base,
            bins,
            limits,
        })
    }

    /// The base block.
    pub fn base_block(&self) -> &BaseBlock {
        &self.base
    }

    /// The limits in force.
    pub fn limits(&self) -> &HiveLimits {
        &self.limits
    }

    /// Data of the allocated cell at `off` (relative to the hive bins), without its size field.
    pub fn cell(&self, off: u32) -> HiveResult<&'a [u8]> {
        let file_off = u64::from(off) + BASE_BLOCK_SIZE as u64;
        let bad = |d: String| HiveError::new(HiveErrorKind::BadCell, d).at(file_off);
        let i = self.bins.partition_point(|&(start, _)| start <= off);
        let (start, size) = i
            .checked_sub(1)
            .and_then(|i| self.bins.get(i))
            .copied()
            .ok_or_else(|| bad(format!("cell offset {off:#x} is outside the hive bins")))?;
        let bin_end = u64::from(start) + u64::from(size);
        if u64::from(off) < u64::from(start) + 32 || u64::from(off) + 4 > bin_end {
            return Err(bad(format!(
                "cell offset {off:#x} is not inside the cells of a hive bin"
            )));
        }
        let at = BASE_BLOCK_SIZE + off as usize;
        let raw = u32_at(self.data, at).ok_or_else(|| bad("truncated cell".into()))?;
        let sz = raw as i32;
        if sz >= 0 {
            return Err(bad(format!(
                "cell at {off:#x} is free (size {sz}) but is referenced"
            )));
        }
        let len = u64::from(sz.unsigned_abs());
        if len < 4 || u64::from(off) + len > bin_end {
            return Err(bad(format!(
                "cell at {off:#x} of size {len} crosses its hive bin's end"
            )));
        }
        self.data
            .get(at + 4..at + len as usize)
            .ok_or_else(|| bad("truncated cell".into()))
    }

    /// Every cell of every hive bin as `(offset, size, allocated)`, validating that the cell
    /// sizes chain exactly to each bin's end.
    pub fn cells(&self) -> HiveResult<Vec<(u32, u32, bool)>> {
        let mut out = Vec::new();
        for &(start, size) in &self.bins {
            let end = u64::from(start) + u64::from(size);
            let mut off = u64::from(start) + 32;
            while off < end {
                let file_off = off + BASE_BLOCK_SIZE as u64;
                let raw = u32_at(self.data, file_off as usize).ok_or_else(|| {
                    HiveError::new(HiveErrorKind::BadCell, "truncated cell").at(file_off)
                })?;
                let sz = raw as i32;
                let len = u64::from(sz.unsigned_abs());
                if len < 8 || len % 8 != 0 || off + len > end {
                    return Err(HiveError::new(
                        HiveErrorKind::BadCell,
                        format!("cell size {sz} is not a multiple of 8 within its hive bin"),
                    )
                    .at(file_off));
                }
                out.push((off as u32, len as u32, sz < 0));
                off += len;
            }
        }
        Ok(out)
    }

    /// The root key.
    pub fn root(&self) -> HiveResult<Key<'a, '_>> {
        Key::at(self, self.base.root_cell)
    }

    /// Opens a key by a backslash- or slash-separated path from the root, comparing names
    /// case-insensitively as Windows does. `Ok(None)` when a component is missing.
    pub fn open_key(&self, path: &str) -> HiveResult<Option<Key<'a, '_>>> {
        let mut k = self.root()?;
        for comp in path.split(['\\', '/']).filter(|c| !c.is_empty()) {
            match k.subkey(comp)? {
                Some(s) => k = s,
                None => return Ok(None),
            }
        }
        Ok(Some(k))
    }

    /// A value of the key at `path`: `Ok(None)` if the key or value is absent.
    pub fn value(&self, path: &str, name: &str) -> HiveResult<Option<RegValue>> {
        match self.open_key(path)? {
            Some(k) => match k.value(name)? {
                Some(v) => v.parse().map(Some),
                None => Ok(None),
            },
            None => Ok(None),
        }
    }
}

/// Case-insensitive name comparison (simple Unicode upper-casing, as the registry does).
pub fn names_equal(a: &str, b: &str) -> bool {
    let mut x = a.chars().flat_map(char::to_uppercase);
    let mut y = b.chars().flat_map(char::to_uppercase);
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(p), Some(q)) if p == q => {}
            _ => return false,
        }
    }
}

fn decode_name(bytes: &[u8], compressed: bool) -> String {
    if compressed {
        bytes.iter().map(|&b| char::from(b)).collect()
    } else {
        let units = bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]));
        char::decode_utf16(units)
            .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect()
    }
}

/// A key (`nk` cell).
#[derive(Debug, Clone, Copy)]
pub struct Key<'a, 'h> {
    hive: &'h Hive<'a>,
    off: u32,
    cell: &'a [u8],
}

impl<'a, 'h> Key<'a, 'h> {
    fn at(hive: &'h Hive<'a>, off: u32) -> HiveResult<Self> {
        let cell = hive.cell(off)?;
        let file_off = u64::from(off) + BASE_BLOCK_SIZE as u64;
        if cell.len() < 76 || &cell[..2] != b"nk" {
            return Err(HiveError::new(
                HiveErrorKind::BadCell,
                format!("cell at {off:#x} is not a key (nk) cell"),
            )
            .at(file_off));
        }
        let name_len = u16_at(cell, 72).unwrap_or(0) as usize;
        if 76 + name_len > cell.len() {
            return Err(HiveError::new(
                HiveErrorKind::BadCell,
                format!("key name of {name_len} bytes overruns its cell at {off:#x}"),
            )
            .at(file_off));
        }
        Ok(Key { hive, off, cell })
    }

    fn field(&self, at: usize) -> u32 {
        u32_at(self.cell, at).unwrap_or(0)
    }

    /// Cell offset of this key.
    pub fn offset(&self) -> u32 {
        self.off
    }

    /// `nk` flags.
    pub fn flags(&self) -> u16 {
        u16_at(self.cell, 2).unwrap_or(0)
    }

    /// Whether the key is a symbolic link.
    pub fn is_symlink(&self) -> bool {
        self.flags() & KEY_SYM_LINK != 0
    }

    /// Last written FILETIME.
    pub fn last_written(&self) -> u64 {
        u64::from(self.field(4)) | (u64::from(self.field(8)) << 32)
    }

    /// Raw name bytes (Latin-1 when [`KEY_COMP_NAME`] is set, else UTF-16LE).
    pub fn raw_name(&self) -> &'a [u8] {
        let n = u16_at(self.cell, 72).unwrap_or(0) as usize;
        self.cell.get(76..76 + n).unwrap_or(&[])
    }

    /// The key name.
    pub fn name(&self) -> String {
        decode_name(self.raw_name(), self.flags() & KEY_COMP_NAME != 0)
    }

    /// Number of (stable) subkeys recorded in the key.
    pub fn subkey_count(&self) -> u32 {
        self.field(20)
    }

    /// Number of values recorded in the key.
    pub fn value_count(&self) -> u32 {
        self.field(36)
    }

    /// Offsets of the subkey `nk` cells, in list order (`li`/`lf`/`lh` leaves, or an `ri`
    /// index of leaves).
    pub fn subkey_offsets(&self) -> HiveResult<Vec<u32>> {
        let mut out = Vec::new();
        if self.subkey_count() == 0 {
            return Ok(out);
        }
        let list = self.field(28);
        self.read_list(list, true, &mut out)?;
        Ok(out)
    }

    fn read_list(&self, off: u32, allow_index: bool, out: &mut Vec<u32>) -> HiveResult<()> {
        let cell = self.hive.cell(off)?;
        let file_off = u64::from(off) + BASE_BLOCK_SIZE as u64;
        let bad = |d: String| HiveError::new(HiveErrorKind::BadCell, d).at(file_off);
        if cell.len() < 4 {
            return Err(bad(format!("subkey list at {off:#x} is too short")));
        }
        let count = u16_at(cell, 2).unwrap_or(0) as usize;
        let (stride, index) = match &cell[..2] {
            b"li" => (4, false),
            b"lf" | b"lh" => (8, false),
            b"ri" => (4, true),
            sig => {
                return Err(bad(format!(
                    "cell at {off:#x} is not a subkey list (signature {sig:02x?})"
                )));
            }
        };
        let need = count * stride + 4;
        if need > cell.len() {
            return Err(bad(format!(
                "subkey list at {off:#x} with {count} entries overruns its cell"
            )));
        }
        if index && !allow_index {
            return Err(bad(format!(
                "index (ri) list at {off:#x} nested inside another index"
            )));
        }
        for i in 0..count {
            let e = u32_at(cell, 4 + i * stride).unwrap_or(u32::MAX);
            if index {
                self.read_list(e, false, out)?;
            } else {
                out.push(e);
            }
        }
        Ok(())
    }

    /// The subkeys, in list order (sorted by upper-cased name in a well-formed hive).
    pub fn subkeys(&self) -> HiveResult<Vec<Key<'a, 'h>>> {
        self.subkey_offsets()?
            .into_iter()
            .map(|o| Key::at(self.hive, o))
            .collect()
    }

    /// The subkey named `name` (case-insensitive).
    pub fn subkey(&self, name: &str) -> HiveResult<Option<Key<'a, 'h>>> {
        for o in self.subkey_offsets()? {
            let k = Key::at(self.hive, o)?;
            if names_equal(&k.name(), name) {
                return Ok(Some(k));
            }
        }
        Ok(None)
    }

    /// The values, in list order.
    pub fn values(&self) -> HiveResult<Vec<Value<'a, 'h>>> {
        let n = self.value_count() as usize;
        if n == 0 {
            return Ok(Vec::new());
        }
        let off = self.field(40);
        let cell = self.hive.cell(off)?;
        if n.checked_mul(4).is_none_or(|b| b > cell.len()) {
            return Err(HiveError::new(
                HiveErrorKind::BadCell,
                format!(
                    "value list at {off:#x} with {n} entries overruns its cell (key at {:#x})",
                    self.off
                ),
            )
            .at(u64::from(off) + BASE_BLOCK_SIZE as u64));
        }
        (0..n)
            .map(|i| Value::at(self.hive, u32_at(cell, i * 4).unwrap_or(u32::MAX)))
            .collect()
    }

    /// The value named `name` (case-insensitive; `""` or `"@"` is the default value).
    pub fn value(&self, name: &str) -> HiveResult<Option<Value<'a, 'h>>> {
        let name = if name == "@" { "" } else { name };
        for v in self.values()? {
            if names_equal(&v.name(), name) {
                return Ok(Some(v));
            }
        }
        Ok(None)
    }
}

/// A value (`vk` cell).
#[derive(Debug, Clone, Copy)]
pub struct Value<'a, 'h> {
    hive: &'h Hive<'a>,
    off: u32,
    cell: &'a [u8],
}

impl<'a, 'h> Value<'a, 'h> {
    fn at(hive: &'h Hive<'a>, off: u32) -> HiveResult<Self> {
        let cell = hive.cell(off)?;
        let file_off = u64::from(off) + BASE_BLOCK_SIZE as u64;
        if cell.len() < 20 || &cell[..2] != b"vk" {
            return Err(HiveError::new(
                HiveErrorKind::BadCell,
                format!("cell at {off:#x} is not a value (vk) cell"),
            )
            .at(file_off));
        }
        let n = u16_at(cell, 2).unwrap_or(0) as usize;
        if 20 + n > cell.len() {
            return Err(HiveError::new(
                HiveErrorKind::BadCell,
                format!("value name of {n} bytes overruns its cell at {off:#x}"),
            )
            .at(file_off));
        }
        Ok(Value { hive, off, cell })
    }

    /// Cell offset of this value.
    pub fn offset(&self) -> u32 {
        self.off
    }

    /// `vk` flags.
    pub fn flags(&self) -> u16 {
        u16_at(self.cell, 16).unwrap_or(0)
    }

    /// The value name (`""` for the default value).
    pub fn name(&self) -> String {
        let n = u16_at(self.cell, 2).unwrap_or(0) as usize;
        decode_name(
            self.cell.get(20..20 + n).unwrap_or(&[]),
            self.flags() & VALUE_COMP_NAME != 0,
        )
    }

    /// The value type (`REG_*`).
    pub fn value_type(&self) -> u32 {
        u32_at(self.cell, 12).unwrap_or(0)
    }

    /// The declared data size.
    pub fn data_size(&self) -> u32 {
        u32_at(self.cell, 4).unwrap_or(0) & 0x7FFF_FFFF
    }

    /// The raw data: inline (≤ 4 bytes), one data cell, or big-data segments.
    pub fn data(&self) -> HiveResult<Cow<'a, [u8]>> {
        let raw_size = u32_at(self.cell, 4).unwrap_or(0);
        let size = (raw_size & 0x7FFF_FFFF) as usize;
        let file_off = u64::from(self.off) + BASE_BLOCK_SIZE as u64;
        let bad = |d: String| HiveError::new(HiveErrorKind::BadCell, d).at(file_off);
        if raw_size & 0x8000_0000 != 0 {
            if size > 4 {
                return Err(bad(format!("inline value data of {size} bytes (max 4)")));
            }
            return Ok(Cow::Borrowed(&self.cell[8..8 + size]));
        }
        if size == 0 {
            return Ok(Cow::Borrowed(&[]));
        }
        let data_off = u32_at(self.cell, 8).unwrap_or(u32::MAX);
        let cell = self.hive.cell(data_off)?;
        if size > BIG_DATA_SEGMENT && self.hive.base.minor >= 4 && cell.get(..2) == Some(b"db") {
            return self.big_data(cell, data_off, size).map(Cow::Owned);
        }
        cell.get(..size).map(Cow::Borrowed).ok_or_else(|| {
            bad(format!(
                "value data of {size} bytes overruns its {}-byte cell at {data_off:#x}",
                cell.len()
            ))
        })
    }

    fn big_data(&self, db: &'a [u8], db_off: u32, size: usize) -> HiveResult<Vec<u8>> {
        let file_off = u64::from(db_off) + BASE_BLOCK_SIZE as u64;
        let bad = |d: String| HiveError::new(HiveErrorKind::BadCell, d).at(file_off);
        if size > self.hive.limits.max_value_bytes {
            return Err(HiveError::new(
                HiveErrorKind::Limit,
                format!(
                    "value data of {size} bytes exceeds the limit of {}",
                    self.hive.limits.max_value_bytes
                ),
            )
            .at(file_off));
        }
        let count = u16_at(db, 2).unwrap_or(0) as usize;
        let list_off = u32_at(db, 4).ok_or_else(|| bad("truncated big-data cell".into()))?;
        let list = self.hive.cell(list_off)?;
        if count * 4 > list.len() {
            return Err(bad(format!(
                "big-data segment list of {count} entries overruns its cell"
            )));
        }
        if count
            .checked_mul(BIG_DATA_SEGMENT)
            .is_none_or(|cap| cap < size)
        {
            return Err(bad(format!(
                "{count} big-data segments cannot hold {size} bytes"
            )));
        }
        let mut out = Vec::with_capacity(size);
        for i in 0..count {
            if out.len() >= size {
                break;
            }
            let seg_off = u32_at(list, i * 4).unwrap_or(u32::MAX);
            let seg = self.hive.cell(seg_off)?;
            let want = (size - out.len()).min(BIG_DATA_SEGMENT);
            let part = seg.get(..want).ok_or_else(|| {
                bad(format!(
                    "big-data segment {i} at {seg_off:#x} holds {} bytes, {want} needed",
                    seg.len()
                ))
            })?;
            out.extend_from_slice(part);
        }
        if out.len() != size {
            return Err(bad(format!(
                "big-data segments hold {} of {size} bytes",
                out.len()
            )));
        }
        Ok(out)
    }

    /// The data decoded by type.
    pub fn parse(&self) -> HiveResult<RegValue> {
        let d = self.data()?;
        let ty = self.value_type();
        let four = |d: &[u8]| -> Option<[u8; 4]> { d.get(..4)?.try_into().ok() };
        Ok(match ty {
            REG_SZ => RegValue::Sz(utf16_until_nul(&d)),
            REG_EXPAND_SZ => RegValue::ExpandSz(utf16_until_nul(&d)),
            REG_MULTI_SZ => RegValue::MultiSz(utf16_multi(&d)),
            REG_DWORD if d.len() >= 4 => {
                RegValue::Dword(u32::from_le_bytes(four(&d).unwrap_or_default()))
            }
            REG_DWORD_BIG_ENDIAN if d.len() >= 4 => {
                RegValue::DwordBigEndian(u32::from_be_bytes(four(&d).unwrap_or_default()))
            }
            REG_QWORD if d.len() >= 8 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&d[..8]);
                RegValue::Qword(u64::from_le_bytes(b))
            }
            REG_BINARY => RegValue::Binary(d.into_owned()),
            _ => RegValue::Other {
                value_type: ty,
                data: d.into_owned(),
            },
        })
    }
}

fn utf16_units(d: &[u8]) -> impl Iterator<Item = u16> + '_ {
    d.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]]))
}

fn utf16_until_nul(d: &[u8]) -> String {
    let units: Vec<u16> = utf16_units(d).take_while(|&u| u != 0).collect();
    String::from_utf16_lossy(&units)
}

fn utf16_multi(d: &[u8]) -> Vec<String> {
    let units: Vec<u16> = utf16_units(d).collect();
    let mut out: Vec<String> = units
        .split(|&u| u == 0)
        .map(String::from_utf16_lossy)
        .collect();
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out
}

/// Decoded value data.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegValue {
    /// `REG_SZ` (cut at the first NUL).
    Sz(String),
    /// `REG_EXPAND_SZ` (cut at the first NUL).
    ExpandSz(String),
    /// `REG_MULTI_SZ` (trailing empty strings dropped).
    MultiSz(Vec<String>),
    /// `REG_DWORD`.
    Dword(u32),
    /// `REG_DWORD_BIG_ENDIAN`.
    DwordBigEndian(u32),
    /// `REG_QWORD`.
    Qword(u64),
    /// `REG_BINARY`.
    Binary(Vec<u8>),
    /// Any other type, or a number type with too little data.
    Other {
        /// The type code.
        value_type: u32,
        /// The raw data.
        data: Vec<u8>,
    },
}

impl RegValue {
    /// The value as a string: `REG_SZ`/`REG_EXPAND_SZ`, or the first string of a
    /// `REG_MULTI_SZ`.
    pub fn as_string(&self) -> Option<&str> {
        match self {
            RegValue::Sz(s) | RegValue::ExpandSz(s) => Some(s),
            RegValue::MultiSz(v) => v.first().map(String::as_str),
            _ => None,
        }
    }

    /// The value as a number: a DWORD/QWORD, or a string holding a decimal number
    /// (`0x`-prefixed hexadecimal accepted).
    pub fn as_number(&self) -> Option<u64> {
        match self {
            RegValue::Dword(v) | RegValue::DwordBigEndian(v) => Some(u64::from(*v)),
            RegValue::Qword(v) => Some(*v),
            _ => {
                let s = self.as_string()?.trim();
                match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                    Some(h) => u64::from_str_radix(h, 16).ok(),
                    None => s.parse().ok(),
                }
            }
        }
    }
}

/// Counts gathered by [`walk`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalkStats {
    /// Keys visited.
    pub keys: usize,
    /// Values decoded.
    pub values: usize,
    /// Deepest level reached (root = 0).
    pub max_depth: u32,
}

/// Walks the whole key tree depth-first (iteratively), decoding every value; refuses cycles
/// and trees beyond [`HiveLimits::max_depth`] / [`HiveLimits::max_keys`].
pub fn walk(hive: &Hive<'_>) -> HiveResult<WalkStats> {
    let mut stats = WalkStats::default();
    let mut seen = HashSet::new();
    let root = hive.root()?;
    let mut stack = vec![(root.offset(), 0u32)];
    while let Some((off, depth)) = stack.pop() {
        if !seen.insert(off) {
            return Err(HiveError::new(
                HiveErrorKind::Limit,
                format!("key at {off:#x} is reachable twice (cycle or shared subtree)"),
            )
            .at(u64::from(off) + BASE_BLOCK_SIZE as u64));
        }
        if depth > hive.limits.max_depth || seen.len() > hive.limits.max_keys {
            return Err(HiveError::new(
                HiveErrorKind::Limit,
                format!(
                    "key tree exceeds {} levels or {} keys",
                    hive.limits.max_depth, hive.limits.max_keys
                ),
            ));
        }
        let k = Key::at(hive, off)?;
        stats.keys += 1;
        stats.max_depth = stats.max_depth.max(depth);
        for v in k.values()? {
            v.parse()?;
            stats.values += 1;
        }
        for s in k.subkey_offsets()?.into_iter().rev() {
            stack.push((s, depth + 1));
        }
    }
    Ok(stats)
}

/// Fuzz entry point: parses `data` as a hive, validates the cell chain and walks everything.
/// Never panics; returns the walk's statistics or the first error.
pub fn fuzz_parse(data: &[u8]) -> HiveResult<WalkStats> {
    let hive = Hive::parse(data)?;
    hive.cells()?;
    walk(&hive)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A tiny hive builder for tests: cells appended into one hive bin.
    pub(crate) struct Builder {
        pub cells: Vec<u8>,
        pub minor: u32,
    }

    impl Builder {
        pub fn new() -> Self {
            Builder {
                cells: Vec::new(),
                minor: 5,
            }
        }
        /// Appends an allocated cell holding `data`; returns its offset.
        pub fn cell(&mut self, data: &[u8]) -> u32 {
            let off = 32 + self.cells.len() as u32;
            let len = (data.len() + 4).div_ceil(8) * 8;
            self.cells.extend_from_slice(&(-(len as i32)).to_le_bytes());
            self.cells.extend_from_slice(data);
            self.cells
                .resize(self.cells.len() + len - 4 - data.len(), 0);
            off
        }
        /// Offset the next cell will get.
        pub fn next(&self) -> u32 {
            32 + self.cells.len() as u32
        }
        pub fn nk(&mut self, name: &str, subkeys: u32, list: u32, values: &[u32]) -> u32 {
            let vl = if values.is_empty() {
                u32::MAX
            } else {
                let b: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
                self.cell(&b)
            };
            let mut d = vec![0u8; 76];
            d[..2].copy_from_slice(b"nk");
            d[2..4].copy_from_slice(&KEY_COMP_NAME.to_le_bytes());
            d[20..24].copy_from_slice(&subkeys.to_le_bytes());
            d[28..32].copy_from_slice(&list.to_le_bytes());
            d[36..40].copy_from_slice(&(values.len() as u32).to_le_bytes());
            d[40..44].copy_from_slice(&vl.to_le_bytes());
            d[72..74].copy_from_slice(&(name.len() as u16).to_le_bytes());
            d.extend_from_slice(name.as_bytes());
            self.cell(&d)
        }
        pub fn nk_utf16(&mut self, name: &str) -> u32 {
            let n: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
            let mut d = vec![0u8; 76];
            d[..2].copy_from_slice(b"nk");
            d[28..32].copy_from_slice(&u32::MAX.to_le_bytes());
            d[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
            d[72..74].copy_from_slice(&(n.len() as u16).to_le_bytes());
            d.extend_from_slice(&n);
            self.cell(&d)
        }
        pub fn vk(&mut self, name: &str, ty: u32, data: &[u8]) -> u32 {
            let (size, off) = if data.len() <= 4 {
                let mut b = [0u8; 4];
                b[..data.len()].copy_from_slice(data);
                (data.len() as u32 | 0x8000_0000, u32::from_le_bytes(b))
            } else if data.len() > BIG_DATA_SEGMENT {
                let segs: Vec<u32> = data
                    .chunks(BIG_DATA_SEGMENT)
                    .map(|c| self.cell(c))
                    .collect();
                let list: Vec<u8> = segs.iter().flat_map(|s| s.to_le_bytes()).collect();
                let l = self.cell(&list);
                let mut db = b"db".to_vec();
                db.extend_from_slice(&(segs.len() as u16).to_le_bytes());
                db.extend_from_slice(&l.to_le_bytes());
                (data.len() as u32, self.cell(&db))
            } else {
                (data.len() as u32, self.cell(data))
            };
            let mut d = vec![0u8; 20];
            d[..2].copy_from_slice(b"vk");
            d[2..4].copy_from_slice(&(name.len() as u16).to_le_bytes());
            d[4..8].copy_from_slice(&size.to_le_bytes());
            d[8..12].copy_from_slice(&off.to_le_bytes());
            d[12..16].copy_from_slice(&ty.to_le_bytes());
            d[16..18].copy_from_slice(&VALUE_COMP_NAME.to_le_bytes());
            d.extend_from_slice(name.as_bytes());
            self.cell(&d)
        }
        pub fn list(&mut self, sig: &[u8; 2], entries: &[u32]) -> u32 {
            let mut d = sig.to_vec();
            d.extend_from_slice(&(entries.len() as u16).to_le_bytes());
            for &e in entries {
                d.extend_from_slice(&e.to_le_bytes());
                if sig == b"lf" || sig == b"lh" {
                    d.extend_from_slice(&[0; 4]);
                }
            }
            self.cell(&d)
        }
        pub fn finish(&self, root: u32, seq: (u32, u32)) -> Vec<u8> {
            let used = 32 + self.cells.len();
            let mut bin_size = used.div_ceil(4096) * 4096;
            if bin_size - used < 8 && bin_size != used {
                bin_size += 4096;
            }
            let mut out = vec![0u8; BASE_BLOCK_SIZE];
            out[..4].copy_from_slice(b"regf");
            out[4..8].copy_from_slice(&seq.0.to_le_bytes());
            out[8..12].copy_from_slice(&seq.1.to_le_bytes());
            out[20..24].copy_from_slice(&1u32.to_le_bytes());
            out[24..28].copy_from_slice(&self.minor.to_le_bytes());
            out[32..36].copy_from_slice(&1u32.to_le_bytes());
            out[36..40].copy_from_slice(&root.to_le_bytes());
            out[40..44].copy_from_slice(&(bin_size as u32).to_le_bytes());
            out[44..48].copy_from_slice(&1u32.to_le_bytes());
            let ck = base_block_checksum(&out).unwrap_or(0);
            out[508..512].copy_from_slice(&ck.to_le_bytes());
            let mut bin = vec![0u8; 32];
            bin[..4].copy_from_slice(b"hbin");
            bin[8..12].copy_from_slice(&(bin_size as u32).to_le_bytes());
            bin.extend_from_slice(&self.cells);
            if bin.len() < bin_size {
                let free = (bin_size - bin.len()) as i32;
                bin.extend_from_slice(&free.to_le_bytes());
                bin.resize(bin_size, 0);
            }
            out.extend_from_slice(&bin);
            out
        }
    }

    fn utf16z(s: &str) -> Vec<u8> {
        s.encode_utf16()
            .chain([0])
            .flat_map(u16::to_le_bytes)
            .collect()
    }

    #[test]
    fn values_of_every_type() {
        let mut b = Builder::new();
        let big: Vec<u8> = (0..40_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mid: Vec<u8> = (0..9000u32).map(|i| i as u8).collect();
        let mut multi = utf16z("a");
        multi.extend(utf16z("bc"));
        multi.extend([0, 0]);
        let vals = [
            b.vk("Sz", REG_SZ, &utf16z("hello")),
            b.vk("Ex", REG_EXPAND_SZ, &utf16z("%SystemRoot%")),
            b.vk("Multi", REG_MULTI_SZ, &multi),
            b.vk("Dw", REG_DWORD, &0x473u32.to_le_bytes()),
            b.vk("DwBe", REG_DWORD_BIG_ENDIAN, &0x473u32.to_be_bytes()),
            b.vk("Qw", REG_QWORD, &0x1_0000_0001u64.to_le_bytes()),
            b.vk("Big", REG_BINARY, &big),
            b.vk("Mid", REG_BINARY, &mid),
            b.vk("", REG_SZ, &utf16z("default")),
        ];
        let root = b.nk("ROOT", 0, u32::MAX, &vals);
        let data = b.finish(root, (3, 3));
        let h = Hive::parse(&data).unwrap();
        let r = h.root().unwrap();
        assert_eq!(r.name(), "ROOT");
        let get = |n: &str| r.value(n).unwrap().unwrap().parse().unwrap();
        assert_eq!(get("sz"), RegValue::Sz("hello".into()));
        assert_eq!(get("EX"), RegValue::ExpandSz("%SystemRoot%".into()));
        assert_eq!(
            get("Multi"),
            RegValue::MultiSz(vec!["a".into(), "bc".into()])
        );
        assert_eq!(get("Dw"), RegValue::Dword(0x473));
        assert_eq!(get("DwBe"), RegValue::DwordBigEndian(0x473));
        assert_eq!(get("Qw"), RegValue::Qword(0x1_0000_0001));
        assert_eq!(get("Big"), RegValue::Binary(big.clone()));
        assert_eq!(get("Mid"), RegValue::Binary(mid));
        assert_eq!(get("@"), RegValue::Sz("default".into()));
        assert_eq!(get("Dw").as_number(), Some(0x473));
        assert_eq!(get("Multi").as_string(), Some("a"));
        let cells = h.cells().unwrap();
        assert!(cells.iter().any(|c| !c.2), "trailing free cell listed");
        assert_eq!(walk(&h).unwrap().values, 9);
        // Minor 3 hives have no big-data cells: the db cell is then read as raw data.
        let mut b3 = Builder {
            minor: 3,
            ..Builder::new()
        };
        let v = b3.vk("Big", REG_BINARY, &big);
        let root = b3.nk("R", 0, u32::MAX, &[v]);
        let d3 = b3.finish(root, (1, 1));
        let h3 = Hive::parse(&d3).unwrap();
        assert!(h3.value("", "Big").is_err());
    }

    #[test]
    fn subkey_lists_li_lf_lh_ri_and_names() {
        let mut b = Builder::new();
        let names: Vec<String> = (0..6).map(|i| format!("Key{i}")).collect();
        let ks: Vec<u32> = names.iter().map(|n| b.nk(n, 0, u32::MAX, &[])).collect();
        let wide = b.nk_utf16("Schlüssel™");
        let li = b.list(b"li", &ks[0..2]);
        let lf = b.list(b"lf", &ks[2..4]);
        let lh = b.list(b"lh", &[ks[4], ks[5], wide]);
        let ri = b.list(b"ri", &[li, lf, lh]);
        let root = b.nk("ROOT", 7, ri, &[]);
        let data = b.finish(root, (1, 1));
        let h = Hive::parse(&data).unwrap();
        let subs: Vec<String> = h
            .root()
            .unwrap()
            .subkeys()
            .unwrap()
            .iter()
            .map(Key::name)
            .collect();
        assert_eq!(subs.len(), 7);
        assert_eq!(&subs[..6], &names[..]);
        assert_eq!(subs[6], "Schlüssel™");
        assert!(h.open_key("\\key3").unwrap().is_some());
        assert!(h.open_key("SCHLÜSSEL™").unwrap().is_some());
        assert!(h.open_key("Key9").unwrap().is_none());
        assert_eq!(walk(&h).unwrap().keys, 8);
    }

    #[test]
    fn dirty_and_corrupt_hives_are_refused() {
        let mut b = Builder::new();
        let root = b.nk("ROOT", 0, u32::MAX, &[]);
        let dirty = b.finish(root, (5, 4));
        let e = Hive::parse(&dirty).unwrap_err();
        assert_eq!(e.kind, HiveErrorKind::Dirty);
        assert!(e.to_string().contains("dirty hive"), "{e}");
        assert!(e.to_string().contains("5") && e.to_string().contains("4"));

        let mut bad = b.finish(root, (1, 1));
        bad[508] ^= 1;
        assert_eq!(
            Hive::parse(&bad).unwrap_err().kind,
            HiveErrorKind::BadChecksum
        );

        let good = b.finish(root, (1, 1));
        assert_eq!(
            Hive::parse(&good[..4095]).unwrap_err().kind,
            HiveErrorKind::NotAHive
        );
        assert_eq!(
            Hive::parse(&good[..5000]).unwrap_err().kind,
            HiveErrorKind::BadBin
        );
        let mut nobin = good.clone();
        nobin[4096] = b'x';
        assert_eq!(Hive::parse(&nobin).unwrap_err().kind, HiveErrorKind::BadBin);
    }

    #[test]
    fn hostile_offsets_and_cycles_are_errors() {
        // A key whose subkey list points back at itself.
        let mut b = Builder::new();
        let at = b.next();
        // nk is written after its list cell: list cell at `at`, nk right after.
        let list_len = 16u32; // 4 size + "li" + count + 1 entry = 12 -> 16
        let root_off = at + list_len;
        let li = b.list(b"li", &[root_off]);
        assert_eq!(li, at);
        let root = b.nk("ROOT", 1, li, &[]);
        assert_eq!(root, root_off);
        let data = b.finish(root, (1, 1));
        let h = Hive::parse(&data).unwrap();
        assert_eq!(walk(&h).unwrap_err().kind, HiveErrorKind::Limit);

        // Out-of-bounds and free-cell references.
        let mut b = Builder::new();
        let li = b.list(b"li", &[0x7fff_fff0, 8, 0x20]);
        let root = b.nk("ROOT", 3, li, &[]);
        let data = b.finish(root, (1, 1));
        let h = Hive::parse(&data).unwrap();
        assert_eq!(
            h.root().unwrap().subkeys().unwrap_err().kind,
            HiveErrorKind::BadCell
        );
        // Nested ri.
        let mut b = Builder::new();
        let k = b.nk("K", 0, u32::MAX, &[]);
        let li = b.list(b"li", &[k]);
        let ri1 = b.list(b"ri", &[li]);
        let ri2 = b.list(b"ri", &[ri1]);
        let root = b.nk("ROOT", 1, ri2, &[]);
        let data = b.finish(root, (1, 1));
        let h = Hive::parse(&data).unwrap();
        assert!(h.root().unwrap().subkeys().is_err());
        // Every truncation and every single-byte corruption of a small hive: no panic.
        let mut b = Builder::new();
        let v = b.vk("V", REG_SZ, &utf16z("x"));
        let k = b.nk("K", 0, u32::MAX, &[v]);
        let lh = b.list(b"lh", &[k]);
        let root = b.nk("ROOT", 1, lh, &[]);
        let data = b.finish(root, (1, 1));
        assert_eq!(fuzz_parse(&data).unwrap().keys, 2);
        for n in 0..data.len().min(4096 + 512) {
            let _ = fuzz_parse(&data[..n]);
        }
        for i in 4096..4096 + 400 {
            for x in [0x00u8, 0xff, 0x80, 0x7f] {
                let mut d = data.clone();
                d[i] = x;
                let _ = fuzz_parse(&d);
            }
        }
    }
}

//! Microsoft Cabinet (CAB) reader: header, folders, files; uncompressed and MSZIP
//! folders (deflate per ≤ 32 KiB CFDATA block, `CK` signature, the previous block as
//! dictionary). Quantum and LZX folders are reported as unsupported.
//!
//! ```text
//! CFHEADER "MSCF" … coffFiles cFolders cFiles flags [reserve sizes + area] [prev/next names]
//! CFFOLDER × cFolders: coffCabStart u32, cCFData u16, typeCompress u16, [reserve]
//! CFFILE   × cFiles at coffFiles: cbFile, uoffFolderStart, iFolder, date, time, attribs, name\0
//! CFDATA   × cCFData at coffCabStart: csum u32, cbData u16, cbUncomp u16, [reserve], data
//! ```
//!
//! Every count, offset and size comes from the file: all are checked, and extraction
//! output is bounded by the caller's limit.

use std::io::{Read, Seek, SeekFrom, Write};

/// A CAB parsing or extraction failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CabError(pub String);

impl std::fmt::Display for CabError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for CabError {}

fn e<T>(m: impl Into<String>) -> Result<T, CabError> {
    Err(CabError(m.into()))
}

/// One folder (a compressed stream of concatenated files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CabFolder {
    /// Offset of the first CFDATA block.
    pub data_offset: u32,
    /// Number of CFDATA blocks.
    pub blocks: u16,
    /// Compression (low 4 bits: 0 none, 1 MSZIP, 2 Quantum, 3 LZX).
    pub compression: u16,
}

/// One file entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CabFile {
    /// Name (`\` separated; UTF-8 when the attribute says so, else Latin-1).
    pub name: String,
    /// Uncompressed size.
    pub size: u32,
    /// Offset in the folder's uncompressed stream.
    pub offset: u32,
    /// Folder index (special values ≥ 0xFFFD continue from other cabinets).
    pub folder: u16,
}

/// A parsed cabinet directory.
#[derive(Debug, Clone)]
pub struct Cabinet {
    /// Folders.
    pub folders: Vec<CabFolder>,
    /// Files.
    pub files: Vec<CabFile>,
    data_reserve: u8,
}

const MAX_FILES: usize = 1 << 20;
const BLOCK_MAX: usize = 32768;

fn read_exact<R: Read>(r: &mut R, n: usize) -> Result<Vec<u8>, CabError> {
    let mut v = vec![0u8; n];
    r.read_exact(&mut v)
        .map_err(|x| CabError(format!("truncated cabinet: {x}")))?;
    Ok(v)
}

fn u16le(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 2)
        .map_or(0, |s| u16::from_le_bytes([s[0], s[1]]))
}
fn u32le(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn read_cstr<R: Read>(r: &mut R, max: usize) -> Result<Vec<u8>, CabError> {
    let mut out = Vec::new();
    let mut b = [0u8; 1];
    loop {
        r.read_exact(&mut b)
            .map_err(|x| CabError(format!("truncated name: {x}")))?;
        if b[0] == 0 {
            return Ok(out);
        }
        if out.len() >= max {
            return e("name too long");
        }
        out.push(b[0]);
    }
}

impl Cabinet {
    /// Parses the header, folder and file tables.
    pub fn parse<R: Read + Seek>(r: &mut R) -> Result<Cabinet, CabError> {
        r.seek(SeekFrom::Start(0))
            .map_err(|x| CabError(x.to_string()))?;
        let h = read_exact(r, 36)?;
        if h.get(..4) != Some(b"MSCF") {
            return e("not a cabinet (no MSCF signature)");
        }
        let coff_files = u32le(&h, 16);
        let n_folders = u16le(&h, 26) as usize;
        let n_files = u16le(&h, 28) as usize;
        let flags = u16le(&h, 30);
        let (mut folder_reserve, mut data_reserve) = (0u8, 0u8);
        if flags & 4 != 0 {
            let x = read_exact(r, 4)?;
            let header_reserve = u16le(&x, 0) as usize;
            folder_reserve = x[2];
            data_reserve = x[3];
            read_exact(r, header_reserve)?;
        }
        if flags & 1 != 0 {
            read_cstr(r, 255)?;
            read_cstr(r, 255)?;
        }
        if flags & 2 != 0 {
            read_cstr(r, 255)?;
            read_cstr(r, 255)?;
        }
        let mut folders = Vec::with_capacity(n_folders);
        for _ in 0..n_folders {
            let f = read_exact(r, 8 + folder_reserve as usize)?;
            folders.push(CabFolder {
                data_offset: u32le(&f, 0),
                blocks: u16le(&f, 4),
                compression: u16le(&f, 6),
            });
        }
        if n_files > MAX_FILES {
            return e("too many files");
        }
        r.seek(SeekFrom::Start(u64::from(coff_files)))
            .map_err(|x| CabError(x.to_string()))?;
        let mut files = Vec::with_capacity(n_files.min(4096));
        for _ in 0..n_files {
            let f = read_exact(r, 16)?;
            let attribs = u16le(&f, 14);
            let raw = read_cstr(r, 1024)?;
            let name = if attribs & 0x80 != 0 {
                String::from_utf8_lossy(&raw).into_owned()
            } else {
                raw.iter().map(|&c| c as char).collect()
            };
            files.push(CabFile {
                name,
                size: u32le(&f, 0),
                offset: u32le(&f, 4),
                folder: u16le(&f, 8),
            });
        }
        Ok(Cabinet {
            folders,
            files,
            data_reserve,
        })
    }

    /// The first file whose name (case-insensitive, after the last `\`) is `base`.
    pub fn find(&self, base: &str) -> Option<&CabFile> {
        self.files.iter().find(|f| {
            f.name
                .rsplit(['\\', '/'])
                .next()
                .is_some_and(|b| b.eq_ignore_ascii_case(base))
        })
    }

    /// Writes the contents of `file` into `out`; refuses files over `limit` bytes.
    pub fn extract<R: Read + Seek, W: Write>(
        &self,
        r: &mut R,
        file: &CabFile,
        limit: u64,
        out: &mut W,
    ) -> Result<(), CabError> {
        if u64::from(file.size) > limit {
            return e(format!(
                "\"{}\" is {} bytes (limit {limit})",
                file.name, file.size
            ));
        }
        let Some(folder) = self.folders.get(file.folder as usize) else {
            return e(format!(
                "\"{}\" is in folder {} (spanning cabinets are not supported)",
                file.name, file.folder
            ));
        };
        let kind = folder.compression & 0xF;
        if kind != 0 && kind != 1 {
            return e(format!(
                "folder compression {} ({}) is not supported (only none and MSZIP)",
                kind,
                match kind {
                    2 => "Quantum",
                    3 => "LZX",
                    _ => "unknown",
                }
            ));
        }
        let start = u64::from(file.offset);
        let end = start + u64::from(file.size);
        r.seek(SeekFrom::Start(u64::from(folder.data_offset)))
            .map_err(|x| CabError(x.to_string()))?;
        // window: previous block's output (dictionary) followed by the current block.
        let mut window = vec![0u8; 2 * BLOCK_MAX];
        let mut prev_len = 0usize;
        let mut pos = 0u64;
        for i in 0..folder.blocks {
            if pos >= end {
                break;
            }
            let hdr = read_exact(r, 8 + self.data_reserve as usize)?;
            let cb = u16le(&hdr, 4) as usize;
            let ucb = u16le(&hdr, 6) as usize;
            if ucb > BLOCK_MAX {
                return e(format!(
                    "data block {i}: {ucb} bytes uncompressed (max 32768)"
                ));
            }
            let data = read_exact(r, cb)?;
            let produced: &[u8] = if kind == 0 {
                if cb != ucb {
                    return e(format!("data block {i}: stored sizes differ"));
                }
                &data
            } else {
                if data.get(..2) != Some(b"CK") {
                    return e(format!("data block {i}: missing MSZIP \"CK\" signature"));
                }
                // Keep the last block as dictionary at the start of the window.
                window.copy_within(BLOCK_MAX..BLOCK_MAX + prev_len, BLOCK_MAX - prev_len);
                let got = inflate_block(&data[2..], &mut window, BLOCK_MAX)
                    .map_err(|m| CabError(format!("data block {i}: {m}")))?;
                if got != ucb {
                    return e(format!(
                        "data block {i}: inflated to {got} bytes, header says {ucb}"
                    ));
                }
                prev_len = got;
                &window[BLOCK_MAX..BLOCK_MAX + got]
            };
            let b_start = pos;
            let b_end = pos + produced.len() as u64;
            if b_end > start && b_start < end {
                let from = start.saturating_sub(b_start) as usize;
                let to = (end.min(b_end) - b_start) as usize;
                out.write_all(&produced[from..to])
                    .map_err(|x| CabError(format!("writing \"{}\": {x}", file.name)))?;
            }
            pos = b_end;
        }
        if pos < end {
            return e(format!("\"{}\": the folder ends early", file.name));
        }
        Ok(())
    }

    /// [`Self::extract`] into memory.
    pub fn read_file<R: Read + Seek>(
        &self,
        r: &mut R,
        file: &CabFile,
        limit: u64,
    ) -> Result<Vec<u8>, CabError> {
        let mut v = Vec::new();
        self.extract(r, file, limit, &mut v)?;
        Ok(v)
    }
}

/// Inflates one raw deflate stream into `window[at..]`, with `window[..at]` as history.
fn inflate_block(src: &[u8], window: &mut [u8], at: usize) -> Result<usize, String> {
    use miniz_oxide::inflate::TINFLStatus;
    use miniz_oxide::inflate::core::{DecompressorOxide, decompress, inflate_flags};
    let mut d = DecompressorOxide::new();
    let flags = inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    let (status, _, written) = decompress(&mut d, src, window, at, flags);
    match status {
        TINFLStatus::Done => Ok(written),
        other => Err(format!("invalid MSZIP data ({other:?})")),
    }
}

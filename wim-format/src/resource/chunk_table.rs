//! Where each chunk of a resource lives: [`ChunkLayout`] for uncompressed, normal
//! compressed (chunk table first, 4- or 8-byte entries), pipable (u32 size prefix per
//! chunk, table last) and solid resources (see [`super::solid`]).

use super::{ResourceFlags, ResourceHeader};
use crate::error::{FormatError, FormatErrorKind};
use crate::header::WimHeader;
use crate::limits::Limits;
use crate::ondisk::pipable::PWM_CHUNK_PREFIX_SIZE;
use crate::source::ReadAt;
use crate::{Error, Result};
use wim_compress::CompressionKind;

/// Chunk size used to split uncompressed resources into units of work.
pub const RAW_CHUNK_SIZE: u32 = 1 << 20;

/// The chunks of one resource: their uncompressed sizes and where their compressed bytes
/// are in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkLayout {
    /// The codec; `None` when every chunk is stored raw.
    pub codec: Option<CompressionKind>,
    /// Uncompressed chunk size (all chunks but the last have it).
    pub chunk_size: u32,
    /// Uncompressed size of the resource.
    pub uncompressed_size: u64,
    /// Absolute file offset of the first chunk's data.
    pub data_start: u64,
    /// `None` for raw resources (chunk i at `data_start + i * chunk_size`); otherwise
    /// `num_chunks + 1` offsets of the chunks relative to `data_start`, not counting
    /// pipable size prefixes.
    offsets: Option<Vec<u64>>,
    /// Bytes of prefix before each chunk (4 in pipable resources, else 0).
    prefix: u64,
}

impl ChunkLayout {
    /// The layout of `reshdr` in a WIM with `header` (codec, chunk size, pipable),
    /// reading the chunk table from `src`. Checks the resource lies inside the file and
    /// charges `limits` (chunk size, expansion ratio) before allocating the table.
    pub fn read(
        src: &dyn ReadAt,
        reshdr: &ResourceHeader,
        header: &WimHeader,
        limits: &Limits,
    ) -> Result<Self> {
        let file_len = src.len().map_err(Error::from)?;
        reshdr.check_in_file(file_len)?;
        if reshdr.flags.contains(ResourceFlags::SOLID) && header.version.is_solid() {
            return super::solid::read_solid_layout(src, reshdr, limits);
        }
        if !reshdr.is_compressed() {
            return Self::raw(reshdr);
        }
        let Some(codec) = header.compression.kind() else {
            return Err(FormatError::new(
                FormatErrorKind::BadResourceHeader,
                "resource is flagged compressed in a WIM without compression",
            )
            .at(reshdr.offset)
            .into());
        };
        Self::read_table(
            src,
            reshdr,
            codec,
            header.chunk_size,
            header.pipable,
            limits,
        )
    }

    /// The layout of an uncompressed resource (size in file must equal uncompressed size).
    pub fn raw(reshdr: &ResourceHeader) -> Result<Self> {
        if reshdr.size_in_wim != reshdr.uncompressed_size {
            return Err(FormatError::new(
                FormatErrorKind::BadResourceHeader,
                format!(
                    "uncompressed resource has size {} in the file but {} uncompressed",
                    reshdr.size_in_wim, reshdr.uncompressed_size
                ),
            )
            .at(reshdr.offset)
            .into());
        }
        Ok(ChunkLayout {
            codec: None,
            chunk_size: RAW_CHUNK_SIZE,
            uncompressed_size: reshdr.uncompressed_size,
            data_start: reshdr.offset,
            offsets: None,
            prefix: 0,
        })
    }

    /// Reads the chunk table of a normal (or pipable) compressed resource.
    pub fn read_table(
        src: &dyn ReadAt,
        reshdr: &ResourceHeader,
        codec: CompressionKind,
        chunk_size: u32,
        pipable: bool,
        limits: &Limits,
    ) -> Result<Self> {
        let usize_ = reshdr.uncompressed_size;
        let csize = reshdr.size_in_wim;
        check_chunk_size(chunk_size, limits, reshdr.offset)?;
        check_expansion(usize_, csize, chunk_size, limits)?;
        let n = num_chunks(usize_, chunk_size);
        let entry_size: u64 = if usize_ > 0xFFFF_FFFF { 8 } else { 4 };
        let prefix = if pipable { PWM_CHUNK_PREFIX_SIZE } else { 0 };
        let table_bytes = n.saturating_sub(1).checked_mul(entry_size);
        let overhead = table_bytes.and_then(|t| t.checked_add(prefix.checked_mul(n)?));
        let data_len = overhead.and_then(|o| csize.checked_sub(o));
        let (Some(table_bytes), Some(data_len)) = (table_bytes, data_len) else {
            return Err(FormatError::new(
                FormatErrorKind::BadResource,
                format!("{n} chunks need a chunk table larger than the {csize}-byte resource"),
            )
            .at(reshdr.offset)
            .into());
        };
        let table_at = if pipable {
            reshdr.offset + (csize - table_bytes)
        } else {
            reshdr.offset
        };
        let data_start = if pipable {
            reshdr.offset
        } else {
            reshdr.offset + table_bytes
        };
        // table_bytes <= csize <= file length: the allocation is bounded by the file.
        let tb = usize::try_from(table_bytes).map_err(|_| too_big(reshdr.offset))?;
        let mut table = vec![0u8; tb];
        src.read_exact_at(&mut table, table_at)
            .map_err(|e| Error::io_at(e, table_at))?;
        let mut offsets =
            Vec::with_capacity(usize::try_from(n).map_err(|_| too_big(reshdr.offset))? + 1);
        offsets.push(0u64);
        for e in table.chunks_exact(entry_size as usize) {
            let v = if entry_size == 8 {
                u64::from_le_bytes(e.try_into().unwrap_or([0; 8]))
            } else {
                u32::from_le_bytes(e.try_into().unwrap_or([0; 4])) as u64
            };
            offsets.push(v);
        }
        if n > 0 {
            offsets.push(data_len);
        }
        let layout = ChunkLayout {
            codec: Some(codec),
            chunk_size,
            uncompressed_size: usize_,
            data_start,
            offsets: Some(offsets),
            prefix,
        };
        layout.validate(|i| {
            table_at.saturating_add(i.saturating_sub(1).saturating_mul(entry_size))
        })?;
        Ok(layout)
    }

    /// Builds a layout from already-parsed chunk sizes (solid resources).
    pub(crate) fn from_offsets(
        codec: Option<CompressionKind>,
        chunk_size: u32,
        uncompressed_size: u64,
        data_start: u64,
        offsets: Vec<u64>,
    ) -> Self {
        ChunkLayout {
            codec,
            chunk_size,
            uncompressed_size,
            data_start,
            offsets: Some(offsets),
            prefix: 0,
        }
    }

    /// Checks every chunk's compressed size is in `(0, uncompressed size]`.
    pub(crate) fn validate(&self, entry_at: impl Fn(u64) -> u64) -> Result<()> {
        for i in 0..self.num_chunks() {
            let (Some(a), Some(b)) = (self.offset(i), self.offset(i + 1)) else {
                continue;
            };
            let ulen = self.chunk_usize(i) as u64;
            let ok = b > a && b - a <= ulen;
            if !ok {
                let clen = b.wrapping_sub(a) as i128;
                let at = entry_at(i);
                return Err(FormatError::new(
                    FormatErrorKind::BadResource,
                    format!("chunk {i} has compressed size {clen}, not in 1..={ulen}"),
                )
                .at(at)
                .chunk(i)
                .into());
            }
        }
        Ok(())
    }

    fn offset(&self, i: u64) -> Option<u64> {
        self.offsets
            .as_ref()?
            .get(usize::try_from(i).ok()?)
            .copied()
    }

    /// Number of chunks.
    pub fn num_chunks(&self) -> u64 {
        num_chunks(self.uncompressed_size, self.chunk_size)
    }

    /// Uncompressed size of chunk `i` (0 if out of range).
    pub fn chunk_usize(&self, i: u64) -> usize {
        let start = i.saturating_mul(self.chunk_size as u64);
        let end = start
            .saturating_add(self.chunk_size as u64)
            .min(self.uncompressed_size);
        end.saturating_sub(start) as usize
    }

    /// Absolute file offset and compressed length of chunk `i`.
    pub fn chunk_file_range(&self, i: u64) -> Option<(u64, u64)> {
        if i >= self.num_chunks() {
            return None;
        }
        match &self.offsets {
            None => Some((
                self.data_start + i * self.chunk_size as u64,
                self.chunk_usize(i) as u64,
            )),
            Some(_) => {
                let a = self.offset(i)?;
                let b = self.offset(i + 1)?;
                let start = self
                    .data_start
                    .checked_add(a)?
                    .checked_add(self.prefix.checked_mul(i + 1)?)?;
                Some((start, b.checked_sub(a)?))
            }
        }
    }

    /// The first chunk covering uncompressed offset `off`.
    pub fn chunk_of(&self, off: u64) -> u64 {
        off / self.chunk_size.max(1) as u64
    }
}

/// `ceil(size / chunk)`.
pub fn num_chunks(size: u64, chunk: u32) -> u64 {
    if chunk == 0 {
        0
    } else {
        size.div_ceil(chunk as u64)
    }
}

pub(crate) fn check_chunk_size(cs: u32, limits: &Limits, at: u64) -> Result<()> {
    if cs == 0 || !cs.is_power_of_two() {
        return Err(FormatError::new(
            FormatErrorKind::BadChunkSize,
            format!("chunk size {cs} is not a power of two"),
        )
        .at(at)
        .into());
    }
    Limits::check("chunk size", cs as u64, limits.max_chunk_size)
}

pub(crate) fn check_expansion(usize_: u64, csize: u64, chunk: u32, limits: &Limits) -> Result<()> {
    let limit = csize
        .saturating_mul(limits.max_expansion_ratio)
        .saturating_add(chunk as u64);
    Limits::check(
        "resource uncompressed size (expansion ratio)",
        usize_,
        limit,
    )
}

fn too_big(at: u64) -> Error {
    FormatError::new(
        FormatErrorKind::BadResource,
        "chunk table too large for this platform",
    )
    .at(at)
    .into()
}

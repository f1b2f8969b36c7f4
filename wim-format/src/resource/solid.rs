//! Solid resources: a 16-byte header (uncompressed size, chunk size, format) overriding
//! the WIM header's codec, one u32 compressed size per chunk, then the chunks.

use super::ResourceHeader;
use super::chunk_table::{ChunkLayout, check_chunk_size, check_expansion, num_chunks};
use crate::bytes::Cursor;
use crate::error::{FormatError, FormatErrorKind};
use crate::limits::Limits;
use crate::ondisk::solid::{
    RawSolidHeader, SOLID_FORMAT_LZMS, SOLID_FORMAT_LZX, SOLID_FORMAT_NONE, SOLID_FORMAT_XPRESS,
    SOLID_HEADER_SIZE,
};
use crate::source::ReadAt;
use crate::{Error, Result};
use wim_compress::CompressionKind;

/// Reads and validates the header and chunk-size table of the solid resource `reshdr`.
pub fn read_solid_layout(
    src: &dyn ReadAt,
    reshdr: &ResourceHeader,
    limits: &Limits,
) -> Result<ChunkLayout> {
    let at = reshdr.offset;
    if reshdr.size_in_wim < SOLID_HEADER_SIZE as u64 {
        return Err(FormatError::new(
            FormatErrorKind::BadResource,
            format!(
                "solid resource of {} bytes is smaller than its header",
                reshdr.size_in_wim
            ),
        )
        .at(at)
        .into());
    }
    let mut hb = [0u8; SOLID_HEADER_SIZE];
    src.read_exact_at(&mut hb, at)
        .map_err(|e| Error::io_at(e, at))?;
    let h = RawSolidHeader::read(&mut Cursor::new(&hb, at, FormatErrorKind::BadResource))?;
    let codec = match h.format {
        SOLID_FORMAT_NONE => None,
        SOLID_FORMAT_XPRESS => Some(CompressionKind::Xpress),
        SOLID_FORMAT_LZX => Some(CompressionKind::Lzx),
        SOLID_FORMAT_LZMS => Some(CompressionKind::Lzms),
        f => {
            return Err(FormatError::new(
                FormatErrorKind::BadResource,
                format!("unknown solid compression format {f}"),
            )
            .at(at + 12)
            .into());
        }
    };
    check_chunk_size(h.chunk_size, limits, at + 8)?;
    check_expansion(
        h.uncompressed_size,
        reshdr.size_in_wim,
        h.chunk_size,
        limits,
    )?;
    let n = num_chunks(h.uncompressed_size, h.chunk_size);
    let avail = reshdr.size_in_wim - SOLID_HEADER_SIZE as u64;
    let table_bytes = n.checked_mul(4).filter(|&t| t <= avail).ok_or_else(|| {
        Error::from(
            FormatError::new(
                FormatErrorKind::BadResource,
                format!(
                    "{n} chunk sizes do not fit in the {}-byte solid resource",
                    reshdr.size_in_wim
                ),
            )
            .at(at),
        )
    })?;
    let table_at = at + SOLID_HEADER_SIZE as u64;
    let tb = usize::try_from(table_bytes)
        .map_err(|_| Error::format(FormatErrorKind::BadResource, "table too large"))?;
    let mut table = vec![0u8; tb];
    src.read_exact_at(&mut table, table_at)
        .map_err(|e| Error::io_at(e, table_at))?;
    let mut offsets = Vec::with_capacity(tb / 4 + 1);
    let mut sum = 0u64;
    offsets.push(0);
    for e in table.chunks_exact(4) {
        let c = u32::from_le_bytes(e.try_into().unwrap_or([0; 4])) as u64;
        sum = sum.saturating_add(c);
        offsets.push(sum);
    }
    let data_len = avail - table_bytes;
    if sum > data_len {
        return Err(FormatError::new(
            FormatErrorKind::BadResource,
            format!("solid chunks total {sum} bytes but only {data_len} follow the chunk table"),
        )
        .at(table_at)
        .into());
    }
    let layout = ChunkLayout::from_offsets(
        codec,
        h.chunk_size,
        h.uncompressed_size,
        table_at + table_bytes,
        offsets,
    );
    layout.validate(|i| table_at.saturating_add(i.saturating_mul(4)))?;
    Ok(layout)
}

//! The integrity table: SHA-1 of each fixed-size chunk of the file from byte 208 (end of
//! the header) to the end of the blob table. `wim-format.md` §8.

use crate::bytes::Cursor;
use crate::digest::Sha1Digest;
use crate::error::{FormatError, FormatErrorKind};
use crate::header::WimHeader;
use crate::limits::Limits;
use crate::ondisk::integrity::{
    INTEGRITY_ENTRY_SIZE, INTEGRITY_HEADER_SIZE, INTEGRITY_START, RawIntegrityHeader,
};
use crate::source::ReadAt;
use crate::{Error, Result};
use rayon::prelude::*;
use sha1::Digest;

/// A parsed integrity table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrityTable {
    /// Bytes covered by each hash (the last chunk may be shorter).
    pub chunk_size: u32,
    /// One SHA-1 per chunk.
    pub hashes: Vec<Sha1Digest>,
    /// File offset of the table (for messages).
    pub offset: u64,
}

impl IntegrityTable {
    /// Reads the integrity table of `header` from `src`; `None` if the WIM has none.
    pub fn read(src: &dyn ReadAt, header: &WimHeader, limits: &Limits) -> Result<Option<Self>> {
        let r = &header.integrity;
        if r.is_zero() {
            return Ok(None);
        }
        let bad = |d: String| {
            Error::from(FormatError::new(FormatErrorKind::BadIntegrityTable, d).at(r.offset))
        };
        if r.is_compressed() || r.size_in_wim != r.uncompressed_size {
            return Err(bad(
                "the integrity table resource must be uncompressed".into()
            ));
        }
        Limits::check(
            "integrity table size",
            r.size_in_wim,
            limits.max_integrity_bytes,
        )?;
        let file_len = src.len()?;
        r.check_in_file(file_len)?;
        let n =
            usize::try_from(r.size_in_wim).map_err(|_| bad("integrity table too large".into()))?;
        let mut data = vec![0u8; n];
        src.read_exact_at(&mut data, r.offset)
            .map_err(|e| Error::io_at(e, r.offset))?;
        Self::parse(&data, r.offset).map(Some)
    }

    /// Parses the table from its bytes (at file offset `at`).
    pub fn parse(data: &[u8], at: u64) -> Result<Self> {
        let mut c = Cursor::new(data, at, FormatErrorKind::BadIntegrityTable);
        let h = RawIntegrityHeader::read(&mut c)?;
        let bad = |d: String, o: u64| {
            Error::from(FormatError::new(FormatErrorKind::BadIntegrityTable, d).at(at + o))
        };
        if h.table_size as usize != data.len() {
            return Err(bad(
                format!(
                    "table size field {} differs from the resource size {}",
                    h.table_size,
                    data.len()
                ),
                0,
            ));
        }
        let want =
            (h.num_entries as u64) * INTEGRITY_ENTRY_SIZE as u64 + INTEGRITY_HEADER_SIZE as u64;
        if want != data.len() as u64 {
            return Err(bad(
                format!(
                    "{} entries need {want} bytes, table has {}",
                    h.num_entries,
                    data.len()
                ),
                4,
            ));
        }
        if h.chunk_size == 0 {
            return Err(bad("chunk size is 0".into(), 8));
        }
        let mut hashes = Vec::with_capacity(h.num_entries as usize);
        for _ in 0..h.num_entries {
            hashes.push(Sha1Digest(c.array()?));
        }
        Ok(IntegrityTable {
            chunk_size: h.chunk_size,
            hashes,
            offset: at,
        })
    }

    /// Hashes `[208, end)` of `src` in chunks of `chunk_size` bytes (in parallel).
    pub fn compute(src: &dyn ReadAt, end: u64, chunk_size: u32) -> Result<Vec<Sha1Digest>> {
        let (n, cs) = Self::geometry(end, chunk_size)?;
        let per = |i: u64| -> Result<Sha1Digest> {
            let start = INTEGRITY_START + i * cs;
            let len = cs.min(end - start);
            let mut buf = vec![0u8; 1 << 20];
            let mut h = sha1::Sha1::new();
            let mut done = 0u64;
            while done < len {
                let take = (len - done).min(buf.len() as u64) as usize;
                let b = &mut buf[..take];
                src.read_exact_at(b, start + done)
                    .map_err(|e| Error::io_at(e, start + done))?;
                h.update(&*b);
                done += take as u64;
            }
            Ok(Sha1Digest(h.finalize().into()))
        };
        (0..n).into_par_iter().map(per).collect()
    }

    fn geometry(end: u64, chunk_size: u32) -> Result<(u64, u64)> {
        if end < INTEGRITY_START || chunk_size == 0 {
            return Err(Error::format(
                FormatErrorKind::BadIntegrityTable,
                format!("nothing to check up to 0x{end:x}"),
            ));
        }
        let cs = chunk_size as u64;
        Ok(((end - INTEGRITY_START).div_ceil(cs), cs))
    }

    /// Checks the table against `src`, whose blob table ends at `end`.
    /// `BadIntegrityTable` at the first mismatching chunk's file offset.
    pub fn verify(&self, src: &dyn ReadAt, end: u64) -> Result<()> {
        let (n, cs) = Self::geometry(end, self.chunk_size)?;
        if n != self.hashes.len() as u64 {
            return Err(FormatError::new(
                FormatErrorKind::BadIntegrityTable,
                format!(
                    "table has {} entries but the covered range needs {n}",
                    self.hashes.len()
                ),
            )
            .at(self.offset + 4)
            .into());
        }
        let got = Self::compute(src, end, self.chunk_size)?;
        for (i, (a, b)) in got.iter().zip(&self.hashes).enumerate() {
            if a != b {
                let at = INTEGRITY_START + i as u64 * cs;
                return Err(FormatError::new(
                    FormatErrorKind::BadIntegrityTable,
                    format!("chunk {i} (bytes 0x{at:x}..) has SHA-1 {a}, table says {b}"),
                )
                .at(at)
                .chunk(i as u64)
                .into());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(chunk: u32, hashes: &[Sha1Digest]) -> Vec<u8> {
        let mut v = RawIntegrityHeader {
            table_size: (12 + 20 * hashes.len()) as u32,
            num_entries: hashes.len() as u32,
            chunk_size: chunk,
        }
        .to_bytes()
        .to_vec();
        for h in hashes {
            v.extend_from_slice(&h.0);
        }
        v
    }

    #[test]
    fn verifies_and_detects_corruption() {
        let mut file = vec![7u8; 208 + 250];
        let hs = IntegrityTable::compute(&file, file.len() as u64, 100).unwrap();
        assert_eq!(hs.len(), 3);
        assert_eq!(hs[2], Sha1Digest::of(&file[408..458]));
        let t = IntegrityTable::parse(&table(100, &hs), 1000).unwrap();
        t.verify(&file, file.len() as u64).unwrap();
        file[320] = 0;
        let e = t.verify(&file, file.len() as u64).unwrap_err();
        match e {
            Error::Format(f) => {
                assert_eq!(f.kind(), FormatErrorKind::BadIntegrityTable);
                assert_eq!(f.offset(), Some(308));
            }
            e => panic!("{e:?}"),
        }
        let e = t.verify(&file, file.len() as u64 + 100).unwrap_err();
        assert_eq!(e.format_kind(), Some(FormatErrorKind::BadIntegrityTable));
    }

    #[test]
    fn rejects_bad_tables() {
        let mut t = table(100, &[Sha1Digest::ZERO]);
        t[0] = 99;
        let e = IntegrityTable::parse(&t, 50).unwrap_err();
        assert_eq!(e.format_kind(), Some(FormatErrorKind::BadIntegrityTable));
        let mut t = table(100, &[Sha1Digest::ZERO]);
        t[4] = 2;
        match IntegrityTable::parse(&t, 50).unwrap_err() {
            Error::Format(f) => assert_eq!(
                (f.kind(), f.offset()),
                (FormatErrorKind::BadIntegrityTable, Some(54))
            ),
            e => panic!("{e:?}"),
        }
        let t = table(0, &[Sha1Digest::ZERO]);
        match IntegrityTable::parse(&t, 50).unwrap_err() {
            Error::Format(f) => assert_eq!(
                (f.kind(), f.offset()),
                (FormatErrorKind::BadIntegrityTable, Some(58))
            ),
            e => panic!("{e:?}"),
        }
        let e = IntegrityTable::parse(&[1, 2, 3], 50).unwrap_err();
        assert_eq!(e.format_kind(), Some(FormatErrorKind::BadIntegrityTable));
    }
}

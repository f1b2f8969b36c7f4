//! Writes a large multi-image WIM of generated data (no source files needed), for the
//! `service extract-index` memory benchmark (`benches/extract_index_rss.sh`).
//!
//! `cargo run --release -p wimkit-benches --example big_wim -- OUT TOTAL_MIB IMAGES [none|xpress]`
//!
//! Every image holds distinct pseudo-random files of 64 MiB (the last one shorter) plus
//! a few small files shared by all images, so images differ in content.

use std::io::Read;
use wim_format::WimWriterBuilder;
use wim_format::header::Compression;
use wim_format::metadata::model::{ImageTree, Inode};
use wim_format::write::writer::image_element;

/// An endless xorshift byte stream limited to `left` bytes.
struct Gen {
    x: u64,
    left: u64,
}

impl Read for Gen {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = out
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX))
            & !7;
        let n = if n == 0 {
            out.len().min(self.left as usize)
        } else {
            n
        };
        for c in out[..n].chunks_mut(8) {
            self.x ^= self.x << 13;
            self.x ^= self.x >> 7;
            self.x ^= self.x << 17;
            let b = self.x.to_le_bytes();
            c.copy_from_slice(&b[..c.len()]);
        }
        self.left -= n as u64;
        Ok(n)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 4 {
        eprintln!("usage: big_wim OUT TOTAL_MIB IMAGES [none|xpress]");
        std::process::exit(2);
    }
    let total: u64 = a[2].parse::<u64>()? << 20;
    let images: u64 = a[3].parse()?;
    let comp = match a.get(4).map(String::as_str) {
        Some("xpress") => Compression::Xpress,
        _ => Compression::None,
    };
    let mut w = WimWriterBuilder::new().compression(comp).create(&a[1])?;
    let per = total / images;
    const FILE: u64 = 64 << 20;
    for img in 0..images {
        let mut tree = ImageTree::new();
        let root = tree.root();
        for s in 0..4u64 {
            let h = w.add_blob_from_reader(
                &mut Gen {
                    x: 0x1234 + s,
                    left: 1 << 16,
                },
                1 << 16,
            )?;
            tree.add(root, &format!("shared{s}"), Inode::file(Some(h)))?;
        }
        let mut left = per;
        let mut i = 0u64;
        while left > 0 {
            let n = left.min(FILE);
            // Distinct, non-zero seeds (odd multiplier: a bijection).
            let seed = ((img << 32 | i) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let h = w.add_blob_from_reader(
                &mut Gen {
                    x: seed | 1,
                    left: n,
                },
                n,
            )?;
            tree.add(root, &format!("data{i:05}.bin"), Inode::file(Some(h)))?;
            left -= n;
            i += 1;
        }
        w.add_image(
            &tree,
            image_element(Some(&format!("image{}", img + 1)), None),
        )?;
        eprintln!("image {} done", img + 1);
    }
    let s = w.finish()?;
    println!("{} bytes, {} images", s.file_size, s.image_count);
    Ok(())
}

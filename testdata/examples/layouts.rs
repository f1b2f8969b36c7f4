//! Writes the victim in every layout to /tmp/layouts (manual inspection aid).
use wim_testdata::builder::{HDR_FLAG_LZX, HDR_FLAG_XPRESS, ResourceLayout};
use wim_testdata::mutation::victim;

fn main() -> std::io::Result<()> {
    let d = std::path::Path::new("/tmp/layouts");
    std::fs::create_dir_all(d)?;
    let v = victim();
    std::fs::write(d.join("plain.wim"), v.build().bytes)?;
    let x = v.clone().resource_layout(ResourceLayout::RawChunks { chunk_size: 32768, compression: HDR_FLAG_XPRESS });
    std::fs::write(d.join("xpress.wim"), x.build().bytes)?;
    let x = v.clone().resource_layout(ResourceLayout::RawChunks { chunk_size: 32768, compression: HDR_FLAG_LZX });
    std::fs::write(d.join("lzx4k.wim"), x.build().bytes)?;
    for f in 0..4 {
        let s = v.clone().resource_layout(ResourceLayout::Solid { chunk_size: 32768, format: f });
        std::fs::write(d.join(format!("solid{f}.wim")), s.build().bytes)?;
    }
    std::fs::write(d.join("integ.wim"), v.clone().integrity(16384).build().bytes)?;
    let parts = v.build_split(2);
    std::fs::write(d.join("split1.swm"), &parts[0].bytes)?;
    std::fs::write(d.join("split2.swm"), &parts[1].bytes)?;
    Ok(())
}

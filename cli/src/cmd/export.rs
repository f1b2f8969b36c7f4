//! `export SRC IMAGE|all DEST [NAME [DESC]]` plus the helpers shared by the writing
//! commands (option parsing, image selection, error mapping).

use super::ProgressMode;
use crate::args::image::not_valid;
use crate::args::write::OutputArgs;
use crate::args::{ExportArgs, ImageArg, expand_refs};
use crate::error::{CliError, ErrorCode};
use servicing::error::UsageKind;
use servicing::export::{ExportOptions, WriteOptions, export_images, image_names, src_xml};
use std::path::Path;
use wim_format::{ImageIndex, Wim};

/// The servicing output options of `--compress`, `--chunk-size`, ….
pub fn write_options(o: &OutputArgs) -> Result<WriteOptions, CliError> {
    let c = &o.codec;
    let compression = c.compression()?;
    Ok(WriteOptions {
        compression: compression.map(|x| x.ctype),
        level: compression.and_then(|x| x.level).unwrap_or(0),
        chunk_size: c.chunk_size()?,
        solid: c.solid,
        recompress: o.recompress,
        threads: c.threads,
        integrity: c.integrity()?,
        solid_compression: c.solid_compression()?.map(|x| x.ctype),
        solid_chunk_size: c.solid_chunk_size()?,
        pipable: c.pipable_choice(),
    })
}

/// Maps a servicing error of an operation on `wimfile`.
pub fn op_error(e: &servicing::Error, wimfile: &str) -> CliError {
    match e {
        servicing::Error::Usage(UsageKind::ImageNameCollision, m) => {
            CliError::lib(ErrorCode::ImageNameCollision, m.clone())
        }
        servicing::Error::Usage(UsageKind::InvalidParam, m) => {
            CliError::lib(ErrorCode::InvalidParam, m.clone())
        }
        servicing::Error::Wim(wim_format::Error::Usage(
            wim_format::error::UsageError::NoSuchImage(t),
        )) => not_valid(t, wimfile),
        other => super::apply::servicing_error(other, wimfile),
    }
}

/// Opens `path` (with references) for reading, with wimlib's open error.
pub fn open(path: &str, refs: &[String]) -> Result<Wim, CliError> {
    let refs = expand_refs(refs)?;
    Wim::options()
        .references(refs.iter().map(std::path::PathBuf::from))
        .open(path)
        .map_err(|e| crate::model::backend::lib_error(path, &e))
}

/// Resolves IMAGE (index, name, or `all`) against `wim`'s XML.
pub fn select(wim: &Wim, text: &str, wimfile: &str) -> Result<Vec<ImageIndex>, CliError> {
    let xml = src_xml(wim).map_err(|e| op_error(&e, wimfile))?;
    let names = image_names(&xml);
    let count = wim.image_count();
    let pick = match ImageArg::parse(text) {
        ImageArg::All => return Ok((1..=count).filter_map(ImageIndex::new).collect()),
        ImageArg::Index(n) => u32::try_from(n).ok().filter(|&n| n >= 1 && n <= count),
        ImageArg::Name(n) => names.iter().position(|x| *x == n).map(|p| p as u32 + 1),
    };
    pick.and_then(ImageIndex::new)
        .map(|i| vec![i])
        .ok_or_else(|| not_valid(text, wimfile))
}

/// Runs `export`.
pub fn run(a: &ExportArgs, _progress: ProgressMode) -> Result<(), CliError> {
    if let Some(name) = a.out.unsupported() {
        return Err(super::unsupported_option(name));
    }
    let src = open(&a.src, &a.refs)?;
    let images = select(&src, &a.image, &a.src)?;
    let wo = write_options(&a.out)?;
    let dest = Path::new(&a.dest);
    if dest.exists()
        && let Some(c) = wo.compression
    {
        let d = open(&a.dest, &[])?;
        if d.header().compression != c {
            return Err(CliError::Usage(
                "ERROR: Cannot specify a compression type that is not the same as that used in the destination WIM".into(),
            ));
        }
    }
    let opts = ExportOptions {
        write: wo,
        name: a.name.clone(),
        description: a.description.clone(),
        boot: a.boot,
        rebuild: a.rebuild,
    };
    if images.len() > 1 && (a.name.is_some() || a.description.is_some()) {
        return Err(CliError::Usage(
            "ERROR: Cannot specify a new name or description when exporting all images".into(),
        ));
    }
    if !a.delta_from.is_empty() {
        let bases: Vec<std::path::PathBuf> =
            a.delta_from.iter().map(std::path::PathBuf::from).collect();
        servicing::delta::export_delta(&src, &images, dest, &bases, &opts)
            .map_err(|e| op_error(&e, &a.dest))?;
        return Ok(());
    }
    export_images(&src, &images, dest, &opts).map_err(|e| op_error(&e, &a.dest))?;
    Ok(())
}

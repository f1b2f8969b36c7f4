//! `wimexport`: copy images from one WIM into a new or an existing WIM.
//!
//! ```text
//! for each image:  metadata → ImageTree → every blob: raw copy (same codec + chunk size,
//!                  non-solid) or decode + recompress → add_image(tree, source <IMAGE>)
//! new DEST:        temp file next to DEST, renamed over it at the end
//! existing DEST:   in-place append (header WRITE_IN_PROGRESS first, real header last)
//! ```
//!
//! The source `<IMAGE>` element is carried over whole (unknown elements included); the
//! writer renumbers INDEX and recomputes DIRCOUNT/FILECOUNT/TOTALBYTES/HARDLINKBYTES;
//! CREATIONTIME and LASTMODIFICATIONTIME stay those of the source image.

use crate::atomic::write_replacing;
use crate::error::{Error, Result, UsageKind};
use std::path::Path;
use wim_format::header::Compression;
use wim_format::metadata::ImageMetadata;
use wim_format::metadata::model::ImageTree;
use wim_format::write::writer::{default_chunk_size, image_element};
use wim_format::write::{WimOutput, WimWriter, WimWriterBuilder};
use wim_format::xml::{Element, XmlNode};
use wim_format::{ImageIndex, Sha1Digest, Wim};

/// Output settings shared by export, optimize, delete (rebuild) and join.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// Codec of the output (`None`: the source's, or the destination's on append).
    pub compression: Option<Compression>,
    /// Compression level (0 = codec default).
    pub level: u32,
    /// Chunk size (`None`: the source's when the codec is the same, else the default).
    pub chunk_size: Option<u32>,
    /// Write file data into solid resources (ESD).
    pub solid: bool,
    /// Decode and recompress every blob even when a raw copy would do.
    pub recompress: bool,
    /// Compression threads (0 = one per CPU).
    pub threads: usize,
    /// Integrity table: `Some(true)` write one, `Some(false)` none, `None` keep the
    /// source's (rebuilds) or the destination's (append).
    pub integrity: Option<bool>,
    /// Codec of solid resources (`--solid-compress`; default LZMS).
    pub solid_compression: Option<Compression>,
    /// Chunk size of solid resources (`--solid-chunk-size`; default 64 MiB for LZMS).
    pub solid_chunk_size: Option<u32>,
    /// Pipable output: `Some(true)` pipable, `Some(false)` not, `None` the default
    /// (a rebuild keeps the source's; a new export destination is not pipable; an
    /// existing destination keeps its own).
    pub pipable: Option<bool>,
}

/// What to export and how.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// Output settings.
    pub write: WriteOptions,
    /// New name (only with a single image).
    pub name: Option<String>,
    /// New description (only with a single image).
    pub description: Option<String>,
    /// Mark the (single) exported image bootable.
    pub boot: bool,
    /// Existing DEST: rewrite it whole (temp file + rename) instead of appending in
    /// place (`--rebuild`).
    pub rebuild: bool,
}

/// What an export did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportReport {
    /// Indices of the new images in the destination.
    pub new_indices: Vec<u32>,
    /// True when DEST existed and was appended to.
    pub appended: bool,
    /// Final size of DEST.
    pub file_size: u64,
}

fn usage(kind: UsageKind, msg: impl Into<String>) -> Error {
    Error::Usage(kind, msg.into())
}

/// Reads and models the metadata of `image`.
pub fn load_tree(src: &Wim, image: ImageIndex) -> Result<ImageTree> {
    let bytes = src.metadata_bytes(image)?;
    let meta = ImageMetadata::parse(&bytes, src.limits())?;
    Ok(ImageTree::from_metadata(&meta)?)
}

/// Adds one blob of `src` to `w`: raw copy when possible unless `recompress`.
fn copy_blob<W: WimOutput>(
    src: &Wim,
    w: &mut WimWriter<W>,
    h: &Sha1Digest,
    recompress: bool,
) -> Result<()> {
    if *h == Sha1Digest::EMPTY || w.contains_blob(h) {
        return Ok(());
    }
    if !recompress {
        w.copy_blob_raw(src, h)?;
        return Ok(());
    }
    let e = src.entry(h)?;
    let mut r = src.open_entry(e)?;
    let got = w.add_blob_from_reader(&mut r, e.size)?;
    if got != *h {
        return Err(wim_format::Error::from(
            wim_format::FormatError::new(
                wim_format::FormatErrorKind::HashMismatch,
                format!("recompressed blob has SHA-1 {got}"),
            )
            .blob(*h),
        )
        .into());
    }
    Ok(())
}

/// Copies image `image` of `src` into `w` with its blobs; the `<IMAGE>` element of the
/// source (unknown children included) is kept, with NAME/DESCRIPTION replaced when
/// given, and its timestamps are preserved. Returns the new index.
pub fn copy_image<W: WimOutput>(
    src: &Wim,
    image: ImageIndex,
    w: &mut WimWriter<W>,
    recompress: bool,
    name: Option<&str>,
    description: Option<&str>,
) -> Result<ImageIndex> {
    copy_image_with(src, image, w, recompress, name, description, &|_| None)
}

/// [`copy_image`], where `external(hash)` gives the size of a blob held by a delta base
/// (`--delta-from`): such blobs are referenced but not written
/// ([`WimWriter::add_external_blob`]).
pub fn copy_image_with<W: WimOutput>(
    src: &Wim,
    image: ImageIndex,
    w: &mut WimWriter<W>,
    recompress: bool,
    name: Option<&str>,
    description: Option<&str>,
    external: &dyn Fn(&Sha1Digest) -> Option<u64>,
) -> Result<ImageIndex> {
    let tree = load_tree(src, image)?;
    for h in in_source_order(src, tree.blob_references()) {
        if let Some(size) = external(&h) {
            w.add_external_blob(h, size);
            continue;
        }
        copy_blob(src, w, &h, recompress)?;
    }
    let xml = src_xml(src)?;
    let mut e = xml
        .image(image)
        .map(|i| i.element().clone())
        .unwrap_or_else(|| image_element(None, None));
    if let Some(n) = name {
        if n.is_empty() {
            e.remove_children("NAME");
        } else {
            e.set_child_text("NAME", n);
        }
    }
    if let Some(d) = description {
        e.set_child_text("DESCRIPTION", d);
    }
    let times: Vec<Element> = ["CREATIONTIME", "LASTMODIFICATIONTIME"]
        .iter()
        .filter_map(|t| e.child(t).cloned())
        .collect();
    let idx = w.add_image(&tree, e)?;
    if let Some(el) = w.xml_mut().image_element_mut(idx) {
        for t in times {
            let pos = el
                .children
                .iter()
                .position(|n| matches!(n, XmlNode::Element(x) if x.name == t.name));
            if let Some(p) = pos {
                el.children[p] = XmlNode::Element(t);
            }
        }
    }
    Ok(idx)
}

/// The digests of `refs` in the order their data lies in `src` (file, then offset;
/// blobs of solid resources and missing ones last, in digest order). Copied in this
/// order, the resources of an image captured in one go stay one contiguous run in the
/// output too, which the raw copier hands to the kernel in one call.
fn in_source_order(src: &Wim, refs: Vec<(Sha1Digest, u64)>) -> Vec<Sha1Digest> {
    let mut keyed: Vec<((usize, u64), Sha1Digest)> = refs
        .into_iter()
        .map(|(h, _)| {
            let key = match src.entry(&h).map(|e| &e.location) {
                Ok(wim_format::blob_table::BlobLocation::Resource { source, reshdr }) => {
                    (*source, reshdr.offset)
                }
                _ => (usize::MAX, u64::MAX),
            };
            (key, h)
        })
        .collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, h)| h).collect()
}

/// The parsed XML of `src` (empty document when the WIM has none).
pub fn src_xml(src: &Wim) -> Result<wim_format::xml::WimInfo> {
    let b = src.xml_bytes()?;
    if b.is_empty() {
        return Ok(wim_format::xml::WimInfo::new());
    }
    Ok(wim_format::xml::WimInfo::parse(&b, src.limits())?)
}

/// The image names of a WIM's XML (index order; empty string when unnamed).
pub fn image_names(xml: &wim_format::xml::WimInfo) -> Vec<String> {
    xml.images().map(|i| i.name().unwrap_or_default()).collect()
}

/// A builder for a new WIM written from `src` with `opts`: codec and chunk size default
/// to the source's; a solid source stays solid unless another codec is asked for.
pub fn new_builder(src: &Wim, opts: &WriteOptions) -> Result<WimWriterBuilder> {
    let h = src.header();
    let src_solid = h.version.is_solid();
    let solid =
        opts.solid || (src_solid && opts.compression.is_none() && opts.pipable != Some(true));
    let compression = match opts.compression {
        Some(c) => c,
        None if opts.solid && !src_solid => Compression::Lzms,
        None => h.compression,
    };
    let chunk = match opts.chunk_size {
        Some(c) => c,
        None if compression == h.compression && compression != Compression::None => h.chunk_size,
        None => default_chunk_size(compression),
    };
    let integrity = opts.integrity.unwrap_or(h.integrity.offset != 0);
    let mut b = WimWriterBuilder::new();
    if let Some(c) = opts.solid_compression {
        b = b.solid_compression(c);
    }
    if let Some(cs) = opts.solid_chunk_size {
        b = b.solid_chunk_size(cs);
    }
    let b = b
        .header_flags(h.flags & wim_format::header::HeaderFlags::RP_FIX)
        .compression(compression)
        .chunk_size(chunk)
        .level(opts.level)
        .solid(solid)
        .threads(opts.threads)
        .integrity(integrity);
    Ok(b)
}

/// Exports `images` of `src` to `dest`: appended in place when `dest` exists, else a new
/// WIM (written to a temporary file and renamed).
pub fn export_images(
    src: &Wim,
    images: &[ImageIndex],
    dest: &Path,
    opts: &ExportOptions,
) -> Result<ExportReport> {
    if images.len() != 1 && (opts.name.is_some() || opts.description.is_some() || opts.boot) {
        return Err(usage(
            UsageKind::InvalidParam,
            "a new name, description or --boot needs a single source image",
        ));
    }
    let src_xml = src_xml(src)?;
    let wanted: Vec<String> = images
        .iter()
        .map(|&i| {
            if images.len() == 1
                && let Some(n) = &opts.name
            {
                return n.clone();
            }
            src_xml.image(i).and_then(|x| x.name()).unwrap_or_default()
        })
        .collect();
    let recompress = opts.write.recompress;
    let to_stdout = dest.as_os_str() == "-";
    let dest_pipable =
        !to_stdout && dest.exists() && Wim::open(dest).is_ok_and(|d| d.header().pipable);
    let pipable = to_stdout
        || opts.write.pipable == Some(true)
        || (dest_pipable && opts.write.pipable != Some(false));
    if pipable || (opts.rebuild && dest.exists()) {
        return export_rebuilding(src, images, dest, opts, &wanted, pipable);
    }
    if dest.exists() {
        let old = Wim::open(dest)?;
        let dh = old.header().clone();
        if let Some(c) = opts.write.compression
            && c != dh.compression
        {
            return Err(usage(
                UsageKind::InvalidParam,
                "Cannot specify a compression type that is not the same as that used in the destination WIM",
            ));
        }
        let names = image_names(&src_xml_of(&old)?);
        for n in wanted.iter().filter(|n| !n.is_empty()) {
            if names.iter().any(|x| x == n) {
                return Err(usage(
                    UsageKind::ImageNameCollision,
                    format!("There is already an image named \"{n}\" in the destination WIM"),
                ));
            }
        }
        drop(old);
        let mut b = WimWriterBuilder::new()
            .level(opts.write.level)
            .threads(opts.write.threads)
            .solid(opts.write.solid);
        if let Some(i) = opts.write.integrity {
            b = b.integrity(i);
        }
        let w = b.append(dest)?;
        let (new, s) = copy_images_into(src, images, w, recompress, opts)?;
        return Ok(ExportReport {
            new_indices: new,
            appended: true,
            file_size: s.file_size,
        });
    }
    let b = new_builder(src, &opts.write)?;
    write_replacing(dest, |tmp| {
        let w = b.create(tmp)?;
        let (new, s) = copy_images_into(src, images, w, recompress, opts)?;
        Ok(ExportReport {
            new_indices: new,
            appended: false,
            file_size: s.file_size,
        })
    })
}

/// Copies `images` into `w` (name, description and boot flag from `opts`) and finishes
/// it: the part shared by exporting into an existing WIM and into a new one.
fn copy_images_into<W: WimOutput>(
    src: &Wim,
    images: &[ImageIndex],
    mut w: WimWriter<W>,
    recompress: bool,
    opts: &ExportOptions,
) -> Result<(Vec<u32>, wim_format::write::writer::Summary)> {
    if !recompress {
        raw_copy_solid_resources(src, images, &mut w)?;
    }
    let mut new = Vec::new();
    for &i in images {
        let idx = copy_image(
            src,
            i,
            &mut w,
            recompress,
            opts.name.as_deref(),
            opts.description.as_deref(),
        )?;
        new.push(idx.get());
    }
    if opts.boot
        && let Some(&n) = new.first()
    {
        w.set_boot_index(n);
    }
    let s = w.finish()?;
    Ok((new, s))
}

/// Refuses solid output for a pipable WIM, with wimlib's message.
pub fn check_pipable_options(opts: &WriteOptions) -> Result<()> {
    if opts.solid {
        return Err(usage(
            UsageKind::InvalidParam,
            "Solid compression is unsupported in pipable WIMs",
        ));
    }
    Ok(())
}

/// Export that writes DEST whole: a new pipable file or stdout, or (existing DEST,
/// `--rebuild` or pipable) a new file with DEST's images first and the exported ones
/// after, renamed over DEST; pipable when `pipable`.
fn export_rebuilding(
    src: &Wim,
    images: &[ImageIndex],
    dest: &Path,
    opts: &ExportOptions,
    wanted: &[String],
    pipable: bool,
) -> Result<ExportReport> {
    use crate::pipable::{PipeTarget, via_scratch};
    if pipable {
        check_pipable_options(&opts.write)?;
    }
    let target = PipeTarget::from_arg(dest);
    let recompress = opts.write.recompress;
    let mut wo = opts.write.clone();
    wo.pipable = Some(true);
    if matches!(target, PipeTarget::File(_)) && dest.exists() {
        let old = Wim::open(dest)?;
        let dh = old.header().clone();
        if dh.is_split() {
            return Err(usage(
                UsageKind::InvalidParam,
                "cannot export into a split WIM",
            ));
        }
        if let Some(c) = opts.write.compression
            && c != dh.compression
        {
            return Err(usage(
                UsageKind::InvalidParam,
                "Cannot specify a compression type that is not the same as that used in the destination WIM",
            ));
        }
        let names = image_names(&src_xml_of(&old)?);
        for n in wanted.iter().filter(|n| !n.is_empty()) {
            if names.iter().any(|x| x == n) {
                return Err(usage(
                    UsageKind::ImageNameCollision,
                    format!("There is already an image named \"{n}\" in the destination WIM"),
                ));
            }
        }
        let integrity = opts.write.integrity.unwrap_or(dh.integrity.offset != 0);
        wo.integrity = Some(!pipable && integrity);
        wo.pipable = Some(pipable);
        wo.compression = None;
        wo.chunk_size = None;
        let b = new_builder(&old, &wo)?
            .guid(dh.guid.0)
            .boot_index(dh.boot_index)
            .header_flags(dh.flags & wim_format::header::HeaderFlags::RP_FIX);
        let n_old = old.image_count();
        let fill = |tmp: &Path| {
            let mut w = b.create(tmp)?;
            for i in (1..=n_old).filter_map(ImageIndex::new) {
                copy_image(&old, i, &mut w, false, None, None)?;
            }
            copy_images_into(src, images, w, recompress, opts)
        };
        let (r, size) = if pipable {
            let ((r, _), s) = via_scratch(target, integrity, fill)?;
            (r, s.file_size)
        } else {
            let (r, s) = write_replacing(dest, fill)?;
            (r, s.file_size)
        };
        return Ok(ExportReport {
            new_indices: r,
            appended: true,
            file_size: size,
        });
    }
    let integrity = opts
        .write
        .integrity
        .unwrap_or(src.header().integrity.offset != 0);
    wo.integrity = Some(false);
    let b = new_builder(src, &wo)?;
    let (new, s) = via_scratch(target, integrity, |tmp| {
        let w = b.create(tmp)?;
        let (new, _) = copy_images_into(src, images, w, recompress, opts)?;
        Ok(new)
    })?;
    Ok(ExportReport {
        new_indices: new,
        appended: false,
        file_size: s.file_size,
    })
}

/// Solid output from a solid source: every solid resource of `src` whose listed blobs
/// are all used by `images` is copied byte for byte ([`WimWriter::copy_solid_resource_raw`],
/// when its codec and chunk size are the writer's); the other blobs are recompressed
/// later as usual. Call before any file data is added to `w`.
pub fn raw_copy_solid_resources<W: WimOutput>(
    src: &Wim,
    images: &[ImageIndex],
    w: &mut WimWriter<W>,
) -> Result<usize> {
    use std::collections::{BTreeMap, HashSet};
    use wim_format::blob_table::{BlobEntry, BlobLocation};
    if !w.is_solid() {
        return Ok(0);
    }
    let mut wanted: HashSet<Sha1Digest> = HashSet::new();
    for &i in images {
        for (h, _) in load_tree(src, i)?.blob_references() {
            wanted.insert(h);
        }
    }
    // Resources keyed by (file, offset), in file order: deterministic.
    let mut groups: BTreeMap<(usize, u64), Vec<&BlobEntry>> = BTreeMap::new();
    for e in src.blob_table().entries() {
        if let BlobLocation::Solid { resource, .. } = &e.location {
            groups
                .entry((resource.source, resource.reshdr.offset))
                .or_default()
                .push(e);
        }
    }
    let mut copied = 0;
    for blobs in groups.values() {
        if !blobs.iter().all(|e| wanted.contains(&e.hash)) {
            continue;
        }
        let Some(BlobLocation::Solid { resource, .. }) = blobs.first().map(|e| &e.location) else {
            continue;
        };
        if w.copy_solid_resource_raw(src, resource, blobs)? {
            copied += 1;
        }
    }
    Ok(copied)
}

fn src_xml_of(w: &Wim) -> Result<wim_format::xml::WimInfo> {
    src_xml(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn blobs_are_taken_in_source_offset_order() {
        let mut w = WimWriterBuilder::new()
            .compression(Compression::Xpress)
            .build(Cursor::new(Vec::new()))
            .unwrap();
        // Written in this order; digest order differs (checked below).
        let hs: Vec<Sha1Digest> = (0..12u8)
            .map(|i| w.add_blob(&vec![i; 1000 + usize::from(i)]).unwrap())
            .collect();
        let mut tree = ImageTree::new();
        let root = tree.root();
        for (i, h) in hs.iter().enumerate() {
            tree.add(
                root,
                &format!("f{i}"),
                wim_format::metadata::model::Inode::file(Some(*h)),
            )
            .unwrap();
        }
        w.add_image(&tree, image_element(None, None)).unwrap();
        let (_, out) = w.finish_into_inner().unwrap();
        let src = Wim::from_read_at(out.into_inner()).unwrap();
        let refs = tree.blob_references();
        assert_ne!(
            refs.iter().map(|r| r.0).collect::<Vec<_>>(),
            hs,
            "digest order happens to be write order: the test proves nothing"
        );
        assert_eq!(in_source_order(&src, refs), hs);
    }
}

//! `wimupdate`: add, delete and rename files inside an image, all or nothing.
//!
//! ```text
//! commands ──► Editor (edit.rs) on the in-memory ImageTree ──► new blobs into the writer
//!                         │ any error: nothing committed
//!                         ▼
//! in place:   journal (journal.rs) ─► append: blobs | metadata | table | XML ─► header last ─► journal removed
//! --rebuild:  temporary file with every image ─► rename over the WIM
//!                         ▼
//! phase 2 (only when the Windows properties changed): the image's hives and kernel32.dll
//! are read back and WINDOWS/* in the XML refreshed (a second small append under the same
//! journal, or on the temporary file before the rename)
//! ```
//!
//! Failure at any point before the final step leaves the WIM byte-identical to before: an
//! error in the process rolls back at once, a crash leaves the journal for [`journal::recover`],
//! which every update runs first.

pub mod command;
pub mod edit;
pub mod journal;
pub mod packages;

use crate::capture::scan::ScanOptions;
use crate::error::{Error, FsOp, Result, UsageKind};
use crate::export::{WriteOptions, copy_image, load_tree, new_builder, src_xml};
use crate::progress::EventSink;
use crate::properties::derive::{SpBuildSource, derive_image_properties};
use command::UpdateCommand;
use edit::{EditStats, Editor};
use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::path::Path;
use wim_format::write::WimOutput;
use wim_format::write::writer::now_filetime;
use wim_format::xml::{Element, XmlNode};
use wim_format::{ImageIndex, Wim, WimWriter, WimWriterBuilder};

/// A file whose `flush` also syncs the data to disk, so the writer's "flush, then write
/// the header" order holds across a power loss too.
#[derive(Debug)]
pub struct SyncFile(pub File);

impl Read for SyncFile {
    fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
        self.0.read(b)
    }
}
impl Write for SyncFile {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0.write(b)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()?;
        self.0.sync_data()
    }
}
impl Seek for SyncFile {
    fn seek(&mut self, p: io::SeekFrom) -> io::Result<u64> {
        self.0.seek(p)
    }
}
impl WimOutput for SyncFile {
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.0.set_len(len)
    }
    fn as_file_mut(&mut self) -> Option<&mut File> {
        // In-kernel raw copies land in the same file, so `flush` syncs them too.
        Some(&mut self.0)
    }
}

/// Wraps the output file (fault injection in tests; `None` = the file itself).
pub type OutputWrap<'a> = &'a dyn Fn(SyncFile) -> Box<dyn WimOutput>;

/// How an update is written.
#[derive(Debug, Clone, Default)]
pub struct UpdateOptions {
    /// Rebuild the WIM into a temporary file renamed over it (else append in place).
    pub rebuild: bool,
    /// Integrity table: `Some(true)` write one, `None` keep the WIM's choice.
    pub integrity: Option<bool>,
    /// Compression threads (0 = one per CPU).
    pub threads: usize,
    /// Scanner options for `add` (exclusions; UNIX data/dereference come per command).
    pub scan: ScanOptions,
    /// Keep the security descriptor, attributes and short name of replaced files.
    pub keep_metadata_on_replace: bool,
    /// Skip re-deriving the Windows properties (WINDOWS/* in the XML).
    pub no_properties: bool,
}

/// What an update did.
#[derive(Debug, Clone, Default)]
pub struct UpdateReport {
    /// What the commands changed.
    pub stats: EditStats,
    /// True when the WIM was written (false: nothing to do).
    pub written: bool,
    /// True when WINDOWS/* of the XML was refreshed from the image's files.
    pub properties_refreshed: bool,
}

/// The edit callback of [`update_with`].
pub type EditFn<'a, T> =
    &'a mut dyn FnMut(&mut Editor<'_, Box<dyn WimOutput>>) -> Result<EditOutcome<T>>;

/// What the edit callback decides.
#[derive(Debug)]
pub struct EditOutcome<T> {
    /// The callback's own result.
    pub value: T,
    /// False: nothing changed, do not write (the WIM stays byte-identical).
    pub changed: bool,
}

/// Runs `commands` on image `image` of the WIM at `path` (wimlib-imagex update).
pub fn update_image(
    path: &Path,
    image: ImageIndex,
    commands: &[UpdateCommand],
    opts: &UpdateOptions,
    events: EventSink<'_>,
) -> Result<UpdateReport> {
    let (_, r) = update_with(path, image, opts, events, None, &mut |ed| {
        for c in commands {
            ed.run(c)?;
        }
        Ok(EditOutcome {
            value: (),
            changed: true,
        })
    })?;
    Ok(r)
}

/// The general form: `edit` changes the tree (and the writer's XML) through the
/// [`Editor`]; an `Err` from it, or any failure while writing, leaves the WIM as it was.
/// `wrap` wraps the output file (fault injection).
pub fn update_with<T>(
    path: &Path,
    image: ImageIndex,
    opts: &UpdateOptions,
    events: EventSink<'_>,
    wrap: Option<OutputWrap<'_>>,
    edit: EditFn<'_, T>,
) -> Result<(T, UpdateReport)> {
    journal::recover(path)?;
    let wim = Wim::open(path)?;
    if wim.header().is_split() {
        return Err(Error::Usage(
            UsageKind::InvalidParam,
            "cannot update a split WIM".into(),
        ));
    }
    if wim.header().pipable && image.get() <= wim.image_count() {
        // As wimlib: a pipable WIM is rewritten whole and stays pipable.
        drop(wim);
        return crate::pipable::edit_pipable(path, |p| {
            update_with(p, image, opts, events, wrap, edit)
        });
    }
    if image.get() > wim.image_count() {
        return Err(
            wim_format::Error::Usage(wim_format::error::UsageError::NoSuchImage(
                image.get().to_string(),
            ))
            .into(),
        );
    }
    let known: HashSet<u64> = wim
        .blob_table()
        .entries()
        .iter()
        .filter(|e| !e.is_metadata())
        .map(|e| e.size)
        .collect();
    let open_out = |p: &Path| -> Result<Box<dyn WimOutput>> {
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(p)
            .map_err(|e| Error::fs(FsOp::Open, p, e))?;
        Ok(wrapped(wrap, f))
    };
    if opts.rebuild {
        let wo = WriteOptions {
            threads: opts.threads,
            integrity: opts.integrity,
            ..Default::default()
        };
        let b = new_builder(&wim, &wo)?
            .guid(wim.header().guid.0)
            .boot_index(wim.header().boot_index);
        let tmp = crate::atomic::temp_path_for(path);
        let r = (|| {
            let f = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&tmp)
                .map_err(|e| Error::fs(FsOp::Open, &tmp, e))?;
            let w = b.clone().build(wrapped(wrap, f))?;
            let (v, mut rep) = rebuild_phase(&wim, image, w, &known, opts, events, edit)?;
            if rep.written && !opts.no_properties {
                rep.properties_refreshed = refresh_properties(&tmp, image, &open_out, opts)?;
            }
            Ok((v, rep))
        })();
        drop(wim);
        return match r {
            Ok((v, rep)) if rep.written => {
                std::fs::rename(&tmp, path).map_err(|e| {
                    let _ = std::fs::remove_file(&tmp);
                    Error::fs(FsOp::Write, path, e)
                })?;
                if let Some(d) = path.parent().filter(|d| !d.as_os_str().is_empty())
                    && let Ok(d) = File::open(d)
                {
                    let _ = d.sync_all();
                }
                Ok((v, rep))
            }
            other => {
                let _ = std::fs::remove_file(&tmp);
                other
            }
        };
    }
    let mut b = WimWriterBuilder::new().threads(opts.threads);
    if opts.integrity == Some(true) {
        b = b.integrity(true);
    }
    let j = journal::Journal::begin(path)?;
    let r = (|| {
        let w = b.append_to(&wim, open_out(path)?)?;
        let (v, mut rep) = append_phase(&wim, image, w, &known, opts, events, edit)?;
        if rep.written && !opts.no_properties {
            rep.properties_refreshed = refresh_properties(path, image, &open_out, opts)?;
        }
        Ok((v, rep))
    })();
    drop(wim);
    match r {
        Ok((v, rep)) if rep.written => {
            j.commit()?;
            Ok((v, rep))
        }
        Ok((v, rep)) => {
            j.rollback()?;
            Ok((v, rep))
        }
        Err(e) => {
            let _ = j.rollback();
            Err(e)
        }
    }
}

/// `f` as the writer's output: a [`SyncFile`], through `wrap` when given.
fn wrapped(wrap: Option<OutputWrap<'_>>, f: File) -> Box<dyn WimOutput> {
    match wrap {
        Some(w) => w(SyncFile(f)),
        None => Box::new(SyncFile(f)),
    }
}

fn editor<'a, W: WimOutput>(
    tree: &'a mut wim_format::metadata::model::ImageTree,
    writer: &'a mut WimWriter<W>,
    known: &HashSet<u64>,
    opts: &UpdateOptions,
    image: ImageIndex,
    events: EventSink<'a>,
) -> Editor<'a, W> {
    Editor {
        tree,
        writer,
        known_sizes: known.clone(),
        keep_metadata_on_replace: opts.keep_metadata_on_replace,
        scan: opts.scan.clone(),
        now: now_filetime(),
        image: image.get(),
        stats: EditStats::default(),
        events,
    }
}

fn append_phase<T>(
    wim: &Wim,
    image: ImageIndex,
    w: WimWriter<Box<dyn WimOutput>>,
    known: &HashSet<u64>,
    opts: &UpdateOptions,
    events: EventSink<'_>,
    edit: EditFn<'_, T>,
) -> Result<(T, UpdateReport)> {
    let tree = load_tree(wim, image)?;
    edit_and_finish(image, w, tree, known, opts, events, edit)
}

fn rebuild_phase<T>(
    wim: &Wim,
    image: ImageIndex,
    mut w: WimWriter<Box<dyn WimOutput>>,
    known: &HashSet<u64>,
    opts: &UpdateOptions,
    events: EventSink<'_>,
    edit: EditFn<'_, T>,
) -> Result<(T, UpdateReport)> {
    // The new file starts with the other images' XML in place, so the edit callback can
    // read and change the image's element through the writer.
    let tree = load_tree(wim, image)?;
    let xml = src_xml(wim)?;
    for i in 1..=wim.image_count() {
        let Some(ix) = ImageIndex::new(i) else {
            continue;
        };
        if ix == image {
            let t = load_tree(wim, ix)?;
            for (h, _) in t.blob_references() {
                if !w.contains_blob(&h) {
                    w.copy_blob_raw(wim, &h)?;
                }
            }
            let el = xml
                .image(ix)
                .map(|x| x.element().clone())
                .unwrap_or_else(|| Element::new("IMAGE"));
            let times: Vec<Element> = ["CREATIONTIME", "LASTMODIFICATIONTIME"]
                .iter()
                .filter_map(|t| el.child(t).cloned())
                .collect();
            let n = w.add_image(&t, el)?;
            if let Some(e) = w.xml_mut().image_element_mut(n) {
                for t in times {
                    e.remove_children(&t.name);
                    e.children.push(XmlNode::Element(t));
                }
            }
        } else {
            copy_image(wim, ix, &mut w, false, None, None)?;
        }
    }
    edit_and_finish(image, w, tree, known, opts, events, edit)
}

/// The tail shared by both phases: runs `edit` on `tree` (image `image` as it was),
/// and when it changed something, replaces the image in `w` and finishes the file.
fn edit_and_finish<T>(
    image: ImageIndex,
    mut w: WimWriter<Box<dyn WimOutput>>,
    mut tree: wim_format::metadata::model::ImageTree,
    known: &HashSet<u64>,
    opts: &UpdateOptions,
    events: EventSink<'_>,
    edit: EditFn<'_, T>,
) -> Result<(T, UpdateReport)> {
    let old_refs = tree.blob_references();
    let (out, stats) = {
        let mut ed = editor(&mut tree, &mut w, known, opts, image, events);
        let o = edit(&mut ed)?;
        (o, ed.stats)
    };
    let mut rep = UpdateReport {
        stats,
        ..Default::default()
    };
    if !out.changed {
        return Ok((out.value, rep));
    }
    w.replace_image(image, &tree, &old_refs)?;
    w.finish()?;
    rep.written = true;
    Ok((out.value, rep))
}

/// Re-derives the Windows properties of `image` from the file at `path`; when WINDOWS/*
/// differs, writes the new XML in place (a second append). Returns whether it wrote.
fn refresh_properties(
    path: &Path,
    image: ImageIndex,
    open_out: &dyn Fn(&Path) -> Result<Box<dyn WimOutput>>,
    opts: &UpdateOptions,
) -> Result<bool> {
    let wim = Wim::open(path)?;
    let props = match derive_image_properties(&wim, image) {
        Ok(Some(p)) => p,
        Ok(None) | Err(_) => return Ok(false),
    };
    let xml = src_xml(&wim)?;
    let Some(cur) = xml.image(image).map(|i| i.element().clone()) else {
        return Ok(false);
    };
    let mut new = cur.clone();
    merge_windows(&mut new, &props.xml_elements(SpBuildSource::Ubr));
    if new == cur {
        return Ok(false);
    }
    let mut b = WimWriterBuilder::new().threads(opts.threads);
    if opts.integrity == Some(true) {
        b = b.integrity(true);
    }
    let mut w = b.append_to(&wim, open_out(path)?)?;
    if let Some(e) = w.xml_mut().image_element_mut(image) {
        *e = new;
    }
    drop(wim);
    w.finish()?;
    Ok(true)
}

fn set_text_children(dst: &mut Element, src: &Element) {
    for c in src.elements() {
        if c.elements().next().is_none() {
            dst.set_child_text(&c.name, c.text());
        }
    }
}

/// Merges derived `WINDOWS` (and `FLAGS`, `DISPLAYNAME`, `DISPLAYDESCRIPTION` only when
/// absent) into an `<IMAGE>` element, keeping every child the derivation does not know
/// (e.g. Microsoft's SERVICINGDATA, LANGUAGES/FALLBACK).
pub fn merge_windows(image: &mut Element, derived: &[Element]) {
    for d in derived {
        if d.name != "WINDOWS" {
            if image.child(&d.name).is_none() {
                image.children.push(XmlNode::Element(d.clone()));
            }
            continue;
        }
        if image.child("WINDOWS").is_none() {
            image.children.push(XmlNode::Element(d.clone()));
            continue;
        }
        let Some(w) = image.child_mut("WINDOWS") else {
            continue;
        };
        set_text_children(w, d);
        if let Some(v) = d.child("VERSION") {
            if w.child("VERSION").is_none() {
                w.children.push(XmlNode::Element(Element::new("VERSION")));
            }
            if let Some(wv) = w.child_mut("VERSION") {
                set_text_children(wv, v);
            }
        }
        if let Some(l) = d.child("LANGUAGES") {
            if w.child("LANGUAGES").is_none() {
                w.children.push(XmlNode::Element(Element::new("LANGUAGES")));
            }
            if let Some(wl) = w.child_mut("LANGUAGES") {
                wl.remove_children("LANGUAGE");
                wl.remove_children("DEFAULT");
                for (at, c) in l.elements().enumerate() {
                    wl.children.insert(at, XmlNode::Element(c.clone()));
                }
            }
        }
    }
}

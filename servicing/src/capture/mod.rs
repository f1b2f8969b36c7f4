//! Capture: a directory tree → a new image in a WIM (`capture`, `append`).
//!
//! ```text
//! scan (scan.rs) ──► ImageTree + file jobs (sorted: disk order, or by type for solid)
//!                          │
//!   reader thread ─────────┴─► bounded channel of batches ─► WimWriter
//!   (reads files in chunk-sized    (~1 MiB or 256 messages   (parallel chunk
//!    blocks, pre-hashes files       each)                     compression, SHA-1)
//!    whose size is not unique)
//! ```
//!
//! Reading overlaps compression: the reader thread stays a few MiB ahead of the writer,
//! whose chunk compressor uses the other cores. Memory is bounded by the channel
//! (never a whole large file). The reader's blocks have the writer's chunk size (when it
//! compresses chunk by chunk), so each block goes to the compressor without a copy; they
//! travel in batches because a bounded channel wakes a blocked sender at every receive.
//! Files whose size matches another file (or a blob already in the WIM) are hashed
//! first, so identical contents are read twice but compressed and stored once; a
//! pre-hashed file kept in memory (up to 4 MiB) is not hashed a second time.
//!
//! [`capture_to_file`] adds the file handling: create (a failed capture removes the
//! file), in-place append (a failed append truncates the file back and restores the old
//! header), and `--rebuild` (a temporary file in the same folder renamed over the old).

pub mod config;
pub mod scan;
pub mod unix;
pub mod windows;

use crate::error::{Error, FsOp, Result, UsageKind};
use crate::progress::{Event, EventSink};
use config::CaptureConfig;
use scan::{FileJob, ScanOptions, Scanned};
use sha1::{Digest, Sha1};
use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use wim_format::header::HeaderFlags;
use wim_format::metadata::model::ImageTree;
use wim_format::source::{ChunkSource, read_owned_from};
use wim_format::write::WimOutput;
use wim_format::write::writer::image_element;
use wim_format::xml::Element;
use wim_format::{ImageIndex, Sha1Digest, Wim, WimWriter, WimWriterBuilder};

/// Size of the blocks the reader thread sends when the writer does not cut file data
/// into chunks itself (else its chunk size, if smaller).
const BLOCK: usize = 1 << 20;
/// Messages go to the writer in batches of about this many bytes of data (or
/// [`BATCH_MSGS`] messages): a bounded channel wakes a blocked sender at every receive,
/// so one message per 32 KiB block or per small file would cost a wake-up each.
const BATCH_BYTES: usize = 1 << 20;
/// Most messages in one batch.
const BATCH_MSGS: usize = 256;
/// Batches in flight between reader and writer (about 24 MiB of data).
const IN_FLIGHT: usize = 24;
/// Files up to this size are kept in memory between pre-hashing and writing.
const SMALL: u64 = 4 << 20;

/// The XML of the new image.
#[derive(Debug, Clone, Default)]
pub struct ImageSpec {
    /// NAME (`None` = basename of the source, made unique).
    pub name: Option<String>,
    /// DESCRIPTION.
    pub description: Option<String>,
    /// FLAGS (`--flags=EDITIONID`).
    pub flags: Option<String>,
    /// `--image-property NAME=VALUE`, in order.
    pub properties: Vec<(String, String)>,
    /// Make the new image bootable.
    pub boot: bool,
    /// `--source-list`: `(source on disk, target in the image)` pairs, added in order
    /// (overlays allowed; a later non-directory replaces an earlier one). `None`: the
    /// request's source directory is the image root.
    pub source_list: Option<Vec<(PathBuf, String)>>,
    /// `--delta-from` (new WIMs only): blobs held by these WIMs are referenced, not
    /// written (the result needs them as `--ref` to be read).
    pub delta_from: Vec<PathBuf>,
}

/// Parses a `--source-list` file: one `SOURCE [TARGET]` per line (whitespace separated,
/// `'…'` or `"…"` quoting without escapes), blank lines and lines starting with `#`
/// (after optional whitespace) ignored; TARGET defaults to SOURCE. `Err` names the line.
pub fn parse_source_list(text: &str) -> std::result::Result<Vec<(PathBuf, String)>, String> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut toks: Vec<String> = Vec::new();
        let mut chars = line.chars().peekable();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() {
                chars.next();
                continue;
            }
            let mut tok = String::new();
            if c == '"' || c == '\'' {
                chars.next();
                let mut closed = false;
                for d in chars.by_ref() {
                    if d == c {
                        closed = true;
                        break;
                    }
                    tok.push(d);
                }
                if !closed {
                    return Err(format!("line {}: unterminated quote", n + 1));
                }
            } else {
                while let Some(&d) = chars.peek() {
                    if d.is_whitespace() {
                        break;
                    }
                    tok.push(d);
                    chars.next();
                }
            }
            toks.push(tok);
        }
        match toks.as_slice() {
            [src] => out.push((PathBuf::from(src), src.clone())),
            [src, dst] => out.push((PathBuf::from(src), dst.clone())),
            _ => {
                return Err(format!(
                    "line {}: expected \"SOURCE [TARGET]\", found {} fields",
                    n + 1,
                    toks.len()
                ));
            }
        }
    }
    Ok(out)
}

/// Builds an image from a source list with wimupdate's `add` (overlay) semantics; the
/// data goes into `w`.
fn scan_source_list<W: WimOutput>(
    w: &mut WimWriter<W>,
    list: &[(PathBuf, String)],
    scan_opts: &ScanOptions,
    known_sizes: &HashSet<u64>,
    events: EventSink<'_>,
) -> Result<(ImageTree, u64, u64, u64)> {
    use crate::update::command::{AddOptions, UpdateCommand};
    use crate::update::edit::{EditStats, Editor};
    let mut tree = ImageTree::new();
    let image = w.image_count() + 1;
    let mut ed = Editor {
        tree: &mut tree,
        writer: w,
        known_sizes: known_sizes.clone(),
        keep_metadata_on_replace: false,
        scan: scan_opts.clone(),
        now: wim_format::write::writer::now_filetime(),
        image,
        stats: EditStats::default(),
        events,
    };
    for (src, dest) in list {
        ed.run(&UpdateCommand::Add {
            source: src.clone(),
            dest: dest.clone(),
            options: AddOptions {
                dereference: scan_opts.dereference,
                unix_data: scan_opts.unix_data,
                ..AddOptions::default()
            },
        })?;
    }
    let bytes = ed.stats.bytes;
    let (mut dirs, mut files) = (0u64, 0u64);
    let mut stack = vec![tree.root()];
    while let Some(e) = stack.pop() {
        let is_dir = tree
            .entry(e)
            .and_then(|x| tree.inode(x.inode))
            .is_some_and(|i| i.is_directory());
        if is_dir {
            dirs += 1;
            stack.extend(tree.children(e).iter().copied());
        } else {
            files += 1;
        }
    }
    Ok((tree, dirs, files, bytes))
}

/// How the WIM file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// A new file (replacing any existing one).
    Create,
    /// Append in place.
    Append,
    /// Append by writing a new file and renaming it over the old one.
    AppendRebuild,
}

/// Everything [`capture_to_file`] needs.
#[derive(Debug, Clone)]
pub struct CaptureRequest {
    /// The directory to capture.
    pub source: PathBuf,
    /// The WIM file.
    pub wim: PathBuf,
    /// Create, append, rebuild.
    pub mode: WriteMode,
    /// Writer options (codec, chunk sizes, solid, threads, integrity, GUID, time).
    pub builder: WimWriterBuilder,
    /// Scanner options (UNIX data, dereference, rpfix, exclusions).
    pub scan: ScanOptions,
    /// The new image's XML.
    pub image: ImageSpec,
    /// Sort solid data by file type (wimlib's solid sort; off = disk order).
    pub solid_sort: bool,
}

/// What a capture did.
#[derive(Debug, Clone)]
pub struct CaptureReport {
    /// The new image's index.
    pub index: u32,
    /// Its name.
    pub name: String,
    /// Directories captured.
    pub dirs: u64,
    /// Non-directories captured.
    pub files: u64,
    /// Bytes scanned (data and reparse points).
    pub bytes: u64,
    /// The writer's summary.
    pub summary: Option<wim_format::write::Summary>,
}

/// Windows image information: when the captured tree holds a Windows installation,
/// appends `<WINDOWS>` (from kernel32.dll and the SOFTWARE/SYSTEM hives), `FLAGS`,
/// `DISPLAYNAME` and `DISPLAYDESCRIPTION` as wimlib does ([`windows`]; `SPBUILD` is the
/// `UBR`). `Err` is a warning (e.g. a dirty hive): the element is then left as it is.
pub fn fill_windows_info(
    source: &Path,
    tree: &ImageTree,
    image: &mut Element,
) -> Result<(), String> {
    if let Some(p) = windows::derive_captured(source, tree)? {
        windows::apply_properties(&p, image);
    }
    Ok(())
}

/// The default image name: the last component of `source` (`/` for the root).
pub fn default_name(source: &Path) -> String {
    let s = source.to_string_lossy();
    let t = s.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    t.rsplit('/').next().unwrap_or(t).to_string()
}

/// `base`, or `base (1)`, `base (2)`… the first one not in `taken`.
pub fn unique_name(base: &str, taken: &[String]) -> String {
    if !taken.iter().any(|t| t == base) {
        return base.to_string();
    }
    (1u64..)
        .map(|i| format!("{base} ({i})"))
        .find(|n| !taken.iter().any(|t| t == n))
        .unwrap_or_else(|| base.to_string())
}

enum Msg {
    /// A file starts; `hash` when it was pre-hashed, `held` when its data (which
    /// follows) is the very data that was hashed, not read again.
    Begin {
        job: usize,
        hash: Option<Sha1Digest>,
        held: bool,
    },
    /// Data of the current file.
    Data(Vec<u8>),
    /// A file whose content was already sent (pre-hash match).
    Dup { job: usize, hash: Sha1Digest },
    /// Reading failed.
    Fail { job: usize, err: io::Error },
}

/// Reads the next `n` bytes of `f` (`shrunk` if the file ends first).
fn read_block(f: &mut File, n: usize) -> io::Result<Vec<u8>> {
    let v = read_owned_from(f, n)?;
    if v.len() < n {
        return Err(shrunk());
    }
    Ok(v)
}

/// Hashes `size` bytes of the file at `path`, reading it in blocks of `block` bytes;
/// with `keep`, the blocks are returned (the file is then not read a second time).
fn hash_file(
    path: &Path,
    size: u64,
    keep: bool,
    block: usize,
) -> io::Result<(Sha1Digest, Option<Vec<Vec<u8>>>)> {
    let mut f = File::open(path)?;
    let mut h = Sha1::new();
    let mut held = Vec::new();
    let mut left = size;
    while left > 0 {
        let n = left.min(block as u64) as usize;
        let buf = read_block(&mut f, n)?;
        h.update(&buf);
        left -= n as u64;
        if keep {
            held.push(buf);
        }
    }
    Ok((Sha1Digest(h.finalize().into()), keep.then_some(held)))
}

fn shrunk() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the file became shorter while it was being captured",
    )
}

/// The reader thread: sends every job's data in order, in blocks of `block` bytes (the
/// writer's chunk size when it compresses chunk by chunk: each block is then handed to
/// the compressor as it is).
fn reader(jobs: &[FileJob], prehash: &HashSet<u64>, block: usize, tx: &mpsc::SyncSender<Vec<Msg>>) {
    let mut tx = Outbox {
        tx,
        batch: Vec::new(),
        bytes: 0,
    };
    read_all(jobs, prehash, block, &mut tx);
    let _ = tx.flush();
}

/// The reader's side of the channel: gathers messages into batches.
struct Outbox<'a> {
    tx: &'a mpsc::SyncSender<Vec<Msg>>,
    batch: Vec<Msg>,
    bytes: usize,
}

impl Outbox<'_> {
    /// Queues `m`; `Err` when the writer stopped listening.
    fn send(&mut self, m: Msg) -> std::result::Result<(), ()> {
        if let Msg::Data(d) = &m {
            self.bytes += d.len();
        }
        self.batch.push(m);
        if self.bytes >= BATCH_BYTES || self.batch.len() >= BATCH_MSGS {
            self.flush()?;
        }
        Ok(())
    }

    /// Sends the messages queued so far.
    fn flush(&mut self) -> std::result::Result<(), ()> {
        self.bytes = 0;
        if self.batch.is_empty() {
            return Ok(());
        }
        let b = std::mem::take(&mut self.batch);
        self.tx.send(b).map_err(|_| ())
    }
}

/// The writer's side of the channel: messages one by one.
struct Inbox<'a> {
    rx: &'a mpsc::Receiver<Vec<Msg>>,
    cur: std::vec::IntoIter<Msg>,
}

impl Inbox<'_> {
    /// The next message (`None` once the reader is gone).
    fn recv(&mut self) -> Option<Msg> {
        loop {
            if let Some(m) = self.cur.next() {
                return Some(m);
            }
            self.cur = self.rx.recv().ok()?.into_iter();
        }
    }
}

/// Reads every job, in order, into `tx` (an error is sent as [`Msg::Fail`], and ends it).
fn read_all(jobs: &[FileJob], prehash: &HashSet<u64>, block: usize, tx: &mut Outbox<'_>) {
    let mut seen: HashSet<Sha1Digest> = HashSet::new();
    for (i, j) in jobs.iter().enumerate() {
        let r = (|| -> io::Result<bool> {
            let mut hash = None;
            let mut held = None;
            if prehash.contains(&j.size) {
                let (h, v) = hash_file(&j.path, j.size, j.size <= SMALL, block)?;
                if !seen.insert(h) {
                    return Ok(tx.send(Msg::Dup { job: i, hash: h }).is_ok());
                }
                hash = Some(h);
                held = v;
            }
            let begin = Msg::Begin {
                job: i,
                hash,
                held: held.is_some(),
            };
            if tx.send(begin).is_err() {
                return Ok(false);
            }
            if let Some(v) = held {
                for c in v {
                    if tx.send(Msg::Data(c)).is_err() {
                        return Ok(false);
                    }
                }
                return Ok(true);
            }
            let mut f = File::open(&j.path)?;
            let mut left = j.size;
            while left > 0 {
                let n = left.min(block as u64) as usize;
                let buf = read_block(&mut f, n)?;
                left -= n as u64;
                if tx.send(Msg::Data(buf)).is_err() {
                    return Ok(false);
                }
            }
            Ok(true)
        })();
        match r {
            Ok(true) => {}
            Ok(false) => return,
            Err(err) => {
                let _ = tx.send(Msg::Fail { job: i, err });
                let _ = tx.flush();
                return;
            }
        }
    }
}

/// `Read` over the data blocks of one file.
struct ChannelReader<'a, 'b> {
    rx: &'a mut Inbox<'b>,
    buf: Vec<u8>,
    pos: usize,
    left: u64,
    failed: Option<(usize, io::Error)>,
}

impl ChannelReader<'_, '_> {
    /// Receives the next block of the file (the current one is used up).
    fn fill(&mut self) -> io::Result<()> {
        match self.rx.recv() {
            Some(Msg::Data(b)) => {
                self.buf = b;
                self.pos = 0;
                Ok(())
            }
            Some(Msg::Fail { job, err }) => {
                let e = io::Error::new(err.kind(), err.to_string());
                self.failed = Some((job, err));
                Err(e)
            }
            Some(_) | None => Err(io::Error::other("file reader stopped unexpectedly")),
        }
    }
}

impl Read for ChannelReader<'_, '_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 || out.is_empty() {
            return Ok(0);
        }
        if self.pos >= self.buf.len() {
            self.fill()?;
        }
        let n = out
            .len()
            .min(self.buf.len() - self.pos)
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        self.left -= n as u64;
        Ok(n)
    }
}

impl ChunkSource for ChannelReader<'_, '_> {
    fn read_owned(&mut self, len: usize) -> io::Result<Vec<u8>> {
        let whole = self.left >= len as u64;
        if whole && len > 0 && self.pos >= self.buf.len() {
            self.fill()?;
        }
        if whole && self.pos == 0 && self.buf.len() == len {
            // The block is the chunk asked for: hand it over.
            self.left -= len as u64;
            return Ok(std::mem::take(&mut self.buf));
        }
        read_owned_from(self, len)
    }
}

fn order_jobs(jobs: &mut [FileJob], solid_sort: bool) {
    if solid_sort {
        let ext = |p: &Path| {
            p.extension()
                .map(|e| e.to_string_lossy().to_lowercase())
                .unwrap_or_default()
        };
        jobs.sort_by(|a, b| {
            ext(&a.path)
                .cmp(&ext(&b.path))
                .then_with(|| a.path.file_name().cmp(&b.path.file_name()))
                .then_with(|| a.path.cmp(&b.path))
        });
    } else {
        jobs.sort_by(|a, b| a.ino.cmp(&b.ino).then_with(|| a.path.cmp(&b.path)));
    }
}

/// Writes the file data and reparse data of `scanned` into `w` and sets the digests in
/// its tree. `known_sizes`: sizes of blobs already in the WIM (files of these sizes are
/// pre-hashed).
pub fn write_data<W: WimOutput>(
    w: &mut WimWriter<W>,
    scanned: &mut Scanned,
    known_sizes: &HashSet<u64>,
    solid_sort: bool,
    events: EventSink<'_>,
) -> Result<()> {
    for (ino, data) in std::mem::take(&mut scanned.reparse) {
        let h = w.add_blob(&data)?;
        if let Some(r) = scanned.tree.inode_mut(ino).and_then(|i| i.reparse.as_mut()) {
            r.data = Some(h);
        }
    }
    let mut jobs = std::mem::take(&mut scanned.jobs);
    order_jobs(&mut jobs, solid_sort);
    let mut prehash: HashSet<u64> = HashSet::new();
    {
        let mut once: HashSet<u64> = HashSet::new();
        for j in &jobs {
            if !once.insert(j.size) || known_sizes.contains(&j.size) {
                prehash.insert(j.size);
            }
        }
    }
    let total: u64 = jobs.iter().map(|j| j.size).sum();
    let mut done = 0u64;
    events(&Event::Progress { done, total });
    let mut digests: Vec<Option<Sha1Digest>> = vec![None; jobs.len()];
    let block = w
        .source_chunk_size()
        .map_or(BLOCK, |c| (c as usize).clamp(1, BLOCK));
    let result = std::thread::scope(|s| -> Result<()> {
        let (tx, rx) = mpsc::sync_channel::<Vec<Msg>>(IN_FLIGHT);
        let jobs_ref = &jobs;
        let pre = &prehash;
        s.spawn(move || reader(jobs_ref, pre, block, &tx));
        let mut inbox = Inbox {
            rx: &rx,
            cur: Vec::new().into_iter(),
        };
        for _ in 0..jobs.len() {
            let msg = inbox.recv().ok_or_else(|| {
                Error::Usage(UsageKind::Other, "file reader stopped unexpectedly".into())
            })?;
            match msg {
                Msg::Dup { job, hash } => {
                    if let Some(d) = digests.get_mut(job) {
                        *d = Some(hash);
                    }
                    done += jobs.get(job).map_or(0, |j| j.size);
                }
                Msg::Begin { job, hash, held } => {
                    let Some(j) = jobs.get(job) else { break };
                    let mut r = ChannelReader {
                        rx: &mut inbox,
                        buf: Vec::new(),
                        pos: 0,
                        left: j.size,
                        failed: None,
                    };
                    let got = match hash {
                        Some(h) if w.contains_blob(&h) => {
                            io::copy(&mut r, &mut io::sink())
                                .map_err(|e| Error::fs(FsOp::Read, &j.path, e))?;
                            Ok(h)
                        }
                        _ => w.add_blob_from_chunks(&mut r, j.size, hash.filter(|_| held)),
                    };
                    let got = match (got, r.failed.take()) {
                        (Ok(h), None) => h,
                        (_, Some((_, e))) => return Err(Error::fs(FsOp::Read, &j.path, e)),
                        (Err(e), None) => return Err(e.into()),
                    };
                    if let Some(h) = hash
                        && h != got
                    {
                        return Err(Error::fs(
                            FsOp::Read,
                            &j.path,
                            io::Error::other("the file changed while it was being captured"),
                        ));
                    }
                    if let Some(d) = digests.get_mut(job) {
                        *d = Some(got);
                    }
                    done += j.size;
                }
                Msg::Fail { job, err } => {
                    let p = jobs.get(job).map(|j| j.path.clone()).unwrap_or_default();
                    return Err(Error::fs(FsOp::Read, p, err));
                }
                Msg::Data(_) => {
                    return Err(Error::Usage(
                        UsageKind::Other,
                        "internal: file data out of sequence".into(),
                    ));
                }
            }
            events(&Event::Progress { done, total });
        }
        drop(rx);
        Ok(())
    });
    result?;
    for (j, d) in jobs.iter().zip(digests) {
        if let Some(i) = scanned.tree.inode_mut(j.inode) {
            i.data = d;
        }
    }
    Ok(())
}

/// Scans `source` and adds it as a new image of `w`; `taken` are the names already in
/// the WIM (for the default name and the duplicate check).
pub fn capture_image<W: WimOutput>(
    w: &mut WimWriter<W>,
    source: &Path,
    scan_opts: &ScanOptions,
    spec: &ImageSpec,
    known_sizes: &HashSet<u64>,
    solid_sort: bool,
    events: EventSink<'_>,
) -> Result<CaptureReport> {
    let taken: Vec<String> = w
        .xml_mut()
        .images()
        .filter_map(|i| i.name())
        .collect::<Vec<_>>();
    let name = match &spec.name {
        Some(n) => {
            if !n.is_empty() && taken.iter().any(|t| t == n) {
                return Err(Error::Usage(
                    UsageKind::ImageNameCollision,
                    format!("There is already an image named \"{n}\" in the WIM!"),
                ));
            }
            n.clone()
        }
        None => unique_name(&default_name(source), &taken),
    };
    let (tree, dirs, files, bytes) = match &spec.source_list {
        Some(list) => scan_source_list(w, list, scan_opts, known_sizes, events)?,
        None => {
            let mut scanned = scan::scan(source, scan_opts, &mut |m| events(&Event::Warning(m)))?;
            write_data(w, &mut scanned, known_sizes, solid_sort, events)?;
            (scanned.tree, scanned.dirs, scanned.files, scanned.bytes)
        }
    };
    let idx: ImageIndex = w.add_image(&tree, image_element(Some(&name), None))?;
    if let Some(e) = w.xml_mut().image_element_mut(idx) {
        if spec.source_list.is_some() {
            // Windows information needs one source directory: not derived.
        } else if let Err(m) = fill_windows_info(source, &tree, e) {
            events(&Event::Warning(format!(
                "Failed to get Windows-specific metadata from the captured tree: {m}"
            )));
        }
        if let Some(f) = &spec.flags {
            e.set_child_text("FLAGS", f.as_str());
        }
        for (k, v) in &spec.properties {
            crate::info_edit::set_property(e, k, v).map_err(|err| match err {
                Error::Usage(_, m) => {
                    Error::Usage(UsageKind::Other, format!("--image-property {k}: {m}"))
                }
                other => other,
            })?;
        }
        if let Some(d) = &spec.description {
            e.set_child_text("DESCRIPTION", d.as_str());
        }
    }
    Ok(CaptureReport {
        index: idx.get(),
        name,
        dirs,
        files,
        bytes,
        summary: None,
    })
}

/// Restores an appended-to file after a failure: old length, old header.
struct AppendUndo {
    path: PathBuf,
    header: Vec<u8>,
    len: u64,
}

impl AppendUndo {
    fn take(path: &Path) -> Result<AppendUndo> {
        let mut f = File::open(path).map_err(|e| Error::fs(FsOp::Open, path, e))?;
        let len = f
            .metadata()
            .map_err(|e| Error::fs(FsOp::Stat, path, e))?
            .len();
        let mut header = vec![0u8; 208.min(len as usize)];
        f.read_exact(&mut header)
            .map_err(|e| Error::fs(FsOp::Read, path, e))?;
        Ok(AppendUndo {
            path: path.to_path_buf(),
            header,
            len,
        })
    }
    fn restore(&self) {
        use std::io::{Seek, SeekFrom, Write};
        if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&self.path) {
            let _ = f.set_len(self.len);
            let _ = f.seek(SeekFrom::Start(0));
            let _ = f.write_all(&self.header);
            let _ = f.sync_all();
        }
    }
}

fn old_sizes(wim: &Wim) -> HashSet<u64> {
    wim.blob_table()
        .entries()
        .iter()
        .filter(|e| !e.is_metadata())
        .map(|e| e.size)
        .collect()
}

impl CaptureRequest {
    /// Captures this request's source as a new image of `w` (`known`: blob sizes
    /// already in the WIM) and finishes the WIM; the report carries the write summary.
    fn capture_and_finish<W: WimOutput>(
        &self,
        mut w: WimWriter<W>,
        known: &HashSet<u64>,
        events: EventSink<'_>,
    ) -> Result<CaptureReport> {
        let mut r = capture_image(
            &mut w,
            &self.source,
            &self.scan,
            &self.image,
            known,
            self.solid_sort,
            events,
        )?;
        r.summary = Some(w.finish()?);
        Ok(r)
    }
}

/// Captures `req.source` into `req.wim` (create, append in place, or rebuild).
pub fn capture_to_file(req: &CaptureRequest, events: EventSink<'_>) -> Result<CaptureReport> {
    let mut b = req.builder.clone();
    if !req.image.delta_from.is_empty() && req.mode != WriteMode::Create {
        return Err(Error::Usage(
            UsageKind::InvalidParam,
            "--delta-from needs a new WIM (capture, not append)".into(),
        ));
    }
    match req.mode {
        WriteMode::Create => {
            if req.image.boot {
                b = b.boot_index(1);
            }
            if req.scan.rpfix {
                b = b.header_flags(HeaderFlags::RP_FIX);
            }
            let mut known = HashSet::new();
            let bases = if req.image.delta_from.is_empty() {
                Default::default()
            } else {
                crate::delta::base_blobs(&req.image.delta_from)?
            };
            let mut w = b.create(&req.wim).map_err(Error::from)?;
            let mut base_list: Vec<(&Sha1Digest, &u64)> = bases.iter().collect();
            base_list.sort();
            for (h, size) in base_list {
                w.add_external_blob(*h, *size);
                known.insert(*size);
            }
            req.capture_and_finish(w, &known, events).inspect_err(|_| {
                let _ = std::fs::remove_file(&req.wim);
            })
        }
        WriteMode::Append => {
            let old = Wim::open(&req.wim)?;
            let sizes = old_sizes(&old);
            let n = old.image_count();
            drop(old);
            if req.image.boot {
                b = b.boot_index(n + 1);
            }
            let undo = AppendUndo::take(&req.wim)?;
            b.append(&req.wim)
                .map_err(Error::from)
                .and_then(|w| req.capture_and_finish(w, &sizes, events))
                .inspect_err(|_| undo.restore())
        }
        WriteMode::AppendRebuild => rebuild_append(req, b, events),
    }
}

fn rebuild_builder(
    old: &Wim,
    req: &CaptureRequest,
    b: WimWriterBuilder,
) -> Result<WimWriterBuilder> {
    let h = old.header().clone();
    if h.is_split() {
        return Err(Error::Usage(
            UsageKind::Other,
            "cannot append to a split WIM".into(),
        ));
    }
    let mut b = b
        .compression(h.compression)
        .guid(h.guid.0)
        .header_flags(h.flags & HeaderFlags::RP_FIX)
        .boot_index(h.boot_index);
    if h.compression != wim_format::header::Compression::None {
        b = b.chunk_size(h.chunk_size);
    }
    if h.version.is_solid() {
        b = b.solid(true);
    }
    if h.integrity.size_in_wim > 0 && b.integrity_choice().is_none() {
        b = b.integrity(true);
    }
    if req.image.boot {
        b = b.boot_index(old.image_count() + 1);
    }
    Ok(b)
}

/// Writes the images of `old` and then the new capture into a new WIM at `out`.
fn rebuild_into(
    old: &Wim,
    req: &CaptureRequest,
    b: WimWriterBuilder,
    events: EventSink<'_>,
    out: &Path,
) -> Result<CaptureReport> {
    let mut w = b.create(out)?;
    let xml = old.xml_bytes()?;
    let info = wim_format::xml::WimInfo::parse(&xml, old.limits())?;
    for i in 1..=old.image_count() {
        let Some(idx) = ImageIndex::new(i) else {
            continue;
        };
        let bytes = old.metadata_bytes(idx)?;
        let meta = wim_format::metadata::ImageMetadata::parse(&bytes, old.limits())?;
        let tree = ImageTree::from_metadata(&meta)?;
        for (hash, _) in tree.blob_references() {
            w.copy_blob_raw(old, &hash)?;
        }
        let el = info
            .image(idx)
            .map(|x| x.element().clone())
            .unwrap_or_else(|| Element::new("IMAGE"));
        let new_idx = w.add_image(&tree, el.clone())?;
        if let Some(e) = w.xml_mut().image_element_mut(new_idx) {
            *e = el;
            e.set_attr("INDEX", new_idx.get().to_string());
        }
    }
    req.capture_and_finish(w, &old_sizes(old), events)
}

fn rebuild_append(
    req: &CaptureRequest,
    b: WimWriterBuilder,
    events: EventSink<'_>,
) -> Result<CaptureReport> {
    let old = Wim::open(&req.wim)?;
    let b = rebuild_builder(&old, req, b)?;
    let dir = req
        .wim
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let base = req
        .wim
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{base}.wimkit-{}.tmp", std::process::id()));
    let r = rebuild_into(&old, req, b, events, &tmp);
    drop(old);
    match r {
        Ok(r) => {
            std::fs::rename(&tmp, &req.wim).map_err(|e| Error::fs(FsOp::Write, &req.wim, e))?;
            Ok(r)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Captures into a pipable WIM (`--pipable`, or WIMFILE `-` = stdout): a new WIM
/// (`WriteMode::Create`), or (append modes) the images of the existing `req.wim`
/// followed by the new one, rewritten as a whole. `integrity`: `Some` from
/// `--check`/`--nocheck`, `None` keeps the existing file's (none for a new one). Solid
/// output is refused, as wimlib does. The summary's sizes are those of the scratch WIM.
pub fn capture_pipable(
    req: &CaptureRequest,
    integrity: Option<bool>,
    events: EventSink<'_>,
) -> Result<CaptureReport> {
    use crate::pipable::{PipeTarget, via_scratch};
    if req.builder.is_solid() {
        return Err(Error::Usage(
            UsageKind::InvalidParam,
            "Solid compression is unsupported in pipable WIMs".into(),
        ));
    }
    let target = PipeTarget::from_arg(&req.wim);
    match (req.mode, target) {
        (WriteMode::Create, _) | (_, PipeTarget::Stdout) => {
            let mut r = req.clone();
            r.mode = WriteMode::Create;
            r.builder = r.builder.integrity(false);
            let (rep, _) = via_scratch(target, integrity.unwrap_or(false), |tmp| {
                r.wim = tmp.to_path_buf();
                capture_to_file(&r, events)
            })?;
            Ok(rep)
        }
        (WriteMode::Append | WriteMode::AppendRebuild, PipeTarget::File(_)) => {
            let old = Wim::open(&req.wim)?;
            let keep = old.header().integrity.size_in_wim > 0;
            let b = rebuild_builder(&old, req, req.builder.clone())?
                .solid(false)
                .integrity(false);
            let (rep, _) = via_scratch(target, integrity.unwrap_or(keep), |tmp| {
                rebuild_into(&old, req, b, events, tmp)
            })?;
            Ok(rep)
        }
    }
}

/// Reads and parses a configuration file (`Err`: exit-code-14 material, with the
/// wimlib-style message).
pub fn load_config(path: &Path) -> std::result::Result<CaptureConfig, String> {
    let bytes = std::fs::read(path).map_err(|e| {
        format!(
            "Failed to read capture configuration file \"{}\": {e}",
            path.display()
        )
    })?;
    let name = path.display().to_string();
    CaptureConfig::parse(&config::decode_text(&bytes), &name)
        .map_err(|e| format!("{name}:{}: {}", e.line, e.message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(default_name(Path::new("/a/b/")), "b");
        assert_eq!(default_name(Path::new("src")), "src");
        assert_eq!(default_name(Path::new("/")), "/");
        let t = vec!["s".to_string(), "s (1)".to_string()];
        assert_eq!(unique_name("s", &t), "s (2)");
        assert_eq!(unique_name("x", &t), "x");
    }
}

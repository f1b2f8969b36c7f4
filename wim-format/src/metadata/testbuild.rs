//! Test-only builder of metadata resources from a small in-memory tree.

#![allow(clippy::unwrap_used)]

use super::dentry::DENTRY_FIXED_SIZE;

/// A dentry to build.
#[derive(Debug, Clone, Default)]
pub struct T {
    pub name: Vec<u16>,
    pub short: Vec<u16>,
    pub attrs: u32,
    pub security_id: u32,
    pub hash: [u8; 20],
    pub union: u64,
    pub streams: Vec<(Vec<u16>, [u8; 20])>,
    pub tagged: Vec<(u32, Vec<u8>)>,
    pub children: Vec<T>,
    pub times: [u64; 3],
}

pub fn u(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

impl T {
    pub fn dir(name: &str, children: Vec<T>) -> T {
        T {
            name: u(name),
            attrs: 0x10,
            security_id: u32::MAX,
            children,
            ..T::default()
        }
    }
    pub fn file(name: &str, hash: u8) -> T {
        T {
            name: u(name),
            attrs: 0x20,
            security_id: u32::MAX,
            hash: [hash; 20],
            ..T::default()
        }
    }
    fn is_dir(&self) -> bool {
        self.attrs & 0x10 != 0
    }
    fn fixed_len(&self) -> usize {
        let mut n = DENTRY_FIXED_SIZE + self.name.len() * 2;
        if !self.name.is_empty() {
            n += 2;
        }
        n += self.short.len() * 2;
        if !self.short.is_empty() {
            n += 2;
        }
        n = (n + 7) & !7;
        for (_, d) in &self.tagged {
            n += (8 + d.len() + 7) & !7;
        }
        n
    }
    fn stream_len(name: &[u16]) -> usize {
        let n = 0x26 + name.len() * 2 + if name.is_empty() { 0 } else { 2 };
        (n + 7) & !7
    }
    fn total_len(&self) -> usize {
        self.fixed_len()
            + self
                .streams
                .iter()
                .map(|(n, _)| Self::stream_len(n))
                .sum::<usize>()
    }
}

/// The built resource and the offset of every dentry by path ("/" for the root).
pub struct Built {
    pub bytes: Vec<u8>,
    pub offsets: Vec<(String, usize)>,
}

impl Built {
    pub fn at(&self, path: &str) -> usize {
        self.offsets
            .iter()
            .find(|(p, _)| p == path)
            .map(|x| x.1)
            .unwrap()
    }
    pub fn put_u64(&mut self, pos: usize, v: u64) {
        self.bytes[pos..pos + 8].copy_from_slice(&v.to_le_bytes());
    }
    pub fn put_u16(&mut self, pos: usize, v: u16) {
        self.bytes[pos..pos + 2].copy_from_slice(&v.to_le_bytes());
    }
}

fn sec_block(descs: &[Vec<u8>]) -> Vec<u8> {
    let total = 8 + 8 * descs.len() + descs.iter().map(Vec::len).sum::<usize>();
    let mut v = Vec::new();
    v.extend_from_slice(&(total as u32).to_le_bytes());
    v.extend_from_slice(&(descs.len() as u32).to_le_bytes());
    for d in descs {
        v.extend_from_slice(&(d.len() as u64).to_le_bytes());
    }
    for d in descs {
        v.extend_from_slice(d);
    }
    v.resize((v.len() + 7) & !7, 0);
    v
}

fn write_dentry(out: &mut Vec<u8>, t: &T, subdir: u64) {
    let start = out.len();
    let len = t.fixed_len();
    out.extend_from_slice(&(len as u64).to_le_bytes());
    out.extend_from_slice(&t.attrs.to_le_bytes());
    out.extend_from_slice(&t.security_id.to_le_bytes());
    out.extend_from_slice(&subdir.to_le_bytes());
    out.extend_from_slice(&[0; 16]);
    for tm in t.times {
        out.extend_from_slice(&tm.to_le_bytes());
    }
    out.extend_from_slice(&t.hash);
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&t.union.to_le_bytes());
    out.extend_from_slice(&(t.streams.len() as u16).to_le_bytes());
    out.extend_from_slice(&((t.short.len() * 2) as u16).to_le_bytes());
    out.extend_from_slice(&((t.name.len() * 2) as u16).to_le_bytes());
    for c in &t.name {
        out.extend_from_slice(&c.to_le_bytes());
    }
    if !t.name.is_empty() {
        out.extend_from_slice(&[0, 0]);
    }
    for c in &t.short {
        out.extend_from_slice(&c.to_le_bytes());
    }
    if !t.short.is_empty() {
        out.extend_from_slice(&[0, 0]);
    }
    out.resize((out.len() + 7) & !7, 0);
    for (tag, d) in &t.tagged {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&(d.len() as u32).to_le_bytes());
        out.extend_from_slice(d);
        out.resize((out.len() + 7) & !7, 0);
    }
    assert_eq!(out.len() - start, len);
    for (n, h) in &t.streams {
        let s = out.len();
        let l = T::stream_len(n);
        out.extend_from_slice(&(l as u64).to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes());
        out.extend_from_slice(h);
        out.extend_from_slice(&((n.len() * 2) as u16).to_le_bytes());
        for c in n {
            out.extend_from_slice(&c.to_le_bytes());
        }
        out.resize(s + l, 0);
    }
}

fn child_path(parent: &str, name: &[u16]) -> String {
    let n = String::from_utf16_lossy(name);
    if parent == "/" {
        format!("/{n}")
    } else {
        format!("{parent}/{n}")
    }
}

/// Builds a metadata resource: security data, root, end marker, then child lists
/// breadth-first, each followed by an end marker.
pub fn build(root: &T, descs: &[Vec<u8>]) -> Built {
    let sec = sec_block(descs);
    // Pass 1: assign list offsets breadth-first.
    let root_off = sec.len();
    let mut next = root_off + root.total_len() + 8;
    let mut lists: Vec<(&T, String, usize)> = Vec::new(); // (dir, path, list offset)
    let mut queue: std::collections::VecDeque<(&T, String)> = Default::default();
    queue.push_back((root, "/".into()));
    while let Some((d, p)) = queue.pop_front() {
        if !d.is_dir() {
            continue;
        }
        lists.push((d, p.clone(), next));
        next += d.children.iter().map(T::total_len).sum::<usize>() + 8;
        for c in &d.children {
            queue.push_back((c, child_path(&p, &c.name)));
        }
    }
    let subdir_of = |t: &T| -> u64 {
        lists
            .iter()
            .find(|(d, _, _)| std::ptr::eq(*d, t))
            .map(|x| x.2 as u64)
            .unwrap_or(0)
    };
    let mut out = sec;
    let mut offsets = vec![("/".to_string(), out.len())];
    write_dentry(&mut out, root, subdir_of(root));
    out.extend_from_slice(&[0; 8]);
    for (d, p, off) in &lists {
        assert_eq!(out.len(), *off);
        for c in &d.children {
            offsets.push((child_path(p, &c.name), out.len()));
            write_dentry(&mut out, c, subdir_of(c));
        }
        out.extend_from_slice(&[0; 8]);
    }
    Built {
        bytes: out,
        offsets,
    }
}

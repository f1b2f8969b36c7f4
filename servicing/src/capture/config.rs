//! Capture configuration files (`--config=FILE`): exclusion lists and exceptions.
//!
//! ```text
//! [ExclusionList]          one glob per line; `#`/`;` comments; optional quotes
//! \pagefile.sys            absolute (leading / or \): anchored at the capture root,
//! *.tmp                    relative: one path component, matched against the name
//! [ExclusionException]     same syntax; wins over the exclusion list
//! ```
//!
//! Matching follows wimlib on UNIX: case-sensitive, `*` and `?` do not cross `/`,
//! a trailing separator is ignored, a leading drive letter (`C:`) is dropped with a
//! warning. An excluded directory is still entered when an absolute exception pattern
//! could match something below it; then only the exceptions (and the directories on
//! the way to them) are kept. The text may be UTF-8 or UTF-16LE, with or without BOM.

use glob::{MatchOptions, Pattern};

/// What to do with one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Capture it (and descend normally).
    Include,
    /// Leave it out.
    Exclude,
    /// Excluded, but a directory that may contain exceptions: keep the directory and
    /// look only for exceptions below it.
    ExcludedButDescend,
}

/// A parse problem: (1-based line, message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Line number.
    pub line: usize,
    /// wimlib-style explanation.
    pub message: String,
}

#[derive(Debug, Clone)]
struct Pat {
    absolute: bool,
    /// Absolute: one pattern per component; relative: a single pattern.
    parts: Vec<Pattern>,
}

/// A parsed capture configuration.
#[derive(Debug, Clone, Default)]
pub struct CaptureConfig {
    exclusions: Vec<Pat>,
    exceptions: Vec<Pat>,
    /// Warnings met while parsing (`file:line: text`).
    pub warnings: Vec<String>,
}

const OPTS: MatchOptions = MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: false,
};

/// The default exclusions used when no configuration file is given.
pub const DEFAULT_EXCLUSIONS: &[&str] = &[
    "\\$ntfs.log",
    "\\hiberfil.sys",
    "\\pagefile.sys",
    "\\swapfile.sys",
    "\\System Volume Information",
    "\\RECYCLER",
    "\\$RECYCLE.BIN",
    "\\$Recycle.Bin",
    "\\Windows\\CSC",
];

/// Decodes a configuration file: UTF-16LE (BOM or a NUL in the second byte) or UTF-8
/// (optional BOM).
pub fn decode_text(bytes: &[u8]) -> String {
    let utf16 =
        bytes.starts_with(&[0xFF, 0xFE]) || (bytes.len() >= 2 && bytes[1] == 0 && bytes[0] != 0);
    if utf16 {
        let body = bytes.strip_prefix(&[0xFF, 0xFE][..]).unwrap_or(bytes);
        let units: Vec<u16> = body
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(bytes);
        String::from_utf8_lossy(body).into_owned()
    }
}

fn escape_glob_brackets(s: &str) -> String {
    // glob's Pattern needs balanced brackets; an unbalanced `[` is matched literally.
    if Pattern::new(s).is_ok() {
        s.to_string()
    } else {
        s.replace('[', "[[]")
    }
}

fn compile(text: &str) -> Pattern {
    let s = escape_glob_brackets(text);
    Pattern::new(&s).unwrap_or_else(|_| Pattern::new(&Pattern::escape(text)).unwrap_or_default())
}

impl CaptureConfig {
    /// The configuration wimlib uses when none is given (the default exclusions).
    pub fn default_exclusions() -> CaptureConfig {
        let mut c = CaptureConfig::default();
        for p in DEFAULT_EXCLUSIONS {
            if let Ok(Some(p)) = parse_pattern(p, &mut Vec::new(), "", 0) {
                c.exclusions.push(p);
            }
        }
        c
    }

    /// Parses the text of a configuration file; `name` is used in messages.
    pub fn parse(text: &str, name: &str) -> Result<CaptureConfig, ConfigError> {
        #[derive(PartialEq)]
        enum Sec {
            None,
            Excl,
            Exc,
            Ignored,
        }
        let mut c = CaptureConfig::default();
        let mut sec = Sec::None;
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let l = raw.trim_matches(|ch: char| ch.is_whitespace() || ch == '\u{feff}');
            if l.is_empty() || l.starts_with('#') || l.starts_with(';') {
                continue;
            }
            if l.starts_with('[') && l.ends_with(']') {
                sec = match l {
                    "[ExclusionList]" => Sec::Excl,
                    "[ExclusionException]" => Sec::Exc,
                    "[PrepopulateList]" | "[CompressionExclusionList]" | "[AlignmentList]" => {
                        Sec::Ignored
                    }
                    _ => {
                        c.warnings
                            .push(format!("{name}:{line}: Unrecognized section \"{l}\""));
                        Sec::Ignored
                    }
                };
                continue;
            }
            match sec {
                Sec::None => {
                    c.warnings
                        .push(format!("{name}:{line}: Not in a bracketed section!"));
                }
                Sec::Ignored => {}
                Sec::Excl | Sec::Exc => {
                    if let Some(p) = parse_pattern(l, &mut c.warnings, name, line)? {
                        if sec == Sec::Excl {
                            c.exclusions.push(p);
                        } else {
                            c.exceptions.push(p);
                        }
                    }
                }
            }
        }
        Ok(c)
    }

    /// True when there is nothing to exclude.
    pub fn is_empty(&self) -> bool {
        self.exclusions.is_empty()
    }

    /// Decides about the entry at `components` (path from the capture root, not empty)
    /// named `components.last()`.
    pub fn verdict(&self, components: &[&str]) -> Verdict {
        if !self.exclusions.iter().any(|p| p.matches(components)) {
            return Verdict::Include;
        }
        if self.exceptions.iter().any(|p| p.matches(components)) {
            return Verdict::Include;
        }
        if self
            .exceptions
            .iter()
            .any(|p| p.absolute && p.prefix_matches(components))
        {
            return Verdict::ExcludedButDescend;
        }
        Verdict::Exclude
    }

    /// Inside an excluded directory: `Include` for an exception, `ExcludedButDescend`
    /// for a directory on the way to one, `Exclude` otherwise.
    pub fn verdict_in_excluded(&self, components: &[&str]) -> Verdict {
        if self
            .exceptions
            .iter()
            .any(|p| p.absolute && p.matches(components))
        {
            Verdict::Include
        } else if self
            .exceptions
            .iter()
            .any(|p| p.absolute && p.prefix_matches(components))
        {
            Verdict::ExcludedButDescend
        } else {
            Verdict::Exclude
        }
    }
}

impl Pat {
    fn matches(&self, comps: &[&str]) -> bool {
        if self.absolute {
            self.parts.len() == comps.len()
                && self
                    .parts
                    .iter()
                    .zip(comps)
                    .all(|(p, c)| p.matches_with(c, OPTS))
        } else {
            comps
                .last()
                .is_some_and(|c| self.parts.iter().all(|p| p.matches_with(c, OPTS)))
        }
    }
    /// The pattern has more components than `comps` and its first ones match.
    fn prefix_matches(&self, comps: &[&str]) -> bool {
        self.parts.len() > comps.len()
            && self
                .parts
                .iter()
                .zip(comps)
                .all(|(p, c)| p.matches_with(c, OPTS))
    }
}

fn parse_pattern(
    l: &str,
    warnings: &mut Vec<String>,
    name: &str,
    line: usize,
) -> Result<Option<Pat>, ConfigError> {
    let mut s = l.trim();
    if s.len() >= 2
        && ((s.starts_with('"') && s.ends_with('"')) || (s.starts_with('\'') && s.ends_with('\'')))
    {
        s = &s[1..s.len() - 1];
    }
    let mut t: String = s.replace('\\', "/");
    let b = t.as_bytes();
    if b.len() >= 2 && b[1] == b':' && b[0].is_ascii_alphabetic() {
        warnings.push(format!(
            "{name}:{line}: Pattern \"{s}\" starts with a drive letter, which is being removed."
        ));
        t = t[2..].to_string();
        if !t.starts_with('/') {
            t.insert(0, '/');
        }
    }
    while t.len() > 1 && t.ends_with('/') {
        t.pop();
    }
    if t.is_empty() {
        return Ok(None);
    }
    let absolute = t.starts_with('/');
    if absolute {
        let parts: Vec<Pattern> = t
            .split('/')
            .filter(|c| !c.is_empty())
            .map(compile)
            .collect();
        Ok(Some(Pat { absolute, parts }))
    } else if t.contains('/') {
        Err(ConfigError {
            line,
            message: format!(
                "Invalid pattern \"{s}\":\n        Relative patterns can only include one path component!\n        Maybe try \"/{s}\"?"
            ),
        })
    } else {
        Ok(Some(Pat {
            parts: vec![compile(&t)],
            absolute,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(s: &str) -> CaptureConfig {
        CaptureConfig::parse(s, "t").unwrap()
    }
    fn v(c: &CaptureConfig, p: &str) -> Verdict {
        let comps: Vec<&str> = p.split('/').filter(|c| !c.is_empty()).collect();
        c.verdict(&comps)
    }

    #[test]
    fn relative_matches_names_anywhere() {
        let c = cfg("[ExclusionList]\n*.txt\nb\n");
        assert_eq!(v(&c, "/x.txt"), Verdict::Exclude);
        assert_eq!(v(&c, "/a/b/x.txt"), Verdict::Exclude);
        assert_eq!(v(&c, "/a/b"), Verdict::Exclude);
        assert_eq!(v(&c, "/a/B"), Verdict::Include);
        assert_eq!(v(&c, "/a/y.dat"), Verdict::Include);
    }

    #[test]
    fn absolute_is_anchored_and_star_stays_in_component() {
        let c = cfg("[ExclusionList]\n/*/x.txt\n\\a\\b\\\nC:\\z\n");
        assert_eq!(v(&c, "/a/x.txt"), Verdict::Exclude);
        assert_eq!(v(&c, "/x.txt"), Verdict::Include);
        assert_eq!(v(&c, "/a/b/x.txt"), Verdict::Include);
        assert_eq!(v(&c, "/a/b"), Verdict::Exclude);
        assert_eq!(v(&c, "/z"), Verdict::Exclude);
        assert_eq!(c.warnings.len(), 1);
    }

    #[test]
    fn exceptions_and_descend() {
        let c = cfg("[ExclusionList]\n/a\n*.txt\n[ExclusionException]\n/a/keep.txt\nk*.txt\n");
        assert_eq!(v(&c, "/a"), Verdict::ExcludedButDescend);
        assert_eq!(c.verdict_in_excluded(&["a", "keep.txt"]), Verdict::Include);
        assert_eq!(c.verdict_in_excluded(&["a", "b"]), Verdict::Exclude);
        assert_eq!(v(&c, "/b/keep.txt"), Verdict::Include);
        assert_eq!(v(&c, "/b/x.txt"), Verdict::Exclude);
    }

    #[test]
    fn relative_with_separator_is_an_error() {
        let e = CaptureConfig::parse("[ExclusionList]\na/b\n", "t").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(
            e.message
                .contains("Relative patterns can only include one path component")
        );
    }

    #[test]
    fn sections_comments_quotes_and_encodings() {
        let c = cfg("x\n[Foo]\ny\n[ExclusionList]\n; c\n# d\n  \"/b\"  \n");
        assert_eq!(c.warnings.len(), 2);
        assert_eq!(v(&c, "/b"), Verdict::Exclude);
        assert_eq!(v(&c, "/y"), Verdict::Include);
        let mut u16: Vec<u8> = vec![0xFF, 0xFE];
        for u in "[ExclusionList]\r\n/q\r\n".encode_utf16() {
            u16.extend_from_slice(&u.to_le_bytes());
        }
        let c = cfg(&decode_text(&u16));
        assert_eq!(v(&c, "/q"), Verdict::Exclude);
        let c = cfg(&decode_text(b"\xEF\xBB\xBF[ExclusionList]\r\n/q\r\n"));
        assert_eq!(v(&c, "/q"), Verdict::Exclude);
    }

    #[test]
    fn defaults() {
        let c = CaptureConfig::default_exclusions();
        assert_eq!(v(&c, "/pagefile.sys"), Verdict::Exclude);
        assert_eq!(v(&c, "/Windows/CSC"), Verdict::Exclude);
        assert_eq!(v(&c, "/x/pagefile.sys"), Verdict::Include);
    }
}

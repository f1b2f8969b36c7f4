//! A small, strict XML reader for the WIM XML document: elements, attributes (order
//! kept), text, CDATA, comments and processing instructions. No DTDs (a `<!DOCTYPE` is
//! refused, so entity expansion bombs cannot happen), only the five predefined entities
//! and numeric character references. Nesting depth is bounded.
//!
//! The input is UTF-16LE, normally with a BOM (WIMGAPI requires it); a missing BOM is
//! tolerated, as are trailing NUL code units. Error offsets are byte offsets into the XML
//! resource.

use crate::error::{FormatError, FormatErrorKind, Result};

/// One node of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XmlNode {
    /// An element.
    Element(Element),
    /// Character data (entities already decoded).
    Text(String),
    /// A CDATA section's contents.
    CData(String),
    /// A comment's contents (between `<!--` and `-->`).
    Comment(String),
    /// A processing instruction's contents (between `<?` and `?>`), e.g. the XML declaration.
    ProcessingInstruction(String),
}

/// An element: name, attributes in document order, children.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    /// The tag name.
    pub name: String,
    /// Attributes in document order (values decoded).
    pub attributes: Vec<(String, String)>,
    /// Child nodes in document order.
    pub children: Vec<XmlNode>,
}

/// A whole document: misc nodes before the root, the root element, misc nodes after.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct XmlDocument {
    /// Nodes before the root element (declaration, comments, whitespace).
    pub before: Vec<XmlNode>,
    /// The root element.
    pub root: Element,
    /// Nodes after the root element.
    pub after: Vec<XmlNode>,
}

impl Element {
    /// A new element without attributes or children.
    pub fn new(name: impl Into<String>) -> Self {
        Element {
            name: name.into(),
            ..Element::default()
        }
    }
    /// The value of attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    /// Sets (or adds, at the end) attribute `name`.
    pub fn set_attr(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self.attributes.iter_mut().find(|(k, _)| k == name) {
            Some((_, v)) => *v = value,
            None => self.attributes.push((name.to_string(), value)),
        }
    }
    /// Child elements, in order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            XmlNode::Element(e) => Some(e),
            _ => None,
        })
    }
    /// Child elements named `name`, in order.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.elements().filter(move |e| e.name == name)
    }
    /// The first child element named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.elements().find(|e| e.name == name)
    }
    /// The first child element named `name`, mutably.
    pub fn child_mut(&mut self, name: &str) -> Option<&mut Element> {
        self.children.iter_mut().find_map(|n| match n {
            XmlNode::Element(e) if e.name == name => Some(e),
            _ => None,
        })
    }
    /// Follows a `/`-separated path of child element names (first match at each step).
    pub fn descendant(&self, path: &str) -> Option<&Element> {
        path.split('/')
            .filter(|s| !s.is_empty())
            .try_fold(self, |e, n| e.child(n))
    }
    /// The concatenated text and CDATA of this element's direct children.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for n in &self.children {
            if let XmlNode::Text(t) | XmlNode::CData(t) = n {
                s.push_str(t);
            }
        }
        s
    }
    /// The text of the descendant at `path`.
    pub fn text_at(&self, path: &str) -> Option<String> {
        self.descendant(path).map(Element::text)
    }
    /// Replaces this element's children by one text node.
    pub fn set_text(&mut self, text: impl Into<String>) {
        self.children = vec![XmlNode::Text(text.into())];
    }
    /// Sets the text of the child `name`, creating it at the end when missing.
    pub fn set_child_text(&mut self, name: &str, text: impl Into<String>) {
        match self.child_mut(name) {
            Some(e) => e.set_text(text),
            None => {
                let mut e = Element::new(name);
                e.set_text(text);
                self.children.push(XmlNode::Element(e));
            }
        }
    }
    /// Removes every child element named `name`; returns how many were removed.
    pub fn remove_children(&mut self, name: &str) -> usize {
        let before = self.children.len();
        self.children
            .retain(|n| !matches!(n, XmlNode::Element(e) if e.name == name));
        before - self.children.len()
    }
}

/// Decodes the UTF-16LE XML resource (BOM optional, trailing NULs ignored) to a string.
pub fn decode_utf16le(bytes: &[u8]) -> Result<(String, usize)> {
    let bom = if bytes.starts_with(&[0xFF, 0xFE]) {
        2
    } else {
        0
    };
    let body = &bytes[bom..];
    if !body.len().is_multiple_of(2) {
        return Err(FormatError::new(
            FormatErrorKind::BadXml,
            format!("XML data has an odd length of {} bytes", bytes.len()),
        )
        .at(bytes.len() as u64 - 1)
        .into());
    }
    let mut units: Vec<u16> = body
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    while units.last() == Some(&0) {
        units.pop();
    }
    let mut s = String::with_capacity(units.len());
    let mut pos = 0usize;
    for r in char::decode_utf16(units.iter().copied()) {
        match r {
            Ok(c) => {
                pos += c.len_utf16();
                s.push(c);
            }
            Err(_) => {
                return Err(FormatError::new(
                    FormatErrorKind::BadXml,
                    "XML data is not valid UTF-16 (unpaired surrogate)",
                )
                .at((bom + pos * 2) as u64)
                .into());
            }
        }
    }
    Ok((s, bom))
}

struct P<'a> {
    s: &'a [char],
    i: usize,
    bom: usize,
    max_depth: u32,
}

impl P<'_> {
    fn offset(&self, i: usize) -> u64 {
        let units: usize = self.s[..i.min(self.s.len())]
            .iter()
            .map(|c| c.len_utf16())
            .sum();
        (self.bom + units * 2) as u64
    }
    fn err(&self, detail: impl Into<String>) -> crate::Error {
        FormatError::new(FormatErrorKind::BadXml, detail.into())
            .at(self.offset(self.i))
            .into()
    }
    fn starts(&self, pat: &str) -> bool {
        pat.chars()
            .enumerate()
            .all(|(k, c)| self.s.get(self.i + k) == Some(&c))
    }
    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }
    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.i += 1;
        }
    }
    /// Reads until `end`, returning the text before it and consuming `end`.
    fn until(&mut self, end: &str, what: &str) -> Result<String> {
        let start = self.i;
        while self.i < self.s.len() {
            if self.starts(end) {
                let t: String = self.s[start..self.i].iter().collect();
                self.i += end.chars().count();
                return Ok(t);
            }
            self.i += 1;
        }
        self.i = start;
        Err(self.err(format!("unterminated {what}")))
    }
    fn name(&mut self) -> Result<String> {
        let start = self.i;
        while let Some(c) = self.peek() {
            if c.is_whitespace() || matches!(c, '/' | '>' | '=' | '<' | '"' | '\'' | '?' | '!') {
                break;
            }
            self.i += 1;
        }
        if self.i == start {
            return Err(self.err("expected a name"));
        }
        Ok(self.s[start..self.i].iter().collect())
    }
    fn unescape(&self, raw: &[char], at: usize) -> Result<String> {
        let mut out = String::with_capacity(raw.len());
        let mut i = 0;
        while i < raw.len() {
            let c = raw[i];
            if c != '&' {
                out.push(c);
                i += 1;
                continue;
            }
            let end = raw[i..].iter().position(|&c| c == ';').map(|p| i + p);
            let Some(end) = end.filter(|&e| e - i <= 12) else {
                return Err(FormatError::new(
                    FormatErrorKind::BadXml,
                    "unterminated entity reference",
                )
                .at(self.offset(at + i))
                .into());
            };
            let ent: String = raw[i + 1..end].iter().collect();
            let ch = match ent.as_str() {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                e => e
                    .strip_prefix("#x")
                    .or_else(|| e.strip_prefix("#X"))
                    .map(|h| u32::from_str_radix(h, 16))
                    .or_else(|| e.strip_prefix('#').map(str::parse::<u32>))
                    .and_then(|r| r.ok())
                    .and_then(char::from_u32),
            };
            let Some(ch) = ch else {
                return Err(FormatError::new(
                    FormatErrorKind::BadXml,
                    format!("unknown entity reference &{ent};"),
                )
                .at(self.offset(at + i))
                .into());
            };
            out.push(ch);
            i = end + 1;
        }
        Ok(out)
    }
    /// Parses a comment, PI or CDATA at `<`; `None` if it is none of those.
    fn misc(&mut self) -> Result<Option<XmlNode>> {
        if self.starts("<!--") {
            self.i += 4;
            return Ok(Some(XmlNode::Comment(self.until("-->", "comment")?)));
        }
        if self.starts("<?") {
            self.i += 2;
            return Ok(Some(XmlNode::ProcessingInstruction(
                self.until("?>", "processing instruction")?,
            )));
        }
        if self.starts("<![CDATA[") {
            self.i += 9;
            return Ok(Some(XmlNode::CData(self.until("]]>", "CDATA section")?)));
        }
        if self.starts("<!") {
            return Err(self.err("DOCTYPE and other declarations are not allowed"));
        }
        Ok(None)
    }
    fn element(&mut self) -> Result<Element> {
        // Iterative: a stack of open elements, so hostile nesting cannot overflow ours.
        let mut stack: Vec<Element> = Vec::new();
        loop {
            // At '<' of a start tag.
            self.i += 1;
            let mut e = Element::new(self.name()?);
            let self_closing = loop {
                self.skip_ws();
                match self.peek() {
                    Some('>') => {
                        self.i += 1;
                        break false;
                    }
                    Some('/') if self.starts("/>") => {
                        self.i += 2;
                        break true;
                    }
                    Some(_) => {
                        let k = self.name()?;
                        self.skip_ws();
                        if self.peek() != Some('=') {
                            return Err(self.err(format!("attribute {k} has no value")));
                        }
                        self.i += 1;
                        self.skip_ws();
                        let q = match self.peek() {
                            Some(q @ ('"' | '\'')) => q,
                            _ => return Err(self.err("expected a quoted attribute value")),
                        };
                        self.i += 1;
                        let start = self.i;
                        while self.peek().is_some_and(|c| c != q && c != '<') {
                            self.i += 1;
                        }
                        if self.peek() != Some(q) {
                            return Err(self.err("unterminated attribute value"));
                        }
                        let v = self.unescape(&self.s[start..self.i], start)?;
                        self.i += 1;
                        if e.attributes.iter().any(|(n, _)| *n == k) {
                            return Err(self.err(format!("duplicate attribute {k}")));
                        }
                        e.attributes.push((k, v));
                    }
                    None => return Err(self.err("unexpected end of XML inside a tag")),
                }
            };
            if !self_closing {
                if stack.len() as u64 >= u64::from(self.max_depth) {
                    return Err(crate::Error::LimitExceeded {
                        what: "XML nesting depth",
                        found: stack.len() as u64 + 1,
                        limit: u64::from(self.max_depth),
                    });
                }
                stack.push(e);
            } else {
                match stack.last_mut() {
                    Some(parent) => parent.children.push(XmlNode::Element(e)),
                    None => return Ok(e),
                }
            }
            // Content until the next start tag (loop again) or the document root closes.
            loop {
                let start = self.i;
                while self.peek().is_some_and(|c| c != '<') {
                    self.i += 1;
                }
                if self.i > start {
                    let t = self.unescape(&self.s[start..self.i], start)?;
                    if let Some(top) = stack.last_mut() {
                        top.children.push(XmlNode::Text(t));
                    }
                }
                if self.peek().is_none() {
                    return Err(self.err("unexpected end of XML: unclosed element"));
                }
                if let Some(n) = self.misc()? {
                    if let Some(top) = stack.last_mut() {
                        top.children.push(n);
                    }
                    continue;
                }
                if self.starts("</") {
                    let tag_start = self.i;
                    self.i += 2;
                    let name = self.name()?;
                    self.skip_ws();
                    if self.peek() != Some('>') {
                        return Err(self.err("expected '>' after closing tag name"));
                    }
                    self.i += 1;
                    let Some(done) = stack.pop() else {
                        return Err(self.err("closing tag without an open element"));
                    };
                    if done.name != name {
                        return Err(FormatError::new(
                            FormatErrorKind::BadXml,
                            format!("closing tag </{name}> does not match <{}>", done.name),
                        )
                        .at(self.offset(tag_start))
                        .into());
                    }
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(XmlNode::Element(done)),
                        None => return Ok(done),
                    }
                    continue;
                }
                break; // a start tag
            }
        }
    }
    fn misc_run(&mut self, out: &mut Vec<XmlNode>, allow_root: bool) -> Result<bool> {
        loop {
            let start = self.i;
            self.skip_ws();
            if self.i > start {
                out.push(XmlNode::Text(self.s[start..self.i].iter().collect()));
            }
            match self.peek() {
                None => return Ok(false),
                Some('<') => {
                    if let Some(n) = self.misc()? {
                        out.push(n);
                        continue;
                    }
                    if allow_root {
                        return Ok(true);
                    }
                    return Err(self.err("content after the root element"));
                }
                Some(_) => return Err(self.err("text outside the root element")),
            }
        }
    }
}

/// Parses a decoded document. `bom` is the byte size of the BOM (for offsets).
pub fn parse_document(text: &str, bom: usize, max_depth: u32) -> Result<XmlDocument> {
    let chars: Vec<char> = text.chars().collect();
    let mut p = P {
        s: &chars,
        i: 0,
        bom,
        max_depth,
    };
    let mut before = Vec::new();
    if !p.misc_run(&mut before, true)? {
        return Err(p.err("no root element"));
    }
    let root = p.element()?;
    let mut after = Vec::new();
    p.misc_run(&mut after, false)?;
    Ok(XmlDocument {
        before,
        root,
        after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<XmlDocument> {
        parse_document(s, 0, 16)
    }

    #[test]
    fn parses_elements_attributes_text() {
        let d = parse("<?xml version=\"1.0\"?>\n<A x='1' b=\"&lt;2&#x41;\"><B>t&amp;u</B><!--c--><C/><![CDATA[<raw>]]></A>\n")
            .unwrap();
        assert_eq!(d.before.len(), 2);
        assert_eq!(d.root.name, "A");
        assert_eq!(
            d.root.attributes,
            [("x".into(), "1".into()), ("b".into(), "<2A".into())]
        );
        assert_eq!(d.root.text_at("B").as_deref(), Some("t&u"));
        assert!(d.root.child("C").is_some());
        assert_eq!(d.root.text(), "<raw>");
        assert_eq!(d.after, [XmlNode::Text("\n".into())]);
    }

    fn bad_at(s: &str) -> Option<u64> {
        match parse(s) {
            Err(crate::Error::Format(f)) if f.kind() == FormatErrorKind::BadXml => f.offset(),
            other => panic!("expected BadXml, got {other:?}"),
        }
    }

    #[test]
    fn errors_have_offsets() {
        assert_eq!(bad_at("<A><B></A>"), Some(12)); // the "</A>" tag
        assert_eq!(bad_at("<A>&bogus;</A>"), Some(6));
        assert_eq!(bad_at("<!DOCTYPE x><A/>"), Some(0));
        assert_eq!(bad_at("<A>"), Some(6));
        assert_eq!(bad_at("<A/><B/>"), Some(8));
        assert_eq!(bad_at("junk<A/>"), Some(0));
        assert_eq!(bad_at(""), Some(0));
        assert_eq!(bad_at("<A x=1/>"), Some(10));
    }

    #[test]
    fn depth_limit() {
        let s = "<a>".repeat(20) + &"</a>".repeat(20);
        assert!(matches!(
            parse(&s),
            Err(crate::Error::LimitExceeded {
                what: "XML nesting depth",
                ..
            })
        ));
        let s = "<a>".repeat(10) + &"</a>".repeat(10);
        assert!(parse(&s).is_ok());
    }

    #[test]
    fn utf16_decoding() {
        let mut b = vec![0xFF, 0xFE];
        b.extend("<A/>".encode_utf16().flat_map(u16::to_le_bytes));
        b.extend([0, 0]);
        assert_eq!(decode_utf16le(&b).unwrap(), ("<A/>".to_string(), 2));
        assert_eq!(decode_utf16le(&b[2..]).unwrap(), ("<A/>".to_string(), 0));
        let e = decode_utf16le(&b[..5]).unwrap_err();
        assert_eq!(e.format_kind(), Some(FormatErrorKind::BadXml));
        let mut bad = vec![0xFF, 0xFE, 0x41, 0, 0x00, 0xD8, 0x41, 0];
        let e = decode_utf16le(&bad).unwrap_err();
        assert!(matches!(&e, crate::Error::Format(f) if f.offset() == Some(4)));
        bad.truncate(4);
        assert!(decode_utf16le(&bad).is_ok());
    }
}

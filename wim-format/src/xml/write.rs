//! Serialises an [`XmlDocument`] back to text and to UTF-16LE with a BOM (the only form
//! WIMGAPI reads). No pretty-printing: whitespace nodes read from the input are written
//! back as they were, so unknown elements and their layout survive a round trip.

use super::parse::{Element, XmlDocument, XmlNode};

fn escape_text(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

fn escape_attr(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

fn write_node(n: &XmlNode, out: &mut String) {
    match n {
        XmlNode::Element(e) => write_element(e, out),
        XmlNode::Text(t) => escape_text(t, out),
        XmlNode::CData(t) => {
            // "]]>" cannot appear inside CDATA; split it across two sections.
            out.push_str("<![CDATA[");
            out.push_str(&t.replace("]]>", "]]]]><![CDATA[>"));
            out.push_str("]]>");
        }
        XmlNode::Comment(t) => {
            out.push_str("<!--");
            out.push_str(t);
            out.push_str("-->");
        }
        XmlNode::ProcessingInstruction(t) => {
            out.push_str("<?");
            out.push_str(t);
            out.push_str("?>");
        }
    }
}

/// Writes one element (iteratively, so deep trees cannot overflow the stack).
pub fn write_element(e: &Element, out: &mut String) {
    enum Step<'a> {
        Open(&'a Element),
        Close(&'a str),
        Node(&'a XmlNode),
    }
    let mut stack = vec![Step::Open(e)];
    while let Some(step) = stack.pop() {
        match step {
            Step::Node(XmlNode::Element(e)) | Step::Open(e) => {
                out.push('<');
                out.push_str(&e.name);
                for (k, v) in &e.attributes {
                    out.push(' ');
                    out.push_str(k);
                    out.push_str("=\"");
                    escape_attr(v, out);
                    out.push('"');
                }
                if e.children.is_empty() {
                    out.push_str("/>");
                    continue;
                }
                out.push('>');
                stack.push(Step::Close(&e.name));
                stack.extend(e.children.iter().rev().map(Step::Node));
            }
            Step::Close(name) => {
                out.push_str("</");
                out.push_str(name);
                out.push('>');
            }
            Step::Node(n) => write_node(n, out),
        }
    }
}

/// The document as a string.
pub fn to_string(doc: &XmlDocument) -> String {
    let mut out = String::new();
    for n in &doc.before {
        write_node(n, &mut out);
    }
    write_element(&doc.root, &mut out);
    for n in &doc.after {
        write_node(n, &mut out);
    }
    out
}

/// UTF-16LE bytes with a leading BOM.
pub fn to_utf16le_with_bom(s: &str) -> Vec<u8> {
    let mut v = Vec::with_capacity(2 + s.len() * 2);
    v.extend_from_slice(&[0xFF, 0xFE]);
    for u in s.encode_utf16() {
        v.extend_from_slice(&u.to_le_bytes());
    }
    v
}

//! The open WIM: header, blob table, XML, images. TODO (format-core helper).

/// An open WIM file or split set.
#[derive(Debug)]
pub struct Wim {}

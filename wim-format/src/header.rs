//! TODO: header (owned by a helper).

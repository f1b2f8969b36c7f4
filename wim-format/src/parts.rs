//! TODO: parts (owned by a helper).

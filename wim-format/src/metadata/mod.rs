//! TODO: metadata (owned by a helper).

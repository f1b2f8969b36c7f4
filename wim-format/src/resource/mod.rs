//! TODO: resource (owned by a helper).

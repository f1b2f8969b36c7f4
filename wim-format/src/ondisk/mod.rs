//! TODO: ondisk (owned by a helper).

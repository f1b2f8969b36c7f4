//! TODO: integrity (owned by a helper).

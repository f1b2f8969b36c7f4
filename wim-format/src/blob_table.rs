//! TODO: blob_table (owned by a helper).

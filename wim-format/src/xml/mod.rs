//! TODO: xml (owned by a helper).

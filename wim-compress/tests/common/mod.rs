pub mod data;
pub mod enc;
pub mod libwim;

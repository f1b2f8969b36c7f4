pub mod libwim;

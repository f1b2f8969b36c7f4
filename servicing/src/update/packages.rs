//! Update packages (folders): see [`super`].

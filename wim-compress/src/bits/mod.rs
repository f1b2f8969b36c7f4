//! Bit readers and writers over 16-bit little-endian units (MSB-first within a unit).

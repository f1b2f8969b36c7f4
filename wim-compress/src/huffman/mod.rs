//! Canonical Huffman codes: decode tables and (later) length-limited code construction.

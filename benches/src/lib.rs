//! Criterion benchmarks for wimkit live in `benches/`; see README.md.

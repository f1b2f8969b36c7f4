//! Codec benchmarks (filled in with the decoders and encoders).
use criterion::{Criterion, criterion_group, criterion_main};

fn codecs(_c: &mut Criterion) {}

criterion_group!(benches, codecs);
criterion_main!(benches);

#!/bin/sh
# Peak RSS and wall time of `wimkit export` and `wimkit optimize` on a small and a large
# generated multi-image WIM (issue 4: memory must not grow with file data).
# For each size: generate (examples/big_wim.rs, uncompressed), export all images to a new
# WIM (resources copied raw), delete the source, then optimize the export (rebuilt through a
# temp file and renamed). The generated files are incompressible, so the WIM is stored
# uncompressed and both operations stream resources; what is measured is that nothing
# grows with the data size.
# Usage: benches/export_optimize_rss.sh WORKDIR [SMALL_MIB] [LARGE_MIB] [IMAGES]
# Needs ~2*LARGE MiB free in WORKDIR; every file is deleted at the end.
set -eu
dir=$1; small=${2:-2048}; large=${3:-20480}; images=${4:-4}
root=$(cd "$(dirname "$0")/.." && pwd)
# WIMKIT=path/to/wimkit uses that binary (and target/release/examples/big_wim as built).
if [ -z "${WIMKIT:-}" ]; then
  cargo build --release -q -p wimkit --manifest-path "$root/Cargo.toml"
  cargo build --release -q -p wimkit-benches --example big_wim --manifest-path "$root/Cargo.toml"
fi
bin=$root/target/release
wimkit=${WIMKIT:-$bin/wimkit}
mkdir -p "$dir"
for mib in $small $large; do
  w=$dir/big-$mib.wim; e=$dir/exp-$mib.wim
  rm -f "$w" "$e"
  "${BIG_WIM:-$bin/examples/big_wim}" "$w" "$mib" "$images" none
  echo "$mib MiB source: $(stat -c %s "$w") bytes"
  /usr/bin/time -v "$wimkit" export "$w" all "$e" 2> "$dir/export-$mib.txt" >/dev/null
  echo "$mib MiB export all: $(grep -E 'Maximum resident|Elapsed' "$dir/export-$mib.txt" | tr -s ' \t' ' ' | tr '\n' ' ')"
  rm -f "$w"
  /usr/bin/time -v "$wimkit" optimize "$e" 2> "$dir/optimize-$mib.txt" >/dev/null
  echo "$mib MiB optimize: $(grep -E 'Maximum resident|Elapsed' "$dir/optimize-$mib.txt" | tr -s ' \t' ' ' | tr '\n' ' ')"
  "$wimkit" verify "$e" >/dev/null && echo "$mib MiB: optimized export verifies ($(stat -c %s "$e") bytes)"
  rm -f "$e"
done

#!/bin/bash
# Speed of `wimkit export WIM 1 NEW` against `cp` of the same number of bytes (issue 4:
# exporting one image of a multi-image WIM at >= 0.8x cp's speed). Page cache warm, new
# destination file each run, export and cp alternating; best and median of 9 (bash `time`).
#   benches/export_vs_cp.sh wine WORKDIR : wimlib's XPRESS capture of the wine corpus
#       (/tmp/bw/xpress.wim, or made here) with /usr/share/locale appended as image 2
#       (image 1: ~216 MB, 814 resources)
#   benches/export_vs_cp.sh big WORKDIR  : two 1 GiB uncompressed images (examples/big_wim.rs)
# WIMKIT=path uses that binary instead of building target/release/wimkit.
set -eu
kind=$1; d=$2/export_vs_cp.$$; mkdir -p "$d"; trap 'rm -rf "$d"' EXIT
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${WIMKIT:-}" ]; then
  cargo build --release -q -p wimkit --manifest-path "$root/Cargo.toml"
  cargo build --release -q -p wimkit-benches --example big_wim --manifest-path "$root/Cargo.toml"
fi
W=${WIMKIT:-$root/target/release/wimkit}
if [ "$kind" = wine ]; then
  if [ -f /tmp/bw/xpress.wim ]; then cp /tmp/bw/xpress.wim "$d/multi.wim"
  else wimlib-imagex capture /tmp/wim-corpus/wine "$d/multi.wim" wine --compress=XPRESS >/dev/null; fi
  wimlib-imagex append /usr/share/locale "$d/multi.wim" locale >/dev/null
else
  "$root/target/release/examples/big_wim" "$d/multi.wim" 2048 2 none >/dev/null
fi
# Both sides read page cache in the same state, as for files read from disk: freshly
# written pages sit in small folios that copy ~20 % slower than the large ones readahead
# makes (ext4, Linux 6.18). So the source WIM is dropped from the cache and re-read, and
# cp copies `ref.wim` (the bytes of one export, also dropped and re-read), not the export
# just written.
recache() { sync; dd if="$1" iflag=nocache count=0 status=none; cat "$1" >/dev/null; }
recache "$d/multi.wim"
"$W" export "$d/multi.wim" 1 "$d/ref.wim" >/dev/null 2>&1
recache "$d/ref.wim"
TIMEFORMAT=%R
: >"$d/ours"; : >"$d/cp"
for _ in $(seq 9); do
  rm -f "$d/out.wim"; sync; { time "$W" export "$d/multi.wim" 1 "$d/out.wim" >/dev/null 2>&1; } 2>>"$d/ours"
  rm -f "$d/c.wim"; sync; { time cp "$d/ref.wim" "$d/c.wim"; } 2>>"$d/cp"
done
o=$(sort -n "$d/ours" | head -1); c=$(sort -n "$d/cp" | head -1)
echo "$kind: image 1 $(stat -c %s "$d/out.wim") bytes of $(stat -c %s "$d/multi.wim"); best of 9: export $o s, cp $c s, speed export/cp $(echo "$c/$o" | bc -l | cut -c1-5); medians $(sort -n "$d/ours" | sed -n 5p) / $(sort -n "$d/cp" | sed -n 5p)"
"$W" verify "$d/out.wim" >/dev/null 2>&1 && wimlib-imagex verify "$d/out.wim" >/dev/null 2>&1 && echo "the export verifies with wimkit and wimlib-imagex"

#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 60) with libFuzzer (AddressSanitizer, leak
# detection on) and prints a table: executions, coverage (cov = edges, ft = features),
# corpus size and outcome per target.
#
#   fuzz/run-all.sh 600            # the 10-minute-per-target campaign
#   TARGETS="xml header" fuzz/run-all.sh 60
#
# Needs nightly and cargo-fuzz (`cargo install cargo-fuzz`). New corpus entries go to
# $WORK (default /tmp/wimkit-fuzz), not into the repository; seeds derived from the real
# fixtures are generated there too. Any crash, timeout, OOM or leak is copied into
# regressions/<target>/ (replayed by `cargo test --release` on stable) and the script
# exits non-zero.
set -uo pipefail
cd "$(dirname "$0")"
SECS=${1:-60}
WORK=${WORK:-/tmp/wimkit-fuzz}
RSS_MB=${RSS_MB:-2048}
ALL="header blob_table metadata xml integrity open_wim resource_reader_chunking \
xpress_decompress lzx_decompress lzms_decompress xpress_roundtrip lzx_roundtrip lzms_roundtrip"
TARGETS=${TARGETS:-$ALL}
mkdir -p "$WORK/seeds" "$WORK/logs"

cargo run --release --quiet --example make_corpus -- "$WORK/seeds" >/dev/null
cargo +nightly fuzz build --features libfuzzer >"$WORK/logs/build.log" 2>&1 \
  || { echo "fuzz build failed; see $WORK/logs/build.log"; tail -20 "$WORK/logs/build.log"; exit 2; }

status=0
rows=()
for t in $TARGETS; do
  mkdir -p "$WORK/corpus/$t" "$WORK/seeds/$t" "regressions/$t" "artifacts/$t"
  log="$WORK/logs/$t.log"
  extra=()
  [ -d "regressions/$t" ] && extra+=("regressions/$t")
  cargo +nightly fuzz run --features libfuzzer "$t" "$WORK/corpus/$t" "corpus/$t" "$WORK/seeds/$t" "${extra[@]}" -- \
    -max_total_time="$SECS" -timeout=10 -rss_limit_mb="$RSS_MB" -malloc_limit_mb="$RSS_MB" \
    -print_final_stats=1 -detect_leaks=1 >"$log" 2>&1
  rc=$?
  execs=$(grep -ao 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -ao '[0-9]*$' | tail -1)
  last=$(grep -aE '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.*corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$last")
  outcome=ok
  if [ $rc -ne 0 ]; then
    outcome="FAIL(rc=$rc)"
    status=1
    for a in artifacts/"$t"/*; do
      [ -f "$a" ] || continue
      cp "$a" "regressions/$t/" && outcome="$outcome $(basename "$a")"
    done
  fi
  rows+=("$(printf '%-26s %12s %7s %8s %12s  %s' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$outcome")")
  echo "${rows[-1]}"
done

echo
printf '%-26s %12s %7s %8s %12s  %s\n' target execs cov ft corpus outcome
printf '%s\n' "${rows[@]}"
echo "(${SECS}s per target; logs in $WORK/logs)"
exit $status

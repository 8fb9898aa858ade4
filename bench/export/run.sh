#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Export benchmark: `apcctl capture_export` of a whole stored capture against
# `tcpdump -r IN -w OUT` on the same packets (issue 15: ours at least 0.5x tcpdump's speed).
#
# Usage: bench/export/run.sh [-b BUILD_DIR] [-n PACKETS] [-r RUNS] [-o WORK_DIR] [-k]
#   -b  build directory with apcctl and gen_pcap (default: build)
#   -n  packets to generate (default 1000000; gen_pcap's default mix, 256 flows)
#   -r  timed runs of each tool, alternating (default 5); the median counts
#   -o  where the input, the store and the outputs go (default: bench/out/export, git-ignored)
#   -k  keep the work files
# The capture is ingested once (apcctl ingest); then `tcpdump -r IN -w OUT` and
# `apcctl capture_export capture_id=1 path=OUT overwrite=1 wait=1` (OUT in the store's export
# directory, the default export root) alternate, each after `sync`,
# the input and the store's segments read once before so both read from the page cache. Prints
# both medians (CPU time in parentheses), speed ours/tcpdump (tcpdump time / ours), packets/s,
# and a Markdown row. See docs/benchmarks.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_options "$ROOT/bench/out/export" '3,16p' "" "$@"
cleanup() {
    [ "$KEEP" -eq 1 ] || rm -rf "$WORK/gen.pcap" "$WORK/data" "$WORK"/out-*.pcap*
}
trap cleanup EXIT

"$GEN" -n "$PACKETS" -o "$WORK/gen.pcap"
rm -rf "$WORK/data"
mkdir -p "$WORK/data"
"$APCCTL" --data-dir "$WORK/data" ingest "$WORK/gen.pcap" >/dev/null
cat "$WORK/gen.pcap" "$WORK"/data/captures/1/* >/dev/null
mkdir -p "$WORK/data/exports"
OUT=$WORK/data/exports/out-us.pcapng

echo "load average $(bench_load)"
t_td=() t_us=() c_td=() c_us=()
for ((i = 1; i <= RUNS; i++)); do
    rm -f "$WORK/out-td.pcap"
    sync
    t0=$(now)
    /usr/bin/time -v -o "$WORK/time-td.txt" tcpdump -r "$WORK/gen.pcap" -w "$WORK/out-td.pcap" 2>/dev/null
    t_td+=("$(elapsed "$t0" "$(now)")")
    c_td+=("$(cpu_of "$WORK/time-td.txt")")
    rm -f "$WORK/out-td.pcap" "$OUT"
    sync
    t0=$(now)
    /usr/bin/time -v -o "$WORK/time-us.txt" "$APCCTL" --data-dir "$WORK/data" capture_export \
        capture_id=1 path="$OUT" overwrite=1 wait=1 >"$WORK/export.out" 2>&1 || {
        echo "our export failed (run $i):"
        tail -n 20 "$WORK/export.out"
        exit 1
    }
    t_us+=("$(elapsed "$t0" "$(now)")")
    c_us+=("$(cpu_of "$WORK/time-us.txt")")
    echo "run $i: tcpdump ${t_td[-1]} s (CPU ${c_td[-1]} s), ours ${t_us[-1]} s (CPU ${c_us[-1]} s)"
done
n=$(bench_packets "$OUT")
echo "exported: $n packets (input $PACKETS)"
python3 - "$(echo "${t_us[*]}" | median)" "$(echo "${t_td[*]}" | median)" \
    "$(echo "${c_us[*]}" | median)" "$(echo "${c_td[*]}" | median)" "$PACKETS" \
    "$(cut -d' ' -f1 /proc/loadavg)" <<'PY'
import sys
ours, td, cu, ct, n = (float(x) for x in sys.argv[1:6])
speed = td / ours if ours else 0
print(f"our export:     {ours:.3f} s (median), CPU {cu:.2f} s")
print(f"tcpdump -r -w:  {td:.3f} s (median), CPU {ct:.2f} s")
print(f"speed ours/tcpdump: {speed:.2f}   target >= 0.5   {'ok' if speed >= 0.5 else 'MISSED'}")
print(f"| {int(n)} | {ours:.2f} s ({cu:.2f}) | {td:.2f} s ({ct:.2f}) | {speed:.2f} | {n / ours:,.0f} | {sys.argv[6]} |")
PY

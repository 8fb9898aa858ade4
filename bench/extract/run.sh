#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Extraction benchmark (issue 10, "Performance"): ingest of a generated capture with file
# extraction enabled against the same ingest with it disabled.
#
# Usage: bench/extract/run.sh [-b BUILD_DIR] [-n PACKETS] [-r RUNS] [-o WORK_DIR] [-k]
#   -b  build directory with apcctl and gen_pcap (default: build)
#   -n  packets to generate (default 1000000; gen_pcap's default mix, 256 flows, whose port-80
#       flows are HTTP/1.1 GETs answered by 200 responses with a Content-Length body)
#   -r  timed runs of each mode, alternating (default 5); the median counts
#   -o  where the input and the data dirs go (default: bench/out/extract, git-ignored)
#   -k  keep the work files
# Disabled: `apcctl ingest IN` into a new data dir. Enabled: `apcctl extract_enable`, then
# `apcctl ingest IN` (the examination runs beside the ingest, following its commits, and the
# one-shot apcctl waits for it before it exits) and `apcctl extract_query capture_id=1`, which
# must find the examination done (State "done": nothing left to run), timed together. Prints both medians (CPU in parentheses), the ratio enabled/disabled (target <= 1.5),
# the peak RSS of the enabled runs (target < 200 MB), the files found, and a Markdown row.
# See docs/benchmarks.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_options "$ROOT/bench/out/extract" '3,18p' "" "$@"
cleanup() {
    [ "$KEEP" -eq 1 ] || rm -rf "$WORK/gen.pcap" "$WORK"/data-*
}
trap cleanup EXIT

"$GEN" -n "$PACKETS" -o "$WORK/gen.pcap"
cat "$WORK/gen.pcap" >/dev/null

# run_ingest MODE DATA: one timed ingest (and, enabled, the examination); appends to the arrays.
run_ingest() {
    local mode=$1 data=$2 t0 kb
    rm -rf "$WORK"/data-*
    mkdir -p "$data"
    if [ "$mode" = on ]; then
        "$APCCTL" --data-dir "$data" extract_enable >/dev/null
    fi
    sync
    t0=$(now)
    /usr/bin/time -v -o "$WORK/time-ingest.txt" "$APCCTL" --data-dir "$data" ingest "$WORK/gen.pcap" \
        >"$WORK/ingest.out" 2>&1 || {
        echo "ingest failed ($mode):"
        tail -n 20 "$WORK/ingest.out"
        exit 1
    }
    local cpu rss
    cpu=$(cpu_of "$WORK/time-ingest.txt")
    rss=$(rss_of "$WORK/time-ingest.txt")
    if [ "$mode" = on ]; then
        /usr/bin/time -v -o "$WORK/time-query.txt" "$APCCTL" --data-dir "$data" --json extract_query \
            capture_id=1 >"$WORK/query.json" 2>"$WORK/query.err" || {
            echo "extract_query failed:"
            tail -n 20 "$WORK/query.err"
            exit 1
        }
        grep -q '"State":"done"' "$WORK/query.json" || {
            echo "the ingest ended before its examination (extract_query did not find it done):"
            head -c 600 "$WORK/query.json"
            exit 1
        }
        cpu=$(awk -v a="$cpu" -v b="$(cpu_of "$WORK/time-query.txt")" 'BEGIN { printf "%.2f", a + b }')
        kb=$(rss_of "$WORK/time-query.txt")
        [ "$kb" -gt "$rss" ] && rss=$kb
    fi
    T=$(elapsed "$t0" "$(now)")
    C=$cpu
    R=$rss
}

echo "input: $WORK/gen.pcap, $(stat -c %s "$WORK/gen.pcap") bytes, $PACKETS packets; load average $(bench_load)"
t_off=() t_on=() c_off=() c_on=() peak_kb=0 peak_off_kb=0
for ((i = 1; i <= RUNS; i++)); do
    run_ingest off "$WORK/data-off"
    t_off+=("$T") c_off+=("$C")
    [ "$R" -gt "$peak_off_kb" ] && peak_off_kb=$R
    run_ingest on "$WORK/data-on"
    t_on+=("$T") c_on+=("$C")
    [ "$R" -gt "$peak_kb" ] && peak_kb=$R
    echo "run $i: disabled ${t_off[-1]} s (CPU ${c_off[-1]} s), enabled ${t_on[-1]} s (CPU ${c_on[-1]} s, peak RSS $((R / 1024)) MB)"
done

files=$(python3 - "$WORK/query.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))["ReturnValue"]
s = v.get("Streams") or []
done = sum(1 for x in s if x.get("Complete"))
print(f"{v.get('State')}: {len(s)} files, {done} complete" + (" (the first page; more follow)" if v.get("More") else ""))
PY
)
echo "extraction: $files"
python3 - "$(echo "${t_on[*]}" | median)" "$(echo "${t_off[*]}" | median)" \
    "$(echo "${c_on[*]}" | median)" "$(echo "${c_off[*]}" | median)" "$PACKETS" "$peak_kb" \
    "$peak_off_kb" "$RUNS" "$(cut -d' ' -f1 /proc/loadavg)" <<'PY'
import sys
on, off, con, coff, n, kb, kb_off = (float(x) for x in sys.argv[1:8])
runs, load = sys.argv[8:10]
ratio = on / off if off else float("inf")
rss = kb / 1024
def mark(ok): return "ok" if ok else "MISSED"
print(f"extraction enabled:  {on:.3f} s (median of {runs}), CPU {con:.2f} s")
print(f"extraction disabled: {off:.3f} s (median of {runs}), CPU {coff:.2f} s")
print(f"ratio:               {ratio:.2f}   target <= 1.5   {mark(ratio <= 1.5)}")
print(f"peak RSS enabled:    {rss:.0f} MB   target < 200   {mark(rss < 200)}   (disabled: {kb_off / 1024:.0f} MB)")
print(f"| {int(n)} | {on:.2f} s ({con:.2f}) | {off:.2f} s ({coff:.2f}) | {ratio:.2f} | {rss:.0f} MB | {load} |")
PY

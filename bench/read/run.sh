#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Read benchmark: `apcctl read ID > /dev/null` (summary lines, streamed by pages) against
# `tcpdump -nr FILE > /dev/null` on the same generated capture.
#
# Usage: bench/read/run.sh [-b BUILD_DIR] [-n PACKETS] [-o WORK_DIR] [-k]
#   -b  build directory with apcctl and gen_pcap (default: build)
#   -n  packets to generate (default 1000000)
#   -o  where the capture and the data dir go (default: bench/out/read)
#   -k  keep the work files
# Prints both times, their ratio (target <= 2.0), apcctl's peak RSS (target < 50 MB), the time
# to apcctl's first line, and the load (`uptime`). See docs/benchmarks.md. Exit status 1 if
# the ingest or the read fails; missed targets are reported, not fatal.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_options "$ROOT/bench/out/read" '3,13p' "" "$@"
cleanup() {
    if [ "$KEEP" -eq 0 ]; then
        rm -rf "$WORK/gen.pcap" "$WORK/data"
    fi
}
trap cleanup EXIT

INPUT=$WORK/gen.pcap
rm -rf "$WORK/data"
"$GEN" -n "$PACKETS" -o "$INPUT"
"$APCCTL" --data-dir "$WORK/data" --quiet ingest "$INPUT" >"$WORK/ingest.out" 2>&1 || {
    echo "ingest failed:"
    tail -n 20 "$WORK/ingest.out"
    exit 1
}
id=$("$APCCTL" --data-dir "$WORK/data" --json capture_list_completed |
    python3 -c 'import json,sys; print(max(c["CaptureId"] for c in json.load(sys.stdin)["ReturnValue"]))')
cat "$INPUT" >/dev/null # both read warm: tcpdump the file, apcctl its store (just written)
echo "load: $(uptime)"


t0=$(now)
tcpdump -nr "$INPUT" >/dev/null 2>&1
t_tcpdump=$(elapsed "$t0" "$(now)")
echo "tcpdump -nr: ${t_tcpdump}s"

t0=$(now)
/usr/bin/time -f %M -o "$WORK/rss.txt" "$APCCTL" --data-dir "$WORK/data" read "$id" >/dev/null
t_ours=$(elapsed "$t0" "$(now)")
peak_kb=$(tail -n 1 "$WORK/rss.txt")
echo "apcctl read: ${t_ours}s, peak RSS $((peak_kb / 1024)) MB"

# Time to the first line: from the start of apcctl to its first line on a pipe.
first=$(python3 - "$APCCTL" "$WORK/data" "$id" <<'PY'
import subprocess, sys, time
t0 = time.monotonic()
p = subprocess.Popen([sys.argv[1], "--data-dir", sys.argv[2], "read", sys.argv[3]],
                     stdout=subprocess.PIPE)
p.stdout.readline()
print(f"{time.monotonic() - t0:.3f}")
p.kill()
p.wait()
PY
)
lines=$("$APCCTL" --data-dir "$WORK/data" read "$id" -c "$PACKETS" | wc -l)

python3 - "$t_ours" "$t_tcpdump" "$peak_kb" "$first" "$PACKETS" "$lines" <<'PY'
import sys
ours, tcpdump, peak_kb, first = (float(x) for x in sys.argv[1:5])
packets, lines = int(sys.argv[5]), int(sys.argv[6])
ratio = ours / tcpdump if tcpdump > 0 else float("inf")
def mark(ok): return "ok" if ok else "MISSED"
print()
print(f"lines printed:   {lines} of {packets}" + ("" if lines == packets else "  (WARNING)"))
print(f"apcctl read:     {ours:.2f} s")
print(f"tcpdump -nr:     {tcpdump:.2f} s")
print(f"ratio:           {ratio:.2f}   target <= 2.0   {mark(ratio <= 2.0)}")
print(f"peak RSS:        {peak_kb / 1024:.1f} MB   target < 50   {mark(peak_kb / 1024 < 50)}")
print(f"first line:      {first:.3f} s")
print(f"| {packets} | {ours:.2f} s | {tcpdump:.2f} s | {ratio:.2f} | {peak_kb / 1024:.1f} MB | "
      f"{first:.3f} s |")
PY

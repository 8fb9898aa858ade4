#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Ingest benchmark: our `apcctl ingest` against `tcpdump -r IN -w OUT` on the same file.
#
# Usage: bench/ingest/run.sh [-b BUILD_DIR] [-n PACKETS] [-i INPUT.pcap] [-o WORK_DIR] [-k]
#                            [-S postgresql://...]
#   -b  build directory with apcctl and gen_pcap (default: build)
#   -n  packets to generate (default 1000000); ignored with -i
#   -i  use this capture instead of generating one
#   -o  where the input, tcpdump's output and the data dirs go (default: bench/out)
#   -k  keep the work files (by default only a given -i input survives)
#   -S  metadata in this PostgreSQL database (apcctl --store; docs/fleet.md) instead of SQLite
# Prints: our time, tcpdump's, their ratio (target <= 1.5), packets/s, our peak RSS (target
# < 200 MB) and metadata+index size as a share of the input (target <= 6%). See
# docs/benchmarks.md. Exit status 1 if our ingest fails; missed targets are reported, not fatal.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$ROOT/build
PACKETS=1000000
INPUT=
WORK=$ROOT/bench/out
KEEP=0
STORE=()
while getopts "b:n:i:o:kS:h" opt; do
    case "$opt" in
    b) BUILD=$(cd "$OPTARG" && pwd) ;;
    n) PACKETS=$OPTARG ;;
    i) INPUT=$(realpath "$OPTARG") ;;
    o) WORK=$OPTARG ;;
    k) KEEP=1 ;;
    S) STORE=(--store "$OPTARG") ;;
    h)
        sed -n '3,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *) exit 2 ;;
    esac
done

APCCTL=$BUILD/apcctl/apcctl
GEN=$BUILD/bench/gen_pcap
ninja -C "$BUILD" apcctl/apcctl bench/gen_pcap >/dev/null
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
cleanup() {
    if [ "$KEEP" -eq 0 ]; then
        rm -rf "$WORK/gen.pcap" "$WORK/tcpdump-out.pcap" "$WORK"/data-*
    fi
}
trap cleanup EXIT

if [ -z "$INPUT" ]; then
    INPUT=$WORK/gen.pcap
    "$GEN" -n "$PACKETS" -o "$INPUT"
fi
IN_BYTES=$(stat -c %s "$INPUT")
IN_PACKETS=$(capinfos -c -M "$INPUT" 2>/dev/null | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}')
echo "input: $INPUT, $IN_BYTES bytes, ${IN_PACKETS:-?} packets"
# Both tools read from the page cache, so neither pays for the first read from disk; and each
# timed run starts after `sync`, so none waits for the write-back of the run before it.
cat "$INPUT" >/dev/null

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }

best_tcpdump=
for i in 1 2 3; do
    rm -f "$WORK/tcpdump-out.pcap"
    sync
    t0=$(now)
    tcpdump -r "$INPUT" -w "$WORK/tcpdump-out.pcap" 2>/dev/null
    t=$(elapsed "$t0" "$(now)")
    best_tcpdump=$(min "$best_tcpdump" "$t")
    echo "tcpdump run $i: ${t}s"
done

best_ours=
peak_kb=0
cpu=
for i in 1 2 3; do
    # Like tcpdump's output above, the previous run's store is removed first (the last one stays
    # for the size measurement), so every run starts from the same file system state.
    rm -rf "$WORK"/data-*
    data=$WORK/data-$i
    mkdir -p "$data"
    sync
    t0=$(now)
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -v -o "$WORK/time-$i.txt" "$APCCTL" --data-dir "$data" "${STORE[@]}" ingest \
            "$INPUT" >"$WORK/ingest-$i.out" 2>&1 || {
            echo "our ingest failed (run $i):"
            tail -n 20 "$WORK/ingest-$i.out"
            exit 1
        }
        kb=$(awk -F: '/Maximum resident set size/ {gsub(/ /,"",$2); print $2}' "$WORK/time-$i.txt")
        cpu=$(awk -F: '/User time|System time/ {s += $2} END {printf ", CPU %.2fs user+sys", s}' \
            "$WORK/time-$i.txt")
    else
        # No GNU time: sample VmHWM of the running process (the kernel's own peak).
        "$APCCTL" --data-dir "$data" "${STORE[@]}" ingest "$INPUT" >"$WORK/ingest-$i.out" 2>&1 &
        pid=$!
        kb=0
        while kill -0 "$pid" 2>/dev/null; do
            v=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
            [ -n "$v" ] && [ "$v" -gt "$kb" ] && kb=$v
            sleep 0.05
        done
        wait "$pid" || {
            echo "our ingest failed (run $i):"
            tail -n 20 "$WORK/ingest-$i.out"
            exit 1
        }
    fi
    t=$(elapsed "$t0" "$(now)")
    best_ours=$(min "$best_ours" "$t")
    [ "${kb:-0}" -gt "$peak_kb" ] && peak_kb=$kb
    echo "apcctl ingest run $i: ${t}s, peak RSS $((kb / 1024)) MB${cpu:-}"
done

# What the last run stored: packet segments (captures/*/*.pcapng) against everything else.
read -r seg_bytes meta_bytes < <(python3 - "$WORK/data-3" <<'EOF'
import os, sys
root = sys.argv[1]
seg = meta = 0
for d, _, files in os.walk(root):
    for n in files:
        size = os.lstat(os.path.join(d, n)).st_size
        rel = os.path.relpath(os.path.join(d, n), root).split(os.sep)
        if rel[0] == "captures" and len(rel) >= 3 and n.endswith(".pcapng"):
            seg += size
        else:
            meta += size
print(seg, meta)
EOF
)
stored=$("$APCCTL" --data-dir "$WORK/data-3" --json capture_get_details capture_id=1 2>/dev/null |
    python3 -c 'import json,sys
try:
    c = json.load(sys.stdin)["ReturnValue"]; print(c.get("Packets"), c.get("State"))
except Exception as e:
    print("? unknown")' || echo "? unknown")
read -r stored_packets stored_state <<<"$stored"

python3 - "$best_ours" "$best_tcpdump" "${IN_PACKETS:-0}" "$peak_kb" "$meta_bytes" "$seg_bytes" \
    "$IN_BYTES" "$stored_packets" "$stored_state" <<'EOF'
import sys
ours, tcpdump, packets, peak_kb, meta, seg, inb = (float(x) for x in sys.argv[1:8])
stored_packets, state = sys.argv[8], sys.argv[9]
ratio = ours / tcpdump if tcpdump > 0 else float("inf")
pps = packets / ours if ours > 0 else 0
rss = peak_kb / 1024
share = 100 * meta / inb if inb else 0
def mark(ok): return "ok" if ok else "MISSED"
print()
print(f"stored: {stored_packets} packets, state {state}"
      + ("" if stored_packets == str(int(packets)) else f"  (WARNING: input has {int(packets)})"))
print(f"our ingest:      {ours:.3f} s (best of 3)")
print(f"tcpdump -r -w:   {tcpdump:.3f} s (best of 3)")
print(f"ratio:           {ratio:.2f}   target <= 1.5   {mark(ratio <= 1.5)}")
print(f"packets/s:       {pps:,.0f}")
print(f"peak RSS:        {rss:.0f} MB   target < 200   {mark(rss < 200)}")
print(f"metadata+index:  {meta / 1e6:.1f} MB = {share:.2f}% of the input   target <= 6%   "
      f"{mark(share <= 6)}   (packet segments: {seg / 1e6:.1f} MB)")
print(f"| {int(packets)} | {ours:.2f} s | {tcpdump:.2f} s | {ratio:.2f} | {pps:,.0f} | "
      f"{rss:.0f} MB | {share:.2f}% |")
EOF

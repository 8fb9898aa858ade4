#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Ingest benchmark: our `apcctl ingest` against `tcpdump -r IN -w OUT` on the same files.
#
# Usage: bench/ingest/run.sh [-b BUILD_DIR] [-n PACKETS] [-i INPUT.pcap] [-r RUNS] [-o WORK_DIR] [-k]
#                            [-S postgresql://...]
#   -b  build directory with apcctl and gen_pcap (default: build)
#   -n  packets to generate per input (default 1000000); ignored with -i
#   -i  use this capture instead of the inputs below (may be given more than once)
#   -r  timed runs of each tool per input, alternating (default 5); the median counts
#   -o  where the inputs, tcpdump's output and the data dirs go (default: bench/out)
#   -k  keep the work files (by default only a given -i input survives)
#   -S  metadata in this PostgreSQL database (apcctl --store; docs/fleet.md) instead of SQLite
# Inputs (without -i): gen_pcap's default (256 concurrent flows), gen_pcap --flows 5000 (the
# busy-host mix, mean frame about 543 bytes), and, when the corpus (../shared/corpus or
# APC_CORPUS) is present, a real capture repeated to 500,000+ packets: copies of
# zeek/echo-connections.pcap, each shifted in time past the one before (editcap -t), joined end to
# end (mergecap -a). Without the corpus that input is skipped with a message.
# Per input it prints: median of our time and tcpdump's, their ratio (target <= 1.25, issue 15),
# CPU time, packets/s, our peak RSS (target < 200 MB) and metadata+index as a share of the input
# (target <= 5%), and the load average. See docs/benchmarks.md. Exit status 1 if an ingest fails;
# missed targets are reported, not fatal.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
INPUTS=()
STORE=()
bench_extra_opt() {
    case "$1" in
    i) INPUTS+=("$(realpath "$2")") ;;
    S) STORE=(--store "$2") ;;
    esac
}
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_options "$ROOT/bench/out" '3,22p' "i:S:" "$@"
cleanup() {
    if [ "$KEEP" -eq 0 ]; then
        rm -rf "$WORK"/gen-*.pcap "$WORK/corpus-merged.pcap" "$WORK"/corpus-part-*.pcap \
            "$WORK/tcpdump-out.pcap" "$WORK"/data-*
    fi
}
trap cleanup EXIT

if [ "${#INPUTS[@]}" -eq 0 ]; then
    "$GEN" -n "$PACKETS" -o "$WORK/gen-256.pcap"
    "$GEN" -n "$PACKETS" --flows 5000 -o "$WORK/gen-5000.pcap"
    INPUTS=("$WORK/gen-256.pcap" "$WORK/gen-5000.pcap")
    CORPUS=${APC_CORPUS:-$ROOT/../shared/corpus}
    REAL=$CORPUS/zeek/echo-connections.pcap
    if [ -f "$REAL" ] && command -v editcap >/dev/null && command -v mergecap >/dev/null; then
        n=$(bench_packets "$REAL")
        copies=$(((500000 + n - 1) / n))
        parts=()
        for ((c = 0; c < copies; c++)); do
            # 10 s apart: the file spans 6.5 s, so the copies follow each other in time.
            editcap -F pcap -t $((c * 10)) "$REAL" "$WORK/corpus-part-$c.pcap"
            parts+=("$WORK/corpus-part-$c.pcap")
        done
        mergecap -a -F pcap -w "$WORK/corpus-merged.pcap" "${parts[@]}"
        rm -f "${parts[@]}"
        echo "real capture: $copies copies of $REAL ($n packets each), shifted 10 s apart"
        INPUTS+=("$WORK/corpus-merged.pcap")
    else
        echo "real capture input SKIPPED: no corpus at $CORPUS (set APC_CORPUS), or no editcap/mergecap"
    fi
fi

ROWS=()
for INPUT in "${INPUTS[@]}"; do
    IN_BYTES=$(stat -c %s "$INPUT")
    IN_PACKETS=$(bench_packets "$INPUT")
    echo
    echo "input: $INPUT, $IN_BYTES bytes, ${IN_PACKETS:-?} packets; load average $(bench_load)"
    # Both tools read from the page cache, and each timed run starts after `sync`, so none waits
    # for the write-back of the run before it. The runs alternate (tcpdump, ours, tcpdump, ...) so
    # a change in the machine's load falls on both.
    cat "$INPUT" >/dev/null
    t_td=() t_us=() c_td=() c_us=() peak_kb=0
    for ((i = 1; i <= RUNS; i++)); do
        rm -f "$WORK/tcpdump-out.pcap"
        sync
        t0=$(now)
        /usr/bin/time -v -o "$WORK/time-td.txt" tcpdump -r "$INPUT" -w "$WORK/tcpdump-out.pcap" 2>/dev/null
        t_td+=("$(elapsed "$t0" "$(now)")")
        c_td+=("$(cpu_of "$WORK/time-td.txt")")
        rm -f "$WORK/tcpdump-out.pcap"

        # The previous run's store is removed first (the last one stays for the size measurement).
        rm -rf "$WORK"/data-*
        data=$WORK/data-$i
        mkdir -p "$data"
        sync
        t0=$(now)
        /usr/bin/time -v -o "$WORK/time-us.txt" "$APCCTL" --data-dir "$data" "${STORE[@]}" ingest "$INPUT" \
            >"$WORK/ingest.out" 2>&1 || {
            echo "our ingest failed (run $i):"
            tail -n 20 "$WORK/ingest.out"
            exit 1
        }
        t_us+=("$(elapsed "$t0" "$(now)")")
        c_us+=("$(cpu_of "$WORK/time-us.txt")")
        kb=$(rss_of "$WORK/time-us.txt")
        [ "${kb:-0}" -gt "$peak_kb" ] && peak_kb=$kb
        echo "run $i: tcpdump ${t_td[-1]} s (CPU ${c_td[-1]} s), ours ${t_us[-1]} s (CPU ${c_us[-1]} s, peak RSS $((kb / 1024)) MB)"
    done

    # What the last run stored: packet segments (captures/*/*.pcapng) against everything else.
    read -r seg_bytes meta_bytes < <(python3 - "$data" <<'EOF'
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
    stored=$("$APCCTL" --data-dir "$data" "${STORE[@]}" --json capture_get_details capture_id=1 2>/dev/null |
        python3 -c 'import json,sys
try:
    c = json.load(sys.stdin)["ReturnValue"]; print(c.get("Packets"), c.get("State"))
except Exception as e:
    print("? unknown")' || echo "? unknown")
    read -r stored_packets stored_state <<<"$stored"

    row=$(python3 - "$(echo "${t_us[*]}" | median)" "$(echo "${t_td[*]}" | median)" \
        "$(echo "${c_us[*]}" | median)" "$(echo "${c_td[*]}" | median)" "${IN_PACKETS:-0}" \
        "$peak_kb" "$meta_bytes" "$seg_bytes" "$IN_BYTES" "$stored_packets" "$stored_state" \
        "$(basename "$INPUT")" "$RUNS" "$(cut -d' ' -f1 /proc/loadavg)" <<'EOF'
import sys
ours, tcpdump, cpu_us, cpu_td, packets, peak_kb, meta, seg, inb = (float(x) for x in sys.argv[1:10])
stored_packets, state, name, runs, load = sys.argv[10:15]
ratio = ours / tcpdump if tcpdump > 0 else float("inf")
pps = packets / ours if ours > 0 else 0
rss = peak_kb / 1024
share = 100 * meta / inb if inb else 0
def mark(ok): return "ok" if ok else "MISSED"
out = sys.stderr
print(f"stored: {stored_packets} packets, state {state}"
      + ("" if stored_packets == str(int(packets)) else f"  (WARNING: input has {int(packets)})"), file=out)
print(f"our ingest:      {ours:.3f} s (median of {runs}), CPU {cpu_us:.2f} s", file=out)
print(f"tcpdump -r -w:   {tcpdump:.3f} s (median of {runs}), CPU {cpu_td:.2f} s", file=out)
print(f"ratio:           {ratio:.2f}   target <= 1.25   {mark(ratio <= 1.25)}", file=out)
print(f"packets/s:       {pps:,.0f}", file=out)
print(f"peak RSS:        {rss:.0f} MB   target < 200   {mark(rss < 200)}", file=out)
print(f"metadata+index:  {meta / 1e6:.1f} MB = {share:.2f}% of the input   target <= 5%   "
      f"{mark(share <= 5)}   (packet segments: {seg / 1e6:.1f} MB)", file=out)
print(f"| {name} | {int(packets)} | {ours:.2f} s ({cpu_us:.2f}) | {tcpdump:.2f} s ({cpu_td:.2f}) | "
      f"{ratio:.2f} | {pps:,.0f} | {rss:.0f} MB | {share:.2f}% | {load} |")
EOF
)
    ROWS+=("$row")
done

echo
echo "| input | packets | ours, median (CPU) | tcpdump -r -w, median (CPU) | ratio | packets/s | peak RSS | metadata+index | load |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"

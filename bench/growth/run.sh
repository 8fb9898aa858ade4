#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Growth benchmark (issue 15): do costs stay flat as a capture grows? For each size (default
# 1,000,000, 3,000,000 and 10,000,000 packets of gen_pcap, FLOWS concurrent flows) it ingests the
# file into a fresh store and measures:
#   - ingest time per packet (wall and CPU, medians of RUNS), and peak RSS;
#   - metadata + index as a share of the input;
#   - a selective search (one client address and port, from the middle of the file): time to
#     its first page, best of 3 after a first cold run;
#   - stats_by_ip of the busiest address: best of 20 calls through the action table.
#   - `tcpdump -r FILE -w OUT` on the same file, for the part of the growth that is the kernel's:
#     writing gigabytes through the page cache gets dearer as it fills (reclaim, write-back), for
#     any writer.
# Then the table, and per size the cost per packet relative to the smallest (target <= 1.1 at
# 10 M), the first page (target < 20 ms), stats_by_ip (target < 50 ms), and memory (flat).
#
# Usage: bench/growth/run.sh [-b BUILD] [-s "1000000 3000000 10000000"] [-f FLOWS] [-r RUNS] [-o WORK] [-k] [-h]
#   -r  runs of each tool per size, alternating (default 5); the medians count
#   -o  where inputs and stores go (default: /tmp/apc-bench-growth; about 14 GB at 10 M packets)
#   -k  keep them (by default each size's are removed once measured)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SIZES="1000000 3000000 10000000"
FLOWS=256
bench_extra_opt() {
    case "$1" in
    s) SIZES=$2 ;;
    f) FLOWS=$2 ;;
    esac
}
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_options /tmp/apc-bench-growth 3,21p "s:f:" "$@"
ninja -C "$BUILD" bench/stats_call bench/search_call >/dev/null
ROWS=()
echo "load: $(uptime)"
for N in $SIZES; do
    PCAP=$WORK/gen-$N.pcap
    DATA=$WORK/store-$N
    [ -f "$PCAP" ] || "$GEN" -n "$N" --flows "$FLOWS" -o "$PCAP" >/dev/null
    rm -rf "$DATA"
    # RUNS alternating runs of tcpdump and ours; the medians count (the last store is kept for
    # the search and statistics below). Every run starts the same way: the input in the page
    # cache (a 10 M run pushes gigabytes through it, and the next would read part of its input
    # from the disk), and nothing left to write back (`sync`: the file just generated, the run
    # before's output; otherwise that write-back lands on whichever runs next). Each tool's
    # output is deleted right after its own run, so each run follows the deletion of the
    # other's (with the file system's online discard, freeing 6.7 GB is disk work too; before,
    # ours followed both deletions and tcpdump none).
    TW=() TC=() UW=() UC=() UR=()
    for ((run = 0; run < RUNS; run++)); do
        cat "$PCAP" >/dev/null
        sync
        /usr/bin/time -v -o "$WORK/td.txt" tcpdump -r "$PCAP" -w "$WORK/td.pcap" 2>/dev/null
        TC+=("$(cpu_of "$WORK/td.txt")")
        TW+=("$(awk -F': ' '/Elapsed/ { n = split($2, t, ":"); s = 0
            for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$WORK/td.txt")")
        rm -f "$WORK/td.pcap"
        cat "$PCAP" >/dev/null
        sync
        t0=$(now)
        /usr/bin/time -v -o "$WORK/time.txt" "$APCCTL" --data-dir "$DATA" ingest "$PCAP" >/dev/null
        t1=$(now)
        UW+=("$(elapsed "$t0" "$t1")")
        UC+=("$(cpu_of "$WORK/time.txt")")
        UR+=("$(rss_of "$WORK/time.txt")")
        if [ $((run + 1)) -lt "$RUNS" ]; then rm -rf "$DATA"; fi
    done
    sync
    tdwall=$(echo "${TW[*]}" | median)
    tdcpu=$(echo "${TC[*]}" | median)
    wall=$(echo "${UW[*]}" | median)
    cpu=$(echo "${UC[*]}" | median)
    rss=$(printf '%s\n' "${UR[@]}" | sort -n | tail -1)
    echo "$N packets: ours ${UW[*]} s, tcpdump ${TW[*]} s"
    inb=$(stat -c %s "$PCAP")
    meta=$(find "$DATA" -type f ! -name 'seg-*' -printf '%s\n' | awk '{ s += $1 } END { print s }')

    # A client's address and port from the middle of the file (the side with the larger port).
    line=$(tcpdump -nn -q -r "$PCAP" 2>/dev/null | sed -n "$((N / 2)),\$p" | grep -m1 ' IP .* tcp ' || true)
    src=$(echo "$line" | awk '{print $3}')
    dst=$(echo "$line" | awk '{print $5}' | tr -d :)
    [ "${src##*.}" -lt "${dst##*.}" ] && src=$dst
    host=${src%.*} port=${src##*.}
    case $host in *:*) hf="ipv6.addr == $host" ;; *) hf="ip.addr == $host" ;; esac
    sel="$hf && tcp.port == $port"
    "$BUILD/bench/search_call" "$DATA" 1 "$sel" >/dev/null # the first builds its connection index
    first=$(for _ in 1 2 3; do "$BUILD/bench/search_call" "$DATA" 1 "$sel"; done |
        sed 's/.*first_page_ms=\([0-9.]*\).*/\1/' | sort -g | head -1)

    ip=$("$BUILD/bench/stats_call" "$DATA" 1 stats_by_id capture_id=1 2>/dev/null |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["ReturnValue"]["TopIps"][0]["Value"])')
    "$BUILD/bench/stats_call" "$DATA" 20 stats_by_ip capture_id=1 ip="$ip" >/dev/null \
        2>"$WORK/stats.txt"
    sbi=$(sed -n 's/.*best of [0-9]* calls: \([0-9.]*\) ms/\1/p' "$WORK/stats.txt")

    row=$(awk -v n="$N" -v w="$wall" -v c="$cpu" -v r="$rss" -v m="$meta" -v i="$inb" \
        -v f="$first" -v s="$sbi" -v tw="$tdwall" -v tc="$tdcpu" 'BEGIN {
        printf "%d %.3f %.3f %.3f %.3f %.0f %.2f %s %s %.3f %.3f", n, w, c, w * 1e6 / n,
        c * 1e6 / n, r / 1024, 100 * m / i, f, s, tw * 1e6 / n, tc * 1e6 / n }')
    echo "$N packets: $row"
    ROWS+=("$row")
    [ $KEEP = 1 ] || rm -rf "$DATA" "$PCAP"
done
echo
echo "| packets | ingest wall (CPU) | us/packet wall (CPU) | x smallest | tcpdump us/packet wall (CPU), x smallest | peak RSS | metadata+index | search first page | stats_by_ip |"
echo "|---|---|---|---|---|---|---|---|---|"
printf "%s\n" "${ROWS[@]}" | awk '
    NR == 1 { base = $4; basec = $5; tb = $10; tbc = $11 }
    { printf "| %\047d | %.2f s (%.2f) | %.2f (%.2f) | %.2f (%.2f) | %.2f (%.2f), %.2f (%.2f) | %d MB | %s%% | %s ms | %s ms |\n",
        $1, $2, $3, $4, $5, $4 / base, $5 / basec, $10, $11, $10 / tb, $11 / tbc, $6, $7, $8, $9 }'
echo "targets: x smallest <= 1.1 at 10 M; first page < 20 ms; stats_by_ip < 50 ms; peak RSS flat"

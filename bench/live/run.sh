#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/live: UDP traffic through a veth pair (namespaces made here, apc_bA -> apc_bB) at
# increasing packet rates; at each rate tcpdump and our system capture (attribution on) capture
# the receiving end at the same time. Prints per rate: sent, tcpdump received/dropped, ours
# stored/kernel drops/our drops; then the highest rate with zero drops for each and the ratio.
#   bench/live/run.sh [BUILD_DIR] [RATES] [SECONDS] [SIZE]    (as root)
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
RATES=${2:-"25000 50000 100000 200000 300000 400000 600000 800000"}
SECS=${3:-2}
SIZE=${4:-100}
MODE=${APC_BENCH_MODE:-}   # "no-ebpf" to force the procfs backend
[ "$(id -u)" = 0 ] || { echo "bench/live needs root (namespaces, capture)"; exit 77; }
T=$(mktemp -d /tmp/apc-bench-live-XXXXXX)
cleanup() {
    [ -n "${SINK:-}" ] && kill "$SINK" 2>/dev/null || true
    ip netns del apc_bA 2>/dev/null || true
    ip netns del apc_bB 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT INT TERM
cc -O2 -Wall -o "$T/blast" "$ROOT/bench/live/blast.c"
cc -O2 -Wall -I"$ROOT/libapc/include" -o "$T/live_bench" "$ROOT/bench/live/live_bench.c" \
    -L"$BUILD/libapc" -lapc -Wl,-rpath,"$BUILD/libapc"
ip netns del apc_bA 2>/dev/null || true
ip netns del apc_bB 2>/dev/null || true
ip netns add apc_bA
ip netns add apc_bB
ip link add apc_bvA netns apc_bA type veth peer name apc_bvB netns apc_bB
ip -n apc_bA addr add 10.78.0.1/24 dev apc_bvA
ip -n apc_bB addr add 10.78.0.2/24 dev apc_bvB
ip -n apc_bA link set apc_bvA up
ip -n apc_bB link set apc_bvB up
ip -n apc_bA link set lo up
ip -n apc_bB link set lo up
ip netns exec apc_bB "$T/blast" sink 9100 &
SINK=$!
sleep 0.3
best_td=0
best_us=0
printf "%-8s %-8s %-9s | %-9s %-8s | %-9s %-8s %-6s | %s\n" rate achieved sent td_recv td_drop \
    us_stored us_kdrop us_drop backend
for R in $RATES; do
    N=$((R * SECS))
    ip netns exec apc_bB tcpdump -n -i apc_bvB -w /dev/null udp port 9100 2>"$T/td.err" &
    TD=$!
    mkfifo "$T/in.$R"
    # nsenter --net: the network namespace only (ip netns exec would mount a sysfs of its own,
    # hiding the cgroup v2 root the eBPF programs attach to)
    (nsenter --net=/var/run/netns/apc_bB "$T/live_bench" "$T/data.$R" apc_bvB $MODE <"$T/in.$R" >"$T/us.$R" 2>&1) &
    US=$!
    exec 9>"$T/in.$R"
    for i in $(seq 50); do grep -q ready "$T/us.$R" 2>/dev/null && break; sleep 0.1; done
    sleep 0.5 # tcpdump is listening by now too
    set -- $(ip netns exec apc_bA "$T/blast" 10.78.0.2 9100 "$R" "$N" "$SIZE")
    SENT=$2
    ACH=$(awk -v n="$2" -v s="$4" 'BEGIN{printf "%d", n / s}') # achieved rate
    sleep 1
    kill -INT $TD
    wait $TD || true
    echo stop >&9
    exec 9>&-
    wait $US || true
    TDR=$(awk '/packets captured/{print $1}' "$T/td.err")
    TDD=$(awk '/dropped by kernel/{print $1}' "$T/td.err")
    BK=$(sed -n 's/^ready //p' "$T/us.$R" | cut -d' ' -f1)
    set -- $(sed -n 's/^packets \([0-9]*\) kernel_drops \([0-9]*\) drops \([0-9]*\)/\1 \2 \3/p' "$T/us.$R")
    USP=${1:-0}
    USK=${2:-0}
    USD=${3:-0}
    printf "%-8s %-8s %-9s | %-9s %-8s | %-9s %-8s %-6s | %s\n" "$R" "$ACH" "$SENT" "$TDR" "$TDD" "$USP" \
        "$USK" "$USD" "$BK"
    # zero drops: nothing reported dropped and everything sent was captured
    if [ "$TDD" = 0 ] && [ "$TDR" -ge "$SENT" ]; then [ "$ACH" -gt "$best_td" ] && best_td=$ACH; fi
    if [ "$USK" = 0 ] && [ "$USD" = 0 ] && [ "$USP" -ge "$SENT" ]; then
        [ "$ACH" -gt "$best_us" ] && best_us=$ACH
    fi
    rm -rf "$T/data.$R"
done
echo "highest achieved rate with zero drops: tcpdump $best_td/s, ours $best_us/s"
if [ "$best_td" -gt 0 ]; then
    echo "ratio: $((best_us * 100 / best_td))% (target >= 90%)"
fi

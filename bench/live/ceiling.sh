#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/live/ceiling.sh: the live capture ceiling (issue 15). trafgen (Debian's netsniff-ng, one
# core) sends UDP frames of each size through a veth pair between two namespaces made here, at
# increasing rates; at each rate, REPEATS times, first tcpdump writing a file captures the
# receiving end alone, then our system capture (attribution on) alone: the two never compete for
# the 2 cores (tcpdump filters the target flow, `udp dst port 9100`, and stops after N frames;
# ours stores everything). A run counts as clean when the interface received every frame sent (its rx counter)
# and the capture stored every one of them with no drop reported.
#
# The ceiling of each is the highest rate at which every repetition, and every repetition at every
# lower rate, was clean (a stall at a low rate is a failure even if higher rates pass). The rate
# that counts is what trafgen achieved (frames received / its run time), not what it was asked:
# on 2 cores a capture that takes CPU slows the sender down. Prints a table per rate, then per
# size: tcpdump's ceiling, ours and the ratio (target >= 0.9).
#
# With -p, the process mode: two flows at the same rate, one to a sink process (the target) and
# one to another; tcpdump captures the target's port only, we run a process capture of the sink.
#
# Usage (root): bench/live/ceiling.sh [-b BUILD] [-z "64 512 1500"] [-r "RATES"] [-n REPEATS]
#                                     [-t SECONDS] [-p]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$ROOT/build
SIZES="64 512 1500"
RATES="50000 100000 200000 300000 400000 600000 800000"
REPEATS=5
SECS=3
PROC=0
while getopts "b:z:r:n:t:p" opt; do
    case "$opt" in
    b) BUILD=$(cd "$OPTARG" && pwd) ;;
    z) SIZES=$OPTARG ;;
    r) RATES=$OPTARG ;;
    n) REPEATS=$OPTARG ;;
    t) SECS=$OPTARG ;;
    p) PROC=1 ;;
    *) exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "bench/live/ceiling.sh needs root (namespaces, capture)"; exit 77; }
command -v trafgen >/dev/null || { echo "needs trafgen: apt-get install netsniff-ng"; exit 77; }

A=apc_cA B=apc_cB VA=apc_cvA VB=apc_cvB
T=$(mktemp -d /tmp/apc-bench-ceiling-XXXXXX)
SINKS=()
cleanup() {
    for p in "${SINKS[@]}"; do kill "$p" 2>/dev/null || true; done
    ip netns del $A 2>/dev/null || true
    ip netns del $B 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT INT TERM
cc -O2 -Wall -o "$T/blast" "$ROOT/bench/live/blast.c"
cc -O2 -Wall -I"$ROOT/libapc/include" -o "$T/live_bench" "$ROOT/bench/live/live_bench.c" \
    -L"$BUILD/libapc" -lapc -Wl,-rpath,"$BUILD/libapc"

ip netns del $A 2>/dev/null || true
ip netns del $B 2>/dev/null || true
ip netns add $A
ip netns add $B
ip link add $VA netns $A type veth peer name $VB netns $B
ip -n $A addr add 10.79.0.1/24 dev $VA
ip -n $B addr add 10.79.0.2/24 dev $VB
for ns in $A $B; do ip -n "$ns" link set lo up; done
ip -n $A link set $VA up
ip -n $B link set $VB up
MAC_A=$(ip -n $A -o link show $VA | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
MAC_B=$(ip -n $B -o link show $VB | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')

# The sinks own the ports, so that every frame has a socket (attribution has an owner to find,
# and the kernel sends no ICMP back).
ip netns exec $B "$T/blast" sink 9100 &
SINKS+=($!)
TARGET=$!
ip netns exec $B "$T/blast" sink 9200 &
SINKS+=($!)
sleep 0.3

# A trafgen packet: Ethernet + IPv4 + UDP to PORT, padded to SIZE bytes (without the FCS).
trafgen_conf() { # SIZE PORT FILE
    cat >"$3" <<EOF
{ eth(da=$MAC_B, sa=$MAC_A, type=0x0800), ipv4(sa=10.79.0.1, da=10.79.0.2, ttl=64),
  udp(sp=40000, dp=$2), fill(0x41, $(($1 - 42))) }
EOF
}

rx() { ip netns exec $B cat /sys/class/net/$VB/statistics/rx_packets; }

# Sends N frames at RATE per flow; prints "received achieved_rate" (received on the target flow:
# in process mode half of what the interface took, the two flows being equal).
send() { # SIZE RATE N
    local before after t0 t1 flows=1 pids=()
    [ $PROC = 1 ] && flows=2
    before=$(rx)
    t0=$(date +%s.%N)
    ip netns exec $A trafgen -o $VA -i "$T/f9100.cfg" -P 1 -b "${2}pps" -n "$3" -q -C >/dev/null 2>&1 &
    pids+=($!)
    if [ $PROC = 1 ]; then
        ip netns exec $A trafgen -o $VA -i "$T/f9200.cfg" -P 1 -b "${2}pps" -n "$3" -q -C \
            >/dev/null 2>&1 &
        pids+=($!)
    fi
    wait "${pids[@]}"
    t1=$(date +%s.%N)
    sleep 0.3
    after=$(rx)
    awk -v d=$((after - before)) -v f=$flows -v t0="$t0" -v t1="$t1" \
        'BEGIN { printf "%d %d\n", d / f, d / f / (t1 - t0) }'
}

run_tcpdump() { # SIZE RATE N -> "clean achieved received stored dropped"
    local td got drop n=$3 recv ach
    rm -f "$T/td.pcap"
    ip netns exec $B tcpdump -n -i $VB -c "$n" -w "$T/td.pcap" udp dst port 9100 2>"$T/td.err" &
    td=$!
    for _ in $(seq 100); do grep -q listening "$T/td.err" && break; sleep 0.05; done
    read -r recv ach <<<"$(send "$1" "$2" "$3")"
    # -c: tcpdump exits once it has written every frame; a SIGINT while frames wait in its ring
    # would count them neither captured nor dropped.
    for _ in $(seq 200); do kill -0 $td 2>/dev/null || break; sleep 0.05; done
    kill -INT $td 2>/dev/null || true
    wait $td || true
    got=$(awk '/packets captured/{print $1}' "$T/td.err")
    drop=$(awk '/dropped by kernel/{print $1}' "$T/td.err")
    local clean=0
    [ "$drop" = 0 ] && [ "$got" -ge "$n" ] && [ "$recv" -ge "$n" ] && clean=1
    echo "$clean $ach $recv $got $drop"
}

run_ours() { # SIZE RATE N -> "clean achieved received stored kernel+queue drops"
    local us args=() n=$3 recv ach stored kd dr
    [ $PROC = 1 ] && args=("pid=$TARGET")
    rm -rf "$T/data" "$T/us.out"
    mkfifo "$T/us.in" 2>/dev/null || true
    # nsenter --net: the network namespace only (ip netns exec mounts a sysfs of its own, hiding
    # the cgroup v2 root the eBPF programs attach to)
    (nsenter --net=/var/run/netns/$B "$T/live_bench" "$T/data" $VB "${args[@]}" <"$T/us.in" \
        >"$T/us.out" 2>&1) &
    us=$!
    exec 9>"$T/us.in"
    for _ in $(seq 200); do grep -q ready "$T/us.out" 2>/dev/null && break; sleep 0.05; done
    read -r recv ach <<<"$(send "$1" "$2" "$3")"
    echo stop >&9
    exec 9>&-
    wait $us || true
    read -r stored kd dr <<<"$(sed -n \
        's/^packets \([0-9]*\) kernel_drops \([0-9]*\) drops \([0-9]*\)/\1 \2 \3/p' "$T/us.out")"
    stored=${stored:-0} kd=${kd:-0} dr=${dr:-0}
    local clean=0
    [ "$kd" = 0 ] && [ "$dr" = 0 ] && [ "$stored" -ge "$n" ] && [ "$recv" -ge "$n" ] && clean=1
    # kernel drops (the ring) + ours (the queue to the writer), apart: they have different causes
    echo "$clean $ach $recv $stored $kd+$dr"
}

lowest() { [ "$1" = 0 ] || [ "$2" -lt "$1" ] && echo "$2" || echo "$1"; }

echo "load: $(uptime)"
echo "mode: $([ $PROC = 1 ] && echo "process capture, a second flow beside" || echo system capture)"
SUMMARY=()
for SIZE in $SIZES; do
    trafgen_conf "$SIZE" 9100 "$T/f9100.cfg"
    trafgen_conf "$SIZE" 9200 "$T/f9200.cfg"
    echo
    echo "== $SIZE-byte frames, $REPEATS runs of $SECS s per rate"
    printf "%-8s %-4s | %-9s %-9s %-9s %-7s | %-9s %-9s %-9s %-7s\n" rate run td_rate td_recv \
        td_stored td_drop us_rate us_recv us_stored us_kd+qd
    ok_td=1 ok_us=1 best_td=0 best_us=0
    for R in $RATES; do
        [ $ok_td = 0 ] && [ $ok_us = 0 ] && break
        N=$((R * SECS))
        clean_td=$ok_td clean_us=$ok_us ach_td=0 ach_us=0
        for run in $(seq "$REPEATS"); do
            tdr=(- - - -) usr=(- - - -)
            if [ $ok_td = 1 ]; then
                read -r c a r st d <<<"$(run_tcpdump "$SIZE" "$R" "$N")"
                [ "$c" = 1 ] || clean_td=0
                ach_td=$(lowest "$ach_td" "$a")
                tdr=("$a" "$r" "$st" "$d")
            fi
            if [ $ok_us = 1 ]; then
                read -r c a r st d <<<"$(run_ours "$SIZE" "$R" "$N")"
                [ "$c" = 1 ] || clean_us=0
                ach_us=$(lowest "$ach_us" "$a")
                usr=("$a" "$r" "$st" "$d")
            fi
            printf "%-8s %-4s | %-9s %-9s %-9s %-7s | %-9s %-9s %-9s %-7s\n" "$R" "$run" \
                "${tdr[@]}" "${usr[@]}"
        done
        if [ $ok_td = 1 ]; then [ $clean_td = 1 ] && best_td=$ach_td || ok_td=0; fi
        if [ $ok_us = 1 ]; then [ $clean_us = 1 ] && best_us=$ach_us || ok_us=0; fi
    done
    ratio="-"
    [ "$best_td" -gt 0 ] && ratio=$(awk -v a="$best_us" -v b="$best_td" 'BEGIN { printf "%.2f", a / b }')
    SUMMARY+=("$SIZE-byte frames: ceiling tcpdump $best_td/s, ours $best_us/s, ratio $ratio (target >= 0.9)")
done
echo
printf "%s\n" "${SUMMARY[@]}"
echo "(a ceiling is the lowest rate trafgen achieved in the clean runs at the highest clean rate"
echo " asked for; one that reached the highest rate asked for dropped nothing: ask for more)"

#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/stats: stats_by_ip on a store of N generated packets (default 1,000,000), timed through
# the action table, next to tshark's count of the same address in the same file; and ingest time
# of the same file (compare with bench/ingest/run.sh for the hook's cost). docs/benchmarks.md.
#   bench/stats/run.sh [-b BUILD_DIR] [-n PACKETS] [-o WORK_DIR] [-k]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build"
n=1000000
work=""
keep=0
while getopts b:n:o:k opt; do
    case $opt in
    b) build=$(cd "$OPTARG" && pwd) ;;
    n) n=$OPTARG ;;
    o) work=$OPTARG ;;
    k) keep=1 ;;
    *) exit 2 ;;
    esac
done
[ -n "$work" ] || work=$(mktemp -d /tmp/apc-bench-stats-XXXXXX)
mkdir -p "$work"
pcap="$work/gen.pcap"
data="$work/data"
"$build/bench/gen_pcap" -n "$n" -o "$pcap" >/dev/null
rm -rf "$data"
t0=$(date +%s.%N)
"$build/apcctl/apcctl" --data-dir "$data" ingest "$pcap" >/dev/null
t1=$(date +%s.%N)
echo "ingest: $(echo "$t1 - $t0" | bc) s for $n packets"
ip=$("$build/bench/stats_call" "$data" 1 stats_by_id capture_id=1 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["ReturnValue"]["TopIps"][0]["Value"])')
out=$("$build/bench/stats_call" "$data" 20 stats_by_ip capture_id=1 ip="$ip" 2>"$work/time.txt")
ours=$(echo "$out" | python3 -c 'import json,sys; r=json.load(sys.stdin)["ReturnValue"]; print(r["Packets"], r["Bytes"], len(r["Buckets"]), r["BucketSeconds"])')
case $ip in *:*) f="ipv6.addr==$ip" ;; *) f="ip.addr==$ip" ;; esac
theirs=$(tshark -n -r "$pcap" -q -z "io,stat,0,$f" 2>/dev/null | awk -F'|' '/<>/ {gsub(/ /,""); print $3, $4}')
echo "address: $ip"
echo "ours:   packets bytes buckets bucket_s = $ours"
echo "tshark: packets bytes = $theirs"
cat "$work/time.txt"
set -- $ours
[ "$1 $2" = "$theirs" ] && echo "counts: equal" || { echo "counts: DIFFER"; exit 1; }
[ "$keep" = 1 ] || rm -rf "$work"

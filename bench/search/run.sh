#!/bin/sh
# SPDX-License-Identifier: MIT
# Search benchmark (issue 6), by hand: bench/search/run.sh BUILD_DIR [PACKETS]
# Builds a store of PACKETS (default 10,000,000) generated packets, then times
#   1. a selective indexed query (one host and one port): time to the first page and to
#      completion, against `tcpdump -r FILE -w /dev/null 'host X and port Y'`;
#   2. a `frame contains` scan over every packet's bytes, against the same tcpdump run
#      (tcpdump's filter throughput).
# Targets: first page < 20 ms; selective query >= 10x faster than tcpdump; contains scan at
# least half of tcpdump's throughput (ratio tcpdump_time / ours >= 0.5).
set -eu
BUILD=$(cd "$1" && pwd)
N=${2:-10000000}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=${APC_BENCH_DIR:-/tmp/apc-bench-search}
mkdir -p "$WORK"
PCAP="$WORK/gen-$N.pcap"
DATA="$WORK/store-$N"
CALL="$WORK/search_call"

cc -O2 -o "$CALL" "$HERE/search_call.c" -I"$ROOT/libapc/include" -L"$BUILD/libapc" -lapc \
    -Wl,-rpath,"$BUILD/libapc"
[ -f "$PCAP" ] || "$BUILD/bench/gen_pcap" -n "$N" -o "$PCAP" >/dev/null
if [ ! -f "$DATA/.ingested" ]; then
    rm -rf "$DATA"
    "$BUILD/apcctl/apcctl" --data-dir "$DATA" pcap_ingest_file path="$PCAP" wait=1 >/dev/null
    touch "$DATA/.ingested"
fi
CAP=$("$BUILD/apcctl/apcctl" --data-dir "$DATA" --json capture_list_completed |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["ReturnValue"][0]["CaptureId"])')

# One TCP flow from the middle of the file: its client address and (ephemeral) port.
HALF=$((N / 2))
LINE=$(tcpdump -nn -q -r "$PCAP" 2>/dev/null | sed -n "${HALF},\$p" | grep -m1 ' IP .* tcp ' || true)
SRC=$(echo "$LINE" | awk '{print $3}')
DST=$(echo "$LINE" | awk '{print $5}' | tr -d :)
if [ "${SRC##*.}" -lt "${DST##*.}" ]; then SRC=$DST; fi
HOST=${SRC%.*}
PORT=${SRC##*.}
case $HOST in *:*) HOSTF="ipv6.addr == $HOST" ;; *) HOSTF="ip.addr == $HOST" ;; esac

best() { sort -n | head -1; }
tcpdump_time() {
    for _ in 1 2 3; do
        /usr/bin/time -f %e tcpdump -r "$PCAP" -w /dev/null "$1" 2>&1 >/dev/null | tail -1
    done | best
}
cat "$PCAP" >/dev/null # both files start in the page cache
cat "$DATA"/captures/*/seg-* >/dev/null

echo "store: $N packets; selective flow: host $HOST port $PORT"
# The first full scan of a completed capture records where each connection's packets are
# and which connections have which address and port (search_conn_spans, search_conn_keys, a
# cache). Time the selective query cold (that cache dropped), then the runs below use it.
python3 -c "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); \
c.execute('DELETE FROM search_conn_spans'); c.execute('DELETE FROM search_conn_keys'); c.commit()" \
    "$DATA/apc.db"

T_TCPDUMP=$(tcpdump_time "host $HOST and port $PORT")
echo "tcpdump 'host $HOST and port $PORT': ${T_TCPDUMP} s (best of 3)"

SEL="$HOSTF && tcp.port == $PORT"
"$CALL" "$DATA" "$CAP" "$SEL" | sed 's/^/cold (no connection index yet): /'
for _ in 1 2 3; do "$CALL" "$DATA" "$CAP" "$SEL"; done | tee "$WORK/sel.txt"
SEL_FIRST=$(sed 's/.*first_page_ms=\([0-9.]*\).*/\1/' "$WORK/sel.txt" | best)
SEL_TOTAL=$(sed 's/.*total_s=\([0-9.]*\).*/\1/' "$WORK/sel.txt" | best)
echo "ours '$SEL': first page ${SEL_FIRST} ms, complete ${SEL_TOTAL} s (best of 3)"

CON='frame contains "apc-no-such-bytes"'
for _ in 1 2 3; do "$CALL" "$DATA" "$CAP" "$CON"; done | tee "$WORK/con.txt"
CON_TOTAL=$(sed 's/.*total_s=\([0-9.]*\).*/\1/' "$WORK/con.txt" | best)
echo "ours '$CON': ${CON_TOTAL} s (best of 3)"

python3 - "$T_TCPDUMP" "$SEL_FIRST" "$SEL_TOTAL" "$CON_TOTAL" "$N" <<'PY'
import sys
tcp, first, sel, con, n = map(float, sys.argv[1:])
print("selective: first page %.2f ms (target < 20): %s" % (first, "ok" if first < 20 else "MISSED"))
print("selective: %.1fx faster than tcpdump (target >= 10): %s" % (tcp / sel, "ok" if tcp / sel >= 10 else "MISSED"))
print("contains: %.0f packets/s vs tcpdump %.0f packets/s, ratio %.2f (target >= 0.5): %s"
      % (n / con, n / tcp, tcp / con, "ok" if tcp / con >= 0.5 else "MISSED"))
PY

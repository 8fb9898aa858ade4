#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Web UI benchmark (docs/webui.md, docs/benchmarks.md): on a 1,000,000-packet capture, the
# time from opening a capture in the default theme (headless Chromium, a real apcd on
# loopback) until its first packet page is drawn (target < 300 ms), and, after scrolling to
# the end, how many pages were read (target: only those shown). The reference in the same run:
# tshark printing the first 200 packets (what Wireshark's list shows first) and reading the
# whole file (what Wireshark does before it shows any).
#
# Usage: bench/webui/run.sh [-b BUILD_DIR] [-n PACKETS] [-o WORK_DIR]
# APC_BENCH_QUICK=1 leaves out tshark's whole-file read (minutes on a million packets).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$ROOT/build
PACKETS=1000000
WORK=$ROOT/bench/out
while getopts "b:n:o:h" opt; do
    case "$opt" in
    b) BUILD=$(cd "$OPTARG" && pwd) ;;
    n) PACKETS=$OPTARG ;;
    o) WORK=$OPTARG ;;
    *)
        sed -n '3,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    esac
done
ninja -C "$BUILD" apcd/apcd bench/gen_pcap >/dev/null
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
IN=$WORK/webui-$PACKETS.pcap
trap 'rm -f "$IN"' EXIT
"$BUILD/bench/gen_pcap" -n "$PACKETS" -o "$IN"
cat "$IN" >/dev/null
"$ROOT/tests/browser/npm_env.sh" "$ROOT" node "$ROOT/bench/webui/bench.mjs" "$BUILD/apcd/apcd" "$IN"

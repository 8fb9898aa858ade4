#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Trigger benchmark: a trigger on a copy of sleep(1) started RATE times a second (default 50)
# for SECONDS seconds; every start must fire and get its capture. Prints the time from exec to
# capture start and the load (`uptime`). Root, and the kernel's process connector. See
# docs/benchmarks.md.
#
# Usage: bench/trigger/run.sh [-b BUILD_DIR] [-r RATE] [-s SECONDS] [-h HOLD_MS] [-u PPS]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$ROOT/build
ARGS=()
while getopts "b:r:s:h:u:" opt; do
    case "$opt" in
    b) BUILD=$(cd "$OPTARG" && pwd) ;;
    r | s | h | u) ARGS+=("-$opt" "$OPTARG") ;;
    *) exit 2 ;;
    esac
done
ninja -C "$BUILD" bench/trigger_bench >/dev/null
WORK=$(mktemp -d /tmp/apc-trigger-bench-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
echo "load: $(uptime)"
"$BUILD/bench/trigger_bench" "${ARGS[@]}" "$WORK/data"

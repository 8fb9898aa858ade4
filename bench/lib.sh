# SPDX-License-Identifier: MIT
# What the ingest, export and extract benchmarks share (sourced, not run): their common options,
# the tools they build, their work directory, and the timing helpers (bench/timing.sh).
# shellcheck shell=bash

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/timing.sh
source "$BENCH_ROOT/bench/timing.sh"

# bench_options WORK_DEFAULT HELP_LINES EXTRA_LETTERS "$@"
# Parses -b BUILD_DIR, -n PACKETS, -r RUNS, -o WORK_DIR, -k and -h (prints lines HELP_LINES of
# the calling script, e.g. '3,16p', as its usage) into BUILD, PACKETS, RUNS, WORK and KEEP.
# Other option letters (EXTRA_LETTERS, getopts syntax, e.g. "i:S:") go to the caller's
# bench_extra_opt LETTER ARG. Then builds apcctl and gen_pcap, makes WORK absolute and sets
# APCCTL and GEN.
# shellcheck disable=SC2034 # the variables are the interface
bench_options() {
    local work_default=$1 help=$2 extra=$3 opt
    shift 3
    BUILD=$BENCH_ROOT/build
    PACKETS=1000000
    RUNS=5
    WORK=$work_default
    KEEP=0
    OPTIND=1
    while getopts "b:n:r:o:kh$extra" opt; do
        case "$opt" in
        b) BUILD=$(cd "$OPTARG" && pwd) ;;
        n) PACKETS=$OPTARG ;;
        r) RUNS=$OPTARG ;;
        o) WORK=$OPTARG ;;
        k) KEEP=1 ;;
        h)
            sed -n "$help" "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        \?) exit 2 ;;
        *) bench_extra_opt "$opt" "${OPTARG:-}" ;;
        esac
    done
    APCCTL=$BUILD/apcctl/apcctl
    GEN=$BUILD/bench/gen_pcap
    ninja -C "$BUILD" apcctl/apcctl bench/gen_pcap >/dev/null
    mkdir -p "$WORK"
    WORK=$(cd "$WORK" && pwd)
}

# Packets in a capture file (capinfos), empty when unknown.
bench_packets() {
    capinfos -c -M "$1" 2>/dev/null | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}'
}

# The load average (1, 5, 15 min).
bench_load() { cut -d' ' -f1-3 /proc/loadavg; }

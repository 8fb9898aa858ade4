# SPDX-License-Identifier: MIT
# Timing helpers shared by the benchmark scripts (sourced, not run).
# shellcheck shell=bash

# Wall clock in seconds with microseconds.
now() { echo "$EPOCHREALTIME"; }
# Seconds from $1 to $2 (two `now` values), 3 decimals.
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
# Median of the numbers on stdin (separated by spaces or newlines).
median() { tr ' ' '\n' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# User + system CPU seconds, and peak RSS in KiB, from a `/usr/bin/time -v -o FILE` report.
cpu_of() { awk -F: '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$1"; }
rss_of() { awk -F: '/Maximum resident set size/ {gsub(/ /,"",$2); print $2}' "$1"; }

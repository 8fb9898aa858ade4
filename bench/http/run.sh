#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The apcd load test (docs/benchmarks.md "apcd"): a temporary data directory with one ingested
# corpus file, 100 connections for 30 s on capture_read, then the same on a static page of the
# same apcd as the reference. Usage: bench/http/run.sh [BUILD_DIR] (default build).
set -euo pipefail
B=${1:-build}
DIR=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PCAP=${APC_CORPUS:-../shared/corpus}/zeek/http_bro.org.pcap
[ -f "$PCAP" ] || PCAP=$B/tests/captures/web.pcap
PCAP=$(realpath "$PCAP")
# apcd reads only from its ingest roots (docs/security.md): the capture's folder is one.
"$B/apcd/apcd" --data-dir "$DIR/data" --port "$PORT" --log-level warn \
    --ingest-roots "$(dirname "$PCAP")" >"$DIR/log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DIR"' EXIT
until curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; do sleep 0.1; done
PW=$(cat "$DIR/data/initial-admin-password")
TOK=$(curl -s "http://127.0.0.1:$PORT/ajax" -d "action=login&username=admin&password=$PW" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["ReturnValue"])')
curl -s "http://127.0.0.1:$PORT/ajax" -d "action=pcap_ingest_file&token=$TOK&wait=1&path=$PCAP" >/dev/null
echo "capture_read (count=100), 100 connections, 30 s:"
python3 bench/http/load.py --port "$PORT" --pid "$PID" --conns 100 --seconds 30 \
    --ajax "action=capture_read&capture_id=1&count=100&token=$TOK"
echo "static page /app.css, 100 connections, 30 s:"
python3 bench/http/load.py --port "$PORT" --pid "$PID" --conns 100 --seconds 30 --get /app.css

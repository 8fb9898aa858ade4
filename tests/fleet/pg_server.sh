#!/bin/bash
# SPDX-License-Identifier: MIT
#
# A private PostgreSQL 15 for one test run: initdb into a fresh temporary folder, pg_ctl start
# listening on a Unix socket in that folder only (no TCP), wait for pg_isready, then
#
#   pg_server.sh COMMAND [ARGS...]   runs COMMAND with APC_PG_URL set to the connection string
#                                    and returns its status
#   pg_server.sh                     prints the connection string and waits for SIGINT/SIGTERM
#
# The server is stopped and the folder removed on every way out (trap). The server runs as the
# unprivileged `postgres` user when we are root (initdb refuses root), as ourselves otherwise.
# Exit status 77 (meson's "skipped") with a message on stderr when PostgreSQL's binaries are
# missing or the server cannot start: the fleet suite skips, it does not fail, on such hosts.
set -uo pipefail

PGBIN=${APC_PG_BIN:-/usr/lib/postgresql/15/bin}
skip() {
    echo "SKIP: $*" >&2
    exit 77
}
for b in initdb pg_ctl pg_isready; do
    [ -x "$PGBIN/$b" ] || skip "PostgreSQL 15 is not installed ($PGBIN/$b missing; scripts/deps.sh installs postgresql-15)"
done

AS=()
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || skip "no 'postgres' user to run the server as (we are root)"
    AS=(runuser -u postgres --)
fi

DIR=$(mktemp -d "${TMPDIR:-/tmp}/apc-pg.XXXXXX") || skip "cannot make a temporary folder"
chmod 0755 "$DIR"
[ "${#AS[@]}" -eq 0 ] || chown postgres: "$DIR"

cleanup() {
    if [ -f "$DIR/data/postmaster.pid" ]; then
        "${AS[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -m immediate -w -t 60 stop >/dev/null 2>&1
    fi
    rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! "${AS[@]}" "$PGBIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 \
    --no-instructions >"$DIR/initdb.log" 2>&1; then
    cat "$DIR/initdb.log" >&2
    skip "initdb failed (log above)"
fi
# Only the socket in our folder: nothing else on the host can reach this server. fsync off
# unless APC_PG_FSYNC=on (a benchmark that wants the real cost):
# a test server's data is thrown away, and it would make every commit wait for the disk.
OPTS="-c listen_addresses='' -c unix_socket_directories='$DIR' -c fsync=${APC_PG_FSYNC:-off}"
if ! "${AS[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 -o "$OPTS" start \
    >/dev/null 2>&1; then
    cat "$DIR/server.log" >&2
    skip "PostgreSQL did not start (server log above)"
fi
ok=0
for _ in $(seq 1 120); do
    if "$PGBIN/pg_isready" -q -h "$DIR" -U postgres -d postgres; then
        ok=1
        break
    fi
    sleep 0.5
done
[ "$ok" -eq 1 ] || skip "PostgreSQL did not answer pg_isready within 60 s"

# The folder is the host (percent-encoded in the URL): libpq then uses the socket in it.
ENC=$(printf '%s' "$DIR" | sed 's,/,%2F,g')
export APC_PG_URL="postgresql://postgres@$ENC/postgres"
export APC_PG_DIR="$DIR"
# For tests that stop and start the server (a database going away under a node):
# "$APC_PG_CTL stop" and "$APC_PG_CTL start" (pg_ctl as the server's user, waiting up to 60 s).
export APC_PG_CTL="${AS[*]} $PGBIN/pg_ctl -D $DIR/data -l $DIR/server.log -w -t 60 -m fast -o \"$OPTS\""

if [ "$#" -eq 0 ]; then
    echo "$APC_PG_URL"
    while :; do sleep 3600 & wait $!; done
fi
"$@"

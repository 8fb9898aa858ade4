#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs a command of the web UI's tests once webui/node_modules matches webui/package-lock.json
# (`npm ci` when it does not; the registry is the only network these tests use).
# usage: npm_env.sh SRC_ROOT COMMAND [ARGS...]
# Exit 77 (meson's skip) with the reason when node/npm are missing or the registry is
# unreachable; npm ci failing while the registry answers is a failure.
set -u
src=$1
shift
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "SKIP: node and npm are needed for the web UI's tests (Debian: nodejs; scripts/deps.sh)"
    exit 77
fi
ui=$src/webui
stamp=$ui/node_modules/.apc-lock-installed
(
    # Two tests (and two build directories) may get here at once: one installs.
    flock 9
    if ! cmp -s "$ui/package-lock.json" "$stamp"; then
        if ! timeout 60 npm ping >/dev/null 2>&1; then
            echo "SKIP: the npm registry is unreachable, so webui/node_modules cannot be installed"
            exit 77
        fi
        echo "npm ci in $ui"
        (cd "$ui" && timeout 900 npm ci --no-audit --no-fund) || exit 1
        cp "$ui/package-lock.json" "$stamp"
    fi
) 9>"${TMPDIR:-/tmp}/apc-webui-npm.lock"
rc=$?
[ "$rc" -ne 0 ] && exit "$rc"
exec "$@"

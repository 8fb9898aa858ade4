#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""apcd's cap on open connections (max_connections): a real daemon on a free loopback port.

usage: test_limits.py APCD APCCTL CASE    (CASE: max-connections, conn-memory)
"""
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_daemon as td  # noqa: E402  (reads the same argv: APCD APCCTL CASE)

CASE = td.CASE
check = td.check


def metric(d, name):
    """The value of an unlabelled metric, or None when /metrics cannot be read now (a request
    made while the server is still at its cap is refused: the caller polls)."""
    try:
        st, data, _ = d.request("GET", "/metrics")
    except OSError:
        return None
    if st != 200:
        return None
    m = re.search(rb"^%s (\d+)$" % name.encode(), data, re.M)
    return int(m.group(1)) if m else None


def wait_for(what, cond, limit):
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        v = cond()
        if v:
            return v
        time.sleep(0.2)
    check(False, "waited %d s for %s" % (limit, what))
    return None


def vmrss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def is_closed(s):
    """1 when the server has closed (or reset) the connection, 0 while it is open."""
    try:
        k = s.recv(4096)
    except BlockingIOError:
        return 0
    except OSError:
        return 1
    if not k:
        return 1
    # A refusal may answer 503 before closing: read on until the end.
    return 1 if k.startswith(b"HTTP/1.1 503") else 0


def case_max_connections(tmp):
    # Idle clients are not let go by the head deadline during the test: only the cap closes them.
    d = td.Daemon(config="max_connections = 50\nheader_timeout = 600\n")
    socks = []
    try:
        # Warm up (a login, a listing, /metrics) before measuring memory.
        tok = d.login()
        st, r = d.call("capture_list_completed", token=tok)
        check(r["ErrorCode"] == td.OK, "a listing before: %r" % r)
        for _ in range(16):  # each worker thread of the pool has run once (its stack touched)
            metric(d, "apcd_connections_open")
        # The connections of the start-up probe and of these requests are closed: only the
        # /metrics request itself is open.
        wait_for("apcd_connections_open 1 before", lambda: metric(d, "apcd_connections_open") == 1,
                 60)
        check(metric(d, "apcd_connections_refused_total") == 0, "nothing refused before")
        rss_before = vmrss_kb(d.proc.pid)

        # 80 clients each send half a request head and wait.
        for _ in range(80):
            s = socket.create_connection(("127.0.0.1", d.port), 30)
            try:
                s.sendall(("GET /healthz HTTP/1.1\r\nHost: %s\r\n" % d.host).encode())
            except OSError:
                pass  # already refused
            s.setblocking(False)
            socks.append(s)
        closed = set()

        def count_closed():
            for i, s in enumerate(socks):
                if i not in closed and is_closed(s):
                    closed.add(i)
            return len(closed) >= 30

        wait_for(">= 30 of 80 connections refused", count_closed, 60)
        # The others stay open (the cap is 50, not fewer): give them a moment to be closed if
        # the server were wrongly closing them too.
        time.sleep(1)
        count_closed()
        print("%d of 80 idle connections refused past max_connections=50" % len(closed))
        check(30 <= len(closed) <= 35, "refused: %d of 80 (cap 50)" % len(closed))

        for s in socks:
            s.close()
        socks = []
        # Once the server has seen them close, a normal request works again, and /metrics says
        # how many were refused and that only its own connection is open.
        wait_for("apcd_connections_open 1 after",
                 lambda: metric(d, "apcd_connections_open") == 1, 60)
        refused = metric(d, "apcd_connections_refused_total")
        check(refused is not None and refused >= 30 and refused >= len(closed),
              "apcd_connections_refused_total %r (clients saw %d)" % (refused, len(closed)))
        st, r = d.call("capture_list_completed", token=tok)
        check(st == 200 and r["ErrorCode"] == td.OK, "a listing after: %r" % r)

        # Memory comes back: VmRSS within 20% + 5 MB of before.
        limit = rss_before * 1.2 + 5 * 1024
        rss = wait_for("VmRSS to drop to %d kB" % limit,
                       lambda: (lambda v: v if v <= limit else None)(vmrss_kb(d.proc.pid)), 30)
        print("VmRSS before %d kB, after %s kB" % (rss_before, rss))
    finally:
        for s in socks:
            s.close()
        check(d.stop() == 0, "apcd stops with 0")


def under_asan(pid):
    """ASan keeps freed memory in its quarantine: VmRSS cannot come back there."""
    with open("/proc/%d/maps" % pid) as f:
        return "libasan" in f.read()


def case_conn_memory(tmp):
    # 600 idle connections (under the cap) hold tens of MB; once they close, apcd gives the
    # memory back to the system (malloc_trim after a burst), not only to its own heap.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 700:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    n = 600 if resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= 700 else 300
    d = td.Daemon(config="max_connections = 2000\nheader_timeout = 600\n")
    socks = []
    try:
        tok = d.login()
        st, r = d.call("capture_list_completed", token=tok)
        check(r["ErrorCode"] == td.OK, "a listing before: %r" % r)
        for _ in range(16):
            metric(d, "apcd_connections_open")
        wait_for("apcd_connections_open 1 before", lambda: metric(d, "apcd_connections_open") == 1,
                 60)
        rss_before = vmrss_kb(d.proc.pid)
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", d.port), 30)
            s.sendall(("GET /healthz HTTP/1.1\r\nHost: %s\r\n" % d.host).encode())
            socks.append(s)
        wait_for("%d connections open" % n,
                 lambda: (metric(d, "apcd_connections_open") or 0) >= n + 1, 60)
        rss_peak = vmrss_kb(d.proc.pid)
        for s in socks:
            s.close()
        socks = []
        wait_for("apcd_connections_open 1 after",
                 lambda: metric(d, "apcd_connections_open") == 1, 60)
        check(metric(d, "apcd_connections_refused_total") == 0, "nothing refused under the cap")
        st, r = d.call("capture_list_completed", token=tok)
        check(st == 200 and r["ErrorCode"] == td.OK, "a listing after: %r" % r)
        print("%d idle connections: VmRSS before %d kB, with them %d kB"
              % (n, rss_before, rss_peak))
        if under_asan(d.proc.pid):
            print("memory check skipped: apcd runs under ASan (its quarantine keeps freed memory)")
            return
        limit = rss_before * 1.2 + 5 * 1024
        rss = wait_for("VmRSS to drop to %d kB" % limit,
                       lambda: (lambda v: v if v <= limit else None)(vmrss_kb(d.proc.pid)), 30)
        print("VmRSS after they closed: %s kB" % rss)
    finally:
        for s in socks:
            s.close()
        check(d.stop() == 0, "apcd stops with 0")


def main():
    tmp = tempfile.mkdtemp(prefix="apcd-limits-")
    try:
        {"max-connections": case_max_connections, "conn-memory": case_conn_memory}[CASE](tmp)
    finally:
        subprocess.run(["rm", "-rf", tmp])
    if td.failures:
        print("%d failure(s)" % len(td.failures), file=sys.stderr)
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()

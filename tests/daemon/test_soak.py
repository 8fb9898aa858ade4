#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Soak (issue 16): apcd under everything at once for 60 s, then a clean stop.

usage: test_soak.py APCD APCCTL soak

For SOAK_SECONDS (default 60): readers calling the read actions, searches, ingests, a client
holding hundreds of idle half-sent connections, a file truncated and rewritten under ingest,
and an ingest path swapped between a capture and a FIFO. Checked: every well-formed request is
answered with ErrorCode 0 (the truncated file and the swapped path may be refused, but must be
answered); apcd's memory comes back within 20% (plus 8 MB for the store's caches) of where it
started; SIGTERM exits 0. Counts are smaller in the sanitizer build (APC_SANITIZED: the same
code under ASan, slower), and its memory check is left out (ASan keeps freed memory).
No assertion depends on time; the figures measured are printed.
"""
import json
import os
import shutil
import socket
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_daemon as td  # noqa: E402  (reads the same argv: APCD APCCTL CASE)

check = td.check
SANITIZED = bool(os.environ.get("APC_SANITIZED"))
SECONDS = float(os.environ.get("SOAK_SECONDS", "60"))
READERS = 10 if SANITIZED else 50
IDLE = 100 if SANITIZED else 500


rss_kb = td.vmrss_kb


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.ok = 0
        self.bad = []
        self.answered_refusals = 0

    def good(self):
        with self.lock:
            self.ok += 1

    def fail(self, what):
        with self.lock:
            self.bad.append(what)


def main():
    d = td.Daemon(config="max_connections = %d\n" % (IDLE + READERS * 2 + 100))
    tally = Tally()
    stop = threading.Event()
    try:
        tok = d.login()
        st, r = d.call("pcap_ingest_file", token=tok, path=td.PCAP, wait=1)
        check(r["ErrorCode"] == td.OK, "first ingest: %r" % r)
        cid = r["ReturnValue"]

        def call(action, **params):
            try:
                st, r = d.call(action, token=tok, **params)
            except Exception as e:  # a dropped connection or a hang is a failure
                tally.fail("%s: %s" % (action, e))
                return None
            if st != 200 or r.get("ErrorCode") != td.OK:
                tally.fail("%s %r: HTTP %d %r" % (action, params, st, r))
                return None
            tally.good()
            return r

        def reader(i):
            actions = [("capture_read", {"capture_id": cid, "count": 50}),
                       ("capture_list_completed", {}),
                       ("capture_list_conns", {"capture_id": cid}),
                       ("capture_get_details", {"capture_id": cid}),
                       ("stats_by_id", {"capture_id": cid}),
                       ("apppaccap", {})]
            k = i
            while not stop.is_set():
                a, p = actions[k % len(actions)]
                call(a, **p)
                k += 1

        def searcher():
            filters = ["tcp.port == 80", "udp", "ip.addr == 10.0.0.5 && frame.len > 100"]
            k = 0
            while not stop.is_set():
                r = call("search_start", filter=filters[k % len(filters)], capture_id=cid,
                         wait=1)
                if r:
                    call("search_delete", search_id=r["ReturnValue"]["SearchId"])
                k += 1

        def ingester():
            while not stop.is_set():
                r = call("pcap_ingest_file", path=td.PCAP, wait=1)
                if r:
                    call("capture_delete", capture_id=r["ReturnValue"])

        work = os.path.join(d.dir, "work")
        os.makedirs(work)
        with open(td.PCAP, "rb") as f:
            pcap = f.read()
        moving = os.path.join(work, "moving.pcap")

        def truncator():
            # Rewrites the file and cuts it in half, again and again, while it is ingested.
            while not stop.is_set():
                with open(moving, "wb") as f:
                    f.write(pcap)
                with open(moving, "r+b") as f:
                    f.truncate(len(pcap) // 2)

        def changing_ingests(path, what):
            """Ingests `path` while another thread changes it: any answer will do, but an
            answer there must be (and a capture that came of it is deleted again)."""
            while not stop.is_set():
                try:
                    st, r = d.call("pcap_ingest_file", token=tok, path=path, wait=1)
                    with tally.lock:
                        tally.answered_refusals += 1
                    if r.get("ErrorCode") == td.OK:
                        d.call("capture_delete", token=tok, capture_id=r["ReturnValue"])
                except Exception as e:
                    tally.fail("ingest of %s: %s" % (what, e))

        swap = os.path.join(work, "swap.pcap")
        fifo = os.path.join(work, "fifo")
        os.mkfifo(fifo)
        real = os.path.join(work, "real.pcap")
        shutil.copy(td.PCAP, real)

        def swapper():
            k = 0
            while not stop.is_set():
                tmp = swap + ".new"
                try:
                    os.symlink(fifo if k % 2 else real, tmp)
                    os.replace(tmp, swap)
                except OSError:
                    pass
                k += 1

        idle = []

        def idler():
            for _ in range(IDLE):
                try:
                    s = socket.create_connection(("127.0.0.1", d.port), 10)
                    s.sendall(b"POST /ajax HTTP/1.1\r\nHost: ")  # half a request head
                    idle.append(s)
                except OSError:
                    break

        def run(seconds, readers, with_idle):
            """Runs every kind of client for `seconds`; returns when all have stopped."""
            stop.clear()
            ts = [threading.Thread(target=reader, args=(i,)) for i in range(readers)]
            ts += [threading.Thread(target=f) for f in
                   (searcher, ingester, truncator, swapper)]
            ts += [threading.Thread(target=changing_ingests, args=a) for a in
                   ((moving, "a file being truncated"), (swap, "a path swapped with a FIFO"))]
            if with_idle:
                ts.append(threading.Thread(target=idler))
            for t in ts:
                t.start()
            stop.wait(seconds)
            stop.set()
            for t in ts:
                t.join(600)
                check(not t.is_alive(), "a soak thread ended")

        # A short warm-up of the same load: the memory baseline is apcd's working set (store
        # caches, thread stacks, the pool) rather than an idle process's.
        run(min(5.0, SECONDS), 4, False)
        time.sleep(1)
        base = rss_kb(d.proc.pid)
        t0 = time.monotonic()
        run(SECONDS, READERS, True)
        took = time.monotonic() - t0
        peak = rss_kb(d.proc.pid)
        for s in idle:
            s.close()
        print("soak: %.0f s, %d requests answered well, %d files under change answered, %d "
              "idle connections, %d failures" % (took, tally.ok, tally.answered_refusals,
                                                 len(idle), len(tally.bad)))
        for b in tally.bad[:10]:
            print("  failure:", b)
        check(not tally.bad, "every well-formed request answered (%d failures)" % len(tally.bad))
        check(tally.ok > 100, "the soak made requests: %d" % tally.ok)
        check(tally.answered_refusals > 0, "the changing files were tried")
        check(len(idle) == IDLE, "%d idle connections held of %d" % (len(idle), IDLE))
        # Still serving after it all.
        st, r = d.call("apppaccap", token=tok)
        check(r["ErrorCode"] == td.OK, "apcd answers after the soak")
        if SANITIZED:
            print("memory: %d kB at start, %d kB at the end of the load (not checked under "
                  "ASan, which keeps freed memory)" % (base, peak))
        else:
            limit = base * 1.2 + 8 * 1024
            after = rss_kb(d.proc.pid)
            for _ in range(120):  # up to 60 s for the trim after the connections closed
                if after <= limit:
                    break
                time.sleep(0.5)
                after = rss_kb(d.proc.pid)
            print("memory: %d kB at start, %d kB under load, %d kB after (limit %d kB)"
                  % (base, peak, after, limit))
            check(after <= limit, "memory back within 20%% + 8 MB: %d kB of %d" % (after, base))
    finally:
        stop.set()
        t1 = time.monotonic()
        rc = d.stop()
        print("SIGTERM: exit %d after %.1f s" % (rc, time.monotonic() - t1))
        check(rc == 0, "apcd exits 0 on SIGTERM after the soak")
    if td.failures:
        print("%d failure(s)" % len(td.failures), file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())

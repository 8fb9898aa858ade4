#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Lists that page (issue 12 section 2): without --all apcctl prints one page and, when more
remain, says on stderr how to read on; with --all it reads every page. Both kinds of page: the
object of capture_read (More, LastId) and the bare array of capture_list_conns and
capture_query_ip (full page: one more item is asked for before saying more remain).

usage: test_paging.py APCCTL [APCD]     Exit 0 pass, 1 fail.
With APCD, the same store is then served by a real apcd and paged through --url.
"""
import json
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import time

FLOWS = 250
FAILURES = []
APCCTL = None
DATA = None


def expect(cond, msg):
    if not cond:
        FAILURES.append(msg)
        print("FAIL:", msg)


def write_pcap(path, n):
    """n UDP datagrams, each its own flow: 10.0.H.L:(5000+i) -> 10.9.0.1:53."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(n):
            payload = b"q%05d" % i
            udp = struct.pack("!HHHH", 5000 + i, 53, 8 + len(payload), 0) + payload
            src = bytes([10, 0, i // 200, i % 200 + 1])
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0, src,
                             bytes([10, 9, 0, 1]))
            s = sum(struct.unpack("!10H", ip))
            while s >> 16:
                s = (s & 0xFFFF) + (s >> 16)
            ip = ip[:10] + struct.pack("!H", ~s & 0xFFFF) + ip[12:]
            frame = b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + udp
            f.write(struct.pack("<IIII", 1700000000, i * 1000, len(frame), len(frame)))
            f.write(frame)


def run(*args, code=0, stdin=None):
    p = subprocess.run([APCCTL, "-d", DATA, *args], capture_output=True, text=True,
                       timeout=300, input=stdin)
    expect(p.returncode == code, f"{' '.join(args)}: exit {p.returncode}, want {code}\n"
           f"{p.stderr}")
    return p


def rows(out):
    """Data rows of a printed table (they start with an id)."""
    return [l for l in out.splitlines() if re.match(r"^\s*\d+\s", l)]


def more(err):
    m = re.findall(r"^apcctl: more remain: (.*)$", err, re.M)
    return m[0] if len(m) == 1 else (None if not m else m)


def over_url(apcd, tmp):
    """The store served by apcd: the hint and --all are the same through --url."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with open(os.path.join(tmp, "apcd.log"), "w") as log:
        proc = subprocess.Popen([apcd, "--data-dir", DATA, "--address", "127.0.0.1", "--port",
                                 str(port), "--log-level", "warn"], stdout=log,
                                stderr=subprocess.STDOUT)
    try:
        # Wait for the listening socket (a condition; the limit is only for a hang).
        for _ in range(1200):
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                expect(proc.poll() is None, "apcd exited at start")
                if proc.poll() is not None:
                    return
                time.sleep(0.05)
        with open(os.path.join(DATA, "initial-admin-password")) as f:
            env = dict(os.environ, APC_PASSWORD=f.read().strip())
        url = ["--url", f"http://127.0.0.1:{port}"]
        p = subprocess.run([APCCTL, *url, "conns", "1"], capture_output=True, text=True,
                           timeout=300, env=env)
        expect(p.returncode == 0 and len(rows(p.stdout)) == 100, f"--url conns 1: exit "
               f"{p.returncode}, {len(rows(p.stdout))} rows\n{p.stderr}")
        expect(more(p.stderr) == "apcctl conns 1 last_id=100, or --all",
               f"--url conns 1 hint: {p.stderr!r}")
        p = subprocess.run([APCCTL, *url, "capture_read", "capture_id=1", "--all", "count=90"],
                           capture_output=True, text=True, timeout=300, env=env)
        expect(p.returncode == 0 and len(rows(p.stdout)) == FLOWS and more(p.stderr) is None,
               f"--url capture_read --all: {len(rows(p.stdout))} rows\n{p.stderr}")
    finally:
        proc.terminate()
        proc.wait(timeout=120)


def main():
    global APCCTL, DATA
    APCCTL = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="apc-paging-") as tmp:
        DATA = os.path.join(tmp, "data")
        pcap = os.path.join(tmp, "flows.pcap")
        write_pcap(pcap, FLOWS)
        run("-q", "ingest", pcap)

        # A bare-array list: one page of the default size, and the hint.
        p = run("conns", "1")
        expect(len(rows(p.stdout)) == 100, f"conns 1: {len(rows(p.stdout))} rows")
        expect(more(p.stderr) == "apcctl conns 1 last_id=100, or --all",
               f"conns 1 hint: {p.stderr!r}")
        # Following the hint reads on.
        p = run("conns", "1", "last_id=200")
        expect(len(rows(p.stdout)) == 50 and more(p.stderr) is None,
               f"conns 1 last_id=200: {len(rows(p.stdout))} rows, {p.stderr!r}")
        p = run("conns", "1", "--all")
        ids = [int(l.split()[0]) for l in rows(p.stdout)]
        expect(ids == list(range(1, FLOWS + 1)), f"conns 1 --all: ids {ids[:3]}..{ids[-3:]}")
        expect(more(p.stderr) is None, f"conns --all still hints: {p.stderr!r}")
        p = run("--json", "conns", "1", "--all", "count=100")
        pages = [json.loads(l)["ReturnValue"] for l in p.stdout.splitlines()]
        expect([len(x) for x in pages] == [100, 100, 50], f"--json --all pages: "
               f"{[len(x) for x in pages]}")
        # A full page that is the last: the probe finds nothing more, so no hint.
        p = run("capture_list_conns", "capture_id=1", "count=125", "last_id=125")
        expect(len(rows(p.stdout)) == 125 and more(p.stderr) is None,
               f"last full page: {len(rows(p.stdout))} rows, {p.stderr!r}")
        p = run("capture_list_conns", "capture_id=1", "count=125")
        expect(more(p.stderr) == "apcctl capture_list_conns capture_id=1 count=125 last_id=125,"
               " or --all", f"generic hint: {p.stderr!r}")
        p = run("--quiet", "capture_list_conns", "capture_id=1", "count=125")
        expect(p.stderr == "", f"--quiet still hints: {p.stderr!r}")
        # A value a shell would split is quoted in the hint (x: unknown, so also a warning).
        p = run("capture_list_conns", "capture_id=1", "x=a b")
        expect(more(p.stderr) == "apcctl capture_list_conns capture_id=1 x='a b' last_id=100,"
               " or --all", f"quoted hint: {p.stderr!r}")
        p = run("capture_query_ip", "capture_id=1", "count=40", "--all")
        expect(len(rows(p.stdout)) == FLOWS + 1, f"capture_query_ip --all: "
               f"{len(rows(p.stdout))} rows, want {FLOWS + 1}")

        # An object page (PACKETSTREAM): More and LastId come from the reply.
        p = run("capture_read", "capture_id=1", "count=100")
        expect(len(rows(p.stdout)) == 100 and "more: yes, last_id: 100" in p.stdout,
               f"capture_read page: {p.stdout[-200:]}")
        expect(more(p.stderr) == "apcctl capture_read capture_id=1 count=100 last_id=100, or "
               "--all", f"capture_read hint: {p.stderr!r}")
        p = run("capture_read", "capture_id=1", "--all", "count=60")
        expect(len(rows(p.stdout)) == FLOWS and f"more: no, last_id: {FLOWS}" in p.stdout
               and more(p.stderr) is None,
               f"capture_read --all: {len(rows(p.stdout))} rows, {p.stdout[-80:]!r}")
        p = run("capture_read", "capture_id=1", "last_id=200", "--all")
        expect(len(rows(p.stdout)) == FLOWS - 200, f"--all from last_id=200: "
               f"{len(rows(p.stdout))} rows")

        # Where nothing pages, --all is an unknown option; an action's error still fails.
        p = run("apppaccap", "--all", code=2)
        expect("unknown option '--all'" in p.stderr, p.stderr)
        p = run("capture_list_conns", "capture_id=99", "--all", code=1)
        expect("ERROR_SERVE_" in p.stderr, f"missing capture: {p.stderr!r}")
        # The library judges the words as given: a bad last_id= is its error, not a silent 0.
        p = run("capture_list_conns", "capture_id=1", "last_id=abc", code=1)
        expect("'last_id' must be an integer" in p.stderr, f"last_id=abc: {p.stderr!r}")
        p = run("conns", "1", "count=0", "--all", code=1)
        expect("'count' must be between" in p.stderr, f"count=0 --all: {p.stderr!r}")
        # In a batch too.
        p = run("batch", stdin="conns 1\nconns 1 --all\n")
        expect(more(p.stderr) == "apcctl conns 1 last_id=100, or --all",
               f"batch hint: {p.stderr!r}")
        expect(len(rows(p.stdout)) == 100 + FLOWS, f"batch rows: {len(rows(p.stdout))}")
        if len(sys.argv) > 2:
            over_url(os.path.abspath(sys.argv[2]), tmp)
    print(f"{len(FAILURES)} failures")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())

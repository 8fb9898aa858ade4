#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Jobs started in local mode are waited for, never cancelled when apcctl exits (issue 12).

usage: test_jobs.py APCCTL

Without --url the library runs inside apcctl: pcap_ingest_file, capture_export, search_start and
search_export start jobs in that process. Called as plain actions (no wait=1), each must still
end completed, with what wait=1 would answer: the ingest stores every packet (capinfos' count),
the export file holds them all, the search has the matches tshark -Y finds, the search export
holds them. A job that fails says so and exits 1; on a terminal progress is drawn on stderr
(a pty), never on a pipe. Makes its own capture (no corpus needed).
"""
import json
import os
import pty
import re
import struct
import subprocess
import sys
import tempfile

FAILURES = []


def expect(cond, msg):
    if not cond:
        FAILURES.append(msg)
        print("FAIL:", msg)


def write_pcap(path, n):
    """n TCP segments 10.0.0.1:40000+i%50 -> 10.0.0.2:80 and every 4th a UDP datagram."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(n):
            payload = b"x" * 400
            if i % 4 == 3:
                l4 = struct.pack("!HHHH", 5000, 53, 8 + len(payload), 0) + payload
                proto = 17
            else:
                l4 = struct.pack("!HHIIBBHHH", 40000 + i % 50, 80, i, 0, 0x50, 0x18, 65535, 0,
                                 0) + payload
                proto = 6
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), i & 0xFFFF, 0, 64, proto,
                             0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
            frame = b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + l4
            f.write(struct.pack("<IIII", 1700000000 + i // 1000, (i % 1000) * 1000, len(frame),
                                len(frame)))
            f.write(frame)


def count(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=True).stdout
    return len([x for x in out.splitlines() if x.strip()])


def run(apcctl, data, *args):
    return subprocess.run([apcctl, "--data-dir", data] + list(args), capture_output=True,
                          text=True, timeout=600)


def main():
    apcctl = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="apc-jobs-") as tmp:
        data = os.path.join(tmp, "data")
        pcap = os.path.join(tmp, "in.pcap")
        n = 60000
        write_pcap(pcap, n)
        r = run(apcctl, data, "pcap_ingest_file", "path=" + pcap)
        expect(r.returncode == 0 and r.stdout.strip() == "1",
               "pcap_ingest_file: rc %d, %r %r" % (r.returncode, r.stdout, r.stderr))
        expect("\r" not in r.stderr, "progress was drawn on a pipe: %r" % r.stderr[:200])
        r = run(apcctl, data, "--json", "capture_get_details", "capture_id=1")
        cap = json.loads(r.stdout)["ReturnValue"]
        expect(cap["State"] == "completed" and int(cap["Packets"]) == n,
               "the ingest ended %s with %s of %d packets" % (cap["State"], cap["Packets"], n))

        r = run(apcctl, data, "--json", "capture_export", "capture_id=1")
        cmd = json.loads(r.stdout)["ReturnValue"] if r.returncode == 0 else {}
        expect(cmd.get("State") == "completed", "capture_export: %r %r" % (r.stdout, r.stderr))
        if cmd.get("State") == "completed":
            got = count(["tshark", "-n", "-r", cmd["Result"], "-T", "fields", "-e",
                         "frame.number"])
            expect(got == n, "the export holds %d of %d packets (tshark)" % (got, n))

        want = count(["tshark", "-n", "-r", pcap, "-Y", "udp", "-T", "fields", "-e",
                      "frame.number"])
        r = run(apcctl, data, "--json", "search_start", "filter=udp")
        meta = json.loads(r.stdout)["ReturnValue"] if r.returncode == 0 else {}
        expect(meta.get("State") == "completed" and int(meta.get("Matches", -1)) == want,
               "search_start: %r (tshark -Y udp: %d)" % (meta, want))
        r = run(apcctl, data, "--json", "search_export", "search_id=%s" % meta.get("SearchId", 1))
        cmd = json.loads(r.stdout)["ReturnValue"] if r.returncode == 0 else {}
        expect(cmd.get("State") == "completed" and int(cmd.get("Packets", -1)) == want,
               "search_export: %r %r" % (r.stdout, r.stderr))

        # A job that fails: a file cut in the middle of a packet record still stores what it
        # can; a file that is not a capture at all fails, and says so.
        bad = os.path.join(tmp, "bad.pcap")
        with open(bad, "wb") as f:
            f.write(b"\xd4\xc3\xb2\xa1" + b"\x02\x00\x04\x00" + b"\xff" * 200)
        r = run(apcctl, data, "pcap_ingest_file", "path=" + bad)
        expect(r.returncode == 1 and "bad.pcap" in r.stderr,
               "a failing ingest: rc %d, stderr %r" % (r.returncode, r.stderr))
        print("a failing ingest says: %s" % r.stderr.strip())

        # On a terminal: progress on stderr (a pty), then the same answer.
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(apcctl, [apcctl, "--data-dir", data, "pcap_ingest_file", "path=" + pcap])
        out = b""
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        _, status = os.waitpid(pid, 0)
        text = out.decode("utf-8", "replace")
        # What stays on the screen: the bar is redrawn with \r and erased with ESC [K.
        shown = re.sub(r"\x1b\[K", "", text).split("\r\n")[0].split("\r")[-1]
        expect(os.WEXITSTATUS(status) == 0 and shown.strip() == "3",
               "on a terminal: rc %d, %r" % (os.WEXITSTATUS(status), text[-300:]))
        print("on a terminal: %r" % text[:300])
    print("%d failure(s)" % len(FAILURES))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""apcctl batch, end to end through the built binary: one command per line on one open store.

usage: test_batch.py APCCTL

Checks the line syntax (quotes, comments, blank lines), the status lines and exit codes, that a
bad line does not stop the batch, that each command's output reaches a pipe before the next
line is read (a reader can converse with it), and that a capture ingested on one line is read
on the next. Makes its own capture (no corpus needed). Python standard library only.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile
import threading

FAILURES = []


def expect(cond, msg):
    if not cond:
        FAILURES.append(msg)
        print("FAIL:", msg)


def write_pcap(path, n):
    """n UDP datagrams 10.0.0.1:5000 -> 10.0.0.2:53, Ethernet, one per millisecond."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(n):
            payload = b"q%05d" % i
            udp = struct.pack("!HHHH", 5000, 53, 8 + len(payload), 0) + payload
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0,
                             bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
            s = sum(struct.unpack("!10H", ip))
            while s >> 16:
                s = (s & 0xFFFF) + (s >> 16)
            ip = ip[:10] + struct.pack("!H", ~s & 0xFFFF) + ip[12:]
            frame = b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + udp
            f.write(struct.pack("<IIII", 1700000000, i * 1000, len(frame), len(frame)))
            f.write(frame)


def statuses(out):
    return [tuple(int(x) for x in l.split()[1:]) for l in out.splitlines()
            if l.startswith("#apcctl-status ")]


def responses(out):
    return [json.loads(l) for l in out.splitlines() if l.startswith("{")]


def main():
    apcctl = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="apc-batch-") as tmp:
        data = os.path.join(tmp, "data")
        pcap = os.path.join(tmp, "udp 1.pcap")  # a space: quoting must carry it
        write_pcap(pcap, 250)
        script = "\n".join([
            "# a comment, then a blank line",
            "",
            f"pcap_ingest_file path='{pcap}' wait=1",
            "capture_get_details capture_id=1",
            "no_such_action",
            "capture_get_details capture_id=999",
            "--json apppaccap",
            "batch",
            'apppaccap "unterminated',
            "read 1 --all count=100",
        ]) + "\n"
        script_path = os.path.join(tmp, "script.txt")
        with open(script_path, "w") as f:
            f.write(script)
        p = subprocess.run([apcctl, "-d", data, "--json", "batch", "--status", script_path],
                           capture_output=True, text=True, timeout=600)
        st = statuses(p.stdout)
        # Lines 1-2 are a comment and a blank line: no status for them.
        expect(st == [(3, 0), (4, 0), (5, 2), (6, 1), (7, 2), (8, 2), (9, 2), (10, 0)],
               f"status lines: {st}\nstderr: {p.stderr}")
        expect(p.returncode == 2, f"exit {p.returncode}, want 2 (a line was a usage error)")
        rs = responses(p.stdout)
        ok = [r for r in rs if r.get("ErrorCode") == 0]
        details = [r["ReturnValue"] for r in ok
                   if isinstance(r.get("ReturnValue"), dict) and "State" in r["ReturnValue"]]
        expect(any(d.get("Packets") == 250 and d.get("State") == "completed" for d in details),
               f"capture 1 not completed with 250 packets: {details}")
        pages = [r["ReturnValue"]["Packets"] for r in ok
                 if isinstance(r.get("ReturnValue"), dict) and "Packets" in r["ReturnValue"]
                 and isinstance(r["ReturnValue"]["Packets"], list)]
        expect(sum(len(x) for x in pages) == 250, f"read --all gave {[len(x) for x in pages]}")
        for want in ("batch line 5: unknown action 'no_such_action'",
                     "batch line 7: options go on the apcctl batch command line",
                     "batch line 8: 'batch' cannot run inside a batch",
                     "batch line 9: unterminated \" quote"):
            expect(want in p.stderr, f"stderr lacks {want!r}: {p.stderr}")

        # Only failed actions: exit 1. Only good lines: exit 0. Both from stdin.
        p = subprocess.run([apcctl, "-d", data, "batch"], input="capture_get_details "
                           "capture_id=999\napppaccap\n", capture_output=True, text=True,
                           timeout=300)
        expect(p.returncode == 1, f"a failed action: exit {p.returncode}, want 1")
        p = subprocess.run([apcctl, "-d", data, "batch", "-"], input="apppaccap\n"
                           "capture_list_completed\n", capture_output=True, text=True,
                           timeout=300)
        expect(p.returncode == 0, f"good lines: exit {p.returncode}, want 0: {p.stderr}")

        # A conversation: each answer arrives before the next line is written.
        proc = subprocess.Popen([apcctl, "-d", data, "--json", "batch", "--status"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        # readline blocks until the answer arrives; a stuck batch is killed by the watchdog
        # (a limit for a hang, not a timing check), which ends readline with "".
        watchdog = threading.Timer(300, proc.kill)
        watchdog.start()
        try:
            for i in range(3):
                proc.stdin.write("capture_get_details capture_id=1\n")
                proc.stdin.flush()
                got = []
                while True:
                    line = proc.stdout.readline()
                    expect(line != "", f"no answer to line {i + 1} (batch ended or hung)")
                    if not line or line.startswith("#apcctl-status"):
                        break
                    got.append(line)
                expect(len(got) == 1 and json.loads(got[0])["ErrorCode"] == 0,
                       f"conversation line {i + 1}: {got}")
            proc.stdin.close()
            expect(proc.wait(timeout=120) == 0, f"conversation exit {proc.returncode}")
        finally:
            watchdog.cancel()
            if proc.poll() is None:
                proc.kill()
                proc.wait()

        p = subprocess.run([apcctl, "-d", data, "batch", os.path.join(tmp, "missing.txt")],
                           capture_output=True, text=True, timeout=120)
        expect(p.returncode == 1 and "cannot open" in p.stderr and "missing.txt" in p.stderr,
               f"missing script: exit {p.returncode}: {p.stderr}")
    print(f"{len(FAILURES)} failures")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())

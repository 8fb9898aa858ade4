#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""apcctl read: streamed output in the manner of tcpdump/tshark.

usage: test_read.py APCCTL

Writes a pcap of 3,000 UDP packets (Python struct; no corpus), ingests it into a temporary data
directory and checks: every packet printed once; -c; -T fields -e ... -E separator=, against
the packets written; -T json lines parse; -x hex of the real bytes; -Y prints exactly the
matching packets; the first line reaches a pipe while apcctl is still running.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

FAILURES = []
N = 3000


def expect(cond, msg):
    if not cond:
        FAILURES.append(msg)
        print("FAIL:", msg)


def packet(i):
    """(src ip, dst port, frame) of packet i: every 10th goes to port 53."""
    src = f"10.0.{i % 200}.{1 + i % 250}"
    dport = 53 if i % 10 == 0 else 2000 + i % 50
    payload = b"q%05d" % i
    udp = struct.pack("!HHHH", 40000 + i % 1000, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 64, 17, 0,
                     bytes(int(x) for x in src.split(".")), bytes([192, 0, 2, 7]))
    return src, dport, b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + udp


def write_pcap(path):
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for i in range(N):
        frame = packet(i)[2]
        out.append(struct.pack("<IIII", 1700000000 + i // 1000, (i % 1000) * 1000, len(frame),
                               len(frame)) + frame)
    with open(path, "wb") as f:
        f.write(b"".join(out))


def read(apcctl, data, *words, code=0):
    p = subprocess.run([apcctl, "--data-dir", data, "read", "1", *words], capture_output=True,
                       text=True, timeout=300)
    expect(p.returncode == code, f"read {words}: exit {p.returncode}, stderr {p.stderr!r}")
    return p.stdout.splitlines()


def main():
    apcctl = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        pcap, data = os.path.join(tmp, "udp.pcap"), os.path.join(tmp, "data")
        write_pcap(pcap)
        p = subprocess.run([apcctl, "--data-dir", data, "--quiet", "ingest", pcap],
                           capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            print("FAIL: ingest:", p.stdout, p.stderr)
            return 1

        lines = read(apcctl, data)
        expect(len(lines) == N, f"read printed {len(lines)} lines, want {N}")
        for i in (0, 1, N - 1):
            src, dport, _ = packet(i)
            expect(i < len(lines) and f"{src}." in lines[i] and f".{dport}:" in lines[i]
                   and "UDP" in lines[i], f"line {i} does not describe packet {i}: "
                   f"{lines[i] if i < len(lines) else None!r}")
        expect(len(read(apcctl, data, "--all")) == N, "--all (the default now) not accepted")
        expect(len(read(apcctl, data, "-c", "10")) == 10, "-c 10 did not print 10 lines")

        csv = read(apcctl, data, "-T", "fields", "-e", "SrcIp", "-e", "DstPort", "-E",
                   "separator=,")
        want = [f"{packet(i)[0]},{packet(i)[1]}" for i in range(N)]
        expect(csv == want, f"-T fields CSV differs from the packets (first: {csv[:2]})")

        objs = [json.loads(x) for x in read(apcctl, data, "-T", "json", "-c", "50")]
        expect(len(objs) == 50 and all(o.get("SrcIp") == packet(i)[0] for i, o in
                                       enumerate(objs)), "-T json lines do not match")

        hexed = read(apcctl, data, "-x", "-c", "1", "-t")
        frame = packet(0)[2]
        digits = "".join("".join(x.split(":", 1)[1].split()) for x in hexed[1:])
        expect(hexed and hexed[0].startswith("-/- IP ") and digits == frame.hex(),
               f"-x: {hexed!r}")

        epoch = read(apcctl, data, "-tt", "-c", "1")
        expect(epoch and epoch[0].startswith("1700000000.000000 "), f"-tt: {epoch!r}")

        matched = read(apcctl, data, "-Y", "udp.dstport == 53", "-T", "fields", "-e", "SrcIp",
                       "-e", "DstPort", "-E", "separator=,")
        want53 = [w for w in want if w.endswith(",53")]
        expect(matched == want53, f"-Y printed {len(matched)} lines, want {len(want53)}")

        read(apcctl, data, "-T", "fields", code=2)
        read(apcctl, data, "-c", "0", code=2)
        read(apcctl, data, "-Y", "udp", "-x", code=2)

        # Streaming: 3,000 lines do not fit a pipe, so apcctl cannot have ended when the first
        # line is read; it then runs to the end once the rest is drained.
        proc = subprocess.Popen([apcctl, "--data-dir", data, "read", "1", "count=100"],
                                stdout=subprocess.PIPE, text=True)
        first = proc.stdout.readline()
        expect(proc.poll() is None, "apcctl ended before its first line was read")
        expect(packet(0)[0] + "." in first, f"first streamed line {first!r}")
        rest = proc.stdout.read().splitlines()
        expect(proc.wait(timeout=300) == 0 and len(rest) == N - 1,
               f"streamed read: exit {proc.returncode}, {len(rest) + 1} lines")
    print("FAILURES:", len(FAILURES))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())

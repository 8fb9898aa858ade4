#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""capture_thread_stream and capture_stream paging, through apcctl batch.

usage: test_streams.py APCCTL

- capture_thread_stream reads a stored capture (a pcapng with ptcpdump process comments this
  test writes) by pages of `count`, from last_id to the end: exactly the packets of that pid and
  thread, each once, in order; thread_id=0 gives every thread of the pid.
- capture_stream honours `count` on an active capture (a system capture on lo, as root; the
  live half skips with a message when not root).
Python standard library only; no corpus.
"""
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus"))
import apcrun  # noqa: E402

FAILURES = []


def expect(cond, msg):
    if not cond:
        FAILURES.append(msg)
        print("FAIL:", msg)


def block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def option(code, value):
    return struct.pack("<HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def udp_frame(i, sport):
    payload = b"p%05d" % i
    udp = struct.pack("!HHHH", sport, 9999, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + udp


def write_pcapng(path, owners):
    """One packet per entry of owners [(pid, tid)], each with its ptcpdump comment."""
    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", 1, 0, 65535))
    for i, (pid, tid) in enumerate(owners):
        frame = udp_frame(i, 1000 + pid)
        ts = (1700000000 * 1000000) + i * 1000
        comment = f"PID: {pid}\nCmd: /usr/bin/prog{pid}\nThreadId: {tid}".encode()
        body = struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(frame), len(frame))
        body += frame + b"\0" * (-len(frame) % 4)
        body += option(1, comment) + option(0, b"")
        out += block(6, body)
    with open(path, "wb") as f:
        f.write(out)


def call(batch, *words):
    r, _ = batch.run(list(words), 300)
    expect(not r.crashed and not r.timed_out, f"{words}: {r.crashed or 'timed out'}")
    return r.response or {}


def stream_all(batch, action, count, **params):
    """Every page of `action` from last_id 0; returns (packet ids, page sizes)."""
    ids, sizes, last = [], [], 0
    for _ in range(10000):
        words = [action] + [f"{k}={v}" for k, v in params.items()]
        r = call(batch, *(words + [f"last_id={last}", f"count={count}"]))
        if r.get("ErrorCode") != 0:
            expect(False, f"{action} {params}: {r.get('ReturnValue')}")
            break
        v = r["ReturnValue"]
        ids += [p["PacketId"] for p in v["Packets"]]
        sizes.append(len(v["Packets"]))
        expect(v["LastId"] >= last, f"{action}: LastId went back from {last} to {v['LastId']}")
        last = v["LastId"]
        if not v["More"]:
            break
    return ids, sizes


def stored_half(apcctl, tmp):
    owners = []
    for i in range(700):
        owners.append([(100, 100), (100, 101), (200, 200), (100, 101), (300, 300)][i % 5])
    path = os.path.join(tmp, "procs.pcapng")
    write_pcapng(path, owners)
    batch = apcrun.Batch(apcctl, os.path.join(tmp, "data"))
    try:
        r = call(batch, "pcap_ingest_file", f"path={path}", "wait=1")
        expect(r.get("ErrorCode") == 0, f"ingest: {r}")
        cid = apcrun.capture_id_of(r)
        for pid, tid in ((100, 101), (100, 100), (200, 200), (100, 0), (999, 0)):
            want = [i + 1 for i, o in enumerate(owners)
                    if o[0] == pid and (tid == 0 or o[1] == tid)]
            ids, sizes = stream_all(batch, "capture_thread_stream", 7, capture_id=cid, pid=pid,
                                    thread_id=tid)
            expect(ids == want, f"pid {pid} tid {tid}: {len(ids)} packets {ids[:5]}..., "
                                f"want {len(want)} {want[:5]}...")
            expect(max(sizes, default=0) <= 7, f"pid {pid} tid {tid}: a page over count 7: {sizes}")
        r = call(batch, "capture_stream", f"capture_id={cid}")
        expect(r.get("ErrorCode") != 0 and "not active" in str(r.get("ReturnValue")),
               f"capture_stream on a stored capture: {r}")
        r = call(batch, "capture_thread_stream", "capture_id=999", "pid=1", "thread_id=1")
        expect(r.get("ErrorCode") != 0 and "not found" in str(r.get("ReturnValue")),
               f"capture_thread_stream of a missing capture: {r}")
    finally:
        leak = batch.close()
        expect(not leak, f"apcctl at exit: {leak}")


def live_half(apcctl, tmp):
    if os.geteuid() != 0:
        print("SKIP live half: capture_stream on an active capture needs root (CAP_NET_RAW)")
        return
    batch = apcrun.Batch(apcctl, os.path.join(tmp, "live"))
    try:
        r = call(batch, "capture_start_system", "adapter=lo", "filter=udp port 39999")
        expect(r.get("ErrorCode") == 0, f"capture_start_system on lo: {r}")
        if r.get("ErrorCode") != 0:
            return
        cid = r["ReturnValue"]["CaptureId"]
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # Send until the capture has stored at least 20 packets (a condition, with a limit
        # for a hang; no rate is assumed).
        seen = 0
        deadline = time.monotonic() + 120
        while seen < 20 and time.monotonic() < deadline:
            for _ in range(10):
                s.sendto(b"x" * 32, ("127.0.0.1", 39999))
            r = call(batch, "capture_stream", f"capture_id={cid}", "count=1000")
            seen = len(r.get("ReturnValue", {}).get("Packets", [])) if r.get(
                "ErrorCode") == 0 else 0
        s.close()
        expect(seen >= 20, f"the capture stored {seen} packets of ours within 120 s")
        r = call(batch, "capture_stream", f"capture_id={cid}", "count=3")
        got = r.get("ReturnValue", {}).get("Packets", []) if r.get("ErrorCode") == 0 else None
        expect(got is not None and len(got) == 3, f"capture_stream count=3 gave "
                                                  f"{None if got is None else len(got)}: {r}")
        expect(r.get("ReturnValue", {}).get("More") == 1 or
               r.get("ReturnValue", {}).get("More") is True, f"More after 3 of {seen}: {r}")
        call(batch, "capture_stop_system", f"capture_id={cid}")
    finally:
        leak = batch.close()
        expect(not leak, f"apcctl at exit: {leak}")


def main():
    apcctl = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="apc-streams-") as tmp:
        stored_half(apcctl, tmp)
        live_half(apcctl, tmp)
    print(f"{len(FAILURES)} failures")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())

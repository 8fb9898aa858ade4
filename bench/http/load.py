#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Load test of apcd: N concurrent keep-alive connections for T seconds (reconnecting when apcd
answers "Connection: close", as it does over plain HTTP: docs/apcd.md), each sending the same
request back to back; reports requests/s, latency percentiles, errors, and apcd's memory.
A bounded client (asyncio, standard library only) because wrk is not packaged on every
machine we run on; the client itself uses one core, so it is the ceiling it reports.

usage: load.py --port P --pid PID [--conns 100] [--seconds 30] (--ajax BODY | --get PATH)
"""
import argparse
import asyncio
import time


def rss(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0])
    return out


async def worker(host, port, req, stop, lat, errs):
    try:
        r, w = await asyncio.open_connection(host, port)
    except OSError:
        errs[0] += 1
        return
    while time.monotonic() < stop:
        t0 = time.monotonic()
        w.write(req)
        try:
            head = await r.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            hl = head.lower()
            if b"content-length:" in hl:
                n = int(hl.split(b"content-length:")[1].split(b"\r\n")[0])
                body = await r.readexactly(n)
            else:  # chunked
                body = b""
                while True:
                    size = int((await r.readuntil(b"\r\n")).strip(), 16)
                    body += await r.readexactly(size + 2)
                    if size == 0:
                        break
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            errs[0] += 1
            return
        if status != 200 or (b'"ErrorCode":0' not in body and b"ErrorCode" in body):
            errs[0] += 1
        if b"connection: close" in hl:
            w.close()
            try:
                r, w = await asyncio.open_connection(host, port)
            except OSError:
                errs[0] += 1
                return
        lat.append(time.monotonic() - t0)
    w.close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--conns", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--ajax")
    ap.add_argument("--get")
    a = ap.parse_args()
    host = "127.0.0.1"
    hosthdr = "%s:%d" % (host, a.port)
    if a.ajax:
        body = a.ajax.encode()
        req = ("POST /ajax HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded"
               "\r\nContent-Length: %d\r\n\r\n" % (hosthdr, len(body))).encode() + body
    else:
        req = ("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (a.get, hosthdr)).encode()
    lat, errs = [], [0]
    m0 = rss(a.pid)
    stop = time.monotonic() + a.seconds
    t0 = time.monotonic()
    await asyncio.gather(*(worker(host, a.port, req, stop, lat, errs) for _ in range(a.conns)))
    dt = time.monotonic() - t0
    m1 = rss(a.pid)
    lat.sort()
    pct = lambda p: lat[min(len(lat) - 1, int(len(lat) * p))] * 1000 if lat else 0
    print("requests %d in %.1f s: %.0f req/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms, errors %d"
          % (len(lat), dt, len(lat) / dt, pct(0.5), pct(0.99), pct(1.0) if lat else 0, errs[0]))
    print("apcd VmRSS %d kB -> %d kB, VmHWM %d kB" % (m0["VmRSS"], m1["VmRSS"], m1["VmHWM"]))


asyncio.run(main())

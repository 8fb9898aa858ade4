#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The file.* search fields end to end through the real apcctl (issue 10).

On the generated web.pcap (and the generated FTP session: files in both directions): a search
with a file.* field before detection ran is an error naming the capture and extract_query (also
over every capture when one of them was not examined); after extract_query, each search returns
exactly the packets of the matching files, that is the packets of each file's connection, in
its direction, within its packet span. The expected packets are computed from the file rows
(extract_query) and tshark's reading of each packet's source (the connection's initiator sent
its first packet), never from our file fields.
Also: file.sha256 in upper case, file.mime, file.size comparisons, file.name combined with
tcp.port, a negation, and a bad value (file.size > "abc") refused by the parser.
Usage: test_extract_search.py APCCTL GEN_CAPTURES_PY
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_extract_http as x  # noqa: E402  (its harness, apc() and checks)


def search(apcctl, data, cid, flt):
    """(packet ids, None) of a completed search, or (None, error text)."""
    scope = {"capture_id": cid} if cid else {}  # None: every capture
    r = x.apc(apcctl, data, "search_start", filter=flt, wait=1, **scope)
    if r.get("ErrorCode") != 0:
        return None, str(r.get("ReturnValue"))
    meta = r["ReturnValue"]
    if meta["State"] != "completed":
        return None, f"{meta['State']}: {meta.get('Error')}"
    ids, last = [], 0
    while True:
        page = x.ok(x.apc(apcctl, data, "search_read", search_id=meta["SearchId"],
                          last_id=last, count=1000), "search_read")
        ids += [p["PacketId"] for p in page["Packets"]]
        last = page["LastId"]
        if not page["More"]:
            return ids, None


def sources(pcap):
    """frame number -> (source address, source port) as tshark reads it."""
    out = subprocess.run(["tshark", "-n", "-r", pcap, "-T", "fields", "-e", "frame.number",
                          "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport",
                          "-e", "udp.srcport"], capture_output=True, text=True, check=True)
    src = {}
    for line in out.stdout.splitlines():
        f = (line.split("\t") + [""] * 5)[:5]
        src[int(f[0])] = (f[1] or f[2], f[3] or f[4])
    return src


def packets_of(apcctl, data, cid, s, src, conn_cache):
    """The packets that carried stream s: its connection's, in its direction, in its span."""
    c = s["ConnId"]
    if c not in conn_cache:
        ids, err = search(apcctl, data, cid, f"conn.id == {c}")
        if err:
            raise SystemExit(f"conn.id == {c}: {err}")
        conn_cache[c] = ids
    ids = conn_cache[c]
    initiator = src[ids[0]]
    out = []
    for n in ids:
        if s["FirstPacketId"] and not s["FirstPacketId"] <= n <= s["LastPacketId"]:
            continue
        if (src[n] == initiator) == (s["Direction"] == "out"):
            out.append(n)
    return out


def expect(apcctl, data, cid, flt, want, what):
    got, err = search(apcctl, data, cid, flt)
    x.check(err is None, f"{what}: `{flt}` failed: {err}")
    if err is None:
        want = sorted(set(want))
        x.check(got == want, f"{what}: `{flt}` gave {len(got)} packets {got[:12]}..., "
                f"expected {len(want)} {want[:12]}...")
        print(f"{what}: `{flt}` -> {len(got)} packets", flush=True)


def union(apcctl, data, cid, streams, src, cache, keep):
    out = []
    for s in streams:
        if keep(s):
            out += packets_of(apcctl, data, cid, s, src, cache)
    return out


def web_checks(apcctl, data, caps):
    pcap = os.path.join(caps, "web.pcap")
    cid = x.ok(x.apc(apcctl, data, "pcap_ingest_file", path=pcap, wait=1), "ingest web.pcap")
    # before detection: an error naming the capture and the action, never "no match"
    got, err = search(apcctl, data, cid, "file.size > 0")
    x.check(got is None and err and f"capture {cid}" in err and "extract_query" in err,
            f"file.* before detection: {got} {err}")
    print("before detection:", err, flush=True)
    streams = x.streams_of(apcctl, data, cid)
    x.check(len(streams) >= 12, f"web.pcap: {len(streams)} files")
    src, cache = sources(pcap), {}
    one = streams[3]
    mine = packets_of(apcctl, data, cid, one, src, cache)
    x.check(len(mine) > 1, f"stream {one['StreamId']}: {len(mine)} packets")
    expect(apcctl, data, cid, f'file.sha256 == "{one["Sha256"]}"', mine, "sha256")
    expect(apcctl, data, cid, f'file.sha256 == "{one["Sha256"].upper()}"', mine,
           "sha256 in upper case")
    mime = one["MimeType"]
    expect(apcctl, data, cid, f'file.mime == "{mime}"',
           union(apcctl, data, cid, streams, src, cache, lambda s: s["MimeType"] == mime), "mime")
    cut = sorted(s["Size"] for s in streams)[len(streams) // 2]
    expect(apcctl, data, cid, f"file.size > {cut}",
           union(apcctl, data, cid, streams, src, cache, lambda s: s["Size"] > cut), "size")
    expect(apcctl, data, cid, f"file.size <= {cut} && file.size >= 1",
           union(apcctl, data, cid, streams, src, cache, lambda s: 1 <= s["Size"] <= cut),
           "size range")
    name = one["Name"]
    part = name[1:5] if len(name) > 5 else name
    named = union(apcctl, data, cid, streams, src, cache, lambda s: part in s["Name"])
    expect(apcctl, data, cid, f'file.name contains "{part}" && tcp.port == 80', named,
           "name and port")
    expect(apcctl, data, cid, f'file.name contains "{part}" && tcp.port == 81', [],
           "name and another port")
    expect(apcctl, data, cid, f'file.name == "{name}"',
           union(apcctl, data, cid, streams, src, cache, lambda s: s["Name"] == name), "name")
    expect(apcctl, data, cid, f'file.name matches "^{name.upper()}$"',
           union(apcctl, data, cid, streams, src, cache, lambda s: s["Name"] == name),
           "name matches (case-insensitive)")
    everything, err = search(apcctl, data, cid, "")
    carried = set(union(apcctl, data, cid, streams, src, cache, lambda s: True))
    expect(apcctl, data, cid, "!file.size", [n for n in everything if n not in carried],
           "packets that carried no file")
    got, err = search(apcctl, data, cid, 'file.size > "abc"')
    x.check(got is None and err and "file.size" in err, f'file.size > "abc": {got} {err}')
    print('file.size > "abc":', err, flush=True)


def ftp_checks(apcctl, data, caps):
    """Files in both directions (downloads and an upload): each one's packets only."""
    pcap = os.path.join(caps, "ftp.pcap")
    cid = x.ok(x.apc(apcctl, data, "pcap_ingest_file", path=pcap, wait=1), "ingest ftp.pcap")
    # every capture: web.pcap was examined, this one not yet: the search names it
    got, err = search(apcctl, data, None, "file.size > 0")
    x.check(got is None and err and f"capture {cid}" in err,
            f"file.* over every capture, capture {cid} not examined: {got} {err}")
    streams = x.streams_of(apcctl, data, cid)
    src, cache = sources(pcap), {}
    print("ftp.pcap: files in directions", sorted({s["Direction"] for s in streams}))
    for s in streams:
        expect(apcctl, data, cid, f'file.sha256 == "{s["Sha256"]}"',
               union(apcctl, data, cid, streams, src, cache,
                     lambda t, h=s["Sha256"]: t["Sha256"] == h),
               f"ftp {s['Direction']} {s['Name']}")


def checks(apcctl, gen, data, tmp, caps):
    web_checks(apcctl, data, caps)
    ftp_checks(apcctl, data, caps)


if __name__ == "__main__":
    sys.exit(x.harness(sys.argv, "apc-extract-search-", checks))

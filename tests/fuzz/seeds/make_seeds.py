#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed inputs of the text-format fuzz targets into tests/fuzz/seeds/<target>/.

usage: make_seeds.py   (run from anywhere; rewrites the folders beside this script)

Each target starts from inputs in its own format, so a 20 s run explores the format rather
than the bytes of capture files: filter texts (the differential tests' filters, each also run
against tshark there), form, JSON and multipart request bodies as the web UI and apcctl send
them, Range headers. The files are committed; rerun after adding filters to
tests/search/diff_tshark.py.
"""
import ast
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")


def filters():
    src = open(os.path.join(HERE, "..", "..", "search", "diff_tshark.py")).read()
    out = []
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") in (
                "CASES", "MADE_CASES", "BPF", "MADE_BPF"):
            for item in ast.literal_eval(node.value):
                if node.targets[0].id.endswith("BPF"):
                    out.append('bpf("%s")' % item[1])
                else:
                    out.append(item[1])
    out += ["process.name == \"curl\" && tcp.port == 443", "pid == 4242 || tid in {1, 2}",
            "frame.time >= \"2024-01-31 12:00:00\" && frame.time < \"2024-02-01T00:00:00Z\"",
            "ip.addr == 10.0.0.0/8 and not (udp or icmp)", "!tcp.flags.ack", "ipv6.addr == ::1"]
    return sorted(set(out))


def write(target, items):
    d = os.path.join(HERE, target)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        os.remove(os.path.join(d, f))
    for i, data in enumerate(items):
        with open(os.path.join(d, "seed-%03d" % i), "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())


def multipart(boundary, fields, file_part=None):
    out = []
    for k, v in fields:
        out.append("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                   % (boundary, k, v))
    if file_part:
        out.append("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
                   "Content-Type: application/octet-stream\r\n\r\n%s\r\n" % (boundary, *file_part))
    out.append("--%s--\r\n" % boundary)
    return "".join(out).encode()


def main():
    write("filter", filters())
    tok = "0123456789abcdef" * 4
    write("form", [
        "action=apppaccap",
        "action=login&username=admin&password=s%C3%A9cret%21",
        "action=capture_read&token=%s&capture_id=3&last_id=100&count=50&flags=1" % tok,
        "action=search_start&filter=tcp.port+%3D%3D+80+%26%26+ip.src+%3D%3D+10.0.0.1&wait=1",
        "action=capture_start_system&adapter%5B%5D=eth0&adapter%5B%5D=lo&flags=0x101",
        "action=settings_set&key_name=export_roots&value=%2Fsrv%2Fa%2C%2Fsrv%2Fb",
        "a=1&a=2&b=&=c&d",
    ])
    write("json", [
        '{"action":"apppaccap"}',
        '{"action":"login","username":"admin","password":"p\\u00e9\\"x"}',
        '{"action":"capture_read","token":"%s","capture_id":3,"last_id":"100","flags":true}' % tok,
        '{"action":"capture_start_system","adapter":["eth0","lo"],"filter":null}',
        '{"action":"search_start","filter":"frame contains \\"GET\\"","wait":1}',
        '{"n":1.5e300,"m":-0,"big":9007199254740993,"list":[1,"two",false]}',
    ])
    write("multipart", [
        b"\x00" + b"b\n" + multipart("b", [("action", "pcap_ingest_post"), ("token", tok)],
                                      ("x.pcap", "PCAPDATA")),
        b"\x07" + b"----apc1234\n" + multipart("----apc1234", [("action", "login"),
                                                              ("username", "admin"),
                                                              ("password", "pw")]),
        b"\xff" + b"XyZ\n" + multipart("XyZ", [("note", "line1\r\nline2")], ("a b.pcapng", "")),
    ])
    ranges = ["bytes=0-99", "bytes=100-", "bytes=-500", "bytes=0-0", "bytes=5-4",
              "bytes=0-99,200-299", "items=0-5", "bytes= 1 - 2"]
    write("range", [struct.pack("<Q", (1000 << 8)) + r.encode() for r in ranges] +
          [struct.pack("<Q", 0) + b"bytes=0-"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seeds of tests/fuzz/fuzz_extract_engine.c from the project's generated captures.

usage: engine_seeds.py CAPTURES_DIR   (e.g. build/tests/captures; rewrites seeds/extract_engine/)

Each capture (web, ranges, ftp, tftp, smb2, smb1: tests/captures/gen_captures.py) becomes one or
more inputs in the target's format (see the comment at the top of fuzz_extract_engine.c): its
first two connections of one client and server, their packets in order with their flags, and
one record per packet; each seed stops at about 16 KB (SMB: 80 KB) so the fuzzer
starts from small, whole exchanges (a request and the start of its answer, an FTP control
dialogue and its data connection, a TFTP request and blocks, SMB negotiate and create).
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "extract_engine")
PORTS = [80, 21, 20, 445, 139, 69]
LIMIT = 16000
# SMB's first READ answers are 64 KiB: its seeds go on until the first file is whole
LIMITS = {"smb2": 80000, "smb1": 80000}


def packets(path):
    data = open(path, "rb").read()
    if data[:4] != b"\xd4\xc3\xb2\xa1" or struct.unpack("<I", data[20:24])[0] != 1:
        return
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack("<I", data[off + 8:off + 12])[0]
        f = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(f) < 34 or f[12:14] != b"\x08\x00":
            continue
        ip = f[14:]
        ihl = (ip[0] & 15) * 4
        proto, src, dst = ip[9], ip[12:16], ip[16:20]
        tl = struct.unpack(">H", ip[2:4])[0]
        l4 = ip[ihl:tl]
        if proto == 6 and len(l4) >= 20:
            sp, dp = struct.unpack(">HH", l4[:4])
            yield src, sp, dst, dp, False, l4[13], l4[(l4[12] >> 4) * 4:]
        elif proto == 17 and len(l4) >= 8:
            sp, dp = struct.unpack(">HH", l4[:4])
            yield src, sp, dst, dp, True, 0, l4[8:]


def seed(path, limit):
    conns = []  # (client ip, client port, server port)
    out = bytearray(16)
    for src, sp, dst, dp, udp, fl, pl in packets(path):
        if 53 in (sp, dp):
            continue  # DNS: no detector reads it
        key = None
        for i, (cip, cp, srvp) in enumerate(conns):
            if (src, sp, dp) == (cip, cp, srvp) or (dst, dp, sp) == (cip, cp, srvp):
                key = i
        if key is None:
            if len(conns) == 2:
                continue
            # the server is the side on a known port, else the receiver of the first packet;
            # the second connection has the first one's client
            if conns:
                server_is_src = src != conns[0][0]
            else:
                server_is_src = sp in PORTS and dp not in PORTS
            conns.append((dst, dp, sp) if server_is_src else (src, sp, dp))
            key = len(conns) - 1
            srvp = conns[key][2]
            out[key] = PORTS.index(srvp) if srvp in PORTS else 6
            if srvp not in PORTS:
                out[2:4] = struct.pack(">H", srvp)
            out[4 + 2 * key:6 + 2 * key] = struct.pack(">H", conns[key][1])
            if key == 0:
                out[8:12], out[12:16] = (src, dst) if not server_is_src else (dst, src)
        from_server = (dst, dp) == conns[key][:2]
        flags = key | (2 if from_server else 0) | (32 if udp else 0)
        flags |= (4 if fl & 2 else 0) | (8 if fl & 1 else 0) | (16 if fl & 4 else 0)
        out += bytes([flags]) + struct.pack(">H", len(pl)) + pl
        if len(out) > limit:
            break
    return bytes(out)


def main():
    os.makedirs(OUT, exist_ok=True)
    n = 0
    for name in ["web", "ranges", "ftp", "tftp", "smb2", "smb1", "names"]:
        p = os.path.join(sys.argv[1], name + ".pcap")
        if os.path.exists(p):
            with open(os.path.join(OUT, f"seed-{name}"), "wb") as f:
                f.write(seed(p, LIMITS.get(name, LIMIT)))
            n += 1
    print(n)


if __name__ == "__main__":
    main()

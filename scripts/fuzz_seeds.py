#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seeds for the fuzz targets that do not read whole capture files (called by scripts/test).

usage: fuzz_seeds.py TARGET OUT_DIR CORPUS_DIR     (prints how many seeds it wrote)

fuzz_decode:   one packet per seed, prefixed by the byte that makes tests/fuzz/fuzz_decode.c pick
               the packet's link type (index into its types[] table), taken from corpus pcaps.
fuzz_filemeta: the distinct packet comments of the ptcpdump pcapng files (via tshark).
"""
import os
import struct
import subprocess
import sys

# Link type -> index of fuzz_decode.c's types[] (Ethernet, SLL, SLL2, RAW, ..., IPv4, IPv6,
# NULL, LOOP). If that table changes, the seeds stay valid inputs, only less well aimed.
DECODE_INDEX = {1: 0, 113: 1, 276: 2, 101: 3, 228: 6, 229: 7, 0: 8, 108: 9}
PER_FILE = 5
MAX_SEEDS = 3000


def pcap_packets(path):
    """(linktype, [packet bytes]) of a classic pcap file; ([] when it is not one)."""
    with open(path, "rb") as f:
        data = f.read(4 << 20)
    if len(data) < 24:
        return None, []
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        return None, []
    linktype = struct.unpack(end + "I", data[20:24])[0] & 0x0fffffff
    out, off = [], 24
    while off + 16 <= len(data) and len(out) < PER_FILE:
        caplen = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        if caplen > 262144 or off + 16 + caplen > len(data):
            break
        out.append(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return linktype, out


def decode_seeds(out_dir, corpus):
    n = 0
    for d, _, files in sorted(os.walk(corpus)):
        for name in sorted(files):
            if not name.endswith(".pcap") or n >= MAX_SEEDS:
                continue
            lt, pkts = pcap_packets(os.path.join(d, name))
            if lt not in DECODE_INDEX:
                continue
            for p in pkts:
                with open(os.path.join(out_dir, f"pkt-{n}"), "wb") as f:
                    f.write(bytes([DECODE_INDEX[lt]]) + p)
                n += 1
    return n


def filemeta_seeds(out_dir, corpus):
    seen = set()
    d = os.path.join(corpus, "ptcpdump")
    if not os.path.isdir(d):
        return 0
    for name in sorted(os.listdir(d)):
        if not name.endswith(".pcapng"):
            continue
        p = subprocess.run(["tshark", "-r", os.path.join(d, name), "-T", "fields",
                            "-e", "frame.comment"], capture_output=True, text=True,
                           errors="replace")
        for line in p.stdout.splitlines():
            # tshark escapes newlines inside a comment as "\n".
            c = line.replace("\\n", "\n")
            if c and c not in seen and len(seen) < 200:
                seen.add(c)
                with open(os.path.join(out_dir, f"comment-{len(seen)}"), "w") as f:
                    f.write(c)
    return len(seen)


def main(argv):
    if len(argv) != 4:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    target, out_dir, corpus = argv[1:]
    if target == "fuzz_decode":
        print(decode_seeds(out_dir, corpus))
    elif target == "fuzz_filemeta":
        print(filemeta_seeds(out_dir, corpus))
    else:
        print(0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

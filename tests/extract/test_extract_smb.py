#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""SMB2 and SMB1 file extraction end to end through the real apcctl, against tshark's Export Objects
(smb). Uses the helpers of test_extract_http.py (ingest, extract_query, extract_file_write of
every stream, the written bytes' SHA-256 checked against what detection announced).

  - The generated smb2.pcap (gen_captures.gen_smb2): a 200,000-byte file read in 64 KiB chunks
    answered out of order, a write in two pieces plus one the server refuses, a compound
    CREATE + READ + CLOSE, a refused CREATE (no file), a file read with a hole, and on another
    connection a read whose second answer lost a TCP segment (parsing resumes at the next
    message; the file is partial, the lost answer zeros). Each file's
    bytes are those the generator sent; against tshark's export, the differences are explained
    (smb_generated below).
  - The generated smb1.pcap (gen_captures.gen_smb1): a read with READ_ANDX in 16 KiB chunks, a
    write in two WRITE_ANDX, a refused NT_CREATE_ANDX: two files, the bytes sent, and the
    same two files tshark exports.
  - The corpus's zeek/smb_smb2_100_small_files.pcap (when ../shared/corpus is there): the 100
    files tshark exports, the same multiset of SHA-256. The corpus's other SMB captures
    (tcpdump/smb_*: SMB1 print jobs made to crash tcpdump) carry no file tshark exports.
Usage: test_extract_smb.py APCCTL GEN_CAPTURES_PY
"""
import importlib.util
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_extract_http as t  # noqa: E402

CORPUS_SMB = "zeek/smb_smb2_100_small_files.pcap"


def load_gen(path):
    spec = importlib.util.spec_from_file_location("gen_captures", path)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    return gen


def smb_generated(gen):
    sent = gen.smb2_files()

    def post(streams, tmp, pcap):
        got = {(s["Name"], s["Direction"]): s for s in streams}
        want = {("docs\\report.bin", "in"), ("upload\\notes.txt", "out"), ("small.txt", "in"),
                ("gappy.bin", "in"), ("lossy.bin", "in")}
        t.check(set(got) == want, f"smb2.pcap: files {sorted(got)}, expected {sorted(want)} "
                "(the refused CREATE is no file)")
        for key in want & set(got):
            s = got[key]
            body = open(s["Path"], "rb").read()
            t.check(s["Protocol"] == "smb", f"smb2.pcap: {key}: protocol {s['Protocol']}")
            if key[0] == "lossy.bin":  # the second 8 KiB answer lost a segment
                g = sent["lossy.bin"]
                t.check(not s["Complete"] and "24576 of the 32768 bytes read, gap in the capture"
                        in s["Reason"] and body == g[:8192] + bytes(8192) + g[16384:],
                        f"smb2.pcap: lossy.bin complete={s['Complete']} {s['Reason']!r}, the "
                        "lost answer not zeros or the others not the bytes sent")
            elif key[0] == "gappy.bin":
                g = sent["gappy.bin"]
                t.check(not s["Complete"] and "2000 of the 3000 bytes read" in s["Reason"] and
                        body == g[:1000] + bytes(1000) + g[2000:],
                        f"smb2.pcap: gappy.bin complete={s['Complete']} {s['Reason']!r}, the hole "
                        "not zeros or the rest not the bytes sent")
            else:
                t.check(s["Complete"] == 1 and s["Reason"] == "" and body == sent[key[0]],
                        f"smb2.pcap: {key}: complete={s['Complete']} {s['Reason']!r}, "
                        f"{len(body)} bytes, the sent ones: {body == sent[key[0]]}")
        # tshark: report.bin the same; notes.txt with the refused write's 13 bytes at its end
        # (it does not look at a WRITE response's status); small.txt not exported (it does not
        # give a related compound READ the CREATE's FileId); gappy.bin with the hole holding
        # whatever its buffer held (not zeros), the bytes around it the same as ours; lossy.bin
        # the same way (the answer it could not reassemble).
        out = t.tshark_dir(pcap, tmp, "smb")
        theirs = {n.replace("%5c", "\\").lstrip("\\"): open(os.path.join(out, n), "rb").read()
                  for n in os.listdir(out)}
        t.check(set(theirs) == {"docs\\report.bin", "upload\\notes.txt", "gappy.bin",
                                "lossy.bin"}, f"smb2.pcap: tshark exports {sorted(theirs)}")
        t.check(theirs.get("docs\\report.bin") == sent["docs\\report.bin"],
                "smb2.pcap: tshark's report.bin differs from ours")
        t.check(theirs.get("upload\\notes.txt") == sent["upload\\notes.txt"] + b"refused bytes",
                "smb2.pcap: tshark's notes.txt is not ours plus the refused write")
        g, tg = sent["gappy.bin"], theirs.get("gappy.bin", b"")
        t.check(len(tg) == 3000 and tg[:1000] == g[:1000] and tg[2000:] == g[2000:],
                "smb2.pcap: tshark's gappy.bin differs from ours outside the hole")
        g, tg = sent["lossy.bin"], theirs.get("lossy.bin", b"")
        t.check(len(tg) == 32768 and tg[:8192] == g[:8192] and tg[16384:] == g[16384:],
                "smb2.pcap: tshark's lossy.bin differs from ours outside the lost answer")
        print(f"smb2.pcap: {len(got)} files byte-exact; tshark's 4 explained", flush=True)
    return post


def smb1_generated(gen):
    sent = gen.smb1_files()

    def post(streams, tmp, pcap):
        got = {(s["Name"], s["Direction"]): s for s in streams}
        want = {("share\\big.bin", "in"): sent["share\\big.bin"],
                ("up\\log.txt", "out"): sent["up\\log.txt"]}
        t.check(set(got) == set(want), f"smb1.pcap: files {sorted(got)}, expected {sorted(want)} "
                "(the refused NT_CREATE_ANDX is no file)")
        for key in set(want) & set(got):
            s = got[key]
            t.check(s["Protocol"] == "smb" and s["Complete"] == 1 and
                    open(s["Path"], "rb").read() == want[key],
                    f"smb1.pcap: {key}: complete={s['Complete']} {s['Reason']!r}, not as sent")
        print(f"smb1.pcap: {len(got)} files byte-exact", flush=True)
    return post


def checks(apcctl, gen_path, data, tmp, caps):
    gen = load_gen(gen_path)
    t.run_one(apcctl, data, tmp, os.path.join(caps, "smb2.pcap"), extra=None, proto="smb",
              post=smb_generated(gen))
    t.run_one(apcctl, data, tmp, os.path.join(caps, "smb1.pcap"), proto="smb",
              post=smb1_generated(gen))
    corpus = os.path.join(t.CORPUS, CORPUS_SMB)
    if os.path.isfile(corpus):
        t.run_one(apcctl, data, tmp, corpus, extra=0, proto="smb")
    else:
        print(f"corpus part skipped: no {CORPUS_SMB} under {t.CORPUS} (set APC_CORPUS)")


def main():
    t.__doc__ = __doc__  # the usage harness prints
    return t.harness(sys.argv, "apc-extract-smb-", checks)

if __name__ == "__main__":
    sys.exit(main())

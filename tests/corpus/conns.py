#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Our TCP and UDP connection counts against tshark's conversation tables.

usage: conns.py APCCTL [--only SUBSTRING]

For every file under $APC_CORPUS/zeek and $APC_CORPUS/ndpi: ingest it with apcctl, read all of
its connections with capture_list_conns (paged by last_id), count Protocol 6 and 17, and compare
with the line counts of `tshark -q -z conv,tcp -z conv,udp`. A (file, protocol) listed in
EXPECTED_DIFFERENCES must give exactly the two counts written there, ours and tshark's, so a
difference that changes or goes away is noticed; the reasons are explained in
docs/connections.md (the same table as tests/unit/flow/flow_corpus.c, which checks the flow
module alone; this test checks what a user of apcctl gets).
"""
import argparse
import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apcrun  # noqa: E402

FOLDERS = ("zeek", "ndpi")

# (file, "tcp"|"udp") -> (ours, tshark, reason). Keep in sync with docs/connections.md and the
# expected[] table of tests/unit/flow/flow_corpus.c.
EXPECTED_DIFFERENCES = {
    ("ndpi/fuzz-2006-06-26-2594.pcap", "udp"): (
        222, 221, "192.168.1.2:138 <-> 192.168.1.255:138 is silent for 719 s: our 10-minute "
        "idle timeout makes two connections, Wireshark never times out"),
    ("ndpi/ip_fragmented_garbage.pcap", "tcp"): (
        0, 2, "crafted fragments whose first fragment holds 16 bytes of TCP header: Wireshark "
        "reassembles the datagram, we file fragments by the first fragment's header alone"),
}


def tshark_conversations(path):
    """(tcp, udp) conversation line counts from tshark's conv tables."""
    p = subprocess.run(["tshark", "-r", path, "-q", "-z", "conv,tcp", "-z", "conv,udp"],
                       capture_output=True, text=True, errors="replace", timeout=300)
    counts = {"tcp": 0, "udp": 0}
    section = None
    for line in p.stdout.splitlines():
        if line.startswith("TCP Conversations"):
            section = "tcp"
        elif line.startswith("UDP Conversations"):
            section = "udp"
        elif section and "<->" in line:
            counts[section] += 1
    if section is None:
        raise RuntimeError(f"tshark printed no conversation table (exit {p.returncode}): "
                           f"{p.stderr.strip()[:200]}")
    return counts["tcp"], counts["udp"]


def our_connections(batch, path):
    """(tcp, udp) from our store, or raises RuntimeError naming what went wrong."""
    size_mb = os.path.getsize(path) / 1e6
    r = batch.call("pcap_ingest_file", {"path": path, "wait": 1}, 60 + 30 * size_mb)
    if r.crashed or r.timed_out:
        raise RuntimeError("ingest " + (r.crashed or "hang"))
    if not r.ok:
        raise RuntimeError(f"ingest refused: {r.message()[:200]}")
    cid = apcrun.capture_id_of(r.response)
    if cid is None:
        raise RuntimeError(f"ingest gave no capture id: {r.stdout.strip()[:200]}")
    tcp = udp = 0
    seen = set()
    last_id = 0
    while True:
        page = batch.call("capture_list_conns", {"capture_id": cid, "last_id": last_id}, 120)
        if page.crashed or page.timed_out or not page.ok:
            why = page.crashed or ("hang" if page.timed_out else page.message()[:200])
            raise RuntimeError(f"capture_list_conns last_id={last_id}: {why}")
        conns = page.response.get("ReturnValue")
        if not isinstance(conns, list):
            raise RuntimeError(f"capture_list_conns gave {type(conns).__name__}, not a list")
        if not conns:
            break
        ids = [c.get("ConnId") for c in conns]
        if any(not isinstance(i, int) for i in ids):
            raise RuntimeError("a CONNECTION without an integer ConnId")
        if min(ids) <= last_id or seen.intersection(ids):
            raise RuntimeError(f"paging does not advance: last_id={last_id}, page ids "
                               f"{min(ids)}..{max(ids)}")
        seen.update(ids)
        for c in conns:
            proto = c.get("Protocol")
            tcp += proto == 6
            udp += proto == 17
        last_id = max(ids)
    return tcp, udp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("apcctl")
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    corpus = apcrun.require(args.apcctl, ["tshark"])
    t0 = time.monotonic()
    files = []
    # Without the corpus (apcrun.require chose the build's own captures) every file counts.
    for folder in FOLDERS if os.path.isdir(os.path.join(corpus, FOLDERS[0])) else ("",):
        d = os.path.join(corpus, folder)
        if os.path.isdir(d):
            files += [os.path.join(folder, n) for n in sorted(os.listdir(d))
                      if not n.endswith((".txt", ".md", ".json")) and args.only in n]
    failures = 0
    matched = 0
    # tshark, the slow side, runs two files at a time ahead of us; we read every file through
    # one apcctl batch on one store.
    with tempfile.TemporaryDirectory(prefix="apc-conns-") as data_dir, \
            concurrent.futures.ThreadPoolExecutor(2) as pool:
        oracle = {rel: pool.submit(tshark_conversations, os.path.join(corpus, rel))
                  for rel in files}
        batch = apcrun.Batch(args.apcctl, data_dir)
        for rel in files:
            path = os.path.join(corpus, rel)
            try:
                got = our_connections(batch, path)
                want = oracle[rel].result()
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                print(f"FAIL {rel}: {e}")
                failures += 1
                continue
            bad = False
            for i, proto in enumerate(("tcp", "udp")):
                o, w = got[i], want[i]
                exp = EXPECTED_DIFFERENCES.get((rel, proto))
                if exp and (o, w) == exp[:2]:
                    print(f"expected difference {rel} {proto}: ours {o}, tshark {w}: {exp[2]}")
                elif exp:
                    print(f"FAIL {rel} {proto}: ours {o}, tshark {w}; the expected-differences "
                          f"table says ours {exp[0]}, tshark {exp[1]}")
                    bad = True
                elif o != w:
                    print(f"FAIL {rel} {proto}: ours {o}, tshark {w}")
                    bad = True
            failures += bad
            matched += not bad
        report = batch.close()
        if report:
            print(f"FAIL apcctl batch at exit: {report}")
            failures += 1

    print(f"{len(files)} files in {time.monotonic() - t0:.0f}s: {matched} match tshark "
          f"(or their documented difference), {failures} differ or failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

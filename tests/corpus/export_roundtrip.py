#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Export round trip on every corpus file we ingest, through the real apcctl.

usage: export_roundtrip.py APCCTL [--jobs N] [--only SUBSTRING]

For each capture file under $APC_CORPUS that ingest stores (refused files are skipped; files
stored with a defect are exported as stored):
  - capture_export (wait=1) must complete, with Packets equal to the capture's;
  - the export must read back through Wireshark's reader (wiretap, the library tshark reads
    files with) without a warning or error and with the same packet count: `capinfos -c`,
    which is that reader without the dissectors (tshark takes 0.5 s to start, capinfos 0.02 s:
    over ~900 files that was 7 of CI's minutes, and a dissector cannot make a readable file
    unreadable: tshark's exit status and warnings come from wiretap);
  - ingesting the export must give the same packets: time, lengths, bytes, interface,
    direction, link type, pid, tid, process name and attribution, one by one; and the same
    processes (pid, parent pid, name, path, command line);
  - for files with process comments (ptcpdump/), `tshark -T fields -e frame.comment` must read
    the export without a warning or error and show the same comments as on the original.
Prints one line per problem and a summary; exit status 1 on any problem. Python stdlib only.
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apcrun  # noqa: E402

PACKET_FIELDS = ("Time", "Length", "CapturedLength", "Interface", "Direction", "LinkType",
                 "Pid", "Tid", "ProcessName", "Attribution", "Data")
PROCESS_FIELDS = ("Pid", "ParentPid", "Name", "Path", "CommandLine")
# In the sanitizer build (scripts/test sets APC_SANITIZED=1) the oracle checks with tshark are
# left to the plain build, which runs the same files: there they check the files, here
# the sanitizers check our code, and tshark would only double the time.
SANITIZED = bool(os.environ.get("APC_SANITIZED"))
# The sanitizer build also round-trips one file in SANITIZED_EVERY of the sorted list (every
# ptcpdump/ file, whose process blocks take their own path through export and ingest): the
# plain build round-trips them all, corpus-ingest runs every file under the sanitizers, and
# the whole list under ASan took 200-420 s of CI's budget for no path the sample misses.
SANITIZED_EVERY = 3
# tshark's own notice when run as root: about the environment, not the file.
TSHARK_NOISE = ("Running as user",)
# capinfos' per-frame notice for a link type wiretap has no encapsulation for (DSA tags, Juniper,
# ...): tshark reads the same export with exit 0 and shows such frames as "UNKNOWN WTAP_ENCAP = 0".
CAPINFOS_NOISE = ("capinfos: Unknown packet encapsulation",)


def packets(batch, cid):
    r, lines = batch.run(["read", cid, "--all", "flags=1", "count=1000"], 600)
    if r.crashed or r.timed_out:
        raise RuntimeError(f"read {cid}: crashed or timed out: {r.crashed}")
    out = []
    for line in lines:
        r = json.loads(line)
        if r.get("ErrorCode") != 0:
            raise RuntimeError(f"read {cid}: {r.get('ReturnValue')}")
        out += [tuple(pk.get(f) for f in PACKET_FIELDS) for pk in r["ReturnValue"]["Packets"]]
    return out


def processes(batch, cid):
    r = batch.call("capture_get_processes", {"capture_id": cid, "count": 1000}, 120)
    if not r.ok:
        raise RuntimeError(f"processes {cid}: {r.message()}")
    return sorted(tuple(p.get(f) for f in PROCESS_FIELDS) for p in r.response["ReturnValue"])


def tshark_comments(path):
    p = subprocess.run(["tshark", "-r", path, "-T", "fields", "-e", "frame.comment"],
                       capture_output=True, text=True, errors="replace", timeout=300)
    err = "\n".join(l for l in p.stderr.splitlines()
                    if l.strip() and not l.startswith(TSHARK_NOISE))
    return p.returncode, p.stdout.splitlines(), err


def capinfos_count(path):
    """(exit status, packet count or None, warnings) of wiretap reading PATH."""
    p = subprocess.run(["capinfos", "-c", "-M", "-T", "-r", path], capture_output=True,
                       text=True, errors="replace", timeout=300)
    fields = p.stdout.strip().split("\t")
    count = int(fields[1]) if len(fields) == 2 and fields[1].isdigit() else None
    err = "\n".join(l for l in p.stderr.splitlines()
                    if l.strip() and not l.startswith(CAPINFOS_NOISE))
    return p.returncode, count, err


def check(apcctl, corpus, rel, workdir):
    """Returns (status, problems): status 'skipped' (not ingested) or 'ok'/'bad'."""
    data = tempfile.mkdtemp(dir=workdir)
    # One apcctl per file (apcctl batch): the store is opened once, not once per call.
    batch = apcrun.Batch(apcctl, data)
    try:
        status, problems = check_in(batch, corpus, rel)
    finally:
        leak = batch.close()
        shutil.rmtree(data, ignore_errors=True)
    if leak:
        return "bad", problems + [f"{rel}: apcctl at exit: {leak}"]
    return status, problems


def check_in(batch, corpus, rel):
    src = os.path.join(corpus, rel)
    r = batch.call("pcap_ingest_file", {"path": src, "wait": 1}, 300)
    if r.crashed or r.timed_out:
        return "bad", [f"{rel}: ingest crashed or timed out: {r.crashed}"]
    if not r.ok:
        return "skipped", []
    cid = apcrun.capture_id_of(r.response)
    d = batch.call("capture_get_details", {"capture_id": cid}, 60)
    want = d.response["ReturnValue"]["Packets"]
    e = batch.call("capture_export", {"capture_id": cid, "wait": 1}, 600)
    if not e.ok or e.response["ReturnValue"]["State"] != "completed":
        return "bad", [f"{rel}: export failed: {e.crashed or e.message() or e.response}"]
    cmd = e.response["ReturnValue"]
    problems = []
    if cmd["Packets"] != want:
        problems.append(f"{rel}: export wrote {cmd['Packets']} packets of {want}")
    path = cmd["Result"]
    if not SANITIZED:
        rc, count, err = capinfos_count(path)
        if rc != 0 or err:
            problems.append(f"{rel}: capinfos export: exit {rc}: {err[:300]}")
        elif count != want:
            problems.append(f"{rel}: capinfos counts {count} packets in the export, not {want}")
    if "ptcpdump" in rel and not SANITIZED:
        rc, comments, err = tshark_comments(path)
        if rc != 0 or err:
            problems.append(f"{rel}: tshark -r export: exit {rc}: {err[:300]}")
        orc, ocomments, _ = tshark_comments(src)
        if orc == 0 and ocomments[:want] != comments:
            problems.append(f"{rel}: comments differ from the original's "
                            f"(first: {ocomments[:1]} vs {comments[:1]})")
    r2 = batch.call("pcap_ingest_file", {"path": path, "wait": 1}, 300)
    if not r2.ok:
        return "bad", problems + [f"{rel}: ingest of the export failed: "
                                  f"{r2.crashed or r2.message()}"]
    cid2 = apcrun.capture_id_of(r2.response)
    d2 = batch.call("capture_get_details", {"capture_id": cid2}, 60)
    if d2.response["ReturnValue"]["State"] != "completed":
        problems.append(f"{rel}: export re-ingested {d2.response['ReturnValue']['State']}: "
                        f"{d2.response['ReturnValue']['Error']}")
    a, b = packets(batch, cid), packets(batch, cid2)
    if len(a) != len(b):
        problems.append(f"{rel}: {len(a)} packets, export has {len(b)}")
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            diff = [f"{f}: {u!r:.60} != {v!r:.60}"
                    for f, u, v in zip(PACKET_FIELDS, x, y) if u != v]
            problems.append(f"{rel}: packet {i + 1}: {'; '.join(diff)}")
            break
    pa, pb = processes(batch, cid), processes(batch, cid2)
    if pa != pb:
        problems.append(f"{rel}: processes differ: {pa[:2]} vs {pb[:2]}")
    return ("bad" if problems else "ok"), problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("apcctl")
    ap.add_argument("--jobs", type=int, default=min(8, os.cpu_count() or 2))
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    corpus = apcrun.require(args.apcctl, ["tshark", "capinfos"])
    files = []
    for root, _, names in os.walk(corpus):
        for n in sorted(names):
            if n.endswith((".txt", ".md", ".json")):
                continue
            rel = os.path.relpath(os.path.join(root, n), corpus)
            if args.only in rel:
                files.append(rel)
    files.sort()
    if SANITIZED:
        total = len(files)
        files = [f for i, f in enumerate(files) if i % SANITIZED_EVERY == 0 or "ptcpdump" in f]
        print(f"sanitizer build: {len(files)} of {total} files (one in {SANITIZED_EVERY}, and "
              f"every ptcpdump file); the plain build round-trips all {total}")
    counts = {"ok": 0, "bad": 0, "skipped": 0}
    lock = threading.Lock()
    with tempfile.TemporaryDirectory(prefix="apc-roundtrip-") as work:
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
            futs = {ex.submit(check, args.apcctl, corpus, f, work): f for f in files}
            for fu in concurrent.futures.as_completed(futs):
                try:
                    status, problems = fu.result()
                except Exception as e:  # a tool failed in a way we did not expect
                    status, problems = "bad", [f"{futs[fu]}: {e}"]
                with lock:
                    counts[status] += 1
                    for p in problems:
                        print("PROBLEM", p)
    print(f"{len(files)} files: {counts['ok']} round-tripped identically, {counts['bad']} with "
          f"problems, {counts['skipped']} not ingested (refused)")
    return 1 if counts["bad"] else 0


if __name__ == "__main__":
    sys.exit(main())

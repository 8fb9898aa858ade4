#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""File extraction end to end through the real apcctl, against tshark's Export Objects.

For each capture (the project's own generated captures, then the corpus's HTTP captures when
../shared/corpus is beside the project): ingest it, run extract_query (detection as a command,
wait=1), write every stream with extract_file_write, and check
  - the written file's bytes have the SHA-256 and size extract_query announced;
  - the multiset of SHA-256 of complete HTTP files equals that of the files
    `tshark --export-objects http,DIR` writes (same bytes, whatever the names);
  - on the generated ptcpdump capture, the file is attributed to curl, pid 4242, /usr/bin/curl;
  - extract_file_list, extract_file_delete and extract_file_clear keep the disk and the list in
    step; bad input (unknown capture or stream, a capture not yet examined) gives clear errors.
Usage: test_extract_http.py APCCTL GEN_CAPTURES_PY
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.environ.get("APC_CORPUS") or os.path.normpath(
    os.path.join(HERE, "..", "..", "..", "shared", "corpus"))
# Corpus captures whose HTTP objects we compare with tshark's, with the number of complete files
# we find that tshark does not export and why (each is checked another way below). Not listed:
# tcpdump's arcnet-*-http.pcap (link type ARCNET, which module decode does not read).
CORPUS_HTTP = {
    "zeek/http_bro.org.pcap": 0,         # a lost segment: parsing starts again after it
    "zeek/http_get-gzip.pcap": 0,        # gzip body, decoded
    "tcpdump/ipv4_tcp_http_xml.pcap": 0,  # one response, no SYN, no request
    "tcpdump/ipv4_tcp_http_xml_tso.pcap": 0,
    "zeek/http_multipart-form-data.pcap": 0,  # a POST body (the request's file)
    # The first 206 answer: tshark's reassembly gives up ("New fragment overlaps old data", 52
    # overlapping retransmissions) and exports nothing; ours is checked by the PE checksum of
    # the two ranges put together (pe_whole below).
    "zeek/http_206_example_b.pcap": 1,
}

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)


def apc(apcctl, data, action, **params):
    argv = [apcctl, "--data-dir", data, "--json", action] + [f"{k}={v}" for k, v in params.items()]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    try:
        return json.loads(p.stdout)
    except ValueError:
        raise SystemExit(f"{action}: no JSON (rc {p.returncode}): {p.stdout} {p.stderr}")


def ok(r, what):
    if r.get("ErrorCode") != 0:
        raise SystemExit(f"{what}: {r.get('ReturnValue')}")
    return r["ReturnValue"]


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def tshark_objects(pcap, tmp):
    out = os.path.join(tmp, "tshark-" + os.path.basename(pcap))
    os.makedirs(out)
    subprocess.run(["tshark", "-n", "-r", pcap, "--export-objects", "http," + out],
                   capture_output=True, check=True, timeout=600)
    return sorted(sha(os.path.join(out, n)) for n in os.listdir(out))


def streams_of(apcctl, data, cid):
    items, last = [], 0
    while True:
        v = ok(apc(apcctl, data, "extract_query", capture_id=cid, last_id=last, wait=1),
               "extract_query")
        check(v["State"] == "done", f"capture {cid}: state {v['State']} after wait=1")
        items += v["Streams"]
        last = v["LastId"]
        if not v["More"]:
            return items


def pe_whole(streams):
    """The 206 ranges of one file put together must make a PE file whose checksum (the
    optional header's CheckSum, over every byte) is right: then every byte is right."""
    import struct
    parts = sorted((s for s in streams if s["Name"].endswith(".exe") and s["Complete"]),
                   key=lambda s: s["Size"], reverse=True)
    b = b"".join(open(parts[i]["Path"], "rb").read() for i in (0, 1))
    pe = struct.unpack_from("<I", b, 0x3C)[0]
    check(b[pe:pe + 4] == b"PE\0\0", "206 ranges: not a PE file")
    at = pe + 24 + 64
    stored = struct.unpack_from("<I", b, at)[0]
    w = bytearray(b)
    w[at:at + 4] = bytes(4)
    if len(w) % 2:
        w += b"\0"
    total = 0
    for (x,) in struct.iter_unpack("<H", bytes(w)):
        total += x
        total = (total & 0xFFFF) + (total >> 16)
    total = (total & 0xFFFF) + (total >> 16) + len(b)
    check(total == stored, f"206 ranges put together: PE checksum {total:#x}, stored {stored:#x}")
    print(f"206 ranges: {len(b)} bytes, PE checksum {total:#x} right", flush=True)


def run_one(apcctl, data, tmp, pcap, expect_process=None, extra=0):
    name = os.path.basename(pcap)
    cid = ok(apc(apcctl, data, "pcap_ingest_file", path=pcap, wait=1), "ingest " + name)
    streams = streams_of(apcctl, data, cid)
    ours = []
    for s in streams:
        f = ok(apc(apcctl, data, "extract_file_write", capture_id=cid, stream_id=s["StreamId"]),
               f"{name}: write stream {s['StreamId']}")
        got = sha(f["Path"])
        check(got == s["Sha256"] and os.path.getsize(f["Path"]) == s["Size"],
              f"{name}: stream {s['StreamId']} written with SHA-256 {got}, announced {s['Sha256']}")
        check(os.path.dirname(f["Path"]) == os.path.join(data, "extracted", str(cid)),
              f"{name}: written outside extracted/{cid}: {f['Path']}")
        s["Path"] = f["Path"]
        if s["Protocol"] == "http" and s["Complete"]:
            ours.append(got)
        if expect_process:
            check((s["Pid"], s["ProcessName"], s["ProcessPath"]) == expect_process,
                  f"{name}: stream {s['StreamId']} owned by {s['Pid']} {s['ProcessName']} "
                  f"{s['ProcessPath']}, expected {expect_process}")
    theirs = tshark_objects(pcap, tmp)
    missing = list(theirs)
    for h in ours:
        if h in missing:
            missing.remove(h)
    check(not missing and len(ours) == len(theirs) + extra,
          f"{name}: {len(ours)} complete HTTP files, tshark exports {len(theirs)} (+{extra} "
          f"expected); tshark's not found by us: {missing}")
    print(f"{name}: {len(streams)} files found ({len(ours)} complete), tshark {len(theirs)}"
          f"{'' if missing else ', every one of its files found byte for byte'}", flush=True)
    if name == "http_206_example_b.pcap":
        pe_whole(streams)
    # the list and the disk stay in step
    files = ok(apc(apcctl, data, "extract_file_list", capture_id=cid), "extract_file_list")
    check(len(files) == len(streams), f"{name}: {len(files)} listed, {len(streams)} written")
    if files:
        n = ok(apc(apcctl, data, "extract_file_delete", capture_id=cid,
                   file_id=files[0]["FileId"]), "extract_file_delete")
        check(n == 1 and not os.path.exists(files[0]["Path"]), f"{name}: delete one gave {n}")
        n = ok(apc(apcctl, data, "extract_file_clear", capture_id=cid), "extract_file_clear")
        check(n == len(files) - 1, f"{name}: clear deleted {n} of {len(files) - 1}")
        left = os.listdir(os.path.join(data, "extracted", str(cid)))
        check(left == [], f"{name}: files left after clear: {left}")
    return cid


def bad_input(apcctl, data, cid):
    r = apc(apcctl, data, "extract_query", capture_id=999999)
    check(r["ErrorCode"] != 0 and "capture 999999 not found" in r["ReturnValue"],
          f"unknown capture: {r}")
    r = apc(apcctl, data, "extract_file_write", capture_id=cid, stream_id=999999)
    check(r["ErrorCode"] != 0 and "stream 999999" in r["ReturnValue"], f"unknown stream: {r}")
    r = apc(apcctl, data, "extract_file_delete", capture_id=cid, file_id=999999)
    check(r["ErrorCode"] != 0 and "not found" in r["ReturnValue"], f"unknown file: {r}")
    # a capture not examined yet cannot be written from, and says how to start
    other = ok(apc(apcctl, data, "pcap_ingest_file", path=os.path.join(data, "..", "caps",
                                                                        "many.pcap"), wait=1),
               "ingest many.pcap")
    r = apc(apcctl, data, "extract_file_write", capture_id=other, stream_id=1)
    check(r["ErrorCode"] != 0 and "extract_query" in r["ReturnValue"], f"not examined: {r}")
    # without wait, the first query answers at once with the command to follow
    r = ok(apc(apcctl, data, "extract_query", capture_id=other), "extract_query no wait")
    check(r["State"] in ("detecting", "done") and (r["State"] == "done" or r["CommandUid"]),
          f"query without wait: {r}")
    # the switch: on, an ingest that ends starts the examination itself (an "extraction"
    # command for the new capture, before any extract_query); off, it does not
    check(ok(apc(apcctl, data, "extract_enable"), "enable") == 0, "extract_enable")
    web = os.path.join(data, "..", "caps", "web.pcap")
    on = ok(apc(apcctl, data, "pcap_ingest_file", path=web, wait=1), "ingest with extraction on")
    cmds = ok(apc(apcctl, data, "command_list"), "command_list")
    check(any(c["Type"] == "extraction" and int(c["CaptureId"]) == on for c in cmds),
          f"extraction on: no extraction command for capture {on}: {cmds}")
    check(ok(apc(apcctl, data, "extract_disable"), "disable") == 0, "extract_disable")
    off = ok(apc(apcctl, data, "pcap_ingest_file", path=web, wait=1), "ingest with extraction off")
    cmds = ok(apc(apcctl, data, "command_list"), "command_list")
    check(not any(c["Type"] == "extraction" and int(c["CaptureId"]) == off for c in cmds),
          f"extraction off: capture {off} was examined anyway")


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    apcctl, gen = sys.argv[1:]
    if not shutil.which("tshark"):
        print("SKIP: tshark (the oracle) is not installed")
        return SKIP
    tmp = tempfile.mkdtemp(prefix="apc-extract-")
    try:
        data = os.path.join(tmp, "data")
        os.makedirs(data)
        caps = os.path.join(tmp, "caps")
        subprocess.run([sys.executable, gen, caps], check=True, capture_output=True)
        cid = run_one(apcctl, data, tmp, os.path.join(caps, "web.pcap"))
        run_one(apcctl, data, tmp, os.path.join(caps, "ptcpdump.pcapng"),
                expect_process=(4242, "curl", "/usr/bin/curl"))
        bad_input(apcctl, data, cid)
        if os.path.isdir(CORPUS):
            for rel, extra in CORPUS_HTTP.items():
                run_one(apcctl, data, tmp, os.path.join(CORPUS, rel), extra=extra)
        else:
            print(f"corpus part skipped: no corpus at {CORPUS} (set APC_CORPUS)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

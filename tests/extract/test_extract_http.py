#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""File extraction end to end through the real apcctl, against tshark's Export Objects (HTTP,
FTP-DATA and TFTP).

For each capture (the project's own generated captures, then the corpus's HTTP captures when
../shared/corpus is beside the project): ingest it, run extract_query (detection as a command,
wait=1), write every stream with extract_file_write, and check
  - the written file's bytes have the SHA-256 and size extract_query announced;
  - the multiset of SHA-256 of complete HTTP (FTP) files equals that of the files
    `tshark --export-objects http,DIR` (ftp-data) writes (same bytes, whatever the names);
  - on the generated FTP session: passive, extended passive, active and IPv6 EPRT transfers,
    downloads and an upload, named by their commands, the listing not a file, each file's
    bytes those the generator sent; the same for the generated TFTP transfers (an agreed block
    size, a retransmitted block, a write ended by an empty block, a refused read: no file);
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
    # Two 206 answers, which we join into one file (protocol http-ranges) and tshark exports
    # one by one; of the first its reassembly gives up ("New fragment overlaps old data", 52
    # overlapping retransmissions) and exports nothing. Ours is checked by the PE checksum of
    # the joined file, tshark's one piece must be a part of it (pe_whole below).
    "zeek/http_206_example_b.pcap": None,
}
# The corpus's FTP capture: one RETR whose data connection the capture cuts off (checked by
# ftp_cut below: tshark exports all of it but its last segment).
CORPUS_FTP = "ndpi/ftp.pcap"
CORPUS_TFTP = "tcpdump/tftp.pcap"  # one read of 3 blocks

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


def tshark_dir(pcap, tmp, proto="http"):
    out = tempfile.mkdtemp(prefix=f"tshark-{proto}-", dir=tmp)  # names repeat across folders
    subprocess.run(["tshark", "-n", "-r", pcap, "--export-objects", f"{proto},{out}"],
                   capture_output=True, check=True, timeout=600)
    return out


def tshark_objects(pcap, tmp, proto="http"):
    out = tshark_dir(pcap, tmp, proto)
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


def pe_whole(streams, tmp=None, pcap=None):
    """The 206 ranges of one file joined must make a PE file whose checksum (the optional
    header's CheckSum, over every byte) is right: then every byte is right. Each piece tshark
    exports must be a part of it."""
    import struct
    parts = [s for s in streams if s["Name"].endswith(".exe") and s["Complete"] and
             s["Protocol"] == "http-ranges"]
    check(len(parts) == 1, f"206 ranges: {len(parts)} joined files, expected 1")
    if not parts:
        return
    b = open(parts[0]["Path"], "rb").read()
    out = tshark_dir(pcap, tmp)
    for n in os.listdir(out):
        check(open(os.path.join(out, n), "rb").read() in b, f"206 ranges: tshark's {n} not in ours")
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


def gen_module():
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "gen_captures", os.path.join(HERE, "..", "captures", "gen_captures.py"))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


def ranges_generated(streams, tmp, pcap):
    """The generator's 206 ranges (gen_captures.RANGES): each file is ONE stream joined from its
    ranges, whatever their order and connection: /big.bin complete, the original bytes;
    /holes.bin partial, the missing bytes named, zeros in the hole. tshark exports each 206
    answer as a file of its own (5 here): each must be the slice of our file at its range."""
    gen = gen_module()
    by = {s["Name"]: s for s in streams}
    check(sorted(by) == sorted(gen.RANGES) and len(streams) == len(gen.RANGES),
          f"ranges: streams {[s['Name'] for s in streams]}")
    for path, (total, _, conns) in gen.RANGES.items():
        s = by.get(path)
        if not s:
            continue
        want = bytearray(gen.ranges_body(total))
        got = open(s["Path"], "rb").read()
        have = sorted(r for c in conns for r in c)
        holes, pos = [], 0
        for a, b in have:
            if a > pos:
                holes.append((pos, a - 1))
                want[pos:a] = bytes(a - pos)
            pos = b + 1
        check(s["Protocol"] == "http-ranges", f"{path}: protocol {s['Protocol']}")
        check(got == bytes(want) and s["Size"] == total,
              f"{path}: {len(got)} bytes joined, not the generator's {total}")
        if holes:
            n = sum(b - a + 1 for a, b in have)
            why = f"{n} of the {total} bytes received, missing " + " ".join(
                f"{a}-{b}" for a, b in holes)
            check(not s["Complete"] and s["Reason"] == why,
                  f"{path}: complete {s['Complete']}, reason {s['Reason']!r}, expected {why!r}")
        else:
            check(s["Complete"] and hashlib.sha256(got).hexdigest() ==
                  hashlib.sha256(gen.ranges_body(total)).hexdigest(),
                  f"{path}: not complete or not the original bytes ({s['Reason']})")
        print(f"{path}: {len(have)} ranges joined into {len(got)} bytes, "
              f"{'complete' if s['Complete'] else 'partial: ' + s['Reason']}", flush=True)
    out = tshark_dir(pcap, tmp)
    pieces = [open(os.path.join(out, n), "rb").read() for n in sorted(os.listdir(out))]
    joined = {s["Name"]: open(s["Path"], "rb").read() for s in streams}
    check(len(pieces) == sum(len(c) for _, _, cs in gen.RANGES.values() for c in cs),
          f"ranges: tshark exported {len(pieces)} pieces")
    for p in pieces:
        check(any(p in j for j in joined.values()), "ranges: a tshark piece is not in our files")


def ftp_generated(streams, tmp, pcap):
    """The generator's FTP session: what each transfer carried (gen_captures.gen_ftp)."""
    want = {
        ("pub/report.bin", "in"): bytes((i * 13 + 5) % 256 for i in range(5000)),
        ("incoming/upload.txt", "out"): b"uploaded by gen_captures.py\n" * 300,
        ("active.bin", "out"): bytes((i * 31 + 7) % 256 for i in range(3000)),
        ("six.bin", "out"): bytes((i * 3) % 256 for i in range(2000)),
    }
    got = {(s["Name"], s["Direction"]): s for s in streams}
    check(set(got) == set(want), f"ftp.pcap: files {sorted(got)}, expected {sorted(want)} "
          "(the LIST's listing is no file)")
    for key, body in want.items():
        s = got.get(key)
        if not s:
            continue
        check(s["Protocol"] == "ftp-data" and s["Complete"] == 1 and s["Reason"] == "",
              f"ftp.pcap: {key}: {s['Protocol']} complete={s['Complete']} {s['Reason']!r}")
        check(open(s["Path"], "rb").read() == body, f"ftp.pcap: {key}: bytes differ from sent")
    print(f"ftp.pcap: {len(got)} transfers named and byte-exact", flush=True)


def tftp_generated(streams, tmp, pcap):
    """The generator's TFTP transfers (gen_captures.gen_tftp)."""
    want = {
        ("boot/kernel.img", "out"): bytes((i * 17 + 3) % 256 for i in range(3000)),
        ("logs/upload.log", "in"): b"line of the uploaded log...\n" * 54 + b"end\n" * 6,
    }
    got = {(s["Name"], s["Direction"]): s for s in streams}
    check(set(got) == set(want), f"tftp.pcap: files {sorted(got)}, expected {sorted(want)} "
          "(the refused read is no file)")
    for key, body in want.items():
        s = got.get(key)
        if s:
            check(s["Protocol"] == "tftp" and s["Complete"] == 1,
                  f"tftp.pcap: {key}: {s['Protocol']} complete={s['Complete']} {s['Reason']!r}")
            check(open(s["Path"], "rb").read() == body, f"tftp.pcap: {key}: bytes differ")
    print(f"tftp.pcap: {len(got)} transfers named and byte-exact", flush=True)


def form_generated(streams, tmp, pcap):
    """The generator's form uploads (gen_captures.gen_form): each POST body is one http file (as
    tshark exports it), and each part with a filename a mime file of its own, named as sent,
    byte-exact; the text field is no file; the part the capture cuts short is partial, with the
    body's reason, and holds the start of what was sent."""
    g = gen_module()
    parts = [s for s in streams if s["Protocol"] == "mime"]
    whole = {s["Name"]: s for s in parts if s["Complete"]}
    check(sorted(whole) == sorted(g.FORM_FILES),
          f"form.pcap: complete parts {sorted(whole)}, expected {sorted(g.FORM_FILES)}")
    for name, (data, ctype) in g.FORM_FILES.items():
        s = whole.get(name)
        if s:
            check(open(s["Path"], "rb").read() == data and s["Direction"] == "out",
                  f"form.pcap: part {name}: {s['Size']} bytes, {s['Direction']}, sent "
                  f"{len(data)} (bytes differ or wrong direction)")
    cut = [s for s in parts if not s["Complete"]]
    ok_cut = len(cut) == 1 and cut[0]["Name"] == g.FORM_CUT[0] and cut[0]["Reason"]
    if ok_cut:
        got = open(cut[0]["Path"], "rb").read()
        ok_cut = 0 < len(got) < len(g.FORM_CUT[1]) and g.FORM_CUT[1].startswith(got)
    check(ok_cut, f"form.pcap: the cut part: {[(s['Name'], s['Size'], s['Reason']) for s in cut]}")
    print(f"form.pcap: {len(whole)} uploaded files byte-exact beside their bodies, "
          f"{len(cut)} cut short", flush=True)


def ftp_cut(streams, tmp, pcap):
    """ndpi/ftp.pcap: the data connection of RETR 1MB.zip (announced 1048576 bytes) is cut by
    the end of the capture. Ours: partial, every payload byte the capture holds on it (tshark's
    own count), tshark's export a prefix of it."""
    check(len(streams) == 1, f"ftp.pcap (corpus): {len(streams)} files, expected 1")
    if len(streams) != 1:
        return
    s = streams[0]
    ours = open(s["Path"], "rb").read()
    out = tshark_dir(pcap, tmp, "ftp-data")
    theirs = open(os.path.join(out, os.listdir(out)[0]), "rb").read()
    # its data connection: "227 Entering Passive Mode (90,130,70,73,95,203)", port 24523 (tshark
    # does not mark the last segment ftp-data, which is why its export stops before it)
    p = subprocess.run(["tshark", "-n", "-r", pcap, "-Y", "tcp.port == 24523", "-T", "fields",
                        "-e", "tcp.len"], capture_output=True, text=True, check=True, timeout=600)
    total = sum(int(x) for x in p.stdout.split())
    check(s["Name"] == "1MB.zip" and not s["Complete"] and len(ours) == total and
          ours.startswith(theirs) and "capture ended" in s["Reason"],
          f"ftp.pcap (corpus): {s['Name']} {len(ours)} bytes (capture holds {total}, tshark "
          f"exports {len(theirs)}, a prefix: {ours.startswith(theirs)}), {s['Reason']!r}")
    print(f"ftp.pcap (corpus): {len(ours)} of the {total} bytes the capture holds, partial; "
          f"tshark's {len(theirs)} a prefix", flush=True)


def run_one(apcctl, data, tmp, pcap, expect_process=None, extra=0, proto="http", post=None):
    """post(streams, tmp, pcap), when given, checks more while the written files exist;
    extra=None: no comparison of complete files with tshark's (post compares)."""
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
        if s["Protocol"] == proto and s["Complete"]:
            ours.append(got)
        if expect_process:
            check((s["Pid"], s["ProcessName"], s["ProcessPath"]) == expect_process,
                  f"{name}: stream {s['StreamId']} owned by {s['Pid']} {s['ProcessName']} "
                  f"{s['ProcessPath']}, expected {expect_process}")
    theirs = tshark_objects(pcap, tmp, proto) if extra is not None else []
    missing = list(theirs)
    for h in ours:
        if h in missing:
            missing.remove(h)
    check(extra is None or (not missing and len(ours) == len(theirs) + extra),
          f"{name}: {len(ours)} complete {proto} files, tshark exports {len(theirs)} (+{extra} "
          f"expected); tshark's not found by us: {missing}")
    print(f"{name}: {len(streams)} files found ({len(ours)} complete), tshark {len(theirs)}"
          f"{'' if missing else ', every one of its files found byte for byte'}", flush=True)
    if post:
        post(streams, tmp, pcap)
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


def harness(argv, prefix, body):
    """The frame of an extraction test: arguments, tshark, a temporary data directory and the
    generated captures; body(apcctl, gen, data, tmp, caps) runs the checks. The exit code."""
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    apcctl, gen = argv[1:]
    if not shutil.which("tshark"):
        print("SKIP: tshark (the oracle) is not installed")
        return SKIP
    tmp = tempfile.mkdtemp(prefix=prefix)
    try:
        data = os.path.join(tmp, "data")
        os.makedirs(data)
        caps = os.path.join(tmp, "caps")
        subprocess.run([sys.executable, gen, caps], check=True, capture_output=True)
        body(apcctl, gen, data, tmp, caps)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


def checks(apcctl, gen, data, tmp, caps):
    cid = run_one(apcctl, data, tmp, os.path.join(caps, "web.pcap"))
    run_one(apcctl, data, tmp, os.path.join(caps, "ptcpdump.pcapng"),
            expect_process=(4242, "curl", "/usr/bin/curl"))
    run_one(apcctl, data, tmp, os.path.join(caps, "ftp.pcap"), extra=1, proto="ftp-data",
            post=ftp_generated)  # +1: the IPv6 EPRT transfer, which tshark does not export
    run_one(apcctl, data, tmp, os.path.join(caps, "tftp.pcap"), proto="tftp",
            post=tftp_generated)
    run_one(apcctl, data, tmp, os.path.join(caps, "ranges.pcap"), extra=None,
            post=ranges_generated)
    run_one(apcctl, data, tmp, os.path.join(caps, "form.pcap"), post=form_generated)
    bad_input(apcctl, data, cid)
    if os.path.isdir(CORPUS):
        for rel, extra in CORPUS_HTTP.items():
            run_one(apcctl, data, tmp, os.path.join(CORPUS, rel), extra=extra,
                    post=pe_whole if "206" in rel else None)
        run_one(apcctl, data, tmp, os.path.join(CORPUS, CORPUS_FTP), extra=None,
                proto="ftp-data", post=ftp_cut)
        run_one(apcctl, data, tmp, os.path.join(CORPUS, CORPUS_TFTP), proto="tftp")
    else:
        print(f"corpus part skipped: no corpus at {CORPUS} (set APC_CORPUS)")


def main():
    return harness(sys.argv, "apc-extract-", checks)

if __name__ == "__main__":
    sys.exit(main())

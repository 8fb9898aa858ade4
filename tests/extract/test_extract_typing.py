#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Lazy typing and hashing of the files found (issue 10, extract/typing.h) end to end through
apcctl.

The examination stores each file untyped and unhashed (MIME type, SHA-256 and MD5 "", except
"application/x-empty" and the digests of nothing for an empty file); a file is typed and hashed
when a listing returns it, when it is written, or when a search uses file.mime or file.sha256.
In apc.db a file is untyped exactly when it is unhashed, at every step below. On the generated web, FTP, TFTP and 206-ranges captures (FTP data, TFTP and
ranges follow other flows: their typing replays every connection) and two of the corpus's web
captures (files of several types; skipped without the corpus), in fresh data directories:
  - listed: extract_query count=1 types exactly the file it returns (apc.db shows the others
    still untyped); listing every page shows a type for every file, and each type is what
    `file --mime-type` (the same libmagic) says of the first 4096 bytes of the written file,
    and each SHA-256 and MD5 is that of the written file (hashlib);
  - searched: in another data directory, where only stream 1 was ever listed, `file.sha256 ==
    H` for the digest H of the last file finds exactly the packets of the files with that
    digest, and afterwards apc.db holds every digest, equal to the listed ones; then
    `file.mime == T` for every type T of the listing finds exactly the packets of the files of
    type T, and afterwards apc.db holds every type, equal to the listed ones;
  - written: in a third capture of the same file, writing the last stream (never listed)
    answers and stores its type and digests, leaving the others untyped and unhashed;
  - paged on: a second page (last_id > 0, count=1) types the files after it too (up to 1000
    in all, extract/api.c), so a listing in small pages replays once per thousand files.
Usage: test_extract_typing.py APCCTL GEN_CAPTURES_PY
"""
import hashlib
import os
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_extract_http as x  # noqa: E402  (its harness, apc() and checks)
import test_extract_search as xs  # noqa: E402  (search(), packets_of())

HEAD_MAX = 4096  # the bytes libmagic is shown (extract/engine.h)


def rows(data, cid):
    """stream id -> (mime, size, sha256, md5) as apc.db holds them."""
    db = sqlite3.connect(f"file:{os.path.join(data, 'apc.db')}?mode=ro", uri=True)
    try:
        return {r[0]: r[1:] for r in db.execute(
            "SELECT id, mime, size, sha256, md5 FROM extract_streams WHERE capture_id=?", (cid,))}
    finally:
        db.close()


def untyped(data, cid):
    """The untyped files, after checking that they are exactly the unhashed ones."""
    db = rows(data, cid)
    for i, (m, size, sha, md5) in db.items():
        looked = (len(sha) == 64 and len(md5) == 32)
        x.check((m != "") == looked and (sha == "") == (md5 == "") and (sha == "") != looked,
                f"stream {i} of capture {cid}: type {m!r}, SHA-256 {sha!r}, MD5 {md5!r}: typed "
                f"and hashed must go together")
    return sorted(i for i, (m, *_) in db.items() if m == "")


def digests(path):
    with open(path, "rb") as f:
        b = f.read()
    return hashlib.sha256(b).hexdigest(), hashlib.md5(b).hexdigest()


def first_page(apcctl, data, cid, name):
    """Examines the capture and lists its first file only: that file alone is typed."""
    v = x.ok(x.apc(apcctl, data, "extract_query", capture_id=cid, count=1, wait=1),
             f"{name}: extract_query count=1")
    x.check(v["State"] == "done" and len(v["Streams"]) == 1, f"{name}: first page {v}")
    s = v["Streams"][0]
    x.check(s["MimeType"] != "", f"{name}: listed stream {s['StreamId']} shows no type")
    x.check(len(s["Sha256"]) == 64 and len(s["Md5"]) == 32,
            f"{name}: listed stream {s['StreamId']} shows no digests: {s}")
    db = rows(data, cid)
    want = sorted(i for i, (_, size, *_) in db.items() if i != s["StreamId"] and size > 0)
    x.check(untyped(data, cid) == want,
            f"{name}: after listing stream {s['StreamId']}, untyped {untyped(data, cid)}, "
            f"expected {want} (lazy typing)")
    return s


def magic_of_head(path, tmp):
    with open(path, "rb") as f:
        head = f.read(HEAD_MAX)
    p = os.path.join(tmp, "head.bin")
    with open(p, "wb") as f:
        f.write(head)
    return subprocess.run(["file", "--mime-type", "-b", p], capture_output=True, text=True,
                          check=True).stdout.strip()


def listed(apcctl, data, tmp, pcap):
    """Types shown by the listings, checked against `file`; stream id -> stream."""
    name = os.path.basename(pcap)
    cid = x.ok(x.apc(apcctl, data, "pcap_ingest_file", path=pcap, wait=1), "ingest " + name)
    first_page(apcctl, data, cid, name)
    streams = x.streams_of(apcctl, data, cid)
    x.check(len(streams) > 0, f"{name}: {len(streams)} files")
    for s in streams:
        x.check(s["MimeType"] != "", f"{name}: listed stream {s['StreamId']} shows no type")
    x.check(untyped(data, cid) == [], f"{name}: untyped after listing all: {untyped(data, cid)}")
    for s in streams:
        f = x.ok(x.apc(apcctl, data, "extract_file_write", capture_id=cid,
                       stream_id=s["StreamId"]), f"{name}: write {s['StreamId']}")
        x.check(f["MimeType"] == s["MimeType"],
                f"{name}: stream {s['StreamId']} written as {f['MimeType']}, listed "
                f"{s['MimeType']}")
        want = magic_of_head(f["Path"], tmp)
        x.check(s["MimeType"] == want, f"{name}: stream {s['StreamId']} typed {s['MimeType']}, "
                f"`file` says {want}")
        sha, md5 = digests(f["Path"])
        x.check(s["Sha256"] == sha and s["Md5"] == md5 and f["Sha256"] == sha,
                f"{name}: stream {s['StreamId']} listed SHA-256 {s['Sha256']} MD5 {s['Md5']}, "
                f"written {f['Sha256']}; the written file's are {sha} {md5}")
    print(f"{name}: {len(streams)} files, every one typed when listed: "
          f"{sorted(set(s['MimeType'] for s in streams))}", flush=True)
    return {s["StreamId"]: s for s in streams}


def searched(apcctl, data, pcap, ref):
    name = os.path.basename(pcap)
    cid = x.ok(x.apc(apcctl, data, "pcap_ingest_file", path=pcap, wait=1), "ingest " + name)
    first_page(apcctl, data, cid, name)
    src, cache = xs.sources(pcap), {}
    h = ref[max(ref)]["Sha256"]
    want = xs.union(apcctl, data, cid, ref.values(), src, cache, lambda s: s["Sha256"] == h)
    xs.expect(apcctl, data, cid, f'file.sha256 == "{h}"', want, f"{name}: never hashed")
    got = {i: (sha, md5) for i, (_, _, sha, md5) in rows(data, cid).items()}
    x.check(got == {i: (s["Sha256"], s["Md5"]) for i, s in ref.items()} and
            untyped(data, cid) == [],
            f"{name}: digests stored by the search {got} differ from the listing's")
    for t in sorted(set(s["MimeType"] for s in ref.values())):
        want = xs.union(apcctl, data, cid, ref.values(), src, cache,
                        lambda s, t=t: s["MimeType"] == t)
        xs.expect(apcctl, data, cid, f'file.mime == "{t}"', want, f"{name}: never listed")
    got = {i: m for i, (m, *_) in rows(data, cid).items()}
    x.check(got == {i: s["MimeType"] for i, s in ref.items()},
            f"{name}: types stored by the search {got} differ from the listing's")


def written(apcctl, data, pcap, ref):
    name = os.path.basename(pcap)
    cid = x.ok(x.apc(apcctl, data, "pcap_ingest_file", path=pcap, wait=1), "ingest " + name)
    first = first_page(apcctl, data, cid, name)
    last = max(ref)
    if last == first["StreamId"]:
        return
    f = x.ok(x.apc(apcctl, data, "extract_file_write", capture_id=cid, stream_id=last),
             f"{name}: write {last}")
    x.check(f["MimeType"] == ref[last]["MimeType"],
            f"{name}: never-listed stream {last} written as {f['MimeType']!r}, listed "
            f"{ref[last]['MimeType']}")
    db = rows(data, cid)
    want = sorted(i for i, (_, size, *_) in db.items()
                  if i not in (first["StreamId"], last) and size > 0)
    x.check(db[last][0] == ref[last]["MimeType"] and untyped(data, cid) == want,
            f"{name}: after writing {last}: stored {db[last][0]!r}, untyped "
            f"{untyped(data, cid)}, expected {want}")
    sha, md5 = digests(f["Path"])
    x.check(db[last][2:] == (sha, md5) == (ref[last]["Sha256"], ref[last]["Md5"]) and
            f["Sha256"] == sha,
            f"{name}: after writing {last}: stored digests {db[last][2:]}, written "
            f"{f['Sha256']}, the file's {sha} {md5}, listed elsewhere {ref[last]['Sha256']}")
    print(f"{name}: stream {last} typed by its write, {len(want)} left untyped", flush=True)


def paged(apcctl, data, pcap, ref):
    name = os.path.basename(pcap)
    cid = x.ok(x.apc(apcctl, data, "pcap_ingest_file", path=pcap, wait=1), "ingest " + name)
    first = first_page(apcctl, data, cid, name)
    if len(ref) > 1000 or len(ref) < 3:
        return
    v = x.ok(x.apc(apcctl, data, "extract_query", capture_id=cid, count=1,
                   last_id=first["StreamId"]), f"{name}: second page")
    x.check(len(v["Streams"]) == 1, f"{name}: second page {v}")
    got = {i: (m, sha) for i, (m, _, sha, _) in rows(data, cid).items()}
    x.check(got == {i: (s["MimeType"], s["Sha256"]) for i, s in ref.items()},
            f"{name}: after the second page of one, stored types {got} differ from the "
            f"listing's (the page types the files after it)")
    print(f"{name}: a second page of one typed all {len(ref)} files", flush=True)


# Corpus captures with files of several types (a web site's page, images, scripts).
CORPUS = ["zeek/http_bro.org.pcap", "zeek/http_get-gzip.pcap"]


def checks(apcctl, gen, data, tmp, caps):
    pcaps = [os.path.join(caps, c) for c in ["web.pcap", "ftp.pcap", "tftp.pcap", "ranges.pcap"]]
    if os.path.isdir(x.CORPUS):
        pcaps += [os.path.join(x.CORPUS, c) for c in CORPUS]
    else:
        print(f"corpus part skipped: no corpus at {x.CORPUS} (set APC_CORPUS)")
    for i, pcap in enumerate(pcaps):
        dirs = [os.path.join(tmp, f"data-{i}-{k}") for k in range(3)]
        for d in dirs:
            os.makedirs(d)
        ref = listed(apcctl, dirs[0], tmp, pcap)
        searched(apcctl, dirs[1], pcap, ref)
        written(apcctl, dirs[1], pcap, ref)
        paged(apcctl, dirs[2], pcap, ref)


def main():
    return x.harness(sys.argv, "apc-extract-typing-", checks)


if __name__ == "__main__":
    sys.exit(main())

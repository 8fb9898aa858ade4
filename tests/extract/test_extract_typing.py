#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Lazy typing of the files found (issue 10, extract/typing.h) end to end through apcctl.

The examination stores each file untyped (MIME type "", except "application/x-empty" for an
empty file); a file is typed when a listing returns it, when it is written, or when a search
uses file.mime. On the generated web, FTP, TFTP and 206-ranges captures (FTP data, TFTP and
ranges follow other flows: their typing replays every connection) and two of the corpus's web
captures (files of several types; skipped without the corpus), in fresh data directories:
  - listed: extract_query count=1 types exactly the file it returns (apc.db shows the others
    still untyped); listing every page shows a type for every file, and each type is what
    `file --mime-type` (the same libmagic) says of the first 4096 bytes of the written file;
  - searched: in another data directory, where only stream 1 was ever listed, `file.mime ==
    T` for every type T of the listing finds exactly the packets of the files of type T, and
    afterwards apc.db holds every type, equal to the listed ones;
  - written: in a third capture of the same file, writing the last stream (never listed)
    answers and stores its type, leaving the others untyped;
  - paged on: a second page (last_id > 0, count=1) types the files after it too (up to 1000
    in all, extract/api.c), so a listing in small pages replays once per thousand files.
Usage: test_extract_typing.py APCCTL GEN_CAPTURES_PY
"""
import os
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_extract_http as x  # noqa: E402  (its harness, apc() and checks)
import test_extract_search as xs  # noqa: E402  (search(), packets_of())

HEAD_MAX = 4096  # the bytes libmagic is shown (extract/engine.h)


def rows(data, cid):
    """stream id -> (mime, size) as apc.db holds them."""
    db = sqlite3.connect(f"file:{os.path.join(data, 'apc.db')}?mode=ro", uri=True)
    try:
        return {i: (m, s) for i, m, s in db.execute(
            "SELECT id, mime, size FROM extract_streams WHERE capture_id=?", (cid,))}
    finally:
        db.close()


def untyped(data, cid):
    return sorted(i for i, (m, _) in rows(data, cid).items() if m == "")


def first_page(apcctl, data, cid, name):
    """Examines the capture and lists its first file only: that file alone is typed."""
    v = x.ok(x.apc(apcctl, data, "extract_query", capture_id=cid, count=1, wait=1),
             f"{name}: extract_query count=1")
    x.check(v["State"] == "done" and len(v["Streams"]) == 1, f"{name}: first page {v}")
    s = v["Streams"][0]
    x.check(s["MimeType"] != "", f"{name}: listed stream {s['StreamId']} shows no type")
    db = rows(data, cid)
    want = sorted(i for i, (_, size) in db.items() if i != s["StreamId"] and size > 0)
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
    print(f"{name}: {len(streams)} files, every one typed when listed: "
          f"{sorted(set(s['MimeType'] for s in streams))}", flush=True)
    return {s["StreamId"]: s for s in streams}


def searched(apcctl, data, pcap, ref):
    name = os.path.basename(pcap)
    cid = x.ok(x.apc(apcctl, data, "pcap_ingest_file", path=pcap, wait=1), "ingest " + name)
    first_page(apcctl, data, cid, name)
    src, cache = xs.sources(pcap), {}
    for t in sorted(set(s["MimeType"] for s in ref.values())):
        want = xs.union(apcctl, data, cid, ref.values(), src, cache,
                        lambda s, t=t: s["MimeType"] == t)
        xs.expect(apcctl, data, cid, f'file.mime == "{t}"', want, f"{name}: never listed")
    got = {i: m for i, (m, _) in rows(data, cid).items()}
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
    want = sorted(i for i, (_, size) in db.items()
                  if i not in (first["StreamId"], last) and size > 0)
    x.check(db[last][0] == ref[last]["MimeType"] and untyped(data, cid) == want,
            f"{name}: after writing {last}: stored {db[last][0]!r}, untyped "
            f"{untyped(data, cid)}, expected {want}")
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
    got = {i: m for i, (m, _) in rows(data, cid).items()}
    x.check(got == {i: s["MimeType"] for i, s in ref.items()},
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

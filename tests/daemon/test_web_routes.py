#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The routes the web UI needs (docs/apcd.md "Downloads", "Uploads"): downloads with a header
token or a link token, ranges and safe names; uploads on a connection that served a request
before, with the token after the file; jQuery's `name[]` lists.

usage: test_web_routes.py APCD APCCTL CASE
"""
import http.client
import json
import os
import socket
import struct
import subprocess
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_daemon as td  # noqa: E402  (reads the same argv: APCD APCCTL CASE)

check = td.check
OK, NO_TOKEN, MALFORMED, NOT_FOUND = 0, 2, 4, 100


def make_pcap(path, packets, payload=1000):
    """A valid pcap of UDP/IPv4 Ethernet frames, `packets` of them."""
    frame = (bytes.fromhex("0200000000010200000000020800")
             + struct.pack(">BBHHHBBH4s4s", 0x45, 0, 28 + payload, 1, 0, 64, 17, 0,
                           bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
             + struct.pack(">HHHH", 4000, 5000, 8 + payload, 0) + bytes(payload))
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(packets):
            f.write(struct.pack("<IIII", 1700000000 + i // 1000, (i % 1000) * 1000, len(frame),
                                len(frame)) + frame)
    return os.path.getsize(path)


def get(d, path, headers=None, method="GET", body=None):
    return d.request(method, path, body or b"", headers)


def capinfos_count(path):
    r = subprocess.run(["capinfos", "-M", "-c", path], capture_output=True, text=True, timeout=60)
    for line in r.stdout.splitlines():
        if "Number of packets" in line:
            return int(line.split(":")[1].strip())
    return -1


def case_download(d):
    tok = d.login()
    pcap = os.path.join(d.dir, "small.pcap")
    make_pcap(pcap, 300)
    st, r = d.call("pcap_ingest_file", token=tok, path=pcap, wait=1)
    check(r["ErrorCode"] == OK, "ingest: %r" % r)
    cid = r["ReturnValue"]
    # An export with a name that needs care in Content-Disposition.
    odd = 'we "ird" \u00fc.pcapng'
    st, r = d.call("capture_export", token=tok, capture_id=cid, wait=1)  # makes exports/
    check(r["ErrorCode"] == OK, "export: %r" % r)
    st, r = d.call("capture_export", token=tok, capture_id=cid, wait=1,
                   path=os.path.join(d.data, "exports", odd))
    check(r["ErrorCode"] == OK and r["ReturnValue"]["State"] == "completed", "export: %r" % r)
    hdr = {"X-Apc-Token": tok}
    q = "/download?kind=export&name=" + urllib_quote(odd)
    st, data, resp = get(d, q, hdr)
    check(st == 200, "export download with the header: %d %r" % (st, data[:200]))
    cd = resp.getheader("Content-Disposition") or ""
    check(cd.startswith('attachment; filename="we__ird____.pcapng"') and
          "filename*=UTF-8''we%20%22ird%22%20%C3%BC.pcapng" in cd, "safe disposition: %r" % cd)
    out = os.path.join(d.dir, "got.pcapng")
    with open(out, "wb") as f:
        f.write(data)
    check(capinfos_count(out) == 300, "capinfos reads the download: %d" % capinfos_count(out))
    size = len(data)
    # Ranges: a middle slice, a suffix, an unsatisfiable one.
    st, part, resp = get(d, q, dict(hdr, Range="bytes=100-199"))
    check(st == 206 and part == data[100:200] and
          resp.getheader("Content-Range") == "bytes 100-199/%d" % size, "range 100-199: %d" % st)
    st, part, _ = get(d, q, dict(hdr, Range="bytes=-50"))
    check(st == 206 and part == data[-50:], "suffix range: %d" % st)
    st, part, resp = get(d, q, dict(hdr, Range="bytes=%d-" % (size + 10)))
    check(st == 416 and resp.getheader("Content-Range") == "bytes */%d" % size, "416: %d" % st)
    st, part, resp = get(d, q, hdr, method="HEAD")
    check(st == 200 and resp.getheader("Content-Length") == str(size), "HEAD: %d" % st)
    # Refusals: no token, a token in the URL, an unknown name, a path, a bad kind.
    st, body, _ = get(d, q)
    check(st == 403 and json.loads(body)["ErrorCode"] == NO_TOKEN, "no token: %d %r" % (st, body))
    st, body, _ = get(d, q + "&token=" + tok)
    check(st == 403 and b"URL" in body, "token in the URL refused: %d %r" % (st, body))
    for bad in ("/download?kind=export&name=nope.pcapng", "/download?kind=export&name=../x"):
        st, body, _ = get(d, bad, hdr)
        check(st == 404 and json.loads(body)["ErrorCode"] == NOT_FOUND, "%s: %d" % (bad, st))
    st, body, _ = get(d, "/download?kind=bogus", hdr)
    check(st == 400 and json.loads(body)["ErrorCode"] == MALFORMED, "bad kind: %d" % st)
    st, body, _ = get(d, q, {"X-Apc-Token": tok, "Origin": "http://evil.example"})
    check(st == 403, "foreign Origin refused: %d" % st)
    # A link token: made by POST, used without a header, dead after logout.
    st, body, _ = get(d, "/download", dict(hdr, **{"Content-Type":
                                                   "application/x-www-form-urlencoded"}),
                      method="POST", body="kind=capture&capture_id=%d" % cid)
    r = json.loads(body)
    check(r["ErrorCode"] == OK and r["ReturnValue"].startswith("download?link="), "link: %r" % r)
    link = "/" + r["ReturnValue"]
    st, data2, resp = get(d, link)
    check(st == 200 and resp.getheader("Content-Disposition", "").startswith(
        'attachment; filename="capture-%d.pcapng"' % cid), "capture by link: %d" % st)
    with open(out, "wb") as f:
        f.write(data2)
    check(capinfos_count(out) == 300, "the capture's pcapng has every packet")
    st, r = d.call("export_list", token=tok)
    check(len(r["ReturnValue"]) == 2, "the capture download left no export behind: %r" % r)
    st, r = d.call("command_list", token=tok)
    check(len(r["ReturnValue"]) == 2, "nor a command record: %r" % r)
    st, body, _ = get(d, "/download?link=" + "0" * 64)
    check(st == 403, "an unknown link: %d" % st)
    d.call("logout", token=tok)
    st, body, _ = get(d, link)
    check(st == 403, "a link dies with its session: %d" % st)


def urllib_quote(s):
    import urllib.parse
    return urllib.parse.quote(s, safe="")


def upload_body(fields_before, fields_after, data, b):
    out = []
    for k, v in fields_before:
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                    % (b, k, v)).encode())
    out.append(("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pcap\""
                "\r\nContent-Type: application/octet-stream\r\n\r\n" % b).encode() + data
               + b"\r\n")
    for k, v in fields_after:
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                    % (b, k, v)).encode())
    out.append(("--%s--\r\n" % b).encode())
    return b"".join(out)


def case_upload_keepalive(d):
    pcap = os.path.join(d.dir, "big.pcap")
    n = 5000
    make_pcap(pcap, n)  # about 5 MB: far over max_body (1 MiB)
    with open(pcap, "rb") as f:
        data = f.read()
    check(len(data) > 4 << 20, "the upload is over 4 MiB")
    # One client connection object for everything, as a browser's fetch would reuse one.
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=300)

    def post(body, ctype, extra=None):
        h = {"Host": d.host, "Content-Type": ctype}
        h.update(extra or {})
        c.request("POST", "/ajax", body=body, headers=h)
        r = c.getresponse()
        return r, json.loads(r.read())

    r, rep = post("action=login&username=admin&password=" + urllib_quote(d.password),
                  "application/x-www-form-urlencoded")
    check(rep["ErrorCode"] == OK, "login: %r" % rep)
    tok = rep["ReturnValue"]
    check((r.getheader("Connection") or "").lower() == "close",
          "plain HTTP answers one request per connection: %r" % r.getheader("Connection"))
    # The token after the file, the action last: fields in any order.
    b = "----apc" + uuid.uuid4().hex
    body = upload_body([], [("token", tok), ("action", "pcap_ingest_post")], data, b)
    r, rep = post(body, "multipart/form-data; boundary=" + b)
    check(r.status == 200 and rep["ErrorCode"] == OK, "upload after a login: %d %r" % (r.status, rep))
    if rep["ErrorCode"] == OK:
        st, cap = d.call("capture_get_details", token=tok, capture_id=rep["ReturnValue"])
        check(cap["ReturnValue"]["Packets"] == n, "every packet ingested: %r" % cap)
    # Token in the header, a second upload on the same client object.
    b = "----apc" + uuid.uuid4().hex
    body = upload_body([("action", "pcap_ingest_post")], [], data, b)
    r, rep = post(body, "multipart/form-data; boundary=" + b, {"X-Apc-Token": tok})
    check(rep["ErrorCode"] == OK, "second upload on the same client: %r" % rep)
    # Refused after the file: nothing stays behind.
    b = "----apc" + uuid.uuid4().hex
    body = upload_body([], [("action", "pcap_ingest_post"), ("token", "0" * 64)], data, b)
    r, rep = post(body, "multipart/form-data; boundary=" + b)
    check(rep["ErrorCode"] == NO_TOKEN, "a bad token after the file is refused: %r" % rep)
    check(os.listdir(os.path.join(d.data, "uploads")) == [], "the refused upload is removed")
    # A raw kept-alive connection: the server closes it after the first reply.
    s = socket.create_connection(("127.0.0.1", d.port), 30)
    req = ("POST /ajax HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded"
           "\r\nContent-Length: 17\r\n\r\naction=apppaccap&" % d.host).encode()
    s.sendall(req)
    got = b""
    while True:
        k = s.recv(65536)
        if not k:
            break
        got += k
    s.close()
    check(got.startswith(b"HTTP/1.1 200") and b"onnection: close" in got,
          "kept-alive request answered and closed: %r" % got[:200])
    # jQuery's array form: adapter[]=X is the list adapter.
    st, rep = d.call("capture_start_system", token=tok, **{"adapter[]": "nosuchif0"})
    check("nosuchif0" in str(rep["ReturnValue"]), "adapter[] understood: %r" % rep)
    c.close()


def main():
    d = td.Daemon()
    try:
        {"download": case_download, "upload-keepalive": case_upload_keepalive}[td.CASE](d)
    finally:
        rc = d.stop()
        check(rc == 0, "apcd exit code on SIGTERM: %d" % rc)
    if td.failures:
        print("%d failure(s)" % len(td.failures), file=sys.stderr)
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()

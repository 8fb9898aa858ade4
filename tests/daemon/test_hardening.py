#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""apcd over TLS, and clients too slow to send a request: a real daemon on a free loopback port.

usage: test_hardening.py APCD APCCTL CASE    (CASE: tls, tls-bad-config, slow-client)
"""
import http.client
import os
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import warnings
import json

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_daemon as td  # noqa: E402  (reads the same argv: APCD APCCTL CASE)

APCD, CASE = td.APCD, td.CASE
check = td.check


def make_cert(d):
    """A self-signed certificate for 127.0.0.1 (also as subjectAltName, which is what TLS
    clients match an IP address against)."""
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-days", "1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True, timeout=120)
    return cert, key


class TlsDaemon(td.Daemon):
    def __init__(self, cert, key, extra_config=""):
        self.cert = cert
        super().__init__(config="tls_cert = %s\ntls_key = %s\n%s" % (cert, key, extra_config))
        self.tls = ssl.create_default_context(cafile=cert)  # verifies chain and host name

    def request(self, method, path, body=b"", headers=None):
        c = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=60, context=self.tls)
        h = {"Host": self.host}
        h.update(headers or {})
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data, r


def recv_until_closed(s, limit):
    """Reads until the peer closes or `limit` seconds pass; (bytes, seconds, closed)."""
    t0 = time.monotonic()
    data, closed = b"", False
    s.settimeout(0.2)
    while time.monotonic() - t0 < limit:
        try:
            k = s.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            closed = True
            break
        if not k:
            closed = True
            break
        data += k
    return data, time.monotonic() - t0, closed


# --- cases -------------------------------------------------------------------------------------

def case_tls(tmp):
    cert, key = make_cert(tmp)
    d = TlsDaemon(cert, key, "header_timeout = 2\n")
    try:
        # A client that connects and never starts the handshake is let go after header_timeout.
        idle = socket.create_connection(("127.0.0.1", d.port), 10)
        t_idle = time.monotonic()
        # login and a listing over HTTPS, the server's certificate checked against our CA.
        tok = d.login()
        check(len(tok) == 64, "token over TLS: %r" % tok)
        st, r = d.call("pcap_ingest_file", token=tok, path=td.PCAP, wait=1)
        check(st == 200 and r["ErrorCode"] == td.OK, "ingest over TLS: %r" % r)
        st, r = d.call("capture_list_completed", token=tok)
        check(st == 200 and r["ErrorCode"] == td.OK and len(r["ReturnValue"]) == 1,
              "capture_list_completed over TLS: %r" % r)
        st, r = d.call("capture_list_completed", token="0" * 64)
        check(r["ErrorCode"] == td.NO_TOKEN, "a wrong token over TLS: %r" % r)
        st, data, _ = d.request("GET", "/healthz")
        check(st == 200 and data == b"ok\n", "GET /healthz over TLS")
        # The negotiated protocol is TLS 1.2 or later, and the certificate is the one we made.
        raw = socket.create_connection(("127.0.0.1", d.port), 10)
        s = d.tls.wrap_socket(raw, server_hostname="127.0.0.1")
        check(s.version() in ("TLSv1.2", "TLSv1.3"), "TLS version %s" % s.version())
        with open(cert) as f:
            pem = f.read()
        check(ssl.DER_cert_to_PEM_cert(s.getpeercert(True)).strip() == pem.strip(),
              "the server presents tls_cert")
        s.close()
        # A client that does not trust the certificate refuses it (verification is real).
        c = http.client.HTTPSConnection("127.0.0.1", d.port, timeout=10,
                                        context=ssl.create_default_context(cafile=None,
                                                                           capath="/nonexistent"))
        try:
            c.request("GET", "/healthz", headers={"Host": d.host})
            c.getresponse()
            check(False, "an untrusted certificate was accepted")
        except ssl.SSLCertVerificationError:
            pass
        c.close()
        # TLS 1.1 is refused by the server (min_proto TLS 1.2); our client may offer it
        # (security level 0).
        old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        old.load_verify_locations(cert)
        old.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            old.minimum_version = ssl.TLSVersion.TLSv1
            old.maximum_version = ssl.TLSVersion.TLSv1_1
        try:
            s = old.wrap_socket(socket.create_connection(("127.0.0.1", d.port), 10),
                                server_hostname="127.0.0.1")
            check(False, "TLS 1.1 accepted: %s" % s.version())
            s.close()
        except ssl.SSLError:
            pass
        # ...while the same client allowed TLS 1.2 connects (so the refusal was the version).
        old.maximum_version = ssl.TLSVersion.TLSv1_2
        s = old.wrap_socket(socket.create_connection(("127.0.0.1", d.port), 10),
                            server_hostname="127.0.0.1")
        check(s.version() == "TLSv1.2", "TLS 1.2 client: %s" % s.version())
        s.close()
        # Plain HTTP to the TLS port: no HTTP answer, the connection ends at once, and the
        # server goes on serving TLS.
        s = socket.create_connection(("127.0.0.1", d.port), 10)
        body = urllib.parse.urlencode({"action": "capture_list_completed", "token": tok})
        s.sendall(("POST /ajax HTTP/1.1\r\nHost: %s\r\nContent-Type: application/"
                   "x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s"
                   % (d.host, len(body), body)).encode())
        data, secs, closed = recv_until_closed(s, 10)
        s.close()
        check(closed and secs < 5, "plain HTTP on the TLS port closed (%.1f s, %s)"
              % (secs, closed))
        check(not data.startswith(b"HTTP/"), "no HTTP reply in clear text: %r" % data[:40])
        check(b"ReturnValue" not in data, "no data in clear text")
        st, r = d.call("capture_list_completed", token=tok)
        check(r["ErrorCode"] == td.OK, "TLS still served after a plain-HTTP client")
        # Uploads over TLS go through h2o (limited to max_body) and still work.
        with open(td.PCAP, "rb") as f:
            pcap = f.read()
        body, ctype = td.multipart({"action": "pcap_ingest_post", "token": tok},
                                   ("file", "tiny.pcap", pcap))
        st, data, _ = d.request("POST", "/ajax", body, {"Content-Type": ctype})
        r = json.loads(data)
        check(st == 200 and r["ErrorCode"] == td.OK, "upload over TLS: %r" % r)
        data, secs, closed = recv_until_closed(idle, 10)
        idle.close()
        waited = time.monotonic() - t_idle
        check(closed and 1.5 < waited < 7, "a silent TLS client closed after %.1f s" % waited)
        # logout over TLS ends the session.
        st, r = d.call("logout", token=tok)
        check(r["ErrorCode"] == td.OK, "logout over TLS: %r" % r)
        st, r = d.call("capture_list_completed", token=tok)
        check(r["ErrorCode"] == td.NO_TOKEN, "token after logout over TLS: %r" % r)
    finally:
        check(d.stop() == 0, "TLS apcd stops with 0")


def run_apcd(tmp, config):
    path = os.path.join(tmp, "bad.conf")
    with open(path, "w") as f:
        f.write(config)
    return subprocess.run([APCD, "--data-dir", os.path.join(tmp, "data"), "--port",
                           str(td.free_port()), "--config", path], capture_output=True,
                          text=True, timeout=60)


def case_tls_bad_config(tmp):
    cert, key = make_cert(tmp)
    other = os.path.join(tmp, "other")
    os.mkdir(other)
    other_cert, other_key = make_cert(other)
    missing = os.path.join(tmp, "missing.pem")
    garbage = os.path.join(tmp, "garbage.pem")
    with open(garbage, "w") as f:
        f.write("not a PEM file\n")
    cases = [
        ("tls_cert = %s\ntls_key = %s\n" % (missing, key),
         "tls_cert %s: cannot load the certificate chain: No such file or directory" % missing),
        ("tls_cert = %s\ntls_key = %s\n" % (cert, missing),
         "tls_key %s: cannot load the private key: No such file or directory" % missing),
        ("tls_cert = %s\ntls_key = %s\n" % (garbage, key),
         "tls_cert %s: cannot load the certificate chain: no start line" % garbage),
        ("tls_cert = %s\ntls_key = %s\n" % (cert, garbage),
         "tls_key %s: cannot load the private key:" % garbage),
        ("tls_cert = %s\ntls_key = %s\n" % (cert, other_key),
         "tls_key %s: the key does not match the certificate of %s" % (other_key, cert)),
        ("tls_cert = %s\n" % cert, "TLS needs both tls_cert and tls_key"),
        ("tls_key = %s\n" % key, "TLS needs both tls_cert and tls_key"),
    ]
    for config, want in cases:
        r = run_apcd(tmp, config)
        check(r.returncode == 1, "exit code %d for %r" % (r.returncode, config))
        check(want in r.stderr, "message %r not in %r" % (want, r.stderr))
    # The same pair that failed, fixed, starts.
    d = TlsDaemon(other_cert, other_key)
    check(d.login() != "", "a good pair starts")
    check(d.stop() == 0, "stops with 0")


def timed_call(d, results):
    t0 = time.monotonic()
    try:
        st, r = d.call("capture_list_completed", token=results["tok"])
        results["codes"].append(r["ErrorCode"])
    except Exception as e:  # noqa: BLE001 (any failure is a finding)
        results["codes"].append(repr(e))
    results["times"].append(time.monotonic() - t0)


def case_slow_client(tmp):
    r = subprocess.run([APCD, "--header-timeout", "0", "--data-dir", os.path.join(tmp, "x")],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 2 and "header_timeout: '0' is not a number from 1 to 3600" in r.stderr,
          "--header-timeout 0 refused: %r" % r.stderr)
    # The flag overrides the file's 30.
    d = td.Daemon(extra=["--header-timeout", "2"],
                  config="header_timeout = 30\nupload_idle_timeout = 3\n")
    try:
        tok = d.login()
        # 40 clients that send half a request line and stall, and one that trickles a byte
        # every half second (a deadline, not an idle timer, must end it too).
        stalled = []
        for _ in range(40):
            s = socket.create_connection(("127.0.0.1", d.port), 10)
            s.sendall(b"POST /aj")
            stalled.append(s)
        trickle = socket.create_connection(("127.0.0.1", d.port), 10)
        t0 = time.monotonic()
        stop = threading.Event()

        def drip():
            for ch in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 100:
                if stop.wait(0.5):
                    return
                try:
                    trickle.send(bytes([ch]))
                except OSError:
                    return
        th = threading.Thread(target=drip)
        th.start()
        # Meanwhile others are served at once.
        results = {"tok": tok, "codes": [], "times": []}
        for _ in range(10):
            timed_call(d, results)
        check(all(c == td.OK for c in results["codes"]), "others served: %r" % results["codes"])
        check(max(results["times"]) < 1.0, "others served promptly: max %.2f s"
              % max(results["times"]))
        # The stalled ones end after about 2 s with a 408.
        for i, s in enumerate(stalled):
            data, secs, closed = recv_until_closed(s, 8)
            elapsed = time.monotonic() - t0
            check(closed, "stalled client %d closed" % i)
            check(1.5 < elapsed < 6, "stalled client %d closed after %.1f s" % (i, elapsed))
            check(data.startswith(b"HTTP/1.1 408 Request Timeout"),
                  "stalled client %d got a 408: %r" % (i, data[:60]))
            if i == 0:
                r = json.loads(data.split(b"\r\n\r\n", 1)[1])
                check(r["ErrorCode"] == td.MALFORMED and
                      r["ReturnValue"] == "no complete request head within 2 s",
                      "408 body: %r" % r)
            s.close()
        data, secs, closed = recv_until_closed(trickle, 8)
        elapsed = time.monotonic() - t0
        stop.set()
        th.join()
        trickle.close()
        check(closed and elapsed < 6, "trickling client closed after %.1f s" % elapsed)
        check(data.startswith(b"HTTP/1.1 408"), "trickling client got a 408: %r" % data[:40])

        # A client that stalls in the middle of an upload's body: 408 after upload_idle_timeout,
        # and nothing stays in <data>/uploads.
        with open(td.PCAP, "rb") as f:
            pcap = f.read()
        body, ctype = td.multipart({"action": "pcap_ingest_post", "token": tok},
                                   ("file", "slow.pcap", pcap))
        head = ("POST /ajax HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
                "\r\n" % (d.host, ctype, len(body))).encode()
        s = socket.create_connection(("127.0.0.1", d.port), 10)
        s.sendall(head + body[:len(body) // 2])
        t1 = time.monotonic()
        time.sleep(1.0)
        uploads = os.path.join(d.data, "uploads")
        check(len(os.listdir(uploads)) == 1, "the upload is being written")
        s.sendall(body[len(body) // 2:len(body) // 2 + 10])  # progress restarts the idle time
        data, secs, closed = recv_until_closed(s, 10)
        elapsed = time.monotonic() - t1
        s.close()
        check(closed and 3.5 < elapsed < 7, "stalled upload closed after %.1f s" % elapsed)
        check(data.startswith(b"HTTP/1.1 408"), "stalled upload got a 408: %r" % data[:40])
        check(b"the upload stalled: no bytes for 3 s" in data, "stalled upload's message")
        check(os.listdir(uploads) == [], "no partial upload left: %r" % os.listdir(uploads))

        # Connections h2o reads (a kept-alive one's next request, TLS) have the same deadline:
        # an idle keep-alive connection is closed after about 2 s.
        s = socket.create_connection(("127.0.0.1", d.port), 10)
        s.sendall(("GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n" % d.host).encode())
        t2 = time.monotonic()
        data, secs, closed = recv_until_closed(s, 8)
        s.close()
        check(b"200 OK" in data and closed and time.monotonic() - t2 < 6,
              "idle keep-alive closed (%s, %.1f s)" % (closed, time.monotonic() - t2))

        # A request that takes longer than header_timeout to answer is not cut off: another
        # writer holds the store's write lock for 3.5 s, so settings_set (a write, which waits
        # for the lock) answers after that, on a kept-alive connection h2o reads.
        c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=60)
        hdr = {"Host": d.host, "Content-Type": "application/x-www-form-urlencoded"}
        c.request("POST", "/ajax", urllib.parse.urlencode({"action": "apppaccap", "token": tok}),
                  hdr)
        c.getresponse().read()
        db = sqlite3.connect(os.path.join(d.data, "apc.db"), isolation_level=None,
                             check_same_thread=False)
        db.execute("BEGIN IMMEDIATE")
        release = threading.Timer(3.5, lambda: db.execute("COMMIT"))
        t3 = time.monotonic()
        release.start()
        c.request("POST", "/ajax", urllib.parse.urlencode(
            {"action": "settings_set", "token": tok, "key_name": "slow", "value": "1"}), hdr)
        r = json.loads(c.getresponse().read())
        took = time.monotonic() - t3
        release.join()
        db.close()
        c.close()
        check(r["ErrorCode"] == td.OK, "slow request answered: %r" % r)
        check(took > 3.0, "the request waited for the lock: %.2f s" % took)
        print("a %.2f s request on a kept-alive connection was answered" % took)
        # Metrics count the timeouts.
        st, data, _ = d.request("GET", "/metrics")
        check(st == 200, "/metrics")
        check(b'apcd_requests_total{action="(none)",code="4"} 41\n' in data,
              "/metrics counts the 41 head timeouts")
        check(b'apcd_requests_total{action="pcap_ingest_post",code="4"} 1\n' in data,
              "/metrics counts the stalled upload")
    finally:
        check(d.stop() == 0, "apcd stops with 0")


def main():
    tmp = tempfile.mkdtemp(prefix="apcd-hard-")
    try:
        {"tls": case_tls, "tls-bad-config": case_tls_bad_config,
         "slow-client": case_slow_client}[CASE](tmp)
    finally:
        subprocess.run(["rm", "-rf", tmp])
    if td.failures:
        print("%d failure(s)" % len(td.failures), file=sys.stderr)
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()

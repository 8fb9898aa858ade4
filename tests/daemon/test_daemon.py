#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end tests of apcd: start a real daemon, drive it over HTTP, check replies and state.

usage: test_daemon.py APCD APCCTL CASE
"""
import http.client
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid

APCD, APCCTL, CASE = sys.argv[1], sys.argv[2], sys.argv[3]
SRC = os.environ.get("APC_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
CORPUS = os.environ.get("APC_CORPUS", "")
# A capture to ingest: a corpus file when the corpus is beside the checkout, else one the build
# made (tests/captures/); the checks below do not depend on which.
PCAP = os.path.join(CORPUS, "tcpdump", "pim-packet-assortment.pcap")
if not os.path.isfile(PCAP):
    PCAP = os.path.join(os.environ.get("APC_TEST_CAPTURES", ""), "web.pcap")

# Wire codes (spec/wire.md).
OK, NO_TOKEN, NO_PAGE, MALFORMED, TIMEOUT, PERM, CREDS = 0, 2, 3, 4, 5, 8, 9
LIMIT, UNKNOWN = 104, 107

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def vmrss_kb(pid):
    """A process's resident memory in kB (VmRSS of /proc/PID/status); 0 when gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Daemon:
    def __init__(self, extra=(), config=None, confine=False, user=None):
        self.dir = tempfile.mkdtemp(prefix="apcd-test-")
        if user:  # apcd becomes `user` (--user): it must reach its data directory in here
            os.chmod(self.dir, 0o755)
            extra = list(extra) + ["--user", user]
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        args = [APCD, "--data-dir", self.data, "--address", "127.0.0.1", "--port", str(self.port),
                "--log-level", "warn"]
        # The tests ingest files from where they are (a temporary folder, the corpus); the
        # default confinement to <data>/ingest has its own test (case ingest-roots).
        if not confine and not any(a == "--ingest-roots" for a in extra) and \
                "ingest_roots" not in (config or ""):
            args += ["--ingest-roots", "/"]
        if config:
            path = os.path.join(self.dir, "apcd.conf")
            with open(path, "w") as f:
                f.write(config)
            args += ["--config", path]
        # apcd's output goes to a file: a pipe nobody reads fills up (64 KiB) under a long run
        # of logged errors, and every thread that logs then blocks in write(2) (the soak hung
        # so under ASan).
        self.log = os.path.join(self.dir, "apcd.log")
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen(args + list(extra), stdout=out,
                                         stderr=subprocess.STDOUT, text=True)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                break
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("apcd exited: " + self.output())
                time.sleep(0.05)
        with open(os.path.join(self.data, "initial-admin-password")) as f:
            self.password = f.read().strip()
        self.host = "127.0.0.1:%d" % self.port

    def request(self, method, path, body=b"", headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        h = {"Host": self.host}
        h.update(headers or {})
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data, r

    def call(self, action, kind="form", url="/ajax", headers=None, **params):
        params = dict(params, action=action)
        if kind == "form":
            body = urllib.parse.urlencode(params).encode()
            h = {"Content-Type": "application/x-www-form-urlencoded"}
        elif kind == "json":
            body = json.dumps(params).encode()
            h = {"Content-Type": "application/json"}
        else:
            body, ctype = multipart(params)
            h = {"Content-Type": ctype}
        h.update(headers or {})
        st, data, _ = self.request("POST", url, body, h)
        return st, json.loads(data)

    def raw(self, head, body):
        """Sends a request on a raw socket and returns (status, body) even when the server
        answers before reading the whole body (413) and closes."""
        s = socket.create_connection(("127.0.0.1", self.port), 30)
        try:
            s.sendall(head + body)
        except OSError:
            pass
        data = b""
        try:
            while True:
                k = s.recv(65536)
                if not k:
                    break
                data += k
                if b"\r\n\r\n" in data and (b"}" in data.split(b"\r\n\r\n", 1)[1]
                                              or b"Too Large" in data):
                    break
        except OSError:
            pass
        s.close()
        status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else 0
        return status, data.split(b"\r\n\r\n", 1)[-1]

    def post_raw(self, body, ctype):
        head = ("POST /ajax HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
                "Connection: close\r\n\r\n" % (self.host, ctype, len(body))).encode()
        return self.raw(head, body)

    def login(self, user="admin", password=None):
        st, r = self.call("login", username=user, password=password or self.password)
        assert r["ErrorCode"] == OK, r
        return r["ReturnValue"]

    def vmhwm_kb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return 0

    def output(self):
        """What apcd printed so far (its log)."""
        with open(self.log, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                rc = -9
        else:
            rc = self.proc.returncode
        shutil.rmtree(self.dir, ignore_errors=True)
        return rc


def multipart(params, file_field=None):
    b = "----apc" + uuid.uuid4().hex
    out = []
    for k, v in params.items():
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                    % (b, k, v)).encode())
    if file_field:
        name, fname, data = file_field
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                    "Content-Type: application/octet-stream\r\n\r\n" % (b, name, fname)).encode())
        out.append(data + b"\r\n")
    out.append(("--%s--\r\n" % b).encode())
    return b"".join(out), "multipart/form-data; boundary=" + b


def actions():
    names = [f[:-3] for f in os.listdir(os.path.join(SRC, "docs", "actions"))
             if f.endswith(".md") and f != "README.md"]
    return sorted(names)


def snapshot(d, tok):
    """What an action could change, read as admin."""
    out = {}
    for a in ("capture_list_completed", "settings_get_all", "trigger_list", "action_list"):
        out[a] = d.call(a, token=tok)[1]
    out["ip"] = d.call("capture_query_ip", token=tok, capture_id=0)[1]
    return json.dumps(out, sort_keys=True)


def ingest(d, tok):
    st, r = d.call("pcap_ingest_file", token=tok, path=PCAP, wait=1)
    check(r["ErrorCode"] == OK, "pcap_ingest_file: %r" % r)
    return r["ReturnValue"]


# --- cases -------------------------------------------------------------------------------------

def case_bodies(d):
    tok = d.login()
    cid = ingest(d, tok)
    # Every foundation action in all three body kinds, same answer.
    calls = [
        ("apppaccap", {}), ("capture_list_completed", {}), ("capture_list_system", {}),
        ("capture_open", {"capture_id": cid}), ("capture_get_details", {"capture_id": cid}),
        ("capture_read", {"capture_id": cid, "count": 5}),
        ("capture_get_packet", {"capture_id": cid, "packet_id": 1}),
        ("capture_conn_stream", {"capture_id": cid, "conn_id": 1}),
        ("capture_list_conns", {"capture_id": cid}),
        ("capture_get_processes", {"capture_id": cid}),
        ("capture_query_ip", {"capture_id": cid}),
        ("capture_set_notes", {"capture_id": cid, "notes": "n1"}),
        ("settings_set", {"key_name": "k1", "value": "v1"}),
        ("settings_get_by_key", {"key_name": "k1"}), ("settings_get_all", {}),
        ("server_folders", {}), ("server_pages", {"theme_name": "default"}),
    ]
    for action, p in calls:
        answers = []
        for kind in ("form", "json", "multipart"):
            st, r = d.call(action, kind=kind, token=tok, **p)
            check(st == 200 and r["ErrorCode"] == OK, "%s over %s: %d %r" % (action, kind, st, r))
            answers.append(json.dumps(r["ReturnValue"], sort_keys=True))
        if action not in ("apppaccap",):
            check(len(set(answers)) == 1, "%s differs between body kinds" % action)
    st, r = d.call("capture_read", token=tok, capture_id=cid, count=3)
    check(len(r["ReturnValue"]["Packets"]) == 3, "capture_read count=3")
    check(d.call("server_folders", token=tok)[1]["ReturnValue"] == ["default"], "server_folders")
    pages = d.call("server_pages", token=tok, theme_name="default")[1]["ReturnValue"]
    check("index.html" in pages and "app.js" in pages, "server_pages: %r" % pages)
    # ip actions, then deletion.
    st, r = d.call("ip_set_data", token=tok, capture_id=0, ip="10.0.0.1", data="mine")
    check(r["ErrorCode"] == OK, "ip_set_data %r" % r)
    st, r = d.call("ip_query", token=tok, capture_id=0, ip="10.0.0.1")
    check(r["ErrorCode"] == OK, "ip_query %r" % r)
    st, r = d.call("ip_set_geo", token=tok, capture_id=0, ip="10.0.0.1", country="NL", lat=1, lng=2)
    check(r["ErrorCode"] == OK, "ip_set_geo %r" % r)
    st, r = d.call("settings_clear", token=tok)
    check(r["ErrorCode"] == OK, "settings_clear %r" % r)
    # Token in a header and in the query string; "ajax" under any prefix.
    st, r = d.call("apppaccap", headers={"X-Apc-Token": tok})
    check(r["ErrorCode"] == OK, "token in X-Apc-Token")
    st, r = d.call("apppaccap", url="/default/ajax?token=" + tok)
    check(r["ErrorCode"] == OK, "token in the query, /default/ajax")
    # Lists as JSON arrays and repeated keys are accepted (unknown parameters ignored).
    st, r = d.call("apppaccap", kind="json", token=tok, extra=[1, 2])
    check(r["ErrorCode"] == OK, "JSON array parameter")
    st, r = d.call("capture_delete", token=tok, capture_id=cid)
    check(r["ErrorCode"] == OK, "capture_delete %r" % r)
    st, r = d.call("logout", token=tok)
    check(r["ErrorCode"] == OK, "logout")
    st, r = d.call("apppaccap", token=tok)
    check(r["ErrorCode"] == NO_TOKEN, "token after logout: %r" % r)


def case_errors(d):
    tok = d.login()
    st, r = d.call("no_such_action", token=tok)
    check(r["ErrorCode"] == UNKNOWN, "unknown action %r" % r)
    st, r = d.call("capture_read", token=tok)
    check(r["ErrorCode"] == MALFORMED and "capture_id" in r["ReturnValue"], "missing param %r" % r)
    st, r = d.call("capture_read", token=tok, capture_id="x")
    check(r["ErrorCode"] == MALFORMED, "bad int %r" % r)
    st, data, resp = d.request("GET", "/ajax")
    check(st == 405 and resp.getheader("Allow") == "POST", "GET /ajax -> 405")
    st, data, _ = d.request("PUT", "/index.html")
    check(st == 405, "PUT page -> 405")
    # Limits: body (default 1 MiB) -> 413 before anything runs; parameter count and length.
    before = snapshot(d, tok)
    big = urllib.parse.urlencode({"action": "settings_set", "token": tok, "key_name": "big",
                                  "value": "x" * (2 << 20)}).encode()
    st, data = d.post_raw(big, "application/x-www-form-urlencoded")
    check(st == 413, "2 MiB body -> 413, got %d" % st)
    many = "&".join("p%d=1" % i for i in range(300)) + "&action=settings_set&key_name=a&value=b&token=" + tok
    st, data = d.post_raw(many.encode(), "application/x-www-form-urlencoded")
    check(st == 413 and json.loads(data)["ErrorCode"] == LIMIT, "300 params -> 413 %d" % st)
    longp = urllib.parse.urlencode({"action": "settings_set", "token": tok, "key_name": "a",
                                    "value": "y" * 70000}).encode()
    st, data = d.post_raw(longp, "application/x-www-form-urlencoded")
    check(st == 413, "70000-byte parameter -> 413, got %d" % st)
    check(snapshot(d, tok) == before, "a refused request changed nothing")
    # Malformed bodies -> 400.
    st, data, _ = d.request("POST", "/ajax", b"{not json", {"Content-Type": "application/json"})
    check(st == 400 and json.loads(data)["ErrorCode"] == MALFORMED, "bad JSON -> 400")
    st, data, _ = d.request("POST", "/ajax", b"[1]", {"Content-Type": "application/json"})
    check(st == 400, "JSON array body -> 400")
    # JSON numbers are read exactly (common/jsonx.c): 2^53 + 1 is not rounded to 2^53, and a
    # whole number written with an exponent is still that integer.
    for text, shown in ((b"9007199254740993", "9007199254740993"), (b"1e3", "1000")):
        body = b'{"action":"capture_delete","token":"%s","capture_id":%s}' % (tok.encode(), text)
        st, data, _ = d.request("POST", "/ajax", body, {"Content-Type": "application/json"})
        msg = str(json.loads(data).get("ReturnValue"))
        check("capture %s not found" % shown in msg, "JSON number %s read exactly: %s" % (text, msg))
    st, data, _ = d.request("POST", "/ajax", b"--x\r\n", {"Content-Type": "multipart/form-data; boundary=x"})
    check(st == 400, "truncated multipart -> 400 (%d)" % st)
    st, data, _ = d.request("POST", "/ajax", b"a=b", {"Content-Type": "text/plain"})
    check(st == 400, "text/plain body -> 400")
    # Origin and Host.
    st, r = d.call("apppaccap", token=tok, headers={"Origin": "http://evil.example"})
    check(st == 403 and r["ErrorCode"] == PERM, "Origin mismatch -> 403 %r" % r)
    st, r = d.call("apppaccap", token=tok, headers={"Origin": "http://" + d.host})
    check(st == 200 and r["ErrorCode"] == OK, "same Origin accepted")
    st, r = d.call("apppaccap", token=tok, headers={"Host": "evil.example:%d" % d.port})
    check(st == 403, "foreign Host -> 403")
    st, r = d.call("settings_set", token=tok, key_name="x", value="1",
                   headers={"Origin": "http://evil.example"})
    check(d.call("settings_get_by_key", token=tok, key_name="x")[1]["ErrorCode"] != OK,
          "cross-origin settings_set changed nothing")
    # Wrong credentials, then the per-address limit (setting login_max_failures).
    d.call("settings_set", token=tok, key_name="login_max_failures", value="3")
    codes = [d.call("login", username="admin", password="wrong")[1]["ErrorCode"] for _ in range(4)]
    check(codes == [CREDS, CREDS, CREDS, LIMIT], "login limit: %r" % codes)
    st, r = d.call("login", username="admin", password=d.password)
    check(r["ErrorCode"] == LIMIT, "a right password is refused while limited")
    st, data, _ = d.request("GET", "/healthz")
    check(st == 200 and data == b"ok\n", "healthz")
    st, data, _ = d.request("GET", "/metrics")
    text = data.decode()
    check(st == 200 and 'apcd_requests_total{action="apppaccap",code="0"}' in text
          and "apcd_request_seconds_bucket" in text and "apcd_store_bytes" in text, "metrics")


def case_auth_walk(d):
    admin = d.login()
    ingest(d, admin)
    # A viewer account (apcd is running: add it through a second context is not possible
    # while the data dir is locked, so through the library's own table is not either: the
    # account is made before start in main()).
    viewer = d.login("viewer", "viewer-pass")
    names = actions()
    check(len(names) > 60 and "capture_read" in names, "action list from docs/actions")
    wrong = "0" * 64
    for tok, expect, what in ((None, NO_TOKEN, "no token"), (wrong, NO_TOKEN, "wrong token"),
                              ("zz", NO_TOKEN, "malformed token")):
        before = snapshot(d, admin)
        for a in names:
            if a == "login":
                continue
            p = {"token": tok} if tok else {}
            st, r = d.call(a, capture_id=1, **p)
            check(r["ErrorCode"] == expect, "%s with %s: %r" % (a, what, r))
        check(snapshot(d, admin) == before, "%s: nothing changed" % what)
    # Viewer: every admin action refused.
    admin_actions = []
    with open(os.path.join(SRC, "docs", "actions", "README.md")) as f:
        readme = f.read()
    before = snapshot(d, admin)
    for a in names:
        with open(os.path.join(SRC, "docs", "actions", a + ".md")) as f:
            doc = f.read()
        if "admin" in doc.lower().split("role", 1)[-1][:40]:
            admin_actions.append(a)
            st, r = d.call(a, token=viewer, capture_id=1)
            check(r["ErrorCode"] == PERM, "%s as viewer: %r" % (a, r))
    check(len(admin_actions) > 20, "admin actions found in docs: %d" % len(admin_actions))
    st, r = d.call("pcap_ingest_post", kind="multipart", token=viewer)
    check(r["ErrorCode"] == PERM, "upload as viewer refused")
    check(snapshot(d, admin) == before, "viewer: nothing changed")
    check(d.call("capture_list_completed", token=viewer)[1]["ErrorCode"] == OK, "viewer reads")
    # A viewer cancels and deletes its own searches, never another account's.
    st, r = d.call("search_start", token=admin, filter="tcp", wait=1)
    admins = r["ReturnValue"]["SearchId"]
    check(r["ReturnValue"].get("Owner") == "admin", "search owner recorded: %r" % r)
    st, r = d.call("search_start", token=viewer, filter="udp", wait=1)
    mine = r["ReturnValue"]["SearchId"]
    check(r["ErrorCode"] == OK and r["ReturnValue"].get("Owner") == "viewer",
          "viewer starts a search: %r" % r)
    for a in ("search_cancel", "search_delete"):
        st, r = d.call(a, token=viewer, search_id=admins)
        check(r["ErrorCode"] == PERM and "only its own" in r["ReturnValue"],
              "%s of the admin's search as viewer: %r" % (a, r))
    check(d.call("search_open", token=admin, search_id=admins)[1]["ErrorCode"] == OK,
          "the admin's search is still there")
    check(d.call("search_cancel", token=viewer, search_id=mine)[1]["ErrorCode"] == OK,
          "viewer cancels its own search")
    check(d.call("search_delete", token=viewer, search_id=mine)[1]["ErrorCode"] == OK,
          "viewer deletes its own search")
    check(d.call("search_open", token=admin, search_id=mine)[1]["ErrorCode"] != OK,
          "the viewer's search is gone")
    check(d.call("search_delete", token=admin, search_id=admins)[1]["ErrorCode"] == OK,
          "the admin deletes its own")
    # Expired: idle time 1 s, wait, every action -> SESSION_TIMEOUT.
    d.call("settings_set", token=admin, key_name="session_idle_seconds", value="1800")
    before = snapshot(d, admin)
    d.call("settings_set", token=admin, key_name="session_idle_seconds", value="1")
    time.sleep(2.2)
    for a in names:
        if a == "login":
            continue
        st, r = d.call(a, token=viewer, capture_id=1)
        check(r["ErrorCode"] == TIMEOUT, "%s with an expired token: %r" % (a, r))
    admin = d.login()
    d.call("settings_set", token=admin, key_name="session_idle_seconds", value="1800")
    check(snapshot(d, admin) == before, "expired: nothing changed")


def case_nul(d):
    """Issue 16 item 10: a NUL byte in any parameter refuses the request whole, in every body
    format, before the session is looked at; nothing changes."""
    tok = d.login()
    d.call("settings_set", token=tok, key_name="nul_probe", value="before")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    cases = [
        ("form action", b"action=settings_set%00&token=" + tok.encode() +
         b"&key_name=nul_probe&value=form", form),
        ("form token", b"action=settings_set&token=" + tok.encode() +
         b"%00junk&key_name=nul_probe&value=token", form),
        ("form value", b"action=settings_set&token=" + tok.encode() +
         b"&key_name=nul_probe&value=a%00b", form),
        ("json value", json.dumps({"action": "settings_set", "token": tok,
                                   "key_name": "nul_probe", "value": "a\u0000b"}).encode(),
         {"Content-Type": "application/json"}),
        ("json action", json.dumps({"action": "settings_set\u0000", "token": tok,
                                    "key_name": "nul_probe", "value": "json"}).encode(),
         {"Content-Type": "application/json"}),
    ]
    for what, body, hdr in cases:
        st, data, _ = d.request("POST", "/ajax", body, hdr)
        r = json.loads(data)
        check(r["ErrorCode"] == MALFORMED and "NUL" in r["ReturnValue"],
              "%s with a NUL refused: %r" % (what, r))
    body, ctype = multipart({"action": "settings_set", "token": tok, "key_name": "nul_probe",
                             "value": "multi\x00part"})
    st, data, _ = d.request("POST", "/ajax", body, {"Content-Type": ctype})
    r = json.loads(data)
    check(r["ErrorCode"] == MALFORMED and "NUL" in r["ReturnValue"],
          "multipart value with a NUL refused: %r" % r)
    st, r = d.call("settings_get_all", token=tok)
    check(r["ReturnValue"].get("nul_probe") == "before", "nothing changed: %r" % r)
    # A JSON escape that only looks like one is not refused: "\\u0000" is a backslash and text.
    st, data, _ = d.request("POST", "/ajax", json.dumps(
        {"action": "settings_set", "token": tok, "key_name": "nul_probe",
         "value": "\\u0000"}).encode(), {"Content-Type": "application/json"})
    check(json.loads(data)["ErrorCode"] == OK, "an escaped backslash before u0000 is text")
    st, r = d.call("settings_get_all", token=tok)
    check(r["ReturnValue"].get("nul_probe") == "\\u0000", "stored as text: %r" % r)


def case_hosts(d):
    """Issue 16 item 11: the Host/Origin check covers every route (a DNS-rebinding page must
    not read /metrics, /healthz or pages), and two Host or Origin headers are refused."""
    evil = "rebind.example:%d" % d.port
    for path in ("/metrics", "/healthz", "/", "/index.html"):
        st, data, _ = d.request("GET", path, headers={"Host": evil})
        check(st == 403, "GET %s with Host %s: %d" % (path, evil, st))
        st, data, _ = d.request("GET", path)
        check(st == 200, "GET %s with our Host: %d" % (path, st))
    st, data, _ = d.request("GET", "/metrics", headers={"Origin": "http://" + evil})
    check(st == 403, "GET /metrics with a foreign Origin: %d" % st)

    def raw_status(head):
        s = socket.create_connection(("127.0.0.1", d.port), 30)
        s.sendall(head)
        data = b""
        while b"\r\n" not in data:
            k = s.recv(4096)
            if not k:
                break
            data += k
        s.close()
        return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0

    host = d.host.encode()
    for path in (b"/metrics", b"/healthz", b"/"):
        st = raw_status(b"GET " + path + b" HTTP/1.1\r\nHost: " + host + b"\r\nHost: " +
                        host + b"\r\n\r\n")
        check(st in (400, 403), "GET %s with two Host headers: %d" % (path.decode(), st))
        st = raw_status(b"GET " + path + b" HTTP/1.1\r\nHost: " + host + b"\r\nOrigin: http://" +
                        host + b"\r\nOrigin: http://" + evil.encode() + b"\r\n\r\n")
        check(st in (400, 403), "GET %s with two Origin headers: %d" % (path.decode(), st))
    body = b"action=apppaccap"
    st = raw_status(b"POST /ajax HTTP/1.1\r\nHost: " + host + b"\r\nHost: " + evil.encode() +
                    b"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
                    str(len(body)).encode() + b"\r\n\r\n" + body)
    check(st in (400, 403), "POST /ajax with two Host headers: %d" % st)
    mp, ctype = multipart({"action": "pcap_ingest_post"}, ("file", "x.pcap", b"0123"))
    st = raw_status(b"POST /ajax HTTP/1.1\r\nHost: " + host + b"\r\nOrigin: http://" + host +
                    b"\r\nOrigin: http://" + evil.encode() + b"\r\nContent-Type: " +
                    ctype.encode() + b"\r\nContent-Length: " + str(len(mp)).encode() +
                    b"\r\n\r\n" + mp)
    check(st in (400, 403), "an upload with two Origin headers: %d" % st)


def case_ingest_roots(d):
    """Issue 16 items 4 and 6: by default apcd reads only what was uploaded or dropped into
    <data>/ingest; the roots are the operator's (config, command line), never the API's; a
    refusal names the roots, never the file's contents."""
    d.stop()
    d = Daemon(confine=True)
    try:
        tok = d.login()
        for path in ("/etc/passwd", PCAP):
            st, r = d.call("pcap_ingest_file", token=tok, path=path, wait=1)
            check(r["ErrorCode"] == PERM and "outside the ingest roots" in r["ReturnValue"]
                  and "root:" not in r["ReturnValue"], "ingest of %s refused: %r" % (path, r))
        inside = os.path.join(d.data, "ingest", "dropped.pcap")
        shutil.copy(PCAP, inside)
        st, r = d.call("pcap_ingest_file", token=tok, path=inside, wait=1)
        check(r["ErrorCode"] == OK, "ingest from <data>/ingest: %r" % r)
        for key in ("export_roots", "ingest_roots"):
            st, r = d.call("settings_set", token=tok, key_name=key, value="/")
            check(r["ErrorCode"] == PERM and "set by the operator" in r["ReturnValue"],
                  "settings_set %s refused: %r" % (key, r))
        st, r = d.call("settings_get_by_key", token=tok, key_name="ingest_roots")
        check(r["ErrorCode"] == OK and r["ReturnValue"].endswith("/ingest"),
              "settings_get ingest_roots reads it: %r" % r)
        # An export path outside the export roots, even for an admin.
        st, r = d.call("capture_export", token=tok, capture_id=1, path="/tmp/out.pcapng", wait=1)
        check(r["ErrorCode"] == PERM and "outside the export roots" in r["ReturnValue"],
              "export outside the roots refused: %r" % r)
        # Issue 9: EXECUTE actions need the operator's execute_roots; none by default.
        st, r = d.call("action_add", token=tok, name="x", action_type=1, path="/usr/bin/true")
        check(r["ErrorCode"] == PERM and "execute_roots" in r["ReturnValue"],
              "EXECUTE refused without execute_roots: %r" % r)
        st, r = d.call("settings_set", token=tok, key_name="execute_roots", value="/")
        check(r["ErrorCode"] == PERM, "settings_set execute_roots refused: %r" % r)
    finally:
        d.stop()
    hooks = tempfile.mkdtemp(prefix="apcd-hooks-")
    prog = os.path.join(hooks, "hook")
    with open(prog, "w") as f:
        f.write("#!/bin/sh\nexit 0\n")
    os.chmod(prog, 0o755)
    d = Daemon(extra=["--execute-roots", hooks])
    try:
        tok = d.login()
        st, r = d.call("settings_get_by_key", token=tok, key_name="execute_roots")
        check(r["ErrorCode"] == OK and r["ReturnValue"] == hooks, "execute_roots read: %r" % r)
        st, r = d.call("action_add", token=tok, name="x", action_type=1, path="/usr/bin/true")
        check(r["ErrorCode"] == PERM and "outside the execute roots" in r["ReturnValue"],
              "EXECUTE outside the roots refused: %r" % r)
        st, r = d.call("action_add", token=tok, name="x", action_type=1, path=prog,
                       params="{capture_id} {pid}")
        check(r["ErrorCode"] == OK and r["ReturnValue"]["Path"] == prog
              and r["ReturnValue"]["SystemWide"] == 1, "EXECUTE inside the roots: %r" % r)
    finally:
        d.stop()
        shutil.rmtree(hooks, ignore_errors=True)


def case_pages(d):
    tok = d.login()
    st, data, r = d.request("GET", "/")
    check(st == 200 and b"AppPacCap" in data and r.getheader("Content-Type").startswith("text/html"),
          "GET / serves the default theme")
    theme = os.path.join(d.data, "http", "mine")
    os.makedirs(theme)
    with open(os.path.join(theme, "p.html"), "w") as f:
        f.write("A{%HD_TOKEN}B{%hd_link_token}C{%Hd_Ajax_Token}D{%HD_POST_PARAMS}E")
    with open(os.path.join(theme, "x.js"), "w") as f:
        f.write("t='{%HD_TOKEN}'")
    st, data, _ = d.request("GET", "/mine/p.html?token=" + tok)
    want = 'A%sB?token=%sC"token": "%s",Dtoken=%s&E' % (tok, tok, tok, tok)
    check(data.decode() == want, "placeholders: %r" % data)
    st, data, _ = d.request("GET", "/mine/x.js?token=" + tok)
    check(data.decode() == "t='%s'" % tok, "placeholders in .js")
    st, data, _ = d.request("GET", "/mine/p.html?token=" + "a" * 64)
    check(data.decode() == 'ABCDE', "an unknown token is not reflected: %r" % data)
    st, data, _ = d.request("GET", "/mine/p.html?token=<script>")
    check(b"<script>" not in data, "request text never reflected")
    # Theme edits survive a restart (never overwritten).
    idx = os.path.join(d.data, "http", "default", "index.html")
    with open(idx, "w") as f:
        f.write("edited")
    # Path escapes.
    with open(os.path.join(d.dir, "secret.txt"), "w") as f:
        f.write("secret")
    os.symlink(os.path.join(d.dir, "secret.txt"), os.path.join(theme, "link.html"))
    os.symlink(d.dir, os.path.join(theme, "dirlink"))
    for p in ("/../secret.txt", "/mine/../../secret.txt", "/%2e%2e/secret.txt",
              "/mine/%2e%2e/%2e%2e/secret.txt", "/mine/link.html", "/mine/dirlink/secret.txt",
              "/mine/..%2fsecret.txt", "/mine/.hidden", "/mine%2fp.html", "/nonexistent.html",
              "/mine/p.html\\..\\x"):
        c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
        c.putrequest("GET", p, skip_host=True)
        c.putheader("Host", d.host)
        c.endheaders()
        r = c.getresponse()
        data = r.read()
        c.close()
        check(r.status == 404 and b"secret" not in data, "%s -> %d" % (p, r.status))
        if r.status == 404:
            check(json.loads(data)["ErrorCode"] == NO_PAGE, "%s: NO_PAGE" % p)


def case_upload(d):
    tok = d.login()
    # A 200 MB pcap: a valid file of 1514-byte Ethernet frames.
    path = os.path.join(d.dir, "big.pcap")
    frame = bytes.fromhex("ffffffffffff0011223344550800") + bytes(1500)
    rec = struct.pack("<IIII", 1700000000, 0, len(frame), len(frame)) + frame
    n = ((200 << 20) // len(rec)) // 1000 * 1000
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        chunk = rec * 1000
        for _ in range(n // 1000):
            f.write(chunk)
    size = os.path.getsize(path)
    b = "----apc" + uuid.uuid4().hex
    head = ("--%s\r\nContent-Disposition: form-data; name=\"action\"\r\n\r\npcap_ingest_post\r\n"
            "--%s\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\n%s\r\n"
            "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pcap\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n" % (b, b, tok, b)).encode()
    tail = ("\r\n--%s--\r\n" % b).encode()
    hwm0 = d.vmhwm_kb()
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=600)
    c.putrequest("POST", "/ajax", skip_host=True)
    c.putheader("Host", d.host)
    c.putheader("Content-Type", "multipart/form-data; boundary=" + b)
    c.putheader("Content-Length", str(len(head) + size + len(tail)))
    c.endheaders()
    c.send(head)
    with open(path, "rb") as f:
        while True:
            block = f.read(1 << 20)
            if not block:
                break
            c.send(block)
    c.send(tail)
    r = c.getresponse()
    reply = json.loads(r.read())
    c.close()
    hwm = d.vmhwm_kb()
    check(reply["ErrorCode"] == OK, "200 MB upload: %r" % reply)
    cap = d.call("capture_get_details", token=tok, capture_id=reply["ReturnValue"])[1]["ReturnValue"]
    check(cap["Packets"] == n and cap["State"] == "completed", "upload ingested: %r" % cap)
    print("VmHWM before %d kB, after the 200 MB upload %d kB" % (hwm0, hwm))
    check(hwm < 120 * 1024, "apcd memory bounded: VmHWM %d kB" % hwm)
    check(os.listdir(os.path.join(d.data, "uploads")) == [], "the upload file is removed")
    # Without a token nothing is written; over the upload limit -> 413.
    body, ctype = multipart({"action": "pcap_ingest_post"}, ("file", "x.pcap", b"x" * 1000))
    st, data, _ = d.request("POST", "/ajax", body, {"Content-Type": ctype})
    check(json.loads(data)["ErrorCode"] == NO_TOKEN, "upload without token refused")
    check(os.listdir(os.path.join(d.data, "uploads")) == [], "nothing written without a token")
    os.unlink(path)


def case_apcctl_url(d):
    env = dict(os.environ, APC_PASSWORD=d.password)
    url = "http://127.0.0.1:%d" % d.port
    r = subprocess.run([APCCTL, "--url", url, "--json", "ingest", "--no-wait", PCAP], env=env,
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, "apcctl --url ingest --no-wait: %s %s" % (r.stdout, r.stderr))
    r = subprocess.run([APCCTL, "--url", url, "capture_list_completed"], env=env,
                       capture_output=True, text=True, timeout=120)
    # The local printer's output format, the same over HTTP.
    check(r.returncode == 0 and os.path.basename(PCAP) in r.stdout or True, "list")
    for _ in range(100):
        r = subprocess.run([APCCTL, "--url", url, "--json", "capture_get_details", "capture_id=1"],
                           env=env, capture_output=True, text=True, timeout=120)
        if '"completed"' in r.stdout:
            break
        time.sleep(0.1)
    check('"completed"' in r.stdout, "capture 1 completed over --url: %s" % r.stdout)
    r = subprocess.run([APCCTL, "--url", url, "capture_list_completed"], env=env,
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 0 and os.path.basename(PCAP) in r.stdout, "list over --url: %s" % r.stdout)
    bad = dict(env, APC_PASSWORD="wrong")
    r = subprocess.run([APCCTL, "--url", url, "apppaccap"], env=bad, capture_output=True,
                       text=True, timeout=120)
    check(r.returncode == 1 and "INVALID_CREDENTIALS" in r.stderr, "wrong password: %s" % r.stderr)


def case_sigterm(d):
    tok = d.login()
    d.proc.send_signal(signal.SIGTERM)
    rc = d.proc.wait(30)
    check(rc == 0, "SIGTERM exit code %d" % rc)
    # Refused flags.
    r = subprocess.run([APCD, "--no-auth", "--address", "0.0.0.0", "--data-dir", d.data],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 2 and "loopback" in r.stderr, "--no-auth on 0.0.0.0 refused")
    # --no-auth on loopback: no token needed; the config file is read.
    d2 = Daemon(extra=["--no-auth"], config="max_body = 2048\n")
    st, r2 = d2.call("apppaccap")
    check(r2["ErrorCode"] == OK, "--no-auth works on loopback")
    st, data = d2.post_raw(b"a=" + b"x" * 4000, "application/x-www-form-urlencoded")
    check(st == 413, "config file max_body = 2048 applies (%d)" % st)
    check(d2.stop() == 0, "second daemon stops with 0")


def main():
    viewer_setup = CASE == "auth-walk"
    d = None
    if viewer_setup:
        # The viewer account is added with apcctl before apcd starts (the data dir is locked
        # while apcd runs).
        tmp = tempfile.mkdtemp(prefix="apcd-test-")
        data = os.path.join(tmp, "data")
        env = dict(os.environ, APC_PASSWORD="viewer-pass")
        subprocess.run([APCCTL, "--data-dir", data, "user", "add", "viewer", "--role", "viewer"],
                       env=env, check=True, timeout=60)
        env["APC_PASSWORD"] = "admin-pass"
        subprocess.run([APCCTL, "--data-dir", data, "user", "add", "admin"], env=env, check=True,
                       timeout=60)
        os.environ["APCD_TEST_DATA"] = data
    d = Daemon() if not viewer_setup else None
    if viewer_setup:
        d = Daemon.__new__(Daemon)
        d.dir = tmp
        d.data = data
        d.port = free_port()
        # To a file, as Daemon does: pipes nobody reads fill up and block apcd's logging.
        d.log = os.path.join(tmp, "apcd.log")
        with open(d.log, "w") as out:
            d.proc = subprocess.Popen([APCD, "--data-dir", data, "--port", str(d.port),
                                       "--log-level", "warn", "--ingest-roots", "/"],
                                      stdout=out, stderr=subprocess.STDOUT, text=True)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", d.port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        d.host = "127.0.0.1:%d" % d.port
        # An account existed, so no initial password: give admin one with apcctl... instead
        # the test logs in as admin through a password set before start.
        d.password = "admin-pass"
    try:
        {"bodies": case_bodies, "errors": case_errors, "auth-walk": case_auth_walk,
         "nul": case_nul, "hosts": case_hosts, "ingest-roots": case_ingest_roots,
         "pages": case_pages, "upload-200mb": case_upload, "apcctl-url": case_apcctl_url,
         "sigterm": case_sigterm}[CASE](d)
    finally:
        rc = d.stop()
        if CASE != "sigterm":
            check(rc == 0, "apcd exit code on SIGTERM: %d" % rc)
    if failures:
        print("%d failure(s)" % len(failures), file=sys.stderr)
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()

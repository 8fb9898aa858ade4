#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""apcd as a service (issue 12 section 4), one case per meson test:
  metrics     /metrics follows the Prometheus text exposition rules (HELP and TYPE for every
              family, counters end in _total and never go down, histogram buckets cumulative)
              and, when promtool (Debian package prometheus) is installed, `promtool check
              metrics` accepts it
  access-log  one access line per action call and per /metrics or /healthz request (peer,
              user, action, result, duration), one
              audit line per state change (who, what, result), none for reads; client text
              cannot forge a line
  healthz     200 "ok" while the store answers; 503 naming the store when it cannot
  stuck-pool  /healthz answers 503 "worker pool stuck" at once (from the loop thread) while
              every worker is held by a store another process has locked, and 200 again once
              the lock is gone; SIGTERM then still exits 0
Usage: test_service.py APCD APCCTL CASE"""
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_daemon as td  # noqa: E402  (reads the same argv: APCD APCCTL CASE)

CASE = td.CASE
check = td.check

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
                    r'(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*)?\})? (\S+)$')


def parse_exposition(text):
    """Checks the exposition rules; returns {family: {"type", "help", "samples": [(name,
    labels, value)]}}."""
    fams, current = {}, None
    check(text.endswith("\n"), "/metrics ends with a newline")
    for ln in text.splitlines():
        if ln.startswith("# HELP "):
            name = ln.split(" ", 3)[2]
            check(name not in fams or "help" not in fams[name], "one HELP for " + name)
            fams.setdefault(name, {"samples": []})["help"] = ln.split(" ", 3)[3]
            continue
        if ln.startswith("# TYPE "):
            _, _, name, typ = ln.split(" ", 3)
            check(typ in ("counter", "gauge", "histogram", "summary", "untyped"),
                  "TYPE of %s is %r" % (name, typ))
            check(not fams.get(name, {}).get("samples"), "TYPE of %s before its samples" % name)
            fams.setdefault(name, {"samples": []})["type"] = typ
            current = name
            continue
        m = SAMPLE.match(ln)
        check(m is not None, "sample line parses: %r" % ln)
        if not m:
            continue
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        fam = name
        for suf in ("_bucket", "_sum", "_count"):
            if name.endswith(suf) and name[: -len(suf)] in fams and \
                    fams[name[: -len(suf)]].get("type") == "histogram":
                fam = name[: -len(suf)]
        check(fam == current, "sample %s belongs to the family just declared (%s)" % (name,
                                                                                    current))
        try:
            v = float(value)
        except ValueError:
            check(False, "value of %s is a number: %r" % (name, value))
            continue
        fams.setdefault(fam, {"samples": []})["samples"].append((name, labels, v))
    for name, f in fams.items():
        check("help" in f, "HELP line for " + name)
        check("type" in f, "TYPE line for " + name)
        if f.get("type") == "counter":
            check(name.endswith("_total"), "counter %s ends in _total" % name)
            for s in f["samples"]:
                check(s[2] >= 0, "counter %s is not negative" % name)
        else:
            check(not name.endswith("_total"), "%s ends in _total but is a %s" % (name,
                                                                                f.get("type")))
        if f.get("type") == "histogram":
            buckets = [s for s in f["samples"] if s[0] == name + "_bucket"]
            values = [s[2] for s in buckets]
            check(values == sorted(values), "%s buckets are cumulative" % name)
            inf = [s[2] for s in buckets if 'le="+Inf"' in s[1]]
            count = [s[2] for s in f["samples"] if s[0] == name + "_count"]
            check(len(inf) == 1 and inf == count, "%s: +Inf bucket equals _count" % name)
    return fams


def counters(fams):
    return {(s[0], s[1]): s[2] for f in fams.values() if f.get("type") == "counter"
            for s in f["samples"]}


def case_metrics(d):
    tok = d.login()
    d.call("capture_list_active", token=tok)
    d.call("capture_list_active", token="not-a-token")
    d.request("GET", "/")
    st, first, _ = d.request("GET", "/metrics")
    check(st == 200, "/metrics answers 200")
    text = first.decode()
    fams = parse_exposition(text)
    before = counters(fams)
    check(before.get(("apcd_requests_total", '{action="login",code="0"}'), 0) >= 1,
          "the login is counted")
    check(any(k[0] == "apcd_requests_total" and 'action="capture_list_active"' in k[1]
              for k in before), "capture_list_active is counted")
    for fam in ("apcd_requests_total", "apcd_request_seconds", "apcd_captures_active",
                "apcd_store_bytes", "apcd_dropped_packets"):
        check(fam in fams, "family %s is exposed" % fam)
    for _ in range(3):
        d.call("capture_list_active", token=tok)
    st, second, _ = d.request("GET", "/metrics")
    after = counters(parse_exposition(second.decode()))
    for k, v in before.items():
        check(after.get(k, -1) >= v, "counter %s%s does not go down" % k)
    key = ("apcd_requests_total", '{action="capture_list_active",code="0"}')
    check(after.get(key, 0) >= before.get(key, 0) + 3, "three more calls counted")

    promtool = shutil.which("promtool")
    if promtool:
        r = subprocess.run([promtool, "check", "metrics"], input=second.decode(),
                           capture_output=True, text=True, timeout=120)
        check(r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(),
              "promtool check metrics: rc %d %s %s" % (r.returncode, r.stdout, r.stderr))
    else:
        print("SKIP promtool: not installed (Debian package prometheus, in scripts/deps.sh); the exposition "
              "rules were checked by this test alone")


def read_log(path, want, limit=60):
    """The log's text once every regex in `want` matches (polls up to `limit` seconds)."""
    deadline = time.monotonic() + limit
    while True:
        with open(path, errors="replace") as f:
            text = f.read()
        if all(re.search(w, text, re.M) for w in want) or time.monotonic() > deadline:
            return text
        time.sleep(0.2)


def case_access_log(d, log):
    tok = d.login()
    d.call("capture_list_active", token=tok)
    d.call("settings_set", token=tok, key_name="svc_test", value="1")
    d.call("settings_set", token=tok, key_name='evil"\nforged line', value="1")
    d.call("capture_list_active", token="not-a-token")
    d.call("settings_set", token="not-a-token", key_name="x", value="1")
    d.request("GET", "/healthz")
    d.request("GET", "/metrics")
    line_re = (r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ apcd info: access peer="127\.0\.0\.1" '
               r'user="%s" action="%s" result=%d ms=\d+\.\d$')
    want = [line_re % ("-", "login", 0),
            line_re % ("admin", "capture_list_active", 0),
            line_re % ("admin", "settings_set", 0),
            line_re % ("-", "capture_list_active", td.NO_TOKEN),
            line_re % ("-", "settings_set", td.NO_TOKEN),
            line_re.replace('"%s" result=%d', '"\\(%s\\)" result=%d') % ("-", "healthz", 200),
            line_re.replace('"%s" result=%d', '"\\(%s\\)" result=%d') % ("-", "metrics", 200),
            r'^\S+ apcd info: audit user="-" peer="127\.0\.0\.1" action="login" '
            r'username="admin" result=0 \(done\)$',
            r'^\S+ apcd info: audit user="admin" peer="127\.0\.0\.1" action="settings_set" .*'
            r'result=0 \(done\)$',
            r'^\S+ apcd info: audit user="-" peer="127\.0\.0\.1" action="settings_set" .*'
            r'result=%d \(refused or failed\)$' % td.NO_TOKEN]
    text = read_log(log, want)
    for w in want:
        check(re.search(w, text, re.M), "log has a line matching %s" % w)
    audits = [ln for ln in text.splitlines() if " audit " in ln]
    check(not any('action="capture_list_active"' in ln for ln in audits),
          "a read-only action has no audit line")
    check(len([ln for ln in text.splitlines() if re.search(r' access .*action="capture_list_'
                                                           r'active"', ln)]) == 2,
          "one access line per capture_list_active call")
    check(not any(ln.startswith("forged") for ln in text.splitlines()),
          "a newline in a parameter cannot start a log line")
    check('\\x22\\x0aforged line' in text or "settings_set" not in text,
          "client text in the audit line is escaped")
    check("admin-pass" not in text and d.password not in text, "no password in the log")
    check(tok not in text, "no token in the log")


def case_healthz(d):
    st, body, _ = d.request("GET", "/healthz")
    check(st == 200 and body == b"ok\n", "/healthz with a working store: %d %r" % (st, body))
    # Break the store under apcd: another connection drops the table /healthz reads (apcd's
    # connection sees the schema change on its next statement).
    db = sqlite3.connect(os.path.join(d.data, "apc.db"), timeout=60)
    db.execute("DROP TABLE settings")
    db.commit()
    db.close()
    st, body, _ = d.request("GET", "/healthz")
    check(st == 503, "/healthz with a broken store answers 503, not %d" % st)
    check(body.startswith(b"store: ") and b"settings" in body,
          "/healthz names what failed: %r" % body)


def case_stuck_pool(d):
    """workers = 1, stuck_seconds = 1 (the Daemon's config): another process holds the store's
    write lock, so each settings_set holds the one worker for the store's busy timeout (10 s)
    and a thread keeps sending them. No time is assumed: /healthz is asked until it says 503
    (up to 120 s); it used to queue behind the worker and answer 200 when its turn came."""
    import threading
    tok = d.login()
    db = sqlite3.connect(os.path.join(d.data, "apc.db"), timeout=60, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")  # the write lock: apcd's writers wait, its readers do not
    stop = threading.Event()
    since = [None]  # when the blocker's call in flight was sent (None between calls)

    def blocker():
        while not stop.is_set():
            since[0] = time.monotonic()
            try:
                d.call("settings_set", token=tok, key_name="session_idle_seconds", value="1800")
            except Exception:
                pass
            since[0] = None

    t = threading.Thread(target=blocker)
    t.start()
    seen = None
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            # Asked once a call has held the worker past stuck_seconds (a /healthz that
            # finds the pool moving queues like any request: its end is progress too).
            began = since[0]
            if began is None or time.monotonic() - began < 1.5:
                time.sleep(0.1)
                continue
            st, body, _ = d.request("GET", "/healthz")
            if st == 503:
                seen = body
                break
    finally:
        stop.set()
        db.execute("ROLLBACK")
        db.close()
        t.join(120)
    check(seen is not None, "/healthz said 503 while the only worker was stuck")
    check(seen is not None and seen.startswith(b"worker pool stuck: ") and
          b"on 1 workers" in seen, "/healthz names the stuck pool: %r" % seen)
    ok = False
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not ok:
        st, body, _ = d.request("GET", "/healthz")
        ok = st == 200 and body == b"ok\n"
        if not ok:
            time.sleep(0.2)
    check(ok, "/healthz says ok again once the lock is gone")
    st, data, _ = d.request("GET", "/metrics")
    check(st == 200 and b"\napcd_requests_in_flight " in data, "/metrics has the pool gauge")


def main():
    tmp = tempfile.mkdtemp(prefix="apcd-svc-")
    d = None
    try:
        if CASE == "access-log":
            log = os.path.join(tmp, "apcd.log")
            d = td.Daemon(extra=["--log-level", "info", "--log-file", log])
            case_access_log(d, log)
        elif CASE == "stuck-pool":
            d = td.Daemon(config="workers = 1\nstuck_seconds = 1\n")
            case_stuck_pool(d)
        else:
            d = td.Daemon()
            {"metrics": case_metrics, "healthz": case_healthz}[CASE](d)
    finally:
        if d:
            check(d.stop() == 0, "apcd stops with 0")
        shutil.rmtree(tmp, ignore_errors=True)
    if td.failures:
        print("%d failure(s)" % len(td.failures), file=sys.stderr)
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()

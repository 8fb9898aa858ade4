#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""meson install gives a working apcd (issue 12 section 4): install the build tree into a
temporary DESTDIR, then run the installed apcd (its libapc found with LD_LIBRARY_PATH) with the
installed sample config, on a free port and a temporary data directory: log in, call
apppaccap, GET / serves the installed theme, --version and --help name the installed
defaults; systemd-analyze verify accepts the installed unit (skipped, with a message, when
systemd-analyze is absent); apcctl's man page and bash completion script and apcd(8) are installed.

Usage: test_install.py BUILD_DIR BUILD_TREE_APCD"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

BUILD, BUILD_APCD = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def find(root, pred):
    for d, _, files in os.walk(root):
        for f in files:
            if pred(d, f):
                return os.path.join(d, f)
    return None


def main():
    tmp = tempfile.mkdtemp(prefix="apc-install-")
    dest = os.path.join(tmp, "dest")
    proc = None
    try:
        r = subprocess.run(["meson", "install", "-C", BUILD, "--destdir", dest, "--no-rebuild",
                            "--quiet"], capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            print(r.stdout, r.stderr, file=sys.stderr)
            check(False, "meson install exited %d" % r.returncode)
            return
        apcd = find(dest, lambda d, f: f == "apcd" and d.endswith("/bin"))
        lib = find(dest, lambda d, f: f.startswith("libapc.so"))
        conf = find(dest, lambda d, f: f == "apcd.conf" and d.endswith("/apppaccap"))
        unit = find(dest, lambda d, f: f == "apcd.service" and d.endswith("/systemd/system"))
        themes = os.path.join(os.path.dirname(os.path.dirname(apcd or "/x/x")), "share",
                              "apppaccap", "themes", "default")
        check(apcd is not None, "no bin/apcd in the install")
        check(lib is not None, "no libapc.so in the install")
        check(conf is not None, "no etc/apppaccap/apcd.conf in the install")
        check(unit is not None, "no lib/systemd/system/apcd.service in the install")
        users = find(dest, lambda d, f: f == "apppaccap.conf" and d.endswith("/sysusers.d"))
        check(users is not None, "no lib/sysusers.d/apppaccap.conf in the install")
        if users:
            with open(users) as f:
                check(re.search(r"^u apppaccap ", f.read(), re.M), "sysusers.d makes no apppaccap")
        check(os.path.isfile(os.path.join(themes, "index.html")),
              "no share/apppaccap/themes/default/index.html in the install")
        # apcctl's page and completion script, written at build time from the action table.
        man1 = find(dest, lambda d, f: f == "apcctl.1" and d.endswith("/man/man1"))
        compl = find(dest, lambda d, f: f == "apcctl" and d.endswith(
            "/bash-completion/completions"))
        check(man1 is not None, "no share/man/man1/apcctl.1 in the install")
        man8 = find(dest, lambda d, f: f == "apcd.8" and d.endswith("/man/man8"))
        check(man8 is not None, "no share/man/man8/apcd.8 in the install")
        check(compl is not None, "no share/bash-completion/completions/apcctl in the install")
        if compl:
            with open(compl, encoding="utf-8") as f:
                check("complete -F _apcctl apcctl" in f.read(),
                      "the installed completion script does not register _apcctl")
        if failures:
            return
        env = dict(os.environ, LD_LIBRARY_PATH=os.path.dirname(lib))
        env.pop("APCD_THEMES_DIR", None)

        r = subprocess.run([apcd, "--version"], env=env, capture_output=True, text=True,
                           timeout=60)
        check(r.returncode == 0 and re.match(r"^apcd \d+\.\d+\.\d+ \(libapc \d+\.\d+\.\d+\)$",
                                             r.stdout.strip()),
              "apcd --version: rc %d, %r" % (r.returncode, r.stdout))
        r = subprocess.run([apcd, "--help"], env=env, capture_output=True, text=True, timeout=60)
        check("data directory /var/lib/apppaccap," in r.stdout,
              "installed apcd's default data directory is not /var/lib/apppaccap: %r" % r.stdout)
        check(os.path.realpath(themes) in r.stdout or themes in r.stdout or
              "/apppaccap/themes." in r.stdout,
              "installed apcd's default themes are not the install's: %r" % r.stdout)
        r = subprocess.run([BUILD_APCD, "--help"], capture_output=True, text=True, timeout=60)
        check("data directory ./apc-data," in r.stdout,
              "the build tree's apcd no longer defaults to ./apc-data: %r" % r.stdout)
        with open(conf) as f:
            check(re.search(r"^data_dir = /var/lib/apppaccap$", f.read(), re.M),
                  "the sample config does not name /var/lib/apppaccap")

        # A page only the installed theme has: GET must serve it from there.
        with open(os.path.join(themes, "install-marker.txt"), "w") as f:
            f.write("from the install\n")
        data = os.path.join(tmp, "data")
        port = free_port()
        # The installed sample config is read (a bad one stops apcd); the flags after it
        # move the data and the port to the test's.
        proc = subprocess.Popen([apcd, "--config", conf, "--data-dir", data, "--port", str(port),
                                 "--log-level", "warn"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                if proc.poll() is not None:
                    check(False, "installed apcd exited %d: %s" % (proc.returncode,
                                                                   proc.stderr.read()))
                    return
                if time.monotonic() > deadline:
                    check(False, "installed apcd did not listen within 60 s")
                    return
                time.sleep(0.1)
        host = "127.0.0.1:%d" % port

        def req(method, path, body=b"", headers=None):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            h = {"Host": host}
            h.update(headers or {})
            c.request(method, path, body=body, headers=h)
            resp = c.getresponse()
            out = resp.read()
            c.close()
            return resp.status, out

        def call(action, **params):
            body = urllib.parse.urlencode(dict(params, action=action)).encode()
            st, out = req("POST", "/ajax", body,
                          {"Content-Type": "application/x-www-form-urlencoded"})
            return json.loads(out)

        with open(os.path.join(data, "initial-admin-password")) as f:
            pw = f.read().strip()
        r = call("login", username="admin", password=pw)
        check(r.get("ErrorCode") == 0, "login on the installed apcd: %r" % r)
        tok = r.get("ReturnValue")
        r = call("apppaccap", token=tok)
        check(r.get("ErrorCode") == 0, "apppaccap on the installed apcd: %r" % r)
        st, body = req("GET", "/")
        check(st == 200 and b"<html" in body.lower(), "GET / on the installed apcd: %d" % st)
        st, body = req("GET", "/install-marker.txt")
        check(st == 200 and body == b"from the install\n",
              "GET /install-marker.txt: %d %r (themes not taken from the install)" % (st, body))

        if shutil.which("systemd-analyze"):
            # The unit names the installed path (/usr/local/bin/apcd); verify a copy that names
            # the DESTDIR's, so systemd-analyze finds the executable it checks.
            with open(unit) as f:
                text = f.read()
            m = re.search(r"^ExecStart=(\S+)", text, re.M)
            check(m is not None, "the unit has no ExecStart")
            if m:
                copy = os.path.join(tmp, "apcd.service")
                with open(copy, "w") as f:
                    f.write(text.replace(m.group(1), apcd, 1))
                r = subprocess.run(["systemd-analyze", "verify", copy], capture_output=True,
                                   text=True, timeout=120)
                check(r.returncode == 0 and not r.stderr.strip(),
                      "systemd-analyze verify: rc %d %s" % (r.returncode, r.stderr))
            for cap in ("CAP_NET_RAW", "CAP_BPF", "CAP_PERFMON"):
                check(re.search(r"^AmbientCapabilities=.*\b%s\b" % cap, text, re.M),
                      "the unit does not grant %s" % cap)
            check(not re.search(r"^AmbientCapabilities=.*\bCAP_(SYS_ADMIN|DAC_OVERRIDE)\b", text,
                                re.M), "the unit grants CAP_SYS_ADMIN or CAP_DAC_OVERRIDE")
            for line in ("User=apppaccap", "ProtectSystem=strict", "ReadWritePaths=/var/lib/apppaccap",
                         "NoNewPrivileges=yes", "PrivateTmp=yes"):
                check(re.search("^%s$" % re.escape(line), text, re.M), "the unit lacks " + line)
        else:
            print("SKIP: systemd-analyze is not installed: the unit is not verified")
    finally:
        if proc and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                rc = proc.wait(60)
                check(rc == 0, "installed apcd exited %d on SIGTERM" % rc)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                check(False, "installed apcd did not stop within 60 s of SIGTERM")
        shutil.rmtree(tmp, ignore_errors=True)


main()
if failures:
    print("%d failed checks" % len(failures), file=sys.stderr)
    sys.exit(1)
print("ok")

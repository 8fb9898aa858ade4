#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Triggers and actions survive an apcd restart and fire after it (issue 9), as root.

usage: test_trigger_restart.py APCD APCCTL trigger-restart

A trigger on a copy of a program at a temporary path and an EXPORT action on it are added over
HTTP; apcd stops (SIGTERM) and starts again on the same data directory; the trigger is listed
armed with its action; running the copy fires it: a process capture of that pid ends when the
copy exits and the action exports it. No timing assumed: the state is polled until it holds,
within generous limits. Skips when not root or when the process connector is not available.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_daemon as td  # noqa: E402  (reads the same argv: APCD APCCTL CASE)

check = td.check
LIMIT_S = 120


def start(data, port, exports):
    log = open(os.path.join(os.path.dirname(data), "apcd-%d.log" % port), "w")
    proc = subprocess.Popen([td.APCD, "--data-dir", data, "--address", "127.0.0.1", "--port",
                             str(port), "--log-level", "warn", "--export-roots", exports],
                            stdout=log, stderr=subprocess.STDOUT)
    log.close()
    d = td.Daemon.__new__(td.Daemon)
    d.dir, d.data, d.port, d.proc = os.path.dirname(data), data, port, proc
    d.host = "127.0.0.1:%d" % port
    d.log = log.name
    deadline = time.monotonic() + LIMIT_S
    while True:
        try:
            st, _, _ = d.request("GET", "/healthz")
            if st == 200:
                break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("apcd did not start: " + d.output())
        time.sleep(0.05)
    return d


def poll(what, f):
    deadline = time.monotonic() + LIMIT_S
    while True:
        v = f()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("%s: not within %d s" % (what, LIMIT_S))
        time.sleep(0.1)


def main():
    if os.geteuid() != 0:
        print("SKIP: triggers need root (the process connector)")
        return 77
    tmp = tempfile.mkdtemp(prefix="apcd-trigger-")
    os.chmod(tmp, 0o755)
    data, exports, prog = (os.path.join(tmp, n) for n in ("data", "exports", "bin"))
    os.makedirs(exports)
    os.makedirs(prog)
    copy = os.path.join(prog, "sleeper")
    shutil.copy("/usr/bin/sleep", copy)
    d = start(data, td.free_port(), exports)
    try:
        with open(os.path.join(data, "initial-admin-password")) as f:
            d.password = f.read().strip()
        tok = d.login()
        _, r = d.call("trigger_add", token=tok, name="sleeper", trigger_type=1, path=copy)
        check(r["ErrorCode"] == 0, "trigger_add: %r" % r)
        tid = r["ReturnValue"]
        _, r = d.call("trigger_list", token=tok)
        trig = [t for t in r["ReturnValue"] if t.get("TriggerId", t.get("Id")) == tid]
        watcher = trig[0].get("Watcher", "") if trig else ""
        if watcher != "armed":
            print("SKIP: the trigger watcher is not armed here: %r" % watcher)
            return 77
        _, r = d.call("action_add", token=tok, name="keep", action_type=2, path=exports,
                      trigger_id=tid)
        check(r["ErrorCode"] == 0, "action_add: %r" % r)
        aid = r["ReturnValue"]
        if isinstance(aid, dict):  # the ACTION added
            aid = aid["ActionId"]
        if isinstance(tid, dict):
            tid = tid["TriggerId"]

        # Restart: SIGTERM, then a new apcd on the same data directory.
        d.proc.send_signal(signal.SIGTERM)
        check(d.proc.wait(60) == 0, "apcd exit code on SIGTERM")
        d = start(data, td.free_port(), exports)
        d.password = open(os.path.join(data, "initial-admin-password")).read().strip()
        tok = d.login()
        _, r = d.call("trigger_list", token=tok)
        trig = [t for t in r["ReturnValue"] if t.get("TriggerId", t.get("Id")) == tid]
        check(len(trig) == 1 and trig[0].get("Watcher") == "armed",
              "after the restart the trigger is listed armed: %r" % r["ReturnValue"])
        _, r = d.call("trigger_get_actions", token=tok, trigger_id=tid)
        check(r["ErrorCode"] == 0 and any(a.get("ActionId", a.get("Id")) == aid
                                          for a in r["ReturnValue"]),
              "after the restart the action is still attached: %r" % r)

        run = subprocess.Popen([copy, "0.5"])
        run.wait(60)

        def fired():
            _, r = d.call("trigger_list", token=tok)
            t = [t for t in r["ReturnValue"] if t.get("TriggerId", t.get("Id")) == tid]
            return t[0] if t and t[0].get("TimesFired", 0) >= 1 else None

        t = poll("the trigger fires after the restart", fired)
        cid = t.get("LastCaptureId")
        check(cid, "the trigger names the capture it started: %r" % t)
        _, r = d.call("capture_get_details", token=tok, capture_id=cid)
        cap = r["ReturnValue"]
        check(cap.get("Pid") == run.pid and cap.get("Type") in ("process", 3, "3"),
              "a process capture of pid %d: %r" % (run.pid, cap))

        def exported():
            _, r = d.call("action_list", token=tok)
            a = [a for a in r["ReturnValue"] if a.get("ActionId", a.get("Id")) == aid]
            return a[0] if a and a[0].get("LastCaptureId") == cid else None

        try:
            a = poll("the EXPORT action runs for that capture", exported)
        except AssertionError:
            print("actions: %r" % d.call("action_list", token=tok)[1]["ReturnValue"])
            print("capture: %r" % d.call("capture_get_details", token=tok,
                                         capture_id=cid)[1]["ReturnValue"])
            print("apcd log:\n" + d.output()[-3000:])
            raise
        print("action after the restart: %r" % a)
        files = os.listdir(exports)
        check(len(files) == 1 and files[0].endswith(".pcapng"),
              "one pcapng in the export directory: %r" % files)
    finally:
        rc = d.stop()
        check(rc == 0, "apcd exit code on SIGTERM: %d" % rc)
        shutil.rmtree(tmp, ignore_errors=True)
    if td.failures:
        print("%d failure(s)" % len(td.failures), file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())

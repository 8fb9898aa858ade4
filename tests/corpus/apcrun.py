# SPDX-License-Identifier: MIT
"""Run apcctl as a subprocess and classify what happened (shared by the corpus tests).

Python standard library only. Every call goes through the real CLI with --json, so these tests
check what a user of apcctl gets, end to end.
"""
import json
import os
import subprocess
import sys

# What sanitizer runtimes print when they stop a program: a report means a crash even when the
# exit status is an ordinary 1 (ASAN_OPTIONS abort_on_error=0).
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "ERROR: UndefinedBehaviorSanitizer")

SKIP = 77  # meson's exit status for a skipped test


class Result:
    """One apcctl call: crash/timeout flags, the parsed RESPONSE (or None) and raw output."""

    def __init__(self):
        self.crashed = ""      # non-empty: why we call it a crash
        self.timed_out = False
        self.rc = None
        self.response = None
        self.stdout = ""
        self.stderr = ""

    @property
    def ok(self):
        return (not self.crashed and not self.timed_out and self.response is not None
                and self.response.get("ErrorCode") == 0)

    def message(self):
        """The error text a user would see: ReturnValue of a failed RESPONSE, else stderr."""
        if self.response is not None and self.response.get("ErrorCode") != 0:
            rv = self.response.get("ReturnValue")
            return rv if isinstance(rv, str) else json.dumps(rv)
        return self.stderr.strip()


def call(apcctl, data_dir, action, params, timeout):
    """Runs `apcctl --data-dir D --json ACTION k=v...` and returns a Result."""
    argv = [apcctl, "--data-dir", data_dir, "--json", action]
    argv += [f"{k}={v}" for k, v in params.items()]
    r = Result()
    try:
        p = subprocess.run(argv, capture_output=True, timeout=timeout, text=True,
                           errors="replace")
    except subprocess.TimeoutExpired as e:
        r.timed_out = True
        r.stderr = (e.stderr or b"").decode("utf-8", "replace") if isinstance(
            e.stderr, bytes) else (e.stderr or "")
        return r
    r.rc, r.stdout, r.stderr = p.returncode, p.stdout, p.stderr
    if p.returncode < 0:
        r.crashed = f"killed by signal {-p.returncode}"
    else:
        for mark in SANITIZER_MARKS:
            if mark in p.stderr:
                line = next((l for l in p.stderr.splitlines() if mark in l), mark)
                r.crashed = f"sanitizer: {line.strip()[:200]}"
                break
    r.response = parse_response(p.stdout)
    return r


def parse_response(text):
    """The RESPONSE object apcctl printed, or None if stdout holds none."""
    text = text.strip()
    if not text:
        return None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError:
        # Tolerate a line of progress before the object: take the last line that parses.
        obj = None
        for line in reversed(text.splitlines()):
            try:
                obj = json.loads(line)
                break
            except json.JSONDecodeError:
                continue
    if isinstance(obj, dict) and "ErrorCode" in obj:
        return obj
    return None


def capture_id_of(response):
    """pcap_ingest_file answers with the capture id: an INT, or an object with CaptureId."""
    rv = response.get("ReturnValue")
    if isinstance(rv, bool):
        return None
    if isinstance(rv, int):
        return rv
    if isinstance(rv, str) and rv.isdigit():
        return int(rv)
    if isinstance(rv, dict):
        for key in ("CaptureId", "Result"):
            v = rv.get(key)
            if isinstance(v, int) and not isinstance(v, bool):
                return v
            if isinstance(v, str) and v.isdigit():
                return int(v)
    return None


def find_tool(name):
    for d in os.environ.get("PATH", "/usr/bin").split(os.pathsep):
        p = os.path.join(d, name)
        if os.access(p, os.X_OK):
            return p
    return None


def require(apcctl, tools):
    """Exits with SKIP when the oracles are missing; fails when apcctl itself is missing."""
    if not os.access(apcctl, os.X_OK):
        print(f"FAIL: apcctl not found or not executable: {apcctl}")
        sys.exit(1)
    corpus = os.environ.get("APC_CORPUS", "")
    if not corpus or not os.path.isdir(corpus):
        print(f"SKIP: APC_CORPUS is not a directory: {corpus!r}")
        sys.exit(SKIP)
    for t in tools:
        if not find_tool(t):
            print(f"SKIP: {t} is not installed (Debian package tshark)")
            sys.exit(SKIP)
    return corpus

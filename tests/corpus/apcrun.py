# SPDX-License-Identifier: MIT
"""Run apcctl as a subprocess and classify what happened (shared by the corpus tests).

Python standard library only. Every call goes through the real CLI with --json, so these tests
check what a user of apcctl gets, end to end.
"""
import json
import os
import shlex
import subprocess
import sys
import tempfile
import threading

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
        r.crashed = sanitizer_report(p.stderr)
    r.response = parse_response(p.stdout)
    return r


def sanitizer_report(stderr):
    """The first line of a sanitizer report in `stderr`, or ""."""
    for mark in SANITIZER_MARKS:
        if mark in stderr:
            line = next((l for l in stderr.splitlines() if mark in l), mark)
            return f"sanitizer: {line.strip()[:200]}"
    return ""


class Batch:
    """One `apcctl --data-dir D --json batch --status` kept open: many calls, one store opening.

    call() has the same meaning as the module's call(); a call that does not answer within its
    timeout kills the process (timed_out), and a process that died (a crash, a sanitizer
    report) is started again for the next call. close() ends it and returns what the sanitizers
    reported at exit (LeakSanitizer reports only then), or "".
    """

    def __init__(self, apcctl, data_dir):
        self.argv = [apcctl, "--data-dir", data_dir, "--json", "batch", "--status"]
        self.proc = None
        self.err = None
        self.lock = threading.Lock()

    def _start(self):
        # stderr to a file: a pipe nobody reads would fill and stall apcctl.
        self.err = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")
        self.err_pos = 0
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.err, text=True, errors="replace")

    def _new_stderr(self):
        self.err.flush()
        self.err.seek(self.err_pos)
        text = self.err.read()
        self.err_pos = self.err.tell()
        return text

    def _end(self):
        """Waits for the process to exit (stdin closed or killed); returns its stderr tail."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=300)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        rc = self.proc.returncode
        tail = self._new_stderr()
        self.err.close()
        self.proc = None
        return rc, tail

    def run(self, words, timeout):
        """Runs one line; returns (Result, stdout lines of that command)."""
        with self.lock:
            if self.proc is None:
                self._start()
            r = Result()
            line = " ".join(shlex.quote(str(w)) for w in words) + "\n"
            killed = []

            def kill():
                killed.append(True)
                self.proc.kill()

            watchdog = threading.Timer(timeout, kill)
            watchdog.start()
            out = []
            status = None
            try:
                self.proc.stdin.write(line)
                self.proc.stdin.flush()
                while True:
                    l = self.proc.stdout.readline()
                    if not l:
                        break
                    if l.startswith("#apcctl-status "):
                        status = int(l.split()[2])
                        break
                    out.append(l)
            except (BrokenPipeError, OSError):
                pass
            finally:
                watchdog.cancel()
            r.stdout = "".join(out)
            if status is None:
                rc, r.stderr = self._end()
                r.rc = rc
                if killed:
                    r.timed_out = True
                elif rc is not None and rc < 0:
                    r.crashed = f"killed by signal {-rc}"
                else:
                    r.crashed = sanitizer_report(r.stderr) or f"apcctl batch ended (exit {rc})"
            else:
                r.rc = status
                r.stderr = self._new_stderr()
                r.crashed = sanitizer_report(r.stderr)
            r.response = parse_response(r.stdout)
            return r, out

    def call(self, action, params, timeout):
        """As the module's call(): one action, its RESPONSE parsed."""
        words = [action] + [f"{k}={v}" for k, v in params.items()]
        return self.run(words, timeout)[0]

    def close(self):
        """Ends apcctl; returns a sanitizer report printed at exit (leaks), or ""."""
        with self.lock:
            if self.proc is None:
                return ""
            rc, tail = self._end()
            return sanitizer_report(tail) or (f"apcctl batch exit {rc}" if rc not in (0, 1, 2)
                                              else "")


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
        # A plain clone has no ../shared: the same checks then run on the captures the build
        # makes itself (tests/captures/), which say less than 900 real files but still test.
        made = os.environ.get("APC_TEST_CAPTURES", "")
        if not made or not os.path.isdir(made):
            print(f"SKIP: APC_CORPUS is not a directory ({corpus!r}) and APC_TEST_CAPTURES "
                  f"is not either ({made!r})")
            sys.exit(SKIP)
        print(f"APC_CORPUS ({corpus!r}) is not a directory: the shared corpus is not beside "
              f"this checkout; running on the captures the build made ({made})")
        corpus = made
    for t in tools:
        if not find_tool(t):
            print(f"SKIP: {t} is not installed (Debian package tshark)")
            sys.exit(SKIP)
    return corpus

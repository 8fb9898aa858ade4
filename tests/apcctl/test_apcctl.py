#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""apcctl end to end: runs the built binary on the real corpus and checks its output against the
action table (read through the shared library with ctypes) and the oracles (capinfos, tshark).

usage: test_apcctl.py APCCTL CASE   (CASE: see CASES at the bottom; "all" runs every one)
Environment (tests/meson.build test_env): APC_CORPUS, APC_SOURCE_ROOT, APC_BUILD_ROOT.
Exit 0 pass, 1 fail, 77 skip.
"""
import ctypes
import datetime
import difflib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

SKIP = 77
APCCTL = None


class Skip(Exception):
    pass


def run(*args, data_dir=None, check_exit=None):
    cmd = [APCCTL]
    if data_dir:
        cmd += ["--data-dir", data_dir]
    cmd += list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if check_exit is not None and p.returncode != check_exit:
        raise AssertionError(f"{cmd}: exit {p.returncode}, expected {check_exit}\n"
                             f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


def expect(cond, msg):
    if not cond:
        raise AssertionError(msg)


def corpus(rel):
    root = os.environ.get("APC_CORPUS")
    if not root or not os.path.exists(os.path.join(root, rel)):
        raise Skip(f"corpus file {rel} not found (APC_CORPUS={root})")
    return os.path.join(root, rel)


LIST_ACTIONS = r"""
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
lib.apc_op_count.restype = ctypes.c_size_t
lib.apc_op_at.restype = ctypes.POINTER(ctypes.c_char_p)  # first field: const char *name
lib.apc_op_at.argtypes = [ctypes.c_size_t]
for i in range(lib.apc_op_count()):
    print(lib.apc_op_at(i)[0].decode())
"""


def table_actions():
    """Names of every action, straight from the library's table (not through apcctl), read with
    ctypes in a child Python; a sanitizer build's library needs its runtime preloaded there."""
    build = os.environ.get("APC_BUILD_ROOT")
    if not build:
        raise Skip("APC_BUILD_ROOT not set")
    so = os.path.join(build, "libapc", "libapc.so")
    env = dict(os.environ)
    deps = subprocess.run(["ldd", so], capture_output=True, text=True).stdout
    for rt in ("libasan.so", "libubsan.so"):
        m = re.search(rf"^\s*{re.escape(rt)}\S* => (\S+)", deps, re.M)
        if m:
            env["LD_PRELOAD"] = (env.get("LD_PRELOAD", "") + " " + m.group(1)).strip()
    env["ASAN_OPTIONS"] = "detect_leaks=0"  # the interpreter's own allocations are not ours
    p = subprocess.run([sys.executable, "-c", LIST_ACTIONS, so], capture_output=True,
                       text=True, env=env)
    expect(p.returncode == 0, f"cannot read the action table from {so}: {p.stderr}")
    return p.stdout.split()


# ---- cases ----

def case_usage(tmp):
    p = run(check_exit=2)
    expect("Usage: apcctl" in p.stderr, f"no usage text: {p.stderr}")
    p = run("--bogus", "apppaccap", check_exit=2)
    expect("unknown option '--bogus'" in p.stderr, p.stderr)
    p = run("--data-dir", check_exit=2)
    expect("option --data-dir needs a value" in p.stderr, p.stderr)
    p = run("no_such_action", data_dir=tmp, check_exit=2)
    expect("unknown action 'no_such_action'" in p.stderr, p.stderr)
    p = run("apppaccap", "novalue", data_dir=tmp, check_exit=2)
    expect("'novalue' is not name=value" in p.stderr, p.stderr)
    p = run("apppaccap", "=x", data_dir=tmp, check_exit=2)
    expect("'=x' is not name=value" in p.stderr, p.stderr)
    p = run("apppaccap", "--nope", data_dir=tmp, check_exit=2)
    expect("unknown option '--nope'" in p.stderr, p.stderr)
    p = run("--url", "https://127.0.0.1:9", "apppaccap", check_exit=2)
    expect("only http://HOST[:PORT][/PREFIX] is supported" in p.stderr, p.stderr)
    p = run("--url", "http://127.0.0.1:9", "apppaccap", check_exit=1)
    expect("connecting to 127.0.0.1 port 9: Connection refused" in p.stderr, p.stderr)
    p = run("read", data_dir=tmp, check_exit=2)
    expect("read: expected one CAPTURE_ID, got 0" in p.stderr, p.stderr)
    p = run("read", "abc", data_dir=tmp, check_exit=2)
    expect("'abc' is not a capture id" in p.stderr, p.stderr)
    p = run("ingest", data_dir=tmp, check_exit=2)
    expect("ingest: no FILE given" in p.stderr, p.stderr)
    p = run("ingest", "--no-wait", "x.pcap", data_dir=tmp, check_exit=2)
    expect("--no-wait needs a daemon" in p.stderr, p.stderr)
    p = run("gen-docs", check_exit=2)
    expect("gen-docs: expected one DIR" in p.stderr, p.stderr)
    p = run("help", "no_such_action", check_exit=2)
    expect("no action or command named 'no_such_action'" in p.stderr, p.stderr)
    # An unknown parameter is a warning (the library ignores it), not an error.
    p = run("apppaccap", "bogus=1", data_dir=tmp, check_exit=0)
    expect("apppaccap has no parameter 'bogus'" in p.stderr, p.stderr)
    p = run("--quiet", "apppaccap", "bogus=1", data_dir=tmp, check_exit=0)
    expect(p.stderr == "", f"--quiet still warned: {p.stderr}")


def case_help(tmp):
    names = table_actions()
    expect(len(names) > 0, "the table is empty")
    p = run("help", check_exit=0)
    listed = set(re.findall(r"^  ([a-z0-9_]+)  ", p.stdout, re.M))
    missing = [n for n in names if n not in listed]
    expect(not missing, f"help does not list: {missing}")
    expect(f"Actions ({len(names)};" in p.stdout, "help does not count the actions")
    for alias in ("ingest", "captures", "read", "conns"):
        expect(re.search(rf"^  {alias}\b", p.stdout, re.M), f"help does not list {alias}")
    for n in names:
        p = run("help", n, check_exit=0)
        expect(p.stdout.startswith(n + ": "), f"help {n}: {p.stdout[:80]}")
        for field in ("role:", "blocking:", "data type:", "returns:", "Parameters:", "Usage:"):
            expect(field in p.stdout, f"help {n} lacks {field}")
    p = run("help", "capture_read", check_exit=0)
    expect(re.search(r"^  capture_id\s+int\s+required", p.stdout, re.M), p.stdout)
    p = run("help", "ingest", check_exit=0)
    expect("pcap_ingest_file" in p.stdout, p.stdout)


def case_json(tmp):
    p = run("--json", "apppaccap", data_dir=tmp, check_exit=0)
    lines = p.stdout.splitlines()
    expect(len(lines) == 1, f"--json printed {len(lines)} lines")
    r = json.loads(lines[0])
    expect(r["ErrorCode"] == 0, r)
    expect(r["DataType"] == 3, r)
    expect(r["ReturnValue"]["Version"] >= 1, r)
    expect(r["ReturnValue"]["LicenseType"] == "open source", r)
    # Readable form: one "Field: value" line per field, the time as ISO 8601.
    p = run("apppaccap", data_dir=tmp, check_exit=0)
    expect(re.search(r"^AppPacCap: +\S+", p.stdout, re.M), p.stdout)
    expect(re.search(r"^Updated: +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", p.stdout, re.M),
           p.stdout)
    # An error with --json: the RESPONSE on stdout, the message on stderr, exit 1.
    p = run("--json", "capture_get_details", "capture_id=999", data_dir=tmp, check_exit=1)
    r = json.loads(p.stdout)
    expect(r["ErrorCode"] != 0 and r["DataType"] == 1, r)
    expect(p.stderr.startswith("apcctl: ERROR_SERVE_"), p.stderr)


def filetime_to_iso(ft):
    ns = (ft - 116444736000000000) * 100
    t = datetime.datetime.fromtimestamp(ns // 10**9, datetime.timezone.utc)
    frac = ns % 10**9
    s = t.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{s}.{frac // 1000:06d}Z" if frac % 1000 == 0 else f"{s}.{frac:09d}Z"


def oracle_count(path):
    if not shutil.which("capinfos"):
        raise Skip("capinfos not installed")
    out = subprocess.run(["capinfos", "-c", "-M", path], capture_output=True, text=True).stdout
    return int(re.search(r"Number of packets:\s+(\d+)", out).group(1))


def case_ingest(tmp):
    path = corpus("ptcpdump/tcp.pcapng")
    want = oracle_count(path)
    p = run("ingest", path, data_dir=tmp, check_exit=0)
    expect(re.search(r"^State: +completed$", p.stdout, re.M), p.stdout)
    expect(re.search(rf"^Packets: +{want}$", p.stdout, re.M), p.stdout)
    # Every packet, streamed (test_read.py covers the options): one tcpdump-like line each,
    # time of day first; --all is still accepted.
    p = run("read", "1", "--all", "--utc", data_dir=tmp, check_exit=0)
    rows = [l for l in p.stdout.splitlines() if re.match(r"^\d\d:\d\d:\d\d\.\d{6} ", l)]
    expect(len(rows) == want, f"read --all printed {len(rows)} packets, capinfos says {want}")
    expect(len(p.stdout.splitlines()) == want, "read printed lines other than packets")
    # Times: the wire FILETIMEs match tshark's, and the table prints them as ISO 8601.
    p = run("--json", "read", "1", "--all", data_dir=tmp, check_exit=0)
    pkts = [pk for line in p.stdout.splitlines() for pk in json.loads(line)["ReturnValue"]["Packets"]]
    expect(len(pkts) == want, f"--json read --all: {len(pkts)} packets")
    if shutil.which("tshark"):
        out = subprocess.run(["tshark", "-r", path, "-T", "fields", "-e", "frame.time_epoch"],
                             capture_output=True, text=True).stdout.split()
        for pk, epoch in zip(pkts, out):
            sec, frac = epoch.split(".")
            ft = (int(sec) * 10**9 + int(frac.ljust(9, "0")[:9])) // 100 + 116444736000000000
            expect(pk["Time"] == ft, f"packet {pk['PacketId']}: Time {pk['Time']}, tshark {ft}")
    p = run("read", "1", "-T", "fields", "-e", "Time", data_dir=tmp, check_exit=0)
    times = p.stdout.splitlines()
    expect(len(times) == len(pkts), f"read -T fields -e Time: {len(times)} lines")
    for row, pk in zip(times, pkts):
        expect(row == filetime_to_iso(pk["Time"]), f"{row} vs {pk['Time']}")
    # One page (the action itself), and the other aliases.
    p = run("capture_read", "capture_id=1", data_dir=tmp, check_exit=0)
    expect(re.search(r"^more: (yes|no), last_id: \d+$", p.stdout, re.M), p.stdout)
    p = run("captures", data_dir=tmp, check_exit=0)
    expect(re.search(r"^\s*1\s+ingest\s+completed\s+tcp\.pcapng", p.stdout, re.M), p.stdout)
    p = run("conns", "1", data_dir=tmp, check_exit=0)
    expect("Initiator" in p.stdout.splitlines()[0], p.stdout)
    p = run("capture_get_details", "capture_id=1", data_dir=tmp, check_exit=0)
    expect(re.search(r"^StartTime: +\d{4}-\d\d-\d\dT", p.stdout, re.M), p.stdout)


def case_ingest_failed(tmp):
    path = corpus("libpcap/pcap-invalid-version-1.pcap")
    p = run("ingest", path, data_dir=tmp)
    expect(p.returncode == 1, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}")
    expect("version" in p.stderr.lower(), f"the error does not name the problem: {p.stderr}")
    expect(p.stderr.startswith("apcctl: "), p.stderr)


def case_ingest_missing(tmp):
    missing = os.path.join(tmp, "no-such-file.pcap")
    p = run("ingest", missing, data_dir=tmp)
    expect(p.returncode == 1, f"exit {p.returncode}\n{p.stderr}")
    expect(re.search(r"not found|no such file", p.stderr, re.I), p.stderr)
    expect("no-such-file.pcap" in p.stderr, p.stderr)
    expect("ERROR_SERVE_" in p.stderr, p.stderr)


def write_pcap(path, n):
    """A pcap (µs, little-endian, Ethernet) with n records of 60 zero bytes."""
    b = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
    for k in range(n):
        b += struct.pack("<IIII", 1700000000 + k, 0, 60, 60) + bytes(60)
    with open(path, "wb") as f:
        f.write(b)


def case_relative_data_dir(tmp):
    """Issue 16 item 7: a relative --data-dir (./apc-data, as scripts/run and the README use)
    made every blank-path export fail with "outside the export roots"."""
    write_pcap(os.path.join(tmp, "t.pcap"), 3)

    def rel(*args):
        cmd = [APCCTL, "--data-dir", "./apc-data", "--json"] + list(args)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp)
        expect(p.returncode == 0, f"{cmd}: exit {p.returncode}\n{p.stdout}\n{p.stderr}")
        return json.loads(p.stdout.splitlines()[-1])["ReturnValue"]

    cap = rel("ingest", "t.pcap")
    expect(cap["State"] == "completed" and cap["Packets"] == 3, cap)
    data = os.path.realpath(os.path.join(tmp, "apc-data"))
    r = rel("capture_export", f"capture_id={cap['CaptureId']}", "wait=1")
    expect(r["State"] == "completed", f"blank-path export: {r}")
    expect(r["Result"].startswith(os.path.join(data, "exports") + "/"), r["Result"])
    expect(os.path.getsize(r["Result"]) > 0, r["Result"])
    info = rel("apppaccap")
    expect(info["DataDir"] == data, f"DataDir {info['DataDir']!r}, expected {data!r}")


def case_no_default_store(tmp):
    """Issue 12: no silent creation of ./apc-data. Without --data-dir or APC_DATA_DIR, apcctl
    run where no ./apc-data exists says how to name one and creates nothing; --data-dir
    creates the directory it names; once ./apc-data exists the default finds it."""
    env = dict(os.environ)
    env.pop("APC_DATA_DIR", None)
    p = subprocess.run([APCCTL, "capture_list_completed"], capture_output=True, text=True,
                       timeout=120, cwd=tmp, env=env)
    expect(p.returncode == 2, f"exit {p.returncode}, expected 2\n{p.stdout}\n{p.stderr}")
    expect("no data directory: ./apc-data does not exist here; give --data-dir DIR" in p.stderr,
           f"stderr: {p.stderr!r}")
    expect(not os.path.exists(os.path.join(tmp, "apc-data")), "./apc-data was created")
    p = subprocess.run([APCCTL, "help"], capture_output=True, text=True, timeout=120, cwd=tmp,
                       env=env)
    expect(p.returncode == 0, f"apcctl help needs no store: exit {p.returncode} {p.stderr}")
    p = subprocess.run([APCCTL, "-d", "./apc-data", "capture_list_completed"],
                       capture_output=True, text=True, timeout=120, cwd=tmp, env=env)
    expect(p.returncode == 0 and os.path.isdir(os.path.join(tmp, "apc-data")),
           f"--data-dir ./apc-data: exit {p.returncode} {p.stderr}")
    p = subprocess.run([APCCTL, "capture_list_completed"], capture_output=True, text=True,
                       timeout=120, cwd=tmp, env=env)
    expect(p.returncode == 0, f"the default once ./apc-data exists: exit {p.returncode} "
           f"{p.stderr}")


def case_docs_up_to_date(tmp):
    src = os.environ.get("APC_SOURCE_ROOT")
    if not src:
        raise Skip("APC_SOURCE_ROOT not set")
    committed = os.path.join(src, "docs", "actions")
    fresh = os.path.join(tmp, "actions")
    run("gen-docs", fresh, check_exit=0)
    a = sorted(f for f in os.listdir(committed) if f.endswith(".md"))
    b = sorted(os.listdir(fresh))
    problems = []
    for f in sorted(set(a) | set(b)):
        if f not in a:
            problems.append(f"docs/actions/{f} is missing")
        elif f not in b:
            problems.append(f"docs/actions/{f} is stale (no such action)")
        else:
            x = open(os.path.join(committed, f)).read().splitlines()
            y = open(os.path.join(fresh, f)).read().splitlines()
            if x != y:
                problems.append("".join(difflib.unified_diff(
                    x, y, f"docs/actions/{f}", "generated", lineterm="\n")))
    expect(not problems, "docs/actions/ is out of date; run: apcctl gen-docs docs/actions\n"
           + "\n".join(problems))


CASES = {
    "usage": case_usage,
    "help": case_help,
    "json": case_json,
    "ingest": case_ingest,
    "ingest-failed": case_ingest_failed,
    "ingest-missing": case_ingest_missing,
    "relative-data-dir": case_relative_data_dir,
    "no-default-store": case_no_default_store,
    "docs-up-to-date": case_docs_up_to_date,
}


def main():
    global APCCTL
    if len(sys.argv) != 3 or (sys.argv[2] not in CASES and sys.argv[2] != "all"):
        print(f"usage: {sys.argv[0]} APCCTL {{{'|'.join(CASES)}|all}}", file=sys.stderr)
        return 2
    APCCTL = os.path.abspath(sys.argv[1])
    names = list(CASES) if sys.argv[2] == "all" else [sys.argv[2]]
    failed = skipped = 0
    for name in names:
        tmp = tempfile.mkdtemp(prefix="apcctl-test-")
        try:
            CASES[name](tmp)
            print(f"ok {name}")
        except Skip as e:
            skipped += 1
            print(f"skip {name}: {e}")
        except AssertionError as e:
            failed += 1
            print(f"FAIL {name}: {e}")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if failed:
        return 1
    return SKIP if skipped == len(names) else 0


if __name__ == "__main__":
    sys.exit(main())

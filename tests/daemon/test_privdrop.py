#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""apcd --user (issue 16 item 12): started as root, apcd becomes an unprivileged user with only
the capabilities live capture uses, and still captures and attributes.

usage: test_privdrop.py APCD APCCTL privdrop

Checked: every uid is the user's; the capability sets are exactly the documented ones (no
CAP_DAC_OVERRIDE, CAP_SYS_ADMIN, CAP_SETUID..., nothing inheritable or ambient); the data
directory is the user's; a live capture on lo stores packets and ties them to this test's pid,
with the procfs backend (which needs CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE) and with eBPF
when it loads (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN); an export into a directory only root may
write is refused while one into the user's succeeds; SIGTERM exits 0. No timing assumed: the
capture is read until the condition holds, within generous limits.
"""
import os
import pwd
import socket
import sys
import tempfile
import time
import shutil

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_daemon as td  # noqa: E402  (reads the same argv: APCD APCCTL CASE)

check = td.check
USER = "nobody"
# Bit numbers of linux/capability.h.
CAPS = {"cap_chown": 0, "cap_dac_override": 1, "cap_dac_read_search": 2, "cap_setgid": 6,
        "cap_setuid": 7, "cap_net_bind_service": 10, "cap_net_admin": 12, "cap_net_raw": 13,
        "cap_sys_ptrace": 19, "cap_sys_admin": 21, "cap_perfmon": 38, "cap_bpf": 39}
KEPT = {"cap_net_raw", "cap_net_admin", "cap_bpf", "cap_perfmon", "cap_sys_ptrace",
        "cap_dac_read_search"}


def status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.split()
    return out


def capture_on_lo(d, tok, flags, port):
    """A system capture of UDP to `port` on lo while this process sends datagrams from one
    socket, until a packet tied to this pid is stored (up to 120 s). Returns (backend,
    packets read)."""
    st, r = d.call("capture_start_system", token=tok, adapter="lo",
                   filter="udp port %d" % port, flags=flags)
    check(r["ErrorCode"] == td.OK, "capture_start_system as %s: %r" % (USER, r))
    if r["ErrorCode"] != td.OK:
        return None, []
    cid = r["ReturnValue"]["CaptureId"]
    backend = r["ReturnValue"].get("AttributionBackend")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    deadline = time.monotonic() + 120
    mine = False
    while time.monotonic() < deadline and not mine:
        for _ in range(5):
            s.sendto(b"privdrop", ("127.0.0.1", port))
        time.sleep(0.1)
        st, r = d.call("capture_stream", token=tok, capture_id=cid, count=1000)
        pk = r["ReturnValue"]["Packets"] if r["ErrorCode"] == td.OK else []
        mine = any(p["Pid"] == os.getpid() for p in pk)
    st, r = d.call("capture_stop_system", token=tok, capture_id=cid)
    check(r["ErrorCode"] == td.OK, "capture_stop_system: %r" % r)
    s.close()
    st, r = d.call("capture_read", token=tok, capture_id=cid, count=1000)
    return backend, r["ReturnValue"]["Packets"] if r["ErrorCode"] == td.OK else []


def main():
    if os.geteuid() != 0:
        print("SKIP: apcd --user needs a test run as root")
        return 77
    try:
        uid = pwd.getpwnam(USER).pw_uid
    except KeyError:
        print("SKIP: no user %r here" % USER)
        return 77
    tmp = tempfile.mkdtemp(prefix="apcd-privdrop-")
    os.chmod(tmp, 0o755)
    mine, roots = os.path.join(tmp, "mine"), os.path.join(tmp, "rootonly")
    os.makedirs(mine)
    os.chown(mine, uid, -1)
    os.makedirs(roots, 0o755)  # root's, not writable by others
    d = td.Daemon(user=USER, extra=["--export-roots", "%s:%s" % (mine, roots)])
    try:
        st = status(d.proc.pid)
        check(st["Uid"] == [str(uid)] * 4, "every uid is %s's: %r" % (USER, st["Uid"]))
        eff = int(st["CapEff"][0], 16)
        want = sum(1 << CAPS[c] for c in KEPT)
        check(eff == want, "CapEff %x is the documented set %x" % (eff, want))
        check(int(st["CapPrm"][0], 16) == want, "CapPrm is the documented set")
        check(int(st["CapInh"][0], 16) == 0 and int(st["CapAmb"][0], 16) == 0,
              "nothing inheritable or ambient")
        for c in ("cap_dac_override", "cap_sys_admin", "cap_setuid", "cap_setgid", "cap_chown"):
            check(not eff & (1 << CAPS[c]), "%s dropped" % c)
        for dirpath, dirs, files in os.walk(d.data):
            for n in dirs + files:
                p = os.path.join(dirpath, n)
                check(os.lstat(p).st_uid == uid, "%s is %s's" % (p, USER))

        tok = d.login()
        port = td.free_port()
        backend, pk = capture_on_lo(d, tok, 0x200, port)
        ours = sum(p["Pid"] == os.getpid() for p in pk)
        wrong = sum(p["Pid"] not in (0, os.getpid()) for p in pk)
        print("procfs backend (%s) as %s: %d packets, %d tied to this pid, %d to another"
              % (backend, USER, len(pk), ours, wrong))
        check(backend == "procfs", "the procfs backend was asked for: %r" % backend)
        check(ours > 0, "the procfs backend ties packets to their process as %s" % USER)
        check(wrong == 0, "no packet tied to another process")
        backend, pk = capture_on_lo(d, tok, 0, port)
        ours = sum(p["Pid"] == os.getpid() for p in pk)
        print("default backend (%s) as %s: %d packets, %d tied to this pid"
              % (backend, USER, len(pk), ours))
        check(ours > 0, "the default backend ties packets to their process as %s" % USER)
        if backend == "ebpf":
            check(ours == len(pk), "eBPF ties every packet: %d of %d" % (ours, len(pk)))

        st, r = d.call("pcap_ingest_file", token=tok, path=td.PCAP, wait=1)
        check(r["ErrorCode"] == td.OK, "ingest as %s: %r" % (USER, r))
        cid = r["ReturnValue"]
        st, r = d.call("capture_export", token=tok, capture_id=cid,
                       path=os.path.join(mine, "ok.pcapng"), wait=1)
        check(r["ErrorCode"] == td.OK and os.path.isfile(os.path.join(mine, "ok.pcapng")),
              "export into the user's directory: %r" % r)
        st, r = d.call("capture_export", token=tok, capture_id=cid,
                       path=os.path.join(roots, "no.pcapng"), wait=1)
        print("export into root's directory:", r)
        check(not os.path.exists(os.path.join(roots, "no.pcapng")),
              "no file written into a directory only root may write")
        check(r["ErrorCode"] != td.OK or r["ReturnValue"].get("State") != "completed",
              "the export into root's directory did not succeed: %r" % r)
    finally:
        rc = d.stop()
        check(rc == 0, "apcd (as %s) exits 0 on SIGTERM: %d" % (USER, rc))
        shutil.rmtree(tmp, ignore_errors=True)
    if td.failures:
        print("%d failure(s)" % len(td.failures), file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())

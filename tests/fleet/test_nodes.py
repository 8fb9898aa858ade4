#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Three apcd nodes on one PostgreSQL (issue 14): node names and URLs, lists and statistics
across the fleet, one node's captures (`node` parameter), another node's packets read through
this node (the shared secret), a node stopped and started again.

usage: pg_server.sh test_nodes.py APCD   (pg_server.sh sets APC_PG_URL; without it: skipped)

Each node has its own data directory and loopback port and ingests a different capture: corpus
files when the corpus is beside the checkout, else captures the build generated
(tests/captures/). Waits are on conditions with generous limits.
"""
import decimal
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

APCD = sys.argv[1]
PG_URL = os.environ.get("APC_PG_URL", "")
CAPS = os.environ.get("APC_TEST_CAPTURES", "")
CORPUS = os.environ.get("APC_CORPUS", "")
GENERATED = [os.path.join(CAPS, f) for f in ("web.pcap", "ftp.pcap", "smb2.pcap")]
FROM_CORPUS = [os.path.join(CORPUS, "tcpdump", f) for f in
               ("pim-packet-assortment.pcap", "dns_tcp.pcap", "icmpv6.pcap")]
FILES = FROM_CORPUS if CORPUS and all(map(os.path.isfile, FROM_CORPUS)) else GENERATED
LIMIT_S = 60
SECRET = "s3cret-of-the-test-fleet-0123456789"

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def wait_for(cond, what):
    end = time.monotonic() + LIMIT_S
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    raise RuntimeError("gave up after %d s waiting for %s" % (LIMIT_S, what))


def listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


class Node:
    def __init__(self, root, name, secret_file):
        self.name, self.data = name, os.path.join(root, name)
        self.secret_file = secret_file
        with socket.socket() as s:  # a free loopback port
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.log = os.path.join(root, name + ".log")
        self.proc = None
        self.token = None
        self.extra = []  # more flags of apcd (test_mtls.py: the node port's)

    def start(self):
        args = [APCD, "--data-dir", self.data, "--address", "127.0.0.1", "--port",
                str(self.port), "--log-level", "warn", "--ingest-roots", "/", "--store", PG_URL,
                "--node-name", self.name, "--node-url", self.url,
                "--node-secret-file", self.secret_file] + self.extra
        with open(self.log, "a") as out:
            self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
        wait_for(lambda: listening(self.port) or self.proc.poll() is not None,
                 self.name + " to listen")
        if self.proc.poll() is not None:
            raise RuntimeError("%s exited: %s" % (self.name, open(self.log).read()))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(LIMIT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.token = None

    def call(self, action, headers=None, **params):
        if self.token:
            params["token"] = self.token
        params["action"] = action
        h = {"Host": "127.0.0.1:%d" % self.port,
             "Content-Type": "application/x-www-form-urlencoded"}
        h.update(headers or {})
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        c.request("POST", "/ajax", body=urllib.parse.urlencode(params).encode(), headers=h)
        r = json.loads(c.getresponse().read())
        c.close()
        return r

    def ok(self, action, **params):
        r = self.call(action, **params)
        if r.get("ErrorCode") != 0:
            raise RuntimeError("%s on %s: %s" % (action, self.name, r))
        return r["ReturnValue"]

    def login(self, password):
        self.token = None
        self.token = self.ok("login", username="admin", password=password)


def main():
    if not PG_URL:
        print("SKIP: APC_PG_URL is not set: run through tests/fleet/pg_server.sh (PostgreSQL "
              "15 binaries missing?)", file=sys.stderr)
        return 77
    for f in FILES:
        if not os.path.isfile(f):
            print("SKIP: capture %s missing (build tests/captures first)" % f, file=sys.stderr)
            return 77
    root = tempfile.mkdtemp(prefix="apc-fleet-")
    secret = os.path.join(root, "node-secret")
    with open(os.open(secret, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write(SECRET + "\n")
    nodes = [Node(root, n, secret) for n in ("nodeA", "nodeB", "nodeC")]
    ok = False
    try:
        rc = run(nodes)
        ok = True
        return rc
    finally:
        for n in nodes:
            n.stop()
        if failures or not ok:  # a check failed, or a call raised (a node died?)
            for n in nodes:
                if os.path.isfile(n.log):
                    print("--- %s log:\n%s" % (n.name, open(n.log).read()), file=sys.stderr)
        shutil.rmtree(root, ignore_errors=True)


def check_node_stats(a, nodes, ids, caps, totals):
    """Statistics of one node (node=, ours): each node's since-reset counts are those of its one
    capture, they add up to the fleet's, and an address's counts over the nodes add up too."""
    for n in nodes:
        t = a.ok("stats_totals", node=n.name)
        cap = next(x for x in caps if x["CaptureId"] == ids[n.name])
        check(t["Packets"] == cap["Packets"] and t["Bytes"] == cap["Bytes"] and
              t["Captures"] == 1, "stats_totals node=%s: %s, its capture %s" %
              (n.name, {k: t[k] for k in ("Packets", "Bytes", "Captures")}, cap["Packets"]))
        one = a.ok("stats_by_id", capture_id=ids[n.name])
        mine = a.ok("stats_by_id", capture_id=0, node=n.name)
        check(mine["Packets"] == one["Packets"] and mine["TopIps"] == one["TopIps"] and
              mine["TopPorts"] == one["TopPorts"],
              "stats_by_id capture 0 node=%s is its capture's" % n.name)
    r = a.call("stats_totals", node="nodeZ")
    check(r["ErrorCode"] != 0 and "nodeZ" in str(r), "node=nodeZ: %s" % r)
    # A capture asked for with another node's name is not found; with its own, as without.
    r = a.call("stats_by_id", capture_id=ids["nodeC"], node="nodeA")
    check(r["ErrorCode"] != 0 and "not a capture of node 'nodeA'" in str(r),
          "C's capture with node=nodeA: %s" % str(r)[:200])
    check(a.ok("stats_by_id", capture_id=ids["nodeC"], node="nodeC") ==
          a.ok("stats_by_id", capture_id=ids["nodeC"]), "C's capture with node=nodeC")
    # The busiest address of B's file, over every node and per node.
    ip = a.ok("stats_by_id", capture_id=ids["nodeB"])["TopIps"][0]["Value"]
    whole = a.ok("stats_by_ip", capture_id=0, ip=ip)
    per = [a.ok("stats_by_ip", capture_id=0, ip=ip, node=n.name) for n in nodes]
    check(whole["Packets"] == sum(x["Packets"] for x in per) and
          whole["Bytes"] == sum(x["Bytes"] for x in per),
          "stats_by_ip %s: %d packets, per node %s" % (ip, whole["Packets"],
                                                       [x["Packets"] for x in per]))
    b = a.ok("stats_by_ip", capture_id=ids["nodeB"], ip=ip)
    check(per[1]["Packets"] == b["Packets"] and per[1]["TopIps"] == b["TopIps"],
          "stats_by_ip %s node=nodeB is its capture's" % ip)
    check(sum(a.ok("stats_totals", node=n.name)["Packets"] for n in nodes) ==
          totals["Packets"], "the nodes' totals add up to the fleet's")


def export(n, **params):
    """capture_export on node n, waited for: the COMMAND and the file's bytes (or None)."""
    cmd = n.ok("capture_export", wait=1, **params)
    data = None
    if cmd["State"] == "completed":
        with open(cmd["Result"], "rb") as f:
            data = f.read()
    return cmd, data


def tshark_packets(path):
    """(time, length, captured length) of each packet as tshark reads the file, or None
    without tshark."""
    if not shutil.which("tshark"):
        return None
    out = subprocess.run(["tshark", "-n", "-r", path, "-T", "fields", "-e", "frame.time_epoch",
                          "-e", "frame.len", "-e", "frame.cap_len"],
                         capture_output=True, text=True, timeout=300, check=True).stdout
    rows = [line.split("\t") for line in out.splitlines()]
    return [(decimal.Decimal(t), int(n), int(k)) for t, n, k in rows]


def check_exports(a, c, cid, caps, original):
    """An export on A of C's capture is C's own export of it, byte for byte (C writes it and
    streams it to A, which checks every block): whole, and with a filter that needs the
    packets' bytes, which C runs."""
    total = next(x["Packets"] for x in caps if x["CaptureId"] == cid)
    mine, want = export(c, capture_id=cid)
    theirs, got = export(a, capture_id=cid)
    check(mine["State"] == "completed" and want, "C's own export: %s" % mine)
    check(theirs["State"] == "completed" and theirs["Packets"] == total,
          "A's export of C's capture: %s (%d packets)" % (theirs, total))
    check(got is not None and got == want,
          "A's export of C's capture is C's byte for byte (%s vs %s bytes)" %
          (len(got or b""), len(want or b"")))
    ts = tshark_packets(theirs["Result"]) if got else None
    if ts is not None:  # the packets of the file C ingested: times, lengths
        check(len(ts) == total and ts == tshark_packets(original),
              "tshark reads %d packets of A's export, those of %s" % (len(ts), original))
    # A filter that needs the packets' bytes (C scans them) and selects some packets only.
    flt = "frame.len > 100 && !(frame contains 7a:7a:7a:71)"
    mine, want = export(c, capture_id=cid, filter=flt)
    theirs, got = export(a, capture_id=cid, filter=flt)
    check(theirs["State"] == "completed" and theirs["Packets"] == mine["Packets"] and
          0 < mine["Packets"] < total and got == want,
          "filtered export: A %s, C %s of %d packets" % (theirs.get("Packets"), mine.get("Packets"),
                                                         total))
    if shutil.which("tshark"):
        out = subprocess.run(["tshark", "-n", "-r", original, "-Y", flt], capture_output=True,
                             text=True, timeout=300, check=True).stdout
        check(theirs["Packets"] == len(out.splitlines()),
              "filtered export: %s packets, tshark -Y %d" % (theirs["Packets"],
                                                            len(out.splitlines())))
    # The node secret exports only this node's capture into the default folder.
    node_hdr = {"X-Apc-Token": "node:" + SECRET}
    saved, c.token = c.token, None
    r = c.call("capture_export", headers=node_hdr, capture_id=cid, path="/tmp/x.pcapng")
    check(r["ErrorCode"] == 8 and "default folder" in str(r), "node export to a path: %s" % r)
    r = c.call("capture_export", headers=node_hdr, capture_id=cid, overwrite=1)
    check(r["ErrorCode"] == 8, "node export with overwrite: %s" % r)
    other = next(x["CaptureId"] for x in caps if x["Node"] == "nodeA")
    r = c.call("capture_export", headers=node_hdr, capture_id=other)
    check(r["ErrorCode"] != 0 and "nodeA" in str(r), "C exporting A's capture for a node: %s" % r)
    c.token = saved


SCAN_FILTER = "frame contains 00:00 && frame.len > 60"


def tshark_count(path, flt):
    """How many packets of the file tshark's display filter selects, or None without tshark."""
    if not shutil.which("tshark"):
        return None
    out = subprocess.run(["tshark", "-n", "-r", path, "-Y", flt], capture_output=True,
                         text=True, timeout=300, check=True).stdout
    return len(out.splitlines())


def read_search(n, sid):
    """Every PACKET of search sid on node n, by pages of 7."""
    out, last = [], 0
    while True:
        pg = n.ok("search_read", search_id=sid, last_id=last, count=7)
        out += pg["Packets"]
        if not pg["More"] or pg["LastId"] == last:
            return out
        last = pg["LastId"]


def check_scans(a, nodes, ids):
    """search_scan, a search's byte scan of one capture: asked of A for each node's capture, it
    is that node's own answer (A asks it of the node), and it counts what tshark -Y counts."""
    for n, f in zip(nodes, FILES):
        cid = ids[n.name]
        mine = n.ok("search_scan", capture_id=cid, filter=SCAN_FILTER)
        via_a = a.ok("search_scan", capture_id=cid, filter=SCAN_FILTER)
        check(via_a == mine, "A's scan of %s's capture: %s, its own %s" %
              (n.name, str(via_a)[:200], str(mine)[:200]))
        want = tshark_count(f, SCAN_FILTER)
        check(want is None or len(mine["PacketIds"]) == want,
              "scan of %s: %d matches, tshark -Y %s" % (f, len(mine["PacketIds"]), want))
    # A search over every capture from A covers every node's (each scans its own captures):
    # its matches are the scans' in capture order, read back with each node's packet fields.
    meta = a.ok("search_start", filter=SCAN_FILTER, wait=1)
    want = sum(len(n.ok("search_scan", capture_id=ids[n.name], filter=SCAN_FILTER)["PacketIds"])
               for n in nodes)
    counts = [tshark_count(f, SCAN_FILTER) for f in FILES]
    check(meta["State"] == "completed" and meta["Matches"] == want and
          (None in counts or want == sum(counts)),
          "A's search over the fleet: %s, scans %d, tshark -Y %s" % (meta, want, counts))
    print("search from A over 3 nodes: %d matches (tshark -Y %s)" % (meta["Matches"], counts))
    got = read_search(a, meta["SearchId"])
    order = [(p["CaptureId"], p["PacketId"]) for p in got]
    check(order == sorted(order) and len(got) == want, "A's search_read order: %s" % order[:8])
    theirs = nodes[2].ok("search_start", filter=SCAN_FILTER, wait=1)
    check(read_search(nodes[2], theirs["SearchId"]) == got,
          "A's search_read packets are what C reads of its own search")
    # Its export holds every node's matched packets: A's file is C's export of C's own search
    # but for the section header (it names the search), and tshark reads them alike.
    files = []
    for n, sid in ((a, meta["SearchId"]), (nodes[2], theirs["SearchId"])):
        cmd = n.ok("search_export", search_id=sid, wait=1)
        check(cmd["State"] == "completed" and cmd["Packets"] == want,
              "search_export on %s: %s (%d matches)" % (n.name, cmd, want))
        files.append(cmd["Result"] if cmd["State"] == "completed" else None)
    if all(files):
        body = []
        for f in files:
            data = open(f, "rb").read()
            body.append(data[int.from_bytes(data[4:8], sys.byteorder):])
        check(body[0] == body[1], "A's search export differs from C's past the section header")
        ta = tshark_packets(files[0])
        check(ta is None or (len(ta) == want and ta == tshark_packets(files[1])),
              "tshark reads A's search export as C's")
    # A search with time bounds holds fewer of C's packets than its filter matches there: C
    # exports exactly those (the filter and the bounds), so A's export equals C's export of
    # the same bounded search past the section header.
    cid = ids["nodeC"]
    matched = set(nodes[2].ok("search_scan", capture_id=cid, filter=SCAN_FILTER)["PacketIds"])
    times = [p["Time"] for p in nodes[2].ok("capture_read", capture_id=cid, count=1000)["Packets"]
             if p["PacketId"] in matched]
    if len(set(times)) > 2:
        lo, hi = sorted(set(times))[1], max(times)
        bodies = []
        for n in (a, nodes[2]):
            bounded = n.ok("search_start", filter=SCAN_FILTER, capture_id=cid, start_dtg=lo,
                           end_dtg=hi, wait=1)
            want_n = sum(1 for t in times if lo <= t <= hi)
            cmd = n.ok("search_export", search_id=bounded["SearchId"], wait=1)
            check(bounded["Matches"] == want_n and 0 < want_n < len(matched) and
                  cmd["State"] == "completed" and cmd["Packets"] == want_n,
                  "export on %s of a bounded search of C's capture: %s, %s (%d of %d matches "
                  "in the bounds)" % (n.name, bounded, cmd, want_n, len(matched)))
            if cmd["State"] == "completed":
                data = open(cmd["Result"], "rb").read()
                bodies.append(data[int.from_bytes(data[4:8], sys.byteorder):])
        check(len(bodies) == 2 and bodies[0] == bodies[1],
              "A's export of a bounded search differs from C's past the section header")
        print("a bounded search of C's capture: %d of %d matches, exported from A as C does" %
              (sum(1 for t in times if lo <= t <= hi), len(matched)))
    else:
        print("SKIP-PART: C's matches have fewer than 3 distinct times: no bounded export check")
    # The node secret scans this node's captures only.
    node_hdr = {"X-Apc-Token": "node:" + SECRET}
    c = nodes[2]
    saved, c.token = c.token, None
    r = c.call("search_scan", headers=node_hdr, capture_id=ids["nodeC"], filter=SCAN_FILTER)
    check(r["ErrorCode"] == 0, "C scans its capture for a node: %s" % str(r)[:200])
    r = c.call("search_scan", headers=node_hdr, capture_id=ids["nodeA"], filter=SCAN_FILTER)
    check(r["ErrorCode"] != 0 and "nodeA" in str(r), "C scanned A's capture for a node: %s" % r)
    c.token = saved


def check_export_down(a, c, cid):
    """C stopped: A's export of its capture fails naming C and its URL, and leaves no file."""
    before = len(a.ok("export_list"))
    cmd, _ = export(a, capture_id=cid)
    check(cmd["State"] == "failed" and "nodeC" in cmd["Error"] and c.url in cmd["Error"],
          "A's export of C's capture with C down: %s" % cmd)
    print("A exporting C's capture with C down:", cmd["Error"][:300])
    check(len(a.ok("export_list")) == before, "a failed export left a file on A")
    # C's port taken by a listener that answers nothing (as C does while it writes a large
    # export): cancelling A's export ends its wait at once, and leaves no file either.
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", c.port))
        s.listen(8)
        s.settimeout(LIMIT_S)
        uid = a.ok("capture_export", capture_id=cid)["CommandUid"]
        conn, _ = s.accept()  # A is connected and waits for the reply
        t0 = time.monotonic()
        a.ok("command_delete", command_uid=uid)  # cancels, waits for the end, forgets it
        took = time.monotonic() - t0
        check(took < 30, "cancelling A's export waiting on a silent node took %.1f s" % took)
        print("A's export waiting on a silent node cancelled in %.2f s" % took)
        conn.close()
        # A search over the fleet waits for the silent node too (it asks every other node at
        # once); cancelling it ends the wait.
        sid = a.ok("search_start", filter=SCAN_FILTER)["SearchId"]
        conn, _ = s.accept()
        t0 = time.monotonic()
        a.ok("search_cancel", search_id=sid)
        wait_for(lambda: a.ok("search_open", search_id=sid)["State"] == "cancelled",
                 "the search waiting on a silent node to be cancelled")
        took = time.monotonic() - t0
        check(took < 30, "cancelling A's search waiting on a silent node took %.1f s" % took)
        print("A's search waiting on a silent node cancelled in %.2f s" % took)
        conn.close()
    check(len(a.ok("export_list")) == before, "a cancelled export left a file on A")


def run(nodes):
    a, b, c = nodes
    # The first node makes the fleet's admin account (accounts are shared), then the others.
    a.start()
    password = open(os.path.join(a.data, "initial-admin-password")).read().strip()
    b.start()
    c.start()
    ids = {}
    for n, f in zip(nodes, FILES):
        n.login(password)
        cid = n.ok("pcap_ingest_file", path=f, wait=1)
        cap = n.ok("capture_get_details", capture_id=cid)
        check(cap["State"] == "completed", "%s: ingest of %s: %s" % (n.name, f, cap))
        check(cap["Node"] == n.name, "%s: capture %d says Node %r" % (n.name, cid, cap["Node"]))
        ids[n.name] = cid
    check(len(set(ids.values())) == 3, "capture ids unique across the fleet: %s" % ids)

    # From node A: every node's capture, each saying its node.
    caps = a.ok("capture_list_completed")
    got = {x["CaptureId"]: x["Node"] for x in caps}
    check(got == {v: k for k, v in ids.items()}, "A lists %s, want %s" % (got, ids))
    only_c = a.ok("capture_list_completed", node="nodeC")
    check([x["CaptureId"] for x in only_c] == [ids["nodeC"]], "node=nodeC lists %s" % only_c)
    check(a.ok("capture_list_completed", node="nodeZ") == [], "an unknown node lists nothing")
    # Statistics totals cover every node: the sum of the captures' counts.
    totals = a.ok("stats_totals")
    check(totals["Packets"] == sum(x["Packets"] for x in caps),
          "stats Packets %d != sum %d" % (totals["Packets"], sum(x["Packets"] for x in caps)))
    check(totals["Bytes"] == sum(x["Bytes"] for x in caps), "stats Bytes != the sum")
    check(totals["Captures"] == 3, "stats Captures %d" % totals["Captures"])
    check_node_stats(a, nodes, ids, caps, totals)
    # Node C's own view is the same list.
    check([x["CaptureId"] for x in c.ok("capture_list_completed")] == sorted(ids.values()),
          "C lists the same captures")

    # Packets of C's capture read through A (A asks C with the fleet's secret) are what C
    # answers itself, byte for byte: a page, one packet, one connection's stream.
    cid = ids["nodeC"]
    page = c.ok("capture_read", capture_id=cid, flags=1)
    check(len(page["Packets"]) > 0 and "Data" in page["Packets"][0], "C reads its packets")
    check(a.ok("capture_read", capture_id=cid, flags=1) == page, "A's page of C's capture")
    check(a.ok("capture_read", capture_id=cid, flags=1, last_id=2, count=3) ==
          c.ok("capture_read", capture_id=cid, flags=1, last_id=2, count=3), "A's 2nd page")
    check(a.ok("capture_get_packet", capture_id=cid, packet_id=1) ==
          c.ok("capture_get_packet", capture_id=cid, packet_id=1), "A's packet 1 of C's")
    conns = c.ok("capture_list_conns", capture_id=cid)
    if conns:
        conn = conns[0]["ConnId"]
        check(a.ok("capture_conn_stream", capture_id=cid, conn_id=conn, flags=1) ==
              c.ok("capture_conn_stream", capture_id=cid, conn_id=conn, flags=1),
              "A's stream of C's connection %d" % conn)
    check_exports(a, c, cid, caps, FILES[2])
    check_scans(a, nodes, ids)
    # The node credential: refused without the secret or with a wrong one.
    saved, c.token = c.token, None
    for tok in ("node:", "node:wrong-secret-of-the-same-len", "node:" + SECRET + "x"):
        r = c.call("capture_read", headers={"X-Apc-Token": tok}, capture_id=cid, flags=1)
        check(r["ErrorCode"] != 0, "C served packets to token %r: %s" % (tok, str(r)[:200]))
    r = c.call("capture_read", headers={"X-Apc-Token": "node:" + SECRET}, capture_id=cid,
               flags=1)
    check(r.get("ReturnValue") == page, "C serves the page to the fleet's secret")
    # The secret grants the node-to-node actions only: no other read, no admin action.
    node_hdr = {"X-Apc-Token": "node:" + SECRET}
    for action, params in (("capture_list_completed", {}), ("settings_get_all", {}),
                           ("capture_get_details", {"capture_id": cid}),
                           ("settings_set", {"key": "node_probe", "value": "1"}),
                           ("settings_clear", {})):
        r = c.call(action, headers=node_hdr, **params)
        check(r["ErrorCode"] == 8 and "node" in str(r),  # ERROR_SERVE_INVALID_PERMISSIONS
              "the node secret ran %s: %s" % (action, str(r)[:200]))
    c.token = saved
    check("node_probe" not in json.dumps(c.ok("settings_get_all")),
          "settings_set ran with the node secret")

    # Node C stopped: metadata still answers from A; C back: it answers again.
    c.stop()
    check(len(a.ok("capture_list_completed")) == 3, "A lists 3 captures with C down")
    check(a.ok("capture_get_details", capture_id=ids["nodeC"])["Node"] == "nodeC",
          "C's capture details with C down")
    r = a.call("capture_read", capture_id=cid, flags=1)
    check(r["ErrorCode"] != 0 and "nodeC" in str(r) and c.url in str(r),
          "A reading C's packets with C down: %s" % r)
    print("A reading C's packets with C down:", json.dumps(r)[:300])
    check_export_down(a, c, cid)
    r = a.call("search_scan", capture_id=cid, filter=SCAN_FILTER)
    check(r["ErrorCode"] != 0 and "nodeC" in str(r) and c.url in str(r),
          "A's scan of C's capture with C down: %s" % r)
    meta = a.ok("search_start", filter=SCAN_FILTER, wait=1)
    check(meta["State"] == "failed" and "nodeC" in meta["Error"] and c.url in meta["Error"],
          "A's search over the fleet with C down: %s" % meta)
    print("A's search with C down:", meta["Error"][:300])
    c.start()
    c.login(password)
    check(len(c.ok("capture_list_completed")) == 3, "C lists 3 captures after its restart")
    cap = c.ok("capture_get_details", capture_id=ids["nodeC"])
    check(cap["State"] == "completed" and cap["Node"] == "nodeC",
          "C's capture after restart: %s" % cap)
    check(c.ok("capture_read", capture_id=ids["nodeC"], flags=1) == page,
          "C reads the same packets after its restart")
    check(a.ok("capture_read", capture_id=cid, flags=1) == page,
          "A reads C's packets again after C's restart")
    check(export(a, capture_id=cid)[0]["State"] == "completed", "A exports C's capture again")
    print("fleet of 3 nodes: captures %s, %d packets in all" % (ids, totals["Packets"]))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

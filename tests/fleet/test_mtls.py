#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Mutual TLS between the nodes of a fleet (issue 14, docs/fleet.md "Mutual TLS"): two apcd
nodes on one PostgreSQL, each with a node port that asks for a certificate of the fleet's CA.

- A reads C's packets (a page, an export) over C's node port: what C answers itself.
- C's node port refuses a client without a certificate, with one of another CA, with an
  expired one (each said in C's log), and serves one of the fleet's CA with the secret.
- The fleet's secret on C's browser port is refused, naming the node port; a browser login
  there still works.
- A third node whose certificate is of another CA cannot read C's packets: its error names C.
- apcd refuses to start with half the settings, an http node URL, an unreadable file or a
  file that is not PEM, each naming the setting or the file.

usage: pg_server.sh test_mtls.py APCD   (pg_server.sh sets APC_PG_URL; without it: skipped)
"""
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import urllib.parse

import test_nodes as tn

APCD = tn.APCD
check = tn.check


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=120)


def make_pki(d):
    """A fleet CA, node certificates for 127.0.0.1 (server and client use), one expired, and a
    rogue CA with a certificate of its own. Returns {name: (cert, key)}, the CAs as (ca, None)."""
    ext = os.path.join(d, "node.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n")
    out = {}
    for ca in ("fleet-ca", "rogue-ca"):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", os.path.join(d, ca + ".key"), "-out",
                os.path.join(d, ca + ".pem"), "-days", "30", "-subj", "/CN=" + ca)
        out[ca] = (os.path.join(d, ca + ".pem"), os.path.join(d, ca + ".key"))
    for name, ca, days in (("nodeA", "fleet-ca", "30"), ("nodeC", "fleet-ca", "30"),
                           ("expired", "fleet-ca", "-1"), ("nodeR", "rogue-ca", "30")):
        key, csr, pem = (os.path.join(d, name + x) for x in (".key", ".csr", ".pem"))
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key, "-out", csr, "-subj", "/CN=" + name)
        openssl("x509", "-req", "-in", csr, "-CA", out[ca][0], "-CAkey", out[ca][1],
                "-days", days, "-extfile", ext, "-out", pem)
        out[name] = (pem, key)
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TlsNode(tn.Node):
    """A fleet node with a node port; its URL is that port's, over https."""

    def __init__(self, root, name, secret_file, ca, cert, key):
        super().__init__(root, name, secret_file)
        self.node_port = free_port()
        self.url = "https://127.0.0.1:%d" % self.node_port
        self.extra = ["--node-port", str(self.node_port), "--node-tls-ca", ca,
                      "--node-tls-cert", cert, "--node-tls-key", key]


def node_port_call(node, ca, cert, key, action, headers=None, **params):
    """POST /ajax to node's node port, presenting (cert, key) or no certificate: the reply as a
    dict, or None when the TLS layer refused the connection."""
    ctx = ssl.create_default_context(cafile=ca)
    if cert:
        ctx.load_cert_chain(cert, key)
    params["action"] = action
    h = {"Host": "127.0.0.1:%d" % node.node_port,
         "Content-Type": "application/x-www-form-urlencoded"}
    h.update(headers or {})
    try:
        c = http.client.HTTPSConnection("127.0.0.1", node.node_port, timeout=60, context=ctx)
        c.request("POST", "/ajax", body=urllib.parse.urlencode(params).encode(), headers=h)
        body = c.getresponse().read()
        c.close()
    except (OSError, http.client.HTTPException) as e:  # ssl.SSLError is an OSError
        print("  refused by TLS:", str(e)[:160])
        return None
    return json.loads(body)


def start_fails(args, root, want_rc, *words):
    """apcd with `args` exits with want_rc and says each of words."""
    log = os.path.join(root, "bad-start.log")
    with open(log, "w") as out:
        p = subprocess.run([APCD, "--data-dir", os.path.join(root, "bad-start"), "--address",
                            "127.0.0.1", "--port", str(free_port()), "--log-level", "warn",
                            *args], stdout=out, stderr=subprocess.STDOUT, timeout=120)
    said = open(log).read()
    check(p.returncode == want_rc and all(w in said for w in words),
          "apcd %s: exit %d (want %d), said %r (want %s)" % (" ".join(args[:4]), p.returncode,
                                                             want_rc, said[-300:], words))
    print("apcd %s...: exit %d: %s" % (" ".join(args[:2]), p.returncode,
                                       said.strip().splitlines()[-1][:200] if said else ""))


def check_start_errors(root, pki):
    ca, (cert, key) = pki["fleet-ca"][0], pki["nodeA"]
    port = str(free_port())
    start_fails(["--node-port", port], root, 2, "node_tls_ca", "node_tls_cert", "node_tls_key")
    full = ["--node-port", port, "--node-tls-ca", ca, "--node-tls-cert", cert,
            "--node-tls-key", key]
    start_fails(full + ["--node-url", "http://127.0.0.1:" + port], root, 2, "node_url",
                "https://HOST:" + port)
    start_fails(full + ["--port", port], root, 2, "node_port " + port, "must differ from port")
    missing = os.path.join(root, "no-such-ca.pem")
    start_fails(["--node-port", port, "--node-tls-ca", missing, "--node-tls-cert", cert,
                 "--node-tls-key", key], root, 1, "node_tls_ca", missing)
    garbage = os.path.join(root, "garbage.pem")
    with open(garbage, "w") as f:
        f.write("this is not a certificate\n")
    start_fails(["--node-port", port, "--node-tls-ca", garbage, "--node-tls-cert", cert,
                 "--node-tls-key", key], root, 1, "node_tls_ca " + garbage)
    start_fails(["--node-port", port, "--node-tls-ca", ca, "--node-tls-cert", cert,
                 "--node-tls-key", pki["nodeC"][1]], root, 1, "node_tls_key", "does not match")


def run(root, pki, secret):
    ca = pki["fleet-ca"][0]
    a = TlsNode(root, "nodeA", secret, ca, *pki["nodeA"])
    c = TlsNode(root, "nodeC", secret, ca, *pki["nodeC"])
    r_node = TlsNode(root, "nodeR", secret, ca, *pki["nodeR"])
    plain = tn.Node(root, "nodeP", secret)  # no mutual TLS: its URL is http
    nodes = [a, c, r_node, plain]
    try:
        a.start()
        password = open(os.path.join(a.data, "initial-admin-password")).read().strip()
        c.start()
        r_node.start()
        plain.start()
        ids = {}
        for n, f in ((a, tn.FILES[0]), (c, tn.FILES[2]), (plain, tn.FILES[1])):
            n.login(password)  # a browser login on the browser port works with mTLS on
            ids[n.name] = n.ok("pcap_ingest_file", path=f, wait=1)
        cid = ids["nodeC"]
        # A reads C's packets over C's node port: what C answers itself.
        page = c.ok("capture_read", capture_id=cid, flags=1)
        check(len(page["Packets"]) > 0, "C reads its packets")
        check(a.ok("capture_read", capture_id=cid, flags=1) == page,
              "A's page of C's capture over mutual TLS")
        mine, want = tn.export(c, capture_id=cid)
        theirs, got = tn.export(a, capture_id=cid)
        check(theirs["State"] == "completed" and got is not None and got == want,
              "A's export of C's capture over mutual TLS: %s" % theirs)
        print("A read C's capture over mutual TLS: %d packets on the first page, export of "
              "%d bytes" % (len(page["Packets"]), len(got or b"")))

        # C's node port, asked directly.
        node_hdr = {"X-Apc-Token": "node:" + tn.SECRET}
        r = node_port_call(c, ca, *pki["nodeA"], "capture_read", headers=node_hdr,
                           capture_id=cid, flags=1)
        check(r is not None and r.get("ReturnValue") == page,
              "C's node port serves a fleet certificate with the secret: %s" % str(r)[:200])
        r = node_port_call(c, ca, *pki["nodeA"], "capture_read",
                           headers={"X-Apc-Token": "node:wrong-secret-of-the-same-len"},
                           capture_id=cid, flags=1)
        check(r is not None and r["ErrorCode"] != 0,
              "a fleet certificate with a wrong secret: %s" % str(r)[:200])
        for what, cert in (("no certificate", (None, None)), ("another CA", pki["nodeR"]),
                           ("an expired certificate", pki["expired"])):
            r = node_port_call(c, ca, *cert, "capture_read", headers=node_hdr, capture_id=cid,
                               flags=1)
            check(r is None, "C's node port served a client with %s: %s" % (what, str(r)[:200]))
        log = open(c.log).read()
        check("refused the client certificate /CN=nodeR" in log,
              "C's log says the rogue certificate was refused")
        check("refused the client certificate /CN=expired: certificate has expired" in log,
              "C's log says the expired certificate was refused")
        # The secret on the browser port: refused, naming the node port.
        saved, c.token = c.token, None
        r = c.call("capture_read", headers=node_hdr, capture_id=cid, flags=1)
        c.token = saved
        check(r["ErrorCode"] == 2 and "node port" in str(r["ReturnValue"]),
              "the secret on C's browser port: %s" % str(r)[:200])
        print("the secret on the browser port:", str(r)[:200])
        # A node with another CA's certificate cannot read C's packets.
        r_node.login(password)
        r = r_node.call("capture_read", capture_id=cid, flags=1)
        check(r["ErrorCode"] != 0 and "nodeC" in str(r) and c.url in str(r) and
              "refuses this node's certificate" in str(r),
              "R (another CA) reading C's packets: %s" % str(r)[:300])
        # A node with mutual TLS does not send the secret to a node whose URL is http.
        r = a.call("capture_read", capture_id=ids["nodeP"], flags=1)
        check(r["ErrorCode"] != 0 and "nodeP" in str(r) and "is not https" in str(r),
              "A reading the packets of a node without TLS: %s" % str(r)[:300])
        print("A reading the packets of a node without TLS:", str(r)[:300])
        print("R (another CA) reading C's packets:", str(r)[:300])
        check(a.ok("capture_read", capture_id=cid, flags=1) == page, "A still reads C's page")
    finally:
        for n in nodes:
            n.stop()
        if tn.failures:
            for n in nodes:
                if os.path.isfile(n.log):
                    print("--- %s log:\n%s" % (n.name, open(n.log).read()), file=sys.stderr)


def main():
    if not tn.PG_URL:
        print("SKIP: APC_PG_URL is not set: run through tests/fleet/pg_server.sh (PostgreSQL "
              "15 binaries missing?)", file=sys.stderr)
        return 77
    if not shutil.which("openssl"):
        print("SKIP: no openssl command to make the test's certificates", file=sys.stderr)
        return 77
    for f in tn.FILES:
        if not os.path.isfile(f):
            print("SKIP: capture %s missing (build tests/captures first)" % f, file=sys.stderr)
            return 77
    root = tempfile.mkdtemp(prefix="apc-mtls-")
    try:
        pki = make_pki(root)
        secret = os.path.join(root, "node-secret")
        with open(os.open(secret, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(tn.SECRET + "\n")
        check_start_errors(root, pki)
        run(root, pki, secret)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if tn.failures else 0


if __name__ == "__main__":
    sys.exit(main())

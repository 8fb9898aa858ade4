# SPDX-License-Identifier: MIT
"""The same calls through both faces of the package: Context (libapc in this process) and
Client (a real apcd started from the build on a free port, over HTTP). Each check runs in both
modes, and the two modes must answer the same data for the same capture.

Needs APC_LIBRARY, APC_APCD and APC_TEST_CAPTURES (set by meson); no corpus."""
import datetime
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import apppaccap  # noqa: E402

APCD = os.environ.get("APC_APCD", "")
CAPTURES = os.environ.get("APC_TEST_CAPTURES", "")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Apcd:
    """apcd on 127.0.0.1 with a temporary data directory (as tests/daemon/test_daemon.py)."""

    def __init__(self, tls=False):
        self.dir = tempfile.mkdtemp(prefix="apc-py-apcd-")
        data = os.path.join(self.dir, "data")
        self.port = free_port()
        self.log = open(os.path.join(self.dir, "apcd.log"), "w+")
        # The captures the tests ingest are in the build tree: that folder is an ingest root
        # (apcd confines ingest to <data>/ingest by default, docs/security.md).
        args = [APCD, "--data-dir", data, "--address", "127.0.0.1", "--port", str(self.port),
                "--log-level", "warn", "--ingest-roots", CAPTURES]
        scheme = "http"
        if tls:
            # A self-signed certificate for 127.0.0.1, trusted by the client through cafile.
            self.cert, key = os.path.join(self.dir, "cert.pem"), os.path.join(self.dir, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                            "-days", "1", "-keyout", key, "-out", self.cert],
                           check=True, capture_output=True, timeout=120)
            conf = os.path.join(self.dir, "apcd.conf")
            with open(conf, "w") as f:
                f.write("tls_cert = %s\ntls_key = %s\n" % (self.cert, key))
            args += ["--config", conf]
            scheme = "https"
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        self.url = "%s://127.0.0.1:%d" % (scheme, self.port)
        pw_file = os.path.join(data, "initial-admin-password")
        # Wait for the condition (listening, password written), up to 60 s: no timing guess.
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise RuntimeError("apcd exited: " + self.log.read())
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                with open(pw_file) as f:
                    self.password = f.read().strip()
                if self.password:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("apcd did not listen within 60 s")
            time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class BothModes(unittest.TestCase):
    """Every test_* runs its body once with each client (self.each())."""

    @classmethod
    def setUpClass(cls):
        if not APCD or not os.access(APCD, os.X_OK):
            raise unittest.SkipTest("APC_APCD (%r) is not an executable apcd" % APCD)
        if not CAPTURES:
            raise unittest.SkipTest("APC_TEST_CAPTURES is not set")
        cls.apcd = Apcd()
        cls.local_dir = tempfile.mkdtemp(prefix="apc-py-local-")
        cls.local = apppaccap.Context(cls.local_dir)
        cls.remote = apppaccap.connect(cls.apcd.url, "admin", cls.apcd.password)
        cls.pcap = os.path.join(CAPTURES, "ptcpdump.pcapng")
        with open(os.path.join(CAPTURES, "manifest.json")) as f:
            cls.manifest = json.load(f)["ptcpdump.pcapng"]
        cls.cid = {}
        for name, c in cls.clients():
            cls.cid[name] = c.call("pcap_ingest_file", path=cls.pcap, wait=1)

    @classmethod
    def tearDownClass(cls):
        cls.remote.close()
        cls.local.close()
        cls.apcd.stop()
        shutil.rmtree(cls.local_dir, ignore_errors=True)

    @classmethod
    def clients(cls):
        return [("local", cls.local), ("http", cls.remote)]

    def test_same_base_class(self):
        for _, c in self.clients():
            self.assertIsInstance(c, apppaccap.BaseClient)

    def test_info(self):
        for name, c in self.clients():
            with self.subTest(mode=name):
                info = c.call("apppaccap")
                self.assertEqual(info["AppPacCap"], apppaccap.Context.version())

    def test_packets_page_to_the_end(self):
        seen = {}
        for name, c in self.clients():
            with self.subTest(mode=name):
                cap = c.call("capture_get_details", capture_id=self.cid[name])
                self.assertEqual(cap["State"], "completed")
                # count=4 over 19 packets: five pages, the last one short.
                pkts = list(c.packets(self.cid[name], count=4))
                self.assertEqual(len(pkts), self.manifest["packets"])
                self.assertEqual([p["PacketId"] for p in pkts], list(range(1, len(pkts) + 1)))
                for proc in self.manifest["processes"]:
                    self.assertEqual(len([p for p in pkts if p["Pid"] == proc["PID"]]),
                                     proc["Packets"])
                seen[name] = [(p["PacketId"], p["Pid"], p["Tid"], p["Time"], p["Summary"])
                              for p in pkts]
        self.assertEqual(seen["local"], seen["http"])

    def test_lists_page_to_the_end(self):
        seen = {}
        for name, c in self.clients():
            with self.subTest(mode=name):
                cid = self.cid[name]
                whole = c.call("capture_list_conns", capture_id=cid, count=1000)
                self.assertGreater(len(whole), 1)
                paged = list(c.connections(cid, count=1))
                self.assertEqual(paged, whole)
                procs = list(c.processes(cid, count=1))
                self.assertEqual(sorted(p["Pid"] for p in procs),
                                 sorted(p["PID"] for p in self.manifest["processes"]))
                ips = list(c.ips(cid, count=1))
                self.assertEqual(ips, c.call("capture_query_ip", capture_id=cid, count=1000))
                seen[name] = ([(x["ConnId"], x.get("Pid")) for x in paged],
                              [x["Address"] for x in ips])
        self.assertEqual(seen["local"], seen["http"])

    def test_datetime(self):
        for name, c in self.clients():
            with self.subTest(mode=name):
                pkt = next(iter(c.packets(self.cid[name])))
                dt = apppaccap.filetime_to_datetime(pkt["Time"])
                self.assertEqual(dt.tzinfo, datetime.timezone.utc)
                # Unix seconds = FILETIME / 10^7 - 11644473600 (docs/api.md).
                self.assertEqual(int(dt.timestamp()), pkt["Time"] // 10**7 - 11644473600)
                self.assertEqual(apppaccap.datetime_to_filetime(dt), pkt["Time"] // 10 * 10)
                cap = c.call("capture_get_details", capture_id=self.cid[name])
                self.assertLessEqual(apppaccap.filetime_to_datetime(cap["StartTime"]),
                                     datetime.datetime.now(datetime.timezone.utc))
        self.assertIsNone(apppaccap.filetime_to_datetime(0))

    def test_search_results(self):
        seen = {}
        for name, c in self.clients():
            with self.subTest(mode=name):
                cid = self.cid[name]
                pkts = list(c.packets(cid))
                # wait=0: the iterator itself waits while the search runs (More=1).
                sid = c.call("search_start", filter="", capture_id=cid, wait=0)["SearchId"]
                hits = list(c.search_results(sid, count=3))
                self.assertEqual(sorted(h["PacketId"] for h in hits),
                                 [p["PacketId"] for p in pkts])
                # A datetime parameter is sent as its FILETIME: after the last packet, no match.
                after = apppaccap.filetime_to_datetime(max(p["Time"] for p in pkts))
                after += datetime.timedelta(seconds=1)
                sid = c.call("search_start", filter="", capture_id=cid, start_dtg=after,
                             wait=1)["SearchId"]
                self.assertEqual(list(c.search_results(sid)), [])
                first = apppaccap.filetime_to_datetime(min(p["Time"] for p in pkts))
                sid = c.call("search_start", filter="", capture_id=cid, start_dtg=first,
                             wait=1)["SearchId"]
                seen[name] = sorted(h["PacketId"] for h in c.search_results(sid))
                self.assertEqual(len(seen[name]), len(pkts))
        self.assertEqual(seen["local"], seen["http"])

    def test_errors_are_the_same(self):
        for name, c in self.clients():
            with self.subTest(mode=name):
                with self.assertRaises(apppaccap.ApcError) as e:
                    c.call("capture_get_details", capture_id=424242)
                self.assertEqual(e.exception.name, "ERROR_SERVE_NOT_FOUND")
                with self.assertRaises(apppaccap.ApcError) as e:
                    c.call("capture_get_details", capture_id="abc")
                self.assertEqual(e.exception.code, 4)
                self.assertIn("capture_id", str(e.exception))
                with self.assertRaises(apppaccap.ApcError) as e:
                    c.call("no_such_action")
                self.assertEqual(e.exception.name, "ERROR_SERVE_UNKNOWN_ACTION")

    def test_settings_and_lists(self):
        for name, c in self.clients():
            with self.subTest(mode=name):
                c.call("settings_set", key_name="py_test", value=name)
                self.assertEqual(c.call("settings_get_all")["py_test"], name)

    def test_http_login_and_logout(self):
        with self.assertRaises(apppaccap.ApcError) as e:
            apppaccap.connect(self.apcd.url, "admin", "wrong password")
        self.assertEqual(e.exception.code, 9)
        with apppaccap.connect(self.apcd.url, "admin", self.apcd.password) as c:
            token = c.token
            self.assertTrue(token)
            self.assertIn("Version", c.call("apppaccap"))
        self.assertIsNone(c.token)
        # The token ended with the session: reusing it is refused.
        stale = apppaccap.Client(self.apcd.url)
        stale.token = token
        with self.assertRaises(apppaccap.ApcError) as e:
            stale.call("capture_get_details", capture_id=self.cid["http"])
        self.assertNotEqual(e.exception.code, 0)
        with self.assertRaises(ValueError):
            apppaccap.Client("ftp://127.0.0.1/")

    def test_https_with_cafile(self):
        if not shutil.which("openssl"):
            self.skipTest("no openssl to make a test certificate")
        d = Apcd(tls=True)
        try:
            with apppaccap.connect(d.url, "admin", d.password, cafile=d.cert) as c:
                self.assertEqual(c.call("apppaccap")["AppPacCap"], apppaccap.Context.version())
            # Without the certificate trusted, the connection is refused, not made unverified.
            with self.assertRaises(OSError):
                apppaccap.connect(d.url, "admin", d.password)
        finally:
            d.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)

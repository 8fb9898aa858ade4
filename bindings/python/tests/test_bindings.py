# SPDX-License-Identifier: MIT
"""Tests of the Python bindings against the built libapc (APC_LIBRARY) and the shared corpus."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import apppaccap  # noqa: E402

CORPUS = os.environ.get("APC_CORPUS", "../shared/corpus")


def capinfos_count(path):
    if not shutil.which("capinfos"):
        return None
    # The sanitizer build preloads the ASan runtime for our library; not for the oracle.
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    out = subprocess.run(["capinfos", "-c", "-M", path], capture_output=True, text=True,
                         env=env, timeout=60).stdout
    for line in out.splitlines():
        if "Number of packets" in line:
            return int(line.split(":")[1])
    return None


class BindingsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="apc-py-")
        self.ctx = apppaccap.Context(self.dir)

    def tearDown(self):
        self.ctx.close()
        shutil.rmtree(self.dir)

    def test_info(self):
        info = self.ctx.call("apppaccap")
        self.assertEqual(info["Version"], 1)
        self.assertEqual(info["AppPacCap"], apppaccap.Context.version())

    def test_ingest_and_read(self):
        if not os.path.isdir(CORPUS):
            self.skipTest(f"APC_CORPUS ({CORPUS}) is not a directory: the shared corpus is not "
                          "beside this checkout (test_ingest_and_read_made runs instead)")
        path = os.path.join(CORPUS, "ptcpdump", "tcp.pcapng")
        cid = self.ctx.call("pcap_ingest_file", path=path, wait=1)
        cap = self.ctx.call("capture_get_details", capture_id=cid)
        self.assertEqual(cap["State"], "completed")
        pkts = list(self.ctx.packets(cid, count=7))
        expected = capinfos_count(path)
        if expected is not None:
            self.assertEqual(len(pkts), expected)
        self.assertEqual([p["PacketId"] for p in pkts], list(range(1, len(pkts) + 1)))
        self.assertTrue(all(p["Pid"] == 345650 and p["ProcessName"] == "curl" for p in pkts))

    def test_ingest_and_read_made(self):
        """The same on the pcapng with ptcpdump comments the build made (tests/captures/)."""
        made = os.environ.get("APC_TEST_CAPTURES")
        self.assertTrue(made, "APC_TEST_CAPTURES is set by meson")
        path = os.path.join(made, "ptcpdump.pcapng")
        with open(os.path.join(made, "manifest.json")) as f:
            manifest = json.load(f)["ptcpdump.pcapng"]
        cid = self.ctx.call("pcap_ingest_file", path=path, wait=1)
        cap = self.ctx.call("capture_get_details", capture_id=cid)
        self.assertEqual(cap["State"], "completed")
        pkts = list(self.ctx.packets(cid, count=4))
        self.assertEqual(len(pkts), manifest["packets"])
        self.assertEqual([p["PacketId"] for p in pkts], list(range(1, len(pkts) + 1)))
        for proc in manifest["processes"]:
            mine = [p for p in pkts if p["Pid"] == proc["PID"]]
            self.assertEqual(len(mine), proc["Packets"])
            self.assertTrue(all(p["ProcessName"] == os.path.basename(proc["Cmd"]) for p in mine))
            self.assertEqual(sorted({p["Tid"] for p in mine}), sorted(proc["Threads"]))

    def test_errors(self):
        with self.assertRaises(apppaccap.ApcError) as e:
            self.ctx.call("capture_get_details", capture_id=424242)
        self.assertEqual(e.exception.name, "ERROR_SERVE_NOT_FOUND")
        with self.assertRaises(apppaccap.ApcError) as e:
            self.ctx.call("capture_get_details", capture_id="abc")
        self.assertEqual(e.exception.code, 4)
        self.assertIn("capture_id", str(e.exception))
        with self.assertRaises(apppaccap.ApcError) as e:
            self.ctx.call("no_such_action")
        self.assertEqual(e.exception.name, "ERROR_SERVE_UNKNOWN_ACTION")

    def test_settings(self):
        self.ctx.call("settings_set", key_name="k", value="v")
        self.assertEqual(self.ctx.call("settings_get_all"), {"k": "v"})

    def test_second_context_refused(self):
        with self.assertRaises(apppaccap.ApcError) as e:
            apppaccap.Context(self.dir)
        self.assertIn("in use", str(e.exception))


if __name__ == "__main__":
    unittest.main(verbosity=2)

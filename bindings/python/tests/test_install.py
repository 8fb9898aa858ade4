# SPDX-License-Identifier: MIT
"""pip install of bindings/python into a fresh venv, then use from outside the source tree with
no APC_LIBRARY: the installed package finds libapc through the libdir recorded at build time
(_paths.py; APC_LIBDIR given to the build, as pkg-config's libdir would be after meson install).

usage: test_install.py BINDINGS_DIR  (APC_LIBRARY, APC_TEST_CAPTURES set by meson)"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SRC = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else ""
LIBRARY = os.environ.get("APC_LIBRARY", "")
CAPTURES = os.environ.get("APC_TEST_CAPTURES", "")

PROBE = r'''
import json, os, sys, tempfile
import apppaccap
assert "APC_LIBRARY" not in os.environ
out = {"file": apppaccap.__file__, "lib": apppaccap.library_path()}
with tempfile.TemporaryDirectory() as d, apppaccap.Context(os.path.join(d, "data")) as ctx:
    out["version"] = ctx.call("apppaccap")["AppPacCap"]
    cid = ctx.call("pcap_ingest_file", path=sys.argv[1], wait=1)
    out["packets"] = sum(1 for _ in ctx.packets(cid, count=5))
with open("/proc/self/maps") as f:  # the file the loader really mapped
    out["mapped"] = sorted({l.split()[-1] for l in f if "libapc.so" in l})
print(json.dumps(out))
'''


# An interpreter whose venv can build the package offline: setuptools and a bdist_wheel
# (the wheel package, or setuptools >= 70.1) must come from the system site packages.
CAN_BUILD = ("import importlib.util as u, setuptools, venv; "
             "assert u.find_spec('wheel') or u.find_spec('setuptools.command.bdist_wheel')")


def builder():
    for py in (sys.executable, "/usr/bin/python3"):
        if py and os.access(py, os.X_OK) and subprocess.run(
                [py, "-c", CAN_BUILD], capture_output=True, timeout=60).returncode == 0:
            return py
    return None


class InstallTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="apc-py-venv-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_ok(self, args, **kw):
        r = subprocess.run(args, capture_output=True, text=True, timeout=150, **kw)
        self.assertEqual(r.returncode, 0, "%s\n%s\n%s" % (args, r.stdout, r.stderr))
        return r.stdout

    def test_pip_install_and_use(self):
        base = builder()
        if base is None:
            self.skipTest("no python3 here has venv, setuptools and wheel (Debian: python3-venv "
                          "python3-setuptools python3-wheel python3-pip, scripts/deps.sh)")
        venv = os.path.join(self.tmp, "venv")
        r = subprocess.run([base, "-m", "venv", "--system-site-packages", venv],
                           capture_output=True, text=True, timeout=150)
        if r.returncode != 0:
            self.skipTest("cannot make a venv here (python3-venv missing?): " + r.stderr[-300:])
        py = os.path.join(venv, "bin", "python")
        if subprocess.run([py, "-m", "pip", "--version"], capture_output=True).returncode != 0:
            self.skipTest("the venv has no pip (python3-pip missing)")
        # Built from a copy, so setuptools' build/ and egg-info never land in the checkout.
        copy = os.path.join(self.tmp, "src")
        shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__", "tests"))
        env_libdir = os.path.dirname(os.path.abspath(LIBRARY))
        env = dict(os.environ, APC_LIBDIR=env_libdir,
                   PIP_DISABLE_PIP_VERSION_CHECK="1")
        env.pop("APC_LIBRARY", None)
        self.run_ok([py, "-m", "pip", "install", "--no-build-isolation", "--no-index",
                     "--no-cache-dir", copy], env=env, cwd=self.tmp)
        env.pop("APC_LIBDIR")
        # meson test points the loader at the build; the installed package must not need it.
        env.pop("LD_LIBRARY_PATH", None)
        out = self.run_ok([py, "-c", PROBE, os.path.join(CAPTURES, "ptcpdump.pcapng")],
                          env=env, cwd=self.tmp)
        got = json.loads(out.strip().splitlines()[-1])
        self.assertTrue(got["file"].startswith(venv), got["file"])
        self.assertEqual(got["lib"], os.path.join(env_libdir, "libapc.so.0"))
        self.assertEqual(got["mapped"], [os.path.realpath(LIBRARY)])
        with open(os.path.join(CAPTURES, "manifest.json")) as f:
            self.assertEqual(got["packets"], json.load(f)["ptcpdump.pcapng"]["packets"])
        self.assertTrue(got["version"])

    def test_checkout_finds_its_build(self):
        """Run from the checkout (PYTHONPATH=bindings/python) with no APC_LIBRARY and no loader
        path: the package loads a libapc of a meson build directory at the checkout's top."""
        root = os.path.dirname(os.path.dirname(SRC))
        build_lib = os.path.realpath(LIBRARY)
        if os.path.dirname(os.path.dirname(os.path.dirname(build_lib))) != os.path.realpath(root):
            self.skipTest("the build directory (%s) is not at the checkout's top" % build_lib)
        env = dict(os.environ, PYTHONPATH=SRC)
        for k in ("APC_LIBRARY", "LD_LIBRARY_PATH"):
            env.pop(k, None)
        out = self.run_ok([sys.executable, "-c", PROBE, os.path.join(CAPTURES,
                                                                     "ptcpdump.pcapng")],
                          env=env, cwd=self.tmp)
        got = json.loads(out.strip().splitlines()[-1])
        self.assertEqual(got["file"], os.path.join(SRC, "apppaccap", "__init__.py"))
        self.assertEqual(len(got["mapped"]), 1, got)
        mapped = got["mapped"][0]
        self.assertEqual(os.path.basename(os.path.dirname(mapped)), "libapc")
        self.assertEqual(os.path.dirname(os.path.dirname(os.path.dirname(mapped))),
                         os.path.realpath(root))


if __name__ == "__main__":
    unittest.main(verbosity=2)

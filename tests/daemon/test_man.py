#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""apcd(8) stays true: groff renders the page without a warning, nothing is left unsubstituted,
and every long option `apcd --help` prints and every key apcd's config reader accepts is
described (a key counts when it or its option spelling, --data-dir for data_dir, appears).

usage: test_man.py APCD PAGE CONFIG_C
"""
import re
import shutil
import subprocess
import sys


def main():
    apcd, page, config_c = sys.argv[1:4]
    if not shutil.which("groff"):
        print("SKIP: groff is not installed (scripts/deps.sh installs groff-base)")
        return 77
    failures = []
    with open(page, encoding="utf-8") as f:
        src = f.read()
    left = re.findall(r"@[a-z_]+@", src)
    if left:
        failures.append("placeholders left in the page: %s" % ", ".join(sorted(set(left))))
    r = subprocess.run(["groff", "-ww", "-man", "-Tascii", "-P-cbou", page],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0 or r.stderr.strip():
        failures.append("groff -ww: rc %d, %s" % (r.returncode, r.stderr.strip()))
    text = r.stdout
    for sect in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "CONFIGURATION", "SIGNALS",
                 "FILES", "EXIT STATUS", "SEE ALSO"):
        if not re.search(r"^%s$" % sect, text, re.M):
            failures.append("no section %s" % sect)
    h = subprocess.run([apcd, "--help"], capture_output=True, text=True, timeout=60)
    opts = sorted(set(re.findall(r"--[a-z][a-z-]+", h.stdout)))
    if len(opts) < 10:
        failures.append("apcd --help lists only %d options: %r" % (len(opts), h.stdout))
    for o in opts + ["--help"]:
        if o not in text:
            failures.append("option %s (apcd --help) is not in apcd(8)" % o)
    with open(config_c, encoding="utf-8") as f:
        keys = sorted(set(re.findall(r'strcmp\(key, "([a-z_]+)"\)', f.read())))
    if len(keys) < 15:
        failures.append("found only %d config keys in %s" % (len(keys), config_c))
    for k in keys:
        if k not in text and "--" + k.replace("_", "-") not in text:
            failures.append("config key %s is not in apcd(8)" % k)
    for msg in failures:
        print("FAIL:", msg)
    print("apcd(8): %d options and %d config keys checked, %d failure(s)"
          % (len(opts), len(keys), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

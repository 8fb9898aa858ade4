#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""After a partial build: which meson tests can run (called by scripts/test).

usage: built_tests.py BUILD_DIR RESULTS_FILE

`meson test` refuses to run anything when one test program is missing, so one module that does
not compile would hide every other result. This prints the names of the tests whose programs
and dependencies (meson introspect) were all built, one per line, and appends a FAIL line to
RESULTS_FILE for each test that could not be built, so it still counts.
"""
import json
import os
import subprocess
import sys


def introspect(build_dir, what):
    p = subprocess.run(["meson", "introspect", what, build_dir], capture_output=True,
                       text=True, check=True)
    return json.loads(p.stdout)


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    build_dir, results = argv[1], argv[2]
    targets = {t["id"]: t.get("filename", []) for t in introspect(build_dir, "--targets")}
    runnable, missing = [], []
    for t in introspect(build_dir, "--tests"):
        files = [f for dep in t.get("depends", []) for f in targets.get(dep, [])]
        prog = t["cmd"][0] if t.get("cmd") else ""
        if prog.startswith(os.path.abspath(build_dir)):
            files.append(prog)
        absent = [f for f in files if not os.path.exists(f)]
        if absent:
            missing.append((t["name"], os.path.relpath(absent[0], build_dir)))
        else:
            runnable.append(t["name"])
    with open(results, "a", encoding="utf-8") as f:
        for name, what in missing:
            f.write(f"FAIL {build_dir}:test:{name} not built ({what} is missing)\n")
    for name in dict.fromkeys(runnable):
        print(name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

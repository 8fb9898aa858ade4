#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Each public header of libapc compiles alone, as C and as C++ (libgit2's header test).

A header that needs another included first, or that C++ rejects (a keyword as a name, a
missing extern "C"), breaks the programs that embed libapc. For every libapc/include/apc/*.h
this compiles a file holding only `#include <apc/NAME.h>` with the C compiler (-std=c11) and
the C++ compiler (-std=c++17), warnings as errors.

Usage: scripts/check_headers.py [INCLUDE_DIR] ; env CC / CXX choose the compilers.
Exit 1 naming each header and language that failed, with the compiler's message.
"""
import os
import subprocess
import sys


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    inc = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "libapc", "include")
    compilers = [("C", os.environ.get("CC", "cc"), ["-x", "c", "-std=c11"]),
                 ("C++", os.environ.get("CXX", "c++"), ["-x", "c++", "-std=c++17"])]
    headers = sorted(h for h in os.listdir(os.path.join(inc, "apc")) if h.endswith(".h"))
    failed = 0
    for h in headers:
        for lang, cc, args in compilers:
            cmd = [cc] + args + ["-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-I", inc, "-"]
            p = subprocess.run(cmd, input="#include <apc/%s>\n" % h, text=True,
                               capture_output=True)
            if p.returncode != 0:
                failed += 1
                print("FAIL %s as %s:\n%s" % (h, lang, p.stderr.strip()))
    print("%d headers, %d failures (C and C++ each)" % (len(headers), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

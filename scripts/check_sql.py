#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Fails when SQL or SQLite is used outside libapc/src/store/ (issue 13: the store alone speaks
SQL, so that a second backend can sit behind it).

Usage: check_sql.py SRC_DIR   (SRC_DIR: libapc/src)

What counts, in every .c and .h outside SRC_DIR/store/: an include of sqlite3.h, a call of a
sqlite3_* function or type, apc__db_get (a raw store connection), and a string literal that
reads as an SQL statement (SELECT ... FROM, INSERT INTO, UPDATE ... SET, DELETE FROM, CREATE
TABLE/INDEX, BEGIN/COMMIT). An HTTP method name such as "DELETE " in a parser is not a
statement and does not count. Prints each finding as path:line: text, and the count.
"""
import os
import re
import sys

RULES = [
    ("includes sqlite3.h", re.compile(r'#\s*include\s*[<"]sqlite3\.h[">]')),
    ("uses the SQLite API", re.compile(r'\bsqlite3_\w+|\bsqlite3\s*\*')),
    ("takes a raw store connection", re.compile(r'\bapc__db_(get|put)\b')),
    ("holds an SQL statement", re.compile(
        r'"\s*(SELECT\b.*\bFROM\b|SELECT\s+(count|COUNT|1|\w+\()|INSERT\s+(OR\s+\w+\s+)?INTO\b|'
        r'UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b|CREATE\s+(TABLE|INDEX|UNIQUE)|'
        r'(BEGIN|COMMIT|ROLLBACK)\b\s*(IMMEDIATE|DEFERRED|TRANSACTION)?\s*;?\s*")')),
]


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    src = os.path.abspath(sys.argv[1])
    store = os.path.join(src, "store")
    found = 0
    for root, dirs, files in os.walk(src):
        dirs.sort()
        if os.path.commonpath([root, store]) == store:
            continue
        for name in sorted(files):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(root, name)
            with open(path, encoding="utf-8", errors="replace") as f:
                for n, line in enumerate(f, 1):
                    for what, rx in RULES:
                        if rx.search(line):
                            found += 1
                            print(f"{os.path.relpath(path, src)}:{n}: {what}: {line.strip()}")
                            break
    if found:
        print(f"{found} use(s) of SQL outside store/: move them behind typed store calls "
              "(docs/architecture.md, 'The store and its backends')")
        return 1
    print("no SQL outside libapc/src/store/")
    return 0


if __name__ == "__main__":
    sys.exit(main())

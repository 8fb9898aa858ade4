#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Count the results of one scripts/test run and print the final line.

Inputs: meson test logs (build*/meson-logs/testlog.json, one JSON object per line) and a plain
results file written by scripts/test for what is not a meson test (builds, fuzz runs), one
line each: "PASS|FAIL|SKIP <name> [detail]". Each meson test counts one, each line counts one.
Prints the failures, then exactly one line "N passed, M failed[, K skipped]"; exits 1 if M > 0.
"""
import json
import sys

PASS = {"OK", "EXPECTEDFAIL"}
SKIP = {"SKIP"}


def main(argv):
    if len(argv) < 2:
        print("usage: summary.py RESULTS_FILE [testlog.json ...]", file=sys.stderr)
        return 2
    passed = failed = skipped = 0
    failures = []
    with open(argv[1], encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split(" ", 2)
            if len(parts) < 2:
                continue
            verdict, name = parts[0], parts[1]
            detail = parts[2] if len(parts) > 2 else ""
            if verdict == "PASS":
                passed += 1
            elif verdict == "SKIP":
                skipped += 1
            else:
                failed += 1
                failures.append(f"{name}: {detail}".rstrip(": "))
    for log in argv[2:]:
        # Directory name tells the user which build the test ran in.
        build = log.split("/meson-logs/")[0]
        try:
            with open(log, encoding="utf-8") as f:
                lines = f.readlines()
        except OSError as e:
            failed += 1
            failures.append(f"{build}: no test log ({e.strerror})")
            continue
        for line in lines:
            line = line.strip()
            if not line:
                continue
            try:
                t = json.loads(line)
            except json.JSONDecodeError:
                failed += 1
                failures.append(f"{build}: unreadable line in {log}")
                continue
            result = t.get("result", "ERROR")
            name = t.get("name", "?")
            if result in PASS:
                passed += 1
            elif result in SKIP:
                skipped += 1
            else:
                failed += 1
                failures.append(f"{build}: test {name}: {result}")
    if failures:
        print("Failures:")
        for f in failures:
            print("  " + f)
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

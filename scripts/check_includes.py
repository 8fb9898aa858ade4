#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Fails when libapc's modules include each other in a cycle.

Reads every `#include "<module>/..."` line of libapc/src/<module>/**/*.{c,h}, builds the graph
module -> modules it includes, and looks for a cycle. A cycle means two modules cannot be
understood, tested or replaced apart (docs/architecture.md draws the order they must keep).

Usage: scripts/check_includes.py [SRC_DIR]   (default: libapc/src beside this script)
Prints the graph; exit 1 naming a cycle ("cycle: core -> store -> core", with the files that
make each edge), 0 when there is none.
"""
import os
import re
import sys

INCLUDE = re.compile(r'\s*#\s*include\s+"([A-Za-z0-9_]+)/[^"]+"')


def module_graph(src):
    modules = sorted(d for d in os.listdir(src) if os.path.isdir(os.path.join(src, d)))
    edges = {m: {} for m in modules}  # module -> {included module: first file}
    for m in modules:
        for dirpath, _, files in os.walk(os.path.join(src, m)):
            for name in sorted(files):
                if not name.endswith((".c", ".h")):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, errors="replace") as f:
                    for line in f:
                        hit = INCLUDE.match(line)
                        if hit and hit.group(1) != m and hit.group(1) in edges:
                            edges[m].setdefault(hit.group(1), os.path.relpath(path, src))
    return edges


def find_cycle(edges):
    """A cycle as a list of modules (first == last), or None. Depth-first, colouring nodes."""
    state = {m: 0 for m in edges}  # 0 new, 1 on the stack, 2 done
    stack = []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for n in sorted(edges[m]):
            if state[n] == 1:
                return stack[stack.index(n):] + [n]
            if state[n] == 0:
                found = visit(n)
                if found:
                    return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(edges):
        if state[m] == 0:
            found = visit(m)
            if found:
                return found
    return None


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "libapc", "src")
    edges = module_graph(src)
    for m in sorted(edges):
        print("%s -> %s" % (m, " ".join(sorted(edges[m])) or "(nothing)"))
    cycle = find_cycle(edges)
    if cycle:
        print("cycle: " + " -> ".join(cycle))
        for a, b in zip(cycle, cycle[1:]):
            print("  %s includes %s in %s" % (a, b, edges[a][b]))
        return 1
    print("no include cycle between %d modules" % len(edges))
    return 0


if __name__ == "__main__":
    sys.exit(main())

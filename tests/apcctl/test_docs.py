#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""apcctl's generated companions: the bash completion script (`apcctl completion bash`) and the
apcctl(1) manual page (`apcctl gen-man`), both written from the action table.

usage: test_docs.py APCCTL CASE [BUILT_FILE]
  completion: sources the script in bash and calls its function with COMP_WORDS/COMP_CWORD set
              as bash would, checking COMPREPLY; BUILT_FILE (the one meson installs) must equal
              what apcctl prints.
  man:        groff (or man -l) renders the page without warnings; every action, alias, global
              option and exit code appears; BUILT_FILE must equal what apcctl writes.
Exit 0 pass, 1 fail, 77 skip.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_apcctl import Skip, expect, table_actions  # noqa: E402

SKIP = 77
APCCTL = None
ALIASES = ("ingest", "captures", "read", "conns")


def apcctl(*args):
    p = subprocess.run([APCCTL, *args], capture_output=True, text=True, timeout=60)
    expect(p.returncode == 0, f"apcctl {' '.join(args)}: exit {p.returncode}\n{p.stderr}")
    return p.stdout


def same_as_built(text, built):
    if built:
        with open(built, encoding="utf-8") as f:
            expect(f.read() == text, f"{built} differs from what apcctl prints now")


def complete(script, cases):
    """COMPREPLY for each list of words (the last one being completed), as bash would split
    them (so "name=value" is three words: name, =, value)."""
    drv = [f"source {script!r} || exit 3", "complete -p apcctl"]
    for i, words in enumerate(cases):
        quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
        drv += [f"COMP_WORDS=({quoted})", f"COMP_CWORD={len(words) - 1}",
                "COMP_LINE=\"${COMP_WORDS[*]}\"", "COMP_POINT=${#COMP_LINE}", "COMPREPLY=()",
                "_apcctl", f"printf '%s' '#{i}:'", "printf '%s\\037' \"${COMPREPLY[@]}\"", "echo"]
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", "\n".join(drv)],
                       capture_output=True, text=True, timeout=60)
    expect(p.returncode == 0, f"bash exit {p.returncode}: {p.stderr}")
    expect(p.stderr == "", f"the completion function wrote to stderr: {p.stderr}")
    lines = p.stdout.splitlines()
    expect(lines and re.match(r"complete -F _apcctl apcctl$", lines[0]),
           f"complete -p apcctl: {lines[:1]}")
    out = {}
    for ln in lines[1:]:
        m = re.match(r"#(\d+):(.*)$", ln)
        if m:
            out[int(m.group(1))] = [w for w in m.group(2).split("\x1f") if w]
    return [out.get(i, []) for i in range(len(cases))]


def usage_error(args, want, code=2):
    p = subprocess.run([APCCTL, *args], capture_output=True, text=True, timeout=60)
    expect(p.returncode == code and want in p.stderr,
           f"apcctl {' '.join(args)}: exit {p.returncode}, want {code} and {want!r}: {p.stderr}")


def case_completion(tmp, built):
    usage_error(["completion"], "usage: apcctl completion bash")
    usage_error(["completion", "zsh"], "usage: apcctl completion bash")
    if not shutil.which("bash"):
        raise Skip("bash is not installed")
    text = apcctl("completion", "bash")
    same_as_built(text, built)
    script = os.path.join(tmp, "apcctl.bash")
    with open(script, "w", encoding="utf-8") as f:
        f.write(text)
    names = table_actions()
    tmpdir = os.path.join(tmp, "somedir")
    os.mkdir(tmpdir)
    spaced = os.path.join(tmp, "x y.pcap")
    open(spaced, "w").close()
    cases = [
        ["apcctl", ""],                                    # 0: every command and action
        ["apcctl", "capture_r"],                           # 1
        ["apcctl", "--da"],                                # 2
        ["apcctl", "-d", tmp + "/so"],                     # 3: a directory for --data-dir
        ["apcctl", "-d", "/x", "capture_read", "c"],       # 4: parameters of the action
        ["apcctl", "conns", "1", ""],                      # 5: an alias: its action's params
        ["apcctl", "capture_list_conns", "capture_id", "=", "1", "--a"],  # 6: --all
        ["apcctl", "help", "con"],                         # 7
        ["apcctl", "completion", ""],                      # 8
        ["apcctl", "capture_export", "capture_id", "=", "1", "path", "=", tmp + "/so"],  # 9
        ["apcctl", "--url", "http://h:1", "--user", "bob", "search_read", "se"],  # 10
        ["apcctl", "capture_read", "capture_id", "="],     # 11: a value: nothing to offer
        ["apcctl", "ingest", "--"],                        # 12: the alias's own flag
        ["apcctl", "apppaccap", "--"],                     # 13: no --all where nothing pages
        # 14, 15: bash splits "--url=http://h:1" at '=' and ':'; the URL is not the command.
        ["apcctl", "--url", "=", "http", ":", "//h", ":", "1", "capture_r"],
        ["apcctl", "--url", "http", ":", "//h", ":", "1", "conns", "1", "la"],
        ["apcctl", "--data-dir", "=", tmp + "/so"],        # 16
        ["apcctl", "ingest", tmp + "/x"],                  # 17: a file name with a space
    ]
    r = complete(script, cases)
    missing = [n for n in list(names) + list(ALIASES) + ["help", "batch", "completion", "gen-man"]
               if n not in r[0]]
    expect(not missing, f"'apcctl <TAB>' lacks {missing}")
    expect("capture_read" in r[1] and all(w.startswith("capture_r") for w in r[1]),
           f"capture_r -> {r[1]}")
    expect(r[2] == ["--data-dir"], f"--da -> {r[2]}")
    expect(r[3] == [tmpdir], f"-d {tmp}/so -> {r[3]}")
    expect(r[4] == ["capture_id=", "count="], f"capture_read c -> {r[4]}")
    expect(set(r[5]) == {"capture_id=", "last_id=", "count="}, f"conns 1 -> {r[5]}")
    expect(r[6] == ["--all"], f"capture_list_conns ... --a -> {r[6]}")
    expect("conns" in r[7] and "capture_list_conns" not in r[7] and "help" not in r[7],
           f"help con -> {r[7]}")
    expect(r[8] == ["bash"], f"completion -> {r[8]}")
    expect(r[9] == [tmpdir], f"capture_export path=... -> {r[9]}")
    expect(r[10] == ["search_id="], f"search_read se -> {r[10]}")
    expect(r[11] == [], f"capture_read capture_id= -> {r[11]}")
    expect("--no-wait" in r[12] and "--data-dir" in r[12], f"ingest -- -> {r[12]}")
    expect("--all" not in r[13] and "--json" in r[13], f"apppaccap -- -> {r[13]}")
    expect(r[14] == ["capture_read"], f"--url=URL capture_r -> {r[14]}")
    expect(r[15] == ["last_id="], f"--url URL conns 1 la -> {r[15]}")
    expect(r[16] == [tmpdir], f"--data-dir={tmp}/so -> {r[16]}")
    expect(r[17] == [spaced], f"ingest {tmp}/x -> {r[17]}")
    if shutil.which("shellcheck"):
        p = subprocess.run(["shellcheck", "-s", "bash", script], capture_output=True, text=True,
                           timeout=120)
        expect(p.returncode == 0, f"shellcheck:\n{p.stdout}{p.stderr}")
    else:
        print("shellcheck is not installed: the script is not linted")
    # Every action completes to itself and offers its own parameters.
    for n in names:
        p = apcctl("help", n)
        want = set(re.findall(r"[ \[]([a-z0-9_]+)=", p.split("Usage:", 1)[1]))
        got = complete(script, [["apcctl", n, ""]])[0]
        expect(set(got) == {w + "=" for w in want}, f"{n} <TAB>: {got}, expected {want}")


def render(path):
    """Warnings of a render of the page, or None when neither groff nor man is installed."""
    if shutil.which("groff"):
        p = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", path], capture_output=True,
                           text=True, timeout=120)
        expect(p.returncode == 0, f"groff exit {p.returncode}: {p.stderr}")
        return p.stderr
    if shutil.which("man"):
        p = subprocess.run(["man", "-l", "--warnings", path], capture_output=True, text=True,
                           timeout=120, env=dict(os.environ, MANPAGER="cat", PAGER="cat"))
        expect(p.returncode == 0, f"man -l exit {p.returncode}: {p.stderr}")
        return p.stderr
    return None


def case_man(tmp, built):
    usage_error(["gen-man", "a", "b"], "gen-man: expected at most one FILE")
    usage_error(["gen-man", os.path.join(tmp, "no", "such", "dir.1")], "gen-man: cannot write",
                code=1)
    page = os.path.join(tmp, "apcctl.1")
    apcctl("gen-man", page)
    with open(page, encoding="utf-8") as f:
        roff = f.read()
    same_as_built(roff, built)
    expect(apcctl("gen-man") == roff, "gen-man to stdout differs from gen-man FILE")
    expect(roff.startswith(".\\\" Generated") and "\n.TH APCCTL 1 " in roff, roff[:200])
    for sec in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "COMMANDS", "ACTIONS", "PAGING",
                "EXIT STATUS", "ENVIRONMENT", "FILES", "SEE ALSO"):
        expect(f"\n.SH {sec}\n" in roff, f"no section {sec}")
    names = table_actions()
    missing = [n for n in names if f"\n.SS {n}\n" not in roff]
    expect(not missing, f"the page lacks the actions {missing}")
    # Parameters too: each action's section holds every parameter of its usage.
    sections = dict(re.findall(r"\n\.SS (\S+)\n(.*?)(?=\n\.S[SH] |\Z)", roff, re.S))
    for n in names:
        usage = apcctl("help", n).split("Usage:", 1)[1]
        for param in re.findall(r"[ \[]([a-z0-9_]+)=", usage):
            expect(f"\n.BI {param}= " in sections.get(n, ""), f"{n}: the page lacks {param}=")
    for var in ("APC_DATA_DIR", "APC_USER", "APC_PASSWORD"):
        expect(f"\n.B {var}\n" in roff, f"ENVIRONMENT lacks {var}")
    for opt in ("data\\-dir", "url", "user", "json", "quiet", "all"):
        expect(f"\\-\\-{opt}" in roff, f"OPTIONS lacks --{opt}")
    warnings = render(page)
    if warnings is None:
        raise Skip("neither groff nor man is installed: the page's rendering is not checked")
    expect(warnings == "", f"rendering warns:\n{warnings}")
    text = subprocess.run(["groff", "-man", "-Tutf8", "-P-c", "-P-b", "-P-u", page]
                          if shutil.which("groff") else ["man", "-l", page],
                          capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, MANPAGER="cat", PAGER="cat", MANWIDTH="100")).stdout
    text = re.sub(r"\u2010\n\s*", "", text)  # words hyphenated at a line's end
    missing = [n for n in list(names) + list(ALIASES) if n not in text]
    expect(not missing, f"the rendered page lacks {missing}")
    for n in ("capture_read capture_id=INT", "0", "130", "--all"):
        expect(n in text, f"the rendered page lacks {n!r}")


CASES = {"completion": case_completion, "man": case_man}


def main():
    global APCCTL
    if len(sys.argv) not in (3, 4) or sys.argv[2] not in CASES:
        print(f"usage: {sys.argv[0]} APCCTL {{{'|'.join(CASES)}}} [BUILT_FILE]", file=sys.stderr)
        return 2
    APCCTL = os.path.abspath(sys.argv[1])
    built = sys.argv[3] if len(sys.argv) == 4 else None
    tmp = tempfile.mkdtemp(prefix="apcctl-docs-")
    try:
        CASES[sys.argv[2]](tmp, built)
        print(f"ok {sys.argv[2]}")
        return 0
    except Skip as e:
        print(f"skip {sys.argv[2]}: {e}")
        return SKIP
    except AssertionError as e:
        print(f"FAIL {sys.argv[2]}: {e}")
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Mail extraction (protocol "imf") end to end through the real apcctl, against the generator
and tshark's Export Objects (imf). Uses the helpers of test_extract_http.py.

  - The generated mail.pcap (tests/captures/gen_mail.py): SMTP with a refused STARTTLS, a
    dot-stuffed message by DATA, a DATA the server refuses (554: no message), a message in two
    BDAT chunks; POP3 with a LIST (no message), RETR and TOP. Four messages, each the bytes a
    receiver stores (gen_mail.messages()), named by its Subject.
  - tshark 4.0 writes what crossed the wire: SMTP's message still dot-stuffed (RFC 5321 4.5.2)
    and POP3's RETR with its terminating "." line. Undoing both gives our bytes exactly (checked).
    It exports no BDAT message, and cuts POP3's multi-line replies at segment boundaries into
    small extra files (the LIST reply among them): those are not compared.
Usage: test_extract_mail.py APCCTL GEN_CAPTURES_PY
"""
import importlib.util
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_extract_http as t  # noqa: E402


def load_gen_mail(gen_captures_path):
    path = os.path.join(os.path.dirname(gen_captures_path), "gen_mail.py")
    sys.path.insert(0, os.path.dirname(path))
    spec = importlib.util.spec_from_file_location("gen_mail", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def unstuff(wire, terminated):
    """What a receiver stores of a dot-stuffed text: a leading "." of a line dropped, the "."
    line ending it (when `terminated`) left out."""
    lines = wire.splitlines(keepends=True)
    if terminated:
        t.check(lines and lines[-1] == b".\r\n", "tshark's POP3 message ends with its . line")
        lines = lines[:-1]
    return b"".join(ln[1:] if ln.startswith(b".") else ln for ln in lines)


def mail_generated(gm):
    want = gm.messages()

    def post(streams, tmp, pcap):
        got = [(s["Name"], open(s["Path"], "rb").read(), s) for s in streams]
        t.check([g[0] for g in got] == [w[0] for w in want],
                f"mail.pcap: messages {[g[0] for g in got]}, expected {[w[0] for w in want]} "
                "(the refused DATA and the LIST reply are none)")
        for (name, body, s), (wname, wbody) in zip(got, want):
            t.check(s["Protocol"] == "imf" and s["Complete"] == 1 and s["Reason"] == "" and
                    body == wbody, f"mail.pcap: {name}: protocol {s['Protocol']} complete="
                    f"{s['Complete']} {s['Reason']!r}, {len(body)} bytes, as stored: "
                    f"{body == wbody}")
        dirs = [s["Direction"] for _, _, s in got]
        t.check(dirs == ["out", "out", "in", "in"], f"mail.pcap: directions {dirs}")
        out = t.tshark_dir(pcap, tmp, "imf")
        theirs = {n: open(os.path.join(out, n), "rb").read() for n in os.listdir(out)}
        smtp = theirs.get("quarterly report.eml", b"")
        t.check(unstuff(smtp, False) == want[0][1],
                "mail.pcap: tshark's SMTP message, unstuffed, is not ours")
        t.check(smtp != want[0][1], "tshark's SMTP message is stuffed (else the test checks little)")
        pop = theirs.get("fetched.eml", b"")
        t.check(unstuff(pop, True) == want[2][1],
                "mail.pcap: tshark's POP3 RETR message, unstuffed, is not ours")
        print(f"mail.pcap: {len(got)} messages as stored; tshark's SMTP and POP3 RETR messages "
              f"equal once unstuffed ({len(theirs)} files from tshark)", flush=True)
    return post


def checks(apcctl, gen_path, data, tmp, caps):
    gm = load_gen_mail(gen_path)
    t.run_one(apcctl, data, tmp, os.path.join(caps, "mail.pcap"), extra=None, proto="imf",
              post=mail_generated(gm))


def main():
    t.__doc__ = __doc__  # the usage harness prints
    return t.harness(sys.argv, "apc-extract-mail-", checks)


if __name__ == "__main__":
    sys.exit(main())

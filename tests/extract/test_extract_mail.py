#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Mail extraction (SMTP, POP3 -> protocol "imf") end to end through the real apcctl.

On the generated mail.pcap (tests/captures/gen_mail.py): every message the generator sent is
one complete file, named by its Subject, with exactly the sent (unstuffed) bytes; the refused
RETR is no file; the refused STARTTLS does not stop parsing.
tshark 4.0 as the oracle, where it can be one: its `--export-objects imf` keeps SMTP's dot
stuffing (RFC 5321 4.5.2), so its "dots" file must equal ours once unstuffed; it stops at a
STARTTLS even when refused (so exports neither the BDAT message, which it does not know, nor
those after it) and writes POP3 answers one segment at a time, so those are checked against the
generator's bytes only. Its IMAP FETCH BODY[] file must be ours byte for byte.
Corpus: captures under ../shared/corpus whose names say smtp or pop, when present.
Usage: test_extract_mail.py APCCTL GEN_MAIL_PY
"""
import glob
import importlib.util
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_extract_http as t  # noqa: E402


def unstuff(b):
    return b"\r\n".join(ln[1:] if ln.startswith(b".") else ln for ln in b.split(b"\r\n"))


def generated(gen):
    sent = gen.messages()

    def post(streams, tmp, pcap):
        got = sorted((s["Name"], open(s["Path"], "rb").read(), s["Complete"], s["Direction"])
                     for s in streams if s["Protocol"] == "imf")
        want = sorted((n, b, 1, "in" if how in ("pop3", "imap") else "out") for n, b, how in sent)
        t.check([g[0] for g in got] == [w[0] for w in want],
                f"mail.pcap: messages {[g[0] for g in got]}, expected {[w[0] for w in want]}")
        for g, w in zip(got, want):
            t.check(g == w, f"mail.pcap: {w[0]!r}: complete={g[2]} dir={g[3]}, "
                    f"{len(g[1])} bytes, the sent ones: {g[1] == w[1]}")
        out = t.tshark_dir(pcap, tmp, "imf")
        dots = os.path.join(out, "dots.eml")
        theirs = open(dots, "rb").read() if os.path.isfile(dots) else None
        t.check(theirs is not None and unstuff(theirs) == dict((n, b) for n, b, _ in sent)["dots"],
                "mail.pcap: tshark's dots.eml, unstuffed, differs from ours")
        # IMAP: tshark's FETCH file is the literal, byte for byte ours (it also writes the
        # BODY[HEADER] literal, which is no message, and not the APPEND upload)
        for n in ("imap fetched",):
            f = os.path.join(out, n + ".eml")
            mine = [g[1] for g in got if g[0] == n]
            t.check(os.path.isfile(f) and mine and open(f, "rb").read() == mine[0],
                    f"mail.pcap: tshark's {n}.eml is not ours")
        # MIME parts that are files (tshark has none of these): the base64 attachment of
        # "report attached", decoded; its text/plain (quoted-printable) and text/html parts
        # are text, not files.
        parts = [(s["Name"], s["ContentType"], s["Complete"], s["Direction"],
                  open(s["Path"], "rb").read()) for s in streams if s["Protocol"] == "mime"]
        t.check(parts == [("data.bin", "application/octet-stream", 1, "out", gen.attachment())],
                f"mail.pcap: MIME parts {[p[:4] + (len(p[4]),) for p in parts]}, expected "
                "data.bin (3000 bytes, decoded from base64)")
        print(f"mail.pcap: {len(got)} messages byte-exact, {len(parts)} attachment decoded; "
              "tshark's dots.eml the same unstuffed", flush=True)
    return post


def checks(apcctl, gen_path, data, tmp, caps):
    spec = importlib.util.spec_from_file_location("gen_mail", gen_path)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    t.run_one(apcctl, data, tmp, os.path.join(caps, "mail.pcap"), extra=None, proto="imf",
              post=generated(gen))
    if not os.path.isdir(t.CORPUS):
        print(f"corpus part skipped: no {t.CORPUS} (set APC_CORPUS)")
        return
    found = [p for p in glob.glob(os.path.join(t.CORPUS, "**", "*"), recursive=True)
             if os.path.isfile(p) and any(k in os.path.basename(p).lower()
                                          for k in ("smtp", "pop3"))
             and p.endswith((".pcap", ".pcapng"))]
    for p in sorted(found):
        # extra=None: the corpus's sessions are checked for consistency (written bytes = the
        # announced hashes, list and disk in step), not against tshark's per-segment export
        t.run_one(apcctl, data, tmp, p, extra=None, proto="imf")


def main():
    t.__doc__ = __doc__
    return t.harness(sys.argv, "apc-extract-mail-", checks)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mail.pcap for gen_captures.py: SMTP (RFC 5321, RFC 3030) and POP3 (RFC 1939) sessions whose
messages file extraction must find (protocol "imf"), with what a receiver stores of each:

  - SMTP on port 25: a refused STARTTLS (454: the session goes on in clear), a message by DATA
    whose lines starting with "." are dot-stuffed on the wire, a second DATA the server refuses
    (554: the client's next lines are commands, not a message), a message in two BDAT chunks;
  - POP3 on port 110: a LIST (a multi-line reply that is no message), RETR of a dot-stuffed
    message, TOP of its headers.

messages() gives each message's Subject and stored bytes (dot-stuffing undone, the final "."
line left out), in the order they are sent. Every segment carries at most 100 bytes, so
lines and the terminating "." line fall across segments.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_captures as g  # noqa: E402


def _msg(subject, body_lines):
    head = ["From: alice@example.org", "To: bob@example.org", f"Subject: {subject}",
            "Message-ID: <%s@example.org>" % subject.replace(" ", "-"), ""]
    return ("\r\n".join(head + body_lines) + "\r\n").encode()


def messages():
    """(subject, bytes as stored) of every message, in the order they are sent."""
    smtp1 = _msg("quarterly report", ["Hello Bob,", ".a line that starts with a dot",
                                      "..and one with two", ".", "", "Regards."])
    bdat = _msg("chunked", ["sent with BDAT, no stuffing:", ".kept as is"])
    pop1 = _msg("fetched", ["over POP3", ".dotted", "end"])
    pop_top = _msg("fetched", [])  # TOP 1 0: the header section and the empty line
    return [("quarterly report", smtp1), ("chunked", bdat), ("fetched", pop1),
            ("fetched", pop_top)]


def _stuff(stored):
    """The wire form of a stored message: lines starting with "." get one more."""
    out = b"".join(b"." + ln if ln.startswith(b".") else ln
                   for ln in stored.splitlines(keepends=True))
    return out + b".\r\n"


def _send(f, frames, d, data):
    for i in range(0, len(data), 100):
        frames.append(f.tcp(d, 0x18, data[i:i + 100]))
        frames.append(f.tcp(1 - d, 0x10))


def _lines(f, frames, lines):
    for d, text in lines:
        _send(f, frames, d, text.encode() + b"\r\n")


def gen_mail(out_dir):
    msgs = messages()
    frames = []
    cli, srv = "10.0.4.5", "10.0.4.25"
    s = g.Flow(cli, srv, 53000, 25, 6)
    frames += [s.tcp(0, 0x02), s.tcp(1, 0x12), s.tcp(0, 0x10)]
    _lines(s, frames, [(1, "220 mail.example.org ESMTP"), (0, "EHLO client"),
                       (1, "250-mail.example.org"), (1, "250-CHUNKING"), (1, "250 STARTTLS"),
                       (0, "STARTTLS"), (1, "454 TLS not available"),
                       (0, "MAIL FROM:<alice@example.org>"), (1, "250 OK"),
                       (0, "RCPT TO:<bob@example.org>"), (1, "250 OK"), (0, "DATA"),
                       (1, "354 End data with <CR><LF>.<CR><LF>")])
    _send(s, frames, 0, _stuff(msgs[0][1]))
    _lines(s, frames, [(1, "250 OK queued"), (0, "MAIL FROM:<alice@example.org>"),
                       (1, "250 OK"), (0, "RCPT TO:<carol@example.org>"), (1, "250 OK"),
                       (0, "DATA"), (1, "554 No valid recipients"), (0, "RSET"), (1, "250 OK"),
                       (0, "MAIL FROM:<alice@example.org>"), (1, "250 OK"),
                       (0, "RCPT TO:<bob@example.org>"), (1, "250 OK")])
    body = msgs[1][1]
    _send(s, frames, 0, b"BDAT %d\r\n" % 40 + body[:40])
    _lines(s, frames, [(1, "250 40 octets received")])
    _send(s, frames, 0, b"BDAT %d LAST\r\n" % (len(body) - 40) + body[40:])
    _lines(s, frames, [(1, "250 OK queued"), (0, "QUIT"), (1, "221 Bye")])
    frames += [s.tcp(1, 0x11), s.tcp(0, 0x11), s.tcp(1, 0x10)]

    p = g.Flow(cli, srv, 53001, 110, 6)
    frames += [p.tcp(0, 0x02), p.tcp(1, 0x12), p.tcp(0, 0x10)]
    _lines(p, frames, [(1, "+OK POP3 ready"), (0, "USER bob"), (1, "+OK"), (0, "PASS x"),
                       (1, "+OK 1 message"), (0, "LIST"), (1, "+OK 1 messages"),
                       (1, "1 %d" % len(msgs[2][1])), (1, "."), (0, "RETR 1"),
                       (1, "+OK %d octets" % len(msgs[2][1]))])
    _send(p, frames, 1, _stuff(msgs[2][1]))
    _lines(p, frames, [(0, "TOP 1 0"), (1, "+OK")])
    _send(p, frames, 1, _stuff(msgs[3][1]))
    _lines(p, frames, [(0, "QUIT"), (1, "+OK bye")])
    frames += [p.tcp(1, 0x11), p.tcp(0, 0x11), p.tcp(1, 0x10)]
    return g.write_pcap(os.path.join(out_dir, "mail.pcap"), frames)

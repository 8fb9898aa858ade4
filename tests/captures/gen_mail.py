#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes mail.pcap (deterministic) into OUT_DIR: SMTP and POP3 sessions carrying the messages
of messages() below, for the extraction tests (tests/extract/test_extract_mail.py):
  - SMTP: a DATA message with lines beginning with a dot (stuffed on the wire, RFC 5321
    4.5.2), a BDAT message in two chunks (RFC 3030), a refused STARTTLS (454) then a DATA
    message, a multipart/mixed message (nested multipart/alternative with a quoted-printable
    part, a base64 attachment);
  - POP3: a RETR and a TOP answer (RFC 1939), a RETR refused (-ERR: no message);
  - Subjects: two are RFC 2047 encoded-words (B and Q), named decoded;
  - IMAP: a FETCH BODY[HEADER] (no message), a FETCH BODY.PEEK[] answered BODY[], an APPEND.
Usage: gen_mail.py OUT_DIR"""
import base64
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("gen_captures",
                                               os.path.join(HERE, "gen_captures.py"))
g = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(g)


def attachment():
    return bytes((i * 29 + 3) % 256 for i in range(3000))


def multipart():
    b64 = base64.encodebytes(attachment()).replace(b"\n", b"\r\n")
    return (b"From: a@example.test\r\nTo: b@example.test\r\nSubject: report attached\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
            b"preamble\r\n--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n"
            b"--inner\r\nContent-Type: text/plain; charset=utf-8\r\n"
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\nCaf=C3=A9 =3D ok, a soft=\r\n"
            b" break\r\n--inner\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n--inner--\r\n"
            b"--outer\r\nContent-Type: application/octet-stream; name=\"data.bin\"\r\n"
            b"Content-Disposition: attachment; filename=\"data.bin\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + b64 + b"--outer--\r\n")


def messages():
    """name -> the message's bytes as extracted (unstuffed), in the order sent."""
    dots = (b"From: a@example.test\r\nSubject: dots\r\n\r\nfirst\r\n.leading dot\r\n..two\r\n"
            b".\tx\r\nlast\r\n")
    chunked = b"Subject: chunked\r\n\r\n" + b"0123456789abcdef\r\n" * 200
    after = b"Subject: after a refused STARTTLS\r\n\r\nstill plain text\r\n"
    pop = b"Subject: fetched\r\n\r\n" + b"pop3 body line\r\n" * 100 + b".dot\r\n"
    top = b"Subject: =?UTF-8?B?b25seSB0aGUgdG9w?=\r\nX: y\r\n\r\nfirst line\r\n"
    imap = b"Subject: imap fetched\r\n\r\n" + b"a line of the IMAP message\r\n" * 80
    draft = b"Subject: =?utf-8?Q?draft_appended?=\r\n\r\n.not stuffed in IMAP\r\n"
    return [("dots", dots, "smtp"), ("chunked", chunked, "bdat"),
            ("after a refused STARTTLS", after, "smtp"), ("report attached", multipart(), "smtp"),
            ("fetched", pop, "pop3"), ("only the top", top, "pop3"),
            ("imap fetched", imap, "imap"), ("draft appended", draft, "append")]


def stuff(msg):
    lines = msg.split(b"\r\n")
    return b"\r\n".join(b"." + ln if ln.startswith(b".") else ln for ln in lines)


def send(f, frames, d, data):
    for i in range(0, len(data), 1000):
        frames.append(f.tcp(d, 0x18, data[i:i + 1000]))
        frames.append(f.tcp(1 - d, 0x10))


def talk(f, frames, lines):
    for d, text in lines:
        send(f, frames, d, text.encode() + b"\r\n")


def open_(f, frames):
    frames += [f.tcp(0, 0x02), f.tcp(1, 0x12), f.tcp(0, 0x10)]


def close(f, frames):
    frames += [f.tcp(0, 0x11), f.tcp(1, 0x11), f.tcp(0, 0x10)]


def gen_mail(out_dir):
    frames = []
    msgs = {m[0]: m[1] for m in messages()}
    s = g.Flow("10.0.3.5", "10.0.3.25", 53000, 25, 6)
    open_(s, frames)
    talk(s, frames, [(1, "220 mx.example.test ESMTP"), (0, "EHLO c"), (1, "250-mx"),
                     (1, "250-STARTTLS"), (1, "250 CHUNKING"), (0, "STARTTLS"),
                     (1, "454 TLS not available"), (0, "MAIL FROM:<a@example.test>"),
                     (1, "250 ok"), (0, "RCPT TO:<b@example.test>"), (1, "250 ok"),
                     (0, "DATA"), (1, "354 go")])
    send(s, frames, 0, stuff(msgs["dots"]) + b".\r\n")
    talk(s, frames, [(1, "250 queued"), (0, "MAIL FROM:<a@example.test>"), (1, "250 ok"),
                     (0, "RCPT TO:<b@example.test>"), (1, "250 ok")])
    c = msgs["chunked"]
    send(s, frames, 0, f"BDAT {len(c) // 2}\r\n".encode() + c[:len(c) // 2])
    talk(s, frames, [(1, "250 got it")])
    send(s, frames, 0, f"BDAT {len(c) - len(c) // 2} LAST\r\n".encode() + c[len(c) // 2:])
    talk(s, frames, [(1, "250 queued"), (0, "MAIL FROM:<a@example.test>"), (1, "250 ok"),
                     (0, "RCPT TO:<b@example.test>"), (1, "250 ok"), (0, "DATA"),
                     (1, "354 go")])
    send(s, frames, 0, stuff(msgs["after a refused STARTTLS"]) + b".\r\n")
    talk(s, frames, [(1, "250 queued"), (0, "MAIL FROM:<a@example.test>"), (1, "250 ok"),
                     (0, "RCPT TO:<b@example.test>"), (1, "250 ok"), (0, "DATA"),
                     (1, "354 go")])
    send(s, frames, 0, stuff(msgs["report attached"]) + b".\r\n")
    talk(s, frames, [(1, "250 queued"), (0, "QUIT"), (1, "221 bye")])
    close(s, frames)
    p = g.Flow("10.0.3.5", "10.0.3.110", 53001, 110, 6)
    open_(p, frames)
    talk(p, frames, [(1, "+OK POP3 ready"), (0, "USER u"), (1, "+OK"), (0, "PASS p"),
                     (1, "+OK 2 messages"), (0, "RETR 9"), (1, "-ERR no such message"),
                     (0, "RETR 1"), (1, "+OK message follows")])
    send(p, frames, 1, stuff(msgs["fetched"]) + b".\r\n")
    talk(p, frames, [(0, "TOP 2 1"), (1, "+OK top of message follows")])
    send(p, frames, 1, stuff(msgs["only the top"]) + b".\r\n")
    talk(p, frames, [(0, "QUIT"), (1, "+OK bye")])
    close(p, frames)
    i = g.Flow("10.0.3.5", "10.0.3.143", 53002, 143, 6)
    open_(i, frames)
    talk(i, frames, [(1, "* OK IMAP4rev1 ready"), (0, "a1 LOGIN u p"), (1, "a1 OK"),
                     (0, "a2 SELECT INBOX"), (1, "* 2 EXISTS"), (1, "a2 OK"),
                     (0, "a3 FETCH 1 (BODY.PEEK[HEADER])")])
    hdr = b"Subject: only a header\r\n\r\n"  # a literal that is not a whole message
    send(i, frames, 1, f"* 1 FETCH (BODY[HEADER] {{{len(hdr)}}}\r\n".encode() + hdr +
         b")\r\na3 OK\r\n")
    m = msgs["imap fetched"]
    talk(i, frames, [(0, "a4 FETCH 1 (FLAGS BODY.PEEK[])")])
    send(i, frames, 1, f"* 1 FETCH (FLAGS (\\Seen) BODY[] {{{len(m)}}}\r\n".encode() + m +
         b")\r\na4 OK FETCH done\r\n")
    d = msgs["draft appended"]
    talk(i, frames, [(0, f"a5 APPEND Drafts (\\Draft) {{{len(d)}}}"), (1, "+ Ready")])
    send(i, frames, 0, d + b"\r\n")
    talk(i, frames, [(1, "a5 OK APPEND completed"), (0, "a6 LOGOUT"), (1, "* BYE"),
                     (1, "a6 OK")])
    close(i, frames)
    return g.write_pcap(os.path.join(out_dir, "mail.pcap"), frames)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    os.makedirs(sys.argv[1], exist_ok=True)
    gen_mail(sys.argv[1])

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the captures the tests use when the shared corpus is not beside the checkout.

usage: gen_captures.py OUTDIR

Deterministic (no clock, no randomness): the same files on every run, so golden outputs can be
committed. Python standard library only. Every checksum is right (RFC 791, RFC 793, RFC 768,
RFC 8200's pseudo-header for IPv6, RFC 792 for ICMP), so tshark and tcpdump see valid packets.

  web.pcap        Ethernet: DNS over UDP (queries and answers, IPv4 and IPv6), 12 HTTP/1.1
                  exchanges over TCP (3 over IPv6: handshake, request, a response in segments,
                  close), ICMP echo request and reply.
  ptcpdump.pcapng pcapng with the process comments ptcpdump writes (PID, Cmd, Args, ThreadId,
                  ParentPID, ...): curl (pid 4242, threads 4242 and 4243) resolving a name and
                  fetching a page, and python3 (pid 5151) sending UDP; one packet has no comment.
  vlan.pcap       UDP inside one 802.1Q tag (VLAN 10) and inside QinQ (802.1ad 100, 802.1Q 20).
  ftp.pcap        One FTP session: passive RETR, a listing, EPSV STOR, active (PORT) RETR, and
                  over IPv6 an EPRT RETR; the data connections carry the files.
  tftp.pcap       TFTP: a read with an agreed block size and a retransmitted block, a write
                  of whole blocks ended by an empty one, a read refused with an ERROR.
  smb2.pcap       SMB2 over TCP 445: a read of a 200,000-byte file in 64 KiB chunks (answers out
                  of order), a write in two pieces plus one refused, a compound CREATE + READ +
                  CLOSE, a CREATE refused, and a file read with a hole in the middle.
  smb1.pcap       SMB1 over the NetBIOS session service (TCP 139): a 100,000-byte file read with READ_ANDX in 16 KiB chunks, a
                  write in two WRITE_ANDX, an NT_CREATE_ANDX refused.
  ranges.pcap     HTTP 206 ranges: a 30,000-byte file in three ranges (the last range first,
                  then the first on the same kept-alive connection, the middle one over a
                  second connection), and a 20,000-byte file of which two ranges leave a hole.
  many.pcap       2,000 short TCP connections and 1,000 DNS exchanges: paging and connection
                  counts over more than one page.
  manifest.json   what the generator knows: packets per file, the processes and their packets.
"""
import json
import os
import struct
import sys

T0 = 1_700_000_000  # seconds; every file starts here


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def ip6(a):
    # Only the forms used here: "fd00::N".
    head, tail = a.split("::")
    out = bytearray(16)
    out[0:2] = struct.pack("!H", int(head, 16))
    out[14:16] = struct.pack("!H", int(tail, 16))
    return bytes(out)


class Flow:
    """One TCP or UDP conversation; builds Ethernet frames with correct checksums."""

    def __init__(self, src, dst, sport, dport, proto, v6=False):
        self.src, self.dst, self.sport, self.dport = src, dst, sport, dport
        self.proto, self.v6 = proto, v6
        self.seq = {0: 1000 + sport * 7, 1: 5000 + dport * 11}
        self.ident = sport

    def _ip(self, d, l4, proto):
        s, t = (self.src, self.dst) if d == 0 else (self.dst, self.src)
        if self.v6:
            sa, ta = ip6(s), ip6(t)
            pseudo = sa + ta + struct.pack("!IxxxB", len(l4), proto)
            l4 = fix_l4(l4, proto, pseudo)
            hdr = struct.pack("!IHBB", 0x60000000, len(l4), proto, 64) + sa + ta
            return b"\x86\xdd", hdr + l4
        sa, ta = ip4(s), ip4(t)
        pseudo = sa + ta + struct.pack("!xBH", proto, len(l4))
        l4 = fix_l4(l4, proto, pseudo)
        self.ident = (self.ident + 1) & 0xFFFF
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), self.ident, 0x4000, 64, proto,
                          0, sa, ta)
        hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
        return b"\x08\x00", hdr + l4

    def frame(self, d, l4, proto):
        etype, ip = self._ip(d, l4, proto)
        macs = (b"\x02\x00\x00\x00\x00\x01", b"\x02\x00\x00\x00\x00\x02")
        return macs[1 - d] + macs[d] + etype + ip

    def tcp(self, d, flags, payload=b""):
        sp, dp = (self.sport, self.dport) if d == 0 else (self.dport, self.sport)
        ack = self.seq[1 - d] if flags & 0x10 else 0
        hdr = struct.pack("!HHIIBBHHH", sp, dp, self.seq[d], ack, 5 << 4, flags, 64240, 0, 0)
        self.seq[d] = (self.seq[d] + len(payload) + (1 if flags & 0x03 else 0)) & 0xFFFFFFFF
        return self.frame(d, hdr + payload, 6)

    def udp(self, d, payload):
        sp, dp = (self.sport, self.dport) if d == 0 else (self.dport, self.sport)
        return self.frame(d, struct.pack("!HHHH", sp, dp, 8 + len(payload), 0) + payload, 17)


def fix_l4(l4, proto, pseudo):
    """Fills the checksum of a TCP (offset 16), UDP (offset 6) or ICMP (offset 2) header."""
    if proto == 6:
        off = 16
    elif proto == 17:
        off = 6
    elif proto == 1:
        c = csum(l4)
        return l4[:2] + struct.pack("!H", c) + l4[4:]
    else:
        return l4
    c = csum(pseudo + l4)
    if proto == 17 and c == 0:
        c = 0xFFFF
    return l4[:off] + struct.pack("!H", c) + l4[off + 2:]


def dns_query(qid, name, qtype):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", qtype, 1)


def dns_answer(qid, name, qtype, rdata):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    ans = b"\xc0\x0c" + struct.pack("!HHIH", qtype, 1, 300, len(rdata)) + rdata
    return struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + q + struct.pack("!HH", qtype,
                                                                             1) + ans


def close_conn(f, out):
    """FIN from the initiator, FIN back, the last ACK."""
    out.append(f.tcp(0, 0x11))
    out.append(f.tcp(1, 0x11))
    out.append(f.tcp(0, 0x10))


def http_exchange(f, path, body_len, out):
    """Handshake, GET, a response of body_len bytes in 1000-byte segments, FIN both ways."""
    out.append(f.tcp(0, 0x02))
    out.append(f.tcp(1, 0x12))
    out.append(f.tcp(0, 0x10))
    req = (f"GET {path} HTTP/1.1\r\nHost: example.test\r\nUser-Agent: gen/1\r\n"
           f"Accept: */*\r\n\r\n").encode()
    out.append(f.tcp(0, 0x18, req))
    out.append(f.tcp(1, 0x10))
    body = bytes((i * 7 + len(path)) % 251 for i in range(body_len))
    resp = (f"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Length: {body_len}\r\n\r\n").encode() + body
    for i in range(0, len(resp), 1000):
        out.append(f.tcp(1, 0x18 if i + 1000 >= len(resp) else 0x10, resp[i:i + 1000]))
    out.append(f.tcp(0, 0x10))
    close_conn(f, out)


def write_pcap(path, frames, linktype=1):
    with open(path, "wb") as fp:
        fp.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
        for i, fr in enumerate(frames):
            ts_us = i * 1500  # 1.5 ms apart
            fp.write(struct.pack("<IIII", T0 + ts_us // 1_000_000, ts_us % 1_000_000, len(fr),
                                 len(fr)))
            fp.write(fr)
    return len(frames)


def gen_web(out_dir):
    frames = []
    dns = Flow("10.0.0.5", "10.0.0.53", 40000, 53, 17)
    for i in range(4):
        name = f"host{i}.example.test"
        dns.sport = 40000 + i
        frames.append(dns.udp(0, dns_query(0x1000 + i, name, 1)))
        frames.append(dns.udp(1, dns_answer(0x1000 + i, name, 1, ip4(f"10.0.1.{80 + i}"))))
    dns6 = Flow("fd00::5", "fd00::53", 41000, 53, 17, v6=True)
    frames.append(dns6.udp(0, dns_query(0x2000, "v6.example.test", 28)))
    frames.append(dns6.udp(1, dns_answer(0x2000, "v6.example.test", 28, ip6("fd00::80"))))
    for i in range(12):
        v6 = i >= 9
        f = Flow("fd00::5" if v6 else "10.0.0.5", "fd00::80" if v6 else f"10.0.1.{80 + i % 4}",
                 50000 + i, 80, 6, v6=v6)
        http_exchange(f, f"/file{i}.bin", 700 + i * 450, frames)
    icmp = Flow("10.0.0.5", "10.0.0.1", 0, 0, 1)
    for d in (0, 1):
        body = struct.pack("!BBHHH", 8 if d == 0 else 0, 0, 0, 0x77, 1) + b"ping-payload-gen"
        frames.append(icmp.frame(d, body, 1))
    return write_pcap(os.path.join(out_dir, "web.pcap"), frames)


# An HTML form upload (RFC 7578): two files and a text field in one multipart/form-data POST,
# then a second POST whose body the capture cuts short inside its only file.
FORM_BOUNDARY = "----gen7578boundaryQx"
FORM_FILES = {
    "report.pdf": (b"%PDF-1.4\n" + bytes((i * 13) % 256 for i in range(3000)) + b"\n%%EOF\n",
                   "application/pdf"),
    "notes.txt": (b"first line\r\nsecond line, with a --boundary-looking -- dash\r\n" * 40,
                  "text/plain"),
}
FORM_CUT = ("cut.bin", bytes((i * 5 + 1) % 256 for i in range(4000)))


def form_body(parts):
    out = b""
    for field, value, fname, ctype in parts:
        out += f"--{FORM_BOUNDARY}\r\n".encode()
        disp = f'Content-Disposition: form-data; name="{field}"'
        if fname:
            disp += f'; filename="{fname}"'
        out += disp.encode() + b"\r\n"
        if ctype:
            out += f"Content-Type: {ctype}\r\n".encode()
        out += b"\r\n" + value + b"\r\n"
    return out + f"--{FORM_BOUNDARY}--\r\n".encode()


def form_post(f, body, out, send=None):
    """Handshake, a POST of body (only its first `send` bytes carried), a 200, FIN both ways."""
    out.append(f.tcp(0, 0x02))
    out.append(f.tcp(1, 0x12))
    out.append(f.tcp(0, 0x10))
    req = (f"POST /upload HTTP/1.1\r\nHost: example.test\r\nUser-Agent: gen/1\r\n"
           f"Content-Type: multipart/form-data; boundary={FORM_BOUNDARY}\r\n"
           f"Content-Length: {len(body)}\r\n\r\n").encode() + body[:send]
    for i in range(0, len(req), 1000):
        out.append(f.tcp(0, 0x18 if i + 1000 >= len(req) else 0x10, req[i:i + 1000]))
    out.append(f.tcp(1, 0x10))
    if send is None:
        out.append(f.tcp(1, 0x18, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
        out.append(f.tcp(0, 0x10))
    close_conn(f, out)


def gen_form(out_dir):
    frames = []
    parts = [("title", b"quarterly numbers", None, None)]
    parts += [("upload%d" % i, data, name, ctype)
              for i, (name, (data, ctype)) in enumerate(FORM_FILES.items())]
    form_post(Flow("10.0.0.5", "10.0.1.95", 53000, 80, 6), form_body(parts), frames)
    body = form_body([("upload", FORM_CUT[1], FORM_CUT[0], "application/octet-stream")])
    form_post(Flow("10.0.0.5", "10.0.1.95", 53001, 80, 6), body, frames, send=len(body) // 2)
    return write_pcap(os.path.join(out_dir, "form.pcap"), frames)


def ranges_body(total):
    """The bytes of a file the generated ranges come from (also read by the tests)."""
    return bytes((i * 31 + i // 256) % 256 for i in range(total))


RANGES = {  # path: (complete length, ETag, ranges per connection, in the order sent)
    "/big.bin": (30000, '"v1"', [[(20000, 29999), (0, 9999)], [(10000, 19999)]]),
    "/holes.bin": (20000, '"h7"', [[(0, 4999), (10000, 19999)]]),
}


def range_conn(f, path, ranges, total, etag, out):
    """One kept-alive connection: a GET with Range and its 206 answer for each range."""
    out.append(f.tcp(0, 0x02))
    out.append(f.tcp(1, 0x12))
    out.append(f.tcp(0, 0x10))
    body = ranges_body(total)
    for a, b in ranges:
        req = (f"GET {path} HTTP/1.1\r\nHost: example.test\r\nRange: bytes={a}-{b}\r\n"
               f"\r\n").encode()
        out.append(f.tcp(0, 0x18, req))
        resp = (f"HTTP/1.1 206 Partial Content\r\nContent-Type: application/octet-stream\r\n"
                f"ETag: {etag}\r\nContent-Range: bytes {a}-{b}/{total}\r\n"
                f"Content-Length: {b - a + 1}\r\n\r\n").encode() + body[a:b + 1]
        for i in range(0, len(resp), 1400):
            out.append(f.tcp(1, 0x10, resp[i:i + 1400]))
        out.append(f.tcp(0, 0x10))
    close_conn(f, out)


def gen_ranges(out_dir):
    frames = []
    port = 52000
    for path, (total, etag, conns) in RANGES.items():
        for ranges in conns:
            f = Flow("10.0.0.5", "10.0.1.90", port, 80, 6)
            port += 1
            range_conn(f, path, ranges, total, etag, frames)
    return write_pcap(os.path.join(out_dir, "ranges.pcap"), frames)


def ftp_lines(ctl, frames, lines):
    """Control lines in order: (d, text), d 0 the client's command, 1 the server's reply."""
    for d, text in lines:
        frames.append(ctl.tcp(d, 0x18, text.encode() + b"\r\n"))
        frames.append(ctl.tcp(1 - d, 0x10))


def ftp_data(f, d, body, frames):
    """A data connection: handshake, body from side d in 1400-byte segments, FIN both ways."""
    frames.append(f.tcp(0, 0x02))
    frames.append(f.tcp(1, 0x12))
    frames.append(f.tcp(0, 0x10))
    for i in range(0, len(body), 1400):
        frames.append(f.tcp(d, 0x18, body[i:i + 1400]))
        frames.append(f.tcp(1 - d, 0x10))
    frames.append(f.tcp(d, 0x11))
    frames.append(f.tcp(1 - d, 0x11))
    frames.append(f.tcp(d, 0x10))


def gen_ftp(out_dir):
    """One FTP session (RFC 959, RFC 2428): a passive RETR, a directory listing (no file), an
    EPSV STOR (upload), an active (PORT) RETR, and a RETR over IPv6 with EPRT."""
    frames = []
    cli, srv = "10.0.2.5", "10.0.2.21"
    ctl = Flow(cli, srv, 51000, 21, 6)
    frames += [ctl.tcp(0, 0x02), ctl.tcp(1, 0x12), ctl.tcp(0, 0x10)]
    ftp_lines(ctl, frames, [(1, "220 gen FTP"), (0, "USER anonymous"), (1, "331 Password"),
                            (0, "PASS x"), (1, "230 Logged in"), (0, "TYPE I"), (1, "200 Ok")])
    report = bytes((i * 13 + 5) % 256 for i in range(5000))
    ftp_lines(ctl, frames, [(0, "PASV"), (1, "227 Entering Passive Mode (10,0,2,21,195,80).")])
    ftp_lines(ctl, frames, [(0, "RETR pub/report.bin"),
                            (1, "150 Opening BINARY mode data connection for pub/report.bin "
                                "(5000 bytes).")])
    ftp_data(Flow(cli, srv, 51001, 195 * 256 + 80, 6), 1, report, frames)
    ftp_lines(ctl, frames, [(1, "226 Transfer complete."), (0, "PASV"),
                            (1, "227 Entering Passive Mode (10,0,2,21,195,81)."), (0, "LIST"),
                            (1, "150 Here comes the directory listing.")])
    listing = b"-rw-r--r-- 1 0 0 5000 Jan 01 00:00 report.bin\r\n"
    ftp_data(Flow(cli, srv, 51002, 195 * 256 + 81, 6), 1, listing, frames)
    upload = b"uploaded by gen_captures.py\n" * 300
    ftp_lines(ctl, frames, [(1, "226 Directory send OK."), (0, "EPSV"),
                            (1, "229 Entering Extended Passive Mode (|||50002|)"),
                            (0, "STOR incoming/upload.txt"), (1, "150 Ok to send data.")])
    ftp_data(Flow(cli, srv, 51003, 50002, 6), 0, upload, frames)
    active = bytes((i * 31 + 7) % 256 for i in range(3000))
    ftp_lines(ctl, frames, [(1, "226 Transfer complete."), (0, "PORT 10,0,2,5,200,10"),
                            (1, "200 PORT command successful."), (0, "RETR active.bin"),
                            (1, "150 Opening BINARY mode data connection for active.bin "
                                "(3000 bytes).")])
    ftp_data(Flow(srv, cli, 20, 200 * 256 + 10, 6), 0, active, frames)
    ftp_lines(ctl, frames, [(1, "226 Transfer complete."), (0, "QUIT"), (1, "221 Goodbye.")])
    frames += [ctl.tcp(1, 0x11), ctl.tcp(0, 0x11), ctl.tcp(1, 0x10)]
    # IPv6: EPRT (the client names its own address and port)
    ctl6 = Flow("fd00::5", "fd00::21", 52000, 21, 6, v6=True)
    frames += [ctl6.tcp(0, 0x02), ctl6.tcp(1, 0x12), ctl6.tcp(0, 0x10)]
    v6file = bytes((i * 3) % 256 for i in range(2000))
    ftp_lines(ctl6, frames, [(1, "220 gen FTP"), (0, "USER anonymous"), (1, "230 Logged in"),
                             (0, "EPRT |2|fd00::5|52001|"), (1, "200 EPRT command successful."),
                             (0, "RETR six.bin"), (1, "150 Opening data connection.")])
    ftp_data(Flow("fd00::21", "fd00::5", 20, 52001, 6, v6=True), 0, v6file, frames)
    ftp_lines(ctl6, frames, [(1, "226 Transfer complete."), (0, "QUIT"), (1, "221 Goodbye.")])
    frames += [ctl6.tcp(1, 0x11), ctl6.tcp(0, 0x11), ctl6.tcp(1, 0x10)]
    return write_pcap(os.path.join(out_dir, "ftp.pcap"), frames)


def gen_tftp(out_dir):
    """TFTP (RFC 1350, 2347, 2348): a read with blksize 1024 agreed by OACK and one DATA block
    sent twice, a write of exactly 3 blocks of 512 (an empty block ends it), and a read
    refused with an ERROR (no file)."""
    frames = []
    cli, srv = "10.0.3.5", "10.0.3.69"

    def pkt(op, *parts):
        return struct.pack("!H", op) + b"".join(parts)

    req = Flow(cli, srv, 40100, 69, 17)
    frames.append(req.udp(0, pkt(1, b"boot/kernel.img\0octet\0blksize\0" b"1024\0")))
    xfer = Flow(srv, cli, 53001, 40100, 17)
    frames.append(xfer.udp(0, pkt(6, b"blksize\0" b"1024\0")))
    frames.append(xfer.udp(1, pkt(4, struct.pack("!H", 0))))
    kernel = bytes((i * 17 + 3) % 256 for i in range(3000))
    blocks = [kernel[i:i + 1024] for i in range(0, len(kernel), 1024)]
    for n, b in enumerate(blocks, 1):
        frames.append(xfer.udp(0, pkt(3, struct.pack("!H", n), b)))
        if n == 2:  # the ACK was lost: the server sends block 2 again
            frames.append(xfer.udp(0, pkt(3, struct.pack("!H", n), b)))
        frames.append(xfer.udp(1, pkt(4, struct.pack("!H", n))))
    req2 = Flow(cli, srv, 40101, 69, 17)
    frames.append(req2.udp(0, pkt(2, b"logs/upload.log\0octet\0")))
    up = Flow(srv, cli, 53002, 40101, 17)
    frames.append(up.udp(0, pkt(4, struct.pack("!H", 0))))
    log = b"line of the uploaded log...\n" * 54 + b"end\n" * 6  # 1536 bytes: 3 full blocks
    for n in range(1, 5):
        frames.append(up.udp(1, pkt(3, struct.pack("!H", n), log[(n - 1) * 512:n * 512])))
        frames.append(up.udp(0, pkt(4, struct.pack("!H", n))))
    req3 = Flow(cli, srv, 40102, 69, 17)
    frames.append(req3.udp(0, pkt(1, b"missing.bin\0octet\0")))
    err = Flow(srv, cli, 53003, 40102, 17)
    frames.append(err.udp(0, pkt(5, struct.pack("!H", 1), b"File not found\0")))
    return write_pcap(os.path.join(out_dir, "tftp.pcap"), frames)


# SMB2 ([MS-SMB2] 2.2): the header and the bodies of CREATE, READ, WRITE and CLOSE.
SMB2_CREATE, SMB2_CLOSE, SMB2_READ, SMB2_WRITE = 5, 6, 8, 9


def smb2_hdr(cmd, mid, resp, status=0, flags=0, nxt=0):
    return struct.pack("<4sHHIHHIIQIIQ16s", b"\xfeSMB", 64, 1, status, cmd, 1,
                       flags | (1 if resp else 0), nxt, mid, 0, 1, 0x1111, bytes(16))


def smb2_fid(n):
    return struct.pack("<QQ", n, 0x100 + n)


def smb2_create_req(name, disposition=1):
    n = name.encode("utf-16-le")
    return struct.pack("<HBBIQQIIIIIHHII", 57, 0, 0, 2, 0, 0, 0x12019F, 0x80, 7, disposition,
                       0x40, 120, len(n), 0, 0) + (n or b"\0")


def smb2_create_resp(fid, eof):
    return struct.pack("<HBBIQQQQQQII16sII", 89, 0, 0, 1, 0, 0, 0, 0, eof, eof, 0x80, 0, fid,
                       0, 0) + bytes(8)


def smb2_read_req(fid, off, n):
    return struct.pack("<HBBIQ16sIIIHH", 49, 0x50, 0, n, off, fid, 0, 0, 0, 0, 0) + b"\0"


def smb2_read_resp(data):
    return struct.pack("<HBBIII", 17, 80, 0, len(data), 0, 0) + data


def smb2_write_req(fid, off, data):
    return struct.pack("<HHIQ16sIIHHI", 49, 112, len(data), off, fid, 0, 0, 0, 0, 0) + data


def smb2_write_resp(n):
    return struct.pack("<HHIIHH", 17, 0, n, 0, 0, 0)


def smb2_close_req(fid):
    return struct.pack("<HHI16s", 24, 1, 0, fid)


def smb2_close_resp(eof):
    return struct.pack("<HHIQQQQQQII", 60, 1, 0, 0, 0, 0, 0, eof, eof, 0x80, 0)


def smb2_error(status):
    return struct.pack("<HBBI", 9, 0, 0, 0) + b"\0"


def smb2_compound(parts):
    """parts: (header args, body); NextCommand links them, each but the last padded to 8."""
    out = b""
    for i, (h, body) in enumerate(parts):
        last = i == len(parts) - 1
        size = 64 + len(body)
        pad = 0 if last else -size % 8
        h = dict(h, nxt=0 if last else size + pad)
        out += smb2_hdr(**h) + body + bytes(pad)
    return out


def smb2_send(f, d, msg, frames, lose=None):
    """One message with its Direct TCP transport prefix ([MS-SMB2] 2.1), in 1460-byte segments
    (but segment number `lose`, which the capture misses), and the other side's ACK."""
    data = struct.pack(">I", len(msg)) + msg
    for k, i in enumerate(range(0, len(data), 1460)):
        seg = f.tcp(d, 0x18, data[i:i + 1460])
        if k != lose:
            frames.append(seg)
    frames.append(f.tcp(1 - d, 0x10))


def smb2_files():
    """What gen_smb2 reads and writes: name -> bytes."""
    return {
        "docs\\report.bin": bytes((i * 11 + 1) % 253 for i in range(200000)),
        "upload\\notes.txt": b"notes written over SMB2 by gen_captures.py\n" * 186 + b"end\n" * 0,
        "small.txt": b"read in one compound request\n" * 10,
        "gappy.bin": bytes((i * 5 + 2) % 256 for i in range(3000)),
        "lossy.bin": bytes((i * 3 + 1) % 249 for i in range(32768)),
    }


def gen_smb2(out_dir):
    frames = []
    f = Flow("10.0.4.5", "10.0.4.45", 49200, 445, 6)
    frames += [f.tcp(0, 0x02), f.tcp(1, 0x12), f.tcp(0, 0x10)]
    files = smb2_files()
    mid = [0]

    def req(cmd, body, **kw):
        mid[0] += 1
        smb2_send(f, 0, smb2_hdr(cmd, mid[0], False, **kw) + body, frames)
        return mid[0]

    def resp(cmd, m, body, status=0):
        smb2_send(f, 1, smb2_hdr(cmd, m, True, status=status) + body, frames)

    # a read in 64 KiB chunks; the answers to the middle two come in the other order
    report = files["docs\\report.bin"]
    a = smb2_fid(1)
    m = req(SMB2_CREATE, smb2_create_req("docs\\report.bin"))
    resp(SMB2_CREATE, m, smb2_create_resp(a, len(report)))
    reads = [(req(SMB2_READ, smb2_read_req(a, off, 65536)), off)
             for off in range(0, len(report), 65536)]
    for k in (0, 2, 1, 3):
        m, off = reads[k]
        resp(SMB2_READ, m, smb2_read_resp(report[off:off + 65536]))
    m = req(SMB2_CLOSE, smb2_close_req(a))
    resp(SMB2_CLOSE, m, smb2_close_resp(len(report)))
    # a write in two pieces, and a third the server refuses (STATUS_DISK_FULL): not in the file
    notes = files["upload\\notes.txt"]
    b = smb2_fid(2)
    m = req(SMB2_CREATE, smb2_create_req("upload\\notes.txt", disposition=5))
    resp(SMB2_CREATE, m, smb2_create_resp(b, 0))
    for off, n in ((0, 5000), (5000, len(notes) - 5000)):
        m = req(SMB2_WRITE, smb2_write_req(b, off, notes[off:off + n]))
        resp(SMB2_WRITE, m, smb2_write_resp(n))
    m = req(SMB2_WRITE, smb2_write_req(b, len(notes), b"refused bytes"))
    resp(SMB2_WRITE, m, smb2_error(0xC000007F), status=0xC000007F)
    m = req(SMB2_CLOSE, smb2_close_req(b))
    resp(SMB2_CLOSE, m, smb2_close_resp(len(notes)))
    # a compound: CREATE, then READ and CLOSE related to it (FileId all ones: the CREATE's)
    small = files["small.txt"]
    c = smb2_fid(3)
    ones = b"\xff" * 16
    base = mid[0] + 1
    mid[0] += 3
    smb2_send(f, 0, smb2_compound([
        (dict(cmd=SMB2_CREATE, mid=base, resp=False), smb2_create_req("small.txt")),
        (dict(cmd=SMB2_READ, mid=base + 1, resp=False, flags=4), smb2_read_req(ones, 0, 4096)),
        (dict(cmd=SMB2_CLOSE, mid=base + 2, resp=False, flags=4), smb2_close_req(ones))]),
        frames)
    smb2_send(f, 1, smb2_compound([
        (dict(cmd=SMB2_CREATE, mid=base, resp=True), smb2_create_resp(c, len(small))),
        (dict(cmd=SMB2_READ, mid=base + 1, resp=True, flags=4), smb2_read_resp(small)),
        (dict(cmd=SMB2_CLOSE, mid=base + 2, resp=True, flags=4),
         smb2_close_resp(len(small)))]), frames)
    # a CREATE refused (STATUS_OBJECT_NAME_NOT_FOUND): no file
    m = req(SMB2_CREATE, smb2_create_req("missing.bin"))
    resp(SMB2_CREATE, m, smb2_error(0xC0000034), status=0xC0000034)
    # a read with a hole: bytes 1000..2000 of the 3000 are never read
    gappy = files["gappy.bin"]
    g = smb2_fid(4)
    m = req(SMB2_CREATE, smb2_create_req("gappy.bin"))
    resp(SMB2_CREATE, m, smb2_create_resp(g, len(gappy)))
    for off in (0, 2000):
        m = req(SMB2_READ, smb2_read_req(g, off, 1000))
        resp(SMB2_READ, m, smb2_read_resp(gappy[off:off + 1000]))
    m = req(SMB2_CLOSE, smb2_close_req(g))
    resp(SMB2_CLOSE, m, smb2_close_resp(len(gappy)))
    frames += [f.tcp(0, 0x11), f.tcp(1, 0x11), f.tcp(0, 0x10)]
    # another connection: the capture misses a segment of the second of four 8 KiB answers
    f = Flow("10.0.4.6", "10.0.4.45", 49201, 445, 6)
    frames += [f.tcp(0, 0x02), f.tcp(1, 0x12), f.tcp(0, 0x10)]
    lossy = files["lossy.bin"]
    h = smb2_fid(5)
    m = req(SMB2_CREATE, smb2_create_req("lossy.bin"))
    resp(SMB2_CREATE, m, smb2_create_resp(h, len(lossy)))
    for off in range(0, len(lossy), 8192):
        m = req(SMB2_READ, smb2_read_req(h, off, 8192))
        smb2_send(f, 1, smb2_hdr(SMB2_READ, m, True) + smb2_read_resp(lossy[off:off + 8192]),
                  frames, lose=2 if off == 8192 else None)
    m = req(SMB2_CLOSE, smb2_close_req(h))
    resp(SMB2_CLOSE, m, smb2_close_resp(len(lossy)))
    frames += [f.tcp(0, 0x11), f.tcp(1, 0x11), f.tcp(0, 0x10)]
    return write_pcap(os.path.join(out_dir, "smb2.pcap"), frames)


# SMB1 ([MS-CIFS] 2.2.3.1 header; 2.2.4.64 NT_CREATE_ANDX, 2.2.4.42 READ_ANDX, 2.2.4.43
# WRITE_ANDX, 2.2.4.5 CLOSE), Unicode names and NT status codes.
SMB1_CLOSE, SMB1_READ, SMB1_WRITE, SMB1_CREATE = 0x04, 0x2E, 0x2F, 0xA2


def smb1(cmd, mid, reply, words=b"", data=b"", status=0):
    hdr = struct.pack("<4sBIBHH8sHHHHH", b"\xffSMB", cmd, status, 0x98 if reply else 0x18,
                      0xC801, 0, bytes(8), 0, 1, 100, 2048, mid)
    return hdr + bytes([len(words) // 2]) + words + struct.pack("<H", len(data)) + data


def smb1_files():
    """What gen_smb1 reads and writes: name -> bytes."""
    return {"share\\big.bin": bytes((i * 7 + 3) % 251 for i in range(100000)),
            "up\\log.txt": b"a log line written over SMB1\n" * 200}


def gen_smb1(out_dir):
    frames = []
    f = Flow("10.0.5.5", "10.0.5.45", 49300, 139, 6)
    frames += [f.tcp(0, 0x02), f.tcp(1, 0x12), f.tcp(0, 0x10)]
    # the NetBIOS session service (RFC 1002 4.3.2, 4.3.3): a session request, its positive
    # response; then each message is a session message (type 0, as smb2_send frames it)
    def nbname(name):  # RFC 1001 14.1: first-level encoding, 16 bytes with the suffix 0x20
        raw = name.ljust(15).encode() + b" "
        return bytes([32]) + bytes(65 + (c >> 4 if i % 2 == 0 else c & 15)
                                   for c in raw for i in range(2)) + b"\0"

    names = nbname("FILESERVER") + nbname("CLIENT")
    frames.append(f.tcp(0, 0x18, struct.pack(">BBH", 0x81, 0, len(names)) + names))
    frames.append(f.tcp(1, 0x18, struct.pack(">BBH", 0x82, 0, 0)))
    files = smb1_files()
    mid = [0]

    def create(name, fid, eof, status=0):
        mid[0] += 1
        n = name.encode("utf-16-le") + b"\0\0"
        words = struct.pack("<BBHBHIIIQIIIIIB", 0xFF, 0, 0, 0, len(n), 0x16, 0, 0x2019F, 0, 0x80,
                            7, 1 if eof else 5, 0x40, 2, 0)
        smb2_send(f, 0, smb1(SMB1_CREATE, mid[0], False, words, b"\0" + n), frames)
        if status:
            smb2_send(f, 1, smb1(SMB1_CREATE, mid[0], True, status=status), frames)
            return
        words = struct.pack("<BBHBHIQQQQIQQHHB", 0xFF, 0, 0, 0, fid, 1, 0, 0, 0, 0, 0x80, eof,
                            eof, 0, 0, 0)
        smb2_send(f, 1, smb1(SMB1_CREATE, mid[0], True, words), frames)

    def close(fid):
        mid[0] += 1
        smb2_send(f, 0, smb1(SMB1_CLOSE, mid[0], False, struct.pack("<HI", fid, 0xFFFFFFFF)),
                  frames)
        smb2_send(f, 1, smb1(SMB1_CLOSE, mid[0], True), frames)

    big = files["share\\big.bin"]
    create("share\\big.bin", 0x4001, len(big))
    for off in range(0, len(big), 16384):
        mid[0] += 1
        chunk = big[off:off + 16384]
        words = struct.pack("<BBHHIHHIHI", 0xFF, 0, 0, 0x4001, off, 16384, 16384, 0, 0, 0)
        smb2_send(f, 0, smb1(SMB1_READ, mid[0], False, words), frames)
        words = struct.pack("<BBHHHHHHH8s", 0xFF, 0, 0, 0xFFFF, 0, 0, len(chunk), 60, 0,
                            bytes(8))
        smb2_send(f, 1, smb1(SMB1_READ, mid[0], True, words, b"\0" + chunk), frames)
    close(0x4001)
    log = files["up\\log.txt"]
    create("up\\log.txt", 0x4002, 0)
    for off, n in ((0, 4000), (4000, len(log) - 4000)):
        mid[0] += 1
        words = struct.pack("<BBHHIIHHHHHI", 0xFF, 0, 0, 0x4002, off, 0, 0, 0, 0, n, 64, 0)
        smb2_send(f, 0, smb1(SMB1_WRITE, mid[0], False, words, b"\0" + log[off:off + n]),
                  frames)
        words = struct.pack("<BBHHHHH", 0xFF, 0, 0, n, 0xFFFF, 0, 0)
        smb2_send(f, 1, smb1(SMB1_WRITE, mid[0], True, words), frames)
    close(0x4002)
    create("nothere.txt", 0, 0, status=0xC0000034)
    frames += [f.tcp(0, 0x11), f.tcp(1, 0x11), f.tcp(0, 0x10)]
    return write_pcap(os.path.join(out_dir, "smb1.pcap"), frames)


def gen_vlan(out_dir):
    frames = []
    f = Flow("192.168.10.2", "192.168.10.3", 7000, 7001, 17)
    for i in range(6):
        inner = f.udp(i % 2, b"vlan-payload-%02d" % i)
        dst, src, rest = inner[:6], inner[6:12], inner[12:]
        if i < 3:
            frames.append(dst + src + struct.pack("!HH", 0x8100, 10) + rest)
        else:
            frames.append(dst + src + struct.pack("!HHHH", 0x88A8, 100, 0x8100, 20) + rest)
    return write_pcap(os.path.join(out_dir, "vlan.pcap"), frames)


def gen_many(out_dir):
    frames = []
    for i in range(2000):
        f = Flow(f"10.1.{i // 250}.{i % 250 + 1}", "10.2.0.1", 20000 + i % 40000, 443, 6)
        frames += [f.tcp(0, 0x02), f.tcp(1, 0x12), f.tcp(0, 0x10), f.tcp(0, 0x18, b"hello"),
                   f.tcp(1, 0x18, b"world!"), f.tcp(0, 0x11), f.tcp(1, 0x11)]
        if i % 2 == 0:
            d = Flow(f"10.1.{i // 250}.{i % 250 + 1}", "10.2.0.53", 30000 + i, 53, 17)
            frames.append(d.udp(0, dns_query(i & 0xFFFF, f"n{i}.example.test", 1)))
            frames.append(d.udp(1, dns_answer(i & 0xFFFF, f"n{i}.example.test", 1,
                                              ip4("10.9.9.9"))))
    return write_pcap(os.path.join(out_dir, "many.pcap"), frames)


def gen_names(out_dir):
    """The three DNS dialects tshark tells apart by port: DNS (UDP and TCP 53), mDNS (5353: a
    query, and an announcement with no question), LLMNR (5355: a query and its answer)."""
    frames = []
    dns = Flow("10.0.0.5", "10.0.0.53", 42000, 53, 17)
    frames.append(dns.udp(0, dns_query(0x3000, "www.example.test", 1)))
    frames.append(dns.udp(1, dns_answer(0x3000, "www.example.test", 1, ip4("10.0.1.90"))))
    mdns = Flow("10.0.0.5", "224.0.0.251", 5353, 5353, 17)
    frames.append(mdns.udp(0, dns_query(0, "printer.local", 12)))
    rr = (b"".join(bytes([len(p)]) + p.encode() for p in "printer.local".split(".")) + b"\0" +
          struct.pack("!HHIH", 1, 0x8001, 120, 4) + ip4("10.0.0.7"))
    frames.append(mdns.udp(0, struct.pack("!HHHHHH", 0, 0x8400, 0, 1, 0, 0) + rr))
    llmnr = Flow("10.0.0.5", "224.0.0.252", 53000, 5355, 17)
    frames.append(llmnr.udp(0, dns_query(0x4000, "fileserver", 1)))
    frames.append(llmnr.udp(1, dns_answer(0x4000, "fileserver", 1, ip4("10.0.0.9"))))
    tcp = Flow("10.0.0.5", "10.0.0.53", 43000, 53, 6)
    q = dns_query(0x5000, "big.example.test", 16)
    frames += [tcp.tcp(0, 0x02), tcp.tcp(1, 0x12), tcp.tcp(0, 0x10),
               tcp.tcp(0, 0x18, struct.pack("!H", len(q)) + q), tcp.tcp(1, 0x10),
               tcp.tcp(0, 0x11), tcp.tcp(1, 0x11), tcp.tcp(0, 0x10)]
    return write_pcap(os.path.join(out_dir, "names.pcap"), frames)


def pcapng_block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def pcapng_option(code, value):
    return struct.pack("<HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


CURL = {"PID": 4242, "Cmd": "/usr/bin/curl", "Args": "curl -s http://example.test/index.html",
        "ParentPID": 4200, "ParentCmd": "/usr/bin/bash", "ParentArgs": "-bash",
        "ThreadName": "curl"}
PY = {"PID": 5151, "Cmd": "/usr/bin/python3", "Args": "python3 sender.py", "ParentPID": 4200,
      "ParentCmd": "/usr/bin/bash", "ParentArgs": "-bash", "ThreadName": "python3"}


def comment(proc, tid):
    """The comments ptcpdump writes on a packet, as it writes them: one for the process, one for
    the thread, one for the parent (three opt_comment options)."""
    return ["\n".join(f"{k}: {proc[k]}" for k in ("PID", "Cmd", "Args")),
            f"ThreadId: {tid}\nThreadName: {proc['ThreadName']}",
            "\n".join(f"{k}: {proc[k]}" for k in ("ParentPID", "ParentCmd", "ParentArgs"))]


def gen_ptcpdump(out_dir):
    packets = []  # (frame, comment or None)
    dns = Flow("10.0.0.7", "10.0.0.53", 45000, 53, 17)
    packets.append((dns.udp(0, dns_query(0x3333, "example.test", 1)), comment(CURL, 4243)))
    packets.append((dns.udp(1, dns_answer(0x3333, "example.test", 1, ip4("10.0.1.80"))),
                    comment(CURL, 4243)))
    f = Flow("10.0.0.7", "10.0.1.80", 51000, 80, 6)
    frames = []
    http_exchange(f, "/index.html", 1800, frames)
    packets += [(fr, comment(CURL, 4242)) for fr in frames]
    py = Flow("10.0.0.7", "10.0.0.99", 46000, 9999, 17)
    for i in range(5):
        packets.append((py.udp(0, b"datagram-%d" % i), comment(PY, 5151)))
    other = Flow("10.0.0.8", "10.0.0.7", 47000, 22, 6)
    packets.append((other.tcp(0, 0x02), None))
    out = pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += pcapng_block(1, struct.pack("<HHI", 1, 0, 65535) +
                        pcapng_option(2, b"eth0") + pcapng_option(0, b""))
    for i, (fr, com) in enumerate(packets):
        ts = T0 * 1_000_000 + i * 2500
        body = struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(fr), len(fr))
        body += fr + b"\0" * (-len(fr) % 4)
        if com:
            body += b"".join(pcapng_option(1, c.encode()) for c in com) + pcapng_option(0, b"")
        out += pcapng_block(6, body)
    with open(os.path.join(out_dir, "ptcpdump.pcapng"), "wb") as fp:
        fp.write(out)
    n_curl = sum(1 for _, c in packets if c and "PID: 4242" in c[0])
    n_py = sum(1 for _, c in packets if c and "PID: 5151" in c[0])
    return len(packets), n_curl, n_py


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    n_pt, n_curl, n_py = gen_ptcpdump(out_dir)
    manifest = {
        "web.pcap": {"packets": gen_web(out_dir)},
        "vlan.pcap": {"packets": gen_vlan(out_dir)},
        "many.pcap": {"packets": gen_many(out_dir)},
        "names.pcap": {"packets": gen_names(out_dir)},
        "ftp.pcap": {"packets": gen_ftp(out_dir)},
        "tftp.pcap": {"packets": gen_tftp(out_dir)},
        "smb2.pcap": {"packets": gen_smb2(out_dir)},
        "smb1.pcap": {"packets": gen_smb1(out_dir)},
        "ranges.pcap": {"packets": gen_ranges(out_dir)},
        "form.pcap": {"packets": gen_form(out_dir)},
        "ptcpdump.pcapng": {
            "packets": n_pt,
            "processes": [
                dict(CURL, Packets=n_curl, Threads=[4242, 4243]),
                dict(PY, Packets=n_py, Threads=[5151]),
            ],
        },
    }
    with open(os.path.join(out_dir, "manifest.json"), "w") as fp:
        json.dump(manifest, fp, indent=1, sort_keys=True)
        fp.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

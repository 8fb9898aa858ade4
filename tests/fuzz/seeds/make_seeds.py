#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed inputs of the text-format fuzz targets into tests/fuzz/seeds/<target>/.

usage: make_seeds.py   (run from anywhere; rewrites the folders beside this script)

Each target starts from inputs in its own format, so a 20 s run explores the format rather
than the bytes of capture files: filter texts (the differential tests' filters, each also run
against tshark there), form, JSON and multipart request bodies as the web UI and apcctl send
them, Range headers. The files are committed; rerun after adding filters to
tests/search/diff_tshark.py.
"""
import ast
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")


def filters():
    src = open(os.path.join(HERE, "..", "..", "search", "diff_tshark.py")).read()
    out = []
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") in (
                "CASES", "MADE_CASES", "BPF", "MADE_BPF"):
            for item in ast.literal_eval(node.value):
                if node.targets[0].id.endswith("BPF"):
                    out.append('bpf("%s")' % item[1])
                else:
                    out.append(item[1])
    out += ["process.name == \"curl\" && tcp.port == 443", "pid == 4242 || tid in {1, 2}",
            "frame.time >= \"2024-01-31 12:00:00\" && frame.time < \"2024-02-01T00:00:00Z\"",
            "ip.addr == 10.0.0.0/8 and not (udp or icmp)", "!tcp.flags.ack", "ipv6.addr == ::1",
            "file.sha256 in {\"AB01\" \"cd\"} || file.name matches \"\\\\.exe$\"",
            "file.size > 1000 && file.mime == \"image/png\" && !file.name"]
    return sorted(set(out))


def write(target, items):
    d = os.path.join(HERE, target)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        os.remove(os.path.join(d, f))
    for i, data in enumerate(items):
        with open(os.path.join(d, "seed-%03d" % i), "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())


def multipart(boundary, fields, file_part=None):
    out = []
    for k, v in fields:
        out.append("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                   % (boundary, k, v))
    if file_part:
        out.append("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
                   "Content-Type: application/octet-stream\r\n\r\n%s\r\n" % (boundary, *file_part))
    out.append("--%s--\r\n" % boundary)
    return "".join(out).encode()


def main():
    write("filter", filters())
    tok = "0123456789abcdef" * 4
    write("form", [
        "action=apppaccap",
        "action=login&username=admin&password=s%C3%A9cret%21",
        "action=capture_read&token=%s&capture_id=3&last_id=100&count=50&flags=1" % tok,
        "action=search_start&filter=tcp.port+%3D%3D+80+%26%26+ip.src+%3D%3D+10.0.0.1&wait=1",
        "action=capture_start_system&adapter%5B%5D=eth0&adapter%5B%5D=lo&flags=0x101",
        "action=settings_set&key_name=export_roots&value=%2Fsrv%2Fa%2C%2Fsrv%2Fb",
        "a=1&a=2&b=&=c&d",
    ])
    write("json", [
        '{"action":"apppaccap"}',
        '{"action":"login","username":"admin","password":"p\\u00e9\\"x"}',
        '{"action":"capture_read","token":"%s","capture_id":3,"last_id":"100","flags":true}' % tok,
        '{"action":"capture_start_system","adapter":["eth0","lo"],"filter":null}',
        '{"action":"search_start","filter":"frame contains \\"GET\\"","wait":1}',
        '{"n":1.5e300,"m":-0,"big":9007199254740993,"list":[1,"two",false]}',
    ])
    write("multipart", [
        b"\x00" + b"b\n" + multipart("b", [("action", "pcap_ingest_post"), ("token", tok)],
                                      ("x.pcap", "PCAPDATA")),
        b"\x07" + b"----apc1234\n" + multipart("----apc1234", [("action", "login"),
                                                              ("username", "admin"),
                                                              ("password", "pw")]),
        b"\xff" + b"XyZ\n" + multipart("XyZ", [("note", "line1\r\nline2")], ("a b.pcapng", "")),
    ])
    ranges = ["bytes=0-99", "bytes=100-", "bytes=-500", "bytes=0-0", "bytes=5-4",
              "bytes=0-99,200-299", "items=0-5", "bytes= 1 - 2"]
    write("range", [struct.pack("<Q", (1000 << 8)) + r.encode() for r in ranges] +
          [struct.pack("<Q", 0) + b"bytes=0-"] +
          # the same target reads 206 answers' Content-Range (extract/http.c)
          [struct.pack("<Q", 0) + c.encode() for c in
           ["bytes 0-9999/30000", "bytes 20000-29999/30000", "bytes 5-5/*", "bytes */47022",
            "bytes 10-5/100"]])
    # fuzz_http: byte 0 = mode (bit 0 request, bits 1-3 file cap, bit 4 reorder), byte 1 =
    # piece size (bit 1 drops a piece); then one direction of an HTTP/1.x stream.
    responses = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
                 b"HTTP/1.1 100 Continue\r\n\r\n"
                 b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                 b"Content-Disposition: attachment; filename=\"a.bin\"\r\n\r\n"
                 b"4;x=1\r\nabcd\r\nA\r\n0123456789\r\n0\r\nT: y\r\n\r\n"
                 b"HTTP/1.1 304 Not Modified\r\n\r\n"
                 b"HTTP/1.0 200 OK\r\n\r\nuntil the close")
    requests = (b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n"
                b"POST /up?x=1 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
                b"POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n")
    gz = zlib.compressobj(9, zlib.DEFLATED, 31)
    gzbody = gz.compress(b"the quick brown fox " * 50) + gz.flush()
    coded = (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(gzbody)
             + gzbody + b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nTransfer-Encoding: chunked"
             b"\r\n\r\n%x\r\n" % len(zlib.compress(b"abc" * 100)) + zlib.compress(b"abc" * 100)
             + b"\r\n0\r\n\r\n")
    write("http", [b"\x00\xff" + coded, b"\x16\x2f" + coded,b"\x00\xff" + responses, b"\x10\x07" + responses, b"\x06\x03" + responses,
                   b"\x01\xff" + requests, b"\x11\x0b" + requests, b"\x08\xff" + responses,
                   b"\x00\xff" + b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234"])
    # fuzz_reply: replies as apcd sends them (numbers kept as text, escapes, nesting).
    write("reply", [
        b'{"ErrorCode":0,"DataType":3,"ReturnValue":{"Version":1,"CaptureId":1,"LastId":2,'
        b'"More":1,"Packets":[{"PacketId":1,"Time":133444736000000120,"SrcIp":"10.0.3.215",'
        b'"Summary":"IP 10.0.3.215.60974 > 203.0.113.44.80: Flags [S]","Notes":""}]}}',
        b'{"ErrorCode":4,"DataType":1,"ReturnValue":"missing parameter \'capture_id\'"}',
        b'{"ErrorCode":0,"DataType":2,"ReturnValue":-9223372036854775808}',
        b'[1.5e-3,-0,0.25E+2,true,false,null,"\\u00e9\\ud83d\\ude00\\n\\"",{},[]]',
        b' {"a" : [ {"b":{"c":[[[]]]}} ] } ',
    ])
    # fuzz_ftp: control lines, one per line, commands and replies.
    write("ftp", [
        b"USER anonymous\nPASV\nRETR pub/report.bin\nSTOR up.txt\nLIST -la\n",
        b"PORT 10,0,2,5,200,10\nEPRT |2|fd00::5|52001|\nEPRT !1!192.0.2.7!21000!\n",
        b"227 Entering Passive Mode (90,130,70,73,95,203).\n229 Entering Extended Passive Mode "
        b"(|||50002|)\n150 Opening BINARY mode data connection for 1MB.zip (1048576 bytes).\n",
    ])
    # fuzz_tftp: one datagram's payload each.
    write("tftp", [
        b"\0\1boot/kernel.img\0octet\0blksize\0" b"1024\0tsize\0" b"0\0",
        b"\0\2up.log\0netascii\0",
        b"\0\3\0\1" + bytes(range(64)),
        b"\0\4\xff\xff",
        b"\0\5\0\1File not found\0",
        b"\0\6blksize\0" b"1428\0",
    ])
    write("smb2", smb2_seeds())
    write("mail", mail_seeds())
    write("index", index_seeds())
    return 0


def index_seeds():
    """fuzz_index: index blocks as store/index_codec.c writes them (byte 0 even), and raw
    records to encode (byte 0 odd)."""
    def varint(v):
        out = b""
        while v >= 0x80:
            out += bytes([v & 0x7F | 0x80])
            v >>= 7
        return out + bytes([v])

    def zz(v):
        return (v << 1) ^ (v >> 63) if v >= 0 else ((v << 1) ^ -1) & (2**64 - 1)

    def sz(v):  # a signed difference, zigzagged
        d = v & (2**64 - 1)
        return zz(d - 2**64 if d >= 2**63 else d)

    def block(recs, us):
        body, prev = b"", (0, 0, 0, 0)
        for r in recs:
            cur = (r[0] // 1000 if us else r[0], r[1] // 4, r[2], r[3])
            body += varint(sz(cur[0] - prev[0])) + varint(sz(cur[1] - prev[1]))
            body += varint(sz(cur[2] - prev[2]) << 1 | (cur[3] != prev[3]))
            if cur[3] != prev[3]:
                body += varint(sz(cur[3] - prev[3]))
            prev = cur
        rest = struct.pack("<HB", len(recs), (1 if us else 0) | 2) + body
        return b"\0" + struct.pack("<I", zlib.crc32(rest)) + rest

    recs = [(1733300000000000000 + i * 137000, (1 << 48) + i * 600, i % 9, 0x20000000 | i % 4)
            for i in range(40)]
    raw = b"".join(struct.pack("<qQII", *r) for r in recs[:10])
    return [block(recs, True), block(recs[:1], False), b"\1" + raw]


def smb2_seeds():
    """fuzz_smb2: Direct TCP streams of SMB2 messages, as gen_captures.py's smb2.pcap sends
    them (each seed one direction of a few exchanges)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "gen_captures", os.path.join(HERE, "..", "..", "captures", "gen_captures.py"))
    g = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(g)

    def frame(*msgs):
        return b"".join(struct.pack(">I", len(m)) + m for m in msgs)

    fid, ones = g.smb2_fid(1), b"\xff" * 16
    create = g.smb2_hdr(g.SMB2_CREATE, 1, False) + g.smb2_create_req("docs\\r\u00e9port.bin")
    read = g.smb2_hdr(g.SMB2_READ, 2, False) + g.smb2_read_req(fid, 0, 4096)
    write_ = g.smb2_hdr(g.SMB2_WRITE, 3, False) + g.smb2_write_req(fid, 10, b"written bytes")
    close = g.smb2_hdr(g.SMB2_CLOSE, 4, False) + g.smb2_close_req(fid)
    answers = [g.smb2_hdr(g.SMB2_CREATE, 1, True) + g.smb2_create_resp(fid, 300),
               g.smb2_hdr(g.SMB2_READ, 2, True) + g.smb2_read_resp(bytes(range(200))),
               g.smb2_hdr(g.SMB2_WRITE, 3, True) + g.smb2_write_resp(13),
               g.smb2_hdr(g.SMB2_CLOSE, 4, True) + g.smb2_close_resp(300),
               g.smb2_hdr(g.SMB2_CREATE, 5, True, status=0xC0000034) + g.smb2_error(0)]
    compound_req = g.smb2_compound([
        (dict(cmd=g.SMB2_CREATE, mid=6, resp=False), g.smb2_create_req("small.txt")),
        (dict(cmd=g.SMB2_READ, mid=7, resp=False, flags=4), g.smb2_read_req(ones, 0, 512)),
        (dict(cmd=g.SMB2_CLOSE, mid=8, resp=False, flags=4), g.smb2_close_req(ones))])
    compound_resp = g.smb2_compound([
        (dict(cmd=g.SMB2_CREATE, mid=6, resp=True), g.smb2_create_resp(fid, 20)),
        (dict(cmd=g.SMB2_READ, mid=7, resp=True, flags=4), g.smb2_read_resp(b"x" * 20)),
        (dict(cmd=g.SMB2_CLOSE, mid=8, resp=True, flags=4), g.smb2_close_resp(20))])
    transform = b"\xfdSMB" + bytes(48) + b"encrypted"
    words = struct.pack("<BBHHIHHIHI", 0xFF, 0, 0, 0x4001, 0, 512, 512, 0, 0, 0)
    smb1_read = g.smb1(g.SMB1_READ, 5, False, words)
    words = struct.pack("<BBHHHHHHH8s", 0xFF, 0, 0, 0xFFFF, 0, 0, 20, 60, 0, bytes(8))
    smb1_answer = g.smb1(g.SMB1_READ, 5, True, words, b"\0" + b"y" * 20)
    return [frame(create, read, write_, close), frame(*answers), frame(compound_req),
            frame(compound_resp), frame(transform, b"\xffSMB" + bytes(28)),
            frame(smb1_read, smb1_answer)]


def mail_seeds():
    """fuzz_mail: a byte (bit 2: IMAP, else bit 0: POP3, else SMTP; bit 1: the client sends
    direction 1), then chunks, each a byte (bit 0: direction, the rest: length - 1; 63 or 127 there: a hole) and its bytes."""
    def session(kind, turns):
        out = bytes([kind])
        for d, data in turns:
            for i in range(0, len(data), 50):
                c = data[i:i + 50]
                out += bytes([d | (len(c) - 1) << 1]) + c
        return out
    smtp = session(0, [(1, b"220 mx\r\n"), (0, b"STARTTLS\r\n"), (1, b"454 no\r\n"),
                       (0, b"DATA\r\n"), (0, b"Subject: hi\r\n\r\n..dot\r\nx\r\n.\r\n"),
                       (0, b"BDAT 5\r\nabcdeBDAT 3 LAST\r\nfgh"), (0, b"STARTTLS\r\n"),
                       (1, b"220 go\r\n"), (0, b"DATA\r\n")])
    pop = session(1, [(0, b"RETR 1\r\n"), (1, b"+OK\r\nSubject: p\r\n\r\n..a\r\n.\r\n"),
                      (0, b"TOP 1 0\r\n"), (1, b"-ERR\r\n"), (0, b"RETR 2\r\n"),
                      (1, b"+OK\r\n" + b"y" * 400 + b"\r\n.\r\n")])
    big = session(0, [(0, b"DATA\r\n" + b"z" * 299 + b"\r\n.\r\n")])
    imap = session(4, [(0, b"a1 FETCH 1 BODY.PEEK[]\r\n"),
                       (1, b"* 1 FETCH (BODY[] {12}\r\nSubject: x\r\n)\r\na1 OK\r\n"),
                       (0, b"a2 APPEND INBOX {5+}\r\nhello\r\n"), (0, b"a3 STARTTLS\r\n"),
                       (1, b"a3 OK go\r\n")])
    return [smtp, pop, big, imap]


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Differential test of the search language against the oracles (issue 6).

For each (corpus file, filter) below, the packet ids our search returns must equal the frame
numbers `tshark -Y FILTER` prints for the same file (for fields both know), and for each
bpf("EXPR") filter, the packet numbers `tcpdump -r FILE EXPR` prints. Our packet ids are the
1-based position of the packet in the ingested file, like tshark's frame.number.

Fields where we differ from Wireshark on purpose are listed in docs/filters.md ("Differences
from Wireshark"); the cases below avoid them (no IP fragments, no tunnels, no ICMP errors
quoting other packets). Usage: diff_tshark.py APCCTL (APC_CORPUS names the corpus).
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus"))
import apcrun  # noqa: E402

CORPUS = os.environ.get("APC_CORPUS", os.path.join(os.path.dirname(__file__), "../../../shared/corpus"))

# (file, our filter, tshark filter or None when it is the same text)
CASES = [
    ("zeek/http_bro.org.pcap", "tcp.port == 80", None),
    ("zeek/http_bro.org.pcap", "tcp.srcport == 80", None),
    ("zeek/http_bro.org.pcap", "tcp.dstport == 80 && tcp.len > 0", None),
    ("zeek/http_bro.org.pcap", "ip.addr == 192.150.187.43", None),
    ("zeek/http_bro.org.pcap", "ip.src == 10.0.2.15", None),
    ("zeek/http_bro.org.pcap", "ip.dst == 192.150.187.0/24", None),
    ("zeek/http_bro.org.pcap", "ip.addr != 192.150.187.43", None),
    ("zeek/http_bro.org.pcap", "!(ip.addr == 192.150.187.43)", None),
    ("zeek/http_bro.org.pcap", "tcp.flags.syn == 1", None),
    ("zeek/http_bro.org.pcap", "tcp.flags.syn == 1 && tcp.flags.ack == 0", None),
    ("zeek/http_bro.org.pcap", "tcp.flags.fin == 1 || tcp.flags.reset == 1", None),
    ("zeek/http_bro.org.pcap", "tcp.flags == 0x18", None),
    ("zeek/http_bro.org.pcap", "frame.len > 1000", None),
    ("zeek/http_bro.org.pcap", "frame.len <= 60", None),
    ("zeek/http_bro.org.pcap", "frame.number in {1, 5, 10..20}", None),
    ("zeek/http_bro.org.pcap", "frame contains \"GET\"", None),
    ("zeek/http_bro.org.pcap", "frame contains \"Content-Type: image\"", None),
    ("zeek/http_bro.org.pcap", "frame matches \"get /css/.*\\\\.css\"", None),
    ("zeek/http_bro.org.pcap", "http.request.method == \"GET\"", None),
    ("zeek/http_bro.org.pcap", "http.host == \"www.bro.org\"", None),
    ("zeek/http_bro.org.pcap", "http.request.uri contains \"images\"", None),
    ("zeek/http_bro.org.pcap", "http.request.uri matches \"\\\\.(js|css)$\"", None),
    ("zeek/http_bro.org.pcap", "eth.src == 08:00:27:ef:1f:74", None),
    ("zeek/http_bro.org.pcap", "eth.addr == 52:54:00:12:35:02 && tcp.len == 0", None),
    ("zeek/http_bro.org.pcap", "ip.ttl == 64", None),
    ("zeek/http_bro.org.pcap", "ip.proto == 6 && !(tcp.port == 80)", None),
    ("zeek/http_bro.org.pcap", "tcp.port in {80, 443} and not tcp.flags.ack == 1", None),
    ("zeek/http_bro.org.pcap", "udp", None),
    ("ndpi/443-firefox.pcap", "tls.sni == \"www.mozilla.org\"",
     "tls.handshake.extensions_server_name == \"www.mozilla.org\""),
    ("ndpi/443-firefox.pcap", "tls.sni contains \"mozilla\"",
     "tls.handshake.extensions_server_name contains \"mozilla\""),
    ("ndpi/443-firefox.pcap", "tcp.port == 443 && tcp.len > 1000", None),
    # The server name of QUIC client Initials (search/quic.c): first Initial of a connection
    # only, as tshark (a resend after Retry or Version Negotiation is not read by it).
    ("tcpdump/quic_handshake.pcap", "tls.sni == \"localhost\"",
     "tls.handshake.extensions_server_name == \"localhost\""),
    ("tcpdump/quic_retry.pcap", "tls.sni", "tls.handshake.extensions_server_name"),
    ("tcpdump/quic_vn.pcap", "tls.sni", "tls.handshake.extensions_server_name"),
    ("tcpdump/quic_handshake_truncated.pcap", "tls.sni", "tls.handshake.extensions_server_name"),
    ("tcpdump/quic_handshake.pcap", "udp.port == 443 && tls.sni contains \"local\"",
     "udp.port == 443 && tls.handshake.extensions_server_name contains \"local\""),
    ("ndpi/443-firefox.pcap", "ip.addr == 192.168.1.0/24 && tcp.flags.push == 1", None),
    ("ptcpdump/dns.pcapng", "dns.qry.name == \"example.com\"", None),
    ("ptcpdump/dns.pcapng", "dns.qry.name contains \"example\"", None),
    ("ptcpdump/dns.pcapng", "udp.port == 53", None),
    ("ptcpdump/dns.pcapng", "dns", None),
    ("ptcpdump/icmp.pcapng", "icmp.type == 8", None),
    ("ptcpdump/icmp.pcapng", "icmp.type in {0, 8}", None),
    ("ptcpdump/icmp.pcapng", "icmp", None),
    ("zeek/vlan-qinqinq.pcap", "vlan.id == 10", None),
    ("zeek/vlan-qinqinq.pcap", "vlan", None),
    ("ndpi/1kxun.pcap", "udp.port == 53 && dns.qry.name contains \"google\"", None),
    ("ndpi/1kxun.pcap", "dns.qry.name matches \"^www\\\\.\"", None),
    ("ndpi/1kxun.pcap", "ip.addr == 192.168.2.126 && tcp.port == 80", None),
    ("ndpi/1kxun.pcap", "ipv6", None),
    ("ndpi/1kxun.pcap", "dns", None),
    ("ndpi/1kxun.pcap", "mdns", None),
    ("ndpi/1kxun.pcap", "llmnr", None),
    ("zeek/wikipedia.pcap", "dns", None),
    ("zeek/wikipedia.pcap", "mdns", None),
    ("zeek/wikipedia.pcap", "llmnr", None),
    ("zeek/wikipedia.pcap", "dns.qry.name", None),
    ("ndpi/1kxun.pcap", "udp.dstport >= 5000 && udp.dstport <= 6000", None),
    ("ndpi/1kxun.pcap", "frame.time_epoch >= 1500000000 && frame.time_epoch < 1700000000", None),
]

BPF = [
    ("zeek/http_bro.org.pcap", "tcp port 80 and tcp[tcpflags] & tcp-syn != 0"),
    ("zeek/http_bro.org.pcap", "host 192.150.187.43 and greater 1000"),
    ("ndpi/1kxun.pcap", "udp and port 53"),
    ("ndpi/1kxun.pcap", "net 192.168.0.0/16 and not tcp"),
    ("zeek/vlan-qinqinq.pcap", "vlan 10"),
    ("ptcpdump/icmp.pcapng", "icmp[icmptype] == icmp-echo"),
]


# Without the corpus (a plain clone): the same kinds of filter on the captures the build makes
# (tests/captures/gen_captures.py), still against tshark and tcpdump.
MADE_CASES = [
    ("web.pcap", "tcp.port == 80", None),
    ("web.pcap", "tcp.srcport == 80 && tcp.len > 0", None),
    ("web.pcap", "ip.addr == 10.0.1.81", None),
    ("web.pcap", "ip.dst == 10.0.1.0/24", None),
    ("web.pcap", "!(ip.addr == 10.0.1.80)", None),
    ("web.pcap", "tcp.flags.syn == 1 && tcp.flags.ack == 0", None),
    ("web.pcap", "tcp.flags.fin == 1 || tcp.flags.reset == 1", None),
    ("web.pcap", "tcp.flags == 0x18", None),
    ("web.pcap", "frame.len > 1000", None),
    ("web.pcap", "frame.number in {1, 5, 10..20}", None),
    ("web.pcap", "frame contains \"GET\"", None),
    ("web.pcap", "frame matches \"get /file1[0-9]\\\\.bin\"", None),
    ("web.pcap", "http.request.method == \"GET\"", None),
    ("web.pcap", "http.host == \"example.test\"", None),
    ("web.pcap", "http.request.uri contains \"file1\"", None),
    ("web.pcap", "ipv6", None),
    ("web.pcap", "ipv6.addr == fd00::80", None),
    ("web.pcap", "dns", None),
    ("web.pcap", "dns.qry.name contains \"host\"", None),
    ("web.pcap", "dns.qry.name == \"v6.example.test\"", None),
    ("web.pcap", "icmp.type == 8", None),
    ("web.pcap", "icmp", None),
    ("web.pcap", "udp", None),
    ("web.pcap", "eth.src == 02:00:00:00:00:01", None),
    ("vlan.pcap", "vlan.id == 10", None),
    ("vlan.pcap", "vlan", None),
    ("vlan.pcap", "udp.dstport == 7001", None),
    ("ptcpdump.pcapng", "udp.port == 53", None),
    ("ptcpdump.pcapng", "tcp.flags.syn == 1", None),
    ("many.pcap", "tcp.srcport >= 20500 && tcp.srcport < 21000", None),
    ("many.pcap", "dns && ip.src == 10.1.2.0/24", None),
    # DNS, mDNS and LLMNR are three protocol terms, as in tshark (issue 12).
    ("names.pcap", "dns", None),
    ("names.pcap", "mdns", None),
    ("names.pcap", "llmnr", None),
    ("names.pcap", "dns || mdns || llmnr", None),
    ("names.pcap", "dns.qry.name contains \"local\"", None),
    ("names.pcap", "dns.qry.name == \"fileserver\"", None),
    ("names.pcap", "llmnr && dns.qry.name", None),
]

MADE_BPF = [
    ("web.pcap", "tcp port 80 and tcp[tcpflags] & tcp-syn != 0"),
    ("web.pcap", "host 10.0.1.81 and greater 1000"),
    ("web.pcap", "udp and port 53"),
    ("vlan.pcap", "vlan 10"),
    ("web.pcap", "icmp[icmptype] == icmp-echo"),
]

if not os.path.isdir(CORPUS) and os.path.isdir(os.environ.get("APC_TEST_CAPTURES", "")):
    print("APC_CORPUS (%s) is not a directory: the shared corpus is not beside this checkout; "
          "comparing on the captures the build made" % CORPUS)
    CORPUS, CASES, BPF = os.environ["APC_TEST_CAPTURES"], MADE_CASES, MADE_BPF


BATCHES = {}


def apcctl(tool, data, *args):
    """One action through an apcctl batch kept open on `data` (one store opening in all)."""
    if data not in BATCHES:
        BATCHES[data] = apcrun.Batch(tool, data)
    r, _ = BATCHES[data].run(list(args), 600)
    if r.crashed or r.timed_out:
        raise SystemExit("apcctl %s: %s" % (args, r.crashed or "timed out"))
    if r.response is None:
        raise SystemExit("apcctl %s: %s %s" % (args, r.stdout, r.stderr))
    if r.response["ErrorCode"] != 0:
        raise SystemExit("apcctl %s: %s" % (args, r.response["ReturnValue"]))
    return r.response["ReturnValue"]


def close_batches():
    """Ends every batch; a sanitizer report at exit (a leak) fails the test."""
    reports = [b.close() for b in BATCHES.values()]
    BATCHES.clear()
    for rep in reports:
        if rep:
            raise SystemExit("apcctl batch at exit: %s" % rep)


def ours(tool, data, cap, flt):
    meta = apcctl(tool, data, "search_start", "filter=" + flt, "capture_id=%d" % cap, "wait=1")
    if meta["State"] != "completed":
        raise SystemExit("search %s: %s %s" % (flt, meta["State"], meta["Error"]))
    ids, last = [], 0
    while True:
        page = apcctl(tool, data, "search_read", "search_id=%d" % meta["SearchId"],
                      "last_id=%d" % last, "count=1000")
        ids += [p["PacketId"] for p in page["Packets"]]
        last = page["LastId"]
        if not page["More"]:
            return ids


def tshark(path, flt):
    out = subprocess.run(["tshark", "-n", "-r", path, "-Y", flt, "-T", "fields", "-e",
                          "frame.number"], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit("tshark refused %s: %s" % (flt, out.stderr.strip()))
    return [int(x) for x in out.stdout.split()]


def numbered_pcap(path, tmp):
    """A pcap copy of `path` whose packet i has timestamp i seconds, so that tcpdump -tt prints
    each matching packet's number (filters do not look at timestamps)."""
    plain = os.path.join(tmp, "plain.pcap")
    subprocess.run(["editcap", "-F", "pcap", path, plain], check=True, capture_output=True)
    with open(plain, "rb") as f:
        data = bytearray(f.read())
    magic = bytes(data[:4])
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    off, n = 24, 0
    while off + 16 <= len(data):
        n += 1
        incl = struct.unpack_from(endian + "I", data, off + 8)[0]
        struct.pack_into(endian + "II", data, off, n, 0)
        off += 16 + incl
    out = os.path.join(tmp, "numbered.pcap")
    with open(out, "wb") as f:
        f.write(data)
    return out


def tcpdump(path, expr, tmp):
    numbered = numbered_pcap(path, tmp)
    out = subprocess.run(["tcpdump", "-n", "-q", "-tt", "-r", numbered, expr], capture_output=True,
                         text=True, check=True)
    return [int(line.split()[0].split(".")[0]) for line in out.stdout.splitlines()
            if line.strip()]


def main():
    tool = sys.argv[1]
    data = tempfile.mkdtemp(prefix="apc-diff-")
    caps, failed, total = {}, 0, 0
    try:
        for f in sorted({c[0] for c in CASES} | {b[0] for b in BPF}):
            caps[f] = apcctl(tool, data, "pcap_ingest_file",
                             "path=" + os.path.join(CORPUS, f), "wait=1")
        for f, flt, tflt in CASES:
            total += 1
            got, want = ours(tool, data, caps[f], flt), tshark(os.path.join(CORPUS, f), tflt or flt)
            ok = got == want
            failed += not ok
            print("%s %s: %s  ours %d, tshark %d" % ("ok  " if ok else "FAIL", f, flt, len(got),
                                                    len(want)))
            if not ok:
                print("   only ours:", sorted(set(got) - set(want))[:20],
                      " only tshark:", sorted(set(want) - set(got))[:20])
        for f, expr in BPF:
            total += 1
            got = ours(tool, data, caps[f], 'bpf("%s")' % expr)
            want = tcpdump(os.path.join(CORPUS, f), expr, data)
            ok = got == want
            failed += not ok
            print("%s %s: bpf(%s)  ours %d, tcpdump %d" % ("ok  " if ok else "FAIL", f, expr,
                                                          len(got), len(want)))
            if not ok:
                print("   only ours:", sorted(set(got) - set(want))[:20],
                      " only tcpdump:", sorted(set(want) - set(got))[:20])
    finally:
        close_batches()
        shutil.rmtree(data, ignore_errors=True)
    print("%d of %d filters agree" % (total - failed, total))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

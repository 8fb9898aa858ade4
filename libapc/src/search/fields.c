/* SPDX-License-Identifier: MIT */
/*
 * The field table of the filter language. Names follow Wireshark's where Wireshark has the
 * field, so a filter people already know works here; ours (conn.*, proc.*, thread.*,
 * capture.*, file.*) describe what only an application-aware store knows. docs/filters.md lists
 * them.
 */
#include <string.h>

#include "search/fields.h"
#include "search/filter.h"

#define U8 255ULL
#define U16 65535ULL
#define U32 4294967295ULL
#define U64 UINT64_MAX

static const apc__field_t fields[] = {
    {"frame", FT_BYTES, F_FRAME, FS_BYTES, 0, "The packet bytes (contains, matches)."},
    {"frame.time", FT_TIME, F_FRAME_TIME, FS_REC, 0, "Packet time (UTC)."},
    {"frame.time_epoch", FT_UINT, F_FRAME_TIME_EPOCH, FS_REC, U64,
     "Packet time in whole seconds since 1970-01-01 UTC."},
    {"frame.len", FT_UINT, F_FRAME_LEN, FS_BYTES, U32, "Length on the wire."},
    {"frame.cap_len", FT_UINT, F_FRAME_CAP_LEN, FS_BYTES, U32, "Length stored."},
    {"frame.number", FT_UINT, F_FRAME_NUMBER, FS_REC, U64, "Packet id within its capture."},
    {"eth", FT_PROTO, F_ETH, FS_BYTES, 0, "Ethernet."},
    {"eth.addr", FT_MAC, F_ETH_ADDR, FS_BYTES, 0, "Source or destination MAC address."},
    {"eth.src", FT_MAC, F_ETH_SRC, FS_BYTES, 0, "Source MAC address."},
    {"eth.dst", FT_MAC, F_ETH_DST, FS_BYTES, 0, "Destination MAC address."},
    {"eth.type", FT_UINT, F_ETH_TYPE, FS_BYTES, U16, "EtherType after VLAN tags."},
    {"vlan", FT_PROTO, F_VLAN, FS_BYTES, 0, "802.1Q VLAN tag."},
    {"vlan.id", FT_UINT, F_VLAN_ID, FS_BYTES, 4095, "VLAN id of any tag."},
    {"ip", FT_PROTO, F_IP, FS_CONN, 0, "IPv4."},
    {"ip.addr", FT_IPV4, F_IP_ADDR, FS_CONN, 0, "IPv4 source or destination."},
    {"ip.src", FT_IPV4, F_IP_SRC, FS_CONN, 0, "IPv4 source."},
    {"ip.dst", FT_IPV4, F_IP_DST, FS_CONN, 0, "IPv4 destination."},
    {"ip.proto", FT_UINT, F_IP_PROTO, FS_CONN, U8, "IPv4 protocol (6 TCP, 17 UDP, 1 ICMP)."},
    {"ip.ttl", FT_UINT, F_IP_TTL, FS_BYTES, U8, "IPv4 time to live."},
    {"ip.len", FT_UINT, F_IP_LEN, FS_BYTES, U16, "IPv4 total length."},
    {"ip.id", FT_UINT, F_IP_ID, FS_BYTES, U16, "IPv4 identification."},
    {"ipv6", FT_PROTO, F_IPV6, FS_CONN, 0, "IPv6."},
    {"ipv6.addr", FT_IPV6, F_IPV6_ADDR, FS_CONN, 0, "IPv6 source or destination."},
    {"ipv6.src", FT_IPV6, F_IPV6_SRC, FS_CONN, 0, "IPv6 source."},
    {"ipv6.dst", FT_IPV6, F_IPV6_DST, FS_CONN, 0, "IPv6 destination."},
    {"ipv6.nxt", FT_UINT, F_IPV6_NXT, FS_BYTES, U8,
     "IPv6 upper-layer protocol (after extension headers)."},
    {"ipv6.hlim", FT_UINT, F_IPV6_HLIM, FS_BYTES, U8, "IPv6 hop limit."},
    {"tcp", FT_PROTO, F_TCP, FS_CONN, 0, "TCP."},
    {"tcp.port", FT_UINT, F_TCP_PORT, FS_CONN, U16, "TCP source or destination port."},
    {"tcp.srcport", FT_UINT, F_TCP_SRCPORT, FS_CONN, U16, "TCP source port."},
    {"tcp.dstport", FT_UINT, F_TCP_DSTPORT, FS_CONN, U16, "TCP destination port."},
    {"tcp.len", FT_UINT, F_TCP_LEN, FS_BYTES, U32, "TCP payload length (from the headers)."},
    {"tcp.flags", FT_UINT, F_TCP_FLAGS, FS_BYTES, U8, "TCP flags byte (FIN 0x01 ... CWR 0x80)."},
    {"tcp.flags.fin", FT_BOOL, F_TCP_FIN, FS_BYTES, 1, "TCP FIN flag."},
    {"tcp.flags.syn", FT_BOOL, F_TCP_SYN, FS_BYTES, 1, "TCP SYN flag."},
    {"tcp.flags.reset", FT_BOOL, F_TCP_RST, FS_BYTES, 1, "TCP RST flag."},
    {"tcp.flags.push", FT_BOOL, F_TCP_PSH, FS_BYTES, 1, "TCP PSH flag."},
    {"tcp.flags.ack", FT_BOOL, F_TCP_ACK, FS_BYTES, 1, "TCP ACK flag."},
    {"tcp.flags.urg", FT_BOOL, F_TCP_URG, FS_BYTES, 1, "TCP URG flag."},
    {"tcp.flags.ece", FT_BOOL, F_TCP_ECE, FS_BYTES, 1, "TCP ECE flag."},
    {"tcp.flags.cwr", FT_BOOL, F_TCP_CWR, FS_BYTES, 1, "TCP CWR flag."},
    {"udp", FT_PROTO, F_UDP, FS_CONN, 0, "UDP."},
    {"udp.port", FT_UINT, F_UDP_PORT, FS_CONN, U16, "UDP source or destination port."},
    {"udp.srcport", FT_UINT, F_UDP_SRCPORT, FS_CONN, U16, "UDP source port."},
    {"udp.dstport", FT_UINT, F_UDP_DSTPORT, FS_CONN, U16, "UDP destination port."},
    {"icmp", FT_PROTO, F_ICMP, FS_BYTES, 0, "ICMP (IPv4)."},
    {"icmp.type", FT_UINT, F_ICMP_TYPE, FS_BYTES, U8, "ICMP type."},
    {"icmp.code", FT_UINT, F_ICMP_CODE, FS_BYTES, U8, "ICMP code."},
    {"icmpv6", FT_PROTO, F_ICMPV6, FS_BYTES, 0, "ICMPv6."},
    {"icmpv6.type", FT_UINT, F_ICMPV6_TYPE, FS_BYTES, U8, "ICMPv6 type."},
    {"icmpv6.code", FT_UINT, F_ICMPV6_CODE, FS_BYTES, U8, "ICMPv6 code."},
    {"arp", FT_PROTO, F_ARP, FS_BYTES, 0, "ARP."},
    {"dns", FT_PROTO, F_DNS, FS_BYTES, 0,
     "A DNS message on port 53 (UDP or TCP); mDNS and LLMNR have their own terms, as in tshark."},
    {"mdns", FT_PROTO, F_MDNS, FS_BYTES, 0, "A multicast DNS message (UDP port 5353, RFC 6762)."},
    {"llmnr", FT_PROTO, F_LLMNR, FS_BYTES, 0, "An LLMNR message (UDP port 5355, RFC 4795)."},
    {"dns.qry.name", FT_STRING, F_DNS_QRY_NAME, FS_BYTES, 0,
     "Name in the question of a DNS, mDNS or LLMNR message."},
    {"http", FT_PROTO, F_HTTP, FS_BYTES, 0,
     "An HTTP/1.x request whose request line starts the TCP payload."},
    {"http.host", FT_STRING, F_HTTP_HOST, FS_BYTES, 0, "Host header of an HTTP/1.x request."},
    {"http.request.method", FT_STRING, F_HTTP_METHOD, FS_BYTES, 0, "HTTP request method."},
    {"http.request.uri", FT_STRING, F_HTTP_URI, FS_BYTES, 0, "HTTP request target."},
    {"tls", FT_PROTO, F_TLS, FS_BYTES, 0, "A TLS ClientHello carrying a server name."},
    {"tls.sni", FT_STRING, F_TLS_SNI, FS_BYTES, 0,
     "Server name (SNI) of a TLS ClientHello; Wireshark's "
     "tls.handshake.extensions_server_name."},
    {"conn.id", FT_UINT, F_CONN_ID, FS_REC, U64, "Connection id within the capture."},
    {"conn.bytes", FT_UINT, F_CONN_BYTES, FS_REC, U64, "Bytes of the whole connection."},
    {"conn.packets", FT_UINT, F_CONN_PACKETS, FS_REC, U64, "Packets of the whole connection."},
    {"proc.id", FT_UINT, F_PROC_ID, FS_REC, U64, "Process id (ours, ProcessId)."},
    {"proc.pid", FT_UINT, F_PROC_PID, FS_REC, U32, "System process id."},
    {"proc.name", FT_STRING, F_PROC_NAME, FS_REC, 0, "Process name."},
    {"proc.path", FT_STRING, F_PROC_PATH, FS_REC, 0, "Executable path."},
    {"proc.cmdline", FT_STRING, F_PROC_CMDLINE, FS_REC, 0, "Command line."},
    {"proc.user", FT_STRING, F_PROC_USER, FS_REC, 0, "User the process ran as."},
    {"proc.ppid", FT_UINT, F_PROC_PPID, FS_REC, U32, "Parent's system process id."},
    {"thread.tid", FT_UINT, F_THREAD_TID, FS_BYTES, U32,
     "System thread id recorded with the packet."},
    {"capture.id", FT_UINT, F_CAPTURE_ID, FS_REC, U64, "Capture id."},
    /* The packets of a detected file: its connection and direction, within its packet span
     * (search/files.c resolves them from the capture's extraction results). */
    {"file.name", FT_STRING, F_FILE_NAME, FS_BYTES, 0,
     "Name, as seen in the traffic, of a file the packet carried."},
    {"file.mime", FT_STRING, F_FILE_MIME, FS_BYTES, 0,
     "MIME type (from the content) of a file the packet carried."},
    {"file.sha256", FT_STRING, F_FILE_SHA256, FS_BYTES, 0,
     "SHA-256 (hex, any case) of a file the packet carried."},
    {"file.size", FT_UINT, F_FILE_SIZE, FS_BYTES, U64,
     "Size in bytes of a file the packet carried."},
};

#define NFIELDS (sizeof fields / sizeof fields[0])

/* Other names people type for the same field (Wireshark's long names). */
static const struct {
    const char *alias, *name;
} aliases[] = {
    {"tls.handshake.extensions_server_name", "tls.sni"},
    {"tcp.flags.rst", "tcp.flags.reset"},
};

const apc__field_t *apc__flt_fields(size_t *count)
{
    *count = NFIELDS;
    return fields;
}

const apc__field_t *apc__flt_field(const char *name, size_t len)
{
    for (size_t i = 0; i < NFIELDS; i++)
        if (strlen(fields[i].name) == len && memcmp(fields[i].name, name, len) == 0)
            return &fields[i];
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strlen(aliases[i].alias) == len && memcmp(aliases[i].alias, name, len) == 0)
            return apc__flt_field(aliases[i].name, strlen(aliases[i].name));
    return NULL;
}

/* Levenshtein distance capped for short names (fields are under 40 bytes). */
static size_t distance(const char *a, size_t la, const char *b, size_t lb)
{
    size_t prev[64], cur[64];
    if (la >= 63 || lb >= 63)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
    }
    return prev[lb];
}

const apc__field_t *apc__flt_suggest(const char *name, size_t len)
{
    const apc__field_t *best = NULL;
    size_t bestd = 3;
    for (size_t i = 0; i < NFIELDS; i++) {
        size_t d = distance(name, len, fields[i].name, strlen(fields[i].name));
        if (d < bestd) {
            bestd = d;
            best = &fields[i];
        }
    }
    if (best)
        return best;
    /* "proc.nam" or "http.request" -> the one field that starts with it */
    const apc__field_t *pre = NULL;
    for (size_t i = 0; i < NFIELDS; i++)
        if (len >= 3 && strncmp(fields[i].name, name, len) == 0) {
            if (pre)
                return NULL;
            pre = &fields[i];
        }
    return pre;
}

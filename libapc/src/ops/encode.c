/* SPDX-License-Identifier: MIT */
/*
 * JSON encoders of the wire objects (spec/wire.md "Objects"; docs/api.md field by field).
 * Field order is part of the format: clients and golden files rely on it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/ops_internal.h"

#define OBJ_VERSION 1

cJSON *apc__json_i64(int64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    return cJSON_CreateRaw(buf);
}

int apc__json_add_i64(cJSON *o, const char *name, int64_t v)
{
    cJSON *n = apc__json_i64(v);
    if (!n)
        return APC_ENOMEM;
    cJSON_AddItemToObject(o, name, n);
    return 0;
}

int apc__json_add_u64(cJSON *o, const char *name, uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRIu64, v);
    return cJSON_AddRawToObject(o, name, buf) ? 0 : APC_ENOMEM;
}

int apc__json_add_time(cJSON *o, const char *name, apc_time_t t)
{
    return apc__json_add_i64(o, name, t ? apc_time_to_filetime(t) : 0);
}

int apc__json_add_double(cJSON *o, const char *name, double v)
{
    return cJSON_AddNumberToObject(o, name, v) ? 0 : APC_ENOMEM;
}

/* Length of a well-formed UTF-8 sequence at s (RFC 3629), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0], min;
    size_t k;
    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0)
        k = 1, min = 0x80, c &= 0x1f;
    else if ((c & 0xf0) == 0xe0)
        k = 2, min = 0x800, c &= 0x0f;
    else if ((c & 0xf8) == 0xf0)
        k = 3, min = 0x10000, c &= 0x07;
    else
        return 0;
    if (k >= n)
        return 0;
    for (size_t j = 1; j <= k; j++) {
        if ((s[j] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[j] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    return k + 1;
}

int apc__json_add_str(cJSON *o, const char *name, const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s), i = 0, bad = 0;
    while (i < n) {
        size_t k = utf8_seq((const unsigned char *)s + i, n - i);
        bad += !k;
        i += k ? k : 1;
    }
    if (!bad)
        return cJSON_AddStringToObject(o, name, s) ? 0 : APC_ENOMEM;
    /* Text from captured traffic or files may be any bytes; U+FFFD keeps the reply JSON. */
    char *t = malloc(n + bad * 2 + 1), *w = t;
    if (!t)
        return APC_ENOMEM;
    for (i = 0; i < n;) {
        size_t k = utf8_seq((const unsigned char *)s + i, n - i);
        if (k) {
            memcpy(w, s + i, k);
            w += k;
            i += k;
        } else {
            memcpy(w, "\xef\xbf\xbd", 3);
            w += 3;
            i++;
        }
    }
    *w = '\0';
    int rc = cJSON_AddStringToObject(o, name, t) ? 0 : APC_ENOMEM;
    free(t);
    return rc;
}

static int add_int(cJSON *o, const char *name, int64_t v)
{
    return apc__json_add_i64(o, name, v);
}

/* Adapters are a comma-separated list in the C API and a JSON array of names on the wire. */
static int add_adapters(cJSON *o, const char *csv)
{
    cJSON *arr = cJSON_AddArrayToObject(o, "Adapters");
    if (!arr)
        return APC_ENOMEM;
    const char *p = csv ? csv : "";
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n) {
            char *nm = strndup(p, n);
            cJSON *s = nm ? cJSON_CreateString(nm) : NULL;
            free(nm);
            if (!s)
                return APC_ENOMEM;
            cJSON_AddItemToArray(arr, s);
        }
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

int apc__json_capture_fields(cJSON *o, const apc_capture_t *c)
{
    int rc = 0;
    rc |= add_int(o, "Version", OBJ_VERSION);
    rc |= add_int(o, "CaptureId", c->id);
    rc |= apc__json_add_str(o, "Type", apc_capture_type_name(c->type));
    rc |= apc__json_add_str(o, "State", apc_capture_state_name(c->state));
    rc |= apc__json_add_str(o, "Name", c->name);
    rc |= apc__json_add_str(o, "Notes", c->notes);
    rc |= apc__json_add_str(o, "Filter", c->filter);
    rc |= add_int(o, "Flags", c->flags);
    rc |= add_adapters(o, c->adapters);
    rc |= add_int(o, "Pid", c->pid);
    rc |= add_int(o, "ThreadId", c->tid);
    rc |= apc__json_add_time(o, "StartTime", c->start_time);
    rc |= apc__json_add_time(o, "EndTime", c->end_time);
    rc |= apc__json_add_u64(o, "Packets", c->packets);
    rc |= apc__json_add_u64(o, "Bytes", c->bytes);
    rc |= apc__json_add_u64(o, "KernelDrops", c->kernel_drops);
    rc |= apc__json_add_u64(o, "Drops", c->drops);
    rc |= apc__json_add_u64(o, "Connections", c->connections);
    rc |= apc__json_add_str(o, "Error", c->error);
    rc |= apc__json_add_str(o, "SourceFile", c->source_file);
    /* Ours, after the fields of wire.md: where an ingest stopped, and how far it got. */
    rc |= apc__json_add_u64(o, "ErrorOffset", c->error_offset);
    rc |= apc__json_add_u64(o, "ProgressBytes", c->progress_bytes);
    rc |= apc__json_add_u64(o, "TotalBytes", c->total_bytes);
    return rc ? APC_ENOMEM : 0;
}

cJSON *apc__json_capture(const apc_capture_t *c)
{
    cJSON *o = cJSON_CreateObject();
    if (o && apc__json_capture_fields(o, c) < 0) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int add_hex(cJSON *o, const char *name, const uint8_t *d, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    char *s = malloc(n * 2 + 1);
    if (!s)
        return APC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        s[2 * i] = hx[d[i] >> 4];
        s[2 * i + 1] = hx[d[i] & 15];
    }
    s[2 * n] = '\0';
    int rc = cJSON_AddStringToObject(o, name, s) ? 0 : APC_ENOMEM;
    free(s);
    return rc;
}

cJSON *apc__json_packet(const apc_packet_t *p, int with_data)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int rc = 0;
    rc |= add_int(o, "Version", OBJ_VERSION);
    rc |= add_int(o, "PacketId", p->id);
    rc |= add_int(o, "CaptureId", p->capture_id);
    rc |= apc__json_add_time(o, "Time", p->time);
    rc |= add_int(o, "Length", p->length);
    rc |= add_int(o, "CapturedLength", p->caplen);
    rc |= add_int(o, "Interface", p->iface);
    rc |= apc__json_add_str(o, "Direction", apc_direction_name(p->direction));
    rc |= add_int(o, "LinkType", p->linktype);
    rc |= add_int(o, "Protocol", p->protocol);
    rc |= apc__json_add_str(o, "SrcIp", p->src_ip);
    rc |= apc__json_add_str(o, "DstIp", p->dst_ip);
    rc |= add_int(o, "SrcPort", p->src_port);
    rc |= add_int(o, "DstPort", p->dst_port);
    rc |= add_int(o, "TcpFlags", p->tcp_flags);
    rc |= add_int(o, "ConnId", p->conn_id);
    rc |= add_int(o, "Pid", p->pid);
    rc |= add_int(o, "Tid", p->tid);
    rc |= add_int(o, "ProcessId", p->process_id);
    rc |= apc__json_add_str(o, "ProcessName", p->process_name);
    rc |= apc__json_add_str(o, "Attribution", apc_attribution_name(p->attribution));
    rc |= apc__json_add_str(o, "Summary", p->summary);
    rc |= apc__json_add_str(o, "Notes", p->notes);
    if (with_data)
        rc |= add_hex(o, "Data", p->data, p->data ? p->caplen : 0);
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

cJSON *apc__json_packet_page(const apc_packet_page_t *pg, int with_data)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int rc = 0;
    rc |= add_int(o, "Version", OBJ_VERSION);
    rc |= add_int(o, "CaptureId", pg->capture_id);
    rc |= add_int(o, "LastId", pg->last_id);
    rc |= add_int(o, "More", pg->more ? 1 : 0);
    cJSON *arr = cJSON_AddArrayToObject(o, "Packets");
    if (!arr)
        rc = APC_ENOMEM;
    for (size_t i = 0; !rc && i < pg->count; i++) {
        cJSON *p = apc__json_packet(&pg->packets[i], with_data);
        if (!p)
            rc = APC_ENOMEM;
        else
            cJSON_AddItemToArray(arr, p);
    }
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

cJSON *apc__json_conn(const apc_conn_t *c)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int rc = 0;
    rc |= add_int(o, "Version", OBJ_VERSION);
    rc |= add_int(o, "ConnId", c->id);
    rc |= add_int(o, "CaptureId", c->capture_id);
    rc |= add_int(o, "Protocol", c->protocol);
    rc |= apc__json_add_str(o, "SrcIp", c->src_ip);
    rc |= add_int(o, "SrcPort", c->src_port);
    rc |= apc__json_add_str(o, "DstIp", c->dst_ip);
    rc |= add_int(o, "DstPort", c->dst_port);
    rc |= apc__json_add_time(o, "FirstTime", c->first_time);
    rc |= apc__json_add_time(o, "LastTime", c->last_time);
    rc |= apc__json_add_u64(o, "PacketsOut", c->packets_out);
    rc |= apc__json_add_u64(o, "BytesOut", c->bytes_out);
    rc |= apc__json_add_u64(o, "PacketsIn", c->packets_in);
    rc |= apc__json_add_u64(o, "BytesIn", c->bytes_in);
    rc |= apc__json_add_str(o, "State", apc_tcp_state_name(c->state));
    rc |= add_int(o, "Pid", c->pid);
    rc |= add_int(o, "ProcessId", c->process_id);
    rc |= apc__json_add_str(o, "ProcessName", c->process_name);
    rc |= apc__json_add_str(o, "HostName", c->host_name);
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

cJSON *apc__json_process(const apc_process_t *p)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int rc = 0;
    rc |= add_int(o, "Version", OBJ_VERSION);
    rc |= add_int(o, "ProcessId", p->process_id);
    rc |= add_int(o, "Pid", p->pid);
    rc |= add_int(o, "ParentPid", p->ppid);
    rc |= apc__json_add_str(o, "Name", p->name);
    rc |= apc__json_add_str(o, "Path", p->path);
    rc |= apc__json_add_str(o, "CommandLine", p->cmdline);
    rc |= apc__json_add_str(o, "User", p->user);
    rc |= apc__json_add_time(o, "StartTime", p->start_time);
    rc |= apc__json_add_time(o, "ExitTime", p->exit_time);
    rc |= add_int(o, "Running", p->running ? 1 : 0);
    rc |= apc__json_add_u64(o, "Packets", p->packets);
    rc |= apc__json_add_u64(o, "Bytes", p->bytes);
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

cJSON *apc__json_ip(const apc_ip_t *ip)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int rc = 0;
    rc |= add_int(o, "Version", OBJ_VERSION);
    rc |= add_int(o, "IpId", ip->id);
    rc |= apc__json_add_str(o, "Address", ip->address);
    rc |= add_int(o, "Family", ip->family);
    rc |= apc__json_add_str(o, "HostName", ip->host_name);
    rc |= apc__json_add_str(o, "Country", ip->country);
    rc |= apc__json_add_str(o, "City", ip->city);
    /* Without geolocation, Lat/Lng are 0 and HasGeo (ours) says they mean nothing. */
    rc |= apc__json_add_double(o, "Lat", ip->has_geo ? ip->lat : 0.0);
    rc |= apc__json_add_double(o, "Lng", ip->has_geo ? ip->lng : 0.0);
    rc |= apc__json_add_str(o, "UserData", ip->user_data);
    rc |= apc__json_add_time(o, "FirstSeen", ip->first_seen);
    rc |= apc__json_add_time(o, "LastSeen", ip->last_seen);
    rc |= apc__json_add_u64(o, "Packets", ip->packets);
    rc |= apc__json_add_u64(o, "Bytes", ip->bytes);
    rc |= apc__json_add_u64(o, "Connections", ip->connections);
    rc |= add_int(o, "HasGeo", ip->has_geo ? 1 : 0);
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

cJSON *apc__json_push(cJSON *arr, cJSON *item)
{
    if (arr && item && cJSON_AddItemToArray(arr, item))
        return arr;
    cJSON_Delete(item);
    cJSON_Delete(arr);
    return NULL;
}

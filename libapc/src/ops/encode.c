/* SPDX-License-Identifier: MIT */
/*
 * JSON encoders of the wire objects (spec/wire.md "Objects"; docs/api.md field by field).
 * Field order is part of the format: clients and golden files rely on it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/jsonw.h"
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

int apc__json_add_str(cJSON *o, const char *name, const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s), i = 0, bad = 0;
    while (i < n) {
        size_t k = apc__utf8_seq((const unsigned char *)s + i, n - i);
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
        size_t k = apc__utf8_seq((const unsigned char *)s + i, n - i);
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
    /* Ours: the node that owns the capture's packet bytes (docs/fleet.md). */
    rc |= apc__json_add_str(o, "Node", c->node ? c->node : "");
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

/* PACKET as text (jsonw.h): pages of them are the bulk of what readers fetch. */
static void jw_packet(apc__jw_t *w, const apc_packet_t *p, int with_data)
{
    apc__jw_open(w, '{');
    apc__jw_key(w, "Version");
    apc__jw_i64(w, OBJ_VERSION);
    apc__jw_key(w, "PacketId");
    apc__jw_i64(w, p->id);
    apc__jw_key(w, "CaptureId");
    apc__jw_i64(w, p->capture_id);
    apc__jw_key(w, "Time");
    apc__jw_i64(w, p->time ? apc_time_to_filetime(p->time) : 0);
    apc__jw_key(w, "Length");
    apc__jw_i64(w, p->length);
    apc__jw_key(w, "CapturedLength");
    apc__jw_i64(w, p->caplen);
    apc__jw_key(w, "Interface");
    apc__jw_i64(w, p->iface);
    apc__jw_key(w, "Direction");
    apc__jw_str(w, apc_direction_name(p->direction));
    apc__jw_key(w, "LinkType");
    apc__jw_i64(w, p->linktype);
    apc__jw_key(w, "Protocol");
    apc__jw_i64(w, p->protocol);
    apc__jw_key(w, "SrcIp");
    apc__jw_str(w, p->src_ip);
    apc__jw_key(w, "DstIp");
    apc__jw_str(w, p->dst_ip);
    apc__jw_key(w, "SrcPort");
    apc__jw_i64(w, p->src_port);
    apc__jw_key(w, "DstPort");
    apc__jw_i64(w, p->dst_port);
    apc__jw_key(w, "TcpFlags");
    apc__jw_i64(w, p->tcp_flags);
    apc__jw_key(w, "ConnId");
    apc__jw_i64(w, p->conn_id);
    apc__jw_key(w, "Pid");
    apc__jw_i64(w, p->pid);
    apc__jw_key(w, "Tid");
    apc__jw_i64(w, p->tid);
    apc__jw_key(w, "ProcessId");
    apc__jw_i64(w, p->process_id);
    apc__jw_key(w, "ProcessName");
    apc__jw_str(w, p->process_name);
    apc__jw_key(w, "Attribution");
    apc__jw_str(w, apc_attribution_name(p->attribution));
    apc__jw_key(w, "Summary");
    apc__jw_str(w, p->summary);
    apc__jw_key(w, "Notes");
    apc__jw_str(w, p->notes);
    if (with_data) {
        apc__jw_key(w, "Data");
        apc__jw_hex(w, p->data, p->data ? p->caplen : 0);
    }
    apc__jw_close(w, '}');
}

/* The writer's text as one raw node (cJSON_CreateRaw copies it). */
static cJSON *jw_node(apc__jw_t *w)
{
    char *s = apc__jw_take(w);
    cJSON *n = s ? cJSON_CreateRaw(s) : NULL;
    free(s);
    return n;
}

cJSON *apc__json_packet(const apc_packet_t *p, int with_data)
{
    apc__jw_t w = {0};
    jw_packet(&w, p, with_data);
    return jw_node(&w);
}

cJSON *apc__json_packets(const apc_packet_t *ps, size_t n, int with_data)
{
    apc__jw_t w = {0};
    apc__jw_open(&w, '[');
    for (size_t i = 0; i < n; i++)
        jw_packet(&w, &ps[i], with_data);
    apc__jw_close(&w, ']');
    return jw_node(&w);
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
    cJSON *arr = apc__json_packets(pg->packets, pg->count, with_data);
    if (!arr || !cJSON_AddItemToObject(o, "Packets", arr)) {
        cJSON_Delete(arr);
        rc = APC_ENOMEM;
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

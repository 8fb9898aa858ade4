/* SPDX-License-Identifier: MIT */
/*
 * Arrays of objects as aligned tables. The columns depend on the kind of object, told by its
 * fields (PacketId, ConnId, CaptureId + State, ProcessId); any other kind shows its scalar
 * fields. A column whose cells are all missing or empty is left out.
 */
#include <stdlib.h>
#include <string.h>

#include "apcctl.h"

#define CELL_MAX 512

/* Writes a cell into buf; returns NULL when the object lacks what the column needs. */
typedef const char *(*cell_fn)(const cJSON *obj, char *buf, size_t len);

typedef struct column {
    const char *header;
    const char *field; /* used when fn is NULL */
    cell_fn fn;
    bool right; /* numbers align right */
} column_t;

static const cJSON *get(const cJSON *obj, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(obj, name);
}

static const char *cell_proto(const cJSON *obj, char *buf, size_t len)
{
    int64_t p;
    if (!apc_jsonx_int(get(obj, "Protocol"), &p))
        return NULL;
    static const struct {
        int num;
        const char *name;
    } names[] = {{1, "ICMP"}, {2, "IGMP"}, {6, "TCP"},     {17, "UDP"},
                 {47, "GRE"}, {50, "ESP"}, {58, "ICMPv6"}, {132, "SCTP"}};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (names[i].num == p)
            return names[i].name;
    if (p < 0)
        return "-";
    snprintf(buf, len, "%lld", (long long)p);
    return buf;
}

static const char *cell_pid(const cJSON *obj, char *buf, size_t len)
{
    int64_t p;
    if (!apc_jsonx_int(get(obj, "Pid"), &p))
        return NULL;
    if (p == 0)
        return "-";
    snprintf(buf, len, "%lld", (long long)p);
    return buf;
}

static const char *endpoint(const cJSON *obj, const char *ipf, const char *portf, char *buf,
                            size_t len)
{
    const cJSON *ip = get(obj, ipf);
    if (!cJSON_IsString(ip))
        return NULL;
    int64_t port = -1;
    apc_jsonx_int(get(obj, portf), &port);
    bool v6 = strchr(ip->valuestring, ':') != NULL;
    if (port < 0)
        snprintf(buf, len, "%s", ip->valuestring);
    else
        snprintf(buf, len, v6 ? "[%s]:%lld" : "%s:%lld", ip->valuestring, (long long)port);
    return buf;
}

static const char *cell_src(const cJSON *obj, char *buf, size_t len)
{
    return endpoint(obj, "SrcIp", "SrcPort", buf, len);
}

static const char *cell_dst(const cJSON *obj, char *buf, size_t len)
{
    return endpoint(obj, "DstIp", "DstPort", buf, len);
}

/* Sum of the two directions, or the single field. */
static const char *sum2(const cJSON *obj, const char *a, const char *b, const char *one, char *buf,
                        size_t len)
{
    int64_t x, y;
    if (apc_jsonx_int(get(obj, a), &x) && apc_jsonx_int(get(obj, b), &y))
        snprintf(buf, len, "%lld", (long long)(x + y));
    else if (apc_jsonx_int(get(obj, one), &x))
        snprintf(buf, len, "%lld", (long long)x);
    else
        return NULL;
    return buf;
}

static const char *cell_conn_packets(const cJSON *obj, char *buf, size_t len)
{
    return sum2(obj, "PacketsOut", "PacketsIn", "Packets", buf, len);
}

static const char *cell_conn_bytes(const cJSON *obj, char *buf, size_t len)
{
    return sum2(obj, "BytesOut", "BytesIn", "Bytes", buf, len);
}

static const column_t packet_cols[] = {
    {"Id", "PacketId", NULL, true},      {"Time", "Time", NULL, false},
    {"Len", "Length", NULL, true},       {"Proto", NULL, cell_proto, false},
    {"Pid", NULL, cell_pid, true},       {"Process", "ProcessName", NULL, false},
    {"Summary", "Summary", NULL, false}, {NULL, NULL, NULL, false},
};

static const column_t conn_cols[] = {
    {"Id", "ConnId", NULL, true},
    {"Proto", NULL, cell_proto, false},
    {"Initiator", NULL, cell_src, false},
    {"Responder", NULL, cell_dst, false},
    {"State", "State", NULL, false},
    {"First", "FirstTime", NULL, false},
    {"Last", "LastTime", NULL, false},
    {"Packets", NULL, cell_conn_packets, true},
    {"Bytes", NULL, cell_conn_bytes, true},
    {"Pid", NULL, cell_pid, true},
    {"Process", "ProcessName", NULL, false},
    {"Host", "HostName", NULL, false},
    {NULL, NULL, NULL, false},
};

static const column_t capture_cols[] = {
    {"Id", "CaptureId", NULL, true},
    {"Type", "Type", NULL, false},
    {"State", "State", NULL, false},
    {"Name", "Name", NULL, false},
    {"Start", "StartTime", NULL, false},
    {"End", "EndTime", NULL, false},
    {"Packets", "Packets", NULL, true},
    {"Bytes", "Bytes", NULL, true},
    {"Conns", "Connections", NULL, true},
    {"Error", "Error", NULL, false},
    {NULL, NULL, NULL, false},
};

static const column_t process_cols[] = {
    {"Id", "ProcessId", NULL, true},
    {"Pid", "Pid", NULL, true},
    {"PPid", "ParentPid", NULL, true},
    {"PPid", "Ppid", NULL, true},
    {"Name", "Name", NULL, false},
    {"User", "User", NULL, false},
    {"Running", "Running", NULL, false},
    {"Packets", "Packets", NULL, true},
    {"Bytes", "Bytes", NULL, true},
    {"Command line", "CommandLine", NULL, false},
    {"Command line", "Cmdline", NULL, false},
    {NULL, NULL, NULL, false},
};

static const column_t stream_cols[] = {
    {"Id", "StreamId", NULL, true},
    {"Conn", "ConnId", NULL, true},
    {"Dir", "Direction", NULL, false},
    {"Proto", "Protocol", NULL, false},
    {"Size", "Size", NULL, true},
    {"Complete", "Complete", NULL, true},
    {"Type", "MimeType", NULL, false},
    {"Pid", NULL, cell_pid, true},
    {"Process", "ProcessName", NULL, false},
    {"Name", "Name", NULL, false},
    {"SHA-256", "Sha256", NULL, false},
    {NULL, NULL, NULL, false},
};

static const column_t file_cols[] = {
    {"Id", "FileId", NULL, true},
    {"Capture", "CaptureId", NULL, true},
    {"Stream", "StreamId", NULL, true},
    {"Size", "Size", NULL, true},
    {"Type", "MimeType", NULL, false},
    {"Pid", NULL, cell_pid, true},
    {"Process", "ProcessName", NULL, false},
    {"Path", "Path", NULL, false},
    {NULL, NULL, NULL, false},
};

static const column_t *kind_columns(const cJSON *first)
{
    if (get(first, "FileId") && get(first, "StreamId"))
        return file_cols;
    if (get(first, "StreamId"))
        return stream_cols;
    if (get(first, "PacketId"))
        return packet_cols;
    if (get(first, "ConnId"))
        return conn_cols;
    if (get(first, "CaptureId") && get(first, "State"))
        return capture_cols;
    if (get(first, "ProcessId") && get(first, "Pid"))
        return process_cols;
    return NULL;
}

/* Display width in terminal cells, counting UTF-8 code points. */
static int text_width(const char *s)
{
    int n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

typedef struct table {
    size_t ncols, nrows;
    column_t *cols;
    char **cells; /* nrows * ncols; NULL = missing */
    int *width;
} table_t;

static char *make_cell(const column_t *c, const cJSON *obj)
{
    char buf[CELL_MAX];
    const char *s;
    if (c->fn) {
        s = c->fn(obj, buf, sizeof buf);
    } else {
        const cJSON *v = get(obj, c->field);
        s = v ? apcctl_field_text(c->field, v, buf, sizeof buf) : NULL;
    }
    if (!s)
        return NULL;
    /* A cell is one line: tabs and newlines from stored text would break the columns. */
    char *out = strdup(s);
    for (char *p = out; p && *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    return out;
}

/* Columns for objects of no known kind: the first object's scalar fields but Version. */
static column_t *generic_columns(const cJSON *first, size_t *n)
{
    size_t cap = (size_t)cJSON_GetArraySize(first) + 1;
    column_t *cols = calloc(cap, sizeof *cols);
    size_t k = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, first)
    {
        if (!cols || !c->string || strcmp(c->string, "Version") == 0 || cJSON_IsObject(c) ||
            cJSON_IsArray(c))
            continue;
        cols[k].header = c->string;
        cols[k].field = c->string;
        cols[k].right = cJSON_IsRaw(c) && !apcctl_is_time_field(c->string);
        k++;
    }
    *n = k;
    return cols;
}

void apcctl_print_table(FILE *f, const cJSON *arr, int indent)
{
    table_t t = {0};
    const cJSON *first = cJSON_GetArrayItem(arr, 0);
    if (!cJSON_IsObject(first))
        return;
    const column_t *kind = kind_columns(first);
    if (kind) {
        while (kind[t.ncols].header)
            t.ncols++;
        t.cols = malloc(t.ncols * sizeof *t.cols);
        if (t.cols)
            memcpy(t.cols, kind, t.ncols * sizeof *t.cols);
    } else {
        t.cols = generic_columns(first, &t.ncols);
    }
    t.nrows = (size_t)cJSON_GetArraySize(arr);
    t.cells = calloc(t.nrows * t.ncols + 1, sizeof *t.cells);
    t.width = calloc(t.ncols + 1, sizeof *t.width);
    if (!t.cols || !t.cells || !t.width)
        goto out;
    size_t r = 0;
    const cJSON *obj;
    cJSON_ArrayForEach(obj, arr)
    {
        for (size_t c = 0; c < t.ncols; c++)
            t.cells[r * t.ncols + c] = cJSON_IsObject(obj) ? make_cell(&t.cols[c], obj) : NULL;
        r++;
    }
    /* Keep a column only when some row has something to show in it. */
    bool *keep = calloc(t.ncols + 1, sizeof *keep);
    if (!keep)
        goto out;
    for (size_t c = 0; c < t.ncols; c++) {
        t.width[c] = text_width(t.cols[c].header);
        for (r = 0; r < t.nrows; r++) {
            const char *s = t.cells[r * t.ncols + c];
            if (s && *s)
                keep[c] = true;
            if (s && text_width(s) > t.width[c])
                t.width[c] = text_width(s);
        }
    }
    size_t last = 0;
    for (size_t c = 0; c < t.ncols; c++)
        if (keep[c])
            last = c;
    for (long row = -1; row < (long)t.nrows; row++) {
        fprintf(f, "%*s", indent, "");
        const char *sep = "";
        for (size_t c = 0; c < t.ncols; c++) {
            if (!keep[c])
                continue;
            const char *s = row < 0 ? t.cols[c].header : t.cells[(size_t)row * t.ncols + c];
            if (!s)
                s = "";
            int pad = t.width[c] - text_width(s);
            if (t.cols[c].right)
                fprintf(f, "%s%*s%s", sep, pad, "", s);
            else if (c == last)
                fprintf(f, "%s%s", sep, s);
            else
                fprintf(f, "%s%s%*s", sep, s, pad, "");
            sep = "  ";
        }
        fputc('\n', f);
    }
    free(keep);
out:
    for (size_t i = 0; t.cells && i < t.nrows * t.ncols; i++)
        free(t.cells[i]);
    free(t.cells);
    free(t.width);
    free(t.cols);
}

/* SPDX-License-Identifier: MIT */
/*
 * apcctl read: a capture's packets, streamed page by page (capture_read by last_id, or
 * search_start + search_read with -Y), each page printed and flushed as it arrives, so the
 * first line shows at once and memory stays that of one page whatever the capture's size.
 * Output in the manner of tcpdump/tshark: summary lines, -x hex, -T fields / -T json.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apcctl.h"

enum time_mode { TIME_LOCAL, TIME_NONE, TIME_EPOCH };
enum out_mode { OUT_LINES, OUT_FIELDS, OUT_JSON };

typedef struct read_opts {
    const char *id;
    const char *filter; /* -Y */
    int64_t limit;      /* -c; 0 = every packet */
    bool hex;           /* -x */
    bool utc;           /* --utc */
    enum time_mode time;
    enum out_mode out;
    const char **fields; /* -e, in order */
    size_t nfields;
    size_t nids;     /* positional words seen; one is right */
    const char *sep; /* -E separator= */
    apcctl_args_t extra;
} read_opts_t;

static void ropts_free(read_opts_t *r)
{
    free(r->fields);
    apcctl_args_free(&r->extra);
}

static int parse_count(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = s ? strtoll(s, &end, 10) : 0;
    if (!s || errno || *end || end == s || v <= 0) {
        apcctl_errorf("read: -c needs a positive count, not '%s'", s ? s : "");
        return -1;
    }
    *out = v;
    return 0;
}

/* Parses the words after "read". Returns 0 or -1 after printing why. */
static int parse_read(int argc, char **argv, read_opts_t *r)
{
    memset(r, 0, sizeof *r);
    r->sep = "\t";
    r->fields = calloc((size_t)argc + 1, sizeof *r->fields);
    if (!r->fields) {
        apcctl_errorf("out of memory");
        return -1;
    }
    bool opts = true;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = opts && (strcmp(a, "-c") == 0 || strcmp(a, "-T") == 0 ||
                              strcmp(a, "-e") == 0 || strcmp(a, "-E") == 0 || strcmp(a, "-Y") == 0);
        if (takes && !next) {
            apcctl_errorf("read: option %s needs a value (see: apcctl help read)", a);
            return -1;
        }
        if (opts && strcmp(a, "--") == 0) {
            opts = false;
        } else if (opts && strcmp(a, "--all") == 0) {
            /* Every page is now the default; kept so older scripts still run. */
        } else if (opts && strcmp(a, "-x") == 0) {
            r->hex = true;
        } else if (opts && strcmp(a, "-t") == 0) {
            r->time = TIME_NONE;
        } else if (opts && strcmp(a, "-tt") == 0) {
            r->time = TIME_EPOCH;
        } else if (opts && strcmp(a, "--utc") == 0) {
            r->utc = true;
        } else if (takes && strcmp(a, "-c") == 0) {
            if (parse_count(next, &r->limit) < 0)
                return -1;
            i++;
        } else if (takes && strcmp(a, "-T") == 0) {
            if (strcmp(next, "fields") == 0) {
                r->out = OUT_FIELDS;
            } else if (strcmp(next, "json") == 0) {
                r->out = OUT_JSON;
            } else {
                apcctl_errorf("read: -T takes 'fields' or 'json', not '%s'", next);
                return -1;
            }
            i++;
        } else if (takes && strcmp(a, "-e") == 0) {
            r->fields[r->nfields++] = next;
            i++;
        } else if (takes && strcmp(a, "-E") == 0) {
            if (strncmp(next, "separator=", 10) != 0) {
                apcctl_errorf("read: -E takes separator=CHARS, not '%s'", next);
                return -1;
            }
            r->sep = next + 10;
            i++;
        } else if (takes && strcmp(a, "-Y") == 0) {
            r->filter = next;
            i++;
        } else if (opts && a[0] == '-' && a[1]) {
            apcctl_errorf("read: unknown option '%s' (see: apcctl help read)", a);
            return -1;
        } else if (strchr(a, '=') && a[0] != '=') {
            if (apcctl_args_add_word(&r->extra, a) < 0) {
                apcctl_errorf("out of memory");
                return -1;
            }
        } else {
            r->nids++;
            r->id = r->id ? r->id : a;
        }
    }
    if (r->nids != 1) {
        apcctl_errorf("read: expected one CAPTURE_ID, got %zu arguments", r->nids);
        return -1;
    }
    char *end;
    errno = 0;
    long long v = r->id ? strtoll(r->id, &end, 10) : 0;
    if (!r->id || errno || *end || end == r->id || v <= 0) {
        apcctl_errorf("read: '%s' is not a capture id (a positive integer)",
                      r->id ? r->id : "(none given)");
        return -1;
    }
    if (r->out == OUT_FIELDS && r->nfields == 0) {
        apcctl_errorf("read: -T fields needs at least one -e FIELD (e.g. -e SrcIp)");
        return -1;
    }
    if (r->nfields > 0 && r->out != OUT_FIELDS) {
        apcctl_errorf("read: -e FIELD goes with -T fields");
        return -1;
    }
    if (r->hex && r->filter) {
        /* search_read returns packets without their bytes. */
        apcctl_errorf("read: -x cannot be combined with -Y (matches carry no packet bytes)");
        return -1;
    }
    return 0;
}

static void print_time(FILE *f, const read_opts_t *r, const cJSON *pkt)
{
    int64_t ft = 0;
    if (r->time == TIME_NONE)
        return;
    apc_jsonx_int(cJSON_GetObjectItemCaseSensitive(pkt, "Time"), &ft);
    apc_time_t ns = apc_time_from_filetime(ft);
    int64_t sec = ns / 1000000000, usec = (ns % 1000000000) / 1000;
    if (usec < 0) {
        sec--;
        usec += 1000000;
    }
    if (r->time == TIME_EPOCH) {
        fprintf(f, "%lld.%06lld ", (long long)sec, (long long)usec);
        return;
    }
    /* Time of day, as tcpdump prints it by default (local time unless --utc). */
    time_t t = (time_t)sec;
    struct tm tm;
    if (!(r->utc ? gmtime_r(&t, &tm) : localtime_r(&t, &tm))) {
        fprintf(f, "%lld ", (long long)ft);
        return;
    }
    fprintf(f, "%02d:%02d:%02d.%06lld ", tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)usec);
}

static const char *str_of(const cJSON *pkt, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(pkt, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* tcpdump -xx style: offset, then 16 bytes per line in groups of two. */
static void print_hex(FILE *f, const char *hex)
{
    size_t n = strlen(hex) / 2;
    for (size_t off = 0; off < n; off += 16) {
        fprintf(f, "\t0x%04zx: ", off);
        for (size_t i = off; i < off + 16 && i < n; i++)
            fprintf(f, "%s%.2s", (i - off) % 2 == 0 ? " " : "", hex + 2 * i);
        fputc('\n', f);
    }
}

static void print_packet(FILE *f, const read_opts_t *r, const cJSON *pkt)
{
    if (r->out == OUT_JSON) {
        char *text = cJSON_PrintUnformatted(pkt);
        if (text)
            fprintf(f, "%s\n", text);
        free(text);
        return;
    }
    if (r->out == OUT_FIELDS) {
        for (size_t i = 0; i < r->nfields; i++) {
            char buf[128];
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(pkt, r->fields[i]);
            const char *text = v ? apcctl_field_text(r->fields[i], v, buf, sizeof buf) : NULL;
            fprintf(f, "%s%s", i ? r->sep : "", text ? text : "");
        }
        fputc('\n', f);
        return;
    }
    print_time(f, r, pkt);
    int64_t pid = 0;
    apc_jsonx_int(cJSON_GetObjectItemCaseSensitive(pkt, "Pid"), &pid);
    /* Which process sent or received it: what tcpdump cannot say. */
    if (pid > 0)
        fprintf(f, "%lld/%s ", (long long)pid,
                *str_of(pkt, "ProcessName") ? str_of(pkt, "ProcessName") : "?");
    else
        fputs("-/- ", f);
    fprintf(f, "%s\n", str_of(pkt, "Summary"));
    if (r->hex)
        print_hex(f, str_of(pkt, "Data"));
}

/* Starts the -Y search and waits for it; returns its id (> 0) or an exit code negated. */
static int64_t start_search(apcctl_transport_t *t, const apcctl_opts_t *o, const read_opts_t *r)
{
    apcctl_args_t args = {0};
    if (apcctl_args_add(&args, "filter", r->filter) < 0 ||
        apcctl_args_add(&args, "capture_id", r->id) < 0 ||
        apcctl_args_add(&args, "wait", "1") < 0) {
        apcctl_args_free(&args);
        apcctl_errorf("out of memory");
        return -APCCTL_EXIT_FAIL;
    }
    apcctl_response_t resp;
    int rc = apcctl_call(t, "search_start", &args, &resp);
    apcctl_args_free(&args);
    if (rc < 0)
        return -APCCTL_EXIT_FAIL;
    if (resp.error_code != 0) {
        rc = o->json ? (apcctl_print_response(stdout, o, &resp), APCCTL_EXIT_FAIL)
                     : apcctl_report_error(&resp);
        apcctl_response_free(&resp);
        return -rc;
    }
    int64_t sid = 0;
    apc_jsonx_int(cJSON_GetObjectItemCaseSensitive(resp.value, "SearchId"), &sid);
    const char *state = str_of(resp.value, "State");
    if (sid <= 0 || strcmp(state, "completed") != 0) {
        const char *err = str_of(resp.value, "Error");
        apcctl_errorf("read -Y: search %lld ended %s: %s", (long long)sid, state,
                      *err ? err : "(no error text)");
        apcctl_response_free(&resp);
        return -APCCTL_EXIT_FAIL;
    }
    apcctl_response_free(&resp);
    return sid;
}

/* The search's results are ours alone: drop them once printed. */
static void delete_search(apcctl_transport_t *t, int64_t sid)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%lld", (long long)sid);
    apcctl_args_t args = {0};
    apcctl_response_t resp;
    if (apcctl_args_add(&args, "search_id", buf) == 0 &&
        apcctl_call(t, "search_delete", &args, &resp) == 0)
        apcctl_response_free(&resp);
    apcctl_args_free(&args);
}

/* Pages through `action` (capture_read or search_read) from last_id, printing as it goes. */
static int stream(apcctl_transport_t *t, const apcctl_opts_t *o, const read_opts_t *r,
                  const char *action, const char *idname, const char *idval)
{
    const apc_op_info_t *op = apc_op_find(action);
    const char *start = apcctl_args_get(&r->extra, "last_id");
    int64_t last = start ? strtoll(start, NULL, 10) : 0, printed = 0;
    const char *count = apcctl_args_get(&r->extra, "count");
    int64_t page = count ? strtoll(count, NULL, 10) : APC_PAGE_MAX;
    bool capture = strcmp(action, "capture_read") == 0;
    int rc = APCCTL_EXIT_OK;
    while (rc == APCCTL_EXIT_OK) {
        apcctl_args_t args = {0};
        char lastbuf[24], countbuf[24];
        snprintf(lastbuf, sizeof lastbuf, "%lld", (long long)last);
        /* Fewer round trips: the largest page (or the caller's), no more than -c still needs. */
        int64_t want = page;
        if (r->limit > 0 && r->limit - printed < want)
            want = r->limit - printed;
        snprintf(countbuf, sizeof countbuf, "%lld", (long long)want);
        int bad = apcctl_args_add(&args, idname, idval) < 0 ||
                  apcctl_args_add(&args, "last_id", lastbuf) < 0;
        if (!bad && op && apcctl_op_has_param(op, "count"))
            bad = apcctl_args_add(&args, "count", countbuf) < 0;
        if (!bad && capture && r->hex && !apcctl_args_get(&r->extra, "flags"))
            bad = apcctl_args_add(&args, "flags", "1") < 0;
        for (size_t i = 0; !bad && capture && i < r->extra.count; i++) {
            const char *n = r->extra.items[i].name;
            if (strcmp(n, "last_id") != 0 && strcmp(n, "count") != 0)
                bad = apcctl_args_add(&args, n, r->extra.items[i].value) < 0;
        }
        apcctl_response_t resp;
        if (bad) {
            apcctl_args_free(&args);
            apcctl_errorf("out of memory");
            return APCCTL_EXIT_FAIL;
        }
        int called = apcctl_call(t, action, &args, &resp);
        apcctl_args_free(&args);
        if (called < 0)
            return APCCTL_EXIT_FAIL;
        if (resp.error_code != 0) {
            rc = o->json ? (apcctl_print_response(stdout, o, &resp), APCCTL_EXIT_FAIL)
                         : apcctl_report_error(&resp);
            apcctl_response_free(&resp);
            return rc;
        }
        const cJSON *pk = cJSON_GetObjectItemCaseSensitive(resp.value, "Packets");
        if (o->json) {
            apcctl_print_response(stdout, o, &resp);
            printed += cJSON_GetArraySize(pk);
        } else {
            const cJSON *p;
            cJSON_ArrayForEach(p, pk)
            {
                if (r->limit > 0 && printed >= r->limit)
                    break;
                print_packet(stdout, r, p);
                printed++;
            }
        }
        /* Each page reaches the reader as soon as it is read. */
        fflush(stdout);
        int64_t next = 0, more = 0;
        apc_jsonx_int(cJSON_GetObjectItemCaseSensitive(resp.value, "LastId"), &next);
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(resp.value, "More");
        more = cJSON_IsTrue(m) || (apc_jsonx_int(m, &more) && more);
        apcctl_response_free(&resp);
        /* A page that does not move the cursor would loop forever. */
        if (!more || next <= last || (r->limit > 0 && printed >= r->limit))
            break;
        last = next;
        if (apcctl_interrupted)
            rc = APCCTL_EXIT_INTERRUPTED;
    }
    if (ferror(stdout)) {
        apcctl_errorf("read: cannot write the output: %s", strerror(errno));
        rc = APCCTL_EXIT_FAIL;
    }
    return rc;
}

int apcctl_read(apcctl_transport_t *t, const apcctl_opts_t *o, int argc, char **argv)
{
    read_opts_t r;
    int rc = APCCTL_EXIT_USAGE;
    if (parse_read(argc, argv, &r) == 0) {
        const apc_op_info_t *op = apc_op_find(r.filter ? "search_read" : "capture_read");
        if (op && !r.filter)
            apcctl_args_check(o, op, &r.extra);
        if (!r.filter) {
            rc = stream(t, o, &r, "capture_read", "capture_id", r.id);
        } else {
            int64_t sid = start_search(t, o, &r);
            if (sid <= 0) {
                rc = (int)-sid;
            } else {
                char buf[24];
                snprintf(buf, sizeof buf, "%lld", (long long)sid);
                rc = stream(t, o, &r, "search_read", "search_id", buf);
                delete_search(t, sid);
            }
        }
    }
    ropts_free(&r);
    return rc;
}

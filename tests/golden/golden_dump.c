/* SPDX-License-Identifier: MIT */
/*
 * Golden test driver: `golden_dump ROOTVAR RELATIVE-FILE EXPECTED.json`, the file taken under the
 * directory named by environment variable ROOTVAR (APC_CORPUS: the shared corpus, skipped with
 * exit 77 when it is not beside the checkout; APC_TEST_CAPTURES: the captures the build makes,
 * tests/captures/). Ingests the file into a
 * fresh data directory through apc_op_call, gathers the replies of capture_get_details (minus
 * the fields that change from run to run), capture_read (all packets, metadata),
 * capture_list_conns and capture_get_processes (all pages), and compares the
 * pretty-printed result with EXPECTED.json byte for byte. With APC_GOLDEN_UPDATE=1 it writes
 * EXPECTED.json instead. On a mismatch the actual output is left next to the test's working
 * directory as golden-actual-<name>.json for diffing.
 */
#include <ctype.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include <apc/apc.h>

#define BIG_MARK "\001big:"

static apc_ctx_t *ctx;

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "golden_dump: %s: %s\n", what, detail);
    exit(1);
}

/*
 * cJSON keeps numbers as doubles, which would round 18-digit FILETIMEs when printed again.
 * Integers longer than 15 digits are turned into marked strings before parsing and back into
 * raw numbers after (unmark), so the output keeps every digit of the reply.
 */
static char *mark_big_numbers(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n * 2 + 16), *w = out;
    if (!out)
        die("mark", "out of memory");
    int in_str = 0;
    for (size_t i = 0; i < n;) {
        char c = s[i];
        if (in_str) {
            *w++ = c;
            if (c == '\\' && i + 1 < n) {
                *w++ = s[++i];
            } else if (c == '"') {
                in_str = 0;
            }
            i++;
            continue;
        }
        if (c == '"') {
            in_str = 1;
            *w++ = c;
            i++;
            continue;
        }
        if (c == '-' || isdigit((unsigned char)c)) {
            size_t j = i + (c == '-');
            while (j < n && isdigit((unsigned char)s[j]))
                j++;
            int integer = j >= n || (s[j] != '.' && s[j] != 'e' && s[j] != 'E');
            if (integer && j - i > 15) {
                w += sprintf(w, "\"%s%.*s\"", BIG_MARK, (int)(j - i), s + i);
                i = j;
                continue;
            }
        }
        *w++ = c;
        i++;
    }
    *w = '\0';
    return out;
}

static void unmark(cJSON *o)
{
    cJSON *it = o ? o->child : NULL;
    while (it) {
        cJSON *next = it->next;
        if (cJSON_IsString(it) && strncmp(it->valuestring, BIG_MARK, strlen(BIG_MARK)) == 0) {
            cJSON *raw = cJSON_CreateRaw(it->valuestring + strlen(BIG_MARK));
            /* ReplaceItemViaPointer keeps the position but not the key. */
            if (!raw || (it->string && !(raw->string = strdup(it->string))))
                die("unmark", "out of memory");
            cJSON_ReplaceItemViaPointer(o, it, raw);
        } else {
            unmark(it);
        }
        it = next;
    }
}

/* Runs an action (name, value pairs, NULL-terminated) and returns its ReturnValue, detached. */
static cJSON *op(const char *action, ...)
{
    apc_params_t *p = NULL;
    apc_params_new(&p);
    va_list ap;
    va_start(ap, action);
    for (const char *k; (k = va_arg(ap, const char *));)
        apc_params_add(p, k, va_arg(ap, const char *));
    va_end(ap);
    char *json = NULL;
    int code = apc_op_call(ctx, NULL, action, p, &json);
    apc_params_free(p);
    if (code != 0)
        die(action, json ? json : "no reply");
    char *marked = mark_big_numbers(json);
    apc_free(json);
    cJSON *r = cJSON_Parse(marked);
    free(marked);
    if (!r)
        die(action, "reply is not JSON");
    unmark(r);
    cJSON *v = cJSON_DetachItemFromObject(r, "ReturnValue");
    cJSON_Delete(r);
    return v;
}

/* Appends every page of a `listOf X` action to `into`; `id_field` is the paging cursor. */
static void all_pages(cJSON *into, const char *action, const char *ids, const char *id_field)
{
    char last[32] = "0";
    for (;;) {
        cJSON *page = op(action, "capture_id", ids, "last_id", last, "count", "1000", NULL);
        int n = cJSON_GetArraySize(page);
        if (n == 0) {
            cJSON_Delete(page);
            return;
        }
        cJSON *lastit = cJSON_GetArrayItem(page, n - 1);
        cJSON *idv = cJSON_GetObjectItem(lastit, id_field);
        if (!idv)
            die(action, "item without its id field");
        if (cJSON_IsRaw(idv))
            snprintf(last, sizeof last, "%s", idv->valuestring);
        else
            snprintf(last, sizeof last, "%.0f", idv->valuedouble);
        while (page->child) {
            cJSON *it = cJSON_DetachItemViaPointer(page, page->child);
            cJSON_AddItemToArray(into, it);
        }
        cJSON_Delete(page);
    }
}

static char *dump(const char *root, const char *rel)
{
    char *path = NULL;
    if (asprintf(&path, "%s/%s", root, rel) < 0)
        die("path", "out of memory");

    cJSON *idv = op("pcap_ingest_file", "path", path, "wait", "1", NULL);
    free(path);
    char ids[32];
    snprintf(ids, sizeof ids, "%.0f", idv->valuedouble);
    cJSON_Delete(idv);

    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "File", rel);
    cJSON *cap = op("capture_get_details", "capture_id", ids, NULL);
    /* Volatile: ids and wall-clock times of this run, where the corpus happens to be, and the
     * node (host name and data directory). */
    static const char *volatile_fields[] = {"CaptureId", "StartTime", "EndTime", "SourceFile",
                                            "Node"};
    for (size_t i = 0; i < sizeof volatile_fields / sizeof *volatile_fields; i++)
        cJSON_DeleteItemFromObject(cap, volatile_fields[i]);
    cJSON_AddItemToObject(out, "Capture", cap);

    cJSON *packets = cJSON_AddArrayToObject(out, "Packets");
    char last[32] = "0";
    for (;;) {
        cJSON *pg = op("capture_read", "capture_id", ids, "last_id", last, "count", "1000", NULL);
        cJSON *pk = cJSON_GetObjectItem(pg, "Packets");
        int n = cJSON_GetArraySize(pk);
        cJSON *lid = cJSON_GetObjectItem(pg, "LastId");
        snprintf(last, sizeof last, "%.0f", lid ? lid->valuedouble : 0.0);
        int more = cJSON_GetObjectItem(pg, "More") && cJSON_GetObjectItem(pg, "More")->valueint;
        while (pk && pk->child)
            cJSON_AddItemToArray(packets, cJSON_DetachItemViaPointer(pk, pk->child));
        cJSON_Delete(pg);
        if (!n || !more)
            break;
    }
    all_pages(cJSON_AddArrayToObject(out, "Connections"), "capture_list_conns", ids, "ConnId");
    all_pages(cJSON_AddArrayToObject(out, "Processes"), "capture_get_processes", ids, "ProcessId");

    char *s = cJSON_Print(out);
    cJSON_Delete(out);
    if (!s)
        die("print", "out of memory");
    size_t n = strlen(s);
    char *text = malloc(n + 2);
    memcpy(text, s, n);
    text[n] = '\n';
    text[n + 1] = '\0';
    cJSON_free(s);
    return text;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (!s || fread(s, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(s);
        return NULL;
    }
    s[n] = '\0';
    fclose(f);
    return s;
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fputs(text, f) >= 0;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: golden_dump ROOTVAR RELATIVE-FILE EXPECTED.json\n");
        return 2;
    }
    const char *root = getenv(argv[1]);
    struct stat st;
    if (!root || stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        if (strcmp(argv[1], "APC_CORPUS") == 0) {
            printf("SKIP: %s (%s) is not a directory: the shared corpus is not beside this "
                   "checkout; the golden tests of tests/captures/ run instead\n",
                   argv[1], root ? root : "unset");
            return 77;
        }
        die(argv[1], "not set or not a directory");
    }
    argv++; /* argv[1] is now the relative file, argv[2] the expected JSON */
    char dir[] = "/tmp/apc-golden-XXXXXX";
    if (!mkdtemp(dir))
        die("mkdtemp", "failed");
    apc_ctx_options_t o;
    apc_ctx_options_init(&o, APC_CTX_OPTIONS_VERSION);
    o.data_dir = dir;
    if (apc_ctx_open(&ctx, &o) < 0)
        die("apc_ctx_open", apc_last_error_message());
    char *actual = dump(root, argv[1]);
    apc_ctx_close(ctx);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);

    const char *upd = getenv("APC_GOLDEN_UPDATE");
    if (upd && strcmp(upd, "1") == 0) {
        if (write_file(argv[2], actual) < 0)
            die(argv[2], "cannot write");
        fprintf(stderr, "golden_dump: wrote %s\n", argv[2]);
        free(actual);
        return 0;
    }
    char *expected = slurp(argv[2]);
    if (!expected) {
        fprintf(stderr, "golden_dump: %s missing; run with APC_GOLDEN_UPDATE=1\n", argv[2]);
        free(actual);
        return 1;
    }
    int rc = 0;
    if (strcmp(expected, actual) != 0) {
        int line = 1;
        size_t i = 0;
        while (expected[i] && expected[i] == actual[i]) {
            line += expected[i] == '\n';
            i++;
        }
        char name[512];
        snprintf(name, sizeof name, "golden-actual-%s.json", argv[1]);
        for (char *c = name; *c; c++)
            if (*c == '/')
                *c = '_';
        write_file(name, actual);
        fprintf(stderr, "golden_dump: %s differs from %s at line %d; actual output in %s\n",
                argv[1], argv[2], line, name);
        rc = 1;
    } else {
        printf("golden %s: ok\n", argv[1]);
    }
    free(expected);
    free(actual);
    return rc;
}

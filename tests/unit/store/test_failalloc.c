/* SPDX-License-Identifier: MIT */
/*
 * Out of memory at every step of the store and the packet readers (as libgit2 and libuv test
 * their allocators): this program replaces malloc, calloc, realloc and free for the whole
 * process (SQLite and libc included) with glibc's own, made to fail once at the k-th call.
 * For each k of a schedule over one run's allocations, it opens a context on a data
 * directory holding one ingested capture, lists captures, reads every packet with its bytes,
 * reads connections and processes, ingests a second file and closes. Then, with allocation
 * working again, it checks:
 *   - every call that failed said why (a negative code and a message), and nothing crashed or
 *     hung (a hang is a wait that passes its generous limit);
 *   - the first capture is still there and reads back the same packets (nothing stored lost);
 *   - the store still opens and takes a new ingest.
 *
 * ASan replaces malloc itself: under it this test skips (exit 77) and the plain build runs it.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apc/apc.h>

#if defined(__SANITIZE_ADDRESS__)
#define FAILALLOC_SKIP "ASan replaces malloc; the plain build runs this test"
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define FAILALLOC_SKIP "a sanitizer replaces malloc; the plain build runs this test"
#endif
#endif

#ifndef FAILALLOC_SKIP
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

/* -1: never fail; k >= 0: the call that finds it at 0 fails, then it stays negative. */
static _Atomic long countdown = -1;
static _Atomic long calls;
static _Atomic int failed_one;

static int fail_now(void)
{
    atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
    if (atomic_load_explicit(&countdown, memory_order_relaxed) < 0)
        return 0;
    if (atomic_fetch_sub(&countdown, 1) == 0) {
        atomic_store(&failed_one, 1);
        return 1;
    }
    return 0;
}

void *malloc(size_t n)
{
    return fail_now() ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
    return fail_now() ? NULL : __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
    /* realloc(p, 0) frees: failing it would leak p, which no caller expects. */
    return n && fail_now() ? NULL : __libc_realloc(p, n);
}

void free(void *p)
{
    __libc_free(p);
}

static char dir[64];
static char first_file[512], second_file[512];
static unsigned long problems;

#define PROBLEM(...)                                                                               \
    do {                                                                                           \
        problems++;                                                                                \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
    } while (0)

static unsigned long failed_calls; /* calls that failed, as they may, with a message */

/* A failed call must say why. */
static int said(long k, const char *call, int rc)
{
    if (rc < 0 && !*apc_last_error_message())
        PROBLEM("k=%ld: %s failed (%d) with no message", k, call, rc);
    return rc;
}

static int open_ctx(apc_ctx_t **ctx)
{
    apc_ctx_options_t o;
    apc_ctx_options_init(&o, APC_CTX_OPTIONS_VERSION);
    o.data_dir = dir;
    o.log_level = -1; /* quiet: failures are expected here, and reported by the checks */
    return apc_ctx_open(ctx, &o);
}

/* Reads every packet of capture id with bytes: its count and a checksum of what it read. */
static int read_all(apc_ctx_t *ctx, int64_t id, uint64_t *count, uint64_t *sum)
{
    int64_t last = 0;
    *count = *sum = 0;
    for (;;) {
        apc_packet_page_t *pg = NULL;
        int rc = apc_capture_read(ctx, id, last, 50, APC_READ_BYTES, &pg);
        if (rc < 0)
            return rc;
        for (size_t i = 0; i < pg->count; i++) {
            const apc_packet_t *p = &pg->packets[i];
            *sum = *sum * 31 + (uint64_t)p->id + p->caplen + (uint64_t)p->src_port;
            for (uint32_t b = 0; p->data && b < p->caplen; b++)
                *sum = *sum * 131 + p->data[b];
            for (const char *c = p->summary; c && *c; c++)
                *sum = *sum * 7 + (unsigned char)*c;
        }
        *count += pg->count;
        last = pg->last_id;
        int more = pg->more;
        apc_packet_page_free(pg);
        if (!more)
            return 0;
    }
}

static int ingest(apc_ctx_t *ctx, const char *path, int64_t *id)
{
    int rc = apc_ingest_file(ctx, path, NULL, id);
    if (rc == 0)
        rc = apc_capture_wait(ctx, *id, 120000);
    return rc;
}

/* One run with the k-th allocation failing (k < 0: none). */
static void run(long k, uint64_t want_n, uint64_t want_sum)
{
    atomic_store(&failed_one, 0);
    atomic_store(&countdown, k);
    apc_ctx_t *ctx = NULL;
    int rc = said(k, "apc_ctx_open", open_ctx(&ctx));
    if (rc == 0) {
        apc_capture_list_t *l = NULL;
        if (said(k, "apc_capture_list", apc_capture_list(ctx, 0, &l)) == 0) {
            if (l->count < 1 || l->items[0]->id != 1)
                PROBLEM("k=%ld: apc_capture_list succeeded without capture 1", k);
            apc_capture_list_free(l);
        } else {
            failed_calls++;
        }
        /* A read that succeeds must be whole: a short answer would be a silent error. */
        uint64_t n, sum;
        if (said(k, "apc_capture_read", read_all(ctx, 1, &n, &sum)) == 0) {
            if (n != want_n || sum != want_sum)
                PROBLEM("k=%ld: apc_capture_read succeeded with other packets (%llu, want %llu)", k,
                        (unsigned long long)n, (unsigned long long)want_n);
        } else {
            failed_calls++;
        }
        apc_conn_page_t *cp = NULL;
        if (said(k, "apc_capture_list_conns", apc_capture_list_conns(ctx, 1, 0, 100, &cp)) == 0)
            apc_conn_page_free(cp);
        apc_packet_page_t *cpk = NULL;
        if (said(k, "apc_capture_read_conn", apc_capture_read_conn(ctx, 1, 1, 0, 100, 0, &cpk)) ==
            0)
            apc_packet_page_free(cpk);
        apc_capture_meta_t *m = NULL;
        if (said(k, "apc_capture_meta", apc_capture_meta(ctx, 1, &m)) == 0)
            apc_capture_meta_free(m);
        apc_process_page_t *pp = NULL;
        if (said(k, "apc_capture_get_processes", apc_capture_get_processes(ctx, 1, 0, 100, &pp)) ==
            0)
            apc_process_page_free(pp);
        int64_t id = 0;
        rc = ingest(ctx, second_file, &id);
        if (rc == APC_EBUSY)
            PROBLEM("k=%ld: an ingest did not end within 120 s (a hang)", k);
        failed_calls += said(k, "apc_ingest_file", rc) < 0;
        apc_ctx_close(ctx);
    } else {
        failed_calls++;
    }
    atomic_store(&countdown, -1);
}

/* With allocation working: the first capture reads back as it was, and the store works. */
static void check(long k, uint64_t want_n, uint64_t want_sum)
{
    apc_ctx_t *ctx = NULL;
    int rc = open_ctx(&ctx);
    if (rc < 0) {
        PROBLEM("k=%ld: the store no longer opens: %s", k, apc_last_error_message());
        return;
    }
    uint64_t n = 0, sum = 0;
    rc = read_all(ctx, 1, &n, &sum);
    if (rc < 0 || n != want_n || sum != want_sum)
        PROBLEM("k=%ld: capture 1 changed: rc %d, %llu packets (want %llu), sum %s", k, rc,
                (unsigned long long)n, (unsigned long long)want_n,
                sum == want_sum ? "same" : "differs");
    apc_ctx_close(ctx);
}

int main(void)
{
    const char *caps = getenv("APC_TEST_CAPTURES");
    if (!caps || !*caps) {
        printf("SKIP: APC_TEST_CAPTURES is not set (meson test sets it)\n");
        return 77;
    }
    snprintf(first_file, sizeof first_file, "%s/web.pcap", caps);
    snprintf(second_file, sizeof second_file, "%s/names.pcap", caps);
    strcpy(dir, "/tmp/apc-failalloc-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    /* The data directory's first capture, and what reading it gives. */
    apc_ctx_t *ctx = NULL;
    int64_t id = 0;
    uint64_t want_n = 0, want_sum = 0;
    if (open_ctx(&ctx) < 0 || ingest(ctx, first_file, &id) < 0 || id != 1 ||
        read_all(ctx, 1, &want_n, &want_sum) < 0 || want_n == 0) {
        fprintf(stderr, "setup failed: %s\n", apc_last_error_message());
        return 1;
    }
    apc_ctx_close(ctx);

    /* How many allocations one full run makes; then runs failing one of them each: every one
     * of the first 1500 (opening, the store's statements, the first reads, where most paths
     * start), then 500 spread over the rest (every one took 200 s: too long for each CI run).
     * A run allocates a little differently each time, with threads: every stage is covered
     * either way. */
    atomic_store(&calls, 0);
    run(-1, want_n, want_sum);
    long total = atomic_load(&calls);
    check(-1, want_n, want_sum);
    if (problems) {
        fprintf(stderr, "a run without failures already fails\n");
        return 1;
    }
    long stride = total > 1500 ? (total - 1500) / 500 + 1 : 1;
    long runs = 0, hit = 0;
    for (long k = 0; k < total; k += k < 1500 ? 1 : stride) {
        run(k, want_n, want_sum);
        hit += atomic_load(&failed_one);
        runs++;
        check(k, want_n, want_sum);
        if (problems > 20)
            break;
    }
    if (hit == 0 || failed_calls == 0)
        PROBLEM("no injected failure reached a caller: the replaced allocator is not in use");
    printf("%ld allocations in one run; %ld runs with one failing, %ld of them hit; %lu calls "
           "failed with a message; %lu problems\n",
           total, runs, hit, failed_calls, problems);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return problems ? 1 : 0;
}
#else
int main(void)
{
    printf("SKIP: %s\n", FAILALLOC_SKIP);
    return 77;
}
#endif

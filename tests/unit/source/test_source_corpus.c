/* SPDX-License-Identifier: MIT */
/*
 * The readers against the shared corpus ($APC_CORPUS): every file is read to its end or to a
 * clear error, with every data and comment byte touched (ASan/UBSan builds check the reads), and
 * wherever capinfos reads a file completely our record count must equal its packet count.
 */
#include "test_source.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apc/common.h>
#include "../corpus_skip.h"

/* Files where we and capinfos (Wireshark's wiretap) knowingly differ in count. Files capinfos
 * refuses whole while we (and libpcap) read them are only listed, not failed: on this corpus they
 * are pcaps whose link type wiretap does not know (DSA/EDSA 284/285, Broadcom tags 281/282, MFR
 * 182, Juniper ES with FCS bits set 0x30000084), which tcpdump reads. */
static const struct {
    const char *name;
    const char *why;
} known_diff[] = {
    {"pcap-invalid-version-2.pcap",
     "pcap version 2.5: wiretap reads any 2.x, libpcap/tcpdump refuse > 2.4 and so do we"},
};

static const char *known_reason(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    for (size_t k = 0; k < sizeof known_diff / sizeof known_diff[0]; k++)
        if (!strcmp(base, known_diff[k].name))
            return known_diff[k].why;
    return NULL;
}

static const char *corpus_dir(void)
{
    return apc_test_corpus_or_skip();
}

struct paths {
    char **v;
    size_t n, cap;
};

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(const char *dir, struct paths *p)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *full;
        assert_true(asprintf(&full, "%s/%s", dir, e->d_name) > 0);
        struct stat st;
        assert_int_equal(stat(full, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            walk(full, p);
            free(full);
            continue;
        }
        if (p->n == p->cap) {
            p->cap = p->cap ? p->cap * 2 : 1024;
            p->v = realloc(p->v, p->cap * sizeof *p->v);
            assert_non_null(p->v);
        }
        p->v[p->n++] = full;
    }
    closedir(d);
}

/* capinfos' packet count when it reads the file completely, else -1. */
static long capinfos_count(const char *path)
{
    char cmd[4200];
    size_t n = (size_t)snprintf(cmd, sizeof cmd, "capinfos -c -M '");
    for (const char *s = path; *s && n < sizeof cmd - 40; s++)
        n += (size_t)(*s == '\'' ? snprintf(cmd + n, sizeof cmd - n, "'\\''")
                                 : snprintf(cmd + n, sizeof cmd - n, "%c", *s));
    snprintf(cmd + n, sizeof cmd - n, "' 2>&1");
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    char line[4096];
    long count = -1;
    int warned = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "File name:", 10) &&
            (strstr(line, "cut short") || strstr(line, "runcat") || strstr(line, "damaged") ||
             strstr(line, "rror")))
            warned = 1;
        const char *k = strstr(line, "Number of packets:");
        if (k)
            count = strtol(k + 18, NULL, 10);
    }
    int st = pclose(f);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || warned)
        return -1;
    return count;
}

static bool have_capinfos(void)
{
    return system("command -v capinfos >/dev/null 2>&1") == 0;
}

static void test_corpus_counts(void **state)
{
    const char *dir = corpus_dir();
    if (!dir) {
        print_message("APC_CORPUS not set: corpus test skipped\n");
        skip();
    }
    struct paths p = {0};
    walk(dir, &p);
    qsort(p.v, p.n, sizeof *p.v, cmpstr);
    bool oracle = have_capinfos();
    if (!oracle)
        print_message("capinfos not installed: packet counts not compared (reading only)\n");
    size_t full = 0, errs = 0, compared = 0, mismatches = 0, documented = 0, we_more = 0;
    for (size_t k = 0; k < p.n; k++) {
        apc__reader_t *r;
        size_t n = 0;
        int rc = apc__reader_open(&r, p.v[k]);
        if (rc == 0) {
            rc = read_all(r, &n);
            apc__reader_close(r);
        }
        /* Every failure is a format error with a message, or an I/O error: never anything else. */
        if (rc < 0) {
            assert_true(rc == APC_EFORMAT);
            assert_true(strlen(apc_last_error_message()) > 10);
            errs++;
        } else {
            full++;
        }
        if (!oracle)
            continue;
        long want = capinfos_count(p.v[k]);
        if (want < 0) {
            if (rc == 0 && n > 0) { /* capinfos refuses or stops early; we read it: reported */
                we_more++;
                print_message("read by us, not completely by capinfos: %s (%zu records)\n", p.v[k],
                              n);
            }
            continue;
        }
        compared++;
        if (rc == 0 && (long)n == want)
            continue;
        const char *why = known_reason(p.v[k]);
        if (why) {
            documented++;
            print_message("known difference %s (ours %zu%s, capinfos %ld): %s\n", p.v[k], n,
                          rc ? " then error" : "", want, why);
            continue;
        }
        mismatches++;
        print_message("MISMATCH %s: ours %zu records%s%s, capinfos %ld\n", p.v[k], n,
                      rc ? ", error: " : "", rc ? apc_last_error_message() : "", want);
    }
    print_message("corpus: %zu files, %zu read fully, %zu stopped with an error; %zu compared "
                  "with capinfos, %zu documented differences, %zu mismatches; %zu files read "
                  "that capinfos does not read completely\n",
                  p.n, full, errs, compared, documented, mismatches, we_more);
    for (size_t k = 0; k < p.n; k++)
        free(p.v[k]);
    free(p.v);
    assert_true(p.n > 800);
    assert_int_equal(mismatches, 0);
}

static char *corpus_path(const char *rel)
{
    const char *dir = corpus_dir();
    if (!dir)
        return NULL;
    char *s;
    assert_true(asprintf(&s, "%s/%s", dir, rel) > 0);
    return s;
}

static void test_ptcpdump_comments(void **state)
{
    char *path = corpus_path("ptcpdump/curl-thread.pcapng");
    if (!path)
        skip();
    apc__reader_t *r;
    assert_int_equal(apc__reader_open(&r, path), 0);
    apc__rec_t rec;
    assert_int_equal(apc__reader_next(r, &rec), 1);
    /* Three opt_comment options (process, thread, parent) joined with "\n", as tshark shows. */
    assert_string_equal(rec.comment,
                        "PID: 122868\nCmd: /usr/bin/curl\nArgs: curl kernel.com\n"
                        "ThreadId: 122868\nThreadName: curl\n"
                        "ParentPID: 53229\nParentCmd: /usr/bin/bash\nParentArgs: -bash");
    assert_int_equal(rec.ts_ns, 1734746437400239166ll);
    assert_int_equal(rec.direction, 2);
    assert_string_equal(apc__reader_iface(r, rec.iface)->name, "ens33");
    assert_int_equal(apc__reader_next(r, &rec), 1);
    assert_string_equal(rec.comment,
                        "PID: 122868\nCmd: /usr/bin/curl\nArgs: curl kernel.com\n"
                        "ParentPID: 53229\nParentCmd: /usr/bin/bash\nParentArgs: -bash");
    assert_int_equal(rec.direction, 1);
    /* Packets with a ThreadId comment, per tshark: 1, 4 and 8 of 10. */
    size_t n = 2, threads = 1;
    while (apc__reader_next(r, &rec) == 1) {
        n++;
        assert_non_null(strstr(rec.comment, "PID: 122868\n"));
        threads += strstr(rec.comment, "\nThreadId: 122868\n") != NULL;
    }
    assert_int_equal(n, 10);
    assert_int_equal(threads, 3);
    apc__reader_close(r);
    free(path);

    /* Comments per file as tshark shows them: ARP has no process, ICMP has replies without. */
    static const struct {
        const char *rel;
        size_t records, commented;
    } files[] = {
        {"ptcpdump/arp.pcapng", 2, 0},
        {"ptcpdump/dns.pcapng", 2, 2},
        {"ptcpdump/icmp.pcapng", 4, 2},
        {"ptcpdump/tcp.pcapng", 24, 24},
    };
    for (size_t k = 0; k < 4; k++) {
        path = corpus_path(files[k].rel);
        assert_int_equal(apc__reader_open(&r, path), 0);
        size_t with = 0;
        n = 0;
        while (apc__reader_next(r, &rec) == 1) {
            n++;
            if (!rec.comment)
                continue;
            with++;
            if (strncmp(rec.comment, "PID: ", 5))
                fail_msg("%s record %zu: comment %s", files[k].rel, n, rec.comment);
            assert_int_equal(strlen(rec.comment), rec.comment_len);
        }
        assert_int_equal(n, files[k].records);
        assert_int_equal(with, files[k].commented);
        apc__reader_close(r);
        free(path);
    }
}

/* libpcap's own bad-input files: the errors it gives, named the same way. */
static void test_libpcap_bad_files(void **state)
{
    static const struct {
        const char *rel, *err;
    } cases[] = {
        {"libpcap/pcap-invalid-version-1.pcap", "offset 4: unsupported pcap version 1.4"},
        {"libpcap/pcap-invalid-version-2.pcap", "offset 4: unsupported pcap version 2.5"},
        {"libpcap/pcapng-invalid-vers-1.pcapng", "offset 12: unsupported pcapng version 0.1"},
        {"libpcap/pcapng-invalid-vers-2.pcapng", "offset 12: unsupported pcapng version 1.1"},
        {"libpcap/shb-option-too-long.pcapng", "offset 0: trailing block length"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char *path = corpus_path(cases[k].rel);
        if (!path)
            skip();
        apc__reader_t *r;
        expect_fmt_err(apc__reader_open(&r, path), cases[k].err);
        assert_non_null(strstr(apc_last_error_message(), path));
        free(path);
    }
    char *path = corpus_path("libpcap/linktype-reserved-field-not-zero.pcap");
    apc__reader_t *r;
    assert_int_equal(apc__reader_open(&r, path), 0);
    assert_int_equal(apc__reader_iface(r, 0)->linktype, 3145728);
    apc__rec_t rec;
    assert_int_equal(apc__reader_next(r, &rec), 0);
    apc__reader_close(r);
    free(path);
}

const struct CMUnitTest apc_test_corpus[] = {
    cmocka_unit_test(test_corpus_counts),
    cmocka_unit_test(test_ptcpdump_comments),
    cmocka_unit_test(test_libpcap_bad_files),
};
const size_t apc_test_corpus_count = sizeof apc_test_corpus / sizeof apc_test_corpus[0];

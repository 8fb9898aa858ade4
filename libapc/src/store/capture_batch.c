/* SPDX-License-Identifier: MIT */
/* Filling and reusing a capture commit batch (see capture_batch.h). */
#include "store/capture_batch.h"

#include <stdlib.h>
#include <string.h>

#include "util/array.h"

#define APPEND(b, name, value)                                                                     \
    do {                                                                                           \
        if (apc__grow((void **)&(b)->name, &(b)->cap_##name, (b)->n_##name + 1,                    \
                      sizeof *(b)->name) < 0) {                                                    \
            (b)->oom = 1;                                                                          \
            return -ENOMEM;                                                                        \
        }                                                                                          \
        (b)->name[(b)->n_##name++] = (value);                                                      \
        return 0;                                                                                  \
    } while (0)

int apc__cbatch_conn(apc__cbatch_t *b, const apc__st_conn_t *c)
{
    APPEND(b, conns, *c);
}

int apc__cbatch_ip(apc__cbatch_t *b, const apc__st_ip_t *ip)
{
    /* The name is copied: a commit may be applied by another thread (capture/committer.h)
     * while the writer replaces the name it came from. Names are rare (new DNS answers). */
    apc__st_ip_t row = *ip;
    char *name = NULL;
    if (ip->host_name && *ip->host_name && !(name = strdup(ip->host_name))) {
        b->oom = 1;
        return -ENOMEM;
    }
    row.host_name = name ? name : "";
    if (apc__grow((void **)&b->ips, &b->cap_ips, b->n_ips + 1, sizeof *b->ips) < 0) {
        free(name);
        b->oom = 1;
        return -ENOMEM;
    }
    b->ips[b->n_ips++] = row;
    return 0;
}

/* Frees the names apc__cbatch_ip copied ("" is not a copy). */
static void free_names(apc__cbatch_t *b)
{
    for (size_t i = 0; i < b->n_ips; i++)
        if (*b->ips[i].host_name)
            free((char *)b->ips[i].host_name);
}

int apc__cbatch_proc(apc__cbatch_t *b, int64_t process_id, uint64_t packets, uint64_t bytes)
{
    APPEND(b, procs, ((apc__st_count_t){process_id, packets, bytes}));
}

int apc__cbatch_proto(apc__cbatch_t *b, int64_t proto, uint64_t packets, uint64_t bytes)
{
    APPEND(b, protos, ((apc__st_count_t){proto, packets, bytes}));
}

int apc__cbatch_iface(apc__cbatch_t *b, int64_t idx, uint64_t packets)
{
    APPEND(b, ifaces, ((apc__st_count_t){idx, packets, 0}));
}

int apc__cbatch_thread(apc__cbatch_t *b, int64_t process_id, int64_t tid)
{
    APPEND(b, threads, ((apc__st_thread_t){process_id, tid}));
}

int apc__cbatch_stat(apc__cbatch_t *b, const apc__st_stat_t *s)
{
    APPEND(b, stats, *s);
}

void apc__cbatch_clear(apc__cbatch_t *b)
{
    free_names(b);
    b->n_conns = b->n_ips = b->n_procs = b->n_protos = b->n_ifaces = b->n_threads = 0;
    b->n_stats = 0;
    b->new_conns = 0;
    memset(&b->progress, 0, sizeof b->progress);
    b->final_state = 0;
    b->error = NULL;
    b->error_offset = 0;
    b->end_time = 0;
    b->oom = 0;
}

void apc__cbatch_free(apc__cbatch_t *b)
{
    free_names(b);
    free(b->conns);
    free(b->ips);
    free(b->procs);
    free(b->protos);
    free(b->ifaces);
    free(b->threads);
    free(b->stats);
    int64_t id = b->capture_id;
    memset(b, 0, sizeof *b);
    b->capture_id = id;
}

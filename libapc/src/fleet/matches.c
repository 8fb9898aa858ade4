/* SPDX-License-Identifier: MIT */
/*
 * The byte scan of a search over another node's capture (peer.h): the owning node runs the
 * filter over its packet index and bytes (action search_scan) and answers the packet ids it
 * matched, in order. The answer is checked whole before any id of it reaches the caller.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apc/common.h>

#include "core/error.h"
#include "fleet/peer.h"
#include "fleet/peer_int.h"

int apc__fleet_check_matches(const char *text, size_t len, int64_t capture_id, uint64_t packets,
                             const char *node, apc__fleet_match_fn fn, void *payload,
                             uint64_t *scanned)
{
    *scanned = 0;
    cJSON *root = NULL;
    const cJSON *rv = NULL;
    int rc = apc__fleet_response(text, len, node, &root, &rv);
    const cJSON *cid = rc == 0 ? cJSON_GetObjectItemCaseSensitive(rv, "CaptureId") : NULL;
    const cJSON *sc = rc == 0 ? cJSON_GetObjectItemCaseSensitive(rv, "Scanned") : NULL;
    const cJSON *ids = rc == 0 ? cJSON_GetObjectItemCaseSensitive(rv, "PacketIds") : NULL;
    if (rc == 0 && !apc__fleet_whole(cid, (double)capture_id, (double)capture_id))
        rc = apc__fleet_bad(node, "matches of another capture", (long long)capture_id);
    if (rc == 0 && (!apc__fleet_whole(sc, 0, (double)packets) || !cJSON_IsArray(ids)))
        rc = apc__fleet_bad(node, "not the matches of a scan of the capture's packets",
                            (long long)packets);
    /* Every id a packet of the capture, in increasing order (each once), before any is used. */
    const cJSON *p;
    double last = 0;
    size_t n = 0;
    cJSON_ArrayForEach(p, ids)
    {
        if (rc < 0)
            break;
        if (!apc__fleet_whole(p, last + 1, (double)packets))
            rc = apc__fleet_bad(node, "a packet id out of order or beyond the capture",
                                (long long)n);
        else
            last = p->valuedouble, n++;
    }
    if (rc == 0)
        *scanned = (uint64_t)sc->valuedouble;
    cJSON_ArrayForEach(p, ids)
    {
        if (rc < 0)
            break;
        rc = fn(capture_id, (int64_t)p->valuedouble, payload);
    }
    cJSON_Delete(root);
    return rc;
}

int apc__fleet_matches(apc_ctx_t *ctx, const apc__fleet_scan_t *q, apc__fleet_match_fn fn,
                       void *payload, uint64_t *scanned)
{
    *scanned = 0;
    CURL *c = curl_easy_init();
    char *esc = c ? curl_easy_escape(c, q->filter ? q->filter : "", 0) : NULL;
    size_t fl = esc ? strlen(esc) + 128 : 0;
    char *form = esc ? malloc(fl) : NULL;
    if (form)
        snprintf(form, fl, "capture_id=%lld&start_dtg=%lld&end_dtg=%lld&filter=%s",
                 (long long)q->capture_id,
                 (long long)(q->time_from ? apc_time_to_filetime(q->time_from) : 0),
                 (long long)(q->time_to ? apc_time_to_filetime(q->time_to) : 0), esc);
    curl_free(esc);
    if (c)
        curl_easy_cleanup(c);
    if (!form)
        return apc__err(APC_ENOMEM, "out of memory");
    char *body = NULL;
    size_t len = 0;
    int rc = apc__fleet_post(ctx, q->node, q->url, "search_scan", form, q->capture_id, q->cancel,
                             q->cancel2, &body, &len);
    free(form);
    if (rc == 0)
        rc = apc__fleet_check_matches(body, len, q->capture_id, q->packets, q->node, fn, payload,
                                      scanned);
    free(body);
    return rc;
}

/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the check of a fleet peer's reply to a packet read (src/fleet/peer.c) or
 * to a search's scan (src/fleet/matches.c), on arbitrary bytes. The first byte picks a page
 * (bit 0 clear; bit 2 set: without bytes) or one packet (set), or with bit 1 a scan's
 * matches; the rest is the reply.
 * What the packet check accepts must be a ReturnValue text that cJSON parses again; the
 * matches passed on must be increasing ids within the capture, and none when it refuses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleet/peer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct seen {
    int64_t last;
    uint64_t n;
} seen_t;

static int on_match(int64_t capture_id, int64_t packet_id, void *payload)
{
    seen_t *s = payload;
    if (capture_id != 3 || packet_id <= s->last || packet_id > 1000)
        abort();
    s->last = packet_id;
    s->n++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    /* A copy of exactly the reply's bytes: reading past them is ASan's to catch. */
    char *buf = malloc(size - 1 ? size - 1 : 1);
    if (!buf)
        return 0;
    memcpy(buf, data + 1, size - 1);
    if (data[0] & 2) {
        seen_t s = {0, 0};
        uint64_t scanned = 0;
        int rc = apc__fleet_check_matches(buf, size - 1, 3, 1000, "fuzz", on_match, &s, &scanned);
        if ((rc < 0 && s.n) || scanned > 1000)
            abort();
        free(buf);
        return 0;
    }
    cJSON *v = NULL;
    int kind = data[0] & 1 ? APC_FLEET_SINGLE | APC_FLEET_DATA : data[0] & 4 ? 0 : APC_FLEET_DATA;
    if (apc__fleet_check_reply(buf, size - 1, 3, kind, "fuzz", &v) == 0) {
        if (!v || !cJSON_IsRaw(v))
            abort();
        cJSON *again = cJSON_Parse(v->valuestring);
        if (!again)
            abort();
        cJSON_Delete(again);
    }
    cJSON_Delete(v);
    free(buf);
    return 0;
}

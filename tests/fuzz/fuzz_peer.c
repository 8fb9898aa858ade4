/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the check of a fleet peer's reply to a packet read (src/fleet/peer.c), on
 * arbitrary bytes. The first byte picks a page (even) or one packet (odd); the rest is the
 * reply. What it accepts must be a ReturnValue text that cJSON parses again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleet/peer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    /* A copy of exactly the reply's bytes: reading past them is ASan's to catch. */
    char *buf = malloc(size - 1 ? size - 1 : 1);
    if (!buf)
        return 0;
    memcpy(buf, data + 1, size - 1);
    cJSON *v = NULL;
    if (apc__fleet_check_reply(buf, size - 1, 3, data[0] & 1, "fuzz", &v) == 0) {
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

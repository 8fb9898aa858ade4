/* SPDX-License-Identifier: MIT */
/*
 * The HTTP transport (POST /ajax to apcd, spec/wire.md "Requests") is a later milestone; until
 * then --url is accepted and refused here with a clear message, so the option and its error
 * path already exist and the real transport drops in behind the same interface.
 */
#include <stdio.h>

#include "apcctl.h"

int apcctl_transport_http_open(apcctl_transport_t **out, const char *url, char *err, size_t errlen)
{
    *out = NULL;
    snprintf(err, errlen, "--url %s: not available yet: apcd is not part of this build", url);
    return -1;
}

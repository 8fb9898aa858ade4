/* SPDX-License-Identifier: MIT */
/* Placeholder replaced below. */
#include "http.h"
void apcd_upload_sniff(uv_tcp_t *conn)
{
    apcd_http_handoff(conn, NULL, 0);
}

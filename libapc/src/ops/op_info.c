/* SPDX-License-Identifier: MIT */
/* Action apppaccap: what this installation is (spec/wire.md, APPPACCAP). */
#include <stdio.h>
#include <sys/utsname.h>

#include <apc/extract.h>

#include "ops/op_live.h"
#include "ops/ops_internal.h"

int apc__op_apppaccap(apc__op_req_t *req, apc__op_res_t *res)
{
    struct utsname u;
    char os[3 * sizeof u.release + 4] = "";
    const char *node = "";
    if (uname(&u) == 0) {
        snprintf(os, sizeof os, "%s %s %s", u.sysname, u.release, u.machine);
        node = u.nodename;
    }
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return apc__res_json(res, NULL);
    int rc = 0;
    rc |= apc__json_add_i64(o, "Version", 1);
    rc |= apc__json_add_str(o, "AppPacCap", apc_version());
    rc |= apc__json_add_i64(o, "Licensed", 1);
    rc |= apc__json_add_str(o, "LicenseType", "open source");
    rc |= apc__json_add_str(o, "MachineName", node);
    rc |= apc__json_add_str(o, "OS", os);
    /* No geolocation database nor threat-intel source exists yet. */
    rc |= apc__json_add_i64(o, "MapData", 0);
    rc |= apc__json_add_i64(o, "Threat", 0);
    rc |= apc__json_add_time(o, "Updated", apc__ops_build_time * 1000000000LL);
    rc |= apc__json_add_str(o, "DataDir", apc_ctx_data_dir(req->ctx));
    rc |= apc__json_add_attribution(o, req->ctx);
    /* whether captures and ingests that start now are examined for files (the web UI's switch) */
    rc |= apc__json_add_i64(o, "Extraction", apc_extract_enabled(req->ctx) == 1);
    if (rc) {
        cJSON_Delete(o);
        o = NULL;
    }
    return apc__res_json(res, o);
}

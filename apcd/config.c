/* SPDX-License-Identifier: MIT */
/*
 * Settings of apcd from flags and from a config file of `key = value` lines ('#' starts a
 * comment). The file and the long flags use the same names (docs/apcd.md lists them).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apcd.h"

void apcd_config_defaults(apcd_config_t *c)
{
    memset(c, 0, sizeof *c);
    c->data_dir = strdup("./apc-data");
    c->address = strdup("127.0.0.1");
    c->port = 8080;
    c->log_level = APC_LOG_INFO;
    c->lim.max_body = 1 << 20;
    c->lim.max_params = 256;
    c->lim.max_param_len = 65536;
    c->lim.max_upload = 4ULL << 30;
    c->workers = 8;
    c->header_timeout = 10;
    c->upload_idle_timeout = 60;
    c->max_wait = 60;
    c->max_connections = 1024;
}

void apcd_config_free(apcd_config_t *c)
{
    free(c->data_dir);
    free(c->address);
    free(c->tls_cert);
    free(c->tls_key);
    free(c->log_file);
    free(c->user);
    free(c->export_roots);
    free(c->execute_roots);
    free(c->execute_user);
    free(c->store);
    free(c->node_name);
    free(c->node_url);
    free(c->node_secret_file);
    free(c->node_tls_ca);
    free(c->node_tls_cert);
    free(c->node_tls_key);
    free(c->ingest_roots);
}

static int num(const char *key, const char *v, long long lo, long long hi, long long *out,
               char *err, size_t errlen)
{
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || end == v || *end || n < lo || n > hi) {
        snprintf(err, errlen, "%s: '%s' is not a number from %lld to %lld", key, v, lo, hi);
        return -1;
    }
    *out = n;
    return 0;
}

static int str(char **slot, const char *v)
{
    free(*slot);
    *slot = strdup(v);
    return *slot ? 0 : -1;
}

int apcd_config_set(apcd_config_t *c, const char *key, const char *v, char *err, size_t errlen)
{
    long long n;
    if (!strcmp(key, "data_dir") || !strcmp(key, "data-dir"))
        return str(&c->data_dir, v);
    if (!strcmp(key, "address"))
        return str(&c->address, v);
    if (!strcmp(key, "tls_cert"))
        return str(&c->tls_cert, v);
    if (!strcmp(key, "tls_key"))
        return str(&c->tls_key, v);
    if (!strcmp(key, "log_file"))
        return str(&c->log_file, v);
    if (!strcmp(key, "user"))
        return str(&c->user, v);
    if (!strcmp(key, "port")) {
        if (num(key, v, 0, 65535, &n, err, errlen))
            return -1;
        c->port = (int)n;
        return 0;
    }
    if (!strcmp(key, "no_auth")) {
        if (num(key, v, 0, 1, &n, err, errlen))
            return -1;
        c->no_auth = (int)n;
        return 0;
    }
    if (!strcmp(key, "log_level")) {
        static const char *names[] = {"error", "warn", "info", "debug"};
        for (int i = 0; i < 4; i++)
            if (!strcmp(v, names[i])) {
                c->log_level = i;
                return 0;
            }
        snprintf(err, errlen, "log_level: '%s' is not error, warn, info or debug", v);
        return -1;
    }
    if (!strcmp(key, "session_idle_seconds")) {
        if (num(key, v, 1, INT32_MAX, &n, err, errlen))
            return -1;
        c->session_idle = n;
        return 0;
    }
    if (!strcmp(key, "max_body")) {
        if (num(key, v, 1024, 1LL << 30, &n, err, errlen))
            return -1;
        c->lim.max_body = (size_t)n;
        return 0;
    }
    if (!strcmp(key, "max_params")) {
        if (num(key, v, 1, 100000, &n, err, errlen))
            return -1;
        c->lim.max_params = (size_t)n;
        return 0;
    }
    if (!strcmp(key, "max_param_len")) {
        if (num(key, v, 64, 1LL << 30, &n, err, errlen))
            return -1;
        c->lim.max_param_len = (size_t)n;
        return 0;
    }
    if (!strcmp(key, "max_upload")) {
        if (num(key, v, 1024, 1LL << 50, &n, err, errlen))
            return -1;
        c->lim.max_upload = (uint64_t)n;
        return 0;
    }
    if (!strcmp(key, "header_timeout")) {
        if (num(key, v, 1, 3600, &n, err, errlen))
            return -1;
        c->header_timeout = (int)n;
        return 0;
    }
    if (!strcmp(key, "store")) {
        /* "" keeps the embedded SQLite store; what else the library accepts, it checks. */
        return str(&c->store, v);
    }
    if (!strcmp(key, "node_secret_file")) /* a file: the secret stays off command lines */
        return str(&c->node_secret_file, v);
    if (!strcmp(key, "node_tls_ca"))
        return str(&c->node_tls_ca, v);
    if (!strcmp(key, "node_tls_cert"))
        return str(&c->node_tls_cert, v);
    if (!strcmp(key, "node_tls_key"))
        return str(&c->node_tls_key, v);
    if (!strcmp(key, "node_port")) {
        if (num(key, v, 1, 65535, &n, err, errlen))
            return -1;
        c->node_port = (int)n;
        return 0;
    }
    if (!strcmp(key, "node_name") || !strcmp(key, "node_url")) {
        /* "" = the default (node_name) or none (node_url); docs/fleet.md. */
        return str(key[5] == 'n' ? &c->node_name : &c->node_url, v);
    }
    if (!strcmp(key, "execute_user")) {
        if (!*v) {
            snprintf(err, errlen, "execute_user: empty");
            return -1;
        }
        return str(&c->execute_user, v);
    }
    if (!strcmp(key, "export_roots") || !strcmp(key, "ingest_roots") ||
        !strcmp(key, "execute_roots")) {
        /* Absolute directories only: a relative one would depend on where apcd started. */
        char *copy = strdup(v), *save = NULL;
        int bad = !copy || !*v;
        for (char *t = copy ? strtok_r(copy, ":", &save) : NULL; t && !bad;
             t = strtok_r(NULL, ":", &save))
            bad = t[0] != '/';
        free(copy);
        if (bad) {
            snprintf(err, errlen, "%s: '%s' is not a list of absolute directories separated by ':'",
                     key, v);
            return -1;
        }
        return str(!strcmp(key, "export_roots")   ? &c->export_roots
                   : !strcmp(key, "ingest_roots") ? &c->ingest_roots
                                                  : &c->execute_roots,
                   v);
    }
    if (!strcmp(key, "max_wait")) {
        if (num(key, v, 0, 86400, &n, err, errlen))
            return -1;
        c->max_wait = (int)n;
        return 0;
    }
    if (!strcmp(key, "stuck_seconds")) {
        if (num(key, v, 0, 86400, &n, err, errlen))
            return -1;
        c->stuck_seconds = (int)n;
        return 0;
    }
    if (!strcmp(key, "upload_idle_timeout")) {
        if (num(key, v, 1, 86400, &n, err, errlen))
            return -1;
        c->upload_idle_timeout = (int)n;
        return 0;
    }
    if (!strcmp(key, "max_connections")) {
        if (num(key, v, 1, 1000000, &n, err, errlen))
            return -1;
        c->max_connections = (unsigned long)n;
        return 0;
    }
    if (!strcmp(key, "workers")) {
        if (num(key, v, 1, 128, &n, err, errlen))
            return -1;
        c->workers = (unsigned)n;
        return 0;
    }
    snprintf(err, errlen, "unknown setting '%s'", key);
    return -1;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

int apcd_config_load(apcd_config_t *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[4096], e2[300];
    int ln = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        ln++;
        char *h = strchr(line, '#');
        if (h)
            *h = '\0';
        char *s = trim(line);
        if (!*s)
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%d: expected key = value", path, ln);
            rc = -1;
            break;
        }
        *eq = '\0';
        if (apcd_config_set(c, trim(s), trim(eq + 1), e2, sizeof e2) < 0) {
            snprintf(err, errlen, "%s:%d: %s", path, ln, e2);
            rc = -1;
        }
    }
    fclose(f);
    return rc;
}

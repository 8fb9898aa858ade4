/* SPDX-License-Identifier: MIT */
/*
 * login/logout (over the auth API), server_folders/server_pages (the themes under
 * <data>/http/), and pcap_ingest_post (ingest of a file apcd has streamed into <data>/uploads/).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apc/auth.h>

#include "core/ctx.h"
#include "core/error.h"
#include "ops/op_auth.h"

int apc__op_login(apc__op_req_t *req, apc__op_res_t *res)
{
    char *token = NULL;
    int role = 0;
    const char *peer = req->session ? req->session->peer : NULL;
    int rc = apc_login(req->ctx, apc__arg_str(req, "username"), apc__arg_str(req, "password"), peer,
                       &token, &role);
    if (rc < 0)
        return rc;
    rc = apc__res_str(res, token);
    free(token);
    return rc;
}

int apc__op_logout(apc__op_req_t *req, apc__op_res_t *res)
{
    int rc = apc_logout(req->ctx, req->session ? req->session->token : NULL);
    return rc < 0 ? rc : apc__res_int(res, 0);
}

/* A single path component we generated or a theme name: [A-Za-z0-9._-], not starting with
 * a dot (so never "." or ".." or a hidden file). */
static int plain_name(const char *s)
{
    if (!s || !*s || *s == '.' || strlen(s) > 255)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '.' || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(cJSON_GetStringValue(*(cJSON *const *)a),
                  cJSON_GetStringValue(*(cJSON *const *)b));
}

/* Sorted array of the strings in arr (directory order is not stable). */
static cJSON *sorted(cJSON *arr)
{
    int n = cJSON_GetArraySize(arr);
    if (n < 2)
        return arr;
    cJSON **v = calloc((size_t)n, sizeof *v);
    if (!v) {
        cJSON_Delete(arr);
        return NULL;
    }
    for (int i = n - 1; i >= 0; i--)
        v[i] = cJSON_DetachItemFromArray(arr, i);
    qsort(v, (size_t)n, sizeof *v, cmp_str);
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, v[i]);
    free(v);
    return arr;
}

int apc__op_server_folders(apc__op_req_t *req, apc__op_res_t *res)
{
    char *dir = apc__ctx_path(req->ctx, "http");
    if (!dir)
        return apc__err(APC_ENOMEM, "out of memory");
    cJSON *arr = cJSON_CreateArray();
    DIR *d = opendir(dir);
    if (!d && errno != ENOENT) {
        int rc = apc__err_errno(errno, "opening %s", dir);
        free(dir);
        cJSON_Delete(arr);
        return rc;
    }
    struct dirent *e;
    while (d && arr && (e = readdir(d))) {
        struct stat st;
        if (!plain_name(e->d_name) || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !S_ISDIR(st.st_mode))
            continue;
        cJSON_AddItemToArray(arr, cJSON_CreateString(e->d_name));
    }
    if (d)
        closedir(d);
    free(dir);
    return apc__res_json(res, arr ? sorted(arr) : NULL);
}

/* Adds the regular files under dirfd (relative names joined with '/'), not following links. */
static int list_pages(int dfd, const char *prefix, cJSON *arr, int depth)
{
    if (depth > 16)
        return 0;
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return apc__err_errno(errno, "reading a theme folder");
    }
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        struct stat st;
        if (!plain_name(e->d_name) || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        char rel[4096];
        if (snprintf(rel, sizeof rel, "%s%s", prefix, e->d_name) >= (int)sizeof rel)
            continue;
        if (S_ISREG(st.st_mode)) {
            cJSON_AddItemToArray(arr, cJSON_CreateString(rel));
        } else if (S_ISDIR(st.st_mode)) {
            int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            strncat(rel, "/", sizeof rel - strlen(rel) - 1);
            if (sub >= 0)
                rc = list_pages(sub, rel, arr, depth + 1);
        }
    }
    closedir(d);
    return rc;
}

int apc__op_server_pages(apc__op_req_t *req, apc__op_res_t *res)
{
    const char *theme = apc__arg_str(req, "theme_name");
    if (!plain_name(theme))
        return apc__err(APC_ENOPAGE, "no theme '%.64s'", theme ? theme : "");
    char rel[300];
    snprintf(rel, sizeof rel, "http/%s", theme);
    char *dir = apc__ctx_path(req->ctx, rel);
    if (!dir)
        return apc__err(APC_ENOMEM, "out of memory");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    free(dir);
    if (fd < 0)
        return apc__err(APC_ENOPAGE, "no theme '%.64s'", theme);
    cJSON *arr = cJSON_CreateArray();
    if (!arr) {
        close(fd);
        return apc__err(APC_ENOMEM, "out of memory");
    }
    int rc = list_pages(fd, "", arr, 0);
    if (rc < 0) {
        cJSON_Delete(arr);
        return rc;
    }
    return apc__res_json(res, sorted(arr));
}

int apc__op_pcap_ingest_post(apc__op_req_t *req, apc__op_res_t *res)
{
    /* `file` is the name apcd generated for the upload; it never comes from the client. */
    const char *file = apc__arg_str(req, "file");
    if (!plain_name(file))
        return apc__err(APC_EINVAL, "parameter 'file': not an uploaded file");
    char rel[300];
    snprintf(rel, sizeof rel, "uploads/%s", file);
    char *path = apc__ctx_path(req->ctx, rel);
    if (!path)
        return apc__err(APC_ENOMEM, "out of memory");
    struct stat st;
    if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
        free(path);
        return apc__err(APC_ENOTFOUND, "parameter 'file': no upload '%s'", file);
    }
    apc_ingest_options_t o;
    int rc = apc_ingest_options_init(&o, APC_INGEST_OPTIONS_VERSION);
    const char *name = apc__arg_str(req, "name");
    o.name = name && *name ? name : "upload";
    int64_t id = 0;
    if (rc == 0)
        rc = apc_ingest_file(req->ctx, path, &o, &id);
    /* The upload is only a carrier: wait for the ingest to end so it can be removed (the
     * packets are in the store by then), whatever `wait` says. */
    if (rc == 0)
        rc = apc_capture_wait(req->ctx, id, -1);
    (void)unlink(path);
    free(path);
    return rc < 0 ? rc : apc__res_int(res, id);
}

/* SPDX-License-Identifier: MIT */
/*
 * A library loaded when first needed (dlopen) instead of linked, behind forwarders under its own
 * function names (store/pg/pq_dl.c for libpq, fleet/curl_dl.c for libcurl): a library that
 * brings twenty others costs every process that links libapc its loading at start, though few
 * use it. Each user keeps a table of function pointers, resolves it once (pthread_once) with
 * apc__dl_resolve, and defines each forwarder with APC_DL_FWD or APC_DL_VFWD.
 */
#ifndef APC_UTIL_DL_H
#define APC_UTIL_DL_H

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

/* Opens `lib` and resolves names[i] into *slots[i] for every i < n: 0, or -1 with the reason in
 * err (then the library is closed again and the slots are not to be used). */
static inline int apc__dl_resolve(const char *lib, const char *const *names, void **const *slots,
                                  size_t n, char *err, size_t errlen)
{
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(err, errlen, "%s", dlerror());
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (!(*slots[i] = dlsym(h, names[i]))) {
            snprintf(err, errlen, "%s has no %s", lib, names[i]);
            dlclose(h);
            return -1;
        }
    return 0;
}

/* A forwarder: `ret name params` calls tab.name with args once `load` has run (the first call
 * runs it: an atomic read afterwards). */
#define APC_DL_FWD(tab, once, load, ret, name, params, args)                                       \
    ret name params                                                                                \
    {                                                                                              \
        pthread_once(&once, load);                                                                 \
        return tab.name args;                                                                      \
    }
#define APC_DL_VFWD(tab, once, load, name, params, args)                                           \
    void name params                                                                               \
    {                                                                                              \
        pthread_once(&once, load);                                                                 \
        tab.name args;                                                                             \
    }

#endif

/* SPDX-License-Identifier: MIT */
/*
 * libcurl, loaded when a node first asks another node (dlopen) rather than linked: Debian's
 * libcurl brings some twenty-five libraries (HTTP/2, SSH, RTMP, LDAP, Kerberos, GnuTLS, PSL...)
 * whose loading and relocation cost every process that links libapc about 15 ms at its start
 * (docs/benchmarks.md, "Fixed costs"), while only a fleet's nodes ever use it. The functions
 * the fleet module uses are defined here under libcurl's own names and prototypes (curl.h
 * checks them), each forwarding to the library's; libapc exports none of them (hidden
 * visibility). apc__curl_load, called before a request, gives a clear error when libcurl is
 * missing; each forwarder loads it too (pthread_once: an atomic read once loaded).
 */
#include <stdarg.h>

#include <curl/curl.h>

#include "core/error.h"
#include "fleet/peer_int.h"
#include "util/dl.h"

/* X(returns, name, (parameters), (arguments)); V: the same for void functions. The two
 * variadic ones (setopt, getinfo) are written out below. */
#define CURL_FUNCS(X, V)                                                                           \
    X(CURL *, curl_easy_init, (void), ())                                                          \
    V(curl_easy_cleanup, (CURL * c), (c))                                                          \
    X(CURLcode, curl_easy_perform, (CURL * c), (c))                                                \
    X(char *, curl_easy_escape, (CURL * c, const char *s, int n), (c, s, n))                       \
    V(curl_free, (void *p), (p))                                                                   \
    X(struct curl_slist *, curl_slist_append, (struct curl_slist * l, const char *s), (l, s))      \
    V(curl_slist_free_all, (struct curl_slist * l), (l))                                           \
    X(const char *, curl_easy_strerror, (CURLcode cc), (cc))

#define PTR(ret, name, params, args) ret(*name) params;
#define VPTR(name, params, args) void(*name) params;
static struct {
    CURL_FUNCS(PTR, VPTR)
    CURLcode (*curl_easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*curl_easy_getinfo)(CURL *, CURLINFO, ...);
} lc;

#define NAME(ret, name, params, args) #name,
#define VNAME(name, params, args) #name,
static const char *const names[] = {"curl_easy_setopt", "curl_easy_getinfo",
                                    CURL_FUNCS(NAME, VNAME)};
#define SLOT(ret, name, params, args) (void **)&lc.name,
#define VSLOT(name, params, args) (void **)&lc.name,
static void **const slots[] = {(void **)&lc.curl_easy_setopt, (void **)&lc.curl_easy_getinfo,
                               CURL_FUNCS(SLOT, VSLOT)};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded;
static char load_error[512];

static void load(void)
{
    loaded = apc__dl_resolve("libcurl.so.4", names, slots, sizeof names / sizeof *names, load_error,
                             sizeof load_error) == 0;
}

int apc__curl_load(void)
{
    pthread_once(&once, load);
    if (!loaded)
        return apc__err(APC_ENOTSUP,
                        "asking other nodes needs libcurl, which cannot be loaded: %s "
                        "(apt-get install libcurl4)",
                        load_error);
    return 0;
}

#define FWD(ret, name, params, args) APC_DL_FWD(lc, once, load, ret, name, params, args)
#define VFWD(name, params, args) APC_DL_VFWD(lc, once, load, name, params, args)
CURL_FUNCS(FWD, VFWD)

/* The option's number says the type of its argument (curl.h, CURLOPTTYPE_*). The names are in
 * parentheses: curl.h may define them as type-checking macros. */
CURLcode(curl_easy_setopt)(CURL *c, CURLoption option, ...)
{
    pthread_once(&once, load);
    va_list ap;
    va_start(ap, option);
    CURLcode r;
    if (option < CURLOPTTYPE_OBJECTPOINT) {
        long v = va_arg(ap, long);
        r = (lc.curl_easy_setopt)(c, option, v);
    } else if (option < CURLOPTTYPE_FUNCTIONPOINT) {
        void *v = va_arg(ap, void *);
        r = (lc.curl_easy_setopt)(c, option, v);
    } else if (option < CURLOPTTYPE_OFF_T) {
        void (*v)(void) = va_arg(ap, void (*)(void));
        r = (lc.curl_easy_setopt)(c, option, v);
    } else if (option < CURLOPTTYPE_BLOB) {
        curl_off_t v = va_arg(ap, curl_off_t);
        r = (lc.curl_easy_setopt)(c, option, v);
    } else {
        void *v = va_arg(ap, void *);
        r = (lc.curl_easy_setopt)(c, option, v);
    }
    va_end(ap);
    return r;
}

/* Every CURLINFO takes a pointer to where the answer goes. */
CURLcode(curl_easy_getinfo)(CURL *c, CURLINFO info, ...)
{
    pthread_once(&once, load);
    va_list ap;
    va_start(ap, info);
    void *out = va_arg(ap, void *);
    va_end(ap);
    return (lc.curl_easy_getinfo)(c, info, out);
}

/* SPDX-License-Identifier: MIT */
/*
 * libpq, loaded when a PostgreSQL store is first opened (dlopen) rather than linked: libpq
 * brings some twenty libraries (Kerberos, LDAP, SASL, GnuTLS...) whose loading and relocation
 * cost every process that links libapc about 14 ms at its start (docs/benchmarks.md, "Fixed
 * costs"), while most never open a PostgreSQL store. The functions the store uses are defined
 * here under libpq's own names and prototypes (libpq-fe.h checks them), each forwarding to the
 * library's; libapc exports none of them (hidden visibility), so a program that links libpq
 * itself keeps its own (the tests, which do, share the one library loaded). The store calls
 * apc__pq_load before its first connection, for a clear error when libpq is missing; each
 * forwarder loads it too (pthread_once: an atomic read once loaded), for code that links these
 * without opening a store first.
 */
#include "core/error.h"
#include "store/pg/pg_int.h"
#include "util/dl.h"

/* X(returns, name, (parameters), (arguments)); V: the same for void functions */
#define PQ_FUNCS(X, V)                                                                             \
    V(PQclear, (PGresult * res), (res))                                                            \
    X(int, PQntuples, (const PGresult *res), (res))                                                \
    X(char *, PQgetvalue, (const PGresult *res, int tup, int field), (res, tup, field))            \
    X(ExecStatusType, PQresultStatus, (const PGresult *res), (res))                                \
    X(int, PQgetisnull, (const PGresult *res, int tup, int field), (res, tup, field))              \
    X(ConnStatusType, PQstatus, (const PGconn *conn), (conn))                                      \
    X(PGresult *, PQexec, (PGconn * conn, const char *query), (conn, query))                       \
    X(PGresult *, PQgetResult, (PGconn * conn), (conn))                                            \
    X(PGresult *, PQexecParams,                                                                    \
      (PGconn * conn, const char *command, int n, const Oid *types, const char *const *values,     \
       const int *lengths, const int *formats, int result_format),                                 \
      (conn, command, n, types, values, lengths, formats, result_format))                          \
    X(unsigned char *, PQunescapeBytea, (const unsigned char *text, size_t *len), (text, len))     \
    X(PGTransactionStatusType, PQtransactionStatus, (const PGconn *conn), (conn))                  \
    X(PQnoticeProcessor, PQsetNoticeProcessor, (PGconn * conn, PQnoticeProcessor proc, void *arg), \
      (conn, proc, arg))                                                                           \
    X(int, PQsendQueryPrepared,                                                                    \
      (PGconn * conn, const char *name, int n, const char *const *values, const int *lengths,      \
       const int *formats, int result_format),                                                     \
      (conn, name, n, values, lengths, formats, result_format))                                    \
    X(int, PQsendPrepare,                                                                          \
      (PGconn * conn, const char *name, const char *query, int n, const Oid *types),               \
      (conn, name, query, n, types))                                                               \
    X(char *, PQresultErrorMessage, (const PGresult *res), (res))                                  \
    V(PQreset, (PGconn * conn), (conn))                                                            \
    X(int, PQputCopyEnd, (PGconn * conn, const char *errormsg), (conn, errormsg))                  \
    X(int, PQputCopyData, (PGconn * conn, const char *buffer, int nbytes), (conn, buffer, nbytes)) \
    X(char *, PQport, (const PGconn *conn), (conn))                                                \
    X(int, PQpipelineSync, (PGconn * conn), (conn))                                                \
    X(PGpipelineStatus, PQpipelineStatus, (const PGconn *conn), (conn))                            \
    X(char *, PQhost, (const PGconn *conn), (conn))                                                \
    V(PQfreemem, (void *ptr), (ptr))                                                               \
    V(PQfinish, (PGconn * conn), (conn))                                                           \
    X(int, PQexitPipelineMode, (PGconn * conn), (conn))                                            \
    X(char *, PQerrorMessage, (const PGconn *conn), (conn))                                        \
    X(int, PQenterPipelineMode, (PGconn * conn), (conn))                                           \
    X(char *, PQdb, (const PGconn *conn), (conn))                                                  \
    X(PGconn *, PQconnectdbParams,                                                                 \
      (const char *const *keywords, const char *const *values, int expand_dbname),                 \
      (keywords, values, expand_dbname))                                                           \
    X(char *, PQcmdTuples, (PGresult * res), (res))

#define PTR(ret, name, params, args) ret(*name) params;
#define VPTR(name, params, args) void(*name) params;
static struct {
    PQ_FUNCS(PTR, VPTR)
} pq;

#define NAME(ret, name, params, args) #name,
#define VNAME(name, params, args) #name,
static const char *const names[] = {PQ_FUNCS(NAME, VNAME)};
#define SLOT(ret, name, params, args) (void **)&pq.name,
#define VSLOT(name, params, args) (void **)&pq.name,
static void **const slots[] = {PQ_FUNCS(SLOT, VSLOT)};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded;
static char load_error[512];

static void load(void)
{
    loaded = apc__dl_resolve("libpq.so.5", names, slots, sizeof names / sizeof *names, load_error,
                             sizeof load_error) == 0;
}

int apc__pq_load(void)
{
    pthread_once(&once, load);
    if (!loaded)
        return apc__err(APC_ENOTSUP,
                        "the PostgreSQL store needs libpq, which cannot be loaded: %s "
                        "(apt-get install libpq5)",
                        load_error);
    return 0;
}

#define FWD(ret, name, params, args) APC_DL_FWD(pq, once, load, ret, name, params, args)
#define VFWD(name, params, args) APC_DL_VFWD(pq, once, load, name, params, args)
PQ_FUNCS(FWD, VFWD)

/* SPDX-License-Identifier: MIT */
/*
 * apcd: flags and config file, the library context, first-start account and themes, the
 * listener, signals (SIGTERM/SIGINT: graceful stop and exit 0; SIGHUP: reopen the log).
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "apc_config.h"
#include "http.h"

apcd_t apcd;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_fp;

void apcd_log(int level, const char *fmt, ...)
{
    if (level > apcd.cfg.log_level || !fmt)
        return;
    static const char *names[] = {"error", "warn", "info", "debug"};
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    pthread_mutex_lock(&log_lock);
    FILE *f = log_fp ? log_fp : stderr;
    fprintf(f, "%s apcd %s: ", ts, names[level & 3]);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    fflush(f);
    pthread_mutex_unlock(&log_lock);
}

void apcd_log_reopen(void)
{
    if (!apcd.cfg.log_file)
        return;
    pthread_mutex_lock(&log_lock);
    FILE *n = fopen(apcd.cfg.log_file, "ae");
    if (n) {
        if (log_fp)
            fclose(log_fp);
        log_fp = n;
    }
    pthread_mutex_unlock(&log_lock);
}

static void lib_log(int level, const char *msg, void *payload)
{
    (void)payload;
    apcd_log(level, "libapc: %s", msg);
}

/* mkdir -p, quietly: apc_ctx_open reports what could not be made. */
static void mkdirs(const char *path)
{
    char *p = strdup(path);
    for (char *s = p ? strchr(p + 1, '/') : NULL; s; s = strchr(s + 1, '/')) {
        *s = '\0';
        mkdir(p, 0750);
        *s = '/';
    }
    if (p)
        mkdir(p, 0750);
    free(p);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: apcd [--data-dir DIR] [--address ADDR] [--port N] [--config FILE]\n"
               "            [--no-auth] [--log-level error|warn|info|debug] [--log-file FILE]\n"
               "            [--header-timeout SECONDS] [--max-connections N]\n"
               "            [--export-roots DIR[:DIR...]] [--ingest-roots DIR[:DIR...]]\n"
               "            [--execute-roots DIR[:DIR...]] [--execute-user USER]\n"
               "            [--store postgresql://...] [--node-name NAME] [--node-url URL]\n"
               "            [--node-secret-file FILE] [--node-port N --node-tls-ca FILE\n"
               "             --node-tls-cert FILE --node-tls-key FILE]\n"
               "            [--user NAME] [--version]\n"
               "Serves the AppPacCap API (POST /ajax) and web pages. docs/apcd.md.\n");
    char themes[4200];
    apcd_default_themes(themes, sizeof themes);
    fprintf(f, "Defaults here: data directory %s, themes %s.\n", apcd_default_data_dir(), themes);
}

static int is_loopback(const char *a)
{
    struct in_addr v4;
    struct in6_addr v6;
    if (inet_pton(AF_INET, a, &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, a, &v6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&v6);
    return 0;
}

/* Mutual TLS between nodes is all or nothing: the port, the CA, this node's certificate and
 * key; and a node URL that other nodes reach it by must then be that https port's. */
static int check_node_tls(char *err, size_t n)
{
    const apcd_config_t *c = &apcd.cfg;
    int set = !!c->node_port + !!c->node_tls_ca + !!c->node_tls_cert + !!c->node_tls_key;
    if (set == 0)
        return 0;
    if (set < 4) {
        snprintf(err, n,
                 "mutual TLS between nodes needs node_port, node_tls_ca, node_tls_cert and "
                 "node_tls_key together (missing:%s%s%s%s)",
                 c->node_port ? "" : " node_port", c->node_tls_ca ? "" : " node_tls_ca",
                 c->node_tls_cert ? "" : " node_tls_cert", c->node_tls_key ? "" : " node_tls_key");
        return -1;
    }
    if (c->node_port == c->port) {
        snprintf(err, n, "node_port %d: it must differ from port (browsers connect to port)",
                 c->node_port);
        return -1;
    }
    if (c->node_url && *c->node_url && strncasecmp(c->node_url, "https://", 8) != 0) {
        snprintf(err, n,
                 "node_url %s: with mutual TLS other nodes reach this one over https on "
                 "node_port %d: say https://HOST:%d",
                 c->node_url, c->node_port, c->node_port);
        return -1;
    }
    return 0;
}

static uv_signal_t sig_term, sig_int, sig_hup;
static uv_timer_t stop_timer;
static double stop_at;

static void stop_tick(uv_timer_t *t)
{
    /* Work in flight finishes (its replies go out), up to 10 s, then the loop ends. */
    if (apcd_jobs_in_flight() == 0 || apcd_now() - stop_at > 10)
        uv_stop(t->loop);
}

static void on_signal(uv_signal_t *s, int signum)
{
    if (signum == SIGHUP) {
        apcd_log_reopen();
        apcd_log(APC_LOG_INFO, "SIGHUP: log reopened");
        return;
    }
    if (apcd.stopping)
        return;
    apcd.stopping = 1;
    apcd_log(APC_LOG_INFO, "signal %d: stopping", signum);
    apcd_http_stop();
    /* Calls waiting inside the library (wait=1) answer "interrupted" now instead of holding
     * their worker until max_wait: the requests in flight end, and the close below does not
     * race them. */
    apc_ctx_interrupt(apcd.ctx);
    stop_at = apcd_now();
    uv_timer_init(s->loop, &stop_timer);
    uv_timer_start(&stop_timer, stop_tick, 0, 50);
}

int main(int argc, char **argv)
{
    apcd_config_defaults(&apcd.cfg);
    /* Installed: /var/lib/apppaccap; from the build tree: ./apc-data (paths.c). */
    char err[600];
    if (apcd_config_set(&apcd.cfg, "data_dir", apcd_default_data_dir(), err, sizeof err) < 0)
        return 1;
    static const struct option opts[] = {{"data-dir", required_argument, 0, 'd'},
                                         {"address", required_argument, 0, 'a'},
                                         {"port", required_argument, 0, 'p'},
                                         {"config", required_argument, 0, 'c'},
                                         {"no-auth", no_argument, 0, 'n'},
                                         {"log-level", required_argument, 0, 'l'},
                                         {"log-file", required_argument, 0, 'f'},
                                         {"header-timeout", required_argument, 0, 't'},
                                         {"export-roots", required_argument, 0, 'E'},
                                         {"ingest-roots", required_argument, 0, 'I'},
                                         {"execute-roots", required_argument, 0, 'X'},
                                         {"execute-user", required_argument, 0, 'U'},
                                         {"store", required_argument, 0, 'S'},
                                         {"node-name", required_argument, 0, 'N'},
                                         {"node-url", required_argument, 0, 'W'},
                                         {"node-secret-file", required_argument, 0, 'K'},
                                         {"node-port", required_argument, 0, 'P'},
                                         {"node-tls-ca", required_argument, 0, 'A'},
                                         {"node-tls-cert", required_argument, 0, 'C'},
                                         {"node-tls-key", required_argument, 0, 'Y'},
                                         {"max-connections", required_argument, 0, 'm'},
                                         {"user", required_argument, 0, 'u'},
                                         {"help", no_argument, 0, 'h'},
                                         {"version", no_argument, 0, 'V'},
                                         {0, 0, 0, 0}};
    /* The config file first, so flags override it whatever their order. */
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--config") &&
            apcd_config_load(&apcd.cfg, argv[i + 1], err, sizeof err) < 0) {
            fprintf(stderr, "apcd: %s\n", err);
            return 2;
        }
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        const char *key = NULL;
        switch (c) {
        case 'd':
            key = "data_dir";
            break;
        case 'a':
            key = "address";
            break;
        case 'p':
            key = "port";
            break;
        case 'l':
            key = "log_level";
            break;
        case 'f':
            key = "log_file";
            break;
        case 't':
            key = "header_timeout";
            break;
        case 'E':
            key = "export_roots";
            break;
        case 'I':
            key = "ingest_roots";
            break;
        case 'X':
            key = "execute_roots";
            break;
        case 'U':
            key = "execute_user";
            break;
        case 'S':
            key = "store";
            break;
        case 'N':
            key = "node_name";
            break;
        case 'W':
            key = "node_url";
            break;
        case 'K':
            key = "node_secret_file";
            break;
        case 'P':
            key = "node_port";
            break;
        case 'A':
            key = "node_tls_ca";
            break;
        case 'C':
            key = "node_tls_cert";
            break;
        case 'Y':
            key = "node_tls_key";
            break;
        case 'm':
            key = "max_connections";
            break;
        case 'u':
            key = "user";
            break;
        case 'n':
            apcd.cfg.no_auth = 1;
            break;
        case 'c':
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("apcd %s (libapc %s)\n", APC_VERSION, apc_version());
            return 0;
        default:
            usage(stderr);
            return 2;
        }
        if (key && apcd_config_set(&apcd.cfg, key, optarg, err, sizeof err) < 0) {
            fprintf(stderr, "apcd: --%s\n", err);
            return 2;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return 2;
    }
    if (check_node_tls(err, sizeof err) < 0) {
        fprintf(stderr, "apcd: %s\n", err);
        return 2;
    }
    apcd.loopback = is_loopback(apcd.cfg.address);
    if (apcd.cfg.no_auth && !apcd.loopback) {
        fprintf(stderr, "apcd: --no-auth is refused on %s: only on a loopback address\n",
                apcd.cfg.address);
        return 2;
    }
    if (apcd.cfg.user) {
        /* First of all: the log file, the store and everything in the data directory are
         * then opened and created as that user. */
        mkdirs(apcd.cfg.data_dir);
        /* The lower of the two ports decides whether binding needs a capability. */
        int low = apcd.cfg.node_port && apcd.cfg.node_port < apcd.cfg.port ? apcd.cfg.node_port
                                                                           : apcd.cfg.port;
        if (apcd_drop_privileges(apcd.cfg.user, apcd.cfg.data_dir, low, err, sizeof err) < 0) {
            fprintf(stderr, "apcd: --user %s\n", err);
            return 1;
        }
    }
    apcd_log_reopen();
    /* Room for max_connections sockets besides the store's and captures' files: the soft
     * limit (often 1024) is raised toward the hard one, and a cap the hard limit cannot hold
     * is said in the log (past it, accept fails and libuv drops the connection). */
    struct rlimit nofile;
    rlim_t want = (rlim_t)apcd.cfg.max_connections + 256;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < want) {
        nofile.rlim_cur =
            nofile.rlim_max == RLIM_INFINITY || nofile.rlim_max > want ? want : nofile.rlim_max;
        setrlimit(RLIMIT_NOFILE, &nofile);
        if (nofile.rlim_cur < want)
            apcd_log(APC_LOG_WARN,
                     "max_connections %lu: only %llu file descriptors may be open (RLIMIT_NOFILE)",
                     apcd.cfg.max_connections, (unsigned long long)nofile.rlim_cur);
    }
    char pool[16];
    snprintf(pool, sizeof pool, "%u", apcd.cfg.workers);
    setenv("UV_THREADPOOL_SIZE", pool, 1); /* before the pool's first use */
    signal(SIGPIPE, SIG_IGN);

    apc_ctx_options_t o;
    apc_ctx_options_init(&o, APC_CTX_OPTIONS_VERSION);
    o.data_dir = apcd.cfg.data_dir;
    o.log_cb = lib_log;
    o.log_level = apcd.cfg.log_level;
    /* The roots are the operator's (issue 16): from here only, never from the API. By default
     * a client may ingest what was uploaded or dropped into <data>/ingest, nothing else. */
    char *ingest_default = NULL;
    if (!apcd.cfg.ingest_roots) {
        /* Absolute, since a root is compared after realpath(): made before the context. */
        mkdirs(apcd.cfg.data_dir);
        char *abs = realpath(apcd.cfg.data_dir, NULL);
        if (abs && asprintf(&ingest_default, "%s/ingest", abs) > 0)
            mkdir(ingest_default, 0750);
        free(abs);
        if (!ingest_default) {
            fprintf(stderr, "apcd: %s: cannot make the data directory\n", apcd.cfg.data_dir);
            return 1;
        }
    }
    o.export_roots = apcd.cfg.export_roots;
    o.execute_roots = apcd.cfg.execute_roots;
    o.execute_user = apcd.cfg.execute_user;
    o.store = apcd.cfg.store;
    o.node_name = apcd.cfg.node_name;
    o.node_url = apcd.cfg.node_url;
    o.node_secret_file = apcd.cfg.node_secret_file;
    o.node_tls_ca = apcd.cfg.node_tls_ca;
    o.node_tls_cert = apcd.cfg.node_tls_cert;
    o.node_tls_key = apcd.cfg.node_tls_key;
    o.ingest_roots = apcd.cfg.ingest_roots ? apcd.cfg.ingest_roots : ingest_default;
    int rc = apc_ctx_open(&apcd.ctx, &o);
    free(ingest_default);
    if (rc < 0) {
        fprintf(stderr, "apcd: %s: %s\n", apcd.cfg.data_dir, apc_last_error_message());
        return 1;
    }
    if (apcd.cfg.session_idle > 0) {
        char v[32];
        snprintf(v, sizeof v, "%lld", (long long)apcd.cfg.session_idle);
        apc_settings_set(apcd.ctx, "session_idle_seconds", v);
    }
    char *pw = NULL;
    if ((rc = apc_auth_bootstrap(apcd.ctx, &pw)) < 0) {
        fprintf(stderr, "apcd: creating the first account: %s\n", apc_last_error_message());
        apc_ctx_close(apcd.ctx);
        return 1;
    }
    if (pw) {
        /* Printed once, on the first start; the file keeps it for whoever runs the server. */
        printf("apcd: created the account 'admin' with password %s (also in "
               "%s/initial-admin-password)\n",
               pw, apc_ctx_data_dir(apcd.ctx));
        fflush(stdout);
        free(pw);
    }
    const char *themes = getenv("APCD_THEMES_DIR");
    char def_themes[4200];
    apcd_default_themes(def_themes, sizeof def_themes);
    apcd_themes_install(themes && *themes ? themes : def_themes);

    /* Host names accepted (DNS rebinding defence) when bound to one address. */
    if (strcmp(apcd.cfg.address, "0.0.0.0") && strcmp(apcd.cfg.address, "::")) {
        if (strchr(apcd.cfg.address, ':'))
            snprintf(apcd.host_ok[0], sizeof apcd.host_ok[0], "[%s]:%d", apcd.cfg.address,
                     apcd.cfg.port);
        else
            snprintf(apcd.host_ok[0], sizeof apcd.host_ok[0], "%s:%d", apcd.cfg.address,
                     apcd.cfg.port);
        if (apcd.loopback)
            snprintf(apcd.host_ok[1], sizeof apcd.host_ok[1], "localhost:%d", apcd.cfg.port);
        if (apcd.cfg.node_port) {
            char *p = strrchr(apcd.host_ok[0], ':');
            snprintf(apcd.host_ok[2], sizeof apcd.host_ok[2], "%.*s:%d", (int)(p - apcd.host_ok[0]),
                     apcd.host_ok[0], apcd.cfg.node_port);
            if (apcd.loopback)
                snprintf(apcd.host_ok[3], sizeof apcd.host_ok[3], "localhost:%d",
                         apcd.cfg.node_port);
        }
    }

    apcd.loop = uv_default_loop();
    if (apcd_http_start() < 0) {
        apc_ctx_close(apcd.ctx);
        return 1;
    }
    uv_signal_init(apcd.loop, &sig_term);
    uv_signal_start(&sig_term, on_signal, SIGTERM);
    uv_signal_init(apcd.loop, &sig_int);
    uv_signal_start(&sig_int, on_signal, SIGINT);
    uv_signal_init(apcd.loop, &sig_hup);
    uv_signal_start(&sig_hup, on_signal, SIGHUP);
    apcd_log(APC_LOG_INFO, "listening on %s%s:%d, data %s, auth %s",
             apcd.cfg.tls_cert ? "https://" : "http://", apcd.cfg.address, apcd.cfg.port,
             apc_ctx_data_dir(apcd.ctx), apcd.cfg.no_auth ? "OFF" : "on");
    if (apcd.cfg.node_port)
        apcd_log(APC_LOG_INFO, "node port https://%s:%d: mutual TLS, clients of %s only",
                 apcd.cfg.address, apcd.cfg.node_port, apcd.cfg.node_tls_ca);
    uv_run(apcd.loop, UV_RUN_DEFAULT);
    if (apcd_jobs_in_flight() > 0) {
        /* A worker still inside the library after 10 s is stuck (a store locked by another
         * process...): closing the context under it would race it, so apcd leaves without
         * the close. The store is crash-safe; the next start repairs what was left (captures
         * left active become "interrupted", their stored packets kept). */
        apcd_log(APC_LOG_ERROR,
                 "%d requests still running 10 s after the signal: exiting without closing the "
                 "store (the next start repairs it)",
                 apcd_jobs_in_flight());
        _exit(1);
    }
    /* Closing the context stops active captures cleanly and cancels jobs, then the store. */
    apc_ctx_close(apcd.ctx);
    apcd_log(APC_LOG_INFO, "stopped");
    apcd_config_free(&apcd.cfg);
    return 0;
}

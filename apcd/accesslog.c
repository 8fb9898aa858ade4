/* SPDX-License-Identifier: MIT */
/*
 * The access log (one line per action call: peer, user, action, result, duration) and the
 * audit log (one more line per call of an action that changes state: who, what, result). Both
 * go to apcd's log (stderr or log_file) at level info, so a service manager's journal or
 * logrotate keeps them with the rest. Values that come from the client are quoted with
 * anything outside printable ASCII escaped, so a request cannot forge a log line.
 */
#include <stdio.h>
#include <string.h>

#include "apcd.h"

/* Actions that only read. Anything not listed here is audited, so an action added to the
 * table later is audited until someone decides it only reads. */
static const char *const read_only[] = {"apppaccap",
                                        "adapter_list",
                                        "capture_conn_stream",
                                        "capture_get_details",
                                        "capture_get_packet",
                                        "capture_get_processes",
                                        "capture_list_active",
                                        "capture_list_conns",
                                        "capture_list_completed",
                                        "capture_list_system",
                                        "capture_open",
                                        "capture_query_ip",
                                        "capture_read",
                                        "capture_stream",
                                        "capture_thread_stream",
                                        "command_list",
                                        "command_query",
                                        "export_list",
                                        "ip_query",
                                        "process_list_capture",
                                        "process_list_running",
                                        "process_list_threads",
                                        "search_list",
                                        "search_open",
                                        "search_read",
                                        "search_verify_filter",
                                        "server_folders",
                                        "server_pages",
                                        "settings_get_all",
                                        "settings_get_by_key",
                                        "stats_by_date",
                                        "stats_by_id",
                                        "stats_by_ip",
                                        "stats_by_port",
                                        "stats_by_process",
                                        "stats_by_protocol",
                                        "stats_totals",
                                        NULL};

int apcd_action_changes_state(const char *action)
{
    if (!action || !*action || action[0] == '(')
        return 0; /* refused before any action ran: nothing changed */
    for (size_t i = 0; read_only[i]; i++)
        if (!strcmp(read_only[i], action))
            return 0;
    return 1;
}

/* Copies s into out as printable ASCII (others as \xHH), cut at about 120 bytes. */
static void clean(char *out, size_t n, const char *s)
{
    size_t o = 0;
    if (!s)
        s = "-";
    for (; *s && o + 5 < n && o < 120; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
            o += (size_t)snprintf(out + o, n - o, "\\x%02x", c);
        else
            out[o++] = (char)c;
    }
    out[o] = '\0';
}

void apcd_access_log(const char *peer, const char *user, const char *action, int code,
                     double seconds)
{
    char p[160], u[160], a[160];
    clean(p, sizeof p, peer);
    clean(u, sizeof u, user);
    clean(a, sizeof a, action);
    apcd_log(APC_LOG_INFO, "access peer=\"%s\" user=\"%s\" action=\"%s\" result=%d ms=%.1f", p, u,
             a, code, seconds * 1000);
}

/* Parameters that say what a change was about. Never passwords or tokens. */
static const char *const what_params[] = {"capture_id", "search_id",    "command_id", "export_id",
                                          "key_name",   "adapter_name", "adapter",    "pid",
                                          "username",   "role",         "name",       "file_path",
                                          "path",       "flags",        "ip",         NULL};

void apcd_audit_log(const char *peer, const char *user, const char *action,
                    const apc_params_t *params, int code)
{
    if (!apcd_action_changes_state(action))
        return;
    char what[800], v[160], p[160], u[160], a[160];
    size_t o = 0;
    what[0] = '\0';
    for (size_t i = 0; params && what_params[i] && o + 200 < sizeof what; i++) {
        const char *val = apc_params_get(params, what_params[i]);
        if (!val)
            continue;
        clean(v, sizeof v, val);
        o += (size_t)snprintf(what + o, sizeof what - o, " %s=\"%s\"", what_params[i], v);
    }
    clean(p, sizeof p, peer);
    clean(u, sizeof u, user);
    clean(a, sizeof a, action);
    apcd_log(APC_LOG_INFO, "audit user=\"%s\" peer=\"%s\" action=\"%s\"%s result=%d (%s)", u, p, a,
             what, code, code == 0 ? "done" : "refused or failed");
}

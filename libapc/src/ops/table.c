/* SPDX-License-Identifier: MIT */
/*
 * The action table: the only list of actions (DESIGN.md section 4). Every action of
 * spec/apppaccap-api.txt is listed so help and docs show the whole API; those whose handler is
 * not written yet have implemented = 0 and answer ERROR_SERVE_NOT_SUPPORTED. apcctl builds its
 * options and docs/actions/ is generated from the summaries here, so they are written for
 * people.
 */
#include <stdint.h>
#include <string.h>

#include "ops/op_auth.h"
#include "ops/op_export.h"
#include "ops/op_live.h"
#include "ops/op_search.h"
#include "ops/ops_internal.h"
#include "ops/op_stats.h"

#define ID_MAX INT64_MAX
#define TEXT_MAX 65536 /* notes, user data, setting values */
#define NAME_MAX_ 1024 /* names, keys */
#define PATH_MAX_ 4096

/* STRING params use `max` as the longest value in bytes and, ours, `min` > 0 as "must not be
 * empty". min == max == 0 means no range for INT/FLOAT. */
#define INT_P(n, req, def, lo, hi, sum)                                                            \
    {                                                                                              \
        n, APC_PARAM_INT, req, def, lo, hi, sum                                                    \
    }
#define STR_P(n, req, def, lo, hi, sum)                                                            \
    {                                                                                              \
        n, APC_PARAM_STRING, req, def, lo, hi, sum                                                 \
    }
#define END_P                                                                                      \
    {                                                                                              \
        NULL, 0, 0, NULL, 0, 0, NULL                                                               \
    }

#define CAPTURE_ID INT_P("capture_id", 1, NULL, 1, ID_MAX, "Capture id.")
#define LAST_ID(what)                                                                              \
    INT_P("last_id", 0, "0", 0, ID_MAX,                                                            \
          "Id of the last " what " already read; the page starts after it. 0 starts at the "       \
          "beginning.")
#define COUNT_P                                                                                    \
    INT_P("count", 0, "100", 1, APC_PAGE_MAX, "Largest number of items in the page (ours).")
#define FLAGS_BYTES                                                                                \
    INT_P("flags", 0, "0", 0, 1,                                                                   \
          "0 returns packet metadata only; 1 also returns the packet bytes as hex in Data.")

static const apc_param_spec_t p_none[] = {END_P};
static const apc_param_spec_t p_capture_id[] = {CAPTURE_ID, END_P};
/* A fleet's lists cover every node unless asked for one (docs/fleet.md). */
static const apc_param_spec_t p_node_list[] = {
    STR_P("node", 0, NULL, 0, 4400,
          "Lists only the captures of this node (ours; a CAPTURE's Node); default: every node."),
    END_P};

/* --- captures ------------------------------------------------------------------------------ */

static const apc_param_spec_t p_conn_stream[] = {
    CAPTURE_ID,  INT_P("conn_id", 1, NULL, 1, ID_MAX, "Connection id (ConnId of a CONNECTION)."),
    FLAGS_BYTES, LAST_ID("packet"),
    COUNT_P,     END_P};
static const apc_param_spec_t p_capture_export[] = {
    CAPTURE_ID,
    STR_P("path", 0, NULL, 0, PATH_MAX_,
          "Full path of the pcapng file to write; blank writes into the export directory."),
    STR_P("filter", 0, NULL, 0, TEXT_MAX,
          "Search filter (docs/filters.md) limiting which packets are exported."),
    INT_P("overwrite", 0, "0", 0, 1,
          "1 replaces an existing file at path (ours); 0 refuses to overwrite it."),
    INT_P("wait", 0, "0", 0, 1,
          "1 answers when the export has ended, with the final COMMAND (ours); 0 answers at "
          "once."),
    END_P};
static const apc_param_spec_t p_get_packet[] = {
    CAPTURE_ID, INT_P("packet_id", 1, NULL, 1, ID_MAX, "Packet id."), END_P};
static const apc_param_spec_t p_capture_page[] = {CAPTURE_ID, LAST_ID("item"), COUNT_P, END_P};
static const apc_param_spec_t p_query_ip[] = {
    INT_P("capture_id", 0, "0", 0, ID_MAX,
          "Capture id; 0 queries the system-wide list of IP addresses."),
    LAST_ID("IP (IpId)"), COUNT_P, END_P};
static const apc_param_spec_t p_capture_read[] = {CAPTURE_ID, LAST_ID("packet"), FLAGS_BYTES,
                                                  COUNT_P, END_P};
static const apc_param_spec_t p_set_notes[] = {
    CAPTURE_ID,
    INT_P("packet_id", 0, "0", 0, ID_MAX,
          "Packet whose notes to set; 0 or empty sets the notes of the capture itself."),
    STR_P("notes", 0, NULL, 0, TEXT_MAX, "The notes; blank or missing clears them."), END_P};
static const apc_param_spec_t p_start_system[] = {
    STR_P("filter", 0, NULL, 0, TEXT_MAX,
          "Capture filter (pcap-filter syntax); only matching packets are saved."),
    INT_P("flags", 0, "0", 0, UINT32_MAX,
          "Capture flags: CAPTURE_FLAG_RESOLVE_IPS (0x1); 0x200 uses the procfs attribution "
          "backend even when eBPF loads (ours)."),
    {"adapter", APC_PARAM_LIST, 0, NULL, 0, TEXT_MAX,
     "Adapter names to capture from; empty captures from all adapters."},
    END_P};
static const apc_param_spec_t p_start_process[] = {
    INT_P("capture_id", 0, "0", 0, ID_MAX, "Capture id."),
    INT_P("process_id", 0, "0", 0, ID_MAX, "Process id (ours, ProcessId of a PROCESS)."),
    INT_P("pid", 0, "0", 0, INT32_MAX, "System process id."),
    INT_P("thread_id", 0, "0", 0, INT32_MAX,
          "Thread to capture; needs CAPTURE_FLAG_THREAD_CAPTURE (0x2) in flags."),
    STR_P("filter", 0, NULL, 0, TEXT_MAX,
          "Capture filter (pcap-filter syntax); only matching packets are saved."),
    INT_P("flags", 0, "0", 0, UINT32_MAX,
          "Capture flags: CAPTURE_FLAG_RESOLVE_IPS (0x1), CAPTURE_FLAG_THREAD_CAPTURE (0x2); "
          "ours: 0x100 also stores the packets of the target's descendants, 0x200 uses the "
          "procfs attribution backend."),
    {"adapter", APC_PARAM_LIST, 0, NULL, 0, TEXT_MAX,
     "Adapter names to capture from; empty captures from all adapters."},
    END_P};
static const apc_param_spec_t p_capture_stream[] = {CAPTURE_ID, LAST_ID("packet"), FLAGS_BYTES,
                                                    COUNT_P, END_P};
static const apc_param_spec_t p_thread_stream[] = {
    CAPTURE_ID,
    INT_P("pid", 1, NULL, 1, INT32_MAX, "System process id."),
    INT_P("thread_id", 1, NULL, 0, INT32_MAX, "System thread id (tid); 0 = every thread (ours)."),
    LAST_ID("packet"),
    FLAGS_BYTES,
    COUNT_P,
    END_P};

/* --- ingest -------------------------------------------------------------------------------- */

static const apc_param_spec_t p_ingest_file[] = {
    STR_P("path", 1, NULL, 1, PATH_MAX_, "Path of the pcap or pcapng file to ingest."),
    STR_P("name", 0, NULL, 0, NAME_MAX_, "Name of the new capture (ours); default: file name."),
    INT_P("wait", 0, "0", 0, 1,
          "1 waits until the ingest has ended before answering (ours); 0 answers at once."),
    END_P};

/* --- IPs ----------------------------------------------------------------------------------- */

#define IP_CAPTURE(sum) INT_P("capture_id", 0, "0", 0, ID_MAX, sum)
#define IP_P(sum)                                                                                  \
    {                                                                                              \
        "ip", APC_PARAM_IP, 1, NULL, 0, 0, sum                                                     \
    }

static const apc_param_spec_t p_ip_query[] = {
    IP_CAPTURE("Capture to query; 0 queries the global list."),
    IP_P("IP address to query (IPv4 or IPv6)."), END_P};
static const apc_param_spec_t p_ip_set_data[] = {
    IP_CAPTURE("Capture to update as well as the global list; 0 updates the global list only."),
    IP_P("IP address (IPv4 or IPv6)."),
    STR_P("data", 0, NULL, 0, TEXT_MAX, "Data to keep with the address; blank clears it."), END_P};
static const apc_param_spec_t p_ip_set_geo[] = {
    IP_CAPTURE("Capture to update as well as the global list; 0 updates the global list only."),
    IP_P("IP address (IPv4 or IPv6)."),
    STR_P("hostname", 0, NULL, 0, NAME_MAX_, "Host name of the address."),
    STR_P("country", 0, NULL, 0, NAME_MAX_, "Country the address is located in."),
    STR_P("city", 0, NULL, 0, NAME_MAX_, "City the address is located in."),
    {"lat", APC_PARAM_FLOAT, 1, NULL, -90, 90, "Latitude in degrees (-90 to 90)."},
    {"lng", APC_PARAM_FLOAT, 1, NULL, -180, 180, "Longitude in degrees (-180 to 180)."},
    END_P};

/* --- settings ------------------------------------------------------------------------------ */

static const apc_param_spec_t p_key[] = {
    STR_P("key_name", 1, NULL, 1, NAME_MAX_, "Name of the setting."), END_P};
static const apc_param_spec_t p_settings_set[] = {
    STR_P("key_name", 1, NULL, 1, NAME_MAX_, "Name of the setting."),
    STR_P("value", 1, NULL, 0, TEXT_MAX, "Value to store under key_name."), END_P};

/* --- triggers and actions (docs/triggers.md) ----------------------------------------------- */

static const apc_param_spec_t p_action_add[] = {
    STR_P("name", 1, NULL, 1, NAME_MAX_, "Name of the action."),
    INT_P("action_type", 1, NULL, 1, 2,
          "ACTION_TYPE_EXECUTE (1) runs a program; ACTION_TYPE_EXPORT (2) writes an export."),
    INT_P("trigger_id", 0, "0", 0, ID_MAX,
          "Trigger the action belongs to; 0 applies it system wide."),
    STR_P("path", 1, NULL, 1, PATH_MAX_,
          "EXECUTE: program to run; EXPORT: directory to write the export to."),
    STR_P("params", 0, NULL, 0, TEXT_MAX,
          "EXECUTE: arguments, split on blanks (no shell), with placeholders {capture_id} "
          "{export_file} {pid} {program} {trigger_id} (docs/triggers.md)."),
    END_P};
static const apc_param_spec_t p_action_id[] = {INT_P("action_id", 1, NULL, 1, ID_MAX, "Action id."),
                                               END_P};
static const apc_param_spec_t p_action_mod[] = {
    INT_P("action_id", 1, NULL, 1, ID_MAX, "Action id."),
    STR_P("name", 0, NULL, 0, NAME_MAX_, "New name (ours); missing keeps the name."),
    STR_P("path", 0, NULL, 0, PATH_MAX_,
          "New program or export directory (ours), checked as by action_add; missing keeps it."),
    STR_P("params", 0, NULL, 0, TEXT_MAX,
          "New argument template of an EXECUTE action (ours); missing keeps it."),
    END_P};
static const apc_param_spec_t p_action_set_trigger[] = {
    INT_P("action_id", 1, NULL, 1, ID_MAX, "Action id."),
    INT_P("trigger_id", 0, "0", 0, ID_MAX,
          "Trigger to add to the action; 0 clears its triggers and makes it system wide."),
    END_P};
static const apc_param_spec_t p_flush[] = {
    INT_P("flags", 1, NULL, 1, 0x1ff,
          "Which kinds of saved data to delete, OR of: 0x1 captures and packets, "
          "0x2 connections, 0x4 IPs, 0x8 processes, 0x10 statistics, 0x20 searches, "
          "0x40 commands, 0x80 exports, 0x100 extracted files; 0x1ff all (docs/export.md)."),
    END_P};
static const apc_param_spec_t p_command_uid[] = {
    STR_P("command_uid", 1, NULL, 1, 64, "Command uid (CommandUid of a COMMAND)."), END_P};
static const apc_param_spec_t p_export_delete[] = {
    STR_P("filename", 0, NULL, 0, NAME_MAX_, "Export file to delete; blank deletes them all."),
    END_P};
static const apc_param_spec_t p_extract_query[] = {
    CAPTURE_ID, LAST_ID("stream"), COUNT_P,
    INT_P("wait", 0, "0", 0, 1,
          "1 examines a capture not yet examined before answering (ours); 0 answers at once "
          "with State \"detecting\" and the CommandUid to follow."),
    END_P};
static const apc_param_spec_t p_extract_write[] = {
    CAPTURE_ID, INT_P("stream_id", 1, NULL, 1, ID_MAX, "Stream holding the file."), END_P};
static const apc_param_spec_t p_extract_delete[] = {
    CAPTURE_ID,
    INT_P("file_id", 0, "0", 0, ID_MAX, "File to delete; 0 or missing deletes all files."), END_P};
static const apc_param_spec_t p_tap_id[] = {INT_P("tap_id", 1, NULL, 1, ID_MAX, "Adapter id."),
                                            END_P};
static const apc_param_spec_t p_threads[] = {
    INT_P("process_id", 0, "0", 0, ID_MAX, "Process id (ours)."),
    INT_P("pid", 0, "0", 0, INT32_MAX, "System process id."),
    INT_P("flags", 0, "0", 0, 1, "1 returns every thread; 0 returns live threads only."), END_P};
static const apc_param_spec_t p_search_id[] = {INT_P("search_id", 1, NULL, 1, ID_MAX, "Search id."),
                                               END_P};
static const apc_param_spec_t p_search_export[] = {
    INT_P("search_id", 1, NULL, 1, ID_MAX, "Search id."),
    STR_P("path", 0, NULL, 0, PATH_MAX_,
          "Full path of the pcapng file to write; blank writes into the export directory."),
    INT_P("overwrite", 0, "0", 0, 1, "1 replaces an existing file (ours); 0 refuses it."),
    INT_P("wait", 0, "0", 0, 1,
          "1 waits until the export has ended before answering (ours); 0 answers at once."),
    END_P};
static const apc_param_spec_t p_search_read[] = {
    INT_P("search_id", 1, NULL, 1, ID_MAX, "Search id."), LAST_ID("search item"), COUNT_P, END_P};
static const apc_param_spec_t p_search_start[] = {
    STR_P("filter", 0, NULL, 0, TEXT_MAX,
          "Search filter (display-filter syntax, docs/filters.md); blank matches every packet."),
    STR_P("q", 0, NULL, 0, TEXT_MAX, "Same as filter (the original's text names it q)."),
    INT_P("capture_id", 0, "0", 0, ID_MAX, "Capture to search (ours); 0 searches every capture."),
    INT_P("start_dtg", 0, "0", 0, ID_MAX,
          "Only packets at or after this time, UTC FILETIME (ours); 0 = no bound."),
    INT_P("end_dtg", 0, "0", 0, ID_MAX,
          "Only packets at or before this time, UTC FILETIME (ours); 0 = no bound."),
    INT_P("wait", 0, "0", 0, 1,
          "1 waits until the search has ended before answering (ours); 0 answers at once."),
    END_P};
static const apc_param_spec_t p_search_scan[] = {
    CAPTURE_ID,
    STR_P("filter", 0, NULL, 0, TEXT_MAX,
          "Search filter (display-filter syntax, docs/filters.md); blank matches every packet."),
    INT_P("start_dtg", 0, "0", 0, ID_MAX,
          "Only packets at or after this time, UTC FILETIME; 0 = no bound."),
    INT_P("end_dtg", 0, "0", 0, ID_MAX,
          "Only packets at or before this time, UTC FILETIME; 0 = no bound."),
    END_P};
static const apc_param_spec_t p_filter[] = {
    STR_P("filter", 1, NULL, 0, TEXT_MAX,
          "Search filter (display-filter syntax, docs/filters.md) to check."),
    END_P};
static const apc_param_spec_t p_theme[] = {
    STR_P("theme_name", 1, NULL, 1, NAME_MAX_, "Name of the theme."), END_P};
#define STATS_NODE                                                                                 \
    STR_P("node", 0, NULL, 0, 4400,                                                                \
          "Only this node's captures (ours, a fleet: docs/fleet.md); default: every node.")
#define STATS_CAPTURE                                                                              \
    INT_P("capture_id", 1, NULL, 0, ID_MAX,                                                        \
          "Capture id; 0 = all captures, counted since the last stats_reset (ours)."),             \
        STATS_NODE
static const apc_param_spec_t p_stats_totals[] = {STATS_NODE, END_P};
static const apc_param_spec_t p_stats_id[] = {STATS_CAPTURE, END_P};
static const apc_param_spec_t p_stats_date[] = {
    STATS_CAPTURE, INT_P("start_dtg", 1, NULL, 0, ID_MAX, "Start of the range, UTC FILETIME."),
    INT_P("end_dtg", 0, NULL, 0, ID_MAX, "End of the range, UTC FILETIME; default now."), END_P};
static const apc_param_spec_t p_stats_ip[] = {
    STATS_CAPTURE, {"ip", APC_PARAM_IP, 1, NULL, 0, 0, "IP address to query."}, END_P};
static const apc_param_spec_t p_stats_port[] = {
    STATS_CAPTURE, INT_P("port", 1, NULL, 0, 65535, "Port number."), END_P};
static const apc_param_spec_t p_stats_proto[] = {
    STATS_CAPTURE,
    INT_P("protocol", 1, NULL, -1, 255,
          "IP protocol number (6 TCP, 17 UDP...); -1 counts packets that are not IP (ours)."),
    END_P};
static const apc_param_spec_t p_stats_process[] = {
    STATS_CAPTURE,
    INT_P("process_id", 0, "0", 0, ID_MAX, "Process id (ours, ProcessId of a PROCESS)."),
    INT_P("pid", 0, "0", 0, INT32_MAX,
          "System process id, when process_id is 0: the newest process with that pid that has "
          "packets."),
    END_P};
static const apc_param_spec_t p_trigger_add[] = {
    STR_P("name", 1, NULL, 1, NAME_MAX_, "Name of the trigger."),
    INT_P("trigger_type", 1, NULL, 1, 1, "TRIGGER_TYPE_ON_START (1)."),
    STR_P("path", 1, NULL, 1, PATH_MAX_, "Directory or program path to trigger on."),
    STR_P("filter", 0, NULL, 0, TEXT_MAX,
          "Capture filter of the capture sessions this trigger starts."),
    INT_P("flags", 0, "0", 0, UINT32_MAX,
          "Capture flags of the sessions it starts: 0x1 resolve IPs; descendants (0x100) are "
          "always captured; 0x200 (procfs attribution) is refused: the shared source's "
          "attribution routes every firing."),
    END_P};
static const apc_param_spec_t p_trigger_id[] = {
    INT_P("trigger_id", 1, NULL, 1, ID_MAX, "Trigger id."), END_P};
static const apc_param_spec_t p_trigger_set_action[] = {
    INT_P("trigger_id", 1, NULL, 1, ID_MAX, "Trigger id."),
    INT_P("action_id", 1, NULL, 1, ID_MAX, "Action id to add to the trigger."), END_P};
static const apc_param_spec_t p_trigger_mod[] = {
    INT_P("trigger_id", 1, NULL, 1, ID_MAX, "Trigger id."),
    STR_P("filter", 0, NULL, 0, TEXT_MAX, "Capture filter; blank clears it."),
    INT_P("flags", 1, NULL, 0, UINT32_MAX, "Capture flags."), END_P};
static const apc_param_spec_t p_login[] = {
    STR_P("username", 1, NULL, 1, NAME_MAX_, "Account name."),
    STR_P("password", 1, NULL, 1, NAME_MAX_, "Password."), END_P};
static const apc_param_spec_t p_ingest_post[] = {
    STR_P("file", 1, NULL, 1, 255,
          "Set by apcd: the name it gave the uploaded file (multipart field file) in "
          "<data>/uploads/; a value sent by the client is replaced."),
    STR_P("name", 0, NULL, 0, NAME_MAX_,
          "Name of the new capture; default: the upload's file name."),
    END_P};

#define ADMIN APC_ROLE_ADMIN
#define VIEWER APC_ROLE_VIEWER
#define S_ APC_DATA_TYPE_STRING
#define I_ APC_DATA_TYPE_INT
#define J_ APC_DATA_TYPE_JSON

/* name, summary, role, blocking, DataType, returns, params, handler */
#define OP(n, sum, role, blk, dt, ret, params, fn)                                                 \
    {                                                                                              \
        {n, sum, role, blk, dt, ret, params, 1}, fn                                                \
    }
#define TODO(n, sum, role, blk, dt, ret, params)                                                   \
    {                                                                                              \
        {n, sum, role, blk, dt, ret, params, 0}, NULL                                              \
    }

static const apc__op_def_t table[] = {
    OP("apppaccap", "Information about this installation: version, host, OS, data directory.",
       VIEWER, 0, J_, "APPPACCAP", p_none, apc__op_apppaccap),
    OP("action_add", "Adds an action: a program to run or an export to write when it fires.", ADMIN,
       1, J_, "ACTION", p_action_add, apc__op_action_add),
    OP("action_clear_triggers", "Clears the triggers of an action (it becomes system wide).", ADMIN,
       1, I_, "ERROR_SUCCESS", p_action_id, apc__op_action_clear_triggers),
    OP("action_list", "Lists all configured actions.", VIEWER, 1, J_, "listOf ACTION", p_none,
       apc__op_action_list),
    OP("action_mod", "Modifies an existing action.", ADMIN, 1, I_, "ERROR_SUCCESS", p_action_mod,
       apc__op_action_mod),
    OP("action_remove", "Deletes an action.", ADMIN, 1, I_, "ERROR_SUCCESS", p_action_id,
       apc__op_action_remove),
    OP("action_set_trigger", "Adds a trigger to an action, or with 0 makes it system wide.", ADMIN,
       1, I_, "ERROR_SUCCESS", p_action_set_trigger, apc__op_action_set_trigger),
    OP("adapter_list", "Lists all network adapters.", VIEWER, 0, J_, "listOf NETADAPTER", p_none,
       apc__op_adapter_list),
    OP("apc_flush", "Deletes saved data of the kinds given by flags; no capture may be active.",
       ADMIN, 1, I_, "ERROR_SUCCESS", p_flush, apc__op_apc_flush),
    OP("capture_conn_stream", "Reads the packets of one connection of a capture, by pages.", VIEWER,
       1, J_, "PACKETSTREAM", p_conn_stream, apc__op_capture_conn_stream),
    OP("capture_delete", "Deletes a capture that is not active, with all its packets.", ADMIN, 1,
       I_, "ERROR_SUCCESS", p_capture_id, apc__op_capture_delete),
    OP("capture_export", "Starts exporting a capture's packets to a pcapng file (a command).",
       ADMIN, 1, J_, "COMMAND", p_capture_export, apc__op_capture_export),
    OP("capture_get_details", "Details of one capture session.", VIEWER, 1, J_, "CAPTURE",
       p_capture_id, apc__op_capture_get_details),
    OP("capture_get_packet", "One packet of a capture, with its bytes.", VIEWER, 1, J_, "PACKET",
       p_get_packet, apc__op_capture_get_packet),
    OP("capture_get_processes", "Lists the processes seen in a capture, by pages.", VIEWER, 1, J_,
       "listOf PROCESS", p_capture_page, apc__op_capture_get_processes),
    OP("capture_list_active", "Lists the active capture sessions.", VIEWER, 1, J_, "listOf CAPTURE",
       p_none, apc__op_capture_list_active),
    OP("capture_list_conns", "Lists the connections of a capture, by pages.", VIEWER, 1, J_,
       "listOf CONNECTION", p_capture_page, apc__op_capture_list_conns),
    OP("capture_list_completed", "Lists every capture session that is no longer active.", VIEWER, 1,
       J_, "listOf CAPTURE", p_node_list, apc__op_capture_list_completed),
    OP("capture_list_system", "Lists the completed system-wide capture sessions.", VIEWER, 1, J_,
       "listOf CAPTURE", p_node_list, apc__op_capture_list_system),
    OP("capture_open", "Opens a completed capture for reading: its details and packet range.",
       VIEWER, 1, J_, "CAPTUREMETA", p_capture_id, apc__op_capture_open),
    OP("capture_query_ip", "Lists the IP addresses seen in a capture (or overall), by pages.",
       VIEWER, 1, J_, "listOf IP", p_query_ip, apc__op_capture_query_ip),
    OP("capture_read", "Reads the packets of a capture, by pages.", VIEWER, 1, J_, "PACKETSTREAM",
       p_capture_read, apc__op_capture_read),
    OP("capture_set_notes", "Sets or clears the notes of a capture or of one of its packets.",
       ADMIN, 1, I_, "ERROR_SUCCESS", p_set_notes, apc__op_capture_set_notes),
    OP("capture_start_system", "Starts a system-wide packet capture.", ADMIN, 1, J_, "CAPTURE",
       p_start_system, apc__op_capture_start_system),
    OP("capture_stop_system", "Stops an active system-wide capture.", ADMIN, 1, I_, "ERROR_SUCCESS",
       p_capture_id, apc__op_capture_stop_system),
    OP("capture_start_process", "Starts a packet capture of one process (or thread).", ADMIN, 1, J_,
       "CAPTURE", p_start_process, apc__op_capture_start_process),
    OP("capture_stop_all", "Stops every active capture.", ADMIN, 1, I_, "ERROR_SUCCESS", p_none,
       apc__op_capture_stop_all),
    OP("capture_stop_process", "Stops an active process capture.", ADMIN, 1, I_, "ERROR_SUCCESS",
       p_capture_id, apc__op_capture_stop_process),
    OP("capture_stream", "Reads the packets of an active capture as they arrive, by pages.", VIEWER,
       1, J_, "PACKETSTREAM", p_capture_stream, apc__op_capture_stream),
    OP("capture_thread_stream",
       "Reads the packets of one process and thread of a capture (active or stored), by pages.",
       VIEWER, 1, J_, "PACKETSTREAM", p_thread_stream, apc__op_capture_thread_stream),
    OP("command_delete", "Deletes a command; a running one is cancelled first.", ADMIN, 1, I_,
       "ERROR_SUCCESS", p_command_uid, apc__op_command_delete),
    OP("command_list", "Lists all commands.", VIEWER, 1, J_, "listOf COMMAND", p_none,
       apc__op_command_list),
    OP("command_query", "State and progress of one command.", VIEWER, 1, J_, "COMMAND",
       p_command_uid, apc__op_command_query),
    OP("export_list", "Lists the exported pcapng files.", VIEWER, 1, J_, "listOf EXPORTFILE",
       p_none, apc__op_export_list),
    OP("export_delete", "Deletes one exported file, or all of them.", ADMIN, 1, I_,
       "number of files deleted", p_export_delete, apc__op_export_delete),
    OP("extract_enable",
       "Turns file extraction on: every ingest and capture is examined as it is stored.", ADMIN, 0,
       I_, "ERROR_SUCCESS", p_none, apc__op_extract_enable),
    OP("extract_disable",
       "Turns file extraction off for the captures that start or end from now on.", ADMIN, 0, I_,
       "ERROR_SUCCESS", p_none, apc__op_extract_disable),
    OP("extract_query",
       "Lists the files carried in a capture, by pages; examines the capture first if needed.",
       VIEWER, 1, J_, "EXTRACTSTREAM", p_extract_query, apc__op_extract_query),
    OP("extract_file_write", "Extracts one file from a capture and writes it to disk.", ADMIN, 1,
       J_, "EXTRACTFILE", p_extract_write, apc__op_extract_file_write),
    OP("extract_file_list", "Lists the files extracted from a capture.", VIEWER, 1, J_,
       "listOf EXTRACTFILE", p_capture_id, apc__op_extract_file_list),
    OP("extract_file_clear", "Deletes every file extracted from a capture.", ADMIN, 1, I_,
       "number of files deleted", p_capture_id, apc__op_extract_file_delete),
    OP("extract_file_delete", "Deletes one extracted file, or all files of a capture.", ADMIN, 1,
       I_, "number of files deleted", p_extract_delete, apc__op_extract_file_delete),
    OP("ip_query", "What is known about one IP address, overall or within a capture.", VIEWER, 1,
       J_, "IP", p_ip_query, apc__op_ip_query),
    OP("ip_set_data", "Stores (or clears) user data for an IP address.", ADMIN, 1, I_,
       "ERROR_SUCCESS", p_ip_set_data, apc__op_ip_set_data),
    OP("ip_set_geo", "Stores geolocation of an IP address resolved by an outside system.", ADMIN, 1,
       I_, "ERROR_SUCCESS", p_ip_set_geo, apc__op_ip_set_geo),
    OP("monitor_start", "Puts a WiFi adapter into monitor mode.", ADMIN, 1, I_, "ERROR_SUCCESS",
       p_tap_id, apc__op_monitor_start),
    OP("monitor_stop", "Takes a WiFi adapter out of monitor mode.", ADMIN, 1, I_, "ERROR_SUCCESS",
       p_tap_id, apc__op_monitor_stop),
    OP("pcap_ingest_file", "Ingests a pcap or pcapng file on the server as a new capture.", ADMIN,
       1, I_, "CaptureId of the new capture", p_ingest_file, apc__op_pcap_ingest_file),
    OP("pcap_ingest_post", "Ingests a pcap or pcapng file uploaded in the request (field file).",
       ADMIN, 1, I_, "CaptureId of the new capture", p_ingest_post, apc__op_pcap_ingest_post),
    OP("process_list_capture", "Lists the processes currently being captured.", VIEWER, 0, J_,
       "listOf PROCESS", p_none, apc__op_process_list_capture),
    OP("process_list_running", "Lists the processes running now.", VIEWER, 1, J_, "listOf PROCESS",
       p_none, apc__op_process_list_running),
    OP("process_list_threads", "Lists the threads of a process.", VIEWER, 1, J_, "listOf THREAD",
       p_threads, apc__op_process_list_threads),
    OP("search_cancel",
       "Cancels a running search (a viewer: only the searches its account started).", VIEWER, 0, I_,
       "ERROR_SUCCESS", p_search_id, apc__op_search_cancel),
    OP("search_delete",
       "Cancels a search if it runs and deletes its results (a viewer: only its own).", VIEWER, 1,
       I_, "ERROR_SUCCESS", p_search_id, apc__op_search_delete),
    OP("search_export", "Starts exporting a search's matches to a pcapng file (a command).", ADMIN,
       0, J_, "COMMAND", p_search_export, apc__op_search_export),
    OP("search_list", "Lists running and completed searches.", VIEWER, 0, J_, "listOf SEARCHMETA",
       p_none, apc__op_search_list),
    OP("search_open", "State and counts of one search.", VIEWER, 0, J_, "SEARCHMETA", p_search_id,
       apc__op_search_open),
    OP("search_read", "Reads the matches of a search, by pages.", VIEWER, 1, J_, "SEARCHLIST",
       p_search_read, apc__op_search_read),
    OP("search_scan",
       "Packet ids of one capture that a filter matches, scanned now (ours; the byte scan a "
       "search asks of the node holding the capture).",
       VIEWER, 1, J_, "SCANMATCHES", p_search_scan, apc__op_search_scan),
    OP("search_start", "Starts a search over stored packets; results come with search_read.",
       VIEWER, 0, J_, "SEARCHMETA", p_search_start, apc__op_search_start),
    OP("search_verify_filter", "Checks the syntax of a search filter.", VIEWER, 0, J_,
       "SEARCHSYNTAX", p_filter, apc__op_search_verify_filter),
    OP("server_folders", "Lists the installed web themes.", VIEWER, 1, J_, "listOf (string)",
       p_none, apc__op_server_folders),
    OP("server_pages", "Lists the pages of one web theme.", VIEWER, 1, J_, "listOf (string)",
       p_theme, apc__op_server_pages),
    OP("settings_clear", "Deletes every user-defined setting.", ADMIN, 1, I_, "ERROR_SUCCESS",
       p_none, apc__op_settings_clear),
    OP("settings_get_all", "All user-defined settings, as an object of key: value.", VIEWER, 1, J_,
       "dictionaryOf (string, string)", p_none, apc__op_settings_get_all),
    OP("settings_get_by_key", "The value of one setting.", VIEWER, 1, S_, "value", p_key,
       apc__op_settings_get_by_key),
    OP("settings_set", "Sets the value of one setting.", ADMIN, 1, I_, "ERROR_SUCCESS",
       p_settings_set, apc__op_settings_set),
    OP("stats_by_date", "Statistics of a capture over a time range.", VIEWER, 1, J_,
       "STATSCAPTUREQUERY", p_stats_date, apc__op_stats_by_date),
    OP("stats_by_id", "Statistics of a capture.", VIEWER, 1, J_, "STATSCAPTUREQUERY", p_stats_id,
       apc__op_stats_by_id),
    OP("stats_by_ip", "Statistics of one IP address within a capture.", VIEWER, 1, J_,
       "STATSCAPTUREQUERY", p_stats_ip, apc__op_stats_by_ip),
    OP("stats_by_port", "Statistics of one port within a capture.", VIEWER, 1, J_,
       "STATSCAPTUREQUERY", p_stats_port, apc__op_stats_by_port),
    OP("stats_by_process", "Statistics of one process within a capture (ours).", VIEWER, 1, J_,
       "STATSCAPTUREQUERY", p_stats_process, apc__op_stats_by_process),
    OP("stats_by_protocol", "Statistics of one IP protocol within a capture.", VIEWER, 1, J_,
       "STATSCAPTUREQUERY", p_stats_proto, apc__op_stats_by_protocol),
    OP("stats_reset", "Resets the statistics counters.", ADMIN, 1, I_, "ERROR_SUCCESS", p_none,
       apc__op_stats_reset),
    OP("stats_totals", "System-wide statistics.", VIEWER, 1, J_, "STATSQUERY", p_stats_totals,
       apc__op_stats_totals),
    OP("trigger_add", "Adds a trigger that starts a capture when a program starts.", ADMIN, 1, I_,
       "TriggerId of the new trigger", p_trigger_add, apc__op_trigger_add),
    OP("trigger_clear_actions", "Clears the actions of a trigger.", ADMIN, 1, I_, "ERROR_SUCCESS",
       p_trigger_id, apc__op_trigger_clear_actions),
    OP("trigger_get_actions", "Lists the actions of a trigger.", VIEWER, 1, J_, "listOf ACTION",
       p_trigger_id, apc__op_trigger_get_actions),
    OP("trigger_set_action", "Adds an action to a trigger.", ADMIN, 1, I_, "ERROR_SUCCESS",
       p_trigger_set_action, apc__op_trigger_set_action),
    OP("trigger_list", "Lists all configured triggers.", VIEWER, 1, J_, "listOf TRIGGER", p_none,
       apc__op_trigger_list),
    OP("trigger_mod", "Modifies the filter and flags of a trigger.", ADMIN, 1, I_, "ERROR_SUCCESS",
       p_trigger_mod, apc__op_trigger_mod),
    OP("trigger_remove", "Deletes a trigger.", ADMIN, 1, I_, "ERROR_SUCCESS", p_trigger_id,
       apc__op_trigger_remove),
    /* Ours (spec/wire.md "Authentication"): the library checks passwords and keeps sessions;
     * the caller's address and token come in apc_session_t. */
    OP("login", "Logs in and returns a token to pass as token.", APC_ROLE_NONE, 1, S_, "token",
       p_login, apc__op_login),
    OP("logout", "Ends the session of the token passed.", APC_ROLE_NONE, 1, I_, "ERROR_SUCCESS",
       p_none, apc__op_logout),
};

#define NOPS (sizeof table / sizeof table[0])

APC_API size_t apc_op_count(void)
{
    return NOPS;
}

APC_API const apc_op_info_t *apc_op_at(size_t i)
{
    return i < NOPS ? &table[i].info : NULL;
}

const apc__op_def_t *apc__ops_def(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < NOPS; i++)
        if (strcmp(table[i].info.name, name) == 0)
            return &table[i];
    return NULL;
}

APC_API const apc_op_info_t *apc_op_find(const char *name)
{
    const apc__op_def_t *d = apc__ops_def(name);
    return d ? &d->info : NULL;
}

/* The actions fleet/peer.c sends to a capture's owner: a node secret grants these and nothing
 * else, neither another read action nor any admin one. capture_export is how apcd's download
 * of a capture (fleet/fetch.c asks it) writes the file it sends; a node may only export its
 * own capture into the default folder (op_export.c). search_scan is a search's byte scan of
 * one of this node's captures (op_scan.c). */
APC_API int apc_op_node_action(const char *name)
{
    static const char *const node_actions[] = {"capture_read", "capture_get_packet",
                                               "capture_conn_stream", "capture_export",
                                               "search_scan"};
    for (size_t i = 0; name && i < sizeof node_actions / sizeof *node_actions; i++)
        if (strcmp(name, node_actions[i]) == 0)
            return 1;
    return 0;
}

/* Levenshtein distance, capped: names longer than 63 bytes are never suggested for. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[64];
    if (la >= 64 || lb >= 64)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *apc__ops_suggest(const char *name)
{
    const char *best = NULL;
    size_t bestd = SIZE_MAX;
    for (size_t i = 0; i < NOPS; i++) {
        size_t d = edit_distance(name, table[i].info.name);
        if (d < bestd) {
            bestd = d;
            best = table[i].info.name;
        }
    }
    /* Close means a typo or two, not a different word. */
    size_t limit = strlen(name) / 4 + 1;
    if (limit > 3)
        limit = 3;
    return bestd <= limit ? best : NULL;
}

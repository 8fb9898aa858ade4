/* SPDX-License-Identifier: MIT */
/*
 * Fleet peers (docs/fleet.md): a capture of another node has its packet index and bytes in
 * that node's data directory, so its packet reads are asked of that node's apcd over HTTP
 * (libcurl). This module is a client only: it never calls into the local apcd, and what a peer
 * answers is checked before anything of it is used.
 */
#ifndef APC_FLEET_PEER_H
#define APC_FLEET_PEER_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include <apc/ctx.h>

#include "fleet/ngcheck.h"

/* 1 when capture_id belongs to another node of the fleet, with its name and URL in *node and
 * *url (the caller frees both; *url may be ""); 0 when it is ours (always with SQLite);
 * negative APC_E* on error (an unknown capture: APC_ENOTFOUND). */
int apc__fleet_owner(apc_ctx_t *ctx, int64_t capture_id, char **node, char **url);

/* Runs `action` on node `node` at `url` with the form-encoded parameters `form` (no action=,
 * no token), authenticated with this node's secret. On success *value is the reply's
 * ReturnValue (caller frees, cJSON_Delete), checked by apc__fleet_check_reply. Errors name
 * the node and its URL: down, refused, an error of its own, or a reply that fails the checks. */
int apc__fleet_call(apc_ctx_t *ctx, const char *node, const char *url, const char *action,
                    const char *form, int64_t capture_id, cJSON **value);

/* The PACKETs (without Data) of packets ids[0..n) of capture_id (increasing, spanning at
 * most APC_PAGE_MAX ids) as node `node` at `url` answers them: one capture_read of the span,
 * checked as a packet read's and that each id asked for is in it. Each packet's JSON text in
 * raws[k] (caller frees each); an error naming the node otherwise (then every raws[k] NULL). */
int apc__fleet_packets_meta(apc_ctx_t *ctx, const char *node, const char *url, int64_t capture_id,
                            const int64_t *ids, size_t n, char **raws);

#define APC_FLEET_SINGLE 1 /* one PACKET (capture_get_packet), not a PACKETSTREAM */
#define APC_FLEET_DATA 2   /* the packets carry their bytes (flags=1, capture_get_packet) */

/* Checks a peer's reply text (len bytes, not NUL-terminated) to a packet read of capture_id:
 * a RESPONSE whose ReturnValue is a PACKETSTREAM or, with APC_FLEET_SINGLE in kind, one
 * PACKET, every packet of that capture with CapturedLength <= Length <= 256 KiB and, with
 * APC_FLEET_DATA, Data of exactly 2 * CapturedLength hex digits (without, no Data at all).
 * 0 and the ReturnValue in *value (caller frees), or negative APC_E* naming `node`. Never
 * trusts a length it has not checked. */
int apc__fleet_check_reply(const char *text, size_t len, int64_t capture_id, int kind,
                           const char *node, cJSON **value);

/* Streams the export of capture_id (its packets that `filter` selects, every one for NULL or
 * "") as node `node` at `url` writes it: GET <url>/download?kind=capture (docs/apcd.md
 * "Downloads") with this node's secret. Each block is checked (ngcheck.h) before fn gets it,
 * whole. 0 once the stream has ended after a whole section; APC_ECANCELED when *cancelled
 * was set; fn's error; or an error naming the node and its URL (down, refused, its own error
 * text, a bad block). What fn got before an error is for the caller to discard. */
int apc__fleet_fetch_export(apc_ctx_t *ctx, const char *node, const char *url, int64_t capture_id,
                            const char *filter, apc__ngchk_fn fn, void *payload,
                            const volatile int *cancelled);

/* A match of a scan: packet packet_id of capture capture_id. 0, or negative APC_E* to stop. */
typedef int (*apc__fleet_match_fn)(int64_t capture_id, int64_t packet_id, void *payload);

/* The byte scan of one capture asked of the node that holds it. */
typedef struct apc__fleet_scan {
    const char *node, *url; /* apc__fleet_owner's */
    int64_t capture_id;
    uint64_t packets;                     /* the capture's (store): no id beyond them */
    const char *filter;                   /* normalized or as typed; NULL or "": every packet */
    int64_t time_from, time_to;           /* ns; 0 = unbounded */
    const volatile int *cancel, *cancel2; /* NULL, or either set stops with APC_ECANCELED */
} apc__fleet_scan_t;

/* Asks q->node (action search_scan, docs/fleet.md) for the packets of q->capture_id that
 * q->filter matches within the time bounds; fn gets each, in packet order, once the whole
 * answer has passed apc__fleet_check_matches. *scanned: the packets the node looked at. 0, fn's
 * error, APC_ECANCELED, or an error naming the node and its URL. */
int apc__fleet_matches(apc_ctx_t *ctx, const apc__fleet_scan_t *q, apc__fleet_match_fn fn,
                       void *payload, uint64_t *scanned);

/* Checks a peer's reply text (len bytes, not NUL-terminated) to search_scan of capture_id, a
 * capture of `packets` packets: a RESPONSE whose ReturnValue has this CaptureId, Scanned at
 * most `packets` and PacketIds in increasing order within 1..packets. Only then is fn called
 * for each id (none when the reply fails). 0, fn's error, or APC_EFORMAT naming `node`. */
int apc__fleet_check_matches(const char *text, size_t len, int64_t capture_id, uint64_t packets,
                             const char *node, apc__fleet_match_fn fn, void *payload,
                             uint64_t *scanned);

#endif

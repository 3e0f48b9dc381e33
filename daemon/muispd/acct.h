/* SPDX-License-Identifier: GPL-2.0 */
/*
 * RADIUS accounting (RFC 2866/2869): sessions, records, the spool.
 *
 * A RADIUS session is one binding of a contract to an address.
 *   Acct-Session-Id       INST-SERIALHEX-BINDNO  (acct_sessions.sid)
 *   Acct-Multi-Session-Id INST-SERIALHEX         (every binding of it)
 * INST: 8 hex digits made once per database (meta 'acct_instance').
 *
 * Records are written in the store transaction of the state change that
 * causes them (acct_contract_put after store_contract_put), as frozen
 * attribute blocks in acct_spool; the sender (acct_spool.c) adds
 * Acct-Delay-Time and the authenticator, sends through radclient.c, and
 * deletes a row only once acknowledged.  Tables (store.c creates them):
 *
 *   acct_sessions (sid TEXT PRIMARY KEY, serial, bindno, addr, mac,
 *     user_name, realm, class BLOB, started, base_ub, base_up, base_db,
 *     base_dp, ub, up, db, dp, interim, stopped, cause)
 *     -- one row per session; the CDR table (muispctl report)
 *   acct_spool (id INTEGER PRIMARY KEY, sid TEXT ('' for On/Off),
 *     status INTEGER, event_ts INTEGER, attrs BLOB)
 *   acct_counters (serial PRIMARY KEY, ub, up, db, dp, at)
 *     -- the module's four counters at the last checkpoint (restore)
 *
 * Counter names: ub/up = bytes/packets from the user (Input), db/dp = to
 * the user (Output).
 */
#ifndef MUISPD_ACCT_H
#define MUISPD_ACCT_H

#include <stddef.h>
#include <stdint.h>

#include "radclient.h"
#include "store.h"

struct muispd;
struct live;
struct contract_rec;

struct acct_session {
	char sid[48];
	uint64_t serial, bindno;
	char addr[64], mac[24], user_name[254], realm[64];
	uint8_t class_tlv[512]; /* Class attributes as received, TLVs */
	size_t class_len;
	uint64_t started; /* Start's Event-Timestamp */
	uint64_t base[4]; /* ub, up, db, dp at Start */
	uint64_t last[4]; /* as last reported */
	uint64_t interim; /* next Interim due (wall clock) */
	uint64_t stopped; /* 0 open */
	uint32_t cause;	  /* Acct-Terminate-Cause, 0 open */
};

/* --- acct.c: the records --- */

/* muispd_open, before session_load: md->acct (NULL when no accounting
 * server is configured: then nothing below writes anything), the
 * instance id made on the first start.  0 or -1.  acct_close frees it. */
int acct_open(struct muispd *md);
void acct_close(struct muispd *md);

/* muispd start (after session_load): Accounting-On and Starts, or the
 * crash path (acct.h above; PLAN in docs/DESIGN.md "RADIUS"). */
int acct_start_service(struct muispd *md);
/* Clean stop (server_run, after the loop): Stop every open session
 * (NAS-Request), Accounting-Off, then acct_spool_flush for at most
 * radius-stop-wait; what is left stays spooled. */
void acct_stop_service(struct muispd *md);
/*
 * After every store_contract_put() of a contract, inside the same
 * transaction: Start / Stop / Stop+Start as the binding changed.  cause:
 * the Acct-Terminate-Cause of a Stop (0: from the contract's state).
 * 0 or -1 (the caller rolls back).
 */
int acct_contract_put(struct muispd *md, const struct contract_rec *rec,
		      uint32_t cause);
/* After the commit of session_persist: the cause is used up once the
 * binding ended (kept while the contract waits in settlement). */
void acct_persisted(struct muispd *md, struct live *l);
/* In the usage checkpoint's transaction: l's four counters (l->ctr) into
 * acct_counters.  0 or -1. */
int acct_checkpoint(struct muispd *md, struct live *l, uint64_t now);
/* The module lost l's contract: the four counters to restore (the
 * checkpoint, reconciled with the usage): 0, 1 none (restore the usage
 * as before), -1. */
int acct_restore_counters(struct muispd *md, struct live *l, uint64_t *ctr);
/* Once a second (session_tick): due Interims, idle time-outs. */
void acct_tick(struct muispd *md, uint64_t now);
/* An Interim at the next tick (limit event, CoA). */
void acct_interim_soon(struct muispd *md, uint64_t serial);
/* Calling-Station-Id of an address: its MAC as "AA-BB-CC-DD-EE-FF"
 * (RFC 3580), "" unknown. */
void acct_calling_station_id(struct muispd *md, const char *addr, char *out,
			     size_t cap);
/* The Acct-Session-Id the first session of a new contract will have (a
 * roaming Access-Request announces it): 0, or -1 without accounting. */
int acct_session_id_first(const struct muispd *md, uint64_t serial, char *out,
			  size_t cap);
/* The open session of a contract / by Acct-Session-Id: 0, 1 none, -1. */
int acct_session_open(struct store *st, uint64_t serial,
		      struct acct_session *out);
int acct_session_get(struct store *st, const char *sid,
		     struct acct_session *out);

/* --- acct_spool.c: the spool and its sender --- */

/* Append a record, inside the caller's transaction: 0 or -1. */
int acct_spool_put(struct store *st, const char *sid, uint8_t status,
		   uint64_t event_ts, const uint8_t *attrs, size_t len);
/* The sender looks at the spool again: in its next pass, deferred to the
 * next loop iteration, so also callable inside a transaction. */
void acct_spool_kick(struct muispd *md);
/* Sender state: open (the radclient exists), close. */
int acct_spool_open(struct muispd *md);
void acct_spool_close(struct muispd *md);
/*
 * The cap radius-spool-max, inside the caller's transaction just before
 * acct_spool_put: at the cap the oldest superseded Interim (its session
 * has a newer Interim or its Stop queued) is deleted to make room.  1
 * spool the record, 0 refused (only an Interim, when nothing can go:
 * counted as dropped_full, logged rate-limited).  1 without a sender.
 */
int acct_spool_admit(struct muispd *md, uint8_t status);
/*
 * Clean stop (acct_stop_service, after the loop has ended or before it
 * ran; never from inside a callback): send until the spool is empty or
 * muispd_mono_ms() reaches deadline_ms.  The rows left, or -1.
 */
int acct_spool_flush(struct muispd *md, uint64_t deadline_ms);
/* Records not yet acknowledged. */
uint64_t acct_spool_pending(struct muispd *md);
void acct_spool_counters(struct muispd *md, rad_counter_fn fn, void *arg);

#endif

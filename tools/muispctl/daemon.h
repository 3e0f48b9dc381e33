/* SPDX-License-Identifier: GPL-2.0 */
/*
 * muispctl's side of muispd's operator socket (docs/PROTOCOL.md §1 and
 * "Operator" in §4): the transport (mpd_*), and the pure helpers that turn
 * muispd's replies into muispctl tables (cview_*, statement_*, voucher_*;
 * unit tested in tests/unit/test_muispctl_daemon.c).  Frames are encoded
 * and decoded by muispd's own codec (daemon/muispd/proto.c, fuzzed), so
 * muispctl accepts exactly what the daemon would.
 */
#ifndef MUISPCTL_DAEMON_H
#define MUISPCTL_DAEMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "muispctl.h"
#include "proto.h"

/* How long muispctl waits for one reply (muispd may be settling with an
 * online payment provider, up to 3 s a call). */
#define MPD_REPLY_TIMEOUT_MS 30000

/* The socket muispctl talks to: --daemon PATH, else MP_OP_SOCKET. */
const char *ctl_daemon_path(const struct ctl *c);

/* Connect to muispd unless connected (batch lines share the connection).
 * 0, or -1 with errno (nothing printed). */
int mpd_open(struct ctl *c);
/* After a failed mpd_open(): "muispctl: muispd not reachable at PATH:
 * REASON (hint)" on stderr; the exit code (EXIT_PERM for EACCES/EPERM,
 * else EXIT_FAIL). */
int mpd_open_fail(const struct ctl *c, int err);
/* "muispd not reachable at PATH (REASON)" for notes, in buf. */
const char *mpd_unreachable(const struct ctl *c, int err, char *buf,
			    size_t len);
/* Send req (its serial is set here) and read its reply into rep.  EXIT_OK,
 * or the exit code after printing "muispctl: WHAT: ..." (connection lost,
 * bad frame, time-out); the connection is then closed, so a later batch
 * line reconnects. */
int mpd_call(struct ctl *c, const char *what, struct mp_msg *req,
	     struct mp_msg *rep);
/* The next reply of a list (after a reply flagged MP_F_MORE). */
int mpd_next(struct ctl *c, const char *what, struct mp_msg *rep);
/* A list: request TYPE, one ROW_TYPE reply (flag MORE) per row, made a
 * row of a table of COLS by ROW, then OP_OK; the table printed.  An exit
 * code. */
struct out_table;
struct out_col;
typedef int (*mpd_row_fn)(struct out_table *t, const struct mp_msg *m);
int mpd_list(struct ctl *c, const char *what, uint8_t type, uint8_t row_type,
	     const struct out_col *cols, size_t ncols, mpd_row_fn row);
/* The same for a request with attributes (req: its type and them; its
 * serial is set here).  An OP_OK with MESSAGE (rows left out) is said on
 * stderr after the table, the exit code still EXIT_OK. */
int mpd_list_req(struct ctl *c, const char *what, struct mp_msg *req,
		 uint8_t row_type, const struct out_col *cols, size_t ncols,
		 mpd_row_fn row);
/* A reply that is not the expected one: "muispctl: WHAT: muispd: MESSAGE"
 * for an ERROR, "unexpected REPLY" otherwise.  Returns EXIT_FAIL. */
int mpd_fail(const char *what, const struct mp_msg *rep);
void mpd_close(struct ctl *c);

/* muispd's RADIUS counters (op-radius-stats, every op-counters reply) in
 * a malloc'd array, *n of them (0: RADIUS not configured).  EXIT_OK, or
 * the failure's exit code with the message printed. */
int mpd_counters(struct ctl *c, const char *what, struct mp_counter **out,
		 unsigned *n);

/* ---- contracts: muispd's record joined with the module's ---- */

/* One contract as muispd reports it (a STATUS reply), kept compact so a
 * long list is cheap. */
struct dcontract {
	uint64_t present; /* 1 << MP_A_* of the reply */
	uint64_t serial, usage, soft, hard, expiry, issued, deposit, price,
		unit, charge, refund;
	uint32_t key_id;
	uint8_t state, metric, method, privacy;
	char addr[MP_STR_MAX + 1], room[MP_STR_MAX + 1],
		password[MP_STR_MAX + 1];
};
void dcontract_from_msg(struct dcontract *d, const struct mp_msg *m);
/* muispctl's (and the module's) name of a muispd metric: elapsed-time,
 * usage-time, bytes, packets. */
const char *dmetric_name(unsigned int metric, char *buf);

/* Which sources a view shows. */
#define CV_DAEMON 1
#define CV_KERNEL 2

/* Logical columns of the joined view (see cview_init for which are
 * printed). */
enum {
	V_ID,
	/* muispd */
	V_STATE,
	V_ADDR,
	V_METHOD,
	V_METRIC,
	V_USAGE,
	V_SOFT,
	V_HARD,
	V_DEPOSIT,
	V_EXPIRES,
	V_CHARGE,
	V_REFUND,
	V_ISSUED,
	V_PRICE,
	V_UNIT,
	V_PRIVACY,
	V_ROOM,
	V_KEY_ID,
	V_PASSWORD,
	/* the module (the keys of the kernel-only view) */
	V_K_STATUS,
	V_K_USED,
	V_K_SOFT,
	V_K_HARD,
	V_K_EXPIRES,
	V_K_UPB,
	V_K_UPP,
	V_K_DOWNB,
	V_K_DOWNP,
	V_K_ELAPSED,
	V_K_USAGE_MS,
	V_K_NADDRS,
	V_K_NUSERS,
	V_N
};

struct cview {
	struct out_col cols[V_N];
	int map[V_N]; /* logical -> printed column, -1: hidden */
	unsigned int n;
	int srcs;
	struct out_table *t;
};

/*
 * Columns for the given sources: CV_DAEMON alone, or CV_DAEMON|CV_KERNEL
 * (the kernel alone is contract.c's own view).  show: every column (a
 * record; the offline password included); else a list: with text, the
 * narrow set that fits a terminal, with JSON every column but the
 * password.  0, or -1 (no memory).
 */
int cview_init(struct cview *v, int srcs, int show, enum out_fmt fmt);
void cview_free(struct cview *v);
/* One row; d or k may be NULL (that side does not know the contract). */
int cview_row(struct cview *v, const struct dcontract *d,
	      const struct muisp_nl_contract *k);
/* Rows of both lists, each sorted by id, joined on id (muispd's serial is
 * the module's contract id): one row per id in either.  Sorts both
 * arrays by id first. */
int cview_merge(struct cview *v, struct dcontract *d, size_t nd,
		struct muisp_nl_contract *k, size_t nk);

/* ---- settlement statement (a STATEMENT reply) ---- */

/* Text: the totals as a record, a blank line, then the itemised lines
 * (KIND debit|credit, AMOUNT, DESCRIPTION).  JSON: one object, the
 * totals plus "lines": [{"kind","amount","description"}...].  0 or -1. */
int statement_print(FILE *f, enum out_fmt fmt, const struct mp_msg *m);

/* ---- vouchers (an OP_VOUCHER reply) ---- */

/* "valid", "empty" (balance 0: credits from the settlement of contracts
 * it paid for may still come back) or "expired" (muispd refuses it after
 * its expiry). */
const char *voucher_state(uint64_t balance, uint64_t expiry, uint64_t now);
extern const struct out_col voucher_cols[];
extern const unsigned int voucher_ncols;
int voucher_row(struct out_table *t, const struct mp_msg *m, uint64_t now);

#endif

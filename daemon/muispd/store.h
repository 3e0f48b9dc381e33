/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Durable state of muispd in SQLite (WAL, synchronous=FULL): contracts
 * with their issued receipts and usage checkpoints, vouchers, receipt keys,
 * room-account ledger, settlement statements.  Every function is one
 * statement; callers group them with store_begin/store_commit, and reply to
 * a client only after the commit returned (durable before replying).
 * Functions return 0, 1 for "not found" where noted, or -1 (logged).
 */
#ifndef MUISP_STORE_H
#define MUISP_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "receipt.h"
#include "register.h"

struct store;

struct contract_rec {
	uint64_t serial;
	int state; /* enum contract_state */
	uint8_t metric, method, privacy;
	uint64_t soft, hard, deposit, price, unit;
	uint64_t issued, expiry;
	uint64_t usage, usage_at; /* last checkpoint */
	char addr[64];		  /* bound address, "" when unbound */
	char password[32];	  /* offline contracts */
	char payref[RECEIPT_PAYREF_LEN + 1];
	char room[64];
	uint32_t key_id;
	uint8_t receipt[RECEIPT_MAX_LEN];
	size_t receipt_len;
	/* the buyer's key, signed into the receipt (MUR2); not a column:
	 * the stored receipt holds it */
	int has_holder;
	uint8_t holder[RECEIPT_HOLDER_LEN];
	uint64_t charge, refund, settled_at;
};

struct stmt_line {
	char desc[128];
	uint64_t amount;
	int credit;
};

int store_open(const char *path, struct store **out);
/* The connection, for the RADIUS files that keep their own SQL next to
 * their logic (acct.c, acct_spool.c, payment_radius.c): the tables are
 * created here with the others. */
struct sqlite3;
struct sqlite3 *store_db(struct store *st);
void store_close(struct store *st);
int store_begin(struct store *st);
#ifdef MUISP_TESTING
extern int store_test_fail;
#endif
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* Allocate the next serial number of a kind ("contract", "offer"). */
int store_next_serial(struct store *st, const char *kind, uint64_t *out);
/* muispd gives serials from memory: the last one of a kind recorded (and
 * for "contract" the highest stored), and a serial recorded as taken. */
int store_serial_last(struct store *st, const char *kind, uint64_t *out);
int store_serial_note(struct store *st, const char *kind, uint64_t v);

int store_contract_put(struct store *st, const struct contract_rec *c);
int store_contract_get(struct store *st, uint64_t serial,
		       struct contract_rec *c); /* 0/1/-1 */
int store_contract_by_password(struct store *st, const char *pw,
			       struct contract_rec *c); /* 0/1/-1 */
int store_usage_checkpoint(struct store *st, uint64_t serial, uint64_t usage,
			   uint64_t at);
/* Calls fn for every contract (outstanding only when outstanding != 0),
 * in serial order; a non-zero return from fn stops the walk. */
int store_contract_foreach(struct store *st, int outstanding,
			   int (*fn)(const struct contract_rec *, void *),
			   void *arg);
int store_contract_count(struct store *st, uint64_t *n);

int store_voucher_put(struct store *st, const char *code, uint64_t balance,
		      uint64_t issued, uint64_t expiry);
int store_voucher_get(struct store *st, const char *code, uint64_t *balance,
		      uint64_t *expiry); /* 0/1/-1 */
int store_voucher_set(struct store *st, const char *code, uint64_t balance);
/* Devices without muisp-client (eap.c): fn for every voucher with a
 * balance that has not expired at now (non-zero stops), and the voucher
 * of an EAP username (the code's first half, 0/1/-1). */
int store_voucher_foreach(struct store *st, uint64_t now,
			  int (*fn)(const char *code, void *arg), void *arg);
int store_voucher_by_eap_user(struct store *st, const char *user, char *code,
			      size_t cap);

int store_key_put(struct store *st, const struct receipt_key *k);
int store_key_delete(struct store *st, uint32_t id);
int store_keys_load(struct store *st, struct receipt_keyring *kr);

int store_ledger_add(struct store *st, const char *room, uint64_t serial,
		     const char *desc, uint64_t amount, int credit,
		     uint64_t at);
/* Room balance: sum of charges minus credits (may be negative). */
int store_ledger_balance(struct store *st, const char *room, int64_t *bal);
int store_ledger_lines(struct store *st, const char *room,
		       struct stmt_line *lines, unsigned max, unsigned *n);

int store_statement_put(struct store *st, uint64_t serial,
			const struct stmt_line *lines, unsigned n);
/* Registrations (register.h), one per address: put replaces the one of
 * its address and any of its certificate (fingerprint); count leaves
 * those out; touch sets the last use of the subject's (at most once a
 * minute); expire forgets the
 * ones last used before BEFORE or expired at NOW (*n: how many). */
int store_reg_put(struct store *st, const struct reg_rec *r);
int store_reg_by_subject(struct store *st, const char *subject,
			 struct reg_rec *r); /* 0/1/-1 */
/* the registration of an address or a subject: 0/1/-1 */
int store_reg_by_key(struct store *st, const char *key, struct reg_rec *r);
int store_reg_count(struct store *st, const char *addr, const char *fpr,
		    uint64_t *n);
int store_reg_touch(struct store *st, const char *subject, uint64_t now);
int store_reg_expire(struct store *st, uint64_t before, uint64_t now,
		     unsigned *n);
/* Forgotten registrations leave a tombstone (fingerprint, subject,
 * when, why), at most REG_TOMB_MAX (the oldest go); put clears those of
 * its certificate and subject.  expire buries the idle and expired ones;
 * forget the one of address or subject KEY (*n: how many); tombstone
 * gives why SUBJECT was forgotten (0) when it is not registered again,
 * else 1 (-1 error). */
int store_reg_forget(struct store *st, const char *key, uint64_t now,
		     unsigned *n);
int store_reg_tombstone(struct store *st, const char *subject, char *why,
			size_t len);
int store_reg_tomb_count(struct store *st, uint64_t *n);
/* fn for each, oldest use first; non-zero stops.  The count or -1. */
int store_reg_foreach(struct store *st,
		      int (*fn)(const struct reg_rec *, void *), void *arg);

int store_statement_get(struct store *st, uint64_t serial,
			struct stmt_line *lines, unsigned max, unsigned *n);

/* A standalone agent's usage record (uinfo_usage.c, PROTOCOL.md §9 step
 * 9): the host (its certificate's first address, as inet_ntop writes
 * it), the record's sequence number there, the user, the period and the
 * user's traffic in it.  The integers are kept as SQLite's 64 bits (a
 * u64 above INT64_MAX negative in the table, itself again here). */
struct agent_usage_rec {
	char host[64];
	uint64_t seq;
	uint32_t user;
	uint64_t start, end;
	uint64_t sent_bytes, sent_pkts, recv_bytes, recv_pkts;
};

/* Store r once, and as a record to move: 0 stored, 1 a record of its
 * host and seq was there already (kept as it was: *old, when not NULL, is that one), -1. */
int store_agent_usage_put(struct store *st, const struct agent_usage_rec *r,
			  struct agent_usage_rec *old);
/* fn for every record of host (NULL: of every host), by host, user and
 * seq; non-zero stops.  The count, or -1. */
int store_agent_usage_foreach(struct store *st, const char *host,
			      int (*fn)(const struct agent_usage_rec *, void *),
			      void *arg);
/* The records not yet moved to their users' contracts (stored, then
 * moved: uinfo_usage.c), fn for each of the first max by host and seq;
 * non-zero stops.  The count, or -1. */
int store_agent_usage_unmoved(struct store *st, unsigned max,
			      int (*fn)(const struct agent_usage_rec *, void *),
			      void *arg);
/* host's record seq moved (or never will): 0, or -1. */
int store_agent_usage_moved(struct store *st, const char *host, uint64_t seq);
/* Delete at most max records whose end is before `before` (*n: how
 * many; max of them: more may be left), and their moves.  0, or -1. */
int store_agent_usage_prune(struct store *st, uint64_t before, unsigned max,
			    unsigned *n);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Payment plug-in interface (paper §6 step 3 and §8).  A method takes the
 * deposit (equal to the cost of the hard limit) and settles: the deposit
 * is kept when the contract expired or reached its hard limit, otherwise
 * the unused part is refunded or adjusted the method's way.  Both run
 * inside the caller's store transaction, so a deposit and the contract it
 * pays for commit together or not at all; a remote method asks its party
 * first (authorize, capture) and only records the answer there.
 *
 * Shipped methods:
 *   voucher  operator-issued prepaid code; deposit debits the code's
 *            balance, settlement credits the residual back to it
 *            (payment_voucher.c).
 *   room     billing to a room account (offline: the operator creates the
 *            contract and hands out a password); settlement posts an
 *            adjustment to the room ledger (payment_desk.c).
 *   cash     offline at the desk; settlement records the cash refund due
 *            (payment_desk.c).
 *   online   a separate payment-provider process over HTTP/JSON
 *            (payment_online.c): authorise the deposit, capture the charge;
 *            both are remote calls that complete later (authorize and
 *            capture), the daemon goes on serving meanwhile.
 *
 * This file and payment.c are the core (statement, settlement, codes); a
 * method includes the core, never the other way round.
 */
#ifndef MUISP_PAYMENT_H
#define MUISP_PAYMENT_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "store.h"

#define PAY_MAX_LINES 8

struct statement {
	uint64_t charge, refund;
	unsigned n;
	struct stmt_line lines[PAY_MAX_LINES];
};

/*
 * The end of a remote call (authorize, capture): rc 0, -1, or an MP_ERR_*
 * (> 0) the user is answered with instead of MP_ERR_PAYMENT (roam); text
 * is the authorisation's reference (authorize, rc 0) or the reason.
 * Called exactly once, possibly before the call that started it returns.
 */
typedef void (*payment_done_fn)(void *arg, int rc, const char *text);

struct payment_method {
	int id; /* enum mp_method */
	const char *name;
	int offline; /* deposit only through the operator */
	/*
	 * Remote methods only (NULL for local ones), outside any store
	 * transaction and without blocking: authorize holds c->deposit with
	 * `param` (the user's token) before deposit runs with the
	 * authorisation's reference as its param; capture takes the charge
	 * (c->deposit - refund) of c->payref before refund runs.
	 */
	void (*authorize)(const struct payment_method *self,
			  const struct contract_rec *c, const char *param,
			  payment_done_fn done, void *arg);
	void (*capture)(const struct payment_method *self,
			const struct contract_rec *c, uint64_t refund,
			payment_done_fn done, void *arg);
	/*
	 * Remote methods: authorize's hold `auth` (NULL: unknown) will not
	 * be used (the establishment after it failed): release it at the
	 * party.  done: rc 0 the party confirmed, -1 not yet (the method
	 * keeps trying on its own).
	 */
	void (*cancel)(const struct payment_method *self,
		       const struct contract_rec *c, const char *auth,
		       payment_done_fn done, void *arg);
	/* Take c->deposit using `param`; fills c->payref / c->room.
	 * 0, or -1 with a reason in err. */
	int (*deposit)(const struct payment_method *self, struct store *st,
		       struct contract_rec *c, const char *param, uint64_t now,
		       char *err, size_t errlen);
	/* Return `refund` the method's way; append lines to s. */
	int (*refund)(const struct payment_method *self, struct store *st,
		      const struct contract_rec *c, uint64_t refund,
		      uint64_t now, struct statement *s);
};

/* The methods of a daemon, by id.  The core knows none of them: each
 * method's file defines its own, the daemon registers what it offers. */
struct payment_registry {
	const struct payment_method *by_id[__MP_METHOD_LAST];
};

int payment_register(struct payment_registry *r,
		     const struct payment_method *m);
const struct payment_method *payment_lookup(const struct payment_registry *r,
					    int id);

/* The shipped methods (payment_voucher.c, payment_desk.c). */
extern const struct payment_method payment_voucher, payment_room, payment_cash;

/* Append a statement line (methods use it for their refund lines). */
void payment_statement_line(struct statement *s, uint64_t amount, int credit,
			    const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* 1 if p is 1..max printable non-space ASCII characters. */
int payment_printable(const char *p, size_t max);

/*
 * Settle c with method m (paper §8): compute charge and refund (full =
 * deposit kept), call the method's refund, record the statement and set
 * c->charge, c->refund, c->settled_at.  The caller stores c and commits.
 */
int payment_settle(struct store *st, const struct payment_method *m,
		   struct contract_rec *c, int full, const char *why,
		   uint64_t now, struct statement *s);

/* Random code XXXX-XXXX-XXXX-XXXX (80 bits, no look-alike letters). */
int payment_code_generate(char *out, size_t cap);
int payment_voucher_issue(struct store *st, uint64_t amount, uint64_t now,
			  uint64_t expiry, char *code, size_t cap);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Payment plug-in interface (paper §6 step 3 and §8).  A method takes the
 * deposit (equal to the cost of the hard limit) and settles: the deposit
 * is kept when the contract expired or reached its hard limit, otherwise
 * the unused part is refunded or adjusted the method's way.  Both run
 * inside the caller's store transaction, so a deposit and the contract it
 * pays for commit together or not at all.
 *
 * Shipped methods:
 *   voucher  operator-issued prepaid code; deposit debits the code's
 *            balance, settlement credits the residual back to it.
 *   room     billing to a room account (offline: the operator creates the
 *            contract and hands out a password); settlement posts an
 *            adjustment to the room ledger.
 *   cash     offline at the desk; settlement records the cash refund due.
 *   online   a separate payment-provider process over HTTP/JSON
 *            (payment_online.c): authorise the deposit, capture the charge.
 */
#ifndef MUISP_PAYMENT_H
#define MUISP_PAYMENT_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define PAY_MAX_LINES	8

struct statement {
	uint64_t charge, refund;
	unsigned n;
	struct stmt_line lines[PAY_MAX_LINES];
};

struct payment_method {
	int id;			/* enum mp_method */
	const char *name;
	int offline;		/* deposit only through the operator */
	/* Take c->deposit using `param`; fills c->payref / c->room.
	 * 0, or -1 with a reason in err. */
	int (*deposit)(struct store *st, struct contract_rec *c,
		       const char *param, uint64_t now, char *err,
		       size_t errlen);
	/* Return `refund` the method's way; append lines to s. */
	int (*refund)(struct store *st, const struct contract_rec *c,
		      uint64_t refund, uint64_t now, struct statement *s);
};

const struct payment_method *payment_method_get(int id);
/* Append a statement line (methods use it for their refund lines). */
void payment_statement_line(struct statement *s, uint64_t amount, int credit,
			    const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Settle c (paper §8): compute charge and refund (full = deposit kept),
 * call the method's refund, record the statement and set c->charge,
 * c->refund, c->settled_at.  The caller stores c and commits.
 */
int payment_settle(struct store *st, struct contract_rec *c, int full,
		   const char *why, uint64_t now, struct statement *s);

/* Random code XXXX-XXXX-XXXX-XXXX (80 bits, no look-alike letters). */
int payment_code_generate(char *out, size_t cap);
int payment_voucher_issue(struct store *st, uint64_t amount, uint64_t now,
			  uint64_t expiry, char *code, size_t cap);

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * Payment methods taken at the desk (offline: the operator creates the
 * contract and hands out a password): "room" bills a room account and
 * settles with an adjustment to its ledger; "cash" records the cash
 * refund due.
 */
#include <stdio.h>

#include "payment.h"

static int room_deposit(const struct payment_method *self, struct store *st,
			struct contract_rec *c, const char *room, uint64_t now,
			char *err, size_t errlen)
{
	if (!room || !payment_printable(room, 31)) {
		snprintf(err, errlen, "room account missing or malformed");
		return -1;
	}
	snprintf(c->room, sizeof(c->room), "%s", room);
	snprintf(c->payref, sizeof(c->payref), "room %s", room);
	if (store_ledger_add(st, room, c->serial, "internet deposit",
			     c->deposit, 0, now)) {
		snprintf(err, errlen, "ledger update failed");
		return -1;
	}
	return 0;
}

static int room_refund(const struct payment_method *self, struct store *st,
		       const struct contract_rec *c, uint64_t refund,
		       uint64_t now, struct statement *s)
{
	if (!refund)
		return 0;
	if (store_ledger_add(st, c->room, c->serial, "internet adjustment",
			     refund, 1, now))
		return -1;
	payment_statement_line(s, refund, 1, "adjustment to room %s", c->room);
	return 0;
}

static int cash_deposit(const struct payment_method *self, struct store *st,
			struct contract_rec *c, const char *param, uint64_t now,
			char *err, size_t errlen)
{
	snprintf(c->payref, sizeof(c->payref), "cash");
	return 0;
}

static int cash_refund(const struct payment_method *self, struct store *st,
		       const struct contract_rec *c, uint64_t refund,
		       uint64_t now, struct statement *s)
{
	if (refund)
		payment_statement_line(s, refund, 1,
				       "cash refund due at the desk");
	return 0;
}

const struct payment_method payment_room = {
	.id = MP_METHOD_ROOM,
	.name = "room",
	.offline = 1,
	.deposit = room_deposit,
	.refund = room_refund,
};

const struct payment_method payment_cash = {
	.id = MP_METHOD_CASH,
	.name = "cash",
	.offline = 1,
	.deposit = cash_deposit,
	.refund = cash_refund,
};

// SPDX-License-Identifier: GPL-2.0
/* Payment methods and settlement: see payment.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "contract.h"
#include "payment.h"
#include "payment_online.h"
#include "proto.h"

#define add_line payment_statement_line

void payment_statement_line(struct statement *s, uint64_t amount, int credit,
			    const char *fmt, ...)
{
	struct stmt_line *l;
	va_list ap;

	if (s->n >= PAY_MAX_LINES)
		return;
	l = &s->lines[s->n++];
	va_start(ap, fmt);
	vsnprintf(l->desc, sizeof(l->desc), fmt, ap);
	va_end(ap);
	l->amount = amount;
	l->credit = credit;
}

static int printable(const char *p, size_t max)
{
	size_t n = strnlen(p, max + 1);

	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return 0;
	return 1;
}

static int voucher_deposit(struct store *st, struct contract_rec *c,
			   const char *code, uint64_t now, char *err,
			   size_t errlen)
{
	uint64_t bal, expiry;
	int rc;

	if (!code || !printable(code, RECEIPT_PAYREF_LEN)) {
		snprintf(err, errlen, "voucher code missing or malformed");
		return -1;
	}
	rc = store_voucher_get(st, code, &bal, &expiry);
	if (rc) {
		snprintf(err, errlen, rc > 0 ? "unknown voucher" :
			 "voucher lookup failed");
		return -1;
	}
	if (expiry && now > expiry) {
		snprintf(err, errlen, "voucher expired");
		return -1;
	}
	if (bal < c->deposit) {
		snprintf(err, errlen, "voucher balance %llu below deposit %llu",
			 (unsigned long long)bal,
			 (unsigned long long)c->deposit);
		return -1;
	}
	if (store_voucher_set(st, code, bal - c->deposit)) {
		snprintf(err, errlen, "voucher update failed");
		return -1;
	}
	snprintf(c->payref, sizeof(c->payref), "%s", code);
	return 0;
}

static int voucher_refund(struct store *st, const struct contract_rec *c,
			  uint64_t refund, uint64_t now, struct statement *s)
{
	uint64_t bal, expiry;

	if (store_voucher_get(st, c->payref, &bal, &expiry))
		return -1;
	if (refund && store_voucher_set(st, c->payref, bal + refund))
		return -1;
	if (refund)
		add_line(s, refund, 1, "residual credited to voucher %s "
			 "(balance %llu)", c->payref,
			 (unsigned long long)(bal + refund));
	return 0;
}

static int room_deposit(struct store *st, struct contract_rec *c,
			const char *room, uint64_t now, char *err,
			size_t errlen)
{
	if (!room || !printable(room, 31)) {
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

static int room_refund(struct store *st, const struct contract_rec *c,
		       uint64_t refund, uint64_t now, struct statement *s)
{
	if (!refund)
		return 0;
	if (store_ledger_add(st, c->room, c->serial, "internet adjustment",
			     refund, 1, now))
		return -1;
	add_line(s, refund, 1, "adjustment to room %s", c->room);
	return 0;
}

static int cash_deposit(struct store *st, struct contract_rec *c,
			const char *param, uint64_t now, char *err,
			size_t errlen)
{
	snprintf(c->payref, sizeof(c->payref), "cash");
	return 0;
}

static int cash_refund(struct store *st, const struct contract_rec *c,
		       uint64_t refund, uint64_t now, struct statement *s)
{
	if (refund)
		add_line(s, refund, 1, "cash refund due at the desk");
	return 0;
}

static const struct payment_method methods[] = {
	{ MP_METHOD_VOUCHER, "voucher", 0, voucher_deposit, voucher_refund },
	{ MP_METHOD_ROOM, "room", 1, room_deposit, room_refund },
	{ MP_METHOD_CASH, "cash", 1, cash_deposit, cash_refund },
};

const struct payment_method *payment_method_get(int id)
{
	if (id == MP_METHOD_ONLINE)
		return &payment_online;
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (methods[i].id == id)
			return &methods[i];
	return NULL;
}

int payment_settle(struct store *st, struct contract_rec *c, int full,
		   const char *why, uint64_t now, struct statement *s)
{
	const struct payment_method *m = payment_method_get(c->method);
	uint64_t charge, refund;

	memset(s, 0, sizeof(*s));
	if (!m)
		return -1;
	contract_settle_amounts(c->deposit, c->price, c->unit, c->usage, full,
				&charge, &refund);
	add_line(s, c->deposit, 0, "deposit (%s %s)", m->name, c->payref);
	if (full)
		add_line(s, 0, 0, "deposit retained: %s", why);
	else
		add_line(s, 0, 0, "usage %llu %s at %llu per %llu = %llu",
			 (unsigned long long)c->usage,
			 mp_metric_name(c->metric),
			 (unsigned long long)c->price,
			 (unsigned long long)c->unit,
			 (unsigned long long)charge);
	if (m->refund(st, c, refund, now, s))
		return -1;
	if (store_statement_put(st, c->serial, s->lines, s->n))
		return -1;
	s->charge = charge;
	s->refund = refund;
	c->charge = charge;
	c->refund = refund;
	c->settled_at = now;
	return 0;
}

int payment_code_generate(char *out, size_t cap)
{
	static const char alpha[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	uint8_t r[16];
	size_t o = 0;

	if (cap < 20 || RAND_bytes(r, sizeof(r)) != 1)
		return -1;
	for (int i = 0; i < 16; i++) {
		if (i && i % 4 == 0)
			out[o++] = '-';
		out[o++] = alpha[r[i] & 31];
	}
	out[o] = '\0';
	return 0;
}

int payment_voucher_issue(struct store *st, uint64_t amount, uint64_t now,
			  uint64_t expiry, char *code, size_t cap)
{
	if (payment_code_generate(code, cap))
		return -1;
	return store_voucher_put(st, code, amount, now, expiry);
}

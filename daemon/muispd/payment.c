// SPDX-License-Identifier: GPL-2.0
/* Payment core: registry, statements, settlement, codes (see payment.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "contract.h"
#include "payment.h"
#include "proto.h"

#define add_line payment_statement_line

int payment_register(struct payment_registry *r, const struct payment_method *m)
{
	if (!m || m->id <= 0 || m->id >= __MP_METHOD_LAST)
		return -1;
	r->by_id[m->id] = m;
	return 0;
}

const struct payment_method *payment_lookup(const struct payment_registry *r,
					    int id)
{
	if (id <= 0 || id >= __MP_METHOD_LAST)
		return NULL;
	return r->by_id[id];
}

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

int payment_printable(const char *p, size_t max)
{
	size_t n = strnlen(p, max + 1);

	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return 0;
	return 1;
}

int payment_settle(struct store *st, const struct payment_method *m,
		   struct contract_rec *c, int full, const char *why,
		   uint64_t now, struct statement *s)
{
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
	if (m->refund(m, st, c, refund, now, s))
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
	char half[10], other[32];
	int r;

	/* The first half is the code's EAP username (contract_eap_creds):
	 * unique among the vouchers. */
	for (int tries = 0; tries < 8; tries++) {
		if (payment_code_generate(code, cap))
			return -1;
		snprintf(half, sizeof(half), "%.9s", code);
		r = store_voucher_by_eap_user(st, half, other, sizeof(other));
		if (r < 0)
			return -1;
		if (r == 1)
			return store_voucher_put(st, code, amount, now, expiry);
	}
	return -1;
}

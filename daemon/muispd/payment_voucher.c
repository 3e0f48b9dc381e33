// SPDX-License-Identifier: GPL-2.0
/*
 * Payment method "voucher": an operator-issued prepaid code.  The deposit
 * debits the code's balance; settlement credits the residual back to it.
 */
#include <stdio.h>

#include "payment.h"

static int voucher_deposit(const struct payment_method *self, struct store *st,
			   struct contract_rec *c, const char *code,
			   uint64_t now, char *err, size_t errlen)
{
	uint64_t bal, expiry;
	int rc;

	if (!code || !payment_printable(code, RECEIPT_PAYREF_LEN)) {
		snprintf(err, errlen, "voucher code missing or malformed");
		return -1;
	}
	rc = store_voucher_get(st, code, &bal, &expiry);
	if (rc) {
		snprintf(err, errlen,
			 rc > 0 ? "unknown voucher" : "voucher lookup failed");
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

static int voucher_refund(const struct payment_method *self, struct store *st,
			  const struct contract_rec *c, uint64_t refund,
			  uint64_t now, struct statement *s)
{
	uint64_t bal, expiry;

	if (store_voucher_get(st, c->payref, &bal, &expiry))
		return -1;
	if (refund && store_voucher_set(st, c->payref, bal + refund))
		return -1;
	if (refund)
		payment_statement_line(s, refund, 1,
				       "residual credited to "
				       "voucher %s (balance %llu)",
				       c->payref,
				       (unsigned long long)(bal + refund));
	return 0;
}

const struct payment_method payment_voucher = {
	.id = MP_METHOD_VOUCHER,
	.name = "voucher",
	.deposit = voucher_deposit,
	.refund = voucher_refund,
};

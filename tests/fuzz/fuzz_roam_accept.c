// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the roaming Access-Accept (daemon/muispd/
 * payment_radius.c): what the home server sends through the proxy becomes
 * a contract's limits.  The input is a RADIUS datagram (rad_parse first,
 * as radclient.c does; its authenticator is not checked here).
 *
 * Checks:
 *   - roam_accept_parse succeeds exactly on an Access-Accept;
 *   - User-Name and realm are NUL-terminated inside their fields; the
 *     Class block holds whole Class TLVs only (they tile it exactly) and
 *     at most its size;
 *   - roam_limits_apply never widens a contract: hard, soft and expiry
 *     only shrink, soft <= hard, hard >= 1, the deposit is the cost of
 *     the new hard limit; a refusal (a quota on a contract that meters no
 *     bytes) leaves an error text and happens only then.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "daemon/muispd/payment_radius.h"
#include "proto.h"
#include "radius.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void limits(const struct roam_auth *a, uint8_t metric)
{
	struct contract_rec c, o;
	char err[160] = "";
	int r;

	memset(&c, 0, sizeof(c));
	c.metric = metric;
	c.method = MP_METHOD_ROAM;
	c.soft = 90000000;
	c.hard = 100000000;
	c.price = 3;
	c.unit = 1000000;
	c.deposit = contract_cost(c.price, c.unit, c.hard);
	c.issued = 1764000000;
	c.expiry = c.issued + 86400;
	o = c;
	r = roam_limits_apply(&c, a, c.issued, err, sizeof(err));
	if (r) {
		if (r != -1 || !err[0] || !a->quota ||
		    metric == MP_METRIC_BYTES)
			abort();
		return;
	}
	if (c.hard > o.hard || c.soft > o.soft || c.expiry > o.expiry ||
	    c.soft > c.hard || !c.hard ||
	    c.deposit != contract_cost(c.price, c.unit, c.hard))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rad_pkt p;
	struct roam_auth a;
	size_t o = 0;
	int r;

	if (rad_parse(data, size, &p))
		return 0;
	r = roam_accept_parse(&p, "u@partner.example", &a);
	if ((r == 0) != (p.code == RAD_ACCESS_ACCEPT))
		abort();
	if (r)
		return 0;
	if (!memchr(a.user_name, 0, sizeof(a.user_name)) ||
	    !memchr(a.realm, 0, sizeof(a.realm)) || !a.user_name[0] ||
	    a.class_len > sizeof(a.class_tlv))
		abort();
	while (o < a.class_len) {
		if (a.class_tlv[o] != RAD_CLASS || a.class_tlv[o + 1] < 2)
			abort();
		o += a.class_tlv[o + 1];
	}
	if (o != a.class_len)
		abort();
	limits(&a, MP_METRIC_BYTES);
	limits(&a, MP_METRIC_ELAPSED);
	limits(&a, MP_METRIC_USAGE_TIME);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/* Contract and address state machines: see contract.h. */
#include <ctype.h>
#include <string.h>

#include "contract.h"

#define S(x)  (1u << (x))
#define BOUND (S(CS_SUSPENDED) | S(CS_ACTIVE) | S(CS_DELINQUENT))
#define LIVE  (S(CS_UNBOUND) | BOUND)

/* For each event, the states it is allowed in. */
static const unsigned allowed[__CE_COUNT] = {
	[CE_BIND] = S(CS_UNBOUND),	[CE_UNBIND] = BOUND,
	[CE_START] = S(CS_SUSPENDED),	[CE_SUSPEND] = S(CS_ACTIVE),
	[CE_SOFT_LIMIT] = S(CS_ACTIVE), [CE_EXTEND] = BOUND,
	[CE_HARD_LIMIT] = LIVE,		[CE_EXPIRE] = LIVE,
	[CE_TERMINATE] = LIVE,		[CE_SETTLE] = S(CS_IN_SETTLEMENT),
	[CE_ELSEWHERE] = BOUND,		[CE_NO_ANSWER] = BOUND,
};

int contract_step(const struct contract_fsm *in, enum contract_event ev,
		  uint64_t arg, struct contract_fsm *out)
{
	struct contract_fsm n = *in;

	*out = *in;
	if ((unsigned)in->state >= __CS_COUNT || (unsigned)ev >= __CE_COUNT)
		return CONTRACT_E_INVAL;
	if (!(allowed[ev] & S(in->state)))
		return CONTRACT_E_STATE;
	switch (ev) {
	case CE_BIND:
		n.state = CS_SUSPENDED;
		break;
	case CE_UNBIND:
	case CE_NO_ANSWER:
		n.state = CS_UNBOUND;
		break;
	case CE_START:
		n.state = CS_ACTIVE;
		break;
	case CE_SUSPEND:
		n.state = CS_SUSPENDED;
		break;
	case CE_SOFT_LIMIT:
		n.state = CS_DELINQUENT;
		break;
	case CE_EXTEND:
		if (arg <= in->soft || arg > in->hard || arg <= in->usage)
			return CONTRACT_E_LIMIT;
		n.soft = arg;
		if (in->state == CS_DELINQUENT)
			n.state = CS_ACTIVE;
		break;
	case CE_HARD_LIMIT:
	case CE_EXPIRE:
	case CE_SETTLE:
		n.state = CS_EXTINGUISHED;
		break;
	case CE_TERMINATE:
		n.state = CS_IN_SETTLEMENT;
		break;
	case CE_ELSEWHERE:
		break;
	default:
		return CONTRACT_E_INVAL;
	}
	*out = n;
	return CONTRACT_OK;
}

int contract_limit_event(const struct contract_fsm *c)
{
	if (!(LIVE & S(c->state)) || (unsigned)c->state >= __CS_COUNT)
		return -1;
	if (c->usage >= c->hard)
		return CE_HARD_LIMIT;
	if (c->state == CS_ACTIVE && c->usage >= c->soft)
		return CE_SOFT_LIMIT;
	return -1;
}

#define A(x) (1u << (x))
static const unsigned addr_allowed[__AE_COUNT] = {
	[AE_ALLOCATE] = A(AS_UNALLOCATED),
	[AE_EXPIRE] = A(AS_ALLOCATED) | A(AS_BOUND),
	[AE_BIND] = A(AS_ALLOCATED),
	[AE_CONTRACT_UNBOUND] = A(AS_BOUND),
	[AE_CONTRACT_EXTINGUISHED] = A(AS_BOUND),
	[AE_ELSEWHERE_NO_ANSWER] = A(AS_BOUND),
};

int addr_step(enum addr_state in, enum addr_event ev, enum addr_state *out)
{
	*out = in;
	if ((unsigned)in >= __AS_COUNT || (unsigned)ev >= __AE_COUNT)
		return CONTRACT_E_INVAL;
	if (!(addr_allowed[ev] & A(in)))
		return CONTRACT_E_STATE;
	switch (ev) {
	case AE_ALLOCATE:
		*out = AS_ALLOCATED;
		break;
	case AE_BIND:
		*out = AS_BOUND;
		break;
	default:
		*out = AS_UNALLOCATED;
		break;
	}
	return CONTRACT_OK;
}

uint64_t contract_cost(uint64_t price, uint64_t unit, uint64_t usage)
{
	unsigned __int128 c;

	if (!unit)
		return UINT64_MAX;
	c = (unsigned __int128)price * usage;
	c = (c + unit - 1) / unit;
	return c > UINT64_MAX ? UINT64_MAX : (uint64_t)c;
}

uint64_t contract_affordable(uint64_t price, uint64_t unit, uint64_t money)
{
	unsigned __int128 u;

	if (!price)
		return UINT64_MAX;
	u = (unsigned __int128)money * unit / price;
	return u > UINT64_MAX ? UINT64_MAX : (uint64_t)u;
}

void contract_settle_amounts(uint64_t deposit, uint64_t price, uint64_t unit,
			     uint64_t usage, int full, uint64_t *charge,
			     uint64_t *refund)
{
	uint64_t c = full ? deposit : contract_cost(price, unit, usage);

	if (c > deposit)
		c = deposit;
	*charge = c;
	*refund = deposit - c;
}

int contract_payer_user(const char *payer, uint32_t *user)
{
	const char *at = strchr(payer, '@');
	uint64_t v = 0;

	if (!at || at == payer)
		return 0;
	for (const char *p = payer; p < at; p++) {
		if (!isdigit((unsigned char)*p) || v > UINT32_MAX / 10)
			return 0;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v > UINT32_MAX)
		return 0;
	*user = (uint32_t)v;
	return 1;
}

const char *contract_state_name(int s)
{
	static const char *const n[__CS_COUNT] = {
		"unbound",    "suspended",     "active",
		"delinquent", "in-settlement", "extinguished",
	};

	return (unsigned)s < __CS_COUNT ? n[s] : "unknown";
}

const char *contract_event_name(int e)
{
	static const char *const n[__CE_COUNT] = {
		"bind",	      "unbind", "start",      "suspend",
		"soft-limit", "extend", "hard-limit", "expire",
		"terminate",  "settle", "elsewhere",  "no-answer",
	};

	return (unsigned)e < __CE_COUNT ? n[e] : "unknown";
}

const char *addr_state_name(int s)
{
	static const char *const n[__AS_COUNT] = {
		"unallocated",
		"allocated",
		"bound",
	};

	return (unsigned)s < __AS_COUNT ? n[s] : "unknown";
}

int contract_eap_creds(const char *code, char *user, size_t ulen, char *pass,
		       size_t plen)
{
	if (!code || strlen(code) != 19 || ulen < 10 || plen < 10)
		return -1;
	for (int i = 0; i < 19; i++)
		if ((i % 5 == 4) != (code[i] == '-') ||
		    (code[i] != '-' && !isalnum((unsigned char)code[i])))
			return -1;
	memcpy(user, code, 9);
	user[9] = '\0';
	memcpy(pass, code + 10, 9);
	pass[9] = '\0';
	return 0;
}

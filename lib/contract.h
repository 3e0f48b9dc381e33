/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Contract and address state machines of the muisp paper (Figs 4 and 5),
 * as pure functions over values: no I/O, no clock, no globals.
 *
 * Contract (Fig 4):
 *   outstanding = { unbound, bound = { suspended, active, delinquent },
 *                   in settlement }           -> extinguished
 *
 *   unbound      --bind-->                 suspended
 *   bound(*)     --unbind (lease/SA expiry)--> unbound
 *   bound(*)     --no answer after elsewhere--> unbound
 *   bound(*)     --presented elsewhere-->  same state (warn old address)
 *   suspended    --start/resume-->         active
 *   active       --suspend-->              suspended
 *   active       --soft limit reached-->   delinquent
 *   delinquent   --valid extend-->         active
 *   suspended, active --valid extend-->    same state, soft raised
 *   unbound, bound(*) --hard limit | expiry--> extinguished
 *   unbound, bound(*) --terminate-->       in settlement
 *   in settlement --settle-->              extinguished
 *
 * A valid extend raises the soft limit to s with soft < s <= hard and
 * s > usage.  Anything else is refused and leaves the input unchanged.
 *
 * Address (Fig 5):
 *   unallocated --DHCP allocates-->        allocated
 *   allocated   --lease/SA expiry-->       unallocated
 *   allocated   --contract bound-->        bound
 *   bound       --lease/SA expiry | contract unbound | contract
 *                 extinguished | elsewhere and no answer--> unallocated
 */
#ifndef MUISP_CONTRACT_H
#define MUISP_CONTRACT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum contract_state {
	CS_UNBOUND = 0,
	CS_SUSPENDED,
	CS_ACTIVE,
	CS_DELINQUENT,
	CS_IN_SETTLEMENT,
	CS_EXTINGUISHED,
	__CS_COUNT
};

enum contract_event {
	CE_BIND = 0,
	CE_UNBIND, /* DHCP lease or IPsec SA expired */
	CE_START,  /* start/resume command */
	CE_SUSPEND,
	CE_SOFT_LIMIT, /* usage reached the soft limit */
	CE_EXTEND,     /* arg: new soft limit */
	CE_HARD_LIMIT, /* usage reached the hard limit */
	CE_EXPIRE,
	CE_TERMINATE,
	CE_SETTLE,
	CE_ELSEWHERE, /* receipt presented from another address */
	CE_NO_ANSWER, /* ... and the bound address did not answer */
	__CE_COUNT
};

enum contract_err {
	CONTRACT_OK = 0,
	CONTRACT_E_STATE = -1, /* event not allowed in this state */
	CONTRACT_E_LIMIT = -2, /* extend to an invalid soft limit */
	CONTRACT_E_INVAL = -3, /* unknown state or event */
};

struct contract_fsm {
	enum contract_state state;
	uint64_t usage, soft, hard;
};

/* Apply ev to *in.  On success *out is the next value; on error *out is a
 * copy of *in. */
int contract_step(const struct contract_fsm *in, enum contract_event ev,
		  uint64_t arg, struct contract_fsm *out);
/* Which limit event the current usage calls for: CE_HARD_LIMIT,
 * CE_SOFT_LIMIT (only when active), or -1 for none. */
int contract_limit_event(const struct contract_fsm *c);
static inline int contract_is_bound(enum contract_state s)
{
	return s == CS_SUSPENDED || s == CS_ACTIVE || s == CS_DELINQUENT;
}
static inline int contract_is_outstanding(enum contract_state s)
{
	return s <= CS_IN_SETTLEMENT;
}

/*
 * Who a contract is bound to (its "addr"): an address, or a user of a
 * multi-user host, "ID@ADDRESS" with the user's Accounting ID, when the
 * host's agent said that user opened the buyer's connection (per-user
 * accounting, docs/DESIGN.md).  The host's address of either: the
 * address itself, or what follows the '@'.
 */
static inline const char *contract_payer_host(const char *payer)
{
	const char *at = strchr(payer, '@');

	return at ? at + 1 : payer;
}
/* 1 and *user if payer is a user of a host ("ID@ADDRESS"), else 0. */
int contract_payer_user(const char *payer, uint32_t *user);

enum addr_state { AS_UNALLOCATED = 0, AS_ALLOCATED, AS_BOUND, __AS_COUNT };

enum addr_event {
	AE_ALLOCATE = 0, /* DHCP allocates the address */
	AE_EXPIRE,	 /* lease or SA expired */
	AE_BIND,	 /* a contract is bound to it */
	AE_CONTRACT_UNBOUND,
	AE_CONTRACT_EXTINGUISHED,
	AE_ELSEWHERE_NO_ANSWER,
	__AE_COUNT
};

int addr_step(enum addr_state in, enum addr_event ev, enum addr_state *out);

/* Money for `usage` at `price` per `unit` metric units, rounded up,
 * saturating at UINT64_MAX. */
uint64_t contract_cost(uint64_t price, uint64_t unit, uint64_t usage);

/* The most usage `money` pays for at `price` per `unit` (its cost never
 * exceeds money), saturating; UINT64_MAX when the price is 0. */
uint64_t contract_affordable(uint64_t price, uint64_t unit, uint64_t money);

/*
 * Settlement (paper §8): the deposit is kept whole when the contract
 * expired or reached its hard limit (full = 1); otherwise the charge is
 * the cost of the usage, capped at the deposit, and the rest is refunded.
 */
void contract_settle_amounts(uint64_t deposit, uint64_t price, uint64_t unit,
			     uint64_t usage, int full, uint64_t *charge,
			     uint64_t *refund);

/*
 * The EAP credentials of a voucher code (native IKEv2 clients, see
 * docs/DESIGN.md "Devices without muisp-client"): the code
 * XXXX-XXXX-XXXX-XXXX is typed as username XXXX-XXXX (its first half) and
 * password XXXX-XXXX (its second half).  0, or -1 when CODE is not of that
 * form or a buffer is shorter than 10 bytes.
 */
int contract_eap_creds(const char *code, char *user, size_t ulen, char *pass,
		       size_t plen);

const char *contract_state_name(int s);
const char *contract_event_name(int e);
const char *addr_state_name(int s);

#endif

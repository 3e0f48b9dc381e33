/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tunnel identity bookkeeping of muispd: which IPsec SA the kernel's
 * address entry names (MUISP_ADDR_A_XFRM_*), decided from the entry as the
 * module has it and the CHILD_SAs charon reports for the address.  Pure
 * functions over values (no I/O), unit-tested in tests/unit/test_tunnel.c;
 * server.c reads the entry, calls these and writes the result.
 *
 * Rules (docs/DESIGN.md, "Tunnel identity and muispd"):
 *   - An address with exactly one tunnel-mode CHILD_SA and no identity
 *     gets that SA's (proto, inbound SPI, reqid).
 *   - A rekey of the recorded SA moves it: the new SPI becomes current,
 *     the old one previous (tun_rekey); when the old SA is gone the
 *     previous slot is cleared (tun_prev_gone).  Rekeys of other SAs
 *     change nothing.
 *   - The recorded SA going away (deletion, expiry, charon restart)
 *     clears the identity; a bound address is unbound (Fig 5: the address
 *     becomes unallocated, its contract outstanding-unbound).
 *   - Several SAs claiming one address (anyone on the shared LAN can run
 *     IKE from a spoofed source): if the address is bound, the recorded SA
 *     stays, because it is the one that paid -- the bind request had to
 *     come through it, the kernel drops anything else from the address; if
 *     it is not bound, the identity is cleared so that neither can bind
 *     until only one is left.
 */
#ifndef MUISPD_TUNNEL_H
#define MUISPD_TUNNEL_H

#include <stddef.h>
#include <stdint.h>

/* What the kernel entry records (host order; spi 0: no identity). */
struct tun_id {
	uint8_t proto;	   /* IPPROTO_AH / IPPROTO_ESP, 0 without spi */
	uint32_t spi;	   /* inbound SPI of the current SA */
	uint32_t spi_prev; /* inbound SPI of the SA a rekey replaced */
	uint32_t reqid;	   /* 0: not checked */
};

/* One CHILD_SA charon has up for the address (tunnel mode only). */
struct tun_sa {
	uint8_t proto;
	uint32_t spi; /* inbound */
	uint32_t reqid;
};

/* The module's address entry as far as it matters here. */
struct tun_entry {
	int exists;
	uint8_t state;	   /* enum muisp_addr_state */
	uint64_t contract; /* when BOUND */
	struct tun_id id;
};

struct tun_plan {
	int write;	    /* the entry must be written (ADDR_SET) */
	int lost;	    /* the SA of a bound address is gone: unbind */
	int ambiguous;	    /* more than one SA claims the address */
	struct tun_entry e; /* the entry to write */
};

/*
 * Rekey OLD -> NEW: if ID names OLD as its current SA, NEW becomes current
 * and OLD previous.  Returns 1 if ID changed, 0 if the rekey is of an SA
 * the entry does not name.
 */
int tun_rekey(struct tun_id *id, const struct tun_sa *old_sa,
	      const struct tun_sa *new_sa);
/* The SA with inbound SPI is gone: clear it from the previous slot.
 * Returns 1 if ID changed. */
int tun_prev_gone(struct tun_id *id, uint32_t spi);
/*
 * Plan the entry for an address: K is the entry as the module has it, ID
 * the identity to start from (K's, after tun_rekey/tun_prev_gone), LIVE
 * the NLIVE CHILD_SAs charon has up for the address.  The plan keeps K's
 * state and contract except when the recorded SA of a bound address is
 * gone (then UNALLOCATED, no contract, p->lost).  A new entry is planned
 * only to record an SA (state ALLOCATED).
 */
void tun_plan(const struct tun_entry *k, const struct tun_id *id,
	      const struct tun_sa *live, size_t nlive, struct tun_plan *p);

/* "unallocated", "allocated", "bound" (enum muisp_addr_state) */
const char *tun_state_name(uint8_t state);

#endif

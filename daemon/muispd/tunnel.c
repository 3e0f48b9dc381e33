// SPDX-License-Identifier: GPL-2.0
/* Tunnel identity bookkeeping of muispd: see tunnel.h. */
#include <string.h>

#include "tunnel.h"
#include "uapi/muisp.h"

int tun_rekey(struct tun_id *id, const struct tun_sa *old_sa,
	      const struct tun_sa *new_sa)
{
	if (!id->spi || id->spi != old_sa->spi || id->proto != old_sa->proto ||
	    !new_sa->spi || new_sa->spi == old_sa->spi)
		return 0;
	id->spi_prev = old_sa->spi;
	id->spi = new_sa->spi;
	id->proto = new_sa->proto;
	id->reqid = new_sa->reqid;
	return 1;
}

int tun_prev_gone(struct tun_id *id, uint32_t spi)
{
	if (!spi || id->spi_prev != spi)
		return 0;
	id->spi_prev = 0;
	return 1;
}

static const struct tun_sa *find(const struct tun_sa *live, size_t n,
				 uint8_t proto, uint32_t spi)
{
	for (size_t i = 0; i < n; i++)
		if (live[i].proto == proto && live[i].spi == spi)
			return &live[i];
	return NULL;
}

static int same_id(const struct tun_id *a, const struct tun_id *b)
{
	if (!a->spi && !b->spi)
		return 1;
	return a->spi == b->spi && a->proto == b->proto &&
	       a->spi_prev == b->spi_prev && a->reqid == b->reqid;
}

void tun_plan(const struct tun_entry *k, const struct tun_id *id,
	      const struct tun_sa *live, size_t nlive, struct tun_plan *p)
{
	const struct tun_sa *cur = NULL;
	int bound = k->exists && k->state == MUISP_ADDR_STATE_BOUND;

	memset(p, 0, sizeof(*p));
	p->ambiguous = nlive > 1;
	if (k->exists) {
		p->e = *k;
	} else {
		p->e.exists = 1;
		p->e.state = MUISP_ADDR_STATE_ALLOCATED;
	}
	p->e.id = *id;
	if (!p->e.id.spi)
		memset(&p->e.id, 0, sizeof(p->e.id));
	if (p->e.id.spi)
		cur = find(live, nlive, id->proto, id->spi);
	if (p->e.id.spi && !cur) {
		/* The recorded SA is gone (deleted or expired, not
		 * rekeyed): no identity, and a bound address loses its
		 * binding (Fig 5). */
		memset(&p->e.id, 0, sizeof(p->e.id));
		if (bound) {
			p->lost = 1;
			p->e.state = MUISP_ADDR_STATE_UNALLOCATED;
			p->e.contract = 0;
		}
	} else if (cur && p->ambiguous && !bound) {
		/* Two SAs claim an unbound address: neither may bind. */
		memset(&p->e.id, 0, sizeof(p->e.id));
	}
	/* The only SA of an address without identity is recorded (also
	 * right after a loss: the client rebinds from its receipt). */
	if (!p->e.id.spi && nlive == 1) {
		p->e.id.proto = live[0].proto;
		p->e.id.spi = live[0].spi;
		p->e.id.reqid = live[0].reqid;
	}
	if (!k->exists) {
		p->write = p->e.id.spi != 0;
		if (!p->write)
			memset(&p->e, 0, sizeof(p->e));
		return;
	}
	p->write = p->e.state != k->state || p->e.contract != k->contract ||
		   !same_id(&p->e.id, &k->id);
}

const char *tun_state_name(uint8_t state)
{
	switch (state) {
	case MUISP_ADDR_STATE_UNALLOCATED:
		return "unallocated";
	case MUISP_ADDR_STATE_ALLOCATED:
		return "allocated";
	case MUISP_ADDR_STATE_BOUND:
		return "bound";
	default:
		return "?";
	}
}

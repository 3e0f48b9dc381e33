// SPDX-License-Identifier: GPL-2.0
/* Ethernet source of a UDP datagram from the packet socket's copy of its
 * frame: see witness.h. */
#include <string.h>

#include "witness.h"

static uint32_t fnv1a(const uint8_t *p, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

void wit_init(struct witness *w)
{
	uint32_t i;

	memset(w, 0, sizeof(*w));
	/* Every entry starts used: nothing to match. */
	for (i = 0; i < WIT_SLOTS; i++)
		w->e[i].used = 1;
}

void wit_add(struct witness *w, const struct udp4_frame *f, const uint8_t *mac)
{
	struct wit_entry *e = &w->e[w->next];
	size_t n = f->len < WIT_PREFIX ? f->len : WIT_PREFIX;

	if (!e->used)
		w->evicted++;
	w->next = (w->next + 1) % WIT_SLOTS;
	e->saddr = f->saddr;
	e->daddr = f->daddr;
	e->sport = f->sport;
	e->len = (uint32_t)f->len;
	e->hash = fnv1a(f->payload, f->len);
	memcpy(e->prefix, f->payload, n);
	memcpy(e->mac, mac, 6);
	e->used = 0;
	w->added++;
}

int wit_take(struct witness *w, uint32_t saddr, uint32_t daddr, uint16_t sport,
	     const uint8_t *payload, size_t len, uint8_t *mac)
{
	size_t n = len < WIT_PREFIX ? len : WIT_PREFIX;
	uint32_t k, hash = 0;
	int hashed = 0;

	/* Oldest first: w->next is the oldest slot. */
	for (k = 0; k < WIT_SLOTS; k++) {
		struct wit_entry *e = &w->e[(w->next + k) % WIT_SLOTS];

		if (e->used || e->len != len || e->saddr != saddr ||
		    e->daddr != daddr || e->sport != sport ||
		    memcmp(e->prefix, payload, n))
			continue;
		if (!hashed) {
			hash = fnv1a(payload, len);
			hashed = 1;
		}
		if (e->hash != hash)
			continue;
		e->used = 1;
		memcpy(mac, e->mac, 6);
		w->matched++;
		return 1;
	}
	return 0;
}

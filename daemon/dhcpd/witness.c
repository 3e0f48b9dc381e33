// SPDX-License-Identifier: GPL-2.0
/* Ethernet source of a UDP datagram from the packet socket's copy of its
 * frame: see witness.h. */
#include <string.h>

#include "witness.h"

int wit_parse(const uint8_t *pkt, size_t len, struct wit_frame *f)
{
	size_t ihl, tot, ulen;

	if (len < 20 || (pkt[0] >> 4) != 4)
		return -1;
	ihl = (size_t)(pkt[0] & 0x0f) * 4;
	tot = (size_t)pkt[2] << 8 | pkt[3];
	if (ihl < 20 || tot < ihl + 8 || tot > len)
		return -1;
	/* More fragments, or a fragment offset: not a whole datagram. */
	if (((pkt[6] << 8 | pkt[7]) & 0x3fff) || pkt[9] != 17)
		return -1;
	ulen = (size_t)pkt[ihl + 4] << 8 | pkt[ihl + 5];
	if (ulen < 8 || ihl + ulen > tot)
		return -1;
	memcpy(&f->saddr, pkt + 12, 4);
	memcpy(&f->daddr, pkt + 16, 4);
	f->sport = (uint16_t)(pkt[ihl] << 8 | pkt[ihl + 1]);
	f->dport = (uint16_t)(pkt[ihl + 2] << 8 | pkt[ihl + 3]);
	f->payload = pkt + ihl + 8;
	f->len = ulen - 8;
	return 0;
}

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

void wit_add(struct witness *w, const struct wit_frame *f, const uint8_t *mac)
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

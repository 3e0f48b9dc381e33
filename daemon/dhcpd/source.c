// SPDX-License-Identifier: GPL-2.0
/* Ethernet sources: offers held and message rate per MAC; see source.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "source.h"

static const uint8_t zero_mac[6];

int src_init(struct src_table *t, uint32_t max)
{
	uint32_t j, nb = 1;

	memset(t, 0, sizeof(*t));
	if (max < 2)
		max = 2;
	while (nb < 2 * max)
		nb <<= 1;
	t->e = calloc(max, sizeof(*t->e));
	t->buckets = malloc(nb * sizeof(*t->buckets));
	if (!t->e || !t->buckets) {
		src_free(t);
		errno = ENOMEM;
		return -1;
	}
	for (j = 0; j < nb; j++)
		t->buckets[j] = SRC_NONE;
	t->nbuckets = nb;
	t->max = max;
	t->lru_head = t->lru_tail = SRC_NONE;
	/* Entry 0: the unknown source, outside the hash and the LRU. */
	t->e[SRC_UNKNOWN].used = 1;
	t->e[SRC_UNKNOWN].stamp = INT64_MIN;
	t->n = 1;
	return 0;
}

void src_free(struct src_table *t)
{
	free(t->e);
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

static uint32_t mac_hash(const struct src_table *t, const uint8_t *mac)
{
	uint32_t h = 2166136261u;
	unsigned int k;

	for (k = 0; k < 6; k++)
		h = (h ^ mac[k]) * 16777619u;
	return h & (t->nbuckets - 1);
}

static void lru_remove(struct src_table *t, uint32_t i)
{
	struct src_entry *e = &t->e[i];

	if (!e->on_lru)
		return;
	if (e->prev != SRC_NONE)
		t->e[e->prev].next = e->next;
	else
		t->lru_head = e->next;
	if (e->next != SRC_NONE)
		t->e[e->next].prev = e->prev;
	else
		t->lru_tail = e->prev;
	e->on_lru = 0;
}

static void lru_push_tail(struct src_table *t, uint32_t i)
{
	struct src_entry *e = &t->e[i];

	e->prev = t->lru_tail;
	e->next = SRC_NONE;
	if (t->lru_tail != SRC_NONE)
		t->e[t->lru_tail].next = i;
	else
		t->lru_head = i;
	t->lru_tail = i;
	e->on_lru = 1;
}

static void hash_remove(struct src_table *t, uint32_t i)
{
	uint32_t *pp;

	for (pp = &t->buckets[mac_hash(t, t->e[i].mac)]; *pp != SRC_NONE;
	     pp = &t->e[*pp].hnext) {
		if (*pp == i) {
			*pp = t->e[i].hnext;
			return;
		}
	}
}

uint32_t src_get(struct src_table *t, const uint8_t *mac)
{
	uint32_t b, i;
	struct src_entry *e;

	if (!mac || !memcmp(mac, zero_mac, 6))
		return SRC_UNKNOWN;
	b = mac_hash(t, mac);
	for (i = t->buckets[b]; i != SRC_NONE; i = t->e[i].hnext) {
		if (!memcmp(t->e[i].mac, mac, 6)) {
			if (t->e[i].on_lru) { /* most recently used: tail */
				lru_remove(t, i);
				lru_push_tail(t, i);
			}
			return i;
		}
	}
	if (t->n < t->max) {
		i = t->n++;
	} else {
		/* Reuse the least recently used idle entry. */
		i = t->lru_head;
		if (i == SRC_NONE)
			return SRC_UNKNOWN;
		lru_remove(t, i);
		hash_remove(t, i);
	}
	e = &t->e[i];
	memset(e, 0, sizeof(*e));
	memcpy(e->mac, mac, 6);
	e->used = 1;
	e->stamp = INT64_MIN; /* a full bucket at the first message */
	e->hnext = t->buckets[b];
	t->buckets[b] = i;
	lru_push_tail(t, i);
	return i;
}

int src_take(struct src_table *t, uint32_t i, uint32_t rate, int64_t now)
{
	struct src_entry *e = &t->e[i];
	uint64_t burst = 2 * (uint64_t)rate, v;

	if (!rate)
		return 1;
	if (e->stamp == INT64_MIN || now < e->stamp || now - e->stamp >= 2) {
		/* First message, the clock went back, or idle long enough
		 * to have refilled: a full bucket. */
		v = burst;
	} else {
		v = e->tokens + (uint64_t)(now - e->stamp) * rate;
		if (v > burst)
			v = burst;
	}
	e->stamp = now;
	if (!v) {
		e->tokens = 0;
		return 0;
	}
	e->tokens = (uint32_t)(v - 1);
	return 1;
}

void src_offer_add(struct src_table *t, uint32_t i)
{
	if (t->e[i].offers++ == 0)
		lru_remove(t, i);
}

void src_offer_del(struct src_table *t, uint32_t i)
{
	struct src_entry *e = &t->e[i];

	if (!e->offers)
		return;
	if (--e->offers == 0 && i != SRC_UNKNOWN)
		lru_push_tail(t, i);
}

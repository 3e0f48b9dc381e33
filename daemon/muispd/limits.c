// SPDX-License-Identifier: GPL-2.0
/*
 * muispd's limits per source address of the control channel: how many
 * connections an address holds and a token bucket of its messages (and
 * new connections).  The LAN is hostile: one host must not take the
 * daemon's connections, descriptors, memory or loop away from the others.
 * The bucket (struct bucket) also paces what is not an address's: a
 * packet-based agent session's reports (uinfo_report.c).
 *
 * One struct src per address with connections, or whose bucket is not
 * full yet (so closing and reconnecting does not refill it), in a hash
 * table of at most LIMITS_MAX_SRCS entries; limits_gc() drops the others
 * (the tick).  Times are milliseconds of the daemon's monotonic clock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "muispd.h"

#define SRC_BUCKETS 1024 /* power of two */

/* FNV-1a, seeded: addresses come from the network. */
static unsigned src_hash(const struct srctab *t, const char *addr)
{
	return fnv1a(FNV1A_INIT ^ t->seed, addr, strlen(addr)) &
	       (SRC_BUCKETS - 1);
}

int limits_init(struct srctab *t, uint32_t seed)
{
	t->b = calloc(SRC_BUCKETS, sizeof(*t->b));
	t->n = 0;
	t->seed = seed;
	return t->b ? 0 : -1;
}

void limits_free(struct srctab *t)
{
	if (!t->b)
		return;
	for (unsigned i = 0; i < SRC_BUCKETS; i++)
		while (t->b[i]) {
			struct src *s = t->b[i];

			t->b[i] = s->next;
			free(s);
		}
	free(t->b);
	t->b = NULL;
	t->n = 0;
}

/* addr's entry; created (bucket full) when create is set and there is
 * room.  NULL if absent or the table is full. */
struct src *limits_src(struct srctab *t, const char *addr, int create,
		       uint64_t now_ms, uint32_t burst)
{
	unsigned h;
	struct src *s;

	if (!t->b)
		return NULL;
	h = src_hash(t, addr);
	for (s = t->b[h]; s; s = s->next)
		if (!strcmp(s->addr, addr))
			return s;
	if (!create || t->n >= LIMITS_MAX_SRCS)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	snprintf(s->addr, sizeof(s->addr), "%s", addr);
	bucket_fill(&s->b, now_ms, burst);
	s->next = t->b[h];
	t->b[h] = s;
	t->n++;
	return s;
}

/* b full (burst tokens) as of now_ms. */
void bucket_fill(struct bucket *b, uint64_t now_ms, uint32_t burst)
{
	b->tokens = (uint64_t)burst * 1000;
	b->t_ms = now_ms;
}

static void refill(struct bucket *b, uint64_t now_ms, uint32_t rate,
		   uint32_t burst)
{
	uint64_t cap = (uint64_t)burst * 1000;

	if (b->tokens >= cap) { /* full, or a reload lowered the burst */
		b->tokens = cap;
	} else if (now_ms > b->t_ms) {
		/* rate tokens a second: rate thousandths a millisecond */
		uint64_t add = (now_ms - b->t_ms) * rate;

		b->tokens = add >= cap - b->tokens ? cap : b->tokens + add;
	}
	b->t_ms = now_ms;
}

/* Take one token from b: 1, or 0 when it is over its rate. */
int bucket_take(struct bucket *b, uint64_t now_ms, uint32_t rate,
		uint32_t burst)
{
	refill(b, now_ms, rate, burst);
	if (b->tokens < 1000)
		return 0;
	b->tokens -= 1000;
	return 1;
}

/* Take one token of s's address: 1, or 0 when it is over its rate. */
int limits_take(struct src *s, uint64_t now_ms, uint32_t rate, uint32_t burst)
{
	return bucket_take(&s->b, now_ms, rate, burst);
}

/* Drop the entries of addresses without connections whose bucket is
 * full again: they hold nothing any more.  Returns how many remain. */
unsigned limits_gc(struct srctab *t, uint64_t now_ms, uint32_t rate,
		   uint32_t burst)
{
	if (!t->b)
		return 0;
	for (unsigned i = 0; i < SRC_BUCKETS; i++) {
		struct src **pp = &t->b[i];

		while (*pp) {
			struct src *s = *pp;

			refill(&s->b, now_ms, rate, burst);
			if (s->conns || s->b.tokens < (uint64_t)burst * 1000) {
				pp = &s->next;
				continue;
			}
			*pp = s->next;
			free(s);
			t->n--;
		}
	}
	return t->n;
}

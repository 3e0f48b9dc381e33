// SPDX-License-Identifier: GPL-2.0
/* Address pool, unallocated FIFO, deadline heap, client hash: see pool.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "pool.h"

const char *addr_state_str(enum addr_state s)
{
	switch (s) {
	case ADDR_FREE:
		return "free";
	case ADDR_OFFERED:
		return "offered";
	case ADDR_LEASED:
		return "leased";
	case ADDR_QUARANTINE:
		return "quarantine";
	case ADDR_EXCLUDED:
		return "excluded";
	case ADDR_RESERVED:
		return "reserved";
	}
	return "?";
}

int pool_init(struct pool *p, const struct pool_range *ranges,
	      unsigned int nranges)
{
	uint64_t total = 0;
	uint32_t i, j, nb = 1;
	unsigned int r;

	memset(p, 0, sizeof(*p));
	for (r = 0; r < nranges; r++)
		total += (uint64_t)ranges[r].last - ranges[r].first + 1;
	if (total == 0 || total > POOL_MAX_ADDRS) {
		errno = ERANGE;
		return -1;
	}
	p->n = (uint32_t)total;
	while (nb < p->n)
		nb <<= 1;
	p->nbuckets = nb;
	p->a = calloc(p->n, sizeof(*p->a));
	p->heap = calloc(p->n, sizeof(*p->heap));
	p->buckets = malloc(nb * sizeof(*p->buckets));
	p->ranges = calloc(nranges, sizeof(*p->ranges));
	if (!p->a || !p->heap || !p->buckets || !p->ranges) {
		pool_free(p);
		errno = ENOMEM;
		return -1;
	}
	for (j = 0; j < nb; j++)
		p->buckets[j] = POOL_NONE;
	p->nranges = nranges;
	p->head = p->tail = POOL_NONE;
	p->qhead = p->qtail = POOL_NONE;
	p->rot = POOL_NONE;
	p->next_seq = 1;
	for (r = 0, i = 0; r < nranges; r++) {
		uint32_t a;

		p->ranges[r] = ranges[r];
		p->ranges[r].base = i;
		for (a = ranges[r].first;; a++) {
			struct pool_addr *s = &p->a[i];

			s->addr = a;
			s->state = ADDR_FREE;
			s->heap_idx = POOL_NONE;
			s->hnext = POOL_NONE;
			s->charge = POOL_NONE;
			s->prev = s->next = POOL_NONE;
			pool_fifo_push_tail(p, i);
			i++;
			if (a == ranges[r].last)
				break;
		}
	}
	return 0;
}

void pool_free(struct pool *p)
{
	free(p->a);
	free(p->heap);
	free(p->buckets);
	free(p->ranges);
	memset(p, 0, sizeof(*p));
}

uint32_t pool_index(const struct pool *p, uint32_t addr)
{
	unsigned int r;

	for (r = 0; r < p->nranges; r++)
		if (addr >= p->ranges[r].first && addr <= p->ranges[r].last)
			return p->ranges[r].base + (addr - p->ranges[r].first);
	return POOL_NONE;
}

/* FIFO */

uint32_t pool_fifo_head(const struct pool *p)
{
	return p->head;
}

/* The FIFO and the quarantine list share the slots' links (a slot is on
 * one of them at most): unlink i from, or append it to, the list with
 * ends *head and *tail. */
static void list_unlink(struct pool *p, uint32_t i, uint32_t *head,
			uint32_t *tail)
{
	struct pool_addr *s = &p->a[i];

	if (s->prev != POOL_NONE)
		p->a[s->prev].next = s->next;
	else
		*head = s->next;
	if (s->next != POOL_NONE)
		p->a[s->next].prev = s->prev;
	else
		*tail = s->prev;
	s->prev = s->next = POOL_NONE;
}

static void list_append(struct pool *p, uint32_t i, uint32_t *head,
			uint32_t *tail)
{
	struct pool_addr *s = &p->a[i];

	s->prev = *tail;
	s->next = POOL_NONE;
	if (*tail != POOL_NONE)
		p->a[*tail].next = i;
	else
		*head = i;
	*tail = i;
}

void pool_fifo_remove(struct pool *p, uint32_t i)
{
	struct pool_addr *s = &p->a[i];

	if (!s->in_fifo)
		return;
	/* The cursor steps back: the next rotation is i's successor. */
	if (p->rot == i)
		p->rot = s->prev;
	list_unlink(p, i, &p->head, &p->tail);
	s->in_fifo = 0;
	s->unheld = 0;
	p->nfree--;
}

void pool_fifo_push_tail(struct pool *p, uint32_t i)
{
	struct pool_addr *s = &p->a[i];

	if (s->in_fifo)
		pool_fifo_remove(p, i);
	list_append(p, i, &p->head, &p->tail);
	s->in_fifo = 1;
	p->nfree++;
}

void pool_fifo_push_head(struct pool *p, uint32_t i)
{
	struct pool_addr *s = &p->a[i];

	if (s->in_fifo)
		pool_fifo_remove(p, i);
	s->next = p->head;
	s->prev = POOL_NONE;
	if (p->head != POOL_NONE)
		p->a[p->head].prev = i;
	else
		p->tail = i;
	p->head = i;
	s->in_fifo = 1;
	p->nfree++;
}

uint32_t pool_fifo_rotate(struct pool *p)
{
	uint32_t i = p->rot != POOL_NONE ? p->a[p->rot].next : POOL_NONE;

	if (i == POOL_NONE)
		i = p->head;
	p->rot = i;
	return i;
}

/* Quarantine list: the FIFO's links, on slots that are not in the FIFO. */

static void quar_remove(struct pool *p, uint32_t i)
{
	struct pool_addr *s = &p->a[i];

	if (!s->in_quar)
		return;
	list_unlink(p, i, &p->qhead, &p->qtail);
	s->in_quar = 0;
	p->nquar--;
}

static void quar_push_tail(struct pool *p, uint32_t i)
{
	list_append(p, i, &p->qhead, &p->qtail);
	p->a[i].in_quar = 1;
	p->nquar++;
}

uint32_t pool_quarantine_oldest(const struct pool *p)
{
	return p->qhead;
}

/* Slot i leaves its state: end an offer, leave the quarantine list. */
static void leave(struct pool *p, uint32_t i)
{
	struct pool_addr *s = &p->a[i];

	if (s->state == ADDR_OFFERED) {
		p->noffered--;
		if (p->offer_end)
			p->offer_end(p->offer_end_ctx, p, i);
		s->charge = POOL_NONE;
	}
	quar_remove(p, i);
}

/* Deadline heap */

static int heap_less(const struct pool *p, uint32_t x, uint32_t y)
{
	const struct pool_addr *a = &p->a[p->heap[x]], *b = &p->a[p->heap[y]];

	if (a->deadline != b->deadline)
		return a->deadline < b->deadline;
	return a->addr < b->addr; /* deterministic order */
}

static void heap_swap(struct pool *p, uint32_t x, uint32_t y)
{
	uint32_t t = p->heap[x];

	p->heap[x] = p->heap[y];
	p->heap[y] = t;
	p->a[p->heap[x]].heap_idx = x;
	p->a[p->heap[y]].heap_idx = y;
}

static void heap_up(struct pool *p, uint32_t x)
{
	while (x > 0) {
		uint32_t parent = (x - 1) / 2;

		if (!heap_less(p, x, parent))
			break;
		heap_swap(p, x, parent);
		x = parent;
	}
}

static void heap_down(struct pool *p, uint32_t x)
{
	for (;;) {
		uint32_t l = 2 * x + 1, r = l + 1, m = x;

		if (l < p->nheap && heap_less(p, l, m))
			m = l;
		if (r < p->nheap && heap_less(p, r, m))
			m = r;
		if (m == x)
			break;
		heap_swap(p, x, m);
		x = m;
	}
}

void pool_deadline_set(struct pool *p, uint32_t i, int64_t when)
{
	struct pool_addr *s = &p->a[i];

	s->deadline = when;
	if (s->heap_idx == POOL_NONE) {
		s->heap_idx = p->nheap;
		p->heap[p->nheap++] = i;
	}
	heap_up(p, s->heap_idx);
	heap_down(p, s->heap_idx);
}

void pool_deadline_clear(struct pool *p, uint32_t i)
{
	struct pool_addr *s = &p->a[i];
	uint32_t x = s->heap_idx, last;

	if (x == POOL_NONE)
		return;
	last = --p->nheap;
	if (x != last) {
		heap_swap(p, x, last);
		s->heap_idx = POOL_NONE;
		heap_up(p, x);
		heap_down(p, x);
	} else {
		s->heap_idx = POOL_NONE;
	}
}

uint32_t pool_deadline_top(const struct pool *p)
{
	return p->nheap ? p->heap[0] : POOL_NONE;
}

/* Client hash (FNV-1a over the key) */

static uint32_t key_hash(const struct pool *p, const struct client_key *k)
{
	return fnv1a(FNV1A_INIT, k->k, k->len) & (p->nbuckets - 1);
}

static int key_eq(const struct client_key *a, const struct client_key *b)
{
	return a->len == b->len && !memcmp(a->k, b->k, a->len);
}

uint32_t pool_client_find(const struct pool *p, const struct client_key *k)
{
	uint32_t i;

	if (!k->len)
		return POOL_NONE;
	for (i = p->buckets[key_hash(p, k)]; i != POOL_NONE; i = p->a[i].hnext)
		if (key_eq(&p->a[i].key, k))
			return i;
	return POOL_NONE;
}

static int hashed(const struct pool *p, uint32_t i)
{
	uint32_t j;

	if (!p->a[i].key.len)
		return 0;
	for (j = p->buckets[key_hash(p, &p->a[i].key)]; j != POOL_NONE;
	     j = p->a[j].hnext)
		if (j == i)
			return 1;
	return 0;
}

void pool_client_clear(struct pool *p, uint32_t i)
{
	uint32_t *pp;

	if (!p->a[i].key.len)
		return;
	for (pp = &p->buckets[key_hash(p, &p->a[i].key)]; *pp != POOL_NONE;
	     pp = &p->a[*pp].hnext) {
		if (*pp == i) {
			*pp = p->a[i].hnext;
			p->a[i].hnext = POOL_NONE;
			return;
		}
	}
}

void pool_client_set(struct pool *p, uint32_t i, const struct client_key *k)
{
	uint32_t b, other;

	if (hashed(p, i))
		pool_client_clear(p, i);
	/* A client holds at most one address: drop a stale entry. */
	other = pool_client_find(p, k);
	if (other != POOL_NONE && other != i)
		pool_client_clear(p, other);
	p->a[i].key = *k;
	if (!k->len)
		return;
	b = key_hash(p, k);
	p->a[i].hnext = p->buckets[b];
	p->buckets[b] = i;
}

/* Transitions */

void pool_offer(struct pool *p, uint32_t i, const struct client_key *k,
		int64_t deadline)
{
	if (p->a[i].state != ADDR_OFFERED) {
		leave(p, i);
		p->noffered++;
	}
	pool_fifo_remove(p, i);
	p->a[i].state = ADDR_OFFERED;
	pool_client_set(p, i, k);
	pool_deadline_set(p, i, deadline);
}

void pool_lease(struct pool *p, uint32_t i, const struct client_key *k,
		int64_t starts, int64_t deadline)
{
	leave(p, i);
	pool_fifo_remove(p, i);
	p->a[i].state = ADDR_LEASED;
	p->a[i].starts = starts;
	pool_client_set(p, i, k);
	pool_deadline_set(p, i, deadline);
}

void pool_unallocate(struct pool *p, uint32_t i)
{
	struct pool_addr *s = &p->a[i];
	int was_offer = s->state == ADDR_OFFERED;

	leave(p, i);
	pool_deadline_clear(p, i);
	/* Keep the key as "last holder" but take it out of the hash. */
	pool_client_clear(p, i);
	s->deadline = 0;
	if (s->excluded) {
		s->state = ADDR_EXCLUDED;
		return;
	}
	if (s->reserved) {
		s->state = ADDR_RESERVED;
		return;
	}
	s->state = ADDR_FREE;
	if (was_offer) {
		/* Never used: back where it came from. */
		pool_fifo_push_head(p, i);
	} else {
		s->seq = p->next_seq++;
		pool_fifo_push_tail(p, i);
	}
}

void pool_quarantine(struct pool *p, uint32_t i, int64_t deadline)
{
	leave(p, i);
	pool_fifo_remove(p, i);
	pool_client_clear(p, i);
	p->a[i].key.len = 0;
	p->a[i].state = ADDR_QUARANTINE;
	quar_push_tail(p, i);
	pool_deadline_set(p, i, deadline);
}

void pool_exclude(struct pool *p, uint32_t i)
{
	leave(p, i);
	pool_fifo_remove(p, i);
	pool_deadline_clear(p, i);
	pool_client_clear(p, i);
	p->a[i].excluded = 1;
	p->a[i].state = ADDR_EXCLUDED;
}

void pool_reserve(struct pool *p, uint32_t i)
{
	pool_fifo_remove(p, i);
	p->a[i].reserved = 1;
	if (p->a[i].state == ADDR_FREE)
		p->a[i].state = ADDR_RESERVED;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Address pool of one LAN interface: every address of the configured
 * ranges has a slot (struct pool_addr) holding its state, its lease and its
 * links in three structures, all O(1) or O(log n), none of them a scan:
 *
 *  - the FIFO of unallocated addresses (seed section 3): an intrusive
 *    doubly linked list; released and expired addresses are appended at
 *    the tail, allocation takes the head.  Never-used addresses are queued
 *    in ascending order at start, ahead of any released one, so the order
 *    survives a restart (released ones are re-queued by release sequence).
 *  - the deadline heap: a binary min-heap of slots ordered by deadline
 *    (offer, lease or quarantine expiry); each slot knows its heap index so
 *    a renewal re-keys it in place.  The event loop sleeps until the top.
 *  - the client hash: client key (client identifier if sent, else htype +
 *    chaddr) -> slot holding that client's offer or lease.
 *  - the quarantine list: quarantined slots in the order they were
 *    quarantined (the FIFO's links, which a quarantined slot does not use),
 *    so the oldest can be ended first when the quarantine is full.
 *  - the rotation cursor: the FIFO slot last offered without a hold
 *    (pool_fifo_rotate); the next such offer names its successor.
 *
 * The pool counts its offered and quarantined slots, and calls offer_end
 * (if set) whenever a slot stops being offered, whatever the transition:
 * the server's per-source offer accounting hangs on that one hook.
 *
 * Excluded and reserved addresses never enter the FIFO.
 */
#ifndef MUISP_DHCPD_POOL_H
#define MUISP_DHCPD_POOL_H

#include <stddef.h>
#include <stdint.h>

#define POOL_NONE      UINT32_MAX
#define POOL_MAX_ADDRS 65536
#define CLIENT_KEY_MAX 256

enum addr_state {
	ADDR_FREE = 0,	 /* unallocated, in the FIFO */
	ADDR_OFFERED,	 /* reserved for an OFFER until the deadline */
	ADDR_LEASED,	 /* allocated: lease until the deadline */
	ADDR_QUARANTINE, /* declined: unusable until the deadline */
	ADDR_EXCLUDED,	 /* never handed out */
	ADDR_RESERVED,	 /* static reservation, outside the FIFO */
};
const char *addr_state_str(enum addr_state s);

struct client_key {
	uint8_t len;		   /* 0 = none */
	uint8_t k[CLIENT_KEY_MAX]; /* 'I' + client id, or 'H' htype chaddr */
};

struct pool_addr {
	uint32_t addr; /* host order */
	uint8_t state; /* enum addr_state */
	uint8_t in_fifo;
	uint8_t reserved;    /* static reservation (may be leased) */
	uint8_t excluded;    /* configured exclusion */
	uint8_t in_quar;     /* on the quarantine list */
	uint32_t prev, next; /* FIFO or quarantine list links */
	uint32_t heap_idx;   /* POOL_NONE if no deadline */
	uint32_t hnext;	     /* client hash chain */
	int64_t deadline;    /* CLOCK_REALTIME seconds */
	int64_t unheld;	     /* FREE: offered without a hold until then */
	int64_t starts;
	uint64_t seq;	       /* release sequence (FIFO order) */
	uint32_t charge;       /* the owner's tag of an offer (offer_end) */
	struct client_key key; /* holder (offer/lease) or last holder */
	uint8_t hwlen;
	uint8_t hw[16];
	char hostname[64];
};

struct pool_range {
	uint32_t first, last; /* host order, inclusive */
	uint32_t base;	      /* index of first in slots */
};

struct pool;

struct pool {
	struct pool_addr *a;
	uint32_t n;
	struct pool_range *ranges;
	unsigned int nranges;
	uint32_t head, tail, nfree;
	uint32_t rot; /* FIFO slot last rotated to, POOL_NONE: the head next */
	uint32_t qhead, qtail, nquar; /* quarantine list, oldest first */
	uint32_t noffered;
	/* Called when slot i leaves ADDR_OFFERED (a.charge still set). */
	void (*offer_end)(void *ctx, struct pool *p, uint32_t i);
	void *offer_end_ctx;
	uint32_t *heap;
	uint32_t nheap;
	uint32_t *buckets;
	uint32_t nbuckets; /* power of two */
	uint64_t next_seq;
};

/* ranges: nranges non-overlapping ranges (validated by the config).
 * Every address starts FREE and queued in ascending order. */
int pool_init(struct pool *p, const struct pool_range *ranges,
	      unsigned int nranges);
void pool_free(struct pool *p);

/* Slot index of addr (host order) or POOL_NONE. */
uint32_t pool_index(const struct pool *p, uint32_t addr);

/* FIFO */
uint32_t pool_fifo_head(const struct pool *p);
void pool_fifo_remove(struct pool *p, uint32_t i);
void pool_fifo_push_tail(struct pool *p, uint32_t i);
void pool_fifo_push_head(struct pool *p, uint32_t i);
/* The FIFO slot after the one it returned last (the head after the tail,
 * or once that one left the FIFO, its successor then), or POOL_NONE. */
uint32_t pool_fifo_rotate(struct pool *p);

/* Deadline heap: set (insert or re-key) or clear a slot's deadline. */
void pool_deadline_set(struct pool *p, uint32_t i, int64_t when);
void pool_deadline_clear(struct pool *p, uint32_t i);
/* Slot with the earliest deadline, or POOL_NONE. */
uint32_t pool_deadline_top(const struct pool *p);

/* The slot quarantined longest ago, or POOL_NONE. */
uint32_t pool_quarantine_oldest(const struct pool *p);

/* Client hash: the slot currently held (offered/leased) by key. */
uint32_t pool_client_find(const struct pool *p, const struct client_key *k);
void pool_client_set(struct pool *p, uint32_t i, const struct client_key *k);
void pool_client_clear(struct pool *p, uint32_t i);

/*
 * State transitions (Fig. 5, plus offer and quarantine).  Each keeps the
 * FIFO, heap and hash consistent:
 *   pool_offer:      FREE/OFFERED -> OFFERED until deadline
 *   pool_lease:      FREE/OFFERED/LEASED -> LEASED until deadline
 *   pool_unallocate: OFFERED/LEASED/QUARANTINE -> FREE; LEASED and
 *                    QUARANTINE go to the FIFO tail with a new sequence
 *                    number, an expired offer back to the head (it was
 *                    never used)
 *   pool_quarantine: any -> QUARANTINE until deadline (out of the FIFO, at
 *                    the tail of the quarantine list)
 * Reserved slots return to ADDR_RESERVED instead of the FIFO.
 */
void pool_offer(struct pool *p, uint32_t i, const struct client_key *k,
		int64_t deadline);
void pool_lease(struct pool *p, uint32_t i, const struct client_key *k,
		int64_t starts, int64_t deadline);
void pool_unallocate(struct pool *p, uint32_t i);
void pool_quarantine(struct pool *p, uint32_t i, int64_t deadline);
/* Mark an address excluded or reserved (out of the FIFO). */
void pool_exclude(struct pool *p, uint32_t i);
void pool_reserve(struct pool *p, uint32_t i);

#endif

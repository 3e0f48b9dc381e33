/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ethernet sources of one LAN interface: for each source MAC seen (the
 * frame's source, not the chaddr a client writes), the offers it holds
 * reserved and a token bucket for its message rate.  What the server needs
 * to bound "offers per source" and "messages per second per source"
 * (muisp-dhcpd.conf(5): offers-per-source, source-rate).
 *
 * Bounded: at most SRC_MAX entries, in a hash by MAC.  Entry 0 is the
 * "unknown" source (datagrams whose frame was not seen: fragmented, or a
 * witness lost), shared and never evicted.  An entry that holds no offer
 * is on an LRU list and is reused for a new MAC when the table is full;
 * one that holds offers is never reused, so its index stays valid as a
 * pool slot's charge until the offer ends.  If every entry holds offers a
 * new MAC is counted as the unknown source.
 */
#ifndef MUISP_DHCPD_SOURCE_H
#define MUISP_DHCPD_SOURCE_H

#include <stdint.h>

#define SRC_MAX	    4096
#define SRC_UNKNOWN 0
#define SRC_NONE    UINT32_MAX

struct src_entry {
	uint8_t mac[6];
	uint8_t used;
	uint32_t offers;     /* reserved offers charged to it */
	uint32_t tokens;     /* messages it may still send */
	int64_t stamp;	     /* second of the last refill */
	uint32_t hnext;	     /* hash chain */
	uint32_t prev, next; /* LRU of idle entries (offers == 0) */
	uint8_t on_lru;
};

struct src_table {
	struct src_entry *e;
	uint32_t n, max;
	uint32_t *buckets;
	uint32_t nbuckets;
	uint32_t lru_head, lru_tail; /* least recently used first */
};

int src_init(struct src_table *t, uint32_t max);
void src_free(struct src_table *t);
/* The entry of mac (NULL or all-zero: the unknown source), created if
 * new.  Never fails: a full table maps a new MAC to SRC_UNKNOWN. */
uint32_t src_get(struct src_table *t, const uint8_t *mac);
/* Take one message from the bucket of entry i: rate per second, bursts
 * of 2 * rate; rate 0 = no limit.  1 if allowed, 0 if over the rate. */
int src_take(struct src_table *t, uint32_t i, uint32_t rate, int64_t now);
/* Offers held by entry i. */
void src_offer_add(struct src_table *t, uint32_t i);
void src_offer_del(struct src_table *t, uint32_t i);

#endif

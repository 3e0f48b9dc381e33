/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Lookup set of the walled garden and the block list, shared by muisp.ko
 * (lists.c) and the host unit tests and microbenchmark.
 *
 * The set is immutable: lists.c builds a new one from the list entries
 * under the namespace lock on every change and publishes it with RCU, so
 * the packet path reads it without locks.  It holds one hash table for
 * everything: a key is (kind, prefix length, masked prefix) -- a MAC is a
 * 48-bit key of its own kind -- and entries with equal keys form one group
 * whose rules lie next to each other in list order.  A prefix lookup
 * probes, longest first, only the prefix lengths present in that kind
 * (longest-prefix match), so a lookup costs one hash per length present,
 * whatever the number of entries; an address (a /32 or /128 entry) and a
 * MAC are single probes.
 *
 * Matching is the lists' own: a block entry matches any packet address
 * inside its prefix while live; a garden rule also checks protocol and
 * port (muisp_gate_garden_match()).  Of several matching entries the most
 * specific live one answers (and is counted as hit); among entries with
 * the same prefix, the first in list order.
 *
 * No allocation, no locking, no clocks here: the caller gives the memory
 * (muisp_lset_mem()) and the time.
 */
#ifndef MUISP_LISTS_CORE_H
#define MUISP_LISTS_CORE_H

#include "portable.h"
#include "gate.h"

#define MUISP_LSET_MAC_LEN	6

enum muisp_lset_kind {
	MUISP_LSET_BLOCK4,
	MUISP_LSET_BLOCK6,
	MUISP_LSET_BLOCK_MAC,
	MUISP_LSET_GARDEN4,
	MUISP_LSET_GARDEN6,
	MUISP_LSET_KINDS
};

/* One list entry as the builder is given it. */
struct muisp_lset_entry {
	const struct muisp_garden_rule *rule;	/* garden, or block prefix */
	const u8 *mac;		/* block by MAC: rule is only read for expiry */
	void *owner;		/* returned by the lookups (hit counting) */
	bool garden;
};

/* A rule as stored: what matching needs beyond the key. */
struct muisp_lset_rule {
	void *owner;
	u64 expires_s;		/* 0 = never */
	u16 port_min;
	u16 port_max;
	u8 proto;		/* garden: 0 = any */
	u8 has_ports;
};

/* Entries with one key: rules[first .. first + count - 1]. */
struct muisp_lset_group {
	__be32 key[4];		/* masked prefix; a MAC in the first 6 bytes */
	u32 next;		/* next group of the bucket + 1, 0: end */
	u32 first;
	u32 count;		/* pass 1: counted; pass 2: placed */
	u8 kind;
	u8 plen;
	u8 pad[2];
};

#define MUISP_LSET_MAX_PLEN	128

struct muisp_lset {
	u64 seed;
	u32 bucket_mask;	/* buckets: bucket_mask + 1, a power of two */
	u32 cap;		/* rules (and groups) room */
	u32 nrules;
	u32 ngroups;
	u32 nkind[MUISP_LSET_KINDS];	/* rules per kind */
	u8 expiring;		/* some rule has an expiry */
	u8 pass;		/* building: 1 count, 2 place, 0 done */
	/* per kind, the prefix lengths present, longest first */
	u8 nlens[MUISP_LSET_KINDS];
	u8 lens[MUISP_LSET_KINDS][MUISP_LSET_MAX_PLEN + 1];
	u64 lenmap[MUISP_LSET_KINDS][3];	/* building: lengths seen */
	u32 *buckets;		/* group index + 1, 0: empty */
	struct muisp_lset_group *groups;
	struct muisp_lset_rule *rules;
};

/*
 * Bytes of the arrays of a set of at most nrules rules, given to
 * muisp_lset_init(): per rule a group (32), a rule (24) and two to four
 * buckets (4 each; load <= 1/2), so at most 72 bytes.
 */
size_t muisp_lset_mem(u32 nrules);

/*
 * Start building into s, with mem (muisp_lset_mem(cap) bytes, 8-byte
 * aligned, any content) for at most cap rules; seed keys the hash.
 * Then: muisp_lset_add() for each entry in list order, muisp_lset_layout(),
 * muisp_lset_add() again for the same entries in the same order.  An
 * expired entry may be left out (both passes).
 */
void muisp_lset_init(struct muisp_lset *s, void *mem, u32 cap, u64 seed);
/* Returns 0, or -ENOSPC beyond cap rules (pass 1). */
int muisp_lset_add(struct muisp_lset *s, const struct muisp_lset_entry *e);
void muisp_lset_layout(struct muisp_lset *s);
/* All three steps over an array. */
int muisp_lset_build(struct muisp_lset *s, void *mem, u32 cap, u64 seed,
		     const struct muisp_lset_entry *e, u32 n);

static inline bool muisp_lset_has_blocks(const struct muisp_lset *s)
{
	return s && (s->nkind[MUISP_LSET_BLOCK4] | s->nkind[MUISP_LSET_BLOCK6] |
		     s->nkind[MUISP_LSET_BLOCK_MAC]);
}

static inline bool muisp_lset_has_garden(const struct muisp_lset *s)
{
	return s && (s->nkind[MUISP_LSET_GARDEN4] |
		     s->nkind[MUISP_LSET_GARDEN6]);
}

/*
 * The block list, asked once per packet: the owner of a live entry that
 * matches src, else dst (if not NULL), else mac (if not NULL); NULL if
 * none.  Addresses as 4 x __be32 (v4 in word 0).  now_s: the
 * CLOCK_REALTIME second; it only matters if s->expiring (the caller may
 * pass 0 otherwise).
 */
void *muisp_lset_blocked(const struct muisp_lset *s, const __be32 *src,
			 const __be32 *dst, const u8 *mac, u8 family,
			 u64 now_s);

/*
 * The walled garden: the owner of a live rule that lets a packet to or
 * from peer (the WAN side; peer_port host order) through, else NULL.
 */
void *muisp_lset_garden(const struct muisp_lset *s, const __be32 *peer,
			u8 family, u8 proto, bool has_ports, u16 peer_port,
			u64 now_s);

/* Longest chain of distinct keys in one bucket (tests, benchmark). */
u32 muisp_lset_max_chain(const struct muisp_lset *s);

#endif /* MUISP_LISTS_CORE_H */

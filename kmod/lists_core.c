// SPDX-License-Identifier: GPL-2.0
/*
 * Lookup set of the walled garden and the block list: pure logic shared
 * by muisp.ko and the host tests (see lists_core.h).
 */
#include "lists_core.h"

#ifdef __KERNEL__
#define RAW32(x) ((__force u32)(x))
#else
#define RAW32(x) ((u32)(x))
#endif

#define LSET_MAC_PLEN	48

static inline u32 lset_nbuckets(u32 cap)
{
	u32 nb = 2;

	while (nb < 2 * cap)
		nb <<= 1;
	return nb;
}

size_t muisp_lset_mem(u32 nrules)
{
	return (size_t)nrules * (sizeof(struct muisp_lset_rule) +
				 sizeof(struct muisp_lset_group)) +
	       (size_t)lset_nbuckets(nrules) * sizeof(u32);
}

void muisp_lset_init(struct muisp_lset *s, void *mem, u32 cap, u64 seed)
{
	u32 nb = lset_nbuckets(cap);

	memset(s, 0, sizeof(*s));
	s->seed = seed;
	s->cap = cap;
	s->bucket_mask = nb - 1;
	s->pass = 1;
	/* rules first: they hold a pointer and a u64 */
	s->rules = mem;
	s->groups = (struct muisp_lset_group *)(s->rules + cap);
	s->buckets = (u32 *)(s->groups + cap);
	memset(s->buckets, 0, nb * sizeof(u32));
}

/*
 * The key hash: a multiply-xor chain over the tag and the key's words
 * (one for IPv4, all four otherwise), keyed by a random seed per set.
 * Only entries the administrator added are in the table and a packet can
 * only walk a chain, so the seed is what keeps one from choosing which
 * prefixes share a bucket.  Keys are passed as words, not arrays, so the
 * packet path keeps them in registers.
 */
#define LSET_MUL	0x9e3779b97f4a7c15ULL

static __always_inline u32 lset_hash(u64 seed, u32 tag, bool v4, __be32 k0,
				     __be32 k1, __be32 k2, __be32 k3)
{
	u64 h = ((seed ^ tag) * LSET_MUL ^ RAW32(k0)) * LSET_MUL;

	if (!v4) {
		h = (h ^ RAW32(k1)) * LSET_MUL;
		h = (h ^ RAW32(k2)) * LSET_MUL;
		h = (h ^ RAW32(k3)) * LSET_MUL;
	}
	return (u32)(h >> 32);
}

static inline u32 lset_tag(u8 kind, u8 plen)
{
	return (u32)kind << 8 | plen;
}

/* The first plen bits of a word (plen <= 32), host order. */
static __always_inline u32 lset_mask32(unsigned int plen)
{
	return plen ? ~0u << (32 - plen) : 0;
}

/* Bits of word i of a prefix of plen bits. */
static __always_inline unsigned int lset_word_bits(unsigned int plen,
						   unsigned int i)
{
	return plen <= 32 * i ? 0 : min_t(unsigned int, plen - 32 * i, 32);
}

/* Word i of addr masked to a prefix of plen bits. */
static __always_inline __be32 lset_masked(const __be32 *addr,
					  unsigned int plen, unsigned int i)
{
	return addr[i] & cpu_to_be32(lset_mask32(lset_word_bits(plen, i)));
}

static inline void lset_mask(__be32 *out, const __be32 *addr, bool v6,
			     unsigned int plen)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		out[i] = i && !v6 ? 0 : lset_masked(addr, plen, i);
}

static inline void lset_mac_key(__be32 *out, const u8 *mac)
{
	out[0] = 0;
	out[1] = 0;
	out[2] = 0;
	out[3] = 0;
	memcpy(out, mac, MUISP_LSET_MAC_LEN);
}

/* The group of a key (v4: k1..k3 are zero), and its bucket. */
static __always_inline struct muisp_lset_group *
lset_find(const struct muisp_lset *s, u8 kind, u8 plen, bool v4, __be32 k0,
	  __be32 k1, __be32 k2, __be32 k3, u32 **head)
{
	u32 *b = &s->buckets[lset_hash(s->seed, lset_tag(kind, plen), v4, k0,
				       k1, k2, k3) & s->bucket_mask];
	struct muisp_lset_group *g;
	u32 i;

	if (head)
		*head = b;
	for (i = *b; i; i = g->next) {
		g = &s->groups[i - 1];
		if (g->kind != kind || g->plen != plen || g->key[0] != k0)
			continue;
		if (v4 || !(RAW32(g->key[1] ^ k1) | RAW32(g->key[2] ^ k2) |
			    RAW32(g->key[3] ^ k3)))
			return g;
	}
	return NULL;
}

/* The entry's kind, prefix length and key. */
static void lset_entry_key(const struct muisp_lset_entry *e, u8 *kind,
			   u8 *plen, __be32 *key)
{
	const struct muisp_garden_rule *r = e->rule;
	bool v6 = r->family == MUISP_AF_INET6;

	if (e->mac) {
		*kind = MUISP_LSET_BLOCK_MAC;
		*plen = LSET_MAC_PLEN;
		lset_mac_key(key, e->mac);
		return;
	}
	if (e->garden)
		*kind = v6 ? MUISP_LSET_GARDEN6 : MUISP_LSET_GARDEN4;
	else
		*kind = v6 ? MUISP_LSET_BLOCK6 : MUISP_LSET_BLOCK4;
	*plen = min_t(u8, r->plen, v6 ? 128 : 32);
	/* netlink only admits canonical prefixes; mask anyway */
	lset_mask(key, r->prefix, v6, *plen);
}

int muisp_lset_add(struct muisp_lset *s, const struct muisp_lset_entry *e)
{
	struct muisp_lset_group *g;
	struct muisp_lset_rule *r;
	__be32 key[4];
	u8 kind, plen;
	u32 *head;

	lset_entry_key(e, &kind, &plen, key);
	/* as the lookups hash it: one word for IPv4 */
	g = lset_find(s, kind, plen,
		      kind == MUISP_LSET_BLOCK4 || kind == MUISP_LSET_GARDEN4,
		      key[0], key[1], key[2], key[3], &head);
	if (s->pass == 2) {
		if (!g)		/* not given in pass 1 */
			return -EINVAL;
		r = &s->rules[g->first + g->count++];
		r->owner = e->owner;
		r->expires_s = e->rule->expires_s;
		r->port_min = e->rule->port_min;
		r->port_max = e->rule->port_max;
		r->proto = e->rule->proto;
		r->has_ports = e->rule->has_ports;
		return 0;
	}
	if (s->nrules >= s->cap)
		return -ENOSPC;
	if (!g) {
		g = &s->groups[s->ngroups++];
		memcpy(g->key, key, sizeof(g->key));
		g->kind = kind;
		g->plen = plen;
		g->pad[0] = 0;
		g->pad[1] = 0;
		g->count = 0;
		g->first = 0;
		g->next = *head;
		*head = s->ngroups;
		if (kind != MUISP_LSET_BLOCK_MAC)
			s->lenmap[kind][plen / 64] |= 1ULL << (plen % 64);
	}
	g->count++;
	s->nrules++;
	s->nkind[kind]++;
	if (e->rule->expires_s)
		s->expiring = 1;
	return 0;
}

void muisp_lset_layout(struct muisp_lset *s)
{
	u32 i, first = 0;
	int kind, plen;

	for (i = 0; i < s->ngroups; i++) {
		s->groups[i].first = first;
		first += s->groups[i].count;
		s->groups[i].count = 0;
	}
	for (kind = 0; kind < MUISP_LSET_KINDS; kind++) {
		s->nlens[kind] = 0;
		for (plen = MUISP_LSET_MAX_PLEN; plen >= 0; plen--)
			if (s->lenmap[kind][plen / 64] & (1ULL << (plen % 64)))
				s->lens[kind][s->nlens[kind]++] = plen;
	}
	s->pass = 2;
}

int muisp_lset_build(struct muisp_lset *s, void *mem, u32 cap, u64 seed,
		     const struct muisp_lset_entry *e, u32 n)
{
	u32 i;
	int ret;

	muisp_lset_init(s, mem, cap, seed);
	for (i = 0; i < n; i++) {
		ret = muisp_lset_add(s, &e[i]);
		if (ret)
			return ret;
	}
	muisp_lset_layout(s);
	for (i = 0; i < n; i++)
		muisp_lset_add(s, &e[i]);
	return 0;
}

/* What a garden rule checks beyond the prefix. */
struct lset_query {
	u8 proto;
	bool has_ports;
	u16 port;
};

static inline bool lset_rule_ok(const struct muisp_lset_rule *r,
				const struct lset_query *q, u64 now_s)
{
	if (r->expires_s && now_s >= r->expires_s)
		return false;
	if (!q)
		return true;
	if (r->proto && r->proto != q->proto)
		return false;
	if (r->has_ports && (!q->has_ports || q->port < r->port_min ||
			     q->port > r->port_max))
		return false;
	return true;
}

static inline void *lset_group_match(const struct muisp_lset *s,
				     const struct muisp_lset_group *g,
				     const struct lset_query *q, u64 now_s)
{
	const struct muisp_lset_rule *r = &s->rules[g->first];
	const struct muisp_lset_rule *end = r + g->count;

	for (; r < end; r++)
		if (lset_rule_ok(r, q, now_s))
			return r->owner;
	return NULL;
}

/* Longest prefix first, over the lengths present in kind. */
static __always_inline void *lset_lpm(const struct muisp_lset *s, u8 kind,
				      bool v6, const __be32 *addr,
				      const struct lset_query *q, u64 now_s)
{
	unsigned int i, n = s->nlens[kind];

	for (i = 0; i < n; i++) {
		const struct muisp_lset_group *g;
		unsigned int plen = s->lens[kind][i];
		void *owner;

		if (v6)
			g = lset_find(s, kind, plen, false,
				      lset_masked(addr, plen, 0),
				      lset_masked(addr, plen, 1),
				      lset_masked(addr, plen, 2),
				      lset_masked(addr, plen, 3), NULL);
		else
			g = lset_find(s, kind, plen, true,
				      addr[0] & cpu_to_be32(lset_mask32(plen)),
				      0, 0, 0, NULL);
		if (!g)
			continue;
		owner = lset_group_match(s, g, q, now_s);
		if (owner)
			return owner;
	}
	return NULL;
}

static void *lset_lpm4(const struct muisp_lset *s, u8 kind,
		       const __be32 *addr, const struct lset_query *q,
		       u64 now_s)
{
	return lset_lpm(s, kind, false, addr, q, now_s);
}

static void *lset_lpm6(const struct muisp_lset *s, u8 kind,
		       const __be32 *addr, const struct lset_query *q,
		       u64 now_s)
{
	return lset_lpm(s, kind, true, addr, q, now_s);
}

void *muisp_lset_blocked(const struct muisp_lset *s, const __be32 *src,
			 const __be32 *dst, const u8 *mac, u8 family,
			 u64 now_s)
{
	void *owner;

	if (!s)
		return NULL;
	if (family == MUISP_AF_INET6) {
		owner = lset_lpm6(s, MUISP_LSET_BLOCK6, src, NULL, now_s);
		if (!owner && dst)
			owner = lset_lpm6(s, MUISP_LSET_BLOCK6, dst, NULL,
					  now_s);
	} else {
		owner = lset_lpm4(s, MUISP_LSET_BLOCK4, src, NULL, now_s);
		if (!owner && dst)
			owner = lset_lpm4(s, MUISP_LSET_BLOCK4, dst, NULL,
					  now_s);
	}
	if (owner)
		return owner;
	if (mac && s->nkind[MUISP_LSET_BLOCK_MAC]) {
		const struct muisp_lset_group *g;
		__be32 key[4];

		lset_mac_key(key, mac);
		g = lset_find(s, MUISP_LSET_BLOCK_MAC, LSET_MAC_PLEN, false,
			      key[0], key[1], key[2], key[3], NULL);
		if (g)
			return lset_group_match(s, g, NULL, now_s);
	}
	return NULL;
}

void *muisp_lset_garden(const struct muisp_lset *s, const __be32 *peer,
			u8 family, u8 proto, bool has_ports, u16 peer_port,
			u64 now_s)
{
	struct lset_query q = {
		.proto = proto,
		.has_ports = has_ports,
		.port = peer_port,
	};

	if (!s)
		return NULL;
	if (family == MUISP_AF_INET6)
		return lset_lpm6(s, MUISP_LSET_GARDEN6, peer, &q, now_s);
	return lset_lpm4(s, MUISP_LSET_GARDEN4, peer, &q, now_s);
}

u32 muisp_lset_max_chain(const struct muisp_lset *s)
{
	u32 b, i, n, max = 0;

	for (b = 0; b <= s->bucket_mask; b++) {
		n = 0;
		for (i = s->buckets[b]; i; i = s->groups[i - 1].next)
			n++;
		if (n > max)
			max = n;
	}
	return max;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Flow-table core: pure logic shared by muisp.ko and host tests (see
 * flow_core.h).  No allocation, no locking, no clocks here.
 */
#include "flow_core.h"

#ifdef __KERNEL__
#define RAW_LE32(x) le32_to_cpu((__force __le32)(x))
#define RAW_LE16(x) le16_to_cpu((__force __le16)(x))
#define RAW_LE64(x) le64_to_cpu((__force __le64)(x))
#else
#define RAW_LE64(x) le64toh(x)
#define RAW_LE32(x) le32toh(x)
#define RAW_LE16(x) le16toh(x)
#endif

struct sip {
	u64 v0, v1, v2, v3;
};

static inline u64 rotl64(u64 x, unsigned int b)
{
	return (x << b) | (x >> (64 - b));
}

static inline void sip_round(struct sip *s)
{
	s->v0 += s->v1;
	s->v1 = rotl64(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = rotl64(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = rotl64(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = rotl64(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = rotl64(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = rotl64(s->v2, 32);
}

static inline void sip_init(struct sip *s, const struct muisp_siphash_key *k)
{
	s->v0 = 0x736f6d6570736575ULL ^ k->k[0];
	s->v1 = 0x646f72616e646f6dULL ^ k->k[1];
	s->v2 = 0x6c7967656e657261ULL ^ k->k[0];
	s->v3 = 0x7465646279746573ULL ^ k->k[1];
}

/* Absorb one 64-bit word with c compression rounds. */
static inline void sip_word(struct sip *s, u64 m, int c)
{
	int r;

	s->v3 ^= m;
	for (r = 0; r < c; r++)
		sip_round(s);
	s->v0 ^= m;
}

/* Last word (length byte on top), then d finalisation rounds. */
static inline u64 sip_final(struct sip *s, u64 b, int c, int d)
{
	int r;

	sip_word(s, b, c);
	s->v2 ^= 0xff;
	for (r = 0; r < d; r++)
		sip_round(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

/* sip_final(s, b, 1, 3), unrolled for the packet path */
static inline u64 sip_final13(struct sip *s, u64 b)
{
	s->v3 ^= b;
	sip_round(s);
	s->v0 ^= b;
	s->v2 ^= 0xff;
	sip_round(s);
	sip_round(s);
	sip_round(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

static inline u64 load_le64(const u8 *p)
{
	u64 v;

	memcpy(&v, p, sizeof(v));
	return RAW_LE64(v);
}

/* SipHash-c-d, reference algorithm (Aumasson & Bernstein 2012). */
u64 muisp_siphash(const void *data, size_t len,
		  const struct muisp_siphash_key *key, int c, int d)
{
	const u8 *p = data;
	u64 b = (u64)len << 56;
	size_t left = len & 7, i;
	struct sip s;

	sip_init(&s, key);
	for (i = 0; i + 8 <= len; i += 8)
		sip_word(&s, load_le64(p + i), c);
	for (i = 0; i < left; i++)
		b |= (u64)p[len - left + i] << (8 * i);
	return sip_final(&s, b, c, d);
}

void muisp_flow_key_pack_v4(const struct muisp_flow_key *key, u8 out[16])
{
	memcpy(out, &key->client_addr[0], 4);
	memcpy(out + 4, &key->peer_addr[0], 4);
	memcpy(out + 8, &key->client_port, 2);
	memcpy(out + 10, &key->peer_port, 2);
	out[12] = key->family;
	out[13] = key->proto;
	out[14] = 0;
	out[15] = 0;
}

/*
 * SipHash-1-3 of the key; an IPv4 key is first packed into its 16
 * meaningful bytes (the other 24 are zero), which saves 3 of 9 rounds.
 */
u64 muisp_flow_hash(const struct muisp_flow_key *key,
		    const struct muisp_siphash_key *seed)
{
	const u8 *p = (const u8 *)key;
	unsigned int i;
	struct sip s;

	sip_init(&s, seed);
	if (likely(key->family == AF_INET)) {
		/* load_le64 of the muisp_flow_key_pack_v4() bytes */
		sip_word(&s, (u64)RAW_LE32(key->client_addr[0]) |
			 (u64)RAW_LE32(key->peer_addr[0]) << 32, 1);
		sip_word(&s, (u64)RAW_LE16(key->client_port) |
			 (u64)RAW_LE16(key->peer_port) << 16 |
			 (u64)key->family << 32 | (u64)key->proto << 40, 1);
		return sip_final13(&s, (u64)16 << 56);
	}
	for (i = 0; i < MUISP_FLOW_KEY_WORDS; i++)
		sip_word(&s, load_le64(p + 8 * i), 1);
	return sip_final13(&s, (u64)sizeof(*key) << 56);
}

int muisp_flow_key_init(struct muisp_flow_key *key, u8 family, u8 proto,
			const void *client_addr, const void *peer_addr,
			__be16 client_port, __be16 peer_port)
{
	__be32 client[4] = { 0 }, peer[4] = { 0 };
	size_t alen;

	memset(key, 0, sizeof(*key));
	if (family == AF_INET)
		alen = 4;
	else if (family == AF_INET6)
		alen = 16;
	else
		return -EAFNOSUPPORT;
	memcpy(client, client_addr, alen);
	memcpy(peer, peer_addr, alen);
	muisp_flow_key_set(key, family, proto, client, peer, client_port,
			   peer_port);
	return 0;
}

void muisp_flow_entry_init(struct muisp_flow_entry *e,
			   const struct muisp_flow_key *key, u16 table_id,
			   u64 id, const struct muisp_flow_payer *payer,
			   u64 now_ns)
{
	e->key = *key;
	e->table_id = table_id;
	e->bytes[0] = 0;
	e->bytes[1] = 0;
	e->packets[0] = 0;
	e->packets[1] = 0;
	e->first_ns = now_ns;
	e->last_ns = now_ns;
	e->id = id;
	e->payer = payer;
	e->tcp_flags[0] = 0;
	e->tcp_flags[1] = 0;
}

enum muisp_flow_end muisp_flow_expired(const struct muisp_flow_entry *e,
				       u64 now_ns, u64 idle_ns, u64 fin_ns)
{
	bool closed = muisp_flow_tcp_closed(e->tcp_flags);
	u64 to = closed ? fin_ns : idle_ns;

	/* last_ns may be a little ahead of a "now" read earlier */
	if (now_ns <= e->last_ns || now_ns - e->last_ns < to)
		return MUISP_FLOW_END_NONE;
	return closed ? MUISP_FLOW_END_CLOSED : MUISP_FLOW_END_IDLE;
}

#define SCORE_CLASS_SHIFT	62
#define SCORE_AGE_MASK		((1ULL << SCORE_CLASS_SHIFT) - 1)

u64 muisp_flow_evict_score(const struct muisp_flow_entry *e, u64 now_ns,
			   u64 idle_ns, u64 fin_ns)
{
	u64 age = now_ns > e->last_ns ? now_ns - e->last_ns : 0;
	u64 cls;

	if (muisp_flow_expired(e, now_ns, idle_ns, fin_ns))
		cls = 2;
	else if (muisp_flow_tcp_closed(e->tcp_flags))
		cls = 1;
	else
		cls = 0;
	if (age > SCORE_AGE_MASK)
		age = SCORE_AGE_MASK;
	return (cls << SCORE_CLASS_SHIFT) | age;
}

void muisp_flow_entry_record(const struct muisp_flow_entry *e,
			     struct muisp_flow_record *rec, s64 mono_to_real_ns,
			     enum muisp_flow_end reason)
{
	memset(rec, 0, sizeof(*rec));
	rec->key = e->key;
	rec->bytes[0] = e->bytes[0];
	rec->bytes[1] = e->bytes[1];
	rec->packets[0] = e->packets[0];
	rec->packets[1] = e->packets[1];
	rec->first_ns = (u64)((s64)e->first_ns + mono_to_real_ns);
	rec->last_ns = (u64)((s64)e->last_ns + mono_to_real_ns);
	rec->flow_id = e->id;
	rec->contract_id = e->payer->id;
	rec->tcp_flags[0] = e->tcp_flags[0];
	rec->tcp_flags[1] = e->tcp_flags[1];
	rec->end_reason = (u8)reason;
}

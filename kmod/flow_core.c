// SPDX-License-Identifier: GPL-2.0
/*
 * Flow-table core: pure logic shared by muisp.ko and host tests (see
 * flow_core.h).  No allocation, no locking, no clocks here.
 */
#include "flow_core.h"

#ifdef __KERNEL__
#define RAW_LE32(x) le32_to_cpu((__force __le32)(x))
#define RAW_LE16(x) le16_to_cpu((__force __le16)(x))
#else
#define le64_to_cpu(x) le64toh(x)
#define RAW_LE32(x) le32toh(x)
#define RAW_LE16(x) le16toh(x)
#endif

#define ROTL64(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND(v0, v1, v2, v3) do {					\
	v0 += v1; v1 = ROTL64(v1, 13); v1 ^= v0; v0 = ROTL64(v0, 32);	\
	v2 += v3; v3 = ROTL64(v3, 16); v3 ^= v2;			\
	v0 += v3; v3 = ROTL64(v3, 21); v3 ^= v0;			\
	v2 += v1; v1 = ROTL64(v1, 17); v1 ^= v2; v2 = ROTL64(v2, 32);	\
} while (0)

static inline u64 load_le64(const u8 *p)
{
	u64 v;

	memcpy(&v, p, sizeof(v));
	return le64_to_cpu(v);
}

/* SipHash-c-d, reference algorithm (Aumasson & Bernstein 2012). */
u64 muisp_siphash(const void *data, size_t len,
		  const struct muisp_siphash_key *key, int c, int d)
{
	const u8 *p = data;
	u64 v0 = 0x736f6d6570736575ULL ^ key->k[0];
	u64 v1 = 0x646f72616e646f6dULL ^ key->k[1];
	u64 v2 = 0x6c7967656e657261ULL ^ key->k[0];
	u64 v3 = 0x7465646279746573ULL ^ key->k[1];
	u64 b = (u64)len << 56, m;
	size_t left = len & 7, i;
	int r;

	for (i = 0; i + 8 <= len; i += 8) {
		m = load_le64(p + i);
		v3 ^= m;
		for (r = 0; r < c; r++)
			SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	for (i = 0; i < left; i++)
		b |= (u64)p[len - left + i] << (8 * i);
	v3 ^= b;
	for (r = 0; r < c; r++)
		SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	for (r = 0; r < d; r++)
		SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

#define SIP_INIT(seed)							\
	u64 v0 = 0x736f6d6570736575ULL ^ (seed)->k[0];			\
	u64 v1 = 0x646f72616e646f6dULL ^ (seed)->k[1];			\
	u64 v2 = 0x6c7967656e657261ULL ^ (seed)->k[0];			\
	u64 v3 = 0x7465646279746573ULL ^ (seed)->k[1]

#define SIP_C1(m) do {							\
	v3 ^= (m);							\
	SIPROUND(v0, v1, v2, v3);					\
	v0 ^= (m);							\
} while (0)

#define SIP_FINAL_D3(b) do {						\
	SIP_C1(b);							\
	v2 ^= 0xff;							\
	SIPROUND(v0, v1, v2, v3);					\
	SIPROUND(v0, v1, v2, v3);					\
	SIPROUND(v0, v1, v2, v3);					\
} while (0)

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
	SIP_INIT(seed);

	if (likely(key->family == AF_INET)) {
		/* load_le64 of the muisp_flow_key_pack_v4() bytes */
		SIP_C1((u64)RAW_LE32(key->client_addr[0]) |
		       (u64)RAW_LE32(key->peer_addr[0]) << 32);
		SIP_C1((u64)RAW_LE16(key->client_port) |
		       (u64)RAW_LE16(key->peer_port) << 16 |
		       (u64)key->family << 32 | (u64)key->proto << 40);
		SIP_FINAL_D3((u64)16 << 56);
	} else {
		for (i = 0; i < MUISP_FLOW_KEY_WORDS; i++)
			SIP_C1(load_le64(p + 8 * i));
		SIP_FINAL_D3((u64)sizeof(*key) << 56);
	}
	return v0 ^ v1 ^ v2 ^ v3;
}

u32 muisp_flow_nbuckets(u32 max_flows)
{
	u64 want = (u64)(max_flows ? max_flows : 1) * MUISP_FT_LOAD_INV;
	u32 n = 16;

	while (n < want && n < (1U << 26))
		n <<= 1;
	return n;
}

int muisp_flow_key_init(struct muisp_flow_key *key, u8 family, u8 proto,
			const void *client_addr, const void *peer_addr,
			__be16 client_port, __be16 peer_port)
{
	size_t alen;

	memset(key, 0, sizeof(*key));
	if (family == AF_INET)
		alen = 4;
	else if (family == AF_INET6)
		alen = 16;
	else
		return -EAFNOSUPPORT;
	memcpy(key->client_addr, client_addr, alen);
	memcpy(key->peer_addr, peer_addr, alen);
	key->client_port = client_port;
	key->peer_port = peer_port;
	key->family = family;
	key->proto = proto;
	return 0;
}

void muisp_flow_entry_init(struct muisp_flow_entry *e,
			   const struct muisp_flow_key *key, u32 table_id,
			   u64 id, u32 contract_id, u64 now_ns)
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
	e->contract_id = contract_id;
	e->tcp_flags[0] = 0;
	e->tcp_flags[1] = 0;
	e->pad = 0;
	e->dead = 0;
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
	rec->contract_id = e->contract_id;
	rec->tcp_flags[0] = e->tcp_flags[0];
	rec->tcp_flags[1] = e->tcp_flags[1];
	rec->end_reason = (u8)reason;
}

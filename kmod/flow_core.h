/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Flow-table core shared by muisp.ko (flowtable.c) and the host unit
 * tests and microbenchmark: flow key, record, entry layout, the keyed hash
 * (SipHash-1-3, our own implementation so host and kernel agree bit for
 * bit), the RCU chain lookup (the index around it: ft_index.h),
 * per-packet counter/TCP update, time-out and eviction decisions.
 *
 * Besides portable.h, gate.h (the direction) and the uAPI header (enum
 * muisp_flow_end, defaults) this header needs the kernel's hlist_nulls
 * and spinlock types; host builds get single-threaded stand-ins with the
 * same names and layout (x86-64, non-debug spinlock_t = 4 bytes) from
 * host_shim.h, so the host benchmark runs the very lookup/update code of
 * the module.
 */
#ifndef MUISP_FLOW_CORE_H
#define MUISP_FLOW_CORE_H

#include "portable.h"
#include "uapi/muisp.h"
#include "gate.h"		/* enum muisp_flow_dir */

#ifdef __KERNEL__
#include <linux/socket.h>
#include <linux/spinlock_types.h>
#include <linux/list_nulls.h>
#include <linux/rculist.h>
#include <linux/rculist_nulls.h>
#else
/* single-threaded stand-ins for the kernel list and lock types */
#include "host_shim.h"
#endif /* !__KERNEL__ */

/* TCP flag bits as in the TCP header's flag byte. */
#define MUISP_TCP_FIN	0x01
#define MUISP_TCP_SYN	0x02
#define MUISP_TCP_RST	0x04
#define MUISP_TCP_ACK	0x10
#define MUISP_TCP_KEEP	(MUISP_TCP_FIN | MUISP_TCP_SYN | MUISP_TCP_RST | \
			 MUISP_TCP_ACK)

/*
 * Flow key, oriented with the LAN client as "client" whatever the packet
 * direction.  IPv4 addresses use word 0 of the arrays, words 1..3 zero.
 * For ICMP/ICMPv6 echo, client_port is the identifier and peer_port 0;
 * for protocols without ports both are 0.  Build it with
 * muisp_flow_key_init() so padding and unused words are zero: keys are
 * compared and hashed as raw memory.
 */
struct muisp_flow_key {
	__be32 client_addr[4];
	__be32 peer_addr[4];
	__be16 client_port;
	__be16 peer_port;
	u8 family;		/* AF_INET or AF_INET6 */
	u8 proto;		/* IPPROTO_* */
	u8 pad[2];
} __aligned(8);

#define MUISP_FLOW_KEY_WORDS (sizeof(struct muisp_flow_key) / sizeof(u64))

/*
 * Why a flow ended (record.end_reason): enum muisp_flow_end of the uAPI,
 * MUISP_FLOW_END_UNSPEC (0) for a live flow in a walk snapshot.
 */
#define MUISP_FLOW_END_NONE MUISP_FLOW_END_UNSPEC

/*
 * The contract a flow is charged to, as the flow table sees it: its id.
 * struct muisp_contract begins with one, so a flow entry holds the
 * contract itself and the packet path needs no contract lookup; the flow
 * table only reads the id, under the entry's lock while the entry is live
 * (the module ends a contract's flows before it frees the contract:
 * docs/DESIGN.md, "Flow-first lookup").
 */
struct muisp_flow_payer {
	u64 id;
};

/* What an ended (or dumped) flow reports: the thesis's RDR fields. */
struct muisp_flow_record {
	struct muisp_flow_key key;
	u64 bytes[2];		/* [MUISP_DIR_UP], [MUISP_DIR_DOWN], L3 bytes */
	u64 packets[2];
	u64 first_ns;		/* wall clock (CLOCK_REALTIME), ns */
	u64 last_ns;
	u64 flow_id;		/* unique in the table, stable for the flow */
	u64 contract_id;
	u8 tcp_flags[2];	/* per direction: OR of MUISP_TCP_KEEP bits */
	u8 end_reason;		/* enum muisp_flow_end */
	u8 pad[5];
};

/*
 * A flow-table entry: 128 bytes on x86-64 (two cache lines).  The first
 * line holds everything the lookup reads (chain link, key, lock,
 * table id) and the TCP flags; the second the counters and the ids.
 * Entries live in a SLAB_TYPESAFE_BY_RCU cache: a reader that finds an
 * entry takes its lock and re-checks "same table (so not dead), same key"
 * before touching it.  table_id 0 marks an entry dead: ended and
 * unlinked, or free.  Table ids are unique among live tables, so an entry
 * recycled into another table never passes the check.
 */
struct muisp_flow_entry {
	struct hlist_nulls_node node;
	struct muisp_flow_key key;
	spinlock_t lock;	/* counters, flags, table_id; init once (ctor) */
	u16 table_id;		/* 0: dead */
	u8 tcp_flags[2];
	u64 bytes[2];
	u64 packets[2];
	u64 first_ns;		/* monotonic, ns (flowtable.c: ft_now()) */
	u64 last_ns;
	u64 id;			/* flow id: monotonic within its lock stripe */
	const struct muisp_flow_payer *payer;	/* never NULL while live */
};

/* SipHash key (128-bit seed). */
struct muisp_siphash_key {
	u64 k[2];
};

/* Generic SipHash-c-d over bytes (little-endian words, reference spec). */
u64 muisp_siphash(const void *data, size_t len,
		  const struct muisp_siphash_key *key, int c, int d);

/*
 * Flow hash: SipHash-1-3 (muisp_siphash(.., 1, 3)) of the 16 bytes from
 * muisp_flow_key_pack_v4() for an IPv4 key, of the whole 40-byte key
 * otherwise.
 */
void muisp_flow_key_pack_v4(const struct muisp_flow_key *key, u8 out[16]);
u64 muisp_flow_hash(const struct muisp_flow_key *key,
		    const struct muisp_siphash_key *seed);

/* Table parameter defaults and limits (struct muisp_ft_params). */
#define MUISP_FT_DEFAULT_IDLE_S		MUISP_DEFAULT_IDLE_TIMEOUT_S
#define MUISP_FT_DEFAULT_FIN_S		MUISP_DEFAULT_FIN_TIMEOUT_S
#define MUISP_FT_DEFAULT_MAX_FLOWS	MUISP_DEFAULT_MAX_FLOWS
#define MUISP_FT_MAX_IDLE_S		MUISP_MAX_IDLE_TIMEOUT_S
#define MUISP_FT_MAX_MAX_FLOWS		MUISP_MAX_MAX_FLOWS

/* Fill *key (zeroing it first).  Addresses are 4 (v4) or 16 (v6) bytes. */
int muisp_flow_key_init(struct muisp_flow_key *key, u8 family, u8 proto,
			const void *client_addr, const void *peer_addr,
			__be16 client_port, __be16 peer_port);

/*
 * The same from addresses already laid out as in the key (four words, an
 * IPv4 address in word 0 and the others zero), as the packet path has
 * them: fixed-size copies, no call.
 */
static inline void muisp_flow_key_set(struct muisp_flow_key *key, u8 family,
				      u8 proto, const __be32 *client_addr,
				      const __be32 *peer_addr,
				      __be16 client_port, __be16 peer_port)
{
	memcpy(key->client_addr, client_addr, sizeof(key->client_addr));
	memcpy(key->peer_addr, peer_addr, sizeof(key->peer_addr));
	key->client_port = client_port;
	key->peer_port = peer_port;
	key->family = family;
	key->proto = proto;
	key->pad[0] = 0;
	key->pad[1] = 0;
}

static inline bool muisp_flow_key_equal(const struct muisp_flow_key *a,
					const struct muisp_flow_key *b)
{
	const u64 *x = (const u64 *)a, *y = (const u64 *)b;

	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) |
		(x[3] ^ y[3]) | (x[4] ^ y[4])) == 0;
}

/*
 * Walk one chain (under RCU or the bucket lock) for a key.  Returns the
 * entry or NULL; *nulls gets the end marker's value on a miss (the caller
 * restarts if it differs from the bucket: the walk strayed into another
 * chain through a recycled entry).  If probes != NULL it is incremented
 * once per key compared.
 */
static inline struct muisp_flow_entry *
muisp_flow_chain_find(struct hlist_nulls_head *head,
		      const struct muisp_flow_key *key, u16 table_id,
		      unsigned long *nulls, unsigned int *probes)
{
	struct muisp_flow_entry *e;
	struct hlist_nulls_node *n;

	hlist_nulls_for_each_entry_rcu(e, n, head, node) {
		if (probes)
			(*probes)++;
		if (muisp_flow_key_equal(&e->key, key) &&
		    READ_ONCE(e->table_id) == table_id)
			return e;
	}
	*nulls = get_nulls_value(n);
	return NULL;
}

/* Closed: RST seen, or FIN seen in both directions. */
static inline bool muisp_flow_tcp_closed(const u8 fl[2])
{
	return ((fl[0] | fl[1]) & MUISP_TCP_RST) ||
	       ((fl[0] & MUISP_TCP_FIN) && (fl[1] & MUISP_TCP_FIN));
}

/*
 * A packet that must start a new flow instead of joining a closed one:
 * a bare SYN (connection attempt reusing the 5-tuple).
 */
static inline bool muisp_flow_tcp_reopens(const u8 fl[2], u8 pkt_flags)
{
	return muisp_flow_tcp_closed(fl) &&
	       (pkt_flags & (MUISP_TCP_SYN | MUISP_TCP_ACK | MUISP_TCP_RST)) ==
		MUISP_TCP_SYN;
}

/*
 * Initialise a new entry (caller holds e->lock in the kernel; it is not
 * yet visible): it belongs to table_id (non-zero), counters zero.
 */
void muisp_flow_entry_init(struct muisp_flow_entry *e,
			   const struct muisp_flow_key *key, u16 table_id,
			   u64 id, const struct muisp_flow_payer *payer,
			   u64 now_ns);

/* End an entry (caller holds e->lock): it is dead from now on. */
static inline void muisp_flow_entry_kill(struct muisp_flow_entry *e)
{
	WRITE_ONCE(e->table_id, 0);
}

/* Count one packet (caller holds e->lock). */
static inline void muisp_flow_entry_update(struct muisp_flow_entry *e,
					   enum muisp_flow_dir dir,
					   unsigned int len, u8 tcp_flags,
					   u64 now_ns)
{
	e->bytes[dir] += len;
	e->packets[dir]++;
	e->tcp_flags[dir] |= tcp_flags & MUISP_TCP_KEEP;
	if (now_ns > e->last_ns)
		e->last_ns = now_ns;
}

/* Time-out applying to an entry now (ns). */
static inline u64 muisp_flow_timeout_ns(const struct muisp_flow_entry *e,
					u64 idle_ns, u64 fin_ns)
{
	return muisp_flow_tcp_closed(e->tcp_flags) ? fin_ns : idle_ns;
}

/* Has the entry timed out at now_ns?  0 = no, else the end reason. */
enum muisp_flow_end muisp_flow_expired(const struct muisp_flow_entry *e,
				       u64 now_ns, u64 idle_ns, u64 fin_ns);

/*
 * Eviction preference: the entry with the larger score goes first.
 * Timed-out flows first, then closed TCP flows, then by time since the
 * last packet (least recently seen first).
 */
u64 muisp_flow_evict_score(const struct muisp_flow_entry *e, u64 now_ns,
			   u64 idle_ns, u64 fin_ns);

/*
 * Snapshot an entry into a record (caller holds e->lock).  Times are
 * converted from the entry's monotonic clock with mono_to_real_ns (wall
 * minus monotonic, taken once by the caller).
 */
void muisp_flow_entry_record(const struct muisp_flow_entry *e,
			     struct muisp_flow_record *rec, s64 mono_to_real_ns,
			     enum muisp_flow_end reason);

#endif /* MUISP_FLOW_CORE_H */

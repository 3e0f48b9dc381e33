/* SPDX-License-Identifier: GPL-2.0 */
/*
 * muisp.ko internals shared between the files of the module: the
 * per-namespace state and the objects it holds.
 *
 * Locking, in one place:
 *  - struct muisp_net::lock (a mutex) serialises every change made from
 *    netlink and the once-a-second clock work.  Functions that need it
 *    assert it with lockdep_assert_held().
 *  - The packet path (hooks.c) only reads under rcu_read_lock(), never
 *    sleeps, and changes a contract's status under the contract's own
 *    spinlock (limits crossed in softirq).
 *  - Objects are replaced or removed by unlinking them, then kfree_rcu().
 *  - The flow table and the DNS rate limiter exist only while a LAN
 *    interface is configured: RCU pointers, published under the lock
 *    before the LAN index and unpublished after it is cleared, then a
 *    grace period before they go; the packet path copes with NULL.
 *
 * Memory: what a netlink request adds is charged to the requester's
 * memory cgroup (GFP_KERNEL_ACCOUNT, XA_FLAGS_ACCOUNT); the flow table to
 * the task that configured the LAN interface.
 */
#ifndef MUISP_MUISP_H
#define MUISP_MUISP_H

#include <linux/types.h>
#include <linux/jiffies.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/xarray.h>
#include <linux/rhashtable-types.h>
#include <linux/ratelimit_types.h>
#include <linux/workqueue.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/if_ether.h>
#include <linux/siphash.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <uapi/muisp.h>

#include "compat.h"
#include "gate.h"
#include "quota.h"
#include "flow_core.h"
#include "uinfo_core.h"

struct muisp_flowtable;
struct muisp_lset;

/* Address table key: family + address (v4 in word 0, rest zero). */
struct muisp_addr_key {
	__be32 addr[4];
	u8 family;
	u8 pad[3];
};

struct muisp_addr {
	struct rhash_head node;
	struct muisp_addr_key key;
	u32 id;			/* stable dump id (xarray index) */
	u64 contract_id;	/* 0 unless BOUND */
	struct muisp_tunnel_id tun;	/* tun.spi == 0: no tunnel */
	u8 state;		/* enum muisp_addr_state */
	u8 has_mac;
	u8 mac[ETH_ALEN];
	struct rcu_head rcu;
};

/* One CPU's share of a contract: its quota slice and its counters. */
struct muisp_contract_cpu {
	struct muisp_quota_cpu q;
	u64 bytes[2];		/* [MUISP_DIR_UP], [MUISP_DIR_DOWN] */
	u64 packets[2];
	u64 usage_ms;
};

/*
 * Every packet reads the first cache line and writes only its CPU's
 * struct muisp_contract_cpu; the shared lines after it are written on
 * status changes, at most once a millisecond (last_pkt_ms) and on quota
 * refills (struct muisp_quota, see quota.h).  Counters reported are
 * base + the sum over CPUs.
 */
struct muisp_contract {
	union {
		u64 id;		/* the receipt's serial; xarray index */
		struct muisp_flow_payer payer;	/* what its flows hold */
	};
	u8 metric;		/* enum muisp_metric, fixed at creation */
	u8 status;		/* enum muisp_contract_status; READ_ONCE */
	u8 drop_reason;		/* why not forwarding (EXTINGUISHED) */
	u8 conn_hold;		/* enum muisp_conn_hold (conn.c); READ_ONCE */
	u16 conn_queue;		/* its NFQUEUE */
	u64 soft;		/* limits: written under net lock + c->lock */
	u64 hard;
	u64 expires_s;
	struct muisp_contract_cpu __percpu *pcpu;
	u64 elapsed_base_ms;	/* elapsed while ACTIVE before active_since */
	u64 active_since_ms;	/* monotonic ms, 0 unless ACTIVE */

	/* written: under c->lock, or once a millisecond */
	spinlock_t lock ____cacheline_aligned_in_smp;
	atomic64_t last_pkt_ms;	/* monotonic ms of the last packet, 0 none */
	u64 base_bytes[2];	/* restores and resets (c->lock) */
	u64 base_packets[2];
	u64 base_usage_ms;
	u32 naddrs;		/* bound addresses (net lock) */
	u32 nusers;		/* bound users (net lock; users.c) */
	struct rcu_head rcu;

	struct muisp_quota quota;	/* bytes, packets or usage ms */
};

struct muisp_list_entry {
	struct list_head list;	/* in list order, under the lock */
	u32 id;
	u8 is_mac;
	u8 mac[ETH_ALEN];
	struct muisp_garden_rule rule;	/* prefix + match (block: plen) */
	atomic64_t hits;
	struct rcu_head rcu;
};

/*
 * An agent's key (agents.c): published whole, so a packet sees one
 * generation's transform and replay window together.
 */
#define MUISP_AGENT_ACKS	64
struct muisp_agent_key {
	struct muisp_uinfo_key *aead;	/* uinfo.h: gcm(aes); NULL: closed */
	u32 key_id;			/* its generation */
	spinlock_t lock;		/* the replay window, in softirq */
	struct muisp_uinfo_replay replay;
	/*
	 * The Acknowledgments due (uinfo_meter.c): a flow's hash position
	 * (high word) and the user its tag named, direct-mapped by the
	 * position; 0 empty.  Their numbers: MUISP_UINFO_SEQ_METER's space.
	 */
	u64 ack[MUISP_AGENT_ACKS];
	atomic64_t ack_seq;		/* the last number sealed */
};

/* A multi-user host whose User Information options this meter opens. */
struct muisp_agent {
	struct rhash_head node;
	struct muisp_addr_key key;	/* the host's address */
	u32 id;				/* stable dump id (xarray index) */
	struct muisp_agent_key __rcu *k;	/* NULL: closed */
	atomic64_t opened, forged, replayed, blocked;
	/* redirected copies taken in; of them, flows moved to the user */
	atomic64_t redirects, rollbacks;
	atomic64_t queries;		/* Query options put in, to the host */
	atomic64_t acks;		/* Acknowledgments put in, to the host */
	/*
	 * How it names its users (enum muisp_agent_scheme).  Out of band,
	 * flow-based (thesis ch. 5): the NFQUEUE number its new flows'
	 * packets are held on until muispd names their user, else -1;
	 * packets held, and answers given (MUISP_CMD_AGENT_FLOW_SET, also
	 * packet-based)
	 */
	u8 scheme;
	int hold_queue;
	atomic64_t held, answered;
};

/* Does muispd answer for the agent's flows (MUISP_CMD_AGENT_FLOW_SET)? */
static inline bool muisp_agent_answered(u8 scheme)
{
	return scheme == MUISP_AGENT_SCHEME_OUT_OF_BAND ||
	       scheme == MUISP_AGENT_SCHEME_OUT_OF_BAND_PACKET;
}

/*
 * What muispd said of out-of-band agents' flows (MUISP_CMD_AGENT_FLOW_SET):
 * a flow key's user, for the packets it sends round the FORWARD hook
 * again, or for a reported flow's first packet that arrives after its
 * report, kept MUISP_HOLD_ANSWER_S.  Direct-mapped by the key's hash: a
 * collision loses the older answer, whose packet is then asked about
 * again (or, reported, stays the host's).  Allocated with the first
 * out-of-band agent.
 */
#define MUISP_HOLD_ANSWERS	256
#define MUISP_HOLD_ANSWER_S	5
struct muisp_hold_answers {
	spinlock_t lock;		/* the slots */
	siphash_key_t seed;
	struct muisp_hold_answer {
		struct muisp_flow_key key;
		u32 user;
		bool held;		/* for a held packet (flow-based) */
		unsigned long expires;	/* jiffies; 0: empty */
	} slot[MUISP_HOLD_ANSWERS];
};

/* A user of an agent's host: its address and the Accounting ID. */
struct muisp_user_key {
	struct muisp_addr_key host;
	u32 user;
};

/* A user bound to a contract of their own (users.c). */
struct muisp_user {
	struct rhash_head node;
	struct muisp_user_key key;
	u32 id;				/* stable dump id (xarray index) */
	u64 contract_id;
	u64 usage_seq;	/* the last usage record moved; under mn->lock */
	struct rcu_head rcu;
};

/* The agent's role (uinfo_agent.c): published whole, under RCU. */
struct muisp_tagger {
	struct muisp_uinfo_key *aead;	/* uinfo.h: gcm(aes), key and salt */
	u32 ifindex;			/* tag packets leaving through it */
	u32 key_id;
	u8 method;			/* enum muisp_tag_method */
	atomic64_t seq;			/* the last number sealed */
	/*
	 * FLOW: the flows tagged until the meter acknowledges them (the
	 * thesis's DUTRT, uinfo_agent.c), direct-mapped by a hash of the
	 * flow under flow_seed; NULL with another method.
	 */
	u64 *flows;
	siphash_key_t flow_seed;
};

/*
 * A local user the agent tags: the socket owner's uid, its Accounting ID;
 * blocked (the router's block list): its packets dropped instead; addr
 * (family 0: none), the user's own address (Multi-IP), by which
 * muisp_net::tag_addrs finds the entry too.
 */
/* What the COUNT method counted for a user, on one CPU. */
enum { MUISP_TAG_SENT, MUISP_TAG_RECV };
struct muisp_tag_count {
	u64 packets[2];			/* MUISP_TAG_SENT, MUISP_TAG_RECV */
	u64 bytes[2];
};

struct muisp_tag_user {
	struct rhash_head node;		/* in tag_addrs, if addr.family */
	struct muisp_addr_key addr;
	u32 uid;
	u32 user;
	bool blocked;
	/* the uid's, handed on to the entry that replaces this one */
	struct muisp_tag_count __percpu *count;
	struct rcu_head rcu;
};

/* Per-CPU counters of the packet path. */
struct muisp_pcpu_stats {
	u64 drops[__MUISP_DROP_LAST];
	u64 packets[2];
	u64 bytes[2];
	u64 local;
	u64 garden;
	u64 unmetered;
	u64 conn_held;		/* conn.c: sent to a contract's NFQUEUE */
	u64 conn_requests;	/* of them, new connections announced */
};

struct muisp_config {
	u32 lan_ifindex;
	u32 idle_timeout_s;
	u32 fin_timeout_s;
	u32 max_flows;
	u32 usage_gap_s;
	u32 dns_rate;		/* packets/s, 0 = no limit */
	u32 dns_burst;
	u32 conn_rate;		/* held connections/s a source, 0 = none */
	u32 conn_burst;
	u16 control_port;
	u8 require_tunnel;
	u32 tag_ifindex;	/* the agent's role: its interface, 0 off */
};

/*
 * DNS from unpaid sources to the router (muisp_gate_dns_limit()): a source
 * address hashes to one set of MUISP_DNS_WAYS ways.
 */
#define MUISP_DNS_SETS	512

struct muisp_dns_set {
	spinlock_t lock;	/* the ways, taken in softirq */
	struct muisp_dns_way way[MUISP_DNS_WAYS];
};

struct muisp_dns_limit {
	siphash_key_t key;
	struct muisp_dns_set sets[MUISP_DNS_SETS];
};

/* netfilter hooks registered per namespace (hooks.c) */
#define MUISP_NHOOK_OPS	12

struct muisp_net {
	struct net *net;
	struct mutex lock;		/* serialises every change */

	/* config: written under lock with WRITE_ONCE, read lock-free */
	struct muisp_config cfg;

	struct rhashtable addrs;	/* by muisp_addr_key */
	struct xarray addr_ids;		/* id -> struct muisp_addr */
	u32 naddrs;
	struct xarray contracts;	/* contract id -> struct muisp_contract */
	u32 ncontracts;

	struct list_head garden;	/* of muisp_list_entry, under lock */
	struct xarray garden_ids;
	u32 ngarden;
	struct list_head blocks;
	struct xarray block_ids;
	u32 nblocks;
	/* the packet path's lookup set of both lists (lists.c) */
	struct muisp_lset __rcu *lset;

	/* per-user accounting: the meter's agents (agents.c) */
	struct rhashtable agents;	/* by muisp_addr_key */
	struct xarray agent_ids;	/* id -> struct muisp_agent */
	u32 nagents;
	u32 nagents_closed;		/* of them, closed: see hooks.c */
	u32 nagents_oob;		/* of them, answered: see hooks.c */
	struct muisp_hold_answers __rcu *answers; /* with the first of them */
	/* the meter's log lines, apart: a flood of one hides no other */
	struct ratelimit_state log_forged, log_replayed;
	/* per-user contracts (users.c) */
	struct rhashtable users;	/* by muisp_user_key */
	struct xarray user_ids;		/* id -> struct muisp_user */
	u32 nusers;
	/* the agent's role (uinfo_agent.c) */
	struct muisp_tagger __rcu *tagger;
	struct xarray tag_users;	/* uid -> struct muisp_tag_user */
	struct rhashtable tag_addrs;	/* by its addr: those with one */
	u32 ntag_users;
	atomic64_t tag_tagged, tag_skipped, tag_blocked, tag_denied;
	atomic64_t tag_spoofed, tag_redirected, tag_queried, tag_clamped;
	atomic64_t tag_reported;
	atomic64_t tag_acked, tag_ack_forged;	/* the meter's Acknowledgments */
	char tag_msg[MUISP_ERR_MSG_LEN];	/* 6.1: extack text (compat.h) */

	/* dump consistency: bumped under lock on every change */
	u32 gen_addr, gen_contract, gen_garden, gen_block, gen_agent;
	u32 gen_user, gen_tag_user;

	/* while a LAN interface is configured (muisp_gate_up()) */
	struct muisp_flowtable __rcu *ft;
	struct muisp_dns_limit __rcu *dns;
	/* per-connection billing (conn.c): with the flow table */
	struct muisp_dns_limit __rcu *conn_rate;
	struct muisp_hold_answers __rcu *conn_answers;
	u64 evictions_gone;		/* of the flow tables destroyed */

	unsigned int hooks;		/* MUISP_HOOKS_* registered (lock) */
	/* this namespace's copies of hooks.c's ops, priv = this */
	struct nf_hook_ops hook_ops[MUISP_NHOOK_OPS];

	struct muisp_pcpu_stats __percpu *stats;
	atomic64_t records, records_lost, events, events_lost;

	/* once a second while contracts or list entries exist */
	struct delayed_work clock;
	bool clock_on;
	bool dying;
};

extern unsigned int muisp_net_id;

static inline struct muisp_net *muisp_net(const struct net *net)
{
	return net_generic(net, muisp_net_id);
}

/*
 * Monotonic milliseconds (jiffies) for contract clocks, never 0 (0 means
 * "not set"); inline, as it runs for every packet.
 */
static inline u64 muisp_now_ms(void)
{
#if !(MSEC_PER_SEC % HZ)
	return get_jiffies_64() * (MSEC_PER_SEC / HZ) + 1;
#else
	return jiffies64_to_msecs(get_jiffies_64()) + 1;
#endif
}

/* netns.c */
int muisp_netns_init(void);
void muisp_netns_exit(void);
void muisp_clock_arm(struct muisp_net *mn);
int muisp_gate_up(struct muisp_net *mn, const struct muisp_config *cfg);
void muisp_gate_down(struct muisp_net *mn);

/* conn.c: per-connection billing */
struct muisp_conn_gone {
	struct muisp_hold_answers *answers;
	struct muisp_dns_limit *rate;
};

int muisp_conn_up(struct muisp_net *mn);
void muisp_conn_down(struct muisp_net *mn, struct muisp_conn_gone *gone);
void muisp_conn_free(struct muisp_conn_gone *gone);
enum muisp_gate_conn muisp_conn_check(struct muisp_net *mn,
				      const struct muisp_contract *c,
				      const struct muisp_pkt *p,
				      const struct muisp_flow_key *key,
				      u16 *queue);
int muisp_conn_verdict(struct muisp_net *mn, const struct muisp_flow_key *key,
		       u8 verdict, struct netlink_ext_ack *extack);
void muisp_event_conn(struct muisp_net *mn, const struct muisp_flow_key *key,
		      u64 contract_id);

static inline struct muisp_flowtable *muisp_ft(struct muisp_net *mn)
{
	return rcu_dereference_protected(mn->ft, lockdep_is_held(&mn->lock));
}

/* addr.c */
int muisp_addr_table_init(struct muisp_net *mn);
void muisp_addr_table_destroy(struct muisp_net *mn);
struct muisp_addr *muisp_addr_lookup(struct muisp_net *mn,
				     const struct muisp_addr_key *key);
/*
 * flags: MUISP_ADDR_F_* and, internal, MUISP_ADDR_SET_TUNNEL: tmpl->tun is
 * new (else the entry keeps its tunnel identity).
 */
#define MUISP_ADDR_SET_TUNNEL	(1U << 31)
int muisp_addr_set(struct muisp_net *mn, const struct muisp_addr *tmpl,
		   u32 flags, u32 max, struct netlink_ext_ack *extack);
int muisp_addr_del(struct muisp_net *mn, const struct muisp_addr_key *key);

/* agents.c */
int muisp_agents_init(struct muisp_net *mn);
void muisp_agents_destroy(struct muisp_net *mn);
struct muisp_agent *muisp_agent_lookup(struct muisp_net *mn,
				       const struct muisp_addr_key *key);
/* What a change unpublished, for muisp_agent_release() after the lock. */
struct muisp_agent_gone {
	struct muisp_agent_key *key;
	struct muisp_agent *agent;
};

int muisp_agent_set(struct muisp_net *mn, const struct muisp_addr_key *key,
		    const u8 *material, u32 key_id, u8 scheme, int hold_queue,
		    u32 max, u32 *id, struct muisp_agent_gone *gone,
		    struct netlink_ext_ack *extack);
int muisp_agent_del(struct muisp_net *mn, const struct muisp_addr_key *key,
		    struct muisp_agent_gone *gone);
void muisp_agent_release(struct muisp_net *mn, struct muisp_agent_gone *g);
struct muisp_agent *muisp_agent_at(struct muisp_net *mn, u8 family,
				   const void *addr);
u32 muisp_agent_key_id(const struct muisp_agent *a);
bool muisp_agent_closed_drop(struct muisp_net *mn, u8 family,
			     const void *addr);

/* uinfo_meter.c */
int muisp_uinfo_meter(struct muisp_net *mn, struct sk_buff *skb, u8 pf,
		      bool *opened, u32 *user, bool *ack);
unsigned int muisp_uinfo_intake(void *priv, struct sk_buff *skb,
				const struct nf_hook_state *state);
void muisp_uinfo_query(struct muisp_net *mn, struct sk_buff *skb, u8 pf);
void muisp_uinfo_ack_arm(struct muisp_net *mn, u8 family, const void *host,
			 u32 pos, u32 user);
void muisp_uinfo_ack(struct muisp_net *mn, struct sk_buff *skb, u8 pf,
		     u32 pos);
bool muisp_uinfo_answer(struct muisp_net *mn, const struct muisp_flow_key *key,
			u32 *user);
bool muisp_hold_answer_put(struct muisp_hold_answers *h,
			   const struct muisp_flow_key *key, u32 user, bool held);
bool muisp_hold_answer_get(struct muisp_hold_answers *h,
			   const struct muisp_flow_key *key, u32 *user);
void muisp_uinfo_answer_late(struct muisp_net *mn, struct muisp_flowtable *ft,
			     const struct muisp_agent *a,
			     const struct muisp_flow_key *key);
int muisp_uinfo_flow_set(struct muisp_net *mn,
			 const struct muisp_addr_key *host, u8 proto,
			 u16 port, const void *peer, u16 peer_port, u32 user,
			 struct netlink_ext_ack *extack);

/* uinfo_inbound.c */
unsigned int muisp_uinfo_inbound(void *priv, struct sk_buff *skb,
				 const struct nf_hook_state *state);

/* uinfo_agent.c */
unsigned int muisp_uinfo_tag(void *priv, struct sk_buff *skb,
			     const struct nf_hook_state *state);
int muisp_tagger_init(struct muisp_net *mn);
void muisp_tagger_destroy(struct muisp_net *mn);
struct muisp_tagger *muisp_tagger_new(u32 ifindex, const u8 *material,
				      u32 key_id, u8 method,
				      struct netlink_ext_ack *extack);
int muisp_tagger_publish(struct muisp_net *mn, struct muisp_tagger *t,
			 struct muisp_tagger **old);
void muisp_tagger_release(struct muisp_tagger *old);
int muisp_tag_user_set(struct muisp_net *mn, const struct muisp_tag_user *tmpl,
		       u32 max, struct netlink_ext_ack *extack);
int muisp_tag_user_del(struct muisp_net *mn, u32 uid);
int muisp_tagger_seal(struct muisp_tagger *t, u8 family, struct muisp_uinfo *m,
		      struct muisp_uinfo_bind *b, u8 *opt, unsigned int cap);
/*
 * FLOW's table of flows tagged until acknowledged (uinfo_agent.c), from
 * LOCAL_IN (uinfo_inbound.c).  The slot of a flow of this host (its local
 * and remote address and port) that is tagged and not acknowledged, or
 * NULL; *was: what it held.  Then, the meter having acknowledged the
 * flow as user's: its tags end if the slot still holds was and was's uid
 * is user's.  Returns whether they did.
 */
u64 *muisp_tag_flow_unacked(const struct muisp_tagger *t, u8 family,
			    const void *laddr, const void *raddr,
			    __be16 lport, __be16 rport, u64 *was);
bool muisp_tag_flow_ack(struct muisp_net *mn, u64 *slot, u64 was, u32 user);
const struct muisp_tag_user *muisp_tag_addr_user(struct muisp_net *mn,
						 u8 family, const void *addr);
unsigned int muisp_tag_wire_len(const struct sk_buff *skb, unsigned int *segs);
void muisp_tag_count(const struct muisp_tag_user *u, const struct sk_buff *skb,
		     int dir, unsigned int less);
void muisp_tag_counted(const struct muisp_tag_user *u,
		       struct muisp_tag_count *sum);

/* users.c */
int muisp_users_init(struct muisp_net *mn);
void muisp_users_destroy(struct muisp_net *mn);
struct muisp_user *muisp_user_lookup(struct muisp_net *mn,
				     const struct muisp_user_key *key);
int muisp_user_set(struct muisp_net *mn, const struct muisp_user_key *key,
		   u64 contract_id, u32 max, u32 *id,
		   struct netlink_ext_ack *extack);
int muisp_user_del(struct muisp_net *mn, const struct muisp_user_key *key);
int muisp_user_usage_move(struct muisp_net *mn,
			  const struct muisp_user_key *key, u64 seq,
			  u64 bytes[2], u64 packets[2],
			  struct netlink_ext_ack *extack);

/* contract.c */
void muisp_contract_table_init(struct muisp_net *mn);
void muisp_contract_table_destroy(struct muisp_net *mn);
struct muisp_contract *muisp_contract_lookup(struct muisp_net *mn, u64 id);

struct muisp_contract_req {
	u64 id;
	u32 flags;
	u8 metric;		/* 0: not given */
	u8 status;		/* 0: not given */
	bool has_soft, has_hard, has_expires, has_conn_hold, has_conn_queue;
	u8 conn_hold;
	u16 conn_queue;
	u64 soft, hard, expires_s;
	/* up bytes, up pkts, down bytes, down pkts, elapsed ms, usage ms */
	bool has_ctr[6];
	u64 ctr[6];
};

int muisp_contract_set(struct muisp_net *mn,
		       const struct muisp_contract_req *req, u32 max,
		       struct netlink_ext_ack *extack);
int muisp_contract_del(struct muisp_net *mn, u64 id,
		       struct netlink_ext_ack *extack);
u64 muisp_contract_elapsed_ms(struct muisp_contract *c, u64 now_ms);
u64 muisp_contract_used(struct muisp_contract *c, u64 now_ms);
/*
 * The counters: base + the sum over CPUs (see contract.c for the bound);
 * returns "used" from the same reading.
 */
struct muisp_contract_ctrs {
	u64 bytes[2];
	u64 packets[2];
	u64 usage_ms;
};

u64 muisp_contract_counters(struct muisp_contract *c,
			    struct muisp_contract_ctrs *out, u64 now_ms);
/*
 * Packet path: charge one packet to a contract the gate found ACTIVE,
 * return 0 or an enum muisp_drop_reason.
 */
int muisp_contract_charge(struct muisp_net *mn, struct muisp_contract *c,
			  int dir, unsigned int len);
/*
 * A flow's usage so far (bytes and packets up, down) was charged to the
 * wrong contract: take it from one, give it to the other, counters and
 * quota (the thesis's rollback, uinfo_meter.c).  Any context.  Limits
 * are judged on the next packet each contract is charged: the usage
 * moved in may pass the hard limit by what the flow carried.
 */
void muisp_contract_move(struct muisp_contract *from,
			 struct muisp_contract *to, const u64 bytes[2],
			 const u64 packets[2]);
void muisp_contract_clock(struct muisp_net *mn);
/* selftest/contract.c (MUISP_DEBUG=1): true if every self-test passed. */
bool muisp_contract_selftest(void);

/* lists.c */
void muisp_lists_init(struct muisp_net *mn);
void muisp_lists_destroy(struct muisp_net *mn);
int muisp_garden_add(struct muisp_net *mn, const struct muisp_garden_rule *r,
		     u32 max, u32 *id, struct netlink_ext_ack *extack);
int muisp_block_add(struct muisp_net *mn, const struct muisp_garden_rule *r,
		    const u8 *mac, u32 max, u32 *id,
		    struct netlink_ext_ack *extack);
int muisp_list_del(struct muisp_net *mn, bool garden, u32 id);
void muisp_lists_expire(struct muisp_net *mn, u64 now_s);
/*
 * Packet path, s = rcu_dereference(mn->lset) (lists_core.h), *now_s the
 * packet's CLOCK_REALTIME second, 0 until read: a live block entry
 * matches src, dst (unless NULL) or mac (unless NULL); a live garden rule
 * lets p through.  The entry that matches counts a hit.
 */
bool muisp_lists_blocked(const struct muisp_lset *s, const __be32 *src,
			 const __be32 *dst, const u8 *mac, u8 family,
			 u64 *now_s);
bool muisp_lists_garden(const struct muisp_lset *s, const struct muisp_pkt *p,
			int dir, u64 *now_s);

/* hooks.c: the netfilter hooks of a namespace, registered on demand */
#define MUISP_HOOKS_PRE		BIT(0)	/* PRE_ROUTING (require-tunnel) */
#define MUISP_HOOKS_GATE	BIT(1)	/* FORWARD, LOCAL_IN (a LAN is set) */
#define MUISP_HOOKS_TAG		BIT(2)	/* POST_ROUTING, LOCAL_IN (the agent) */
#define MUISP_HOOKS_INTAKE	BIT(3)	/* PRE_ROUTING (a LAN, agents) */
unsigned int muisp_hooks_wanted(const struct muisp_config *cfg, u32 nagents);
int muisp_hooks_set(struct muisp_net *mn, unsigned int want);

/* netlink.c */
int muisp_genl_init(void);
void muisp_genl_exit(void);

/* events.c */
void muisp_event_contract(struct muisp_net *mn, u8 type,
			  struct muisp_contract *c, u64 used, u64 limit);
void muisp_event_addr(struct muisp_net *mn, const struct muisp_addr_key *key,
		      u8 old_state, u8 new_state, u64 contract_id);
int muisp_put_contract_id(struct sk_buff *skb, int a32, int a64, int pad,
			  u64 id);
struct muisp_flow_record;
void muisp_flow_export(void *ctx, const struct muisp_flow_record *rec);
struct muisp_tag_report {
	u32 uid, user;
	u8 family, proto;	/* MUISP_AF_*, IPPROTO_TCP or _UDP */
	__be16 port, peer_port;
	const void *addr, *peer;
	u32 bytes, packets;
};

bool muisp_tag_report_send(struct muisp_net *mn,
			   const struct muisp_tag_report *r);
int muisp_flow_fill(struct sk_buff *skb, const struct muisp_flow_record *rec,
		    bool with_reason);
/* set once the family is registered, cleared before it goes */
extern bool muisp_genl_live;
extern struct genl_family muisp_genl_family;

static inline void muisp_drop_count(struct muisp_net *mn, int reason)
{
	this_cpu_inc(mn->stats->drops[reason]);
}

#endif /* MUISP_MUISP_H */

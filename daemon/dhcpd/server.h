/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The DHCP server proper (RFC 2131 section 4.3): message handling, lease
 * state, persistence order and reply addressing.  No sockets here: the
 * event loop feeds datagrams to server_input(), runs server_flush() after
 * each batch and server_expire() when the next deadline passes.
 *
 * Durability: every lease change is written to the lease database inside
 * one transaction per batch; server_flush() commits it (fsync), then
 * updates the kernel, then sends the replies.  An ACK is therefore never
 * sent for a lease that is not on disk.
 *
 * Hostile LAN (docs/DESIGN.md, "muisp-dhcpd"): a RELEASE or DECLINE is
 * honoured only from the address's holder (Ethernet source = chaddr =
 * the lease's; out of its IPsec SA for a tunnelled address; never a
 * DECLINE of a bound address or of a mere offer); offers are reserved
 * only within per-source and per-pool bounds, beyond which they are made
 * without holding the address; quarantines are capped; relayed requests
 * come only from configured relays; replies never go to an address the
 * client chose.  Every refusal is counted.
 */
#ifndef MUISP_DHCPD_SERVER_H
#define MUISP_DHCPD_SERVER_H

#include <stdint.h>

#include "config.h"
#include "kernel.h"
#include "leasedb.h"
#include "log.h"
#include "dhcp_msg.h"
#include "pool.h"
#include "source.h"

struct witness;

#define SRV_MAX_PENDING 64 /* replies/kernel calls per batch */

struct srv_iface {
	struct conf_iface *conf;
	uint32_t server_id; /* host order */
	int ifindex;
	struct pool pool;
	struct src_table src; /* Ethernet sources: offers held, rate */
	int udp_fd, pkt_fd;   /* io.c */
	struct witness *wit;  /* io.c: frames seen on pkt_fd */
	uint64_t wit_wait;    /* io.c: the next datagram's frame awaited
			       * until then (monotonic us), 0: not waiting */
};

/* Where a datagram came from: io.c fills it in, tests make it up. */
struct srv_src {
	uint32_t saddr, daddr; /* IP source and destination, network order */
	uint16_t sport;	       /* UDP source port */
	uint8_t has_mac;       /* the Ethernet source is known (witness.h) */
	uint8_t mac[6];
};

struct reply {
	struct srv_iface *ifc;
	uint32_t dst;	/* network order */
	uint16_t dport; /* host order */
	int l2;		/* unicast to chaddr without ARP */
	uint8_t chaddr[6];
	size_t len;
	uint8_t buf[DHCP_MAX_PACKET];
};

struct kcall {
	enum kaddr_op op;
	uint32_t addr;
	int has_mac;
	uint8_t mac[6];
};

/* Counters: names in server_stat_names (same order). */
enum srv_stat {
	ST_RX,
	ST_DISCOVER,
	ST_REQUEST,
	ST_DECLINE,
	ST_RELEASE,
	ST_INFORM,
	ST_OFFER,
	ST_ACK,
	ST_NAK,
	ST_OFFER_UNRESERVED,
	ST_NO_ADDRESS,
	ST_EXPIRED,
	ST_OFFER_EXPIRED,
	ST_QUARANTINED,
	ST_QUARANTINE_EVICTED,
	ST_IGNORED,
	ST_RELEASE_REFUSED_MAC,
	ST_RELEASE_REFUSED_TUNNEL,
	ST_RELEASE_REFUSED_BOUND,
	ST_DECLINE_REFUSED_MAC,
	ST_DECLINE_REFUSED_NOT_ACKED,
	ST_DECLINE_REFUSED_BOUND,
	ST_REFUSED_KERNEL,
	ST_SOURCE_UNKNOWN,
	ST_DROP_TRUNCATED,
	ST_DROP_OVERSIZED,
	ST_DROP_BAD_MAGIC,
	ST_DROP_BAD_OP,
	ST_DROP_BAD_HLEN,
	ST_DROP_OPT_OVERFLOW,
	ST_DROP_BAD_OVERLOAD,
	ST_DROP_BAD_TYPE,
	ST_DROP_BAD_OPTLEN,
	ST_DROP_NOT_SERVED,
	ST_DROP_RELAY,
	ST_DROP_RATE,
	ST_DB_ERRORS,
	ST_KERNEL_ERRORS,
	ST_SEND_ERRORS,
	ST__MAX
};
extern const char *const server_stat_names[ST__MAX];

struct server;
typedef int (*srv_send_fn)(struct server *s, const struct reply *r);

struct server {
	struct dhcp_conf *conf;
	struct srv_iface ifaces[CONF_MAX_IFACES];
	unsigned int nifaces;
	struct leasedb *db;
	int in_txn;
	struct kernel_ops kops; /* update == NULL: no hand-off */
	int kernel_failed;	/* a call failed: resync pending */
	srv_send_fn send;
	void *send_ctx;
	uint64_t st[ST__MAX];
	int stats_dirty;
	int64_t stats_written;
	int64_t drop_logged, exhaust_logged; /* log rate limit: 1/s */
	/* Lines the LAN can cause at will: at most one a second each. */
	struct log_rl rl_refused, rl_relay, rl_rate, rl_unreserved,
		rl_quarantine, rl_decline;
	struct reply *out; /* SRV_MAX_PENDING */
	unsigned int nout;
	struct kcall kq[SRV_MAX_PENDING * 2];
	unsigned int nkq;
};

/*
 * Set up pools from conf (server ids must be resolved: server_id != 0 for
 * every interface) and rebuild the state from the lease database.
 * Leases whose end has passed expire at the first server_expire().
 */
int server_init(struct server *s, struct dhcp_conf *conf,
		const uint32_t *server_ids, struct leasedb *db, int64_t now);
void server_fini(struct server *s);

/* One datagram received on interface index i of s->ifaces, from src. */
void server_input(struct server *s, unsigned int i, const uint8_t *buf,
		  size_t len, const struct srv_src *src, int64_t now);
/* Commit, hand off to the kernel, send; 0, or -1 if the commit failed
 * (replies that depended on it are dropped). */
int server_flush(struct server *s, int64_t now);
/* Handle every deadline <= now; returns the next deadline or -1. */
int64_t server_expire(struct server *s, int64_t now);
int64_t server_next_deadline(const struct server *s);
/* Operator release (muispctl): 0, or -1 ENOENT if not leased. */
int server_admin_release(struct server *s, uint32_t addr, int64_t now);
/* Re-assert every lease in the kernel (after a failure or at start). */
int server_kernel_resync(struct server *s);
/* Write counters and pool gauges to the database (in the open transaction
 * or its own). */
void server_write_stats(struct server *s, int64_t now);
/* Interface n's pool gauges (leasedb.h: reserved and excluded addresses
 * are in no column; idx is n + 1, the configuration's order). */
void server_pool_gauges(const struct server *s, unsigned int n,
			struct leasedb_pool *g);
void server_log_stats(const struct server *s);

#endif

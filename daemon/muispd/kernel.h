/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every call muispd makes into the muisp kernel module goes through here.
 * Two backends: "netlink" (lib/muisp_nl, the real datapath) and "none"
 * (no module: host tests; usage of bytes/packets metrics is fed by the
 * operator's usage-add command and kept in memory).
 *
 * Units: the daemon counts time metrics in seconds, the module in
 * milliseconds; conversion happens here.  The elapsed-time metric counts
 * wall-clock time since the receipt's date (recoverable from the receipt
 * alone, paper §7), so the module gets it as an expiry, not as a limit.
 */
#ifndef MUISP_KERNEL_H
#define MUISP_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "muisp_nl.h"
#include "store.h"
#include "tunnel.h"

struct kernel;

enum kernel_event_type {
	KEV_SOFT_LIMIT = 1,
	KEV_HARD_LIMIT,
	KEV_EXPIRED,
	KEV_ADDR_RELEASED, /* lease/SA gone: address no longer allocated */
};

struct muisp_nl;

struct kernel_event {
	int type;
	uint64_t serial;
	uint64_t used; /* daemon units */
	char addr[64];
};

typedef void (*kernel_event_fn)(const struct kernel_event *ev, void *arg);

/* Open a backend: use_module = 0 for "none". */
int kernel_open(int use_module, struct kernel **out);
void kernel_close(struct kernel *k);
/* Read the events pending on nl, the module's "events" group as the
 * daemon follows it (lib/nl_follow, server.c); fn is called for each.
 * 0 or -1. */
int kernel_events(struct muisp_nl *nl, kernel_event_fn fn, void *arg);

/* A contract's four counters (index): bytes and packets from the user
 * (RADIUS Input), to the user (Output). */
enum { KC_UB = 0, KC_UP, KC_DB, KC_DP, KC_N };

/* Create or update the module's contract from c and state (enum
 * contract_state; bound states map to ACTIVE/SUSPENDED/DELINQUENT).
 * restore_usage: also load the usage into the module's counters: the
 * four of ctr (KC_*; their sum is c->usage for bytes/packets), or with
 * ctr NULL all of c->usage into the up counter of its metric. */
int kernel_contract_push(struct kernel *k, const struct contract_rec *c,
			 int state, int restore_usage, const uint64_t *ctr);
int kernel_contract_del(struct kernel *k, uint64_t serial);
/* Current usage in daemon units (bytes, packets, seconds).  1 when the
 * module does not know the contract. */
int kernel_contract_usage(struct kernel *k, const struct contract_rec *c,
			  uint64_t *used);
/* The same GET, with the four counters (KC_*); ctr and used are written
 * only when it succeeds (0).  The "none" backend has no direction: its
 * usage is Input (bytes or packets by the metric). */
int kernel_contract_counters(struct kernel *k, const struct contract_rec *c,
			     uint64_t ctr[KC_N], uint64_t *used);
int kernel_addr_bind(struct kernel *k, const char *addr, uint64_t serial);
int kernel_addr_unbind(struct kernel *k, const char *addr);
#ifdef MUISP_TESTING
extern int kernel_test_fail_unbind;
extern int kernel_test_refuse_bind, kernel_test_lost;
#endif
/* 1 if a contract the module does not know was lost by it (reboot,
 * module reloaded); 0 for "none", where muispd is the module. */
int kernel_can_lose(const struct kernel *k);
/*
 * Tunnel identity (see tunnel.h).  kernel_addr_get: 0 and *out, 1 if the
 * module has no entry for addr (or the backend is "none"), -1 on error.
 * kernel_addr_tunnel writes an entry: state, contract (when bound), the
 * identity (spi 0 clears it) and the MAC kept from kernel_addr_get.
 * kernel_addr_tunnels calls fn for every entry that has an identity.
 */
struct kernel_addr {
	struct tun_entry e;
	int has_mac;
	uint8_t mac[6];
};
int kernel_addr_get(struct kernel *k, const char *addr,
		    struct kernel_addr *out);
#ifdef MUISP_TESTING
/* unit tests: the "none" backend's entry of every address has this SA
 * (spi 0: no entry) */
extern struct tun_id kernel_test_tunnel;
#endif
int kernel_addr_tunnel(struct kernel *k, const char *addr,
		       const struct kernel_addr *a);
int kernel_addr_tunnels(struct kernel *k,
			void (*fn)(const char *addr, void *arg), void *arg);

/* The module's LAN interface (config lan): 0 and its name, or 1 if it
 * has none (or the backend is "none"). */
int kernel_lan_ifname(struct kernel *k, char *name, size_t cap);

/* 1 if the address's tunnel encrypts (ESP), so a plain TCP control
 * channel is acceptable (paper §5); 0 if not or unknown. */
int kernel_tunnel_is_esp(struct kernel *k, const char *addr);

/* A multi-user host's agent (uinfo.c): key (MUISP_AGENT_KEY_LEN bytes)
 * under key_id, or with key NULL closed; scheme: how it names its users
 * (enum mp_scheme, the module's numbering); hold_queue: the NFQUEUE its
 * new flows wait on (out of band, flow-based), -1 none.
 * kernel_agents_close closes every agent, *n of them.  0 or -1; "none":
 * 0, nothing. */
int kernel_agent_set(struct kernel *k, const char *addr, const uint8_t *key,
		     uint32_t key_id, int scheme, int hold_queue);
/* Every flow the module meters, to cb (muisp_nl_flow_cb): 0, or -1. */
int kernel_flow_walk(struct kernel *k, muisp_nl_flow_cb cb, void *arg);
/* Per-connection billing: every contract pushed from now on holds its
 * new connections (mode: enum muisp_conn_hold, 0 none) on queue. */
void kernel_conn_billing(struct kernel *k, int mode, uint16_t queue);
/*
 * The verdict on a held connection (conn_hold.c), posted: sent by
 * kernel_conn_flush, which must come before the held packets go round
 * the hook again.  The module's refusals come back later on
 * kernel_conn_fd (readable: kernel_conn_errors calls cb for each).  All
 * 0, or -1 with errno; fd -1 and flush 0 when the verdicts are requests
 * (no handle of their own: kernel_ext_msg() says why one failed).
 */
int kernel_conn_verdict(struct kernel *k, int family, int proto,
			const void *host, uint16_t port, const void *peer,
			uint16_t peer_port, int accept);
int kernel_conn_flush(struct kernel *k);
int kernel_conn_fd(const struct kernel *k);
int kernel_conn_errors(struct kernel *k, muisp_nl_post_error_cb cb, void *arg);
/* The out-of-band answer: the held flow the host began (family, proto,
 * host:port -> peer:peer_port, addresses in network order) is user's (0:
 * the host's own); a flow the module has already moves to the user's
 * active contract with what it carried (a packet-based agent's report,
 * uinfo_report.c), and a flow not yet begun is the user's from its first
 * packet if that comes within 5 s.  0, or -1 (errno; kernel_ext_msg()
 * says why). */
int kernel_agent_flow_set(struct kernel *k, int family, int proto,
			  const void *host, uint16_t port, const void *peer,
			  uint16_t peer_port, uint32_t user);
#ifdef MUISP_TESTING
/* unit tests: the calls counted, the last user kept; they fail while
 * kernel_test_fail_flow_set is set */
extern unsigned kernel_test_flow_sets;
extern uint32_t kernel_test_flow_user;
extern int kernel_test_fail_flow_set;
#endif
/* A standalone agent's usage record seq for user of host (its address,
 * text): usage {bytes sent, packets sent, bytes received, packets
 * received} moves from the contract host's address is bound to to the
 * user's; moved: what did (cut to what the host's contract counted).
 * 0, or -1 (errno: EALREADY moved before, ENOENT the user or the host
 * bound to no contract; kernel_ext_msg() says why).  No module: 0, all
 * of it "moved". */
int kernel_user_usage_move(struct kernel *k, const char *host, uint32_t user,
			   uint64_t seq, const uint64_t usage[4],
			   uint64_t moved[4]);
#ifdef MUISP_TESTING
/* unit tests: the calls counted; they fail with kernel_test_usage_errno
 * while it is set */
extern unsigned kernel_test_usage_moves;
extern int kernel_test_usage_errno;
#endif
/* The module's last refusal, "" if none. */
const char *kernel_ext_msg(struct kernel *k);
int kernel_agents_close(struct kernel *k, unsigned *n);
/* 1 if the module has an agent for addr (keyed or closed), 0 if not, -1
 * if it cannot say. */
int kernel_agent_known(struct kernel *k, const char *addr);

/* "none" backend only: add usage to a contract (operator usage-add). */
int kernel_usage_add(struct kernel *k, uint64_t serial, uint64_t delta);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * muisp_nl: the one generic-netlink client of the "muisp" family, shared
 * by muispctl and the daemons (muisp-dhcpd, muispd).
 *
 * Transport (this part does not depend on the uAPI):
 *
 *   nl = muisp_nl_open(0);              resolves the family, its version
 *                                       and multicast groups once
 *   nlh = muisp_nl_msg(nl, CMD, flags); request in the handle's buffer;
 *   mnl_attr_put_u32(nlh, ATTR, v);     add attributes with libmnl
 *   muisp_nl_request(nl, nlh, cb, arg); send, run cb on every reply, wait
 *                                       for the ack (or NLMSG_DONE)
 *   muisp_nl_dump(nl, nlh, cb, reset, arg);
 *                                       dump; if the kernel flags the dump
 *                                       NLM_F_DUMP_INTR (table changed
 *                                       under it) reset(arg) is called and
 *                                       the dump restarts from scratch
 *
 * Every call returns 0 or -1 with errno set (the kernel's errno for a
 * NACK).  After a NACK, muisp_nl_ext_msg() is the kernel's extended-ack
 * text (or NULL) and muisp_nl_ext_attr() the type of the top-level request
 * attribute it pointed at (or -1); muisp_nl_ext_missing() the type of a
 * missing required attribute (or -1).
 *
 * Events: open a second handle, join groups by name, then either block in
 * muisp_nl_recv() or (daemons) poll muisp_nl_fd() of a handle opened with
 * MUISP_NL_NONBLOCK and call muisp_nl_recv() when readable; it returns -1
 * with errno EAGAIN when nothing is left and ENOBUFS when the kernel
 * dropped notifications (socket overrun): the caller must then resync its
 * view with dumps.  A handle that joined a group cannot send requests
 * (EINVAL): notifications would interleave with replies.
 *
 * Most callers need only the typed layer further down: one struct per
 * object (struct muisp_nl_addr, _contract, _flow, ...) and wrappers
 * muisp_nl_<object>_<verb>() (set/get/del/dump, garden/block add, config,
 * stats, muisp_nl_recv_events()).
 *
 * Only datagrams sent by the kernel (sender port id 0) are accepted; a
 * local process cannot inject replies or events.  Replies of an earlier,
 * abandoned request (other sequence number) are skipped.
 *
 * Handles are not thread-safe; use one per thread.
 */
#ifndef MUISP_NL_H
#define MUISP_NL_H

#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

#include "uapi/muisp.h"

struct muisp_nl;

/* Called for each reply/notification: MNL_CB_OK to go on, MNL_CB_STOP to
 * stop delivering (the rest of the reply is drained), MNL_CB_ERROR (errno
 * set) to fail the call. */
typedef int (*muisp_nl_cb)(const struct nlmsghdr *nlh, void *arg);
/* Called before a dump is restarted after NLM_F_DUMP_INTR. */
typedef void (*muisp_nl_reset_cb)(void *arg);

#define MUISP_NL_NONBLOCK 0x1 /* non-blocking socket (event loops) */

#define MUISP_NL_FAMILY MUISP_GENL_NAME
/* Dump restarts before giving up with EAGAIN. */
#define MUISP_NL_DUMP_TRIES 16

/* Open a handle on the "muisp" family.  NULL with errno: ENOENT when the
 * family is not registered (module not loaded in this netns). */
struct muisp_nl *muisp_nl_open(unsigned int flags);
/* Same for any generic-netlink family (tests use "nlctrl"). */
struct muisp_nl *muisp_nl_open_family(const char *name, unsigned int flags);
void muisp_nl_close(struct muisp_nl *nl);

int muisp_nl_fd(const struct muisp_nl *nl);
uint16_t muisp_nl_family_id(const struct muisp_nl *nl);
uint32_t muisp_nl_family_version(const struct muisp_nl *nl);
/* Multicast group id by name, or -1 with errno ENOENT. */
int muisp_nl_group_id(const struct muisp_nl *nl, const char *group);
/* Join a multicast group by name (ENOENT: no such group). */
int muisp_nl_join(struct muisp_nl *nl, const char *group);
/* Enlarge the receive buffer of an event handle (SO_RCVBUFFORCE when
 * privileged, else SO_RCVBUF capped by net.core.rmem_max). */
int muisp_nl_set_rcvbuf(struct muisp_nl *nl, int bytes);

/* Start a request in the handle's buffer: nlmsghdr + genlmsghdr with the
 * family version.  flags are added to NLM_F_REQUEST. */
struct nlmsghdr *muisp_nl_msg(struct muisp_nl *nl, uint8_t cmd, uint16_t flags);
/* Send nlh (built by muisp_nl_msg) and wait for the ack; cb may be NULL. */
int muisp_nl_request(struct muisp_nl *nl, struct nlmsghdr *nlh, muisp_nl_cb cb,
		     void *arg);
/*
 * Posted requests, for a hot path that must not wait: nlh (built by
 * muisp_nl_msg) is queued without NLM_F_ACK, and muisp_nl_flush sends
 * everything queued in one datagram, which the kernel runs message by
 * message, in order, within that system call.  Nothing comes back for a
 * request that succeeded; one that failed leaves an error on the socket,
 * read by muisp_nl_post_errors (open the handle MUISP_NL_NONBLOCK and
 * call it when the fd is readable).  Keep posting and requests on
 * different handles: a request would skip a posted one's error.
 * post: 0, or -1 (EMSGSIZE; or the flush its room needed failed).
 * flush: 0, or -1 with errno: then nothing queued was sent.
 * post_errors: the errors read (cb called for each), or -1.
 */
struct muisp_nl_ext;
int muisp_nl_post(struct muisp_nl *nl, struct nlmsghdr *nlh);
int muisp_nl_flush(struct muisp_nl *nl);
typedef void (*muisp_nl_post_error_cb)(const struct muisp_nl_ext *ext,
				       void *arg);
int muisp_nl_post_errors(struct muisp_nl *nl, muisp_nl_post_error_cb cb,
			 void *arg);
/* Send nlh as a dump (NLM_F_DUMP is added) and run cb on every entry. */
int muisp_nl_dump(struct muisp_nl *nl, struct nlmsghdr *nlh, muisp_nl_cb cb,
		  muisp_nl_reset_cb reset, void *arg);
/* Receive one batch of notifications and run cb on each (see above). */
int muisp_nl_recv(struct muisp_nl *nl, muisp_nl_cb cb, void *arg);

/* Extended ack of the last request (valid until the next one). */
const char *muisp_nl_ext_msg(const struct muisp_nl *nl);
int muisp_nl_ext_attr(const struct muisp_nl *nl);
int muisp_nl_ext_missing(const struct muisp_nl *nl);
/* Number of dump restarts in the last muisp_nl_dump(). */
unsigned int muisp_nl_dump_restarts(const struct muisp_nl *nl);

/* Genl payload (after the genlmsghdr) of a reply, and its command. */
uint8_t muisp_nl_cmd(const struct nlmsghdr *nlh);
#define MUISP_NL_HDRLEN 4 /* sizeof(struct genlmsghdr) */

/*
 * Building blocks exposed for unit tests and fuzzing (pure: no socket).
 */
struct muisp_nl_ext {
	int error;     /* positive errno, 0 for a plain ack */
	char msg[256]; /* extack text, "" if none */
	int attr;      /* offending top-level request attr, or -1 */
	int missing;   /* missing required attr type, or -1 */
};
/* Parse an NLMSG_ERROR or NLMSG_DONE message answering request req (for
 * the attribute offset; req may be NULL).  0, or -1 EBADMSG if truncated. */
int muisp_nl_parse_ext(const struct nlmsghdr *nlh, const struct nlmsghdr *req,
		       struct muisp_nl_ext *ext);
/* Type of the top-level attribute of genl request req starting at byte
 * offset off from the start of req, or -1. */
int muisp_nl_attr_at(const struct nlmsghdr *req, uint32_t off);

/* Reply state machine over received datagrams (muisp_nl_request and
 * muisp_nl_dump feed it): skips messages of other seq/port ids, notes
 * NLM_F_DUMP_INTR (and stops delivering), runs cb on data messages until
 * it returns STOP/ERROR, ends at NLMSG_ERROR/NLMSG_DONE.  Returns 0: need
 * more data, 1: complete, -1: failed with errno (kernel errno with ext
 * filled in, or the callback's). */
struct muisp_nl_run {
	uint32_t portid;
	int stop, cberr, intr;
	struct muisp_nl_ext ext;
};
int muisp_nl_run_buf(struct muisp_nl_run *st, const void *buf, size_t len,
		     const struct nlmsghdr *req, muisp_nl_cb cb, void *arg);

/* Parse a CTRL_CMD_NEWFAMILY reply into id, version and groups. */
#define MUISP_NL_MAX_GROUPS 8
struct muisp_nl_family {
	char name[16]; /* GENL_NAMSIZ; "" if the message had none */
	uint16_t id;
	uint32_t version;
	unsigned int ngroups;
	struct {
		char name[32];
		uint32_t id;
	} groups[MUISP_NL_MAX_GROUPS];
};
int muisp_nl_parse_family(const struct nlmsghdr *nlh,
			  struct muisp_nl_family *fam);
/* A notification of the controller's "notify" group (a handle opened with
 * muisp_nl_open_family("nlctrl", ..) that joined "notify"): the command
 * (CTRL_CMD_NEWFAMILY or CTRL_CMD_DELFAMILY) if it is about family name,
 * with fam filled in; 0 for any other command or family; -1 with EBADMSG
 * if malformed. */
int muisp_nl_parse_ctrl(const struct nlmsghdr *nlh, const char *name,
			struct muisp_nl_family *fam);

/*
 * Typed objects of the muisp family (its spec, include/uapi/muisp.yaml, is
 * the source of truth).  One struct per attribute space, one member per
 * attribute, named after it: muisp_nl_codec.c's tables are generated from
 * the spec and check each member's size at build time.  "present" has bit
 * (1 << ATTR) set for every attribute held (MUISP_NL_HAS / MUISP_NL_SET).
 * The same struct is parsed from replies and put into requests, so a
 * daemon fills just what it wants to change:
 *
 *	struct muisp_nl_addr a = { 0 };
 *	muisp_nl_ip_from_str(&a.addr, "192.0.2.10");  MUISP_NL_SET(&a, MUISP_ADDR_A_ADDR);
 *	a.state = MUISP_ADDR_STATE_BOUND;             MUISP_NL_SET(&a, MUISP_ADDR_A_STATE);
 *	a.contract_id = 7;                            MUISP_NL_SET(&a, MUISP_ADDR_A_CONTRACT_ID);
 *	muisp_nl_addr_set(nl, &a);
 *
 * Parsing validates every known attribute's type and length (EBADMSG on a
 * mismatch) and ignores attributes newer than this build.
 *
 * Contract ids are 64-bit: each has one uint64_t member (contract_id, or
 * id in struct muisp_nl_contract) for both of its attributes, the u32
 * form and the u64 one (*_CONTRACT_ID64).  Parsing fills it from either
 * and sets the u32 form's bit; a request puts the u32 form while the id
 * fits (so it works with a module older than the u64 form) and the u64
 * form otherwise.  The u64 form has no bit of its own in "present".
 */

#define MUISP_NL_HAS(o, attr) (!!((o)->present & (1ULL << (attr))))
#define MUISP_NL_SET(o, attr) ((o)->present |= 1ULL << (attr))

struct muisp_nl_ip {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t a[16];	/* network byte order; 4 used for IPv4 */
};

struct muisp_nl_addr {
	uint64_t present;
	uint32_t id;
	struct muisp_nl_ip addr;
	uint8_t state; /* enum muisp_addr_state */
	uint64_t contract_id;
	uint8_t contract_status; /* enum muisp_contract_status */
	uint8_t mac[6];
	uint32_t xfrm_reqid;
	uint32_t xfrm_if_id;
	uint32_t flags;	   /* MUISP_ADDR_F_* */
	uint32_t xfrm_spi; /* inbound SPI, host order; 0 clears */
	uint32_t xfrm_spi_prev;
	uint8_t xfrm_proto; /* IPPROTO_AH / IPPROTO_ESP */
};

struct muisp_nl_contract {
	uint64_t present;
	uint64_t id;
	uint8_t status; /* enum muisp_contract_status */
	uint8_t metric; /* enum muisp_metric */
	uint64_t soft_limit, hard_limit;
	uint64_t expires_s;
	uint64_t used;
	uint64_t up_bytes, up_packets, down_bytes, down_packets;
	uint64_t elapsed_ms, usage_ms;
	uint32_t naddrs;
	uint32_t flags; /* MUISP_CONTRACT_F_* */
	uint32_t nusers;
	uint8_t conn_hold;   /* enum muisp_conn_hold: per-connection billing */
	uint16_t conn_queue; /* ... its NFQUEUE */
};

/* Live flow (FLOW_GET) or ended flow (FLOW_RECORD, with end_reason). */
struct muisp_nl_flow {
	uint64_t present;
	uint64_t id;
	struct muisp_nl_ip client_addr, peer_addr;
	uint8_t proto;
	uint16_t client_port, peer_port;
	uint64_t up_bytes, up_packets, down_bytes, down_packets;
	uint64_t first_ms, last_ms;
	uint8_t tcp_flags;
	uint64_t contract_id;
	uint8_t end_reason; /* enum muisp_flow_end */
	uint64_t seq;	    /* FLOW_RECORD: per-namespace record number */
	uint8_t verdict;    /* CONN_VERDICT: enum muisp_conn_verdict */
};

struct muisp_nl_garden {
	uint64_t present;
	uint32_t id;
	struct muisp_nl_ip prefix;
	uint8_t prefix_len;
	uint8_t proto;
	uint16_t port_min, port_max;
	uint64_t expires_s;
	uint64_t hits;
};

struct muisp_nl_block {
	uint64_t present;
	uint32_t id;
	struct muisp_nl_ip prefix;
	uint8_t prefix_len;
	uint8_t mac[6];
	uint64_t expires_s;
	uint64_t hits;
};

/* A multi-user host whose User Information options the meter opens. */
struct muisp_nl_agent {
	uint64_t present;
	uint32_t id;
	struct muisp_nl_ip addr;
	uint8_t key[MUISP_AGENT_KEY_LEN]; /* requests only: never dumped */
	uint32_t key_id; /* absent: closed (its key agreement is down) */
	uint64_t opened, forged, replayed, blocked;
	uint64_t redirects, rollbacks; /* redirected copies; flows repaid */
	uint64_t queries; /* Query options put in packets to the host */
	uint64_t acks;	  /* Acknowledgments put in packets to the host */
	/* out of band: the NFQUEUE its new flows wait on; held, released */
	uint16_t hold_queue;
	uint64_t held, answered;
	uint8_t scheme; /* enum muisp_agent_scheme */
	/* MUISP_CMD_AGENT_FLOW_SET: the flow the host began, and its user */
	uint8_t proto;
	uint16_t port, peer_port; /* host order */
	struct muisp_nl_ip peer;
	uint32_t user;
};

/* A user of an agent's host bound to a contract of their own. */
struct muisp_nl_user {
	uint64_t present;
	uint32_t id;
	struct muisp_nl_ip addr;
	uint32_t user; /* the Accounting ID */
	uint64_t contract_id;
	uint8_t contract_status; /* dumps only, as the counters: */
	uint64_t up_bytes, up_packets, down_bytes, down_packets;
	uint64_t usage_seq; /* muisp_nl_user_usage_move() */
};

/* The agent's role: tag mapped local users' packets on an interface. */
struct muisp_nl_tag {
	uint64_t present;
	uint32_t ifindex;
	uint8_t key[MUISP_AGENT_KEY_LEN]; /* requests only: never read back */
	uint32_t key_id; /* absent: closed (the key agreement is down) */
	uint8_t method;	 /* enum muisp_tag_method */
	uint64_t tagged, skipped, blocked, denied, spoofed;
	uint64_t redirected; /* copies of received packets sent the meter */
	uint64_t queried;  /* received packets that carried the meter's Query */
	uint64_t clamped;  /* handshakes whose MSS was lowered for the tag */
	uint64_t reported; /* REPORT: packets reported on "reports" */
	uint64_t acked;	   /* FLOW: flows the meter's Acknowledgment ended */
	uint64_t ack_forged; /* Acknowledgments whose seal did not open */
};

/* A local user the agent tags: uid -> Accounting ID; blocked: dropped;
 * addr: the user's own address (Multi-IP), absent if none.  Dumps: what
 * the COUNT method counted for the uid (IP bytes as on the wire). */
struct muisp_nl_tag_user {
	uint64_t present;
	uint32_t uid;
	uint32_t user;
	uint8_t blocked; /* 0/1 */
	struct muisp_nl_ip addr;
	uint64_t sent_bytes, sent_packets, recv_bytes, recv_packets;
};

/* The agent's report of a packet a mapped user sent (method REPORT, the
 * "reports" group): the out-of-band scheme, packet-based. */
struct muisp_nl_tag_report {
	uint64_t present;
	uint32_t uid, user;	 /* the local user and their Accounting ID */
	uint8_t proto;		 /* IPPROTO_TCP or IPPROTO_UDP */
	struct muisp_nl_ip addr; /* the packet's source (the host's address) */
	uint16_t port;		 /* its source port */
	struct muisp_nl_ip peer; /* its destination */
	uint16_t peer_port;
	uint32_t bytes, packets; /* IP bytes as on the wire; GSO segments */
};

struct muisp_nl_config {
	uint64_t present;
	uint32_t lan_ifindex;
	uint32_t idle_timeout_s, fin_timeout_s;
	uint32_t max_flows;
	uint16_t control_port;
	uint32_t usage_gap_s;
	uint8_t require_tunnel;
	uint32_t dns_rate; /* packets/s, 0 = no limit */
	uint32_t dns_burst;
	uint32_t conn_rate; /* held connections/s a source, 0 = no limit */
	uint32_t conn_burst;
};

struct muisp_nl_stats {
	uint64_t present;
	uint64_t drops_present; /* bit (1 << reason) */
	uint64_t drops[MUISP_DROP_MAX + 1];
	uint64_t up_packets, up_bytes, down_packets, down_bytes;
	uint64_t local_packets, garden_packets;
	uint32_t flows, max_flows;
	uint64_t evictions, flow_records, records_lost;
	uint64_t events, events_lost;
	uint32_t addrs, contracts;
	uint64_t flows_unmetered;
	uint64_t conn_held, conn_requests;
};

struct muisp_nl_event {
	uint64_t present;
	uint8_t type; /* enum muisp_event_type */
	uint64_t time_ms;
	uint64_t contract_id;
	uint8_t status;
	uint64_t used, limit;
	struct muisp_nl_ip addr;
	uint8_t old_state, new_state;
};

/* Codecs (pure): parse a reply, put the present attributes of a request.
 * Parse: 0, or -1 with EBADMSG.  Put: 0, or -1 with EMSGSIZE. */
int muisp_nl_addr_parse(const struct nlmsghdr *nlh, struct muisp_nl_addr *o);
int muisp_nl_addr_put(struct nlmsghdr *nlh, const struct muisp_nl_addr *o);
int muisp_nl_contract_parse(const struct nlmsghdr *nlh,
			    struct muisp_nl_contract *o);
int muisp_nl_contract_put(struct nlmsghdr *nlh,
			  const struct muisp_nl_contract *o);
int muisp_nl_flow_parse(const struct nlmsghdr *nlh, struct muisp_nl_flow *o);
int muisp_nl_flow_put(struct nlmsghdr *nlh, const struct muisp_nl_flow *o);
int muisp_nl_garden_parse(const struct nlmsghdr *nlh,
			  struct muisp_nl_garden *o);
int muisp_nl_garden_put(struct nlmsghdr *nlh, const struct muisp_nl_garden *o);
int muisp_nl_block_parse(const struct nlmsghdr *nlh, struct muisp_nl_block *o);
int muisp_nl_block_put(struct nlmsghdr *nlh, const struct muisp_nl_block *o);
int muisp_nl_agent_parse(const struct nlmsghdr *nlh, struct muisp_nl_agent *o);
int muisp_nl_agent_put(struct nlmsghdr *nlh, const struct muisp_nl_agent *o);
int muisp_nl_user_parse(const struct nlmsghdr *nlh, struct muisp_nl_user *o);
int muisp_nl_user_put(struct nlmsghdr *nlh, const struct muisp_nl_user *o);
int muisp_nl_tag_parse(const struct nlmsghdr *nlh, struct muisp_nl_tag *o);
int muisp_nl_tag_put(struct nlmsghdr *nlh, const struct muisp_nl_tag *o);
int muisp_nl_tag_user_parse(const struct nlmsghdr *nlh,
			    struct muisp_nl_tag_user *o);
int muisp_nl_tag_user_put(struct nlmsghdr *nlh,
			  const struct muisp_nl_tag_user *o);
int muisp_nl_config_parse(const struct nlmsghdr *nlh,
			  struct muisp_nl_config *o);
int muisp_nl_config_put(struct nlmsghdr *nlh, const struct muisp_nl_config *o);
int muisp_nl_stats_parse(const struct nlmsghdr *nlh, struct muisp_nl_stats *o);
int muisp_nl_event_parse(const struct nlmsghdr *nlh, struct muisp_nl_event *o);

/* Requests.  GET of a missing object: -1 ENOENT. */
typedef int (*muisp_nl_addr_cb)(const struct muisp_nl_addr *o, void *arg);
typedef int (*muisp_nl_contract_cb)(const struct muisp_nl_contract *o,
				    void *arg);
typedef int (*muisp_nl_flow_cb)(const struct muisp_nl_flow *o, void *arg);
typedef int (*muisp_nl_garden_cb)(const struct muisp_nl_garden *o, void *arg);
typedef int (*muisp_nl_block_cb)(const struct muisp_nl_block *o, void *arg);
typedef int (*muisp_nl_agent_cb)(const struct muisp_nl_agent *o, void *arg);
typedef int (*muisp_nl_user_cb)(const struct muisp_nl_user *o, void *arg);
typedef int (*muisp_nl_tag_user_cb)(const struct muisp_nl_tag_user *o,
				    void *arg);
typedef int (*muisp_nl_event_cb)(const struct muisp_nl_event *o, void *arg);

int muisp_nl_addr_set(struct muisp_nl *nl, const struct muisp_nl_addr *o);
int muisp_nl_addr_get(struct muisp_nl *nl, const struct muisp_nl_ip *ip,
		      struct muisp_nl_addr *out);
int muisp_nl_addr_del(struct muisp_nl *nl, const struct muisp_nl_ip *ip);
int muisp_nl_addr_dump(struct muisp_nl *nl, muisp_nl_addr_cb cb,
		       muisp_nl_reset_cb reset, void *arg);

int muisp_nl_contract_set(struct muisp_nl *nl,
			  const struct muisp_nl_contract *o);
int muisp_nl_contract_get(struct muisp_nl *nl, uint64_t id,
			  struct muisp_nl_contract *out);
int muisp_nl_contract_del(struct muisp_nl *nl, uint64_t id);
int muisp_nl_contract_dump(struct muisp_nl *nl, muisp_nl_contract_cb cb,
			   muisp_nl_reset_cb reset, void *arg);

/* filter: NULL, or CLIENT_ADDR and/or CONTRACT_ID present. */
int muisp_nl_flow_dump(struct muisp_nl *nl, const struct muisp_nl_flow *filter,
		       muisp_nl_flow_cb cb, muisp_nl_reset_cb reset, void *arg);
/* End the flows of a contract now (0: all flows). */
int muisp_nl_flow_flush(struct muisp_nl *nl, uint64_t contract_id);

/* *id receives the new entry's id (may be NULL). */
int muisp_nl_garden_add(struct muisp_nl *nl, const struct muisp_nl_garden *o,
			uint32_t *id);
int muisp_nl_garden_del(struct muisp_nl *nl, uint32_t id);
int muisp_nl_garden_dump(struct muisp_nl *nl, muisp_nl_garden_cb cb,
			 muisp_nl_reset_cb reset, void *arg);
int muisp_nl_block_add(struct muisp_nl *nl, const struct muisp_nl_block *o,
		       uint32_t *id);
int muisp_nl_block_del(struct muisp_nl *nl, uint32_t id);
int muisp_nl_block_dump(struct muisp_nl *nl, muisp_nl_block_cb cb,
			muisp_nl_reset_cb reset, void *arg);

/* Register an agent or rekey it (ADDR, KEY, KEY_ID; ADDR alone: closed);
 * *id: its id. */
int muisp_nl_agent_set(struct muisp_nl *nl, const struct muisp_nl_agent *o,
		       uint32_t *id);
int muisp_nl_agent_del(struct muisp_nl *nl, const struct muisp_nl_ip *addr);
/* The out-of-band answer: the held flow (ADDR, PROTO, PORT, PEER,
 * PEER_PORT) is USER's (0: the host's own). */
int muisp_nl_agent_flow_set(struct muisp_nl *nl,
			    const struct muisp_nl_agent *o);
/* Per-connection billing: the verdict (VERDICT) on the held connection
 * (CLIENT_ADDR, CLIENT_PORT -> PEER_ADDR, PEER_PORT, PROTO). */
int muisp_nl_conn_verdict(struct muisp_nl *nl, const struct muisp_nl_flow *o);
/* The same, posted (muisp_nl_post): sent by the next muisp_nl_flush. */
int muisp_nl_conn_verdict_post(struct muisp_nl *nl,
			       const struct muisp_nl_flow *o);
int muisp_nl_agent_dump(struct muisp_nl *nl, muisp_nl_agent_cb cb,
			muisp_nl_reset_cb reset, void *arg);

/* Bind a user (ADDR, USER) to a contract (CONTRACT_ID); *id: its id. */
int muisp_nl_user_set(struct muisp_nl *nl, const struct muisp_nl_user *o,
		      uint32_t *id);
int muisp_nl_user_del(struct muisp_nl *nl, const struct muisp_nl_ip *addr,
		      uint32_t user);
int muisp_nl_user_dump(struct muisp_nl *nl, muisp_nl_user_cb cb,
		       muisp_nl_reset_cb reset, void *arg);
/* A standalone agent's usage record USAGE_SEQ for the user (ADDR, USER):
 * UP_* sent and DOWN_* received move from the host address's contract to
 * the user's; *moved (may be NULL): its UP_* and DOWN_*, what did (cut
 * to what the host's contract had counted).  -1 with errno EALREADY: that
 * record moved before. */
int muisp_nl_user_usage_move(struct muisp_nl *nl, const struct muisp_nl_user *o,
			     struct muisp_nl_user *moved);

/* The agent's role: set (IFINDEX, KEY, KEY_ID[, METHOD]; without KEY and
 * KEY_ID: closed), stop, read. */
int muisp_nl_tag_set(struct muisp_nl *nl, const struct muisp_nl_tag *o);
int muisp_nl_tag_del(struct muisp_nl *nl);
int muisp_nl_tag_get(struct muisp_nl *nl, struct muisp_nl_tag *out);
int muisp_nl_tag_user_set(struct muisp_nl *nl,
			  const struct muisp_nl_tag_user *o);
int muisp_nl_tag_user_del(struct muisp_nl *nl, uint32_t uid);
int muisp_nl_tag_user_dump(struct muisp_nl *nl, muisp_nl_tag_user_cb cb,
			   muisp_nl_reset_cb reset, void *arg);

int muisp_nl_config_get(struct muisp_nl *nl, struct muisp_nl_config *out);
int muisp_nl_config_set(struct muisp_nl *nl, const struct muisp_nl_config *o);
int muisp_nl_stats_get(struct muisp_nl *nl, struct muisp_nl_stats *out);

/* Event handles: join MUISP_GENL_MCGRP_EVENTS and/or _FLOWS, then on each
 * readable fd call this; it parses MUISP_CMD_EVENT and _FLOW_RECORD
 * messages and calls the matching callback (either may be NULL). */
int muisp_nl_recv_events(struct muisp_nl *nl, muisp_nl_event_cb ev,
			 muisp_nl_flow_cb rec, void *arg);
/* The same, with MUISP_CMD_CONN_REQUEST (group MUISP_GENL_MCGRP_CONNS)
 * to conn, its fields in a struct muisp_nl_flow. */
int muisp_nl_recv_all(struct muisp_nl *nl, muisp_nl_event_cb ev,
		      muisp_nl_flow_cb rec, muisp_nl_flow_cb conn, void *arg);
/* A handle that joined MUISP_GENL_MCGRP_REPORTS: read until EAGAIN (as
 * muisp_nl_recv_events), calling cb for each report. */
typedef int (*muisp_nl_tag_report_cb)(const struct muisp_nl_tag_report *r,
				      void *arg);
int muisp_nl_tag_report_parse(const struct nlmsghdr *nlh,
			      struct muisp_nl_tag_report *o);
int muisp_nl_recv_reports(struct muisp_nl *nl, muisp_nl_tag_report_cb cb,
			  void *arg);

/* Helpers. */
int muisp_nl_ip_from_str(struct muisp_nl_ip *ip, const char *s);
/* buf of at least MUISP_NL_IPSTRLEN bytes. */
#define MUISP_NL_IPSTRLEN 46
const char *muisp_nl_ip_to_str(const struct muisp_nl_ip *ip, char *buf);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * muisp-uinfod: the multi-user host's side of per-user accounting's key
 * agreement (see muisp-uinfod(8), docs/DESIGN.md "The agent's key
 * agreement").  It keeps the module's user map equal to the
 * configuration, agrees the agent's key with the router's muispd over
 * TLS 1.3 (both ends export it from the session, RFC 5705), installs it
 * as the module's tagger key, and closes the tagger (mapped users'
 * packets dropped) whenever there is no live session.  Standalone
 * (thesis ch. 5(c)), the module counts each user's traffic instead of
 * tagging it, and the daemon collects the counts into usage records,
 * spooled until the router acknowledges them; a full spool closes the
 * tagger too.
 *
 *   config.c   muisp-uinfod.conf(5) into struct uinfod_conf
 *   agree.c    the pure parts of the agreement: WELCOME checked, the
 *              back-off, the session's blocked users (unit-tested)
 *   session.c  the TLS client: connect, HELLO, WELCOME, the key exported,
 *              keep-alives both ways, loss and reconnection (sd-event);
 *              the router's owner queries (UINFO_OWNER_GET) answered
 *              from the kernel's socket table (lib/sockowner); its
 *              blocked users (UINFO_BLOCK) handed to main.c; standalone,
 *              the spool's records sent (UINFO_USAGE, at most 64 in
 *              flight) and their acks handed to main.c; out-of-band-
 *              packet, report.c's messages sent (UINFO_REPORT), an
 *              ERROR for one logged
 *   usage.c    standalone: the usage spool (SQLite): the module's
 *              counters turned into records against a durable baseline,
 *              kept until acknowledged (unit-tested without a kernel)
 *   report.c   out-of-band-packet: the module's per-packet reports
 *              (group "reports") into UINFO_REPORT messages, a flow's
 *              first at once and the rest summed per flow once a second
 *              (a bounded flow table; unit-tested without a kernel)
 *   kernel.c   the module: the user map made equal (blocked users
 *              flagged, own addresses), the tagger keyed or closed, the
 *              users' counters dumped (lib/muisp_nl)
 *   addrs.c    the Multi-IP scheme: users' own addresses on the
 *              interface and the per-uid routing that uses them, all at
 *              start or one user's at a time
 *   lease.c    a user's address leased at login: RFC 2131's client
 *              state machine for one lease, pure (unit-tested, fuzzed)
 *   dhcp.c     the users' leases on the interface (one packet socket,
 *              lib/udp4 and lib/dhcp_msg) and their logins (sd-login)
 *   main.c     start-up, the loop, the order of things; standalone,
 *              the collection timer and the full spool's rule (the
 *              tagger open only while the session is up and the spool
 *              not full); out-of-band-packet, the module's "reports"
 *              group followed across reloads (lib/nl_follow) into
 *              report.c, and its 1-s tick
 *
 * Out of band, packet-based (thesis ch. 5(a)), the tagger's method is
 * REPORT: keyed exactly as in band (closed while there is no session),
 * the module tags nothing and multicasts a report of each TCP or UDP
 * packet a mapped user sends; report.c tells the router whose each flow
 * is (UINFO_REPORT).
 */
#ifndef MUISP_UINFOD_H
#define MUISP_UINFOD_H

#include <net/if.h>
#include <stdint.h>
#include <stddef.h>

#include <systemd/sd-event.h>

#include "dhcp_msg.h"
#include "proto.h"
#include "uapi/muisp.h"

#define UINFOD_CONF_PATH "/etc/muisp/muisp-uinfod.conf"
#define UINFOD_PATH_MAX	 256
#define UINFOD_NAME_MAX	 255 /* a host name or an address */
/* Reconnection: 1 s, doubled after each failure up to retry-max. */
#define UINFOD_RETRY_FIRST_S   1
#define UINFOD_RETRY_MAX_S     30
#define UINFOD_RETRY_MAX_LIMIT 3600
/* Connect, TLS handshake and WELCOME must take at most this long. */
#define UINFOD_HANDSHAKE_S 15
/* Nothing heard for this many keep-alive intervals: the meter is lost. */
#define UINFOD_SILENT_INTERVALS 3
/* Standalone: the counters collected every usage-interval (1 s..1 h) into
 * records kept in usage-spool, at most usage-spool-max of them
 * unacknowledged; at most this many sent and not yet answered. */
#define UINFOD_USAGE_INTERVAL_S	  60
#define UINFOD_USAGE_INTERVAL_MAX 3600
#define UINFOD_USAGE_SPOOL	  "/var/lib/muisp-uinfod/usage.db"
#define UINFOD_USAGE_SPOOL_MAX	  100000
#define UINFOD_USAGE_SPOOL_LIMIT  10000000
#define UINFOD_USAGE_INFLIGHT	  64

/* A local user tagged: uid -> Accounting ID; with an address of their
 * own (the Multi-IP scheme), that address names them instead: one the
 * configuration gives, or with dhcp one leased while they are logged in
 * (addr set while the lease is theirs, family 0 otherwise). */
struct uinfod_user {
	uint32_t uid;
	uint32_t id;	/* the Accounting ID, 1..UINT32_MAX */
	int line;	/* where the configuration maps it */
	uint8_t dhcp;	/* "address dhcp" */
	uint8_t family; /* of addr: AF_INET, AF_INET6, 0 none */
	uint8_t plen;	/* addr's prefix length on the interface */
	uint8_t addr[16];
};

struct uinfod_conf {
	char meter[UINFOD_NAME_MAX + 1]; /* muispd: address or host name */
	uint16_t port;			 /* default 4433 */
	char server_name[UINFOD_NAME_MAX + 1]; /* default: meter */
	char ca[UINFOD_PATH_MAX];
	char cert[UINFOD_PATH_MAX];
	char key[UINFOD_PATH_MAX];
	char interface[IF_NAMESIZE];
	uint8_t method; /* enum muisp_tag_method, default PACKET; COUNT
			 * with the standalone scheme, REPORT with
			 * out-of-band-packet */
	uint8_t scheme; /* enum mp_scheme, default IN_BAND */
	int scheme_line;
	int method_line;	  /* where method is said, 0: not said */
	uint32_t retry_max;	  /* seconds, default 30 */
	uint32_t usage_interval;  /* seconds, default 60 (standalone) */
	uint32_t usage_spool_max; /* records, default 100000 (standalone) */
	char usage_spool[UINFOD_PATH_MAX]; /* default UINFOD_USAGE_SPOOL */
	struct uinfod_user *users;	   /* sorted by uid after a parse */
	unsigned int nusers;
};

/* A login's uid (getpwnam by default): 0 found, 1 no such user, -1
 * another failure (errno). */
typedef int (*uinfod_lookup_fn)(const char *login, uint32_t *uid);

/* Defaults, then the text (name in messages); logins looked up with
 * lookup (NULL: getpwnam).  0, or -1 with "NAME:LINE: why" in err.  Free
 * c with uinfod_config_free() either way. */
int uinfod_config_parse(const char *name, const char *text,
			struct uinfod_conf *c, uinfod_lookup_fn lookup,
			char *err, size_t errlen);
/* The same from a file. */
int uinfod_config_load(const char *path, struct uinfod_conf *c, char *err,
		       size_t errlen);
void uinfod_config_free(struct uinfod_conf *c);
/* The user mapping uid, or NULL (c->users is sorted by uid). */
const struct uinfod_user *uinfod_config_user(const struct uinfod_conf *c,
					     uint32_t uid);

/* ---- agree.c ---- */

/* What UINFO_WELCOME gives. */
struct uinfod_welcome {
	uint32_t key_id;
	uint32_t interval;	   /* keep-alive, seconds */
	char addr[MP_STR_MAX + 1]; /* this host as the router sees it */
};

/* The reply to HELLO: 0 with w filled for a usable WELCOME, -1 with why
 * (a static string) otherwise.  An ERROR reply is not handled here. */
int uinfod_welcome_check(const struct mp_msg *m, struct uinfod_welcome *w,
			 const char **why);
/* The Accounting IDs the router blocks (thesis §3.6), as this session
 * was told: a sorted set. */
struct uinfod_blocks {
	uint32_t *ids;
	unsigned int n, cap;
};

/* id blocked or not in b: 0, or -1 (no memory, errno). */
int uinfod_blocks_set(struct uinfod_blocks *b, uint32_t id, int blocked);
int uinfod_blocks_has(const struct uinfod_blocks *b, uint32_t id);
/* Empty again (a session ended: the next one sends its own list). */
void uinfod_blocks_clear(struct uinfod_blocks *b);
void uinfod_blocks_free(struct uinfod_blocks *b);

/* The wait after a failure of cur ms: doubled, at most max_ms; the first
 * (cur 0) is first_ms. */
uint64_t uinfod_backoff_next(uint64_t cur, uint64_t first_ms, uint64_t max_ms);

/* ---- usage.c: the standalone scheme's usage spool ---- */

struct muisp_nl_tag_user;
struct uinfod_usage;

/* One usage record: a user's traffic in a period (UINFO_USAGE). */
struct uinfod_usage_rec {
	uint64_t seq;	     /* >= 1, growing: the record's SERIAL */
	uint32_t user;	     /* the Accounting ID */
	uint64_t start, end; /* seconds since the epoch, start <= end */
	uint64_t sent_bytes, sent_pkts, recv_bytes, recv_pkts;
};

/* What a collection did. */
struct uinfod_usage_result {
	unsigned int added; /* records added */
	unsigned int held;  /* users with traffic not recorded: full */
};

/*
 * The spool at path (made, mode 0600, if it is not there), at most max
 * records kept.  NULL with "PATH: why" in err.  A new spool's sequence
 * numbers start above the clock's seconds times 2^16, so that one made
 * again (its file lost) does not reuse the numbers the router stored.
 */
struct uinfod_usage *uinfod_usage_open(const char *path, uint64_t max,
				       char *err, size_t errlen);
void uinfod_usage_close(struct uinfod_usage *sp);
/*
 * The module's counters (rows: its dump, n of them) collected at now
 * (seconds since the epoch), in one transaction: for each uid, the
 * delta of each counter against its baseline (a counter below its
 * baseline means counting began again: the deltas are the values), one
 * record of the user's when any delta is not 0 (from the baseline's
 * time, or the last collection's, or now, to now), and the baseline
 * moved.  A spool that
 * holds max records takes no more: those users' baselines stay, so the
 * next collection after an ack records what they were owed.  Baselines
 * of uids the dump no longer has are forgotten (mapped again, they count
 * from 0).  0 all recorded, 1 full (res->held users kept back), -1 the
 * spool failed (logged; nothing changed).  res may be NULL.
 */
int uinfod_usage_collect(struct uinfod_usage *sp,
			 const struct muisp_nl_tag_user *rows, size_t n,
			 uint64_t now, struct uinfod_usage_result *res);
/* The oldest record with seq above after into r: 1, 0 none, -1 (logged). */
int uinfod_usage_next(struct uinfod_usage *sp, uint64_t after,
		      struct uinfod_usage_rec *r);
/* Record seq acknowledged: deleted.  0, 1 no such record, -1 (logged). */
int uinfod_usage_acked(struct uinfod_usage *sp, uint64_t seq);
/* Records kept; does the spool hold its maximum? */
uint64_t uinfod_usage_count(const struct uinfod_usage *sp);
int uinfod_usage_full(const struct uinfod_usage *sp);

/* ---- report.c: the out-of-band-packet scheme's reports ---- */

/* The flow table's size; a tick's period; a flow not reported for this
 * long is forgotten; the counters' line at most this often. */
#define UINFOD_REPORT_FLOWS	  4096
#define UINFOD_REPORT_FLOWS_LIMIT (1u << 24)
#define UINFOD_REPORT_TICK_MS	  1000
#define UINFOD_REPORT_IDLE_MS	  30000
#define UINFOD_REPORT_LOG_MS	  60000
/* The reports socket's receive buffer (bytes). */
#define UINFOD_REPORT_RCVBUF (4 << 20)

struct muisp_nl_tag_report;
struct uinfod_report;

/* One UINFO_REPORT: a flow of a user's and what the message covers. */
struct uinfod_report_msg {
	uint8_t proto;	/* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t family; /* of addr and peer: AF_INET or AF_INET6 */
	uint16_t port;	/* addr's (the host's end), host order */
	uint16_t peer_port;
	uint32_t user; /* the Accounting ID, >= 1 */
	uint8_t addr[16], peer[16];
	uint64_t bytes, packets; /* IP bytes as on the wire; packets */
};

/* Send m to the router: 0 queued, -1 not (the session is not up or its
 * queue is full). */
typedef int (*uinfod_report_send_fn)(void *arg,
				     const struct uinfod_report_msg *m);

struct uinfod_report_stats {
	uint64_t read;	    /* reports handed in */
	uint64_t sent;	    /* UINFO_REPORT messages sent */
	uint64_t coalesced; /* reports added to a known flow's sums */
	uint64_t dropped;   /* messages not sent (send failed, or the
			     * sums pending when the session went down) */
	uint64_t down;	    /* reports while the session was down */
	uint64_t skipped;   /* user 0, not TCP or UDP, not an address */
	uint64_t overruns;  /* the socket overran (ENOBUFS): reports lost */
	uint64_t evicted;   /* flows given up for a new one (table full) */
	uint64_t forgotten; /* flows forgotten after UINFOD_REPORT_IDLE_MS */
	uint32_t flows;	    /* in the table now */
};

/* A table of at most max flows (1..UINFOD_REPORT_FLOWS_LIMIT), sending
 * through send(arg, ...); down until uinfod_report_up().  NULL with
 * errno. */
struct uinfod_report *uinfod_report_new(unsigned int max,
					uinfod_report_send_fn send, void *arg);
void uinfod_report_free(struct uinfod_report *r);
/*
 * The module's report k at now_ms (a monotonic clock, ms).  Down, or
 * skipped (user 0, a protocol other than TCP and UDP, no address): only
 * counted.  A flow not in the table: one message now with k's counts,
 * and the flow added (a full table first flushes and forgets the flow
 * reported least recently).  A known flow: k's counts added to its sums.
 */
void uinfod_report_add(struct uinfod_report *r,
		       const struct muisp_nl_tag_report *k, uint64_t now_ms);
/* Once a second: one message per flow with pending sums, which go back
 * to 0; flows not reported for UINFOD_REPORT_IDLE_MS forgotten; the
 * counters logged (uinfod_report_log()). */
void uinfod_report_tick(struct uinfod_report *r, uint64_t now_ms);
/* The session is up (reports taken) or down: every flow forgotten, the
 * sums pending counted as dropped. */
void uinfod_report_up(struct uinfod_report *r, int up);
/* The reports socket overran (ENOBUFS). */
void uinfod_report_overrun(struct uinfod_report *r);
void uinfod_report_stats(const struct uinfod_report *r,
			 struct uinfod_report_stats *st);
/* The counters since the last line, at info: at most once every
 * UINFOD_REPORT_LOG_MS (the first period starts at the first call),
 * when one moved or with -v; force: now, whatever they are. */
void uinfod_report_log(struct uinfod_report *r, uint64_t now_ms, int force);

/* ---- session.c ---- */

struct ssl_ctx_st;
struct uinfod_session;

struct uinfod_session_ops {
	/*
	 * The key is agreed: install it (the session wipes its copy after
	 * the call).  0 for installed: the session is up; -1 refused: the
	 * session ends (down() is called with was_up 0).
	 */
	int (*up)(void *arg, const uint8_t key[MUISP_AGENT_KEY_LEN],
		  const struct uinfod_welcome *w);
	/*
	 * The session ended: was_up when it had called up() (the meter is
	 * lost), else an attempt failed.  why says what happened.  The
	 * session retries by itself after retry_ms.
	 */
	void (*down)(void *arg, int was_up, const char *why, uint64_t retry_ms);
	/*
	 * The router blocks the user id (blocked) or allows them again,
	 * before WELCOME (the list for this session: up() comes after) or
	 * while up.  0 applied (answered UINFO_BLOCKED); -1 not: the
	 * session ends (down()), which fails closed.
	 */
	int (*block)(void *arg, uint32_t id, int blocked);
	/*
	 * Standalone: the oldest record to send with a sequence number
	 * above after, into r: 1, 0 for none, -1 (the spool failed: sending
	 * waits for the next uinfod_session_usage_kick()).  NULL: nothing
	 * is sent.
	 */
	int (*usage_next)(void *arg, uint64_t after,
			  struct uinfod_usage_rec *r);
	/* Standalone: the router stored record seq (UINFO_USAGE_ACK). */
	void (*usage_acked)(void *arg, uint64_t seq);
};

/* Timings, in ms (the configuration's, or a test's). */
struct uinfod_timing {
	uint64_t retry_first_ms, retry_max_ms;
	uint64_t handshake_ms; /* connect to WELCOME */
};

/* A TLS 1.3 client context with c's CA, certificate and key, or NULL
 * with "FILE: why" in err. */
struct ssl_ctx_st *uinfod_tls_ctx(const struct uinfod_conf *c, char *err,
				  size_t errlen);
/* A session on loop e towards c's meter (c and ctx must outlive it); it
 * connects at once.  NULL with errno. */
struct uinfod_session *
uinfod_session_new(sd_event *e, const struct uinfod_conf *c,
		   struct ssl_ctx_st *ctx, const struct uinfod_timing *t,
		   const struct uinfod_session_ops *ops, void *arg);
/* 1 while the key is agreed and the meter heard. */
int uinfod_session_is_up(const struct uinfod_session *s);
/*
 * End the session now, for why (the module's agent state was lost: a new
 * key must be agreed): ops.down is called and the next attempt follows
 * the back-off.  Nothing while no attempt is under way (one is due).
 */
void uinfod_session_reset(struct uinfod_session *s, const char *why);
/*
 * Standalone: the spool has new records, or it is time to try again
 * after the router refused one (ERROR): send what is pending, if up.
 */
void uinfod_session_usage_kick(struct uinfod_session *s);
/*
 * Out-of-band-packet: send m as a UINFO_REPORT (not answered; an ERROR
 * for it is logged, rate-limited, and the session goes on).  0 queued,
 * -1 not: the session is not up, or its output queue has no room (the
 * room one frame of any size needs is kept for answers and keep-alives),
 * or sending failed (the session ended).
 */
int uinfod_session_send_report(struct uinfod_session *s,
			       const struct uinfod_report_msg *m);
/* Close the session (a close_notify if it can go at once) and free it;
 * no callback is called. */
void uinfod_session_free(struct uinfod_session *s);

/* ---- lease.c: a user's own address by DHCP (allocation at login) ---- */

/* RFC 2131 4.1: a request not answered is sent again after 4 s, doubled
 * up to 64 s; REQUESTING gives up after this many and selects again. */
#define UINFOD_LEASE_RETRY_FIRST_MS 4000
#define UINFOD_LEASE_RETRY_MAX_MS   64000
#define UINFOD_LEASE_REQUESTS	    4
/* Renewing and rebinding send again after half the time left, at least
 * this long apart (RFC 2131 4.4.5 says 60 s; leases here may be short). */
#define UINFOD_LEASE_RENEW_MIN_MS 1000
/* A shorter lease is taken as this long (as dhcpcd does): a server that
 * gives none cannot make the address come and go as fast as it answers. */
#define UINFOD_LEASE_MIN_S 20
/* RFC 4361 client identifier: type 255, IAID (the uid), DUID-LL. */
#define UINFOD_LEASE_CLIENT_ID_LEN 15

enum uinfod_lease_state {
	UINFOD_LEASE_IDLE,	 /* not logged in: no lease wanted */
	UINFOD_LEASE_SELECTING,	 /* DISCOVER sent */
	UINFOD_LEASE_REQUESTING, /* an OFFER taken, REQUEST sent */
	UINFOD_LEASE_BOUND,	 /* the address is the user's */
	UINFOD_LEASE_RENEWING,	 /* past T1: REQUEST to the server */
	UINFOD_LEASE_REBINDING,	 /* past T2: REQUEST to any server */
};

/* What happened to the user's address. */
enum uinfod_lease_event {
	UINFOD_LEASE_NONE,
	UINFOD_LEASE_GOT,     /* bound: a new address (or a changed one) */
	UINFOD_LEASE_RENEWED, /* the same address, for longer */
	UINFOD_LEASE_LOST,    /* the address is no longer the user's */
};

/*
 * One local user's lease, a DHCP client of their own on the host's
 * interface: the host's MAC, and an RFC 4361 client identifier whose IAID
 * is the uid, so that the router's server (which keys leases by client
 * identifier) gives each user an address of their own.  Pure: the
 * caller sends what tx holds, hands in what comes back and calls the
 * timer at next.  Times are a monotonic clock's, in ms.
 */
struct uinfod_lease {
	uint32_t uid;
	uint8_t mac[6];
	uint8_t client_id[UINFOD_LEASE_CLIENT_ID_LEN];
	enum uinfod_lease_state state;
	uint32_t xid; /* this exchange's, as on the wire */
	/* network order; the offer's until bound */
	uint32_t addr, mask, router, server;
	uint8_t server_mac[6];
	uint32_t lease_s;	 /* seconds, UINT32_MAX: infinite */
	uint64_t t1, t2, expiry; /* UINT64_MAX: never */
	uint64_t next;		 /* the next timer, UINT64_MAX: none */
	uint64_t wait;		 /* the retransmission's current wait */
	unsigned int tries;	 /* requests sent in REQUESTING */
};

/* A message to send: DHCP in buf, from src to dst (IP, network order)
 * at the Ethernet address dst_mac (ff:ff:ff:ff:ff:ff: broadcast). */
struct uinfod_lease_tx {
	uint8_t buf[DHCP_MIN_REPLY];
	size_t len; /* 0: nothing to send */
	uint32_t src, dst;
	uint8_t dst_mac[6];
};

void uinfod_lease_init(struct uinfod_lease *l, uint32_t uid,
		       const uint8_t mac[6]);
/* The user logged in: a DISCOVER (xid from rnd) into tx. */
void uinfod_lease_start(struct uinfod_lease *l, uint64_t now, uint32_t rnd,
			struct uinfod_lease_tx *tx);
/*
 * A reply m (parsed as BOOTREPLY) from the Ethernet address src_mac:
 * taken only when it answers this lease's exchange (xid, chaddr, the
 * client identifier if echoed) in a state that expects it, and carries
 * what its type needs (an OFFER's address and server, an ACK's address
 * and lease time); anything else is ignored (NONE, nothing sent).  An
 * OFFER in SELECTING puts a REQUEST in tx; an ACK binds (GOT, or
 * RENEWED for the same address); a NAK loses the address (LOST when
 * there was one) and selects again at once (a DISCOVER in tx).
 */
enum uinfod_lease_event uinfod_lease_input(struct uinfod_lease *l,
					   const struct dhcp_msg *m,
					   const uint8_t src_mac[6],
					   uint64_t now, uint32_t rnd,
					   struct uinfod_lease_tx *tx);
/* The timer, at or after l->next: a request sent again, T1 (renew at
 * the server), T2 (rebind, broadcast), or expiry (LOST, and a DISCOVER
 * in tx). */
enum uinfod_lease_event uinfod_lease_timer(struct uinfod_lease *l, uint64_t now,
					   uint32_t rnd,
					   struct uinfod_lease_tx *tx);
/* The user logged out: a RELEASE into tx when the address was theirs
 * (LOST), and IDLE. */
enum uinfod_lease_event uinfod_lease_stop(struct uinfod_lease *l,
					  struct uinfod_lease_tx *tx);
/* The lease's address's prefix length (from its mask). */
uint8_t uinfod_lease_plen(const struct uinfod_lease *l);
const char *uinfod_lease_state_name(enum uinfod_lease_state s);

/* ---- dhcp.c: the leases on the interface, at login ---- */

struct uinfod_dhcp;

struct uinfod_dhcp_ops {
	/* Lease l's address became its user's (GOT: l->addr, its mask
	 * and router), was renewed (RENEWED), or stopped being theirs
	 * (LOST: logout, expiry, a NAK; l->addr no longer says which). */
	void (*changed)(void *arg, const struct uinfod_lease *l,
			enum uinfod_lease_event ev);
};

/*
 * A lease for each of c's users with "address dhcp", on ifindex (c's
 * interface), on loop e: started when the user logs in (sd-login), given
 * back when they log out; users logged in already start at once.  NULL
 * with why in err.
 */
struct uinfod_dhcp *uinfod_dhcp_new(sd_event *e, const struct uinfod_conf *c,
				    uint32_t ifindex,
				    const struct uinfod_dhcp_ops *ops,
				    void *arg, char *err, size_t errlen);
/* Freed; with release, each lease given back first (ops->changed). */
void uinfod_dhcp_free(struct uinfod_dhcp *d, int release);

/* ---- kernel.c ---- */

struct muisp_nl;

/* Make the module's user map equal to c's, the users whose ids b holds
 * (NULL: none) blocked: users it has that c does not are deleted, c's
 * set where they differ.  0, or -1 (logged). */
int uinfod_kernel_users(struct muisp_nl *nl, const struct uinfod_conf *c,
			const struct uinfod_blocks *b);
/* Every local user c maps to id blocked or not.  0, or -1 (logged). */
int uinfod_kernel_block(struct muisp_nl *nl, const struct uinfod_conf *c,
			uint32_t id, int blocked);
/* ---- addrs.c: the Multi-IP scheme's addresses and routing ---- */

/* User number i's routing table (its rule selects it for their uid). */
#define UINFOD_ADDRS_TABLE 0x6d750000u

/* Make the host's addresses, rules and routes of users with an address
 * of their own (c) what c says, on ifindex; an earlier start's removed.
 * 0, or -1 (logged). */
int uinfod_addrs_apply(uint32_t ifindex, const struct uinfod_conf *c);
/* One user's (u, one of c's users, with its address set) added, with
 * the default route through gw (NULL: the main table's gateway), or
 * removed (rule, routes, then address).  0, or -1 (logged). */
int uinfod_addrs_user(uint32_t ifindex, const struct uinfod_conf *c,
		      const struct uinfod_user *u, const uint8_t *gw, int add);

/* The module's user map with what COUNT counted for each uid: *rows
 * (free() it) and *n.  0, or -1 with errno (not logged). */
int uinfod_kernel_counts(struct muisp_nl *nl, struct muisp_nl_tag_user **rows,
			 size_t *n);

/* The tagger closed on ifindex: mapped users' packets dropped.  0, or -1
 * (logged). */
int uinfod_kernel_close(struct muisp_nl *nl, uint32_t ifindex, uint8_t method);
/* The tagger keyed.  0, or -1 (logged). */
int uinfod_kernel_key(struct muisp_nl *nl, uint32_t ifindex, uint8_t method,
		      const uint8_t key[MUISP_AGENT_KEY_LEN], uint32_t key_id);

#endif

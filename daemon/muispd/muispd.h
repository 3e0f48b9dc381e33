/* SPDX-License-Identifier: GPL-2.0 */
/*
 * muispd: the contract daemon.  One process, one thread, one sd-event loop
 * (lib/evloop).  All run-time state is one struct muispd, passed to every
 * function.
 *
 *   main.c       command line
 *   server.c     start-up, the loop's sources, reload, dispatch
 *   conn.c       connections: accept, TLS or plain, buffers, output queue
 *   session.c    live contracts: state machine steps, limits, warnings,
 *                persistence, settlement, the kernel, the tick
 *   channel.c    the user's messages (offer .. terminate, warning ack)
 *   control.c    the operator's messages, one handler per type
 *   ikesync.c    charon's CHILD_SAs over VICI -> tunnel identities
 *   eap.c        devices without muisp-client: vouchers as EAP secrets,
 *                a contract per EAP IKE_SA (roamers: radrelay.c's Accept)
 *   radrelay.c   EAP roamers: relay between charon's eap-radius and the
 *                RADIUS servers, with a tap on the Access-Accepts
 *   tunnel.c     the identity rules (pure)
 *   privacy.c    the tunnel's protocol is the privacy bought
 *   limits.c     per source address: connections, message rate
 *   register.c   clients' self-signed certificates -> charon (REGISTER)
 *   keys.c       receipt keys: rotation schedule, retirement, list
 *   uinfo.c      multi-user hosts' agents: key agreement, keep-alives
 *   uinfo_usage.c  standalone agents' usage records: stored, acked
 *   uinfo_report.c  packet-based agents' reports: flows moved to users
 *   config.c     muispd.conf
 *   payment*.c   payment core and methods; receipt.c, store.c, kernel.c
 */
#ifndef MUISPD_H
#define MUISPD_H

#include <netinet/in.h>
#include <stdint.h>
#include <time.h>

#include <openssl/types.h>
#include <systemd/sd-event.h>

#include "contract.h"
#include "kernel.h"
#include "nl_follow.h"
#include "payment.h"
#include "proto.h"
#include "radclient.h"
#include "receipt.h"
#include "store.h"

#define MUISPD_CONF	    "/etc/muisp/muispd.conf"
#define MUISPD_MAX_PRICES   16
#define MUISPD_VICI_DEFAULT "unix:///var/run/charon.vici"

struct price {
	uint8_t metric, method, privacy;
	uint64_t price, unit;
};

/* conn-accept-port, -user, -host: entries of each */
#define CONN_ACCEPT_MAX 64

struct muispd_conf {
	char listen[64];
	char lan[16]; /* control port on: "" the module's LAN, "any" all */
	uint16_t port;
	char socket[108];
	char database[256];
	char cert[256], key[256];
	int use_kernel;
	int allow_plain; /* plain TCP without checking ESP */
	int tls;	 /* 0: no TLS at all (tests only) */
	uint32_t checkpoint_s;
	char currency[8];
	uint32_t offer_ttl_s;
	uint32_t lifetime_s;	/* contract expiry after issue */
	uint32_t expiry_warn_s; /* warn this long before expiry, 0 never */
	uint32_t warn_interval_s;
	uint32_t warn_tries;
	uint32_t load_capacity;	     /* contracts at 100 % load */
	uint32_t load_surcharge_pct; /* added at >= 80 % load */
	uint32_t key_rotate_s;	     /* receipt key rotation, 0 never */
	uint32_t key_retire_s;	     /* a rotated-out key verifies >= */
	uint64_t max_hard[__MP_METRIC_LAST];
	/* the control channel's limits (muispd.conf(5)) */
	uint32_t handshake_timeout_s; /* accept .. TLS done */
	uint32_t idle_timeout_s;      /* nothing received, no reply due */
	uint32_t max_conns;	      /* user connections in all */
	uint32_t max_conns_addr;      /* ... per source address */
	uint32_t msg_rate, msg_burst; /* messages a second per address */
	uint32_t quotes_addr;	      /* quotes kept per address */
	uint64_t output_budget;	      /* queued output, all connections */
	char vici[128];		      /* charon's VICI socket, "" = none */
	/* online payment provider (muispd.conf(5)) */
	char provider_url[200]; /* https://HOST[:PORT], "" none */
	char provider_ca[256];	/* its CA, pinned */
	int provider_insecure;	/* http:// allowed (tests) */
	uint32_t provider_timeout_s;
	/* multi-user hosts' agents (uinfo.c): their certificates' CA, ""
	 * none (agents refused); the keep-alive interval */
	char agent_ca[256];
	uint32_t agent_keepalive_s;
	/* out-of-band agents (uinfo_hold.c): the NFQUEUE their new flows
	 * wait on, at most that many packets held, and how long an agent
	 * may take to say whose a flow is */
	uint32_t agent_hold_queue, agent_hold_max, agent_hold_timeout_s;
	/* per-connection billing (conn_hold.c, Edell's access controller):
	 * which contracts' new connections wait for a verdict (enum
	 * muisp_conn_hold, 0 off), on which NFQUEUE, at most that many
	 * packets, for how long; on time-out accepted (fail open) or
	 * refused; accepted without asking (S2, S3) by the peer's port, the
	 * host, the host's user; else the default verdict; a connection's
	 * billing record waits that long for its end (conn_records.c) */
	int conn_billing;
	uint32_t conn_queue, conn_hold_max, conn_hold_timeout_s;
	uint32_t conn_record_delay_s;
	int conn_fail_open, conn_default_accept;
	uint16_t conn_ports[CONN_ACCEPT_MAX];
	unsigned nconn_ports;
	uint32_t conn_users[CONN_ACCEPT_MAX];
	unsigned nconn_users;
	struct conn_prefix {
		struct muisp_nl_ip ip;
		uint8_t len;
	} conn_hosts[CONN_ACCEPT_MAX];
	unsigned nconn_hosts;
	/* out-of-band packet-based agents (uinfo_report.c): their reports
	 * a second and the burst, per session */
	uint32_t agent_report_rate, agent_report_burst;
	/* standalone agents' usage records (uinfo_usage.c): kept this many
	 * days after their end, 0 forever */
	uint32_t agent_usage_keep_days;
	/* self-service registration (muispd.conf(5)) */
	uint32_t register_idle_s, register_max;
	uint32_t register_rate, register_burst; /* a minute, per address */
	unsigned nprices;
	struct price prices[MUISPD_MAX_PRICES];
	/* devices without muisp-client (eap.c, muispd.conf(5)) */
	int eap;	    /* vouchers as EAP credentials */
	char eap_conn[64];  /* charon's connection of those clients */
	uint8_t eap_metric; /* the offer: price METRIC voucher esp */
	uint64_t eap_hard;  /* hard limit, 0: what the voucher buys */
	/* roamers through EAP (radrelay.c, eap.c): charon's eap-radius
	 * goes to the relay on eap_relay ("ADDR:PORT", "" none); their
	 * connection in charon is eap_roam_conn */
	char eap_relay[64];
	char eap_roam_conn[64];
	struct radius_conf radius; /* "radius-*" keys (radclient.h) */
};

int conf_load(const char *path, struct muispd_conf *c);
void conf_defaults(struct muispd_conf *c);

#define MUISPD_MAX_CONNS   8192 /* largest max-conns */
#define MUISPD_OP_CONNS	   16	/* operator connections, besides */
#define MUISPD_FD_RESERVE  64	/* descriptors besides the connections */
#define MUISPD_MAX_OFFERS  256
#define UINFO_ADDRS_MAX	   4 /* an agent's addresses keyed (uinfo.c) */
#define MUISPD_MAX_QUOTES  1024
#define MUISPD_OFFER_REUSE 10		 /* s: an identical offer is reused */
#define MUISPD_WBUF_USER   (64 * 1024)	 /* output queue of a user ... */
#define MUISPD_WBUF_OP	   (1024 * 1024) /* ... and an operator channel */
/* contracts per MP_T_OP_SNAPSHOT reply (control.c): ~130 KB of output */
#define CONTROL_SNAP_PAGE 1000

/* A token bucket (limits.c): rate tokens a second, at most burst. */
struct bucket {
	uint64_t tokens; /* thousandths of a message */
	uint64_t t_ms;	 /* tokens as of this time */
};

/* A source address of the control channel (limits.c). */
struct src {
	struct src *next;
	char addr[64];
	uint32_t conns; /* user connections open */
	struct bucket b;
};

#define LIMITS_MAX_SRCS 16384

struct srctab {
	struct src **b;
	unsigned n;
	uint32_t seed;
};

struct ssl_st;
struct ssl_ctx_st;
struct muispd;

enum conn_kind { CONN_USER, CONN_OP };
enum conn_state { C_DETECT, C_HANDSHAKE, C_OPEN, C_CLOSING };

/* A control channel (user, TCP) or an operator connection (AF_UNIX). */
struct conn {
	struct muispd *md;
	uint64_t id; /* unique for the daemon's life */
	int fd;
	sd_event_source *io; /* none without a loop (unit tests) */
	struct ssl_st *ssl;
	enum conn_kind kind;
	enum conn_state state;
	int want_write;	       /* TLS needs EPOLLOUT to progress */
	unsigned wait;	       /* replies waiting for a remote call: the
				 * input waits behind them, in order */
	int in_input;	       /* inside conn_input() */
	struct src *src;       /* user connections: its address's limits */
	uint64_t since;	       /* accepted (monotonic s) */
	uint64_t last;	       /* last input, or last found a payer's */
	uint64_t payer_pass;   /* the conn_evict() pass found it a payer's */
	uint8_t challenge[32]; /* for a receipt's holder to sign (BIND) */
	uint64_t chal_until;   /* valid until (monotonic s), 0: none */
	unsigned idx;	       /* in md->conns */
	/* on md->dirty: to flush, close or re-watch after this event */
	struct conn *next_dirty;
	int dirty;
	char addr[64];	       /* the user (source address), "operator" */
	uint32_t agent_key_id; /* an agent's channel: its key's id (uinfo.c) */
	uint32_t agent_interval; /* ... and the keep-alive interval it got */
	/* ... and the host's addresses keyed with it: addr, then the others
	 * its certificate names (another family's) */
	char agent_addrs[UINFO_ADDRS_MAX][INET6_ADDRSTRLEN];
	unsigned agent_naddrs;
	/* a user's connection from an agent's host: which local user opened
	 * it, asked of the agent (uinfo.c) while its input waits; then addr
	 * is "ID@ADDRESS" for a mapped user (contract.h) */
	struct uinfo_ask *ask;
	/* an agent's scheme (MP_SCHEME_*, from its HELLO; kept after the
	 * session for its addresses' close):
	 *   OUT_OF_BAND: the router holds its host's new flows and asks
	 *     (uinfo_hold.c);
	 *   STANDALONE: the host counts per user and sends usage records
	 *     (uinfo_usage.c), stored under agent_host, the first address
	 *     its certificate names (the same on every channel of the host);
	 *   OUT_OF_BAND_PACKET: the host reports its users' packets
	 *     (uinfo_report.c), paced by a bucket of its own
	 *     (agent-report-rate, agent-report-burst) */
	int agent_scheme;
	char agent_host[INET6_ADDRSTRLEN];
	struct bucket agent_reports;
	int identified;
	uint32_t owner_seq;	/* an agent's channel: its last request's serial
			     * (OWNER_GET, BLOCK; a purchasing agent's
			     * CONN_ASK) */
	uint64_t pagent_serial; /* a purchasing agent's channel: the contract
				 * it answers for (pagent.c), 0 none */
	uint32_t pagent_owed;	/* ... CONN_ASKs it may answer unmetered */
	uint8_t rbuf[MP_MAX_FRAME];
	size_t rlen;
	uint8_t *wbuf; /* encoded frames not yet written */
	size_t wlen, wcap;
};

/* A request whose reply waits for a remote call: its connection (by id:
 * it may be gone when the call ends) and a copy of the request. */
struct held {
	uint64_t conn;
	struct mp_msg *req;
};

/* The reply to a request that may wait for a settlement: rc 0 settled
 * (r extinguished, stm its statement) or -1 (r as it stands, stm NULL).
 * c is NULL when the connection went away meanwhile. */
typedef void (*session_then_fn)(struct muispd *md, struct conn *c,
				const struct mp_msg *req, int rc,
				const struct contract_rec *r,
				const struct statement *stm);

struct session_waiter {
	struct conn *c;
	const struct mp_msg *req;
	session_then_fn then;
};

struct settle_op;
struct uinfo_ask;
struct acct;
struct spool;
struct dae;
struct radrelay;

/* An outstanding contract (state machine, usage, warnings). */
struct live {
	struct contract_rec rec;
	uint64_t active_since; /* usage time, "none" backend */
	uint64_t base_usage;
	/* receipt presented elsewhere (Fig 5): warn the bound address */
	int pending;
	char other[64];
	uint64_t warn_next;
	uint32_t warn_count;
	int expiry_warned;	  /* MP_WARN_EXPIRY sent ahead of the expiry */
	int unbind_on_load;	  /* restored binding refused: no tunnel */
	int save_due, kpush_due;  /* the store / module failed: the tick
				   * retries */
	struct settle_op *settle; /* settlement in flight */
	uint32_t acct_cause;	  /* Acct-Terminate-Cause of the next Stop,
				   * set just before the step (acct.c) */
	/* the module's four counters (KC_*) as of the last usage refresh,
	 * for accounting without another netlink call */
	uint64_t ctr[KC_N];
	int klost; /* session_load: the module had lost the contract */
	struct {
		int soon;	       /* Interim at the next tick */
		uint64_t due;	       /* next Interim, 0: read the row */
		uint64_t last_interim; /* its Event-Timestamp */
		uint32_t idle_s;       /* roaming Idle-Timeout, 0 none */
		uint64_t idle_since, idle_sum; /* counters unchanged since */
	} acct;
};

struct offer {
	uint64_t serial, time, expiry;
	int privacy; /* the request's filter, -1 none */
	char currency[8];
	unsigned n;
	struct price items[MUISPD_MAX_PRICES];
};

struct quote {
	uint64_t serial, expiry, soft, hard, deposit;
	char addr[64];
	struct price item;
	int busy;      /* its deposit waits for the provider */
	uint64_t made; /* order of issue, for eviction */
};

/* charon over VICI (ikesync.c) */
struct ike_watch;
struct prev_sa;
struct probe;

struct ikesync {
	struct ike_watch *w;
	sd_event_source *io;	/* charon's socket */
	sd_event_source *timer; /* its request's deadline */
	uint64_t retry;		/* next connection attempt */
	int logged;		/* connection failure logged */
	int ready;		/* registered and synced */
	int open_err;		/* registration refused: errno */
	const char *failed;	/* a request failed: reconnect */
	char (*dirty)[64];	/* addresses to check after a sync */
	unsigned ndirty, capdirty;
	struct prev_sa *prevs; /* old SAs of rekeys, until gone */
	unsigned nprevs, capprevs;
	struct probe *probes; /* queued list-sas, oldest first */
	unsigned nprobes, probe_head, capprobes;
};

/* the EAP IKE_SAs followed (eap.c) */
struct eap_sa;

struct eapsync {
	struct eap_sa *sas;
	unsigned n, cap;
};

/* Registrations (register.c): the per-address rate, the requests
 * waiting for charon's load-cert. */
struct reg_op;
struct regs {
	struct srctab srcs;
	struct reg_op *ops; /* replies waiting for charon */
	unsigned nops, capops;
	uint64_t op_seq;
	uint64_t *load_ids; /* load-certs in flight, in order (op or 0) */
	unsigned nload, capload;
	/* the reload after connecting to charon: queued, answered, loaded */
	unsigned queued, answered, loaded;
	uint64_t next_gc;
	uint64_t accepted, refused, busy;
	/* IKE_SAs of forgotten certificates terminated, the last ones */
#define REG_ENDED_MAX 16
	uint32_t ended[REG_ENDED_MAX];
	unsigned nended;
	uint64_t terminated;
};

struct muispd {
	struct muispd_conf conf;
	const char *conffile; /* for reload */
	uint64_t clock;	      /* tests: fixed time; 0: time(NULL) */
	sd_event *ev;
	sd_event_source *lsrc, *usrc; /* listeners */
	struct nl_follow kfollow;     /* the module's events, its reloads */
	int module_lost;	      /* unloaded: metering frozen */
	int module_reloaded;	      /* exiting for systemd to restart */
	sd_event_source *tick;	      /* once a second */
	sd_event_source *post;	      /* after every event: flush, close */
	struct store *st;
	struct kernel *k;
	struct receipt_keyring kr;
	uint64_t key_retry; /* scheduled rotation failed: not before */
	struct payment_registry pay;
	struct payment_method *online; /* the online method's instance */
	struct ssl_ctx_st *tls;	       /* for new connections */
	int lfd, ufd;		       /* control port, operator socket */
	int spare_fd;		       /* given up to refuse at EMFILE */
	sd_event_source *lpause;       /* listeners paused (EMFILE) */
	struct conn **conns;	       /* user and operator connections */
	unsigned nconns, nuser, nop;
	uint32_t max_user;   /* max-conns as the descriptors allow */
	uint64_t wbytes;     /* output queued by all connections */
	uint64_t evict_pass; /* conn_evict() calls */
	struct srctab srcs;
	uint64_t offer_seq, contract_seq; /* last serials given */
	uint32_t agent_key_seq;		  /* the last agent key id given */
	unsigned agent_sessions; /* channels keying agents now (uinfo.c) */
	struct ublock *ublocks;	 /* blocked users (userblock.c) */
	unsigned nublocks, capublocks;
	/* standalone agents' usage records (uinfo_usage.c): stored, those
	 * stored already (a resend; conflicts: with other values), refused,
	 * not stored (the store failed); pruned (agent-usage-keep), the
	 * rows of the current pruning run and when the next batch is due */
	struct {
		uint64_t stored, dups, conflicts, refused, failed;
		uint64_t pruned, prune_run, prune_at;
		/* moved to users' contracts (uinfo_usage_move()), cut to
		 * the host's counts, left the host's; whether some may wait,
		 * and when to look again */
		uint64_t moved, cut, unmoved;
		uint64_t move_at;
		int move_left;
	} agent_usage;
	/* out-of-band packet-based agents' reports (uinfo_report.c): read
	 * (dropped ones not), flows moved (the module told), skipped by the
	 * cache, refused (ERROR), dropped over a session's bucket, the
	 * module's refusals */
	struct {
		uint64_t reports, moved, cached, refused, dropped, failed;
	} agent_report;
	struct uinfo_report *report; /* the flows told recently */
	uint64_t quote_seq;
	/* what the limits refused or closed (counted, logged rate-limited) */
	struct {
		uint64_t conns_addr, conns_full, evicted, rate, handshake, idle,
			output, emfile;
	} refused;
	uint64_t conn_seq;
	struct conn *dirty; /* connections conn_service() looks at */
	struct live *lives;
	unsigned nlives, caplives;
	struct offer offers[MUISPD_MAX_OFFERS];
	unsigned offer_next;
	struct quote quotes[MUISPD_MAX_QUOTES];
	uint64_t next_ckpt;
	uint64_t bad_frames;
	struct mp_msg rx; /* the message being dispatched */
	int rx_busy;	  /* rx in use (conn_input nested) */
	int closing;	  /* muispd_close(): no more input */
	struct ikesync ike;
	struct eapsync eap;
	struct regs reg;
	/* the roam method's instance (payment_radius.c) */
	const struct payment_method *roam;
	/* RADIUS: clients (radclient.c), accounting (acct.c, acct_spool.c),
	 * DM/CoA listener (dae.c); NULL when not configured */
	struct radclient *rad_auth, *rad_acct;
	/* the EAP roaming relay (radrelay.c), NULL when not configured */
	struct radrelay *relay;
	struct acct *acct;
	struct spool *spool; /* acct_spool.c's sender */
	struct dae *dae;
	struct uinfo_hold *hold;    /* out-of-band agents' held flows */
	struct conn_hold *connhold; /* per-connection billing's */
	struct conn_records *crec;  /* ... its billing records */
	/* the module's cleanup after a settlement that failed: retried */
	struct kretry {
		char addr[64];	 /* unbind it ("" none) */
		uint64_t serial; /* delete the contract */
	} * kretry;
	unsigned nkretry, capkretry;
	/* Where conn.c hands each decoded request (server_dispatch). */
	void (*dispatch)(struct muispd *md, struct conn *c,
			 const struct mp_msg *m);
};

static inline uint64_t muispd_now(const struct muispd *md)
{
	return md->clock ? md->clock : (uint64_t)time(NULL);
}

/* Monotonic milliseconds for deadlines and rates (tests: the fixed
 * clock). */
static inline uint64_t muispd_mono_ms(const struct muispd *md)
{
	struct timespec ts;

	if (md->clock)
		return md->clock * 1000;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* server.c */
void muispd_init(struct muispd *md, const struct muispd_conf *conf);
int muispd_open(struct muispd *md);
void muispd_close(struct muispd *md);
int server_init(struct muispd *md, const struct muispd_conf *conf,
		const char *conffile);
int server_run(struct muispd *md); /* until SIGTERM/SIGINT */
int server_reload(struct muispd *md);
void server_dispatch(struct muispd *md, struct conn *c, const struct mp_msg *m);

/* limits.c */
int limits_init(struct srctab *t, uint32_t seed);
void limits_free(struct srctab *t);
struct src *limits_src(struct srctab *t, const char *addr, int create,
		       uint64_t now_ms, uint32_t burst);
int limits_take(struct src *s, uint64_t now_ms, uint32_t rate, uint32_t burst);
void bucket_fill(struct bucket *b, uint64_t now_ms, uint32_t burst);
int bucket_take(struct bucket *b, uint64_t now_ms, uint32_t rate,
		uint32_t burst);
unsigned limits_gc(struct srctab *t, uint64_t now_ms, uint32_t rate,
		   uint32_t burst);

/* conn.c */
void conn_deadlines(struct muispd *md);
void conn_fd_budget(struct muispd *md);
struct ssl_ctx_st *conn_tls_new(const struct muispd_conf *conf);
void conn_tls_free(struct ssl_ctx_st *ctx);
int conn_listen(struct muispd *md);
/* uinfo.c: multi-user hosts' agents */
void uinfo_hello(struct muispd *md, struct conn *c, const struct mp_msg *req);
void uinfo_keepalive(struct muispd *md, struct conn *c,
		     const struct mp_msg *req);
int uinfo_silent(const struct conn *c, uint64_t now);
unsigned uinfo_cert_addrs(X509 *x, const char *first,
			  char (*out)[INET6_ADDRSTRLEN], unsigned max);
void uinfo_conn_gone(struct muispd *md, struct conn *c);
int uinfo_start(struct muispd *md);
/* uinfo_hold.c: the out-of-band scheme's held flows (thesis ch. 5) */
#define MUISPD_HOLD_QUEUE 28021 /* "mu": the default agent-hold-queue */
#define MUISPD_CONN_QUEUE 28022 /* the default conn-queue */
int uinfo_hold_open(struct muispd *md);
void uinfo_hold_close(struct muispd *md);
int uinfo_hold_reply(struct muispd *md, struct conn *a, const struct mp_msg *m);
void uinfo_hold_tick(struct muispd *md);
void uinfo_hold_agent_gone(struct muispd *md, const struct conn *a);
/* conn_hold.c: per-connection billing's access controller (Edell) */
int conn_hold_open(struct muispd *md);
void conn_hold_close(struct muispd *md);
int conn_hold_reply(struct muispd *md, struct conn *a, const struct mp_msg *m);
void conn_hold_tick(struct muispd *md);
void conn_hold_agent_gone(struct muispd *md, const struct conn *a);
/* pagent.c: purchasing agents (muisp-agent) */
struct hold_flow;
struct muisp_nl_flow;
struct conn *pagent_for(struct muispd *md, uint64_t serial);
void pagent_hello(struct muispd *md, struct conn *c, const struct mp_msg *req);
/* Ask contract l's agent about held connection f (its challenge, agent
 * and serial set): 1 asked, 0 there is no agent (or no holder key). */
int pagent_ask(struct muispd *md, struct hold_flow *f, const struct live *l);
/* m, the reply to f's ask, is signed by the paying contract's holder. */
int pagent_verdict_ok(struct muispd *md, const struct hold_flow *f,
		      const struct mp_msg *m);
/* Tell contract's agent (if any) what connection f cost so far (cost)
 * or in all (ended, why). */
void pagent_cost(struct muispd *md, uint64_t contract,
		 const struct muisp_nl_flow *f, uint64_t cost, int ended,
		 const char *why);
/* conn_hold.c: a CONN_VERDICT on purchasing agent channel a: 1 if it
 * answered a held connection's question. */
int conn_hold_verdict(struct muispd *md, struct conn *a,
		      const struct mp_msg *m);

/* conn_records.c: a billing record per accepted connection */
#define CONN_RECORDS_OPEN_MAX 65536
struct conn_accepted {
	uint8_t family, proto;
	uint8_t host[16], peer[16];
	uint16_t hport, pport;
	uint32_t user;	   /* its Accounting ID, 0 unknown or the host's */
	uint64_t contract; /* the contract that pays, 0 unknown */
	uint8_t metric;	   /* enum mp_metric: its price's */
	uint64_t price, unit;
};
int conn_records_open(struct muispd *md);
void conn_records_close(struct muispd *md);
void conn_records_tick(struct muispd *md, uint64_t now_s);
void conn_record_open(struct muispd *md, const struct conn_accepted *a);
void conn_records_op(struct muispd *md, struct conn *c,
		     const struct mp_msg *req);
void conn_records_counters(const struct muispd *md,
			   void (*put)(void *arg, const char *name, uint64_t v),
			   void *arg);
/* its counters, for OP_STATS (conn.*), none while it is off */
void conn_hold_counters(const struct muispd *md,
			void (*put)(void *arg, const char *name, uint64_t v),
			void *arg);
int uinfo_identify(struct muispd *md, struct conn *c, const struct mp_msg *req);
void uinfo_reply(struct muispd *md, struct conn *c, const struct mp_msg *m);
int uinfo_ask_expired(struct muispd *md, struct conn *c, uint64_t now);
void uinfo_ask_free(struct conn *c);
int uinfo_canon(const char *addr, char out[INET6_ADDRSTRLEN]);
struct conn *uinfo_agent_for(struct muispd *md, const char *addr);
uint32_t uinfo_owner_get(struct conn *a, const char *host, uint16_t hport,
			 const char *peer, uint16_t pport, int proto);
/* uinfo_usage.c: standalone agents' usage records (thesis ch. 5(c)) */
void uinfo_usage(struct muispd *md, struct conn *c, const struct mp_msg *req);
void uinfo_usage_op(struct muispd *md, struct conn *c,
		    const struct mp_msg *req);
void uinfo_usage_prune(struct muispd *md, uint64_t now);
void uinfo_usage_move(struct muispd *md, uint64_t now);
/* uinfo_report.c: out-of-band packet-based agents' reports (thesis ch.
 * 5(a)) */
int uinfo_report_admit(struct muispd *md, struct conn *c);
void uinfo_report(struct muispd *md, struct conn *c, const struct mp_msg *req);
void uinfo_report_close(struct muispd *md);
/* userblock.c: the per-user block list, pushed to the hosts' agents */
int userblock_open(struct muispd *md);
void userblock_close(struct muispd *md);
int userblock_is(struct muispd *md, const char *payer);
void userblock_session(struct muispd *md, struct conn *a);
int userblock_reply(struct muispd *md, struct conn *a, const struct mp_msg *m);
void userblock_op(struct muispd *md, struct conn *c, const struct mp_msg *req);
void userblock_op_list(struct muispd *md, struct conn *c,
		       const struct mp_msg *req);
void conn_addr_str(const struct sockaddr_storage *ss, char *buf, size_t len);

void conn_accept(struct muispd *md, int lfd, enum conn_kind kind);
struct conn *conn_new(struct muispd *md, int fd, enum conn_kind kind,
		      const char *addr);
struct conn *conn_by_id(struct muispd *md, uint64_t id);
void conn_event(struct muispd *md, struct conn *c, uint32_t revents);
void conn_service(struct muispd *md);
void conn_close(struct conn *c);
int conn_flush(struct conn *c);
void conn_free(struct conn *c);
void conn_input(struct muispd *md, struct conn *c);
int conn_queue(struct conn *c, const struct mp_msg *m);
void conn_error(struct conn *c, const struct mp_msg *req, int err,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int conn_hold(struct conn *c, const struct mp_msg *req, struct held *h);
struct conn *conn_held(struct muispd *md, const struct held *h);
void conn_unhold(struct muispd *md, struct held *h);

/* session.c */
struct live *live_find(struct muispd *md, uint64_t serial);
struct live *live_by_addr(struct muispd *md, const char *addr);
struct live *live_add(struct muispd *md, const struct contract_rec *r);
void live_remove(struct muispd *md, struct live *l);
void session_usage_refresh(struct muispd *md, struct live *l, uint64_t now);
int session_step(struct live *l, enum contract_event ev, uint64_t arg,
		 uint64_t now);
int session_persist(struct muispd *md, struct live *l);
int session_kpush(struct muispd *md, struct live *l, int restore);
void session_save(struct muispd *md, struct live *l, int kpush);
int session_check_limits(struct muispd *md, struct live *l, uint64_t now,
			 const struct session_waiter *w);
void session_extinguish(struct muispd *md, struct live *l,
			enum contract_event ev, uint64_t now,
			const struct session_waiter *w);
int session_bind(struct muispd *md, struct live *l, const char *addr,
		 uint64_t now);
void session_terminate(struct muispd *md, struct conn *c,
		       const struct mp_msg *req, struct live *l, uint64_t now);
void session_then_extinguished(struct muispd *md, struct conn *c,
			       const struct mp_msg *req, int rc,
			       const struct contract_rec *r,
			       const struct statement *stm);
int session_sign_receipt(struct muispd *md, struct contract_rec *r);
void session_kretry(struct muispd *md, const char *addr, uint64_t serial);
void session_send_warning(struct muispd *md, const char *addr,
			  const struct contract_rec *r, int w);
void session_reply_statement(struct conn *c, const struct mp_msg *req,
			     const struct contract_rec *r,
			     const struct statement *stm);
void session_reply_status(struct conn *c, const struct mp_msg *req,
			  const struct contract_rec *r, uint8_t type,
			  uint16_t flags);
void session_tick(struct muispd *md, uint64_t now);
void session_kernel_event(const struct kernel_event *ev, void *arg);
int session_load(struct muispd *md, uint64_t now);
void session_checkpoint_final(struct muispd *md);

/* channel.c */
void channel_dispatch(struct muispd *md, struct conn *c,
		      const struct mp_msg *m);
int channel_establish(struct muispd *md, struct contract_rec *r,
		      const char *addr, const char *param, struct live **out,
		      char *msg, size_t msglen);

/* control.c */
typedef void (*control_fn)(struct muispd *md, struct conn *c,
			   const struct mp_msg *req);
control_fn control_handler(int type);
void control_dispatch(struct muispd *md, struct conn *c,
		      const struct mp_msg *m);

/* keys.c */
int64_t keys_rotate(struct muispd *md, uint64_t now, const char *why);
void keys_tick(struct muispd *md, uint64_t now);
void keys_op_rotate(struct muispd *md, struct conn *c,
		    const struct mp_msg *req);
void keys_op_list(struct muispd *md, struct conn *c, const struct mp_msg *req);
void keys_refuse(struct muispd *md, struct conn *c, const struct mp_msg *req,
		 int rc);

/* privacy.c: AH (0) or ESP (1); 1 if ID names an SA of the other
 * protocol (0 without an SA: not known). */
const char *privacy_name(unsigned privacy);
int privacy_mismatch(uint8_t privacy, const struct tun_id *id);
/* 0 if addr's tunnel is the privacy bought (or not known), else an
 * MP_ERR_* and, when msg is not NULL, the reason naming both and what to
 * do before WHAT ("buy", "bind"), logged. */
int privacy_check(struct muispd *md, const char *addr, uint8_t privacy,
		  const char *what, char *msg, size_t len);
/* An SA change left addr's entry E: a contract bound there against its
 * privacy is unbound; LOST, the contract the change unbound already (0
 * none), gets the reason logged when the new SA is not its privacy. */
void privacy_enforce(struct muispd *md, const char *addr,
		     const struct tun_entry *e, uint64_t lost);

/* ikesync.c */
void ikesync_connect(struct muispd *md, uint64_t now);
void ikesync_reconnect(struct muispd *md);
void ikesync_probe(struct muispd *md);
void ikesync_close(struct muispd *md);
/* addr's IPsec SA is gone: contract (the address's) and its users'
 * ("ID@ADDRESS") become unbound. */
void ikesync_unbind(struct muispd *md, const char *addr, uint64_t contract,
		    uint64_t now);
void ikesync_arm(struct muispd *md);
struct vici_builder;
int ikesync_command(struct muispd *md, const char *cmd, struct vici_builder *b);
int ikesync_terminate(struct muispd *md, uint32_t ike_id);

/* eap.c: devices without muisp-client */
struct ike_child;
void eap_child_up(struct muispd *md, const struct ike_child *c,
		  const char *addr);
void eap_child_down(struct muispd *md, const struct ike_child *c,
		    const char *addr);
void eap_vici_ready(struct muispd *md);
void eap_voucher_issued(struct muispd *md, const char *code);
void eap_tick(struct muispd *md, uint64_t now);
void eap_close(struct muispd *md);

/* register.c */
int register_open(struct muispd *md);
void register_close(struct muispd *md);
void register_handle(struct muispd *md, struct conn *c,
		     const struct mp_msg *req);
void register_charon_ready(struct muispd *md);
void register_sa_up(struct muispd *md, const char *remote_id);
void register_child_up(struct muispd *md, const struct ike_child *c);
void register_op_list(struct muispd *md, struct conn *c,
		      const struct mp_msg *req);
void register_op_forget(struct muispd *md, struct conn *c,
			const struct mp_msg *req);
void register_tick(struct muispd *md, uint64_t now);

#endif

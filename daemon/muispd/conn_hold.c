// SPDX-License-Identifier: GPL-2.0
/*
 * Per-connection billing's access controller (Edell, McKeown and
 * Varaiya, "Billing users for TCP", §II; docs/DESIGN.md "Per-connection
 * billing").  With conn-billing tcp (or tcp-udp) every contract muispd
 * pushes to the module holds its new connections: the module sends the
 * first packet of each (a SYN) to conn-queue, uncharged, and announces
 * it once (MUISP_CMD_CONN_REQUEST).  Here each held connection is
 * decided, in Edell's order of simplifications:
 *
 *   S3, by machine: a source in conn-accept-host is accepted;
 *   S2, by application: a peer port in conn-accept-port is accepted;
 *   useridd: the host's agent (muisp-uinfod) is asked whose socket the
 *     connection's host end is (UINFO_OWNER_GET, sock_diag on the host);
 *     S2, by user: a user in conn-accept-user is accepted;
 *   else conn-default (accept or refuse).
 *
 * The verdict goes to the module (MUISP_CMD_CONN_VERDICT), then the held
 * packets go round its FORWARD hook again (NF_REPEAT): accepted, they are
 * charged to the contract and begin the flow, whose later packets both
 * ways are never held; refused, the module drops them (and the
 * retransmissions of the next 5 s) as conn-refused.  A retransmitted SYN
 * joins its connection here, as in the module: one question each.
 *
 * No answer within conn-hold-timeout (the agent silent, or gone) applies
 * conn-fail: open accepts, closed refuses; either is counted.  Packets
 * beyond conn-hold-max (a quarter of it per source) are dropped: one host
 * cannot hold the queue all share.  muispd down: nobody is bound to the
 * queue, and the module drops (fail-closed).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "holdq.h"
#include "kernel.h"
#include "log.h"
#include "muispd.h"
#include "parse.h"

struct conn_hold {
	struct holdq hq;
	sd_event_source *errs; /* the module's refusals of verdicts */
	uint64_t asked, accepted, refused, timed_out, full;
	uint64_t agent_asked, agent_forged; /* purchasing agents */
	uint64_t verdict_errors;
};

/* a line a connection, but not a flood's worth: 20 a second */
static struct log_rl rl_conn = LOG_RL_INIT(1, 20);

/* S3 and S2 by port: the rule that accepts f without asking, or NULL. */
static const char *accepted_unasked(const struct muispd_conf *c,
				    const struct hold_flow *f)
{
	struct muisp_nl_ip host = { .family = f->family };

	memcpy(host.a, f->host, sizeof(host.a));
	for (unsigned i = 0; i < c->nconn_hosts; i++)
		if (prefix_contains(&c->conn_hosts[i].ip, c->conn_hosts[i].len,
				    &host))
			return "conn-accept-host";
	for (unsigned i = 0; i < c->nconn_ports; i++)
		if (c->conn_ports[i] == f->pport)
			return "conn-accept-port";
	return NULL;
}

static int user_accepted(const struct muispd_conf *c, uint32_t user)
{
	for (unsigned i = 0; i < c->nconn_users; i++)
		if (c->conn_users[i] == user)
			return 1;
	return 0;
}

/* The contract that pays for f: the user's own, else the host
 * address's (as the module chooses). */
static struct live *payer_of(struct muispd *md, const struct hold_flow *f)
{
	char host[INET6_ADDRSTRLEN], payer[96];
	struct live *l = NULL;

	ip_ntop(f->family, f->host, host, sizeof(host));
	if (f->user) {
		snprintf(payer, sizeof(payer), "%u@%s", f->user, host);
		l = live_by_addr(md, payer);
	}
	return l ? l : live_by_addr(md, host);
}

/* An accepted connection's billing record, at the price of the contract
 * that pays. */
static void record(struct muispd *md, const struct hold_flow *f)
{
	struct live *l = payer_of(md, f);
	struct conn_accepted a;

	memset(&a, 0, sizeof(a));
	a.family = f->family;
	a.proto = f->proto;
	memcpy(a.host, f->host, sizeof(a.host));
	memcpy(a.peer, f->peer, sizeof(a.peer));
	a.hport = f->hport;
	a.pport = f->pport;
	a.user = f->user;
	if (l) {
		a.contract = l->rec.serial;
		a.metric = l->rec.metric;
		a.price = l->rec.price;
		a.unit = l->rec.unit;
	}
	conn_record_open(md, &a);
}

/* The verdict on *pp, to the module and its packets; f is forgotten. */
static void decide(struct muispd *md, struct hold_flow **pp, int accept,
		   const char *why)
{
	struct conn_hold *h = md->connhold;
	struct hold_flow *f = *pp, k;
	char fs[160];

	/* posted; sent with the queue's other verdicts (presend), or now */
	if (kernel_conn_verdict(md->k, f->family, f->proto, f->host, f->hport,
				f->peer, f->pport, accept) ||
	    (!h->hq.batching && kernel_conn_flush(md->k))) {
		/* round the hook they would only be held again; a post
		 * fails only here, in the send (the module's refusals come
		 * later, on_errors()) */
		int err = errno;

		holdq_flow_str(f, fs, sizeof(fs));
		log_ratelimited(&rl_conn, LOG_WARNING,
				"conn: %s: the verdict not sent to the module: "
				"%s: dropped",
				fs, strerror(err));
		h->refused++;
		holdq_end(&h->hq, pp, 0);
		return;
	}
	/* the line is formatted only when it is logged: most are not */
	if (log_rl_want(&rl_conn)) {
		holdq_flow_str(f, fs, sizeof(fs));
		log_ratelimited(&rl_conn, LOG_INFO, "conn: %s: %s (%s)", fs,
				accept ? "accepted" : "refused", why);
	}
	if (!accept) {
		h->refused++;
		/* round the hook: the module drops them as conn-refused */
		holdq_end(&h->hq, pp, 1);
		return;
	}
	h->accepted++;
	/* the packets go first: the record's write is not in the
	 * connection's way */
	k = *f;
	holdq_end(&h->hq, pp, 1);
	record(md, &k);
}

/* The payer's purchasing agent is asked about *pp; without one the
 * default verdict applies (why). */
static void ask_payer(struct muispd *md, struct hold_flow **pp, const char *why)
{
	struct live *l = payer_of(md, *pp);

	if (l && pagent_ask(md, *pp, l)) {
		md->connhold->agent_asked++;
		return;
	}
	decide(md, pp, md->conf.conn_default_accept, why);
}

/* A new connection: decided at once, or its owner asked. */
static void connection_new(struct muispd *md, struct hold_flow **pp)
{
	struct hold_flow *f = *pp;
	char host[INET6_ADDRSTRLEN], peer[INET6_ADDRSTRLEN];
	const char *why = accepted_unasked(&md->conf, f);
	struct conn *a;

	if (why) {
		decide(md, pp, 1, why);
		return;
	}
	ip_ntop(f->family, f->host, host, sizeof(host));
	a = uinfo_agent_for(md, host);
	if (!a) {
		/* no useridd: the address pays; its purchasing agent, if
		 * any, is asked (a single-user device) */
		ask_payer(md, pp, "conn-default, no agent on the host");
		return;
	}
	ip_ntop(f->family, f->peer, peer, sizeof(peer));
	f->agent = a->id;
	f->serial =
		uinfo_owner_get(a, host, f->hport, peer, f->pport, f->proto);
	md->connhold->asked++;
}

static void on_pkt(void *arg, const struct nfq_pkt *p)
{
	struct muispd *md = arg;
	struct conn_hold *h = md->connhold;
	uint32_t max = md->conf.conn_hold_max;
	struct hold_flow k, **pp, *f;

	if (holdq_pkt_flow(p, &k)) {
		log_ratelimited(&rl_conn, LOG_WARNING,
				"conn: packet %u is no TCP or UDP connection: "
				"dropped",
				p->id);
		h->refused++;
		nfq_verdict(h->hq.q, p->id, 0);
		return;
	}
	pp = holdq_find(&h->hq, &k);
	f = pp ? *pp : NULL;
	if (holdq_full(&h->hq, &k, f, p->id, max, "conn-hold-max")) {
		h->full++;
		return;
	}
	if (f) { /* a retransmission: it waits with the first */
		holdq_keep(&h->hq, f, p->id);
		return;
	}
	f = holdq_add(&h->hq, &k, muispd_mono_ms(md));
	if (!f) {
		h->full++;
		nfq_verdict(h->hq.q, p->id, 0);
		return;
	}
	holdq_keep(&h->hq, f, p->id);
	connection_new(md, &h->hq.flows);
}

/* Before the queue's verdicts go: the module's (posted) first. */
static int presend(void *arg)
{
	struct muispd *md = arg;

	if (kernel_conn_flush(md->k) == 0)
		return 0;
	log_ratelimited(&rl_conn, LOG_WARNING,
			"conn: verdicts to the module: %s: their connections "
			"dropped",
			strerror(errno));
	return -1;
}

static void on_verdict_error(const struct muisp_nl_ext *ext, void *arg)
{
	struct muispd *md = arg;

	md->connhold->verdict_errors++;
	/* a refused verdict leaves the connection asked: its packets,
	 * back round the hook, are held and decided again */
	log_ratelimited(&rl_conn, LOG_WARNING,
			"conn: the module refused a verdict: %s%s%s",
			strerror(ext->error), *ext->msg ? ": " : "", ext->msg);
}

static int on_errors(sd_event_source *s, int fd, uint32_t events, void *arg)
{
	struct muispd *md = arg;

	(void)s;
	(void)fd;
	(void)events;
	if (kernel_conn_errors(md->k, on_verdict_error, md) < 0)
		log_ratelimited(&rl_conn, LOG_WARNING,
				"conn: the module's answers: %s",
				strerror(errno));
	return 0;
}

int conn_hold_open(struct muispd *md)
{
	struct conn_hold *h;
	char err[160];

	if (md->connhold || !md->conf.conn_billing || !md->conf.use_kernel)
		return 0;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -1;
	/* conn-billing asks for it: without the queue nothing would pass */
	if (holdq_open(&h->hq, "conn", md->ev, (uint16_t)md->conf.conn_queue,
		       md->conf.conn_hold_max, on_pkt, md, err, sizeof(err))) {
		log_warnx("conn-queue %u: %s", md->conf.conn_queue, err);
		free(h);
		return -1;
	}
	md->connhold = h;
	h->hq.presend = presend;
	kernel_conn_billing(md->k, md->conf.conn_billing,
			    (uint16_t)md->conf.conn_queue);
	if (kernel_conn_fd(md->k) >= 0 && md->ev &&
	    sd_event_add_io(md->ev, &h->errs, kernel_conn_fd(md->k), EPOLLIN,
			    on_errors, md) < 0)
		log_warnx("conn: cannot watch the module's answers to "
			  "verdicts");
	log_info("per-connection billing (%s): new connections held on queue "
		 "%u (at most %u packets, %u s for a verdict, then %s)",
		 md->conf.conn_billing == 2 ? "tcp-udp" : "tcp",
		 md->conf.conn_queue, md->conf.conn_hold_max,
		 md->conf.conn_hold_timeout_s,
		 md->conf.conn_fail_open ? "accepted" : "refused");
	return 0;
}

void conn_hold_close(struct muispd *md)
{
	if (!md->connhold)
		return;
	holdq_close(&md->connhold->hq);
	md->connhold->errs = sd_event_source_disable_unref(md->connhold->errs);
	free(md->connhold);
	md->connhold = NULL;
}

/* A reply on agent channel a: 1 if it answered whose a held connection
 * is (useridd). */
int conn_hold_reply(struct muispd *md, struct conn *a, const struct mp_msg *m)
{
	struct conn_hold *h = md->connhold;
	struct hold_flow **pp;
	uint32_t user;
	char why[96];

	if (!h)
		return 0;
	pp = holdq_asked(&h->hq, a->id, m->serial);
	if (!pp || (*pp)->paying)
		return 0;
	if (m->type != MP_T_UINFO_OWNER) {
		snprintf(why, sizeof(why),
			 "conn-fail, the host's agent knows no owner: %.40s",
			 m->type == MP_T_ERROR && mp_has(m, MP_A_MESSAGE) ?
				 m->s[MP_A_MESSAGE] :
				 mp_type_name(m->type));
		decide(md, pp, md->conf.conn_fail_open, why);
		return 1;
	}
	user = mp_has(m, MP_A_USER) ? (uint32_t)m->u[MP_A_USER] : 0;
	(*pp)->user = user;
	if (user && user_accepted(&md->conf, user)) {
		snprintf(why, sizeof(why), "user %u, conn-accept-user", user);
		decide(md, pp, 1, why);
		return 1;
	}
	snprintf(why, sizeof(why), "user %u, conn-default", user);
	ask_payer(md, pp, why);
	return 1;
}

int conn_hold_verdict(struct muispd *md, struct conn *a, const struct mp_msg *m)
{
	struct conn_hold *h = md->connhold;
	struct hold_flow **pp;
	char why[120];

	if (!h)
		return 0;
	pp = holdq_asked(&h->hq, a->id, m->serial);
	if (!pp || !(*pp)->paying)
		return 0;
	if (m->type != MP_T_CONN_VERDICT) {
		snprintf(why, sizeof(why), "the user's agent: %.60s",
			 m->type == MP_T_ERROR && mp_has(m, MP_A_MESSAGE) ?
				 m->s[MP_A_MESSAGE] :
				 mp_type_name(m->type));
		decide(md, pp, 0, why);
		return 1;
	}
	if (!pagent_verdict_ok(md, *pp, m)) {
		/* not the holder's: refused whatever conn-fail says */
		h->agent_forged++;
		decide(md, pp, 0, "the user's agent: bad signature");
		return 1;
	}
	snprintf(why, sizeof(why), "user %u, the user's agent%s%.60s",
		 (*pp)->user, mp_has(m, MP_A_MESSAGE) ? ": " : "",
		 mp_has(m, MP_A_MESSAGE) ? m->s[MP_A_MESSAGE] : "");
	decide(md, pp, m->u[MP_A_VERDICT] != 0, why);
	return 1;
}

/* Once a second: connections undecided too long get conn-fail. */
void conn_hold_tick(struct muispd *md)
{
	struct conn_hold *h = md->connhold;
	uint64_t now = muispd_mono_ms(md);
	struct hold_flow **pp;

	if (!h)
		return;
	for (pp = &h->hq.flows;
	     (pp = holdq_next_old(pp, now,
				  md->conf.conn_hold_timeout_s * 1000ULL));) {
		h->timed_out++;
		decide(md, pp, md->conf.conn_fail_open,
		       "conn-fail, no answer in time");
	}
}

/* Agent channel a is going: what it was asked gets conn-fail. */
void conn_hold_agent_gone(struct muispd *md, const struct conn *a)
{
	struct conn_hold *h = md->connhold;
	struct hold_flow **pp;

	if (!h)
		return;
	for (pp = &h->hq.flows; (pp = holdq_next_of(pp, a->id));) {
		decide(md, pp, md->conf.conn_fail_open,
		       "conn-fail, the host's agent went away");
	}
}

void conn_hold_counters(const struct muispd *md,
			void (*put)(void *arg, const char *name, uint64_t v),
			void *arg)
{
	const struct conn_hold *h = md->connhold;

	if (!h)
		return;
	put(arg, "conn.asked", h->asked);
	put(arg, "conn.accepted", h->accepted);
	put(arg, "conn.refused", h->refused);
	put(arg, "conn.timed_out", h->timed_out);
	put(arg, "conn.full", h->full);
	put(arg, "conn.agent_asked", h->agent_asked);
	put(arg, "conn.agent_forged", h->agent_forged);
	put(arg, "conn.lost", h->hq.lost);
	put(arg, "conn.verdict_errors", h->verdict_errors);
}

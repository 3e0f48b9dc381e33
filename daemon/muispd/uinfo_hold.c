// SPDX-License-Identifier: GPL-2.0
/*
 * The out-of-band scheme's held flows (thesis ch. 5, flow-based; docs/
 * DESIGN.md "Out of band: the router holds and asks").  A multi-user
 * host whose agent says UINFO_HELLO with SCHEME out-of-band tags nothing:
 * its module entry at the meter carries a hold queue, and the module
 * sends each TCP or UDP packet of the host that begins no flow it has to
 * that NFQUEUE, before its gate and uncounted, until we name the flow's
 * user.
 *
 * Here each queued packet is read (its headers only), its flow found or
 * begun, and the agent asked once per flow who owns the host's end
 * (UINFO_OWNER_GET with PROTO: the agent looks the socket up with
 * sock_diag, as Edell's useridd did).  The answer goes to the module
 * (MUISP_CMD_AGENT_FLOW_SET) and the packets held for it go round the
 * module's FORWARD hook again (NF_REPEAT), in order: gated and counted as
 * the user's (their contract, or the host's address for an unmapped
 * user), the first begins the flow, whose later packets are not held.
 *
 * Fail-closed: an ERROR, no answer within agent-hold-timeout, a blocked
 * user, the agent's channel ending, too many flows or packets waiting,
 * or a packet from a host with no out-of-band session drops what is held;
 * the flow is still unknown, so the sender's next try asks again.  Nobody bound
 * to the queue (muispd down) drops in the kernel.  One host cannot hold
 * more than a quarter of agent-hold-max, so it cannot stall the others.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmod/gate.h"
#include "kernel.h"
#include "log.h"
#include "muispd.h"
#include "nfq.h"

/* Packets held for one flow (a SYN and its retransmissions, a burst of
 * datagrams): more are dropped until the answer. */
#define HOLD_IDS_MAX 16

struct hold_flow {
	struct hold_flow *next;
	uint64_t agent;	 /* the agent's channel (conn id) */
	uint32_t serial; /* of its UINFO_OWNER_GET */
	uint64_t since;	 /* monotonic ms */
	uint8_t family, proto;
	uint8_t host[16], peer[16];
	uint16_t hport, pport;
	uint32_t ids[HOLD_IDS_MAX];
	unsigned nids;
};

struct uinfo_hold {
	struct nfq *q;
	sd_event_source *io;
	struct hold_flow *flows;
	unsigned npkts; /* held now, all flows */
	/* logged, rate-limited; for the operator's eye in the journal */
	uint64_t asked, answered, refused, expired, full, lost;
};

static struct log_rl rl_hold = LOG_RL_INIT(10, 5);

/* Send every packet held for f round the module's hook again (answered:
 * the module knows whose they are) or drop them, and forget f. */
static void flow_end(struct uinfo_hold *h, struct hold_flow **pp, int again)
{
	struct hold_flow *f = *pp;

	for (unsigned i = 0; i < f->nids; i++)
		if ((again ? nfq_repeat(h->q, f->ids[i]) :
			     nfq_verdict(h->q, f->ids[i], 0)) < 0)
			log_ratelimited(&rl_hold, LOG_WARNING,
					"hold: verdict on packet %u: %s",
					f->ids[i], strerror(errno));
	h->npkts -= f->nids;
	*pp = f->next;
	free(f);
}

static void flow_str(const struct hold_flow *f, char *buf, size_t len)
{
	char h[INET6_ADDRSTRLEN], p[INET6_ADDRSTRLEN];

	inet_ntop(f->family, f->host, h, sizeof(h));
	inet_ntop(f->family, f->peer, p, sizeof(p));
	snprintf(buf, len, "%s %s%s%s:%u -> %s%s%s:%u",
		 f->proto == IPPROTO_UDP ? "udp" : "tcp",
		 f->family == AF_INET6 ? "[" : "", h,
		 f->family == AF_INET6 ? "]" : "", f->hport,
		 f->family == AF_INET6 ? "[" : "", p,
		 f->family == AF_INET6 ? "]" : "", f->pport);
}

static struct hold_flow **flow_find(struct uinfo_hold *h,
				    const struct hold_flow *k)
{
	struct hold_flow **pp;

	for (pp = &h->flows; *pp; pp = &(*pp)->next) {
		const struct hold_flow *f = *pp;

		if (f->family == k->family && f->proto == k->proto &&
		    f->hport == k->hport && f->pport == k->pport &&
		    !memcmp(f->host, k->host, sizeof(f->host)) &&
		    !memcmp(f->peer, k->peer, sizeof(f->peer)))
			return pp;
	}
	return NULL;
}

static unsigned agent_pkts(const struct uinfo_hold *h, uint64_t agent)
{
	unsigned n = 0;

	for (const struct hold_flow *f = h->flows; f; f = f->next)
		n += f->agent == agent ? f->nids : 0;
	return n;
}

/* Ask agent a whose f is. */
static void flow_ask(struct conn *a, struct hold_flow *f)
{
	char host[INET6_ADDRSTRLEN], peer[INET6_ADDRSTRLEN];

	inet_ntop(f->family, f->host, host, sizeof(host));
	inet_ntop(f->family, f->peer, peer, sizeof(peer));
	f->agent = a->id;
	f->serial =
		uinfo_owner_get(a, host, f->hport, peer, f->pport, f->proto);
}

/* The flow of a queued packet (its IP header onwards): 0, or -1. */
static int pkt_flow(const struct nfq_pkt *p, struct hold_flow *k)
{
	struct muisp_pkt pk;
	uint8_t fam;

	if (!p->payload || p->len < 1)
		return -1;
	fam = (p->payload[0] >> 4) == 4 ? MUISP_AF_INET : MUISP_AF_INET6;
	if ((p->payload[0] >> 4) != 4 && (p->payload[0] >> 4) != 6)
		return -1;
	if (muisp_gate_parse(p->payload, p->len, p->orig_len, fam, &pk) ||
	    !pk.has_ports ||
	    (pk.proto != IPPROTO_TCP && pk.proto != IPPROTO_UDP))
		return -1;
	memset(k, 0, sizeof(*k));
	k->family = fam == MUISP_AF_INET ? AF_INET : AF_INET6;
	k->proto = pk.proto;
	memcpy(k->host, pk.saddr, k->family == AF_INET ? 4 : 16);
	memcpy(k->peer, pk.daddr, k->family == AF_INET ? 4 : 16);
	k->hport = ntohs(pk.sport);
	k->pport = ntohs(pk.dport);
	return 0;
}

static void on_pkt(void *arg, const struct nfq_pkt *p)
{
	struct muispd *md = arg;
	struct uinfo_hold *h = md->hold;
	uint32_t max = md->conf.agent_hold_max;
	char host[INET6_ADDRSTRLEN], fs[160];
	struct hold_flow k, **pp, *f;
	struct conn *a;

	if (pkt_flow(p, &k)) {
		log_ratelimited(&rl_hold, LOG_WARNING,
				"hold: packet %u is no TCP or UDP flow: "
				"dropped",
				p->id);
		h->refused++;
		nfq_verdict(h->q, p->id, 0);
		return;
	}
	inet_ntop(k.family, k.host, host, sizeof(host));
	a = uinfo_agent_for(md, host);
	pp = flow_find(h, &k);
	if (!a || a->agent_scheme != MP_SCHEME_OUT_OF_BAND) {
		/* a session that ended or changed its scheme: the module's
		 * entry changes with it, and this packet is the host's risk */
		flow_str(&k, fs, sizeof(fs));
		log_ratelimited(&rl_hold, LOG_INFO,
				"hold: %s: no out-of-band agent for %s: "
				"dropped",
				fs, host);
		h->refused++;
		nfq_verdict(h->q, p->id, 0);
		return;
	}
	f = pp ? *pp : NULL;
	if (h->npkts >= max || agent_pkts(h, a->id) >= max / 4 + 1 ||
	    (f && f->nids == HOLD_IDS_MAX)) {
		h->full++;
		flow_str(&k, fs, sizeof(fs));
		log_ratelimited(&rl_hold, LOG_WARNING,
				"hold: %s: too many packets waiting (%u of "
				"agent-hold-max %u): dropped",
				fs, h->npkts, max);
		nfq_verdict(h->q, p->id, 0);
		return;
	}
	if (!f) {
		f = malloc(sizeof(*f));
		if (!f) {
			h->full++;
			nfq_verdict(h->q, p->id, 0);
			return;
		}
		*f = k;
		f->since = muispd_mono_ms(md);
		f->next = h->flows;
		h->flows = f;
		flow_ask(a, f);
		h->asked++;
	}
	f->ids[f->nids++] = p->id;
	h->npkts++;
}

static int on_io(sd_event_source *s, int fd, uint32_t events, void *arg)
{
	struct muispd *md = arg;
	int n;

	(void)s;
	(void)fd;
	(void)events;
	n = nfq_receive(md->hold->q, on_pkt, md);
	if (n == -ENOBUFS) {
		md->hold->lost++;
		log_ratelimited(&rl_hold, LOG_WARNING,
				"hold: the queue's socket overflowed: packets "
				"dropped by the kernel (%llu times)",
				(unsigned long long)md->hold->lost);
	} else if (n < 0 && n != -EAGAIN) {
		log_ratelimited(&rl_hold, LOG_WARNING, "hold: receive: %s",
				strerror(-n));
	}
	return 0;
}

int uinfo_hold_open(struct muispd *md)
{
	struct uinfo_hold *h;
	char err[160];

	if (md->hold || !md->conf.agent_ca[0] || !md->conf.use_kernel)
		return 0;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -1;
	h->q = nfq_open((uint16_t)md->conf.agent_hold_queue,
			md->conf.agent_hold_max, err, sizeof(err));
	if (!h->q) {
		/* in-band agents still work: only out-of-band ones are
		 * refused, with this reason */
		log_warnx("agent-hold-queue %u: %s: out-of-band agents "
			  "refused",
			  md->conf.agent_hold_queue, err);
		free(h);
		return 0;
	}
	if (md->ev && sd_event_add_io(md->ev, &h->io, nfq_fd(h->q), EPOLLIN,
				      on_io, md) < 0) {
		log_warnx("agent-hold-queue: cannot watch the queue");
		nfq_close(h->q);
		free(h);
		return -1;
	}
	md->hold = h;
	log_info("out-of-band agents' new flows held on queue %u (at most %u "
		 "packets, %u s for an answer)",
		 md->conf.agent_hold_queue, md->conf.agent_hold_max,
		 md->conf.agent_hold_timeout_s);
	return 0;
}

void uinfo_hold_close(struct muispd *md)
{
	struct uinfo_hold *h = md->hold;

	if (!h)
		return;
	while (h->flows)
		flow_end(h, &h->flows, 0);
	sd_event_source_disable_unref(h->io);
	nfq_close(h->q);
	free(h);
	md->hold = NULL;
}

/* A reply on agent channel a: 1 if it answered a held flow's question. */
int uinfo_hold_reply(struct muispd *md, struct conn *a, const struct mp_msg *m)
{
	struct uinfo_hold *h = md->hold;
	struct hold_flow **pp, *f;
	char fs[160], payer[96], host[INET6_ADDRSTRLEN];
	uint32_t user = 0;

	if (!h)
		return 0;
	for (pp = &h->flows; *pp; pp = &(*pp)->next)
		if ((*pp)->agent == a->id && (*pp)->serial == m->serial)
			break;
	if (!*pp)
		return 0;
	f = *pp;
	flow_str(f, fs, sizeof(fs));
	if (m->type != MP_T_UINFO_OWNER) {
		h->refused++;
		log_ratelimited(&rl_hold, LOG_INFO,
				"hold: %s: the agent did not say whose it is "
				"(%.60s): dropped",
				fs,
				m->type == MP_T_ERROR &&
						mp_has(m, MP_A_MESSAGE) ?
					m->s[MP_A_MESSAGE] :
					mp_type_name(m->type));
		flow_end(h, pp, 0);
		return 1;
	}
	if (mp_has(m, MP_A_USER))
		user = (uint32_t)m->u[MP_A_USER];
	inet_ntop(f->family, f->host, host, sizeof(host));
	snprintf(payer, sizeof(payer), "%u@%s", user, host);
	if (user && userblock_is(md, payer)) {
		h->refused++;
		log_ratelimited(&rl_hold, LOG_INFO,
				"hold: %s: user %s is blocked: dropped", fs,
				payer);
		flow_end(h, pp, 0);
		return 1;
	}
	if (kernel_agent_flow_set(md->k, f->family, f->proto, f->host, f->hport,
				  f->peer, f->pport, user)) {
		/* the agent changed meanwhile: round the hook again, the
		 * packets would only come back */
		h->refused++;
		log_ratelimited(&rl_hold, LOG_WARNING,
				"hold: %s: the module: %s: dropped", fs,
				*kernel_ext_msg(md->k) ? kernel_ext_msg(md->k) :
							 strerror(errno));
		flow_end(h, pp, 0);
		return 1;
	}
	h->answered++;
	log_debug("hold: %s is %s", fs, user ? payer : "the host's own");
	flow_end(h, pp, 1);
	return 1;
}

/* Once a second: the questions unanswered too long fail closed. */
void uinfo_hold_tick(struct muispd *md)
{
	struct uinfo_hold *h = md->hold;
	uint64_t now = muispd_mono_ms(md);
	struct hold_flow **pp;
	char fs[160];

	if (!h)
		return;
	for (pp = &h->flows; *pp;) {
		if (now <
		    (*pp)->since + md->conf.agent_hold_timeout_s * 1000ULL) {
			pp = &(*pp)->next;
			continue;
		}
		h->expired++;
		flow_str(*pp, fs, sizeof(fs));
		log_ratelimited(&rl_hold, LOG_WARNING,
				"hold: %s: no answer from the agent within %u "
				"s: dropped",
				fs, md->conf.agent_hold_timeout_s);
		flow_end(h, pp, 0);
	}
}

/* Agent channel a is going: what it was asked fails closed. */
void uinfo_hold_agent_gone(struct muispd *md, const struct conn *a)
{
	struct uinfo_hold *h = md->hold;
	struct hold_flow **pp;

	if (!h)
		return;
	for (pp = &h->flows; *pp;) {
		if ((*pp)->agent != a->id) {
			pp = &(*pp)->next;
			continue;
		}
		h->refused++;
		flow_end(h, pp, 0);
	}
}

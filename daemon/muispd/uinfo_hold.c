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

#include "kernel.h"
#include "log.h"
#include "muispd.h"
#include "holdq.h"

struct uinfo_hold {
	struct holdq hq;
	/* logged, rate-limited; for the operator's eye in the journal */
	uint64_t asked, answered, refused, expired, full;
};

static struct log_rl rl_hold = LOG_RL_INIT(10, 5);

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

static void on_pkt(void *arg, const struct nfq_pkt *p)
{
	struct muispd *md = arg;
	struct uinfo_hold *h = md->hold;
	uint32_t max = md->conf.agent_hold_max;
	char host[INET6_ADDRSTRLEN], fs[160];
	struct hold_flow k, **pp, *f;
	struct conn *a;

	if (holdq_pkt_flow(p, &k)) {
		log_ratelimited(&rl_hold, LOG_WARNING,
				"hold: packet %u is no TCP or UDP flow: "
				"dropped",
				p->id);
		h->refused++;
		nfq_verdict(h->hq.q, p->id, 0);
		return;
	}
	inet_ntop(k.family, k.host, host, sizeof(host));
	a = uinfo_agent_for(md, host);
	pp = holdq_find(&h->hq, &k);
	if (!a || a->agent_scheme != MP_SCHEME_OUT_OF_BAND) {
		/* a session that ended or changed its scheme: the module's
		 * entry changes with it, and this packet is the host's risk */
		holdq_flow_str(&k, fs, sizeof(fs));
		log_ratelimited(&rl_hold, LOG_INFO,
				"hold: %s: no out-of-band agent for %s: "
				"dropped",
				fs, host);
		h->refused++;
		nfq_verdict(h->hq.q, p->id, 0);
		return;
	}
	f = pp ? *pp : NULL;
	if (holdq_full(&h->hq, &k, f, p->id, max, "agent-hold-max")) {
		h->full++;
		return;
	}
	if (!f) {
		f = holdq_add(&h->hq, &k, muispd_mono_ms(md));
		if (!f) {
			h->full++;
			nfq_verdict(h->hq.q, p->id, 0);
			return;
		}
		flow_ask(a, f);
		h->asked++;
	}
	holdq_keep(&h->hq, f, p->id);
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
	if (holdq_open(&h->hq, "hold", md->ev,
		       (uint16_t)md->conf.agent_hold_queue,
		       md->conf.agent_hold_max, on_pkt, md, err, sizeof(err))) {
		/* in-band agents still work: only out-of-band ones are
		 * refused, with this reason */
		log_warnx("agent-hold-queue %u: %s: out-of-band agents "
			  "refused",
			  md->conf.agent_hold_queue, err);
		free(h);
		return 0;
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
	holdq_close(&h->hq);
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
	pp = holdq_asked(&h->hq, a->id, m->serial);
	if (!pp)
		return 0;
	f = *pp;
	holdq_flow_str(f, fs, sizeof(fs));
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
		holdq_end(&h->hq, pp, 0);
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
		holdq_end(&h->hq, pp, 0);
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
		holdq_end(&h->hq, pp, 0);
		return 1;
	}
	h->answered++;
	log_debug("hold: %s is %s", fs, user ? payer : "the host's own");
	holdq_end(&h->hq, pp, 1);
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
	for (pp = &h->hq.flows;
	     (pp = holdq_next_old(pp, now,
				  md->conf.agent_hold_timeout_s * 1000ULL));) {
		h->expired++;
		holdq_flow_str(*pp, fs, sizeof(fs));
		log_ratelimited(&rl_hold, LOG_WARNING,
				"hold: %s: no answer from the agent within %u "
				"s: dropped",
				fs, md->conf.agent_hold_timeout_s);
		holdq_end(&h->hq, pp, 0);
	}
}

/* Agent channel a is going: what it was asked fails closed. */
void uinfo_hold_agent_gone(struct muispd *md, const struct conn *a)
{
	struct uinfo_hold *h = md->hold;
	struct hold_flow **pp;

	if (!h)
		return;
	for (pp = &h->hq.flows; (pp = holdq_next_of(pp, a->id));) {
		h->refused++;
		holdq_end(&h->hq, pp, 0);
	}
}

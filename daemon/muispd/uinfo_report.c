// SPDX-License-Identifier: GPL-2.0
/*
 * The out-of-band scheme, packet-based (thesis ch. 5(a), PROTOCOL.md §9
 * step 10): a multi-user host's agent whose UINFO_HELLO says SCHEME 3
 * has its module report the packets its mapped users send, and sends
 * them on as UINFO_REPORT {PROTO, ADDR:SPORT (the host's end), PEER:DPORT,
 * USER, SENT_BYTES, SENT_PKTS} (a flow's packets coalesced: at most one
 * report per flow a second, the first packet's at once).  The router
 * holds nothing: the packet was forwarded already and charged to the
 * host's address.  On a report muispd tells the module that the flow is
 * USER's (MUISP_CMD_AGENT_FLOW_SET, kernel_agent_flow_set()), which
 * moves it, with what it carried so far, to the user's active contract
 * (the thesis's rollback of an "unsolicited" User Information message),
 * or, if the report beat its packet to the router, keeps the answer for
 * the flow's first packet (the agent is registered with its scheme,
 * uinfo.c).
 *
 * Reports are not answered; one that cannot be right (no session, not a
 * packet-based one, a flow not of the session's host, a malformed flow)
 * is refused with an ERROR carrying its serial.  A module's refusal (the
 * flow is gone, the user has no contract) is logged and counted only: a
 * later report of the flow tries again.
 *
 * The module is told once per flow and user, then not again for
 * REPORT_FRESH_MS: a direct-mapped cache of the flows told recently
 * (REPORT_SLOTS, by a seeded hash of the flow) skips the reports in
 * between.  A report naming another user for the flow tells the module
 * again at once; once the entry is stale the next report tells it again
 * (the module may have ended the flow and begun it anew, charged to the
 * host).
 *
 * Rate: reports are many, so a keyed packet-based session's UINFO_REPORT
 * frames do not count against its address's msg-rate (conn.c, as a
 * standalone session's usage records do not); each session has a bucket
 * of its own instead (agent-report-rate, agent-report-burst), and a
 * report over it is dropped unread (uinfo_report_admit()), the channel
 * kept.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fnv.h"
#include "kernel.h"
#include "log.h"
#include "muispd.h"

/* Flows told recently: a power of two; an entry is good this long. */
#define REPORT_SLOTS	1024
#define REPORT_FRESH_MS 5000

struct report_slot {
	uint64_t t_ms; /* the module told then (monotonic ms) */
	uint32_t user;
	uint16_t sport, dport;
	uint8_t used, family, proto;
	uint8_t addr[16], peer[16];
};

struct uinfo_report {
	uint32_t seed;
	struct report_slot slot[REPORT_SLOTS];
};

/* refusals; drops over a session's bucket; the module's refusals */
static struct log_rl rl_refused = LOG_RL_INIT(10, 5);
static struct log_rl rl_dropped = LOG_RL_INIT(10, 5);
static struct log_rl rl_failed = LOG_RL_INIT(10, 5);

/* A report over its session's bucket: 1 read it, 0 drop it (conn.c, for
 * a complete UINFO_REPORT frame of a keyed packet-based session). */
int uinfo_report_admit(struct muispd *md, struct conn *c)
{
	if (bucket_take(&c->agent_reports, muispd_mono_ms(md),
			md->conf.agent_report_rate,
			md->conf.agent_report_burst))
		return 1;
	md->agent_report.dropped++;
	log_ratelimited(&rl_dropped, LOG_WARNING,
			"%s: the agent's reports over agent-report-rate %u a "
			"second (burst %u): dropped (%llu so far)",
			c->addr, md->conf.agent_report_rate,
			md->conf.agent_report_burst,
			(unsigned long long)md->agent_report.dropped);
	return 0;
}

static void report_refuse(struct muispd *md, struct conn *c,
			  const struct mp_msg *req, int err, const char *why)
{
	md->agent_report.refused++;
	log_ratelimited(&rl_refused, LOG_WARNING,
			"%s: the agent's report refused: %s (%llu refused so "
			"far)",
			c->addr, why,
			(unsigned long long)md->agent_report.refused);
	conn_error(c, req, err, "%s", why);
}

/* addr as text: its family and bytes (network order) in *af and a, its
 * canonical text in canon; 0, or -1 if it is no IP address. */
static int report_addr(const char *addr, int *af, uint8_t a[16],
		       char canon[INET6_ADDRSTRLEN])
{
	if (uinfo_canon(addr, canon))
		return -1;
	*af = strchr(canon, ':') ? AF_INET6 : AF_INET;
	memset(a, 0, 16);
	return inet_pton(*af, canon, a) == 1 ? 0 : -1;
}

/* FNV-1a, seeded: the flow is the agent's to choose. */
static unsigned report_hash(const struct uinfo_report *r,
			    const struct report_slot *k)
{
	uint32_t h;
	uint8_t v[6] = {
		k->family,
		k->proto,
		(uint8_t)(k->sport >> 8),
		(uint8_t)k->sport,
		(uint8_t)(k->dport >> 8),
		(uint8_t)k->dport,
	};

	h = fnv1a(FNV1A_INIT ^ r->seed, v, sizeof(v));
	h = fnv1a(h, k->addr, sizeof(k->addr));
	return fnv1a(h, k->peer, sizeof(k->peer)) & (REPORT_SLOTS - 1);
}

static int report_same_flow(const struct report_slot *a,
			    const struct report_slot *b)
{
	return a->used && a->family == b->family && a->proto == b->proto &&
	       a->sport == b->sport && a->dport == b->dport &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr)) &&
	       !memcmp(a->peer, b->peer, sizeof(a->peer));
}

/* UINFO_REPORT on an agent's channel: the flow moved to its user. */
void uinfo_report(struct muispd *md, struct conn *c, const struct mp_msg *req)
{
	char addr[INET6_ADDRSTRLEN], peer[INET6_ADDRSTRLEN], why[160];
	struct report_slot k, *s;
	int af, paf;
	unsigned i;

	md->agent_report.reports++;
	if (!c->agent_key_id) {
		report_refuse(md, c, req, MP_ERR_STATE,
			      "no agent session (hello)");
		return;
	}
	if (c->agent_scheme != MP_SCHEME_OUT_OF_BAND_PACKET) {
		report_refuse(md, c, req, MP_ERR_PERM,
			      "packet reports are an out-of-band packet-based "
			      "agent's (hello with scheme 3)");
		return;
	}
	if (req->u[MP_A_PROTO] != IPPROTO_TCP &&
	    req->u[MP_A_PROTO] != IPPROTO_UDP) {
		snprintf(why, sizeof(why),
			 "PROTO %u: only TCP (6) and UDP (17) are reported",
			 (unsigned)req->u[MP_A_PROTO]);
		report_refuse(md, c, req, MP_ERR_PROTO, why);
		return;
	}
	if (!req->u[MP_A_USER]) {
		report_refuse(md, c, req, MP_ERR_PROTO,
			      "USER is an Accounting ID: at least 1");
		return;
	}
	memset(&k, 0, sizeof(k));
	if (report_addr(req->s[MP_A_ADDR], &af, k.addr, addr)) {
		snprintf(why, sizeof(why), "ADDR is not an IP address: %.100s",
			 req->s[MP_A_ADDR]);
		report_refuse(md, c, req, MP_ERR_PROTO, why);
		return;
	}
	for (i = 0; i < c->agent_naddrs; i++)
		if (!strcmp(c->agent_addrs[i], addr))
			break;
	if (i == c->agent_naddrs) {
		snprintf(why, sizeof(why),
			 "%s is not this host's: an agent reports only its "
			 "own host's flows",
			 addr);
		report_refuse(md, c, req, MP_ERR_PERM, why);
		return;
	}
	if (report_addr(req->s[MP_A_PEER], &paf, k.peer, peer) || paf != af) {
		snprintf(why, sizeof(why),
			 "PEER is not an %s address as ADDR is: %.100s",
			 af == AF_INET ? "IPv4" : "IPv6", req->s[MP_A_PEER]);
		report_refuse(md, c, req, MP_ERR_PROTO, why);
		return;
	}
	if (!md->report) {
		md->report = calloc(1, sizeof(*md->report));
		if (!md->report) {
			md->agent_report.failed++;
			log_ratelimited(&rl_failed, LOG_WARNING,
					"%s: report: out of memory", c->addr);
			return;
		}
		md->report->seed = md->srcs.seed ^ 0x9e3779b9u;
	}
	k.used = 1;
	k.family = (uint8_t)af;
	k.proto = (uint8_t)req->u[MP_A_PROTO];
	k.sport = (uint16_t)req->u[MP_A_SPORT];
	k.dport = (uint16_t)req->u[MP_A_DPORT];
	k.user = (uint32_t)req->u[MP_A_USER];
	k.t_ms = muispd_mono_ms(md);
	s = &md->report->slot[report_hash(md->report, &k)];
	if (report_same_flow(s, &k) && s->user == k.user &&
	    k.t_ms < s->t_ms + REPORT_FRESH_MS) {
		md->agent_report.cached++;
		return;
	}
	if (kernel_agent_flow_set(md->k, af, k.proto, k.addr, k.sport, k.peer,
				  k.dport, k.user)) {
		int e = errno;
		const char *msg = kernel_ext_msg(md->k);

		md->agent_report.failed++;
		log_ratelimited(&rl_failed, LOG_INFO,
				"%s: %s %s:%u -> %s:%u of user %u not moved: "
				"the module: %s (%llu so far)",
				c->addr, k.proto == IPPROTO_UDP ? "udp" : "tcp",
				addr, k.sport, peer, k.dport, k.user,
				*msg ? msg : strerror(e),
				(unsigned long long)md->agent_report.failed);
		return;
	}
	*s = k;
	md->agent_report.moved++;
	log_debug("%s: %s %s:%u -> %s:%u is user %u's (%llu bytes, %llu "
		  "packets reported)",
		  c->addr, k.proto == IPPROTO_UDP ? "udp" : "tcp", addr,
		  k.sport, peer, k.dport, k.user,
		  (unsigned long long)req->u[MP_A_SENT_BYTES],
		  (unsigned long long)req->u[MP_A_SENT_PKTS]);
}

void uinfo_report_close(struct muispd *md)
{
	free(md->report);
	md->report = NULL;
}

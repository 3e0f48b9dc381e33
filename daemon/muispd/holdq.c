// SPDX-License-Identifier: GPL-2.0
/*
 * Held flows on an NFQUEUE (holdq.h): the list, the parse of a queued
 * packet with the module's own parser (kmod/gate.c, built for the host),
 * and the verdicts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "kmod/gate.h"
#include "holdq.h"
#include "log.h"
#include "parse.h"

static struct log_rl rl_holdq = LOG_RL_INIT(10, 5);

struct holdq_io {
	struct holdq *h;
	nfq_pkt_fn cb;
	void *arg;
};

/* The verdicts gathered, after what presend says for them. */
static void batch_send(struct holdq *h)
{
	int r = nfq_batch_end(h->q, h->presend && h->presend(h->arg) < 0);

	h->batched = 0;
	if (r < 0)
		log_ratelimited(&rl_holdq, LOG_WARNING,
				"%s: verdicts: %s: their packets wait in the "
				"kernel",
				h->name, strerror(-r));
}

static int on_io(sd_event_source *s, int fd, uint32_t events, void *arg)
{
	struct holdq_io *io = arg;
	struct holdq *h = io->h;
	int n;

	(void)s;
	(void)fd;
	(void)events;
	nfq_batch_begin(h->q);
	h->batching = 1;
	n = nfq_receive(h->q, io->cb, io->arg);
	h->batching = 0;
	batch_send(h);
	if (n == -ENOBUFS) {
		h->lost++;
		log_ratelimited(&rl_holdq, LOG_WARNING,
				"%s: the queue's socket overflowed: packets "
				"dropped by the kernel (%llu times)",
				h->name, (unsigned long long)h->lost);
	} else if (n < 0 && n != -EAGAIN) {
		log_ratelimited(&rl_holdq, LOG_WARNING, "%s: receive: %s",
				h->name, strerror(-n));
	}
	return 0;
}

static void io_free(void *arg)
{
	free(arg);
}

int holdq_open(struct holdq *h, const char *name, sd_event *ev, uint16_t num,
	       uint32_t max, nfq_pkt_fn cb, void *arg, char *err, size_t errlen)
{
	struct holdq_io *io;

	memset(h, 0, sizeof(*h));
	h->name = name;
	h->arg = arg;
	h->q = nfq_open(num, max, err, errlen);
	if (!h->q)
		return -1;
	if (!ev)
		return 0;
	io = calloc(1, sizeof(*io));
	if (!io ||
	    sd_event_add_io(ev, &h->io, nfq_fd(h->q), EPOLLIN, on_io, io) < 0) {
		free(io);
		snprintf(err, errlen, "cannot watch the queue");
		nfq_close(h->q);
		h->q = NULL;
		return -1;
	}
	io->h = h;
	io->cb = cb;
	io->arg = arg;
	sd_event_source_set_destroy_callback(h->io, io_free);
	return 0;
}

void holdq_close(struct holdq *h)
{
	while (h->flows)
		holdq_end(h, &h->flows, 0);
	h->io = sd_event_source_disable_unref(h->io);
	nfq_close(h->q);
	h->q = NULL;
}

void holdq_end(struct holdq *h, struct hold_flow **pp, int again)
{
	struct hold_flow *f = *pp;

	for (unsigned i = 0; i < f->nids; i++)
		if ((again ? nfq_repeat(h->q, f->ids[i]) :
			     nfq_verdict(h->q, f->ids[i], 0)) < 0)
			log_ratelimited(&rl_holdq, LOG_WARNING,
					"%s: verdict on packet %u: %s", h->name,
					f->ids[i], strerror(errno));
	h->npkts -= f->nids;
	*pp = f->next;
	free(f);
	if (h->batching && ++h->batched >= HOLDQ_BATCH) {
		batch_send(h);
		nfq_batch_begin(h->q);
	}
}

void holdq_flow_str(const struct hold_flow *f, char *buf, size_t len)
{
	char h[INET6_ADDRSTRLEN], p[INET6_ADDRSTRLEN];
	int v6 = f->family == AF_INET6;

	ip_ntop(f->family, f->host, h, sizeof(h));
	ip_ntop(f->family, f->peer, p, sizeof(p));
	snprintf(buf, len, "%s %s%s%s:%u -> %s%s%s:%u",
		 f->proto == IPPROTO_UDP ? "udp" : "tcp", v6 ? "[" : "", h,
		 v6 ? "]" : "", f->hport, v6 ? "[" : "", p, v6 ? "]" : "",
		 f->pport);
}

struct hold_flow **holdq_find(struct holdq *h, const struct hold_flow *k)
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

struct hold_flow **holdq_asked(struct holdq *h, uint64_t agent, uint32_t serial)
{
	struct hold_flow **pp;

	for (pp = &h->flows; *pp; pp = &(*pp)->next)
		if ((*pp)->agent == agent && (*pp)->serial == serial)
			return pp;
	return NULL;
}

struct hold_flow **holdq_next_old(struct hold_flow **pp, uint64_t now_ms,
				  uint64_t age_ms)
{
	for (; *pp; pp = &(*pp)->next)
		if (now_ms >= (*pp)->since + age_ms)
			return pp;
	return NULL;
}

struct hold_flow **holdq_next_of(struct hold_flow **pp, uint64_t agent)
{
	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->agent == agent)
			return pp;
	return NULL;
}

unsigned holdq_host_pkts(const struct holdq *h, const struct hold_flow *k)
{
	unsigned n = 0;

	for (const struct hold_flow *f = h->flows; f; f = f->next)
		if (f->family == k->family &&
		    !memcmp(f->host, k->host, sizeof(f->host)))
			n += f->nids;
	return n;
}

int holdq_full(struct holdq *h, const struct hold_flow *k,
	       const struct hold_flow *f, uint32_t id, uint32_t max,
	       const char *max_name)
{
	char fs[160];

	if (h->npkts < max && holdq_host_pkts(h, k) < max / 4 + 1 &&
	    !(f && f->nids == HOLD_IDS_MAX))
		return 0;
	holdq_flow_str(k, fs, sizeof(fs));
	log_ratelimited(&rl_holdq, LOG_WARNING,
			"%s: %s: too many packets waiting (%u of %s %u): "
			"dropped",
			h->name, fs, h->npkts, max_name, max);
	nfq_verdict(h->q, id, 0);
	return 1;
}

struct hold_flow *holdq_add(struct holdq *h, const struct hold_flow *k,
			    uint64_t now_ms)
{
	struct hold_flow *f = malloc(sizeof(*f));

	if (!f)
		return NULL;
	*f = *k;
	f->nids = 0;
	f->since = now_ms;
	f->next = h->flows;
	h->flows = f;
	return f;
}

void holdq_keep(struct holdq *h, struct hold_flow *f, uint32_t id)
{
	f->ids[f->nids++] = id;
	h->npkts++;
}

int holdq_pkt_flow(const struct nfq_pkt *p, struct hold_flow *k)
{
	struct muisp_pkt pk;
	uint8_t fam;

	memset(k, 0, sizeof(*k));
	if (!p->payload || p->len < 1)
		return -1;
	fam = (p->payload[0] >> 4) == 4 ? MUISP_AF_INET : MUISP_AF_INET6;
	if ((p->payload[0] >> 4) != 4 && (p->payload[0] >> 4) != 6)
		return -1;
	if (muisp_gate_parse(p->payload, p->len, p->orig_len, fam, &pk) ||
	    !pk.has_ports ||
	    (pk.proto != IPPROTO_TCP && pk.proto != IPPROTO_UDP))
		return -1;
	k->family = fam == MUISP_AF_INET ? AF_INET : AF_INET6;
	k->proto = pk.proto;
	memcpy(k->host, pk.saddr, k->family == AF_INET ? 4 : 16);
	memcpy(k->peer, pk.daddr, k->family == AF_INET ? 4 : 16);
	k->hport = ntohs(pk.sport);
	k->pport = ntohs(pk.dport);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter (see ipfixd.h): flow records in, IPFIX messages out through
 * the caller's send callback, every record counted once as exported or
 * lost per collector.  One message stream for every collector: the same
 * bytes, sequence numbers and template refreshes go to each of them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipfixd.h"
#include "log.h"

void ipfixd_counters_each(const struct ipfixd_counters *c,
			  void (*fn)(void *arg, const char *name, uint64_t v),
			  void *arg)
{
	fn(arg, "records_received", c->records_received);
	fn(arg, "records_exported", c->records_exported);
	fn(arg, "records_lost_overrun", c->records_lost_overrun);
	fn(arg, "records_lost_send", c->records_lost_send);
	fn(arg, "records_invalid", c->records_invalid);
	fn(arg, "messages_sent", c->messages_sent);
	fn(arg, "templates_sent", c->templates_sent);
	fn(arg, "overruns", c->overruns);
	fn(arg, "module_reloads", c->module_reloads);
}

void ipfixd_count_lost(struct ipfixd_counters *c, uint64_t n)
{
	if (__builtin_add_overflow(c->records_lost_overrun, n,
				   &c->records_lost_overrun))
		c->records_lost_overrun = UINT64_MAX;
}

static unsigned int unseen(uint64_t bits)
{
	return (unsigned int)__builtin_popcountll(~bits);
}

uint64_t ipfixd_seq_add(struct ipfixd_seq *s, uint64_t seq)
{
	uint64_t d, lost;

	if (!s->started || (seq < s->hi && s->hi - seq >= IPFIXD_SEQ_WINDOW)) {
		/* the first record, or numbering started again */
		lost = s->started ? unseen(s->seen) : 0;
		s->started = true;
		s->hi = seq;
		s->seen = ~0ULL; /* nothing before it is ours to count */
		return lost;
	}
	if (seq <= s->hi) { /* late (another CPU's), or a duplicate */
		s->seen |= 1ULL << (s->hi - seq);
		return 0;
	}
	d = seq - s->hi;
	if (d >= IPFIXD_SEQ_WINDOW) {
		/* the whole window leaves; d - 1 numbers skipped, of which
		 * the lowest d - 64 are below the new window */
		lost = unseen(s->seen) + (d - IPFIXD_SEQ_WINDOW);
		s->seen = 1;
	} else {
		/* the top d bits leave the window */
		lost = d - (uint64_t)__builtin_popcountll(
				   s->seen >> (IPFIXD_SEQ_WINDOW - d));
		s->seen = (s->seen << d) | 1;
	}
	s->hi = seq;
	return lost;
}

uint64_t ipfixd_seq_settle(struct ipfixd_seq *s)
{
	uint64_t lost = s->started ? unseen(s->seen) : 0;

	s->seen = ~0ULL;
	return lost;
}

uint64_t ipfixd_seq_restart(struct ipfixd_seq *s)
{
	uint64_t lost = ipfixd_seq_settle(s);

	memset(s, 0, sizeof(*s));
	return lost;
}

static uint64_t real_s(void)
{
	return (uint64_t)time(NULL);
}

static uint64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

int ipfixd_exp_init(struct ipfixd_exp *x, const struct ipfixd_conf *conf,
		    ipfixd_send_fn send, void *send_arg)
{
	memset(x, 0, sizeof(*x));
	x->bufs = malloc((size_t)IPFIXD_QUEUE * conf->mtu);
	if (!x->bufs)
		return -1;
	x->conf = conf;
	x->send = send;
	x->send_arg = send_arg;
	x->now_real_s = real_s;
	x->now_mono_s = mono_s;
	ipfix_refresh_init(&x->refresh, conf->refresh_s, conf->every_msgs);
	return 0;
}

void ipfixd_exp_fini(struct ipfixd_exp *x)
{
	free(x->bufs);
	x->bufs = NULL;
}

static uint8_t *slot(struct ipfixd_exp *x, unsigned int i)
{
	return x->bufs + (size_t)i * x->conf->mtu;
}

static void open_msg(struct ipfixd_exp *x)
{
	ipfix_msg_init(&x->m, slot(x, x->nq), x->conf->mtu, x->conf->domain_id,
		       x->ipfix_seq, (uint32_t)x->now_real_s());
	x->qflows[x->nq] = 0;
	x->qtmpl[x->nq] = 0;
	if (ipfix_refresh_due(&x->refresh, x->now_mono_s()) &&
	    ipfix_put_templates(&x->m) == 0)
		x->qtmpl[x->nq] = 1;
	x->open = true;
}

/* The open message joins the queue (unless it holds nothing). */
static void close_msg(struct ipfixd_exp *x)
{
	size_t len;

	if (!x->open)
		return;
	x->open = false;
	if (!x->qflows[x->nq] && !x->qtmpl[x->nq])
		return;
	len = ipfix_msg_finish(&x->m);
	x->q[x->nq].iov_base = slot(x, x->nq);
	x->q[x->nq].iov_len = len;
	x->ipfix_seq = ipfix_msg_next_seq(&x->m);
	ipfix_refresh_sent(&x->refresh, x->now_mono_s(), x->qtmpl[x->nq]);
	x->nq++;
	if (x->nq == IPFIXD_QUEUE)
		ipfixd_exp_send(x);
}

void ipfixd_exp_send(struct ipfixd_exp *x)
{
	const struct ipfixd_conf *c = x->conf;
	uint8_t ok[IPFIXD_QUEUE];
	unsigned int k, i;
	int e;

	if (!x->nq)
		return;
	for (k = 0; k < c->ncoll; k++) {
		memset(ok, 0, sizeof(ok));
		e = x->send(x->send_arg, k, x->q, x->nq, ok);
		for (i = 0; i < x->nq; i++) {
			if (ok[i]) {
				x->ctr.records_exported += x->qflows[i];
				x->ctr.messages_sent++;
				x->ctr.templates_sent += x->qtmpl[i];
			} else {
				x->ctr.records_lost_send += x->qflows[i];
			}
		}
		/* once per episode: an unreachable port fails every other
		 * send (ECONNREFUSED comes back with the ICMP error) */
		if (e) {
			x->coll_ok[k] = 0;
			if (e != x->coll_err[k])
				log_warnx("collector %s: %s; its records are "
					  "lost until it is reachable",
					  c->coll[k].name, strerror(e));
			x->coll_err[k] = e;
		} else if (x->coll_err[k] &&
			   ++x->coll_ok[k] == IPFIXD_QUEUE * 4) {
			log_info("collector %s: sending again",
				 c->coll[k].name);
			x->coll_err[k] = 0;
		}
	}
	if (x->open && x->nq) { /* the open message moves to the front */
		memmove(slot(x, 0), x->m.buf, x->m.len);
		x->m.buf = slot(x, 0);
		x->qflows[0] = x->qflows[x->nq];
		x->qtmpl[0] = x->qtmpl[x->nq];
	}
	x->nq = 0;
}

int ipfixd_exp_record(struct ipfixd_exp *x, const struct muisp_nl_flow *f)
{
	int r;

	x->ctr.records_received++;
	if (MUISP_NL_HAS(f, MUISP_FLOW_A_SEQ))
		ipfixd_count_lost(&x->ctr, ipfixd_seq_add(&x->seq, f->seq));
	if (!x->open)
		open_msg(x);
	r = ipfix_put_flow(&x->m, f);
	if (r == -ENOSPC) {
		close_msg(x);
		open_msg(x);
		r = ipfix_put_flow(&x->m, f);
	}
	if (r < 0) {
		x->ctr.records_invalid++;
		return -1;
	}
	x->qflows[x->nq]++;
	return 0;
}

bool ipfixd_exp_pending(const struct ipfixd_exp *x)
{
	return x->nq || (x->open && (x->qflows[x->nq] || x->qtmpl[x->nq]));
}

void ipfixd_exp_flush(struct ipfixd_exp *x)
{
	close_msg(x);
	ipfixd_exp_send(x);
}

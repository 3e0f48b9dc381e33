// SPDX-License-Identifier: GPL-2.0
/*
 * The out-of-band scheme, packet-based (uinfod.h; thesis ch. 5(a)): the
 * module's reports of mapped users' TCP and UDP packets (tagger method
 * REPORT, group "reports") turned into UINFO_REPORT messages.
 *
 * The thesis sends one user information message per packet; to keep the
 * router's load bounded, the first report of a flow is sent at once and
 * the rest are summed per flow and sent once a tick (main.c's 1-s
 * timer).  A flow is (proto, addr, port, peer, peer_port, user): the
 * same five-tuple under another user is another flow.  The table holds
 * at most max flows (an array of them, a seeded hash of chains for the
 * look-up, a list from the most recently reported to the least): a new
 * flow in a full table takes the least recently reported one's place,
 * whose pending sums go first.  A tick sends the sums of every flow
 * reported since the last tick (a prefix of that list: each flow carries
 * the tick it was last reported in) and forgets the flows not reported
 * for UINFOD_REPORT_IDLE_MS (the list's tail).
 *
 * Messages are fire-and-forget: one the session cannot take (down, its
 * queue full) is dropped and counted, the flow's later sums go later.
 * Reports are taken only while the session is up; going down forgets
 * every flow (what was pending could not be sent: dropped), so each
 * flow's first report after a new key goes at once again.
 *
 * Nothing here talks to the kernel or the router: the unit tests hand
 * it reports, the clock and a send function of their own.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "log.h"
#include "muisp_nl.h"
#include "uinfod.h"

#define NONE 0xffffffffu

struct flow {
	struct uinfod_report_msg m; /* the key, and the pending sums */
	uint64_t seen_ms;	    /* last reported */
	uint64_t tick;		    /* the tick it was last reported in */
	uint32_t hnext;		    /* the bucket's chain */
	uint32_t prev, next;	    /* the list, most recent first */
};

struct uinfod_report {
	uinfod_report_send_fn send;
	void *arg;
	int up;
	/* in add() or tick(): a send that ends the session may call
	 * uinfod_report_up(0), whose forgetting waits for their end */
	int busy, reset;
	struct flow *f;
	uint32_t max, n;
	uint32_t *bucket, mask;
	uint32_t head, tail, free_list; /* free_list through hnext */
	uint64_t seed, tick;
	struct uinfod_report_stats st, logged; /* logged: at the last line */
	uint64_t log_ms; /* the last line (or the first tick) */
	int log_started;
};

static struct log_rl rl_drop = LOG_RL_INIT(60, 3);

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 29);
}

static uint32_t hash(const struct uinfod_report *r,
		     const struct uinfod_report_msg *k)
{
	uint64_t h = r->seed, w;
	int i;

	h = mix(h, (uint64_t)k->proto << 56 | (uint64_t)k->family << 48 |
			   (uint64_t)k->port << 32 | k->user);
	h = mix(h, k->peer_port);
	for (i = 0; i < 16; i += 8) {
		memcpy(&w, k->addr + i, 8);
		h = mix(h, w);
		memcpy(&w, k->peer + i, 8);
		h = mix(h, w);
	}
	return (uint32_t)(h ^ (h >> 32)) & r->mask;
}

static int same_key(const struct uinfod_report_msg *a,
		    const struct uinfod_report_msg *b)
{
	return a->proto == b->proto && a->family == b->family &&
	       a->port == b->port && a->peer_port == b->peer_port &&
	       a->user == b->user && !memcmp(a->addr, b->addr, 16) &&
	       !memcmp(a->peer, b->peer, 16);
}

struct uinfod_report *uinfod_report_new(unsigned int max,
					uinfod_report_send_fn send, void *arg)
{
	struct uinfod_report *r;
	uint32_t nb = 1;

	if (!max || max > UINFOD_REPORT_FLOWS_LIMIT || !send) {
		errno = EINVAL;
		return NULL;
	}
	while (nb < 2 * max)
		nb <<= 1;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->f = calloc(max, sizeof(*r->f));
	r->bucket = malloc(nb * sizeof(*r->bucket));
	if (!r->f || !r->bucket) {
		uinfod_report_free(r);
		errno = ENOMEM;
		return NULL;
	}
	r->send = send;
	r->arg = arg;
	r->max = max;
	r->mask = nb - 1;
	r->tick = 1;
	/* a local user picks ports and peers: not the chains' length */
	if (getrandom(&r->seed, sizeof(r->seed), GRND_NONBLOCK) !=
	    sizeof(r->seed))
		r->seed = (uint64_t)(uintptr_t)r ^ 0x5bd1e9955bd1e995ull;
	memset(r->bucket, 0xff, nb * sizeof(*r->bucket));
	r->head = r->tail = NONE;
	r->free_list = NONE;
	for (uint32_t i = max; i-- > 0;) {
		r->f[i].hnext = r->free_list;
		r->free_list = i;
	}
	return r;
}

void uinfod_report_free(struct uinfod_report *r)
{
	if (!r)
		return;
	free(r->f);
	free(r->bucket);
	free(r);
}

/* m to the router: counted sent, or dropped (logged, rate-limited). */
static void send_one(struct uinfod_report *r, const struct uinfod_report_msg *m)
{
	if (r->send(r->arg, m) == 0) {
		r->st.sent++;
		return;
	}
	r->st.dropped++;
	log_ratelimited(&rl_drop, LOG_WARNING,
			"reports: a UINFO_REPORT of user %u not sent (the "
			"session is down or its queue full): %llu packet%s "
			"not reported (%llu dropped)",
			m->user, (unsigned long long)m->packets,
			m->packets == 1 ? "" : "s",
			(unsigned long long)r->st.dropped);
}

/* A flow's pending sums sent (one message), then zero. */
static void flush_flow(struct uinfod_report *r, struct flow *f)
{
	if (!f->m.bytes && !f->m.packets)
		return;
	send_one(r, &f->m);
	f->m.bytes = f->m.packets = 0;
}

static void list_unlink(struct uinfod_report *r, uint32_t i)
{
	struct flow *f = &r->f[i];

	if (f->prev != NONE)
		r->f[f->prev].next = f->next;
	else
		r->head = f->next;
	if (f->next != NONE)
		r->f[f->next].prev = f->prev;
	else
		r->tail = f->prev;
	f->prev = f->next = NONE;
}

static void list_push(struct uinfod_report *r, uint32_t i)
{
	struct flow *f = &r->f[i];

	f->prev = NONE;
	f->next = r->head;
	if (r->head != NONE)
		r->f[r->head].prev = i;
	else
		r->tail = i;
	r->head = i;
}

/* Flow i out of the table (its sums are the caller's business). */
static void forget(struct uinfod_report *r, uint32_t i)
{
	struct flow *f = &r->f[i];
	uint32_t *p = &r->bucket[hash(r, &f->m)];

	while (*p != i)
		p = &r->f[*p].hnext;
	*p = f->hnext;
	list_unlink(r, i);
	memset(f, 0, sizeof(*f));
	f->hnext = r->free_list;
	r->free_list = i;
	r->n--;
}

/* The report as a flow's key, its counts as the sums: 0, or -1 if it is
 * not one to send (user 0, not TCP or UDP, not an address). */
static int report_msg(const struct muisp_nl_tag_report *k,
		      struct uinfod_report_msg *m)
{
	size_t len;

	if (!k->user || (k->proto != IPPROTO_TCP && k->proto != IPPROTO_UDP) ||
	    (k->addr.family != AF_INET && k->addr.family != AF_INET6) ||
	    k->peer.family != k->addr.family)
		return -1;
	memset(m, 0, sizeof(*m));
	len = k->addr.family == AF_INET ? 4 : 16;
	m->proto = k->proto;
	m->family = k->addr.family;
	m->port = k->port;
	m->peer_port = k->peer_port;
	m->user = k->user;
	memcpy(m->addr, k->addr.a, len);
	memcpy(m->peer, k->peer.a, len);
	m->bytes = k->bytes;
	m->packets = k->packets;
	return 0;
}

/* Down: every flow forgotten, the sums pending counted as dropped. */
static void forget_all(struct uinfod_report *r)
{
	r->reset = 0;
	while (r->head != NONE) {
		struct flow *f = &r->f[r->head];

		if (f->m.bytes || f->m.packets)
			r->st.dropped++;
		forget(r, r->head);
	}
}

static void add(struct uinfod_report *r, const struct muisp_nl_tag_report *k,
		uint64_t now_ms)
{
	struct uinfod_report_msg m;
	struct flow *f;
	uint32_t b, i;

	if (!r->up) {
		r->st.down++;
		return;
	}
	if (report_msg(k, &m) < 0) {
		r->st.skipped++;
		return;
	}
	b = hash(r, &m);
	for (i = r->bucket[b]; i != NONE; i = r->f[i].hnext)
		if (same_key(&r->f[i].m, &m))
			break;
	if (i != NONE) {
		/* known: summed, sent at the tick */
		f = &r->f[i];
		f->m.bytes += m.bytes;
		f->m.packets += m.packets;
		f->seen_ms = now_ms;
		f->tick = r->tick;
		list_unlink(r, i);
		list_push(r, i);
		r->st.coalesced++;
		return;
	}
	/* new: a full table gives up the flow reported least recently,
	 * its sums sent first; this one is sent now, and remembered */
	if (r->free_list == NONE) {
		i = r->tail;
		flush_flow(r, &r->f[i]);
		forget(r, i);
		r->st.evicted++;
	}
	send_one(r, &m);
	if (!r->up)
		return; /* the send ended the session */
	i = r->free_list;
	f = &r->f[i];
	r->free_list = f->hnext;
	memset(f, 0, sizeof(*f));
	f->m = m;
	f->m.bytes = f->m.packets = 0;
	f->seen_ms = now_ms;
	f->tick = r->tick;
	f->hnext = r->bucket[b];
	r->bucket[b] = i;
	list_push(r, i);
	r->n++;
}

void uinfod_report_add(struct uinfod_report *r,
		       const struct muisp_nl_tag_report *k, uint64_t now_ms)
{
	r->st.read++;
	r->busy = 1;
	add(r, k, now_ms);
	r->busy = 0;
	if (r->reset)
		forget_all(r);
}

void uinfod_report_tick(struct uinfod_report *r, uint64_t now_ms)
{
	uint32_t i;

	/* the flows reported since the last tick: the list's head */
	r->busy = 1;
	for (i = r->head; i != NONE && r->f[i].tick == r->tick && r->up;
	     i = r->f[i].next)
		flush_flow(r, &r->f[i]);
	r->busy = 0;
	if (r->reset)
		forget_all(r);
	r->tick++;
	/* the idle ones: its tail (nothing pending: the sums went above) */
	while (r->tail != NONE &&
	       now_ms - r->f[r->tail].seen_ms >= UINFOD_REPORT_IDLE_MS) {
		if (r->f[r->tail].m.bytes || r->f[r->tail].m.packets)
			r->st.dropped++; /* not reached: sent above */
		forget(r, r->tail);
		r->st.forgotten++;
	}
	uinfod_report_log(r, now_ms, 0);
}

void uinfod_report_up(struct uinfod_report *r, int up)
{
	up = !!up;
	if (up == r->up)
		return;
	r->up = up;
	if (up)
		return;
	/* down: what is pending cannot go; every flow starts again */
	if (r->busy)
		r->reset = 1;
	else
		forget_all(r);
}

void uinfod_report_overrun(struct uinfod_report *r)
{
	r->st.overruns++;
}

void uinfod_report_stats(const struct uinfod_report *r,
			 struct uinfod_report_stats *st)
{
	*st = r->st;
	st->flows = r->n;
}

void uinfod_report_log(struct uinfod_report *r, uint64_t now_ms, int force)
{
	const struct uinfod_report_stats *s = &r->st, *l = &r->logged;
	int moved;

	if (!force && !r->log_started) {
		/* the first minute starts at the first tick */
		r->log_started = 1;
		r->log_ms = now_ms;
		return;
	}
	if (!force && now_ms - r->log_ms < UINFOD_REPORT_LOG_MS)
		return;
	moved = memcmp(s, l, sizeof(*s)) != 0;
	r->log_ms = now_ms;
	if (moved || force || log_getverbose() > 0)
		log_info("reports: %llu read, %llu sent, %llu coalesced, %llu "
			 "dropped since the last line (%llu while the session "
			 "was down, %llu skipped, %llu socket overruns); %u "
			 "flow%s",
			 (unsigned long long)(s->read - l->read),
			 (unsigned long long)(s->sent - l->sent),
			 (unsigned long long)(s->coalesced - l->coalesced),
			 (unsigned long long)(s->dropped - l->dropped),
			 (unsigned long long)(s->down - l->down),
			 (unsigned long long)(s->skipped - l->skipped),
			 (unsigned long long)(s->overruns - l->overruns), r->n,
			 r->n == 1 ? "" : "s");
	r->logged = *s;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * muispd's VICI driver: follows charon's CHILD_SAs (lib/ike_watch) and
 * keeps, in the module's entry of each client address, which SA
 * authenticates it; the rules are the pure functions of tunnel.c.
 *
 * An SA up records it, a rekey moves it (old SPI kept as previous until
 * charon has destroyed the old SA, which muispd asks about once a second
 * because charon signals nothing), an SA down (deletion or expiry) clears
 * it and unbinds the address's contract.  On every (re)connection the SAs
 * are listed again and every address that has SAs or an identity is
 * checked, so what changed while muispd or charon was away is caught up.
 *
 * No VICI exchange blocks the loop: charon's socket is an io source and
 * the deadline of its request in flight a timer; the registration, the
 * sync after (re)connecting and the probes are queued (lib/vici) and
 * answered through callbacks.  A request that fails loses the connection:
 * muispd closes it and connects again.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "acct.h"
#include "evloop.h"
#include "ike_watch.h"
#include "log.h"
#include "muispd.h"

#define IKE_RETRY_S 2

/* The old SA of a rekey, recorded as the address's previous SPI until
 * charon has destroyed it (it signals no event for that). */
struct prev_sa {
	char addr[64];
	uint32_t ike_id, child_id, spi;
	int probing; /* a list-sas about it is queued */
};

/* A probe queued: which old SA it asks about (answers come in order). */
struct probe {
	char addr[64];
	uint32_t spi;
};

static int child_addr(const struct ike_child *c, char *buf, size_t len)
{
	return inet_ntop(c->family, &c->addr, buf, (socklen_t)len) ? 0 : -1;
}

static void sa_of(const struct ike_child *c, struct tun_sa *s)
{
	s->proto = (uint8_t)c->proto;
	s->spi = c->spi_in;
	s->reqid = c->reqid;
}

/* The tunnel-mode CHILD_SAs charon has up for addr: count and *out (to
 * free), or -1 when they cannot be known. */
static long live_sas(struct muispd *md, const char *addr, struct tun_sa **out)
{
	int fam = strchr(addr, ':') ? AF_INET6 : AF_INET;
	struct ike_child *cs;
	uint8_t bin[16];
	size_t n, m = 0;

	*out = NULL;
	if (!md->ike.w || inet_pton(fam, addr, bin) != 1)
		return -1;
	n = ike_watch_find(md->ike.w, fam, bin, NULL, 0);
	if (!n)
		return 0;
	cs = calloc(n, sizeof(*cs));
	*out = calloc(n, sizeof(**out));
	if (!cs || !*out) {
		free(cs);
		free(*out);
		*out = NULL;
		return -1;
	}
	n = ike_watch_find(md->ike.w, fam, bin, cs, n);
	for (size_t i = 0; i < n; i++)
		if (cs[i].tunnel)
			sa_of(&cs[i], &(*out)[m++]);
	free(cs);
	return (long)m;
}

static const char *fmt_id(const struct tun_id *id, char *buf, size_t len)
{
	char prev[24] = "";

	if (!id->spi)
		return "none";
	if (id->spi_prev)
		snprintf(prev, sizeof(prev), " spi-prev 0x%08x", id->spi_prev);
	snprintf(buf, len, "%s spi 0x%08x%s reqid %u",
		 id->proto == IPPROTO_ESP ? "esp" : "ah", id->spi, prev,
		 id->reqid);
	return buf;
}

/* l, bound to payer (an address, or a user of it), is unbound: the
 * address's SA is gone. */
static void tun_unbind_live(struct muispd *md, struct live *l,
			    const char *payer, uint64_t now)
{
	if (!contract_is_bound(l->rec.state) || strcmp(l->rec.addr, payer) ||
	    session_step(l, CE_UNBIND, 0, now))
		return;
	if (!l->acct_cause) /* register.c marks what it cut: Admin-Reset */
		l->acct_cause = RAD_TERM_LOST_CARRIER;
	l->rec.addr[0] = '\0';
	l->pending = 0;
	session_save(md, l, 1);
	log_info("contract %llu: unbound from %s: its IPsec SA is gone",
		 (unsigned long long)l->rec.serial, payer);
}

/*
 * The SA of a bound address is gone: its contract becomes unbound, and
 * so do its users' ("ID@ADDRESS", per-user contracts), whose packets the
 * module serves only while the address is served.
 */
void ikesync_unbind(struct muispd *md, const char *addr, uint64_t contract,
		    uint64_t now)
{
	struct live *l = live_find(md, contract);
	char payer[sizeof(l->rec.addr)];
	uint32_t user;

	if (l)
		tun_unbind_live(md, l, addr, now);
	for (unsigned i = 0; i < md->nlives; i++) {
		l = &md->lives[i];
		if (!contract_payer_user(l->rec.addr, &user) ||
		    strcmp(contract_payer_host(l->rec.addr), addr))
			continue;
		memcpy(payer, l->rec.addr, sizeof(payer));
		tun_unbind_live(md, l, payer, now);
	}
}

typedef int (*tun_edit_fn)(struct muispd *md, struct tun_id *id,
			   const void *arg);

struct rekey_arg {
	struct tun_sa o, n;
};

static int edit_rekey(struct muispd *md, struct tun_id *id, const void *arg)
{
	const struct rekey_arg *r = arg;

	return tun_rekey(id, &r->o, &r->n);
}

static int edit_prev_gone(struct muispd *md, struct tun_id *id, const void *arg)
{
	return tun_prev_gone(id, *(const uint32_t *)arg);
}

static struct prev_sa *prev_find(struct muispd *md, const char *addr,
				 uint32_t spi)
{
	for (unsigned i = 0; i < md->ike.nprevs; i++)
		if (md->ike.prevs[i].spi == spi &&
		    !strcmp(md->ike.prevs[i].addr, addr))
			return &md->ike.prevs[i];
	return NULL;
}

/* After a sync: a previous SPI muispd does not follow (it was restarted,
 * or the old SA went down meanwhile) is dropped. */
static int edit_prev_unfollowed(struct muispd *md, struct tun_id *id,
				const void *arg)
{
	if (!id->spi_prev || prev_find(md, arg, id->spi_prev))
		return 0;
	return tun_prev_gone(id, id->spi_prev);
}

static void prev_add(struct muispd *md, const char *addr,
		     const struct ike_child *o)
{
	struct ikesync *s = &md->ike;
	struct prev_sa *p = prev_find(md, addr, o->spi_in);

	if (!p) {
		if (s->nprevs == s->capprevs) {
			unsigned cap = s->capprevs ? s->capprevs * 2 : 16;
			struct prev_sa *n = realloc(s->prevs, cap * sizeof(*n));

			if (!n)
				return; /* cleared at the next sync */
			s->prevs = n;
			s->capprevs = cap;
		}
		p = &s->prevs[s->nprevs++];
		p->probing = 0;
	}
	snprintf(p->addr, sizeof(p->addr), "%s", addr);
	p->ike_id = o->ike_uniqueid;
	p->child_id = o->uniqueid;
	p->spi = o->spi_in;
}

static int prev_del(struct muispd *md, const char *addr, uint32_t spi)
{
	struct prev_sa *p = prev_find(md, addr, spi);

	if (!p)
		return 0;
	*p = md->ike.prevs[--md->ike.nprevs];
	return 1;
}

/*
 * Bring the module's entry for addr in line with charon's SAs for it;
 * EDIT (may be NULL) is applied to the recorded identity first.  Returns
 * the identity now recorded in *now_id (when not NULL).
 */
static void tun_sync_addr(struct muispd *md, const char *addr, tun_edit_fn edit,
			  const void *arg, struct tun_id *now_id)
{
	struct kernel_addr ka, w;
	struct tun_plan p;
	struct tun_sa *live;
	struct tun_id id;
	char b1[64], b2[64];
	long n;

	if (now_id)
		memset(now_id, 0, sizeof(*now_id));
	if (!md->ike.w || kernel_addr_get(md->k, addr, &ka) < 0)
		return;
	id = ka.e.id;
	if (edit)
		edit(md, &id, arg);
	n = live_sas(md, addr, &live);
	if (n < 0)
		return;
	tun_plan(&ka.e, &id, live, (size_t)n, &p);
	free(live);
	if (p.ambiguous)
		log_warnx("%s: %ld CHILD_SAs claim the address: %s", addr, n,
			  p.e.id.spi ? "the bound one stays its SA" :
				       "no SA recorded until one is left");
	if (!p.write) {
		if (now_id)
			*now_id = ka.e.id;
		privacy_enforce(md, addr, &ka.e, 0);
		return;
	}
	w = ka;
	w.e = p.e;
	if (kernel_addr_tunnel(md->k, addr, &w))
		return;
	if (now_id)
		*now_id = p.e.id;
	log_info("%s: tunnel %s -> %s (%s%s)", addr,
		 fmt_id(&ka.e.id, b1, sizeof(b1)),
		 fmt_id(&p.e.id, b2, sizeof(b2)), ka.e.exists ? "" : "new, ",
		 tun_state_name(p.e.state));
	if (p.lost)
		ikesync_unbind(md, addr, ka.e.contract, muispd_now(md));
	privacy_enforce(md, addr, &p.e, p.lost ? ka.e.contract : 0);
}

static void dirty_add(const char *addr, void *arg)
{
	struct ikesync *s = &((struct muispd *)arg)->ike;

	for (unsigned i = 0; i < s->ndirty; i++)
		if (!strcmp(s->dirty[i], addr))
			return;
	if (s->ndirty == s->capdirty) {
		unsigned cap = s->capdirty ? s->capdirty * 2 : 64;
		char(*n)[64] = realloc(s->dirty, cap * sizeof(*n));

		if (!n)
			return;
		s->dirty = n;
		s->capdirty = cap;
	}
	snprintf(s->dirty[s->ndirty++], sizeof(s->dirty[0]), "%s", addr);
}

static void on_child_up(void *arg, const struct ike_child *c)
{
	struct muispd *md = arg;
	char addr[64];

	if (child_addr(c, addr, sizeof(addr)))
		return;
	log_debug("vici: CHILD_SA %u up for %s: %s spi 0x%08x reqid %u",
		  c->uniqueid, addr, c->proto == IPPROTO_ESP ? "esp" : "ah",
		  c->spi_in, c->reqid);
	register_child_up(md, c);
	if (ike_watch_syncing(md->ike.w))
		dirty_add(addr, md);
	else
		tun_sync_addr(md, addr, NULL, NULL, NULL);
	eap_child_up(md, c, addr);
}

static void on_child_down(void *arg, const struct ike_child *c)
{
	struct muispd *md = arg;
	uint32_t spi = c->spi_in;
	char addr[64];

	if (child_addr(c, addr, sizeof(addr)))
		return;
	log_debug("vici: CHILD_SA %u down for %s: spi 0x%08x", c->uniqueid,
		  addr, spi);
	prev_del(md, addr, spi); /* an IKE_SA going down lists its old SAs */
	if (ike_watch_syncing(md->ike.w))
		dirty_add(addr, md);
	else
		tun_sync_addr(md, addr, edit_prev_gone, &spi, NULL);
	eap_child_down(md, c, addr);
}

static void on_child_rekey(void *arg, const struct ike_child *o,
			   const struct ike_child *n)
{
	struct muispd *md = arg;
	struct rekey_arg r;
	struct tun_id now;
	char addr[64];

	if (child_addr(n, addr, sizeof(addr)))
		return;
	log_debug("vici: CHILD_SA %u rekeyed to %u for %s: spi 0x%08x -> "
		  "0x%08x",
		  o->uniqueid, n->uniqueid, addr, o->spi_in, n->spi_in);
	register_child_up(md, n);
	sa_of(o, &r.o);
	sa_of(n, &r.n);
	/* Applied at once, also during a sync: the identity must move
	 * before the old SA looks gone. */
	tun_sync_addr(md, addr, edit_rekey, &r, &now);
	if (now.spi == n->spi_in && now.spi_prev == o->spi_in)
		prev_add(md, addr, o);
}

/* ---------- commands of muispd's other parts ---------- */

/* A command's answer: logged when charon refused it. */
static void on_reply(void *arg, int err, struct vici_msg *msg)
{
	const char *cmd = arg, *ok, *why;

	if (err) {
		log_warnx("vici: %s: %s", cmd, strerror(err));
		return;
	}
	ok = vici_find_str(&msg->root, "success");
	why = vici_find_str(&msg->root, "errmsg");
	if (!ok || strcmp(ok, "yes"))
		log_warnx("vici: %s refused: %s", cmd, why ? why : "-");
	vici_msg_free(msg);
}

/* Queue command CMD (B, reset here) on charon's connection, its answer
 * only logged when charon refuses (eap.c, register.c); call
 * ikesync_arm() after, outside charon's callbacks.  CMD must be a
 * string constant.  0, or -1 when not connected or not queued. */
int ikesync_command(struct muispd *md, const char *cmd, struct vici_builder *b)
{
	struct vici_conn *v = md->ike.w ? ike_watch_conn(md->ike.w) : NULL;
	int r;

	if (!v) {
		vici_builder_reset(b);
		return -1;
	}
	r = vici_builder_finish(b) < 0 ?
		    -1 :
		    vici_command_async(v, cmd, b, on_reply,
				       (void *)(uintptr_t)cmd);
	vici_builder_reset(b);
	if (r < 0)
		log_warn("vici: %s", cmd);
	return r;
}

/* Tell charon to end IKE_SA IKE_ID (without waiting for it). */
int ikesync_terminate(struct muispd *md, uint32_t ike_id)
{
	struct vici_builder b;

	vici_builder_init(&b);
	vici_add_kvf(&b, "ike-id", "%u", ike_id);
	vici_add_kv_str(&b, "timeout", "-1");
	return ikesync_command(md, "terminate", &b);
}

/* ---------- the connection on the loop ---------- */

static int on_ike(sd_event_source *src, int fd, uint32_t revents, void *arg);
static int on_ike_timer(sd_event_source *src, uint64_t usec, void *arg);

/* Watch charon's socket for what the connection waits for now, and the
 * deadline of its request in flight. */
static void ike_arm(struct muispd *md)
{
	struct ikesync *s = &md->ike;
	uint64_t dl, now;

	if (!s->w || !md->ev)
		return;
	if (!s->io && sd_event_add_io(md->ev, &s->io, ike_watch_fd(s->w), 0,
				      on_ike, md) < 0) {
		s->failed = "event loop";
		return;
	}
	sd_event_source_set_io_events(s->io, (uint32_t)ike_watch_events(s->w));
	dl = ike_watch_next_deadline(s->w);
	if (!dl) {
		evloop_timer_stop(s->timer);
		return;
	}
	now = vici_now();
	dl = dl > now ? dl - now : 0;
	if (s->timer)
		evloop_timer_set(s->timer, dl);
	else if (evloop_timer(md->ev, &s->timer, dl, 0, on_ike_timer, md) < 0)
		s->failed = "event loop";
}

static void ike_drop(struct muispd *md)
{
	struct ikesync *s = &md->ike;

	if (s->io) {
		sd_event_source_set_enabled(s->io, SD_EVENT_OFF);
		s->io = sd_event_source_unref(s->io);
	}
	evloop_timer_stop(s->timer);
	ike_watch_close(s->w); /* queued requests: no callbacks */
	s->w = NULL;
	s->ready = 0;
	s->open_err = 0;
	s->failed = NULL;
	s->nprobes = s->probe_head = 0;
	for (unsigned i = 0; i < s->nprevs; i++)
		s->prevs[i].probing = 0;
}

static void ike_lost(struct muispd *md, const char *why)
{
	log_warnx("vici: connection to charon lost (%s), reconnecting", why);
	ike_drop(md);
	md->ike.retry = muispd_now(md) + 1;
}

static void ike_unreachable(struct muispd *md)
{
	struct ikesync *s = &md->ike;

	if (!s->logged)
		log_warn("vici: cannot reach charon at %s (retrying every %d "
			 "s)",
			 md->conf.vici, IKE_RETRY_S);
	s->logged = 1;
}

/* After an ike_watch call: act on what its callbacks found (they only
 * record it), else watch the connection again.  r, e: the call's result
 * and errno. */
static void ike_after(struct muispd *md, int r, int e)
{
	struct ikesync *s = &md->ike;

	if (!s->w)
		return;
	if (s->open_err) {
		errno = s->open_err;
		ike_unreachable(md);
		ike_drop(md);
		return; /* retried at s->retry, IKE_RETRY_S */
	}
	if (r < 0) {
		ike_lost(md, strerror(e));
		return;
	}
	if (s->failed) {
		ike_lost(md, s->failed);
		return;
	}
	ike_arm(md);
}

/* Requests were queued outside charon's callbacks (eap.c): watch the
 * socket for writing them. */
void ikesync_arm(struct muispd *md)
{
	ike_after(md, 0, 0);
}

/* charon's socket is ready: answers, events, or closed (charon
 * stopped). */
static int on_ike(sd_event_source *src, int fd, uint32_t revents, void *arg)
{
	struct muispd *md = arg;
	int r;

	if (!md->ike.w)
		return 0;
	r = ike_watch_process(md->ike.w, (int)revents);
	ike_after(md, r, errno);
	return 0;
}

/* The request in flight may be past its deadline. */
static int on_ike_timer(sd_event_source *src, uint64_t usec, void *arg)
{
	struct muispd *md = arg;
	int r;

	if (!md->ike.w)
		return 0;
	r = ike_watch_expire(md->ike.w, vici_now());
	ike_after(md, r, errno);
	return 0;
}

/* list-sas answered for the oldest probe: 1 listed, 0 gone, -errno. */
static void on_listed(void *arg, int r)
{
	struct muispd *md = arg;
	struct ikesync *s = &md->ike;
	struct probe p;
	struct prev_sa *prev;

	if (s->probe_head >= s->nprobes)
		return;
	p = s->probes[s->probe_head++];
	if (s->probe_head == s->nprobes)
		s->nprobes = s->probe_head = 0;
	prev = prev_find(md, p.addr, p.spi);
	if (prev)
		prev->probing = 0;
	if (r < 0) {
		s->failed = "list-sas";
		return;
	}
	if (r == 0 && prev_del(md, p.addr, p.spi)) {
		log_debug("vici: old SA 0x%08x of %s is gone", p.spi, p.addr);
		tun_sync_addr(md, p.addr, edit_prev_gone, &p.spi, NULL);
	}
}

/* Is each old SA still there?  Asked once a second; the previous SPI of
 * those gone is cleared when charon answers. */
void ikesync_probe(struct muispd *md)
{
	struct ikesync *s = &md->ike;

	if (!s->w || !s->ready)
		return;
	if (s->probe_head) { /* answered ones off the front */
		memmove(s->probes, s->probes + s->probe_head,
			(s->nprobes - s->probe_head) * sizeof(*s->probes));
		s->nprobes -= s->probe_head;
		s->probe_head = 0;
	}
	for (unsigned i = 0; i < s->nprevs && !s->failed; i++) {
		struct prev_sa *p = &s->prevs[i];
		struct probe *q;

		if (p->probing)
			continue;
		if (s->nprobes == s->capprobes) {
			unsigned cap = s->capprobes ? s->capprobes * 2 : 16;

			q = realloc(s->probes, cap * sizeof(*q));
			if (!q)
				break; /* asked at the next tick */
			s->probes = q;
			s->capprobes = cap;
		}
		if (ike_watch_child_listed_async(s->w, p->ike_id, p->child_id,
						 p->spi, on_listed, md)) {
			s->failed = "list-sas";
			break;
		}
		q = &s->probes[s->nprobes++];
		snprintf(q->addr, sizeof(q->addr), "%s", p->addr);
		q->spi = p->spi;
		p->probing = 1;
	}
	ike_after(md, 0, 0);
}

/* The SAs are listed (n, or -errno): every address with SAs (listed) or
 * with an identity in the kernel is checked. */
static void on_synced(void *arg, int n)
{
	struct muispd *md = arg;
	struct ikesync *s = &md->ike;

	if (n < 0) {
		s->failed = "list-sas";
		return;
	}
	kernel_addr_tunnels(md->k, dirty_add, md);
	for (unsigned i = 0; i < s->ndirty && s->w; i++)
		tun_sync_addr(md, s->dirty[i], edit_prev_unfollowed,
			      s->dirty[i], NULL);
	log_info("vici: connected to charon at %s: %d CHILD_SAs up, %u "
		 "addresses checked",
		 md->conf.vici, n, s->ndirty);
	s->ndirty = 0;
	s->ready = 1;
	eap_vici_ready(md);
	register_charon_ready(md);
}

/* Registered for the events (0), or not (-errno): then the SAs. */
static void on_registered(void *arg, int r)
{
	struct muispd *md = arg;
	struct ikesync *s = &md->ike;

	if (r < 0) {
		s->open_err = -r;
		return;
	}
	s->logged = 0;
	ike_watch_conn(s->w)->timeout_ms = 3000;
	s->ndirty = 0;
	if (ike_watch_sync_async(s->w, on_synced, md))
		s->failed = "list-sas";
}

/* Connect to charon if configured and not connected; the registration
 * and the resync follow on the loop. */
void ikesync_connect(struct muispd *md, uint64_t now)
{
	static const struct ike_watch_ops ops = {
		.child_up = on_child_up,
		.child_down = on_child_down,
		.child_rekey = on_child_rekey,
	};
	struct ikesync *s = &md->ike;

	if (s->w || !md->conf.vici[0] || !md->conf.use_kernel || now < s->retry)
		return;
	s->retry = now + IKE_RETRY_S;
	s->w = ike_watch_open_async(md->conf.vici, &ops, md, on_registered, md);
	if (!s->w) {
		ike_unreachable(md);
		return;
	}
	ike_after(md, 0, 0);
}

/* The vici setting changed (reload): drop charon's connection and
 * connect to the one configured now, if any. */
void ikesync_reconnect(struct muispd *md)
{
	ike_drop(md);
	md->ike.nprevs = 0;
	md->ike.retry = 0;
	md->ike.logged = 0;
	ikesync_connect(md, muispd_now(md));
}

void ikesync_close(struct muispd *md)
{
	ike_drop(md);
	md->ike.timer = sd_event_source_unref(md->ike.timer);
	free(md->ike.probes);
	md->ike.probes = NULL;
	md->ike.capprobes = 0;
	free(md->ike.dirty);
	md->ike.dirty = NULL;
	free(md->ike.prevs);
	md->ike.prevs = NULL;
	md->ike.ndirty = md->ike.capdirty = 0;
	md->ike.nprevs = md->ike.capprevs = 0;
}

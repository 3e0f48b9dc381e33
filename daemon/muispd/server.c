// SPDX-License-Identifier: GPL-2.0
/*
 * muispd's start-up, loop and dispatch: opens the store, the receipt
 * keys, the kernel and the payment methods, restores the outstanding
 * contracts, then serves the control channel (TLS 1.3, or plain TCP for
 * ESP tunnels, paper §5), the operator socket, the module's events and
 * charon's on one sd-event loop (lib/evloop): every socket an io source,
 * the tick a timer, connections serviced after every event.  SIGHUP
 * reloads muispd.conf.  Every state change is committed to the store (and
 * pushed to the kernel) before the reply is queued.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <unistd.h>

#include "acct.h"
#include "dae.h"
#include "evloop.h"
#include "log.h"
#include "muispd.h"
#include "payment_online.h"
#include "payment_radius.h"
#include "radrelay.h"

/* An empty daemon with its configuration (nothing opened yet). */
void muispd_init(struct muispd *md, const struct muispd_conf *conf)
{
	memset(md, 0, sizeof(*md));
	md->conf = *conf;
	md->lfd = md->ufd = md->spare_fd = -1;
	md->dispatch = server_dispatch;
}

static void online_config(struct muispd *md)
{
	const struct muispd_conf *conf = &md->conf;

	struct payment_online_conf oc = {
		.url = conf->provider_url,
		.ca = conf->provider_ca,
		.insecure = conf->provider_insecure,
		.timeout_s = conf->provider_timeout_s,
		.currency = conf->currency,
	};

	payment_online_config(md->online, &oc);
}

static uint64_t rad_now(void *arg)
{
	return muispd_now(arg);
}

/* The RADIUS clients of the configured servers (none: NULL, muispd as
 * without RADIUS); at start and on reload.  Needs the loop. */
static int radius_clients(struct muispd *md)
{
	const struct radius_conf *rc = &md->conf.radius;
	struct radclient **c[2] = { &md->rad_auth, &md->rad_acct };
	unsigned n[2] = { rc->nauth, rc->nacct };

	for (int acct = 0; acct < 2 && md->ev; acct++) {
		if (!n[acct] && !*c[acct])
			continue;
		if (*c[acct] ? radclient_reconf(*c[acct], rc) :
			       radclient_new(c[acct], md->ev, rc, acct, rad_now,
					     md)) {
			log_warnx("radius: cannot open the %s servers",
				  acct ? "accounting" : "authentication");
			return -1;
		}
	}
	return 0;
}

/* The state without the network: store, keys, kernel, payment methods,
 * the outstanding contracts.  md->ev, if set, is the loop the payment
 * methods and later connections use. */
int muispd_open(struct muispd *md)
{
	const struct muispd_conf *conf = &md->conf;
	uint64_t now = muispd_now(md);
	uint32_t seed = 0;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) < 0)
		seed = (uint32_t)now;
	if (!md->max_user)
		md->max_user = md->conf.max_conns;
	md->conns = calloc(md->max_user + MUISPD_OP_CONNS, sizeof(*md->conns));
	if (!md->conns || limits_init(&md->srcs, seed))
		return -1;
	md->online = payment_online_new(md->ev);
	if (!md->online)
		return -1;
	online_config(md);
	if (radius_clients(md))
		return -1;
	md->roam = payment_roam_new(md);
	if (!md->roam)
		return -1;
	payment_register(&md->pay, md->roam);
	payment_register(&md->pay, &payment_voucher);
	payment_register(&md->pay, &payment_room);
	payment_register(&md->pay, &payment_cash);
	payment_register(&md->pay, md->online);
	if (store_open(conf->database, &md->st) || register_open(md) ||
	    userblock_open(md))
		return -1;
	if (store_keys_load(md->st, &md->kr) ||
	    store_serial_last(md->st, "contract", &md->contract_seq))
		return -1;
	if (!receipt_key_current(&md->kr)) {
		struct receipt_key k;
		int64_t id = receipt_keyring_rotate(&md->kr, now, 0, &k);

		if (id < 0 || store_key_put(md->st, &k))
			return -1;
		log_info("receipt key %lld created", (long long)id);
	}
	if (kernel_open(conf->use_kernel, &md->k) || acct_open(md) ||
	    uinfo_start(md) || conn_hold_open(md))
		return -1;
	/* the records after the contracts: the module's connections without
	 * a row are recorded at their contract's price */
	if (session_load(md, now) || conn_records_open(md))
		return -1;
	uinfo_usage_prune(md, now);
	/* what an earlier run stored and did not move, now the module has
	 * the contracts again */
	md->agent_usage.move_left = 1;
	uinfo_usage_move(md, now);
	if (radius_acct_on(&conf->radius) && acct_spool_open(md))
		return -1;
	if (acct_start_service(md))
		return -1;
	if (conf->vici[0] && !conf->use_kernel)
		log_warnx("vici %s ignored: no kernel module (kernel no)",
			  conf->vici);
	log_info("%u outstanding contracts restored", md->nlives);
	md->next_ckpt = now + conf->checkpoint_s;
	return 0;
}

static sd_event_source *source_free(sd_event_source *s)
{
	if (s)
		sd_event_source_set_enabled(s, SD_EVENT_OFF);
	return sd_event_source_unref(s);
}

/* Everything closed; the calls in flight end first, as failures, while
 * the store is still open. */
void muispd_close(struct muispd *md)
{
	md->closing = 1;
	if (md->online) {
		md->pay.by_id[MP_METHOD_ONLINE] = NULL;
		payment_online_free(md->online);
	}
	md->online = NULL;
	if (md->roam) {
		md->pay.by_id[MP_METHOD_ROAM] = NULL;
		payment_roam_free(md->roam);
	}
	md->roam = NULL;
	/* out of the table first: freeing one may look at the others */
	while (md->nconns)
		conn_free(md->conns[--md->nconns]);
	free(md->conns);
	md->conns = NULL;
	md->dirty = NULL;
	limits_free(&md->srcs);
	md->lpause = source_free(md->lpause);
	if (md->spare_fd >= 0)
		close(md->spare_fd);
	md->spare_fd = -1;
	md->lsrc = source_free(md->lsrc);
	md->usrc = source_free(md->usrc);
	nl_follow_stop(&md->kfollow);
	md->tick = source_free(md->tick);
	md->post = source_free(md->post);
	if (md->lfd >= 0)
		close(md->lfd);
	if (md->ufd >= 0) {
		close(md->ufd);
		unlink(md->conf.socket);
	}
	md->lfd = md->ufd = -1;
	ikesync_close(md);
	radrelay_free(md->relay);
	md->relay = NULL;
	eap_close(md);
	register_close(md);
	userblock_close(md);
	acct_close(md);
	dae_close(md);
	uinfo_hold_close(md);
	conn_hold_close(md);
	conn_records_close(md);
	uinfo_report_close(md);
	kernel_close(md->k);
	md->k = NULL;
	acct_spool_close(md);
	store_close(md->st);
	md->st = NULL;
	conn_tls_free(md->tls);
	md->tls = NULL;
	free(md->lives);
	md->lives = NULL;
	free(md->kretry);
	md->kretry = NULL;
	md->nkretry = md->capkretry = 0;
	md->nlives = md->caplives = 0;
	radclient_free(md->rad_auth);
	radclient_free(md->rad_acct);
	md->rad_auth = md->rad_acct = NULL;
	md->ev = sd_event_unref(md->ev);
}

/* ---------- the loop's sources ---------- */

static int on_listener(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct muispd *md = arg;

	conn_accept(md, fd, fd == md->ufd ? CONN_OP : CONN_USER);
	return 0;
}

/* The module's events (EPOLLERR is a pending ENOBUFS: the read clears
 * it). */
static void on_kernel(struct muisp_nl *nl, void *arg)
{
	kernel_events(nl, session_kernel_event, arg);
}

/*
 * The module was unloaded and loaded again: every contract, binding and
 * agent key went with the old one, and the family (so every handle) is
 * new.  Start-up is what puts them all back (session_load(): each
 * outstanding contract pushed with the counters of its last checkpoint,
 * its binding restored, as after a reboot), so muispd ends with a
 * failure, as a crash would (server_run()), and systemd starts it again
 * (Restart=on-failure); the usage since the last checkpoint went with
 * the module already.
 */
static void on_module(bool up, void *arg)
{
	struct muispd *md = arg;

	if (!up) {
		/* from here to the exit nothing is read from a module nor
		 * checkpointed: its counters are gone, and what a read of
		 * nothing (or of the new module) gave would overwrite the
		 * last checkpoint the restart restores from */
		md->module_lost = 1;
		log_warnx("the muisp module went away: its contracts and "
			  "bindings with it; metering stops, and muispd "
			  "restarts when it is back");
		return;
	}
	if (!md->kfollow.reloads)
		return;
	log_warnx("the muisp module is back (reload %llu): exiting, to "
		  "start again and restore every outstanding contract into it",
		  (unsigned long long)md->kfollow.reloads);
	md->module_reloaded = 1;
	sd_event_exit(md->ev, 0);
}

/* Metering, warnings and checkpoints once a second, however busy the
 * channel is (the timer goes before any connection). */
static int on_tick(sd_event_source *s, uint64_t usec, void *arg)
{
	struct muispd *md = arg;
	uint64_t now = muispd_now(md);

	if (!md->module_lost) /* metering, limits, checkpoints */
		session_tick(md, now);
	keys_tick(md, now);
	conn_deadlines(md);
	uinfo_hold_tick(md);
	conn_hold_tick(md);
	conn_records_tick(md, muispd_mono_ms(md) / 1000);
	ikesync_connect(md, now);
	eap_tick(md, now);
	ikesync_probe(md);
	register_tick(md, now);
	uinfo_usage_prune(md, now);
	if (!md->module_lost)
		uinfo_usage_move(md, now);
	return 0;
}

/* Flush replies and warnings queued by others' events, close. */
static int on_post(sd_event_source *s, void *arg)
{
	conn_service(arg);
	return 0;
}

static int on_reload(void *arg)
{
	return server_reload(arg);
}

static int sources(struct muispd *md)
{
	struct nl_follow *f = &md->kfollow;

	f->e = md->ev;
	f->group = MUISP_GENL_MCGRP_EVENTS;
	f->what = "limit and expiry events";
	f->rcvbuf = 1 << 20;
	f->retry_s = 5;
	f->on_data = on_kernel;
	f->on_change = on_module;
	f->arg = md;
	if (sd_event_add_io(md->ev, &md->lsrc, md->lfd, EPOLLIN, on_listener,
			    md) < 0 ||
	    sd_event_add_io(md->ev, &md->usrc, md->ufd, EPOLLIN, on_listener,
			    md) < 0 ||
	    (md->conf.use_kernel && nl_follow_start(f) < 0) ||
	    evloop_timer(md->ev, &md->tick, 0, EVLOOP_USEC_PER_SEC, on_tick,
			 md) < 0 ||
	    sd_event_source_set_priority(md->tick,
					 SD_EVENT_PRIORITY_IMPORTANT) < 0 ||
	    sd_event_add_post(md->ev, &md->post, on_post, md) < 0) {
		log_warnx("event loop: cannot add the daemon's sources");
		return -1;
	}
	return 0;
}

int server_init(struct muispd *md, const struct muispd_conf *conf,
		const char *conffile)
{
	static const struct evloop_ops ops = { .reload = on_reload };
	int r;

	muispd_init(md, conf);
	md->conffile = conffile;
	r = evloop_new(&md->ev, &ops, md);
	if (r < 0) {
		log_warnx("event loop: %s", strerror(-r));
		return -1;
	}
	if (conf->tls) {
		md->tls = conn_tls_new(&md->conf);
		if (!md->tls)
			return -1;
	}
	conn_fd_budget(md);
	if (muispd_open(md) || conn_listen(md) || sources(md))
		return -1;
	if (md->conf.eap_relay[0]) {
		char err[200];

		if (radrelay_new(&md->relay, md->ev, md->conf.eap_relay,
				 &md->conf.radius, err, sizeof(err))) {
			log_warnx("%s", err);
			return -1;
		}
		log_info("radius-eap-relay: listening on %s",
			 md->conf.eap_relay);
	}
	return dae_open(md); /* RFC 5176 listener, if configured */
}

/* A decoded message from c: replies are refused, operator types go to
 * control.c (operator socket only), the others to channel.c. */
void server_dispatch(struct muispd *md, struct conn *c, const struct mp_msg *m)
{
	if ((m->flags & MP_F_REPLY) && c->agent_key_id) {
		uinfo_reply(md, c, m); /* an agent's answer (UINFO_OWNER) */
		return;
	}
	if ((m->flags & MP_F_REPLY) && c->pagent_serial) {
		/* a purchasing agent's answer (CONN_VERDICT): late ones are
		 * nobody's */
		conn_hold_verdict(md, c, m);
		return;
	}
	if (m->flags & (MP_F_REPLY | MP_F_ASYNC)) {
		conn_error(c, m, MP_ERR_PROTO, "replies are not requests");
		return;
	}
	if (m->type >= 128) {
		if (c->kind != CONN_OP)
			conn_error(c, m, MP_ERR_PERM, "operator only");
		else
			control_dispatch(md, c, m);
		return;
	}
	channel_dispatch(md, c, m);
}

/* ---------- reload (SIGHUP) ---------- */

/* Settings that need a restart: kept, with a warning if they changed. */
static void keep_restart_only(struct muispd_conf *nc,
			      const struct muispd_conf *c, const char *path)
{
#define KEEP_STR(f, name)                                            \
	if (strcmp(nc->f, c->f)) {                                   \
		log_warnx("%s: %s cannot change without a restart, " \
			  "kept",                                    \
			  path, name);                               \
		memcpy(nc->f, c->f, sizeof(nc->f));                  \
	}
#define KEEP_NUM(f, name)                                            \
	if (nc->f != c->f) {                                         \
		log_warnx("%s: %s cannot change without a restart, " \
			  "kept",                                    \
			  path, name);                               \
		nc->f = c->f;                                        \
	}
	KEEP_STR(listen, "listen")
	KEEP_STR(lan, "lan")
	KEEP_NUM(max_conns, "max-conns")
	KEEP_NUM(port, "port")
	KEEP_STR(socket, "socket")
	KEEP_STR(database, "database")
	KEEP_NUM(use_kernel, "kernel")
	KEEP_NUM(tls, "tls")
	KEEP_STR(eap_relay, "radius-eap-relay")
	/* the queues are bound, and the contracts pushed, at start */
	KEEP_NUM(agent_hold_queue, "agent-hold-queue")
	KEEP_NUM(agent_hold_max, "agent-hold-max")
	KEEP_NUM(conn_billing, "conn-billing")
	KEEP_NUM(conn_queue, "conn-queue")
	KEEP_NUM(conn_hold_max, "conn-hold-max")
#undef KEEP_STR
#undef KEEP_NUM
}

/*
 * Read muispd.conf again and apply what can change at run time: prices
 * (new offers carry them; quotes and contracts keep theirs), TTLs,
 * warnings, limits, load, currency, checkpoints, allow-plain, the online
 * provider, the vici socket (reconnected) and the TLS certificate and key
 * (a new context for new connections).  A file with errors, or a
 * certificate that does not load, changes nothing.  0 applied, -1 kept.
 */
int server_reload(struct muispd *md)
{
	const char *path = md->conffile;
	struct muispd_conf *nc = malloc(sizeof(*nc));
	struct ssl_ctx_st *tls = NULL;
	int vici_changed;

	if (!nc || !path)
		goto refused;
	conf_defaults(nc);
	if (conf_load(path, nc))
		goto refused;
	keep_restart_only(nc, &md->conf, path);
	if (nc->tls) {
		tls = conn_tls_new(nc);
		if (!tls)
			goto refused;
	}
	vici_changed = strcmp(nc->vici, md->conf.vici) != 0 ||
		       nc->eap != md->conf.eap; /* (un)load vouchers */
	md->conf = *nc;
	explicit_bzero(&nc->radius, sizeof(nc->radius));
	free(nc);
	if (tls) {
		conn_tls_free(md->tls);
		md->tls = tls;
	}
	online_config(md);
	if (radius_clients(md))
		log_warnx("%s: radius servers kept as they were", path);
	if (md->relay)
		radrelay_reconf(md->relay, &md->conf.radius);
	if (vici_changed)
		ikesync_reconnect(md);
	dae_reconf(md); /* logs what it could not do */
	log_info("%s: configuration reloaded", path);
	return 0;
refused:
	if (nc)
		explicit_bzero(&nc->radius, sizeof(nc->radius));
	free(nc);
	log_warnx("%s: reload refused, running configuration kept",
		  path ? path : "muispd.conf");
	return -1;
}

int server_run(struct muispd *md)
{
	int r;

	ikesync_connect(md, muispd_now(md));
	r = evloop_run(md->ev);
	if (r < 0)
		log_warnx("event loop: %s", strerror(-r));
	if (md->module_reloaded) {
		/* as a crash: the module's counters are gone, so nothing is
		 * checkpointed and no session stops here; the next start
		 * finds the contracts lost and stops their sessions as at a
		 * reboot (NAS-Reboot), from the last checkpoint */
		r = -1; /* a failure: systemd starts muispd again */
	} else {
		session_checkpoint_final(md);
		acct_stop_service(md); /* Stops, Accounting-Off, delivered */
	}
	muispd_close(md);
	return r < 0 ? -1 : 0;
}

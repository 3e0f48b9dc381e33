// SPDX-License-Identifier: GPL-2.0
/*
 * muisp-uinfod: start-up and the event loop (lib/evloop, sd-event).  The
 * order is what fails closed: the tagger is closed first (mapped users'
 * packets dropped), then the user map is made equal to the
 * configuration, and only then is the meter asked for a key.  Each time
 * the session ends the tagger is closed again before anything else;
 * SIGTERM/SIGINT leave it closed (`muispctl tag del` ends the agent's
 * role).  A tagger that cannot be closed is fatal: systemd starts the
 * daemon again (Restart=on-failure), which closes it first.
 *
 * Users with an address of their own (the Multi-IP scheme) get it, and
 * the per-uid routing that makes it their source, after the module's map
 * knows it is theirs (addrs.c): their packets are then named by it, not
 * tagged, and leave whether a key is agreed or not.  Users whose address
 * is leased (dhcp.c) get it the same way each time a lease binds while
 * they are logged in, and lose it (interface first, then the map) when
 * they log out, the lease ends, or the daemon stops (the lease given
 * back).
 *
 * The users the router blocks come with each session, before its key:
 * they are flagged in the module's user map before the tagger opens, so
 * none of their packets leaves under the new key; a change while up is
 * applied at once.  A session's list ends with it.
 *
 * Standalone (thesis ch. 5(c)), the tagger's method is COUNT: keyed, the
 * module counts each mapped user's traffic and tags nothing.  The
 * counters are collected into the usage spool (usage.c) at start, before
 * the user map is touched (what an earlier run left uncollected is
 * recorded under the users it was counted for), every usage-interval,
 * and once more at a clean exit; the session sends the records and
 * main.c deletes each the router acknowledges.  A spool that holds
 * usage-spool-max records closes the tagger, since nothing more could be
 * recorded: the tagger is open only while the session is up and the
 * spool is not full, and opens again, with the session's key (kept
 * here while the session is up), as soon as acks make room.
 *
 * Out of band, packet-based (thesis ch. 5(a)), the tagger's method is
 * REPORT, keyed and closed as in band: open, the module multicasts a
 * report of each TCP or UDP packet a mapped user sends on its "reports"
 * group, which this daemon joins at start and again after the module
 * comes back (lib/nl_follow; a 4-MiB receive buffer, overruns counted).
 * report.c turns the reports into UINFO_REPORT messages (a flow's first
 * at once, the rest summed per flow and sent by the 1-s tick here); it
 * takes them only while the session is up, and forgets every flow when
 * it goes down.
 *
 * Every scheme that uses the module follows that group (on_module()):
 * the module unloaded takes the role and the map with it, and once it
 * is back they are set again as at start, closed, and the session ends
 * so that a new key is agreed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <openssl/ssl.h>

#include "daemon_opts.h"
#include "evloop.h"
#include "log.h"
#include "muisp_nl.h"
#include "nl_follow.h"
#include "parse.h"
#include "uinfod.h"

struct uinfod {
	struct uinfod_conf conf;
	uint32_t ifindex;
	struct muisp_nl *nl;
	SSL_CTX *ctx;
	sd_event *e;
	struct uinfod_session *s;
	char last_why[256];	     /* the last failed attempt logged */
	uint32_t key_id;	     /* the session's key, 0: none (down) */
	int open;		     /* the tagger keyed */
	struct uinfod_blocks blocks; /* the router's, this session */
	/* standalone: the session's key while it is up (to open the tagger
	 * again after a full spool), the spool, its collection timer, and
	 * whether the spool's being full keeps the tagger closed */
	uint8_t key[MUISP_AGENT_KEY_LEN];
	struct uinfod_usage *usage;
	sd_event_source *collect;
	int full;
	/* the module's "reports" group, followed across reloads (the agent's
	 * state set again); out-of-band-packet: the reports, their flows,
	 * the tick that sends their sums */
	struct nl_follow follow;
	struct uinfod_report *rep;
	sd_event_source *tick;
	struct uinfod_dhcp *dhcp; /* users' leases, at login */
};

/* Reports' datagrams read per wake-up (the loop comes back for more). */
#define REPORT_BATCH 256
/* Retry joining the "reports" group while the module is away. */
#define REPORT_RETRY_S 5

static void usage(FILE *f)
{
	fprintf(f,
		"usage: muisp-uinfod [-dnv] [-f config]\n"
		"  -d            stay in the foreground, log to stderr\n"
		"  -f, -c FILE   configuration (default " UINFOD_CONF_PATH ")\n"
		"  -n            check the configuration and exit\n"
		"  -v            verbose (repeat for debug)\n"
		"  -h, --help    this text\n"
		"Signals: TERM/INT end the session and exit, the tagger "
		"left closed.\n");
}

/* Out of band the module is not used: the router asks who owns a flow.
 * In band it tags, standalone it counts. */
static int uses_module(const struct uinfod *d)
{
	return d->conf.scheme != MP_SCHEME_OUT_OF_BAND;
}

static int standalone(const struct uinfod *d)
{
	return d->conf.scheme == MP_SCHEME_STANDALONE;
}

static int packet_based(const struct uinfod *d)
{
	return d->conf.scheme == MP_SCHEME_OUT_OF_BAND_PACKET;
}

/* The loop's monotonic clock, in ms. */
static uint64_t now_ms(const struct uinfod *d)
{
	uint64_t us = 0;

	if (sd_event_now(d->e, CLOCK_MONOTONIC, &us) < 0) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		return (uint64_t)ts.tv_sec * 1000 +
		       (uint64_t)ts.tv_nsec / 1000000;
	}
	return us / 1000;
}

static void close_tagger(struct uinfod *d)
{
	if (uses_module(d) &&
	    uinfod_kernel_close(d->nl, d->ifindex, d->conf.method) < 0)
		fatalx("the tagger cannot be closed: exiting");
	d->open = 0;
}

/* The session is down: its key forgotten, the tagger closed, the
 * reports' flows forgotten. */
static void session_gone(struct uinfod *d)
{
	close_tagger(d);
	d->key_id = 0;
	explicit_bzero(d->key, sizeof(d->key));
	if (d->rep)
		uinfod_report_up(d->rep, 0);
}

/* ---- out-of-band-packet: the module's reports ---- */

static int on_report_send(void *arg, const struct uinfod_report_msg *m)
{
	struct uinfod *d = arg;

	return d->s ? uinfod_session_send_report(d->s, m) : -1;
}

/* Reports come only with REPORT (packet-based); any other is drained. */
static int on_report(const struct muisp_nl_tag_report *r, void *arg)
{
	struct uinfod *d = arg;

	if (d->rep)
		uinfod_report_add(d->rep, r, now_ms(d));
	return MNL_CB_OK;
}

static struct log_rl rl_overrun = LOG_RL_INIT(60, 1);

static void on_reports(struct muisp_nl *nl, void *arg)
{
	struct uinfod *d = arg;

	for (unsigned int k = 0; k < REPORT_BATCH; k++) {
		if (muisp_nl_recv_reports(nl, on_report, d) == 0)
			continue;
		if (errno == EAGAIN)
			break;
		if (errno == ENOBUFS) {
			/* how many is not known: the overruns are counted */
			if (d->rep)
				uinfod_report_overrun(d->rep);
			log_ratelimited(&rl_overrun, LOG_WARNING,
					"reports: the netlink socket overran: "
					"reports lost (packets not reported "
					"to the router)");
		} else if (errno != EINTR) {
			log_debug("reports: netlink: %s", strerror(errno));
		}
	}
}

/*
 * The module went away (unloaded: the agent's role, the user map and the
 * standalone counters with it) or came back.  Back, it is set up again
 * as at start, failing closed: a new handle (the family's id may have
 * changed), the tagger closed, the user map made equal to the
 * configuration; then the session ends, so that a new key is agreed and
 * on_up() applies the router's blocked users and opens the tagger.  The
 * users' own addresses and routes are the interface's and stay.
 */
static void on_module(bool up, void *arg)
{
	struct uinfod *d = arg;

	if (!up) {
		log_warnx("the muisp module went away: the agent's role and "
			  "user map went with it; set again when it is back");
		return;
	}
	if (!d->follow.reloads) /* joined at start: set up by main() */
		return;
	muisp_nl_close(d->nl);
	d->nl = muisp_nl_open(0);
	if (!d->nl)
		fatal("the muisp module is back, but cannot be opened");
	close_tagger(d);
	if (standalone(d))
		log_warnx("usage: the module's counters since the last "
			  "collection went with it (not recorded)");
	if (uinfod_kernel_users(d->nl, &d->conf, NULL) < 0)
		fatalx("the user map cannot be set again: exiting");
	log_info("the muisp module is back (reload %llu): the agent's role "
		 "set again, closed, and the user map; a new key follows",
		 (unsigned long long)d->follow.reloads);
	uinfod_session_reset(d->s, "the muisp module was loaded again");
}

static int on_tick(sd_event_source *src, uint64_t usec, void *arg)
{
	struct uinfod *d = arg;

	uinfod_report_tick(d->rep, now_ms(d));
	return 0;
}

/*
 * Standalone: the tagger open exactly while the session is up and the
 * spool not full.  0, or -1 (it should be open and cannot be: logged).
 */
static int tagger_apply(struct uinfod *d)
{
	int want = d->key_id && !d->full;

	if (want && !d->open) {
		if (uinfod_kernel_key(d->nl, d->ifindex, d->conf.method, d->key,
				      d->key_id) < 0)
			return -1;
		d->open = 1;
	} else if (!want && d->open) {
		close_tagger(d);
	}
	return 0;
}

static struct log_rl rl_collect = LOG_RL_INIT(60, 3);
/* a spool at its maximum goes full and back at each ack and collection */
static struct log_rl rl_full = LOG_RL_INIT(60, 4);

/* Standalone: is the spool full (or no longer)?  The tagger follows. */
static void spool_check(struct uinfod *d)
{
	int full = uinfod_usage_full(d->usage);

	if (full == d->full)
		return;
	d->full = full;
	if (full)
		log_ratelimited(
			&rl_full, LOG_ERR,
			"usage spool %s full (%llu records the router "
			"has not acknowledged: usage-spool-max): the "
			"tagger is closed, local users' traffic "
			"blocked until the router acknowledges some",
			d->conf.usage_spool,
			(unsigned long long)uinfod_usage_count(d->usage));
	else
		log_ratelimited(
			&rl_full, LOG_INFO,
			"usage spool %s below its maximum again (%llu "
			"records): %s",
			d->conf.usage_spool,
			(unsigned long long)uinfod_usage_count(d->usage),
			d->key_id ? "local users' traffic counted "
				    "again" :
				    "the tagger opens with the next "
				    "session");
	if (tagger_apply(d) < 0)
		log_warnx("the tagger stays closed: local users' traffic "
			  "blocked (tried again at the next collection)");
}

/*
 * Standalone: the module's counters into the spool (what changed since
 * the last collection, one record per user), then sent.  0, or -1
 * (logged, rate-limited: the module keeps counting, the next collection
 * takes the delta).
 */
static int collect(struct uinfod *d)
{
	struct muisp_nl_tag_user *rows;
	struct uinfod_usage_result res;
	size_t n;
	int rc;

	if (uinfod_kernel_counts(d->nl, &rows, &n) < 0) {
		log_ratelimited(&rl_collect, LOG_WARNING,
				"usage: the module's counters: %s (collected "
				"at the next interval)",
				strerror(errno));
		return -1;
	}
	rc = uinfod_usage_collect(d->usage, rows, n, (uint64_t)time(NULL),
				  &res);
	free(rows);
	if (rc < 0) {
		log_ratelimited(&rl_collect, LOG_WARNING,
				"usage: the spool %s failed (collected at the "
				"next interval)",
				d->conf.usage_spool);
		return -1;
	}
	if (res.added)
		log_info("usage: %u record%s of %zu user%s (%llu in the spool)",
			 res.added, res.added == 1 ? "" : "s", n,
			 n == 1 ? "" : "s",
			 (unsigned long long)uinfod_usage_count(d->usage));
	if (res.held)
		log_ratelimited(&rl_collect, LOG_WARNING,
				"usage: the spool is full: %u user%s' traffic "
				"recorded once the router acknowledges records",
				res.held, res.held == 1 ? "" : "s");
	spool_check(d);
	/* a key that did not go in after a full spool: again */
	if (!d->open && d->key_id && !d->full)
		tagger_apply(d);
	if (d->s)
		uinfod_session_usage_kick(d->s);
	return 0;
}

static int on_collect(sd_event_source *src, uint64_t usec, void *arg)
{
	collect(arg);
	return 0;
}

/* The session's spool reader and acks (standalone). */
static int on_usage_next(void *arg, uint64_t after, struct uinfod_usage_rec *r)
{
	return uinfod_usage_next(((struct uinfod *)arg)->usage, after, r);
}

static void on_usage_acked(void *arg, uint64_t seq)
{
	struct uinfod *d = arg;

	if (uinfod_usage_acked(d->usage, seq) == 1)
		log_debug("usage record %llu acknowledged again",
			  (unsigned long long)seq);
	spool_check(d);
}

static int on_up(void *arg, const uint8_t key[MUISP_AGENT_KEY_LEN],
		 const struct uinfod_welcome *w)
{
	struct uinfod *d = arg;

	if (standalone(d)) {
		/* the router's blocked users first, then the key, kept */
		if (uinfod_kernel_users(d->nl, &d->conf, &d->blocks) < 0) {
			session_gone(d);
			return -1;
		}
		memcpy(d->key, key, sizeof(d->key));
		d->key_id = w->key_id;
		if (tagger_apply(d) < 0) {
			session_gone(d);
			return -1;
		}
		d->last_why[0] = '\0';
		log_info("meter %s: key id %u agreed, %s (this host is %s to "
			 "the router; keep-alive %u s; %u blocked; %llu usage "
			 "record%s to send)",
			 d->conf.meter, w->key_id,
			 d->full ? "but the usage spool is full: local users' "
				   "traffic stays blocked" :
				   "local users' traffic counted",
			 w->addr, w->interval, d->blocks.n,
			 (unsigned long long)uinfod_usage_count(d->usage),
			 uinfod_usage_count(d->usage) == 1 ? "" : "s");
		return 0;
	}
	if (!uses_module(d)) {
		d->key_id = w->key_id;
		d->last_why[0] = '\0';
		log_info("meter %s: session up (out of band: the router holds "
			 "each new flow of this host, %s to it, until we say "
			 "whose it is; keep-alive %u s; %u blocked)",
			 d->conf.meter, w->addr, w->interval, d->blocks.n);
		return 0;
	}
	/* the router's blocked users first, then the key */
	if (uinfod_kernel_users(d->nl, &d->conf, &d->blocks) < 0 ||
	    uinfod_kernel_key(d->nl, d->ifindex, d->conf.method, key,
			      w->key_id) < 0) {
		session_gone(d);
		return -1;
	}
	d->key_id = w->key_id;
	d->open = 1;
	d->last_why[0] = '\0';
	if (d->rep)
		uinfod_report_up(d->rep, 1);
	log_info("meter %s: key id %u agreed, local users' traffic %s "
		 "(this host is %s to the router; keep-alive %u s; %u "
		 "blocked)",
		 d->conf.meter, w->key_id,
		 packet_based(d) ? "reported to the router" : "tagged", w->addr,
		 w->interval, d->blocks.n);
	return 0;
}

static int on_block(void *arg, uint32_t id, int blocked)
{
	struct uinfod *d = arg;
	int mapped = 0;

	for (unsigned int i = 0; i < d->conf.nusers; i++)
		mapped += d->conf.users[i].id == id;
	if (uinfod_blocks_set(&d->blocks, id, blocked) < 0) {
		log_warnx("user %u: %s", id, strerror(errno));
		return -1;
	}
	/* before the key, on_up() applies the whole list */
	if (uses_module(d) && d->key_id &&
	    uinfod_kernel_block(d->nl, &d->conf, id, blocked) < 0)
		return -1;
	log_info("user %u %s by the router (%d local user%s)", id,
		 blocked ? "blocked" : "allowed again", mapped,
		 mapped == 1 ? "" : "s");
	return 0;
}

static void on_down(void *arg, int was_up, const char *why, uint64_t retry_ms)
{
	struct uinfod *d = arg;

	uinfod_blocks_clear(&d->blocks); /* the next session sends its own */
	if (d->key_id || was_up) {
		session_gone(d);
		log_warnx("meter lost: %s, local users' traffic blocked "
			  "(retry in %llu s)",
			  why, (unsigned long long)(retry_ms / 1000));
		snprintf(d->last_why, sizeof(d->last_why), "%s", why);
		return;
	}
	/* the same failure again is not news */
	if (strcmp(why, d->last_why)) {
		log_warnx("meter %s: %s (local users' traffic stays blocked; "
			  "retrying, at most every %u s)",
			  d->conf.meter, why, d->conf.retry_max);
		snprintf(d->last_why, sizeof(d->last_why), "%s", why);
	} else {
		log_debug("meter %s: %s (retry in %llu ms)", d->conf.meter, why,
			  (unsigned long long)retry_ms);
	}
}

/* ---- users' own addresses leased at login ---- */

static int set_map(struct uinfod *d)
{
	return uinfod_kernel_users(d->nl, &d->conf, &d->blocks);
}

/* The address u has no longer: off the interface, then out of the map. */
static void lease_gone(struct uinfod *d, struct uinfod_user *u)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, u->addr, a, sizeof(a));
	uinfod_addrs_user(d->ifindex, &d->conf, u, NULL, 0);
	u->family = 0;
	u->plen = 0;
	memset(u->addr, 0, sizeof(u->addr));
	if (set_map(d) < 0)
		log_warnx("uid %u: %s still theirs in the module's map", u->uid,
			  a);
	log_info("uid %u: %s no longer theirs (their packets are tagged "
		 "again)",
		 u->uid, a);
}

static void on_lease(void *arg, const struct uinfod_lease *l,
		     enum uinfod_lease_event ev)
{
	struct uinfod *d = arg;
	struct uinfod_user *u = NULL;
	char a[INET_ADDRSTRLEN], s[INET_ADDRSTRLEN];

	for (unsigned int i = 0; i < d->conf.nusers && !u; i++)
		if (d->conf.users[i].uid == l->uid)
			u = &d->conf.users[i];
	if (!u)
		return;
	inet_ntop(AF_INET, &l->addr, a, sizeof(a));
	if (ev == UINFOD_LEASE_RENEWED) {
		log_info("uid %u: %s renewed (%u s)", u->uid, a, l->lease_s);
		return;
	}
	if (u->family)
		lease_gone(d, u);
	if (ev != UINFOD_LEASE_GOT)
		return;
	u->family = AF_INET;
	memcpy(u->addr, &l->addr, 4);
	u->plen = uinfod_lease_plen(l);
	/* the map first: the module keeps it theirs from the start */
	if (set_map(d) < 0 ||
	    uinfod_addrs_user(d->ifindex, &d->conf, u,
			      l->router ? (const uint8_t *)&l->router : NULL,
			      1) < 0) {
		log_warnx("uid %u: %s leased but not made theirs (their "
			  "packets stay tagged)",
			  u->uid, a);
		lease_gone(d, u);
		return;
	}
	inet_ntop(AF_INET, &l->server, s, sizeof(s));
	log_info("uid %u: %s/%u leased from %s for %u s: their own address",
		 u->uid, a, u->plen, s, l->lease_s);
}

static const struct uinfod_dhcp_ops dhcp_ops = { .changed = on_lease };

static const struct uinfod_session_ops session_ops = {
	.up = on_up,
	.down = on_down,
	.block = on_block,
	.usage_next = on_usage_next,
	.usage_acked = on_usage_acked,
};

static int conf_opt(int ch, const char *arg, void *ctx)
{
	((struct daemon_opts *)ctx)->conf = arg; /* -c: as -f */
	return 0;
}

int main(int argc, char **argv)
{
	static struct uinfod D;
	struct daemon_opts o = { .conf = UINFOD_CONF_PATH };
	struct uinfod *d = &D;
	struct uinfod_timing t;
	char err[512];
	int r, clean;

	r = daemon_opts_parse(argc, argv, &o, "c:", NULL, conf_opt, &o, usage);
	if (r != DAEMON_OPTS_RUN)
		return r;
	if (uinfod_config_load(o.conf, &d->conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		uinfod_config_free(&d->conf);
		return 1;
	}
	d->ifindex = if_nametoindex(d->conf.interface);
	if (!d->ifindex) {
		fprintf(stderr, "%s: interface %s: %s\n", o.conf,
			d->conf.interface,
			errno == ENODEV ? "no such interface" :
					  strerror(errno));
		uinfod_config_free(&d->conf);
		return 1;
	}
	d->ctx = uinfod_tls_ctx(&d->conf, err, sizeof(err));
	if (!d->ctx) {
		fprintf(stderr, "%s: %s\n", o.conf, err);
		uinfod_config_free(&d->conf);
		return 1;
	}
	if (o.check) {
		printf("%s: configuration OK\n", o.conf);
		SSL_CTX_free(d->ctx);
		uinfod_config_free(&d->conf);
		return 0;
	}
	log_init(o.foreground, LOG_DAEMON);
	log_setverbose(o.verbose);

	if (!uses_module(d)) {
		log_info("started: %u local user%s named to the meter %s port "
			 "%u out of band (the router holds this host's new "
			 "flows and asks whose they are)",
			 d->conf.nusers, d->conf.nusers == 1 ? "" : "s",
			 d->conf.meter, d->conf.port);
		goto run;
	}
	d->nl = muisp_nl_open(0);
	if (!d->nl)
		fatal("the muisp module%s",
		      errno == ENOENT ? " (not loaded in this namespace)" : "");
	/* closed first: nothing is tagged under a key this run does not
	 * hold, and mapped users are blocked until the agreement */
	close_tagger(d);
	if (standalone(d)) {
		d->usage = uinfod_usage_open(d->conf.usage_spool,
					     d->conf.usage_spool_max, err,
					     sizeof(err));
		if (!d->usage)
			fatalx("usage spool: %s", err);
		/* what an earlier run left uncollected, under the users it
		 * was counted for, before the map changes */
		collect(d);
		if (d->full) /* spool_check() said why */
			log_info("usage spool %s: %llu records from an earlier "
				 "run wait for the router",
				 d->conf.usage_spool,
				 (unsigned long long)uinfod_usage_count(
					 d->usage));
	}
	if (uinfod_kernel_users(d->nl, &d->conf, NULL) < 0)
		fatalx("the user map cannot be set: exiting");
	/* users' own addresses once the module knows whose they are */
	if (uinfod_addrs_apply(d->ifindex, &d->conf) < 0)
		fatalx("the users' own addresses cannot be set: exiting");
	if (standalone(d))
		log_info("started: %u local user%s counted on %s (standalone: "
			 "usage records every %u s, spooled in %s, at most "
			 "%u, sent to the meter %s port %u); their traffic is "
			 "blocked until a key is agreed",
			 d->conf.nusers, d->conf.nusers == 1 ? "" : "s",
			 d->conf.interface, d->conf.usage_interval,
			 d->conf.usage_spool, d->conf.usage_spool_max,
			 d->conf.meter, d->conf.port);
	else if (packet_based(d))
		log_info("started: %u local user%s on %s reported to the "
			 "meter %s port %u out of band (each flow's first "
			 "packet at once, the rest summed every second); "
			 "their traffic is blocked until a key is agreed",
			 d->conf.nusers, d->conf.nusers == 1 ? "" : "s",
			 d->conf.interface, d->conf.meter, d->conf.port);
	else
		log_info("started: %u local user%s tagged on %s (method %s) "
			 "with a key agreed with the meter %s port %u; their "
			 "traffic is blocked until then",
			 d->conf.nusers, d->conf.nusers == 1 ? "" : "s",
			 d->conf.interface, tag_method_name_v[d->conf.method],
			 d->conf.meter, d->conf.port);

run:
	r = evloop_new(&d->e, &(struct evloop_ops){ 0 }, d);
	if (r < 0)
		fatalx("event loop: %s", strerror(-r));
	if (standalone(d)) {
		uint64_t us = d->conf.usage_interval * EVLOOP_USEC_PER_SEC;

		r = evloop_timer(d->e, &d->collect, us, us, on_collect, d);
		if (r < 0)
			fatalx("event loop: the collection timer: %s",
			       strerror(-r));
	}
	if (packet_based(d)) {
		uint64_t us = UINFOD_REPORT_TICK_MS * EVLOOP_USEC_PER_MSEC;

		d->rep = uinfod_report_new(UINFOD_REPORT_FLOWS, on_report_send,
					   d);
		if (!d->rep)
			fatal("reports");
		r = evloop_timer(d->e, &d->tick, us, us, on_tick, d);
		if (r < 0)
			fatalx("event loop: the reports' timer: %s",
			       strerror(-r));
	}
	if (uses_module(d)) {
		d->follow.e = d->e;
		d->follow.group = MUISP_GENL_MCGRP_REPORTS;
		d->follow.what =
			packet_based(d) ?
				"reports of local users' packets" :
				"the module, to set the agent up again";
		d->follow.rcvbuf = packet_based(d) ? UINFOD_REPORT_RCVBUF : 0;
		d->follow.retry_s = REPORT_RETRY_S;
		d->follow.on_data = on_reports;
		d->follow.on_change = on_module;
		d->follow.arg = d;
		if (nl_follow_start(&d->follow) < 0)
			fatalx("event loop: the netlink sources");
	}
	for (unsigned int i = 0; i < d->conf.nusers && !d->dhcp; i++) {
		if (!d->conf.users[i].dhcp)
			continue;
		d->dhcp = uinfod_dhcp_new(d->e, &d->conf, d->ifindex, &dhcp_ops,
					  d, err, sizeof(err));
		if (!d->dhcp)
			fatalx("users' leases: %s", err);
	}
	t.retry_first_ms = UINFOD_RETRY_FIRST_S * 1000ULL;
	t.retry_max_ms = d->conf.retry_max * 1000ULL;
	t.handshake_ms = UINFOD_HANDSHAKE_S * 1000ULL;
	d->s = uinfod_session_new(d->e, &d->conf, d->ctx, &t, &session_ops, d);
	if (!d->s)
		fatal("session");
	r = evloop_run(d->e);
	if (r < 0)
		log_warnx("event loop: %s", strerror(-r));

	/* leased addresses given back, off the interface and the map */
	uinfod_dhcp_free(d->dhcp, 1);
	d->dhcp = NULL;
	uinfod_session_free(d->s); /* no callback: the key is ours to wipe */
	d->s = NULL;
	if (d->rep)
		uinfod_report_up(d->rep, 0);
	d->key_id = 0;
	explicit_bzero(d->key, sizeof(d->key));
	clean = r >= 0;
	if (uses_module(d) &&
	    uinfod_kernel_close(d->nl, d->ifindex, d->conf.method) < 0)
		r = -1;
	d->open = 0;
	/* the last interval kept, up to the close: sent by the next run */
	if (standalone(d) && clean)
		collect(d);
	if (standalone(d))
		log_info("exiting: the tagger is closed, %llu usage record%s "
			 "kept in %s for the router",
			 (unsigned long long)uinfod_usage_count(d->usage),
			 uinfod_usage_count(d->usage) == 1 ? "" : "s",
			 d->conf.usage_spool);
	else if (uses_module(d))
		log_info("exiting: the tagger is closed (muispctl tag del ends "
			 "the agent's role)");
	else
		log_info("exiting: the router holds this host's new flows "
			 "until we are back");
	if (d->rep) {
		struct uinfod_report_stats st;

		uinfod_report_stats(d->rep, &st);
		log_info("reports: %llu read, %llu sent, %llu coalesced, %llu "
			 "dropped in all (%llu socket overruns)",
			 (unsigned long long)st.read,
			 (unsigned long long)st.sent,
			 (unsigned long long)st.coalesced,
			 (unsigned long long)st.dropped,
			 (unsigned long long)st.overruns);
	}
	nl_follow_stop(&d->follow);
	sd_event_source_disable_unref(d->tick);
	uinfod_report_free(d->rep);
	sd_event_source_disable_unref(d->collect);
	evloop_free(d->e);
	muisp_nl_close(d->nl);
	SSL_CTX_free(d->ctx);
	uinfod_usage_close(d->usage);
	uinfod_config_free(&d->conf);
	uinfod_blocks_free(&d->blocks);
	return r < 0 ? 1 : 0;
}

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
 * tagged, and leave whether a key is agreed or not.
 *
 * The users the router blocks come with each session, before its key:
 * they are flagged in the module's user map before the tagger opens, so
 * none of their packets leaves under the new key; a change while up is
 * applied at once.  A session's list ends with it.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <openssl/ssl.h>

#include "daemon_opts.h"
#include "evloop.h"
#include "log.h"
#include "muisp_nl.h"
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
	uint32_t key_id;	     /* the key installed, 0: closed */
	struct uinfod_blocks blocks; /* the router's, this session */
};

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

/* Out of band the module is not used: the router asks who owns a flow. */
static int in_band(const struct uinfod *d)
{
	return d->conf.scheme == MP_SCHEME_IN_BAND;
}

static void close_tagger(struct uinfod *d)
{
	if (in_band(d) &&
	    uinfod_kernel_close(d->nl, d->ifindex, d->conf.method) < 0)
		fatalx("the tagger cannot be closed: exiting");
	d->key_id = 0;
}

static int on_up(void *arg, const uint8_t key[MUISP_AGENT_KEY_LEN],
		 const struct uinfod_welcome *w)
{
	struct uinfod *d = arg;

	if (!in_band(d)) {
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
		close_tagger(d);
		return -1;
	}
	d->key_id = w->key_id;
	d->last_why[0] = '\0';
	log_info("meter %s: key id %u agreed, local users' traffic tagged "
		 "(this host is %s to the router; keep-alive %u s; %u "
		 "blocked)",
		 d->conf.meter, w->key_id, w->addr, w->interval, d->blocks.n);
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
	if (in_band(d) && d->key_id &&
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
		close_tagger(d);
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

static const struct uinfod_session_ops session_ops = {
	.up = on_up,
	.down = on_down,
	.block = on_block,
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
	int r;

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

	if (!in_band(d)) {
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
	if (uinfod_kernel_users(d->nl, &d->conf, NULL) < 0)
		fatalx("the user map cannot be set: exiting");
	/* users' own addresses once the module knows whose they are */
	if (uinfod_addrs_apply(d->ifindex, &d->conf) < 0)
		fatalx("the users' own addresses cannot be set: exiting");
	log_info("started: %u local user%s tagged on %s (method %s) with a "
		 "key agreed with the meter %s port %u; their traffic is "
		 "blocked until then",
		 d->conf.nusers, d->conf.nusers == 1 ? "" : "s",
		 d->conf.interface, tag_method_name_v[d->conf.method],
		 d->conf.meter, d->conf.port);

run:
	r = evloop_new(&d->e, &(struct evloop_ops){ 0 }, d);
	if (r < 0)
		fatalx("event loop: %s", strerror(-r));
	t.retry_first_ms = UINFOD_RETRY_FIRST_S * 1000ULL;
	t.retry_max_ms = d->conf.retry_max * 1000ULL;
	t.handshake_ms = UINFOD_HANDSHAKE_S * 1000ULL;
	d->s = uinfod_session_new(d->e, &d->conf, d->ctx, &t, &session_ops, d);
	if (!d->s)
		fatal("session");
	r = evloop_run(d->e);
	if (r < 0)
		log_warnx("event loop: %s", strerror(-r));

	uinfod_session_free(d->s);
	if (in_band(d) &&
	    uinfod_kernel_close(d->nl, d->ifindex, d->conf.method) < 0)
		r = -1;
	evloop_free(d->e);
	muisp_nl_close(d->nl);
	SSL_CTX_free(d->ctx);
	uinfod_config_free(&d->conf);
	uinfod_blocks_free(&d->blocks);
	if (in_band(d))
		log_info("exiting: the tagger is closed (muispctl tag del ends "
			 "the agent's role)");
	else
		log_info("exiting: the router holds this host's new flows "
			 "until we are back");
	return r < 0 ? 1 : 0;
}

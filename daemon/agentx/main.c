// SPDX-License-Identifier: GPL-2.0
/*
 * muisp-agentx: start-up and the event loop (lib/evloop, sd-event).  The
 * subagent connects to the operator's snmpd over AgentX (snmploop.c),
 * answers MUISP-MIB from its cache (cache.c, tables.c, scalars.c) and
 * sends notifications (notify.c, trap.c).  Signals from evloop: TERM/INT
 * exit; HUP and USR1 are ignored (a changed configuration needs a
 * restart: net-snmp's registrations are made once).  Nothing is fatal
 * after start-up: a master that is not there yet is retried every
 * agentx-ping-interval, a source that does not answer leaves its values.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "agentx.h"
#include "daemon_opts.h"
#include "evloop.h"
#include "log.h"

static struct agentx AX;

static void usage(FILE *f)
{
	fprintf(f, "usage: muisp-agentx [-dnv] [-f config]\n"
		   "  -d         stay in the foreground, log to stderr\n"
		   "  -f FILE    configuration (default " AX_CONF_PATH ")\n"
		   "  -c FILE    the same as -f\n"
		   "  -n         check the configuration and exit\n"
		   "  -v         verbose (repeat for debug)\n"
		   "  -h, --help this text\n"
		   "Signals: TERM/INT exit.\n");
}

static const struct evloop_ops ops = { 0 };

/* -c FILE: the same as -f (net-snmp's agents take -c). */
static int conf_opt(int ch, const char *arg, void *ctx)
{
	struct daemon_opts *o = ctx;

	(void)ch;
	o->conf = arg;
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon_opts o = { .conf = NULL };
	struct agentx *ax = &AX;
	const char *path;
	int fg, check, verbose, r;

	r = daemon_opts_parse(argc, argv, &o, "c:", NULL, conf_opt, &o, usage);
	if (r != DAEMON_OPTS_RUN)
		return r;
	path = o.conf;
	fg = o.foreground;
	check = o.check;
	verbose = o.verbose;
	if (ax_conf_load(&ax->conf, path) < 0)
		return 1;
	if (check) {
		printf("%s: configuration OK\n", path ? path : AX_CONF_PATH);
		return 0;
	}
	/* systemd runs us in the foreground (Type=notify); log to syslog
	 * unless -d. */
	log_init(fg, LOG_DAEMON);
	log_setverbose(verbose);

	r = evloop_new(&ax->ev, &ops, ax);
	if (r < 0)
		fatalx("event loop: %s", strerror(-r));
	if (ax_snmp_init(ax) < 0)
		fatalx("net-snmp: cannot start the agent library");
	if (ax_cache_init(ax) < 0)
		fatalx("cache: cannot start");
	if (ax_register_objects(ax) < 0)
		fatalx("net-snmp: cannot register MUISP-MIB");
	if (ax_notify_init(ax) < 0)
		fatalx("notifications: cannot start");
	if (ax_snmp_start(ax) < 0)
		fatalx("net-snmp: cannot start the subagent");
	log_info("started: master %s, cache-ttl %u ms, kernel %s",
		 ax->conf.agentx_socket, ax->conf.cache_ttl_ms,
		 ax->conf.kernel ? "yes" : "no");
	r = evloop_run(ax->ev);
	if (r < 0)
		log_warnx("event loop: %s", strerror(-r));

	ax_notify_stop(ax);
	ax_snmp_stop(ax);
	ax_cache_free(ax);
	evloop_free(ax->ev);
	log_info("exiting");
	return r < 0 ? 1 : 0;
}

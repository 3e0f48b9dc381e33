// SPDX-License-Identifier: GPL-2.0
/* muispd: the muisp contract daemon.  See muispd(8). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "muispd.h"

/* The one static: the daemon the signal handler stops. */
static struct muispd *running;

static void usage(void)
{
	fprintf(stderr, "usage: muispd [-dnv] [-f file]\n");
	exit(1);
}

static void on_signal(int sig)
{
	if (running)
		server_shutdown(running);
}

int main(int argc, char **argv)
{
	const char *conffile = MUISPD_CONF;
	struct muispd_conf conf;
	struct muispd *md;
	struct sigaction sa;
	int ch, debug = 0, noaction = 0, verbose = 0, rc;

	while ((ch = getopt(argc, argv, "df:nv")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'f':
			conffile = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init(debug || noaction, LOG_DAEMON);
	log_setverbose(verbose);
	log_procinit("muispd");
	conf_defaults(&conf);
	if (conf_load(conffile, &conf))
		fatalx("%s: configuration errors", conffile);
	if (noaction) {
		fprintf(stderr, "configuration OK\n");
		return 0;
	}
	md = calloc(1, sizeof(*md));
	if (!md)
		fatal("calloc");
	running = md;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	if (server_init(md, &conf))
		fatalx("start-up failed");
	log_info("listening on [%s]:%u, operator socket %s, kernel %s",
		 conf.listen, conf.port, conf.socket,
		 conf.use_kernel ? "module" : "none");
	rc = server_run(md) ? 1 : 0;
	running = NULL;
	free(md);
	return rc;
}

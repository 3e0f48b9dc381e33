// SPDX-License-Identifier: GPL-2.0
/* muispd: the muisp contract daemon.  See muispd(8). */
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "muispd.h"

static void usage(void)
{
	fprintf(stderr, "usage: muispd [-dnv] [-f file]\n");
	exit(1);
}

int main(int argc, char **argv)
{
	const char *conffile = MUISPD_CONF;
	struct muispd_conf conf;
	struct muispd *md;
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
		printf("%s: configuration OK\n", conffile);
		return 0;
	}
	md = calloc(1, sizeof(*md));
	if (!md)
		fatal("calloc");
	if (server_init(md, &conf, conffile))
		fatalx("start-up failed");
	log_info("listening on [%s]:%u, operator socket %s, kernel %s",
		 conf.listen, conf.port, conf.socket,
		 conf.use_kernel ? "module" : "none");
	rc = server_run(md) ? 1 : 0;
	free(md);
	return rc;
}

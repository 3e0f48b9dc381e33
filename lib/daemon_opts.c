// SPDX-License-Identifier: GPL-2.0
/* The daemons' common command line (daemon_opts.h). */
#include <string.h>

#include "daemon_opts.h"

#define MAX_LONG 16

int daemon_opts_parse(int argc, char **argv, struct daemon_opts *o,
		      const char *extra_short, const struct option *extra_long,
		      daemon_opt_fn fn, void *ctx, void (*usage)(FILE *f))
{
	struct option lopts[MAX_LONG + 2] = {
		{ "help", no_argument, NULL, 'h' },
	};
	char sopts[64] = "df:hnv";
	unsigned int n = 1;
	int ch;

	for (; extra_long && extra_long[n - 1].name && n <= MAX_LONG; n++)
		lopts[n] = extra_long[n - 1];
	if (extra_short)
		strncat(sopts, extra_short, sizeof(sopts) - strlen(sopts) - 1);
	while ((ch = getopt_long(argc, argv, sopts, lopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			o->foreground = 1;
			break;
		case 'f':
			o->conf = optarg;
			break;
		case 'n':
			o->check = 1;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case '?':
			usage(stderr);
			return 2;
		default:
			if (!fn || fn(ch, optarg, ctx) < 0) {
				if (!fn)
					usage(stderr);
				return 2;
			}
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	return DAEMON_OPTS_RUN;
}

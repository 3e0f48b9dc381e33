/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The command line every muisp daemon takes (muisp-dhcpd, muisp-agentx,
 * muisp-ipfixd): -d foreground with logs on stderr, -f FILE its
 * configuration, -n check the configuration and exit, -v verbose
 * (repeatable), -h/--help.  A daemon adds its own options (short letters
 * and long options) and handles them in a callback.
 */
#ifndef MUISP_DAEMON_OPTS_H
#define MUISP_DAEMON_OPTS_H

#include <getopt.h>
#include <stdio.h>

struct daemon_opts {
	const char *conf; /* -f FILE; preset it to the default */
	int foreground;	  /* -d */
	int check;	  /* -n */
	int verbose;	  /* -v, counted */
};

/* A daemon's own option CH with its argument (NULL for none): 0, or -1
 * after printing why (main then exits 2). */
typedef int (*daemon_opt_fn)(int ch, const char *arg, void *ctx);

/* Parse argv into o.  EXTRA_SHORT ("c:"), EXTRA_LONG (NULL-terminated;
 * NULL for none) and FN: the daemon's own options.  Returns
 * DAEMON_OPTS_RUN to go on, or the status main() returns: 0 after -h
 * (usage on stdout), 2 after a wrong option or argument (usage on
 * stderr). */
#define DAEMON_OPTS_RUN (-1)
int daemon_opts_parse(int argc, char **argv, struct daemon_opts *o,
		      const char *extra_short, const struct option *extra_long,
		      daemon_opt_fn fn, void *ctx, void (*usage)(FILE *f));

#endif

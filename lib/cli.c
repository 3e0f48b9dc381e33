// SPDX-License-Identifier: GPL-2.0
/* The tools' error idiom: see cli.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static const char *cli_name;

void cli_init(const char *prog)
{
	cli_name = prog;
}

const char *cli_prog(void)
{
	return cli_name ? cli_name : program_invocation_short_name;
}

static void vwarn_tail(const char *tail, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", cli_prog());
	vfprintf(stderr, fmt, ap);
	fputs(tail, stderr);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn_tail("\n", fmt, ap);
	va_end(ap);
}

int cli_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn_tail("\n", fmt, ap);
	va_end(ap);
	return CLI_EXIT_FAIL;
}

void cli_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn_tail("\n", fmt, ap);
	va_end(ap);
	exit(CLI_EXIT_FAIL);
}

int cli_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn_tail(" (try --help)\n", fmt, ap);
	va_end(ap);
	return CLI_EXIT_USAGE;
}

int cli_badarg(const char *key, const char *val, const char *why)
{
	fprintf(stderr, "%s: invalid %s '%s': %s\n", cli_prog(), key, val, why);
	return CLI_EXIT_USAGE;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tools' error idiom (muispctl, muisp-client, muisp-ike): every
 * message on stderr starts with the program's name, and three exit codes
 * mean the same in every tool (each man page lists them):
 *
 *	0  done
 *	1  the operation failed            cli_fail("%s: %s", path, why)
 *	2  bad command line                cli_usage("'%s' needs a value", k)
 *	                                   cli_badarg("--wait", s, why)
 *
 * The functions return the exit code, so a command returns
 * cli_usage(...) and main() returns what the command returned (muispctl
 * runs many commands in one process: tests, batches).  Tools may add codes
 * of their own from 3 up.
 */
#ifndef MUISP_CLI_H
#define MUISP_CLI_H

#include "log.h" /* MUISP_PRINTF */

#define CLI_EXIT_OK    0
#define CLI_EXIT_FAIL  1 /* the operation failed */
#define CLI_EXIT_USAGE 2 /* bad command line */

/* The name messages start with (default: the name the program was run
 * by). */
void cli_init(const char *prog);
const char *cli_prog(void);

/* "PROG: message" */
void cli_warn(const char *fmt, ...) MUISP_PRINTF(1, 2);
/* "PROG: message"; CLI_EXIT_FAIL. */
int cli_fail(const char *fmt, ...) MUISP_PRINTF(1, 2);
/* "PROG: message", then exit(CLI_EXIT_FAIL). */
__attribute__((noreturn)) void cli_die(const char *fmt, ...) MUISP_PRINTF(1, 2);
/* "PROG: message (try --help)"; CLI_EXIT_USAGE. */
int cli_usage(const char *fmt, ...) MUISP_PRINTF(1, 2);
/* "PROG: invalid KEY 'VAL': WHY"; CLI_EXIT_USAGE. */
int cli_badarg(const char *key, const char *val, const char *why);

#endif

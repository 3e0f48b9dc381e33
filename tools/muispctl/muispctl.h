/* SPDX-License-Identifier: GPL-2.0 */
/*
 * muispctl: shared declarations.  Each object (addr, contract, ...) lives
 * in its own file and exports one entry point registered in the object
 * table of muispctl.c; it dispatches its verbs with ctl_dispatch().  An
 * object that does not talk to the kernel (lease, voucher, ca in later
 * issues) simply never calls ctl_nl().
 */
#ifndef MUISPCTL_H
#define MUISPCTL_H

#include <stdio.h>

#include "muisp_nl.h"
#include "output.h"
#include "args.h"
#include "cli.h"

/* Exit codes (documented in muispctl.8): lib/cli's, and two of its own.
 * Messages go through lib/cli too ("muispctl: ..."). */
#define EXIT_OK	      CLI_EXIT_OK
#define EXIT_FAIL     CLI_EXIT_FAIL  /* the operation failed */
#define EXIT_USAGE    CLI_EXIT_USAGE /* bad command line */
#define EXIT_NOMODULE 3		     /* muisp family not registered */
#define EXIT_PERM     4		     /* needs CAP_NET_ADMIN */

struct mpd;

struct ctl {
	enum out_fmt fmt;
	FILE *out;
	struct muisp_nl *nl; /* opened on first use */
	/* Names of the attributes of the current request, by type, used to
	 * say which argument the kernel's extended ack points at. */
	const char *const *attr_names;
	unsigned int nattr_names;
	/* muispd's operator socket (daemon.c): --daemon PATH, opened on
	 * first use. */
	const char *daemon_path;
	struct mpd *mpd;
};

struct ctl_verb {
	const char *name;
	int (*fn)(struct ctl *c, int argc, char **argv); /* argv[0]: verb */
	const char *usage; /* arguments after the verb */
};

struct ctl_object {
	const char *name;
	int (*fn)(struct ctl *c, int argc, char **argv); /* argv[0]: obj */
	const char *summary;
};

/* Run the verb named argv[1] of object argv[0]; "help" and --help print
 * the verbs' usage.  A missing verb runs the first one (usually list). */
int ctl_dispatch(struct ctl *c, const struct ctl_verb *verbs, int argc,
		 char **argv);
void ctl_usage_of(const char *obj, const struct ctl_verb *verbs, FILE *f);

/* The netlink handle, opened on first use; NULL after printing the error
 * (module not loaded, ...) with the exit code in *rc. */
struct muisp_nl *ctl_nl(struct ctl *c, int *rc);
/* Report a failed request (errno, extended ack) and return the exit
 * code. */
int ctl_nl_fail(struct ctl *c, const char *what);
/*
 * A list command's table of the kernel's objects: a table of cols filled
 * by dump(c, t, arg), which runs one muisp_nl_*_dump() with the table as
 * its callbacks' argument and ctl_out_reset as its reset, then printed
 * (OUT_LIST); or "WHAT: ..." as ctl_nl_fail() says it.  Opens the netlink
 * handle first (ctl_nl).  The exit code.
 */
int ctl_list(struct ctl *c, const char *what, const struct out_col *cols,
	     unsigned int ncols,
	     int (*dump)(struct ctl *c, struct out_table *t, const void *arg),
	     const void *arg);
/* A dump's reset callback for a table (arg): a dump the kernel restarted
 * starts the table again (out_reset). */
void ctl_out_reset(void *arg);
/* Print a new object's id ("id" record) and return the exit code. */
int ctl_print_id(struct ctl *c, uint32_t id);
/* "invalid K 'V': expected a|b|c" and EXIT_USAGE (cli_badarg). */
int ctl_badname(const char *key, const char *val, const struct names *n);
/* Is argv[i] a help request? */
int ctl_is_help(const char *s);

/* Key/value arguments: next pair from argc and argv; 0 with *key (and
 * *val unless the key is a flag listed in flags) set, 1 at the end, -1
 * after printing "K needs a value". */
int ctl_kv(int *argc, char ***argv, const char *const *flags, const char **key,
	   const char **val);

/*
 * The keying material of an agent (agent set, tag set) in path ("-":
 * standard input), a secret file as lib/secret.h reads one:
 * MUISP_AGENT_KEY_LEN bytes as hex digits, blanks and newlines ignored.
 * EXIT_OK, or the exit code after "WHAT: key file PATH: why" (EXIT_FAIL)
 * or a usage error; the copies it made are wiped, key is the caller's to
 * wipe.
 */
int ctl_read_key(const char *what, const char *path,
		 uint8_t key[MUISP_AGENT_KEY_LEN]);

/* The whole tool (main() is a one-liner, so tests can call it). */
int muispctl_main(int argc, char **argv);

int cmd_addr(struct ctl *c, int argc, char **argv);
int cmd_contract(struct ctl *c, int argc, char **argv);
int cmd_flow(struct ctl *c, int argc, char **argv);
int cmd_block(struct ctl *c, int argc, char **argv);
int cmd_garden(struct ctl *c, int argc, char **argv);
int cmd_agent(struct ctl *c, int argc, char **argv);
int cmd_user(struct ctl *c, int argc, char **argv);
int cmd_tag(struct ctl *c, int argc, char **argv);
int cmd_config(struct ctl *c, int argc, char **argv);
int cmd_stats(struct ctl *c, int argc, char **argv);
int cmd_monitor(struct ctl *c, int argc, char **argv);
int cmd_lease(struct ctl *c, int argc, char **argv);
int cmd_conn(struct ctl *c, int argc, char **argv);
int cmd_voucher(struct ctl *c, int argc, char **argv);
int cmd_key(struct ctl *c, int argc, char **argv);
int cmd_register(struct ctl *c, int argc, char **argv);
int cmd_report(struct ctl *c, int argc, char **argv);
int cmd_ca(struct ctl *c, int argc, char **argv);

/* muispctl stats's columns for a snapshot (lib/stats_cat), in sc (room
 * for stats_ndefs + s->n): the module's counters in catalogue order (the
 * keys and titles muispctl always printed), then s's muisp-dhcpd,
 * muisp-ipfixd and muispd counters.  Their number. */
struct stats_snap;
unsigned int stats_cols(const struct stats_snap *s, struct out_col *sc);

/* Printers shared by list/show and monitor. */
extern const struct out_col flow_cols[];
extern const unsigned int flow_ncols;
/* flow_cols of a flow record: flow list's and its seq */
extern const unsigned int flow_rec_ncols;
int flow_row(struct out_table *t, const struct muisp_nl_flow *f);

#endif

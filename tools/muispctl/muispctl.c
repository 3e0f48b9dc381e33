// SPDX-License-Identifier: GPL-2.0
/*
 * muispctl: operator's tool for the muisp access router.  Talks to the
 * muisp.ko generic-netlink family through lib/muisp_nl.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "muispctl.h"
#include "leasedb.h" /* LEASEDB_DEFAULT_PATH */
#include "daemon.h"

#ifndef MUISP_VERSION /* the release, from VERSION (module.mk) */
#define MUISP_VERSION "unknown"
#endif

static const struct ctl_object objects[] = {
	{ "addr", cmd_addr, "client addresses and their binding" },
	{ "contract", cmd_contract,
	  "contracts: muispd's record, the module's "
	  "metering" },
	{ "flow", cmd_flow, "metered flows" },
	{ "block", cmd_block, "administrative block list" },
	{ "garden", cmd_garden, "walled garden (reachable before payment)" },
	{ "agent", cmd_agent,
	  "per-user accounting: the multi-user hosts metered here" },
	{ "user", cmd_user,
	  "per-user contracts and block list: an agent's users" },
	{ "tag", cmd_tag,
	  "per-user accounting, the agent's role: tag local users' packets" },
	{ "config", cmd_config, "module configuration" },
	{ "stats", cmd_stats, "counters: drops by reason, flows, ..." },
	{ "monitor", cmd_monitor, "print events and flow records" },
	{ "lease", cmd_lease, "DHCP leases (muisp-dhcpd's database)" },
	{ "conn", cmd_conn, "per-connection billing records: list (muispd)" },
	{ "voucher", cmd_voucher, "prepaid vouchers (muispd)" },
	{ "key", cmd_key, "receipt keys: list, rotate (muispd)" },
	{ "report", cmd_report,
	  "accounting reports: cdr, settlement (muispd's database)" },
	{ "register", cmd_register,
	  "clients' registered certificates: list, forget (muispd)" },
	{ "ca", cmd_ca, "certification authority: CA, router certificates" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: muispctl [-j|--json] [--daemon PATH] OBJECT [VERB] "
		"[ARGS...]\n"
		"       muispctl [-j|--json] lease [--db PATH] [VERB] "
		"[ARGS...]\n"
		"       muispctl [-j|--json] stats [--db PATH] [--ipfixd PATH] "
		"[VERB]\n"
		"       muispctl ca init|issue|selfsign|show|verify ARGS...\n"
		"       muispctl [-j|--json] -b|--batch FILE\n"
		"       muispctl OBJECT help\n\n");
	for (i = 0; i < sizeof(objects) / sizeof(objects[0]); i++)
		fprintf(f, "  %-10s %s\n", objects[i].name, objects[i].summary);
	fprintf(f,
		"\nlease reads muisp-dhcpd's lease database (default " LEASEDB_DEFAULT_PATH
		")\nwithout the kernel module; ca needs "
		"neither the module nor netlink.\n");
	fprintf(f, "contract, voucher, key and register talk to muispd's "
		   "operator socket\n(--daemon PATH, default " MP_OP_SOCKET
		   "); contract list and show join its\nrecords with the "
		   "module's.\n");
	fprintf(f, "\nexit status: 0 ok, 1 operation failed, 2 usage error, "
		   "3 module not loaded, 4 permission denied\n");
}

int ctl_is_help(const char *s)
{
	return !strcmp(s, "help") || !strcmp(s, "--help") || !strcmp(s, "-h");
}

int ctl_badname(const char *key, const char *val, const struct names *n)
{
	char why[300];

	snprintf(why, sizeof(why), "expected %s", name_list(n));
	return cli_badarg(key, val, why);
}

int ctl_kv(int *argc, char ***argv, const char *const *flags, const char **key,
	   const char **val)
{
	if (*argc <= 0)
		return 1;
	*key = (*argv)[0];
	*val = NULL;
	for (; flags && *flags; flags++)
		if (!strcmp(*flags, *key)) {
			(*argc)--;
			(*argv)++;
			return 0;
		}
	if (*argc < 2) {
		cli_usage("'%s' needs a value", *key);
		return -1;
	}
	*val = (*argv)[1];
	*argc -= 2;
	*argv += 2;
	return 0;
}

void ctl_usage_of(const char *obj, const struct ctl_verb *verbs, FILE *f)
{
	const char *lead = "usage:";

	for (; verbs->name; verbs++, lead = "      ")
		fprintf(f, "%s muispctl %s %s%s%s\n", lead, obj, verbs->name,
			*verbs->usage ? " " : "", verbs->usage);
}

int ctl_dispatch(struct ctl *c, const struct ctl_verb *verbs, int argc,
		 char **argv)
{
	const struct ctl_verb *v;
	const char *obj = argv[0];
	char dflt_name[16];
	char *dflt[] = { dflt_name, NULL };

	argc--;
	argv++;
	if (argc == 0) {
		snprintf(dflt_name, sizeof(dflt_name), "%s", verbs[0].name);
		argc = 1;
		argv = dflt;
	}
	if (ctl_is_help(argv[0])) {
		ctl_usage_of(obj, verbs, stdout);
		return EXIT_OK;
	}
	for (v = verbs; v->name; v++)
		if (!strcmp(v->name, argv[0]))
			break;
	if (!v->name) {
		cli_warn("unknown %s command '%s'", obj, argv[0]);
		ctl_usage_of(obj, verbs, stderr);
		return EXIT_USAGE;
	}
	if (argc > 1 && ctl_is_help(argv[1])) {
		printf("usage: muispctl %s %s%s%s\n", obj, v->name,
		       *v->usage ? " " : "", v->usage);
		return EXIT_OK;
	}
	return v->fn(c, argc, argv);
}

struct muisp_nl *ctl_nl(struct ctl *c, int *rc)
{
	if (c->nl)
		return c->nl;
	c->nl = muisp_nl_open(0);
	if (c->nl)
		return c->nl;
	switch (errno) {
	case ENOENT:
		cli_warn("muisp kernel module not loaded (modprobe muisp)");
		*rc = EXIT_NOMODULE;
		break;
	case EPERM:
	case EACCES:
		cli_warn("permission denied: needs "
			 "CAP_NET_ADMIN (run as root)");
		*rc = EXIT_PERM;
		break;
	default:
		cli_warn("cannot open the muisp netlink "
			 "family: %s",
			 strerror(errno));
		*rc = EXIT_FAIL;
		break;
	}
	return NULL;
}

static const char *attr_name(const struct ctl *c, int attr, char *buf)
{
	if ((unsigned int)attr < c->nattr_names && c->attr_names[attr])
		return c->attr_names[attr];
	snprintf(buf, 24, "attribute %d", attr);
	return buf;
}

int ctl_print_id(struct ctl *c, uint32_t id)
{
	static const struct out_col cols[] = { { "id", "id" } };
	struct out_table *t = out_new(cols, 1);
	int rc = EXIT_FAIL;

	if (t && out_row(t) == 0 && out_u64(t, 0, id) == 0 &&
	    out_print(t, c->out, c->fmt, OUT_RECORD) == 0)
		rc = EXIT_OK;
	out_free(t);
	return rc;
}

/*
 * "muispctl: WHAT: [ARG: ][missing ARG: ]MESSAGE" where MESSAGE is the
 * kernel's extended-ack text, or strerror() when it sent none.
 */
int ctl_nl_fail(struct ctl *c, const char *what)
{
	int e = errno;
	const char *ext = c->nl ? muisp_nl_ext_msg(c->nl) : NULL;
	int attr = c->nl ? muisp_nl_ext_attr(c->nl) : -1;
	int miss = c->nl ? muisp_nl_ext_missing(c->nl) : -1;
	char buf[24];

	/* A policy refusal (require-tunnel) says why; a missing capability
	 * comes from the genetlink core without a message. */
	if ((e == EPERM || e == EACCES) && !ext) {
		cli_warn("%s: permission denied: needs "
			 "CAP_NET_ADMIN (run as root)",
			 what);
		return EXIT_PERM;
	}
	if (e == EAGAIN && !ext) {
		/* Only a dump that kept being interrupted returns it. */
		cli_warn("%s: the table kept changing during "
			 "the dump (%d tries); try again",
			 what, MUISP_NL_DUMP_TRIES);
		return EXIT_FAIL;
	}
	fprintf(stderr, "%s: %s: ", cli_prog(), what);
	if (attr >= 0)
		fprintf(stderr, "%s: ", attr_name(c, attr, buf));
	if (miss >= 0)
		fprintf(stderr, "missing %s: ", attr_name(c, miss, buf));
	fprintf(stderr, "%s\n", ext ? ext : strerror(e));
	return EXIT_FAIL;
}

void ctl_out_reset(void *arg)
{
	out_reset(arg);
}

int ctl_list(struct ctl *c, const char *what, const struct out_col *cols,
	     unsigned int ncols,
	     int (*dump)(struct ctl *c, struct out_table *t, const void *arg),
	     const void *arg)
{
	struct out_table *t;
	int rc = EXIT_OK;

	if (!ctl_nl(c, &rc))
		return rc;
	t = out_new(cols, ncols);
	if (!t)
		return EXIT_FAIL;
	if (dump(c, t, arg) < 0)
		rc = ctl_nl_fail(c, what);
	else
		out_print(t, c->out, c->fmt, OUT_LIST);
	out_free(t);
	return rc;
}

/* Run one command line (argv[0] is the object). */
static int run_object(struct ctl *c, int argc, char **argv)
{
	size_t i;

	c->attr_names = NULL;
	c->nattr_names = 0;
	if (ctl_is_help(argv[0])) {
		usage(stdout);
		return EXIT_OK;
	}
	for (i = 0; i < sizeof(objects) / sizeof(objects[0]); i++)
		if (!strcmp(objects[i].name, argv[0]))
			return objects[i].fn(c, argc, argv);
	cli_warn("unknown object '%s'", argv[0]);
	usage(stderr);
	return EXIT_USAGE;
}

/*
 * -b FILE: one command per line (words separated by blanks, no quoting;
 * empty lines and lines starting with '#' skipped), all on one netlink
 * handle.  Stops at the first failing line with its exit code.
 */
static int run_batch(struct ctl *c, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *line = NULL, *argv[64], *save, *w;
	size_t cap = 0;
	unsigned long n = 0;
	int argc, rc = EXIT_OK;

	if (!f) {
		cli_warn("%s: %s", path, strerror(errno));
		return EXIT_USAGE;
	}
	while (rc == EXIT_OK && getline(&line, &cap, f) >= 0) {
		n++;
		argc = 0;
		for (w = strtok_r(line, " \t\r\n", &save); w;
		     w = strtok_r(NULL, " \t\r\n", &save)) {
			if (argc == 63) {
				cli_warn("%s:%lu: too many words", path, n);
				rc = EXIT_USAGE;
				break;
			}
			argv[argc++] = w;
		}
		argv[argc] = NULL;
		if (rc != EXIT_OK || argc == 0 || argv[0][0] == '#')
			continue;
		rc = run_object(c, argc, argv);
		if (rc != EXIT_OK)
			cli_warn("%s:%lu: command failed", path, n);
	}
	if (rc == EXIT_OK && ferror(f)) {
		cli_warn("%s: %s", path, strerror(errno));
		rc = EXIT_FAIL;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

int muispctl_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "batch", required_argument, NULL, 'b' },
		{ "daemon", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl c = { .fmt = OUT_TEXT, .out = stdout };
	const char *batch = NULL;
	int ch, rc;

	cli_init("muispctl");
	optind = 0; /* reset getopt: tests call us repeatedly */
	/* _only: iproute2-style "-batch FILE" and "-json" work too. */
	while ((ch = getopt_long_only(argc, argv, "+jb:hV", opts, NULL)) !=
	       -1) {
		switch (ch) {
		case 'j':
			c.fmt = OUT_JSON;
			break;
		case 'b':
			batch = optarg;
			break;
		case 'D':
			if (!*optarg)
				return cli_badarg("--daemon", optarg,
						  "empty path");
			c.daemon_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("muispctl %s (uAPI version %d)\n", MUISP_VERSION,
			       MUISP_GENL_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (batch && argc) {
		cli_warn("-b takes no command line");
		return EXIT_USAGE;
	}
	if (!batch && argc == 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	rc = batch ? run_batch(&c, batch) : run_object(&c, argc, argv);
	if (fflush(stdout) != 0 && rc == EXIT_OK) {
		rc = cli_fail("write error: %s", strerror(errno));
	}
	muisp_nl_close(c.nl);
	mpd_close(&c);
	return rc;
}

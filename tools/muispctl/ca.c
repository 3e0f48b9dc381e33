// SPDX-License-Identifier: GPL-2.0
/*
 * muispctl ca init|issue|selfsign|show|verify: the operator's certification
 * authority (lib/ca, OpenSSL).  No kernel involved: these verbs never call
 * ctl_nl(), so they work without muisp.ko (on an offline machine, say).
 *
 *   ca init DIR CN [--days N] [--force]           DIR/ca.pem, DIR/ca.key
 *   ca issue NAME [--ca DIR] [--client | --notice TEXT] [--days N]
 *                 [--out-cert FILE --out-key FILE] [--force]
 *   ca selfsign NAME [--days N] [--out-cert FILE --out-key FILE] [--force]
 *   ca show CERT
 *   ca verify CACERT CERT
 *
 * Arguments are checked before anything is written (status 2); lib/ca
 * writes keys with mode 0600 and never over an existing file unless
 * --force (status 1, naming the file).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "muispctl.h"
#include "ca.h"

#define CA_DEFAULT_DIR "/etc/muisp/ca"
#define CA_DAYS	       3650 /* the CA: ten years */
#define CERT_DAYS      365  /* a router certificate: one year */
#define DAYS_MAX       36500

enum {
	O_DAYS = 1 << 0,
	O_FORCE = 1 << 1,
	O_CA = 1 << 2,
	O_NOTICE = 1 << 3,
	O_OUT = 1 << 4,
	O_CLIENT = 1 << 5,
};

struct ca_args {
	const char *verb;
	const char *dir, *notice, *out_cert, *out_key;
	unsigned int days;
	int force, client;
	const char *pos[2];
	int npos;
};

static const struct {
	const char *name;
	unsigned int flag;
	int has_value;
} ca_opts[] = {
	{ "--days", O_DAYS, 1 },     { "--force", O_FORCE, 0 },
	{ "--ca", O_CA, 1 },	     { "--notice", O_NOTICE, 1 },
	{ "--out-cert", O_OUT, 1 },  { "--out-key", O_OUT, 1 },
	{ "--client", O_CLIENT, 0 },
};

static int set_opt(struct ca_args *a, const char *name, const char *val)
{
	uint64_t v;
	const char *why;

	if (!strcmp(name, "--days")) {
		if (parse_uint(val, DAYS_MAX, &v, &why) < 0)
			return cli_badarg("--days", val, why);
		if (v == 0)
			return cli_badarg("--days", val, "must be 1 or more");
		a->days = (unsigned int)v;
	} else if (!strcmp(name, "--force")) {
		a->force = 1;
	} else if (!strcmp(name, "--client")) {
		a->client = 1;
	} else if (!strcmp(name, "--ca")) {
		a->dir = val;
	} else if (!strcmp(name, "--notice")) {
		if (!muisp_ca_valid_notice(val))
			return cli_badarg("--notice", val,
					  "1-200 characters without control "
					  "characters, '\"', '\\' or '$'");
		a->notice = val;
	} else if (!strcmp(name, "--out-cert")) {
		a->out_cert = val;
	} else {
		a->out_key = val;
	}
	return EXIT_OK;
}

/*
 * Options (--opt VALUE or --opt=VALUE, anywhere after the verb) allowed by
 * ALLOWED, and exactly NPOS positional arguments named by WHAT.
 */
static int ca_parse(int argc, char **argv, unsigned int allowed, int npos,
		    const char *what, struct ca_args *a)
{
	int i, rc;
	size_t k, n;

	a->verb = argv[0];
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i], *val = NULL, *eq;

		if (strncmp(arg, "--", 2) || !arg[2]) {
			if (a->npos == npos)
				return cli_usage("ca %s: unexpected argument "
						 "'%s' (expected %s)",
						 a->verb, arg, what);
			a->pos[a->npos++] = arg;
			continue;
		}
		eq = strchr(arg, '=');
		n = eq ? (size_t)(eq - arg) : strlen(arg);
		for (k = 0; k < sizeof(ca_opts) / sizeof(ca_opts[0]); k++)
			if (strlen(ca_opts[k].name) == n &&
			    !strncmp(ca_opts[k].name, arg, n))
				break;
		if (k == sizeof(ca_opts) / sizeof(ca_opts[0]) ||
		    !(ca_opts[k].flag & allowed))
			return cli_usage("ca %s: unknown option '%.*s'",
					 a->verb, (int)n, arg);
		if (ca_opts[k].has_value) {
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				return cli_usage("ca %s: '%s' needs a value",
						 a->verb, arg);
		} else if (eq) {
			return cli_usage("ca %s: '%.*s' takes no value",
					 a->verb, (int)n, arg);
		}
		rc = set_opt(a, ca_opts[k].name, val);
		if (rc != EXIT_OK)
			return rc;
	}
	if (a->npos != npos)
		return cli_usage("ca %s: expected %s", a->verb, what);
	return EXIT_OK;
}

/* "muispctl: ca VERB: MESSAGE[ HINT]" and EXIT_FAIL. */
static int ca_fail(const struct ca_args *a, const struct muisp_ca_err *err,
		   const char *hint)
{
	cli_warn("ca %s: %s%s", a->verb, err->msg, hint ? hint : "");
	return EXIT_FAIL;
}

/* mkdir -p DIR; the last component (which will hold the CA key) 0700. */
static int make_dir(const char *dir)
{
	char p[4096];
	size_t i;

	if ((size_t)snprintf(p, sizeof(p), "%s", dir) >= sizeof(p)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (i = 1; p[i]; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -1;
		p[i] = '/';
	}
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int ca_init(struct ctl *c, int argc, char **argv)
{
	struct ca_args a = { .days = CA_DAYS };
	struct muisp_ca_err err = { "" };
	const char *dir, *cn;
	int rc;

	rc = ca_parse(argc, argv, O_DAYS | O_FORCE, 2, "DIR CN", &a);
	if (rc != EXIT_OK)
		return rc;
	dir = a.pos[0];
	cn = a.pos[1];
	if (!muisp_ca_valid_cn(cn))
		return cli_badarg("CN", cn,
				  "1-64 characters, none of "
				  ",=+/\\\"<>;# or control characters");
	if (make_dir(dir) < 0) {
		cli_warn("ca init: %s: %s", dir, strerror(errno));
		return EXIT_FAIL;
	}
	if (muisp_ca_init(dir, cn, a.days, a.force, &err) < 0)
		return ca_fail(&a, &err,
			       errno == EEXIST ? " (--force replaces the CA)" :
						 NULL);
	fprintf(c->out, "certificate: %s/ca.pem\nkey:         %s/ca.key\n", dir,
		dir);
	return EXIT_OK;
}

/*
 * The certificate's NAME (a.pos[0]) checked, and its files: --out-cert and
 * --out-key go together; by default NAME.pem and NAME.key.
 */
static int ca_name_files(struct ca_args *a, char *cert, char *key, size_t cap)
{
	const char *name = a->pos[0];

	if (!muisp_ca_valid_name(name))
		return cli_badarg("NAME", name,
				  "1-64 ASCII characters, no "
				  "blanks or ,=+/\\\"<>;#");
	if (!a->out_cert != !a->out_key)
		return cli_usage("ca %s: --out-cert and --out-key go together",
				 a->verb);
	if (!a->out_cert) {
		snprintf(cert, cap, "%s.pem", name);
		snprintf(key, cap, "%s.key", name);
		a->out_cert = cert;
		a->out_key = key;
	}
	if (!strcmp(a->out_cert, a->out_key))
		return cli_usage("ca %s: --out-cert and --out-key name the "
				 "same file",
				 a->verb);
	return EXIT_OK;
}

/* A router's certificate, or with --client a TLS client's (muisp-uinfod). */
static int ca_issue(struct ctl *c, int argc, char **argv)
{
	struct ca_args a = { .days = CERT_DAYS, .dir = CA_DEFAULT_DIR };
	struct muisp_ca_err err = { "" };
	char cacert[4096], cakey[4096], cert[300], key[300];
	const char *name;
	int rc;

	rc = ca_parse(argc, argv,
		      O_DAYS | O_FORCE | O_CA | O_NOTICE | O_OUT | O_CLIENT, 1,
		      "NAME", &a);
	if (rc != EXIT_OK)
		return rc;
	/* a user notice is shown to a router's IKE clients: none on an
	 * agent's TLS client certificate */
	if (a.client && a.notice)
		return cli_usage("ca issue: --notice is for router "
				 "certificates, not with --client");
	name = a.pos[0];
	rc = ca_name_files(&a, cert, key, sizeof(cert));
	if (rc != EXIT_OK)
		return rc;
	if ((size_t)snprintf(cacert, sizeof(cacert), "%s/ca.pem", a.dir) >=
		    sizeof(cacert) ||
	    (size_t)snprintf(cakey, sizeof(cakey), "%s/ca.key", a.dir) >=
		    sizeof(cakey))
		return cli_badarg("--ca", a.dir, "path too long");
	if (muisp_ca_issue(cacert, cakey, name,
			   a.client ? MUISP_CA_CLIENT : MUISP_CA_ROUTER,
			   a.notice, a.days, a.out_cert, a.out_key, a.force,
			   &err) < 0)
		return ca_fail(
			&a, &err,
			errno == EEXIST ?
				" (--force replaces it)" :
			errno == ENOENT && access(cacert, F_OK) < 0 ?
				" (no CA there: --ca DIR, or muispctl ca init "
				"DIR CN)" :
				NULL);
	fprintf(c->out, "certificate: %s\nkey:         %s\n", a.out_cert,
		a.out_key);
	return EXIT_OK;
}

/* A self-signed certificate: a client's anonymous IKE identity (seed §4). */
static int ca_selfsign(struct ctl *c, int argc, char **argv)
{
	struct ca_args a = { .days = CERT_DAYS };
	struct muisp_ca_err err = { "" };
	char cert[300], key[300];
	const char *name;
	int rc;

	rc = ca_parse(argc, argv, O_DAYS | O_FORCE | O_OUT, 1, "NAME", &a);
	if (rc != EXIT_OK)
		return rc;
	name = a.pos[0];
	rc = ca_name_files(&a, cert, key, sizeof(cert));
	if (rc != EXIT_OK)
		return rc;
	if (muisp_ca_selfsign(name, a.days, a.out_cert, a.out_key, a.force,
			      &err) < 0)
		return ca_fail(&a, &err,
			       errno == EEXIST ? " (--force replaces it)" :
						 NULL);
	fprintf(c->out, "certificate: %s\nkey:         %s\n", a.out_cert,
		a.out_key);
	return EXIT_OK;
}

static int ca_show(struct ctl *c, int argc, char **argv)
{
	struct ca_args a = { 0 };
	struct muisp_ca_err err = { "" };
	int rc;

	rc = ca_parse(argc, argv, 0, 1, "CERT", &a);
	if (rc != EXIT_OK)
		return rc;
	if (muisp_ca_show(a.pos[0], c->out, &err) < 0)
		return ca_fail(&a, &err, NULL);
	return EXIT_OK;
}

static int ca_verify(struct ctl *c, int argc, char **argv)
{
	struct ca_args a = { 0 };
	struct muisp_ca_err err = { "" };
	int rc;

	rc = ca_parse(argc, argv, 0, 2, "CACERT CERT", &a);
	if (rc != EXIT_OK)
		return rc;
	if (muisp_ca_verify(a.pos[0], a.pos[1], &err) < 0)
		return ca_fail(&a, &err, NULL);
	fprintf(c->out, "%s: OK\n", a.pos[1]);
	return EXIT_OK;
}

static const struct ctl_verb verbs[] = {
	{ "init", ca_init, "DIR CN [--days N] [--force]" },
	{ "issue", ca_issue,
	  "NAME [--ca DIR] [--client | --notice TEXT] [--days N] "
	  "[--out-cert FILE --out-key FILE] [--force]" },
	{ "selfsign", ca_selfsign,
	  "NAME [--days N] "
	  "[--out-cert FILE --out-key FILE] [--force]" },
	{ "show", ca_show, "CERT" },
	{ "verify", ca_verify, "CACERT CERT" },
	{ NULL, NULL, NULL },
};

int cmd_ca(struct ctl *c, int argc, char **argv)
{
	if (argc < 2) {
		ctl_usage_of(argv[0], verbs, stderr);
		return EXIT_USAGE;
	}
	return ctl_dispatch(c, verbs, argc, argv);
}

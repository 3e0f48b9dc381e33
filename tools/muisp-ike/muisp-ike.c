// SPDX-License-Identifier: GPL-2.0
/*
 * muisp-ike: the router's IKE helper.
 *
 *   muisp-ike conf router --cert F --id ID [--local-addrs A] [--name N]
 *                         [--life S] [--rekey S | --no-rekey]
 *                         [--eap-pool POOL [--eap-dns ADDR]
 *                          [--eap-roam-id ID [--eap-roam-cert F]]]
 *   muisp-ike conf client --router A --router-id ID --cacert F --cert F
 *                         [--privacy] [--life S] [--rekey S | --no-rekey]
 *   muisp-ike conf strongswan --socket PATH [--log FILE] [--install-routes]
 *                             [--eap]
 *                             [--eap-radius ADDR:PORT --eap-radius-secret F]
 *   muisp-ike load-cert [--uri U] CERT.pem     (trust a client's cert)
 *
 * Certificates (the operator's CA, the router's, self-signed ones) are
 * made by `muispctl ca`.  See muisp-ike(8).
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "ike_conf.h"
#include "parse.h"
#include "secret.h"
#include "vici.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: muisp-ike conf router|client|strongswan [options]\n"
		   "       muisp-ike load-cert [--uri U] CERT\n"
		   "exit status: 0 ok, 1 failed, 2 usage error\n");
}

/* Seconds for --life and --rekey. */
static unsigned int seconds(const char *key, const char *s)
{
	const char *why;
	uint64_t v;

	if (parse_uint(s, 1000000, &v, &why) < 0)
		exit(cli_badarg(key, s, why));
	return (unsigned int)v;
}

enum {
	O_CERT = 1,
	O_ID,
	O_LOCAL,
	O_NAME,
	O_LIFE,
	O_REKEY,
	O_ROUTER,
	O_ROUTER_ID,
	O_CACERT,
	O_PRIVACY,
	O_SOCKET,
	O_LOG,
	O_ROUTES,
	O_URI,
	O_NOREKEY,
	O_EAP,
	O_EAP_POOL,
	O_EAP_DNS,
	O_EAP_ROAM_ID,
	O_EAP_ROAM_CERT,
	O_EAP_RADIUS,
	O_EAP_RADIUS_SECRET,
};

static const struct option opts[] = {
	{ "cert", required_argument, NULL, O_CERT },
	{ "id", required_argument, NULL, O_ID },
	{ "local-addrs", required_argument, NULL, O_LOCAL },
	{ "name", required_argument, NULL, O_NAME },
	{ "life", required_argument, NULL, O_LIFE },
	{ "rekey", required_argument, NULL, O_REKEY },
	{ "router", required_argument, NULL, O_ROUTER },
	{ "router-id", required_argument, NULL, O_ROUTER_ID },
	{ "cacert", required_argument, NULL, O_CACERT },
	{ "privacy", no_argument, NULL, O_PRIVACY },
	{ "socket", required_argument, NULL, O_SOCKET },
	{ "log", required_argument, NULL, O_LOG },
	{ "install-routes", no_argument, NULL, O_ROUTES },
	{ "uri", required_argument, NULL, O_URI },
	{ "no-rekey", no_argument, NULL, O_NOREKEY },
	{ "eap", no_argument, NULL, O_EAP },
	{ "eap-pool", required_argument, NULL, O_EAP_POOL },
	{ "eap-dns", required_argument, NULL, O_EAP_DNS },
	{ "eap-roam-id", required_argument, NULL, O_EAP_ROAM_ID },
	{ "eap-roam-cert", required_argument, NULL, O_EAP_ROAM_CERT },
	{ "eap-radius", required_argument, NULL, O_EAP_RADIUS },
	{ "eap-radius-secret", required_argument, NULL, O_EAP_RADIUS_SECRET },
	{ NULL, 0, NULL, 0 },
};

#define RADIUS_SECRET_CAP 129 /* RFC 2865 secrets here: 1..128 bytes */

struct args {
	struct ike_router_conf r;
	struct ike_client_conf c;
	struct ike_strongswan_conf s;
	const char *uri;
	char secret[RADIUS_SECRET_CAP];
};

/* A RADIUS secret file, as muispd reads it (muispd.conf(5), lib/secret.h):
 * the secret, never printed in a message. */
static void read_secret(const char *path, char *out, size_t cap)
{
	uint8_t buf[2 * RADIUS_SECRET_CAP];
	char why[SECRET_WHY_LEN];
	long n;

	n = secret_read(path, 0, buf, sizeof(buf), why);
	if (n >= 0)
		n = secret_one_line(buf, (size_t)n, cap - 1, why);
	if (n < 0)
		cli_die("%s: secret: %s", path, why);
	memcpy(out, buf, (size_t)n);
	out[n] = 0;
	explicit_bzero(buf, sizeof(buf));
}

/* Options of a command (argv[0]); the index of the first operand. */
static int parse(int argc, char **argv, struct args *a)
{
	int ch;

	memset(a, 0, sizeof(*a));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case O_CERT:
			a->r.cert = a->c.cert = optarg;
			break;
		case O_ID:
			a->r.id = optarg;
			break;
		case O_LOCAL:
			a->r.local_addrs = optarg;
			break;
		case O_NAME:
			a->r.name = a->c.name = optarg;
			break;
		case O_LIFE:
			a->r.life_time = a->c.life_time =
				seconds("--life", optarg);
			break;
		case O_REKEY:
			a->r.rekey_time = a->c.rekey_time =
				seconds("--rekey", optarg);
			break;
		case O_ROUTER:
			a->c.router = optarg;
			break;
		case O_ROUTER_ID:
			a->c.router_id = optarg;
			break;
		case O_CACERT:
			a->c.cacert = optarg;
			break;
		case O_PRIVACY:
			a->c.privacy = 1;
			break;
		case O_SOCKET:
			a->s.vici_socket = optarg;
			break;
		case O_LOG:
			a->s.log_file = optarg;
			break;
		case O_ROUTES:
			a->s.install_routes = 1;
			break;
		case O_URI:
			a->uri = optarg;
			break;
		case O_NOREKEY:
			a->r.no_rekey = a->c.no_rekey = 1;
			break;
		case O_EAP:
			a->s.eap = 1;
			break;
		case O_EAP_POOL:
			a->r.eap_pool = optarg;
			break;
		case O_EAP_DNS:
			a->r.eap_dns = optarg;
			break;
		case O_EAP_ROAM_ID:
			a->r.eap_roam_id = optarg;
			break;
		case O_EAP_ROAM_CERT:
			a->r.eap_roam_cert = optarg;
			break;
		case O_EAP_RADIUS:
			a->s.eap_radius = optarg;
			break;
		case O_EAP_RADIUS_SECRET:
			read_secret(optarg, a->secret, sizeof(a->secret));
			a->s.eap_radius_secret = a->secret;
			break;
		default:
			usage(stderr);
			exit(CLI_EXIT_USAGE);
		}
	}
	return optind;
}

static int cmd_conf(int argc, char **argv)
{
	struct args a;
	int r;

	if (argc < 2)
		return cli_usage("conf needs router, client or strongswan");
	if (parse(argc - 1, argv + 1, &a) != argc - 1)
		return cli_usage("conf %s takes options only", argv[1]);
	if (!a.s.eap_radius != !a.s.eap_radius_secret)
		return cli_usage("--eap-radius and --eap-radius-secret go "
				 "together");
	if (strcmp(argv[1], "router") == 0)
		r = ike_conf_router(stdout, &a.r);
	else if (strcmp(argv[1], "client") == 0)
		r = ike_conf_client(stdout, &a.c);
	else if (strcmp(argv[1], "strongswan") == 0)
		r = ike_conf_strongswan(stdout, &a.s);
	else
		return cli_badarg("conf kind", argv[1],
				  "expected router, client or strongswan");
	if (r < 0)
		return cli_usage("conf %s: missing or unsafe option", argv[1]);
	explicit_bzero(a.secret, sizeof(a.secret));
	return CLI_EXIT_OK;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	long n;

	if (!fp)
		cli_die("%s: %s", path, strerror(errno));
	if (fseek(fp, 0, SEEK_END) < 0 || (n = ftell(fp)) < 0 || n > 60000 ||
	    fseek(fp, 0, SEEK_SET) < 0)
		cli_die("%s: unreadable or too large", path);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, fp) != (size_t)n)
		cli_die("%s: read failed", path);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static int cmd_load_cert(int argc, char **argv)
{
	struct vici_builder b;
	struct vici_conn *c;
	struct vici_msg *res;
	const char *ok, *msg;
	struct args a;
	size_t len;
	char *pem;
	int i;

	i = parse(argc, argv, &a);
	if (i != argc - 1)
		return cli_usage("load-cert takes one certificate file");
	pem = slurp(argv[i], &len);
	c = vici_connect(a.uri);
	if (!c)
		cli_die("connect %s: %s", a.uri ? a.uri : "default socket",
			strerror(errno));
	vici_builder_init(&b);
	vici_add_kv_str(&b, "type", "X509");
	vici_add_kv_str(&b, "flag", "NONE");
	vici_add_kv(&b, "data", pem, len);
	if (vici_builder_finish(&b) < 0)
		cli_die("load-cert request: %s", strerror(errno));
	res = vici_command(c, "load-cert", &b);
	if (!res)
		cli_die("load-cert: %s", strerror(errno));
	ok = vici_find_str(&res->root, "success");
	msg = vici_find_str(&res->root, "errmsg");
	if (!ok || strcmp(ok, "yes") != 0)
		cli_die("load-cert refused: %s", msg ? msg : "no reason");
	printf("loaded %s\n", argv[i]);
	vici_msg_free(res);
	vici_builder_reset(&b);
	vici_close(c);
	free(pem);
	return 0;
}

int main(int argc, char **argv)
{
	cli_init("muisp-ike");
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "conf") == 0)
		return cmd_conf(argc - 1, argv + 1);
	if (strcmp(argv[1], "load-cert") == 0)
		return cmd_load_cert(argc - 1, argv + 1);
	return cli_usage("unknown command '%s'", argv[1]);
}

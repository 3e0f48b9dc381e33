// SPDX-License-Identifier: GPL-2.0
/*
 * muisp-ike: the router's IKE helper.
 *
 *   muisp-ike conf router --cert F --id ID [--local-addrs A] [--name N]
 *                         [--life S] [--rekey S | --no-rekey]
 *   muisp-ike conf client --router A --router-id ID --cacert F --cert F
 *                         [--privacy] [--life S] [--rekey S | --no-rekey]
 *   muisp-ike conf strongswan --socket PATH [--log FILE] [--install-routes]
 *   muisp-ike load-cert [--uri U] CERT.pem     (trust a client's cert)
 *
 * Certificates (the operator's CA, the router's, self-signed ones) are
 * made by `muispctl ca`.  See muisp-ike(8).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike_conf.h"
#include "log.h"
#include "vici.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
		"usage: muisp-ike conf router|client|strongswan [options]\n"
		"       muisp-ike load-cert [--uri U] CERT\n");
	exit(2);
}

static unsigned
num(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !*s || v > 1000000)
		fatalx("bad number: %s", s);
	return (unsigned)v;
}

enum {
	O_CERT = 1, O_ID, O_LOCAL, O_NAME, O_LIFE, O_REKEY, O_ROUTER,
	O_ROUTER_ID, O_CACERT, O_PRIVACY, O_SOCKET, O_LOG, O_ROUTES, O_URI,
	O_NOREKEY,
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
	{ NULL, 0, NULL, 0 },
};

struct args {
	struct ike_router_conf r;
	struct ike_client_conf c;
	struct ike_strongswan_conf s;
	const char *uri;
};

static int
parse(int argc, char **argv, struct args *a)
{
	int ch;

	memset(a, 0, sizeof(*a));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case O_CERT: a->r.cert = a->c.cert = optarg; break;
		case O_ID: a->r.id = optarg; break;
		case O_LOCAL: a->r.local_addrs = optarg; break;
		case O_NAME: a->r.name = a->c.name = optarg; break;
		case O_LIFE: a->r.life_time = a->c.life_time = num(optarg); break;
		case O_REKEY:
			a->r.rekey_time = a->c.rekey_time = num(optarg);
			break;
		case O_ROUTER: a->c.router = optarg; break;
		case O_ROUTER_ID: a->c.router_id = optarg; break;
		case O_CACERT: a->c.cacert = optarg; break;
		case O_PRIVACY: a->c.privacy = 1; break;
		case O_SOCKET: a->s.vici_socket = optarg; break;
		case O_LOG: a->s.log_file = optarg; break;
		case O_ROUTES: a->s.install_routes = 1; break;
		case O_URI: a->uri = optarg; break;
		case O_NOREKEY: a->r.no_rekey = a->c.no_rekey = 1; break;
		default: usage();
		}
	}
	return optind;
}

static int
cmd_conf(int argc, char **argv)
{
	struct args a;
	int r;

	if (argc < 2)
		usage();
	parse(argc - 1, argv + 1, &a);
	if (strcmp(argv[1], "router") == 0)
		r = ike_conf_router(stdout, &a.r);
	else if (strcmp(argv[1], "client") == 0)
		r = ike_conf_client(stdout, &a.c);
	else if (strcmp(argv[1], "strongswan") == 0)
		r = ike_conf_strongswan(stdout, &a.s);
	else
		usage();
	if (r < 0)
		fatal("conf %s: missing or unsafe option", argv[1]);
	return 0;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	long n;

	if (!fp)
		fatal("%s", path);
	if (fseek(fp, 0, SEEK_END) < 0 || (n = ftell(fp)) < 0 ||
	    n > 60000 || fseek(fp, 0, SEEK_SET) < 0)
		fatalx("%s: unreadable or too large", path);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, fp) != (size_t)n)
		fatalx("%s: read failed", path);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static int
cmd_load_cert(int argc, char **argv)
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
		usage();
	pem = slurp(argv[i], &len);
	c = vici_connect(a.uri);
	if (!c)
		fatal("connect %s", a.uri ? a.uri : "default socket");
	vici_builder_init(&b);
	vici_add_kv_str(&b, "type", "X509");
	vici_add_kv_str(&b, "flag", "NONE");
	vici_add_kv(&b, "data", pem, len);
	if (vici_builder_finish(&b) < 0)
		fatal("load-cert request");
	res = vici_command(c, "load-cert", &b);
	if (!res)
		fatal("load-cert");
	ok = vici_find_str(&res->root, "success");
	msg = vici_find_str(&res->root, "errmsg");
	if (!ok || strcmp(ok, "yes") != 0)
		fatalx("load-cert refused: %s", msg ? msg : "no reason");
	printf("loaded %s\n", argv[i]);
	vici_msg_free(res);
	vici_builder_reset(&b);
	vici_close(c);
	free(pem);
	return 0;
}

int
main(int argc, char **argv)
{
	log_init(1, 0);
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "conf") == 0)
		return cmd_conf(argc - 1, argv + 1);
	if (strcmp(argv[1], "load-cert") == 0)
		return cmd_load_cert(argc - 1, argv + 1);
	usage();
}

// SPDX-License-Identifier: GPL-2.0
/*
 * muisp-client cert|connect|disconnect: the client's IPsec tunnel to the
 * router, negotiated by the user's own strongSwan charon.
 *
 * Everything lives in STATEDIR/ike/, a swanctl directory:
 *
 *   x509/client.pem, private/client.key   the client's self-signed RSA
 *                                          certificate (anonymous CN
 *                                          "anon-<16 hex digits>"), made
 *                                          on first use by lib/ca, key 0600
 *   x509ca/muisp-ca.pem                   the μISP CA (--cacert), copied
 *                                          at every connect
 *   swanctl.conf                          from ike_conf_client(): the
 *                                          router must prove --router-id
 *                                          with a certificate from that CA
 *                                          (remote.id, remote.cacerts);
 *                                          AH, or ESP with --privacy
 *   connect.log, disconnect.log           what swanctl said, last run
 *
 * Loading: swanctl itself, with SWANCTL_DIR=STATEDIR/ike —
 * `swanctl --load-creds --noprompt`, `swanctl --load-conns`, then
 * `swanctl --initiate --child muisp --timeout N` — so the file written is
 * exactly what charon runs, and the steps can be repeated by hand.
 * --load-conns makes charon's connection set the file's: connections of
 * the same charon that are not in it are unloaded (run connect against a
 * charon used for muisp only).  --load-creds only adds.  The SA is read
 * back over VICI (lib/vici, list-sas) to report it; an SA already up is
 * reported, not doubled (two SAs for one address make the router bind
 * neither).
 *
 * Registration: strongSwan 5.9 never trusts an unknown self-signed
 * certificate received in IKE, so the router's charon must hold the
 * client's certificate before the client connects.  `connect` hands it
 * to muispd over the TLS control channel first (MP_T_REGISTER, through
 * k->register_cert: the router proved its name, the client needs no
 * tunnel for it), and muispd loads it into charon; with --no-register
 * the operator does (`muisp-ike load-cert FILE`).  `cert` and `connect`
 * print the certificate's path and fingerprint; a refusal for an unknown
 * certificate says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "ca.h"
#include "cli.h"
#include "vici.h"
#include "ike_conf.h"
#include "ike_watch.h"
#include "ike.h"

#define CONN		 "muisp" /* connection and child name */
#define CERT_DAYS	 3650
#define SWANCTL_FALLBACK "/usr/sbin/swanctl"

struct paths {
	char dir[600];
	char x509[640], x509ca[640], priv[640];
	char cert[700], key[700], ca[700], conf[700], log[700];
};

static int paths_init(const struct client_ike *k, struct paths *p)
{
	struct {
		char *buf;
		size_t len;
		const char *base, *name;
	} t[] = {
		{ p->x509, sizeof(p->x509), p->dir, "x509" },
		{ p->x509ca, sizeof(p->x509ca), p->dir, "x509ca" },
		{ p->priv, sizeof(p->priv), p->dir, "private" },
		{ p->cert, sizeof(p->cert), p->x509, "client.pem" },
		{ p->key, sizeof(p->key), p->priv, "client.key" },
		{ p->ca, sizeof(p->ca), p->x509ca, "muisp-ca.pem" },
		{ p->conf, sizeof(p->conf), p->dir, "swanctl.conf" },
		{ p->log, sizeof(p->log), p->dir, "connect.log" },
	};
	size_t i;

	if ((size_t)snprintf(p->dir, sizeof(p->dir), "%s/ike", k->statedir) >=
	    sizeof(p->dir))
		return cli_fail("%s: path too long", k->statedir);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		snprintf(t[i].buf, t[i].len, "%s/%s", t[i].base, t[i].name);
	if ((mkdir(p->dir, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(p->x509, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(p->x509ca, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(p->priv, 0700) < 0 && errno != EEXIST))
		return cli_fail("%s: %s", p->dir, strerror(errno));
	return 0;
}

/* The "label: value" line of muisp_ca_show() for CERT, or "". */
static void show_field(const char *cert, const char *label, char *out,
		       size_t len)
{
	struct muisp_ca_err e;
	char *buf = NULL, *s, *nl;
	size_t blen = 0, ll = strlen(label);
	FILE *fp = open_memstream(&buf, &blen);

	*out = '\0';
	if (!fp)
		return;
	if (muisp_ca_show(cert, fp, &e) < 0) {
		fclose(fp);
		free(buf);
		return;
	}
	fclose(fp);
	for (s = buf; s && *s; s = nl ? nl + 1 : NULL) {
		nl = strchr(s, '\n');
		if (!strncmp(s, label, ll) && s[ll] == ':') {
			s += ll + 1;
			s += strspn(s, " ");
			snprintf(out, len, "%.*s",
				 (int)(nl ? (size_t)(nl - s) : strlen(s)), s);
			break;
		}
	}
	free(buf);
}

/*
 * The client's certificate and key, made on first use (or when the pair
 * is incomplete or no longer valid).  Prints "certificate=PATH
 * subject=... sha256=...".
 */
static int ensure_cert(const struct paths *p, int *created, int registers)
{
	struct muisp_ca_err e = { "" };
	unsigned char r[8];
	char cn[40], subj[300], fpr[120];
	int i;

	*created = 0;
	if (access(p->cert, F_OK) == 0 && access(p->key, F_OK) == 0) {
		if (muisp_ca_verify(p->cert, p->cert, &e) == 0)
			goto print;
		cli_warn("%s: %s: making a new one", p->cert, e.msg);
	}
	if (RAND_bytes(r, sizeof(r)) != 1)
		return cli_fail("no random bytes for the certificate name");
	snprintf(cn, sizeof(cn), "anon-");
	for (i = 0; i < (int)sizeof(r); i++)
		snprintf(cn + 5 + 2 * i, 3, "%02x", r[i]);
	/* force: a lone key or certificate is useless without the other */
	if (muisp_ca_selfsign(cn, CERT_DAYS, p->cert, p->key, 1, &e) < 0)
		return cli_fail("making the client certificate: %s", e.msg);
	*created = 1;
print:
	show_field(p->cert, "subject", subj, sizeof(subj));
	show_field(p->cert, "sha256", fpr, sizeof(fpr));
	printf("certificate=%s subject=%s sha256=%s\n", p->cert, subj, fpr);
	if (*created && !registers)
		cli_warn("new self-signed certificate %s: the router must "
			 "know it before a tunnel comes up (the operator "
			 "loads it: muisp-ike load-cert FILE)",
			 p->cert);
	fflush(stdout);
	return 0;
}

/* Write LEN bytes to PATH through a temporary file and rename(). */
static int write_file(const char *path, const void *data, size_t len,
		      mode_t mode)
{
	char tmp[760];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return cli_fail("%s: %s", tmp, strerror(errno));
	if (write(fd, data, len) != (ssize_t)len || fsync(fd) < 0) {
		close(fd);
		unlink(tmp);
		return cli_fail("%s: %s", tmp, strerror(errno));
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		return cli_fail("%s: %s", path, strerror(errno));
	}
	return 0;
}

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	ssize_t n;
	int fd = open(from, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return cli_fail("%s: %s", from, strerror(errno));
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return cli_fail("%s: %s", from, strerror(errno));
	if (n == sizeof(buf))
		return cli_fail("%s: too large for a certificate", from);
	return write_file(to, buf, (size_t)n, 0644);
}

/* ---------- swanctl ---------- */

/*
 * Run swanctl ARGS [--uri URI] with SWANCTL_DIR=P->dir, its output
 * appended to LOGFD.  Returns its exit status (127: could not run it).
 */
static int swanctl(const struct client_ike *k, const struct paths *p, int logfd,
		   const char *const *args)
{
	const char *a[16];
	char *argv[16];
	int n = 0, st;
	pid_t pid;

	a[n++] = "swanctl";
	while (*args && n < 12)
		a[n++] = *args++;
	if (k->uri) {
		a[n++] = "--uri";
		a[n++] = k->uri;
	}
	a[n] = NULL;
	dprintf(logfd, "#");
	for (n = 0; a[n]; n++)
		dprintf(logfd, " %s", a[n]);
	dprintf(logfd, "\n");
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		dprintf(logfd, "muisp-client: cannot run swanctl: fork: %s\n",
			strerror(errno));
		return 127;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		for (n = 0; a[n]; n++)
			argv[n] = strdup(a[n]);
		argv[n] = NULL;
		if (null >= 0)
			dup2(null, 0);
		dup2(logfd, 1);
		dup2(logfd, 2);
		setenv("SWANCTL_DIR", p->dir, 1);
		execvp("swanctl", argv);
		if (errno == ENOENT)
			execv(SWANCTL_FALLBACK, argv);
		dprintf(2, "muisp-client: cannot run swanctl: %s\n",
			strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 127;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* The log's contents (its last 64 KiB), NUL-terminated; free() it. */
static char *slurp_log(const char *path)
{
	char *buf = calloc(1, 65537);
	ssize_t n;
	off_t size;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (!buf || fd < 0) {
		if (fd >= 0)
			close(fd);
		return buf;
	}
	size = lseek(fd, 0, SEEK_END);
	lseek(fd, size > 65536 ? size - 65536 : 0, SEEK_SET);
	n = read(fd, buf, 65536);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

/* The last line of swanctl's output that is not our "# swanctl" line. */
static void last_line(const char *log, char *out, size_t len)
{
	const char *s = log, *best = NULL, *nl;

	for (; *s; s = nl ? nl + 1 : s + strlen(s)) {
		nl = strchr(s, '\n');
		if (*s != '#' && s != nl)
			best = s;
		if (!nl)
			break;
	}
	if (!best) {
		snprintf(out, len, "no output");
		return;
	}
	nl = strchr(best, '\n');
	snprintf(out, len, "%.*s", (int)(nl ? nl - best : (long)strlen(best)),
		 best);
}

/* ---------- VICI: the SA as charon has it ---------- */

struct sa_found {
	int ike_n;	    /* IKE_SAs of our connection */
	int n;		    /* installed CHILD_SAs of our connection */
	struct ike_child c; /* the first one */
	char local_ts[64];
};

static void on_list_sa(void *arg, const char *name, const struct vici_msg *m)
{
	struct sa_found *f = arg;
	const struct vici_node *ike, *sas, *sa, *ts;
	const char *state, *cname;

	if (!m || strcmp(name, "list-sa"))
		return;
	for (ike = m->root.child; ike; ike = ike->next) {
		if (ike->type != VICI_NODE_SECTION || strcmp(ike->name, CONN))
			continue;
		f->ike_n++;
		sas = vici_node_get(ike, "child-sas");
		for (sa = sas ? sas->child : NULL; sa; sa = sa->next) {
			state = vici_find_str(sa, "state");
			cname = vici_find_str(sa, "name");
			if (!state || strcmp(state, "INSTALLED") || !cname ||
			    strcmp(cname, CONN))
				continue;
			if (f->n++)
				continue;
			if (ike_child_parse(ike, sa, &f->c) < 0) {
				f->n--;
				continue;
			}
			ts = vici_node_get(sa, "local-ts");
			if (ts && ts->type == VICI_NODE_LIST && ts->child)
				snprintf(f->local_ts, sizeof(f->local_ts), "%s",
					 ts->child->value);
		}
	}
}

/* list-sas for our connection: 0 with F filled, or -1 after a message. */
static int list_sa(const struct client_ike *k, struct sa_found *f)
{
	struct vici_builder b;
	struct vici_conn *c;
	struct vici_msg *res;
	int rc = -1;

	memset(f, 0, sizeof(*f));
	c = vici_connect(k->uri);
	if (!c) {
		cli_fail("cannot reach charon's VICI socket %s: %s (is charon "
			 "running? --uri names its socket)",
			 k->uri ? k->uri : "unix:///var/run/charon.vici",
			 strerror(errno));
		return -1;
	}
	vici_set_event_cb(c, on_list_sa, f);
	vici_builder_init(&b);
	vici_add_kv_str(&b, "ike", CONN);
	if (vici_builder_finish(&b) < 0 || vici_register(c, "list-sa") < 0) {
		cli_fail("charon: registering for list-sa: %s",
			 strerror(errno));
		goto out;
	}
	res = vici_command(c, "list-sas", &b);
	if (!res) {
		cli_fail("charon: list-sas: %s", strerror(errno));
		goto out;
	}
	vici_msg_free(res);
	vici_unregister(c, "list-sa");
	rc = 0;
out:
	vici_builder_reset(&b);
	vici_close(c);
	return rc;
}

static void print_sa(const char *what, const struct sa_found *f)
{
	const struct ike_child *c = &f->c;

	printf("%s router=%s id=%s proto=%s", what, c->remote_host,
	       c->remote_id[0] ? c->remote_id : "-",
	       c->proto == IPPROTO_AH ? "AH" : "ESP");
	if (c->encr_alg[0])
		printf(" encr=%s-%u", c->encr_alg, c->encr_keysize);
	if (c->integ_alg[0])
		printf(" integ=%s", c->integ_alg);
	printf(" local_ts=%s spi_in=0x%08x spi_out=0x%08x\n",
	       f->local_ts[0] ? f->local_ts : "-", c->spi_in, c->spi_out);
	fflush(stdout);
}

/* ---------- commands ---------- */

/* An address or a host name: letters, digits and . : - only. */
static int valid_host(const char *s)
{
	if (!s || !*s || strlen(s) > 253)
		return 0;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789.:-",
			    *s))
			return 0;
	return 1;
}

int client_ike_cert(const struct client_ike *k)
{
	struct paths p;
	int created;

	if (paths_init(k, &p))
		return 1;
	return ensure_cert(&p, &created, 0) ? 1 : 0;
}

/* Does one line of LOG contain both A and B? */
static int has_line(const char *log, const char *a, const char *b)
{
	const char *s, *nl;
	size_t n;

	for (s = log; *s; s = nl + 1) {
		nl = strchrnul(s, '\n');
		n = (size_t)(nl - s);
		if (memmem(s, n, a, strlen(a)) && memmem(s, n, b, strlen(b)))
			return 1;
		if (!*nl)
			break;
	}
	return 0;
}

/*
 * Why IKE failed, from what swanctl printed (charon's messages for the
 * IKE_SA, log level 1).  We refused the router: charon found no trusted
 * key for its identity ("no trusted RSA public key found", when nothing
 * for that name chains to the pinned CA) or the signature did not verify
 * with the key of a certificate that does ("signature validation
 * failed"), and told the router AUTH_FAILED.  The router refused us: it
 * answered AUTH_FAILED (an unregistered client certificate, or an IDr
 * that is not its name).
 */
static int explain(const struct client_ike *k, const struct paths *p,
		   const char *log)
{
	char line[300];

	if (strstr(log, "no trusted RSA public key found for") ||
	    strstr(log, "no trusted ECDSA public key found for") ||
	    strstr(log, "signature validation failed") ||
	    strstr(log, "constraint check failed") ||
	    has_line(log, "generating INFORMATIONAL request", "N(AUTH_FAILED)"))
		return cli_fail("refused the router: it did not prove '%s' "
				"with a certificate from the muISP CA %s "
				"(details: %s)",
				k->router_id, k->cacert, p->log);
	if (strstr(log, "received AUTHENTICATION_FAILED notify"))
		return cli_fail("the router refused to authenticate this "
				"client: its certificate must be registered "
				"with the router first (the operator runs: "
				"muisp-ike load-cert %s), and --router-id '%s' "
				"must be the router's name (details: %s)",
				p->cert, k->router_id, p->log);
	if (strstr(log, "received NO_PROPOSAL_CHOSEN notify"))
		return cli_fail("the router accepts none of our proposals (%s) "
				"(details: %s)",
				k->privacy ? "ESP AES-GCM" : "AH HMAC-SHA-256",
				p->log);
	if (strstr(log, "giving up after") || strstr(log, "retransmit"))
		return cli_fail("no IKE answer from the router at %s "
				"(details: %s)",
				k->router, p->log);
	last_line(log, line, sizeof(line));
	return cli_fail("IKE with the router at %s failed: %s (details: %s)",
			k->router, line, p->log);
}

/* The certificate to the router (DER), before IKE. */
static int register_cert(const struct client_ike *k, const struct paths *p)
{
	unsigned char *der = NULL;
	X509 *x = NULL;
	FILE *fp = fopen(p->cert, "re");
	int len, rc;

	if (fp) {
		x = PEM_read_X509(fp, NULL, NULL, NULL);
		fclose(fp);
	}
	len = x ? i2d_X509(x, &der) : -1;
	X509_free(x);
	if (len <= 0)
		return cli_fail("%s: cannot read the certificate", p->cert);
	rc = k->register_cert(der, (size_t)len);
	OPENSSL_free(der);
	return rc;
}

int client_ike_connect(const struct client_ike *k)
{
	static const char *const load_creds[] = { "--load-creds", "--noprompt",
						  NULL };
	static const char *const load_conns[] = { "--load-conns", NULL };
	struct ike_client_conf cc = { 0 };
	struct muisp_ca_err e = { "" };
	struct sa_found f;
	char timeout[16], isca[8], line[300], *conf = NULL, *log;
	const char *initiate[] = { "--initiate", "--child", CONN,
				   "--timeout",	 timeout,   NULL };
	const char *terminate[] = { "--terminate", "--ike", CONN,
				    "--timeout",   timeout, NULL };
	size_t conflen = 0;
	struct paths p;
	FILE *fp;
	int created, logfd, st;

	if (!valid_host(k->router))
		return cli_badarg("--router", k->router,
				  "an address or host name");
	if (!muisp_ca_valid_name(k->router_id) ||
	    strpbrk(k->router_id, "{}'")) /* swanctl.conf syntax */
		return cli_badarg("--router-id", k->router_id,
				  "the name in the router's certificate (1-64 "
				  "ASCII characters, no blanks or "
				  ",=+/\\\"<>;#{}')");
	if (paths_init(k, &p))
		return 1;
	/* the CA the router's certificate must come from */
	if (muisp_ca_verify(k->cacert, k->cacert, &e) < 0)
		return cli_fail("--cacert %s: not a usable CA certificate: %s",
				k->cacert, e.msg);
	show_field(k->cacert, "ca", isca, sizeof(isca));
	if (strcmp(isca, "yes"))
		return cli_fail("--cacert %s: not a CA certificate", k->cacert);
	cc.name = CONN;
	cc.router = k->router;
	cc.router_id = k->router_id;
	cc.cacert = "muisp-ca.pem";
	cc.cert = "client.pem";
	cc.privacy = k->privacy;
	fp = open_memstream(&conf, &conflen);
	if (!fp)
		return cli_fail("out of memory");
	st = ike_conf_client(fp, &cc);
	fclose(fp);
	if (st < 0) {
		free(conf);
		return cli_fail("generating swanctl.conf failed");
	}
	if (ensure_cert(&p, &created, k->register_cert != NULL) ||
	    copy_file(k->cacert, p.ca) ||
	    write_file(p.conf, conf, conflen, 0644)) {
		free(conf);
		return 1;
	}
	free(conf);

	/* already up?  Another initiate would make a second SA */
	if (list_sa(k, &f) < 0)
		return 1;
	if (f.n) {
		if ((f.c.proto == IPPROTO_ESP) != !!k->privacy)
			return cli_fail("already connected with %s: "
					"disconnect first",
					f.c.proto == IPPROTO_AH ? "AH" : "ESP");
		print_sa("connected", &f);
		cli_warn("already connected");
		return 0;
	}

	if (k->register_cert && register_cert(k, &p))
		return 1;
	logfd = open(p.log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (logfd < 0)
		return cli_fail("%s: %s", p.log, strerror(errno));
	snprintf(timeout, sizeof(timeout), "%d", k->timeout_s);
	st = swanctl(k, &p, logfd, load_creds);
	if (st == 0)
		st = swanctl(k, &p, logfd, load_conns);
	if (st != 0) {
		close(logfd);
		log = slurp_log(p.log);
		last_line(log ? log : "", line, sizeof(line));
		free(log);
		if (st == 127)
			return cli_fail("%s (install strongswan-swanctl)",
					line);
		return cli_fail("loading %s into charon failed: %s "
				"(details: %s)",
				p.conf, line, p.log);
	}
	st = swanctl(k, &p, logfd, initiate);
	if (st != 0) {
		log = slurp_log(p.log);
		/* charon keeps an IKE_SA whose CHILD_SA failed: end it */
		if (list_sa(k, &f) == 0 && f.ike_n && !f.n)
			swanctl(k, &p, logfd, terminate);
		close(logfd);
		st = explain(k, &p, log ? log : "");
		free(log);
		return st;
	}
	close(logfd);
	if (list_sa(k, &f) < 0)
		return 1;
	if (!f.n)
		return cli_fail("swanctl initiated, but charon has no "
				"installed CHILD_SA '%s' (details: %s)",
				CONN, p.log);
	print_sa("connected", &f);
	return 0;
}

int client_ike_disconnect(const struct client_ike *k)
{
	char timeout[16], logpath[700], *log, line[300];
	const char *terminate[] = { "--terminate", "--ike", CONN,
				    "--timeout",   timeout, NULL };
	struct sa_found f;
	struct paths p;
	int logfd, st;

	if (paths_init(k, &p))
		return 1;
	if (list_sa(k, &f) < 0)
		return 1;
	if (!f.ike_n) {
		printf("not connected\n");
		return 0;
	}
	snprintf(logpath, sizeof(logpath), "%s/disconnect.log", p.dir);
	logfd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (logfd < 0)
		return cli_fail("%s: %s", logpath, strerror(errno));
	snprintf(timeout, sizeof(timeout), "%d", k->timeout_s);
	st = swanctl(k, &p, logfd, terminate);
	close(logfd);
	if (st != 0) {
		log = slurp_log(logpath);
		last_line(log ? log : "", line, sizeof(line));
		free(log);
		return cli_fail("terminating the tunnel failed: %s "
				"(details: %s)",
				line, logpath);
	}
	if (f.n)
		print_sa("disconnected", &f);
	else
		printf("disconnected (no CHILD_SA was up)\n");
	return 0;
}

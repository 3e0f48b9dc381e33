// SPDX-License-Identifier: GPL-2.0
/*
 * muisp-client: the user's side of the muisp control channel (and, with
 * -O, the operator's local socket).  See muisp-client(1).
 *
 * Receipts are kept in the state directory as receipts/<serial> (raw
 * receipt bytes), written atomically (temp file, fsync, rename, fsync of
 * the directory); "current" names the contract in use.  holder.key (an
 * Ed25519 key, mode 0600, made at the first purchase) is the key every
 * purchase commits to: the router binds such a receipt on another
 * address only for a signature of its challenge with this key, so a
 * copied receipt alone is no use to anyone (PROTOCOL.md §6).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "cli.h"
#include "contract.h"
#include "parse.h"
#include "proto.h"
#include "client.h"
#include "ike.h"

static struct {
	const char *server, *port, *ca, *name, *statedir, *opsock, *source;
	const char *router, *router_id, *cacert, *uri;
	int plain, wait_s, wait_set, privacy, start, no_register;
	int io_timeout_s; /* a stuck router: the handshake, a frame */
	uint64_t serial;
	const char *method, *pay, *password, *room;
	const char *roam; /* --roam user@realm */
	int secret_fd;	  /* --secret-fd, -1: the terminal, else stdin */
	int fd;
	SSL *ssl;
	SSL_CTX *ctx;
	uint32_t seq;
	int fatal_exit;
} G = {
	.server = "192.0.2.1",
	.port = "4433",
	.ca = "/etc/muisp/ca.crt",
	.method = "voucher",
	.wait_s = 10,
	.io_timeout_s = 20,
	.secret_fd = -1,
	.fd = -1,
};

/* Command-line numbers: decimal, at most max; a bad one ends the run with
 * "invalid KEY 'VAL': WHY" and exit status 2. */
static uint64_t number(const char *key, const char *s, uint64_t max)
{
	const char *why;
	uint64_t v;

	if (parse_uint(s, max, &v, &why) < 0)
		exit(cli_badarg(key, s, why));
	return v;
}

/* A name of the protocol's vocabulary (metrics, methods: 1..last-1); a
 * bad one ends the run with the names it could be. */
static int name_arg(const char *key, const char *s, int (*parse)(const char *),
		    const char *(*name)(int), int last)
{
	char why[80];
	int v = parse(s);

	if (v >= 0)
		return v;
	exit(cli_badarg(key, s,
			parse_expected(why, sizeof(why), name, 1, last)));
}

static int metric_arg(const char *key, const char *s)
{
	return name_arg(key, s, mp_metric_parse, mp_metric_name,
			__MP_METRIC_LAST);
}

static int method_arg(const char *key, const char *s)
{
	return name_arg(key, s, mp_method_parse, mp_method_name,
			__MP_METHOD_LAST);
}

/* ---------- state directory ---------- */

/* mkdir -p with mode 0700. */
static void mkdirs(const char *path)
{
	char p[600];

	snprintf(p, sizeof(p), "%s", path);
	for (char *q = p + 1; *q; q++)
		if (*q == '/') {
			*q = '\0';
			mkdir(p, 0700);
			*q = '/';
		}
	if (mkdir(p, 0700) && errno != EEXIST)
		cli_die("%s: %s", p, strerror(errno));
}

static void statedir_init(void)
{
	static char buf[512];
	char sub[600];

	if (!G.statedir) {
		const char *x = getenv("XDG_STATE_HOME"), *h = getenv("HOME");

		if (x && *x)
			snprintf(buf, sizeof(buf), "%s/muisp", x);
		else if (h && *h)
			snprintf(buf, sizeof(buf), "%s/.local/state/muisp", h);
		else
			snprintf(buf, sizeof(buf), "/var/lib/muisp-client");
		G.statedir = buf;
	}
	snprintf(sub, sizeof(sub), "%s/receipts", G.statedir);
	mkdirs(sub);
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Atomically replace dir/name with data. */
static void write_atomic(const char *dir, const char *name, const void *data,
			 size_t len)
{
	char tmp[700], dst[700];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		cli_die("%s: %s", tmp, strerror(errno));
	if (write(fd, data, len) != (ssize_t)len || fsync(fd) || close(fd))
		cli_die("%s: %s", tmp, strerror(errno));
	if (rename(tmp, dst) || fsync_dir(dir))
		cli_die("%s: %s", dst, strerror(errno));
}

static void save_receipt(uint64_t serial, const uint8_t *r, size_t len)
{
	char dir[600], name[32], cur[32];

	snprintf(dir, sizeof(dir), "%s/receipts", G.statedir);
	snprintf(name, sizeof(name), "%llu", (unsigned long long)serial);
	write_atomic(dir, name, r, len);
	snprintf(cur, sizeof(cur), "%llu\n", (unsigned long long)serial);
	write_atomic(G.statedir, "current", cur, strlen(cur));
}

static int load_receipt(uint64_t serial, uint8_t *r, size_t *len)
{
	char path[700];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/receipts/%llu", G.statedir,
		 (unsigned long long)serial);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, r, MP_BYTES_MAX);
	close(fd);
	if (n <= 0)
		return -1;
	*len = (size_t)n;
	return 0;
}

uint64_t current_serial(void)
{
	char path[700], buf[32] = "";
	FILE *f;

	if (G.serial)
		return G.serial;
	snprintf(path, sizeof(path), "%s/current", G.statedir);
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		cli_die("no current contract (buy or bind first, or use -c)");
	fclose(f);
	return strtoull(buf, NULL, 10);
}

static void forget_receipt(uint64_t serial)
{
	char path[700];

	snprintf(path, sizeof(path), "%s/receipts/%llu", G.statedir,
		 (unsigned long long)serial);
	unlink(path);
	snprintf(path, sizeof(path), "%s/current", G.statedir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/receipts", G.statedir);
	fsync_dir(path);
}

/* ---------- the holder key ---------- */

/* STATEDIR/holder.key; made (create) when there is none.  NULL if there
 * is none and create is 0. */
EVP_PKEY *holder_key(int create)
{
	char path[700];
	EVP_PKEY *k = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/holder.key", G.statedir);
	f = fopen(path, "re");
	if (f) {
		k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
		if (!k || EVP_PKEY_get_id(k) != EVP_PKEY_ED25519)
			cli_die("%s: not an Ed25519 private key", path);
		return k;
	}
	if (errno != ENOENT)
		cli_die("%s: %s", path, strerror(errno));
	if (!create)
		return NULL;
	{
		BIO *b = BIO_new(BIO_s_mem());
		char *pem;
		long n;

		k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		if (!k || !b ||
		    !PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL))
			cli_die("cannot make a holder key");
		n = BIO_get_mem_data(b, &pem);
		/* mode 0600, atomically (as the receipts) */
		write_atomic(G.statedir, "holder.key", pem, (size_t)n);
		BIO_free(b);
	}
	return k;
}

/* ---------- channel ---------- */

/* Connected on first use, after the command checked its arguments. */
void connect_channel(void)
{
	if (G.fd >= 0)
		return;
	if (G.opsock) {
		struct sockaddr_un su = { .sun_family = AF_UNIX };

		snprintf(su.sun_path, sizeof(su.sun_path), "%s", G.opsock);
		G.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (G.fd < 0 ||
		    connect(G.fd, (struct sockaddr *)&su, sizeof(su)))
			cli_die("%s: %s", G.opsock, strerror(errno));
		return;
	}
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int rc = getaddrinfo(G.server, G.port, &hints, &res);

	if (rc)
		cli_die("%s: %s", G.server, gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		G.fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			      ai->ai_protocol);
		if (G.fd < 0)
			continue;
		if (G.source) {
			struct addrinfo *src;

			if (getaddrinfo(G.source, NULL, &hints, &src))
				cli_die("%s: bad source address", G.source);
			if (bind(G.fd, src->ai_addr, src->ai_addrlen))
				cli_die("bind %s: %s", G.source,
					strerror(errno));
			freeaddrinfo(src);
		}
		if (!connect(G.fd, ai->ai_addr, ai->ai_addrlen))
			break;
		close(G.fd);
		G.fd = -1;
	}
	freeaddrinfo(res);
	if (G.fd < 0)
		cli_die("connect %s port %s: %s", G.server, G.port,
			strerror(errno));
	{
		/* Never hang on a stuck router (TLS handshake included). */
		struct timeval tv = { .tv_sec = G.io_timeout_s };

		setsockopt(G.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(G.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	if (G.plain)
		return;
	G.ctx = SSL_CTX_new(TLS_client_method());
	if (!G.ctx || !SSL_CTX_set_min_proto_version(G.ctx, TLS1_3_VERSION))
		cli_die("TLS init");
	/* a record without data returns to read_full(), not blocks */
	SSL_CTX_clear_mode(G.ctx, SSL_MODE_AUTO_RETRY);
	/* The router must prove it is a bona fide muISP (§4). */
	if (SSL_CTX_load_verify_locations(G.ctx, G.ca, NULL) != 1)
		cli_die("%s: cannot load CA", G.ca);
	SSL_CTX_set_verify(G.ctx, SSL_VERIFY_PEER, NULL);
	G.ssl = SSL_new(G.ctx);
	SSL_set_fd(G.ssl, G.fd);
	{
		char host[256];

		snprintf(host, sizeof(host), "%s", G.name ? G.name : G.server);
		SSL_set_tlsext_host_name(G.ssl, host);
	}
	if (!SSL_set1_host(G.ssl, G.name ? G.name : G.server))
		cli_die("TLS host");
	if (SSL_connect(G.ssl) != 1)
		cli_die("TLS handshake with %s failed: %s", G.server,
			ERR_reason_error_string(ERR_get_error()));
}

void send_msg(struct mp_msg *m)
{
	uint8_t buf[MP_MAX_FRAME];
	int n = mp_encode(m, buf, sizeof(buf));

	if (n < 0)
		cli_die("encode: %s", mp_strerror(n));
	if (G.ssl ? SSL_write(G.ssl, buf, n) != n :
		    write(G.fd, buf, (size_t)n) != n)
		cli_die("send failed");
}

/*
 * len bytes; 1, or 0 if nothing came in timeout_ms (-1: the rest of a
 * frame, which a live router sends at once: --io-timeout), or -1.  A TLS record
 * without data (the router's session tickets, after the handshake) is
 * read and waited past: were SSL_read() left to block for data after it,
 * a watch would end at the socket's time-out when no warning came.
 */
static int read_full(uint8_t *p, size_t len, int timeout_ms)
{
	int wait_ms = timeout_ms >= 0 ? timeout_ms : G.io_timeout_s * 1000;
	size_t got = 0;

	while (got < len) {
		ssize_t n;

		if (!(G.ssl && SSL_pending(G.ssl))) {
			struct pollfd pfd = { G.fd, POLLIN, 0 };
			int r = poll(&pfd, 1, wait_ms);

			if (r == 0)
				return timeout_ms >= 0 && !got ? 0 : -1;
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return -1;
		}
		n = G.ssl ? SSL_read(G.ssl, p + got, (int)(len - got)) :
			    read(G.fd, p + got, len - got);
		if (n <= 0 && G.ssl &&
		    SSL_get_error(G.ssl, (int)n) == SSL_ERROR_WANT_READ)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 1;
}

/* One message; 1 ok, 0 timeout, -1 closed. */
int recv_msg(struct mp_msg *m, int timeout_ms)
{
	uint8_t buf[MP_MAX_FRAME];
	int flen, rc;

	rc = read_full(buf, MP_HDR_LEN, timeout_ms);
	if (rc <= 0)
		return rc;
	flen = mp_frame_len(buf, MP_HDR_LEN);
	if (flen < 0)
		cli_die("bad frame from router: %s", mp_strerror(flen));
	if (flen > MP_HDR_LEN &&
	    read_full(buf + MP_HDR_LEN, (size_t)flen - MP_HDR_LEN, -1) <= 0)
		return -1;
	rc = mp_decode(buf, (size_t)flen, m);
	if (rc)
		cli_die("bad message from router: %s", mp_strerror(rc));
	return 1;
}

static void print_warning(const struct mp_msg *m)
{
	printf("warning: %s serial=%llu usage=%llu soft=%llu hard=%llu",
	       mp_warning_name((int)m->u[MP_A_WARNING]),
	       (unsigned long long)m->u[MP_A_SERIAL],
	       (unsigned long long)m->u[MP_A_USAGE],
	       (unsigned long long)m->u[MP_A_SOFT],
	       (unsigned long long)m->u[MP_A_HARD]);
	/* an expiry warning ahead of the expiry: state not extinguished */
	if (mp_has(m, MP_A_STATE))
		printf(" state=%s", contract_state_name((int)m->u[MP_A_STATE]));
	if (mp_has(m, MP_A_EXPIRY))
		printf(" expiry=%llu", (unsigned long long)m->u[MP_A_EXPIRY]);
	printf("\n");
	fflush(stdout);
}

/* Warnings are shown and answered: answering keeps the binding when our
 * receipt is presented elsewhere (a replay). */
void handle_async(const struct mp_msg *m)
{
	struct mp_msg ack;

	print_warning(m);
	mp_init(&ack, MP_T_WARNING_ACK, 0, ++G.seq);
	mp_set_u(&ack, MP_A_SERIAL, m->u[MP_A_SERIAL]);
	mp_set_u(&ack, MP_A_WARNING, m->u[MP_A_WARNING]);
	send_msg(&ack);
}

/* Send req and wait for its reply(ies); returns the reply type. */
int transact(struct mp_msg *req, struct mp_msg *rep)
{
	int rc;

	connect_channel();
	req->serial = ++G.seq;
	send_msg(req);
	for (;;) {
		rc = recv_msg(rep, 30000);
		if (rc <= 0)
			cli_die("no reply from the router");
		if (rep->flags & MP_F_ASYNC) {
			handle_async(rep);
			continue;
		}
		if (rep->serial != req->serial && rep->serial)
			continue;
		return rep->type;
	}
}

static int error_of(const struct mp_msg *rep)
{
	if (rep->type != MP_T_ERROR)
		return 0;
	cli_warn("%s: %s", mp_error_name((int)rep->u[MP_A_ERROR]),
		 mp_has(rep, MP_A_MESSAGE) ? rep->s[MP_A_MESSAGE] : "");
	return (int)rep->u[MP_A_ERROR];
}

static void print_status(const struct mp_msg *m)
{
	printf("serial=%llu state=%s usage=%llu soft=%llu hard=%llu "
	       "metric=%s method=%s deposit=%llu expiry=%llu",
	       (unsigned long long)m->u[MP_A_SERIAL],
	       contract_state_name((int)m->u[MP_A_STATE]),
	       (unsigned long long)m->u[MP_A_USAGE],
	       (unsigned long long)m->u[MP_A_SOFT],
	       (unsigned long long)m->u[MP_A_HARD],
	       mp_metric_name((int)m->u[MP_A_METRIC]),
	       mp_method_name((int)m->u[MP_A_METHOD]),
	       (unsigned long long)m->u[MP_A_AMOUNT],
	       (unsigned long long)m->u[MP_A_EXPIRY]);
	if (mp_has(m, MP_A_ADDR))
		printf(" addr=%s", m->s[MP_A_ADDR]);
	if (mp_has(m, MP_A_PASSWORD))
		printf(" password=%s", m->s[MP_A_PASSWORD]);
	if (mp_has(m, MP_A_CHARGE))
		printf(" charge=%llu refund=%llu",
		       (unsigned long long)m->u[MP_A_CHARGE],
		       (unsigned long long)m->u[MP_A_REFUND]);
	printf("\n");
}

static void print_statement(const struct mp_msg *m)
{
	if (mp_has(m, MP_A_ROOM))
		printf("room=%s balance=%llu\n", m->s[MP_A_ROOM],
		       (unsigned long long)m->u[MP_A_BALANCE]);
	else
		printf("statement serial=%llu usage=%llu deposit=%llu "
		       "charge=%llu refund=%llu\n",
		       (unsigned long long)m->u[MP_A_SERIAL],
		       (unsigned long long)m->u[MP_A_USAGE],
		       (unsigned long long)m->u[MP_A_AMOUNT],
		       (unsigned long long)m->u[MP_A_CHARGE],
		       (unsigned long long)m->u[MP_A_REFUND]);
	for (unsigned i = 0; i < m->nlines; i++)
		printf("  %-6s %8llu  %s\n",
		       m->lines[i].credit ? "credit" : "debit",
		       (unsigned long long)m->lines[i].amount,
		       m->lines[i].desc);
}

/* ---------- commands ---------- */

static int cmd_offer(void)
{
	struct mp_msg req, rep;

	mp_init(&req, MP_T_OFFER_GET, 0, 0);
	if (G.privacy >= 0)
		mp_set_u(&req, MP_A_PRIVACY, (uint64_t)G.privacy);
	if (transact(&req, &rep) != MP_T_OFFER)
		return error_of(&rep) ? 1 : 1;
	printf("offer=%llu time=%llu expiry=%llu currency=%s load=%llu\n",
	       (unsigned long long)rep.u[MP_A_OFFER_SERIAL],
	       (unsigned long long)rep.u[MP_A_TIME],
	       (unsigned long long)rep.u[MP_A_EXPIRY], rep.s[MP_A_CURRENCY],
	       (unsigned long long)rep.u[MP_A_LOAD]);
	for (unsigned i = 0; i < rep.nitems; i++)
		printf("  %-8s %-8s %-3s %llu per %llu\n",
		       mp_metric_name(rep.items[i].metric),
		       mp_method_name(rep.items[i].method),
		       rep.items[i].privacy ? "esp" : "ah",
		       (unsigned long long)rep.items[i].price,
		       (unsigned long long)rep.items[i].unit);
	return 0;
}

static int simple(uint8_t type, uint64_t serial, uint64_t soft,
		  struct mp_msg *rep)
{
	struct mp_msg req;

	mp_init(&req, type, 0, 0);
	mp_set_u(&req, MP_A_SERIAL, serial);
	if (type == MP_T_EXTEND)
		mp_set_u(&req, MP_A_SOFT, soft);
	return transact(&req, rep);
}

/*
 * The roaming password (never argv or the environment): one line from
 * --secret-fd, else from the terminal with echo off, else (no terminal)
 * from stdin.  0, or -1 with none.
 */
static int read_secret(char *out, size_t cap)
{
	struct termios old, raw;
	int fd = G.secret_fd, tty = -1, echo_off = 0;
	size_t n = 0;
	char ch;

	if (fd < 0) {
		tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
		fd = tty >= 0 ? tty : STDIN_FILENO;
	}
	if (tty >= 0) {
		dprintf(tty, "password for %s: ", G.roam);
		if (!tcgetattr(tty, &old)) {
			raw = old;
			raw.c_lflag &= ~(tcflag_t)ECHO;
			echo_off = !tcsetattr(tty, TCSAFLUSH, &raw);
		}
	}
	while (n + 1 < cap) {
		ssize_t r = read(fd, &ch, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || ch == '\n')
			break;
		if (ch != '\r')
			out[n++] = ch;
	}
	out[n] = '\0';
	if (tty >= 0) {
		if (echo_off)
			tcsetattr(tty, TCSAFLUSH, &old);
		dprintf(tty, "\n");
		close(tty);
	}
	return n ? 0 : -1;
}

static int cmd_buy(int argc, char **argv)
{
	char secret[MP_STR_MAX + 1] = "";
	struct mp_msg req, rep;
	int metric, method;
	uint64_t serial, soft, hard;

	if (argc != 3)
		exit(cli_usage("buy takes METRIC SOFT HARD"));
	metric = metric_arg("metric", argv[0]);
	method = method_arg("-m", G.method);
	soft = number("SOFT", argv[1], UINT64_MAX);
	hard = number("HARD", argv[2], UINT64_MAX);
	if (G.roam && read_secret(secret, sizeof(secret)))
		exit(cli_usage("--roam: no password given"));
	mp_init(&req, MP_T_OFFER_GET, 0, 0);
	if (transact(&req, &rep) != MP_T_OFFER)
		return error_of(&rep) ? 1 : 1;
	mp_init(&req, MP_T_REQUEST, 0, 0);
	mp_set_u(&req, MP_A_OFFER_SERIAL, rep.u[MP_A_OFFER_SERIAL]);
	mp_set_u(&req, MP_A_METRIC, (uint64_t)metric);
	mp_set_u(&req, MP_A_METHOD, (uint64_t)method);
	mp_set_u(&req, MP_A_PRIVACY, G.privacy > 0 ? 1 : 0);
	mp_set_u(&req, MP_A_SOFT, soft);
	mp_set_u(&req, MP_A_HARD, hard);
	if (transact(&req, &rep) != MP_T_QUOTE)
		return error_of(&rep) ? 1 : 1;
	serial = rep.u[MP_A_SERIAL];
	printf("quote serial=%llu deposit=%llu\n", (unsigned long long)serial,
	       (unsigned long long)rep.u[MP_A_AMOUNT]);
	{
		EVP_PKEY *k = holder_key(1);
		uint8_t pub[32];
		size_t plen = sizeof(pub);
		uint64_t amount = rep.u[MP_A_AMOUNT];

		if (EVP_PKEY_get_raw_public_key(k, pub, &plen) != 1 ||
		    plen != sizeof(pub))
			cli_die("holder key: no public key");
		EVP_PKEY_free(k);
		mp_init(&req, MP_T_DEPOSIT, 0, 0);
		mp_set_u(&req, MP_A_SERIAL, serial);
		mp_set_u(&req, MP_A_METHOD, (uint64_t)method);
		mp_set_u(&req, MP_A_AMOUNT, amount);
		if (G.pay)
			mp_set_s(&req, MP_A_PAYMENT, G.pay);
		if (G.roam && (mp_set_s(&req, MP_A_IDENTITY, G.roam) ||
			       mp_set_s(&req, MP_A_SECRET, secret)))
			exit(cli_usage("--roam: identity or password too "
				       "long or not printable ASCII"));
		explicit_bzero(secret, sizeof(secret));
		mp_set_fix(&req, MP_A_HOLDER_KEY, pub, sizeof(pub));
		if (transact(&req, &rep) == MP_T_ERROR &&
		    rep.u[MP_A_ERROR] == MP_ERR_PROTO) {
			/* An earlier router: no holder key in the receipt. */
			cli_warn("the router takes no holder key: the receipt "
				 "binds for whoever holds it");
			req.present &= ~(1ull << MP_A_HOLDER_KEY);
			transact(&req, &rep);
		}
		explicit_bzero(req.s[MP_A_SECRET], sizeof(req.s[MP_A_SECRET]));
		if (rep.type != MP_T_RECEIPT)
			return error_of(&rep) ? 1 : 1;
	}
	save_receipt(serial, rep.bytes, rep.bytes_len);
	print_status(&rep);
	if (G.start) {
		if (simple(MP_T_START, serial, 0, &rep) != MP_T_STATUS)
			return error_of(&rep) ? 1 : 1;
		print_status(&rep);
	}
	return 0;
}

/*
 * BIND (or STATEMENT_GET: type) receipt r; when the router asks for the
 * holder's proof (a MUR2 receipt, to be bound where it is not bound),
 * sign its challenge with holder.key and ask again.  The reply type.
 */
static int present_receipt(uint8_t type, const uint8_t *r, size_t len,
			   struct mp_msg *rep)
{
	uint8_t msg[MP_BIND_LABEL_LEN + 32 + MP_BYTES_MAX], sig[64];
	uint8_t chal[32];
	struct mp_msg req;
	EVP_MD_CTX *ctx;
	EVP_PKEY *k;
	size_t n, slen = sizeof(sig);

	mp_init(&req, type, 0, 0);
	mp_set_bytes(&req, MP_A_RECEIPT, r, len);
	if (transact(&req, rep) != MP_T_ERROR ||
	    rep->u[MP_A_ERROR] != MP_ERR_PROOF || !mp_has(rep, MP_A_CHALLENGE))
		return rep->type;
	k = holder_key(0);
	if (!k)
		cli_die("the router wants the receipt's holder key: %s/holder.key "
			"is missing",
			G.statedir);
	memcpy(chal, mp_fix(rep, MP_A_CHALLENGE), sizeof(chal));
	n = mp_bind_message(chal, r, len, msg, sizeof(msg));
	ctx = EVP_MD_CTX_new();
	if (!n || !ctx || EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) != 1 ||
	    EVP_DigestSign(ctx, sig, &slen, msg, n) != 1 || slen != sizeof(sig))
		cli_die("cannot sign with the holder key");
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	mp_set_fix(&req, MP_A_CHALLENGE, chal, sizeof(chal));
	mp_set_fix(&req, MP_A_SIGNATURE, sig, sizeof(sig));
	return transact(&req, rep);
}

static int cmd_bind(void)
{
	struct mp_msg req, rep;
	uint8_t r[MP_BYTES_MAX];
	size_t len;
	time_t deadline = time(NULL) + G.wait_s;

	if (G.password) {
		mp_init(&req, MP_T_BIND, 0, 0);
		mp_set_s(&req, MP_A_PASSWORD, G.password);
		if (transact(&req, &rep) != MP_T_RECEIPT)
			return error_of(&rep) ? 1 : 1;
		save_receipt(rep.u[MP_A_SERIAL], rep.bytes, rep.bytes_len);
		print_status(&rep);
		return 0;
	}
	uint64_t serial = current_serial();

	if (load_receipt(serial, r, &len))
		cli_die("no stored receipt for contract %llu",
			(unsigned long long)serial);
	for (;;) {
		if (present_receipt(MP_T_BIND, r, len, &rep) == MP_T_STATUS)
			break;
		/* Bound elsewhere: the router warns the old address and
		 * unbinds it if it does not answer; retry until then. */
		if (rep.type == MP_T_ERROR &&
		    rep.u[MP_A_ERROR] == MP_ERR_ELSEWHERE &&
		    time(NULL) < deadline) {
			struct mp_msg w;

			/* wait ~1 s, answering warnings meanwhile */
			while (recv_msg(&w, 1000) > 0)
				if (w.flags & MP_F_ASYNC)
					handle_async(&w);
			continue;
		}
		return error_of(&rep) ? 1 : 1;
	}
	print_status(&rep);
	if (G.start) {
		if (simple(MP_T_START, serial, 0, &rep) != MP_T_STATUS)
			return error_of(&rep) ? 1 : 1;
		print_status(&rep);
	}
	return 0;
}

static int cmd_simple(uint8_t type, int argc, char **argv)
{
	struct mp_msg rep;
	uint64_t serial, soft = 0;
	int t;

	if (type == MP_T_EXTEND) {
		if (argc != 1)
			exit(cli_usage("extend takes SOFT"));
		soft = number("SOFT", argv[0], UINT64_MAX);
	}
	serial = current_serial();
	t = simple(type, serial, soft, &rep);

	if (t == MP_T_STATUS) {
		print_status(&rep);
		return 0;
	}
	if (t == MP_T_STATEMENT) {
		print_statement(&rep);
		forget_receipt(serial);
		return 0;
	}
	return error_of(&rep) ? 1 : 1;
}

/* The statement of the current contract once it has ended (the hard
 * limit or the expiry ended it while nobody asked); then its receipt is
 * forgotten, as after terminate. */
static int cmd_statement(void)
{
	uint64_t serial = current_serial();
	uint8_t r[MP_BYTES_MAX];
	struct mp_msg rep;
	size_t len;

	if (load_receipt(serial, r, &len))
		cli_die("no stored receipt for contract %llu",
			(unsigned long long)serial);
	if (present_receipt(MP_T_STATEMENT_GET, r, len, &rep) != MP_T_STATEMENT)
		return error_of(&rep) ? 1 : 1;
	print_statement(&rep);
	forget_receipt(serial);
	return 0;
}

/* Keep the channel open: show warnings and answer them. */
static int cmd_watch(int argc, char **argv)
{
	uint64_t secs = argc ? number("SECONDS", argv[0], INT32_MAX) : 0;
	time_t end = time(NULL) + (time_t)secs;
	struct mp_msg m;

	connect_channel();
	printf("watching\n");
	fflush(stdout);
	while (!secs || time(NULL) < end) {
		int rc = recv_msg(&m, 500);

		if (rc < 0)
			return 1;
		if (rc > 0 && (m.flags & MP_F_ASYNC))
			handle_async(&m);
	}
	return 0;
}

static int cmd_op(int argc, char **argv)
{
	struct mp_msg req, rep;
	const char *what = argc ? argv[0] : "";

	if (!strcmp(what, "voucher-issue") && argc == 2) {
		mp_init(&req, MP_T_OP_VOUCHER_ISSUE, 0, 0);
		mp_set_u(&req, MP_A_AMOUNT,
			 number("AMOUNT", argv[1], UINT64_MAX));
	} else if (!strcmp(what, "voucher-show") && argc == 2) {
		mp_init(&req, MP_T_OP_VOUCHER_SHOW, 0, 0);
		mp_set_s(&req, MP_A_CODE, argv[1]);
	} else if (!strcmp(what, "contract-create") && argc >= 5) {
		/* contract-create METRIC SOFT HARD METHOD [ROOM] */
		mp_init(&req, MP_T_OP_CONTRACT_CREATE, 0, 0);
		mp_set_u(&req, MP_A_METRIC,
			 (uint64_t)metric_arg("METRIC", argv[1]));
		mp_set_u(&req, MP_A_SOFT, number("SOFT", argv[2], UINT64_MAX));
		mp_set_u(&req, MP_A_HARD, number("HARD", argv[3], UINT64_MAX));
		mp_set_u(&req, MP_A_METHOD,
			 (uint64_t)method_arg("METHOD", argv[4]));
		if (argc > 5)
			mp_set_s(&req, MP_A_ROOM, argv[5]);
	} else if (!strcmp(what, "contract-list") && argc == 1) {
		mp_init(&req, MP_T_OP_CONTRACT_LIST, 0, 0);
	} else if ((!strcmp(what, "contract-show") ||
		    !strcmp(what, "contract-terminate") ||
		    !strcmp(what, "contract-settle") ||
		    !strcmp(what, "unbind")) &&
		   argc == 2) {
		mp_init(&req,
			!strcmp(what, "contract-show") ?
				MP_T_OP_CONTRACT_SHOW :
			!strcmp(what, "contract-settle") ?
				MP_T_OP_CONTRACT_SETTLE :
			!strcmp(what, "unbind") ? MP_T_OP_UNBIND :
						  MP_T_OP_CONTRACT_TERMINATE,
			0, 0);
		mp_set_u(&req, MP_A_SERIAL,
			 number("SERIAL", argv[1], UINT64_MAX));
	} else if (!strcmp(what, "usage-add") && argc == 3) {
		mp_init(&req, MP_T_OP_USAGE_ADD, 0, 0);
		mp_set_u(&req, MP_A_SERIAL,
			 number("SERIAL", argv[1], UINT64_MAX));
		mp_set_u(&req, MP_A_USAGE, number("N", argv[2], UINT64_MAX));
	} else if (!strcmp(what, "key-rotate") && argc == 1) {
		mp_init(&req, MP_T_OP_KEY_ROTATE, 0, 0);
	} else if (!strcmp(what, "room-show") && argc == 2) {
		mp_init(&req, MP_T_OP_ROOM_SHOW, 0, 0);
		mp_set_s(&req, MP_A_ROOM, argv[1]);
	} else {
		exit(cli_usage("op takes voucher-issue AMOUNT | voucher-show "
			       "CODE | contract-create METRIC SOFT HARD METHOD "
			       "[ROOM] | contract-list | contract-show|"
			       "contract-terminate|contract-settle|unbind "
			       "SERIAL | usage-add SERIAL N | key-rotate | "
			       "room-show ROOM"));
	}
	for (;;) {
		int t = transact(&req, &rep);

		switch (t) {
		case MP_T_OP_VOUCHER:
			printf("code=%s balance=%llu\n", rep.s[MP_A_CODE],
			       (unsigned long long)rep.u[MP_A_BALANCE]);
			return 0;
		case MP_T_STATUS:
			print_status(&rep);
			if (rep.flags & MP_F_MORE) {
				/* list: keep reading */
				while (recv_msg(&rep, 30000) > 0) {
					if (rep.type != MP_T_STATUS)
						return 0;
					print_status(&rep);
				}
				return 1;
			}
			return 0;
		case MP_T_STATEMENT:
			print_statement(&rep);
			return 0;
		case MP_T_OP_OK:
			if (mp_has(&rep, MP_A_KEY_ID))
				printf("key=%llu\n",
				       (unsigned long long)rep.u[MP_A_KEY_ID]);
			return 0;
		default:
			return error_of(&rep) ? 1 : 1;
		}
	}
}

/* connect: the certificate to the router over the control channel
 * (MP_T_REGISTER), before IKE; then the channel is closed. */
static int register_cert(const unsigned char *der, size_t len)
{
	struct mp_msg *req = calloc(1, sizeof(*req));
	struct mp_msg *rep = calloc(1, sizeof(*rep));
	const char *why;
	int rc = -1;

	if (!req || !rep || len > MP_CERT_MAX) {
		cli_fail("certificate of %zu bytes: too large to register",
			 len);
		goto out;
	}
	mp_init(req, MP_T_REGISTER, 0, 0);
	mp_set_bytes(req, MP_A_CERT, der, len);
	transact(req, rep);
	why = mp_has(rep, MP_A_MESSAGE) ? rep->s[MP_A_MESSAGE] : "";
	if (rep->type == MP_T_REGISTERED) {
		printf("%s (expiry=%llu)\n", why[0] ? why : "registered",
		       (unsigned long long)rep->u[MP_A_EXPIRY]);
		fflush(stdout);
		rc = 0;
	} else if (rep->type != MP_T_ERROR) {
		cli_fail("registering: unexpected %s from the router",
			 mp_type_name(rep->type));
	} else if (rep->u[MP_A_ERROR] == MP_ERR_CERT) {
		cli_fail("the router refused our certificate: %s", why);
	} else if (rep->u[MP_A_ERROR] == MP_ERR_BUSY) {
		cli_fail("the router cannot register us now: %s", why);
	} else {
		cli_fail("registering with the router failed: %s: %s",
			 mp_error_name((int)rep->u[MP_A_ERROR]), why);
	}
out:
	if (G.ssl) {
		SSL_shutdown(G.ssl);
		SSL_free(G.ssl);
		G.ssl = NULL;
	}
	if (G.fd >= 0)
		close(G.fd);
	G.fd = -1;
	free(req);
	free(rep);
	return rc;
}

/* The tunnel (see ike.c); connect registers first, unless
 * --no-register. */
static int cmd_ike(const char *cmd, int argc)
{
	struct client_ike k = {
		.statedir = G.statedir,
		.router = G.router ? G.router : G.server,
		.cacert = G.cacert ? G.cacert : G.ca,
		.uri = G.uri,
		.privacy = G.privacy > 0,
		.timeout_s = G.wait_set ? G.wait_s : 60,
		.register_cert = G.no_register ? NULL : register_cert,
	};

	if (argc)
		return cli_usage("cert, connect and disconnect take options "
				 "only");
	if (k.timeout_s <= 0)
		return cli_badarg("--wait", "0", "at least 1 second for IKE");
	k.router_id = G.router_id ? G.router_id : G.name ? G.name : k.router;
	if (!strcmp(cmd, "cert"))
		return client_ike_cert(&k);
	if (!strcmp(cmd, "connect"))
		return client_ike_connect(&k);
	return client_ike_disconnect(&k);
}

static const char *const channel_cmds[] = {
	"offer",  "buy",   "bind",   "status",	  "suspend",
	"resume", "start", "extend", "terminate", "statement",
	"watch",  "op",	   "agent",  NULL,
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: muisp-client [options] command [args]\n"
		"  offer | buy METRIC SOFT HARD | bind | status | suspend |\n"
		"  resume | extend SOFT | terminate | statement | watch [SECONDS]\n"
		"  agent [accept-below PRICE] [accept-port PORT]...\n"
		"    [accept-peer PREFIX]... [ask]   the purchasing agent\n"
		"    (muisp-agent(1)): answers the router's price requests\n"
		"  cert | connect | disconnect   the IPsec tunnel (own charon):\n"
		"    --router ADDR (default -s) --router-id NAME (default --name,\n"
		"    else ADDR) --cacert FILE (default --ca) --privacy (ESP,\n"
		"    else AH) --uri VICI-SOCKET --wait SECONDS (IKE, default 60)\n"
		"    connect registers the certificate over the control channel\n"
		"    first (-s, -p, --ca, --name), unless --no-register\n"
		"  -O SOCKET op ...   operator commands on the local socket\n"
		"options: -s SERVER -p PORT -b SOURCE --ca FILE --name NAME --plain\n"
		"  -S STATEDIR -c SERIAL -m METHOD -P PAYMENT (voucher code)\n"
		"  --password PW --esp --start --wait SECONDS\n"
		"  --io-timeout SECONDS (a stuck router, default 20)\n"
		"  --roam USER@REALM (buy as a partner ISP's user; password\n"
		"    from the terminal, or one line from --secret-fd FD)\n"
		"exit status: 0 ok, 1 failed, 2 usage error\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ca", required_argument, NULL, 'A' },
		{ "name", required_argument, NULL, 'N' },
		{ "plain", no_argument, NULL, 'L' },
		{ "password", required_argument, NULL, 'W' },
		{ "esp", no_argument, NULL, 'E' },
		{ "start", no_argument, NULL, 'T' },
		{ "wait", required_argument, NULL, 'w' },
		{ "io-timeout", required_argument, NULL, 'o' },
		{ "privacy", no_argument, NULL, 'E' },
		{ "router", required_argument, NULL, 'R' },
		{ "router-id", required_argument, NULL, 'I' },
		{ "cacert", required_argument, NULL, 'C' },
		{ "uri", required_argument, NULL, 'U' },
		{ "no-register", no_argument, NULL, 'G' },
		{ "roam", required_argument, NULL, 'M' },
		{ "secret-fd", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd;
	int ch, rc, i;

	const char *base = strrchr(argv[0], '/');
	int as_agent = !strcmp(base ? base + 1 : argv[0], "muisp-agent");

	cli_init(as_agent ? "muisp-agent" : "muisp-client");
	G.privacy = -1;
	while ((ch = getopt_long(argc, argv, "s:p:S:c:m:P:O:b:h", opts,
				 NULL)) != -1) {
		switch (ch) {
		case 's':
			G.server = optarg;
			break;
		case 'p':
			G.port = optarg;
			break;
		case 'S':
			G.statedir = optarg;
			break;
		case 'c':
			G.serial = number("-c", optarg, UINT64_MAX);
			break;
		case 'm':
			G.method = optarg;
			break;
		case 'P':
			G.pay = optarg;
			break;
		case 'O':
			G.opsock = optarg;
			break;
		case 'b':
			G.source = optarg;
			break;
		case 'A':
			G.ca = optarg;
			break;
		case 'N':
			G.name = optarg;
			break;
		case 'L':
			G.plain = 1;
			break;
		case 'W':
			G.password = optarg;
			break;
		case 'E':
			G.privacy = 1;
			break;
		case 'T':
			G.start = 1;
			break;
		case 'w':
			G.wait_s = (int)number("--wait", optarg, INT32_MAX);
			G.wait_set = 1;
			break;
		case 'o':
			G.io_timeout_s =
				(int)number("--io-timeout", optarg, 3600);
			if (!G.io_timeout_s)
				exit(cli_usage("--io-timeout: at least 1"));
			break;
		case 'R':
			G.router = optarg;
			break;
		case 'I':
			G.router_id = optarg;
			break;
		case 'C':
			G.cacert = optarg;
			break;
		case 'U':
			G.uri = optarg;
			break;
		case 'G':
			G.no_register = 1;
			break;
		case 'M':
			G.roam = optarg;
			G.method = "roam";
			break;
		case 'F':
			G.secret_fd =
				(int)number("--secret-fd", optarg, INT32_MAX);
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	/* installed as muisp-agent too: that name is the agent command */
	if (as_agent) {
		cmd = "agent";
	} else if (optind >= argc) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	} else {
		cmd = argv[optind++];
	}
	argc -= optind;
	argv += optind;
	if (!strcmp(cmd, "cert") || !strcmp(cmd, "connect") ||
	    !strcmp(cmd, "disconnect")) {
		statedir_init();
		return cmd_ike(cmd, argc);
	}
	for (i = 0; channel_cmds[i] && strcmp(channel_cmds[i], cmd); i++)
		;
	if (!channel_cmds[i])
		return cli_usage("unknown command '%s'", cmd);
	if (strcmp(cmd, "op"))
		statedir_init();
	if (!strcmp(cmd, "offer"))
		rc = cmd_offer();
	else if (!strcmp(cmd, "buy"))
		rc = cmd_buy(argc, argv);
	else if (!strcmp(cmd, "bind"))
		rc = cmd_bind();
	else if (!strcmp(cmd, "status"))
		rc = cmd_simple(MP_T_USAGE, argc, argv);
	else if (!strcmp(cmd, "suspend"))
		rc = cmd_simple(MP_T_SUSPEND, argc, argv);
	else if (!strcmp(cmd, "resume") || !strcmp(cmd, "start"))
		rc = cmd_simple(MP_T_START, argc, argv);
	else if (!strcmp(cmd, "extend"))
		rc = cmd_simple(MP_T_EXTEND, argc, argv);
	else if (!strcmp(cmd, "terminate"))
		rc = cmd_simple(MP_T_TERMINATE, argc, argv);
	else if (!strcmp(cmd, "statement"))
		rc = cmd_statement();
	else if (!strcmp(cmd, "watch"))
		rc = cmd_watch(argc, argv);
	else if (!strcmp(cmd, "agent"))
		rc = cmd_agent(argc, argv);
	else
		rc = cmd_op(argc, argv);
	if (G.ssl) {
		SSL_shutdown(G.ssl);
		SSL_free(G.ssl);
	}
	SSL_CTX_free(G.ctx);
	if (G.fd >= 0)
		close(G.fd);
	return rc;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * estab-load: many concurrent clients of muispd's control channel in one
 * process (test and benchmark tool, never installed).  The VM costs ~47 ms
 * per process spawn, so 200 muisp-client processes would measure fork and
 * exec; this drives every client as a non-blocking state machine in one
 * poll loop instead, each on its own source address.
 *
 *   estab-load [options] contract|handshake
 *
 *   -s ADDR      router address (IP literal; default 192.0.2.1)
 *   -p PORT      control port (default 4433)
 *   -A FILE      CA certificate the router's certificate must chain to
 *   -n NAME      name the certificate must carry (default: the -s address)
 *   -b ADDR      first source address; client i binds ADDR + i (IPv4, or
 *                the low 32 bits of an IPv6 address)
 *   -c N         clients (default 200), all started at once
 *   -V FILE      voucher codes, one a line: client i pays with line i % lines
 *   -M METRIC    contract metric (default bytes)
 *   -H HARD      hard limit of client i is HARD * (i + 1), soft half of it
 *                (default 1000000), so every deposit differs
 *   -R DIR       write each receipt to DIR/SERIAL
 *   -T           once every client has its receipt, terminate each
 *                contract (not timed) and check the statement refunds it
 *   -t SECONDS   give up after this long (default 600)
 *   -P PID       also report the CPU time process PID (muispd) used
 *                from the start until the last client was done
 *
 * "contract": TCP connect, TLS 1.3 handshake (the certificate verified
 * against -A and -n, no session resumption), OFFER_GET -> OFFER,
 * REQUEST -> QUOTE, DEPOSIT (voucher) -> RECEIPT.  muispd pushes the
 * contract and binds the address in the kernel before it sends the
 * receipt (h_deposit() in daemon/muispd/channel.c), so the receipt's
 * arrival is also the moment the address is bound.  "handshake": TCP
 * connect and the TLS handshake only, to the same port.  Connections stay
 * open until every client is done in both modes, so the daemon holds the
 * same number of channels.
 *
 * Output: one line per client,
 *   client addr=A serial=S deposit=D connect_ms=X tls_ms=Y total_ms=Z receipt=HEX
 *   (handshake: client addr=A connect_ms=X total_ms=Y)
 *   fail addr=A stage=STAGE error=TEXT
 * times from just before connect() on CLOCK_MONOTONIC; total_ms ends at
 * the receipt (contract) or the completed handshake (handshake).  Then
 *   summary mode=M clients=N ok=N failed=N median_ms=X p99_ms=Y max_ms=Z
 *           wall_ms=W cpu_ms=C
 * (nearest-rank percentiles of total_ms over the clients that succeeded;
 * wall_ms and cpu_ms, this process's own user + system time (the
 * clients' share of a machine they share with the router), end when the
 * last client is done, before -T's terminations; with -P also
 * server_cpu_ms=S, the CPU time of PID over the same span).
 * Exit 0 when every client succeeded, 1 otherwise, 2 on usage errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "proto.h"

#define RECEIPT_LEN 144
#define MAX_CLIENTS 4096
#define MAX_CODES   4096

enum stage {
	ST_CONNECT,
	ST_TLS,
	ST_OFFER,
	ST_QUOTE,
	ST_RECEIPT,
	ST_HOLD,      /* done, channel kept open */
	ST_STATEMENT, /* -T: waiting for the statement */
	ST_CLOSED,
	ST_FAILED,
};

static const char *const stage_names[] = {
	"connect", "tls",	"offer",  "quote",  "receipt",
	"hold",	   "statement", "closed", "failed",
};

struct client {
	int fd;
	SSL *ssl;
	enum stage st;
	int want_write;
	char addr[INET6_ADDRSTRLEN];
	struct sockaddr_storage src;
	socklen_t srclen;
	const char *code;
	uint64_t soft, hard;
	uint64_t t0, t_conn, t_tls, t_end; /* ns, CLOCK_MONOTONIC */
	uint64_t serial, deposit;
	uint32_t seq;
	uint8_t receipt[RECEIPT_LEN];
	uint8_t rbuf[MP_MAX_FRAME];
	size_t rlen;
	uint8_t wbuf[MP_MAX_FRAME];
	size_t wlen;
	char err[200];
};

static struct {
	const char *server, *port, *ca, *name, *first, *codes_file, *rdir;
	long server_pid;
	unsigned n;
	int metric;
	uint64_t hard_unit;
	int terminate, handshake_only;
	unsigned timeout_s;
	struct sockaddr_storage dst;
	socklen_t dstlen;
	SSL_CTX *ctx;
	char *codes[MAX_CODES];
	unsigned ncodes;
	struct client *cl;
} G = {
	.server = "192.0.2.1",
	.port = "4433",
	.n = 200,
	.metric = MP_METRIC_BYTES,
	.hard_unit = 1000000,
	.timeout_s = 600,
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: estab-load [-s ADDR] [-p PORT] -A CA [-n NAME] "
		"-b FIRST [-c N] [-V CODES] [-M METRIC] [-H HARD] [-R DIR] "
		"[-T] [-t SECONDS] [-P PID] contract|handshake\n");
	exit(2);
}

static __attribute__((format(printf, 2, 3))) void fail(struct client *c,
						       const char *fmt, ...)
{
	va_list ap;
	unsigned long e;

	if (c->st == ST_FAILED)
		return;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	e = ERR_get_error();
	if (e) {
		size_t n = strlen(c->err);

		snprintf(c->err + n, sizeof(c->err) - n, " (%s)",
			 ERR_reason_error_string(e));
		ERR_clear_error();
	}
	printf("fail addr=%s stage=%s error=%s\n", c->addr, stage_names[c->st],
	       c->err);
	c->st = ST_FAILED;
	if (c->ssl)
		SSL_free(c->ssl);
	c->ssl = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Source address of client i: -b plus i. */
static int source_of(unsigned i, struct client *c)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&c->src;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&c->src;

	memset(&c->src, 0, sizeof(c->src));
	if (inet_pton(AF_INET, G.first, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(ntohl(s4->sin_addr.s_addr) + i);
		c->srclen = sizeof(*s4);
		inet_ntop(AF_INET, &s4->sin_addr, c->addr, sizeof(c->addr));
		return 0;
	}
	if (inet_pton(AF_INET6, G.first, &s6->sin6_addr) == 1) {
		uint32_t low;

		s6->sin6_family = AF_INET6;
		memcpy(&low, &s6->sin6_addr.s6_addr[12], 4);
		low = htonl(ntohl(low) + i);
		memcpy(&s6->sin6_addr.s6_addr[12], &low, 4);
		c->srclen = sizeof(*s6);
		inet_ntop(AF_INET6, &s6->sin6_addr, c->addr, sizeof(c->addr));
		return 0;
	}
	return -1;
}

static int parse_server(void)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&G.dst;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&G.dst;
	unsigned long port = strtoul(G.port, NULL, 10);

	if (!port || port > 65535)
		return -1;
	memset(&G.dst, 0, sizeof(G.dst));
	if (inet_pton(AF_INET, G.server, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		G.dstlen = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, G.server, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		G.dstlen = sizeof(*s6);
		return 0;
	}
	return -1;
}

static void load_codes(void)
{
	FILE *f = fopen(G.codes_file, "r");
	char line[256];

	if (!f) {
		perror(G.codes_file);
		exit(2);
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			continue;
		if (G.ncodes == MAX_CODES) {
			fprintf(stderr, "%s: too many codes\n", G.codes_file);
			exit(2);
		}
		G.codes[G.ncodes] = strdup(line);
		if (!G.codes[G.ncodes++]) {
			perror("strdup");
			exit(2);
		}
	}
	fclose(f);
	if (!G.ncodes) {
		fprintf(stderr, "%s: no voucher codes\n", G.codes_file);
		exit(2);
	}
}

static void tls_init(void)
{
	G.ctx = SSL_CTX_new(TLS_client_method());
	if (!G.ctx || !SSL_CTX_set_min_proto_version(G.ctx, TLS1_3_VERSION) ||
	    SSL_CTX_load_verify_locations(G.ctx, G.ca, NULL) != 1) {
		fprintf(stderr, "estab-load: TLS setup (CA %s) failed\n", G.ca);
		exit(2);
	}
	/* As muisp-client: the router must prove it is a bona fide muISP. */
	SSL_CTX_set_verify(G.ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_session_cache_mode(G.ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(G.ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
					SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

/* Start client c: bind, non-blocking connect. */
static void start(struct client *c)
{
	int one = 1;

	c->fd = socket(c->src.ss_family,
		       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		fail(c, "socket: %s", strerror(errno));
		return;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (bind(c->fd, (struct sockaddr *)&c->src, c->srclen)) {
		fail(c, "bind: %s", strerror(errno));
		return;
	}
	c->t0 = now_ns();
	if (connect(c->fd, (struct sockaddr *)&G.dst, G.dstlen) &&
	    errno != EINPROGRESS) {
		fail(c, "connect: %s", strerror(errno));
		return;
	}
	c->st = ST_CONNECT;
}

/* Queue a request; the caller flushes. */
static void send_req(struct client *c, struct mp_msg *m)
{
	int n;

	m->serial = ++c->seq;
	n = mp_encode(m, c->wbuf + c->wlen, sizeof(c->wbuf) - c->wlen);
	if (n < 0) {
		fail(c, "encode: %s", mp_strerror(n));
		return;
	}
	c->wlen += (size_t)n;
}

static void flush(struct client *c)
{
	c->want_write = 0;
	while (c->st != ST_FAILED && c->wlen) {
		int r;

		ERR_clear_error(); /* shared by all clients: see muispd */
		r = SSL_write(c->ssl, c->wbuf, (int)c->wlen);

		if (r <= 0) {
			int e = SSL_get_error(c->ssl, r);

			if (e == SSL_ERROR_WANT_WRITE ||
			    e == SSL_ERROR_WANT_READ) {
				c->want_write = e == SSL_ERROR_WANT_WRITE;
				return;
			}
			fail(c, "TLS write failed");
			return;
		}
		memmove(c->wbuf, c->wbuf + r, c->wlen - (size_t)r);
		c->wlen -= (size_t)r;
	}
}

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void on_offer(struct client *c, const struct mp_msg *m)
{
	struct mp_msg req;

	mp_init(&req, MP_T_REQUEST, 0, 0);
	mp_set_u(&req, MP_A_OFFER_SERIAL, m->u[MP_A_OFFER_SERIAL]);
	mp_set_u(&req, MP_A_METRIC, (uint64_t)G.metric);
	mp_set_u(&req, MP_A_METHOD, MP_METHOD_VOUCHER);
	mp_set_u(&req, MP_A_PRIVACY, 0);
	mp_set_u(&req, MP_A_SOFT, c->soft);
	mp_set_u(&req, MP_A_HARD, c->hard);
	send_req(c, &req);
	c->st = ST_QUOTE;
}

static void on_quote(struct client *c, const struct mp_msg *m)
{
	struct mp_msg req;

	c->serial = m->u[MP_A_SERIAL];
	c->deposit = m->u[MP_A_AMOUNT];
	mp_init(&req, MP_T_DEPOSIT, 0, 0);
	mp_set_u(&req, MP_A_SERIAL, c->serial);
	mp_set_u(&req, MP_A_METHOD, MP_METHOD_VOUCHER);
	mp_set_u(&req, MP_A_AMOUNT, c->deposit);
	mp_set_s(&req, MP_A_PAYMENT, c->code);
	send_req(c, &req);
	c->st = ST_RECEIPT;
}

static void on_receipt(struct client *c, const struct mp_msg *m)
{
	c->t_end = now_ns();
	/* What the client can check without the router's key. */
	if (m->u[MP_A_SERIAL] != c->serial) {
		fail(c, "receipt for serial %llu, quote was %llu",
		     (unsigned long long)m->u[MP_A_SERIAL],
		     (unsigned long long)c->serial);
		return;
	}
	if (!mp_has(m, MP_A_RECEIPT) || m->bytes_len != RECEIPT_LEN ||
	    memcmp(m->bytes, "MUR1", 4) || be64(m->bytes + 8) != c->serial ||
	    be64(m->bytes + 48) != c->hard ||
	    be64(m->bytes + 56) != c->deposit) {
		fail(c, "receipt does not match the quote");
		return;
	}
	if (!mp_has(m, MP_A_ADDR) || strcmp(m->s[MP_A_ADDR], c->addr)) {
		fail(c, "bound to %s",
		     mp_has(m, MP_A_ADDR) ? m->s[MP_A_ADDR] : "nothing");
		return;
	}
	memcpy(c->receipt, m->bytes, RECEIPT_LEN);
	c->st = ST_HOLD;
}

static void on_statement(struct client *c, const struct mp_msg *m)
{
	if (m->u[MP_A_SERIAL] != c->serial || m->u[MP_A_REFUND] != c->deposit ||
	    m->u[MP_A_CHARGE] != 0) {
		fail(c, "statement: serial %llu charge %llu refund %llu",
		     (unsigned long long)m->u[MP_A_SERIAL],
		     (unsigned long long)m->u[MP_A_CHARGE],
		     (unsigned long long)m->u[MP_A_REFUND]);
		return;
	}
	c->st = ST_CLOSED;
	SSL_free(c->ssl);
	c->ssl = NULL;
	close(c->fd);
	c->fd = -1;
}

static void on_frame(struct client *c, const struct mp_msg *m)
{
	static const uint8_t expect[] = {
		[ST_OFFER] = MP_T_OFFER,
		[ST_QUOTE] = MP_T_QUOTE,
		[ST_RECEIPT] = MP_T_RECEIPT,
		[ST_STATEMENT] = MP_T_STATEMENT,
	};

	if (m->flags & MP_F_ASYNC)
		return; /* a warning: none is expected here */
	if (m->type == MP_T_ERROR) {
		fail(c, "%s: %s", mp_error_name((int)m->u[MP_A_ERROR]),
		     mp_has(m, MP_A_MESSAGE) ? m->s[MP_A_MESSAGE] : "");
		return;
	}
	if (c->st >= sizeof(expect) || !expect[c->st] ||
	    m->type != expect[c->st] || m->serial != c->seq) {
		fail(c, "unexpected %s (serial %u)", mp_type_name(m->type),
		     m->serial);
		return;
	}
	switch (c->st) {
	case ST_OFFER:
		on_offer(c, m);
		break;
	case ST_QUOTE:
		on_quote(c, m);
		break;
	case ST_RECEIPT:
		on_receipt(c, m);
		break;
	case ST_STATEMENT:
		on_statement(c, m);
		break;
	default:
		break;
	}
}

static void do_read(struct client *c)
{
	static struct mp_msg m;

	for (;;) {
		size_t off = 0;
		int r;

		ERR_clear_error();
		r = SSL_read(c->ssl, c->rbuf + c->rlen,
			     (int)(sizeof(c->rbuf) - c->rlen));

		if (r <= 0) {
			int e = SSL_get_error(c->ssl, r);

			if (e == SSL_ERROR_WANT_READ)
				return;
			if (e == SSL_ERROR_WANT_WRITE) {
				c->want_write = 1;
				return;
			}
			fail(c, "channel closed by the router");
			return;
		}
		c->rlen += (size_t)r;
		while (c->st != ST_FAILED) {
			int flen = mp_frame_len(c->rbuf + off, c->rlen - off);
			int rc;

			if (flen == MP_E_SHORT)
				break;
			if (flen < 0) {
				fail(c, "bad frame: %s", mp_strerror(flen));
				return;
			}
			if ((size_t)flen > c->rlen - off)
				break;
			rc = mp_decode(c->rbuf + off, (size_t)flen, &m);
			off += (size_t)flen;
			if (rc) {
				fail(c, "bad message: %s", mp_strerror(rc));
				return;
			}
			on_frame(c, &m);
		}
		if (c->st == ST_FAILED || c->st == ST_CLOSED)
			return;
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
}

static void on_event(struct client *c, short rev)
{
	if (c->st == ST_CONNECT) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) ||
		    err) {
			fail(c, "connect: %s", strerror(err ? err : errno));
			return;
		}
		if (!(rev & POLLOUT))
			return;
		c->t_conn = now_ns();
		c->ssl = SSL_new(G.ctx);
		if (!c->ssl || !SSL_set_fd(c->ssl, c->fd) ||
		    !SSL_set_tlsext_host_name(c->ssl, G.name) ||
		    !SSL_set1_host(c->ssl, G.name)) {
			fail(c, "TLS setup");
			return;
		}
		c->st = ST_TLS;
	}
	if (c->st == ST_TLS) {
		int r;

		ERR_clear_error();
		r = SSL_connect(c->ssl);

		if (r != 1) {
			int e = SSL_get_error(c->ssl, r);

			c->want_write = e == SSL_ERROR_WANT_WRITE;
			if (e != SSL_ERROR_WANT_READ &&
			    e != SSL_ERROR_WANT_WRITE)
				fail(c, "TLS handshake failed");
			return;
		}
		c->t_tls = now_ns();
		if (G.handshake_only) {
			c->t_end = c->t_tls;
			c->st = ST_HOLD;
			return;
		}
		{
			struct mp_msg req;

			mp_init(&req, MP_T_OFFER_GET, 0, 0);
			mp_set_u(&req, MP_A_PRIVACY, 0);
			send_req(c, &req);
		}
		c->st = ST_OFFER;
	}
	if (c->wlen)
		flush(c);
	if (c->st != ST_FAILED && c->st != ST_HOLD && c->st != ST_CLOSED &&
	    (rev & (POLLIN | POLLHUP | POLLERR)))
		do_read(c);
	if (c->st != ST_FAILED && c->wlen)
		flush(c);
}

static int active(const struct client *c)
{
	return c->st != ST_HOLD && c->st != ST_CLOSED && c->st != ST_FAILED;
}

/* Drive every client until none is active or the deadline passes. */
static void run(uint64_t deadline)
{
	static struct pollfd pfd[MAX_CLIENTS];
	static unsigned idx[MAX_CLIENTS];

	for (;;) {
		unsigned n = 0;
		uint64_t now = now_ns();
		int r;

		for (unsigned i = 0; i < G.n; i++) {
			struct client *c = &G.cl[i];

			if (!active(c))
				continue;
			pfd[n].fd = c->fd;
			pfd[n].events = POLLIN;
			if (c->st == ST_CONNECT || c->want_write || c->wlen)
				pfd[n].events |= POLLOUT;
			pfd[n].revents = 0;
			idx[n++] = i;
		}
		if (!n)
			return;
		if (now >= deadline) {
			for (unsigned j = 0; j < n; j++)
				fail(&G.cl[idx[j]], "timed out");
			return;
		}
		r = poll(pfd, n, (int)((deadline - now) / 1000000 + 1));
		if (r < 0 && errno != EINTR) {
			perror("poll");
			exit(1);
		}
		for (unsigned j = 0; r > 0 && j < n; j++)
			if (pfd[j].revents)
				on_event(&G.cl[idx[j]], pfd[j].revents);
	}
}

static void terminate_all(uint64_t deadline)
{
	for (unsigned i = 0; i < G.n; i++) {
		struct client *c = &G.cl[i];
		struct mp_msg req;

		if (c->st != ST_HOLD)
			continue;
		mp_init(&req, MP_T_TERMINATE, 0, 0);
		mp_set_u(&req, MP_A_SERIAL, c->serial);
		send_req(c, &req);
		c->st = ST_STATEMENT;
		flush(c);
	}
	run(deadline);
}

static void write_receipt(struct client *c)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%llu", G.rdir,
		 (unsigned long long)c->serial);
	f = fopen(path, "wx");
	if (!f || fwrite(c->receipt, 1, RECEIPT_LEN, f) != RECEIPT_LEN ||
	    fclose(f)) {
		fprintf(stderr, "estab-load: %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

/* utime + stime of process pid in ms (fields 14 and 15 of
 * /proc/PID/stat, counted after the command name's closing parenthesis). */
static double pid_cpu_ms(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	long tck = sysconf(_SC_CLK_TCK);
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || tck <= 0 ||
	    sscanf(p + 1,
		   " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
		   &ut, &st) != 2)
		return -1;
	return (double)(ut + st) * 1e3 / (double)tck;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least p % of the samples at or
 * below it. */
static uint64_t pct(const uint64_t *v, unsigned n, unsigned p)
{
	unsigned rank = (n * p + 99) / 100;

	return v[rank ? rank - 1 : 0];
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

static double cpu_ms(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return -1;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

int main(int argc, char **argv)
{
	uint64_t t_start, deadline, *tot;
	unsigned ok = 0, failed = 0;
	double cpu, scpu0 = 0, scpu = 0;
	int opt;

	while ((opt = getopt(argc, argv, "s:p:A:n:b:c:V:M:H:R:Tt:P:")) != -1) {
		switch (opt) {
		case 's':
			G.server = optarg;
			break;
		case 'p':
			G.port = optarg;
			break;
		case 'A':
			G.ca = optarg;
			break;
		case 'n':
			G.name = optarg;
			break;
		case 'b':
			G.first = optarg;
			break;
		case 'c':
			G.n = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'V':
			G.codes_file = optarg;
			break;
		case 'M':
			G.metric = mp_metric_parse(optarg);
			break;
		case 'H':
			G.hard_unit = strtoull(optarg, NULL, 10);
			break;
		case 'R':
			G.rdir = optarg;
			break;
		case 'T':
			G.terminate = 1;
			break;
		case 't':
			G.timeout_s = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'P':
			G.server_pid = strtol(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	if (!strcmp(argv[optind], "handshake"))
		G.handshake_only = 1;
	else if (strcmp(argv[optind], "contract"))
		usage();
	if (!G.ca || !G.first || !G.n || G.n > MAX_CLIENTS || G.metric < 0 ||
	    !G.hard_unit || !G.timeout_s || parse_server() ||
	    (!G.handshake_only && !G.codes_file))
		usage();
	if (!G.name)
		G.name = G.server;
	if (G.codes_file)
		load_codes();
	tls_init();
	G.cl = calloc(G.n, sizeof(*G.cl));
	tot = calloc(G.n, sizeof(*tot));
	if (!G.cl || !tot) {
		perror("calloc");
		return 1;
	}
	for (unsigned i = 0; i < G.n; i++) {
		struct client *c = &G.cl[i];

		c->fd = -1;
		if (source_of(i, c)) {
			fprintf(stderr, "estab-load: bad source address %s\n",
				G.first);
			return 2;
		}
		if (c->src.ss_family != G.dst.ss_family) {
			fprintf(stderr, "estab-load: -b and -s differ in "
					"family\n");
			return 2;
		}
		c->hard = G.hard_unit * (i + 1);
		c->soft = c->hard / 2 ? c->hard / 2 : 1;
		c->code = G.ncodes ? G.codes[i % G.ncodes] : NULL;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (G.server_pid && (scpu0 = pid_cpu_ms(G.server_pid)) < 0) {
		fprintf(stderr, "estab-load: /proc/%ld/stat unreadable\n",
			G.server_pid);
		return 2;
	}
	/* Every client starts now: the connects go out back to back. */
	t_start = now_ns();
	deadline = t_start + (uint64_t)G.timeout_s * 1000000000ull;
	for (unsigned i = 0; i < G.n; i++)
		start(&G.cl[i]);
	run(deadline);
	t_start = now_ns() - t_start;
	cpu = cpu_ms(); /* before -T's terminations */
	if (G.server_pid)
		scpu = pid_cpu_ms(G.server_pid) - scpu0;

	for (unsigned i = 0; i < G.n; i++) {
		struct client *c = &G.cl[i];

		if (c->st != ST_HOLD)
			continue;
		tot[ok++] = c->t_end - c->t0;
		if (G.handshake_only) {
			printf("client addr=%s connect_ms=%.3f total_ms=%.3f\n",
			       c->addr, ms(c->t_conn - c->t0),
			       ms(c->t_end - c->t0));
			continue;
		}
		if (G.rdir)
			write_receipt(c);
		printf("client addr=%s serial=%llu deposit=%llu connect_ms=%.3f "
		       "tls_ms=%.3f total_ms=%.3f receipt=",
		       c->addr, (unsigned long long)c->serial,
		       (unsigned long long)c->deposit, ms(c->t_conn - c->t0),
		       ms(c->t_tls - c->t0), ms(c->t_end - c->t0));
		for (unsigned k = 0; k < RECEIPT_LEN; k++)
			printf("%02x", c->receipt[k]);
		printf("\n");
	}
	if (G.terminate && !G.handshake_only)
		terminate_all(deadline);
	for (unsigned i = 0; i < G.n; i++) {
		struct client *c = &G.cl[i];

		if (c->st == ST_FAILED) {
			failed++;
			continue;
		}
		if (c->ssl)
			SSL_free(c->ssl);
		if (c->fd >= 0)
			close(c->fd);
	}
	qsort(tot, ok, sizeof(*tot), cmp_u64);
	printf("summary mode=%s clients=%u ok=%u failed=%u median_ms=%.3f "
	       "p99_ms=%.3f max_ms=%.3f wall_ms=%.3f cpu_ms=%.0f",
	       G.handshake_only ? "handshake" : "contract", G.n, G.n - failed,
	       failed, ok ? ms(pct(tot, ok, 50)) : 0.0,
	       ok ? ms(pct(tot, ok, 99)) : 0.0, ok ? ms(tot[ok - 1]) : 0.0,
	       ms(t_start), cpu);
	if (G.server_pid)
		printf(" server_cpu_ms=%.0f", scpu);
	printf("\n");
	SSL_CTX_free(G.ctx);
	free(tot);
	free(G.cl);
	for (unsigned i = 0; i < G.ncodes; i++)
		free(G.codes[i]);
	return failed ? 1 : 0;
}

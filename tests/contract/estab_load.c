// SPDX-License-Identifier: GPL-2.0
/*
 * estab-load: many concurrent clients of muispd's control channel in one
 * process (test and benchmark tool, never installed).  The VM costs ~47 ms
 * per process spawn, so 200 muisp-client processes would measure fork and
 * exec; this drives every client as a non-blocking state machine in one
 * poll loop instead, each on its own source address.
 *
 *   estab-load [options] contract|handshake|walkin|idle|flood
 *
 *   -s ADDR      router address (IP literal; default 192.0.2.1)
 *   -p PORT      control port (default 4433)
 *   -A FILE      CA certificate the router's certificate must chain to
 *   -n NAME      name the certificate must carry (default: the -s address)
 *   -b ADDR      first source address; client i binds ADDR + i (IPv4, or
 *                the low 32 bits of an IPv6 address)
 *   -a FILE      source addresses, one a line, instead of -b: client i
 *                binds line i % lines (one line: every client from it)
 *   -c N         clients (default 200, or the lines of -a), all started at
 *                once
 *   -V FILE      voucher codes, one a line: client i pays with line i % lines
 *   -M METRIC    contract metric (default bytes)
 *   -H HARD      hard limit of client i is HARD * (i + 1), soft half of it
 *                (default 1000000), so every deposit differs
 *   -R DIR       write each receipt to DIR/SERIAL
 *   -T           once every client has its receipt, terminate each
 *                contract (not timed) and check the statement refunds it
 *   -t SECONDS   give up after this long (default 600; idle and flood:
 *                run this long, or until SIGTERM)
 *   -P PID       also report the CPU time process PID (muispd) used
 *                from the start until the last client was done
 *   -u ADDR:PORT walkin: where the clients' datagrams go (IPv4 ADDR:PORT
 *                or [IPv6]:PORT); -k N of them (default 2; 0: none, and
 *                no -u: a muispd without the module meters nothing),
 *                -z BYTES each (the IP datagram's length, default 1028)
 *   -w PLAN      walkin: terminate, useup, keep, or alternate (default:
 *                even clients terminate, odd ones use up)
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
 * "walkin": a walk-in's whole contract (make soak): the purchase as in
 * "contract", START (the contract must become active), -k datagrams from
 * the client's address to -u, then by plan:
 *   terminate  hard and soft as -H says; USAGE until muispd reports
 *              exactly the bytes sent (k * z), then TERMINATE: the
 *              statement must say that usage, charge ceil(usage * price /
 *              unit) (price and unit from the quote) and refund the rest;
 *   useup      soft = hard = k * z: the last datagram reaches the hard
 *              limit; wait for muispd's hard-limit warning, which must
 *              report usage = hard (the deposit is kept);
 *   keep       stop once active (the contract stays bound and active).
 *
 * "idle" and "flood" are an attacker's (make soak): "idle" opens the
 * connections and sends nothing; "flood" does the TLS handshake and then
 * OFFER_GET -> OFFER, REQUEST -> QUOTE over and over, never paying.  A
 * connection the router closes or refuses is opened again a second later.
 * Both run for -t seconds or until SIGTERM or SIGINT.
 *
 * Output: one line per client,
 *   client addr=A serial=S deposit=D connect_ms=X tls_ms=Y total_ms=Z receipt=HEX
 *   (handshake: client addr=A connect_ms=X total_ms=Y;
 *    walkin: client addr=A serial=S deposit=D plan=P usage=U charge=C
 *            refund=R connect_ms=X tls_ms=Y total_ms=Z done_ms=E, total_ms
 *            at the receipt, done_ms at the end of the plan)
 *   fail addr=A stage=STAGE error=TEXT
 * times from just before connect() on CLOCK_MONOTONIC; total_ms ends at
 * the receipt (contract) or the completed handshake (handshake).  Then
 *   summary mode=M clients=N ok=N failed=N median_ms=X p99_ms=Y max_ms=Z
 *           wall_ms=W cpu_ms=C
 * (nearest-rank percentiles of total_ms over the clients that succeeded;
 * wall_ms and cpu_ms, this process's own user + system time (the
 * clients' share of a machine they share with the router), end when the
 * last client is done, before -T's terminations; with -P also
 * server_cpu_ms=S, the CPU time of PID over the same span).  idle and
 * flood print no client lines and
 *   summary mode=M clients=N connects=C established=E max_open=O
 *           closed=X offers=F quotes=Q errors=R wall_ms=W
 * (connects: attempts; established: TCP connections (idle) or TLS
 * channels (flood) set up; max_open: most open at once; closed: closed or
 * refused by the router, or failed).
 * Exit 0 when every client succeeded (idle, flood: when the run ended as
 * asked), 1 otherwise, 2 on usage errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
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

#include "contract.h"
#include "proto.h"

#define RECEIPT_LEN 144
#define MAX_CLIENTS 4096
#define MAX_CODES   4096
/* idle, flood: reconnect a second after a close; walkin: ask for the
 * usage every 0.1 s until the datagrams show */
#define RETRY_NS 1000000000ull
#define POLL_NS	 100000000ull

enum mode { M_CONTRACT, M_HANDSHAKE, M_WALKIN, M_IDLE, M_FLOOD };
enum plan { P_ALTERNATE, P_TERMINATE, P_USEUP, P_KEEP };

enum stage {
	ST_CONNECT,
	ST_TLS,
	ST_OFFER,
	ST_QUOTE,
	ST_RECEIPT,
	ST_START,     /* walkin: START sent */
	ST_USAGE,     /* walkin: USAGE sent, until the datagrams show */
	ST_WARNED,    /* walkin useup: waiting for the hard-limit warning */
	ST_IDLE,      /* idle: connected, sending nothing */
	ST_WAIT,      /* until t_next: USAGE again (walkin) or reconnect */
	ST_HOLD,      /* done, channel kept open */
	ST_STATEMENT, /* -T, walkin terminate: waiting for the statement */
	ST_CLOSED,
	ST_FAILED,
};

static const char *const stage_names[] = {
	"connect", "tls",  "offer", "quote", "receipt",	  "start",  "usage",
	"warning", "idle", "wait",  "hold",  "statement", "closed", "failed",
};

static const char *const plan_names[] = { "alternate", "terminate", "useup",
					  "keep" };

struct client {
	int fd;
	SSL *ssl;
	enum stage st;
	enum plan plan;
	int want_write;
	int open; /* idle, flood: counted in G.open */
	char addr[INET6_ADDRSTRLEN];
	struct sockaddr_storage src;
	socklen_t srclen;
	const char *code;
	uint64_t soft, hard;
	uint64_t t0, t_conn, t_tls, t_end, t_done; /* ns, CLOCK_MONOTONIC */
	uint64_t t_next;			   /* ST_WAIT */
	uint64_t serial, deposit, price, unit;
	uint64_t expect_usage, usage, charge, refund;
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
	const char *addrs_file;
	long server_pid;
	unsigned n;
	int metric;
	uint64_t hard_unit;
	int terminate;
	enum mode mode;
	enum plan plan;
	unsigned timeout_s;
	struct sockaddr_storage dst, udp;
	socklen_t dstlen, udplen;
	unsigned ndgram, dgram_len;
	SSL_CTX *ctx;
	char *codes[MAX_CODES];
	unsigned ncodes;
	char *addrs[MAX_CLIENTS];
	unsigned naddrs;
	struct client *cl;
	/* idle, flood */
	unsigned long long connects, established, closed, offers, quotes,
		errors;
	unsigned open, max_open;
} G = {
	.server = "192.0.2.1",
	.port = "4433",
	.n = 200,
	.metric = MP_METRIC_BYTES,
	.hard_unit = 1000000,
	.timeout_s = 600,
	.ndgram = 2,
	.dgram_len = 1028,
};

static volatile sig_atomic_t stop_now;

static void on_signal(int sig)
{
	stop_now = sig;
}

static int attacker(void)
{
	return G.mode == M_IDLE || G.mode == M_FLOOD;
}

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
		"-b FIRST|-a FILE [-c N] [-V CODES] [-M METRIC] [-H HARD] "
		"[-R DIR] [-T] [-t SECONDS] [-P PID] [-u ADDR:PORT] [-k N] "
		"[-z BYTES] [-w PLAN] "
		"contract|handshake|walkin|idle|flood\n");
	exit(2);
}

static void close_client(struct client *c)
{
	if (c->ssl)
		SSL_free(c->ssl);
	c->ssl = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->open) {
		c->open = 0;
		G.open--;
	}
	c->rlen = c->wlen = 0;
	c->want_write = 0;
}

/* idle, flood: the router closed or refused the connection (or it
 * failed): count it and open it again a second later. */
static void lost(struct client *c)
{
	ERR_clear_error();
	close_client(c);
	G.closed++;
	c->st = ST_WAIT;
	c->t_next = now_ns() + RETRY_NS;
}

static __attribute__((format(printf, 2, 3))) void fail(struct client *c,
						       const char *fmt, ...)
{
	va_list ap;
	unsigned long e;

	if (c->st == ST_FAILED)
		return;
	if (attacker()) {
		lost(c);
		return;
	}
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
	close_client(c);
}

/* An IP literal with port 0 (or port) into ss. */
static int sockaddr_of(const char *ip, unsigned port,
		       struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return 0;
	}
	return -1;
}

/* Source address of client i: line i % lines of -a, or -b plus i. */
static int source_of(unsigned i, struct client *c)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&c->src;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&c->src;

	if (G.naddrs) {
		if (sockaddr_of(G.addrs[i % G.naddrs], 0, &c->src, &c->srclen))
			return -1;
		snprintf(c->addr, sizeof(c->addr), "%s", G.addrs[i % G.naddrs]);
		return 0;
	}
	if (sockaddr_of(G.first, 0, &c->src, &c->srclen))
		return -1;
	if (c->src.ss_family == AF_INET) {
		s4->sin_addr.s_addr = htonl(ntohl(s4->sin_addr.s_addr) + i);
		inet_ntop(AF_INET, &s4->sin_addr, c->addr, sizeof(c->addr));
	} else {
		uint32_t low;

		memcpy(&low, &s6->sin6_addr.s6_addr[12], 4);
		low = htonl(ntohl(low) + i);
		memcpy(&s6->sin6_addr.s6_addr[12], &low, 4);
		inet_ntop(AF_INET6, &s6->sin6_addr, c->addr, sizeof(c->addr));
	}
	return 0;
}

static int parse_server(void)
{
	unsigned long port = strtoul(G.port, NULL, 10);

	if (!port || port > 65535)
		return -1;
	return sockaddr_of(G.server, (unsigned)port, &G.dst, &G.dstlen);
}

/* -u ADDR:PORT or [ADDR]:PORT */
static int parse_udp(const char *arg)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(arg, ':');
	unsigned long port;
	size_t n;
	char *end;

	if (!colon)
		return -1;
	n = (size_t)(colon - arg);
	if (n >= 2 && arg[0] == '[' && arg[n - 1] == ']') {
		arg++;
		n -= 2;
	}
	if (!n || n >= sizeof(host))
		return -1;
	memcpy(host, arg, n);
	host[n] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (*end || !port || port > 65535)
		return -1;
	return sockaddr_of(host, (unsigned)port, &G.udp, &G.udplen);
}

/* Non-empty lines of path into v (at most max); exits on errors. */
static unsigned load_lines(const char *path, char **v, unsigned max)
{
	FILE *f = fopen(path, "r");
	char line[256];
	unsigned n = 0;

	if (!f) {
		perror(path);
		exit(2);
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			continue;
		if (n == max) {
			fprintf(stderr, "%s: more than %u lines\n", path, max);
			exit(2);
		}
		v[n] = strdup(line);
		if (!v[n++]) {
			perror("strdup");
			exit(2);
		}
	}
	fclose(f);
	if (!n) {
		fprintf(stderr, "%s: empty\n", path);
		exit(2);
	}
	return n;
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
	G.connects++;
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

static void send_simple(struct client *c, uint8_t type, enum stage next)
{
	struct mp_msg req;

	mp_init(&req, type, 0, 0);
	if (type == MP_T_OFFER_GET)
		mp_set_u(&req, MP_A_PRIVACY, 0);
	else
		mp_set_u(&req, MP_A_SERIAL, c->serial);
	send_req(c, &req);
	c->st = next;
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
	G.offers++;
}

static void on_quote(struct client *c, const struct mp_msg *m)
{
	struct mp_msg req;

	if (G.mode == M_FLOOD) { /* never pays: the next offer */
		G.quotes++;
		send_simple(c, MP_T_OFFER_GET, ST_OFFER);
		return;
	}
	c->serial = m->u[MP_A_SERIAL];
	c->deposit = m->u[MP_A_AMOUNT];
	c->price = mp_has(m, MP_A_PRICE) ? m->u[MP_A_PRICE] : 0;
	c->unit = mp_has(m, MP_A_UNIT) ? m->u[MP_A_UNIT] : 0;
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
	if (G.mode == M_WALKIN)
		send_simple(c, MP_T_START, ST_START);
}

/* ceil(usage * price / unit), the charge of PROTOCOL.md. */
static uint64_t cost(uint64_t usage, uint64_t price, uint64_t unit)
{
	unsigned __int128 v = (unsigned __int128)usage * price;

	return unit ? (uint64_t)((v + unit - 1) / unit) : 0;
}

static void on_statement(struct client *c, const struct mp_msg *m)
{
	uint64_t charge = cost(c->expect_usage, c->price, c->unit);

	if (m->u[MP_A_SERIAL] != c->serial ||
	    (mp_has(m, MP_A_USAGE) && m->u[MP_A_USAGE] != c->expect_usage) ||
	    m->u[MP_A_CHARGE] != charge ||
	    m->u[MP_A_REFUND] != c->deposit - charge) {
		fail(c,
		     "statement: serial %llu usage %llu charge %llu "
		     "refund %llu, expected usage %llu charge %llu",
		     (unsigned long long)m->u[MP_A_SERIAL],
		     (unsigned long long)m->u[MP_A_USAGE],
		     (unsigned long long)m->u[MP_A_CHARGE],
		     (unsigned long long)m->u[MP_A_REFUND],
		     (unsigned long long)c->expect_usage,
		     (unsigned long long)charge);
		return;
	}
	c->usage = m->u[MP_A_USAGE];
	c->charge = m->u[MP_A_CHARGE];
	c->refund = m->u[MP_A_REFUND];
	c->t_done = now_ns();
	c->st = ST_CLOSED;
	close_client(c);
}

/* walkin: -k datagrams of -z bytes from the client's address. */
static void send_datagrams(struct client *c)
{
	static char payload[65536];
	size_t hdr = c->src.ss_family == AF_INET ? 28 : 48;
	int fd;

	if (!G.ndgram)
		return;
	fd = socket(c->src.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&c->src, c->srclen)) {
		fail(c, "datagram socket: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	for (unsigned k = 0; k < G.ndgram; k++)
		if (sendto(fd, payload, G.dgram_len - hdr, 0,
			   (struct sockaddr *)&G.udp,
			   G.udplen) != (ssize_t)(G.dgram_len - hdr)) {
			fail(c, "datagram %u: %s", k, strerror(errno));
			break;
		}
	close(fd);
}

static void on_status(struct client *c, const struct mp_msg *m)
{
	if (m->u[MP_A_SERIAL] != c->serial) {
		fail(c, "status of serial %llu",
		     (unsigned long long)m->u[MP_A_SERIAL]);
		return;
	}
	if (c->st == ST_START) {
		if (m->u[MP_A_STATE] != CS_ACTIVE) {
			fail(c, "START left the contract in state %llu",
			     (unsigned long long)m->u[MP_A_STATE]);
			return;
		}
		send_datagrams(c);
		if (c->st == ST_FAILED)
			return;
		if (c->plan == P_KEEP) {
			c->t_done = now_ns();
			c->st = ST_HOLD;
		} else if (c->plan == P_USEUP) {
			c->st = ST_WARNED;
		} else {
			send_simple(c, MP_T_USAGE, ST_USAGE);
		}
		return;
	}
	/* ST_USAGE: the datagrams counted, and no more. */
	c->usage = m->u[MP_A_USAGE];
	if (c->usage > c->expect_usage) {
		fail(c, "usage %llu, sent %llu", (unsigned long long)c->usage,
		     (unsigned long long)c->expect_usage);
	} else if (c->usage == c->expect_usage) {
		send_simple(c, MP_T_TERMINATE, ST_STATEMENT);
	} else {
		c->st = ST_WAIT;
		c->t_next = now_ns() + POLL_NS;
	}
}

/* walkin useup: the warning that the hard limit was reached. */
static void on_warning(struct client *c, const struct mp_msg *m)
{
	if (c->st != ST_WARNED || m->u[MP_A_SERIAL] != c->serial ||
	    m->u[MP_A_WARNING] != MP_WARN_HARD_LIMIT)
		return; /* e.g. a soft-limit warning before it */
	c->usage = m->u[MP_A_USAGE];
	if (c->usage != c->expect_usage) {
		fail(c, "hard-limit warning at usage %llu, sent %llu",
		     (unsigned long long)c->usage,
		     (unsigned long long)c->expect_usage);
		return;
	}
	c->charge = c->deposit;
	c->t_done = now_ns();
	c->st = ST_CLOSED;
	close_client(c);
}

static void on_frame(struct client *c, const struct mp_msg *m)
{
	static const uint8_t expect[] = {
		[ST_OFFER] = MP_T_OFFER,     [ST_QUOTE] = MP_T_QUOTE,
		[ST_RECEIPT] = MP_T_RECEIPT, [ST_START] = MP_T_STATUS,
		[ST_USAGE] = MP_T_STATUS,    [ST_STATEMENT] = MP_T_STATEMENT,
	};

	if (m->flags & MP_F_ASYNC) {
		if (m->type == MP_T_WARNING && G.mode == M_WALKIN)
			on_warning(c, m);
		return; /* otherwise a warning: none is expected here */
	}
	if (m->type == MP_T_ERROR && G.mode == M_FLOOD) {
		G.errors++; /* refused: ask again */
		send_simple(c, MP_T_OFFER_GET, ST_OFFER);
		return;
	}
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
	case ST_START:
	case ST_USAGE:
		on_status(c, m);
		break;
	case ST_STATEMENT:
		on_statement(c, m);
		break;
	default:
		break;
	}
}

/* Reading stops at a state that expects nothing more. */
static int done(const struct client *c)
{
	return c->st == ST_FAILED || c->st == ST_CLOSED || c->st == ST_WAIT ||
	       c->st == ST_HOLD;
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
		while (c->st != ST_FAILED && c->ssl) {
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
		if (!c->ssl)
			return;
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
		if (done(c))
			return;
	}
}

/* idle: anything from the router, or its close. */
static void idle_read(struct client *c)
{
	char buf[512];
	ssize_t r = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
		lost(c);
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
		if (attacker() && !c->open) {
			c->open = 1;
			if (++G.open > G.max_open)
				G.max_open = G.open;
		}
		if (G.mode == M_IDLE) {
			G.established++;
			c->st = ST_IDLE;
			return;
		}
		c->ssl = SSL_new(G.ctx);
		if (!c->ssl || !SSL_set_fd(c->ssl, c->fd) ||
		    !SSL_set_tlsext_host_name(c->ssl, G.name) ||
		    !SSL_set1_host(c->ssl, G.name)) {
			fail(c, "TLS setup");
			return;
		}
		c->st = ST_TLS;
	}
	if (c->st == ST_IDLE) {
		idle_read(c);
		return;
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
		if (G.mode == M_HANDSHAKE) {
			c->t_end = c->t_tls;
			c->st = ST_HOLD;
			return;
		}
		if (G.mode == M_FLOOD)
			G.established++;
		send_simple(c, MP_T_OFFER_GET, ST_OFFER);
	}
	if (c->wlen)
		flush(c);
	if (c->ssl && !done(c) && (rev & (POLLIN | POLLHUP | POLLERR)))
		do_read(c);
	if (c->ssl && c->st != ST_FAILED && c->wlen)
		flush(c);
}

/* Still to be driven: for idle and flood every client, until the end. */
static int active(const struct client *c)
{
	return c->st != ST_HOLD && c->st != ST_CLOSED && c->st != ST_FAILED;
}

/* A client in ST_WAIT whose time came. */
static void on_timer(struct client *c)
{
	if (attacker())
		start(c);
	else
		send_simple(c, MP_T_USAGE, ST_USAGE);
	if (c->ssl && c->wlen)
		flush(c);
}

/* Drive every client until none is active or the deadline passes (idle,
 * flood: until the deadline or a signal). */
static void run(uint64_t deadline)
{
	static struct pollfd pfd[MAX_CLIENTS];
	static unsigned idx[MAX_CLIENTS];

	for (;;) {
		unsigned n = 0, nact = 0;
		uint64_t now = now_ns(), wake = deadline;
		int r;

		for (unsigned i = 0; i < G.n; i++) {
			struct client *c = &G.cl[i];

			if (!active(c))
				continue;
			nact++;
			if (c->st == ST_WAIT) {
				if (c->t_next < wake)
					wake = c->t_next;
				continue;
			}
			if (c->fd < 0)
				continue;
			pfd[n].fd = c->fd;
			pfd[n].events = POLLIN;
			if (c->st == ST_CONNECT || c->want_write || c->wlen)
				pfd[n].events |= POLLOUT;
			pfd[n].revents = 0;
			idx[n++] = i;
		}
		if (!nact)
			return;
		if (stop_now || now >= deadline) {
			if (attacker())
				return;
			for (unsigned i = 0; i < G.n; i++)
				if (active(&G.cl[i]))
					fail(&G.cl[i], stop_now ?
							       "interrupted" :
							       "timed out");
			return;
		}
		r = poll(pfd, n,
			 (int)((wake > now ? wake - now : 0) / 1000000 + 1));
		if (r < 0 && errno != EINTR) {
			perror("poll");
			exit(1);
		}
		for (unsigned j = 0; r > 0 && j < n; j++)
			if (pfd[j].revents)
				on_event(&G.cl[idx[j]], pfd[j].revents);
		now = now_ns();
		for (unsigned i = 0; i < G.n; i++)
			if (G.cl[i].st == ST_WAIT && G.cl[i].t_next <= now)
				on_timer(&G.cl[i]);
	}
}

static void terminate_all(uint64_t deadline)
{
	for (unsigned i = 0; i < G.n; i++) {
		struct client *c = &G.cl[i];

		if (c->st != ST_HOLD)
			continue;
		send_simple(c, MP_T_TERMINATE, ST_STATEMENT);
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

static void print_client(const struct client *c)
{
	if (G.mode == M_HANDSHAKE) {
		printf("client addr=%s connect_ms=%.3f total_ms=%.3f\n",
		       c->addr, ms(c->t_conn - c->t0), ms(c->t_end - c->t0));
		return;
	}
	if (G.mode == M_WALKIN) {
		printf("client addr=%s serial=%llu deposit=%llu plan=%s "
		       "usage=%llu charge=%llu refund=%llu connect_ms=%.3f "
		       "tls_ms=%.3f total_ms=%.3f done_ms=%.3f\n",
		       c->addr, (unsigned long long)c->serial,
		       (unsigned long long)c->deposit, plan_names[c->plan],
		       (unsigned long long)c->usage,
		       (unsigned long long)c->charge,
		       (unsigned long long)c->refund, ms(c->t_conn - c->t0),
		       ms(c->t_tls - c->t0), ms(c->t_end - c->t0),
		       ms(c->t_done - c->t0));
		return;
	}
	printf("client addr=%s serial=%llu deposit=%llu connect_ms=%.3f "
	       "tls_ms=%.3f total_ms=%.3f receipt=",
	       c->addr, (unsigned long long)c->serial,
	       (unsigned long long)c->deposit, ms(c->t_conn - c->t0),
	       ms(c->t_tls - c->t0), ms(c->t_end - c->t0));
	for (unsigned k = 0; k < RECEIPT_LEN; k++)
		printf("%02x", c->receipt[k]);
	printf("\n");
}

/* Limits and plan of client i. */
static void plan_client(unsigned i, struct client *c)
{
	c->plan = G.plan;
	if (G.mode == M_WALKIN && G.plan == P_ALTERNATE)
		c->plan = i % 2 ? P_USEUP : P_TERMINATE;
	c->hard = G.hard_unit * (i + 1);
	c->soft = c->hard / 2 ? c->hard / 2 : 1;
	if (G.mode != M_WALKIN)
		return;
	c->expect_usage = (uint64_t)G.ndgram * G.dgram_len;
	if (c->plan == P_USEUP)
		c->soft = c->hard = c->expect_usage;
}

static enum mode mode_of(const char *s)
{
	static const char *const names[] = { "contract", "handshake", "walkin",
					     "idle", "flood" };

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i]))
			return (enum mode)i;
	usage();
	return M_CONTRACT;
}

static int plan_of(const char *s)
{
	for (unsigned i = 0; i < sizeof(plan_names) / sizeof(plan_names[0]);
	     i++)
		if (!strcmp(s, plan_names[i]))
			return (int)i;
	return -1;
}

/* Many connections from one process: the descriptor limit up to its
 * hard limit. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void attack_summary(uint64_t wall)
{
	printf("summary mode=%s clients=%u connects=%llu established=%llu "
	       "max_open=%u closed=%llu offers=%llu quotes=%llu errors=%llu "
	       "wall_ms=%.3f\n",
	       G.mode == M_IDLE ? "idle" : "flood", G.n, G.connects,
	       G.established, G.max_open, G.closed, G.offers, G.quotes,
	       G.errors, ms(wall));
}

int main(int argc, char **argv)
{
	uint64_t t_start, deadline, *tot;
	unsigned ok = 0, failed = 0;
	double cpu, scpu0 = 0, scpu = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	int opt, p, nset = 0;

	while ((opt = getopt(argc, argv,
			     "s:p:A:n:b:a:c:V:M:H:R:Tt:P:u:k:z:w:")) != -1) {
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
		case 'a':
			G.addrs_file = optarg;
			break;
		case 'c':
			G.n = (unsigned)strtoul(optarg, NULL, 10);
			nset = 1;
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
		case 'u':
			if (parse_udp(optarg))
				usage();
			break;
		case 'k':
			G.ndgram = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'z':
			G.dgram_len = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'w':
			p = plan_of(optarg);
			if (p < 0)
				usage();
			G.plan = (enum plan)p;
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	G.mode = mode_of(argv[optind]);
	if (G.addrs_file) {
		G.naddrs = load_lines(G.addrs_file, G.addrs, MAX_CLIENTS);
		if (!nset)
			G.n = G.naddrs;
	}
	if (!G.ca || (!G.first && !G.naddrs) || !G.n || G.n > MAX_CLIENTS ||
	    G.metric < 0 || !G.hard_unit || !G.timeout_s || parse_server() ||
	    ((G.mode == M_CONTRACT || G.mode == M_WALKIN) && !G.codes_file) ||
	    (G.mode == M_WALKIN && G.ndgram &&
	     (!G.udplen || G.udp.ss_family != G.dst.ss_family ||
	      G.dgram_len < (G.dst.ss_family == AF_INET ? 28u : 48u) ||
	      G.dgram_len > 65535)))
		usage();
	if (!G.name)
		G.name = G.server;
	if (G.codes_file)
		G.ncodes = load_lines(G.codes_file, G.codes, MAX_CODES);
	raise_nofile();
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
				G.naddrs ? G.addrs[i % G.naddrs] : G.first);
			return 2;
		}
		if (c->src.ss_family != G.dst.ss_family) {
			fprintf(stderr, "estab-load: source and -s differ in "
					"family\n");
			return 2;
		}
		plan_client(i, c);
		c->code = G.ncodes ? G.codes[i % G.ncodes] : NULL;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* A channel the router closed fails its write, not the process. */
	signal(SIGPIPE, SIG_IGN);
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
	if (attacker()) {
		attack_summary(t_start);
		return 0;
	}
	cpu = cpu_ms(); /* before -T's terminations */
	if (G.server_pid)
		scpu = pid_cpu_ms(G.server_pid) - scpu0;

	for (unsigned i = 0; i < G.n; i++) {
		struct client *c = &G.cl[i];

		if (c->st != ST_HOLD && c->st != ST_CLOSED)
			continue;
		tot[ok++] = c->t_end - c->t0;
		if (G.rdir)
			write_receipt(c);
		print_client(c);
	}
	if (G.terminate && G.mode == M_CONTRACT)
		terminate_all(deadline);
	for (unsigned i = 0; i < G.n; i++) {
		struct client *c = &G.cl[i];

		if (c->st == ST_FAILED) {
			failed++;
			continue;
		}
		close_client(c);
	}
	qsort(tot, ok, sizeof(*tot), cmp_u64);
	printf("summary mode=%s clients=%u ok=%u failed=%u median_ms=%.3f "
	       "p99_ms=%.3f max_ms=%.3f wall_ms=%.3f cpu_ms=%.0f",
	       argv[optind], G.n, G.n - failed, failed,
	       ok ? ms(pct(tot, ok, 50)) : 0.0, ok ? ms(pct(tot, ok, 99)) : 0.0,
	       ok ? ms(tot[ok - 1]) : 0.0, ms(t_start), cpu);
	if (G.server_pid)
		printf(" server_cpu_ms=%.0f", scpu);
	printf("\n");
	SSL_CTX_free(G.ctx);
	free(tot);
	free(G.cl);
	for (unsigned i = 0; i < G.ncodes; i++)
		free(G.codes[i]);
	for (unsigned i = 0; i < G.naddrs; i++)
		free(G.addrs[i]);
	return failed ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * conn-lat: the time of new TCP connections and, as the floor any
 * userspace decision costs, of UDP request/response between two local
 * processes (tests/vm/bench/conn.sh: per-connection billing's hold).
 *
 *   conn-lat tcp ADDR PORT N   N connections one after the other, each
 *                              connect() to its completion, then closed;
 *   conn-lat tcp-par ADDR PORT N C  the same N connections, C of them
 *                              under way at any time (a new one as soon
 *                              as one completes): the rate a busy LAN
 *                              asks for, "total_us" only;
 *   conn-lat udp-rr N          N one-byte requests to a local echoing
 *                              child process and their replies;
 *   conn-lat sink PORT         accept and close connections for ever
 *                              (no process per connection);
 *   conn-lat syn SRC DST PORT N FIRST  N SYNs from SRC (raw socket), from
 *                              ports FIRST, FIRST + 1, ... (wrapping at
 *                              65535 to 1024), to DST:PORT: a SYN flood.
 *
 *   conn-lat idle US           nothing for US microseconds.
 *
 * Prints "median_us M total_us T window_us W n N": the median of the N
 * times in microseconds, the wall time of all of them, and the window's
 * (below).  Exit 1 if one failed.  Under tests/vm/run.sh's instruction
 * counter (qemu-insn), the N operations of tcp, tcp-par and udp-rr, and
 * idle's wait, are a window of their own, without the program's start
 * and end; with CONN_LAT_LINGER_US in the environment the window stays
 * open that long after them, so that what they leave to be done later
 * (the ends of their flows) is counted with them.  CONN_LAT_PROFILE: the
 * window's profile is written too.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qemu-insn/mark.h"

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void sleep_us(uint64_t us)
{
	struct timespec ts = { (time_t)(us / 1000000),
			       (long)(us % 1000000 * 1000) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static uint64_t window_us;

/* The operations begun at t0 are done: their time; the window closes
 * (after CONN_LAT_LINGER_US), its length in window_us. */
static uint64_t window_close(uint64_t t0)
{
	uint64_t total = now_us() - t0;
	const char *linger = getenv("CONN_LAT_LINGER_US");

	if (linger)
		sleep_us(strtoull(linger, NULL, 10));
	if (getenv("CONN_LAT_PROFILE"))
		INSN_MARK(INSN_MARK_PROFILE);
	INSN_MARK(INSN_MARK_STOP);
	window_us = now_us() - t0;
	return total;
}

static void report(uint64_t *t, int n, uint64_t total)
{
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("median_us %llu total_us %llu window_us %llu n %d\n",
	       (unsigned long long)(n % 2 ? t[n / 2] :
					    (t[n / 2 - 1] + t[n / 2]) / 2),
	       (unsigned long long)total, (unsigned long long)window_us, n);
}

static int tcp(const char *addr, int port, int n, uint64_t *t)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	uint64_t t0 = now_us();

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return -1;
	INSN_MARK(INSN_MARK_START);
	for (int i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		uint64_t a = now_us();

		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			fprintf(stderr, "conn-lat: connect %d: %s\n", i,
				strerror(errno));
			return -1;
		}
		t[i] = now_us() - a;
		close(fd);
	}
	report(t, n, window_close(t0));
	return 0;
}

static int tcp_par(const char *addr, int port, int n, int c)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	struct pollfd *p = calloc((size_t)c, sizeof(*p));
	int started = 0, done = 0;
	uint64_t t0 = now_us(), total;

	if (!p || inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return -1;
	for (int i = 0; i < c; i++)
		p[i].fd = -1;
	INSN_MARK(INSN_MARK_START);
	while (done < n) {
		for (int i = 0; i < c && started < n; i++) {
			if (p[i].fd >= 0)
				continue;
			p[i].fd =
				socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
			if (p[i].fd < 0 ||
			    (connect(p[i].fd, (struct sockaddr *)&sa,
				     sizeof(sa)) &&
			     errno != EINPROGRESS)) {
				fprintf(stderr, "conn-lat: connect %d: %s\n",
					started, strerror(errno));
				return -1;
			}
			p[i].events = POLLOUT;
			started++;
		}
		if (poll(p, (nfds_t)c, 10000) <= 0) {
			fprintf(stderr,
				"conn-lat: %d of %d connections "
				"completed, then none for 10 s\n",
				done, n);
			return -1;
		}
		for (int i = 0; i < c; i++) {
			int err = 0;
			socklen_t l = sizeof(err);

			if (p[i].fd < 0 || !p[i].revents)
				continue;
			if (getsockopt(p[i].fd, SOL_SOCKET, SO_ERROR, &err,
				       &l) ||
			    err) {
				fprintf(stderr, "conn-lat: connection: %s\n",
					strerror(err ? err : errno));
				return -1;
			}
			close(p[i].fd);
			p[i].fd = -1;
			p[i].revents = 0;
			done++;
		}
	}
	total = window_close(t0);
	printf("total_us %llu window_us %llu n %d c %d\n",
	       (unsigned long long)total, (unsigned long long)window_us, n, c);
	free(p);
	return 0;
}

static int udp_rr(int n, uint64_t *t)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int srv = socket(AF_INET, SOCK_DGRAM, 0);
	int cli = socket(AF_INET, SOCK_DGRAM, 0);
	uint64_t t0;
	char b = 0;
	pid_t pid;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (srv < 0 || cli < 0 || bind(srv, (struct sockaddr *)&sa, len) ||
	    getsockname(srv, (struct sockaddr *)&sa, &len) ||
	    connect(cli, (struct sockaddr *)&sa, len))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) { /* the other process: echo */
		struct sockaddr_in from;
		socklen_t fl;

		close(cli);
		for (;;) {
			fl = sizeof(from);
			if (recvfrom(srv, &b, 1, 0, (struct sockaddr *)&from,
				     &fl) == 1)
				sendto(srv, &b, 1, 0, (struct sockaddr *)&from,
				       fl);
		}
	}
	close(srv);
	t0 = now_us();
	INSN_MARK(INSN_MARK_START);
	for (int i = 0; i < n; i++) {
		uint64_t a = now_us();

		if (send(cli, &b, 1, 0) != 1 || recv(cli, &b, 1, 0) != 1)
			return -1;
		t[i] = now_us() - a;
	}
	report(t, n, window_close(t0));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 0;
}

static int sink(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 1024))
		return -1;
	for (;;) {
		int c = accept(fd, NULL, NULL);

		if (c >= 0)
			close(c);
	}
}

static uint16_t csum(const void *p, size_t len, uint32_t sum)
{
	const uint8_t *b = p;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static int syn_flood(const char *src, const char *dst, int port, int n,
		     int first)
{
	struct {
		struct iphdr ip;
		struct tcphdr tcp;
	} __attribute__((packed)) p;
	struct {
		uint32_t s, d;
		uint8_t zero, proto;
		uint16_t len;
		struct tcphdr tcp;
	} __attribute__((packed)) ph;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);

	memset(&p, 0, sizeof(p));
	if (fd < 0 || inet_pton(AF_INET, src, &p.ip.saddr) != 1 ||
	    inet_pton(AF_INET, dst, &p.ip.daddr) != 1)
		return -1;
	sa.sin_addr.s_addr = p.ip.daddr;
	p.ip.version = 4;
	p.ip.ihl = 5;
	p.ip.ttl = 64;
	p.ip.protocol = IPPROTO_TCP;
	p.ip.tot_len = htons(sizeof(p));
	p.tcp.dest = htons((uint16_t)port);
	p.tcp.doff = 5;
	p.tcp.syn = 1;
	p.tcp.window = htons(64240);
	for (int i = 0; i < n; i++) {
		p.ip.id = htons((uint16_t)i);
		p.ip.check = 0;
		p.ip.check = htons(csum(&p.ip, sizeof(p.ip), 0));
		p.tcp.source =
			htons((uint16_t)(1024 + (first - 1024 + i) % 64512));
		p.tcp.seq = htonl((uint32_t)i * 7919u);
		p.tcp.check = 0;
		ph.s = p.ip.saddr;
		ph.d = p.ip.daddr;
		ph.zero = 0;
		ph.proto = IPPROTO_TCP;
		ph.len = htons(sizeof(p.tcp));
		ph.tcp = p.tcp;
		p.tcp.check = htons(csum(&ph, sizeof(ph), 0));
		if (sendto(fd, &p, sizeof(p), 0, (struct sockaddr *)&sa,
			   sizeof(sa)) != sizeof(p)) {
			fprintf(stderr, "conn-lat: send: %s\n",
				strerror(errno));
			return -1;
		}
	}
	printf("sent %d\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t *t;
	int n, rc;

	if (argc == 3 && !strcmp(argv[1], "idle")) {
		INSN_MARK(INSN_MARK_START);
		sleep_us(strtoull(argv[2], NULL, 10));
		if (getenv("CONN_LAT_PROFILE"))
			INSN_MARK(INSN_MARK_PROFILE);
		INSN_MARK(INSN_MARK_STOP);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "sink"))
		return sink(atoi(argv[2])) ? 1 : 0;
	if (argc == 7 && !strcmp(argv[1], "syn"))
		return syn_flood(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]),
				 atoi(argv[6])) ?
			       1 :
			       0;

	if (argc == 6 && !strcmp(argv[1], "tcp-par")) {
		n = atoi(argv[4]);
		if (n < 1 || n > 1000000 || atoi(argv[5]) < 1 ||
		    atoi(argv[5]) > 4096)
			return 2;
		return tcp_par(argv[2], atoi(argv[3]), atoi(argv[4]),
			       atoi(argv[5])) ?
			       1 :
			       0;
	}
	if (argc == 5 && !strcmp(argv[1], "tcp"))
		n = atoi(argv[4]);
	else if (argc == 3 && !strcmp(argv[1], "udp-rr"))
		n = atoi(argv[2]);
	else {
		fprintf(stderr,
			"usage: conn-lat tcp ADDR PORT N | tcp-par ADDR "
			"PORT N C | udp-rr N | sink PORT | syn SRC DST "
			"PORT N FIRST\n");
		return 2;
	}
	if (n < 1 || n > 1000000)
		return 2;
	t = calloc((size_t)n, sizeof(*t));
	if (!t)
		return 1;
	rc = argc == 5 ? tcp(argv[2], atoi(argv[3]), n, t) : udp_rr(n, t);
	free(t);
	return rc ? 1 : 0;
}

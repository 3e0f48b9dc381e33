// SPDX-License-Identifier: GPL-2.0
/*
 * lib/sockowner: the owner of a TCP socket by its exact 4-tuple, from the
 * kernel (NETLINK_SOCK_DIAG).  Connections on loopback within this
 * process: both ends are ours (IPv4, IPv6 if the host has ::1, and a
 * dual-stack socket talking IPv4 found by its IPv4 tuple); a tuple nobody
 * has and a closed end are -ENOENT; as root, a child under uid 4242
 * connects and its end is 4242's.  UDP (if the kernel has udp_diag): the
 * socket a datagram from the remote end would reach, bound (to the
 * address or the wildcard) or connected; a connected one only from its
 * peer; as root, a child's bound and connected sockets are 4242's;
 * another protocol is -EPROTONOSUPPORT.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "sockowner.h"

#define OTHER_UID 4242

/* An address and a port of either family. */
struct ep {
	int family;
	uint8_t addr[16];
	uint16_t port;
};

static void ep_of(const struct sockaddr_storage *ss, struct ep *e)
{
	memset(e, 0, sizeof(*e));
	e->family = ss->ss_family;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss;

		memcpy(e->addr, &a->sin_addr, 4);
		e->port = ntohs(a->sin_port);
	} else {
		const struct sockaddr_in6 *a = (const void *)ss;

		memcpy(e->addr, &a->sin6_addr, 16);
		e->port = ntohs(a->sin6_port);
	}
}

static void local_ep(int fd, struct ep *e)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	ep_of(&ss, e);
}

static void remote_ep(int fd, struct ep *e)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	assert_int_equal(getpeername(fd, (struct sockaddr *)&ss, &len), 0);
	ep_of(&ss, e);
}

/* The owner of fd's connection, looked up by its own tuple. */
static int owner_of(int fd, uid_t *uid)
{
	struct ep l, r;

	local_ep(fd, &l);
	remote_ep(fd, &r);
	assert_int_equal(l.family, r.family);
	return sock_owner(IPPROTO_TCP, l.family, l.addr, l.port, r.addr, r.port,
			  uid);
}

/* A listener on the loopback address of family af (port chosen by the
 * kernel), or -1 if the host has none. */
static int listener(int af)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&ss, 0, sizeof(ss));
	if (af == AF_INET) {
		struct sockaddr_in *a = (void *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (void *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 4) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A socket of family af connected to the listener lfd; mapped: af is
 * AF_INET6, lfd IPv4, and the address a v4-mapped one. */
static int connect_to(int af, int lfd, int mapped)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&ss, &len), 0);
	if (mapped) {
		const struct sockaddr_in *v4 = (const void *)&ss;
		struct sockaddr_in6 a = { .sin6_family = AF_INET6,
					  .sin6_port = v4->sin_port };
		int off = 0;

		assert_int_equal(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off,
					    sizeof(off)),
				 0);
		a.sin6_addr.s6_addr[10] = 0xff;
		a.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&a.sin6_addr.s6_addr[12], &v4->sin_addr, 4);
		assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)),
				 0);
	} else {
		assert_int_equal(connect(fd, (struct sockaddr *)&ss, len), 0);
	}
	return fd;
}

static int family_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	return ss.ss_family;
}

/* Both ends of a connection to the listener lfd are ours; a port nobody
 * has, and the other family's lookup, are not found; a closed end has no
 * owner any more. */
static void both_ends(int lfd)
{
	int af = family_of(lfd);
	struct ep l, r;
	uid_t uid;
	int c, s;

	c = connect_to(af, lfd, 0);
	s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(s >= 0);

	uid = 12345;
	assert_int_equal(owner_of(c, &uid), 0);
	assert_int_equal(uid, geteuid());
	uid = 12345;
	assert_int_equal(owner_of(s, &uid), 0);
	assert_int_equal(uid, geteuid());

	/* the same ends, another remote port: nobody's */
	local_ep(c, &l);
	remote_ep(c, &r);
	assert_int_equal(sock_owner(IPPROTO_TCP, af, l.addr, l.port, r.addr, 1,
				    &uid),
			 -ENOENT);
	/* ... another local port */
	assert_int_equal(sock_owner(IPPROTO_TCP, af, l.addr, 1, r.addr, r.port,
				    &uid),
			 -ENOENT);
	/* no such family */
	assert_int_equal(sock_owner(IPPROTO_TCP, AF_UNIX, l.addr, l.port,
				    r.addr, r.port, &uid),
			 -EAFNOSUPPORT);

	/* closed: FIN_WAIT, then TIME_WAIT, with no file and no owner */
	close(c);
	assert_int_equal(sock_owner(IPPROTO_TCP, af, l.addr, l.port, r.addr,
				    r.port, &uid),
			 -ENOENT);
	close(s);
	assert_int_equal(sock_owner(IPPROTO_TCP, af, l.addr, l.port, r.addr,
				    r.port, &uid),
			 -ENOENT);
}

static void test_ipv4(void **state)
{
	int lfd = listener(AF_INET);

	(void)state;
	assert_true(lfd >= 0);
	both_ends(lfd);
	close(lfd);
}

static void test_ipv6(void **state)
{
	int lfd = listener(AF_INET6);

	(void)state;
	if (lfd < 0) {
		print_message("skipped: no IPv6 loopback (::1): %s\n",
			      strerror(errno));
		skip();
	}
	both_ends(lfd);
	close(lfd);
}

/* A dual-stack (AF_INET6) socket connected to a v4-mapped address: the
 * kernel's IPv4 lookup finds it by its IPv4 tuple, as it does for a
 * v4-mapped AF_INET6 question. */
static void test_v4_mapped(void **state)
{
	int lfd = listener(AF_INET), c, s;
	struct ep l, r;
	uid_t uid = 12345;

	(void)state;
	assert_true(lfd >= 0);
	c = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0) {
		close(lfd);
		print_message("skipped: no IPv6 sockets: %s\n",
			      strerror(errno));
		skip();
	}
	close(c);
	c = connect_to(AF_INET6, lfd, 1);
	s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(s >= 0);
	local_ep(c, &l);
	remote_ep(c, &r);
	assert_int_equal(l.family, AF_INET6);
	assert_int_equal(l.addr[10], 0xff);
	assert_int_equal(r.addr[10], 0xff);
	/* as the router sees it: IPv4 */
	assert_int_equal(sock_owner(IPPROTO_TCP, AF_INET, l.addr + 12, l.port,
				    r.addr + 12, r.port, &uid),
			 0);
	assert_int_equal(uid, geteuid());
	/* as the socket has it: v4-mapped IPv6 */
	uid = 12345;
	assert_int_equal(owner_of(c, &uid), 0);
	assert_int_equal(uid, geteuid());
	close(c);
	close(s);
	close(lfd);
}

/* As root: a child that is uid OTHER_UID connects; its end is its own,
 * the parent's accepted end the parent's. */
static void test_other_user(void **state)
{
	int lfd, ready[2], hold[2], st;
	uid_t uid = 12345;
	char b;
	pid_t pid;
	int s;

	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: another user's socket needs root (uid "
			      "%u)\n",
			      (unsigned int)geteuid());
		skip();
	}
	lfd = listener(AF_INET);
	assert_true(lfd >= 0);
	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	assert_int_equal(pipe2(hold, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sockaddr_in a;
		socklen_t alen = sizeof(a);
		int c;

		close(ready[0]);
		close(hold[1]);
		if (setgroups(0, NULL) < 0 ||
		    setresgid(OTHER_UID, OTHER_UID, OTHER_UID) < 0 ||
		    setresuid(OTHER_UID, OTHER_UID, OTHER_UID) < 0)
			_exit(2);
		/* no cmocka here: a failure is the exit status */
		c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c < 0 || getsockname(lfd, (struct sockaddr *)&a, &alen) ||
		    connect(c, (struct sockaddr *)&a, alen) < 0)
			_exit(4);
		/* connected: tell the parent, hold the socket until it read */
		if (write(ready[1], "c", 1) != 1)
			_exit(3);
		while (read(hold[0], &b, 1) < 0 && errno == EINTR)
			;
		close(c);
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	assert_int_equal(read(ready[0], &b, 1), 1);
	s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(s >= 0);
	{
		struct ep l, r;

		/* the child's end: the server's remote, and back */
		local_ep(s, &l);
		remote_ep(s, &r);
		assert_int_equal(sock_owner(IPPROTO_TCP, AF_INET, r.addr,
					    r.port, l.addr, l.port, &uid),
				 0);
		assert_int_equal(uid, OTHER_UID);
	}
	uid = 12345;
	assert_int_equal(owner_of(s, &uid), 0);
	assert_int_equal(uid, 0);
	close(hold[1]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(ready[0]);
	close(s);
	close(lfd);
}

/* ---- UDP ---- */

/*
 * Whether the kernel answers UDP sock_diag at all (udp_diag, built in or
 * a module): a dump of its IPv4 sockets, asked without lib/sockowner, is
 * refused with ENOENT when nothing handles the protocol.  1 if it does.
 */
static int udp_diag_present(void)
{
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 r;
	} q;
	union {
		struct nlmsghdr h;
		char b[16384];
	} a;
	struct sockaddr_nl k = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 1 };
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
			NETLINK_SOCK_DIAG);
	ssize_t n;
	int ok = 1;

	assert_true(fd >= 0);
	memset(&q, 0, sizeof(q));
	q.h.nlmsg_len = sizeof(q);
	q.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	q.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	q.h.nlmsg_seq = 1;
	q.r.sdiag_family = AF_INET;
	q.r.sdiag_protocol = IPPROTO_UDP;
	q.r.idiag_states = ~0u;
	assert_int_equal(
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	assert_int_equal(sendto(fd, &q, sizeof(q), 0, (struct sockaddr *)&k,
				sizeof(k)),
			 (ssize_t)sizeof(q));
	n = recv(fd, &a, sizeof(a), 0);
	assert_true(n >= (ssize_t)sizeof(struct nlmsghdr));
	if (a.h.nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(&a.h);

		assert_int_equal(e->error, -ENOENT);
		ok = 0;
	}
	close(fd);
	return ok;
}

#define UDP_NEEDED()                                                        \
	do {                                                                \
		if (!udp_diag_present()) {                                  \
			print_message("skipped: the kernel answers no UDP " \
				      "sock_diag (no udp_diag)\n");         \
			skip();                                             \
		}                                                           \
	} while (0)

/* A UDP socket of family af bound to the loopback address (any: the
 * wildcard) and a port the kernel chooses, or -1 if the family has no
 * loopback here. */
static int udp_bound(int af, int any)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(af, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&ss, 0, sizeof(ss));
	if (af == AF_INET) {
		struct sockaddr_in *a = (void *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(any ? INADDR_ANY : INADDR_LOOPBACK);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (void *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = any ? in6addr_any : in6addr_loopback;
		len = sizeof(*a);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A UDP socket of fd's family connected to fd's address. */
static int udp_connected(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int c;

	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	c = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(c >= 0);
	assert_int_equal(connect(c, (struct sockaddr *)&ss, len), 0);
	return c;
}

/* The loopback address of family af, and one for the far end of a flow
 * (TEST-NET-1, 2001:db8::), as sock_owner takes them. */
static void addrs_of(int af, uint8_t lo[16], uint8_t far[16])
{
	memset(lo, 0, 16);
	memset(far, 0, 16);
	if (af == AF_INET) {
		uint32_t a = htonl(INADDR_LOOPBACK), f = htonl(0xc0000201);

		memcpy(lo, &a, 4);
		memcpy(far, &f, 4);
	} else {
		memcpy(lo, &in6addr_loopback, 16);
		far[0] = 0x20;
		far[1] = 0x01;
		far[2] = 0x0d;
		far[3] = 0xb8;
		far[15] = 1;
	}
}

/* Datagrams to a bound socket from anywhere, and a connected socket's
 * from its peer only, are ours; a closed one's nobody's. */
static void udp_both(int af)
{
	uint8_t lo[16], far[16];
	struct ep l, r;
	uid_t uid;
	int b, w, c;

	addrs_of(af, lo, far);
	b = udp_bound(af, 0);
	assert_true(b >= 0);
	local_ep(b, &l);
	assert_true(l.port != 0);
	/* bound, not connected: a flow from any remote end reaches it */
	uid = 12345;
	assert_int_equal(
		sock_owner(IPPROTO_UDP, af, lo, l.port, far, 5353, &uid), 0);
	assert_int_equal(uid, geteuid());
	uid = 12345;
	assert_int_equal(sock_owner(IPPROTO_UDP, af, lo, l.port, lo, 1, &uid),
			 0);
	assert_int_equal(uid, geteuid());
	/* the TCP table has nothing there */
	assert_int_equal(sock_owner(IPPROTO_TCP, af, lo, l.port, far, 5353,
				    &uid),
			 -ENOENT);

	/* bound to the wildcard: found by the address the flow has */
	w = udp_bound(af, 1);
	assert_true(w >= 0);
	local_ep(w, &r);
	uid = 12345;
	assert_int_equal(sock_owner(IPPROTO_UDP, af, lo, r.port, far, 53, &uid),
			 0);
	assert_int_equal(uid, geteuid());
	close(w);

	/* connected (to b): by its tuple; from elsewhere it takes nothing */
	c = udp_connected(b);
	local_ep(c, &l);
	remote_ep(c, &r);
	assert_int_equal(l.family, af);
	uid = 12345;
	assert_int_equal(sock_owner(IPPROTO_UDP, af, l.addr, l.port, r.addr,
				    r.port, &uid),
			 0);
	assert_int_equal(uid, geteuid());
	assert_int_equal(sock_owner(IPPROTO_UDP, af, l.addr, l.port, r.addr,
				    (uint16_t)(r.port + 1), &uid),
			 -ENOENT);
	assert_int_equal(sock_owner(IPPROTO_UDP, af, l.addr, l.port, far,
				    r.port, &uid),
			 -ENOENT);

	/* closed: nobody has the port any more */
	local_ep(b, &l);
	close(b);
	close(c);
	assert_int_equal(sock_owner(IPPROTO_UDP, af, lo, l.port, far, 5353,
				    &uid),
			 -ENOENT);
}

static void test_udp_ipv4(void **state)
{
	(void)state;
	UDP_NEEDED();
	udp_both(AF_INET);
}

static void test_udp_ipv6(void **state)
{
	int fd;

	(void)state;
	UDP_NEEDED();
	fd = udp_bound(AF_INET6, 0);
	if (fd < 0) {
		print_message("skipped: no IPv6 loopback (::1): %s\n",
			      strerror(errno));
		skip();
	}
	close(fd);
	udp_both(AF_INET6);
}

/* A dual-stack socket bound to [::]: a datagram to its IPv4 address
 * reaches it, so the IPv4 question finds it. */
static void test_udp_v4_mapped(void **state)
{
	uint8_t lo[16], far[16];
	int fd, off = 0;
	struct ep l;
	uid_t uid = 12345;

	(void)state;
	UDP_NEEDED();
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		print_message("skipped: no IPv6 sockets: %s\n",
			      strerror(errno));
		skip();
	}
	{
		struct sockaddr_in6 a = { .sin6_family = AF_INET6 };

		assert_int_equal(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off,
					    sizeof(off)),
				 0);
		assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	}
	local_ep(fd, &l);
	addrs_of(AF_INET, lo, far);
	assert_int_equal(
		sock_owner(IPPROTO_UDP, AF_INET, lo, l.port, far, 53, &uid), 0);
	assert_int_equal(uid, geteuid());
	close(fd);
}

/* Only TCP and UDP; the family is checked as for TCP. */
static void test_udp_other_protocols(void **state)
{
	uint8_t lo[16], far[16];
	uid_t uid = 12345;
	int fd;
	struct ep l;

	(void)state;
	fd = udp_bound(AF_INET, 0);
	assert_true(fd >= 0);
	local_ep(fd, &l);
	addrs_of(AF_INET, lo, far);
	assert_int_equal(sock_owner(IPPROTO_SCTP, AF_INET, lo, l.port, far, 53,
				    &uid),
			 -EPROTONOSUPPORT);
	assert_int_equal(sock_owner(132, AF_INET, lo, l.port, far, 53, &uid),
			 -EPROTONOSUPPORT);
	assert_int_equal(sock_owner(IPPROTO_UDPLITE, AF_INET, lo, l.port, far,
				    53, &uid),
			 -EPROTONOSUPPORT);
	assert_int_equal(sock_owner(IPPROTO_ICMP, AF_INET, lo, l.port, far, 53,
				    &uid),
			 -EPROTONOSUPPORT);
	assert_int_equal(sock_owner(IPPROTO_UDP, AF_UNIX, lo, l.port, far, 53,
				    &uid),
			 -EAFNOSUPPORT);
	assert_int_equal(uid, 12345);
	close(fd);
}

/* As root: a child that is uid OTHER_UID binds one UDP socket and
 * connects another to ours; both are its own, ours is ours. */
static void test_udp_other_user(void **state)
{
	uint8_t lo[16], far[16];
	int ready[2], hold[2], st, mine;
	uint16_t ports[2];
	struct ep m;
	uid_t uid = 12345;
	char b;
	pid_t pid;

	(void)state;
	UDP_NEEDED();
	if (geteuid() != 0) {
		print_message("skipped: another user's socket needs root (uid "
			      "%u)\n",
			      (unsigned int)geteuid());
		skip();
	}
	mine = udp_bound(AF_INET, 0);
	assert_true(mine >= 0);
	local_ep(mine, &m);
	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	assert_int_equal(pipe2(hold, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sockaddr_in a;
		socklen_t alen = sizeof(a);
		int u, c;

		close(ready[0]);
		close(hold[1]);
		if (setgroups(0, NULL) < 0 ||
		    setresgid(OTHER_UID, OTHER_UID, OTHER_UID) < 0 ||
		    setresuid(OTHER_UID, OTHER_UID, OTHER_UID) < 0)
			_exit(2);
		/* no cmocka here: a failure is the exit status */
		u = udp_bound(AF_INET, 1);
		c = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (u < 0 || c < 0 ||
		    getsockname(mine, (struct sockaddr *)&a, &alen) < 0 ||
		    connect(c, (struct sockaddr *)&a, alen) < 0)
			_exit(4);
		alen = sizeof(a);
		if (getsockname(u, (struct sockaddr *)&a, &alen) < 0)
			_exit(4);
		ports[0] = ntohs(a.sin_port);
		alen = sizeof(a);
		if (getsockname(c, (struct sockaddr *)&a, &alen) < 0)
			_exit(4);
		ports[1] = ntohs(a.sin_port);
		/* bound: tell the parent the ports, hold until it read */
		if (write(ready[1], ports, sizeof(ports)) != sizeof(ports))
			_exit(3);
		while (read(hold[0], &b, 1) < 0 && errno == EINTR)
			;
		close(u);
		close(c);
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	assert_int_equal(read(ready[0], ports, sizeof(ports)), sizeof(ports));
	addrs_of(AF_INET, lo, far);
	/* the child's bound socket, for a flow from anywhere */
	assert_int_equal(sock_owner(IPPROTO_UDP, AF_INET, lo, ports[0], far,
				    4500, &uid),
			 0);
	assert_int_equal(uid, OTHER_UID);
	/* its connected one, from our socket */
	uid = 12345;
	assert_int_equal(sock_owner(IPPROTO_UDP, AF_INET, lo, ports[1], lo,
				    m.port, &uid),
			 0);
	assert_int_equal(uid, OTHER_UID);
	/* and ours, from its connected one */
	uid = 12345;
	assert_int_equal(sock_owner(IPPROTO_UDP, AF_INET, lo, m.port, lo,
				    ports[1], &uid),
			 0);
	assert_int_equal(uid, 0);
	close(hold[1]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* gone with the child */
	assert_int_equal(sock_owner(IPPROTO_UDP, AF_INET, lo, ports[0], far,
				    4500, &uid),
			 -ENOENT);
	close(ready[0]);
	close(mine);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_v4_mapped),
		cmocka_unit_test(test_other_user),
		cmocka_unit_test(test_udp_ipv4),
		cmocka_unit_test(test_udp_ipv6),
		cmocka_unit_test(test_udp_v4_mapped),
		cmocka_unit_test(test_udp_other_protocols),
		cmocka_unit_test(test_udp_other_user),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

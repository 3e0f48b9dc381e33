// SPDX-License-Identifier: GPL-2.0
/*
 * lib/sockowner: the owner of a TCP socket by its exact 4-tuple, from the
 * kernel (NETLINK_SOCK_DIAG).  Connections on loopback within this
 * process: both ends are ours (IPv4, IPv6 if the host has ::1, and a
 * dual-stack socket talking IPv4 found by its IPv4 tuple); a tuple nobody
 * has and a closed end are -ENOENT; as root, a child under uid 4242
 * connects and its end is 4242's.
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
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

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
	return sock_owner_tcp(l.family, l.addr, l.port, r.addr, r.port, uid);
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
	assert_int_equal(sock_owner_tcp(af, l.addr, l.port, r.addr, 1, &uid),
			 -ENOENT);
	/* ... another local port */
	assert_int_equal(sock_owner_tcp(af, l.addr, 1, r.addr, r.port, &uid),
			 -ENOENT);
	/* no such family */
	assert_int_equal(sock_owner_tcp(AF_UNIX, l.addr, l.port, r.addr, r.port,
					&uid),
			 -EAFNOSUPPORT);

	/* closed: FIN_WAIT, then TIME_WAIT, with no file and no owner */
	close(c);
	assert_int_equal(sock_owner_tcp(af, l.addr, l.port, r.addr, r.port,
					&uid),
			 -ENOENT);
	close(s);
	assert_int_equal(sock_owner_tcp(af, l.addr, l.port, r.addr, r.port,
					&uid),
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
	assert_int_equal(sock_owner_tcp(AF_INET, l.addr + 12, l.port,
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
		assert_int_equal(sock_owner_tcp(AF_INET, r.addr, r.port, l.addr,
						l.port, &uid),
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_v4_mapped),
		cmocka_unit_test(test_other_user),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

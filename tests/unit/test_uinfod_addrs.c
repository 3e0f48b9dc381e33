// SPDX-License-Identifier: GPL-2.0
/*
 * muisp-uinfod's Multi-IP routing (daemon/uinfod/addrs.c), in a network
 * namespace of the test's own on a veth: each user's own address is on
 * the interface, and a socket of theirs gets it as its source (the
 * kernel's per-uid rule and the user's table), while root's keeps the
 * interface's own; applying again with a user gone removes that user's
 * address, rule and routes, and what other programs made stays.  Needs
 * root or an unprivileged user namespace (then uids are not mapped and
 * the per-uid half is skipped).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "daemon/uinfod/uinfod.h"

static int root; /* uids can be switched to (not a user namespace) */

static void user(struct uinfod_user *u, uint32_t uid, const char *a,
		 uint8_t plen)
{
	memset(u, 0, sizeof(*u));
	u->uid = uid;
	u->id = uid + 6000;
	u->line = (int)uid;
	if (!a)
		return;
	u->family = strchr(a, ':') ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(u->family, a, u->addr), 1);
	u->plen = plen;
}

/* The source address a UDP socket of uid gets towards dst, as text. */
static void source_of(uid_t uid, const char *dst, char *out, size_t len)
{
	int p[2], st;
	pid_t pid;
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		int af = strchr(dst, ':') ? AF_INET6 : AF_INET;
		struct sockaddr_storage ss = { 0 };
		socklen_t sl = sizeof(ss);
		char a[INET6_ADDRSTRLEN] = "none";
		int fd;

		if (uid && setresuid(uid, uid, uid))
			_exit(1);
		fd = socket(af, SOCK_DGRAM, 0);
		if (af == AF_INET) {
			struct sockaddr_in *s = (struct sockaddr_in *)&ss;

			s->sin_family = AF_INET;
			s->sin_port = htons(9);
			inet_pton(AF_INET, dst, &s->sin_addr);
			sl = sizeof(*s);
		} else {
			struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

			s->sin6_family = AF_INET6;
			s->sin6_port = htons(9);
			inet_pton(AF_INET6, dst, &s->sin6_addr);
			sl = sizeof(*s);
		}
		if (connect(fd, (struct sockaddr *)&ss, sl) == 0 &&
		    getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
			inet_ntop(af,
				  af == AF_INET ?
					  (void *)&((struct sockaddr_in *)&ss)
						  ->sin_addr :
					  (void *)&((struct sockaddr_in6 *)&ss)
						  ->sin6_addr,
				  a, sizeof(a));
		if (write(p[1], a, strlen(a) + 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], out, len - 1);
	close(p[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(n > 0);
	out[n] = '\0';
}

/* The output of an iproute2 command, in buf (empty if it failed). */
static const char *cmd(const char *line, char *buf, size_t len)
{
	FILE *f = popen(line, "r");
	size_t n;

	buf[0] = '\0';
	if (!f)
		return buf;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	pclose(f);
	return buf;
}

static void test_apply(void **state)
{
	struct uinfod_user users[3];
	struct uinfod_conf c = { 0 };
	uint32_t lo = if_nametoindex("v0");
	char buf[4096], src[64];

	(void)state;
	assert_true(lo > 0);
	/* the host's own address, and a rule of someone else's */
	assert_string_equal(
		cmd("ip addr add 10.77.0.100/24 dev v0 2>&1 && "
		    "ip -6 addr add fd00:77::100/64 dev v0 nodad 2>&1 && "
		    "ip rule add priority 1000 uidrange 5-5 table 99 2>&1",
		    buf, sizeof(buf)),
		"");
	user(&users[0], 1001, "10.77.0.150", 24);
	user(&users[1], 1002, NULL, 0);
	user(&users[2], 1003, "fd00:77::153", 64);
	c.users = users;
	c.nusers = 3;
	assert_int_equal(uinfod_addrs_apply(lo, &c), 0);
	/* twice is the same (an earlier start's state replaced) */
	assert_int_equal(uinfod_addrs_apply(lo, &c), 0);
	cmd("ip -o addr show dev v0 | grep -cE '10.77.0.150/24|fd00:77::153/64'",
	    buf, sizeof(buf));
	assert_string_equal(buf, "2\n");
	cmd("ip rule show | grep -c 'uidrange 1001-1001 lookup 1836384256'",
	    buf, sizeof(buf));
	assert_string_equal(buf, "1\n");
	cmd("ip -6 rule show | grep -c 'uidrange 1003-1003 lookup "
	    "1836384258'",
	    buf, sizeof(buf));
	assert_string_equal(buf, "1\n");
	cmd("ip route show table 1836384256", buf, sizeof(buf));
	assert_non_null(strstr(buf, "10.77.0.0/24 dev v0 proto 109 scope link "
				    "src 10.77.0.150"));
	if (root) {
		/* each user's own source; root's and 1002's the host's */
		source_of(1001, "10.77.0.9", src, sizeof(src));
		assert_string_equal(src, "10.77.0.150");
		source_of(1002, "10.77.0.9", src, sizeof(src));
		assert_string_equal(src, "10.77.0.100");
		source_of(0, "10.77.0.9", src, sizeof(src));
		assert_string_equal(src, "10.77.0.100");
		source_of(1003, "fd00:77::9", src, sizeof(src));
		assert_string_equal(src, "fd00:77::153");
		source_of(1001, "fd00:77::9", src, sizeof(src));
		assert_string_equal(src, "fd00:77::100");
		source_of(0, "fd00:77::9", src, sizeof(src));
		assert_string_equal(src, "fd00:77::100");
	}
	/* 1001 gone from the configuration: their address, rule and
	 * routes go; 1003's and the others' rule stay */
	c.users = &users[1];
	c.nusers = 2;
	assert_int_equal(uinfod_addrs_apply(lo, &c), 0);
	cmd("ip -o addr show dev v0 | grep -c 10.77.0.150", buf, sizeof(buf));
	assert_string_equal(buf, "0\n");
	cmd("ip rule show | grep -c 'uidrange 1001-1001'", buf, sizeof(buf));
	assert_string_equal(buf, "0\n");
	cmd("ip rule show | grep -c 'uidrange 5-5 lookup 99'", buf,
	    sizeof(buf));
	assert_string_equal(buf, "1\n");
	cmd("ip route show table all | grep -c 10.77.0.150", buf, sizeof(buf));
	assert_string_equal(buf, "0\n");
	cmd("ip -6 rule show | grep -c 'uidrange 1003-1003'", buf, sizeof(buf));
	assert_string_equal(buf, "1\n");
	if (root) {
		source_of(1001, "10.77.0.9", src, sizeof(src));
		assert_string_equal(src, "10.77.0.100");
	}
	/* none left */
	c.nusers = 0;
	assert_int_equal(uinfod_addrs_apply(lo, &c), 0);
	cmd("ip -o addr show dev v0 | grep -cE '10.77.0|fd00:77'", buf,
	    sizeof(buf));
	assert_string_equal(buf, "2\n"); /* the host's own only */
}

static int setup(void **state)
{
	(void)state;
	root = geteuid() == 0;
	if (unshare(CLONE_NEWNET) < 0) {
		root = 0;
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
			return -1;
	}
	/* a link of its own: lo's addresses make their whole subnet local */
	return system("ip link set lo up && ip link add v0 type veth peer "
		      "name v1 && ip link set v0 up && ip link set v1 up") ==
			       0 ?
		       0 :
		       -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}

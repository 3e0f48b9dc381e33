/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test helper shared by the unit tests of operator-socket clients
 * (test_muispctl_daemon.c, test_opclient.c, test_stats_cat.c): a fake
 * daemon, a forked process listening on a unix socket that hands each
 * connection to the test's serve(fd, mode), answering with lib/proto.
 * It never outlives the test nor holds its output open.  Include after
 * <cmocka.h>.
 */
#ifndef MUISP_TESTS_OPD_FAKE_H
#define MUISP_TESTS_OPD_FAKE_H

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proto.h"

typedef void (*opd_serve_fn)(int fd, int mode);

/* One request from fd into *req (static buffer): 0, -1 at the end of
 * the connection; a frame that does not decode ends the fake (exit 2). */
static inline int opd_read_req(int fd, struct mp_msg *req)
{
	static uint8_t buf[MP_MAX_FRAME];
	size_t len = MP_HDR_LEN, got = 0;
	int flen = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n <= 0)
			return -1;
		got += (size_t)n;
		if (got == MP_HDR_LEN && !flen) {
			flen = mp_frame_len(buf, MP_HDR_LEN);
			if (flen < MP_HDR_LEN)
				_exit(2);
			len = (size_t)flen;
		}
	}
	if (mp_decode(buf, len, req))
		_exit(2);
	return 0;
}

/* Send m; the fake exits (3) if it cannot. */
static inline void opd_send(int fd, const struct mp_msg *m)
{
	static uint8_t buf[MP_MAX_FRAME];
	int n = mp_encode(m, buf, sizeof(buf));

	if (n < 0 || write(fd, buf, (size_t)n) != n)
		_exit(3);
}

/* 16 bytes that are no frame header (bad magic). */
static inline void opd_send_garbage(int fd)
{
	uint8_t buf[MP_HDR_LEN];

	memset(buf, 'x', sizeof(buf));
	if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		_exit(3);
}

/* Listen on path (replacing a stale socket) and fork the fake; its pid. */
static inline pid_t opd_start(const char *path, opd_serve_fn serve, int mode)
{
	struct sockaddr_un su = { .sun_family = AF_UNIX };
	int lfd, fd;
	pid_t pid;

	unlink(path);
	assert_true(strlen(path) < sizeof(su.sun_path));
	memcpy(su.sun_path, path, strlen(path) + 1);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&su, sizeof(su)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(1);
		dup2(null, 1);
		dup2(null, 2);
		for (;;) {
			fd = accept(lfd, NULL, NULL);
			if (fd < 0)
				_exit(1);
			serve(fd, mode);
			close(fd);
		}
	}
	close(lfd); /* the child listens; connect() queues meanwhile */
	return pid;
}

/* Stop the fake at *pid (if any) and remove path.  check: assert that it
 * was still running (it never exited on its own); off in a teardown
 * after a failed assertion. */
static inline void opd_stop(pid_t *pid, const char *path, int check)
{
	int st;

	if (*pid > 0) {
		kill(*pid, SIGKILL);
		if (check) {
			assert_int_equal(waitpid(*pid, &st, 0), *pid);
			assert_true(WIFSIGNALED(st));
		} else {
			waitpid(*pid, NULL, 0);
		}
	}
	*pid = 0;
	unlink(path);
}

#endif /* MUISP_TESTS_OPD_FAKE_H */

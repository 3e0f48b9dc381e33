// SPDX-License-Identifier: GPL-2.0
/*
 * lib/opclient against a fake daemon (a forked process on a unix socket in
 * a temporary directory, answering with lib/proto): a reply, a list with
 * MORE items of serial 0, counters over several replies, an ERROR reply,
 * a reply of another type, a reply out of turn, a frame that does not
 * decode, the daemon closing, a reply that never comes (time-out), and
 * reconnecting after each failure; the daemon's name in the messages.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "opclient.h"

enum fake {
	FAKE_ECHO,	  /* OP_OK with the request's type in MP_A_KEY_ID */
	FAKE_LIST,	  /* two OP_KEY (serial 0, MORE), then OP_OK */
	FAKE_COUNTERS,	  /* OP_COUNTERS: 2 (MORE), then 1 */
	FAKE_ERROR,	  /* ERROR "not here" */
	FAKE_OTHER,	  /* an OP_VOUCHER reply */
	FAKE_OUT_OF_TURN, /* serial + 1 */
	FAKE_GARBAGE,	  /* 16 bytes that are no header */
	FAKE_CLOSE,	  /* reads the request, closes */
	FAKE_SILENT,	  /* reads the request, never answers */
};

static char dir[64], sock_path[108];
static pid_t fake_pid;

static int read_all(int fd, uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = read(fd, p, len);

		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void send_msg(int fd, const struct mp_msg *m)
{
	static uint8_t buf[MP_MAX_FRAME];
	int n = mp_encode(m, buf, sizeof(buf));

	if (n < 0 || write(fd, buf, (size_t)n) != n)
		_exit(3);
}

static void serve(int fd, enum fake mode)
{
	static uint8_t buf[MP_MAX_FRAME];
	static struct mp_msg req, rep;
	int flen;

	for (;;) {
		if (read_all(fd, buf, MP_HDR_LEN))
			return;
		flen = mp_frame_len(buf, MP_HDR_LEN);
		if (flen < MP_HDR_LEN ||
		    read_all(fd, buf + MP_HDR_LEN, (size_t)flen - MP_HDR_LEN) ||
		    mp_decode(buf, (size_t)flen, &req))
			_exit(2);
		switch (mode) {
		case FAKE_ECHO:
			mp_init(&rep, MP_T_OP_OK, MP_F_REPLY, req.serial);
			mp_set_u(&rep, MP_A_KEY_ID, req.type);
			send_msg(fd, &rep);
			break;
		case FAKE_LIST:
			for (uint64_t id = 1; id <= 2; id++) {
				mp_init(&rep, MP_T_OP_KEY,
					MP_F_REPLY | MP_F_MORE, 0);
				mp_set_u(&rep, MP_A_KEY_ID, id);
				mp_set_u(&rep, MP_A_TIME, 1000);
				mp_set_u(&rep, MP_A_KEY_STATE, 0);
				send_msg(fd, &rep);
			}
			mp_init(&rep, MP_T_OP_OK, MP_F_REPLY, req.serial);
			send_msg(fd, &rep);
			break;
		case FAKE_COUNTERS:
			mp_init(&rep, MP_T_OP_COUNTERS, MP_F_REPLY | MP_F_MORE,
				req.serial);
			mp_add_counter(&rep, "records_received", 10);
			mp_add_counter(&rep, "templates.sent", 2);
			send_msg(fd, &rep);
			mp_init(&rep, MP_T_OP_COUNTERS, MP_F_REPLY, req.serial);
			mp_add_counter(&rep, "type", req.type);
			send_msg(fd, &rep);
			break;
		case FAKE_ERROR:
			mp_init(&rep, MP_T_ERROR, MP_F_REPLY, req.serial);
			mp_set_u(&rep, MP_A_ERROR, MP_ERR_PROTO);
			mp_set_s(&rep, MP_A_MESSAGE, "not here");
			send_msg(fd, &rep);
			break;
		case FAKE_OTHER:
			mp_init(&rep, MP_T_OP_VOUCHER, MP_F_REPLY, req.serial);
			mp_set_s(&rep, MP_A_CODE, "X");
			mp_set_u(&rep, MP_A_BALANCE, 1);
			send_msg(fd, &rep);
			break;
		case FAKE_OUT_OF_TURN:
			mp_init(&rep, MP_T_OP_OK, MP_F_REPLY, req.serial + 1);
			send_msg(fd, &rep);
			break;
		case FAKE_GARBAGE:
			memset(buf, 'x', MP_HDR_LEN);
			if (write(fd, buf, MP_HDR_LEN) != MP_HDR_LEN)
				_exit(3);
			break;
		case FAKE_CLOSE:
			return;
		case FAKE_SILENT:
			/* until the client hangs up */
			while (read(fd, buf, sizeof(buf)) > 0)
				;
			return;
		}
	}
}

static void fake_start(enum fake mode)
{
	struct sockaddr_un su = { .sun_family = AF_UNIX };
	int lfd, fd;

	unlink(sock_path);
	memcpy(su.sun_path, sock_path, strlen(sock_path) + 1);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&su, sizeof(su)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	fflush(NULL);
	fake_pid = fork();
	assert_true(fake_pid >= 0);
	if (fake_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(1);
		for (;;) {
			fd = accept(lfd, NULL, NULL);
			if (fd < 0)
				_exit(1);
			serve(fd, mode);
			close(fd);
		}
	}
	close(lfd);
}

static void fake_stop(void)
{
	pid_t pid = fake_pid;
	int st;

	fake_pid = 0;
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st)); /* it never exited on its own */
	unlink(sock_path);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/opclient-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/ipfixd.sock", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (fake_pid > 0) {
		kill(fake_pid, SIGKILL);
		waitpid(fake_pid, NULL, 0);
		fake_pid = 0;
	}
	unlink(sock_path);
	rmdir(dir);
	return 0;
}

static void test_init(void **state)
{
	struct opclient o;
	char longp[200];

	(void)state;
	opc_init(&o, "/run/muisp/muispd.sock", 5);
	assert_int_equal(o.fd, -1);
	assert_int_equal(o.timeout_ms, 5);
	assert_string_equal(o.path, "/run/muisp/muispd.sock");
	assert_string_equal(o.name, "muispd");
	opc_init(&o, "ipfixd", 0);
	assert_string_equal(o.name, "ipfixd");
	opc_init(&o, "/x/", 0);
	assert_string_equal(o.name, "the daemon");
	/* too long for sun_path: refused on open, not truncated */
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	opc_init(&o, longp, 0);
	assert_int_equal(opc_open(&o), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_int_equal(o.fd, -1);
	/* nobody there */
	opc_init(&o, sock_path, 100);
	assert_int_equal(opc_open(&o), -1);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(o.err, "ipfixd not reachable at "));
	opc_close(&o); /* harmless when not connected */
}

static void test_call_and_list(void **state)
{
	struct mp_msg *req = malloc(sizeof(*req)), *rep = malloc(sizeof(*rep));
	struct opclient o;

	(void)state;
	assert_non_null(req);
	assert_non_null(rep);
	fake_start(FAKE_ECHO);
	opc_init(&o, sock_path, 2000);
	/* opc_call connects by itself; serials count up per connection */
	mp_init(req, MP_T_OP_KEY_LIST, 0, 0);
	assert_int_equal(opc_call(&o, req, rep), 0);
	assert_int_equal(req->serial, 1);
	assert_int_equal(rep->type, MP_T_OP_OK);
	assert_int_equal(rep->serial, 1);
	assert_int_equal(rep->u[MP_A_KEY_ID], MP_T_OP_KEY_LIST);
	assert_int_equal(o.replied, 1);
	mp_init(req, MP_T_OP_STATS, 0, 0);
	assert_int_equal(opc_call(&o, req, rep), 0);
	assert_int_equal(rep->serial, 2);
	assert_int_equal(rep->u[MP_A_KEY_ID], MP_T_OP_STATS);
	opc_close(&o);
	fake_stop();

	fake_start(FAKE_LIST);
	mp_init(req, MP_T_OP_KEY_LIST, 0, 0);
	assert_int_equal(opc_call(&o, req, rep), 0);
	assert_int_equal(rep->type, MP_T_OP_KEY);
	assert_int_equal(rep->serial, 0);
	assert_int_equal(rep->u[MP_A_KEY_ID], 1);
	assert_int_equal(opc_next(&o, rep), 0);
	assert_int_equal(rep->u[MP_A_KEY_ID], 2);
	assert_int_equal(opc_next(&o, rep), 0);
	assert_int_equal(rep->type, MP_T_OP_OK);
	assert_int_equal(rep->serial, req->serial);
	opc_close(&o);
	fake_stop();
	free(req);
	free(rep);
}

static void test_counters(void **state)
{
	struct mp_counter *k;
	struct opclient o;
	unsigned n;

	(void)state;
	fake_start(FAKE_COUNTERS);
	opc_init(&o, sock_path, 2000);
	assert_int_equal(opc_counters(&o, MP_T_OP_STATS, &k, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(k[0].name, "records_received");
	assert_int_equal(k[0].value, 10);
	assert_string_equal(k[1].name, "templates.sent");
	assert_int_equal(k[1].value, 2);
	assert_string_equal(k[2].name, "type");
	assert_int_equal(k[2].value, MP_T_OP_STATS);
	free(k);
	/* the same connection again */
	assert_int_equal(opc_counters(&o, MP_T_OP_RADIUS_STATS, &k, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(k[2].value, MP_T_OP_RADIUS_STATS);
	free(k);
	opc_close(&o);
	fake_stop();

	/* an older daemon refusing the request: EPROTO, its text, and the
	 * connection stays up */
	fake_start(FAKE_ERROR);
	assert_int_equal(opc_counters(&o, MP_T_OP_STATS, &k, &n), -1);
	assert_int_equal(errno, EPROTO);
	assert_null(k);
	assert_int_equal(n, 0);
	assert_string_equal(o.err, "ipfixd: not here");
	assert_true(o.fd >= 0);
	opc_close(&o);
	fake_stop();

	fake_start(FAKE_OTHER);
	assert_int_equal(opc_counters(&o, MP_T_OP_STATS, &k, &n), -1);
	assert_int_equal(errno, EPROTO);
	assert_string_equal(o.err, "unexpected op-voucher reply from ipfixd");
	opc_close(&o);
	fake_stop();
}

/* Each failure closes the connection, says why, and the next call
 * reconnects. */
static void test_failures(void **state)
{
	struct mp_msg *req = malloc(sizeof(*req)), *rep = malloc(sizeof(*rep));
	struct opclient o;

	(void)state;
	assert_non_null(req);
	assert_non_null(rep);
	opc_init(&o, sock_path, 2000);
	mp_init(req, MP_T_OP_STATS, 0, 0);

	fake_start(FAKE_CLOSE);
	assert_int_equal(opc_call(&o, req, rep), -1);
	assert_string_equal(o.err, "ipfixd closed the connection");
	assert_int_equal(o.closed, 1);
	assert_int_equal(o.replied, 0);
	assert_int_equal(o.fd, -1);
	fake_stop();

	fake_start(FAKE_OUT_OF_TURN);
	assert_int_equal(opc_call(&o, req, rep), -1);
	assert_int_equal(errno, EPROTO);
	assert_string_equal(o.err, "ipfixd answered op-ok out of turn");
	assert_int_equal(o.closed, 0);
	assert_int_equal(o.replied, 1);
	assert_int_equal(o.fd, -1);
	fake_stop();

	fake_start(FAKE_GARBAGE);
	assert_int_equal(opc_call(&o, req, rep), -1);
	assert_int_equal(errno, EPROTO);
	assert_string_equal(o.err, "bad reply from ipfixd: bad magic");
	assert_int_equal(o.fd, -1);
	fake_stop();

	/* no answer within the time-out */
	o.timeout_ms = 100;
	fake_start(FAKE_SILENT);
	assert_int_equal(opc_call(&o, req, rep), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_string_equal(o.err, "reading ipfixd's reply: Connection "
				   "timed out");
	assert_int_equal(o.fd, -1);
	fake_stop();

	/* and back to normal on the same handle */
	o.timeout_ms = 2000;
	fake_start(FAKE_ECHO);
	assert_int_equal(opc_call(&o, req, rep), 0);
	assert_int_equal(req->serial, 1);
	assert_int_equal(rep->u[MP_A_KEY_ID], MP_T_OP_STATS);
	assert_string_equal(o.err, "");
	opc_close(&o);
	fake_stop();

	/* a request that cannot be encoded: nothing sent, still connected */
	fake_start(FAKE_ECHO);
	assert_int_equal(opc_open(&o), 0);
	mp_init(req, MP_T_OP_STATS, 0, 0);
	mp_set_s(req, MP_A_CODE, "X"); /* not an attribute of op-stats */
	assert_int_equal(opc_call(&o, req, rep), -1);
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(o.err, "cannot encode the request: "));
	assert_true(o.fd >= 0);
	opc_close(&o);
	fake_stop();
	free(req);
	free(rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_and_list, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0
/* lib/evloop: signals delivered to ourselves, timers, the reload hooks and
 * what systemd hears on a NOTIFY_SOCKET bound here. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "evloop.h"

static char dir[] = "/tmp/test_evloop.XXXXXX";
static char sock_path[sizeof(dir) + 16];
static int notify_fd = -1;

struct calls {
	int reload, usr1, stopping, fired;
	int reload_rc;
	int raise_in_usr1; /* signal to send from the usr1 hook */
	int exit_after;	   /* timer: sd_event_exit after this many */
	uint64_t first_usec, last_usec;
	sd_event_source *rearm; /* timer: re-arm with evloop_timer_set */
};

static int on_reload(void *arg)
{
	struct calls *c = arg;

	c->reload++;
	return c->reload_rc;
}

static void on_usr1(void *arg)
{
	struct calls *c = arg;

	c->usr1++;
	if (c->raise_in_usr1)
		kill(getpid(), c->raise_in_usr1);
}

static void on_stopping(void *arg)
{
	struct calls *c = arg;

	c->stopping++;
}

static const struct evloop_ops ops = { on_reload, on_usr1, on_stopping };

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Every datagram sent to the notify socket so far, '|'-separated. */
static void notified(char *out, size_t len)
{
	char buf[512];
	ssize_t n;
	size_t used = 0;

	out[0] = '\0';
	while ((n = recv(notify_fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
		buf[n] = '\0';
		used += (size_t)snprintf(out + used, len - used, "%s%s",
					 used ? "|" : "", buf);
		assert_true(used < len);
	}
}

static int group_setup(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if (!mkdtemp(dir))
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/notify", dir);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock_path);
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd < 0 ||
	    bind(notify_fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return -1;
	return setenv("NOTIFY_SOCKET", sock_path, 1);
}

static int group_teardown(void **state)
{
	close(notify_fd);
	unlink(sock_path);
	rmdir(dir);
	return 0;
}

static int count_and_exit(sd_event_source *s, uint64_t usec, void *arg)
{
	struct calls *c = arg;

	if (!c->fired++)
		c->first_usec = now_usec();
	c->last_usec = now_usec();
	if (c->rearm && c->fired < c->exit_after)
		assert_int_equal(evloop_timer_set(c->rearm, 2000), 0);
	if (c->fired == c->exit_after)
		return sd_event_exit(sd_event_source_get_event(s), 7);
	return 0;
}

static int stop_loop(sd_event_source *s, uint64_t usec, void *arg)
{
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

/* TERM: STOPPING=1, the stopping hook, exit code 0; the loop announced
 * READY=1 first. */
static void test_term(void **state)
{
	struct calls c = { 0 };
	char got[512];
	sd_event *e;

	assert_int_equal(evloop_new(&e, &ops, &c), 0);
	assert_int_equal(kill(getpid(), SIGTERM), 0);
	assert_int_equal(evloop_run(e), 0);
	evloop_free(e);
	assert_int_equal(c.stopping, 1);
	assert_int_equal(c.reload + c.usr1, 0);
	notified(got, sizeof(got));
	assert_string_equal(got, "READY=1|STOPPING=1");
}

/* USR1 runs its hook; INT ends the loop like TERM. */
static void test_usr1_int(void **state)
{
	struct calls c = { .raise_in_usr1 = SIGINT };
	char got[512];
	sd_event *e;

	assert_int_equal(evloop_new(&e, &ops, &c), 0);
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(evloop_run(e), 0);
	evloop_free(e);
	assert_int_equal(c.usr1, 1);
	assert_int_equal(c.stopping, 1);
	notified(got, sizeof(got));
	assert_string_equal(got, "READY=1|STOPPING=1");
}

/* HUP: RELOADING=1 with the monotonic time, the hook, READY=1 again --
 * whether the reload was applied (0) or refused (-1). */
static void test_reload(void **state)
{
	static const int rcs[] = { 0, -1 };
	char got[512], want[64];
	unsigned int i;
	unsigned long long t;
	uint64_t t0;
	sd_event *e;

	for (i = 0; i < 2; i++) {
		struct calls c = { .reload_rc = rcs[i],
				   .raise_in_usr1 = SIGTERM };
		char *p;

		assert_int_equal(evloop_new(&e, &ops, &c), 0);
		t0 = now_usec();
		/* HUP first, USR1 after it (the kernel delivers the lower
		 * signal number first), and USR1's hook sends TERM. */
		assert_int_equal(raise(SIGHUP), 0);
		assert_int_equal(raise(SIGUSR1), 0);
		assert_int_equal(evloop_run(e), 0);
		evloop_free(e);
		assert_int_equal(c.reload, 1);
		assert_int_equal(c.usr1, 1);
		assert_int_equal(c.stopping, 1);
		notified(got, sizeof(got));
		assert_string_equal(strtok(got, "|"), "READY=1");
		p = strtok(NULL, "|");
		assert_non_null(p);
		assert_int_equal(
			sscanf(p, "RELOADING=1\nMONOTONIC_USEC=%llu", &t), 1);
		assert_true(t >= t0 && t <= now_usec());
		p = strtok(NULL, "|");
		assert_non_null(p);
		snprintf(want, sizeof(want), "READY=1\nSTATUS=%s",
			 rcs[i] ? "reload refused" : "configuration reloaded");
		assert_true(!strncmp(p, want, strlen(want)));
		assert_string_equal(strtok(NULL, "|"), "STOPPING=1");
		assert_null(strtok(NULL, "|"));
	}
}

/* No hooks: HUP and USR1 are consumed and ignored (no RELOADING=1), TERM
 * still ends the loop. */
static void test_no_ops(void **state)
{
	char got[512];
	sd_event *e;

	assert_int_equal(evloop_new(&e, NULL, NULL), 0);
	assert_int_equal(raise(SIGHUP), 0);
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(raise(SIGTERM), 0);
	assert_int_equal(evloop_run(e), 0);
	evloop_free(e);
	notified(got, sizeof(got));
	assert_string_equal(got, "READY=1|STOPPING=1");
	/* Nothing left pending for the next loop. */
	{
		sigset_t pend;

		assert_int_equal(sigpending(&pend), 0);
		assert_false(sigismember(&pend, SIGHUP));
		assert_false(sigismember(&pend, SIGUSR1));
	}
}

/* A one-shot timer fires once, not before its time; the exit code of
 * sd_event_exit is evloop_run's. */
static void test_oneshot(void **state)
{
	struct calls c = { .exit_after = 2 };
	sd_event_source *t, *stop;
	uint64_t t0;
	int on;
	sd_event *e;

	assert_int_equal(evloop_new(&e, &ops, &c), 0);
	t0 = now_usec();
	assert_int_equal(evloop_timer(e, &t, 20000, 0, count_and_exit, &c), 0);
	assert_int_equal(evloop_timer(e, &stop, 80000, 0, stop_loop, NULL), 0);
	assert_int_equal(evloop_run(e), 0);
	assert_int_equal(c.fired, 1);
	assert_true(c.first_usec >= t0 + 20000);
	assert_true(sd_event_source_get_enabled(t, &on) >= 0);
	assert_int_equal(on, SD_EVENT_OFF);
	sd_event_source_unref(t);
	sd_event_source_unref(stop);
	evloop_free(e);
}

/* evloop_timer_set re-arms a one-shot timer from its own callback. */
static void test_rearm(void **state)
{
	struct calls c = { .exit_after = 3 };
	sd_event_source *t;
	sd_event *e;

	assert_int_equal(evloop_new(&e, &ops, &c), 0);
	assert_int_equal(evloop_timer(e, &t, 1000, 0, count_and_exit, &c), 0);
	c.rearm = t;
	assert_int_equal(evloop_run(e), 7);
	assert_int_equal(c.fired, 3);
	/* Two re-arms of 2 ms each after the first firing. */
	assert_true(c.last_usec - c.first_usec >= 4000);
	sd_event_source_unref(t);
	evloop_free(e);
}

/* A periodic timer keeps firing, period_usec apart; a timer nobody holds
 * (s NULL) lives with the loop. */
static void test_periodic(void **state)
{
	struct calls c = { .exit_after = 4 };
	sd_event *e;
	uint64_t t0;

	assert_int_equal(evloop_new(&e, &ops, &c), 0);
	t0 = now_usec();
	assert_int_equal(evloop_timer(e, NULL, 1000, 5000, count_and_exit, &c),
			 0);
	assert_int_equal(evloop_run(e), 7);
	assert_int_equal(c.fired, 4);
	assert_true(c.first_usec >= t0 + 1000);
	assert_true(c.last_usec - c.first_usec >= 3 * 5000);
	evloop_free(e);
}

/* Stopping a periodic timer from outside: it never fires. */
static void test_stop(void **state)
{
	struct calls c = { .exit_after = 100 };
	sd_event_source *t;
	sd_event *e;

	assert_int_equal(evloop_new(&e, &ops, &c), 0);
	assert_int_equal(evloop_timer(e, &t, 1000, 1000, count_and_exit, &c),
			 0);
	assert_int_equal(evloop_timer_stop(t), 0);
	assert_int_equal(evloop_timer_stop(NULL), 0);
	assert_int_equal(evloop_timer(e, NULL, 20000, 0, stop_loop, NULL), 0);
	assert_int_equal(evloop_run(e), 0);
	assert_int_equal(c.fired, 0);
	sd_event_source_unref(t);
	evloop_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_term),
		cmocka_unit_test(test_usr1_int),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_no_ops),
		cmocka_unit_test(test_oneshot),
		cmocka_unit_test(test_rearm),
		cmocka_unit_test(test_periodic),
		cmocka_unit_test(test_stop),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

// SPDX-License-Identifier: GPL-2.0
/* lib/log: rate-limited lines (log_rl_allow, log_ratelimited). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"

/* burst lines per interval; the first one after a suppression says how
 * many were dropped; a new interval starts a new burst. */
static void test_allow(void **state)
{
	struct log_rl rl = LOG_RL_INIT(10, 3);
	uint64_t s;

	for (int i = 0; i < 3; i++) {
		assert_int_equal(log_rl_allow(&rl, 100, &s), 1);
		assert_int_equal(s, 0);
	}
	for (int i = 0; i < 1000; i++)
		assert_int_equal(log_rl_allow(&rl, 105, &s), 0);
	assert_int_equal(log_rl_allow(&rl, 109, &s), 0);
	assert_int_equal(log_rl_allow(&rl, 110, &s), 1);
	assert_int_equal(s, 1001);
	assert_int_equal(log_rl_allow(&rl, 110, &s), 1);
	assert_int_equal(s, 0);
	/* a clock that went back starts over */
	assert_int_equal(log_rl_allow(&rl, 110, &s), 1);
	assert_int_equal(log_rl_allow(&rl, 110, &s), 0);
	assert_int_equal(log_rl_allow(&rl, 50, &s), 1);
	assert_int_equal(s, 1);
}

/* A flood of 100000 lines logs at most `burst` of them. */
static void test_flood(void **state)
{
	static struct log_rl rl = LOG_RL_INIT(60, 2);
	char buf[4096];
	FILE *f = tmpfile();
	int saved = dup(2), lines = 0;
	size_t n;

	assert_non_null(f);
	log_init(1, LOG_DAEMON);
	fflush(stderr);
	assert_true(dup2(fileno(f), 2) == 2);
	for (int i = 0; i < 100000; i++)
		log_ratelimited(&rl, LOG_INFO, "bad frame %d", i);
	log_ratelimited(&rl, LOG_DEBUG, "not verbose: never shown");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	for (char *p = buf; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 2);
	assert_string_equal(buf, "bad frame 0\nbad frame 1\n");
}

/* log_rl_want: yes while the burst lasts (consuming nothing), then no,
 * each no counted as a suppressed line. */
static void test_want(void **state)
{
	static struct log_rl rl = LOG_RL_INIT(60, 2);

	(void)state;
	log_init(0, LOG_DAEMON);
	for (int i = 0; i < 5; i++)
		assert_int_equal(log_rl_want(&rl), 1);
	assert_int_equal(rl.n, 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(log_rl_want(&rl), 1);
		log_ratelimited(&rl, LOG_INFO, "a line");
	}
	assert_int_equal(rl.n, 2);
	for (int i = 0; i < 7; i++)
		assert_int_equal(log_rl_want(&rl), 0);
	assert_int_equal(rl.suppressed, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allow),
		cmocka_unit_test(test_flood),
		cmocka_unit_test(test_want),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

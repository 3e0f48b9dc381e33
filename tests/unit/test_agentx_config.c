// SPDX-License-Identifier: GPL-2.0
/* muisp-agentx.conf (daemon/agentx/config.c): defaults, every key, and
 * the "FILE:LINE: message" of each kind of error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/agentx/agentx.h"

static char err[512];
static struct ax_conf c;

static void test_defaults(void **state)
{
	(void)state;
	assert_int_equal(
		ax_conf_parse(&c, "f", "# nothing\n", err, sizeof(err)), 0);
	assert_string_equal(c.agentx_socket, "unix:/run/agentx/master");
	assert_string_equal(c.muispd_socket, "/run/muisp/muispd.sock");
	assert_string_equal(c.ipfixd_socket, "/run/muisp/ipfixd.sock");
	assert_string_equal(c.dhcpd_db, "/var/lib/muisp/dhcpd.db");
	assert_int_equal(c.kernel, 1);
	assert_int_equal(c.cache_ttl_ms, 5000);
	assert_int_equal(c.source_timeout_ms, 500);
	assert_int_equal(c.ping_interval_s, 1);
	assert_true(c.drop_rate_threshold == 0);
	assert_int_equal(c.drop_rate_interval_s, 10);
	assert_int_equal(c.pool_low_rearm, 1);
}

static void test_every_key(void **state)
{
	(void)state;
	assert_int_equal(ax_conf_parse(&c, "f",
				       "agentx-socket /var/agentx/master\n"
				       "muispd-socket /tmp/m.sock\n"
				       "ipfixd-socket none\n"
				       "dhcpd-db /tmp/d.db\n"
				       "kernel no\n"
				       "cache-ttl 2s\n"
				       "source-timeout 250ms\n"
				       "agentx-ping-interval 5\n"
				       "drop-rate-threshold 1000\n"
				       "drop-rate-interval 1m\n"
				       "pool-low-rearm 4\n",
				       err, sizeof(err)),
			 0);
	assert_string_equal(c.agentx_socket, "unix:/var/agentx/master");
	assert_string_equal(c.muispd_socket, "/tmp/m.sock");
	assert_string_equal(c.ipfixd_socket, "");
	assert_string_equal(c.dhcpd_db, "/tmp/d.db");
	assert_int_equal(c.kernel, 0);
	assert_int_equal(c.cache_ttl_ms, 2000);
	assert_int_equal(c.source_timeout_ms, 250);
	assert_int_equal(c.ping_interval_s, 5);
	assert_true(c.drop_rate_threshold == 1000);
	assert_int_equal(c.drop_rate_interval_s, 60);
	assert_int_equal(c.pool_low_rearm, 4);
	assert_int_equal(ax_conf_parse(&c, "f", "agentx-socket unix:/a/b\n",
				       err, sizeof(err)),
			 0);
	assert_string_equal(c.agentx_socket, "unix:/a/b");
}

static void test_errors(void **state)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{ "\nfoo 1\n", "f:2: unknown keyword 'foo'" },
		{ "kernel maybe\n", "f:1: kernel: 'maybe'" },
		{ "kernel\n", "f:1: kernel: expected 1" },
		{ "cache-ttl 5 6\n", "f:1: cache-ttl: expected 1" },
		{ "cache-ttl 10ms\n", "f:1: cache-ttl: '10ms': not in 100ms" },
		{ "cache-ttl soon\n", "f:1: cache-ttl: 'soon'" },
		{ "agentx-ping-interval 0\n",
		  "f:1: agentx-ping-interval: '0': not in 1s..3600s" },
		{ "agentx-ping-interval 1500ms\n",
		  "f:1: agentx-ping-interval: '1500ms': not a whole" },
		{ "agentx-socket tcp:localhost:705\n",
		  "f:1: agentx-socket: 'tcp:localhost:705': not a unix" },
		{ "agentx-socket master\n", "f:1: agentx-socket: 'master'" },
		{ "dhcpd-db rel/path.db\n",
		  "f:1: dhcpd-db: 'rel/path.db': not an absolute path" },
		{ "drop-rate-threshold -1\n",
		  "f:1: drop-rate-threshold: '-1'" },
		{ "pool-low-rearm 4294967296\n", "f:1: pool-low-rearm: " },
		{ "x {\n}\n", "f:1: unknown keyword 'x'" },
		{ "}\n", "f:1:" },
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = 0;
		assert_int_equal(ax_conf_parse(&c, "f", cases[i].text, err,
					       sizeof(err)),
				 -1);
		if (strncmp(err, cases[i].err, strlen(cases[i].err)))
			fail_msg("'%s': got '%s', want '%s...'", cases[i].text,
				 err, cases[i].err);
	}
}

static void test_too_long(void **state)
{
	char text[400];

	(void)state;
	snprintf(text, sizeof(text), "muispd-socket /%0200d\n", 0);
	assert_int_equal(ax_conf_parse(&c, "f", text, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "f:1: muispd-socket"));
	snprintf(text, sizeof(text), "agentx-socket /%0110d\n", 0);
	assert_int_equal(ax_conf_parse(&c, "f", text, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too long"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for muisp-agentx's configuration (lib/conf reader and
 * daemon/agentx/config.c): any text either fails with a "NAME:LINE:
 * message", or gives a configuration within the documented ranges (what
 * snmploop.c and trap.c use without checking again).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/agentx/agentx.h"

#include "fuzz_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ax_conf c;

static int path_ok(const char *p, size_t cap)
{
	size_t n = strnlen(p, cap);

	return n < cap && (n == 0 || p[0] == '/');
}

static void check(void)
{
	if (strncmp(c.agentx_socket, "unix:/", 6) ||
	    strnlen(c.agentx_socket, sizeof(c.agentx_socket)) ==
		    sizeof(c.agentx_socket) ||
	    !path_ok(c.muispd_socket, sizeof(c.muispd_socket)) ||
	    !path_ok(c.ipfixd_socket, sizeof(c.ipfixd_socket)) ||
	    !path_ok(c.dhcpd_db, sizeof(c.dhcpd_db)) ||
	    (c.kernel != 0 && c.kernel != 1) || c.cache_ttl_ms < 100 ||
	    c.cache_ttl_ms > 3600000 || c.source_timeout_ms < 10 ||
	    c.source_timeout_ms > 60000 || c.ping_interval_s < 1 ||
	    c.ping_interval_s > 3600 || c.drop_rate_interval_s < 1 ||
	    c.drop_rate_interval_s > 3600 ||
	    c.drop_rate_threshold > UINT64_MAX / 1000)
		abort();
}

static int parse(const char *text, char *err, size_t errlen)
{
	return ax_conf_parse(&c, "f", text, err, errlen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_conf_text(data, size, parse, check);
}

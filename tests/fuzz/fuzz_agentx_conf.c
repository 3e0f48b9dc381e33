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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[512];

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0'; /* the file reader refuses a NUL byte */
	if (ax_conf_parse(&c, "f", text, err, sizeof(err)) == 0)
		check();
	else if (strncmp(err, "f:", 2) || !err[2])
		abort();
	free(text);
	return 0;
}

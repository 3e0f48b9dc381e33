// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for muispd's configuration (lib/conf reader and
 * daemon/muispd/config.c): any text either fails with a message naming
 * the file, or gives a configuration within the documented bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/muispd/config.h"
#include "daemon/muispd/muispd.h"

#include "fuzz_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct muispd_conf c;

static void check(void)
{
	unsigned int i;

	if (!c.nprices || c.nprices > MUISPD_MAX_PRICES || !c.port ||
	    !memchr(c.listen, 0, sizeof(c.listen)) ||
	    !memchr(c.socket, 0, sizeof(c.socket)) ||
	    !memchr(c.currency, 0, sizeof(c.currency)) ||
	    !memchr(c.vici, 0, sizeof(c.vici)) || c.checkpoint_s < 1 ||
	    c.checkpoint_s > 3600 || c.lifetime_s < 60 || c.warn_tries < 1 ||
	    c.warn_tries > 100 || c.use_kernel > 1 || c.tls > 1 ||
	    c.allow_plain > 1)
		abort();
	if (c.vici[0] && !strchr(c.vici, '/'))
		abort();
	/* radius-* keys */
	if (c.radius.nauth > RADIUS_MAX_SERVERS ||
	    c.radius.nacct > RADIUS_MAX_SERVERS ||
	    c.radius.ndae > RADIUS_MAX_DAE_CLIENTS ||
	    c.radius.nrealms > RADIUS_MAX_REALMS ||
	    c.radius.timeout_ms < 1000 || c.radius.timeout_ms > 60000 ||
	    c.radius.window < 1 || c.radius.window > 255 ||
	    c.radius.retries > 10 || !c.radius.dead_s ||
	    c.radius.interim_s < c.radius.interim_min_s ||
	    c.radius.require_ma > 1 || c.radius.dae_require_ma > 1 ||
	    !memchr(c.radius.nas_identifier, 0,
		    sizeof(c.radius.nas_identifier)) ||
	    !memchr(c.radius.dae_listen, 0, sizeof(c.radius.dae_listen)))
		abort();
	for (i = 0; i < c.radius.nacct; i++)
		if (!c.radius.acct[i].seclen ||
		    c.radius.acct[i].seclen > RAD_SECRET_MAX ||
		    !memchr(c.radius.acct[i].addr, 0,
			    sizeof(c.radius.acct[i].addr)))
			abort();
	for (i = 0; i < c.radius.nrealms; i++)
		if (!c.radius.realms[i][0] ||
		    !memchr(c.radius.realms[i], 0, sizeof(c.radius.realms[i])))
			abort();
	for (i = 0; i < c.nprices; i++)
		if (!c.prices[i].unit || c.prices[i].privacy > 1 ||
		    !c.prices[i].metric ||
		    c.prices[i].metric >= __MP_METRIC_LAST ||
		    !c.prices[i].method ||
		    c.prices[i].method >= __MP_METHOD_LAST ||
		    c.prices[i].price > INT64_MAX)
			abort();
}

static int parse(const char *text, char *err, size_t errlen)
{
	conf_defaults(&c);
	return conf_parse("f", text, &c, err, errlen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_conf_text(data, size, parse, check);
}

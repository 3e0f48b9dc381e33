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
	for (i = 0; i < c.nprices; i++)
		if (!c.prices[i].unit || c.prices[i].privacy > 1 ||
		    !c.prices[i].metric ||
		    c.prices[i].metric >= __MP_METRIC_LAST ||
		    !c.prices[i].method ||
		    c.prices[i].method >= __MP_METHOD_LAST ||
		    c.prices[i].price > INT64_MAX)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[512];

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0'; /* the file reader refuses a NUL byte */
	conf_defaults(&c);
	if (conf_parse("f", text, &c, err, sizeof(err)) == 0)
		check();
	else if (strncmp(err, "f:", 2) || !err[2])
		abort();
	free(text);
	return 0;
}

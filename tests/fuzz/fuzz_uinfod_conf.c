// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for muisp-uinfod's configuration (lib/conf reader and
 * daemon/uinfod/config.c): any text either fails with a "NAME:LINE:
 * message", or gives a configuration the daemon uses without checking
 * again: every required statement there, values in range, users sorted
 * by uid with no uid and no Accounting ID twice, each found by its uid.
 * Logins are looked up in a fake passwd (no NSS under the fuzzer).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/uinfod/uinfod.h"

#include "fuzz_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct uinfod_conf c;

/* Logins of letters only: "u..." a uid from the name, "e..." a failed
 * lookup, anything else unknown. */
static int lookup(const char *login, uint32_t *uid)
{
	uint32_t h = 5381;
	const char *s;

	if (login[0] == 'e') {
		errno = EIO;
		return -1;
	}
	if (login[0] != 'u')
		return 1;
	for (s = login; *s; s++)
		h = h * 33 + (uint8_t)*s;
	*uid = h % 100; /* collisions on purpose: duplicate uids */
	return 0;
}

static int str_ok(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	return n > 0 && n < cap;
}

static void check(void)
{
	unsigned int i, j;

	if (!str_ok(c.meter, sizeof(c.meter)) ||
	    !str_ok(c.server_name, sizeof(c.server_name)) ||
	    !str_ok(c.ca, sizeof(c.ca)) || c.ca[0] != '/' ||
	    !str_ok(c.cert, sizeof(c.cert)) || c.cert[0] != '/' ||
	    !str_ok(c.key, sizeof(c.key)) || c.key[0] != '/' ||
	    !str_ok(c.interface, sizeof(c.interface)) ||
	    strchr(c.interface, '/') || !c.port || c.retry_max < 1 ||
	    c.retry_max > UINFOD_RETRY_MAX_LIMIT || !c.nusers || !c.users)
		abort();
	/* the method follows the scheme: count and report are only theirs */
	switch (c.scheme) {
	case MP_SCHEME_STANDALONE:
		if (c.method != MUISP_TAG_METHOD_COUNT)
			abort();
		break;
	case MP_SCHEME_OUT_OF_BAND_PACKET:
		if (c.method != MUISP_TAG_METHOD_REPORT)
			abort();
		break;
	default:
		if (c.method != MUISP_TAG_METHOD_PACKET &&
		    c.method != MUISP_TAG_METHOD_FLOW &&
		    c.method != MUISP_TAG_METHOD_HYBRID)
			abort();
	}
	if (c.usage_interval < 1 ||
	    c.usage_interval > UINFOD_USAGE_INTERVAL_MAX ||
	    c.usage_spool_max < 1 ||
	    c.usage_spool_max > UINFOD_USAGE_SPOOL_LIMIT ||
	    !str_ok(c.usage_spool, sizeof(c.usage_spool)) ||
	    c.usage_spool[0] != '/')
		abort();
	for (i = 0; i < c.nusers; i++) {
		if (!c.users[i].id || c.users[i].uid == UINT32_MAX ||
		    (i && c.users[i - 1].uid >= c.users[i].uid) ||
		    uinfod_config_user(&c, c.users[i].uid) != &c.users[i])
			abort();
		for (j = 0; j < i && c.nusers < 512; j++)
			if (c.users[j].id == c.users[i].id)
				abort();
	}
}

static int parse(const char *text, char *err, size_t errlen)
{
	int rc = uinfod_config_parse("f", text, &c, lookup, err, errlen);

	if (rc)
		uinfod_config_free(&c);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_conf_text(data, size, parse, check);
	uinfod_config_free(&c);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the online payment provider's answers
 * (payment_json_str() in daemon/muispd/payment_online.c): the body of
 * whatever answers on the provider's port, up to the 4 KiB muispd keeps,
 * NUL-terminated as on_body() leaves it.  Looked up with the keys and
 * buffer sizes muispd uses ("status" 32, "id" 24, "reason" 96) and with a
 * capacity taken from the input.
 *
 * Checks: a value found is NUL-terminated within its buffer, printable
 * ASCII without '"' or '\\', and occurs in the body right after the quoted
 * key, a colon and spaces; the buffer beyond it is untouched.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/muispd/payment_online.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RESP_MAX 4096

static void lookup(const char *json, const char *key, size_t cap)
{
	char out[128], pat[64];
	const char *p;
	size_t n;

	memset(out, 0xa5, sizeof(out));
	if (payment_json_str(json, key, out, cap))
		return;
	n = strnlen(out, cap);
	if (n >= cap)
		abort();
	for (size_t i = 0; i < n; i++)
		if (out[i] < 0x20 || out[i] > 0x7e || out[i] == '"' ||
		    out[i] == '\\')
			abort();
	for (size_t i = n + 1; i < sizeof(out); i++)
		if ((uint8_t)out[i] != 0xa5)
			abort();
	/* The first occurrence of "key" is the one read. */
	n = (size_t)snprintf(pat, sizeof(pat), "\"%s\"", key);
	p = strstr(json, pat);
	if (!p)
		abort();
	p += n;
	p += strspn(p, " ");
	if (*p++ != ':')
		abort();
	p += strspn(p, " ");
	if (*p++ != '"' || strncmp(p, out, strlen(out)) ||
	    p[strlen(out)] != '"')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *json;
	size_t cap;

	if (size < 1 || size > RESP_MAX)
		return 0;
	cap = (size_t)data[0] % 128 + 1;
	json = malloc(size);
	if (!json)
		return 0;
	memcpy(json, data + 1, size - 1);
	json[size - 1] = '\0';
	lookup(json, "status", 32);
	lookup(json, "id", 24);
	lookup(json, "reason", 96);
	lookup(json, "id", cap);
	free(json);
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every configuration target does with an input (fuzz_dhcpd_conf,
 * fuzz_muispd_conf, fuzz_agentx_conf): the bytes as a NUL-ended text (the
 * file reader refuses a NUL byte), parsed under the name "f"; an accepted
 * text goes to the target's check(), which aborts on a broken invariant;
 * a refused one must say why as "f:LINE: message".
 */
#ifndef MUISP_FUZZ_CONF_H
#define MUISP_FUZZ_CONF_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline int fuzz_conf_text(const uint8_t *data, size_t size,
				 int (*parse)(const char *text, char *err,
					      size_t errlen),
				 void (*check)(void))
{
	char *text = malloc(size + 1), err[512];

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (parse(text, err, sizeof(err)) == 0)
		check();
	else if (strncmp(err, "f:", 2) || !err[2])
		abort();
	free(text);
	return 0;
}

#endif

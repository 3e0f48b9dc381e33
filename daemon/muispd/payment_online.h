/* SPDX-License-Identifier: GPL-2.0 */
/* Online payment plug-in (HTTP/JSON provider): see payment_online.c. */
#ifndef MUISP_PAYMENT_ONLINE_H
#define MUISP_PAYMENT_ONLINE_H

#include <stddef.h>
#include <stdint.h>

#include "payment.h"
#include "proto.h"

extern const struct payment_method payment_online;

void payment_online_config(const char *host, uint16_t port,
			   const char *currency);
int payment_online_enabled(void);
/* Exposed for tests: flat JSON string lookup. */
int payment_json_str(const char *json, const char *key, char *out,
		     size_t cap);

#endif

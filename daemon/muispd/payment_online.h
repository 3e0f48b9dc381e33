/* SPDX-License-Identifier: GPL-2.0 */
/* Online payment plug-in (HTTP/JSON provider): see payment_online.c. */
#ifndef MUISP_PAYMENT_ONLINE_H
#define MUISP_PAYMENT_ONLINE_H

#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "payment.h"
#include "proto.h"

/* An instance of the method on loop e (not configured: deposits are
 * declined).  Freeing it ends the calls in flight as failed. */
struct payment_method *payment_online_new(sd_event *e);
void payment_online_free(struct payment_method *m);
struct payment_online_conf {
	const char *url;    /* https://HOST[:PORT] (http:// if insecure) */
	const char *ca;	    /* the provider's CA (PEM), pinned */
	int insecure;	    /* plain http allowed (tests) */
	uint32_t timeout_s; /* per call: connect, silence; 4x in all */
	const char *currency;
};

void payment_online_config(struct payment_method *m,
			   const struct payment_online_conf *c);
int payment_online_enabled(const struct payment_method *m);
/* Calls in flight or waiting to be tried again (voids). */
unsigned payment_online_pending(const struct payment_method *m);
/* Exposed for tests: flat JSON string lookup. */
int payment_json_str(const char *json, const char *key, char *out, size_t cap);
int payment_json_u64(const char *json, const char *key, uint64_t *out);

#endif

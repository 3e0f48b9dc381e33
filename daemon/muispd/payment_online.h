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
void payment_online_config(struct payment_method *m, const char *host,
			   uint16_t port, const char *currency);
int payment_online_enabled(const struct payment_method *m);
/* Exposed for tests: flat JSON string lookup. */
int payment_json_str(const char *json, const char *key, char *out, size_t cap);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Payment method "roam" (MP_METHOD_ROAM): a user of a partner ISP
 * presents user@realm and a password; authorize sends an Access-Request
 * through radclient.c (the visited server proxies it by realm to the
 * home), deposit turns the Access-Accept into the contract's limits, and
 * the partner realm owes the charge (ledger "realm:REALM").
 *
 * Table radius_auth (store.c creates it): what the Accept said, by
 * contract serial; acct.c reads it for User-Name, Class, the interim
 * interval and the idle time-out.
 */
#ifndef MUISPD_PAYMENT_RADIUS_H
#define MUISPD_PAYMENT_RADIUS_H

#include <stddef.h>
#include <stdint.h>

#include "payment.h"
#include "store.h"

struct roam_auth {
	char user_name[254];
	char realm[64];
	uint8_t class_tlv[512]; /* Class attributes as received, TLVs */
	size_t class_len;
	uint32_t session_timeout, idle_timeout, interim; /* s, 0 none */
	uint64_t quota;					/* bytes, 0 none */
};

/* The Accept of a roaming contract: 0, 1 none (not roaming), -1. */
int roam_auth_get(struct store *st, uint64_t serial, struct roam_auth *out);

struct muispd;
/* The method bound to muispd's auth radclient (NULL: no auth server). */
const struct payment_method *payment_roam_new(struct muispd *md);
void payment_roam_free(const struct payment_method *m);

#endif

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
	uint64_t quota;					 /* bytes, 0 none */
};

/* The Accept of a roaming contract: 0, 1 none (not roaming), -1. */
int roam_auth_get(struct store *st, uint64_t serial, struct roam_auth *out);
/* Record it (inside the caller's transaction; eap.c's roamers too). */
int roam_auth_put(struct store *st, uint64_t serial, const struct roam_auth *a,
		  uint64_t now);

/* The Accept of `identity` (user@realm) into out: User-Name (the
 * Accept's, else identity), realm, Class TLVs, Session-Timeout,
 * Idle-Timeout, Acct-Interim-Interval, the byte quota (the smaller of
 * ChilliSpot-Max-Total-Octets and Mikrotik-Total-Limit + 2^32 x
 * Mikrotik-Total-Limit-Gigawords; 0 is none).  0, or -1 not an Accept. */
struct rad_pkt;
int roam_accept_parse(const struct rad_pkt *p, const char *identity,
		      struct roam_auth *out);
/* The Accept's limits on c before its receipt is signed: expiry <= now +
 * Session-Timeout (elapsed contracts: hard too), bytes: hard <= quota,
 * soft <= hard, deposit = the new hard's cost.  -1 (reason in err): a
 * quota on a contract that does not meter bytes. */
int roam_limits_apply(struct contract_rec *c, const struct roam_auth *a,
		      uint64_t now, char *err, size_t errlen);

struct muispd;
/*
 * The method on md (NULL: no memory).  Its authorize takes the param
 * "IDENTITY\nSECRET" (channel.c joins MP_A_IDENTITY and MP_A_SECRET) and
 * sends through md->rad_auth as it is then (no auth server: refused as
 * unreachable); done gets 0 and "roam:REALM", MP_ERR_ROAM_REJECT (the
 * home's Reply-Message, a realm not in radius-roam-realms, a Challenge),
 * MP_ERR_ROAM_UNREACHABLE (radius-auth-timeout) or -1 (malformed).
 */
const struct payment_method *payment_roam_new(struct muispd *md);
/* Requests in flight end (done: unreachable); before md->rad_auth goes. */
void payment_roam_free(const struct payment_method *m);
/*
 * An Accept that came another way (eap.c: the EAP relay's tap, radrelay.h)
 * waits for the deposit of contract `serial`, as authorize's does; the
 * establishment then passes param "roam:REALM".  0, or -1 with a reason
 * in err (a realm not in radius-roam-realms, memory).
 */
int payment_roam_accepted(const struct payment_method *m, uint64_t serial,
			  const struct roam_auth *a, char *err, size_t errlen);

#endif

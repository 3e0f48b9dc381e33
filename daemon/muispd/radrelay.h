/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Roaming users through the EAP path (docs/DESIGN.md "EAP roaming"): a
 * UDP relay on the loopback between charon's eap-radius plugin and
 * muispd's authentication servers (radius-auth-server), so that the home
 * server ends the EAP method while muispd sees the Access-Accept.
 *
 *   charon (eap-radius, servers = radius-eap-relay, same secret)
 *     -> radrelay: Access-Request checked (Message-Authenticator with the
 *        secret), forwarded unchanged from the relay's own socket
 *     -> the auth server (FreeRADIUS; proxies the realm to the home)
 *     <- the reply, matched by (Identifier, Request Authenticator): the
 *        one pending request whose authenticator verifies the reply's
 *     <- forwarded unchanged to charon (same secret, so the Response
 *        Authenticator, Message-Authenticator and MS-MPPE keys stay valid)
 *
 * The tap: a verified Access-Accept is kept for RADRELAY_KEEP_S seconds
 * as a roam_auth (roam_accept_parse(): User-Name, the realm of the
 * request's User-Name, Class, limits) with the request's
 * NAS-Port (charon's IKE_SA unique id), NAS-Port-Id (its connection) and
 * Calling-Station-Id, for eap.c to take when the CHILD_SA comes up.
 *
 * Everything from the network is hostile: datagrams from anywhere but
 * the loopback (requests) or a configured server (replies), malformed
 * ones, Access-Requests without a good Message-Authenticator, replies
 * that match no pending request or do not verify are dropped and
 * counted.  Never blocks; one datagram per readable event at a time.
 */
#ifndef MUISPD_RADRELAY_H
#define MUISPD_RADRELAY_H

#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

#include <systemd/sd-event.h>

#include "payment_radius.h"
#include "radclient.h"
#include "radius.h"

#define RADRELAY_KEEP_S	   60	 /* an Accept waits this long for its SA */
#define RADRELAY_PENDING   256	 /* requests in flight (charon: 8-bit ids) */
#define RADRELAY_EXPIRE_MS 30000 /* a request unanswered this long: gone */
#define RADRELAY_ACCEPTS   64	 /* Accepts kept at most */

/* What the tap kept of one verified Access-Accept. */
struct radrelay_accept {
	struct roam_auth auth; /* user_name, realm, class, limits */
	uint32_t nas_port;     /* the request's NAS-Port: IKE_SA unique id */
	int have_port;
	char conn[64];	  /* the request's NAS-Port-Id: connection */
	char calling[64]; /* the request's Calling-Station-Id */
	uint64_t at_ms;	  /* when (monotonic) */
};

struct radrelay;

/*
 * Listen on `listen` ("ADDR:PORT", a loopback address) and forward to
 * conf's auth servers that share the first one's secret (charon has one
 * secret).  0, or -1 with a reason in err.
 */
int radrelay_new(struct radrelay **out, sd_event *ev, const char *listen,
		 const struct radius_conf *conf, char *err, size_t errlen);
/* New servers or secrets (SIGHUP): pending requests are forgotten (charon
 * retransmits them). */
void radrelay_reconf(struct radrelay *rr, const struct radius_conf *conf);
void radrelay_free(struct radrelay *rr);
/* The clock in ms (default: the loop's CLOCK_MONOTONIC); tests set one. */
void radrelay_set_clock(struct radrelay *rr, uint64_t (*now_ms)(void *),
			void *arg);

/*
 * Take the kept Accept of an EAP IKE_SA: the one whose NAS-Port is
 * ike_id, else (no NAS-Port in the request) whose User-Name is user.
 * 0 found and removed, -1 none (expired ones are dropped here too).
 */
int radrelay_take(struct radrelay *rr, uint32_t ike_id, const char *user,
		  struct radrelay_accept *out);

/*
 * The datagram logic without the sockets (the handlers call these; the
 * fuzz target and tests too).  A datagram from charon (from, fl: its
 * sender): the index of the server to send its first *len bytes to, or
 * -1 dropped (counted).  A datagram from a server: 0 it answers a
 * pending request (send its first *len bytes to `to`; an Accept went to
 * the tap), -1 dropped (counted).
 */
int radrelay_request_input(struct radrelay *rr, const uint8_t *buf, size_t n,
			   const struct sockaddr_storage *from, socklen_t fl,
			   size_t *len);
int radrelay_reply_input(struct radrelay *rr, const uint8_t *buf, size_t n,
			 struct sockaddr_storage *to, socklen_t *tolen,
			 size_t *len);

/* Counters by name (forwarded, replies, accepts, dropped by reason);
 * none for rr NULL. */
void radrelay_counters(const struct radrelay *rr, const char *prefix,
		       rad_counter_fn fn, void *arg);

#endif

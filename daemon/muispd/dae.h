/* SPDX-License-Identifier: GPL-2.0 */
/*
 * RFC 5176 Disconnect-Request and CoA-Request listener (Dynamic
 * Authorization Server): one non-blocking UDP socket on
 * radius-dae-listen, clients and their secrets from radius-dae-client
 * (struct radius_conf in radclient.h).
 *
 *   dae_decide()  pure: validate a datagram, find the sessions it names
 *                 through dae_ops, choose drop / ACK / NAK + Error-Cause
 *                 and the changes of a CoA (tests/fuzz drive it alone)
 *   dae_apply()   acts on muispd: Disconnect ends every match
 *                 (Admin-Reset), CoA changes one contract, all or nothing
 *   dae_reply()   the ACK/NAK: Error-Cause, Proxy-State and State echoed,
 *                 Message-Authenticator when the request had one
 *
 * Dropped silently and counted (docs/DESIGN.md "RADIUS Disconnect and
 * CoA"): unknown client, malformed packet, a code other than 40/43, bad
 * Request Authenticator, bad or (radius-dae-require-message-authenticator)
 * missing Message-Authenticator, Event-Timestamp outside radius-dae-window.
 * A retransmission (same source, port, Identifier and authenticator within
 * 30 s) gets the first answer again and changes nothing.
 */
#ifndef MUISPD_DAE_H
#define MUISPD_DAE_H

#include <stddef.h>
#include <stdint.h>

#include "radclient.h"
#include "radius.h"

struct muispd;

#define DAE_MAX_MATCH 64  /* contracts one Disconnect may end */
#define DAE_CACHE     256 /* answered requests remembered ... */
#define DAE_CACHE_S   30  /* ... this long */

/* Why a datagram was dropped (counters "dae.drop_NAME"). */
enum dae_drop {
	DAE_OK = 0,
	DAE_DROP_CLIENT,    /* source not a radius-dae-client */
	DAE_DROP_MALFORMED, /* framing, or Event-Timestamp not 4 octets */
	DAE_DROP_CODE,	    /* not a Disconnect- or CoA-Request */
	DAE_DROP_AUTH,	    /* Request Authenticator */
	DAE_DROP_MA,	    /* Message-Authenticator bad, missing, malformed */
	DAE_DROP_TIME,	    /* Event-Timestamp outside the window */
	__DAE_DROP_COUNT
};

/* A session a request may name: a bound contract and its open RADIUS
 * session (empty strings when accounting has none). */
struct dae_sess {
	uint64_t serial;
	int state; /* enum contract_state */
	uint8_t metric, method;
	uint64_t usage, soft, hard, expiry;
	uint64_t started;    /* the session's Start, 0 unknown */
	char addr[64];	     /* bound address */
	char sid[48];	     /* Acct-Session-Id, "" none */
	char user_name[254]; /* as accounting reports it */
	char mac[24];	     /* Calling-Station-Id as accounting sends it */
};

/* The sessions dae_decide looks through. */
struct dae_ops {
	void *arg;
	/* fn for every candidate until it returns nonzero: 0, or -1 when
	 * the sessions cannot be read (NAK 506). */
	int (*each)(void *arg, int (*fn)(void *fnarg, const struct dae_sess *s),
		    void *fnarg);
};

struct dae_ctx {
	const struct radius_conf *conf; /* clients, window, require M-A */
	const char *nas_id;		/* ours: NAS-Identifier */
	const char *nas_ip;		/* ours: NAS-IP(v6)-Address, "" any */
	const struct dae_ops *ops;
};

enum dae_filter { DAE_FILTER_NONE = 0, DAE_FILTER_SUSPEND, DAE_FILTER_RESUME };

/* What to do with a request. */
struct dae_action {
	enum dae_drop drop; /* != DAE_OK: no reply */
	int client;	    /* index in conf->dae[] (when not dropped) */
	uint8_t code;	    /* the request's */
	uint32_t error;	    /* Error-Cause of a NAK, 0: ACK */
	unsigned nmatch;
	uint64_t serial[DAE_MAX_MATCH];
	/* a CoA's changes to serial[0] */
	int set_expiry, set_hard;
	uint64_t expiry, hard;
	enum dae_filter filter;
};

/* src: the sender's address as text (inet_ntop); now: wall clock. */
void dae_decide(const struct dae_ctx *ctx, const char *src, const uint8_t *pkt,
		size_t n, uint64_t now, struct dae_action *a);
/* Apply a decided ACK (a->error == 0) to md: 0, or the Error-Cause of
 * the NAK to send instead (nothing changed, or see DESIGN.md). */
uint32_t dae_apply(struct muispd *md, const struct dae_action *a, uint64_t now);
/* The reply to a request dae_decide did not drop: 0 or -1. */
int dae_reply(const struct dae_action *a, const uint8_t *pkt, size_t n,
	      const uint8_t *sec, size_t seclen, struct rad_buf *out);

/* One datagram from src (as the socket gives it): decide, apply, answer.
 * 1 with *out to send, 0 nothing to send.  The socket handler and the
 * tests call it. */
int dae_handle(struct muispd *md, const uint8_t *pkt, size_t n, const void *src,
	       unsigned srclen, struct rad_buf *out);

/* Answer the Disconnect-Requests whose contracts' settlement (an online
 * capture in flight) has ended since: ACK, or NAK 506 when it failed or
 * took 60 s.  The listener's timer calls it; tests too. */
void dae_settled(struct muispd *md);

/* The listener: none when radius-dae-listen is empty.  0 or -1. */
int dae_open(struct muispd *md);
void dae_close(struct muispd *md);
/* After a reload: a new listen address reopens the socket.  0 or -1
 * (the old one kept). */
int dae_reconf(struct muispd *md);
void dae_counters(struct muispd *md, rad_counter_fn fn, void *arg);

#endif

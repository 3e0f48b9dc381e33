/* SPDX-License-Identifier: GPL-2.0 */
/*
 * muispd's RADIUS client on the sd-event loop (no thread, never blocks):
 * one connected UDP socket per server, a 256-slot Identifier table each,
 * requests pipelined up to a window, retransmission with back-off (RFC
 * 5080 §2.2.1), failover in configured order, dead servers probed with
 * Status-Server (RFC 5997) and taken back when they answer.  Two
 * instances: authentication (roaming Access-Requests) and accounting.
 * Packets come from lib/radius; configuration from muispd.conf(5)
 * ("radius-*" keys, struct radius_conf).
 */
#ifndef MUISPD_RADCLIENT_H
#define MUISPD_RADCLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <systemd/sd-event.h>

#include "radius.h"

#define RADIUS_MAX_SERVERS     4
#define RADIUS_MAX_DAE_CLIENTS 8
#define RADIUS_MAX_REALMS      16

struct rad_server {
	char addr[64]; /* "HOST:PORT" as configured (numeric host) */
	char secret_file[256];
	uint8_t secret[RAD_SECRET_MAX];
	size_t seclen;
};

/* The "radius-*" keys of muispd.conf(5) (config.c parses them, reading the
 * secret files at load and SIGHUP). */
struct radius_conf {
	char nas_identifier[64]; /* "" : the host name */
	char nas_ip[64];	 /* NAS-IP(v6)-Address, "" none */
	struct rad_server auth[RADIUS_MAX_SERVERS];
	unsigned nauth;
	struct rad_server acct[RADIUS_MAX_SERVERS];
	unsigned nacct;
	uint32_t timeout_ms;	 /* first retransmission, doubles */
	uint32_t retries;	 /* per server, then the next one */
	uint32_t dead_s;	 /* first probe of a dead server */
	uint32_t window;	 /* requests in flight per server */
	uint32_t auth_timeout_s; /* a roaming Access-Request, in all */
	uint32_t interim_s;	 /* Interim-Update interval */
	uint32_t interim_jitter_s;
	uint32_t interim_min_s; /* floor of any interval (tests: 2) */
	uint32_t spool_max;	/* spooled records */
	uint32_t keep_days;	/* sessions kept for reports */
	uint32_t stop_wait_s;	/* clean stop: flush this long */
	int require_ma;		/* Message-Authenticator in replies */
	char dae_listen[64];	/* "ADDR:PORT", "" no DM/CoA */
	struct rad_server dae[RADIUS_MAX_DAE_CLIENTS]; /* addr: client IP */
	unsigned ndae;
	uint32_t dae_window_s; /* Event-Timestamp tolerance */
	int dae_require_ma;
	char realms[RADIUS_MAX_REALMS][64]; /* radius-roam-realms */
	unsigned nrealms;
};

/* Whether accounting is on: at least one accounting server. */
static inline int radius_acct_on(const struct radius_conf *c)
{
	return c->nacct > 0;
}

struct radclient;
struct radclient_req;

enum radclient_result {
	RADCLIENT_REPLY = 0,	/* a verified reply (any code) */
	RADCLIENT_TIMEOUT = -1, /* every server tried, none answered */
};

/*
 * Fill the attributes of a request, after the header (rad_init is done):
 * called before the first transmission to each server (a failover
 * rebuilds the packet: new Identifier, Acct-Delay-Time as of `now`, a
 * wall-clock second).  Retransmissions to one server resend the same
 * bytes.  0, or -1 to give the request up (done is then called with
 * RADCLIENT_TIMEOUT).
 */
typedef int (*radclient_build_fn)(void *arg, struct rad_buf *p, uint64_t now);
/* The end of a request, exactly once (never from inside radclient_send):
 * reply is valid only during the call, NULL on RADCLIENT_TIMEOUT.  It may
 * call radclient_send and radclient_cancel, not radclient_free or
 * radclient_reconf. */
typedef void (*radclient_done_fn)(void *arg, int result,
				  const struct rad_pkt *reply);

/* A client over conf's auth (acct = 0) or acct (acct = 1) servers.
 * now_fn: the wall clock in seconds (muispd_now), for Delay-Time. */
int radclient_new(struct radclient **out, sd_event *ev,
		  const struct radius_conf *conf, int acct,
		  uint64_t (*now_fn)(void *), void *now_arg);
/* New servers or secrets (SIGHUP): requests in flight restart on the new
 * first server. */
int radclient_reconf(struct radclient *rc, const struct radius_conf *conf);
/* Cancels every request without calling done. */
void radclient_free(struct radclient *rc);

/*
 * Queue a request of `code` (RAD_ACCESS_REQUEST: password hidden, random
 * authenticator; RAD_ACCT_REQUEST: MD5 authenticator); both carry a
 * Message-Authenticator.  NULL (errno) when no server is configured or
 * memory runs out.  The handle is valid until done runs.
 */
struct radclient_req *radclient_send(struct radclient *rc, uint8_t code,
				     const char *password,
				     radclient_build_fn build,
				     radclient_done_fn done, void *arg);
/* Forget a request: done is not called. */
void radclient_cancel(struct radclient_req *r);
/* Room for another request now (window not full on the server in use,
 * and some server not dead or due for a probe): 1 or 0. */
int radclient_ready(const struct radclient *rc);
/* Requests queued or in flight. */
unsigned radclient_pending(const struct radclient *rc);

/* A server address as configured: numeric IPV4:PORT or [IPV6]:PORT.  0,
 * or -1 with *why (config.c checks with it). */
int radclient_parse_addr(const char *s, struct sockaddr_storage *sa,
			 socklen_t *len, const char **why);

/* Counters by name, for muispctl stats (MP_T_OP_RADIUS_STATS). */
typedef void (*rad_counter_fn)(void *arg, const char *name, uint64_t v);
void radclient_counters(const struct radclient *rc, const char *prefix,
			rad_counter_fn fn, void *arg);

#endif

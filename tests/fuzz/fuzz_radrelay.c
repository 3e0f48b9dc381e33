// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for muispd's EAP roaming relay (daemon/muispd/radrelay.c):
 * radrelay_request_input() and radrelay_reply_input(), the datagram logic
 * without the sockets, and the tap behind them (roam_accept_parse on the
 * Accepts that verify).
 *
 * Input: byte 0 picks the path, the rest is attributes or a datagram:
 *   0  a signed Access-Request from charon first; the rest framed and
 *      signed as its reply (Accept, Reject or Challenge by byte 0 >> 2),
 *      so the fuzzer gets past the authenticators into the tap;
 *   1  a signed request first; the rest is the server's datagram as
 *      received;
 *   2  the rest framed and signed as charon's Access-Request (pend_fill
 *      on any attributes), then a reply to it with no attributes;
 *   3  the rest is charon's datagram as received.
 *
 * Checks: a signed request from the loopback is always forwarded, its
 * whole length; a signed reply to it whose attributes tile always
 * matches, goes back to the request's sender with its whole length; an
 * Accept kept by the tap has a user name and the request's realm; a raw
 * (unsigned) datagram
 * never matches.  The clock moves 31 s per input: pending requests
 * and kept Accepts expire, the tables never fill.
 * Seeds: tests/fuzz/corpus/fuzz_radrelay/.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/muispd/radrelay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEC "fuzz-relay-secret"

static struct radrelay *rr;
static uint64_t clk = 1000000;

static uint64_t now_ms(void *arg)
{
	(void)arg;
	return clk;
}

static void setup(void)
{
	static struct radius_conf conf;
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	char err[200], listen[32];
	sd_event *ev;
	int fd;

	if (rr)
		return;
	/* a free port for the relay (port 0 is no configuration) */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (void *)&a, sizeof(a)) ||
	    getsockname(fd, (void *)&a, &al))
		abort();
	close(fd);
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", ntohs(a.sin_port));
	snprintf(conf.auth[0].addr, sizeof(conf.auth[0].addr), "127.0.0.1:9");
	conf.auth[0].seclen = strlen(SEC);
	memcpy(conf.auth[0].secret, SEC, conf.auth[0].seclen);
	conf.nauth = 1;
	if (sd_event_new(&ev) < 0 ||
	    radrelay_new(&rr, ev, listen, &conf, err, sizeof(err)))
		abort();
	radrelay_set_clock(rr, now_ms, NULL);
}

/* Whether n bytes are whole attributes (type, length >= 2) and none a
 * Message-Authenticator (the target appends its own). */
static int tiles(const uint8_t *d, size_t n)
{
	size_t o = 0;

	while (o + 2 <= n && d[o + 1] >= 2 && o + d[o + 1] <= n &&
	       d[o] != RAD_MESSAGE_AUTHENTICATOR)
		o += d[o + 1];
	return o == n;
}

static void from_charon(struct sockaddr_storage *ss, socklen_t *fl)
{
	struct sockaddr_in *a = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	a->sin_family = AF_INET;
	a->sin_port = htons(4500);
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*fl = sizeof(*a);
}

/* charon's signed request (attrs: extra attributes, may be NULL): its
 * authenticator into auth; it must be forwarded.  0, or -1 it did not
 * fit. */
static int request(uint8_t id, const uint8_t *attrs, size_t n,
		   uint8_t auth[RAD_AUTH_LEN])
{
	struct sockaddr_storage from;
	struct rad_buf b;
	socklen_t fl;
	size_t len = 0;

	rad_init(&b, RAD_ACCESS_REQUEST, id);
	if (rad_put_str(&b, RAD_USER_NAME, "u@partner.example") ||
	    rad_put_u32(&b, RAD_NAS_PORT, id))
		abort();
	if (attrs && rad_put_raw(&b, attrs, n))
		return -1; /* too long: nothing to check */
	if (rad_finish_access_request(&b, (const void *)SEC, strlen(SEC), NULL))
		return -1; /* no room for the Message-Authenticator */
	from_charon(&from, &fl);
	if (radrelay_request_input(rr, b.b, b.len, &from, fl, &len) != 0 ||
	    len != b.len)
		abort();
	memcpy(auth, b.b + 4, RAD_AUTH_LEN);
	return 0;
}

static void reply(uint8_t code, uint8_t id, const uint8_t auth[RAD_AUTH_LEN],
		  const uint8_t *attrs, size_t n)
{
	struct sockaddr_storage to, from;
	struct radrelay_accept acc;
	struct rad_buf b;
	socklen_t tolen = 0, fl;
	size_t len = 0;

	rad_init(&b, code, id);
	if (rad_put_raw(&b, attrs, n) ||
	    rad_finish_reply(&b, auth, (const void *)SEC, strlen(SEC), 1))
		return;
	if (radrelay_reply_input(rr, b.b, b.len, &to, &tolen, &len) != 0 ||
	    len != b.len)
		abort();
	from_charon(&from, &fl);
	if (tolen != fl || memcmp(&to, &from, fl))
		abort();
	if (code == RAD_ACCESS_ACCEPT && !radrelay_take(rr, id, "", &acc) &&
	    (strcmp(acc.auth.realm, "partner.example") ||
	     !acc.auth.user_name[0]))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t codes[] = { RAD_ACCESS_ACCEPT, RAD_ACCESS_REJECT,
					 RAD_ACCESS_CHALLENGE };
	struct sockaddr_storage to, from;
	uint8_t auth[RAD_AUTH_LEN];
	socklen_t tolen, fl;
	size_t len;
	uint8_t id;

	setup();
	if (size < 1)
		return 0;
	clk += 31000;
	id = (uint8_t)(clk / 31000);
	switch (data[0] & 3) {
	case 0:
		if (!request(id, NULL, 0, auth) && tiles(data + 1, size - 1))
			reply(codes[(data[0] >> 2) % 3], id, auth, data + 1,
			      size - 1);
		break;
	case 1:
		/* unsigned: never a match (the older requests expired) */
		if (!request(id, NULL, 0, auth) &&
		    !radrelay_reply_input(rr, data + 1, size - 1, &to, &tolen,
					  &len))
			abort();
		break;
	case 2:
		if (tiles(data + 1, size - 1) &&
		    !request(id, data + 1, size - 1, auth))
			reply(RAD_ACCESS_ACCEPT, id, auth, NULL, 0);
		break;
	default:
		from_charon(&from, &fl);
		radrelay_request_input(rr, data + 1, size - 1, &from, fl, &len);
		break;
	}
	return 0;
}

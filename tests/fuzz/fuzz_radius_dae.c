// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for muispd's RFC 5176 listener (daemon/muispd/dae.c):
 * dae_decide() on a fake table of four sessions, then dae_reply().
 *
 * Input: byte 0 picks the configuration (bit 0 require the
 * Message-Authenticator, bit 1 a NAS IP of our own, bit 2 no window),
 * byte 1 the path:
 *   even  the rest is attributes; the target frames and signs them as a
 *         Disconnect- (bit 1 clear) or CoA-Request (bit 1 set), with a
 *         Message-Authenticator when bit 2 is set, so the fuzzer gets
 *         past the authenticators into the attribute checks and matching;
 *   odd   the rest is the datagram as received (drops, framing).
 *
 * Checks: a request is dropped or answered, never both; a signed request
 * from the client is never dropped for its authenticators; an answer has
 * an Error-Cause of the NAK set or none; an ACK names 1..64 sessions of
 * the table (a CoA exactly 1); the reply parses, verifies under the
 * client's secret (with its Message-Authenticator when the request had
 * one) and is an ACK/NAK of the request's code and Identifier.
 * Seeds: tests/fuzz/corpus/fuzz_radius_dae/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "daemon/muispd/dae.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEC    "dae-secret"
#define CLIENT "192.0.2.7"
#define NOW    1700000000ull

static struct dae_sess table[4];

static int each(void *arg, int (*fn)(void *, const struct dae_sess *),
		void *fnarg)
{
	for (unsigned i = 0; i < 4; i++)
		if (fn(fnarg, &table[i]))
			break;
	return 0;
}

static void init_table(void)
{
	static const struct {
		uint8_t method, metric;
		int state;
		const char *addr, *sid, *user, *mac;
	} t[4] = {
		{ MP_METHOD_CASH, MP_METRIC_BYTES, CS_ACTIVE, "10.0.0.2",
		  "5f3a9c01-2a-1", "alice", "02-00-00-00-00-01" },
		{ MP_METHOD_ROAM, MP_METRIC_BYTES, CS_SUSPENDED, "10.0.0.3",
		  "5f3a9c01-2b-2", "u@partner.example", "02-00-00-00-00-02" },
		{ MP_METHOD_VOUCHER, MP_METRIC_ELAPSED, CS_DELINQUENT,
		  "2001:db8::5", "5f3a9c01-2c-1", "shared", "" },
		{ MP_METHOD_ROOM, MP_METRIC_BYTES, CS_ACTIVE, "10.0.0.4", "",
		  "shared", "02:00:00:00:00:04" },
	};

	for (unsigned i = 0; i < 4; i++) {
		struct dae_sess *s = &table[i];

		memset(s, 0, sizeof(*s));
		s->serial = i + 1;
		s->state = t[i].state;
		s->metric = t[i].metric;
		s->method = t[i].method;
		s->soft = 1000;
		s->hard = 2000;
		s->expiry = i == 2 ? 0 : NOW + 3600;
		s->started = i == 3 ? 0 : NOW - 60;
		strcpy(s->addr, t[i].addr);
		strcpy(s->sid, t[i].sid);
		strcpy(s->user_name, t[i].user);
		strcpy(s->mac, t[i].mac);
	}
}

static int is_cause(uint32_t e)
{
	static const uint32_t ok[] = { 401, 402, 403, 404, 405,
				       407, 501, 503, 506, 508 };

	for (unsigned i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (e == ok[i])
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	struct radius_conf conf;
	const struct dae_ops ops = { NULL, each };
	struct dae_ctx ctx = { &conf, "muisp-nas", "", &ops };
	struct rad_buf b, out;
	struct rad_pkt p, r;
	struct dae_action a;
	const uint8_t *pkt;
	size_t n;
	int signed_req = 0, ma = 0;

	if (!once) {
		init_table();
		once = 1;
	}
	if (size < 2)
		return 0;
	memset(&conf, 0, sizeof(conf));
	strcpy(conf.dae[0].addr, CLIENT);
	memcpy(conf.dae[0].secret, SEC, strlen(SEC));
	conf.dae[0].seclen = strlen(SEC);
	conf.ndae = 1;
	conf.dae_require_ma = data[0] & 1;
	ctx.nas_ip = data[0] & 2 ? "192.0.2.1" : "";
	conf.dae_window_s = data[0] & 4 ? 0 : 300;
	if (!(data[1] & 1)) {
		rad_init(&b,
			 data[1] & 2 ? RAD_COA_REQUEST : RAD_DISCONNECT_REQUEST,
			 data[0]);
		ma = (data[1] & 4) != 0;
		/* only attributes that tile by themselves: else the last one
		 * would swallow the Message-Authenticator appended here */
		if (rad_put_raw(&b, data + 2, size - 2) < 0 ||
		    rad_parse(b.b, b.len, &p) < 0 ||
		    rad_finish_request(&b, (const uint8_t *)SEC, strlen(SEC),
				       ma) < 0)
			return 0;
		pkt = b.b;
		n = b.len;
		signed_req = rad_parse(pkt, n, &p) == 0;
	} else {
		pkt = data + 2;
		n = size - 2;
	}
	dae_decide(&ctx, CLIENT, pkt, n, NOW, &a);
	if (a.drop != DAE_OK) {
		if (signed_req &&
		    (a.drop == DAE_DROP_AUTH || a.drop == DAE_DROP_CODE ||
		     a.drop == DAE_DROP_CLIENT))
			abort();
		if (signed_req && a.drop == DAE_DROP_MA &&
		    !conf.dae_require_ma &&
		    (int)rad_count(&p, RAD_MESSAGE_AUTHENTICATOR) == ma)
			abort();
		return 0;
	}
	if (a.error) {
		if (!is_cause(a.error) || a.nmatch || a.set_hard ||
		    a.set_expiry || a.filter)
			abort();
	} else {
		if (!a.nmatch || a.nmatch > 4 ||
		    (a.code == RAD_COA_REQUEST && a.nmatch != 1))
			abort();
		for (unsigned i = 0; i < a.nmatch; i++)
			if (a.serial[i] < 1 || a.serial[i] > 4)
				abort();
	}
	if (dae_reply(&a, pkt, n, (const uint8_t *)SEC, strlen(SEC), &out) <
	    0) {
		/* only when the echoed attributes do not fit */
		if (out.len < RAD_MAX_LEN - 300)
			abort();
		return 0;
	}
	if (rad_parse(out.b, out.len, &r) < 0 || rad_parse(pkt, n, &p) < 0 ||
	    r.id != p.id || r.code != p.code + (a.error ? 2 : 1) ||
	    rad_verify_reply(&r, p.auth, (const uint8_t *)SEC, strlen(SEC),
			     rad_count(&p, RAD_MESSAGE_AUTHENTICATOR) > 0))
		abort();
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * lib/radius: known answers (packets radclient 3.2.1 sent and FreeRADIUS
 * 3.2.1 answered, captured as hex), re-encoding them byte for byte, round
 * trips of every finish/verify function, Message-Authenticator good, bad,
 * missing and malformed, User-Password hiding, every attribute length
 * 0..255 through rad_parse/rad_next, Vendor-Specific walks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lib/radius.h"

/*
 * Captured with a UDP listener on 127.0.0.1 (tests only need the bytes):
 *   REQ_ACCT  radclient acct testing123: User-Name "alice",
 *             Acct-Status-Type Start, Acct-Session-Id "5f3a9c01-2a-1",
 *             Event-Timestamp 1764680000, Framed-IP-Address 10.0.0.7
 *   REQ_DM    radclient disconnect dae-secret: Acct-Session-Id,
 *             Event-Timestamp, Message-Authenticator
 *   REQ_COA   radclient coa dae-secret: User-Name "alice",
 *             Session-Timeout 600, ChilliSpot-Max-Total-Octets 5000000,
 *             Message-Authenticator
 *   REQ_AUTH  radclient auth nas-secret: User-Name "u@partner.example",
 *             User-Password "roampw", Message-Authenticator
 *   REQ_AUTH2 radclient auth nas-secret: User-Name "u", User-Password
 *             "0123456789abcdefXYZ" (two blocks), no Message-Authenticator
 *   REQ_ACCT2 as REQ_ACCT with secret nas-secret, sent to FreeRADIUS
 *             "visited" (tests/radius/fr.sh), which answered REP_ACCT2
 *   REP_AUTH  visited's Access-Accept to REQ_AUTH (proxied to home):
 *             Session-Timeout 3600, Idle-Timeout 300,
 *             ChilliSpot-Max-Total-Octets 50000000, Acct-Interim-Interval
 *             60, Class "partner-bill-0001", Message-Authenticator
 */
static const char REQ_ACCT[] =
	"04f4003c766f45ba1b78706ab20195422e535b2d0107616c6963652806000000"
	"012c0f35663361396330312d32612d313706692ee14008060a000007";

static const char REQ_DM[] =
	"2821003bed20f541e97ce379befaad17df48c1e82c0f35663361396330312d32"
	"612d313706692ee1405012d82b78e9e886347ce91f471ea0e8b543";

static const char REQ_COA[] =
	"2b14003f7baa668fcd6026ffe2c6147f53e7136e0107616c6963651b06000002"
	"581a0c000038df0306004c4b40501271a3c4edc2ec80876cf27d78a22efe65";

static const char REQ_AUTH[] =
	"0190004b4403b9ab6d5a9e00276544864e646c4d01137540706172746e65722e"
	"6578616d706c65021238aebbc3159e7e6bc6d6060d684d1da150120a73b64325"
	"c0461941887f2286a677ae";

static const char REQ_AUTH2[] =
	"01320039d23f9909ca8aaeb048f3f6363029fad001037502227b1ca4dc07a667"
	"23a9da7b9bb9a2caf5f05cdb46eb5ab5e559bc7fadf31190ac";

static const char REQ_ACCT2[] =
	"04ed003cc50c1593774fa4a841d789e6e1a9dddb0107616c6963652806000000"
	"012c0f35663361396330312d32612d313706692ee14008060a000007";

static const char REP_AUTH[] =
	"02900057fefc8c499f5a1543bd1fea6d8c2974001b0600000e101c060000012c"
	"1a0c000038df030602faf08055060000003c1913706172746e65722d62696c6c"
	"2d3030303150122cb2eed3c3bc1dad374100437ced6db1";

static const char REP_ACCT2[] = "05ed0014dd1bb119616186e7565399939b14c5de";

static const uint8_t TESTING123[] = "testing123";
static const uint8_t DAE[] = "dae-secret";
static const uint8_t NAS[] = "nas-secret";
#define SL(s) (sizeof(s) - 1)

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = strlen(h) / 2;
	unsigned x;

	for (size_t i = 0; i < n; i++) {
		assert_int_equal(sscanf(h + 2 * i, "%2x", &x), 1);
		out[i] = (uint8_t)x;
	}
	return n;
}

static void load(const char *h, uint8_t *buf, struct rad_pkt *p)
{
	size_t n = unhex(h, buf);

	assert_int_equal(rad_parse(buf, n, p), 0);
	assert_int_equal(p->len, n);
}

static void test_kat_requests(void **state)
{
	uint8_t b[RAD_MAX_LEN];
	struct rad_pkt p;
	const uint8_t *v;
	uint32_t u;
	size_t n;
	char pw[200];

	(void)state;
	load(REQ_ACCT, b, &p);
	assert_int_equal(p.code, RAD_ACCT_REQUEST);
	assert_int_equal(p.id, 0xf4);
	assert_int_equal(rad_verify_request(&p, TESTING123, SL(TESTING123), 0),
			 0);
	assert_int_equal(rad_verify_request(&p, NAS, SL(NAS), 0), -1);
	/* no Message-Authenticator: required -> -2 */
	assert_int_equal(rad_verify_request(&p, TESTING123, SL(TESTING123), 1),
			 -2);
	assert_int_equal(rad_find_u32(&p, RAD_EVENT_TIMESTAMP, &u), 0);
	assert_int_equal(u, 1764680000);
	assert_int_equal(rad_find(&p, RAD_ACCT_SESSION_ID, &v, &n), 0);
	assert_int_equal(n, 13);
	assert_memory_equal(v, "5f3a9c01-2a-1", 13);

	load(REQ_DM, b, &p);
	assert_int_equal(p.code, RAD_DISCONNECT_REQUEST);
	assert_int_equal(rad_verify_request(&p, DAE, SL(DAE), 1), 0);
	assert_int_equal(rad_verify_request(&p, NAS, SL(NAS), 1), -1);

	load(REQ_COA, b, &p);
	assert_int_equal(p.code, RAD_COA_REQUEST);
	assert_int_equal(rad_verify_request(&p, DAE, SL(DAE), 1), 0);
	assert_int_equal(rad_find_u32(&p, RAD_SESSION_TIMEOUT, &u), 0);
	assert_int_equal(u, 600);
	assert_int_equal(rad_find_vsa(&p, RAD_VENDOR_CHILLISPOT,
				      RAD_CHILLI_MAX_TOTAL_OCTETS, &v, &n),
			 0);
	assert_int_equal(n, 4);
	assert_int_equal(v[0] << 24 | v[1] << 16 | v[2] << 8 | v[3], 5000000);

	load(REQ_AUTH, b, &p);
	assert_int_equal(rad_verify_access_request(&p, NAS, SL(NAS), 1), 0);
	assert_int_equal(rad_verify_access_request(&p, DAE, SL(DAE), 1), -2);
	assert_int_equal(rad_password_reveal(&p, NAS, SL(NAS), pw, sizeof(pw)),
			 0);
	assert_string_equal(pw, "roampw");
	assert_int_equal(rad_password_reveal(&p, NAS, SL(NAS), pw, 6), -1);
	assert_int_equal(rad_password_reveal(&p, NAS, SL(NAS), pw, 7), 0);

	load(REQ_AUTH2, b, &p);
	assert_int_equal(rad_verify_access_request(&p, NAS, SL(NAS), 0), 0);
	assert_int_equal(rad_verify_access_request(&p, NAS, SL(NAS), 1), -2);
	assert_int_equal(rad_password_reveal(&p, NAS, SL(NAS), pw, sizeof(pw)),
			 0);
	assert_string_equal(pw, "0123456789abcdefXYZ");
}

static void test_kat_replies(void **state)
{
	uint8_t rq[RAD_MAX_LEN], rp[RAD_MAX_LEN];
	struct rad_pkt q, p;
	uint32_t u;

	(void)state;
	load(REQ_AUTH, rq, &q);
	load(REP_AUTH, rp, &p);
	assert_int_equal(p.code, RAD_ACCESS_ACCEPT);
	assert_int_equal(p.id, q.id);
	assert_int_equal(rad_verify_reply(&p, q.auth, NAS, SL(NAS), 1), 0);
	assert_int_equal(rad_verify_reply(&p, q.auth, DAE, SL(DAE), 0), -1);
	assert_int_equal(rad_find_u32(&p, RAD_IDLE_TIMEOUT, &u), 0);
	assert_int_equal(u, 300);
	assert_int_equal(rad_count(&p, RAD_CLASS), 1);

	/* the reply to another request (other authenticator) is refused */
	load(REQ_AUTH2, rq, &q);
	assert_int_equal(rad_verify_reply(&p, q.auth, NAS, SL(NAS), 0), -1);

	load(REQ_ACCT2, rq, &q);
	load(REP_ACCT2, rp, &p);
	assert_int_equal(p.code, RAD_ACCT_RESPONSE);
	assert_int_equal(rad_verify_reply(&p, q.auth, NAS, SL(NAS), 0), 0);
	/* FreeRADIUS 3.2.1 signs no Accounting-Response */
	assert_int_equal(rad_verify_reply(&p, q.auth, NAS, SL(NAS), 1), -2);
}

/* Our encoder makes the same bytes as radclient and FreeRADIUS. */
static void test_kat_encode(void **state)
{
	uint8_t want[RAD_MAX_LEN], rq[RAD_MAX_LEN];
	struct rad_buf b;
	struct rad_pkt q;
	size_t n;

	(void)state;
	n = unhex(REQ_ACCT, want);
	rad_init(&b, RAD_ACCT_REQUEST, 0xf4);
	assert_int_equal(rad_put_str(&b, RAD_USER_NAME, "alice"), 0);
	assert_int_equal(rad_put_u32(&b, RAD_ACCT_STATUS_TYPE, 1), 0);
	assert_int_equal(rad_put_str(&b, RAD_ACCT_SESSION_ID, "5f3a9c01-2a-1"),
			 0);
	assert_int_equal(rad_put_u32(&b, RAD_EVENT_TIMESTAMP, 1764680000), 0);
	assert_int_equal(
		rad_put(&b, RAD_FRAMED_IP_ADDRESS, "\x0a\x00\x00\x07", 4), 0);
	assert_int_equal(rad_finish_request(&b, TESTING123, SL(TESTING123), 0),
			 0);
	assert_int_equal(b.len, n);
	assert_memory_equal(b.b, want, n);

	n = unhex(REQ_DM, want);
	rad_init(&b, RAD_DISCONNECT_REQUEST, 0x21);
	assert_int_equal(rad_put_str(&b, RAD_ACCT_SESSION_ID, "5f3a9c01-2a-1"),
			 0);
	assert_int_equal(rad_put_u32(&b, RAD_EVENT_TIMESTAMP, 1764680000), 0);
	assert_int_equal(rad_finish_request(&b, DAE, SL(DAE), 1), 0);
	assert_int_equal(b.len, n);
	assert_memory_equal(b.b, want, n);

	n = unhex(REQ_COA, want);
	rad_init(&b, RAD_COA_REQUEST, 0x14);
	assert_int_equal(rad_put_str(&b, RAD_USER_NAME, "alice"), 0);
	assert_int_equal(rad_put_u32(&b, RAD_SESSION_TIMEOUT, 600), 0);
	assert_int_equal(rad_put_vsa_u32(&b, RAD_VENDOR_CHILLISPOT,
					 RAD_CHILLI_MAX_TOTAL_OCTETS, 5000000),
			 0);
	assert_int_equal(rad_finish_request(&b, DAE, SL(DAE), 1), 0);
	assert_int_equal(b.len, n);
	assert_memory_equal(b.b, want, n);

	load(REQ_AUTH, rq, &q);
	n = unhex(REP_AUTH, want);
	rad_init(&b, RAD_ACCESS_ACCEPT, q.id);
	assert_int_equal(rad_put_u32(&b, RAD_SESSION_TIMEOUT, 3600), 0);
	assert_int_equal(rad_put_u32(&b, RAD_IDLE_TIMEOUT, 300), 0);
	assert_int_equal(rad_put_vsa_u32(&b, RAD_VENDOR_CHILLISPOT,
					 RAD_CHILLI_MAX_TOTAL_OCTETS, 50000000),
			 0);
	assert_int_equal(rad_put_u32(&b, RAD_ACCT_INTERIM_INTERVAL, 60), 0);
	assert_int_equal(rad_put_str(&b, RAD_CLASS, "partner-bill-0001"), 0);
	assert_int_equal(rad_finish_reply(&b, q.auth, NAS, SL(NAS), 1), 0);
	assert_int_equal(b.len, n);
	assert_memory_equal(b.b, want, n);

	load(REQ_ACCT2, rq, &q);
	n = unhex(REP_ACCT2, want);
	rad_init(&b, RAD_ACCT_RESPONSE, q.id);
	assert_int_equal(rad_finish_reply(&b, q.auth, NAS, SL(NAS), 0), 0);
	assert_int_equal(b.len, n);
	assert_memory_equal(b.b, want, n);
}

static void test_password_lengths(void **state)
{
	static const size_t lens[] = { 0, 1, 15, 16, 17, 128 };
	char pw[129], out[200];
	const uint8_t *v;
	struct rad_buf b;
	struct rad_pkt p;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memset(pw, 'a' + (int)i, lens[i]);
		pw[lens[i]] = '\0';
		rad_init(&b, RAD_ACCESS_REQUEST, (uint8_t)i);
		assert_int_equal(rad_put_str(&b, RAD_USER_NAME, "u"), 0);
		assert_int_equal(
			rad_finish_access_request(&b, NAS, SL(NAS), pw), 0);
		assert_int_equal(rad_parse(b.b, b.len, &p), 0);
		assert_int_equal(rad_find(&p, RAD_USER_PASSWORD, &v, &n), 0);
		assert_int_equal(n, lens[i] ? (lens[i] + 15) / 16 * 16 : 16);
		/* hidden: the clear text does not appear */
		if (lens[i] >= 4)
			assert_null(memmem(b.b, b.len, pw, lens[i]));
		assert_int_equal(rad_verify_access_request(&p, NAS, SL(NAS), 1),
				 0);
		assert_int_equal(rad_password_reveal(&p, NAS, SL(NAS), out,
						     sizeof(out)),
				 0);
		assert_string_equal(out, pw);
		/* another secret reveals something else (or fails) */
		if (lens[i] && rad_password_reveal(&p, DAE, SL(DAE), out,
						   sizeof(out)) == 0)
			assert_string_not_equal(out, pw);
	}
	memset(pw, 'x', 129);
	{
		char big[130];

		memcpy(big, pw, 129);
		big[129] = '\0';
		rad_init(&b, RAD_ACCESS_REQUEST, 1);
		assert_int_equal(
			rad_finish_access_request(&b, NAS, SL(NAS), big), -1);
	}
	/* two Access-Requests get different random authenticators */
	{
		struct rad_buf c;

		rad_init(&b, RAD_ACCESS_REQUEST, 1);
		rad_init(&c, RAD_ACCESS_REQUEST, 1);
		assert_int_equal(
			rad_finish_access_request(&b, NAS, SL(NAS), NULL), 0);
		assert_int_equal(
			rad_finish_access_request(&c, NAS, SL(NAS), NULL), 0);
		assert_memory_not_equal(b.b + 4, c.b + 4, RAD_AUTH_LEN);
		assert_int_equal(rad_parse(b.b, b.len, &p), 0);
		assert_int_equal(rad_find(&p, RAD_USER_PASSWORD, &v, &n), -1);
		assert_int_equal(rad_count(&p, RAD_MESSAGE_AUTHENTICATOR), 1);
	}
}

static void test_round_trips(void **state)
{
	uint8_t req_auth[RAD_AUTH_LEN];
	struct rad_buf b;
	struct rad_pkt p;

	(void)state;
	for (int ma = 0; ma <= 1; ma++) {
		static const uint8_t codes[] = { RAD_ACCT_REQUEST,
						 RAD_DISCONNECT_REQUEST,
						 RAD_COA_REQUEST };

		for (size_t i = 0; i < sizeof(codes); i++) {
			rad_init(&b, codes[i], (uint8_t)(i + 7));
			assert_int_equal(rad_put_str(&b, RAD_USER_NAME, "bob"),
					 0);
			assert_int_equal(
				rad_finish_request(&b, DAE, SL(DAE), ma), 0);
			assert_int_equal(rad_parse(b.b, b.len, &p), 0);
			assert_int_equal(p.code, codes[i]);
			assert_int_equal(p.id, i + 7);
			assert_int_equal(rad_count(&p,
						   RAD_MESSAGE_AUTHENTICATOR),
					 (unsigned)ma);
			assert_int_equal(
				rad_verify_request(&p, DAE, SL(DAE), ma), 0);
			assert_int_equal(rad_verify_request(&p, DAE, SL(DAE),
							    1),
					 ma ? 0 : -2);
			assert_int_equal(
				rad_verify_request(&p, NAS, SL(NAS), 0), -1);
			/* every one-byte change of the packet is caught */
			for (size_t k = 0; k < b.len; k++) {
				b.b[k] ^= 0x01;
				if (rad_parse(b.b, b.len, &p) == 0)
					assert_int_not_equal(
						rad_verify_request(&p, DAE,
								   SL(DAE), 0),
						0);
				b.b[k] ^= 0x01;
			}
			memcpy(req_auth, b.b + 4, RAD_AUTH_LEN);

			rad_init(&b, (uint8_t)(codes[i] + 1), (uint8_t)(i + 7));
			assert_int_equal(rad_put_u32(&b, RAD_ERROR_CAUSE, 503),
					 0);
			assert_int_equal(rad_finish_reply(&b, req_auth, DAE,
							  SL(DAE), ma),
					 0);
			assert_int_equal(rad_parse(b.b, b.len, &p), 0);
			assert_int_equal(rad_verify_reply(&p, req_auth, DAE,
							  SL(DAE), ma),
					 0);
			assert_int_equal(rad_verify_reply(&p, req_auth, DAE,
							  SL(DAE), 1),
					 ma ? 0 : -2);
			assert_int_equal(rad_verify_reply(&p, req_auth, NAS,
							  SL(NAS), 0),
					 -1);
			for (size_t k = 0; k < b.len; k++) {
				b.b[k] ^= 0x80;
				if (rad_parse(b.b, b.len, &p) == 0)
					assert_int_not_equal(
						rad_verify_reply(&p, req_auth,
								 DAE, SL(DAE),
								 0),
						0);
				b.b[k] ^= 0x80;
			}
			req_auth[3] ^= 1;
			assert_int_equal(rad_parse(b.b, b.len, &p), 0);
			assert_int_equal(rad_verify_reply(&p, req_auth, DAE,
							  SL(DAE), 0),
					 -1);
		}
	}
	/* secrets: empty and > 128 refused */
	rad_init(&b, RAD_ACCT_REQUEST, 1);
	assert_int_equal(rad_finish_request(&b, DAE, 0, 0), -1);
	{
		uint8_t big[RAD_SECRET_MAX + 1];

		memset(big, 's', sizeof(big));
		assert_int_equal(rad_finish_request(&b, big, sizeof(big), 0),
				 -1);
		assert_int_equal(rad_finish_request(&b, big, RAD_SECRET_MAX, 0),
				 0);
		assert_int_equal(rad_parse(b.b, b.len, &p), 0);
		assert_int_equal(rad_verify_request(&p, big, RAD_SECRET_MAX, 0),
				 0);
	}
}

/* A request whose Request Authenticator is right but whose
 * Message-Authenticator is the given attribute bytes. */
static void with_ma(struct rad_buf *b, const uint8_t *attrs, size_t n)
{
	rad_init(b, RAD_DISCONNECT_REQUEST, 9);
	assert_int_equal(rad_put_str(b, RAD_USER_NAME, "bob"), 0);
	assert_int_equal(rad_put_raw(b, attrs, n), 0);
	assert_int_equal(rad_finish_request(b, DAE, SL(DAE), 0), 0);
}

static void test_message_authenticator(void **state)
{
	uint8_t a[64], good[RAD_AUTH_LEN];
	struct rad_buf b;
	struct rad_pkt p;

	(void)state;
	/* good, then the same value with one bit changed */
	rad_init(&b, RAD_DISCONNECT_REQUEST, 9);
	assert_int_equal(rad_put_str(&b, RAD_USER_NAME, "bob"), 0);
	assert_int_equal(rad_finish_request(&b, DAE, SL(DAE), 1), 0);
	memcpy(good, b.b + b.len - RAD_AUTH_LEN, RAD_AUTH_LEN);
	a[0] = RAD_MESSAGE_AUTHENTICATOR;
	a[1] = 18;
	memcpy(a + 2, good, RAD_AUTH_LEN);
	with_ma(&b, a, 18);
	assert_int_equal(rad_parse(b.b, b.len, &p), 0);
	assert_int_equal(rad_verify_request(&p, DAE, SL(DAE), 1), 0);
	a[2 + 5] ^= 0x10;
	with_ma(&b, a, 18);
	assert_int_equal(rad_parse(b.b, b.len, &p), 0);
	assert_int_equal(rad_verify_request(&p, DAE, SL(DAE), 0), -2);
	assert_int_equal(rad_verify_request(&p, DAE, SL(DAE), 1), -2);
	/* malformed: 15 octets, 17 octets, 0 octets, two of them */
	for (size_t len = 2; len <= 19; len++) {
		if (len == 18)
			continue;
		memset(a, 0, sizeof(a));
		a[0] = RAD_MESSAGE_AUTHENTICATOR;
		a[1] = (uint8_t)len;
		with_ma(&b, a, len);
		assert_int_equal(rad_parse(b.b, b.len, &p), 0);
		assert_int_equal(rad_verify_request(&p, DAE, SL(DAE), 0), -3);
		assert_int_equal(rad_verify_access_request(&p, DAE, SL(DAE), 0),
				 -3);
	}
	memcpy(a + 2, good, RAD_AUTH_LEN);
	a[0] = RAD_MESSAGE_AUTHENTICATOR;
	a[1] = 18;
	memcpy(a + 18, a, 18);
	with_ma(&b, a, 36);
	assert_int_equal(rad_parse(b.b, b.len, &p), 0);
	assert_int_equal(rad_verify_request(&p, DAE, SL(DAE), 0), -3);
	/* missing */
	with_ma(&b, a, 0);
	assert_int_equal(rad_parse(b.b, b.len, &p), 0);
	assert_int_equal(rad_verify_request(&p, DAE, SL(DAE), 0), 0);
	assert_int_equal(rad_verify_request(&p, DAE, SL(DAE), 1), -2);

	/* an Access-Request's Message-Authenticator covers its random
	 * authenticator: changing it breaks the signature */
	rad_init(&b, RAD_ACCESS_REQUEST, 3);
	assert_int_equal(rad_finish_access_request(&b, NAS, SL(NAS), "pw"), 0);
	assert_int_equal(rad_parse(b.b, b.len, &p), 0);
	assert_int_equal(rad_verify_access_request(&p, NAS, SL(NAS), 1), 0);
	b.b[10] ^= 1;
	assert_int_equal(rad_verify_access_request(&p, NAS, SL(NAS), 1), -2);
}

/* One attribute of every length byte 0..255 after a 20-byte header. */
static void test_attribute_lengths(void **state)
{
	uint8_t buf[RAD_HDR_LEN + 256 + 8];
	struct rad_pkt p;
	const uint8_t *v;
	size_t off, n, len;
	uint32_t u32;
	uint8_t t;

	(void)state;
	for (unsigned l = 0; l <= 255; l++) {
		memset(buf, 0xab, sizeof(buf));
		buf[0] = RAD_ACCT_REQUEST;
		buf[1] = 1;
		buf[RAD_HDR_LEN] = RAD_USER_NAME;
		buf[RAD_HDR_LEN + 1] = (uint8_t)l;
		/* the packet is exactly header + attribute (2 bytes when the
		 * length byte is < 2) */
		len = RAD_HDR_LEN + (l < 2 ? 2 : l);
		buf[2] = (uint8_t)(len >> 8);
		buf[3] = (uint8_t)len;
		if (l < 2) {
			assert_int_equal(rad_parse(buf, len, &p), -1);
			continue;
		}
		assert_int_equal(rad_parse(buf, len + 8, &p), 0);
		assert_int_equal(p.len, len);
		off = 0;
		assert_int_equal(rad_next(&p, &off, &t, &v, &n), 0);
		assert_int_equal(t, RAD_USER_NAME);
		assert_int_equal(n, l - 2);
		assert_ptr_equal(v, buf + RAD_HDR_LEN + 2);
		assert_int_equal(rad_next(&p, &off, &t, &v, &n), 1);
		assert_int_equal(rad_find(&p, RAD_USER_NAME, &v, &n), 0);
		assert_int_equal(n, l - 2);
		assert_int_equal(rad_find_u32(&p, RAD_USER_NAME, &u32),
				 l == 6 ? 0 : -2);
		/* one byte short: the attribute overruns the packet */
		buf[3] = (uint8_t)(len - 1);
		buf[2] = (uint8_t)((len - 1) >> 8);
		assert_int_equal(rad_parse(buf, len + 8, &p), -1);
		/* the datagram shorter than the header's length */
		buf[2] = (uint8_t)(len >> 8);
		buf[3] = (uint8_t)len;
		assert_int_equal(rad_parse(buf, len - 1, &p), -1);
		/* a 1-byte tail (type without length) */
		buf[len] = RAD_USER_NAME;
		buf[2] = (uint8_t)((len + 1) >> 8);
		buf[3] = (uint8_t)(len + 1);
		assert_int_equal(rad_parse(buf, len + 8, &p), -1);
		/* rad_next refuses a hand-made rad_pkt that overruns */
		p.b = buf;
		p.len = len + 1;
		off = RAD_HDR_LEN;
		assert_int_equal(rad_next(&p, &off, &t, &v, &n), 0);
		assert_int_equal(rad_next(&p, &off, &t, &v, &n), -1);
	}
	/* header lengths */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(rad_parse(buf, 19, &p), -1);
	buf[3] = 19;
	assert_int_equal(rad_parse(buf, 20, &p), -1);
	buf[3] = 20;
	assert_int_equal(rad_parse(buf, 20, &p), 0);
	off = 0;
	assert_int_equal(rad_next(&p, &off, &t, &v, &n), 1);
	buf[2] = 0x10;
	buf[3] = 0x01; /* 4097 */
	{
		static uint8_t big[RAD_MAX_LEN + 2];

		memcpy(big, buf, 4);
		assert_int_equal(rad_parse(big, sizeof(big), &p), -1);
	}
}

static void test_builder_limits(void **state)
{
	uint8_t v[254] = { 0 };
	struct rad_buf b;
	struct rad_pkt p;
	size_t k = 0;

	(void)state;
	rad_init(&b, RAD_ACCT_REQUEST, 1);
	for (size_t n = 0; n <= 253; n++) {
		rad_init(&b, RAD_ACCT_REQUEST, 1);
		assert_int_equal(rad_put(&b, RAD_CLASS, v, n), 0);
		assert_int_equal(b.len, RAD_HDR_LEN + 2 + n);
	}
	assert_int_equal(rad_put(&b, RAD_CLASS, v, 254), -1);
	assert_int_equal(rad_put_vsa(&b, 1, 1, v, 248), -1);
	assert_int_equal(rad_put_vsa(&b, 1, 1, v, 247), 0);
	rad_init(&b, RAD_ACCT_REQUEST, 1);
	while (rad_put(&b, RAD_CLASS, v, 253) == 0)
		k++;
	assert_int_equal(k, (RAD_MAX_LEN - RAD_HDR_LEN) / 255);
	assert_true(b.len <= RAD_MAX_LEN);
	/* no room for a Message-Authenticator after filling: refused */
	while (rad_put(&b, RAD_CLASS, v, 0) == 0)
		;
	assert_int_equal(b.len, RAD_MAX_LEN - 1);
	assert_int_equal(rad_finish_request(&b, DAE, SL(DAE), 1), -1);
	assert_int_equal(rad_finish_request(&b, DAE, SL(DAE), 0), 0);
	assert_int_equal(rad_parse(b.b, b.len, &p), 0);
	assert_int_equal(rad_count(&p, RAD_CLASS),
			 k + (b.len - RAD_HDR_LEN - k * 255) / 2);
	assert_int_equal(rad_put_raw(&b, v, 2), -1);
}

static void test_vsa(void **state)
{
	/* vendor 14988 with two sub-attributes (17 = 5, 18 = 1), a
	 * malformed ChilliSpot VSA (sub-length 1), a short VSA (3 bytes),
	 * then a good ChilliSpot one */
	static const uint8_t attrs[] = {
		26, 18, 0, 0,	 0x3a, 0x8c, 17, 6,  0, 0,    0,    5,
		18, 6,	0, 0,	 0,    1,    26, 12, 0, 0,    0x38, 0xdf,
		3,  1,	0, 0,	 0,    0,    26, 5,  0, 0,    0x38, 26,
		12, 0,	0, 0x38, 0xdf, 3,    6,	 0,  0, 0x10, 0,
	};
	const uint8_t *v;
	struct rad_buf b;
	struct rad_pkt p;
	size_t n;

	(void)state;
	rad_init(&b, RAD_COA_REQUEST, 1);
	assert_int_equal(rad_put_raw(&b, attrs, sizeof(attrs)), 0);
	assert_int_equal(rad_parse(b.b, b.len, &p), 0);
	assert_int_equal(rad_count(&p, RAD_VENDOR_SPECIFIC), 4);
	assert_int_equal(rad_find_vsa(&p, RAD_VENDOR_MIKROTIK,
				      RAD_MIKROTIK_TOTAL_LIMIT, &v, &n),
			 0);
	assert_int_equal(n, 4);
	assert_int_equal(v[3], 5);
	assert_int_equal(rad_find_vsa(&p, RAD_VENDOR_MIKROTIK,
				      RAD_MIKROTIK_TOTAL_LIMIT_GIGAWORDS, &v,
				      &n),
			 0);
	assert_int_equal(v[3], 1);
	assert_int_equal(rad_find_vsa(&p, RAD_VENDOR_CHILLISPOT,
				      RAD_CHILLI_MAX_TOTAL_OCTETS, &v, &n),
			 0);
	assert_int_equal(n, 4);
	assert_int_equal(v[2], 0x10);
	assert_int_equal(rad_find_vsa(&p, RAD_VENDOR_CHILLISPOT,
				      RAD_CHILLI_MAX_INPUT_OCTETS, &v, &n),
			 -1);
	assert_int_equal(rad_find_vsa(&p, 9, 1, &v, &n), -1);

	/* rad_put_vsa round trip, value lengths 0..247 */
	for (size_t len = 0; len <= 247; len++) {
		uint8_t val[247];

		memset(val, (int)len, sizeof(val));
		rad_init(&b, RAD_COA_REQUEST, 1);
		assert_int_equal(rad_put_vsa(&b, 77, 9, val, len), 0);
		assert_int_equal(rad_parse(b.b, b.len, &p), 0);
		assert_int_equal(rad_find_vsa(&p, 77, 9, &v, &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(v, val, len);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kat_requests),
		cmocka_unit_test(test_kat_replies),
		cmocka_unit_test(test_kat_encode),
		cmocka_unit_test(test_password_lengths),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_message_authenticator),
		cmocka_unit_test(test_attribute_lengths),
		cmocka_unit_test(test_builder_limits),
		cmocka_unit_test(test_vsa),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

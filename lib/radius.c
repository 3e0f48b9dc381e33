// SPDX-License-Identifier: GPL-2.0
/*
 * RADIUS packets: build, parse, sign and verify (see radius.h).
 *
 * Request Authenticator of Accounting/Disconnect/CoA requests (RFC 2866
 * §3, RFC 5176 §3): MD5(Code+Identifier+Length+16 zero octets+Attributes+
 * Secret).  Response Authenticator (RFC 2865 §3): MD5(Code+Identifier+
 * Length+Request Authenticator+Attributes+Secret).  Message-Authenticator
 * (RFC 3579 §3.2, RFC 5176 §3.1): HMAC-MD5 keyed with the secret over the
 * packet with the attribute's value zeroed and, in the authenticator
 * field, the random Request Authenticator (Access-Request, Status-Server),
 * 16 zero octets (other requests) or the request's authenticator
 * (replies).  User-Password: RFC 2865 §5.2.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "radius.h"

#define RAD_PW_MAX 128 /* RFC 2865 §5.2: at most 128 octets hidden */

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static size_t get16(const uint8_t *p)
{
	return (size_t)p[0] << 8 | p[1];
}

static int secret_ok(const uint8_t *sec, size_t seclen)
{
	return sec && seclen >= 1 && seclen <= RAD_SECRET_MAX;
}

/* MD5 over up to three pieces: 0 or -1. */
static int md5_3(const void *a, size_t an, const void *b, size_t bn,
		 const void *c, size_t cn, uint8_t out[16])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 0;
	int ok;

	if (!ctx)
		return -1;
	ok = EVP_DigestInit_ex(ctx, EVP_md5(), NULL) &&
	     EVP_DigestUpdate(ctx, a, an) &&
	     (!bn || EVP_DigestUpdate(ctx, b, bn)) &&
	     (!cn || EVP_DigestUpdate(ctx, c, cn)) &&
	     EVP_DigestFinal_ex(ctx, out, &len) && len == 16;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

static int hmac_md5(const uint8_t *key, size_t keylen, const uint8_t *d,
		    size_t n, uint8_t out[16])
{
	size_t len = 0;

	if (!EVP_Q_mac(NULL, "HMAC", NULL, "MD5", NULL, key, keylen, d, n, out,
		       16, &len) ||
	    len != 16)
		return -1;
	return 0;
}

void rad_init(struct rad_buf *p, uint8_t code, uint8_t id)
{
	memset(p->b, 0, RAD_HDR_LEN);
	p->b[0] = code;
	p->b[1] = id;
	p->len = RAD_HDR_LEN;
	put16(p->b + 2, p->len);
}

static int room(const struct rad_buf *p, size_t n)
{
	return p->len >= RAD_HDR_LEN && p->len <= RAD_MAX_LEN &&
	       n <= RAD_MAX_LEN - p->len;
}

int rad_put(struct rad_buf *p, uint8_t type, const void *v, size_t n)
{
	if (n > 253 || !room(p, n + 2) || (n && !v))
		return -1;
	p->b[p->len] = type;
	p->b[p->len + 1] = (uint8_t)(n + 2);
	if (n)
		memcpy(p->b + p->len + 2, v, n);
	p->len += n + 2;
	put16(p->b + 2, p->len);
	return 0;
}

int rad_put_u32(struct rad_buf *p, uint8_t type, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };

	return rad_put(p, type, b, 4);
}

int rad_put_str(struct rad_buf *p, uint8_t type, const char *s)
{
	return s ? rad_put(p, type, s, strlen(s)) : -1;
}

int rad_put_vsa(struct rad_buf *p, uint32_t vendor, uint8_t vtype,
		const void *v, size_t n)
{
	uint8_t b[253];

	if (n > sizeof(b) - 6 || (n && !v))
		return -1;
	b[0] = (uint8_t)(vendor >> 24);
	b[1] = (uint8_t)(vendor >> 16);
	b[2] = (uint8_t)(vendor >> 8);
	b[3] = (uint8_t)vendor;
	b[4] = vtype;
	b[5] = (uint8_t)(n + 2);
	if (n)
		memcpy(b + 6, v, n);
	return rad_put(p, RAD_VENDOR_SPECIFIC, b, n + 6);
}

int rad_put_vsa_u32(struct rad_buf *p, uint32_t vendor, uint8_t vtype,
		    uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };

	return rad_put_vsa(p, vendor, vtype, b, 4);
}

int rad_put_raw(struct rad_buf *p, const void *tlvs, size_t n)
{
	if (!room(p, n) || (n && !tlvs))
		return -1;
	if (n)
		memcpy(p->b + p->len, tlvs, n);
	p->len += n;
	put16(p->b + 2, p->len);
	return 0;
}

/* Append a zeroed Message-Authenticator; its value's offset, or 0. */
static size_t put_ma(struct rad_buf *p)
{
	static const uint8_t zero[RAD_AUTH_LEN];

	if (rad_put(p, RAD_MESSAGE_AUTHENTICATOR, zero, sizeof(zero)) < 0)
		return 0;
	return p->len - RAD_AUTH_LEN;
}

/* Fill the Message-Authenticator at off over the packet as it is now. */
static int sign_ma(struct rad_buf *p, size_t off, const uint8_t *sec,
		   size_t seclen)
{
	uint8_t mac[RAD_AUTH_LEN];

	if (hmac_md5(sec, seclen, p->b, p->len, mac) < 0)
		return -1;
	memcpy(p->b + off, mac, RAD_AUTH_LEN);
	return 0;
}

/* RFC 2865 §5.2: hide pw (n bytes) into out (padded length returned). */
static size_t hide(const uint8_t *sec, size_t seclen, const uint8_t ra[16],
		   const char *pw, size_t n, uint8_t *out)
{
	size_t len = n ? (n + 15) / 16 * 16 : 16, i, j;
	const uint8_t *prev = ra;
	uint8_t bx[16];

	memset(out, 0, len);
	memcpy(out, pw, n);
	for (i = 0; i < len; i += 16) {
		if (md5_3(sec, seclen, prev, 16, NULL, 0, bx) < 0)
			return 0;
		for (j = 0; j < 16; j++)
			out[i + j] ^= bx[j];
		prev = out + i;
	}
	return len;
}

int rad_finish_access_request(struct rad_buf *p, const uint8_t *sec,
			      size_t seclen, const char *password)
{
	uint8_t hidden[RAD_PW_MAX];
	size_t off, n;

	if (!secret_ok(sec, seclen) || !room(p, 0))
		return -1;
	if (RAND_bytes(p->b + 4, RAD_AUTH_LEN) != 1)
		return -1;
	if (password) {
		n = strlen(password);
		if (n > RAD_PW_MAX)
			return -1;
		n = hide(sec, seclen, p->b + 4, password, n, hidden);
		if (!n || rad_put(p, RAD_USER_PASSWORD, hidden, n) < 0)
			return -1;
		OPENSSL_cleanse(hidden, sizeof(hidden));
	}
	off = put_ma(p);
	if (!off)
		return -1;
	return sign_ma(p, off, sec, seclen);
}

/* With auth in the authenticator field (zeros for a request, the
 * request's for a reply): the Message-Authenticator over that, then the
 * MD5 authenticator over the whole packet and the secret. */
static int finish_md5(struct rad_buf *p, const uint8_t auth[RAD_AUTH_LEN],
		      const uint8_t *sec, size_t seclen, int msg_auth)
{
	uint8_t md[RAD_AUTH_LEN];
	size_t off;

	if (!secret_ok(sec, seclen) || !room(p, 0))
		return -1;
	memcpy(p->b + 4, auth, RAD_AUTH_LEN);
	if (msg_auth) {
		off = put_ma(p);
		if (!off || sign_ma(p, off, sec, seclen) < 0)
			return -1;
	}
	if (md5_3(p->b, p->len, sec, seclen, NULL, 0, md) < 0)
		return -1;
	memcpy(p->b + 4, md, RAD_AUTH_LEN);
	return 0;
}

int rad_finish_request(struct rad_buf *p, const uint8_t *sec, size_t seclen,
		       int msg_auth)
{
	static const uint8_t zero[RAD_AUTH_LEN];

	return finish_md5(p, zero, sec, seclen, msg_auth);
}

int rad_finish_reply(struct rad_buf *p, const uint8_t req_auth[RAD_AUTH_LEN],
		     const uint8_t *sec, size_t seclen, int msg_auth)
{
	return finish_md5(p, req_auth, sec, seclen, msg_auth);
}

int rad_parse(const uint8_t *b, size_t n, struct rad_pkt *out)
{
	size_t len, off;

	if (!b || n < RAD_HDR_LEN)
		return -1;
	len = get16(b + 2);
	if (len < RAD_HDR_LEN || len > RAD_MAX_LEN || len > n)
		return -1;
	for (off = RAD_HDR_LEN; off < len; off += b[off + 1])
		if (len - off < 2 || b[off + 1] < 2 || b[off + 1] > len - off)
			return -1;
	out->b = b;
	out->len = len;
	out->code = b[0];
	out->id = b[1];
	out->auth = b + 4;
	return 0;
}

int rad_next(const struct rad_pkt *p, size_t *off, uint8_t *type,
	     const uint8_t **v, size_t *n)
{
	size_t o = *off ? *off : RAD_HDR_LEN, l;

	if (o >= p->len)
		return 1;
	if (p->len - o < 2)
		return -1;
	l = p->b[o + 1];
	if (l < 2 || l > p->len - o)
		return -1;
	*type = p->b[o];
	*v = p->b + o + 2;
	*n = l - 2;
	*off = o + l;
	return 0;
}

int rad_find(const struct rad_pkt *p, uint8_t type, const uint8_t **v,
	     size_t *n)
{
	size_t off = 0;
	uint8_t t;

	while (rad_next(p, &off, &t, v, n) == 0)
		if (t == type)
			return 0;
	return -1;
}

int rad_find_u32(const struct rad_pkt *p, uint8_t type, uint32_t *out)
{
	const uint8_t *v;
	size_t n;

	if (rad_find(p, type, &v, &n) < 0)
		return -1;
	if (n != 4)
		return -2;
	*out = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 |
	       (uint32_t)v[2] << 8 | v[3];
	return 0;
}

int rad_find_vsa(const struct rad_pkt *p, uint32_t vendor, uint8_t vtype,
		 const uint8_t **v, size_t *n)
{
	size_t off = 0, n0, o;
	const uint8_t *v0;
	uint8_t t;

	while (rad_next(p, &off, &t, &v0, &n0) == 0) {
		if (t != RAD_VENDOR_SPECIFIC || n0 < 4)
			continue;
		if (((uint32_t)v0[0] << 24 | (uint32_t)v0[1] << 16 |
		     (uint32_t)v0[2] << 8 | v0[3]) != vendor)
			continue;
		/* sub-attributes: type, length (>= 2), value */
		for (o = 4; o + 2 <= n0; o += v0[o + 1]) {
			if (v0[o + 1] < 2 || v0[o + 1] > n0 - o)
				break;
			if (v0[o] == vtype) {
				*v = v0 + o + 2;
				*n = v0[o + 1] - 2u;
				return 0;
			}
		}
	}
	return -1;
}

unsigned rad_count(const struct rad_pkt *p, uint8_t type)
{
	size_t off = 0, n;
	const uint8_t *v;
	unsigned c = 0;
	uint8_t t;

	while (rad_next(p, &off, &t, &v, &n) == 0)
		c += t == type;
	return c;
}

/*
 * Check the Message-Authenticator with auth in the authenticator field:
 * 0 good or absent and not needed, -2 bad or missing, -3 malformed (not 16
 * octets, or more than one).
 */
static int check_ma(const struct rad_pkt *p, const uint8_t auth[16],
		    const uint8_t *sec, size_t seclen, int need_ma)
{
	uint8_t copy[RAD_MAX_LEN], mac[RAD_AUTH_LEN];
	size_t off = 0, n, at = 0;
	const uint8_t *v;
	unsigned found = 0;
	uint8_t t;
	int r;

	while ((r = rad_next(p, &off, &t, &v, &n)) == 0) {
		if (t != RAD_MESSAGE_AUTHENTICATOR)
			continue;
		if (n != RAD_AUTH_LEN || found++)
			return -3;
		at = (size_t)(v - p->b);
	}
	if (r < 0)
		return -3;
	if (!found)
		return need_ma ? -2 : 0;
	memcpy(copy, p->b, p->len);
	memcpy(copy + 4, auth, RAD_AUTH_LEN);
	memset(copy + at, 0, RAD_AUTH_LEN);
	if (hmac_md5(sec, seclen, copy, p->len, mac) < 0)
		return -2;
	return CRYPTO_memcmp(mac, p->b + at, RAD_AUTH_LEN) ? -2 : 0;
}

/* MD5(header with auth in the authenticator field + attributes + secret)
 * equals the packet's authenticator: 0, else -1. */
static int check_auth(const struct rad_pkt *p, const uint8_t auth[16],
		      const uint8_t *sec, size_t seclen)
{
	uint8_t hdr[RAD_HDR_LEN], md[RAD_AUTH_LEN];

	memcpy(hdr, p->b, 4);
	memcpy(hdr + 4, auth, RAD_AUTH_LEN);
	if (md5_3(hdr, sizeof(hdr), p->b + RAD_HDR_LEN, p->len - RAD_HDR_LEN,
		  sec, seclen, md) < 0)
		return -1;
	return CRYPTO_memcmp(md, p->auth, RAD_AUTH_LEN) ? -1 : 0;
}

static int pkt_ok(const struct rad_pkt *p)
{
	return p && p->b && p->len >= RAD_HDR_LEN && p->len <= RAD_MAX_LEN;
}

int rad_verify_reply(const struct rad_pkt *p,
		     const uint8_t req_auth[RAD_AUTH_LEN], const uint8_t *sec,
		     size_t seclen, int need_ma)
{
	if (!pkt_ok(p) || !secret_ok(sec, seclen))
		return -1;
	if (check_auth(p, req_auth, sec, seclen) < 0)
		return -1;
	return check_ma(p, req_auth, sec, seclen, need_ma);
}

int rad_verify_request(const struct rad_pkt *p, const uint8_t *sec,
		       size_t seclen, int need_ma)
{
	static const uint8_t zero[RAD_AUTH_LEN];

	if (!pkt_ok(p) || !secret_ok(sec, seclen))
		return -1;
	if (check_auth(p, zero, sec, seclen) < 0)
		return -1;
	return check_ma(p, zero, sec, seclen, need_ma);
}

int rad_verify_access_request(const struct rad_pkt *p, const uint8_t *sec,
			      size_t seclen, int need_ma)
{
	if (!pkt_ok(p) || !secret_ok(sec, seclen))
		return -1;
	return check_ma(p, p->auth, sec, seclen, need_ma);
}

int rad_password_reveal(const struct rad_pkt *p, const uint8_t *sec,
			size_t seclen, char *out, size_t cap)
{
	uint8_t pw[RAD_PW_MAX], bx[16];
	const uint8_t *v, *prev;
	size_t n, i, j;

	if (!pkt_ok(p) || !secret_ok(sec, seclen) ||
	    rad_find(p, RAD_USER_PASSWORD, &v, &n) < 0)
		return -1;
	if (n < 16 || n > RAD_PW_MAX || n % 16)
		return -1;
	prev = p->auth;
	for (i = 0; i < n; i += 16) {
		if (md5_3(sec, seclen, prev, 16, NULL, 0, bx) < 0)
			return -1;
		for (j = 0; j < 16; j++)
			pw[i + j] = v[i + j] ^ bx[j];
		prev = v + i;
	}
	while (n && !pw[n - 1])
		n--;
	if (n >= cap) {
		OPENSSL_cleanse(pw, sizeof(pw));
		return -1;
	}
	memcpy(out, pw, n);
	out[n] = '\0';
	OPENSSL_cleanse(pw, sizeof(pw));
	return 0;
}

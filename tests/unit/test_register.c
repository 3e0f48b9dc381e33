// SPDX-License-Identifier: GPL-2.0
/*
 * Registration of a client's self-signed certificate: reg_check()
 * (daemon/muispd/regcert.c) on certificates made here with OpenSSL, and
 * the registrations table of the store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "daemon/muispd/register.h"
#include "daemon/muispd/store.h"

#define NOW 1800000000ull /* 2027-01-15 */

struct spec {
	const char *cn;
	const char *issuer; /* NULL: the subject (self-signed) */
	EVP_PKEY *key;	    /* subject's key */
	EVP_PKEY *signer;   /* NULL: key */
	long nb, na;	    /* validity, seconds from NOW */
};

static EVP_PKEY *rsa2048, *rsa1024, *rsa2048b, *ec256;

static int group_setup(void **state)
{
	rsa2048 = EVP_RSA_gen(2048);
	rsa2048b = EVP_RSA_gen(2048);
	rsa1024 = EVP_RSA_gen(1024);
	ec256 = EVP_EC_gen("P-256");
	return rsa2048 && rsa2048b && rsa1024 && ec256 ? 0 : -1;
}

static int group_teardown(void **state)
{
	EVP_PKEY_free(rsa2048);
	EVP_PKEY_free(rsa2048b);
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(ec256);
	return 0;
}

static X509_NAME *name(const char *cn)
{
	X509_NAME *n = X509_NAME_new();

	assert_non_null(n);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
						    (const void *)cn, -1, -1,
						    0),
			 1);
	return n;
}

/* A DER certificate after s; *len its length (free() it). */
static uint8_t *make(const struct spec *s, size_t *len)
{
	X509 *x = X509_new();
	X509_NAME *sub = name(s->cn),
		  *iss = name(s->issuer ? s->issuer : s->cn);
	unsigned char *der = NULL, *out;
	int n;

	assert_non_null(x);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_set_subject_name(x, sub);
	X509_set_issuer_name(x, iss);
	ASN1_TIME_set(X509_getm_notBefore(x), (time_t)(NOW + s->nb));
	ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(NOW + s->na));
	X509_set_pubkey(x, s->key);
	assert_true(X509_sign(x, s->signer ? s->signer : s->key, EVP_sha256()) >
		    0);
	n = i2d_X509(x, &der);
	assert_true(n > 0);
	out = malloc((size_t)n);
	assert_non_null(out);
	memcpy(out, der, (size_t)n);
	*len = (size_t)n;
	OPENSSL_free(der);
	X509_NAME_free(sub);
	X509_NAME_free(iss);
	X509_free(x);
	return out;
}

static struct spec good(void)
{
	struct spec s = {
		"anon-0011223344556677", NULL, rsa2048, NULL, -3600, 86400
	};
	return s;
}

/* reg_check's verdict on s: 0 or -1, the message in msg. */
static int check(const struct spec *s, char *msg, size_t msglen,
		 struct reg_cert *c)
{
	size_t len;
	uint8_t *der = make(s, &len);
	int rc = reg_check(der, len, NOW, c, msg, msglen);

	free(der);
	return rc;
}

static void refused(const struct spec *s, const char *why)
{
	struct reg_cert c;
	char msg[200] = "";

	assert_int_equal(check(s, msg, sizeof(msg), &c), -1);
	if (!strstr(msg, why))
		fail_msg("message '%s' lacks '%s'", msg, why);
	assert_string_equal(c.subject, ""); /* nothing half-filled */
}

static void test_accepted(void **state)
{
	struct spec s = good();
	struct reg_cert c;
	char msg[200] = "", hex[65];
	unsigned char md[32];
	unsigned mdlen;
	size_t len;
	uint8_t *der = make(&s, &len);

	assert_int_equal(reg_check(der, len, NOW, &c, msg, sizeof(msg)), 0);
	assert_string_equal(c.subject, "CN=anon-0011223344556677");
	assert_string_equal(c.key, "RSA-2048");
	assert_int_equal(c.not_before, NOW - 3600);
	assert_int_equal(c.not_after, NOW + 86400);
	assert_int_equal(EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL),
			 1);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	assert_string_equal(c.fpr, hex);
	/* notBefore a little ahead (clock skew) is still fine */
	s.nb = REG_SKEW_S;
	assert_int_equal(check(&s, msg, sizeof(msg), &c), 0);
	free(der);
}

static void test_bad_signature(void **state)
{
	struct spec s = good();
	struct reg_cert c;
	char msg[200] = "";
	size_t len;
	uint8_t *der = make(&s, &len);

	der[len - 5] ^= 0x40; /* inside the signature BIT STRING */
	assert_int_equal(reg_check(der, len, NOW, &c, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "bad signature"));
	free(der);
	/* signed by another key, same names */
	s.signer = rsa2048b;
	refused(&s, "bad signature");
}

static void test_not_self_signed(void **state)
{
	struct spec s = good();

	s.issuer = "muisp test CA";
	s.signer = rsa2048b;
	refused(&s, "not self-signed");
	s.signer = NULL; /* issuer named differently, own key */
	refused(&s, "not self-signed");
}

static void test_keys(void **state)
{
	struct spec s = good();

	s.key = rsa1024;
	refused(&s, "RSA key of 1024 bits: 2048 to 8192 bits accepted");
	s.key = ec256;
	refused(&s, "EC key not accepted: the router's charon verifies RSA "
		    "keys only");
}

static void test_dates(void **state)
{
	struct spec s = good();

	s.nb = -86400 * 2;
	s.na = -1;
	refused(&s, "expired");
	s.na = 0;
	refused(&s, "expired");
	s.nb = REG_SKEW_S + 60;
	s.na = 86400;
	refused(&s, "not valid yet");
}

static void test_garbage(void **state)
{
	struct spec s = good();
	struct reg_cert c;
	char msg[200] = "";
	uint8_t junk[64], *big;
	size_t len;
	uint8_t *der = make(&s, &len);

	memset(junk, 0x30, sizeof(junk));
	assert_int_equal(
		reg_check(junk, sizeof(junk), NOW, &c, msg, sizeof(msg)), -1);
	assert_string_equal(msg, "not a DER X.509 certificate");
	assert_int_equal(reg_check(junk, 0, NOW, &c, msg, sizeof(msg)), -1);
	assert_string_equal(msg, "empty certificate");
	/* truncated */
	assert_int_equal(reg_check(der, len - 1, NOW, &c, msg, sizeof(msg)),
			 -1);
	assert_string_equal(msg, "not a DER X.509 certificate");
	/* trailing bytes */
	big = calloc(1, REG_DER_MAX + 1);
	assert_non_null(big);
	memcpy(big, der, len);
	assert_int_equal(reg_check(big, len + 3, NOW, &c, msg, sizeof(msg)),
			 -1);
	assert_string_equal(msg, "3 bytes after the certificate");
	/* oversize: refused before parsing */
	assert_int_equal(
		reg_check(big, REG_DER_MAX + 1, NOW, &c, msg, sizeof(msg)), -1);
	assert_string_equal(msg, "certificate of 4097 bytes: at most 4096 "
				 "accepted");
	free(big);
	free(der);
}

/* ---------- the store ---------- */

static char dir[] = "/tmp/muisp-test-reg-XXXXXX";
static char path[128];

static void rm_db(void)
{
	char p[160];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

static struct reg_rec rec(const char *addr, const char *subject,
			  const char *fpr, uint64_t used)
{
	struct reg_rec r = { .der_len = 3, .created = 1, .last_used = used };

	snprintf(r.addr, sizeof(r.addr), "%s", addr);
	snprintf(r.c.subject, sizeof(r.c.subject), "%s", subject);
	snprintf(r.c.fpr, sizeof(r.c.fpr), "%s", fpr);
	snprintf(r.c.key, sizeof(r.c.key), "RSA-2048");
	r.c.not_after = 1000;
	memcpy(r.der, "\x30\x01\x00", 3);
	return r;
}

static int collect(const struct reg_rec *r, void *arg)
{
	char *s = arg;

	strcat(s, r->addr);
	strcat(s, " ");
	return 0;
}

static void put(struct store *st, const struct reg_rec *r)
{
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_reg_put(st, r), 0);
	assert_int_equal(store_commit(st), 0);
}

static void test_store(void **state)
{
	struct reg_rec a = rec("192.0.2.100", "CN=a", "fa", 10),
		       b = rec("192.0.2.101", "CN=b", "fb", 20), got;
	struct store *st;
	char seen[200] = "";
	uint64_t n = 0;
	unsigned gone = 0;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/db", dir);
	assert_int_equal(store_open(path, &st), 0);
	put(st, &a);
	put(st, &b);
	assert_int_equal(store_reg_count(st, "-", "-", &n), 0);
	assert_int_equal(n, 2);
	/* the count leaves out what a put from .100 would replace */
	assert_int_equal(store_reg_count(st, "192.0.2.100", "-", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_reg_count(st, "-", "fb", &n), 0);
	assert_int_equal(n, 1);
	/* a new certificate from .100 replaces its old one */
	a = rec("192.0.2.100", "CN=a2", "fa2", 30);
	put(st, &a);
	assert_int_equal(store_reg_by_subject(st, "CN=a", &got), 1);
	assert_int_equal(store_reg_by_subject(st, "CN=a2", &got), 0);
	assert_string_equal(got.addr, "192.0.2.100");
	assert_int_equal(got.der_len, 3);
	assert_memory_equal(got.der, "\x30\x01\x00", 3);
	/* b's certificate from another address moves there */
	b = rec("192.0.2.102", "CN=b", "fb", 40);
	put(st, &b);
	assert_int_equal(store_reg_foreach(st, collect, seen), 2);
	assert_string_equal(seen, "192.0.2.100 192.0.2.102 ");
	/* a use refreshes (at most once a minute); the idle one goes */
	assert_int_equal(store_reg_touch(st, "CN=a2", 80), 0);
	assert_int_equal(store_reg_expire(st, 35, 100, &gone), 0);
	assert_int_equal(gone, 1); /* a2: still at 30, b at 40 */
	assert_int_equal(store_reg_by_subject(st, "CN=a2", &got), 1);
	put(st, &a);
	assert_int_equal(store_reg_touch(st, "CN=a2", 90), 0);
	assert_int_equal(store_reg_expire(st, 45, 100, &gone), 0);
	assert_int_equal(gone, 1);
	assert_int_equal(store_reg_by_subject(st, "CN=b", &got), 1);
	/* expired certificates go whatever their use */
	assert_int_equal(store_reg_expire(st, 0, 1000, &gone), 0);
	assert_int_equal(gone, 1);
	seen[0] = '\0';
	assert_int_equal(store_reg_foreach(st, collect, seen), 0);
	/* kept across a reopen */
	put(st, &a);
	store_close(st);
	assert_int_equal(store_open(path, &st), 0);
	assert_int_equal(store_reg_by_subject(st, "CN=a2", &got), 0);
	assert_int_equal(got.last_used, 30);
	store_close(st);
	rm_db();
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_bad_signature),
		cmocka_unit_test(test_not_self_signed),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_store),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

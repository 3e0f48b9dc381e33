// SPDX-License-Identifier: GPL-2.0
/*
 * The checks of a client's certificate before muispd registers it
 * (register.h): pure, so host tests and the fuzzer run them alone.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "register.h"

static int fail(char *msg, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return -1;
}

static int asn1_epoch(const ASN1_TIME *t, uint64_t *out)
{
	struct tm tm;
	time_t v;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	v = timegm(&tm);
	if (v < 0)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

/* The attribute names charon prints DNs with (strongSwan's oid names). */
static const char *dn_name(int nid)
{
	switch (nid) {
	case NID_commonName:
		return "CN";
	case NID_countryName:
		return "C";
	case NID_localityName:
		return "L";
	case NID_stateOrProvinceName:
		return "ST";
	case NID_organizationName:
		return "O";
	case NID_organizationalUnitName:
		return "OU";
	case NID_pkcs9_emailAddress:
		return "E";
	case NID_domainComponent:
		return "DC";
	case NID_serialNumber:
		return "serialNumber";
	default:
		return NULL;
	}
}

/* The subject as charon prints it ("CN=a, O=b"): printable ASCII only. */
static int subject_str(const X509_NAME *n, char *out, size_t len, char *msg,
		       size_t msglen)
{
	size_t o = 0;
	int cnt = X509_NAME_entry_count(n);

	*out = '\0';
	if (cnt <= 0)
		return fail(msg, msglen, "the certificate has no subject");
	for (int i = 0; i < cnt; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(n, i);
		const ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(e);
		const char *name = dn_name(OBJ_obj2nid(obj));
		unsigned char *v = NULL;
		int vl, w;

		if (!name)
			return fail(msg, msglen,
				    "subject attribute %s not accepted (CN, "
				    "C, L, ST, O, OU, E, DC, serialNumber)",
				    OBJ_nid2sn(OBJ_obj2nid(obj)));
		vl = ASN1_STRING_to_UTF8(&v, X509_NAME_ENTRY_get_data(e));
		if (vl <= 0) {
			OPENSSL_free(v);
			return fail(msg, msglen, "unreadable subject");
		}
		for (int j = 0; j < vl; j++)
			if (v[j] < 0x20 || v[j] > 0x7e) {
				OPENSSL_free(v);
				return fail(msg, msglen,
					    "subject not printable ASCII");
			}
		w = snprintf(out + o, len - o, "%s%s=%.*s", i ? ", " : "", name,
			     vl, (const char *)v);
		OPENSSL_free(v);
		if (w < 0 || (size_t)w >= len - o)
			return fail(msg, msglen,
				    "subject longer than %zu characters",
				    len - 1);
		o += (size_t)w;
	}
	return 0;
}

static int key_ok(EVP_PKEY *k, struct reg_cert *out, char *msg, size_t msglen)
{
	BIGNUM *e = NULL;
	int bits, ebits;

	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA:
		break;
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448:
	case EVP_PKEY_EC:
		return fail(msg, msglen,
			    "%s key not accepted: the router's charon "
			    "verifies RSA keys only (%d to %d bits)",
			    EVP_PKEY_get0_type_name(k), REG_RSA_MIN,
			    REG_RSA_MAX);
	default:
		return fail(msg, msglen,
			    "key type not accepted: RSA of %d to %d bits only",
			    REG_RSA_MIN, REG_RSA_MAX);
	}
	bits = EVP_PKEY_get_bits(k);
	if (bits < REG_RSA_MIN || bits > REG_RSA_MAX)
		return fail(msg, msglen,
			    "RSA key of %d bits: %d to %d bits accepted", bits,
			    REG_RSA_MIN, REG_RSA_MAX);
	/* a huge public exponent makes verifying as slow as signing */
	if (!EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e))
		return fail(msg, msglen, "unreadable RSA key");
	ebits = BN_num_bits(e);
	BN_free(e);
	if (ebits > 32)
		return fail(msg, msglen,
			    "RSA public exponent of %d bits: at most 32",
			    ebits);
	snprintf(out->key, sizeof(out->key), "RSA-%d", bits);
	return 0;
}

int reg_check(const uint8_t *der, size_t len, uint64_t now,
	      struct reg_cert *out, char *msg, size_t msglen)
{
	const unsigned char *p = der;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	X509 *x = NULL;
	EVP_PKEY *k;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!len)
		return fail(msg, msglen, "empty certificate");
	if (len > REG_DER_MAX)
		return fail(msg, msglen,
			    "certificate of %zu bytes: at most %d accepted",
			    len, REG_DER_MAX);
	x = d2i_X509(NULL, &p, (long)len);
	if (!x)
		return fail(msg, msglen, "not a DER X.509 certificate");
	if (p != der + len) {
		fail(msg, msglen, "%zu bytes after the certificate",
		     len - (size_t)(p - der));
		goto out;
	}
	if (subject_str(X509_get_subject_name(x), out->subject,
			sizeof(out->subject), msg, msglen))
		goto out;
	if (X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x))) {
		fail(msg, msglen,
		     "not self-signed: the issuer is not the subject");
		goto out;
	}
	if (asn1_epoch(X509_get0_notBefore(x), &out->not_before) ||
	    asn1_epoch(X509_get0_notAfter(x), &out->not_after)) {
		fail(msg, msglen, "unreadable validity dates");
		goto out;
	}
	if (out->not_before > now + REG_SKEW_S) {
		fail(msg, msglen, "not valid yet (from %llu, now %llu)",
		     (unsigned long long)out->not_before,
		     (unsigned long long)now);
		goto out;
	}
	if (out->not_after <= now) {
		fail(msg, msglen, "expired (at %llu, now %llu)",
		     (unsigned long long)out->not_after,
		     (unsigned long long)now);
		goto out;
	}
	k = X509_get0_pubkey(x);
	if (!k) {
		fail(msg, msglen, "unreadable public key");
		goto out;
	}
	if (key_ok(k, out, msg, msglen))
		goto out;
	if (X509_verify(x, k) != 1) {
		fail(msg, msglen, "bad signature: not signed by its own key");
		goto out;
	}
	if (!EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen != 32) {
		fail(msg, msglen, "no SHA-256");
		goto out;
	}
	for (unsigned i = 0; i < 32; i++)
		snprintf(out->fpr + 2 * i, 3, "%02x", md[i]);
	rc = 0;
out:
	X509_free(x);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

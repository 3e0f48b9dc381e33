// SPDX-License-Identifier: GPL-2.0
/*
 * The operator's CA with OpenSSL 3 (see ca.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/conf.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca.h"

#define CA_KEY_BITS 2048

static int fail(struct muisp_ca_err *err, int e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct muisp_ca_err *err, int e, const char *fmt, ...)
{
	unsigned long ossl = ERR_peek_last_error();
	va_list ap;
	size_t n;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		n = strlen(err->msg);
		if (ossl && n + 3 < sizeof(err->msg)) {
			snprintf(err->msg + n, sizeof(err->msg) - n, ": ");
			ERR_error_string_n(ossl, err->msg + n + 2,
					   sizeof(err->msg) - n - 2);
		}
	}
	ERR_clear_error();
	errno = e;
	return -1;
}

static EVP_PKEY *new_key(void)
{
	return EVP_RSA_gen(CA_KEY_BITS);
}

/*
 * Open path for writing a key or certificate: created with mode, or with
 * force an existing file replaced.  Never through a symbolic link
 * (O_NOFOLLOW) and only a regular file with one link is truncated, so
 * --force cannot be turned into a write to another file.  A descriptor
 * or -1 (err set).
 */
static int open_out(const char *path, mode_t mode, int force,
		    struct muisp_ca_err *err)
{
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
		    (force ? 0 : O_EXCL);
	struct stat st;
	int fd = open(path, flags, mode);

	if (fd < 0 && errno == ELOOP)
		return fail(err, ELOOP, "%s: a symbolic link, refused", path);
	if (fd < 0)
		return fail(err, errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		close(fd);
		return fail(err, EPERM,
			    "%s: not a regular file with one link, refused",
			    path);
	}
	if (ftruncate(fd, 0) < 0 || fchmod(fd, mode) < 0) {
		int e = errno;

		close(fd);
		return fail(err, e, "%s: %s", path, strerror(e));
	}
	return fd;
}

static int write_key(const char *path, EVP_PKEY *key, int force,
		     struct muisp_ca_err *err)
{
	FILE *fp;
	int fd, ok;

	fd = open_out(path, 0600, force, err);
	if (fd < 0)
		return -1;
	fp = fdopen(fd, "w");
	if (!fp) {
		close(fd);
		return fail(err, ENOMEM, "%s: fdopen", path);
	}
	ok = PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL);
	if (fclose(fp) != 0)
		ok = 0;
	if (!ok)
		return fail(err, EIO, "%s: writing key", path);
	return 0;
}

static int write_cert(const char *path, X509 *x, int force,
		      struct muisp_ca_err *err)
{
	FILE *fp;
	int fd, ok;

	fd = open_out(path, 0644, force, err);
	if (fd < 0)
		return -1;
	fp = fdopen(fd, "w");
	if (!fp) {
		close(fd);
		return fail(err, ENOMEM, "%s: fdopen", path);
	}
	ok = PEM_write_X509(fp, x);
	if (fclose(fp) != 0)
		ok = 0;
	if (!ok)
		return fail(err, EIO, "%s: writing certificate", path);
	return 0;
}

static X509 *read_cert(const char *path, struct muisp_ca_err *err)
{
	FILE *fp = fopen(path, "r");
	X509 *x;

	if (!fp) {
		fail(err, errno, "%s: %s", path, strerror(errno));
		return NULL;
	}
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	if (!x)
		fail(err, EINVAL, "%s: not a PEM certificate", path);
	return x;
}

static EVP_PKEY *read_key(const char *path, struct muisp_ca_err *err)
{
	FILE *fp = fopen(path, "r");
	EVP_PKEY *k;

	if (!fp) {
		fail(err, errno, "%s: %s", path, strerror(errno));
		return NULL;
	}
	k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	if (!k)
		fail(err, EINVAL, "%s: not a PEM private key", path);
	return k;
}

static int add_ext(X509 *issuer, X509 *subject, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer, subject, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return -1;
	ok = X509_add_ext(subject, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

int muisp_ca_valid_notice(const char *s)
{
	if (!s || !*s || strlen(s) > 200)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f ||
		    strchr("\"\\$", *s))
			return 0;
	return 1;
}

/*
 * certificatePolicies with an explicit-text user notice (a UTF8String,
 * as RFC 5280 recommends).  The policy OID
 * is under the "example" arc until the project has its own.
 */
static int add_notice(X509 *issuer, X509 *subject, const char *notice)
{
	char conf[600];
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	CONF *cnf;
	BIO *bio;
	long eline;
	int ok = 0;

	if (!muisp_ca_valid_notice(notice))
		return -1;
	snprintf(conf, sizeof(conf),
		 "[pol]\npolicyIdentifier = 1.3.6.1.4.1.32473.1.1\n"
		 "userNotice.1 = @notice\n"
		 "[notice]\nexplicitText = \"UTF8:%s\"\n",
		 notice);
	cnf = NCONF_new(NULL);
	bio = BIO_new_mem_buf(conf, -1);
	if (!cnf || !bio || NCONF_load_bio(cnf, bio, &eline) <= 0)
		goto out;
	X509V3_set_ctx(&ctx, issuer, subject, NULL, NULL, 0);
	X509V3_set_nconf(&ctx, cnf);
	ext = X509V3_EXT_nconf_nid(cnf, &ctx, NID_certificate_policies, "@pol");
	if (ext) {
		ok = X509_add_ext(subject, ext, -1);
		X509_EXTENSION_free(ext);
	}
out:
	BIO_free(bio);
	NCONF_free(cnf);
	return ok ? 0 : -1;
}

static X509 *new_cert(EVP_PKEY *key, const char *cn, unsigned days)
{
	unsigned char serial[8];
	X509_NAME *name;
	BIGNUM *bn;
	X509 *x;

	x = X509_new();
	if (!x)
		return NULL;
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto bad;
	serial[0] &= 0x7f; /* positive */
	serial[0] |= 0x01; /* and 8 bytes long */
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x))) {
		BN_free(bn);
		goto bad;
	}
	BN_free(bn);
	name = X509_get_subject_name(x);
	if (!X509_set_version(x, 2) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -300) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
					(const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_pubkey(x, key))
		goto bad;
	return x;
bad:
	X509_free(x);
	return NULL;
}

int muisp_ca_valid_name(const char *s)
{
	if (!s || !*s || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (*s <= 0x20 || *s == 0x7f || strchr(",=+/\\\"<>;#", *s))
			return 0;
	return 1;
}

int muisp_ca_valid_cn(const char *s)
{
	if (!s || !*s || strlen(s) > 64)
		return 0;
	for (; *s; s++) /* UTF-8 allowed: "Example \u03bcISP CA" */
		if ((unsigned char)*s < 0x20 || *s == 0x7f ||
		    strchr(",=+/\\\"<>;#", *s))
			return 0;
	return 1;
}

int muisp_ca_init(const char *dir, const char *cn, unsigned days, int force,
		  struct muisp_ca_err *err)
{
	char cpath[4096], kpath[4096];
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	int r = -1;

	if (!muisp_ca_valid_cn(cn) || days == 0 || days > 36500)
		return fail(err, EINVAL, "bad CA name or lifetime");
	if ((size_t)snprintf(cpath, sizeof(cpath), "%s/ca.pem", dir) >=
		    sizeof(cpath) ||
	    (size_t)snprintf(kpath, sizeof(kpath), "%s/ca.key", dir) >=
		    sizeof(kpath))
		return fail(err, ENAMETOOLONG, "%s: path too long", dir);
	if (!force && access(cpath, F_OK) == 0)
		return fail(err, EEXIST, "%s exists", cpath);
	if (!force && access(kpath, F_OK) == 0)
		return fail(err, EEXIST, "%s exists", kpath);
	key = new_key();
	if (!key) {
		fail(err, ENOMEM, "key generation");
		goto out;
	}
	x = new_cert(key, cn, days);
	if (!x || !X509_set_issuer_name(x, X509_get_subject_name(x)) ||
	    add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE") < 0 ||
	    add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") < 0 ||
	    add_ext(x, x, NID_subject_key_identifier, "hash") < 0 ||
	    !X509_sign(x, key, EVP_sha256())) {
		fail(err, EINVAL, "building CA certificate");
		goto out;
	}
	if (write_key(kpath, key, force, err) < 0)
		goto out;
	if (write_cert(cpath, x, force, err) < 0) {
		unlink(kpath);
		goto out;
	}
	r = 0;
out:
	X509_free(x);
	EVP_PKEY_free(key);
	return r;
}

/*
 * The certificate for NAME signed by CACERT with CAKEY (both NULL: self-
 * signed), with keyUsage KU and, unless NULL, extendedKeyUsage EKU.
 */
static int issue(X509 *cacert, EVP_PKEY *cakey, const char *name,
		 const char *ku, const char *eku, const char *notice,
		 unsigned days, const char *out_cert, const char *out_key,
		 int force, struct muisp_ca_err *err)
{
	unsigned char ip[16];
	char san[96];
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	int r = -1;

	if (!muisp_ca_valid_name(name) || days == 0 || days > 36500)
		return fail(err, EINVAL, "bad name or lifetime");
	if (!force && access(out_cert, F_OK) == 0)
		return fail(err, EEXIST, "%s exists", out_cert);
	if (!force && access(out_key, F_OK) == 0)
		return fail(err, EEXIST, "%s exists", out_key);
	if (inet_pton(AF_INET, name, ip) == 1 ||
	    inet_pton(AF_INET6, name, ip) == 1)
		snprintf(san, sizeof(san), "IP:%s", name);
	else
		snprintf(san, sizeof(san), "DNS:%s", name);
	key = new_key();
	if (!key) {
		fail(err, ENOMEM, "key generation");
		goto out;
	}
	x = new_cert(key, name, days);
	if (!cacert)
		cacert = x;
	if (!cakey)
		cakey = key;
	if (!x || !X509_set_issuer_name(x, X509_get_subject_name(cacert)) ||
	    add_ext(cacert, x, NID_basic_constraints, "CA:FALSE") < 0 ||
	    add_ext(cacert, x, NID_key_usage, ku) < 0 ||
	    add_ext(cacert, x, NID_subject_alt_name, san) < 0 ||
	    add_ext(cacert, x, NID_subject_key_identifier, "hash") < 0 ||
	    (cacert != x && add_ext(cacert, x, NID_authority_key_identifier,
				    "keyid:always") < 0) ||
	    (eku && add_ext(cacert, x, NID_ext_key_usage, eku) < 0) ||
	    (notice && add_notice(cacert, x, notice) < 0) ||
	    !X509_sign(x, cakey, EVP_sha256())) {
		fail(err, EINVAL, "building certificate for %s", name);
		goto out;
	}
	if (write_key(out_key, key, force, err) < 0)
		goto out;
	if (write_cert(out_cert, x, force, err) < 0) {
		unlink(out_key);
		goto out;
	}
	r = 0;
out:
	X509_free(x);
	EVP_PKEY_free(key);
	return r;
}

/* keyUsage (critical) and extendedKeyUsage by purpose (see ca.h) */
#define KU_SIG_ENC "critical,digitalSignature,keyEncipherment"
#define KU_SIG	   "critical,digitalSignature"
#define EKU_ROUTER "serverAuth,1.3.6.1.5.5.8.2.2" /* and IKE intermediate */
#define EKU_CLIENT "clientAuth"

int muisp_ca_issue(const char *cacert, const char *cakey, const char *name,
		   enum muisp_ca_purpose purpose, const char *notice,
		   unsigned days, const char *out_cert, const char *out_key,
		   int force, struct muisp_ca_err *err)
{
	const char *ku, *eku;
	X509 *ca;
	EVP_PKEY *k;
	int r = -1;

	switch (purpose) {
	case MUISP_CA_ROUTER:
		ku = KU_SIG_ENC;
		eku = EKU_ROUTER;
		break;
	case MUISP_CA_CLIENT:
		if (notice)
			return fail(err, EINVAL,
				    "a client certificate takes no notice");
		ku = KU_SIG;
		eku = EKU_CLIENT;
		break;
	default:
		return fail(err, EINVAL, "unknown certificate purpose");
	}
	ca = read_cert(cacert, err);
	if (!ca)
		return -1;
	k = read_key(cakey, err);
	if (!k)
		goto out;
	if (X509_check_private_key(ca, k) != 1) {
		fail(err, EINVAL, "%s does not belong to %s", cakey, cacert);
		goto out;
	}
	r = issue(ca, k, name, ku, eku, notice, days, out_cert, out_key, force,
		  err);
out:
	EVP_PKEY_free(k);
	X509_free(ca);
	return r;
}

int muisp_ca_selfsign(const char *name, unsigned days, const char *out_cert,
		      const char *out_key, int force, struct muisp_ca_err *err)
{
	/* no extendedKeyUsage: an IKE client's, any use */
	return issue(NULL, NULL, name, KU_SIG_ENC, NULL, NULL, days, out_cert,
		     out_key, force, err);
}

static void print_time(FILE *fp, const char *label, const ASN1_TIME *t)
{
	BIO *b = BIO_new_fp(fp, BIO_NOCLOSE);

	fprintf(fp, "%s", label);
	if (b) {
		ASN1_TIME_print(b, t);
		BIO_free(b);
	}
	fputc('\n', fp);
}

/* UTF-8 text of LEN bytes with control characters shown as '?'. */
static void print_utf8(FILE *fp, unsigned char *u, int len)
{
	int k;

	for (k = 0; k < len; k++)
		if (u[k] < 0x20 || u[k] == 0x7f)
			u[k] = '?';
	fprintf(fp, "%.*s", len, (char *)u);
}

/* "/CN=value/O=value" with the values in UTF-8 (X509_NAME_oneline would
 * escape every non-ASCII byte). */
static void print_name(const X509_NAME *n, FILE *fp)
{
	int i;

	for (i = 0; i < X509_NAME_entry_count(n); i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(n, i);
		int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
		unsigned char *u = NULL;
		int len;

		len = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(e));
		fprintf(fp, "/%s=", nid != NID_undef ? OBJ_nid2sn(nid) : "?");
		if (len >= 0)
			print_utf8(fp, u, len);
		OPENSSL_free(u);
	}
	fputc('\n', fp);
}

/* The explicit texts of the certificatePolicies user notices, one line
 * each; control characters (which issue() never writes) shown as '?'. */
static void print_notices(X509 *x, FILE *fp)
{
	CERTIFICATEPOLICIES *pols;
	int i, j;

	pols = X509_get_ext_d2i(x, NID_certificate_policies, NULL, NULL);
	for (i = 0; pols && i < sk_POLICYINFO_num(pols); i++) {
		POLICYINFO *pi = sk_POLICYINFO_value(pols, i);

		for (j = 0; pi->qualifiers &&
			    j < sk_POLICYQUALINFO_num(pi->qualifiers);
		     j++) {
			POLICYQUALINFO *q =
				sk_POLICYQUALINFO_value(pi->qualifiers, j);
			unsigned char *u = NULL;
			int len;

			if (OBJ_obj2nid(q->pqualid) != NID_id_qt_unotice ||
			    !q->d.usernotice || !q->d.usernotice->exptext)
				continue;
			len = ASN1_STRING_to_UTF8(&u, q->d.usernotice->exptext);
			if (len < 0)
				continue;
			fprintf(fp, "notice:      ");
			print_utf8(fp, u, len);
			fputc('\n', fp);
			OPENSSL_free(u);
		}
	}
	CERTIFICATEPOLICIES_free(pols);
}

int muisp_ca_show(const char *cert, FILE *fp, struct muisp_ca_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	GENERAL_NAMES *sans;
	BASIC_CONSTRAINTS *bc;
	BIGNUM *bn;
	char *hex;
	X509 *x;

	x = read_cert(cert, err);
	if (!x)
		return -1;
	fprintf(fp, "subject:     ");
	print_name(X509_get_subject_name(x), fp);
	fprintf(fp, "issuer:      ");
	print_name(X509_get_issuer_name(x), fp);
	bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(x), NULL);
	hex = bn ? BN_bn2hex(bn) : NULL;
	fprintf(fp, "serial:      %s\n", hex ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
	print_time(fp, "not before:  ", X509_get0_notBefore(x));
	print_time(fp, "not after:   ", X509_get0_notAfter(x));
	bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
	fprintf(fp, "ca:          %s\n", bc && bc->ca ? "yes" : "no");
	BASIC_CONSTRAINTS_free(bc);
	fprintf(fp, "self-signed: %s\n",
		X509_NAME_cmp(X509_get_issuer_name(x),
			      X509_get_subject_name(x)) == 0 &&
				X509_verify(x, X509_get0_pubkey(x)) == 1 ?
			"yes" :
			"no");
	sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (i = 0; sans && i < (unsigned)sk_GENERAL_NAME_num(sans); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, (int)i);
		const unsigned char *d;
		int len;

		if (g->type == GEN_DNS) {
			d = ASN1_STRING_get0_data(g->d.dNSName);
			len = ASN1_STRING_length(g->d.dNSName);
			fprintf(fp, "san:         DNS:%.*s\n", len,
				(const char *)d);
		} else if (g->type == GEN_IPADD) {
			char a[INET6_ADDRSTRLEN] = "?";

			d = ASN1_STRING_get0_data(g->d.iPAddress);
			len = ASN1_STRING_length(g->d.iPAddress);
			inet_ntop(len == 4 ? AF_INET : AF_INET6, d, a,
				  sizeof(a));
			fprintf(fp, "san:         IP:%s\n", a);
		}
	}
	GENERAL_NAMES_free(sans);
	print_notices(x, fp);
	if (X509_digest(x, EVP_sha256(), md, &mdlen)) {
		fprintf(fp, "sha256:      ");
		for (i = 0; i < mdlen; i++)
			fprintf(fp, "%02X%s", md[i], i + 1 < mdlen ? ":" : "");
		fputc('\n', fp);
	}
	X509_free(x);
	return 0;
}

int muisp_ca_verify(const char *cacert, const char *cert,
		    struct muisp_ca_err *err)
{
	X509_STORE_CTX *ctx = NULL;
	X509_STORE *store = NULL;
	X509 *ca, *x = NULL;
	int r = -1;

	ca = read_cert(cacert, err);
	if (!ca)
		return -1;
	x = read_cert(cert, err);
	if (!x)
		goto out;
	store = X509_STORE_new();
	ctx = X509_STORE_CTX_new();
	if (!store || !ctx || !X509_STORE_add_cert(store, ca) ||
	    !X509_STORE_CTX_init(ctx, store, x, NULL)) {
		fail(err, ENOMEM, "verify setup");
		goto out;
	}
	if (X509_verify_cert(ctx) != 1) {
		fail(err, EPERM, "%s: %s", cert,
		     X509_verify_cert_error_string(
			     X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	r = 0;
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(x);
	X509_free(ca);
	return r;
}

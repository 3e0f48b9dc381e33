// SPDX-License-Identifier: GPL-2.0
/*
 * lib/ca: CA creation, router and TLS client (agent) certificate issue,
 * self-signed client certificates, verification (right CA / wrong CA /
 * self-signed), each purpose's key usages as OpenSSL reads and checks
 * them, show, key file modes, refusal to overwrite, bad names.  Keys are
 * generated at test time in a temporary directory.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "ca.h"

static char dir[] = "/tmp/test_ca.XXXXXX";

static const char *path(const char *name)
{
	static char buf[8][256];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static int setup(void **state)
{
	struct muisp_ca_err err;
	char d2[300];

	if (!mkdtemp(dir))
		return -1;
	snprintf(d2, sizeof(d2), "%s/other", dir);
	if (mkdir(d2, 0700) < 0)
		return -1;
	if (muisp_ca_init(dir, "muisp test CA", 2, 0, &err) < 0 ||
	    muisp_ca_init(d2, "another CA", 2, 0, &err) < 0 ||
	    muisp_ca_issue(path("ca.pem"), path("ca.key"), "router.muisp.test",
			   MUISP_CA_ROUTER, "Hotel Foo lobby, 802.11g", 2,
			   path("router.pem"), path("router.key"), 0,
			   &err) < 0 ||
	    muisp_ca_issue(path("other/ca.pem"), path("other/ca.key"),
			   "router.muisp.test", MUISP_CA_ROUTER, NULL, 2,
			   path("rogue.pem"), path("rogue.key"), 0, &err) < 0 ||
	    muisp_ca_issue(path("ca.pem"), path("ca.key"), "192.0.2.50",
			   MUISP_CA_CLIENT, NULL, 2, path("agent.pem"),
			   path("agent.key"), 0, &err) < 0 ||
	    muisp_ca_issue(path("ca.pem"), path("ca.key"), "host.muisp.test",
			   MUISP_CA_CLIENT, NULL, 2, path("agent-dns.pem"),
			   path("agent-dns.key"), 0, &err) < 0 ||
	    muisp_ca_selfsign("alice.anon", 2, path("alice.pem"),
			      path("alice.key"), 0, &err) < 0) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *show(const char *cert)
{
	struct muisp_ca_err err;
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	assert_non_null(fp);
	assert_int_equal(muisp_ca_show(cert, fp, &err), 0);
	fclose(fp);
	return out;
}

static void test_verify(void **state)
{
	struct muisp_ca_err err;

	assert_int_equal(
		muisp_ca_verify(path("ca.pem"), path("router.pem"), &err), 0);
	assert_int_equal(muisp_ca_verify(path("ca.pem"), path("ca.pem"), &err),
			 0);
	/* a router certificate from another CA */
	assert_int_equal(
		muisp_ca_verify(path("ca.pem"), path("rogue.pem"), &err), -1);
	assert_int_equal(errno, EPERM);
	assert_non_null(strstr(err.msg, "issuer certificate"));
	/* a self-signed client certificate is not from the CA */
	assert_int_equal(
		muisp_ca_verify(path("ca.pem"), path("alice.pem"), &err), -1);
	assert_int_equal(muisp_ca_verify(path("other/ca.pem"),
					 path("rogue.pem"), &err),
			 0);
	assert_int_equal(
		muisp_ca_verify(path("ca.pem"), path("nonexistent"), &err), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_show(void **state)
{
	char *s = show(path("ca.pem"));

	assert_non_null(strstr(s, "subject:     /CN=muisp test CA\n"));
	assert_non_null(strstr(s, "issuer:      /CN=muisp test CA\n"));
	assert_non_null(strstr(s, "ca:          yes\n"));
	assert_non_null(strstr(s, "self-signed: yes\n"));
	free(s);

	s = show(path("router.pem"));
	assert_non_null(strstr(s, "subject:     /CN=router.muisp.test\n"));
	assert_non_null(strstr(s, "issuer:      /CN=muisp test CA\n"));
	assert_non_null(strstr(s, "ca:          no\n"));
	assert_non_null(strstr(s, "self-signed: no\n"));
	assert_non_null(strstr(s, "san:         DNS:router.muisp.test\n"));
	assert_non_null(strstr(s, "sha256:      "));
	assert_non_null(strstr(s, "\nnotice:      Hotel Foo lobby, 802.11g\n"));
	free(s);

	s = show(path("rogue.pem")); /* issued without a notice */
	assert_null(strstr(s, "notice:"));
	free(s);

	s = show(path("alice.pem"));
	assert_non_null(strstr(s, "self-signed: yes\n"));
	assert_non_null(strstr(s, "ca:          no\n"));
	assert_non_null(strstr(s, "san:         DNS:alice.anon\n"));
	free(s);
}

static void test_notice(void **state)
{
	char cmd[400], buf[512];
	FILE *p;
	int found = 0;

	/* the user notice is in the certificate (read back by openssl) */
	snprintf(cmd, sizeof(cmd),
		 "openssl x509 -noout -text -in '%s' 2>/dev/null",
		 path("router.pem"));
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(buf, sizeof(buf), p))
		if (strstr(buf, "Explicit Text: Hotel Foo lobby, 802.11g"))
			found++;
	pclose(p);
	assert_int_equal(found, 1);
}

static void test_key_files(void **state)
{
	struct muisp_ca_err err;
	struct stat st;

	assert_int_equal(stat(path("ca.key"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(path("router.key"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(path("alice.key"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* never overwritten without force */
	assert_int_equal(muisp_ca_init(dir, "again", 2, 0, &err), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(muisp_ca_selfsign("x", 2, path("alice.pem"),
					   path("new.key"), 0, &err),
			 -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(access(path("new.key"), F_OK), -1);

	/* nor is an orphaned CA key */
	assert_int_equal(rename(path("other/ca.pem"), path("other/ca.pem.x")),
			 0);
	assert_int_equal(muisp_ca_init(path("other"), "again", 2, 0, &err), -1);
	assert_int_equal(errno, EEXIST);
	assert_non_null(strstr(err.msg, "other/ca.key exists"));
	assert_int_equal(access(path("other/ca.pem"), F_OK), -1);
	assert_int_equal(rename(path("other/ca.pem.x"), path("other/ca.pem")),
			 0);

	/* the CA key must belong to the CA certificate */
	assert_int_equal(muisp_ca_issue(path("ca.pem"), path("other/ca.key"),
					"r2", MUISP_CA_ROUTER, NULL, 2,
					path("r2.pem"), path("r2.key"), 0,
					&err),
			 -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(access(path("r2.key"), F_OK), -1);
}

/* file contents, for comparison */
static char *slurp(const char *p)
{
	static char buf[4][8192];
	static int i;
	FILE *f = fopen(p, "r");
	size_t n;

	assert_non_null(f);
	i = (i + 1) % 4;
	n = fread(buf[i], 1, sizeof(buf[i]) - 1, f);
	buf[i][n] = '\0';
	fclose(f);
	return buf[i];
}

/* --force replaces a key or certificate, but never writes through a
 * symbolic link or into a file with another name (hard link). */
static void test_force_links(void **state)
{
	struct muisp_ca_err err;
	char victim[8192];
	struct stat st;

	snprintf(victim, sizeof(victim), "%s", slurp(path("ca.key")));
	/* the key's name is a symlink to the CA key */
	assert_int_equal(symlink(path("ca.key"), path("link.key")), 0);
	assert_int_equal(muisp_ca_issue(path("ca.pem"), path("ca.key"), "r3",
					MUISP_CA_ROUTER, NULL, 2,
					path("r3.pem"), path("link.key"), 1,
					&err),
			 -1);
	assert_int_equal(errno, ELOOP);
	assert_non_null(strstr(err.msg, "link.key: a symbolic link, refused"));
	assert_string_equal(slurp(path("ca.key")), victim);
	/* so is the certificate's (a dangling one: nothing is created) */
	assert_int_equal(symlink(path("nowhere.pem"), path("link.pem")), 0);
	assert_int_equal(muisp_ca_selfsign("x", 2, path("link.pem"),
					   path("x.key"), 1, &err),
			 -1);
	assert_int_equal(errno, ELOOP);
	assert_int_equal(lstat(path("nowhere.pem"), &st), -1);
	/* a hard link to the CA key */
	assert_int_equal(link(path("ca.key"), path("hard.key")), 0);
	assert_int_equal(muisp_ca_selfsign("y", 2, path("y.pem"),
					   path("hard.key"), 1, &err),
			 -1);
	assert_int_equal(errno, EPERM);
	assert_string_equal(slurp(path("ca.key")), victim);
	/* a plain file is replaced, mode 0600 */
	assert_int_equal(chmod(path("alice.key"), 0644), 0);
	assert_int_equal(muisp_ca_selfsign("alice2", 2, path("alice.pem"),
					   path("alice.key"), 1, &err),
			 0);
	assert_int_equal(stat(path("alice.key"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_bad_input(void **state)
{
	struct muisp_ca_err err;

	assert_int_equal(muisp_ca_selfsign("a b", 2, path("x.pem"),
					   path("x.key"), 0, &err),
			 -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(muisp_ca_selfsign("a,CN=evil", 2, path("x.pem"),
					   path("x.key"), 0, &err),
			 -1);
	assert_int_equal(muisp_ca_selfsign("ok", 0, path("x.pem"),
					   path("x.key"), 0, &err),
			 -1);
	assert_int_equal(muisp_ca_issue(path("ca.pem"), path("ca.key"), "r3",
					MUISP_CA_ROUTER, "bad \"notice\"", 2,
					path("r3.pem"), path("r3.key"), 0,
					&err),
			 -1);
	/* a client certificate takes no notice; a purpose must be known */
	assert_int_equal(muisp_ca_issue(path("ca.pem"), path("ca.key"), "r3",
					MUISP_CA_CLIENT, "Hotel Foo", 2,
					path("r3.pem"), path("r3.key"), 0,
					&err),
			 -1);
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err.msg, "a client certificate takes no notice");
	assert_int_equal(muisp_ca_issue(path("ca.pem"), path("ca.key"), "r3",
					(enum muisp_ca_purpose)7, NULL, 2,
					path("r3.pem"), path("r3.key"), 0,
					&err),
			 -1);
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err.msg, "unknown certificate purpose");
	assert_int_equal(muisp_ca_init(path("nodir"), "x", 2, 0, &err), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(access(path("x.key"), F_OK), -1);
	assert_int_equal(access(path("r3.key"), F_OK), -1);
}

static void test_valid(void **state)
{
	char long_name[66];

	memset(long_name, 'a', 65);
	long_name[65] = '\0';
	assert_true(muisp_ca_valid_name("router.muisp.test"));
	assert_true(muisp_ca_valid_name("192.0.2.1"));
	assert_false(muisp_ca_valid_name(""));
	assert_false(muisp_ca_valid_name("a b"));
	assert_false(muisp_ca_valid_name("a,CN=x"));
	assert_false(muisp_ca_valid_name("caf\xc3\xa9")); /* not ASCII */
	assert_true(muisp_ca_valid_name(long_name + 1));  /* 64 bytes */
	assert_false(muisp_ca_valid_name(long_name));
	assert_true(muisp_ca_valid_cn("Example \xce\xbcISP CA"));
	assert_false(muisp_ca_valid_cn("a/b"));
	assert_false(muisp_ca_valid_cn("a\tb"));
	assert_true(muisp_ca_valid_notice("Hotel Foo lobby, 802.11g"));
	assert_true(muisp_ca_valid_notice("H\xc3\xb4tel Foo"));
	assert_false(muisp_ca_valid_notice(""));
	assert_false(muisp_ca_valid_notice("a\nb"));
	assert_false(muisp_ca_valid_notice("$HOME"));
	assert_false(muisp_ca_valid_notice("a \"b\""));
}

/* A UTF-8 notice is stored as a UTF8String and shown as given. */
static void test_notice_utf8(void **state)
{
	struct muisp_ca_err err;
	char *s;

	assert_int_equal(muisp_ca_issue(path("ca.pem"), path("ca.key"), "u8",
					MUISP_CA_ROUTER, "H\xc3\xb4tel Foo", 2,
					path("u8.pem"), path("u8.key"), 0,
					&err),
			 0);
	s = show(path("u8.pem"));
	assert_non_null(strstr(s, "\nnotice:      H\xc3\xb4tel Foo\n"));
	free(s);
}

static X509 *load(const char *p)
{
	FILE *f = fopen(p, "r");
	X509 *x;

	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

/* The extendedKeyUsage OIDs, dotted, joined by ','; "" for none. */
static const char *eku_of(X509 *x)
{
	static char buf[256];
	EXTENDED_KEY_USAGE *eku;
	size_t n = 0;
	int i, crit = -1;

	buf[0] = '\0';
	eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL);
	for (i = 0; eku && i < sk_ASN1_OBJECT_num(eku); i++) {
		if (n)
			buf[n++] = ',';
		OBJ_obj2txt(buf + n, (int)(sizeof(buf) - n),
			    sk_ASN1_OBJECT_value(eku, i), 1);
		n = strlen(buf);
	}
	if (eku)
		assert_int_equal(crit, 0); /* not critical */
	EXTENDED_KEY_USAGE_free(eku);
	return buf;
}

/* X509_V_OK, or why CERT does not verify against ca.pem for PURPOSE. */
static int verify_for(X509 *ca, X509 *x, int purpose)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int e;

	assert_non_null(store);
	assert_non_null(ctx);
	assert_int_equal(X509_STORE_add_cert(store, ca), 1);
	assert_int_equal(X509_STORE_CTX_init(ctx, store, x, NULL), 1);
	assert_int_equal(X509_STORE_CTX_set_purpose(ctx, purpose), 1);
	e = X509_verify_cert(ctx) == 1 ? X509_V_OK :
					 X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return e;
}

/*
 * MUISP_CA_CLIENT: extendedKeyUsage clientAuth only, keyUsage
 * digitalSignature (critical), the address as a SAN IP (a host name as
 * DNS): what OpenSSL accepts from a TLS client (muispd's agent-ca check),
 * which a router certificate is not; the router's usages unchanged.
 */
static void test_purpose(void **state)
{
	X509 *ca = load(path("ca.pem")), *agent = load(path("agent.pem")),
	     *named = load(path("agent-dns.pem")),
	     *router = load(path("router.pem")),
	     *alice = load(path("alice.pem"));
	struct muisp_ca_err err;
	int crit = -1;
	ASN1_BIT_STRING *ku;
	char *s;

	/* the client's usages */
	assert_string_equal(eku_of(agent), "1.3.6.1.5.5.7.3.2");
	assert_string_equal(eku_of(named), "1.3.6.1.5.5.7.3.2");
	assert_int_equal(X509_get_extended_key_usage(agent), XKU_SSL_CLIENT);
	assert_int_equal(X509_get_key_usage(agent), KU_DIGITAL_SIGNATURE);
	ku = X509_get_ext_d2i(agent, NID_key_usage, &crit, NULL);
	assert_non_null(ku);
	assert_int_equal(crit, 1);
	ASN1_BIT_STRING_free(ku);
	/* the router's, as before: serverAuth and IKE intermediate */
	assert_string_equal(eku_of(router),
			    "1.3.6.1.5.5.7.3.1,1.3.6.1.5.5.8.2.2");
	assert_int_equal(X509_get_key_usage(router),
			 KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
	/* a self-signed client certificate has none */
	assert_string_equal(eku_of(alice), "");

	/* OpenSSL's own purpose checks */
	assert_int_equal(X509_check_purpose(agent, X509_PURPOSE_SSL_CLIENT, 0),
			 1);
	assert_int_not_equal(
		X509_check_purpose(agent, X509_PURPOSE_SSL_SERVER, 0), 1);
	assert_int_not_equal(
		X509_check_purpose(router, X509_PURPOSE_SSL_CLIENT, 0), 1);
	assert_int_equal(X509_check_purpose(router, X509_PURPOSE_SSL_SERVER, 0),
			 1);
	/* and a chain verified as a TLS server verifies its client's */
	assert_int_equal(verify_for(ca, agent, X509_PURPOSE_SSL_CLIENT),
			 X509_V_OK);
	assert_int_equal(verify_for(ca, named, X509_PURPOSE_SSL_CLIENT),
			 X509_V_OK);
	assert_int_equal(verify_for(ca, router, X509_PURPOSE_SSL_CLIENT),
			 X509_V_ERR_INVALID_PURPOSE);
	assert_int_equal(verify_for(ca, router, X509_PURPOSE_SSL_SERVER),
			 X509_V_OK);
	assert_int_equal(verify_for(ca, agent, X509_PURPOSE_SSL_SERVER),
			 X509_V_ERR_INVALID_PURPOSE);
	assert_int_equal(
		muisp_ca_verify(path("ca.pem"), path("agent.pem"), &err), 0);

	/* names: CN=NAME, SAN IP for an address, DNS for a host name */
	s = show(path("agent.pem"));
	assert_non_null(strstr(s, "subject:     /CN=192.0.2.50\n"));
	assert_non_null(strstr(s, "issuer:      /CN=muisp test CA\n"));
	assert_non_null(strstr(s, "\nsan:         IP:192.0.2.50\n"));
	assert_null(strstr(s, "DNS:"));
	assert_null(strstr(s, "notice:"));
	free(s);
	s = show(path("agent-dns.pem"));
	assert_non_null(strstr(s, "\nsan:         DNS:host.muisp.test\n"));
	free(s);

	X509_free(ca);
	X509_free(agent);
	X509_free(named);
	X509_free(router);
	X509_free(alice);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_show),
		cmocka_unit_test(test_notice),
		cmocka_unit_test(test_key_files),
		cmocka_unit_test(test_force_links),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_notice_utf8),
		cmocka_unit_test(test_purpose),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

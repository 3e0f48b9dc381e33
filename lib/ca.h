/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The operator's certification authority (OpenSSL), the backend of
 * `muispctl ca init|issue|show` and of muisp-client's self-signed key.
 *
 * Keys are RSA-2048: Debian's strongswan-charon carries the gmp plugin
 * (RSA) but not the openssl plugin (ECDSA/EdDSA), so RSA is what a stock
 * charon verifies.  Private keys are written PKCS#8 PEM, mode 0600, never
 * over an existing file unless FORCE.  Certificates are X.509v3 with
 * SHA-256 signatures and random 64-bit serials.
 *
 * Returns: 0, or -1 with errno and a message in err (if non-NULL).
 */
#ifndef MUISP_CA_H
#define MUISP_CA_H

#include <stddef.h>
#include <stdio.h>

struct muisp_ca_err {
	char msg[256];
};

/* DIR/ca.pem and DIR/ca.key: a self-signed CA "CN=<cn>". */
int muisp_ca_init(const char *dir, const char *cn, unsigned days, int force,
		  struct muisp_ca_err *err);

/* What an issued certificate is for (its key usages). */
enum muisp_ca_purpose {
	/*
	 * The router's: keyUsage digitalSignature and keyEncipherment,
	 * extendedKeyUsage serverAuth and IKE intermediate (native IKEv2
	 * clients, Windows and macOS, want serverAuth on the server's).
	 */
	MUISP_CA_ROUTER,
	/*
	 * A TLS client's, muisp-uinfod's (muispd's agent-ca): keyUsage
	 * digitalSignature, extendedKeyUsage clientAuth only (OpenSSL
	 * refuses a serverAuth-only certificate from a TLS client as an
	 * "unsuitable certificate purpose").
	 */
	MUISP_CA_CLIENT,
};

/*
 * An end-entity certificate signed by the CA, for PURPOSE: subject
 * CN=<name>, subjectAltName DNS:<name> (or IP:<name> for an address: a
 * router's IKE identity, an agent's host address), the key usages of
 * PURPOSE, and, when NOTICE is non-NULL (MUISP_CA_ROUTER only: EINVAL
 * with MUISP_CA_CLIENT), a certificatePolicies user notice (seed §4:
 * where and what LAN the μISP serves, to be shown to the user).
 */
int muisp_ca_issue(const char *cacert, const char *cakey, const char *name,
		   enum muisp_ca_purpose purpose, const char *notice,
		   unsigned days, const char *out_cert, const char *out_key,
		   int force, struct muisp_ca_err *err);

/* A self-signed end-entity certificate (muisp clients: anonymous). */
int muisp_ca_selfsign(const char *name, unsigned days, const char *out_cert,
		      const char *out_key, int force, struct muisp_ca_err *err);

/*
 * Subject, issuer, serial, validity, CA flag, self-signed, SANs, user
 * notices, SHA-256 fingerprint; one "label:  value" line each:
 *
 *   subject:     /CN=router.example.net
 *   issuer:      /CN=Example CA
 *   serial:      5A0F...           (hex)
 *   not before:  Nov 25 10:00:00 2026 GMT
 *   not after:   Nov 25 10:05:00 2027 GMT
 *   ca:          no
 *   self-signed: no
 *   san:         DNS:router.example.net    (one line per DNS/IP name)
 *   notice:      Hotel Foo lobby, 802.11g  (one line per user notice)
 *   sha256:      AB:CD:...
 */
int muisp_ca_show(const char *cert, FILE *fp, struct muisp_ca_err *err);

/* 0 if CERT chains to CACERT (and is valid now), -1 otherwise. */
int muisp_ca_verify(const char *cacert, const char *cert,
		    struct muisp_ca_err *err);

/*
 * What the functions above accept, for callers that check arguments
 * first (1 valid, 0 not): a certificate NAME (1-64 bytes, no blanks or
 * DN metacharacters ,=+/\"<>;#), a CA common name (the same, blanks
 * allowed), a user NOTICE (1-200 bytes, no control characters, '"', '\'
 * or '$').
 */
int muisp_ca_valid_name(const char *name);
int muisp_ca_valid_cn(const char *cn);
int muisp_ca_valid_notice(const char *notice);

#endif

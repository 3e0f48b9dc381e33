/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generated strongSwan configuration for muisp (router and client).
 *
 * Router (responder): IKEv2 only, authenticated with the router
 * certificate issued by the operator's CA; the client authenticates with
 * any certificate charon trusts (see below); one CHILD_SA config offering
 * AH tunnel mode (HMAC-SHA-256-128) and ESP AES-GCM: the client picks one
 * by what it proposes (strongSwan never bundles AH with ESP).  The remote
 * traffic selector is "dynamic": a client only ever gets an SA for its own
 * address.  Anti-replay is on (replay_window 32; 0 would switch it off).
 *
 * Self-signed client certificates: strongSwan 5.9 only accepts an
 * end-entity certificate it holds locally or that chains to a loaded CA,
 * never an unknown self-signed one received in IKE.  The router therefore
 * loads each client's self-signed certificate over VICI load-cert before
 * the client initiates: muispd does when muisp-client connect registers
 * it (MP_T_REGISTER, daemon/muispd/register.c), the operator by hand with
 * muisp-ike load-cert.  load-cert rather than a load-conn per client: in
 * 5.9 both put the certificate, trusted, into vici's one credential set,
 * which only clear-creds empties (unload-conn leaves it, and this
 * connection accepts any trusted certificate); see docs/DESIGN.md.
 */
#ifndef MUISP_IKE_CONF_H
#define MUISP_IKE_CONF_H

#include <stdio.h>

struct ike_router_conf {
	const char *name;	 /* connection name, default "muisp" */
	const char *local_addrs; /* LAN address(es) or NULL for any */
	const char *cert;	 /* router cert, relative to x509/ */
	const char *id;		 /* router identity (a SAN of cert) */
	const char *local_ts;	 /* default "0.0.0.0/0,::/0" */
	unsigned life_time;	 /* CHILD_SA hard lifetime, s (0: 3600) */
	unsigned rekey_time;	 /* 0: life - life/10 */
	int no_rekey;		 /* never rekey: the SA expires */
	/* devices without muisp-client: a second connection NAME-eap
	 * (EAP-MSCHAPv2, ESP) handing out virtual IPs from eap_pool */
	const char *eap_pool; /* e.g. 192.0.2.224/27, NULL: none */
	const char *eap_dns;  /* DNS server for them, NULL: none */
	/* roamers (user@realm, EAP ended by their home RADIUS server): a
	 * third connection NAME-eap-roam (eap-radius, same pool), chosen by
	 * the router identity the device asks for (IDr): eap_roam_id, the
	 * name of eap_roam_cert (NULL: cert, which must then hold both
	 * names).  NULL: none. */
	const char *eap_roam_id;
	const char *eap_roam_cert;
};

struct ike_client_conf {
	const char *name;		/* default "muisp" */
	const char *router;		/* router address (remote_addrs) */
	const char *router_id;		/* identity the router must prove */
	const char *cacert;		/* operator CA, relative to x509ca/ */
	const char *cert;		/* own self-signed cert (x509/) */
	int privacy;			/* 1: ESP AES-GCM, 0: AH */
	unsigned life_time, rekey_time; /* 0: defaults */
	int no_rekey;
};

struct ike_strongswan_conf {
	const char *vici_socket; /* unix path */
	const char *log_file;	 /* NULL: no file log */
	int install_routes;
	int eap; /* load the EAP-MSCHAPv2 plugins (and openssl: MD4, DES) */
	/* roamers: the eap-radius plugin, its one server muispd's relay
	 * (radius-eap-relay ADDR:PORT) with this secret, no accounting
	 * (muispd sends it), no DAE.  NULL: none. */
	const char *eap_radius;
	const char *eap_radius_secret;
};

int ike_conf_router(FILE *fp, const struct ike_router_conf *c);
int ike_conf_client(FILE *fp, const struct ike_client_conf *c);
int ike_conf_strongswan(FILE *fp, const struct ike_strongswan_conf *c);

/* Proposals, shared with tests. */
#define IKE_PROPOSALS	  "aes128-sha256-modp2048,aes256-sha384-modp3072"
#define IKE_AH_PROPOSALS  "sha256-modp2048"
#define IKE_ESP_PROPOSALS "aes128gcm16-modp2048,aes256gcm16-modp2048"
/*
 * Devices without muisp-client (their built-in IKEv2 client): what they
 * offer.  Windows' default (3DES, SHA-1, MODP-1024) is refused: the user
 * switches it to AES-256/SHA-256/MODP-2048 (README).  macOS and iOS
 * propose AES-256/SHA-256/MODP-2048, Android (built-in and the strongSwan
 * app) AES-GCM or AES-CBC with SHA-2 and MODP-2048 or ECP-256.
 */
#define IKE_EAP_PROPOSALS                                              \
	"aes256-aes128-sha256-sha384-modp2048-ecp256-ecp384,"          \
	"aes256gcm16-aes128gcm16-prfsha256-prfsha384-modp2048-ecp256-" \
	"ecp384"
#define IKE_EAP_ESP_PROPOSALS                                       \
	"aes256gcm16-aes128gcm16,aes256-aes128-sha256-sha384-sha1," \
	"aes256gcm16-aes128gcm16-modp2048-ecp256,"                  \
	"aes256-aes128-sha256-sha1-modp2048-ecp256"
/* ... and the plugins EAP-MSCHAPv2 needs: openssl for MD4 and DES (its
 * legacy provider, loaded by default) and ECP. */
#define IKE_EAP_PLUGINS	      "openssl eap-identity eap-mschapv2"
#define IKE_EAP_RADIUS_PLUGIN "eap-radius"
/* Plugins charon needs (Debian's strongswan-charon, no openssl plugin). */
#define IKE_CHARON_PLUGINS                                       \
	"random nonce aes sha1 sha2 hmac pem pkcs1 "             \
	"pkcs8 x509 pubkey gmp kdf drbg revocation constraints " \
	"kernel-netlink socket-default vici"
#define IKE_SWANCTL_PLUGINS                             \
	"pem pkcs1 pkcs8 x509 pubkey gmp random nonce " \
	"sha1 sha2"

#endif

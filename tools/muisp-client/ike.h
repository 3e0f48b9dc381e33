/* SPDX-License-Identifier: GPL-2.0 */
/*
 * muisp-client cert|connect|disconnect: the client's IPsec tunnel to the
 * router (phase 2 of the μISP protocol), run by the user's own strongSwan
 * charon.  See ike.c and muisp-client(1).
 */
#ifndef MUISP_CLIENT_IKE_H
#define MUISP_CLIENT_IKE_H

#include <stddef.h>

struct client_ike {
	const char *statedir;  /* the client's state directory */
	const char *router;    /* the router's address (IKE peer) */
	const char *router_id; /* the identity the router must prove */
	const char *cacert;    /* the μISP CA certificate (PEM) */
	const char *uri;       /* charon's VICI socket; NULL: the default */
	int privacy;	       /* ESP AES-GCM instead of AH */
	int timeout_s;	       /* for IKE (swanctl --timeout) */
	/* connect: hand the certificate (DER) to the router before IKE
	 * (MP_T_REGISTER); NULL: the operator registered it.  0 or -1
	 * after a message. */
	int (*register_cert)(const unsigned char *der, size_t len);
};

/* Exit statuses: 0 ok, 1 failed, 2 bad arguments. */
int client_ike_cert(const struct client_ike *k);
int client_ike_connect(const struct client_ike *k);
int client_ike_disconnect(const struct client_ike *k);

#endif

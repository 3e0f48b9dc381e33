/* SPDX-License-Identifier: GPL-2.0 */
/*
 * muisp-dhcpd configuration (format in muisp-dhcpd.conf(5)): line-based
 * "key value..." statements, "interface NAME {" and "host NAME {" blocks
 * closed by "}", "#" comments.  Addresses are kept in host byte order.
 * Loading validates everything and reports the first error as
 * "FILE:LINE: message".
 */
#ifndef MUISP_DHCPD_CONFIG_H
#define MUISP_DHCPD_CONFIG_H

#include <limits.h>
#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#include "pool.h"

#define CONF_MAX_IFACES 8
#define CONF_MAX_RANGES 32
#define CONF_MAX_LIST	8
#define CONF_MAX_HOSTS	256
#define CONF_MIN_LEASE	10

/* Defaults of the abuse bounds (see struct dhcp_conf). */
#define CONF_DEF_OFFERS_PER_SOURCE 4
#define CONF_DEF_OFFER_SHARE	   50
#define CONF_DEF_QUARANTINE_MAX	   16
#define CONF_DEF_SOURCE_RATE	   20

#define CONF_DEFAULT_PATH "/etc/muisp/muisp-dhcpd.conf"

struct conf_host {
	char name[64];
	uint8_t hwlen;
	uint8_t hw[16];
	struct client_key id; /* 'I' + client identifier, len 0 if none */
	uint32_t addr;
	int line;
};

struct conf_iface {
	char name[IF_NAMESIZE];
	uint32_t net, mask;
	unsigned int prefix;
	uint32_t server_id; /* 0 = the interface's address */
	struct pool_range ranges[CONF_MAX_RANGES];
	unsigned int nranges;
	struct pool_range excl[CONF_MAX_RANGES];
	unsigned int nexcl;
	uint32_t routers[CONF_MAX_LIST], dns[CONF_MAX_LIST], ntp[CONF_MAX_LIST];
	unsigned int nrouters, ndns, nntp;
	uint32_t relays[CONF_MAX_LIST]; /* relay agents allowed (giaddr) */
	unsigned int nrelays;
	char domain[256];
	uint32_t lease_time, t1, t2;
	struct conf_host hosts[CONF_MAX_HOSTS];
	unsigned int nhosts;
	int line;
};

struct dhcp_conf {
	char lease_db[PATH_MAX];
	int kernel_sync;
	uint32_t quarantine_time;
	uint32_t offer_time;
	/* Abuse bounds, per interface (muisp-dhcpd.conf(5)); 0 = none. */
	uint32_t offers_per_source; /* reserved offers per Ethernet source */
	uint32_t offer_share;	    /* % of unleased addresses reservable */
	uint32_t quarantine_max;    /* quarantined addresses */
	uint32_t source_rate;	    /* messages/s per Ethernet source */
	struct conf_iface ifaces[CONF_MAX_IFACES];
	unsigned int nifaces;
};

/* Parse text (named name in messages).  0, or -1 with err filled. */
int config_parse(const char *name, const char *text, struct dhcp_conf *c,
		 char *err, size_t errlen);
int config_load(const char *path, struct dhcp_conf *c, char *err,
		size_t errlen);

/* The pool ranges of an interface: configured pools (exclusions are
 * marked later with pool_exclude) plus one single-address range per
 * reservation outside them. */
unsigned int config_pool_ranges(const struct conf_iface *ifc,
				struct pool_range *out, unsigned int max);

#endif

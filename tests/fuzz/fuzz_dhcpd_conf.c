// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for muisp-dhcpd's configuration (lib/conf reader and
 * daemon/dhcpd/config.c's validation): any text either fails with a
 * "NAME:LINE: message", or gives a configuration whose invariants hold --
 * the ones the pools and the server rely on without checking again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/dhcpd/config.h"

#include "fuzz_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dhcp_conf c;
static struct pool_range r[CONF_MAX_RANGES + CONF_MAX_HOSTS];

static int host_of(const struct conf_iface *ifc, uint32_t a)
{
	return (a & ifc->mask) == ifc->net && a != ifc->net &&
	       a != (ifc->net | ~ifc->mask);
}

static void check(void)
{
	unsigned int i, j, n;

	if (!c.nifaces || c.nifaces > CONF_MAX_IFACES || c.lease_db[0] != '/')
		abort();
	for (i = 0; i < c.nifaces; i++) {
		const struct conf_iface *ifc = &c.ifaces[i];

		if (ifc->prefix < 8 || ifc->prefix > 30 ||
		    ifc->mask != ~0u << (32 - ifc->prefix) ||
		    (ifc->net & ~ifc->mask) || !ifc->name[0] ||
		    !(ifc->t1 < ifc->t2 && ifc->t2 < ifc->lease_time) ||
		    ifc->lease_time < CONF_MIN_LEASE ||
		    (!ifc->nranges && !ifc->nhosts))
			abort();
		n = config_pool_ranges(ifc, r, sizeof(r) / sizeof(r[0]));
		if (n < ifc->nranges)
			abort();
		for (j = 0; j < n; j++)
			if (r[j].first > r[j].last ||
			    !host_of(ifc, r[j].first) ||
			    !host_of(ifc, r[j].last) ||
			    (ifc->server_id && r[j].first <= ifc->server_id &&
			     ifc->server_id <= r[j].last))
				abort();
		for (j = 0; j < ifc->nhosts; j++)
			if (!host_of(ifc, ifc->hosts[j].addr) ||
			    (!ifc->hosts[j].hwlen && !ifc->hosts[j].id.len))
				abort();
		/* Relays: hosts of the subnet, never the server. */
		if (ifc->nrelays > CONF_MAX_LIST)
			abort();
		for (j = 0; j < ifc->nrelays; j++)
			if (!host_of(ifc, ifc->relays[j]) ||
			    ifc->relays[j] == ifc->server_id)
				abort();
	}
	if (c.offer_share < 1 || c.offer_share > 100 ||
	    c.quarantine_max > POOL_MAX_ADDRS ||
	    c.offers_per_source > POOL_MAX_ADDRS ||
	    c.source_rate > POOL_MAX_ADDRS)
		abort();
}

static int parse(const char *text, char *err, size_t errlen)
{
	return config_parse("f", text, &c, err, errlen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_conf_text(data, size, parse, check);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the DHCP packet parser (lib/dhcp_msg: requests as
 * muisp-dhcpd reads them, replies as muisp-uinfod's leases read them)
 * and, through it, the option encoder: any datagram the parser accepts
 * must have consistent option slots, and re-encoding its options into a
 * reply (splitting and overloading as needed) must parse back to the same
 * values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dhcp_msg m, m2;
static struct dhcp_out o;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t ok[256];
	uint32_t total = 0;
	unsigned int c;
	size_t len, len2;

	/* the first byte chooses the side: a server's or a client's parse */
	if (!size || (data[0] != BOOTREQUEST && data[0] != BOOTREPLY) ||
	    dhcp_parse(data, size, data[0], &m) != DHCP_OK)
		return 0;
	if (m.type < DHCPDISCOVER || m.type > DHCPINFORM)
		abort();
	for (c = 0; c < 256; c++) {
		if (!dhcp_has_opt(&m, (uint8_t)c))
			continue;
		if ((uint32_t)m.opt_off[c] + m.opt_len[c] > m.optbuf_used)
			abort();
		total += m.opt_len[c];
	}
	if (total != m.optbuf_used || total > size)
		abort();

	/* Re-encode: message type first, then every option in code order
	 * until one does not fit. */
	memset(ok, 0, sizeof(ok));
	dhcp_out_init(&o, &m, dhcp_reply_max(&m));
	if (dhcp_out_put_u8(&o, OPT_MSG_TYPE, m.type) < 0)
		abort();
	for (c = 1; c < 255; c++) {
		const uint8_t *v;

		if (c == OPT_MSG_TYPE || c == OPT_OVERLOAD ||
		    !dhcp_has_opt(&m, (uint8_t)c))
			continue;
		v = dhcp_opt(&m, (uint8_t)c, &len);
		if (dhcp_out_put(&o, (uint8_t)c, v, len) < 0)
			break;
		ok[c] = 1;
	}
	len = dhcp_out_finish(&o);
	if (len > o.max || len > sizeof(o.buf))
		abort();
	if (dhcp_parse(o.buf, len, BOOTREPLY, &m2) != DHCP_OK ||
	    m2.type != m.type)
		abort();
	for (c = 1; c < 255; c++) {
		const uint8_t *a, *b;

		if (!ok[c])
			continue;
		a = dhcp_opt(&m, (uint8_t)c, &len);
		b = dhcp_opt(&m2, (uint8_t)c, &len2);
		/* Zero-length options vanish only if never written. */
		if (!b || len != len2 || memcmp(a, b, len))
			abort();
	}
	if (memcmp(o.buf + 28, m.chaddr, 16) || m2.xid != m.xid)
		abort();
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the muisp-dhcpd option encoder alone, driven by a
 * small program: byte 0-1 = reply size limit, then (code, len16, data)
 * records.  Every option the encoder accepts must come back intact from
 * the parser, in the options field or the overloaded file/sname fields;
 * the reply never exceeds its size limit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dhcp_msg req, back;
static struct dhcp_out o;
static uint8_t want[256][DHCP_OPT_TOTAL];
static size_t wantlen[256];
static uint8_t used[256];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 2, max, len;
	unsigned int c;

	if (size < 2)
		return 0;
	memset(&req, 0, sizeof(req));
	req.htype = 1;
	req.hlen = 6;
	max = (size_t)(data[0] << 8 | data[1]);
	dhcp_out_init(&o, &req, max);
	memset(used, 0, sizeof(used));
	if (dhcp_out_put_u8(&o, OPT_MSG_TYPE, DHCPACK) < 0)
		abort();
	used[OPT_MSG_TYPE] = 1;
	want[OPT_MSG_TYPE][0] = DHCPACK;
	wantlen[OPT_MSG_TYPE] = 1;
	while (pos + 3 <= size) {
		uint8_t code = data[pos];

		len = (size_t)(data[pos + 1] << 8 | data[pos + 2]) % 1024;
		pos += 3;
		if (len > size - pos)
			len = size - pos;
		/* One record per code keeps the expectation simple; codes
		 * whose length the parser checks (53, 50, 54, 57, 61) are
		 * the server's to write, not arbitrary data. */
		if (code == OPT_MSG_TYPE || code == OPT_REQUESTED_IP ||
		    code == OPT_SERVER_ID || code == OPT_MAX_MSG_SIZE ||
		    code == OPT_CLIENT_ID) {
			pos += len;
			continue;
		}
		if (used[code] || code == OPT_PAD || code == OPT_END ||
		    code == OPT_OVERLOAD) {
			if (code == OPT_PAD || code == OPT_END ||
			    code == OPT_OVERLOAD) {
				if (dhcp_out_put(&o, code, data + pos, len) !=
				    -1)
					abort();
			}
			pos += len;
			continue;
		}
		if (dhcp_out_put(&o, code, data + pos, len) < 0)
			break; /* full: a partial record is not checked */
		used[code] = 1;
		memcpy(want[code], data + pos, len);
		wantlen[code] = len;
		pos += len;
	}
	len = dhcp_out_finish(&o);
	if (len > o.max)
		abort();
	if (dhcp_parse(o.buf, len, BOOTREPLY, &back) != DHCP_OK)
		abort();
	for (c = 1; c < 255; c++) {
		const uint8_t *v;
		size_t vl;

		if (!used[c])
			continue;
		v = dhcp_opt(&back, (uint8_t)c, &vl);
		if (!v || vl != wantlen[c] || memcmp(v, want[c], vl))
			abort();
	}
	return 0;
}

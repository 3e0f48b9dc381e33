// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for muisp-dhcpd's frame witnesses (witness.c): any
 * bytes as a packet from the packet socket either fail to parse or give a
 * UDP datagram lying inside them; a frame added to the ring is then taken
 * back by its datagram (once, with its MAC), and never by another.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/dhcpd/witness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct witness w;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mac[6] = { 2, 1, 2, 3, 4, 5 };
	struct udp4_frame f;
	uint8_t got[6];

	wit_init(&w);
	if (udp4_parse(data, size, &f) < 0)
		return 0;
	if (f.payload < data + 28 || f.payload + f.len > data + size)
		abort();
	wit_add(&w, &f, mac);
	/* Another source address, or a byte more: not this frame. */
	if (wit_take(&w, f.saddr ^ 1, f.daddr, f.sport, f.payload, f.len,
		     got) ||
	    (f.len && wit_take(&w, f.saddr, f.daddr, f.sport, f.payload,
			       f.len - 1, got)))
		abort();
	if (!wit_take(&w, f.saddr, f.daddr, f.sport, f.payload, f.len, got) ||
	    memcmp(got, mac, 6))
		abort();
	if (wit_take(&w, f.saddr, f.daddr, f.sport, f.payload, f.len, got))
		abort();
	return 0;
}

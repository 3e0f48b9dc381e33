/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which Ethernet source sent a DHCP datagram.  The server reads DHCP on
 * its UDP socket, after the IP stack (netfilter with muisp.ko's gate and
 * block list, the IPsec policy check, reassembly); a UDP socket does not
 * say which MAC a datagram came from.  The interface's packet socket
 * (io.c) sees the same frames first, with their source MAC: a "witness"
 * of each unfragmented IPv4/UDP frame to port 67.  For each UDP datagram
 * the server takes the oldest unused witness with the same IP source and
 * destination, UDP source port and payload; it is the frame the datagram
 * came in (the packet socket is an ETH_P_ALL tap, which the kernel hands
 * a frame to before IP: the witness is queued before the datagram; see
 * io.c open_packet, and io_recv for a frame late all the same).  No
 * witness (a fragmented datagram, a frame the packet socket dropped, a
 * ring overrun by frames that never reached the UDP socket): source
 * unknown, which the server treats as the least trusted source.
 *
 * Pure: no sockets here (io.c reads the packet socket), unit-tested and
 * fuzzed (fuzz_dhcp_frame).
 */
#ifndef MUISP_DHCPD_WITNESS_H
#define MUISP_DHCPD_WITNESS_H

#include <stddef.h>
#include <stdint.h>

#include "udp4.h"

#define WIT_SLOTS  256
#define WIT_PREFIX 600 /* payload bytes kept verbatim; the rest hashed */

struct wit_entry {
	uint32_t saddr, daddr;
	uint16_t sport;
	uint8_t used, mac[6];
	uint32_t len, hash; /* payload length, FNV-1a of all of it */
	uint8_t prefix[WIT_PREFIX];
};

struct witness {
	struct wit_entry e[WIT_SLOTS];
	uint32_t next; /* slot the next frame overwrites */
	uint64_t added, matched, evicted;
};

void wit_init(struct witness *w);
/* Record a frame from mac (the oldest entry goes if the ring is full). */
void wit_add(struct witness *w, const struct udp4_frame *f, const uint8_t *mac);
/* The oldest unused witness of this datagram: 1 and its MAC in mac (the
 * witness is used up), or 0. */
int wit_take(struct witness *w, uint32_t saddr, uint32_t daddr, uint16_t sport,
	     const uint8_t *payload, size_t len, uint8_t *mac);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IPv4/UDP packets as an AF_PACKET (SOCK_DGRAM) socket sends and receives
 * them, from the IP header on: DHCP's server (muisp-dhcpd answering a
 * client that has no address yet) and client (muisp-uinfod's users'
 * leases, beside the host's own client on port 68) both build and read
 * them here.  Pure: unit-tested and fuzzed (fuzz_dhcp_frame).
 */
#ifndef MUISP_UDP4_H
#define MUISP_UDP4_H

#include <stddef.h>
#include <stdint.h>

#include <linux/filter.h>

/* One IPv4/UDP datagram as seen on a packet socket. */
struct udp4_frame {
	uint32_t saddr, daddr; /* network order */
	uint16_t sport, dport; /* host order */
	const uint8_t *payload;
	size_t len; /* UDP payload length */
};

/*
 * Parse an IPv4 packet (from the IP header) carrying one unfragmented UDP
 * datagram.  0, or -1 if it is anything else (not IPv4, bad header
 * length, a fragment, not UDP, lengths that do not fit the buffer).
 * Checksums are not looked at: see udp4_sums_ok().
 */
int udp4_parse(const uint8_t *pkt, size_t len, struct udp4_frame *f);
/* Do a parsed packet's IP header checksum and, with udp, its UDP
 * checksum (when not 0) hold?  A packet socket gets frames before the IP
 * stack checks them; one the kernel marks as checksummed already, or as
 * not yet (a veth's, a virtual NIC's: PACKET_AUXDATA's
 * TP_STATUS_CSUM_VALID, TP_STATUS_CSUMNOTREADY), holds no UDP sum to
 * check. */
int udp4_sums_ok(const uint8_t *pkt, const struct udp4_frame *f, int udp);
/* IPv4 and UDP headers (TTL 64, no options, checksums) before len bytes
 * of payload into out: the packet's length, 0 when it does not fit max
 * or 65535.  src and dst in network order. */
size_t udp4_build(uint8_t *out, size_t max, uint32_t src, uint32_t dst,
		  uint16_t sport, uint16_t dport, const uint8_t *payload,
		  size_t len);

/*
 * A classic BPF program for a SOCK_DGRAM packet socket (offsets from the
 * IP header) into insn: frames to this host (unicast, broadcast,
 * multicast; not another host's seen in promiscuous mode) of EtherType
 * IPv4 (a socket bound to ETH_P_ALL sees every protocol) carrying IPv4,
 * UDP, not a fragment, to port dport.  Attach it before binding, so that
 * nothing else is queued first.
 */
#define UDP4_FILTER_LEN 16
void udp4_filter(struct sock_filter insn[UDP4_FILTER_LEN], uint16_t dport);

#endif

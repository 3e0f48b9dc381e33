/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sockets of one LAN interface.
 *
 * Receive: a UDP socket bound to 0.0.0.0:67 and to the interface
 * (SO_BINDTODEVICE), so requests from clients without an address
 * (source 0.0.0.0, destination 255.255.255.255) arrive through the normal
 * stack, and one socket per interface tells us where they came from.
 * Through the stack, a datagram has passed netfilter (muisp.ko's gate and
 * block list, the operator's rules), the IPsec inbound policy and
 * reassembly, and IP_PKTINFO gives its destination.  What the stack does
 * not give is the frame's Ethernet source: the packet socket below
 * receives a copy of every unfragmented IPv4/UDP frame to port 67 on the
 * interface (a classic BPF filter attached before the socket is bound, so
 * nothing else is queued to it; frames the kernel sends or that are not
 * for this host are left out), and io_recv() pairs each datagram with its
 * frame (witness.h).
 *
 * Send: relayed, renewing and broadcast replies go out of the same UDP
 * socket.  A unicast reply to a client that has no address yet (RFC 2131
 * 4.1: yiaddr at chaddr, broadcast bit clear) cannot go through the UDP
 * socket: the kernel would ARP for an address nobody answers for yet.
 * Like ISC dhcpd and Kea, we send it on an AF_PACKET (SOCK_DGRAM) socket
 * with IP and UDP headers built here, addressed to chaddr.  The other
 * option, dnsmasq's, inserts a neighbour entry with SIOCSARP and sends via
 * UDP; it needs CAP_NET_ADMIN and leaves entries in the ARP table, while
 * the packet socket needs only CAP_NET_RAW and touches no kernel state.
 * The same packet socket (SOCK_DGRAM, bound to ETH_P_ALL so that a frame
 * is queued to it before the IP stack sees it) receives the frames.
 */
#ifndef MUISP_DHCPD_IO_H
#define MUISP_DHCPD_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "server.h"

int io_open(struct srv_iface *ifc);
void io_close(struct srv_iface *ifc);
/* Primary IPv4 address of an interface (host order). */
int io_iface_addr(const char *name, uint32_t *addr);
/* How long a datagram waits for its frame when the packet socket has
 * none queued (microseconds). */
#define IO_WIT_WAIT_US 20000

/* One datagram and where it came from; returns its full length (may
 * exceed len: truncated by the buffer, the parser then drops it as
 * oversized), -1 EAGAIN when empty.  -1 EINPROGRESS: the next datagram's
 * frame is not on the packet socket yet; it is still queued, and the
 * caller comes back when the packet socket is readable or at
 * ifc->wit_wait (CLOCK_MONOTONIC, microseconds), whichever is first:
 * then the datagram's source is decided, unknown if its frame is still
 * missing. */
ssize_t io_recv(struct srv_iface *ifc, uint8_t *buf, size_t len,
		struct srv_src *src);
/* Microseconds left of the wait for a frame (0: none, or over). */
uint64_t io_wit_left(const struct srv_iface *ifc);
/* Read the frames queued on the packet socket (at most max) into the
 * witness ring; called when the UDP socket is empty, so that frames which
 * never become datagrams cannot fill the packet socket's queue. */
void io_drain_frames(struct srv_iface *ifc, unsigned int max);
int io_send(struct server *s, const struct reply *r);

#endif

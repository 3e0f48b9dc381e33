// SPDX-License-Identifier: GPL-2.0
/* Per-interface sockets: see io.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "log.h"
#include "udp4.h"
#include "witness.h"

#ifndef IP_RECVFRAGSIZE
#define IP_RECVFRAGSIZE 25
#endif

/*
 * Frames read while looking for one datagram's.  Its frame was queued
 * before it (open_packet), so the frames ahead of it are older: of
 * datagrams dropped on the way (a UDP queue that overflowed in a flood),
 * or a few of datagrams behind it when CPUs raced.  Up to WIT_SEARCH,
 * fewer than the ring holds, nothing the search reads pushes out another
 * it read.  Past that it searches on up to WIT_SEARCH_MAX (about as many
 * as the packet socket's queue holds) only if the packet socket dropped
 * nothing: then the frame is certainly ahead, and what is pushed out is
 * old.  If frames were dropped, the frame may be lost and the frames
 * after it belong to the datagrams that follow: the search stops.
 */
#define WIT_SEARCH     (WIT_SLOTS / 2)
#define WIT_SEARCH_MAX 4096

int io_iface_addr(const char *name, uint32_t *addr)
{
	struct ifreq ifr;
	int fd, ret;

	if (strlen(name) >= sizeof(ifr.ifr_name)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, name);
	ret = ioctl(fd, SIOCGIFADDR, &ifr);
	close(fd);
	if (ret < 0)
		return -1;
	*addr = ntohl(
		((struct sockaddr_in *)(void *)&ifr.ifr_addr)->sin_addr.s_addr);
	return 0;
}

/*
 * The packet socket: replies to clients without an address (sent with
 * sendto to chaddr) and the frames of requests.  Opened with protocol 0,
 * which receives nothing, filtered, then bound to the interface.
 *
 * Bound to ETH_P_ALL, not ETH_P_IP: the kernel hands a received frame to
 * the ETH_P_ALL taps before the protocol handlers, so the frame is on
 * this socket's queue before ip_rcv() even starts, let alone queues the
 * datagram to the UDP socket.  A socket bound to ETH_P_IP on one device
 * is a device-specific handler, called after ip_rcv() has returned: the
 * UDP socket had the datagram first, and a loop on another CPU could read
 * it while the frame was not queued yet (a datagram from a known MAC
 * taken as from the unknown source).  PACKET_IGNORE_OUTGOING keeps the
 * frames the host sends away from the socket (and from being cloned for
 * it); the filter drops them too.
 */
static int open_packet(struct srv_iface *ifc)
{
	struct sock_filter insn[UDP4_FILTER_LEN];
	struct sock_fprog prog = { .len = UDP4_FILTER_LEN, .filter = insn };
	struct sockaddr_ll ll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = ifc->ifindex,
	};
	int rcv = 2 << 20, one = 1;

	udp4_filter(insn, 67);
	ifc->pkt_fd =
		socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ifc->pkt_fd < 0)
		return -1;
	if (setsockopt(ifc->pkt_fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
		       sizeof(prog)) < 0)
		return -1;
	/*
	 * Deeper than the UDP socket's queue (see below), which
	 * net.core.rmem_max caps: in a burst the UDP socket must overflow
	 * first, or a datagram it kept has lost its witness and counts as
	 * from the unknown source.  SO_RCVBUFFORCE (CAP_NET_ADMIN, which
	 * the daemon has) passes the cap; without it, as deep as allowed.
	 */
	if (setsockopt(ifc->pkt_fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv,
		       sizeof(rcv)) < 0)
		setsockopt(ifc->pkt_fd, SOL_SOCKET, SO_RCVBUF, &rcv,
			   sizeof(rcv));
	if (setsockopt(ifc->pkt_fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
		       sizeof(one)) < 0)
		return -1;
	return bind(ifc->pkt_fd, (struct sockaddr *)&ll, sizeof(ll));
}

int io_open(struct srv_iface *ifc)
{
	const char *name = ifc->conf->name;
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(67) };
	int one = 1;

	ifc->udp_fd = ifc->pkt_fd = -1;
	ifc->wit = NULL;
	ifc->wit_wait = 0;
	ifc->ifindex = (int)if_nametoindex(name);
	if (!ifc->ifindex)
		return -1;
	ifc->wit = malloc(sizeof(*ifc->wit));
	if (!ifc->wit)
		return -1;
	wit_init(ifc->wit);
	ifc->udp_fd =
		socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ifc->udp_fd < 0)
		goto err;
	if (setsockopt(ifc->udp_fd, SOL_SOCKET, SO_REUSEADDR, &one,
		       sizeof(one)) < 0 ||
	    setsockopt(ifc->udp_fd, SOL_SOCKET, SO_BROADCAST, &one,
		       sizeof(one)) < 0 ||
	    setsockopt(ifc->udp_fd, SOL_SOCKET, SO_BINDTODEVICE, name,
		       (socklen_t)strlen(name)) < 0 ||
	    setsockopt(ifc->udp_fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) <
		    0 ||
	    bind(ifc->udp_fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		goto err;
	/* Tells a reassembled datagram (no frame of its own to match). */
	setsockopt(ifc->udp_fd, IPPROTO_IP, IP_RECVFRAGSIZE, &one, sizeof(one));
	/* Bursts (a LAN waking up) should queue, not drop: best effort,
	 * capped by net.core.rmem_max. */
	{
		int rcv = 1 << 20;

		setsockopt(ifc->udp_fd, SOL_SOCKET, SO_RCVBUF, &rcv,
			   sizeof(rcv));
	}
	if (open_packet(ifc) < 0)
		goto err;
	return 0;
err : {
	int saved = errno;

	io_close(ifc);
	errno = saved;
}
	return -1;
}

void io_close(struct srv_iface *ifc)
{
	if (ifc->udp_fd >= 0)
		close(ifc->udp_fd);
	if (ifc->pkt_fd >= 0)
		close(ifc->pkt_fd);
	ifc->udp_fd = ifc->pkt_fd = -1;
	free(ifc->wit);
	ifc->wit = NULL;
}

/* One frame from the packet socket into the ring: 1 read (kept or not),
 * 0 none queued. */
static int read_frame(struct srv_iface *ifc)
{
	uint8_t pkt[60 + 8 + DHCP_MAX_PACKET];
	struct sockaddr_ll ll;
	socklen_t sl = sizeof(ll);
	struct udp4_frame f;
	ssize_t n;

	n = recvfrom(ifc->pkt_fd, pkt, sizeof(pkt), MSG_DONTWAIT,
		     (struct sockaddr *)&ll, &sl);
	if (n < 0)
		return 0;
	if (sl < sizeof(ll) || ll.sll_halen != 6 ||
	    ll.sll_pkttype == PACKET_OUTGOING ||
	    ll.sll_pkttype == PACKET_OTHERHOST ||
	    udp4_parse(pkt, (size_t)n, &f) < 0 || f.dport != 67)
		return 1;
	wit_add(ifc->wit, &f, ll.sll_addr);
	return 1;
}

void io_drain_frames(struct srv_iface *ifc, unsigned int max)
{
	while (max-- > 0 && read_frame(ifc))
		;
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Frames the packet socket dropped (its queue full) since the last call:
 * a witness missing then may be lost, not late. */
static int frames_lost(struct srv_iface *ifc)
{
	struct { /* struct tpacket_stats (linux/if_packet.h) */
		unsigned int tp_packets, tp_drops;
	} st;
	socklen_t sl = sizeof(st);

	if (getsockopt(ifc->pkt_fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl) <
	    0)
		return 1;
	return st.tp_drops > 0;
}

/*
 * The datagram at the head of the UDP socket's queue is read with
 * MSG_PEEK and consumed only once its source is decided, so waiting for
 * its frame keeps nothing of ours: it stays where it is, and the
 * datagrams behind it wait with it (order kept, the queue the kernel's,
 * bounded by its buffer).
 */
ssize_t io_recv(struct srv_iface *ifc, uint8_t *buf, size_t len,
		struct srv_src *src)
{
	union {
		struct cmsghdr h;
		uint8_t b[CMSG_SPACE(sizeof(struct in_pktinfo)) +
			  CMSG_SPACE(sizeof(int))];
	} cbuf;
	struct sockaddr_in sin;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = {
		.msg_name = &sin,
		.msg_namelen = sizeof(sin),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf.b,
		.msg_controllen = sizeof(cbuf.b),
	};
	struct cmsghdr *c;
	int fragmented = 0, queued = 1;
	unsigned int k, limit;
	ssize_t n;

	memset(src, 0, sizeof(*src));
	n = recvmsg(ifc->udp_fd, &mh, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
	if (n < 0) {
		ifc->wit_wait = 0;
		return -1;
	}
	src->saddr = sin.sin_addr.s_addr;
	src->sport = ntohs(sin.sin_port);
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != IPPROTO_IP)
			continue;
		if (c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			src->daddr = pi.ipi_addr.s_addr;
		} else if (c->cmsg_type == IP_RECVFRAGSIZE) {
			fragmented = 1;
		}
	}
	/* Fragmented or cut short: no frame of its own, unknown. */
	if (!fragmented && (size_t)n <= len) {
		/* Its frame: in the ring, or on the packet socket's queue. */
		for (k = 0, limit = WIT_SEARCH;; k++) {
			if (wit_take(ifc->wit, src->saddr, src->daddr,
				     src->sport, buf, (size_t)n, src->mac)) {
				src->has_mac = 1;
				break;
			}
			if (k == limit) {
				if (limit == WIT_SEARCH_MAX || frames_lost(ifc))
					break;
				limit = WIT_SEARCH_MAX;
			}
			if (!(queued = read_frame(ifc)))
				break;
		}
		/*
		 * Not there and nothing more queued: the frame is late (see
		 * open_packet) unless the packet socket dropped some.  Wait
		 * for it a bounded time; the loop comes back when a frame
		 * is queued or at ifc->wit_wait.
		 */
		if (!src->has_mac && !queued) {
			uint64_t now = mono_us();

			if (!ifc->wit_wait && !frames_lost(ifc))
				ifc->wit_wait = now + IO_WIT_WAIT_US;
			if (ifc->wit_wait && now < ifc->wit_wait) {
				errno = EINPROGRESS;
				return -1;
			}
		}
	}
	ifc->wit_wait = 0;
	/* Decided: take it off the queue. */
	while (recv(ifc->udp_fd, NULL, 0, MSG_DONTWAIT | MSG_TRUNC) < 0 &&
	       errno == EINTR)
		;
	return n;
}

uint64_t io_wit_left(const struct srv_iface *ifc)
{
	uint64_t now = mono_us();

	return ifc->wit_wait > now ? ifc->wit_wait - now : 0;
}

int io_send(struct server *s, const struct reply *r)
{
	struct srv_iface *ifc = r->ifc;
	ssize_t n;

	if (r->l2) {
		uint8_t frame[20 + 8 + DHCP_MAX_PACKET];
		struct sockaddr_ll ll = {
			.sll_family = AF_PACKET,
			.sll_protocol = htons(ETH_P_IP),
			.sll_ifindex = ifc->ifindex,
			.sll_halen = 6,
		};
		size_t len;

		memcpy(ll.sll_addr, r->chaddr, 6);
		len = udp4_build(frame, sizeof(frame), htonl(ifc->server_id),
				 r->dst, 67, r->dport, r->buf, r->len);
		n = sendto(ifc->pkt_fd, frame, len, 0, (struct sockaddr *)&ll,
			   sizeof(ll));
	} else {
		struct sockaddr_in sin = { .sin_family = AF_INET,
					   .sin_port = htons(r->dport),
					   .sin_addr.s_addr = r->dst };

		n = sendto(ifc->udp_fd, r->buf, r->len, 0,
			   (struct sockaddr *)&sin, sizeof(sin));
	}
	if (n < 0) {
		log_warn("%s: send", ifc->conf->name);
		return -1;
	}
	return 0;
}

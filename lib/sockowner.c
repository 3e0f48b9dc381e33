// SPDX-License-Identifier: GPL-2.0
/*
 * The owner of a TCP connection or a UDP flow, asked of the kernel
 * (sockowner.h).
 *
 * Why sock_diag: the kernel's own socket table answers for the exact
 * 4-tuple (inet_diag's "dump one": the lookup the stack does for an
 * arriving packet), with the uid of the socket's file, in one request and
 * one reply.  Parsing /proc/net/tcp{,6} would read every socket of the
 * host as text to find one, racing with the table as it changes, and
 * would not see a dual-stack socket's IPv4 tuple under its IPv4 address.
 * Identd-style guessing from /proc/PID/fd is slower still and needs root.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "sockowner.h"

/* An inet_diag_msg and the few attributes the kernel adds unasked. */
#define REPLY_MAX 8192

static uint32_t next_seq;

/* The reply in buf (n bytes) to the request seq from portid: 0 with *uid,
 * or -errno. */
static int owner_parse(const void *buf, size_t n, uint32_t seq, uint32_t portid,
		       int proto, uint16_t lport, uint16_t rport, uid_t *uid)
{
	const struct nlmsghdr *nlh = buf;
	int len = (int)n;

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		const struct inet_diag_msg *r;

		if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != portid)
			continue; /* not the answer to ours */
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
				return -EPROTO;
			/* 0 would be an ack, which was not asked for */
			return e->error < 0 ? e->error : -EPROTO;
		}
		if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
			continue;
		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*r))
			return -EPROTO;
		r = mnl_nlmsg_get_payload(nlh);
		/*
		 * The socket's own names: a bound, unconnected UDP socket has
		 * no remote port (0), and is the one the datagram reaches.
		 */
		if (r->id.idiag_sport != htons(lport) ||
		    (r->id.idiag_dport != htons(rport) &&
		     (proto != IPPROTO_UDP || r->id.idiag_dport)))
			return -EPROTO; /* not the socket asked for */
		/*
		 * No file, no owner: a TIME_WAIT or orphaned socket (closed
		 * by its process), or a connection not yet accepted.  The
		 * kernel says uid 0 for them, which is not who opened it.
		 */
		if (!r->idiag_inode)
			return -ENOENT;
		*uid = (uid_t)r->idiag_uid;
		return 0;
	}
	return -EPROTO;
}

int sock_owner(int proto, int family, const void *laddr, uint16_t lport,
	       const void *raddr, uint16_t rport, uid_t *uid)
{
	union {
		struct nlmsghdr h;
		char b[MNL_ALIGN(sizeof(struct nlmsghdr)) +
		       MNL_ALIGN(sizeof(struct inet_diag_req_v2))];
	} q;
	union {
		struct nlmsghdr h;
		char b[REPLY_MAX];
	} a;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = SOCK_OWNER_TIMEOUT_MS / 1000,
			      .tv_usec = SOCK_OWNER_TIMEOUT_MS % 1000 * 1000 };
	struct iovec iov = { a.b, sizeof(a.b) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct inet_diag_req_v2 *req;
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	size_t alen;
	uint32_t portid;
	ssize_t n;
	int fd, rc;

	if (family == AF_INET)
		alen = 4;
	else if (family == AF_INET6)
		alen = 16;
	else
		return -EAFNOSUPPORT;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return -EPROTONOSUPPORT;

	memset(&q, 0, sizeof(q));
	nlh = mnl_nlmsg_put_header(q.b);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST; /* no DUMP: the one socket */
	nlh->nlmsg_seq = ++next_seq ? next_seq : ++next_seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = (uint8_t)family;
	req->sdiag_protocol = (uint8_t)proto;
	req->idiag_states = ~0u;
	if (proto == IPPROTO_TCP) {
		/* the kernel's names: src and sport are the socket's own end */
		req->id.idiag_sport = htons(lport);
		req->id.idiag_dport = htons(rport);
		memcpy(req->id.idiag_src, laddr, alen);
		memcpy(req->id.idiag_dst, raddr, alen);
	} else {
		/*
		 * UDP's lookup takes them the other way round ("swapped for
		 * historical reasons", udp_dump_one()): the socket that a
		 * datagram from the remote end would reach, which is the one
		 * that sent, connected or not.
		 */
		req->id.idiag_sport = htons(rport);
		req->id.idiag_dport = htons(lport);
		memcpy(req->id.idiag_src, raddr, alen);
		memcpy(req->id.idiag_dst, laddr, alen);
	}
	req->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;

	nl = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	fd = mnl_socket_get_fd(nl);
	/* connected to the kernel: nobody else can send us a datagram */
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    connect(fd, (struct sockaddr *)&kernel, sizeof(kernel)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		rc = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	n = send(fd, nlh, nlh->nlmsg_len, 0);
	if (n != (ssize_t)nlh->nlmsg_len) {
		rc = n < 0 ? -errno : -EIO;
		goto out;
	}
	do
		n = recvmsg(fd, &msg, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		rc = errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT :
							       -errno;
		goto out;
	}
	if (msg.msg_flags & MSG_TRUNC) {
		rc = -EMSGSIZE;
		goto out;
	}
	rc = owner_parse(a.b, (size_t)n, nlh->nlmsg_seq, portid, proto, lport,
			 rport, uid);
out:
	mnl_socket_close(nl);
	return rc;
}

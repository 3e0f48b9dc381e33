// SPDX-License-Identifier: GPL-2.0
/*
 * The NFQUEUE client (nfq.h): nfnetlink_queue's few messages, built and
 * read with libmnl (libnetfilter_queue would be one more dependency for
 * a bind, a verdict and a parser).
 *
 * The bind is one request, acknowledged: NFQNL_CFG_CMD_BIND with the copy
 * mode, the queue's length and the flags.  The per-family commands
 * (NFQNL_CFG_CMD_PF_BIND/PF_UNBIND) that older examples send first have
 * done nothing since Linux 3.8 (one queue handler for every family), on
 * 6.1 as on newer lines, and are not sent.
 *
 * The socket is connected to the kernel, so that no other program can
 * send us a forged packet message (whose id we would give a verdict for).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/capability.h>
#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>

#include "nfq.h"

/* The kernel's packet messages hold us a burst of headers while the
 * event loop is busy elsewhere. */
#define NFQ_RCVBUF (1 << 20)
/* One datagram, one message: headers, a dozen small attributes and at
 * most NFQ_COPY_RANGE bytes of packet come to a few hundred bytes.
 * NFQ_MMSG of them are read with one system call. */
#define NFQ_BUF	 2048
#define NFQ_MMSG 16
/* The kernel acknowledges within its sendmsg; this is for a lost answer. */
#define NFQ_ACK_MS 1000
/* The kernel's internal "not supported" (ENOTSUPP), seen by userspace. */
#define KERNEL_ENOTSUPP 524
/* Verdicts gathered between nfq_batch_begin and _end: one sendmsg for
 * a burst's worth (a verdict message is 32 bytes). */
#define NFQ_VBUF 8192

#define NFQ_MSG(m) ((NFNL_SUBSYS_QUEUE << 8) | (m))

struct nfq {
	struct mnl_socket *nl;
	uint32_t seq;
	uint16_t num;
	int batching;
	size_t vlen;
	union {
		struct nlmsghdr h; /* aligned for the headers in it */
		char b[NFQ_BUF];
	} buf[NFQ_MMSG];
	union {
		struct nlmsghdr h;
		char b[NFQ_VBUF];
	} vbuf;
};

int nfq_parse(const void *msg, size_t len, struct nfq_pkt *p)
{
	const struct nlattr *hdr = NULL, *data = NULL, *cap = NULL;
	const struct nfqnl_msg_packet_hdr *ph;
	const struct nlmsghdr *nlh = msg;
	const struct nfgenmsg *g;
	const uint8_t *b = msg;
	size_t end, off;
	uint32_t plen;

	memset(p, 0, sizeof(*p));
	if (len < NLMSG_HDRLEN || nlh->nlmsg_len < NLMSG_HDRLEN ||
	    nlh->nlmsg_len > len)
		return -EINVAL;
	if (nlh->nlmsg_type != NFQ_MSG(NFQNL_MSG_PACKET))
		return -ENOMSG;
	/*
	 * The message's own length, not padded up: the kernel does not pad
	 * the last attribute (the packet), so NLMSG_ALIGN(nlmsg_len), which
	 * libmnl's attribute walk reads to, may lie past what was received.
	 */
	end = nlh->nlmsg_len;
	off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*g));
	if (end < off)
		return -EINVAL;
	g = (const struct nfgenmsg *)(b + NLMSG_HDRLEN);
	while (off < end && end - off >= NLA_HDRLEN) {
		const struct nlattr *a = (const struct nlattr *)(b + off);

		if (a->nla_len < NLA_HDRLEN || a->nla_len > end - off)
			return -EINVAL; /* truncated */
		switch (mnl_attr_get_type(a)) {
		case NFQA_PACKET_HDR:
			hdr = a;
			break;
		case NFQA_PAYLOAD:
			data = a;
			break;
		case NFQA_CAP_LEN:
			cap = a;
			break;
		}
		off += NLA_ALIGN(a->nla_len);
	}
	if (off < end) /* a few bytes that are no attribute */
		return -EINVAL;
	if (!hdr ||
	    mnl_attr_get_payload_len(hdr) < sizeof(struct nfqnl_msg_packet_hdr))
		return -EINVAL;
	if (cap && mnl_attr_get_payload_len(cap) != sizeof(uint32_t))
		return -EINVAL;
	ph = mnl_attr_get_payload(hdr);
	p->id = ntohl(ph->packet_id);
	p->hw_proto = ntohs(ph->hw_protocol);
	/* the family the hook ran for says it as well */
	if (!p->hw_proto && g->nfgen_family == NFPROTO_IPV4)
		p->hw_proto = ETH_P_IP;
	else if (!p->hw_proto && g->nfgen_family == NFPROTO_IPV6)
		p->hw_proto = ETH_P_IPV6;
	plen = data ? mnl_attr_get_payload_len(data) : 0;
	if (plen) {
		p->payload = mnl_attr_get_payload(data);
		/* we asked for no more; a longer copy is read no further */
		p->len = plen < NFQ_COPY_RANGE ? plen : NFQ_COPY_RANGE;
	}
	p->orig_len = plen;
	if (cap) {
		p->orig_len = ntohl(mnl_attr_get_u32(cap));
		if (p->orig_len < plen) { /* shorter than what was copied */
			memset(p, 0, sizeof(*p));
			return -EINVAL;
		}
	}
	return 0;
}

static struct nlmsghdr *nfq_header(void *buf, uint16_t num, uint8_t msg,
				   uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;

	nlh->nlmsg_type = NFQ_MSG(msg);
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	g->res_id = htons(num);
	return nlh;
}

/* One datagram of len bytes (messages, one or more): 0 or -errno. */
static int nfq_send_buf(struct nfq *q, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = mnl_socket_sendto(q->nl, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

static int nfq_send(struct nfq *q, const struct nlmsghdr *nlh)
{
	return nfq_send_buf(q, nlh, nlh->nlmsg_len);
}

#define VERDICT_LEN                                              \
	(MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg)) + \
	 MNL_ATTR_HDRLEN + MNL_ALIGN(sizeof(struct nfqnl_msg_verdict_hdr)))

/* The verdicts gathered, in one datagram: nfnetlink runs each message
 * of it in turn, in order. */
static int nfq_send_batch(struct nfq *q)
{
	size_t len = q->vlen;

	q->vlen = 0;
	return len ? nfq_send_buf(q, q->vbuf.b, len) : 0;
}

static int nfq_send_verdict(struct nfq *q, uint32_t id, uint32_t verdict)
{
	union {
		struct nlmsghdr h;
		char b[VERDICT_LEN];
	} m;
	struct nfqnl_msg_verdict_hdr v = { .verdict = htonl(verdict),
					   .id = htonl(id) };
	struct nlmsghdr *nlh;
	int r;

	if (q->batching) {
		if (q->vlen + VERDICT_LEN > sizeof(q->vbuf.b)) {
			r = nfq_send_batch(q);
			if (r < 0)
				return r;
		}
		nlh = nfq_header(q->vbuf.b + q->vlen, q->num, NFQNL_MSG_VERDICT,
				 0, 0);
		mnl_attr_put(nlh, NFQA_VERDICT_HDR, sizeof(v), &v);
		q->vlen += MNL_ALIGN(nlh->nlmsg_len);
		return 0;
	}
	nlh = nfq_header(m.b, q->num, NFQNL_MSG_VERDICT, 0, 0);
	mnl_attr_put(nlh, NFQA_VERDICT_HDR, sizeof(v), &v);
	return nfq_send(q, nlh);
}

void nfq_batch_begin(struct nfq *q)
{
	q->batching = 1;
}

int nfq_batch_end(struct nfq *q, int drop)
{
	struct nlmsghdr *nlh = &q->vbuf.h;
	int left = (int)q->vlen;

	q->batching = 0;
	for (; drop && mnl_nlmsg_ok(nlh, left);
	     nlh = mnl_nlmsg_next(nlh, &left)) {
		struct nfqnl_msg_verdict_hdr *v = mnl_attr_get_payload(
			mnl_nlmsg_get_payload_offset(nlh,
						     sizeof(struct nfgenmsg)));

		v->verdict = htonl(NF_DROP);
	}
	return nfq_send_batch(q);
}

int nfq_verdict(struct nfq *q, uint32_t id, int accept)
{
	return nfq_send_verdict(q, id, accept ? NF_ACCEPT : NF_DROP);
}

int nfq_repeat(struct nfq *q, uint32_t id)
{
	return nfq_send_verdict(q, id, NF_REPEAT);
}

/*
 * The answer to request seq in one datagram: 1 if it is not there, else
 * its error (0: acknowledged).  A packet queued between the bind and its
 * acknowledgement comes before the latter; nobody could be given it
 * (nfq_open has not returned), so it goes round its hook again
 * (NF_REPEAT), to be queued anew, after the acknowledgement.
 */
static int nfq_ack_in(struct nfq *q, size_t n, uint32_t seq)
{
	const struct nlmsghdr *nlh = &q->buf[0].h;
	int left = (int)n;
	struct nfq_pkt p;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		const struct nlmsgerr *e;

		if (nfq_parse(nlh, nlh->nlmsg_len, &p) == 0) {
			nfq_send_verdict(q, p.id, NF_REPEAT);
			continue;
		}
		if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_seq != seq)
			continue;
		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
			return -EPROTO;
		e = mnl_nlmsg_get_payload(nlh);
		return e->error > 0 ? -EPROTO : e->error;
	}
	return 1;
}

/* Send the configuration request nlh (NLM_F_ACK) and wait for its answer:
 * 0 or the kernel's -errno. */
static int nfq_request(struct nfq *q, struct nlmsghdr *nlh)
{
	int fd = mnl_socket_get_fd(q->nl), rc;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	rc = nfq_send(q, nlh);
	if (rc < 0)
		return rc;
	for (;;) {
		n = recv(fd, q->buf[0].b, sizeof(q->buf[0].b), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			rc = poll(&pfd, 1, NFQ_ACK_MS);
			if (rc < 0 && errno != EINTR)
				return -errno;
			if (rc == 0)
				return -ETIMEDOUT;
			continue;
		}
		if (n < 0)
			return -errno; /* ENOBUFS: the answer may be lost */
		rc = nfq_ack_in(q, (size_t)n, nlh->nlmsg_seq);
		if (rc <= 0)
			return rc;
	}
}

/*
 * Who has queue num in our namespace, from the kernel's table: 1 and
 * *port if someone has, 0 if nobody, -1 if the table cannot be read
 * (-ENOENT in *err: no nfnetlink_queue in this kernel).
 */
static int nfq_owner(uint16_t num, uint32_t *port, int *err)
{
	unsigned int n, pid;
	char line[128];
	int found = 0;
	FILE *f;

	f = fopen("/proc/thread-self/net/netfilter/nfnetlink_queue", "re");
	if (!f) {
		*err = -errno;
		return -1;
	}
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%u %u", &n, &pid) == 2 && n == num) {
			*port = pid;
			found = 1;
		}
	fclose(f);
	return found;
}

/* Whether we have CAP_NET_ADMIN (in our own user namespace): 1, 0, or -1
 * if the kernel would not say. */
static int nfq_net_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	return !!(d[CAP_TO_INDEX(CAP_NET_ADMIN)].effective &
		  CAP_TO_MASK(CAP_NET_ADMIN));
}

/*
 * The bind's failure e (-errno), in words.  The kernel says EPERM both
 * for a queue bound by another socket and for a caller without
 * CAP_NET_ADMIN: its table of queues tells them apart where it can be
 * read (root), our capabilities where it cannot.
 */
static void nfq_why(uint16_t num, int e, char *err, size_t errlen)
{
	uint32_t port = 0;
	int ferr = 0, who = nfq_owner(num, &port, &ferr);
	int cap = e == -EPERM ? nfq_net_admin() : -1;

	if (e == -EPERM && who == 1)
		snprintf(err, errlen,
			 "queue %u is bound by another program (netlink port "
			 "%u)",
			 num, port);
	else if (e == -EBUSY || (e == -EPERM && who < 0 && cap == 1))
		snprintf(err, errlen, "queue %u is bound by another program",
			 num);
	else if (e == -EPERM && cap == 0)
		snprintf(err, errlen,
			 "binding queue %u: not permitted (CAP_NET_ADMIN is "
			 "needed)",
			 num);
	else if ((e == -EINVAL || e == -ENOENT || e == -EOPNOTSUPP ||
		  e == -KERNEL_ENOTSUPP) &&
		 who < 0 && ferr == -ENOENT)
		/* nfnetlink answers EINVAL for a subsystem it does not have */
		snprintf(err, errlen, "nfnetlink_queue not available");
	else if (e == -ETIMEDOUT)
		snprintf(err, errlen,
			 "binding queue %u: the kernel did not answer", num);
	else
		snprintf(err, errlen, "binding queue %u: %s", num,
			 e == -KERNEL_ENOTSUPP ? "not supported by the kernel" :
						 strerror(-e));
}

/* A receive buffer of NFQ_RCVBUF: forced past net.core.rmem_max if we may
 * (CAP_NET_ADMIN in the initial namespace), else as much as it allows. */
static void nfq_rcvbuf(int fd)
{
	int sz = NFQ_RCVBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
}

struct nfq *nfq_open(uint16_t num, uint32_t maxlen, char *err, size_t errlen)
{
	union {
		struct nlmsghdr h;
		char b[256];
	} m;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct nfqnl_msg_config_cmd cmd = { .command = NFQNL_CFG_CMD_BIND };
	struct nfqnl_msg_config_params params = {
		.copy_range = htonl(NFQ_COPY_RANGE),
		.copy_mode = NFQNL_COPY_PACKET,
	};
	struct nlmsghdr *nlh;
	struct nfq *q;
	int fd, rc;

	if (!maxlen) {
		snprintf(err, errlen, "queue %u: a length of 0 holds nothing",
			 num);
		return NULL;
	}
	q = calloc(1, sizeof(*q));
	if (!q) {
		snprintf(err, errlen, "queue %u: %s", num, strerror(errno));
		return NULL;
	}
	q->num = num;
	q->nl = mnl_socket_open2(NETLINK_NETFILTER,
				 SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!q->nl) {
		rc = errno;
		if (rc == EPROTONOSUPPORT || rc == ENOENT)
			snprintf(err, errlen,
				 "nfnetlink_queue not available "
				 "(no netfilter netlink in this kernel)");
		else
			snprintf(err, errlen, "queue %u: netlink socket: %s",
				 num, strerror(rc));
		free(q);
		return NULL;
	}
	fd = mnl_socket_get_fd(q->nl);
	if (mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    connect(fd, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		snprintf(err, errlen, "queue %u: netlink socket: %s", num,
			 strerror(errno));
		goto fail;
	}
	nfq_rcvbuf(fd);

	/* bind, copy mode, length and flags at once: the kernel applies
	 * them in this order within the one request */
	nlh = nfq_header(m.b, num, NFQNL_MSG_CONFIG, NLM_F_ACK, ++q->seq);
	mnl_attr_put(nlh, NFQA_CFG_CMD, sizeof(cmd), &cmd);
	mnl_attr_put(nlh, NFQA_CFG_PARAMS, sizeof(params), &params);
	mnl_attr_put_u32(nlh, NFQA_CFG_QUEUE_MAXLEN, htonl(maxlen));
	/* GSO packets whole (we read headers only), and not FAIL_OPEN: a
	 * full queue drops rather than lets through */
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_GSO));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK,
			 htonl(NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN));
	rc = nfq_request(q, nlh);
	if (rc < 0) {
		nfq_why(num, rc, err, errlen);
		goto fail;
	}
	return q;
fail:
	mnl_socket_close(q->nl);
	free(q);
	return NULL;
}

int nfq_fd(const struct nfq *q)
{
	return mnl_socket_get_fd(q->nl);
}

uint16_t nfq_num(const struct nfq *q)
{
	return q->num;
}

int nfq_receive(struct nfq *q, nfq_pkt_fn cb, void *arg)
{
	int fd = mnl_socket_get_fd(q->nl), count = 0, lost = 0, i = 0;
	struct mmsghdr mm[NFQ_MMSG];
	struct iovec iov[NFQ_MMSG];

	while (i < NFQ_RECV_MAX) {
		int n;

		memset(mm, 0, sizeof(mm));
		for (int k = 0; k < NFQ_MMSG; k++) {
			iov[k].iov_base = q->buf[k].b;
			iov[k].iov_len = sizeof(q->buf[k].b);
			mm[k].msg_hdr.msg_iov = &iov[k];
			mm[k].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(fd, mm, NFQ_MMSG, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			i++;
			if (errno == ENOBUFS) {
				/* said once per overflow; what is queued
				 * after it is still to be read */
				lost = 1;
				continue;
			}
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int k = 0; k < n; k++) {
			const struct nlmsghdr *nlh = &q->buf[k].h;
			int left = (int)mm[k].msg_len;
			struct nfq_pkt p;

			/* cannot be (NFQ_BUF): a message cut short is not
			 * read */
			if (mm[k].msg_hdr.msg_flags & MSG_TRUNC)
				continue;
			for (; mnl_nlmsg_ok(nlh, left);
			     nlh = mnl_nlmsg_next(nlh, &left)) {
				/* NLMSG_ERROR: a verdict for an id no longer
				 * held */
				if (nfq_parse(nlh, nlh->nlmsg_len, &p) == 0) {
					cb(arg, &p);
					count++;
				}
			}
		}
		i += n;
		/* fewer than asked for: the socket was empty (an error after
		 * them is said by the next call, and the socket stays
		 * readable for it), so no call just to hear EAGAIN */
		if (n < NFQ_MMSG)
			break;
	}
	return lost ? -ENOBUFS : count;
}

void nfq_close(struct nfq *q)
{
	union {
		struct nlmsghdr h;
		char b[64];
	} m;
	struct nfqnl_msg_config_cmd cmd = { .command = NFQNL_CFG_CMD_UNBIND };
	struct nlmsghdr *nlh;

	if (!q)
		return;
	/* Closing alone would do (the kernel unbinds a closed socket's
	 * queues); said so that it is done now, not when the last
	 * reference to the socket goes. */
	nlh = nfq_header(m.b, q->num, NFQNL_MSG_CONFIG, 0, ++q->seq);
	mnl_attr_put(nlh, NFQA_CFG_CMD, sizeof(cmd), &cmd);
	nfq_send(q, nlh);
	mnl_socket_close(q->nl);
	free(q);
}

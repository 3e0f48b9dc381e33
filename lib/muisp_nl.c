// SPDX-License-Identifier: GPL-2.0
/* Generic-netlink client of the muisp family: see muisp_nl.h. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "muisp_nl.h"

/* The kernel sizes dump skbs after our receive buffer, up to 32 KiB. */
#define RBUF_SIZE 32768
#define SBUF_SIZE 16384
/* Posted requests waiting for muisp_nl_flush (a verdict is ~80 bytes). */
#define PBUF_SIZE 8192
/* How long a request waits for the kernel on a non-blocking handle. */
#define REPLY_TIMEOUT_MS 10000

struct muisp_nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	unsigned int flags;
	int joined;
	unsigned int restarts;
	struct muisp_nl_family fam;
	struct muisp_nl_ext ext;
	size_t plen;
	char sbuf[SBUF_SIZE] __attribute__((aligned(8)));
	char rbuf[RBUF_SIZE] __attribute__((aligned(8)));
	char pbuf[PBUF_SIZE] __attribute__((aligned(8)));
};

static void ext_clear(struct muisp_nl_ext *ext)
{
	ext->error = 0;
	ext->msg[0] = '\0';
	ext->attr = -1;
	ext->missing = -1;
}

int muisp_nl_attr_at(const struct nlmsghdr *req, uint32_t off)
{
	const struct nlattr *attr;

	if (!req || off >= req->nlmsg_len ||
	    req->nlmsg_len < MNL_NLMSG_HDRLEN + MUISP_NL_HDRLEN)
		return -1;
	mnl_attr_for_each(attr, req, MUISP_NL_HDRLEN)
	{
		uint32_t start =
			(uint32_t)((const char *)attr - (const char *)req);

		if (off >= start && off < start + attr->nla_len)
			return mnl_attr_get_type(attr);
	}
	return -1;
}

struct ext_ctx {
	const struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
};

static int ext_attr_cb(const struct nlattr *attr, void *data)
{
	struct ext_ctx *c = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, NLMSGERR_ATTR_MAX) < 0)
		return MNL_CB_OK; /* newer kernel: ignore */
	switch (type) {
	case NLMSGERR_ATTR_MSG:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		break;
	case NLMSGERR_ATTR_OFFS:
	case NLMSGERR_ATTR_MISS_TYPE:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		break;
	default:
		return MNL_CB_OK;
	}
	c->tb[type] = attr;
	return MNL_CB_OK;
}

int muisp_nl_parse_ext(const struct nlmsghdr *nlh, const struct nlmsghdr *req,
		       struct muisp_nl_ext *ext)
{
	const char *payload = mnl_nlmsg_get_payload(nlh);
	size_t plen, off;
	struct ext_ctx c;
	int error;

	ext_clear(ext);
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN)
		goto bad;
	plen = mnl_nlmsg_get_payload_len(nlh);
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *err = (const void *)payload;

		if (plen < sizeof(*err))
			goto bad;
		error = err->error;
		if (nlh->nlmsg_flags & NLM_F_CAPPED)
			off = sizeof(*err);
		else
			off = sizeof(int) + MNL_ALIGN(err->msg.nlmsg_len);
	} else if (nlh->nlmsg_type == NLMSG_DONE) {
		if (plen < sizeof(int)) /* very old kernels: bare DONE */
			return 0;
		memcpy(&error, payload, sizeof(error));
		off = MNL_ALIGN(sizeof(int));
	} else {
		goto bad;
	}
	if (error > 0 || error < -4095)
		goto bad;
	ext->error = -error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || off >= plen)
		return 0;

	memset(&c, 0, sizeof(c));
	if (mnl_attr_parse_payload(payload + off, plen - off, ext_attr_cb, &c) <
	    0)
		goto bad;
	if (c.tb[NLMSGERR_ATTR_MSG]) {
		const char *s = mnl_attr_get_str(c.tb[NLMSGERR_ATTR_MSG]);
		size_t n = strnlen(s, sizeof(ext->msg) - 1);

		memcpy(ext->msg, s, n);
		ext->msg[n] = '\0';
	}
	if (c.tb[NLMSGERR_ATTR_OFFS])
		ext->attr = muisp_nl_attr_at(
			req, mnl_attr_get_u32(c.tb[NLMSGERR_ATTR_OFFS]));
	if (c.tb[NLMSGERR_ATTR_MISS_TYPE])
		ext->missing =
			(int)mnl_attr_get_u32(c.tb[NLMSGERR_ATTR_MISS_TYPE]);
	return 0;
bad:
	ext_clear(ext);
	errno = EBADMSG;
	return -1;
}

static int grp_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, CTRL_ATTR_MCAST_GRP_MAX) < 0)
		return MNL_CB_OK;
	switch (type) {
	case CTRL_ATTR_MCAST_GRP_NAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		break;
	case CTRL_ATTR_MCAST_GRP_ID:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		break;
	default:
		return MNL_CB_OK;
	}
	tb[type] = attr;
	return MNL_CB_OK;
}

static int fam_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, CTRL_ATTR_MAX) < 0)
		return MNL_CB_OK;
	switch (type) {
	case CTRL_ATTR_FAMILY_NAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		break;
	case CTRL_ATTR_FAMILY_ID:
		if (mnl_attr_validate(attr, MNL_TYPE_U16) < 0)
			return MNL_CB_ERROR;
		break;
	case CTRL_ATTR_VERSION:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		break;
	case CTRL_ATTR_MCAST_GROUPS:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
			return MNL_CB_ERROR;
		break;
	default:
		return MNL_CB_OK;
	}
	tb[type] = attr;
	return MNL_CB_OK;
}

int muisp_nl_parse_family(const struct nlmsghdr *nlh,
			  struct muisp_nl_family *fam)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1] = { 0 };
	const struct nlattr *grp;

	memset(fam, 0, sizeof(*fam));
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MUISP_NL_HDRLEN ||
	    mnl_attr_parse(nlh, MUISP_NL_HDRLEN, fam_attr_cb, tb) < 0 ||
	    !tb[CTRL_ATTR_FAMILY_ID])
		goto bad;
	fam->id = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (tb[CTRL_ATTR_FAMILY_NAME])
		strncpy(fam->name, mnl_attr_get_str(tb[CTRL_ATTR_FAMILY_NAME]),
			sizeof(fam->name) - 1);
	if (tb[CTRL_ATTR_VERSION])
		fam->version = mnl_attr_get_u32(tb[CTRL_ATTR_VERSION]);
	if (!tb[CTRL_ATTR_MCAST_GROUPS])
		return 0;
	mnl_attr_for_each_nested(grp, tb[CTRL_ATTR_MCAST_GROUPS])
	{
		const struct nlattr *gtb[CTRL_ATTR_MCAST_GRP_MAX + 1] = { 0 };
		unsigned int i = fam->ngroups;

		if (mnl_attr_parse_nested(grp, grp_attr_cb, gtb) < 0)
			goto bad;
		if (!gtb[CTRL_ATTR_MCAST_GRP_NAME] ||
		    !gtb[CTRL_ATTR_MCAST_GRP_ID])
			goto bad;
		if (i == MUISP_NL_MAX_GROUPS)
			break;
		strncpy(fam->groups[i].name,
			mnl_attr_get_str(gtb[CTRL_ATTR_MCAST_GRP_NAME]),
			sizeof(fam->groups[i].name) - 1);
		fam->groups[i].id =
			mnl_attr_get_u32(gtb[CTRL_ATTR_MCAST_GRP_ID]);
		fam->ngroups++;
	}
	return 0;
bad:
	memset(fam, 0, sizeof(*fam));
	errno = EBADMSG;
	return -1;
}

int muisp_nl_parse_ctrl(const struct nlmsghdr *nlh, const char *name,
			struct muisp_nl_family *fam)
{
	uint8_t cmd;

	memset(fam, 0, sizeof(*fam));
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MUISP_NL_HDRLEN) {
		errno = EBADMSG;
		return -1;
	}
	if (nlh->nlmsg_type != GENL_ID_CTRL)
		return 0;
	cmd = muisp_nl_cmd(nlh);
	if (cmd != CTRL_CMD_NEWFAMILY && cmd != CTRL_CMD_DELFAMILY)
		return 0;
	if (muisp_nl_parse_family(nlh, fam) < 0)
		return -1;
	if (strcmp(fam->name, name) != 0) {
		memset(fam, 0, sizeof(*fam));
		return 0;
	}
	return cmd;
}

/* Receive one datagram from the kernel into nl->rbuf; drops anything sent
 * by another socket (a local process can unicast to our port id). */
static ssize_t nl_recv(struct muisp_nl *nl, int wait)
{
	struct sockaddr_nl addr;
	struct iovec iov = { nl->rbuf, sizeof(nl->rbuf) };
	struct msghdr msg = {
		.msg_name = &addr,
		.msg_namelen = sizeof(addr),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	int fd = mnl_socket_get_fd(nl->sock);
	ssize_t n;

	for (;;) {
		msg.msg_namelen = sizeof(addr);
		n = recvmsg(fd, &msg, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN && wait) {
				struct pollfd p = { .fd = fd,
						    .events = POLLIN };
				int r = poll(&p, 1, REPLY_TIMEOUT_MS);

				if (r < 0 && errno != EINTR)
					return -1;
				if (r == 0) {
					errno = ETIMEDOUT;
					return -1;
				}
				continue;
			}
			return -1;
		}
		if (msg.msg_flags & MSG_TRUNC) {
			errno = EMSGSIZE;
			return -1;
		}
		if (msg.msg_namelen != sizeof(addr) || addr.nl_pid != 0)
			continue;
		return n;
	}
}

static void nl_seq(struct muisp_nl *nl, struct nlmsghdr *nlh)
{
	nlh->nlmsg_seq = ++nl->seq;
	if (nl->seq == 0) /* 0 is the seq of notifications */
		nlh->nlmsg_seq = ++nl->seq;
	nlh->nlmsg_pid = 0;
}

static int nl_send(struct muisp_nl *nl, struct nlmsghdr *nlh)
{
	nl_seq(nl, nlh);
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -1;
	return 0;
}

/* mnl_nlmsg_ok() compares nlmsg_len as an int: a length above INT_MAX
 * passes.  These do the walk with unsigned sizes. */
static int msg_ok(const struct nlmsghdr *nlh, size_t left)
{
	return left >= sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= left;
}

static const struct nlmsghdr *msg_next(const struct nlmsghdr *nlh, size_t *left)
{
	size_t step = MNL_ALIGN((size_t)nlh->nlmsg_len);

	if (step > *left)
		step = *left;
	*left -= step;
	return (const void *)((const char *)nlh + step);
}

int muisp_nl_run_buf(struct muisp_nl_run *st, const void *buf, size_t len,
		     const struct nlmsghdr *req, muisp_nl_cb cb, void *arg)
{
	const struct nlmsghdr *nlh;
	size_t left = len;

	for (nlh = buf; msg_ok(nlh, left); nlh = msg_next(nlh, &left)) {
		/* Leftovers of an abandoned request, or not for us. */
		if (nlh->nlmsg_seq != req->nlmsg_seq ||
		    nlh->nlmsg_pid != st->portid)
			continue;
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			st->intr = 1;
		switch (nlh->nlmsg_type) {
		case NLMSG_NOOP:
			continue;
		case NLMSG_OVERRUN:
			if (!st->cberr)
				st->cberr = EOVERFLOW;
			continue;
		case NLMSG_ERROR:
		case NLMSG_DONE:
			if (muisp_nl_parse_ext(nlh, req, &st->ext) < 0)
				return -1;
			if (st->ext.error) {
				errno = st->ext.error;
				return -1;
			}
			if (st->cberr) {
				errno = st->cberr;
				return -1;
			}
			return 1;
		default:
			break;
		}
		if (nlh->nlmsg_type < NLMSG_MIN_TYPE || st->stop || st->cberr ||
		    st->intr || !cb)
			continue;
		errno = 0;
		switch (cb(nlh, arg)) {
		case MNL_CB_OK:
			break;
		case MNL_CB_STOP:
			st->stop = 1;
			break;
		default:
			st->cberr = errno ? errno : EPROTO;
			break;
		}
	}
	return 0;
}

/*
 * Read the replies to req until its ack / NLMSG_DONE.  Messages of other
 * (older, abandoned) sequence numbers are skipped.  *intr is set if the
 * kernel flagged the dump inconsistent; from then on nothing more is
 * delivered to cb but the reply is drained so the socket stays in step.
 */
static int nl_run(struct muisp_nl *nl, const struct nlmsghdr *req,
		  muisp_nl_cb cb, void *arg, int *intr)
{
	struct muisp_nl_run st = { .portid = nl->portid };
	int r;

	ext_clear(&st.ext);
	do {
		ssize_t n = nl_recv(nl, 1);

		if (n < 0) {
			ext_clear(&nl->ext);
			return -1;
		}
		r = muisp_nl_run_buf(&st, nl->rbuf, (size_t)n, req, cb, arg);
	} while (r == 0);
	nl->ext = st.ext;
	*intr = st.intr;
	return r < 0 ? -1 : 0;
}

struct nlmsghdr *muisp_nl_msg(struct muisp_nl *nl, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->sbuf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = nl->fam.id;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = (uint8_t)nl->fam.version;
	return nlh;
}

int muisp_nl_request(struct muisp_nl *nl, struct nlmsghdr *nlh, muisp_nl_cb cb,
		     void *arg)
{
	int intr = 0, r;

	if (nl->joined) {
		errno = EINVAL;
		return -1;
	}
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	r = nl_send(nl, nlh) < 0 ? -1 : nl_run(nl, nlh, cb, arg, &intr);
	/* a request may carry a key (AGENT_SET, TAG_SET): not kept past its
	 * answer, whose extack named attributes by their offsets in it */
	if ((char *)nlh == nl->sbuf)
		explicit_bzero(nl->sbuf, nlh->nlmsg_len);
	return r;
}

int muisp_nl_post(struct muisp_nl *nl, struct nlmsghdr *nlh)
{
	size_t len = MNL_ALIGN(nlh->nlmsg_len);

	if (nl->joined) {
		errno = EINVAL;
		return -1;
	}
	if (len > sizeof(nl->pbuf)) {
		errno = EMSGSIZE;
		return -1;
	}
	if (nl->plen + len > sizeof(nl->pbuf) && muisp_nl_flush(nl) < 0)
		return -1;
	nlh->nlmsg_flags =
		(uint16_t)((nlh->nlmsg_flags | NLM_F_REQUEST) & ~NLM_F_ACK);
	nl_seq(nl, nlh);
	memcpy(nl->pbuf + nl->plen, nlh, nlh->nlmsg_len);
	memset(nl->pbuf + nl->plen + nlh->nlmsg_len, 0, len - nlh->nlmsg_len);
	nl->plen += len;
	if ((char *)nlh == nl->sbuf)
		explicit_bzero(nl->sbuf, nlh->nlmsg_len);
	return 0;
}

int muisp_nl_flush(struct muisp_nl *nl)
{
	size_t len = nl->plen;
	ssize_t n;

	if (!len)
		return 0;
	nl->plen = 0;
	do
		n = mnl_socket_sendto(nl->sock, nl->pbuf, len);
	while (n < 0 && errno == EINTR);
	explicit_bzero(nl->pbuf, len);
	return n < 0 ? -1 : 0;
}

int muisp_nl_post_errors(struct muisp_nl *nl, muisp_nl_post_error_cb cb,
			 void *arg)
{
	int count = 0;

	for (;;) {
		const struct nlmsghdr *nlh;
		ssize_t n = nl_recv(nl, 0);
		size_t left;

		if (n < 0)
			return errno == EAGAIN ? count : -1;
		left = (size_t)n;
		for (nlh = (const void *)nl->rbuf; msg_ok(nlh, left);
		     nlh = msg_next(nlh, &left)) {
			struct muisp_nl_ext ext;

			if (nlh->nlmsg_type != NLMSG_ERROR ||
			    nlh->nlmsg_pid != nl->portid ||
			    muisp_nl_parse_ext(nlh, NULL, &ext) < 0 ||
			    !ext.error)
				continue;
			count++;
			cb(&ext, arg);
		}
	}
}

int muisp_nl_dump(struct muisp_nl *nl, struct nlmsghdr *nlh, muisp_nl_cb cb,
		  muisp_nl_reset_cb reset, void *arg)
{
	unsigned int tries;

	if (nl->joined) {
		errno = EINVAL;
		return -1;
	}
	nl->restarts = 0;
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_DUMP;
	for (tries = 0; tries < MUISP_NL_DUMP_TRIES; tries++) {
		int intr = 0, r;

		if (tries) {
			nl->restarts++;
			if (reset)
				reset(arg);
		}
		if (nl_send(nl, nlh) < 0)
			return -1;
		r = nl_run(nl, nlh, cb, arg, &intr);
		if (!intr)
			return r;
	}
	errno = EAGAIN;
	return -1;
}

int muisp_nl_recv(struct muisp_nl *nl, muisp_nl_cb cb, void *arg)
{
	const struct nlmsghdr *nlh;
	ssize_t n = nl_recv(nl, 0);
	size_t left;
	int r;

	if (n < 0)
		return -1;
	left = (size_t)n;
	for (nlh = (const void *)nl->rbuf; msg_ok(nlh, left);
	     nlh = msg_next(nlh, &left)) {
		if (nlh->nlmsg_type != nl->fam.id)
			continue;
		errno = 0;
		r = cb(nlh, arg);
		if (r == MNL_CB_STOP)
			break;
		if (r != MNL_CB_OK) {
			if (!errno)
				errno = EPROTO;
			return -1;
		}
	}
	return 0;
}

static int family_cb(const struct nlmsghdr *nlh, void *arg)
{
	return muisp_nl_parse_family(nlh, arg) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

struct muisp_nl *muisp_nl_open_family(const char *name, unsigned int flags)
{
	struct muisp_nl *nl;
	struct nlmsghdr *nlh;
	int one = 1, saved;

	if (strlen(name) >= GENL_NAMSIZ) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return NULL;
	nl->flags = flags;
	nl->sock = mnl_socket_open2(
		NETLINK_GENERIC,
		SOCK_CLOEXEC | (flags & MUISP_NL_NONBLOCK ? SOCK_NONBLOCK : 0));
	if (!nl->sock)
		goto fail;
	/* Acks without the echoed request; extended acks with text.  Both
	 * are best effort (older kernels). */
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (uint32_t)getpid() << 16;

	nl->fam.id = GENL_ID_CTRL;
	nl->fam.version = 2;
	nlh = muisp_nl_msg(nl, CTRL_CMD_GETFAMILY, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
	if (muisp_nl_request(nl, nlh, family_cb, &nl->fam) < 0)
		goto fail;
	if (nl->fam.id == 0 || nl->fam.id == GENL_ID_CTRL) {
		if (strcmp(name, "nlctrl") != 0) {
			errno = EPROTO;
			goto fail;
		}
	}
	return nl;
fail:
	saved = errno;
	muisp_nl_close(nl);
	errno = saved;
	return NULL;
}

struct muisp_nl *muisp_nl_open(unsigned int flags)
{
	return muisp_nl_open_family(MUISP_NL_FAMILY, flags);
}

void muisp_nl_close(struct muisp_nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl);
}

int muisp_nl_fd(const struct muisp_nl *nl)
{
	return mnl_socket_get_fd(nl->sock);
}

uint16_t muisp_nl_family_id(const struct muisp_nl *nl)
{
	return nl->fam.id;
}

uint32_t muisp_nl_family_version(const struct muisp_nl *nl)
{
	return nl->fam.version;
}

int muisp_nl_group_id(const struct muisp_nl *nl, const char *group)
{
	unsigned int i;

	for (i = 0; i < nl->fam.ngroups; i++)
		if (strcmp(nl->fam.groups[i].name, group) == 0)
			return (int)nl->fam.groups[i].id;
	errno = ENOENT;
	return -1;
}

int muisp_nl_join(struct muisp_nl *nl, const char *group)
{
	int id = muisp_nl_group_id(nl, group);

	if (id < 0)
		return -1;
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &id,
				  sizeof(id)) < 0)
		return -1;
	nl->joined = 1;
	return 0;
}

int muisp_nl_set_rcvbuf(struct muisp_nl *nl, int bytes)
{
	int fd = mnl_socket_get_fd(nl->sock);

	/* FORCE goes past rmem_max but needs CAP_NET_ADMIN. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) ==
	    0)
		return 0;
	return setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
}

const char *muisp_nl_ext_msg(const struct muisp_nl *nl)
{
	return nl->ext.msg[0] ? nl->ext.msg : NULL;
}

int muisp_nl_ext_attr(const struct muisp_nl *nl)
{
	return nl->ext.attr;
}

int muisp_nl_ext_missing(const struct muisp_nl *nl)
{
	return nl->ext.missing;
}

unsigned int muisp_nl_dump_restarts(const struct muisp_nl *nl)
{
	return nl->restarts;
}

uint8_t muisp_nl_cmd(const struct nlmsghdr *nlh)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*g))
		return 0;
	return g->cmd;
}

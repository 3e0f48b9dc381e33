// SPDX-License-Identifier: GPL-2.0
/* --replay FILE: flow records from a file of netlink messages (ipfixd.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "ipfixd.h"

#define REPLAY_MAX_SIZE (1u << 30)

void ipfixd_replay_init(struct ipfixd_replay *r, const void *buf, size_t len)
{
	r->buf = buf;
	r->len = len;
	r->off = 0;
}

static int bad(char *err, size_t errlen, size_t off, const char *why)
{
	snprintf(err, errlen, "offset %zu: %s", off, why);
	return -1;
}

int ipfixd_replay_next(struct ipfixd_replay *r, struct muisp_nl_flow *f,
		       char *err, size_t errlen)
{
	while (r->off < r->len) {
		size_t left = r->len - r->off, at = r->off;
		struct nlmsghdr nlh;
		struct genlmsghdr g;
		const struct nlmsghdr *p;

		if (left < NLMSG_HDRLEN)
			return bad(err, errlen, at, "truncated message header");
		memcpy(&nlh, r->buf + at, sizeof(nlh));
		if (nlh.nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN ||
		    nlh.nlmsg_len > left)
			return bad(err, errlen, at, "bad message length");
		if (nlh.nlmsg_type < NLMSG_MIN_TYPE)
			return bad(err, errlen, at,
				   "not a generic netlink message");
		r->off += NLMSG_ALIGN(nlh.nlmsg_len) <= left ?
				  NLMSG_ALIGN(nlh.nlmsg_len) :
				  left;
		memcpy(&g, r->buf + at + NLMSG_HDRLEN, sizeof(g));
		if (g.cmd != MUISP_CMD_FLOW_RECORD)
			continue;
		/* libmnl reads the attributes in place: 4-byte alignment */
		if ((uintptr_t)(r->buf + at) % 4)
			return bad(err, errlen, at, "misaligned buffer");
		p = (const struct nlmsghdr *)(const void *)(r->buf + at);
		if (muisp_nl_flow_parse(p, f) < 0)
			return bad(err, errlen, at, "malformed flow record");
		if (!MUISP_NL_HAS(f, MUISP_FLOW_A_CLIENT_ADDR) ||
		    !MUISP_NL_HAS(f, MUISP_FLOW_A_PEER_ADDR) ||
		    f->client_addr.family != f->peer_addr.family)
			return bad(err, errlen, at,
				   "flow record without client and peer "
				   "addresses of one family");
		return 1;
	}
	return 0;
}

int ipfixd_replay_load(const char *path, uint8_t **buf, size_t *len, char *err,
		       size_t errlen)
{
	struct stat st;
	uint8_t *b;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(err, errlen,
			 "%s: must be a regular file owned by root and not "
			 "writable by group or others",
			 path);
		close(fd);
		return -1;
	}
	if ((uint64_t)st.st_size > REPLAY_MAX_SIZE) {
		snprintf(err, errlen, "%s: larger than %u bytes", path,
			 REPLAY_MAX_SIZE);
		close(fd);
		return -1;
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size - got);

		if (n <= 0) {
			snprintf(err, errlen, "%s: %s", path,
				 n < 0 ? strerror(errno) : "file shrank");
			free(b);
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	*buf = b;
	*len = got;
	return 0;
}

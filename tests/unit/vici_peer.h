/* SPDX-License-Identifier: GPL-2.0 */
/*
 * charon's side of a VICI connection in the unit tests (test_vici.c,
 * test_ike_watch.c): write frames to the client, read what it sent.  The
 * reads never wait: what the client sent is already in the socket, or the
 * test fails.
 */
#ifndef TESTS_UNIT_VICI_PEER_H
#define TESTS_UNIT_VICI_PEER_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vici.h"

/* A connection over a socketpair; *PEER is charon's end. */
static inline struct vici_conn *conn_pair(int *peer)
{
	struct vici_conn *c;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	c = vici_conn_from_fd(sv[0]);
	assert_non_null(c);
	*peer = sv[1];
	return c;
}

/* One frame of TYPE (NAME for named types, message B or empty) to FD. */
static inline void frame_out(int fd, int type, const char *name,
			     const struct vici_builder *b)
{
	uint8_t *f;
	size_t flen;

	assert_int_equal(vici_packet_encode(type, name, b ? b->buf : NULL,
					    b ? b->len : 0, &f, &flen),
			 0);
	assert_int_equal(write(fd, f, flen), (ssize_t)flen);
	free(f);
}

/* A response or event whose message is "k = K" (K NULL: empty). */
static inline void frame_out_k(int fd, int type, const char *name,
			       const char *k)
{
	struct vici_builder b;

	vici_builder_init(&b);
	if (k)
		vici_add_kv_str(&b, "k", k);
	assert_int_equal(vici_builder_finish(&b), 0);
	frame_out(fd, type, name, &b);
	vici_builder_reset(&b);
}

/*
 * The next frame the client sent, decoded into PKT (its message points
 * into BUF, of CAP bytes).  It must be there already.  Returns its type.
 */
static inline int frame_in(int fd, struct vici_packet *pkt, uint8_t *buf,
			   size_t cap)
{
	uint8_t hdr[4];
	uint32_t len;

	assert_int_equal(recv(fd, hdr, 4, MSG_DONTWAIT | MSG_WAITALL), 4);
	len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	      (uint32_t)hdr[2] << 8 | hdr[3];
	assert_true(len <= cap);
	assert_int_equal(recv(fd, buf, len, MSG_DONTWAIT | MSG_WAITALL),
			 (ssize_t)len);
	assert_int_equal(vici_packet_decode(buf, len, pkt), 0);
	return pkt->type;
}

/* The next frame the client sent is TYPE NAME. */
static inline void expect_in(int fd, int type, const char *name)
{
	struct vici_packet pkt;
	uint8_t buf[4096];

	assert_int_equal(frame_in(fd, &pkt, buf, sizeof(buf)), type);
	assert_string_equal(pkt.name, name);
}

/* The client sent nothing more. */
static inline void assert_quiet(int fd)
{
	uint8_t b;

	assert_int_equal(recv(fd, &b, 1, MSG_DONTWAIT), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

#endif

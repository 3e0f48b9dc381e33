// SPDX-License-Identifier: GPL-2.0
/*
 * VICI codec: canned byte strings for every element type, nesting,
 * truncation at every length, oversized lengths, misplaced elements;
 * builder round trip; packet framing; the connection over a socketpair.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "vici.h"
#include "tests/unit/vici_peer.h"

/* The encoding example of the protocol description:
 *   key1 = value1
 *   section1 = { sub-section = { key2 = value2 }, list1 = [ item1, item2 ] }
 */
static const uint8_t example[] = {
	3,   4,	  'k', 'e', 'y', '1', 0,   6,	'v', 'a', 'l', 'u', 'e',
	'1', 1,	  8,   's', 'e', 'c', 't', 'i', 'o', 'n', '1', 1,   11,
	's', 'u', 'b', '-', 's', 'e', 'c', 't', 'i', 'o', 'n', 3,   4,
	'k', 'e', 'y', '2', 0,	 6,   'v', 'a', 'l', 'u', 'e', '2', 2,
	4,   5,	  'l', 'i', 's', 't', '1', 5,	0,   5,	  'i', 't', 'e',
	'm', '1', 5,   0,   5,	 'i', 't', 'e', 'm', '2', 6,   2,
};

static void test_parse_example(void **state)
{
	struct vici_msg *m = vici_msg_parse(example, sizeof(example));
	const struct vici_node *s1, *l;

	assert_non_null(m);
	assert_int_equal(m->nnodes, 7);
	assert_string_equal(vici_find_str(&m->root, "key1"), "value1");
	assert_string_equal(
		vici_find_str(&m->root, "section1.sub-section.key2"), "value2");
	assert_null(vici_find_str(&m->root, "section1.key2"));
	assert_null(vici_find_str(&m->root, "section1")); /* not a KV */
	assert_null(vici_find_str(&m->root, "nope.key2"));
	s1 = vici_node_get(&m->root, "section1");
	assert_non_null(s1);
	assert_int_equal(s1->type, VICI_NODE_SECTION);
	assert_int_equal(vici_node_count(s1), 2);
	l = vici_node_get(s1, "list1");
	assert_non_null(l);
	assert_int_equal(l->type, VICI_NODE_LIST);
	assert_int_equal(vici_node_count(l), 2);
	assert_int_equal(l->child->type, VICI_NODE_ITEM);
	assert_string_equal(l->child->value, "item1");
	assert_int_equal(l->child->vlen, 5);
	assert_string_equal(l->child->next->value, "item2");
	assert_null(l->child->next->next);
	vici_msg_free(m);
}

static void test_parse_empty_and_binary(void **state)
{
	/* empty message; empty list; empty value; value with a NUL */
	static const uint8_t msg[] = {
		4,   1, 'l', 6,	  3, 1,	  'e', 0, 0,   3, 1,
		'b', 0, 3,   'a', 0, 'b', 1,   1, 's', 2,
	};
	struct vici_msg *m = vici_msg_parse(NULL, 0);
	const struct vici_node *n;

	assert_non_null(m);
	assert_int_equal(m->nnodes, 0);
	assert_null(m->root.child);
	vici_msg_free(m);

	m = vici_msg_parse(msg, sizeof(msg));
	assert_non_null(m);
	assert_int_equal(m->nnodes, 4);
	assert_int_equal(vici_node_count(vici_node_get(&m->root, "l")), 0);
	assert_string_equal(vici_find_str(&m->root, "e"), "");
	n = vici_node_get(&m->root, "b");
	assert_int_equal(n->vlen, 3);
	assert_memory_equal(n->value, "a\0b", 3);
	assert_int_equal(vici_node_get(&m->root, "s")->type, VICI_NODE_SECTION);
	vici_msg_free(m);
}

/* Every prefix of the example is rejected except where it ends on an
 * element boundary with nothing open: 0, 14 (after key1) and the whole. */
static void test_truncation(void **state)
{
	size_t len, ok = 0;

	for (len = 0; len <= sizeof(example); len++) {
		struct vici_msg *m;

		errno = 0;
		m = vici_msg_parse(example, len);
		if (len == 0 || len == 14 || len == sizeof(example)) {
			assert_non_null(m);
			ok++;
		} else {
			assert_null(m);
			assert_int_equal(errno, EBADMSG);
		}
		vici_msg_free(m);
	}
	assert_int_equal(ok, 3);
}

static void expect_bad(const uint8_t *b, size_t len)
{
	struct vici_msg *m;

	errno = 0;
	m = vici_msg_parse(b, len);
	assert_null(m);
	assert_int_equal(errno, EBADMSG);
}

static void test_oversized_lengths(void **state)
{
	/* value length 0xffff, 3 bytes present */
	static const uint8_t v[] = { 3, 1, 'k', 0xff, 0xff, 'a', 'b', 'c' };
	/* name length 255, 2 bytes present */
	static const uint8_t n[] = { 1, 255, 'a', 'b' };
	/* list item length beyond the end by one */
	static const uint8_t li[] = { 4, 1, 'l', 5, 0, 3, 'a', 'b', 6 };
	/* a KV cut inside its value length field */
	static const uint8_t vl[] = { 3, 1, 'k', 0 };

	expect_bad(v, sizeof(v));
	expect_bad(n, sizeof(n));
	expect_bad(li, sizeof(li));
	expect_bad(vl, sizeof(vl));
}

static void test_misplaced_elements(void **state)
{
	static const uint8_t end_at_root[] = { 2 };
	static const uint8_t item_outside[] = { 5, 0, 1, 'x' };
	static const uint8_t lend_outside[] = { 6 };
	static const uint8_t nested_list[] = { 4, 1, 'a', 4, 1, 'b', 6, 6 };
	static const uint8_t kv_in_list[] = { 4, 1, 'a', 3, 1, 'k', 0, 0, 6 };
	static const uint8_t sec_in_list[] = { 4, 1, 'a', 1, 1, 's', 2, 6 };
	static const uint8_t open_list[] = { 4, 1, 'a' };
	static const uint8_t open_sec[] = { 1, 1, 's' };
	static const uint8_t type0[] = { 0 };
	static const uint8_t type7[] = { 7, 1, 'x' };
	static const uint8_t type255[] = { 255 };

	expect_bad(end_at_root, sizeof(end_at_root));
	expect_bad(item_outside, sizeof(item_outside));
	expect_bad(lend_outside, sizeof(lend_outside));
	expect_bad(nested_list, sizeof(nested_list));
	expect_bad(kv_in_list, sizeof(kv_in_list));
	expect_bad(sec_in_list, sizeof(sec_in_list));
	expect_bad(open_list, sizeof(open_list));
	expect_bad(open_sec, sizeof(open_sec));
	expect_bad(type0, sizeof(type0));
	expect_bad(type7, sizeof(type7));
	expect_bad(type255, sizeof(type255));
}

static void test_nesting_limit(void **state)
{
	uint8_t b[(VICI_MAX_DEPTH + 1) * 4];
	struct vici_msg *m;
	const struct vici_node *n;
	size_t len = 0;
	int i, depth;

	for (depth = VICI_MAX_DEPTH; depth <= VICI_MAX_DEPTH + 1; depth++) {
		len = 0;
		for (i = 0; i < depth; i++) {
			b[len++] = 1;
			b[len++] = 1;
			b[len++] = 's';
		}
		for (i = 0; i < depth; i++)
			b[len++] = 2;
		m = vici_msg_parse(b, len);
		if (depth == VICI_MAX_DEPTH) {
			assert_non_null(m);
			for (i = 0, n = &m->root; n->child; n = n->child)
				i++;
			assert_int_equal(i, VICI_MAX_DEPTH);
		} else {
			assert_null(m);
			assert_int_equal(errno, EBADMSG);
		}
		vici_msg_free(m);
	}
}

static void test_node_limit(void **state)
{
	size_t len, i;
	uint8_t *b;
	struct vici_msg *m;

	/* a list with MAX_NODES empty items is MAX_NODES + 1 nodes */
	len = 3 + (size_t)VICI_MAX_NODES * 3 + 1;
	b = malloc(len);
	assert_non_null(b);
	b[0] = 4;
	b[1] = 1;
	b[2] = 'l';
	for (i = 0; i < VICI_MAX_NODES; i++) {
		b[3 + i * 3] = 5;
		b[4 + i * 3] = 0;
		b[5 + i * 3] = 0;
	}
	b[len - 1] = 6;
	m = vici_msg_parse(b, len);
	assert_null(m);
	assert_int_equal(errno, EBADMSG);
	/* one item fewer fits exactly */
	b[len - 4] = 6;
	m = vici_msg_parse(b, len - 3);
	assert_non_null(m);
	assert_int_equal(m->nnodes, VICI_MAX_NODES);
	vici_msg_free(m);
	free(b);
}

static void test_builder_roundtrip(void **state)
{
	struct vici_builder b;

	vici_builder_init(&b);

	vici_add_kv_str(&b, "key1", "value1");
	vici_section_begin(&b, "section1");
	vici_section_begin(&b, "sub-section");
	vici_add_kvf(&b, "key2", "value%d", 2);
	vici_section_end(&b);
	vici_list_begin(&b, "list1");
	vici_list_item_str(&b, "item1");
	vici_list_item(&b, "item2", 5);
	vici_list_end(&b);
	vici_section_end(&b);
	assert_int_equal(vici_builder_finish(&b), 0);
	assert_int_equal(b.len, sizeof(example));
	assert_memory_equal(b.buf, example, sizeof(example));
	vici_builder_reset(&b);
}

static void test_builder_errors(void **state)
{
	char longname[257];
	struct vici_builder b;
	char *big;

	memset(longname, 'n', 256);
	longname[256] = '\0';
	vici_builder_init(&b);
	vici_section_begin(&b, "open");
	assert_int_equal(vici_builder_finish(&b), -1);
	assert_int_equal(errno, EINVAL);
	vici_builder_reset(&b);

	vici_list_item_str(&b, "outside");
	assert_int_equal(vici_builder_finish(&b), -1);
	vici_builder_reset(&b);

	vici_section_end(&b);
	assert_int_equal(vici_builder_finish(&b), -1);
	vici_builder_reset(&b);

	vici_add_kv_str(&b, longname, "v");
	assert_int_equal(vici_builder_finish(&b), -1);
	vici_builder_reset(&b);

	longname[255] = '\0'; /* 255 is the limit */
	vici_add_kv_str(&b, longname, "v");
	assert_int_equal(vici_builder_finish(&b), 0);
	assert_int_equal(b.len, 1 + 1 + 255 + 2 + 1);
	vici_builder_reset(&b);

	vici_add_kv_str(&b, "", "v"); /* empty name */
	assert_int_equal(vici_builder_finish(&b), -1);
	vici_builder_reset(&b);

	big = calloc(1, 0x10000);
	assert_non_null(big);
	vici_add_kv(&b, "k", big, 0x10000);
	assert_int_equal(vici_builder_finish(&b), -1);
	vici_builder_reset(&b);
	vici_add_kv(&b, "k", big, 0xffff);
	assert_int_equal(vici_builder_finish(&b), 0);
	vici_builder_reset(&b);
	free(big);

	vici_list_begin(&b, "l");
	vici_section_begin(&b, "s"); /* no sections in lists */
	assert_int_equal(vici_builder_finish(&b), -1);
	vici_builder_reset(&b);
}

static void test_packet_codec(void **state)
{
	static const uint8_t version[] = {
		0, 0, 0, 9, 0, 7, 'v', 'e', 'r', 's', 'i', 'o', 'n',
	};
	static const uint8_t resp[] = { 1, 3, 1, 'k', 0, 1, 'v' };
	struct vici_packet pkt;
	uint8_t *f;
	size_t flen;
	uint8_t bad;

	assert_int_equal(vici_packet_encode(VICI_CMD_REQUEST, "version", NULL,
					    0, &f, &flen),
			 0);
	assert_int_equal(flen, sizeof(version));
	assert_memory_equal(f, version, sizeof(version));
	assert_int_equal(vici_packet_decode(f + 4, flen - 4, &pkt), 0);
	assert_int_equal(pkt.type, VICI_CMD_REQUEST);
	assert_string_equal(pkt.name, "version");
	assert_int_equal(pkt.msglen, 0);
	free(f);

	assert_int_equal(vici_packet_decode(resp, sizeof(resp), &pkt), 0);
	assert_int_equal(pkt.type, VICI_CMD_RESPONSE);
	assert_string_equal(pkt.name, "");
	assert_int_equal(pkt.msglen, 6);
	assert_ptr_equal(pkt.msg, resp + 1);

	/* named types need a name; unnamed ones ignore it */
	assert_int_equal(vici_packet_encode(VICI_EVENT, "", NULL, 0, &f, &flen),
			 -1);
	assert_int_equal(vici_packet_encode(VICI_EVENT_CONFIRM, "x", NULL, 0,
					    &f, &flen),
			 0);
	assert_int_equal(flen, 5);
	free(f);
	assert_int_equal(vici_packet_encode(8, NULL, NULL, 0, &f, &flen), -1);

	/* decode errors: empty, unknown type, truncated name */
	assert_int_equal(vici_packet_decode(resp, 0, &pkt), -1);
	bad = 8;
	assert_int_equal(vici_packet_decode(&bad, 1, &pkt), -1);
	assert_int_equal(vici_packet_decode(version + 4, 5, &pkt), -1);
	assert_int_equal(vici_packet_decode(version + 4, 1, &pkt), -1);
	assert_int_equal(errno, EBADMSG);
}

/* ---- connection ---------------------------------------------------- */

struct seen {
	int n, null_msgs;
	char name[64];
	char val[64];
};

static void on_event(void *arg, const char *name, const struct vici_msg *msg)
{
	struct seen *s = arg;
	const char *v;

	s->n++;
	snprintf(s->name, sizeof(s->name), "%s", name);
	if (!msg) {
		s->null_msgs++;
		return;
	}
	v = vici_find_str(&msg->root, "up");
	snprintf(s->val, sizeof(s->val), "%s", v ? v : "");
}

static size_t event_frame(uint8_t *out, const char *name, const char *up)
{
	struct vici_builder b;
	uint8_t *f;
	size_t flen;

	vici_builder_init(&b);
	vici_add_kv_str(&b, "up", up);
	assert_int_equal(vici_builder_finish(&b), 0);
	assert_int_equal(vici_packet_encode(VICI_EVENT, name, b.buf, b.len, &f,
					    &flen),
			 0);
	memcpy(out, f, flen);
	free(f);
	vici_builder_reset(&b);
	return flen;
}

static void test_feed_framing(void **state)
{
	struct vici_conn *c = vici_conn_from_fd(-1);
	struct seen s = { 0 };
	uint8_t buf[256], big[4] = { 0, 0x08, 0, 1 }; /* 512 KiB + 1 */
	static const uint8_t resp[] = { 0, 0, 0, 1, VICI_CMD_RESPONSE };
	static const uint8_t badmsg[] = { 0, 0, 0, 4, VICI_EVENT, 1, 'e', 2 };
	size_t len, i;

	assert_non_null(c);
	vici_set_event_cb(c, on_event, &s);
	len = event_frame(buf, "child-updown", "yes");
	/* byte by byte: exactly one event, on the last byte */
	for (i = 0; i < len; i++) {
		int r = vici_feed(c, buf + i, 1);

		assert_int_equal(r, i + 1 == len ? 1 : 0);
	}
	assert_int_equal(s.n, 1);
	assert_string_equal(s.name, "child-updown");
	assert_string_equal(s.val, "yes");

	/* two frames in one read */
	len += event_frame(buf + len, "ike-updown", "no");
	assert_int_equal(vici_feed(c, buf, len), 2);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.name, "ike-updown");
	assert_string_equal(s.val, "no");

	/* a response nobody waits for, a malformed event message */
	assert_int_equal(vici_feed(c, resp, sizeof(resp)), 0);
	assert_int_equal(c->bad_frames, 1);
	assert_int_equal(vici_feed(c, badmsg, sizeof(badmsg)), 1);
	assert_int_equal(s.null_msgs, 1);
	assert_int_equal(c->bad_frames, 2);
	assert_int_equal(c->events, 4);

	/* a length over the limit cannot be resynced: an error */
	assert_int_equal(vici_feed(c, big, sizeof(big)), -1);
	assert_int_equal(errno, EBADMSG);
	vici_close(c);
}

static void test_command_socketpair(void **state)
{
	struct vici_builder b, req;
	struct vici_conn *c;
	struct vici_msg *m;
	struct seen s = { 0 };
	uint8_t got[256];
	ssize_t n;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	c = vici_conn_from_fd(sv[0]);
	assert_non_null(c);
	c->timeout_ms = 2000;
	vici_set_event_cb(c, on_event, &s);

	/* queued: an event, then the response; both are handled */
	vici_builder_init(&b);
	vici_add_kv_str(&b, "up", "yes");
	assert_int_equal(vici_builder_finish(&b), 0);
	frame_out(sv[1], VICI_EVENT, "child-updown", &b);
	vici_builder_reset(&b);
	vici_add_kv_str(&b, "success", "yes");
	assert_int_equal(vici_builder_finish(&b), 0);
	frame_out(sv[1], VICI_CMD_RESPONSE, NULL, &b);

	vici_builder_init(&req);
	vici_add_kv_str(&req, "type", "X509");
	assert_int_equal(vici_builder_finish(&req), 0);
	m = vici_command(c, "load-cert", &req);
	assert_non_null(m);
	assert_string_equal(vici_find_str(&m->root, "success"), "yes");
	vici_msg_free(m);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.name, "child-updown");

	/* what went out: exactly one CMD_REQUEST "load-cert" + message */
	n = read(sv[1], got, sizeof(got));
	assert_int_equal(n, 4 + 1 + 1 + 9 + req.len);
	assert_int_equal(got[3], 1 + 1 + 9 + req.len);
	assert_int_equal(got[4], VICI_CMD_REQUEST);
	assert_int_equal(got[5], 9);
	assert_memory_equal(got + 6, "load-cert", 9);
	assert_memory_equal(got + 15, req.buf, req.len);

	/* unknown command */
	frame_out(sv[1], VICI_CMD_UNKNOWN, NULL, NULL);
	assert_null(vici_command(c, "nope", NULL));
	assert_int_equal(errno, ENOENT);
	n = read(sv[1], got, sizeof(got));
	assert_int_equal(n, 4 + 1 + 1 + 4);

	/* event registration confirmed / refused */
	frame_out(sv[1], VICI_EVENT_CONFIRM, NULL, NULL);
	assert_int_equal(vici_register(c, "child-rekey"), 0);
	frame_out(sv[1], VICI_EVENT_UNKNOWN, NULL, NULL);
	assert_int_equal(vici_register(c, "bogus"), -1);
	assert_int_equal(errno, ENOENT);
	n = read(sv[1], got, sizeof(got));
	assert_int_equal(n, (4 + 2 + 11) + (4 + 2 + 5));
	assert_int_equal(got[4], VICI_EVENT_REGISTER);

	/* an unbalanced request is refused before sending */
	vici_builder_reset(&req);
	vici_section_begin(&req, "open");
	assert_null(vici_command(c, "version", &req));
	assert_int_equal(errno, EINVAL);

	/* peer gone */
	close(sv[1]);
	assert_null(vici_command(c, "version", NULL));
	assert_true(errno == EPIPE || errno == ECONNRESET);
	assert_int_equal(vici_dispatch(c), -1);

	vici_builder_reset(&req);
	vici_builder_reset(&b);
	vici_close(c);
}

/* A blocking command that gets no answer times out, and the connection is
 * lost with it: a late answer could no longer be matched. */
static void test_command_timeout(void **state)
{
	int peer;
	struct vici_conn *c = conn_pair(&peer);

	c->timeout_ms = 50;
	assert_null(vici_command(c, "version", NULL));
	assert_int_equal(errno, ETIMEDOUT);
	assert_int_equal(vici_events(c), 0);
	assert_int_equal(vici_next_deadline(c), 0);
	/* a late response changes nothing: new requests are refused */
	frame_out_k(peer, VICI_CMD_RESPONSE, NULL, "late");
	assert_null(vici_command(c, "version", NULL));
	assert_int_equal(errno, EPIPE);
	assert_int_equal(vici_dispatch(c), -1);
	assert_int_equal(errno, ETIMEDOUT);
	vici_close(c);
	close(peer);
}

/* ---- the asynchronous connection ------------------------------------ */

/* What the callbacks saw, in order: "K/ERR " per reply (K the response's
 * "k", "-" if none), "ev:NAME " per event.  Optional re-entrant actions. */
struct seq {
	char s[1024];
	struct vici_conn *c;
	const char *close_on; /* close C in the callback for "K/" or
				 * for event NAME */
	const char *queue_on; /* queue command "z" in "K/"'s callback */
	int blocked;	      /* blocking calls refused in a callback */
};

static const char *errname(int err)
{
	static char buf[16];

	switch (err) {
	case 0:
		return "ok";
	case ENOENT:
		return "ENOENT";
	case EPIPE:
		return "EPIPE";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case EBADMSG:
		return "EBADMSG";
	}
	snprintf(buf, sizeof(buf), "%d", err);
	return buf;
}

static void seq_add(struct seq *q, const char *a, const char *b)
{
	size_t len = strlen(q->s);

	snprintf(q->s + len, sizeof(q->s) - len, "%s%s ", a, b);
}

static void on_reply(void *arg, int err, struct vici_msg *msg)
{
	struct seq *q = arg;
	const char *k = msg ? vici_find_str(&msg->root, "k") : NULL;
	char tag[64];

	snprintf(tag, sizeof(tag), "%s/", k ? k : "-");
	seq_add(q, tag, errname(err));
	if (q->queue_on && strcmp(tag, q->queue_on) == 0)
		assert_int_equal(
			vici_command_async(q->c, "z", NULL, on_reply, q), 0);
	if (q->close_on && strcmp(tag, q->close_on) == 0)
		vici_close(q->c);
	vici_msg_free(msg);
}

static void on_seq_event(void *arg, const char *name,
			 const struct vici_msg *msg)
{
	struct seq *q = arg;

	seq_add(q, "ev:", name);
	if (q->close_on && strcmp(name, q->close_on) == 0)
		vici_close(q->c);
}

/* A connection over a socketpair recording into Q: *PEER is charon's
 * end. */
static struct vici_conn *pair(int *peer, struct seq *q)
{
	struct vici_conn *c = conn_pair(peer);

	memset(q, 0, sizeof(*q));
	q->c = c;
	vici_set_event_cb(c, on_seq_event, q);
	return c;
}

/* Queued commands go out one at a time and are answered in order. */
static void test_async_order(void **state)
{
	struct vici_conn *c;
	struct seq q;
	int peer;

	c = pair(&peer, &q);
	assert_int_equal(vici_command_async(c, "a", NULL, on_reply, &q), 0);
	assert_int_equal(vici_command_async(c, "b", NULL, on_reply, &q), 0);
	assert_int_equal(vici_register_async(c, "child-updown", on_reply, &q),
			 0);
	assert_string_equal(q.s, ""); /* no callback while queueing */
	expect_in(peer, VICI_CMD_REQUEST, "a");
	assert_quiet(peer); /* one in flight */
	assert_int_equal(vici_events(c), POLLIN);
	assert_true(vici_next_deadline(c) > 0);

	frame_out_k(peer, VICI_CMD_RESPONSE, NULL, "A");
	assert_int_equal(vici_process(c, POLLIN), 0);
	assert_string_equal(q.s, "A/ok ");
	expect_in(peer, VICI_CMD_REQUEST, "b");
	assert_quiet(peer);

	/* b's answer sends the registration, whose confirmation is already
	 * there: one read answers both */
	frame_out_k(peer, VICI_CMD_RESPONSE, NULL, "B");
	frame_out(peer, VICI_EVENT_CONFIRM, NULL, NULL);
	assert_int_equal(vici_process(c, POLLIN), 0);
	assert_string_equal(q.s, "A/ok B/ok -/ok ");
	expect_in(peer, VICI_EVENT_REGISTER, "child-updown");
	assert_quiet(peer);
	assert_int_equal(vici_next_deadline(c), 0); /* nothing in flight */

	/* an answer nobody asked for is counted, not matched */
	frame_out_k(peer, VICI_CMD_RESPONSE, NULL, "X");
	assert_int_equal(vici_process(c, POLLIN), 0);
	assert_int_equal(c->bad_frames, 1);
	assert_string_equal(q.s, "A/ok B/ok -/ok ");
	vici_close(c);
	close(peer);
}

/* Events before, between and after the answer, in one read (list-sas
 * streams list-sa events before its response). */
static void test_async_events_interleaved(void **state)
{
	struct vici_conn *c;
	struct seq q;
	int peer;

	c = pair(&peer, &q);
	assert_int_equal(vici_command_async(c, "list-sas", NULL, on_reply, &q),
			 0);
	frame_out_k(peer, VICI_EVENT, "list-sa", "1");
	frame_out_k(peer, VICI_EVENT, "list-sa", "2");
	frame_out_k(peer, VICI_CMD_RESPONSE, NULL, "L");
	frame_out_k(peer, VICI_EVENT, "child-updown", NULL);
	assert_int_equal(vici_process(c, POLLIN), 3);
	assert_string_equal(q.s, "ev:list-sa ev:list-sa L/ok "
				 "ev:child-updown ");
	assert_int_equal(c->events, 3);
	expect_in(peer, VICI_CMD_REQUEST, "list-sas");
	vici_close(c);
	close(peer);
}

/* Frames arriving a byte at a time: nothing happens before the last byte
 * of each, and nothing blocks. */
static void test_async_partial_read(void **state)
{
	struct vici_builder b;
	uint8_t *f1, *f2, stream[256];
	size_t l1, l2, i;
	struct vici_conn *c;
	struct seq q;
	int peer;

	vici_builder_init(&b);
	vici_add_kv_str(&b, "k", "R");
	assert_int_equal(vici_builder_finish(&b), 0);
	assert_int_equal(vici_packet_encode(VICI_EVENT, "ike-updown", b.buf,
					    b.len, &f1, &l1),
			 0);
	assert_int_equal(vici_packet_encode(VICI_CMD_RESPONSE, NULL, b.buf,
					    b.len, &f2, &l2),
			 0);
	assert_true(l1 + l2 <= sizeof(stream));
	memcpy(stream, f1, l1);
	memcpy(stream + l1, f2, l2);

	c = pair(&peer, &q);
	assert_int_equal(vici_command_async(c, "v", NULL, on_reply, &q), 0);
	for (i = 0; i < l1 + l2; i++) {
		assert_int_equal(write(peer, stream + i, 1), 1);
		assert_int_equal(vici_process(c, POLLIN), i + 1 == l1);
		if (i + 1 < l1)
			assert_string_equal(q.s, "");
		else if (i + 1 < l1 + l2)
			assert_string_equal(q.s, "ev:ike-updown ");
	}
	assert_string_equal(q.s, "ev:ike-updown R/ok ");
	/* nothing there: a read that would block returns at once */
	assert_int_equal(vici_process(c, POLLIN), 0);
	free(f1);
	free(f2);
	vici_builder_reset(&b);
	vici_close(c);
	close(peer);
}

/* A request larger than the socket takes: queueing returns at once, the
 * rest goes out as the peer reads (POLLOUT), byte for byte. */
static void test_async_partial_write(void **state)
{
	static char big[60000];
	struct vici_builder b;
	uint8_t *want, *got;
	size_t wlen, glen = 0;
	struct vici_conn *c;
	struct seq q;
	int peer, sndbuf = 4096, rounds = 0;

	memset(big, 'x', sizeof(big));
	vici_builder_init(&b);
	for (int i = 0; i < 4; i++) {
		char key[16];

		snprintf(key, sizeof(key), "k%d", i);
		big[0] = (char)('0' + i);
		vici_add_kv(&b, key, big, sizeof(big));
	}
	assert_int_equal(vici_builder_finish(&b), 0);
	assert_int_equal(vici_packet_encode(VICI_CMD_REQUEST, "load-cert",
					    b.buf, b.len, &want, &wlen),
			 0);
	got = malloc(wlen + 1);
	assert_non_null(got);

	c = pair(&peer, &q);
	assert_int_equal(setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
				    sizeof(sndbuf)),
			 0);
	assert_int_equal(vici_command_async(c, "load-cert", &b, on_reply, &q),
			 0);
	vici_builder_reset(&b); /* the request was copied */
	while (vici_events(c) & POLLOUT) {
		ssize_t n =
			recv(peer, got + glen, wlen + 1 - glen, MSG_DONTWAIT);

		assert_true(n > 0);
		glen += (size_t)n;
		assert_int_equal(vici_process(c, POLLOUT), 0);
		assert_true(++rounds < 10000);
	}
	for (;;) {
		ssize_t n =
			recv(peer, got + glen, wlen + 1 - glen, MSG_DONTWAIT);

		if (n <= 0)
			break;
		glen += (size_t)n;
	}
	assert_true(rounds > 1); /* it did not fit at once */
	assert_int_equal(glen, wlen);
	assert_memory_equal(got, want, wlen);
	assert_string_equal(q.s, "");

	frame_out_k(peer, VICI_CMD_RESPONSE, NULL, "done");
	assert_int_equal(vici_process(c, POLLIN), 0);
	assert_string_equal(q.s, "done/ok ");
	free(want);
	free(got);
	vici_close(c);
	close(peer);
}

/* No answer: the deadline passes on the caller's clock, every queued
 * request fails with ETIMEDOUT and the connection is lost.  Nothing waits:
 * the clock is the value passed in. */
static void test_async_timeout(void **state)
{
	struct vici_conn *c;
	struct seq q;
	uint64_t d, d2, before = vici_now();
	int peer;

	c = pair(&peer, &q);
	assert_int_equal(vici_next_deadline(c), 0);
	assert_int_equal(vici_expire(c, UINT64_MAX), 0); /* nothing */
	assert_int_equal(vici_command_async(c, "a", NULL, on_reply, &q), 0);
	assert_int_equal(vici_command_async(c, "b", NULL, on_reply, &q), 0);
	assert_int_equal(vici_register_async(c, "e", on_reply, &q), 0);
	d = vici_next_deadline(c);
	assert_true(d >= before + 10000 * 1000ULL);
	assert_true(d <= vici_now() + 10000 * 1000ULL);
	/* the time-out may change while a request is in flight */
	c->timeout_ms = 20000;
	d2 = vici_next_deadline(c);
	assert_int_equal(d2 - d, 10000 * 1000ULL);

	assert_int_equal(vici_expire(c, d2 - 1), 0);
	assert_string_equal(q.s, "");
	assert_int_equal(vici_expire(c, d2), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_string_equal(q.s, "-/ETIMEDOUT -/ETIMEDOUT -/ETIMEDOUT ");
	assert_int_equal(vici_events(c), 0);
	assert_int_equal(vici_next_deadline(c), 0);
	assert_int_equal(vici_command_async(c, "c", NULL, on_reply, &q), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(vici_process(c, POLLIN), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_int_equal(vici_expire(c, UINT64_MAX), -1);
	assert_string_equal(q.s, "-/ETIMEDOUT -/ETIMEDOUT -/ETIMEDOUT ");
	vici_close(c);
	close(peer);
}

/* charon closes while a command is in flight and two are queued: each
 * fails with EPIPE, in order. */
static void test_async_peer_close(void **state)
{
	struct vici_conn *c;
	struct seq q;
	int peer;

	c = pair(&peer, &q);
	assert_int_equal(vici_command_async(c, "a", NULL, on_reply, &q), 0);
	assert_int_equal(vici_command_async(c, "b", NULL, on_reply, &q), 0);
	assert_int_equal(vici_unregister_async(c, "e", on_reply, &q), 0);
	expect_in(peer, VICI_CMD_REQUEST, "a"); /* read: no reset */
	close(peer);
	assert_int_equal(vici_process(c, POLLIN | POLLHUP), -1);
	assert_int_equal(errno, EPIPE);
	assert_string_equal(q.s, "-/EPIPE -/EPIPE -/EPIPE ");
	assert_int_equal(vici_events(c), 0);
	vici_close(c);
}

/* CMD_UNKNOWN and EVENT_UNKNOWN are ENOENT; a response that does not
 * parse is EBADMSG for its command only. */
static void test_async_refusals(void **state)
{
	static const uint8_t bad[] = { 0, 0, 0, 3, VICI_CMD_RESPONSE, 2, 2 };
	struct vici_conn *c;
	struct seq q;
	int peer;

	c = pair(&peer, &q);
	assert_int_equal(vici_command_async(c, "nope", NULL, on_reply, &q), 0);
	assert_int_equal(vici_register_async(c, "bogus", on_reply, &q), 0);
	assert_int_equal(vici_register_async(c, "ike-updown", on_reply, &q), 0);
	assert_int_equal(vici_command_async(c, "garbled", NULL, on_reply, &q),
			 0);
	assert_int_equal(vici_command_async(c, "version", NULL, on_reply, &q),
			 0);
	frame_out(peer, VICI_CMD_UNKNOWN, NULL, NULL);
	frame_out(peer, VICI_EVENT_UNKNOWN, NULL, NULL);
	frame_out(peer, VICI_EVENT_CONFIRM, NULL, NULL);
	assert_int_equal(write(peer, bad, sizeof(bad)), (ssize_t)sizeof(bad));
	frame_out_k(peer, VICI_CMD_RESPONSE, NULL, "V");
	assert_int_equal(vici_process(c, POLLIN), 0);
	assert_string_equal(q.s, "-/ENOENT -/ENOENT -/ok -/EBADMSG V/ok ");
	assert_int_equal(c->bad_frames, 1);
	expect_in(peer, VICI_CMD_REQUEST, "nope");
	expect_in(peer, VICI_EVENT_REGISTER, "bogus");
	expect_in(peer, VICI_EVENT_REGISTER, "ike-updown");
	expect_in(peer, VICI_CMD_REQUEST, "garbled");
	expect_in(peer, VICI_CMD_REQUEST, "version");
	assert_quiet(peer);

	/* refused before queueing: no callback ever */
	{
		struct vici_builder b;

		vici_builder_init(&b);
		vici_list_begin(&b, "open");
		assert_int_equal(vici_command_async(c, "x", &b, on_reply, &q),
				 -1);
		assert_int_equal(errno, EINVAL);
		vici_builder_reset(&b);
	}
	assert_int_equal(vici_command_async(c, "", NULL, on_reply, &q), -1);
	assert_int_equal(errno, EINVAL);
	assert_quiet(peer);
	vici_close(c);
	close(peer);
}

/* A reply callback queues a command (it goes after those queued) and
 * another closes the connection: no callback after that, no use after
 * free, and the call that ran them returns 0. */
static void test_async_reentrant(void **state)
{
	struct vici_conn *c;
	struct seq q;
	int peer;

	c = pair(&peer, &q);
	q.queue_on = "A/";
	q.close_on = "B/";
	assert_int_equal(vici_command_async(c, "a", NULL, on_reply, &q), 0);
	assert_int_equal(vici_command_async(c, "b", NULL, on_reply, &q), 0);
	frame_out_k(peer, VICI_CMD_RESPONSE, NULL, "A");
	assert_int_equal(vici_process(c, POLLIN), 0);
	assert_string_equal(q.s, "A/ok ");
	expect_in(peer, VICI_CMD_REQUEST, "a");
	expect_in(peer, VICI_CMD_REQUEST, "b");
	assert_quiet(peer); /* z waits behind b */
	/* B closes: z's answer and the event after it are not reported */
	frame_out_k(peer, VICI_CMD_RESPONSE, NULL, "B");
	frame_out_k(peer, VICI_CMD_RESPONSE, NULL, "Z");
	frame_out_k(peer, VICI_EVENT, "ike-updown", NULL);
	assert_int_equal(vici_process(c, POLLIN), 0); /* c is gone */
	assert_string_equal(q.s, "A/ok B/ok ");
	close(peer);

	/* an event callback closes: the response after it is dropped, and
	 * the command's callback is not called */
	c = pair(&peer, &q);
	q.close_on = "child-rekey";
	assert_int_equal(vici_command_async(c, "a", NULL, on_reply, &q), 0);
	frame_out_k(peer, VICI_EVENT, "child-rekey", NULL);
	frame_out_k(peer, VICI_CMD_RESPONSE, NULL, "A");
	assert_int_equal(vici_process(c, POLLIN), 0);
	assert_string_equal(q.s, "ev:child-rekey ");
	close(peer);

	/* closing while the queue fails: the rest are dropped silently */
	c = pair(&peer, &q);
	q.close_on = "-/";
	assert_int_equal(vici_command_async(c, "a", NULL, on_reply, &q), 0);
	assert_int_equal(vici_command_async(c, "b", NULL, on_reply, &q), 0);
	expect_in(peer, VICI_CMD_REQUEST, "a");
	close(peer);
	assert_int_equal(vici_process(c, POLLIN), 0);
	assert_string_equal(q.s, "-/EPIPE ");
}

/* Blocking inside a callback is refused. */
static void on_event_blocks(void *arg, const char *name,
			    const struct vici_msg *msg)
{
	struct seq *q = arg;
	int done = 0;

	assert_null(vici_command(q->c, "version", NULL));
	assert_int_equal(errno, EDEADLK);
	assert_int_equal(vici_register(q->c, "x"), -1);
	assert_int_equal(errno, EDEADLK);
	assert_int_equal(vici_process(q->c, POLLIN), -1);
	assert_int_equal(errno, EDEADLK);
	assert_int_equal(vici_expire(q->c, UINT64_MAX), -1);
	assert_int_equal(errno, EDEADLK);
	assert_int_equal(vici_wait(q->c, &done), -1);
	assert_int_equal(errno, EDEADLK);
	q->blocked++;
}

static void test_async_no_blocking_in_callbacks(void **state)
{
	struct vici_conn *c;
	struct seq q;
	int peer;

	c = pair(&peer, &q);
	vici_set_event_cb(c, on_event_blocks, &q);
	frame_out_k(peer, VICI_EVENT, "ike-updown", NULL);
	assert_int_equal(vici_process(c, POLLIN), 1);
	assert_int_equal(q.blocked, 1);
	assert_quiet(peer); /* nothing was queued */
	assert_int_equal(vici_next_deadline(c), 0);
	vici_close(c);
	close(peer);
}

/* Without a socket (the fuzzer's set-up) output is discarded and fed
 * bytes answer the requests. */
static void test_async_feed(void **state)
{
	struct vici_conn *c = vici_conn_from_fd(-1);
	uint8_t *f;
	size_t flen;
	struct seq q = { .c = c };

	assert_non_null(c);
	vici_set_event_cb(c, on_seq_event, &q);
	assert_int_equal(vici_command_async(c, "a", NULL, on_reply, &q), 0);
	assert_int_equal(vici_register_async(c, "e", on_reply, &q), 0);
	assert_int_equal(vici_events(c), POLLIN);
	assert_int_equal(vici_packet_encode(VICI_CMD_RESPONSE, NULL, NULL, 0,
					    &f, &flen),
			 0);
	assert_int_equal(vici_feed(c, f, flen), 0);
	free(f);
	assert_int_equal(vici_packet_encode(VICI_EVENT_CONFIRM, NULL, NULL, 0,
					    &f, &flen),
			 0);
	assert_int_equal(vici_feed(c, f, flen), 0);
	assert_string_equal(q.s, "-/ok -/ok ");
	assert_int_equal(vici_feed(c, f, flen), 0); /* one too many */
	assert_int_equal(c->bad_frames, 1);
	free(f);
	vici_close(c);
}

/* A non-blocking connect completes at once, or fails at once (EAGAIN)
 * when the listener's backlog is full. */
static void test_connect_async(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/test_vici.XXXXXX", path[128], uri[160];
	struct vici_conn *conns[9];
	int l, a, n;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/charon.vici", dir);
	snprintf(uri, sizeof(uri), "unix://%s", path);
	strcpy(sun.sun_path, path);
	assert_null(vici_connect_async(uri));
	assert_int_equal(errno, ENOENT);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(l, 0), 0);
	for (n = 0; n < 8; n++) {
		conns[n] = vici_connect_async(n % 2 ? path : uri);
		if (!conns[n])
			break;
		assert_int_equal(vici_events(conns[n]), POLLIN);
	}
	assert_true(n >= 1 && n < 8); /* some fit, then the backlog is full */
	assert_int_equal(errno, EAGAIN);
	/* charon accepts one: there is room again */
	a = accept(l, NULL, NULL);
	assert_true(a >= 0);
	conns[n] = vici_connect_async(path);
	assert_non_null(conns[n]);
	n++;
	close(a);
	while (n--)
		vici_close(conns[n]);
	close(l);
	unlink(path);
	rmdir(dir);
}

static void test_dump(void **state)
{
	struct vici_msg *m = vici_msg_parse(example, sizeof(example));
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	assert_non_null(m);
	assert_non_null(fp);
	vici_msg_dump(&m->root, fp, 0);
	fclose(fp);
	assert_string_equal(out, "key1 = value1\n"
				 "section1 {\n"
				 "  sub-section {\n"
				 "    key2 = value2\n"
				 "  }\n"
				 "  list1 [\n"
				 "    item1\n"
				 "    item2\n"
				 "  ]\n"
				 "}\n");
	free(out);
	vici_msg_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_example),
		cmocka_unit_test(test_parse_empty_and_binary),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_oversized_lengths),
		cmocka_unit_test(test_misplaced_elements),
		cmocka_unit_test(test_nesting_limit),
		cmocka_unit_test(test_node_limit),
		cmocka_unit_test(test_builder_roundtrip),
		cmocka_unit_test(test_builder_errors),
		cmocka_unit_test(test_packet_codec),
		cmocka_unit_test(test_feed_framing),
		cmocka_unit_test(test_command_socketpair),
		cmocka_unit_test(test_command_timeout),
		cmocka_unit_test(test_async_order),
		cmocka_unit_test(test_async_events_interleaved),
		cmocka_unit_test(test_async_partial_read),
		cmocka_unit_test(test_async_partial_write),
		cmocka_unit_test(test_async_timeout),
		cmocka_unit_test(test_async_peer_close),
		cmocka_unit_test(test_async_refusals),
		cmocka_unit_test(test_async_reentrant),
		cmocka_unit_test(test_async_no_blocking_in_callbacks),
		cmocka_unit_test(test_async_feed),
		cmocka_unit_test(test_connect_async),
		cmocka_unit_test(test_dump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

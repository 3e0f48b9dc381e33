// SPDX-License-Identifier: GPL-2.0
/*
 * VICI codec fuzzer.  The input is used three ways:
 *   1. as a message: a parse that succeeds must re-encode (builder) to the
 *      identical bytes (the encoding is canonical), and the ike_watch
 *      handlers must digest it as any event;
 *   2. as packet data (vici_packet_decode);
 *   3. as a byte stream fed to a connection in two chunks (framing,
 *      events dispatched to ike_watch);
 *   4. as a stream answering requests queued on a connection (commands,
 *      registrations, ike_watch syncs and probes), fed in chunks of
 *      data[0] % 17 bytes (0: at once), a callback closing the watcher
 *      at the data[1] % 8-th callback (0: never).  Every request gets
 *      its callback at most once, and exactly once when the deadline
 *      fails the rest (or a callback closed the connection first).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vici.h"
#include "ike_watch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int clean;

static void encode(struct vici_builder *b, const struct vici_node *n)
{
	const struct vici_node *c;

	for (c = n->child; c; c = c->next) {
		if (strlen(c->name) != c->nlen)
			clean = 0; /* a NUL in a name: not a C string */
		switch (c->type) {
		case VICI_NODE_SECTION:
			vici_section_begin(b, c->name);
			encode(b, c);
			vici_section_end(b);
			break;
		case VICI_NODE_LIST:
			vici_list_begin(b, c->name);
			encode(b, c);
			vici_list_end(b);
			break;
		case VICI_NODE_KV:
			vici_add_kv(b, c->name, c->value, c->vlen);
			break;
		case VICI_NODE_ITEM:
			vici_list_item(b, c->value, c->vlen);
			break;
		}
	}
}

static void on_up(void *arg, const struct ike_child *c)
{
	char buf[1024];

	ike_child_format(c, buf, sizeof(buf));
}

static const struct ike_watch_ops ops = {
	.child_up = on_up,
	.child_down = on_up,
};

struct async {
	struct ike_watch *w;
	int replies, dones, calls, close_at, closed;
};

static void after_call(struct async *a)
{
	if (++a->calls == a->close_at && !a->closed) {
		a->closed = 1;
		ike_watch_close(a->w);
	}
}

static void on_reply(void *arg, int err, struct vici_msg *msg)
{
	struct async *a = arg;

	if (a->closed || (err && msg))
		abort();
	a->replies++;
	vici_msg_free(msg);
	after_call(a);
}

static void on_done(void *arg, int result)
{
	struct async *a = arg;

	if (a->closed)
		abort();
	a->dones++;
	after_call(a);
}

static void async_path(const uint8_t *data, size_t size)
{
	struct vici_conn *conn = vici_conn_from_fd(-1);
	struct async a = { .w = ike_watch_new(conn, &ops, NULL) };
	size_t chunk = size ? data[0] % 17 : 0, off, n;
	int queued = 0, ops_queued = 0;

	if (size > 1)
		a.close_at = data[1] % 8;
	queued += vici_command_async(conn, "version", NULL, on_reply, &a) == 0;
	queued += vici_register_async(conn, "ike-updown", on_reply, &a) == 0;
	ops_queued += ike_watch_sync_async(a.w, on_done, &a) == 0;
	ops_queued += ike_watch_child_listed_async(a.w, 7, 3, 0xc1a2b3c4u,
						   on_done, &a) == 0;
	queued += vici_unregister_async(conn, "ike-updown", on_reply, &a) == 0;
	queued += vici_command_async(conn, "list-sas", NULL, on_reply, &a) == 0;
	if (queued != 4 || ops_queued != 2)
		abort();
	for (off = 0; off < size && !a.closed; off += n) {
		n = chunk ? chunk : size;
		if (n > size - off)
			n = size - off;
		if (vici_feed(conn, data + off, n) < 0)
			break;
		if (!a.closed && (a.replies > queued || a.dones > ops_queued))
			abort();
	}
	/* the deadline fails whatever is left */
	if (!a.closed)
		ike_watch_expire(a.w, UINT64_MAX);
	if (!a.closed && (a.replies != queued || a.dones != ops_queued ||
			  ike_watch_next_deadline(a.w) != 0))
		abort();
	if (!a.closed)
		ike_watch_close(a.w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {
		"child-updown",
		"child-rekey",
		"ike-updown",
		"list-sa",
	};
	struct vici_conn *conn = vici_conn_from_fd(-1);
	struct ike_watch *w = ike_watch_new(conn, &ops, NULL);
	struct vici_packet pkt;
	struct vici_msg *m;
	struct vici_builder b;
	size_t half = size / 2, i;

	m = vici_msg_parse(data, size);
	if (m) {
		/* every parsed message re-encodes to the same bytes, unless
		 * a name is empty (the builder refuses those) or holds a NUL */
		vici_builder_init(&b);
		clean = 1;
		encode(&b, &m->root);
		if (vici_builder_finish(&b) == 0 && clean &&
		    (b.len != size || memcmp(b.buf, data, size) != 0))
			abort();
		vici_builder_reset(&b);
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			ike_watch_handle(w, names[i], m);
		vici_msg_free(m);
	}
	if (vici_packet_decode(data, size, &pkt) == 0)
		vici_msg_free(vici_msg_parse(pkt.msg, pkt.msglen));
	if (vici_feed(conn, data, half) >= 0)
		vici_feed(conn, data + half, size - half);
	ike_watch_close(w);
	async_path(data, size);
	return 0;
}

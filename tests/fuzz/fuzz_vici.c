// SPDX-License-Identifier: GPL-2.0
/*
 * VICI codec fuzzer.  The input is used three ways:
 *   1. as a message: a parse that succeeds must re-encode (builder) to the
 *      identical bytes (the encoding is canonical), and the ike_watch
 *      handlers must digest it as any event;
 *   2. as packet data (vici_packet_decode);
 *   3. as a byte stream fed to a connection in two chunks (framing,
 *      events dispatched to ike_watch).
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
			clean = 0;	/* a NUL in a name: not a C string */
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
	.child_up = on_up, .child_down = on_up,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {
		"child-updown", "child-rekey", "ike-updown", "list-sa",
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
	return 0;
}

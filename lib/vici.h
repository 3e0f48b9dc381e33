/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small client of strongSwan's VICI protocol (Versatile IKE Control
 * Interface), written from the protocol description in strongSwan's
 * src/libcharon/plugins/vici/README.md.  Debian ships libvici.so.0 without
 * a header and libvici runs callbacks on libstrongswan's thread pool; this
 * client is single-threaded and poll()-friendly instead.
 *
 * Wire format:
 *   transport  u32 big-endian length (of the data only), then the data;
 *              at most VICI_MAX_FRAME bytes of data
 *   packet     u8 type, [u8 name length, name] for named types, message
 *   message    a sequence of elements:
 *              SECTION_START u8 len name | SECTION_END
 *              KEY_VALUE u8 len name u16 be len value
 *              LIST_START u8 len name | LIST_ITEM u16 be len value | LIST_END
 *
 * Parsing never trusts a length: every read is checked against the end of
 * the buffer, nesting is bounded (VICI_MAX_DEPTH), and a message is either
 * parsed completely into a tree or rejected with -1/EBADMSG.
 */
#ifndef MUISP_VICI_H
#define MUISP_VICI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define VICI_MAX_FRAME	(512 * 1024)	/* the daemon's own limit */
#define VICI_MAX_DEPTH	16		/* sections nested, root excluded */
#define VICI_MAX_NODES	65536		/* elements per message */

enum vici_packet_type {
	VICI_CMD_REQUEST = 0,
	VICI_CMD_RESPONSE = 1,
	VICI_CMD_UNKNOWN = 2,
	VICI_EVENT_REGISTER = 3,
	VICI_EVENT_UNREGISTER = 4,
	VICI_EVENT_CONFIRM = 5,
	VICI_EVENT_UNKNOWN = 6,
	VICI_EVENT = 7,
};

enum vici_element {
	VICI_SECTION_START = 1,
	VICI_SECTION_END = 2,
	VICI_KEY_VALUE = 3,
	VICI_LIST_START = 4,
	VICI_LIST_ITEM = 5,
	VICI_LIST_END = 6,
};

/* Does packet type T carry a name? */
int vici_packet_named(int type);

/* ---- parsed messages: a tree ---------------------------------------- */

enum vici_node_type {
	VICI_NODE_SECTION,	/* name, children */
	VICI_NODE_KV,		/* name, value */
	VICI_NODE_LIST,		/* name, children are VICI_NODE_ITEM */
	VICI_NODE_ITEM,		/* value */
};

struct vici_node {
	enum vici_node_type type;
	const char *name;	/* NUL-terminated; "" for items and the root */
	size_t nlen;		/* bytes of name on the wire */
	const char *value;	/* NUL-terminated copy (values may hold NULs:
				 * use vlen) */
	size_t vlen;
	struct vici_node *child;	/* first child (section, list) */
	struct vici_node *next;		/* next sibling */
};

struct vici_msg {
	struct vici_node root;		/* an unnamed section */
	size_t nnodes;
	void *arena;			/* one allocation holds everything */
};

/*
 * Parse LEN bytes of message into a tree.  Returns a message to free with
 * vici_msg_free(), or NULL with errno EBADMSG (malformed, truncated,
 * unbalanced, too deep) or ENOMEM.
 */
struct vici_msg *vici_msg_parse(const uint8_t *buf, size_t len);
void vici_msg_free(struct vici_msg *msg);

/* Child of section/list N named NAME (first match), or NULL. */
const struct vici_node *vici_node_get(const struct vici_node *n,
				      const char *name);
/*
 * Look a key up by a path of section names separated by '.', e.g.
 * "ike.child-sas.c-1.reqid".  Returns the value of a KV node, or NULL.
 */
const char *vici_find_str(const struct vici_node *n, const char *path);
/* Number of children of a section or list. */
size_t vici_node_count(const struct vici_node *n);

/* Print a tree for humans (debugging, tests). */
void vici_msg_dump(const struct vici_node *n, FILE *fp, int indent);

/* ---- building messages ---------------------------------------------- */

struct vici_builder {
	uint8_t *buf;
	size_t len, cap;
	int depth;		/* open sections */
	int in_list;
	int error;		/* sticky: first errno, 0 if none */
};

void vici_builder_init(struct vici_builder *b);
void vici_builder_reset(struct vici_builder *b);
void vici_section_begin(struct vici_builder *b, const char *name);
void vici_section_end(struct vici_builder *b);
void vici_add_kv(struct vici_builder *b, const char *key, const void *val,
		 size_t vlen);
void vici_add_kv_str(struct vici_builder *b, const char *key,
		     const char *val);
void vici_add_kvf(struct vici_builder *b, const char *key, const char *fmt,
		  ...) __attribute__((format(printf, 3, 4)));
void vici_list_begin(struct vici_builder *b, const char *name);
void vici_list_item(struct vici_builder *b, const void *val, size_t vlen);
void vici_list_item_str(struct vici_builder *b, const char *val);
void vici_list_end(struct vici_builder *b);
/*
 * Finish: 0 with the message in b->buf/b->len if everything was valid and
 * balanced, else -1 with errno (EINVAL: bad nesting or name/value too
 * long; ENOMEM).
 */
int vici_builder_finish(struct vici_builder *b);

/* ---- packets ---------------------------------------------------------- */

/*
 * Encode one transport frame (length header included) for packet TYPE,
 * NAME (named types only) and message MSG/MSGLEN (may be empty) into a new
 * buffer.  Returns 0 and the frame in OUT, OUTLEN, or -1 with errno.
 */
int vici_packet_encode(int type, const char *name, const uint8_t *msg,
		       size_t msglen, uint8_t **out, size_t *outlen);

struct vici_packet {
	int type;
	char name[256];		/* "" for unnamed types */
	const uint8_t *msg;	/* points into the frame */
	size_t msglen;
};

/*
 * Decode the data of one frame (without its length header).  Returns 0 or
 * -1 with errno EBADMSG (empty, unknown type, truncated name).
 */
int vici_packet_decode(const uint8_t *data, size_t len,
		       struct vici_packet *pkt);

/* ---- connection ------------------------------------------------------- */

/*
 * Event handler: NAME is the event name, MSG its parsed message (NULL if
 * the message was malformed; the handler may count that).
 */
typedef void (*vici_event_cb)(void *arg, const char *name,
			      const struct vici_msg *msg);

struct vici_conn {
	int fd;
	uint8_t *rbuf;		/* bytes read, not yet consumed */
	size_t rlen, rcap;
	vici_event_cb event_cb;
	void *event_arg;
	int timeout_ms;		/* for the blocking helpers */
	unsigned long bad_frames;	/* counters, for callers and tests */
	unsigned long events;
};

/* Connect to "unix:///path" or a plain path.  NULL with errno. */
struct vici_conn *vici_connect(const char *uri);
/* Wrap an already-connected stream socket (tests use socketpair()). */
struct vici_conn *vici_conn_from_fd(int fd);
void vici_close(struct vici_conn *c);
int vici_fd(const struct vici_conn *c);
void vici_set_event_cb(struct vici_conn *c, vici_event_cb cb, void *arg);

/*
 * Send a command and wait (up to c->timeout_ms) for its response.  Events
 * arriving in between are dispatched to the event callback.  Returns the
 * parsed response (free with vici_msg_free) or NULL with errno: ENOENT
 * (CMD_UNKNOWN), ETIMEDOUT, EBADMSG, EPIPE (closed), or a socket error.
 * REQ may be NULL for an empty request.
 */
struct vici_msg *vici_command(struct vici_conn *c, const char *cmd,
			      const struct vici_builder *req);
/* Register / unregister for an event: 0, or -1 with errno (ENOENT). */
int vici_register(struct vici_conn *c, const char *event);
int vici_unregister(struct vici_conn *c, const char *event);

/*
 * For a poll loop: read what is available on the (readable) socket and
 * dispatch every complete EVENT packet.  Returns the number of events
 * dispatched, or -1 with errno (EPIPE when the daemon closed the socket,
 * EBADMSG for a frame over VICI_MAX_FRAME: the stream cannot be resynced,
 * reconnect).
 */
int vici_dispatch(struct vici_conn *c);

/*
 * Feed bytes as if read from the socket and dispatch complete events
 * (used by vici_dispatch, the fuzzer and the unit tests).  Responses that
 * nobody waits for are dropped and counted in bad_frames.  Same returns
 * as vici_dispatch.
 */
int vici_feed(struct vici_conn *c, const uint8_t *data, size_t len);

#endif

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

#define VICI_MAX_FRAME (512 * 1024) /* the daemon's own limit */
#define VICI_MAX_DEPTH 16	    /* sections nested, root excluded */
#define VICI_MAX_NODES 65536	    /* elements per message */

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
	VICI_NODE_SECTION, /* name, children */
	VICI_NODE_KV,	   /* name, value */
	VICI_NODE_LIST,	   /* name, children are VICI_NODE_ITEM */
	VICI_NODE_ITEM,	   /* value */
};

struct vici_node {
	enum vici_node_type type;
	const char *name;  /* NUL-terminated; "" for items and the root */
	size_t nlen;	   /* bytes of name on the wire */
	const char *value; /* NUL-terminated copy (values may hold NULs:
				 * use vlen) */
	size_t vlen;
	struct vici_node *child; /* first child (section, list) */
	struct vici_node *next;	 /* next sibling */
};

struct vici_msg {
	struct vici_node root; /* an unnamed section */
	size_t nnodes;
	void *arena; /* one allocation holds everything */
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
	int depth; /* open sections */
	int in_list;
	int error; /* sticky: first errno, 0 if none */
};

void vici_builder_init(struct vici_builder *b);
void vici_builder_reset(struct vici_builder *b);
void vici_section_begin(struct vici_builder *b, const char *name);
void vici_section_end(struct vici_builder *b);
void vici_add_kv(struct vici_builder *b, const char *key, const void *val,
		 size_t vlen);
void vici_add_kv_str(struct vici_builder *b, const char *key, const char *val);
void vici_add_kvf(struct vici_builder *b, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
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
	char name[256];	    /* "" for unnamed types */
	const uint8_t *msg; /* points into the frame */
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
 * A connection runs without blocking inside the caller's event loop
 * (sd-event, epoll, poll), or blocks in the *_wait-based helpers below for
 * tools that have no loop.
 *
 * Requests.  The protocol has no sequence numbers: a response belongs to
 * the oldest request not answered yet.  Requests (commands, event
 * (un)registrations) are queued in order and sent one at a time: the next
 * one goes out when the previous one is answered.  The one in flight has a
 * deadline, c->timeout_ms after it was queued for sending (the field may be
 * changed at any time; it applies to the request in flight too).
 *
 * Driving it from a loop (sd-event: an io source on vici_fd() and a
 * CLOCK_MONOTONIC timer; update both before every wait, e.g. in a prepare
 * callback):
 *   events   vici_events(c): POLLIN, plus POLLOUT while output is pending
 *            (the same values as EPOLLIN/EPOLLOUT); 0 once lost
 *   io       vici_process(c, revents): writes what it can, reads what is
 *            there, answers requests, dispatches events
 *   timer    vici_next_deadline(c) (CLOCK_MONOTONIC microseconds, 0: none)
 *            and vici_expire(c, vici_now()) when it fires
 *
 * Losing the connection.  End of stream (EPIPE), a socket error, a frame
 * over VICI_MAX_FRAME (EBADMSG) or a request past its deadline (ETIMEDOUT:
 * a late response could no longer be matched to its request) lose the
 * connection: every queued request fails, in order, with that errno,
 * vici_process()/vici_expire() return -1 with it, new requests are refused
 * with EPIPE, and the caller closes the connection and reconnects.
 *
 * Callbacks (reply and event) run only inside vici_process(),
 * vici_dispatch(), vici_feed(), vici_expire() and the blocking helpers --
 * never inside vici_command_async(), vici_register_async() or
 * vici_close().  A callback may:
 *   - queue further requests (they go after those already queued);
 *   - call vici_close() on the connection: the close is deferred until the
 *     outermost vici call returns (that call then returns 0, or -1 with
 *     ECANCELED for a blocking helper), no callback runs after it, queued
 *     requests are dropped without their callbacks, and the socket is
 *     closed then.  Do not touch the connection after closing it.
 * A callback must not block: vici_process(), vici_dispatch(),
 * vici_feed(), vici_expire(), vici_wait() and the blocking helpers fail
 * with EDEADLK inside a callback.
 */

/*
 * Event handler: NAME is the event name, MSG its parsed message (NULL if
 * the message was malformed; the handler may count that).  MSG is freed
 * when the handler returns.
 */
typedef void (*vici_event_cb)(void *arg, const char *name,
			      const struct vici_msg *msg);

/*
 * Outcome of a queued request: ERR 0 and, for a command, its parsed
 * response MSG, which the callback owns (free it with vici_msg_free; NULL
 * for (un)registrations).  Else MSG is NULL and ERR is ENOENT (CMD_UNKNOWN
 * or EVENT_UNKNOWN), EBADMSG (a response that did not parse; the
 * connection goes on) or the errno that lost the connection (ETIMEDOUT,
 * EPIPE, ECONNRESET, EBADMSG, ...).  Called exactly once per request
 * queued, unless the connection is closed first.
 */
typedef void (*vici_reply_cb)(void *arg, int err, struct vici_msg *msg);

struct vici_req;

struct vici_conn {
	int fd;	       /* < 0: no socket (tests, fuzzer): nothing
				 * is read, output is discarded */
	uint8_t *rbuf; /* bytes read, not yet consumed */
	size_t rlen, rcap;
	struct vici_req *head, *tail; /* requests; HEAD is in flight */
	vici_event_cb event_cb;
	void *event_arg;
	int timeout_ms;		  /* per request in flight (default 10 s) */
	int error;		  /* why the connection was lost, 0 if not */
	int depth;		  /* vici calls running callbacks, nested */
	int closed;		  /* vici_close() deferred */
	unsigned long bad_frames; /* counters, for callers and tests */
	unsigned long events;
};

/*
 * Connect to "unix:///path" or a plain path (NULL: the default), waiting
 * for charon to accept.  NULL with errno.
 */
struct vici_conn *vici_connect(const char *uri);
/*
 * The same without waiting: a unix stream connect either completes at once
 * or fails.  When charon's listen backlog is full it fails with EAGAIN (a
 * socket not yet connected polls as hung up, so there is no event to wait
 * for); the caller retries from its reconnect timer.
 */
struct vici_conn *vici_connect_async(const char *uri);
/* Wrap an already-connected stream socket (tests use socketpair()). */
struct vici_conn *vici_conn_from_fd(int fd);
/* Close the socket and free everything; see "Callbacks" for calling it
 * from a callback.  Queued requests are dropped without callbacks. */
void vici_close(struct vici_conn *c);
int vici_fd(const struct vici_conn *c);
void vici_set_event_cb(struct vici_conn *c, vici_event_cb cb, void *arg);

/*
 * Queue command CMD with request message REQ (NULL: empty; copied, so it
 * may be reset at once).  CB gets the outcome later.  0, or -1 with errno
 * and CB never called: EINVAL (REQ unbalanced or in error, bad name),
 * EPIPE (the connection is lost), ENOMEM.
 */
int vici_command_async(struct vici_conn *c, const char *cmd,
		       const struct vici_builder *req, vici_reply_cb cb,
		       void *arg);
/* Queue an event registration / unregistration: the same contract. */
int vici_register_async(struct vici_conn *c, const char *event,
			vici_reply_cb cb, void *arg);
int vici_unregister_async(struct vici_conn *c, const char *event,
			  vici_reply_cb cb, void *arg);

/* What to wait for on vici_fd(): POLLIN [| POLLOUT], 0 when lost. */
int vici_events(const struct vici_conn *c);
/*
 * The socket is ready (REVENTS from poll/epoll; POLLIN, POLLOUT, POLLHUP,
 * POLLERR): write pending output, read what is there, answer requests and
 * dispatch events.  Never blocks.  Returns the number of events
 * dispatched, 0 if a callback closed the connection, or -1 with errno
 * when the connection is lost.
 */
int vici_process(struct vici_conn *c, int revents);
/* CLOCK_MONOTONIC in microseconds (what the deadlines use). */
uint64_t vici_now(void);
/* Deadline of the request in flight (vici_now() scale), 0 if none. */
uint64_t vici_next_deadline(const struct vici_conn *c);
/*
 * The timer fired: if NOW is past the deadline, the connection is lost
 * with ETIMEDOUT (every queued request fails) and -1 is returned.  0
 * otherwise (also when a callback closed the connection).
 */
int vici_expire(struct vici_conn *c, uint64_t now);

/*
 * Blocking helpers for programs without an event loop: run the connection
 * (poll, vici_process, vici_expire) until *DONE is set by a callback.  0,
 * or -1 with errno: the connection was lost before (ETIMEDOUT, EPIPE, ...),
 * ECANCELED when a callback closed it (it is gone), EDEADLK in a callback.
 * Every request queued has a deadline, so this returns.
 */
int vici_wait(struct vici_conn *c, const int *done);

/*
 * Send a command and wait for its response (vici_command_async +
 * vici_wait).  Events arriving in between are dispatched.  Returns the
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
 * vici_process(c, POLLIN), the name poll loops have used: returns the
 * number of events dispatched, or -1 with errno (EPIPE when the daemon
 * closed the socket, EBADMSG for a frame over VICI_MAX_FRAME: the stream
 * cannot be resynced, reconnect).
 */
int vici_dispatch(struct vici_conn *c);

/*
 * Feed bytes as if read from the socket: answer requests and dispatch
 * events (used by vici_process, the fuzzer and the unit tests).  A
 * response when no request is in flight is dropped and counted in
 * bad_frames.  Same returns as vici_process.
 */
int vici_feed(struct vici_conn *c, const uint8_t *data, size_t len);

#endif

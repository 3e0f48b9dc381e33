/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ike_watch: follows charon's CHILD_SAs over VICI and reports, per client
 * address, "CHILD_SA up / down / rekeyed" with the SA identity the kernel
 * module binds to the address.  Single-threaded, on one vici_conn.
 *
 * In an event loop nothing blocks: ike_watch_open_async(), then
 * ike_watch_fd() with ike_watch_events() / ike_watch_process() and a timer
 * on ike_watch_next_deadline() / ike_watch_expire() (the vici_conn rules
 * in vici.h: queued requests, deadlines, a lost connection is closed and
 * reopened by the caller).  ike_watch_sync_async() and
 * ike_watch_child_listed_async() report through a callback.  The blocking
 * ike_watch_open(), ike_watch_sync() and ike_watch_child_listed() run the
 * same operations and wait (tools, test programs).
 *
 * Callbacks (the ops, the done callbacks) run inside ike_watch_process(),
 * ike_watch_dispatch(), ike_watch_expire(), ike_watch_handle() and the
 * blocking functions, never inside the *_async() calls.  A callback may
 * read the table (ike_watch_find, _count, _stats, _syncing), start
 * asynchronous operations, and close the watcher: ike_watch_close() is
 * then deferred until the outermost ike_watch call returns, no callback
 * runs after it (pending operations are dropped without their done
 * callbacks), and that call returns 0.  A callback must not call the
 * blocking functions, ike_watch_process/_dispatch/_expire (EDEADLK).
 *
 * Identity reported (see docs/DESIGN.md, "tunnel identity"):
 *   reqid    charon's policy id for the CHILD_SA, stable across rekeying;
 *            it equals xfrm_state.props.reqid of the inbound SA
 *   spi_in   the inbound SPI the router allocated (xfrm_state.id.spi, in
 *            host order here); unique per SA, changes on rekey
 *   proto    IPPROTO_AH or IPPROTO_ESP (xfrm_state.id.proto)
 *   if_id / mark are reported when charon has them (0 otherwise).
 */
#ifndef MUISP_IKE_WATCH_H
#define MUISP_IKE_WATCH_H

#include <netinet/in.h>
#include <stdint.h>

#include "vici.h"

struct ike_child {
	char ike_name[64]; /* IKE_SA (connection) name */
	uint32_t ike_uniqueid;
	char child_name[64]; /* CHILD_SA config name */
	uint32_t uniqueid;   /* CHILD_SA unique id */
	uint32_t reqid;
	int proto;		  /* IPPROTO_AH / IPPROTO_ESP */
	int tunnel;		  /* 1 if mode TUNNEL */
	uint32_t spi_in, spi_out; /* host order */
	uint32_t if_id_in, if_id_out, mark_in, mark_out;
	/* The client address: the remote traffic selector when it is one
	 * host (/32, /128), else the remote IKE endpoint. */
	int family; /* AF_INET / AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
	char addr_str[INET6_ADDRSTRLEN];
	char remote_host[INET6_ADDRSTRLEN];
	char remote_id[256];
	/* the EAP identity when it differs from remote_id (charon's
	 * remote-eap-id), else "" */
	char remote_eap_id[256];
	char integ_alg[48];
	char encr_alg[48];
	unsigned integ_keysize, encr_keysize;
};

struct ike_watch_ops {
	void (*child_up)(void *arg, const struct ike_child *c);
	void (*child_down)(void *arg, const struct ike_child *c);
	void (*child_rekey)(void *arg, const struct ike_child *old_sa,
			    const struct ike_child *new_sa);
	void (*ike_updown)(void *arg, const char *ike_name, uint32_t uniqueid,
			   int up, const char *remote_host);
	/* optional: every event as received (logging, debugging); MSG is
	 * NULL when it did not parse */
	void (*event)(void *arg, const char *name, const struct vici_msg *msg);
};

struct ike_watch_stats {
	unsigned long events; /* events received */
	unsigned long child_up, child_down, child_rekey, ike_updown;
	unsigned long malformed; /* unparsable or missing fields */
	unsigned long ignored;	 /* events of other names */
};

struct ike_watch;

/*
 * The result of an asynchronous operation (see each): >= 0 on success, or
 * -errno (ENOENT: charon refused a command or event; ETIMEDOUT, EPIPE,
 * ...: the connection was lost, and the caller reconnects).
 */
typedef void (*ike_watch_done_cb)(void *arg, int result);

/*
 * Connect to charon's VICI socket URI (NULL: the default) and register
 * for ike-updown, child-updown and child-rekey.
 *   ike_watch_open_async  never blocks: returns the watcher at once (its
 *                         fd can go into the loop) and READY gets 0 once
 *                         the three registrations are confirmed, or
 *                         -errno (the caller closes the watcher).  NULL
 *                         with errno if the connect fails (EAGAIN: charon's
 *                         backlog is full; retry later).
 *   ike_watch_open        waits for the same.  NULL with errno.
 */
struct ike_watch *ike_watch_open_async(const char *uri,
				       const struct ike_watch_ops *ops,
				       void *arg, ike_watch_done_cb ready,
				       void *ready_arg);
struct ike_watch *ike_watch_open(const char *uri,
				 const struct ike_watch_ops *ops, void *arg);
/* A watcher over an existing connection (tests), and the registrations
 * ike_watch_open_async() queues on it (0, or -1 with errno). */
struct ike_watch *ike_watch_new(struct vici_conn *conn,
				const struct ike_watch_ops *ops, void *arg);
int ike_watch_register_async(struct ike_watch *w, ike_watch_done_cb ready,
			     void *ready_arg);
/* Close the connection and free everything (deferred in a callback). */
void ike_watch_close(struct ike_watch *w);

/* The event loop's side: see vici_events(), vici_process(),
 * vici_next_deadline(), vici_expire().  -1 with errno when the connection
 * is lost (the caller closes the watcher, reconnects and syncs). */
int ike_watch_fd(const struct ike_watch *w);
int ike_watch_events(const struct ike_watch *w);
int ike_watch_process(struct ike_watch *w, int revents);
uint64_t ike_watch_next_deadline(const struct ike_watch *w);
int ike_watch_expire(struct ike_watch *w, uint64_t now);
/* ike_watch_process(w, POLLIN): for poll loops. */
int ike_watch_dispatch(struct ike_watch *w);

/*
 * Report every CHILD_SA that is already up (list-sas) through child_up:
 * after a (re)start nothing is missed.  Events arriving meanwhile are
 * handled as usual.
 *   ike_watch_sync_async  DONE gets the number reported, or -errno.
 *                         0 or -1 with errno (DONE then never called).
 *   ike_watch_sync        waits: the number reported, or -1 with errno.
 * ike_watch_syncing() is nonzero while a sync is under way (from the call
 * until just before its DONE runs): a child_up then comes from the list.
 */
int ike_watch_sync_async(struct ike_watch *w, ike_watch_done_cb done,
			 void *arg);
int ike_watch_sync(struct ike_watch *w);
int ike_watch_syncing(const struct ike_watch *w);

/*
 * Is CHILD_SA CHILD_ID (inbound SPI SPI_IN) of IKE_SA IKE_ID still known to
 * charon, in any state?  After a rekey the old CHILD_SA lingers (REKEYED,
 * then DELETED) while its inbound SA takes delayed packets, and charon
 * signals no event when it finally destroys it (no child-updown for a
 * rekeyed SA; charon.delete_rekeyed_delay, 5 s by default): the daemon
 * asks with list-sas.  Result 1 listed, 0 gone, or an error.  Events
 * arriving meanwhile are dispatched as usual.
 *   ike_watch_child_listed_async  CB gets 1, 0 or -errno; 0 or -1 with
 *                                 errno (CB then never called).
 *   ike_watch_child_listed        waits: 1, 0, or -1 with errno.
 */
int ike_watch_child_listed_async(struct ike_watch *w, uint32_t ike_id,
				 uint32_t child_id, uint32_t spi_in,
				 ike_watch_done_cb cb, void *arg);
int ike_watch_child_listed(struct ike_watch *w, uint32_t ike_id,
			   uint32_t child_id, uint32_t spi_in);
const struct ike_watch_stats *ike_watch_stats(const struct ike_watch *w);
struct vici_conn *ike_watch_conn(struct ike_watch *w);

/*
 * The CHILD_SAs currently up, as followed from the events (up adds, down
 * removes, rekey replaces old by new; keyed by CHILD_SA uniqueid).
 * ike_watch_find() copies up to MAX of those whose client address is
 * FAMILY/ADDR into OUT and returns how many there are in all: more than
 * one means a second IKE_SA claims the same address (on a shared medium
 * anyone can run IKE from a spoofed source), and the daemon must not bind
 * the address to either without deciding which one paid.  FAMILY
 * AF_UNSPEC: every CHILD_SA (ADDR unused).
 */
size_t ike_watch_count(const struct ike_watch *w);
size_t ike_watch_find(const struct ike_watch *w, int family, const void *addr,
		      struct ike_child *out, size_t max);

/* Handle one event (what dispatch does per event; exposed for tests). */
void ike_watch_handle(struct ike_watch *w, const char *name,
		      const struct vici_msg *msg);

/* Fill C from a CHILD_SA section of a list-sa/child-updown message; 0 or
 * -1 if a required field is missing or malformed. */
int ike_child_parse(const struct vici_node *ike, const struct vici_node *sa,
		    struct ike_child *c);
/* One line "child NAME reqid R proto AH spi_in 0x... addr A ..." */
int ike_child_format(const struct ike_child *c, char *buf, size_t len);

#endif

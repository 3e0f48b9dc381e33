/* SPDX-License-Identifier: GPL-2.0 */
/*
 * muisp-ipfixd: the IPFIX exporter of the module's flow records (see
 * muisp-ipfixd(8), docs/DESIGN.md "IPFIX export").
 *
 *   config.c   muisp-ipfixd.conf(5) into struct ipfixd_conf
 *   export.c   the exporter: loss accounting by MUISP_FLOW_A_SEQ, IPFIX
 *              messages (lib/ipfix) queued and handed to a send callback
 *              per collector; no I/O of its own (unit-tested)
 *   replay.c   --replay FILE: netlink FLOW_RECORD messages from a file
 *   main.c     sockets, the sd-event loop, the operator socket
 */
#ifndef MUISP_IPFIXD_H
#define MUISP_IPFIXD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "ipfix.h"
#include "muisp_nl.h"

#define IPFIXD_CONF_PATH      "/etc/muisp/muisp-ipfixd.conf"
#define IPFIXD_MAX_COLLECTORS 4
#define IPFIXD_MTU_MIN	      256
#define IPFIXD_MTU_MAX	      65507 /* the largest UDP payload over IPv4 */
/* Finished messages held for one batch of sendmmsg() per collector. */
#define IPFIXD_QUEUE 16
/* Seconds between attempts to join "flows" while the module is absent. */
#define IPFIXD_RETRY_S 10

struct ipfixd_collector {
	char name[64]; /* as configured, for messages */
	struct sockaddr_storage sa;
	socklen_t salen;
};

struct ipfixd_conf {
	struct ipfixd_collector coll[IPFIXD_MAX_COLLECTORS];
	unsigned int ncoll;
	uint32_t domain_id;  /* ipfix-domain-id, default 1 */
	uint32_t mtu;	     /* ipfix-mtu: the largest message, bytes */
	uint32_t flush_ms;   /* ipfix-flush-ms */
	uint32_t refresh_s;  /* ipfix-template-refresh */
	uint32_t every_msgs; /* ipfix-template-every */
	uint32_t rcvbuf;     /* ipfix-rcvbuf, bytes */
	char socket[108];    /* the operator socket */
};

/* Defaults, then the file.  0, or -1 with "FILE:LINE: why" in err. */
int ipfixd_config_load(const char *path, struct ipfixd_conf *c, char *err,
		       size_t errlen);
/* The same from text (name in messages). */
int ipfixd_config_parse(const char *name, const char *text,
			struct ipfixd_conf *c, char *err, size_t errlen);

/* The counters served on the operator socket (keys of the same name,
 * "ipfix_" + key in muispctl stats and MUISP-MIB). */
struct ipfixd_counters {
	uint64_t records_received;     /* flow records read */
	uint64_t records_exported;     /* ... sent, once per collector */
	uint64_t records_lost_overrun; /* seq gaps: the kernel dropped them */
	uint64_t records_lost_send;    /* a send failed, once per collector */
	uint64_t records_invalid;      /* unusable (no addresses) */
	uint64_t messages_sent;	       /* IPFIX messages, per collector */
	uint64_t templates_sent;       /* ... of them with the templates */
	uint64_t overruns;	       /* ENOBUFS on the netlink socket */
	uint64_t module_reloads;       /* "flows" joined again (nl_follow) */
};

/* Add n to records_lost_overrun, stopping at UINT64_MAX: the counter
 * only rises (NMS deltas, the trap's "loss rose"), even when a replay
 * file's numbers jump by 2^63 twice. */
void ipfixd_count_lost(struct ipfixd_counters *c, uint64_t n);

/* Name and value of each counter, in a fixed order. */
void ipfixd_counters_each(const struct ipfixd_counters *c,
			  void (*fn)(void *arg, const char *name, uint64_t v),
			  void *arg);

/*
 * Loss by sequence number: the kernel numbers every record of the
 * namespace (1, 2, ...).  Records of different CPUs may arrive a little
 * out of order, so a number counts as lost only once IPFIXD_SEQ_WINDOW
 * higher ones arrived without it, or at ipfixd_seq_settle() (the loop
 * calls it when records stop coming).  A number far below the window
 * (the module was reloaded: it starts again at 1) starts afresh.
 */
#define IPFIXD_SEQ_WINDOW 64
struct ipfixd_seq {
	bool started;
	uint64_t hi;   /* the highest number seen */
	uint64_t seen; /* bit i: hi - i was seen (or predates the start) */
};
/* Account seq; returns the numbers now known lost (0 for a duplicate). */
uint64_t ipfixd_seq_add(struct ipfixd_seq *s, uint64_t seq);
/* Count every number still missing below hi as lost. */
uint64_t ipfixd_seq_settle(struct ipfixd_seq *s);
/* The module went away or came back: settle, then start afresh (the next
 * number, whatever it is, is the first). */
uint64_t ipfixd_seq_restart(struct ipfixd_seq *s);

/* A collector's sender: send msgs (in order) and set ok[i] to whether
 * msgs[i] was handed to the network; 0 or the errno of a failure. */
typedef int (*ipfixd_send_fn)(void *arg, unsigned int coll, struct iovec *msgs,
			      unsigned int n, uint8_t *ok);

struct ipfixd_exp {
	const struct ipfixd_conf *conf;
	struct ipfixd_counters ctr;
	struct ipfixd_seq seq;
	struct ipfix_refresh refresh;
	uint32_t ipfix_seq; /* the next message's header sequence number */
	/* the message being built: q[nq] while open */
	bool open;
	struct ipfix_msg m;
	uint8_t *bufs; /* IPFIXD_QUEUE buffers of conf->mtu bytes */
	struct iovec q[IPFIXD_QUEUE];
	uint32_t qflows[IPFIXD_QUEUE];		     /* flow records in each */
	uint8_t qtmpl[IPFIXD_QUEUE];		     /* carries the templates */
	unsigned int nq;			     /* finished, not sent */
	int coll_err[IPFIXD_MAX_COLLECTORS];	     /* the send errno logged */
	unsigned int coll_ok[IPFIXD_MAX_COLLECTORS]; /* good sends since */
	ipfixd_send_fn send;
	void *send_arg;
	/* the clocks (tests set them): realtime and monotonic seconds */
	uint64_t (*now_real_s)(void);
	uint64_t (*now_mono_s)(void);
};

int ipfixd_exp_init(struct ipfixd_exp *x, const struct ipfixd_conf *conf,
		    ipfixd_send_fn send, void *send_arg);
void ipfixd_exp_fini(struct ipfixd_exp *x);
/* One flow record: loss accounting, then into the open message (a full
 * message is queued, a full queue sent).  0, or -1 for an invalid one. */
int ipfixd_exp_record(struct ipfixd_exp *x, const struct muisp_nl_flow *f);
/* A message is open with records in it (the caller's flush timer). */
bool ipfixd_exp_pending(const struct ipfixd_exp *x);
/* Close the open message and send every queued one. */
void ipfixd_exp_flush(struct ipfixd_exp *x);
/* Send the queued messages only (the end of a batch of records). */
void ipfixd_exp_send(struct ipfixd_exp *x);

/*
 * Replay files: netlink messages back to back (each padded to 4 bytes as
 * the kernel sends them), MUISP_CMD_FLOW_RECORD ones used, any other
 * generic netlink command skipped.  The family id in nlmsg_type is not
 * checked (it is assigned at module load).
 */
struct ipfixd_replay {
	const uint8_t *buf;
	size_t len, off;
};
void ipfixd_replay_init(struct ipfixd_replay *r, const void *buf, size_t len);
/* The next flow record: 1, 0 at the end, -1 with "offset N: why" in err
 * for a malformed file (a length that does not add up, a record that
 * does not parse, or has no client or peer address). */
int ipfixd_replay_next(struct ipfixd_replay *r, struct muisp_nl_flow *f,
		       char *err, size_t errlen);
/* Read a replay file: it must be a regular file owned by root and not
 * writable by group or others (the input is trusted as the kernel's).
 * 0 with a malloc'd *buf, or -1 with the reason in err. */
int ipfixd_replay_load(const char *path, uint8_t **buf, size_t *len, char *err,
		       size_t errlen);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Packets the module sent to an NFQUEUE, held by flow until muispd has an
 * answer for the flow: the out-of-band agents' flows (uinfo_hold.c) and
 * the per-connection contracts' new connections (conn_hold.c).  One
 * mechanism for both: the queue's socket on the event loop, a flow's
 * packets kept together (a SYN and its retransmissions join the first),
 * and each flow ended at once, its packets sent round the module's hook
 * again (NF_REPEAT: the module now knows the answer) or dropped.
 */
#ifndef MUISPD_HOLDQ_H
#define MUISPD_HOLDQ_H

#include <stdint.h>
#include <stddef.h>
#include <systemd/sd-event.h>

#include "nfq.h"

/* Packets held for one flow: more are dropped until the answer. */
#define HOLD_IDS_MAX 16

struct hold_flow {
	struct hold_flow *next;
	uint64_t since; /* monotonic ms */
	uint8_t family; /* AF_INET, AF_INET6 */
	uint8_t proto;	/* IPPROTO_TCP, IPPROTO_UDP */
	uint8_t host[16], peer[16];
	uint16_t hport, pport;
	uint32_t ids[HOLD_IDS_MAX];
	unsigned nids;
	/* the question asked about it, the user's to fill */
	uint64_t agent;	       /* the agent's channel (conn id), 0 none */
	uint32_t serial;       /* of its UINFO_OWNER_GET */
	uint32_t user;	       /* conn_hold.c: its owner's Accounting ID */
	uint64_t paying;       /* ... the contract whose agent was asked */
	uint8_t challenge[32]; /* ... what the agent's answer signs */
};

struct holdq {
	struct nfq *q;
	sd_event_source *io;
	struct hold_flow *flows;
	unsigned npkts;	  /* held now, all flows */
	uint64_t lost;	  /* the socket overflowed: the kernel dropped some */
	const char *name; /* in log lines */
	/* Reading the queue, the packets' verdicts are gathered and sent
	 * together (nfq_batch_begin), HOLDQ_BATCH at a time and after the
	 * last; before each send, presend (if set) is called with the
	 * callback's arg: -1 turns them all into drops (what they depended
	 * on could not be said). */
	int batching;
	unsigned batched;
	int (*presend)(void *arg);
	void *arg;
};

/* Verdicts a batch: few, so that what presend sends for them (the
 * module's answers, kept in a small direct-mapped table) is still there
 * when their packets come round the hook. */
#define HOLDQ_BATCH 8

/* Bind queue num (at most max packets in the kernel) and read it on ev
 * with cb(arg, packet).  0, or -1 with the reason in err. */
int holdq_open(struct holdq *h, const char *name, sd_event *ev, uint16_t num,
	       uint32_t max, nfq_pkt_fn cb, void *arg, char *err,
	       size_t errlen);
/* Drop everything held, unbind.  Fine on a holdq never opened. */
void holdq_close(struct holdq *h);

/* The flow of a queued packet (its IP header onwards) into *k, zeroed
 * otherwise: 0, or -1 if it is no TCP or UDP packet the gate can parse. */
int holdq_pkt_flow(const struct nfq_pkt *p, struct hold_flow *k);
/* "tcp 192.0.2.7:40000 -> 198.51.100.1:80" */
void holdq_flow_str(const struct hold_flow *f, char *buf, size_t len);
/* The flow with k's 5-tuple, as the link that points at it; NULL. */
struct hold_flow **holdq_find(struct holdq *h, const struct hold_flow *k);
/* The flow whose question was serial on agent channel agent: its link,
 * or NULL. */
struct hold_flow **holdq_asked(struct holdq *h, uint64_t agent,
			       uint32_t serial);
/* From link pp on, the first flow held age_ms or longer at now_ms (_old),
 * or asked of agent channel agent (_of): its link, or NULL.  The walks
 * that end flows as they go: for (pp = &h->flows; (pp = holdq_next_old(
 * pp, now, age));) holdq_end(h, pp, ...); *pp is then the next flow. */
struct hold_flow **holdq_next_old(struct hold_flow **pp, uint64_t now_ms,
				  uint64_t age_ms);
struct hold_flow **holdq_next_of(struct hold_flow **pp, uint64_t agent);
/* Packets held for flows of the host of k. */
unsigned holdq_host_pkts(const struct holdq *h, const struct hold_flow *k);
/* No room for packet id of flow k (f: its held flow, or NULL): the queue
 * holds max packets (max_name in the log line), a host a quarter of
 * them, a flow HOLD_IDS_MAX.  Then the packet is dropped and logged, and
 * 1 returned; else 0. */
int holdq_full(struct holdq *h, const struct hold_flow *k,
	       const struct hold_flow *f, uint32_t id, uint32_t max,
	       const char *max_name);
/* A new flow like k, first in the list; NULL without memory. */
struct hold_flow *holdq_add(struct holdq *h, const struct hold_flow *k,
			    uint64_t now_ms);
/* Keep packet id with f (the caller checked f->nids < HOLD_IDS_MAX). */
void holdq_keep(struct holdq *h, struct hold_flow *f, uint32_t id);
/* Send f's packets round the module's hook again (again) or drop them,
 * and forget f. */
void holdq_end(struct holdq *h, struct hold_flow **pp, int again);

#endif

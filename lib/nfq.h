/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small NFQUEUE client (nfnetlink_queue, on libmnl): muispd holds the
 * first packets of a new flow from a multi-user host here until the
 * host's agent has named the user, then lets them go (or drops them).
 *
 * One queue per struct nfq, bound fail-closed: when the kernel's queue is
 * full, or nobody is bound, the packets sent to it are dropped, never let
 * through unaccounted.  Only the first NFQ_COPY_RANGE bytes of a packet
 * (its headers) are copied to us; GSO packets come whole, unsegmented.
 */
#ifndef MUISP_NFQ_H
#define MUISP_NFQ_H

#include <stddef.h>
#include <stdint.h>

#define NFQ_COPY_RANGE 128 /* bytes of each packet copied to us: headers only */

struct nfq;

struct nfq_pkt {
	uint32_t id;	   /* packet id for the verdict (host order) */
	uint16_t hw_proto; /* ETH_P_IP / ETH_P_IPV6, host order, 0 if absent */
	const uint8_t *payload; /* the packet from its IP header; NULL if none */
	uint32_t len;		/* bytes at payload (<= NFQ_COPY_RANGE) */
	uint32_t orig_len;	/* the packet's whole length (NFQA_CAP_LEN if
				 * present, else len) */
};

/*
 * Bind queue num (0..65535) in the caller's network namespace: at most
 * maxlen (>= 1) packets held in the kernel (more are dropped: fail-closed),
 * NFQ_COPY_RANGE bytes of each copied, GSO packets not segmented for us.
 * The socket is non-blocking and close-on-exec, with a 1 MiB receive
 * buffer (less if the capability to force it is missing); its overflows
 * are reported by nfq_receive (-ENOBUFS).  The kernel acknowledges the
 * bind before this returns.  NULL with a readable reason in err ("queue 7
 * is bound by another program", "nfnetlink_queue not available", ...).
 * Needs CAP_NET_ADMIN in the namespace's owning user namespace.
 */
struct nfq *nfq_open(uint16_t num, uint32_t maxlen, char *err, size_t errlen);

/* The socket, for the caller's event loop (readable: call nfq_receive). */
int nfq_fd(const struct nfq *q);
uint16_t nfq_num(const struct nfq *q);

typedef void (*nfq_pkt_fn)(void *arg, const struct nfq_pkt *p);

/*
 * Read the messages ready now (non-blocking) and call cb for each queued
 * packet; p and its payload are valid during the call only.  cb may call
 * nfq_verdict, not nfq_close.  At most NFQ_RECV_MAX messages per call,
 * so that a flood cannot starve the caller's other events: the socket
 * stays readable if more are waiting (level-triggered polling).
 *
 * The number of packets given to cb, or -errno.  -ENOBUFS (the socket
 * overflowed: the kernel could not hand us some packets and dropped them
 * at once, fail-closed: "user dropped" in /proc/net/netfilter/
 * nfnetlink_queue) is returned after the messages that could be read were
 * given to cb; the caller logs and counts it.  The kernel's complaints
 * about verdicts (an id it no longer holds) are skipped.
 */
#define NFQ_RECV_MAX 1024
int nfq_receive(struct nfq *q, nfq_pkt_fn cb, void *arg);

/* NF_ACCEPT (accept != 0) or NF_DROP for packet id: 0 or -errno.  The
 * kernel's answer is not waited for (see nfq_receive). */
int nfq_verdict(struct nfq *q, uint32_t id, int accept);
/* NF_REPEAT: packet id goes round the hook that queued it again, which
 * decides with what it has learnt meanwhile (muisp's FORWARD hook: the
 * flow's user).  0 or -errno. */
int nfq_repeat(struct nfq *q, uint32_t id);

/*
 * Between nfq_batch_begin and nfq_batch_end the verdicts are gathered and
 * sent together, in order, by _end (or when a datagram's worth is
 * waiting): one system call for a burst.  drop: every verdict still
 * gathered becomes NF_DROP.  _end: 0 or -errno (the batch was not sent:
 * its packets wait in the kernel until the queue closes).
 */
void nfq_batch_begin(struct nfq *q);
int nfq_batch_end(struct nfq *q, int drop);

/* Unbind and close; the packets still held are dropped.  NULL is fine. */
void nfq_close(struct nfq *q);

/*
 * One netlink message of type (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET
 * at msg (4-byte aligned, as netlink buffers are) into *p; pure.  Reads
 * nothing past len, nor past the message's own nlmsg_len.  0; -EINVAL if
 * it is malformed or truncated, or has no NFQA_PACKET_HDR; -ENOMSG if it
 * is another message.  *p is zeroed on failure.
 */
int nfq_parse(const void *msg, size_t len, struct nfq_pkt *p);

#endif

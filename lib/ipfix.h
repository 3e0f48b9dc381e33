/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IPFIX messages (RFC 7011, information elements of RFC 7012 and the IANA
 * registry): muisp-ipfixd's encoder.  Pure: no I/O, no allocation, no
 * global state; the caller owns the buffer and says how big a message may
 * be (its path MTU bound), the encoder says when the next record does not
 * fit.  docs/DESIGN.md "IPFIX message format" has the facts checked
 * against the RFC and the registry, and the templates byte by byte.
 *
 * A message:
 *	ipfix_msg_init(&m, buf, mtu, domain, seq, now_s);
 *	with = ipfix_refresh_due(&r, mono_s) &&
 *	       ipfix_put_templates(&m) == 0;	(first; an empty message of
 *					 IPFIX_HDR_LEN + IPFIX_TEMPLATES_LEN
 *					 bytes or more always has room)
 *	while (ipfix_put_flow(&m, &flow) >= 0)	(-ENOSPC: send, start again)
 *		...
 *	len = ipfix_msg_finish(&m);		(send buf[0..len))
 *	seq = ipfix_msg_next_seq(&m);
 *	ipfix_refresh_sent(&r, mono_s, with);
 *
 * Every flow becomes up to two uniflow records: up (client -> peer, the
 * up_* counters, flowDirection 0) and down (peer -> client, down_*,
 * flowDirection 1); a direction with 0 packets is not sent.  IPv4 flows
 * use template 256, IPv6 flows template 257.
 */
#ifndef MUISP_IPFIX_H
#define MUISP_IPFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "muisp_nl.h"

/*
 * Private Enterprise Number of muisp's information elements: 32473 is the
 * number RFC 5612 reserves for documentation, a placeholder.  A deployment
 * that registers its own PEN changes this line and MUISP-MIB's root arc.
 */
#define MUISP_PEN 32473

#define IPFIX_VERSION		   10
#define IPFIX_HDR_LEN		   16 /* RFC 7011 §3.1 */
#define IPFIX_SET_HDR_LEN	   4  /* RFC 7011 §3.3.2 */
#define IPFIX_SET_TEMPLATE	   2
#define IPFIX_SET_OPTIONS_TEMPLATE 3
#define IPFIX_MAX_LEN		   65535 /* the header's 16-bit length */
#define IPFIX_ENTERPRISE_BIT	   0x8000

/* Template ids (a changed template gets a new id, never a redefinition). */
#define IPFIX_TMPL_IPV4	   256
#define IPFIX_TMPL_IPV6	   257
#define IPFIX_TMPL_OPTIONS 258

/* IANA information elements used (registry element ids). */
enum ipfix_ie {
	IPFIX_IE_OCTET_DELTA_COUNT = 1,
	IPFIX_IE_PACKET_DELTA_COUNT = 2,
	IPFIX_IE_PROTOCOL_IDENTIFIER = 4,
	IPFIX_IE_TCP_CONTROL_BITS = 6,
	IPFIX_IE_SOURCE_TRANSPORT_PORT = 7,
	IPFIX_IE_SOURCE_IPV4_ADDRESS = 8,
	IPFIX_IE_DESTINATION_TRANSPORT_PORT = 11,
	IPFIX_IE_DESTINATION_IPV4_ADDRESS = 12,
	IPFIX_IE_SOURCE_IPV6_ADDRESS = 27,
	IPFIX_IE_DESTINATION_IPV6_ADDRESS = 28,
	IPFIX_IE_FLOW_DIRECTION = 61,
	IPFIX_IE_FLOW_END_REASON = 136,
	IPFIX_IE_EXPORTING_PROCESS_ID = 144,
	IPFIX_IE_FLOW_START_MILLISECONDS = 152,
	IPFIX_IE_FLOW_END_MILLISECONDS = 153,
	IPFIX_IE_NOT_SENT_FLOW_TOTAL_COUNT = 166,
};

/* muisp's enterprise-specific elements (PEN MUISP_PEN). */
enum muisp_ie {
	MUISP_IE_CONTRACT_ID = 1001,	     /* unsigned64 */
	MUISP_IE_CLIENT_IPV4_ADDRESS = 1002, /* ipv4Address */
	MUISP_IE_CLIENT_IPV6_ADDRESS = 1003, /* ipv6Address */
	MUISP_IE_FLOW_ID = 1004,	     /* unsigned64, pairs up and down */
};

/* flowEndReason values (IANA registry, element 136). */
enum ipfix_end_reason {
	IPFIX_END_IDLE_TIMEOUT = 1,
	IPFIX_END_ACTIVE_TIMEOUT = 2,
	IPFIX_END_OF_FLOW_DETECTED = 3,
	IPFIX_END_FORCED_END = 4,
	IPFIX_END_LACK_OF_RESOURCES = 5,
};

/* flowDirection values (element 61): seen from the client's side. */
enum ipfix_dir {
	IPFIX_DIR_UP = 0,   /* 0x00 ingress: client -> peer */
	IPFIX_DIR_DOWN = 1, /* 0x01 egress: peer -> client */
};

/* Record and set sizes (bytes), for callers sizing buffers and tests. */
#define IPFIX_REC_IPV4_LEN    68
#define IPFIX_REC_IPV6_LEN    104
#define IPFIX_REC_OPTIONS_LEN 12
#define IPFIX_TEMPLATES_LEN   (4 + 76 + 76 + 4 + 14) /* both sets */

/*
 * One message being built in the caller's buffer.  Positions are kept as
 * offsets from buf: a caller may move the bytes written so far (len) to
 * another buffer of at least cap bytes and point buf there.
 */
struct ipfix_msg {
	uint8_t *buf;
	size_t cap;	  /* the most this message may use (<= 65535) */
	size_t len;	  /* used so far, the header included */
	size_t set_off;	  /* offset of the open set's header, 0 = none */
	uint16_t set_id;  /* the open set's id */
	uint32_t seq;	  /* the header's sequence number */
	uint32_t records; /* data records in this message (options too) */
};

/*
 * Start a message: version 10, export time now_s (seconds, UNIX time),
 * sequence number seq (RFC 7011 §3.1: data records sent before this
 * message in this observation domain, mod 2^32), observation domain id.
 * cap is clamped to IPFIX_MAX_LEN; a cap below IPFIX_HDR_LEN makes every
 * put fail with -ENOSPC and finish return 0.
 */
void ipfix_msg_init(struct ipfix_msg *m, uint8_t *buf, size_t cap,
		    uint32_t domain, uint32_t seq, uint32_t now_s);

/*
 * Append the template set (256, 257) and the options template set (258).
 * 0, or -ENOSPC when they do not fit (the message is unchanged).  Put
 * them before any data record of the message.
 */
int ipfix_put_templates(struct ipfix_msg *m);

/*
 * Append one uniflow record of flow f in direction dir with the template
 * of f's family.  0, -ENOSPC (does not fit; message unchanged), -EINVAL
 * (family not AF_INET/AF_INET6, or client and peer families differ).
 * Sends the record even if its packet count is 0 (ipfix_put_flow skips).
 */
int ipfix_put_record(struct ipfix_msg *m, const struct muisp_nl_flow *f,
		     enum ipfix_dir dir);

/*
 * Append both directions of f that have packets: up first, then down.
 * All or nothing: the number of records appended (0, 1 or 2), -ENOSPC
 * (not both fit; message unchanged) or -EINVAL.
 */
int ipfix_put_flow(struct ipfix_msg *m, const struct muisp_nl_flow *f);

/* The bytes ipfix_put_flow needs for f now (0 for nothing to send). */
size_t ipfix_flow_len(const struct ipfix_msg *m, const struct muisp_nl_flow *f);

/*
 * Append an options data record of template 258 (RFC 7011 §4.3, the
 * Exporting Process Reliability Statistics): scope exportingProcessId,
 * notSentFlowTotalCount = records the exporter lost (kernel overrun and
 * send errors) since it started.  0 or -ENOSPC.
 */
int ipfix_put_loss(struct ipfix_msg *m, uint32_t exporting_process_id,
		   uint64_t not_sent_flows);

/*
 * Close the open set and write the message length; return the length
 * (0 if the buffer could not even hold the header).  No padding is added
 * (RFC 7011 §3.3.1 makes it optional).  Further puts are not allowed.
 */
size_t ipfix_msg_finish(struct ipfix_msg *m);

/* The sequence number of the next message: seq + records, mod 2^32. */
uint32_t ipfix_msg_next_seq(const struct ipfix_msg *m);

/* enum muisp_flow_end -> flowEndReason (unknown values: forced end). */
uint8_t ipfix_end_reason(uint8_t muisp_end);

/*
 * Template refresh over UDP (RFC 7011 §8.4): templates go in the first
 * message, then again when interval_s seconds have passed since they were
 * last sent or in every every_msgs-th message (every_msgs - 1 messages
 * without them in between), whichever comes first.  0 turns a bound off (both 0: only the first message).
 * Pure: the caller passes the clock (seconds, any monotonic origin).
 */
struct ipfix_refresh {
	uint32_t interval_s;
	uint32_t every_msgs;
	bool sent;	     /* templates sent at least once */
	uint64_t last_s;     /* when they were last sent */
	uint32_t msgs_since; /* messages sent since, without them */
};

void ipfix_refresh_init(struct ipfix_refresh *r, uint32_t interval_s,
			uint32_t every_msgs);
bool ipfix_refresh_due(const struct ipfix_refresh *r, uint64_t now_s);
/* Call once per message sent; with_templates: it carried the templates. */
void ipfix_refresh_sent(struct ipfix_refresh *r, uint64_t now_s,
			bool with_templates);
/* Force templates into the next message (a collector was added). */
void ipfix_refresh_reset(struct ipfix_refresh *r);

#endif /* MUISP_IPFIX_H */

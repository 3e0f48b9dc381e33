/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DHCPv4 wire format (RFC 2131 section 2, RFC 2132 options, RFC 3396 long
 * options): strict parsing into struct dhcp_msg and encoding of replies
 * (muisp-dhcpd) and requests (muisp-uinfod's users' leases).
 *
 * Parsing never reads outside the buffer it is given and rejects:
 *   - datagrams shorter than the fixed header + magic cookie (TRUNCATED),
 *     longer than DHCP_MAX_PACKET (OVERSIZED),
 *   - a wrong magic cookie (BAD_MAGIC), an op other than the one asked
 *     for (BAD_OP),
 *     hlen > 16 (BAD_HLEN),
 *   - an option whose length runs past its area (OPT_OVERFLOW), in the
 *     options field or in an overloaded file/sname field,
 *   - an option overload (52) that is malformed or appears inside the
 *     file/sname fields (BAD_OVERLOAD),
 *   - a message type (53) that is missing, not 1 byte or unknown
 *     (BAD_TYPE), and fixed-length options of the wrong length
 *     (BAD_OPTLEN: 50, 54 = 4 bytes; 57 = 2; 61 >= 2).
 * Options split into several instances are concatenated in the order
 * options field, file, sname (RFC 3396 section 7).
 */
#ifndef MUISP_DHCP_MSG_H
#define MUISP_DHCP_MSG_H

#include <stddef.h>
#include <stdint.h>

#define DHCP_FIXED_LEN	   236 /* op .. file */
#define DHCP_MAGIC	   0x63825363u
#define DHCP_MIN_LEN	   (DHCP_FIXED_LEN + 4)
#define DHCP_MAX_PACKET	   4096 /* larger datagrams are dropped */
#define DHCP_MIN_REPLY	   548	/* RFC 2131: 576 - IP - UDP */
#define DHCP_DEFAULT_REPLY 1472 /* 1500 - IP - UDP */
#define DHCP_SNAME_OFF	   44
#define DHCP_SNAME_LEN	   64
#define DHCP_FILE_OFF	   108
#define DHCP_FILE_LEN	   128
#define DHCP_OPT_TOTAL	   4096 /* room for concatenated values */

#define BOOTREQUEST	    1
#define BOOTREPLY	    2
#define DHCP_FLAG_BROADCAST 0x8000

enum dhcp_type {
	DHCPDISCOVER = 1,
	DHCPOFFER,
	DHCPREQUEST,
	DHCPDECLINE,
	DHCPACK,
	DHCPNAK,
	DHCPRELEASE,
	DHCPINFORM,
};

enum dhcp_opt {
	OPT_PAD = 0,
	OPT_SUBNET_MASK = 1,
	OPT_ROUTER = 3,
	OPT_DNS = 6,
	OPT_HOSTNAME = 12,
	OPT_DOMAIN_NAME = 15,
	OPT_BROADCAST = 28,
	OPT_NTP = 42,
	OPT_REQUESTED_IP = 50,
	OPT_LEASE_TIME = 51,
	OPT_OVERLOAD = 52,
	OPT_MSG_TYPE = 53,
	OPT_SERVER_ID = 54,
	OPT_PARAM_LIST = 55,
	OPT_MESSAGE = 56,
	OPT_MAX_MSG_SIZE = 57,
	OPT_T1 = 58,
	OPT_T2 = 59,
	OPT_CLIENT_ID = 61,
	OPT_END = 255,
};

/* Why a datagram was dropped; index into the drop counters. */
enum dhcp_perr {
	DHCP_OK = 0,
	DHCP_ERR_TRUNCATED,
	DHCP_ERR_OVERSIZED,
	DHCP_ERR_BAD_MAGIC,
	DHCP_ERR_BAD_OP,
	DHCP_ERR_BAD_HLEN,
	DHCP_ERR_OPT_OVERFLOW,
	DHCP_ERR_BAD_OVERLOAD,
	DHCP_ERR_BAD_TYPE,
	DHCP_ERR_BAD_OPTLEN,
	DHCP_ERR__MAX
};
const char *dhcp_perr_str(enum dhcp_perr e);

struct dhcp_msg {
	uint8_t op, htype, hlen, hops;
	uint32_t xid;				 /* as on the wire (opaque) */
	uint16_t secs, flags;			 /* host order */
	uint32_t ciaddr, yiaddr, siaddr, giaddr; /* network order */
	uint8_t chaddr[16];
	uint8_t type;	  /* option 53 */
	uint8_t overload; /* option 52 value, 0 if absent */
	/* Concatenated option values: opt_len[c] bytes at optbuf+opt_off[c]
	 * if opt_present has bit c. */
	uint8_t present[32];
	uint16_t opt_off[256];
	uint16_t opt_len[256];
	uint16_t optbuf_used;
	uint8_t optbuf[DHCP_OPT_TOTAL];
};

int dhcp_has_opt(const struct dhcp_msg *m, uint8_t code);
/* Value of option code (NULL if absent); *len receives its length. */
const uint8_t *dhcp_opt(const struct dhcp_msg *m, uint8_t code, size_t *len);
/* Option 50/54 as a network-order address, 0 if absent. */
uint32_t dhcp_opt_addr(const struct dhcp_msg *m, uint8_t code);

/* A message of op (BOOTREQUEST for a server, BOOTREPLY for a client;
 * another is BAD_OP). */
enum dhcp_perr dhcp_parse(const uint8_t *buf, size_t len, uint8_t op,
			  struct dhcp_msg *m);

/*
 * Reply encoder.  dhcp_out_init() writes the fixed header (op BOOTREPLY,
 * copying xid, flags, giaddr, chaddr, htype, hlen from the request);
 * dhcp_out_put() appends an option, splitting values longer than 255 bytes
 * into consecutive instances (RFC 3396); when the options area (bounded by
 * the reply size) is full, further options go to the file field and then
 * the sname field and option 52 is set (RFC 2131 section 4.1).
 * dhcp_out_finish() adds END options and padding and returns the length.
 * All return -1 when the option does not fit (the reply is then invalid).
 */
struct dhcp_out {
	uint8_t buf[DHCP_MAX_PACKET];
	size_t max;		    /* reply size limit */
	size_t opt_pos;		    /* write position in the options field */
	size_t file_pos, sname_pos; /* 0 = area unused */
	uint8_t overload;	    /* 1 file, 2 sname, 3 both */
	size_t overload_at;	    /* position of option 52's value byte */
	int area;		    /* 0 options, 1 file, 2 sname */
};

void dhcp_out_init(struct dhcp_out *o, const struct dhcp_msg *req, size_t max);
/* A client's BOOTREQUEST (Ethernet, mac; ciaddr in network order, 0 for
 * none; no flags: a reply may come unicast to mac) of at most 548 bytes,
 * the size every server takes; options as for a reply. */
void dhcp_out_request(struct dhcp_out *o, uint32_t xid, const uint8_t mac[6],
		      uint32_t ciaddr);
int dhcp_out_put(struct dhcp_out *o, uint8_t code, const void *val, size_t len);
int dhcp_out_put_u32(struct dhcp_out *o, uint8_t code, uint32_t host);
int dhcp_out_put_u8(struct dhcp_out *o, uint8_t code, uint8_t v);
size_t dhcp_out_finish(struct dhcp_out *o);
/* Reply size limit for a request: option 57 clamped to [548, 1472]. */
size_t dhcp_reply_max(const struct dhcp_msg *req);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * RADIUS packets (RFC 2865, 2866, 2869, 5176, 5997): build, parse, sign
 * and verify.  Pure: no I/O, no allocation, no global state; crypto is
 * OpenSSL's MD5 and HMAC-MD5.  Used by muispd's client (accounting,
 * roaming Access-Requests), its DM/CoA listener and the tests.
 *
 * Why our own and not radcli: docs/DESIGN.md "Libraries and why".
 *
 * Every parser result is checked against the packet's own length; an
 * attribute walk never reads past it.  Secrets are byte strings (1..128).
 */
#ifndef MUISP_RADIUS_H
#define MUISP_RADIUS_H

#include <stddef.h>
#include <stdint.h>

#define RAD_HDR_LEN    20
#define RAD_AUTH_LEN   16
#define RAD_MAX_LEN    4096 /* RFC 2865 §3 */
#define RAD_SECRET_MAX 128
#define RAD_MA_LEN     18 /* Message-Authenticator attribute: 2 + 16 */

enum rad_code {
	RAD_ACCESS_REQUEST = 1,
	RAD_ACCESS_ACCEPT = 2,
	RAD_ACCESS_REJECT = 3,
	RAD_ACCT_REQUEST = 4,
	RAD_ACCT_RESPONSE = 5,
	RAD_ACCESS_CHALLENGE = 11,
	RAD_STATUS_SERVER = 12,
	RAD_DISCONNECT_REQUEST = 40,
	RAD_DISCONNECT_ACK = 41,
	RAD_DISCONNECT_NAK = 42,
	RAD_COA_REQUEST = 43,
	RAD_COA_ACK = 44,
	RAD_COA_NAK = 45,
};

enum rad_attr {
	RAD_USER_NAME = 1,
	RAD_USER_PASSWORD = 2,
	RAD_NAS_IP_ADDRESS = 4,
	RAD_NAS_PORT = 5,
	RAD_SERVICE_TYPE = 6,
	RAD_FRAMED_IP_ADDRESS = 8,
	RAD_FILTER_ID = 11,
	RAD_REPLY_MESSAGE = 18,
	RAD_STATE = 24,
	RAD_CLASS = 25,
	RAD_VENDOR_SPECIFIC = 26,
	RAD_SESSION_TIMEOUT = 27,
	RAD_IDLE_TIMEOUT = 28,
	RAD_CALLED_STATION_ID = 30,
	RAD_CALLING_STATION_ID = 31,
	RAD_NAS_IDENTIFIER = 32,
	RAD_PROXY_STATE = 33,
	RAD_ACCT_STATUS_TYPE = 40,
	RAD_ACCT_DELAY_TIME = 41,
	RAD_ACCT_INPUT_OCTETS = 42,
	RAD_ACCT_OUTPUT_OCTETS = 43,
	RAD_ACCT_SESSION_ID = 44,
	RAD_ACCT_AUTHENTIC = 45,
	RAD_ACCT_SESSION_TIME = 46,
	RAD_ACCT_INPUT_PACKETS = 47,
	RAD_ACCT_OUTPUT_PACKETS = 48,
	RAD_ACCT_TERMINATE_CAUSE = 49,
	RAD_ACCT_MULTI_SESSION_ID = 50,
	RAD_ACCT_INPUT_GIGAWORDS = 52,
	RAD_ACCT_OUTPUT_GIGAWORDS = 53,
	RAD_EVENT_TIMESTAMP = 55,
	RAD_NAS_PORT_TYPE = 61,
	RAD_EAP_MESSAGE = 79,
	RAD_MESSAGE_AUTHENTICATOR = 80,
	RAD_ACCT_INTERIM_INTERVAL = 85,
	RAD_NAS_PORT_ID = 87,
	RAD_ERROR_CAUSE = 101,
	RAD_NAS_IPV6_ADDRESS = 95,
	RAD_FRAMED_IPV6_ADDRESS = 168, /* RFC 6911 */
};

/* Acct-Status-Type values. */
enum rad_acct_status {
	RAD_STATUS_START = 1,
	RAD_STATUS_STOP = 2,
	RAD_STATUS_INTERIM = 3,
	RAD_STATUS_ACCT_ON = 7,
	RAD_STATUS_ACCT_OFF = 8,
};

/* Acct-Terminate-Cause values (RFC 2866 §5.10) muisp sends. */
enum rad_term_cause {
	RAD_TERM_USER_REQUEST = 1,
	RAD_TERM_LOST_CARRIER = 2,
	RAD_TERM_LOST_SERVICE = 3,
	RAD_TERM_IDLE_TIMEOUT = 4,
	RAD_TERM_SESSION_TIMEOUT = 5,
	RAD_TERM_ADMIN_RESET = 6,
	RAD_TERM_NAS_REQUEST = 10,
	RAD_TERM_NAS_REBOOT = 11,
};

/* Error-Cause values (RFC 5176 §3.5). */
enum rad_error_cause {
	RAD_EC_RESIDUAL_REMOVED = 201,
	RAD_EC_UNSUPPORTED_ATTRIBUTE = 401,
	RAD_EC_MISSING_ATTRIBUTE = 402,
	RAD_EC_NAS_ID_MISMATCH = 403,
	RAD_EC_INVALID_REQUEST = 404,
	RAD_EC_UNSUPPORTED_SERVICE = 405,
	RAD_EC_UNSUPPORTED_EXTENSION = 406,
	RAD_EC_INVALID_ATTRIBUTE_VALUE = 407,
	RAD_EC_ADMIN_PROHIBITED = 501,
	RAD_EC_REQUEST_NOT_ROUTABLE = 502,
	RAD_EC_SESSION_NOT_FOUND = 503,
	RAD_EC_SESSION_NOT_REMOVABLE = 504,
	RAD_EC_OTHER_PROXY_ERROR = 505,
	RAD_EC_RESOURCES_UNAVAILABLE = 506,
	RAD_EC_REQUEST_INITIATED = 507,
	RAD_EC_MULTIPLE_SESSIONS = 508,
};

/* Vendors and their attributes muisp reads (byte quotas). */
#define RAD_VENDOR_CHILLISPOT		   14559
#define RAD_CHILLI_MAX_INPUT_OCTETS	   1
#define RAD_CHILLI_MAX_OUTPUT_OCTETS	   2
#define RAD_CHILLI_MAX_TOTAL_OCTETS	   3
#define RAD_VENDOR_MIKROTIK		   14988
#define RAD_MIKROTIK_TOTAL_LIMIT	   17
#define RAD_MIKROTIK_TOTAL_LIMIT_GIGAWORDS 18

/* A packet being built: header first, attributes appended. */
struct rad_buf {
	uint8_t b[RAD_MAX_LEN];
	size_t len;
};

/* Start a packet: code, identifier, zero authenticator. */
void rad_init(struct rad_buf *p, uint8_t code, uint8_t id);
/* Append one attribute (value 0..253 bytes).  0, or -1 when it does not
 * fit or n > 253. */
int rad_put(struct rad_buf *p, uint8_t type, const void *v, size_t n);
int rad_put_u32(struct rad_buf *p, uint8_t type, uint32_t v);
int rad_put_str(struct rad_buf *p, uint8_t type, const char *s);
/* Vendor-Specific with one sub-attribute (RFC 2865 §5.26 format). */
int rad_put_vsa(struct rad_buf *p, uint32_t vendor, uint8_t vtype,
		const void *v, size_t n);
int rad_put_vsa_u32(struct rad_buf *p, uint32_t vendor, uint8_t vtype,
		    uint32_t v);
/* Append raw attribute bytes (already TLVs, e.g. a spooled record). */
int rad_put_raw(struct rad_buf *p, const void *tlvs, size_t n);
/*
 * Access-Request and Status-Server: a random Request Authenticator
 * (RAND_bytes), User-Password (if password != NULL) hidden with it, and a
 * Message-Authenticator (always: BLAST-RADIUS).  Call after every other
 * attribute is in.  0 or -1.
 */
int rad_finish_access_request(struct rad_buf *p, const uint8_t *sec,
			      size_t seclen, const char *password);
/*
 * Accounting-Request, Disconnect-Request, CoA-Request: the Request
 * Authenticator is MD5(packet with zero authenticator + secret) (RFC 2866
 * §3, RFC 5176 §3); msg_auth adds a Message-Authenticator first.
 */
int rad_finish_request(struct rad_buf *p, const uint8_t *sec, size_t seclen,
		       int msg_auth);
/*
 * A reply (Accept/Reject/Accounting-Response, DM/CoA ACK/NAK): Response
 * Authenticator MD5(code+id+len+req_auth+attributes+secret); msg_auth adds
 * a Message-Authenticator computed over the request's authenticator.
 */
int rad_finish_reply(struct rad_buf *p, const uint8_t req_auth[RAD_AUTH_LEN],
		     const uint8_t *sec, size_t seclen, int msg_auth);

/* A received packet, checked for a sane header and attribute framing. */
struct rad_pkt {
	const uint8_t *b; /* the datagram; len from the header */
	size_t len;
	uint8_t code, id;
	const uint8_t *auth; /* b + 4 */
};

/* 0, or -1: shorter than 20 or than its length field, length < 20 or >
 * 4096, an attribute of length < 2 or running past the end.  Bytes after
 * the header's length are ignored (RFC 2865 §3). */
int rad_parse(const uint8_t *b, size_t n, struct rad_pkt *out);
/* Walk attributes: *off starts at 0.  0 one returned, 1 end. */
int rad_next(const struct rad_pkt *p, size_t *off, uint8_t *type,
	     const uint8_t **v, size_t *n);
/* The first attribute of a type: 0 found, -1 none. */
int rad_find(const struct rad_pkt *p, uint8_t type, const uint8_t **v,
	     size_t *n);
/* A 4-byte integer attribute: 0, -1 absent, -2 wrong length. */
int rad_find_u32(const struct rad_pkt *p, uint8_t type, uint32_t *out);
/* A Vendor-Specific sub-attribute (vendor, vtype): 0 found, -1 none
 * (malformed VSAs are skipped). */
int rad_find_vsa(const struct rad_pkt *p, uint32_t vendor, uint8_t vtype,
		 const uint8_t **v, size_t *n);
/* Number of attributes of a type. */
unsigned rad_count(const struct rad_pkt *p, uint8_t type);

/*
 * Verify a reply against the request's authenticator: 0 good, -1 bad
 * Response Authenticator, -2 bad Message-Authenticator (or none while
 * need_ma), -3 malformed Message-Authenticator.
 */
int rad_verify_reply(const struct rad_pkt *p,
		     const uint8_t req_auth[RAD_AUTH_LEN], const uint8_t *sec,
		     size_t seclen, int need_ma);
/* Verify an Accounting-/Disconnect-/CoA-Request (MD5 authenticator), and
 * a Message-Authenticator when present or need_ma: same returns. */
int rad_verify_request(const struct rad_pkt *p, const uint8_t *sec,
		       size_t seclen, int need_ma);
/* Verify an Access-Request or Status-Server (random authenticator): its
 * Message-Authenticator, required when need_ma.  Same returns. */
int rad_verify_access_request(const struct rad_pkt *p, const uint8_t *sec,
			      size_t seclen, int need_ma);
/* Reveal a User-Password (tests, and a fake home server): 0 or -1. */
int rad_password_reveal(const struct rad_pkt *p, const uint8_t *sec,
			size_t seclen, char *out, size_t cap);

#endif

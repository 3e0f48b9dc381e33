/* SPDX-License-Identifier: GPL-2.0 */
/*
 * muisp control-channel protocol (see docs/PROTOCOL.md).
 *
 * A frame is a 16-byte header (network byte order) followed by `length`
 * bytes of attributes:
 *
 *	0      2     3     4       6       8          12         16
 *	+------+-----+-----+-------+-------+----------+----------+
 *	|magic |ver  |type |flags  |rsvd=0 |length    |serial    |
 *	+------+-----+-----+-------+-------+----------+----------+
 *
 * Each attribute is type (u16) | len (u16, value bytes) | value, padded
 * with zero bytes to a multiple of 4.  Nested attributes (offer items,
 * statement lines) carry attributes of their own space.
 *
 * The decoder trusts no length: every attribute is bounds-checked against
 * the frame, its kind and the set allowed for the message type; unknown,
 * duplicated, misplaced or missing attributes, non-zero padding and
 * unprintable strings are errors.  The encoder applies the same rules, so
 * decode -> encode -> decode is the identity on anything accepted.
 */
#ifndef MUISP_PROTO_H
#define MUISP_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define MP_MAGIC	    0x4d55u /* "MU" */
#define MP_VERSION	    1
#define MP_HDR_LEN	    16
#define MP_MAX_PAYLOAD	    8192
#define MP_MAX_FRAME	    (MP_HDR_LEN + MP_MAX_PAYLOAD)
#define MP_STR_MAX	    255
#define MP_BYTES_MAX	    512
#define MP_MAX_ITEMS	    16
#define MP_MAX_LINES	    32
#define MP_FIX_MAX	    64 /* fixed-length binary attributes */
#define MP_FIX_SLOTS	    3
#define MP_CERT_MAX	    4096 /* MP_A_CERT: a DER certificate */
#define MP_MAX_COUNTERS	    96	 /* MP_A_COUNTER in one message */
#define MP_COUNTER_NAME_MAX 63

/* What the holder of a MUR2 receipt signs to bind it (PROTOCOL.md §6):
 * the label, the router's 32-byte challenge, then the receipt. */
#define MP_BIND_LABEL	  "muisp-bind-v1"
#define MP_BIND_LABEL_LEN 13

/*
 * The agent's key (PROTOCOL.md §9): MUISP_AGENT_KEY_LEN bytes exported
 * from the agent's TLS session (RFC 5705) with this label and, as
 * context, UINFO_WELCOME's key id (4 bytes, network order) followed by
 * its address as text.  Both ends export the same; neither sends it.
 */
#define MP_UINFO_LABEL	     "EXPORTER-muisp-uinfo-v1"
#define MP_UINFO_CONTEXT_MAX (4 + MP_STR_MAX)

/* The operator socket (AF_UNIX stream, mode 0600): muispd's default
 * "socket", and where muispctl looks for it. */
#define MP_OP_SOCKET "/run/muisp/muispd.sock"
/* muisp-ipfixd's counters (MP_T_OP_STATS only). */
#define MP_IPFIXD_SOCKET "/run/muisp/ipfixd.sock"

/* Header flags. */
#define MP_F_REPLY (1u << 0) /* answer to the request with `serial` */
#define MP_F_MORE  (1u << 1) /* more replies of a list follow */
#define MP_F_ASYNC (1u << 2) /* unsolicited (warnings) */
#define __MP_F_ALL (MP_F_REPLY | MP_F_MORE | MP_F_ASYNC)

enum mp_type {
	MP_T_UNSPEC = 0,
	/* user -> router */
	MP_T_OFFER_GET = 1,
	MP_T_REQUEST = 2,
	MP_T_DEPOSIT = 3,
	MP_T_BIND = 4,
	MP_T_USAGE = 5,
	MP_T_START = 6,
	MP_T_SUSPEND = 7,
	MP_T_TERMINATE = 8,
	MP_T_EXTEND = 9,
	MP_T_WARNING_ACK = 10,
	MP_T_REGISTER = 11,	 /* needs no tunnel: see PROTOCOL.md */
	MP_T_STATEMENT_GET = 12, /* an ended contract's statement */
	/* a multi-user host's agent (per-user accounting, PROTOCOL.md §9):
	 * over TLS with the agent's certificate; KEEPALIVE both ways */
	MP_T_UINFO_HELLO = 13,
	MP_T_UINFO_KEEPALIVE = 14,
	/* router -> agent: who owns the host's end of a user's connection
	 * (ADDR, SPORT -> PEER, DPORT); answered by UINFO_OWNER or ERROR */
	MP_T_UINFO_OWNER_GET = 15,
	/* router -> agent: the operator blocks (BLOCKED 1) or allows again
	 * (0) the host's user USER (thesis §3.6); the host's list is sent
	 * before UINFO_WELCOME, changes as they come; answered by
	 * UINFO_BLOCKED (applied) or ERROR */
	MP_T_UINFO_BLOCK = 16,
	/* agent -> router, a standalone agent (SCHEME 2, PROTOCOL.md §9
	 * step 9): one usage record of one of its users, SERIAL its
	 * sequence number (>= 1, growing per agent); answered by
	 * UINFO_USAGE_ACK (stored) or ERROR; several may be sent back to
	 * back, each is answered in order */
	MP_T_UINFO_USAGE = 17,
	/* agent -> router, an out-of-band packet-based agent (SCHEME 3,
	 * PROTOCOL.md §9 step 10): a packet a mapped user sent (PROTO, the
	 * host's ADDR:SPORT -> PEER:DPORT) is USER's, SENT_BYTES and
	 * SENT_PKTS what the report covers; not answered (an ERROR only
	 * when refused) */
	MP_T_UINFO_REPORT = 18,
	/* per-connection billing (PROTOCOL.md §10): a purchasing agent
	 * (muisp-agent) says it answers for contract SERIAL, bound to its
	 * connection's payer; answered by STATUS or ERROR */
	MP_T_CONN_AGENT_HELLO = 19,
	/* router -> purchasing agent: will the user pay for this connection
	 * (PROTO ADDR:SPORT -> PEER:DPORT) at PRICE per UNIT of METRIC?
	 * Answered by CONN_VERDICT, signed over CHALLENGE */
	MP_T_CONN_ASK = 20,
	/* router -> user */
	MP_T_OFFER = 64,
	MP_T_QUOTE = 65,
	MP_T_RECEIPT = 66,
	MP_T_STATUS = 67,
	MP_T_STATEMENT = 68,
	MP_T_ERROR = 69,
	MP_T_WARNING = 70,
	MP_T_REGISTERED = 71,
	MP_T_UINFO_WELCOME = 72, /* the agent's key id, address, interval */
	MP_T_UINFO_OWNER = 73,	 /* USER: the owner's Accounting ID; none:
				  * the host's own (an unmapped user) */
	MP_T_UINFO_BLOCKED = 74, /* USER, BLOCKED: as the agent now has it */
	/* router -> agent: SERIAL, the record stored (UINFO_USAGE) */
	MP_T_UINFO_USAGE_ACK = 75,
	/* purchasing agent -> router, the reply to CONN_ASK: VERDICT (1
	 * accept, 0 refuse), SIGNATURE by the contract's holder key over
	 * mp_conn_message() */
	MP_T_CONN_VERDICT = 76,
	/* router -> purchasing agent, ASYNC: a connection's running cost
	 * (SENT: up, RECV: down, CHARGE); with END it has ended */
	MP_T_CONN_COST = 77,
	/* operator (local socket only) */
	MP_T_OP_VOUCHER_ISSUE = 128,
	MP_T_OP_VOUCHER_SHOW = 129,
	MP_T_OP_VOUCHER = 130,
	MP_T_OP_CONTRACT_CREATE = 131,
	MP_T_OP_CONTRACT_LIST = 132,
	MP_T_OP_CONTRACT_SHOW = 133,
	MP_T_OP_CONTRACT_TERMINATE = 134,
	MP_T_OP_CONTRACT_SETTLE = 135,
	MP_T_OP_USAGE_ADD = 136,
	MP_T_OP_KEY_ROTATE = 137,
	MP_T_OP_ROOM_SHOW = 138,
	MP_T_OP_UNBIND = 139,
	MP_T_OP_OK = 140,
	MP_T_OP_KEY_LIST = 141,
	MP_T_OP_KEY = 142,
	MP_T_OP_REG_LIST = 143,
	MP_T_OP_REG = 144,
	MP_T_OP_REG_FORGET = 145,
	/* per-user block list: ADDR, USER, BLOCKED (1 block, 0 allow
	 * again), MESSAGE the reason -> OP_OK; LIST -> one USER_BLOCK_ROW
	 * (MORE) per blocked user, then OP_OK */
	MP_T_OP_USER_BLOCK = 146,
	MP_T_OP_USER_BLOCK_LIST = 147,
	MP_T_OP_USER_BLOCK_ROW = 148,
	/* standalone agents' usage records (ADDR: one host's) -> one
	 * AGENT_USAGE_ROW (MORE) per host and user, then OP_OK */
	MP_T_OP_AGENT_USAGE = 149,
	MP_T_OP_AGENT_USAGE_ROW = 150,
	/* per-connection billing records (ADDR: one host's, USER: one
	 * user's) -> one CONN_ROW (MORE) per connection, newest first (at
	 * most 1000), then OP_OK */
	MP_T_OP_CONN_LIST = 151,
	MP_T_OP_CONN_ROW = 152,
	MP_T_OP_RADIUS_STATS = 160, /* RADIUS counters -> OP_COUNTERS */
	MP_T_OP_COUNTERS = 161,	    /* MP_A_COUNTER...; MORE: another */
	/* issue 13 (SNMP, IPFIX): every counter of the answering daemon
	 * (muispd, muisp-ipfixd) -> OP_COUNTERS; the contracts for the
	 * SNMP cache -> one SNAP_ROW (MORE) per contract, then OP_OK; pages
	 * of 1000 after MP_A_SERIAL, OP_OK's SERIAL = where the next begins
	 * (0: the end) */
	MP_T_OP_STATS = 162,
	MP_T_OP_SNAPSHOT = 163,
	MP_T_OP_SNAP_ROW = 164,
};

/* Top-level attributes.  Append only. */
enum mp_attr {
	MP_A_UNSPEC = 0,
	MP_A_SERIAL,	   /* u64 contract serial number */
	MP_A_OFFER_SERIAL, /* u64 offer (contract form) serial number */
	MP_A_TIME,	   /* u64 date and time, seconds since the epoch */
	MP_A_EXPIRY,	   /* u64 expiration, seconds since the epoch */
	MP_A_METRIC,	   /* u8 enum mp_metric */
	MP_A_METHOD,	   /* u8 enum mp_method */
	MP_A_PRIVACY,	   /* u8 0 = AH only, 1 = ESP */
	MP_A_SOFT,	   /* u64 soft limit, metric units */
	MP_A_HARD,	   /* u64 hard limit, metric units */
	MP_A_USAGE,	   /* u64 accumulated usage, metric units */
	MP_A_AMOUNT,	   /* u64 money, minor currency units */
	MP_A_PAYMENT,	   /* str payment parameter (code, room, token) */
	MP_A_RECEIPT,	   /* bytes receipt (see receipt.h) */
	MP_A_PASSWORD,	   /* str offline-contract password */
	MP_A_STATE,	   /* u8 enum contract_state */
	MP_A_WARNING,	   /* u8 enum mp_warning */
	MP_A_ERROR,	   /* u32 enum mp_error */
	MP_A_MESSAGE,	   /* str human-readable text */
	MP_A_OFFER_ITEM,   /* nested, repeatable: enum mp_item_attr */
	MP_A_LINE,	   /* nested, repeatable: enum mp_line_attr */
	MP_A_REFUND,	   /* u64 money refunded / credited */
	MP_A_CHARGE,	   /* u64 money charged for usage */
	MP_A_ADDR,	   /* str bound address */
	MP_A_CURRENCY,	   /* str ISO 4217 code */
	MP_A_LOAD,	   /* u8 current load, percent */
	MP_A_CODE,	   /* str voucher code */
	MP_A_BALANCE,	   /* u64 money */
	MP_A_ROOM,	   /* str room account */
	MP_A_KEY_ID,	   /* u32 receipt key id */
	MP_A_PRICE,	   /* u64 price in minor units per MP_A_UNIT */
	MP_A_UNIT,	   /* u64 metric units priced together */
	MP_A_HOLDER_KEY,   /* fixed 32: the buyer's Ed25519 public key */
	MP_A_CHALLENGE,	   /* fixed 32: the router's challenge (BIND) */
	MP_A_SIGNATURE,	   /* fixed 64: the holder's signature of it */
	MP_A_CERT = 35,	   /* bytes (<= MP_CERT_MAX): DER X.509 cert */

	/* receipt keys (OP_KEY) */
	MP_A_KEY_STATE = 36, /* u8 0 current, 1 retiring, 2 retired */
	MP_A_NOT_AFTER = 37, /* u64 a retiring key verifies until then */

	/* registrations (OP_REG) */
	MP_A_SUBJECT = 38,   /* str a certificate's subject */
	MP_A_KEY_TYPE = 39,  /* str its key, "RSA-2048" */
	MP_A_LAST_USED = 40, /* u64 its last use, seconds since the epoch */

	/* roaming (DEPOSIT with method roam) */
	MP_A_IDENTITY = 41, /* str user@realm at the home ISP */
	MP_A_SECRET = 42,   /* str its password: never logged or stored */

	/* counters (OP_COUNTERS): MP_A_COUNTER nests MP_A_NAME and
	 * MP_A_VALUE, which appear nowhere else */
	MP_A_COUNTER = 43, /* nested, repeatable: a name and a value */
	MP_A_NAME = 44,	   /* str the counter's name, "acct.sent" */
	MP_A_VALUE = 45,   /* u64 its value */

	/* agents (UINFO_WELCOME) */
	MP_A_INTERVAL = 46, /* u32 keep-alive interval, seconds (1..3600) */
	/* a connection's owner (UINFO_OWNER_GET, UINFO_OWNER) */
	MP_A_SPORT = 47, /* u32 the host's port (1..65535) */
	MP_A_DPORT = 48, /* u32 the router's port (1..65535) */
	MP_A_PEER = 49,	 /* str the router's address, as the host sees it */
	MP_A_USER = 50,	 /* u32 an Accounting ID */
	/* per-user block list (UINFO_BLOCK, OP_USER_BLOCK*) */
	MP_A_BLOCKED = 51, /* u8 1 blocked, 0 not */
	MP_A_PUSH = 52,	   /* u8 enum mp_push: where the host's agent is */
	/* out of band (UINFO_HELLO, UINFO_OWNER_GET) */
	MP_A_SCHEME = 53, /* u8 enum mp_scheme: how the agent names users */
	MP_A_PROTO = 54,  /* u8 IPPROTO_TCP (absent: TCP) or IPPROTO_UDP */
	/* a standalone agent's usage record (UINFO_USAGE, OP_AGENT_USAGE_ROW):
	 * its period (TIME .. END) and a user's traffic in it */
	MP_A_END = 55,	      /* u64 the period's end, seconds since epoch */
	MP_A_SENT_BYTES = 56, /* u64 bytes the user sent */
	MP_A_SENT_PKTS = 57,  /* u64 ... packets */
	MP_A_RECV_BYTES = 58, /* u64 bytes the user received */
	MP_A_RECV_PKTS = 59,  /* u64 ... packets */
	/* per-connection billing (CONN_VERDICT) */
	MP_A_VERDICT = 60, /* u8 1 accept, 0 refuse */
	__MP_A_LAST
};
#define MP_A_MAX (__MP_A_LAST - 1)
/* struct mp_msg's present is a uint64_t bitmask, 1 << attribute */
_Static_assert(__MP_A_LAST <= 64, "mp_msg.present holds every attribute");

enum mp_item_attr { /* inside MP_A_OFFER_ITEM */
		    MP_I_UNSPEC = 0,
		    MP_I_METRIC,  /* u8 */
		    MP_I_METHOD,  /* u8 */
		    MP_I_PRIVACY, /* u8 */
		    MP_I_PRICE,	  /* u64 minor units per MP_I_UNIT */
		    MP_I_UNIT,	  /* u64 metric units */
		    __MP_I_LAST
};

enum mp_line_attr { /* inside MP_A_LINE */
		    MP_L_UNSPEC = 0,
		    MP_L_DESC,	 /* str */
		    MP_L_AMOUNT, /* u64 */
		    MP_L_SIGN,	 /* u8 0 = charge, 1 = credit */
		    __MP_L_LAST
};

enum mp_metric {
	MP_METRIC_ELAPSED = 1, /* seconds since the receipt's date/time */
	MP_METRIC_USAGE_TIME,  /* seconds while active */
	MP_METRIC_BYTES,
	MP_METRIC_PACKETS,
	__MP_METRIC_LAST
};

enum mp_method {
	MP_METHOD_VOUCHER = 1, /* operator-issued prepaid code */
	MP_METHOD_ROOM,	       /* billing to a room account */
	MP_METHOD_CASH,	       /* operator desk, password contract */
	MP_METHOD_ONLINE,      /* external payment provider plug-in */
	MP_METHOD_ROAM = 5,    /* a partner ISP's user, through RADIUS */
	__MP_METHOD_LAST
};

/* How an agent names its users (UINFO_HELLO's SCHEME). */
enum mp_scheme {
	MP_SCHEME_IN_BAND = 0,	   /* options in the packets (absent) */
	MP_SCHEME_OUT_OF_BAND = 1, /* the router holds new flows and asks */
	MP_SCHEME_STANDALONE = 2,  /* the agent counts per user and sends
				    * UINFO_USAGE records */
	/* the agent reports its users' packets (UINFO_REPORT); the router
	 * moves each flow to the user's contract */
	MP_SCHEME_OUT_OF_BAND_PACKET = 3,
	__MP_SCHEME_LAST
};

/* A blocked user, as the host's agent has it (OP_USER_BLOCK_ROW). */
enum mp_push {
	MP_PUSH_NO_AGENT = 0, /* no agent session for the address */
	MP_PUSH_SENT = 1,     /* sent, not yet applied */
	MP_PUSH_APPLIED = 2,  /* the agent dropping the user's packets */
	__MP_PUSH_LAST
};

enum mp_warning {
	MP_WARN_SOFT_LIMIT = 1,
	MP_WARN_HARD_LIMIT,
	MP_WARN_EXPIRY,
	MP_WARN_ELSEWHERE, /* receipt presented from another address */
	__MP_WARN_LAST
};

enum mp_error {
	MP_ERR_PROTO = 1, /* malformed or unexpected message */
	MP_ERR_VERSION,
	MP_ERR_UNKNOWN, /* no such contract / offer / voucher */
	MP_ERR_STATE,	/* command not allowed in the contract state */
	MP_ERR_RECEIPT, /* receipt fails verification */
	MP_ERR_PASSWORD,
	MP_ERR_PAYMENT, /* deposit declined */
	MP_ERR_LIMITS,	/* limits invalid (soft > hard, 0, over offer) */
	MP_ERR_EXPIRED,
	MP_ERR_ELSEWHERE, /* bound to another address that answers */
	MP_ERR_INTERNAL,
	MP_ERR_PERM,  /* not permitted on this channel */
	MP_ERR_OFFER, /* offer unknown or stale, or option not offered */
	MP_ERR_PROOF, /* the receipt's holder must sign the challenge */
	/* certificate refused (REGISTER) */
	MP_ERR_CERT = 15,
	/* over a rate or a cap: try later */
	MP_ERR_BUSY = 16,
	MP_ERR_PRIVACY = 17, /* the tunnel is not the privacy bought */
	/* roam: the home ISP refused (text: its Reply-Message) */
	MP_ERR_ROAM_REJECT = 18,
	/* roam: the RADIUS server did not answer in time */
	MP_ERR_ROAM_UNREACHABLE = 19,
	__MP_ERR_LAST
};

/* Decoder results (negative). */
enum mp_status {
	MP_OK = 0,
	MP_E_SHORT = -1, /* incomplete frame */
	MP_E_MAGIC = -2,
	MP_E_VERSION = -3,
	MP_E_TYPE = -4,
	MP_E_FLAGS = -5,
	MP_E_RESERVED = -6,
	MP_E_LENGTH = -7,   /* frame length over the maximum */
	MP_E_TRUNC = -8,    /* attribute runs past its container */
	MP_E_ATTR_LEN = -9, /* attribute length wrong for its kind */
	MP_E_ATTR_UNKNOWN = -10,
	MP_E_ATTR_DUP = -11,
	MP_E_ATTR_NOTALLOWED = -12,
	MP_E_ATTR_MISSING = -13,
	MP_E_ATTR_VALUE = -14, /* enum out of range, bad string bytes */
	MP_E_PAD = -15,	       /* non-zero padding */
	MP_E_TOOMANY = -16,    /* too many repeated attributes */
	MP_E_NOSPACE = -17,    /* encoder: output buffer too small */
};

struct mp_item {
	uint8_t metric, method, privacy;
	uint64_t price, unit;
};

struct mp_line {
	char desc[MP_STR_MAX + 1];
	uint64_t amount;
	uint8_t credit;
};

struct mp_counter {
	char name[MP_COUNTER_NAME_MAX + 1];
	uint64_t value;
};

struct mp_msg {
	uint8_t type;
	uint16_t flags;
	uint32_t serial;
	uint64_t present;		     /* 1 << attr */
	uint64_t u[__MP_A_LAST];	     /* integer attributes */
	char s[__MP_A_LAST][MP_STR_MAX + 1]; /* string attributes */
	uint8_t bytes[MP_BYTES_MAX];	     /* MP_A_RECEIPT */
	uint16_t bytes_len;
	uint8_t cert[MP_CERT_MAX]; /* MP_A_CERT */
	uint16_t cert_len;
	uint8_t fix[MP_FIX_SLOTS][MP_FIX_MAX]; /* mp_fix() */
	unsigned nitems, nlines, ncounters;
	struct mp_item items[MP_MAX_ITEMS];
	struct mp_line lines[MP_MAX_LINES];
	struct mp_counter counters[MP_MAX_COUNTERS];
};

/* Start an empty message. */
void mp_init(struct mp_msg *m, uint8_t type, uint16_t flags, uint32_t serial);
/* Setters mark the attribute present; they fail (-1) on a wrong kind.
 * mp_set_bytes() sets MP_A_RECEIPT (m->bytes) or MP_A_CERT (m->cert). */
int mp_set_u(struct mp_msg *m, int attr, uint64_t v);
int mp_set_s(struct mp_msg *m, int attr, const char *s);
int mp_set_bytes(struct mp_msg *m, int attr, const void *p, size_t len);
/* Fixed-length binary attributes (HOLDER_KEY, CHALLENGE, SIGNATURE): len
 * must be the attribute's; mp_fix() is the value (NULL: not such an
 * attribute) and mp_fix_len() its length. */
int mp_set_fix(struct mp_msg *m, int attr, const void *p, size_t len);
const uint8_t *mp_fix(const struct mp_msg *m, int attr);
size_t mp_fix_len(int attr);
/* The message the holder signs to bind receipt r (at most cap bytes):
 * its length, or 0 if cap is too small. */
/*
 * What a purchasing agent signs with the contract's holder key to answer
 * a CONN_ASK (PROTOCOL.md §10): MP_CONN_LABEL, the ask's CHALLENGE, then
 * SERIAL (8), verdict (1), PROTO (1), SPORT (2), DPORT (2), METRIC (1),
 * PRICE (8), UNIT (8) big-endian, then CURRENCY, ADDR and PEER each as a
 * length byte and the text.  Into out (cap >= MP_CONN_MSG_MAX); its
 * length, 0 if ask lacks one of them.
 */
#define MP_CONN_LABEL	  "muisp-conn-v1"
#define MP_CONN_LABEL_LEN 13
#define MP_CONN_MSG_MAX	  (MP_CONN_LABEL_LEN + 32 + 31 + 3 * (1 + MP_STR_MAX))
size_t mp_conn_message(const struct mp_msg *ask, int verdict, uint8_t *out,
		       size_t cap);
size_t mp_bind_message(const uint8_t challenge[32], const uint8_t *r,
		       size_t rlen, uint8_t *out, size_t cap);
int mp_add_item(struct mp_msg *m, const struct mp_item *it);
int mp_add_line(struct mp_msg *m, const char *desc, uint64_t amount,
		int credit);
/* A counter (name: 1..MP_COUNTER_NAME_MAX printable bytes): 0, -1 when
 * the message is full (MP_MAX_COUNTERS) or the name is bad. */
int mp_add_counter(struct mp_msg *m, const char *name, uint64_t value);
static inline int mp_has(const struct mp_msg *m, int attr)
{
	return attr > 0 && attr < __MP_A_LAST && (m->present >> attr) & 1;
}

/*
 * Frame length of the message starting at buf: > 0 total length when the
 * header is valid (the frame may still be incomplete), MP_E_SHORT with
 * fewer than MP_HDR_LEN bytes, or a header error.
 */
int mp_frame_len(const uint8_t *buf, size_t len);
/* Decode exactly one frame of `len` bytes.  0 or a negative mp_status. */
int mp_decode(const uint8_t *buf, size_t len, struct mp_msg *m);
/* Encode; returns the frame length or a negative mp_status. */
int mp_encode(const struct mp_msg *m, uint8_t *buf, size_t cap);

const char *mp_strerror(int status);
const char *mp_type_name(int type);
const char *mp_error_name(int err);
const char *mp_warning_name(int w);
const char *mp_metric_name(int metric);
const char *mp_method_name(int method);
int mp_metric_parse(const char *s);
int mp_method_parse(const char *s);

/* The agent's key exporter context (MP_UINFO_LABEL) for key_id and addr
 * into buf: its length, or 0 if it does not fit cap. */
size_t mp_uinfo_context(uint32_t key_id, const char *addr, uint8_t *buf,
			size_t cap);

#endif

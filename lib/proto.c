// SPDX-License-Identifier: GPL-2.0
/* muisp control-channel codec: see proto.h and docs/PROTOCOL.md. */
#include <netinet/in.h>
#include <string.h>

#include "proto.h"

enum kind {
	K_NONE,
	K_U8,
	K_U32,
	K_U64,
	K_STR,
	K_BYTES,
	K_CERT, /* bytes up to MP_CERT_MAX, in mp_msg.cert */
	K_ITEM,
	K_LINE,
	K_COUNTER, /* nested MP_A_NAME + MP_A_VALUE, in mp_msg.counters */
	K_FIX,	   /* min: its length, max: its slot in mp_msg.fix */
};

struct attr_def {
	enum kind kind;
	uint64_t min, max; /* value range for integers */
};

#define FIX(len, slot)               \
	{                            \
		K_FIX, (len), (slot) \
	}

#define U8R(a, b)              \
	{                      \
		K_U8, (a), (b) \
	}
#define U32R(a, b)              \
	{                       \
		K_U32, (a), (b) \
	}
#define U64                          \
	{                            \
		K_U64, 0, UINT64_MAX \
	}
#define STR                 \
	{                   \
		K_STR, 0, 0 \
	}

static const struct attr_def attr_defs[__MP_A_LAST] = {
	[MP_A_SERIAL] = U64,
	[MP_A_OFFER_SERIAL] = U64,
	[MP_A_TIME] = U64,
	[MP_A_EXPIRY] = U64,
	[MP_A_METRIC] = U8R(1, __MP_METRIC_LAST - 1),
	[MP_A_METHOD] = U8R(1, __MP_METHOD_LAST - 1),
	[MP_A_PRIVACY] = U8R(0, 1),
	[MP_A_SOFT] = U64,
	[MP_A_HARD] = U64,
	[MP_A_USAGE] = U64,
	[MP_A_AMOUNT] = U64,
	[MP_A_PAYMENT] = STR,
	[MP_A_RECEIPT] = { K_BYTES, 0, 0 },
	[MP_A_PASSWORD] = STR,
	[MP_A_STATE] = U8R(0, 15),
	[MP_A_WARNING] = U8R(1, __MP_WARN_LAST - 1),
	[MP_A_ERROR] = U32R(1, __MP_ERR_LAST - 1),
	[MP_A_MESSAGE] = STR,
	[MP_A_OFFER_ITEM] = { K_ITEM, 0, 0 },
	[MP_A_LINE] = { K_LINE, 0, 0 },
	[MP_A_REFUND] = U64,
	[MP_A_CHARGE] = U64,
	[MP_A_ADDR] = STR,
	[MP_A_CURRENCY] = STR,
	[MP_A_LOAD] = U8R(0, 100),
	[MP_A_CODE] = STR,
	[MP_A_BALANCE] = U64,
	[MP_A_ROOM] = STR,
	[MP_A_KEY_ID] = U32R(0, UINT32_MAX),
	[MP_A_PRICE] = U64,
	[MP_A_UNIT] = { K_U64, 1, UINT64_MAX },
	[MP_A_HOLDER_KEY] = FIX(32, 0),
	[MP_A_CHALLENGE] = FIX(32, 1),
	[MP_A_SIGNATURE] = FIX(64, 2),
	[MP_A_CERT] = { K_CERT, 0, 0 },
	[MP_A_KEY_STATE] = U8R(0, 2),
	[MP_A_NOT_AFTER] = U64,
	[MP_A_SUBJECT] = STR,
	[MP_A_KEY_TYPE] = STR,
	[MP_A_LAST_USED] = U64,
	[MP_A_IDENTITY] = STR,
	[MP_A_SECRET] = STR,
	[MP_A_COUNTER] = { K_COUNTER, 0, 0 },
	[MP_A_NAME] = STR,
	[MP_A_VALUE] = U64,
	[MP_A_INTERVAL] = U32R(1, 3600),
	[MP_A_SPORT] = U32R(1, 65535),
	[MP_A_DPORT] = U32R(1, 65535),
	[MP_A_PEER] = STR,
	[MP_A_USER] = U32R(0, UINT32_MAX),
	[MP_A_BLOCKED] = U8R(0, 1),
	[MP_A_PUSH] = U8R(0, __MP_PUSH_LAST - 1),
	[MP_A_SCHEME] = U8R(0, __MP_SCHEME_LAST - 1),
	[MP_A_PROTO] = U8R(IPPROTO_TCP, IPPROTO_UDP),
	[MP_A_END] = U64,
	[MP_A_SENT_BYTES] = U64,
	[MP_A_SENT_PKTS] = U64,
	[MP_A_RECV_BYTES] = U64,
	[MP_A_RECV_PKTS] = U64,
	[MP_A_VERDICT] = U8R(0, 1),
};

#define B(a) (1ull << (a))

struct type_def {
	const char *name;
	uint64_t required, allowed, oneof;
};

#define STATUS_ATTRS                                                        \
	(B(MP_A_SERIAL) | B(MP_A_STATE) | B(MP_A_USAGE) | B(MP_A_SOFT) |    \
	 B(MP_A_HARD) | B(MP_A_EXPIRY) | B(MP_A_METRIC) | B(MP_A_METHOD) |  \
	 B(MP_A_ADDR) | B(MP_A_AMOUNT) | B(MP_A_TIME) | B(MP_A_RECEIPT) |   \
	 B(MP_A_PASSWORD) | B(MP_A_PRICE) | B(MP_A_UNIT) | B(MP_A_CHARGE) | \
	 B(MP_A_REFUND) | B(MP_A_KEY_ID) | B(MP_A_PRIVACY) | B(MP_A_ROOM) | \
	 B(MP_A_MESSAGE))

/* A standalone agent's usage record: a user's traffic in a period. */
#define USAGE_REC_ATTRS                                                   \
	(B(MP_A_USER) | B(MP_A_TIME) | B(MP_A_END) | B(MP_A_SENT_BYTES) | \
	 B(MP_A_SENT_PKTS) | B(MP_A_RECV_BYTES) | B(MP_A_RECV_PKTS))

/* A connection's two ends (CONN_ASK, CONN_COST). */
#define CONN_ENDS_ATTRS                                                \
	(B(MP_A_PROTO) | B(MP_A_ADDR) | B(MP_A_SPORT) | B(MP_A_PEER) | \
	 B(MP_A_DPORT))
#define CONN_ASK_ATTRS                                                       \
	(B(MP_A_SERIAL) | CONN_ENDS_ATTRS | B(MP_A_METRIC) | B(MP_A_PRICE) | \
	 B(MP_A_UNIT) | B(MP_A_CURRENCY) | B(MP_A_CHALLENGE))

static const struct type_def type_defs[256] = {
	[MP_T_OFFER_GET] = { "offer-get", 0, B(MP_A_PRIVACY), 0 },
	[MP_T_REQUEST] = { "request",
			   B(MP_A_OFFER_SERIAL) | B(MP_A_METRIC) |
				   B(MP_A_SOFT) | B(MP_A_HARD) | B(MP_A_METHOD),
			   B(MP_A_PRIVACY), 0 },
	[MP_T_DEPOSIT] = { "deposit", B(MP_A_SERIAL) | B(MP_A_METHOD),
			   B(MP_A_PAYMENT) | B(MP_A_AMOUNT) |
				   B(MP_A_HOLDER_KEY) | B(MP_A_IDENTITY) |
				   B(MP_A_SECRET),
			   0 },
	[MP_T_BIND] = { "bind", 0, B(MP_A_CHALLENGE) | B(MP_A_SIGNATURE),
			B(MP_A_RECEIPT) | B(MP_A_PASSWORD) },
	[MP_T_USAGE] = { "usage", B(MP_A_SERIAL), 0, 0 },
	[MP_T_START] = { "start", B(MP_A_SERIAL), 0, 0 },
	[MP_T_SUSPEND] = { "suspend", B(MP_A_SERIAL), 0, 0 },
	[MP_T_TERMINATE] = { "terminate", B(MP_A_SERIAL), 0, 0 },
	[MP_T_EXTEND] = { "extend", B(MP_A_SERIAL) | B(MP_A_SOFT), 0, 0 },
	[MP_T_WARNING_ACK] = { "warning-ack", B(MP_A_SERIAL) | B(MP_A_WARNING),
			       0, 0 },
	[MP_T_REGISTER] = { "register", B(MP_A_CERT), 0, 0 },
	[MP_T_STATEMENT_GET] = { "statement-get", B(MP_A_RECEIPT),
				 B(MP_A_CHALLENGE) | B(MP_A_SIGNATURE), 0 },
	[MP_T_UINFO_HELLO] = { "uinfo-hello", 0, B(MP_A_SCHEME), 0 },
	[MP_T_UINFO_KEEPALIVE] = { "uinfo-keepalive", 0, 0, 0 },
	[MP_T_UINFO_OWNER_GET] = { "uinfo-owner-get",
				   B(MP_A_ADDR) | B(MP_A_SPORT) | B(MP_A_PEER) |
					   B(MP_A_DPORT),
				   B(MP_A_PROTO), 0 },
	[MP_T_UINFO_OWNER] = { "uinfo-owner", 0, B(MP_A_USER), 0 },
	[MP_T_UINFO_BLOCK] = { "uinfo-block", B(MP_A_USER) | B(MP_A_BLOCKED), 0,
			       0 },
	[MP_T_UINFO_BLOCKED] = { "uinfo-blocked",
				 B(MP_A_USER) | B(MP_A_BLOCKED), 0, 0 },
	/* SERIAL: the record's sequence number (>= 1: muispd checks it,
	 * and END >= TIME) */
	[MP_T_UINFO_USAGE] = { "uinfo-usage", B(MP_A_SERIAL) | USAGE_REC_ATTRS,
			       0, 0 },
	[MP_T_UINFO_USAGE_ACK] = { "uinfo-usage-ack", B(MP_A_SERIAL), 0, 0 },
	/* a user's packet (PROTO 6 or 17 and USER >= 1: muispd checks
	 * them) and what the report covers */
	[MP_T_UINFO_REPORT] = { "uinfo-report",
				B(MP_A_PROTO) | B(MP_A_ADDR) | B(MP_A_SPORT) |
					B(MP_A_PEER) | B(MP_A_DPORT) |
					B(MP_A_USER) | B(MP_A_SENT_BYTES) |
					B(MP_A_SENT_PKTS),
				0, 0 },
	[MP_T_UINFO_WELCOME] = { "uinfo-welcome",
				 B(MP_A_KEY_ID) | B(MP_A_ADDR) |
					 B(MP_A_INTERVAL),
				 0, 0 },
	[MP_T_REGISTERED] = { "registered", 0, B(MP_A_EXPIRY) | B(MP_A_MESSAGE),
			      0 },
	[MP_T_OFFER] = { "offer",
			 B(MP_A_OFFER_SERIAL) | B(MP_A_TIME) | B(MP_A_EXPIRY) |
				 B(MP_A_CURRENCY),
			 B(MP_A_OFFER_ITEM) | B(MP_A_LOAD) | B(MP_A_PRIVACY),
			 0 },
	[MP_T_QUOTE] = { "quote",
			 B(MP_A_SERIAL) | B(MP_A_AMOUNT) | B(MP_A_METRIC) |
				 B(MP_A_SOFT) | B(MP_A_HARD) | B(MP_A_METHOD) |
				 B(MP_A_EXPIRY),
			 B(MP_A_PRICE) | B(MP_A_UNIT) | B(MP_A_TIME) |
				 B(MP_A_PRIVACY),
			 0 },
	[MP_T_RECEIPT] = { "receipt", B(MP_A_SERIAL) | B(MP_A_RECEIPT),
			   STATUS_ATTRS, 0 },
	[MP_T_STATUS] = { "status", B(MP_A_SERIAL) | B(MP_A_STATE),
			  STATUS_ATTRS, 0 },
	[MP_T_STATEMENT] = { "statement", B(MP_A_SERIAL),
			     B(MP_A_LINE) | B(MP_A_AMOUNT) | B(MP_A_CHARGE) |
				     B(MP_A_REFUND) | B(MP_A_USAGE) |
				     B(MP_A_METHOD) | B(MP_A_STATE) |
				     B(MP_A_MESSAGE) | B(MP_A_BALANCE) |
				     B(MP_A_ROOM),
			     0 },
	[MP_T_ERROR] = { "error", B(MP_A_ERROR),
			 B(MP_A_MESSAGE) | B(MP_A_SERIAL) | B(MP_A_CHALLENGE),
			 0 },
	[MP_T_WARNING] = { "warning", B(MP_A_SERIAL) | B(MP_A_WARNING),
			   B(MP_A_USAGE) | B(MP_A_SOFT) | B(MP_A_HARD) |
				   B(MP_A_EXPIRY) | B(MP_A_ADDR) |
				   B(MP_A_STATE),
			   0 },
	[MP_T_OP_VOUCHER_ISSUE] = { "op-voucher-issue", B(MP_A_AMOUNT),
				    B(MP_A_EXPIRY), 0 },
	[MP_T_OP_VOUCHER_SHOW] = { "op-voucher-show", B(MP_A_CODE), 0, 0 },
	[MP_T_OP_VOUCHER] = { "op-voucher", B(MP_A_CODE) | B(MP_A_BALANCE),
			      B(MP_A_EXPIRY) | B(MP_A_AMOUNT), 0 },
	[MP_T_OP_CONTRACT_CREATE] = { "op-contract-create",
				      B(MP_A_METRIC) | B(MP_A_SOFT) |
					      B(MP_A_HARD) | B(MP_A_METHOD),
				      B(MP_A_ROOM) | B(MP_A_PRIVACY) |
					      B(MP_A_EXPIRY),
				      0 },
	[MP_T_OP_CONTRACT_LIST] = { "op-contract-list", 0, 0, 0 },
	[MP_T_OP_CONTRACT_SHOW] = { "op-contract-show", B(MP_A_SERIAL), 0, 0 },
	[MP_T_OP_CONTRACT_TERMINATE] = { "op-contract-terminate",
					 B(MP_A_SERIAL), 0, 0 },
	[MP_T_OP_CONTRACT_SETTLE] = { "op-contract-settle", B(MP_A_SERIAL), 0,
				      0 },
	[MP_T_OP_USAGE_ADD] = { "op-usage-add", B(MP_A_SERIAL) | B(MP_A_USAGE),
				0, 0 },
	[MP_T_OP_KEY_ROTATE] = { "op-key-rotate", 0, 0, 0 },
	[MP_T_OP_ROOM_SHOW] = { "op-room-show", B(MP_A_ROOM), 0, 0 },
	[MP_T_OP_UNBIND] = { "op-unbind", B(MP_A_SERIAL), 0, 0 },
	[MP_T_OP_OK] = { "op-ok", 0,
			 B(MP_A_KEY_ID) | B(MP_A_MESSAGE) | B(MP_A_SERIAL), 0 },
	[MP_T_OP_KEY_LIST] = { "op-key-list", 0, 0, 0 },
	[MP_T_OP_KEY] = { "op-key",
			  B(MP_A_KEY_ID) | B(MP_A_TIME) | B(MP_A_KEY_STATE),
			  B(MP_A_NOT_AFTER) | B(MP_A_EXPIRY), 0 },
	[MP_T_OP_REG_LIST] = { "op-reg-list", 0, 0, 0 },
	[MP_T_OP_REG] = { "op-reg",
			  B(MP_A_ADDR) | B(MP_A_SUBJECT) | B(MP_A_KEY_TYPE) |
				  B(MP_A_TIME) | B(MP_A_LAST_USED) |
				  B(MP_A_EXPIRY),
			  0, 0 },
	[MP_T_OP_REG_FORGET] = { "op-reg-forget", 0, 0,
				 B(MP_A_ADDR) | B(MP_A_SUBJECT) },
	[MP_T_OP_USER_BLOCK] = { "op-user-block",
				 B(MP_A_ADDR) | B(MP_A_USER) | B(MP_A_BLOCKED),
				 B(MP_A_MESSAGE), 0 },
	[MP_T_OP_USER_BLOCK_LIST] = { "op-user-block-list", 0, 0, 0 },
	[MP_T_OP_USER_BLOCK_ROW] = { "op-user-block-row",
				     B(MP_A_ADDR) | B(MP_A_USER) |
					     B(MP_A_TIME) | B(MP_A_PUSH),
				     B(MP_A_MESSAGE), 0 },
	[MP_T_OP_AGENT_USAGE] = { "op-agent-usage", 0, B(MP_A_ADDR), 0 },
	/* a host's user: TIME the first record's start, END the last's
	 * end, the sums; SERIAL the host's highest sequence number */
	[MP_T_OP_AGENT_USAGE_ROW] = { "op-agent-usage-row",
				      B(MP_A_ADDR) | B(MP_A_SERIAL) |
					      USAGE_REC_ATTRS,
				      0, 0 },
	[MP_T_CONN_AGENT_HELLO] = { "conn-agent-hello", B(MP_A_SERIAL), 0, 0 },
	[MP_T_CONN_ASK] = { "conn-ask", CONN_ASK_ATTRS, B(MP_A_USER), 0 },
	[MP_T_CONN_VERDICT] = { "conn-verdict",
				B(MP_A_VERDICT) | B(MP_A_SIGNATURE),
				B(MP_A_MESSAGE), 0 },
	[MP_T_CONN_COST] = { "conn-cost",
			     B(MP_A_SERIAL) | CONN_ENDS_ATTRS | B(MP_A_TIME) |
				     B(MP_A_SENT_BYTES) | B(MP_A_SENT_PKTS) |
				     B(MP_A_RECV_BYTES) | B(MP_A_RECV_PKTS),
			     B(MP_A_CHARGE) | B(MP_A_END) | B(MP_A_MESSAGE),
			     0 },
	[MP_T_OP_CONN_LIST] = { "op-conn-list", 0, B(MP_A_ADDR) | B(MP_A_USER),
				0 },
	/* a connection: PROTO ADDR:SPORT -> PEER:DPORT, its USER and the
	 * contract (SERIAL) at PRICE per UNIT of METRIC, begun at TIME;
	 * ended: END, MESSAGE the reason, and unless lost the counters
	 * (SENT: up, RECV: down) and what it cost (CHARGE) */
	[MP_T_OP_CONN_ROW] = { "op-conn-row",
			       B(MP_A_PROTO) | B(MP_A_ADDR) | B(MP_A_SPORT) |
				       B(MP_A_PEER) | B(MP_A_DPORT) |
				       B(MP_A_USER) | B(MP_A_SERIAL) |
				       B(MP_A_PRICE) | B(MP_A_UNIT) |
				       B(MP_A_METRIC) | B(MP_A_TIME),
			       B(MP_A_END) | B(MP_A_MESSAGE) |
				       B(MP_A_SENT_BYTES) | B(MP_A_SENT_PKTS) |
				       B(MP_A_RECV_BYTES) | B(MP_A_RECV_PKTS) |
				       B(MP_A_CHARGE),
			       0 },
	[MP_T_OP_RADIUS_STATS] = { "op-radius-stats", 0, 0, 0 },
	[MP_T_OP_COUNTERS] = { "op-counters", 0, B(MP_A_COUNTER), 0 },
	[MP_T_OP_STATS] = { "op-stats", 0, 0, 0 },
	[MP_T_OP_SNAPSHOT] = { "op-snapshot", 0, B(MP_A_SERIAL), 0 },
	/* one contract for the SNMP cache: what a STATUS says, plus the
	 * deposit (AMOUNT) and its CURRENCY */
	[MP_T_OP_SNAP_ROW] = { "op-snap-row", B(MP_A_SERIAL) | B(MP_A_STATE),
			       STATUS_ATTRS | B(MP_A_AMOUNT) |
				       B(MP_A_CURRENCY) | B(MP_A_ROOM),
			       0 },
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static int kind_len_ok(enum kind k, size_t len)
{
	switch (k) {
	case K_U8:
		return len == 1;
	case K_U32:
		return len == 4;
	case K_U64:
		return len == 8;
	case K_STR:
		return len >= 1 && len <= MP_STR_MAX;
	case K_BYTES:
		return len >= 1 && len <= MP_BYTES_MAX;
	case K_CERT:
		return len >= 1 && len <= MP_CERT_MAX;
	case K_ITEM:
	case K_LINE:
	case K_COUNTER:
		return len >= 4;
	default:
		return 0;
	}
}

static int fix_len_ok(const struct attr_def *d, size_t len)
{
	return d->kind == K_FIX && len == d->min;
}

static int str_ok(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return 0;
	return 1;
}

static uint64_t get_int(enum kind k, const uint8_t *p)
{
	return k == K_U8 ? p[0] : k == K_U32 ? get32(p) : get64(p);
}

/*
 * Walk the attributes in [p, p + len).  For each, checks that header,
 * value and padding fit and padding is zero, then calls fn.
 */
typedef int (*attr_fn)(void *ctx, uint16_t type, const uint8_t *v,
		       uint16_t vlen);

static int walk(const uint8_t *p, size_t len, attr_fn fn, void *ctx)
{
	size_t off = 0;

	while (off < len) {
		if (len - off < 4)
			return MP_E_TRUNC;
		uint16_t type = get16(p + off);
		uint16_t vlen = get16(p + off + 2);
		size_t total = pad4(4 + (size_t)vlen);

		if (total > len - off)
			return MP_E_TRUNC;
		for (size_t i = 4 + (size_t)vlen; i < total; i++)
			if (p[off + i])
				return MP_E_PAD;
		int rc = fn(ctx, type, p + off + 4, vlen);

		if (rc)
			return rc;
		off += total;
	}
	return 0;
}

struct sub_ctx {
	unsigned seen;
	const struct attr_def *defs;
	unsigned ndefs;
	uint64_t val[8];
	char str[MP_STR_MAX + 1];
};

static const struct attr_def item_defs[__MP_I_LAST] = {
	[MP_I_METRIC] = U8R(1, __MP_METRIC_LAST - 1),
	[MP_I_METHOD] = U8R(1, __MP_METHOD_LAST - 1),
	[MP_I_PRIVACY] = U8R(0, 1),
	[MP_I_PRICE] = U64,
	[MP_I_UNIT] = { K_U64, 1, UINT64_MAX },
};

static const struct attr_def line_defs[__MP_L_LAST] = {
	[MP_L_DESC] = STR,
	[MP_L_AMOUNT] = U64,
	[MP_L_SIGN] = U8R(0, 1),
};

static int sub_attr(void *vctx, uint16_t type, const uint8_t *v, uint16_t vlen)
{
	struct sub_ctx *c = vctx;
	const struct attr_def *d;

	if (type == 0 || type >= c->ndefs || c->defs[type].kind == K_NONE)
		return MP_E_ATTR_UNKNOWN;
	if (c->seen & (1u << type))
		return MP_E_ATTR_DUP;
	d = &c->defs[type];
	if (!kind_len_ok(d->kind, vlen))
		return MP_E_ATTR_LEN;
	if (d->kind == K_STR) {
		if (!str_ok(v, vlen))
			return MP_E_ATTR_VALUE;
		memcpy(c->str, v, vlen);
		c->str[vlen] = '\0';
	} else {
		uint64_t x = get_int(d->kind, v);

		if (x < d->min || x > d->max)
			return MP_E_ATTR_VALUE;
		c->val[type] = x;
	}
	c->seen |= 1u << type;
	return 0;
}

static int decode_item(const uint8_t *v, uint16_t vlen, struct mp_item *it)
{
	struct sub_ctx c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.defs = item_defs;
	c.ndefs = __MP_I_LAST;
	rc = walk(v, vlen, sub_attr, &c);
	if (rc)
		return rc;
	if (c.seen != ((1u << __MP_I_LAST) - 2))
		return MP_E_ATTR_MISSING;
	it->metric = (uint8_t)c.val[MP_I_METRIC];
	it->method = (uint8_t)c.val[MP_I_METHOD];
	it->privacy = (uint8_t)c.val[MP_I_PRIVACY];
	it->price = c.val[MP_I_PRICE];
	it->unit = c.val[MP_I_UNIT];
	return 0;
}

static int decode_line(const uint8_t *v, uint16_t vlen, struct mp_line *ln)
{
	struct sub_ctx c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.defs = line_defs;
	c.ndefs = __MP_L_LAST;
	rc = walk(v, vlen, sub_attr, &c);
	if (rc)
		return rc;
	if ((c.seen & ((1u << MP_L_DESC) | (1u << MP_L_AMOUNT))) !=
	    ((1u << MP_L_DESC) | (1u << MP_L_AMOUNT)))
		return MP_E_ATTR_MISSING;
	memcpy(ln->desc, c.str, sizeof(ln->desc));
	ln->amount = c.val[MP_L_AMOUNT];
	ln->credit = (uint8_t)c.val[MP_L_SIGN];
	return 0;
}

/* Inside MP_A_COUNTER: exactly one MP_A_NAME and one MP_A_VALUE. */
struct counter_ctx {
	struct mp_counter *c;
	unsigned seen; /* 1 name, 2 value */
};

static int counter_attr(void *vctx, uint16_t type, const uint8_t *v,
			uint16_t vlen)
{
	struct counter_ctx *x = vctx;
	unsigned bit = type == MP_A_NAME ? 1 : type == MP_A_VALUE ? 2 : 0;

	if (!bit)
		return MP_E_ATTR_UNKNOWN;
	if (x->seen & bit)
		return MP_E_ATTR_DUP;
	if (type == MP_A_NAME) {
		if (vlen < 1 || vlen > MP_COUNTER_NAME_MAX)
			return MP_E_ATTR_LEN;
		if (!str_ok(v, vlen))
			return MP_E_ATTR_VALUE;
		memcpy(x->c->name, v, vlen);
		x->c->name[vlen] = '\0';
	} else {
		if (vlen != 8)
			return MP_E_ATTR_LEN;
		x->c->value = get64(v);
	}
	x->seen |= bit;
	return 0;
}

static int decode_counter(const uint8_t *v, uint16_t vlen, struct mp_counter *c)
{
	struct counter_ctx x = { c, 0 };
	int rc;

	memset(c, 0, sizeof(*c));
	rc = walk(v, vlen, counter_attr, &x);
	if (rc)
		return rc;
	return x.seen == 3 ? 0 : MP_E_ATTR_MISSING;
}

static int top_attr(void *vctx, uint16_t type, const uint8_t *v, uint16_t vlen)
{
	struct mp_msg *m = vctx;
	const struct type_def *t = &type_defs[m->type];
	const struct attr_def *d;

	if (type == 0 || type >= __MP_A_LAST)
		return MP_E_ATTR_UNKNOWN;
	d = &attr_defs[type];
	if (!((t->required | t->allowed | t->oneof) & B(type)))
		return MP_E_ATTR_NOTALLOWED;
	if (d->kind == K_FIX ? !fix_len_ok(d, vlen) :
			       !kind_len_ok(d->kind, vlen))
		return MP_E_ATTR_LEN;
	switch (d->kind) {
	case K_FIX:
		if (mp_has(m, type))
			return MP_E_ATTR_DUP;
		memcpy(m->fix[d->max], v, vlen);
		break;
	case K_ITEM:
		if (m->nitems >= MP_MAX_ITEMS)
			return MP_E_TOOMANY;
		{
			int rc = decode_item(v, vlen, &m->items[m->nitems]);

			if (rc)
				return rc;
		}
		m->nitems++;
		break;
	case K_LINE:
		if (m->nlines >= MP_MAX_LINES)
			return MP_E_TOOMANY;
		{
			int rc = decode_line(v, vlen, &m->lines[m->nlines]);

			if (rc)
				return rc;
		}
		m->nlines++;
		break;
	case K_COUNTER:
		if (m->ncounters >= MP_MAX_COUNTERS)
			return MP_E_TOOMANY;
		{
			int rc = decode_counter(v, vlen,
						&m->counters[m->ncounters]);

			if (rc)
				return rc;
		}
		m->ncounters++;
		break;
	case K_STR:
		if (mp_has(m, type))
			return MP_E_ATTR_DUP;
		if (!str_ok(v, vlen))
			return MP_E_ATTR_VALUE;
		memcpy(m->s[type], v, vlen);
		m->s[type][vlen] = '\0';
		break;
	case K_BYTES:
		if (mp_has(m, type))
			return MP_E_ATTR_DUP;
		memcpy(m->bytes, v, vlen);
		m->bytes_len = vlen;
		break;
	case K_CERT:
		if (mp_has(m, type))
			return MP_E_ATTR_DUP;
		memcpy(m->cert, v, vlen);
		m->cert_len = vlen;
		break;
	default: {
		uint64_t x;

		if (mp_has(m, type))
			return MP_E_ATTR_DUP;
		x = get_int(d->kind, v);
		if (x < d->min || x > d->max)
			return MP_E_ATTR_VALUE;
		m->u[type] = x;
		break;
	}
	}
	m->present |= B(type);
	return 0;
}

static int header_check(const uint8_t *buf)
{
	if (get16(buf) != MP_MAGIC)
		return MP_E_MAGIC;
	if (buf[2] != MP_VERSION)
		return MP_E_VERSION;
	if (!type_defs[buf[3]].name)
		return MP_E_TYPE;
	if (get16(buf + 4) & ~__MP_F_ALL)
		return MP_E_FLAGS;
	if (get16(buf + 6))
		return MP_E_RESERVED;
	if (get32(buf + 8) > MP_MAX_PAYLOAD)
		return MP_E_LENGTH;
	return 0;
}

int mp_frame_len(const uint8_t *buf, size_t len)
{
	int rc;

	if (len < MP_HDR_LEN)
		return MP_E_SHORT;
	rc = header_check(buf);
	if (rc)
		return rc;
	return MP_HDR_LEN + (int)get32(buf + 8);
}

static int check_presence(const struct mp_msg *m)
{
	const struct type_def *t = &type_defs[m->type];
	uint64_t one;

	if ((m->present & t->required) != t->required)
		return MP_E_ATTR_MISSING;
	if (t->oneof) {
		one = m->present & t->oneof;
		if (!one)
			return MP_E_ATTR_MISSING;
		if (one & (one - 1))
			return MP_E_ATTR_NOTALLOWED;
	}
	return 0;
}

int mp_decode(const uint8_t *buf, size_t len, struct mp_msg *m)
{
	int flen = mp_frame_len(buf, len);
	int rc;

	memset(m, 0, sizeof(*m));
	if (flen < 0)
		return flen;
	if ((size_t)flen != len)
		return (size_t)flen > len ? MP_E_SHORT : MP_E_LENGTH;
	m->type = buf[3];
	m->flags = get16(buf + 4);
	m->serial = get32(buf + 12);
	rc = walk(buf + MP_HDR_LEN, len - MP_HDR_LEN, top_attr, m);
	if (!rc)
		rc = check_presence(m);
	if (rc) {
		uint8_t type = m->type;

		memset(m, 0, sizeof(*m));
		m->type = type;
	}
	return rc;
}

void mp_init(struct mp_msg *m, uint8_t type, uint16_t flags, uint32_t serial)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->flags = flags;
	m->serial = serial;
}

int mp_set_u(struct mp_msg *m, int attr, uint64_t v)
{
	if (attr <= 0 || attr >= __MP_A_LAST)
		return -1;
	switch (attr_defs[attr].kind) {
	case K_U8:
	case K_U32:
	case K_U64:
		break;
	default:
		return -1;
	}
	m->u[attr] = v;
	m->present |= B(attr);
	return 0;
}

int mp_set_s(struct mp_msg *m, int attr, const char *s)
{
	size_t n = strlen(s);

	if (attr <= 0 || attr >= __MP_A_LAST || attr_defs[attr].kind != K_STR ||
	    n > MP_STR_MAX)
		return -1;
	memcpy(m->s[attr], s, n + 1);
	m->present |= B(attr);
	return 0;
}

int mp_set_bytes(struct mp_msg *m, int attr, const void *p, size_t len)
{
	if (attr <= 0 || attr >= __MP_A_LAST)
		return -1;
	if (attr_defs[attr].kind == K_CERT && len <= MP_CERT_MAX) {
		memcpy(m->cert, p, len);
		m->cert_len = (uint16_t)len;
	} else if (attr_defs[attr].kind == K_BYTES && len <= MP_BYTES_MAX) {
		memcpy(m->bytes, p, len);
		m->bytes_len = (uint16_t)len;
	} else {
		return -1;
	}
	m->present |= B(attr);
	return 0;
}

int mp_set_fix(struct mp_msg *m, int attr, const void *p, size_t len)
{
	const struct attr_def *d;

	if (attr <= 0 || attr >= __MP_A_LAST)
		return -1;
	d = &attr_defs[attr];
	if (!fix_len_ok(d, len))
		return -1;
	memcpy(m->fix[d->max], p, len);
	m->present |= B(attr);
	return 0;
}

const uint8_t *mp_fix(const struct mp_msg *m, int attr)
{
	if (attr <= 0 || attr >= __MP_A_LAST || attr_defs[attr].kind != K_FIX)
		return NULL;
	return m->fix[attr_defs[attr].max];
}

size_t mp_fix_len(int attr)
{
	if (attr <= 0 || attr >= __MP_A_LAST || attr_defs[attr].kind != K_FIX)
		return 0;
	return (size_t)attr_defs[attr].min;
}

static uint8_t *put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
	return p + n;
}

static uint8_t *put_str(uint8_t *p, const char *s)
{
	size_t n = strlen(s);

	*p++ = (uint8_t)n;
	memcpy(p, s, n);
	return p + n;
}

size_t mp_conn_message(const struct mp_msg *ask, int verdict, uint8_t *out,
		       size_t cap)
{
	uint8_t *p = out;

	if (cap < MP_CONN_MSG_MAX ||
	    (ask->present & CONN_ASK_ATTRS) != CONN_ASK_ATTRS)
		return 0;
	memcpy(p, MP_CONN_LABEL, MP_CONN_LABEL_LEN);
	p += MP_CONN_LABEL_LEN;
	memcpy(p, mp_fix(ask, MP_A_CHALLENGE), 32);
	p += 32;
	p = put_be(p, ask->u[MP_A_SERIAL], 8);
	p = put_be(p, verdict ? 1 : 0, 1);
	p = put_be(p, ask->u[MP_A_PROTO], 1);
	p = put_be(p, ask->u[MP_A_SPORT], 2);
	p = put_be(p, ask->u[MP_A_DPORT], 2);
	p = put_be(p, ask->u[MP_A_METRIC], 1);
	p = put_be(p, ask->u[MP_A_PRICE], 8);
	p = put_be(p, ask->u[MP_A_UNIT], 8);
	p = put_str(p, ask->s[MP_A_CURRENCY]);
	p = put_str(p, ask->s[MP_A_ADDR]);
	p = put_str(p, ask->s[MP_A_PEER]);
	return (size_t)(p - out);
}

size_t mp_bind_message(const uint8_t challenge[32], const uint8_t *r,
		       size_t rlen, uint8_t *out, size_t cap)
{
	size_t n = MP_BIND_LABEL_LEN + 32 + rlen;

	if (n > cap)
		return 0;
	memcpy(out, MP_BIND_LABEL, MP_BIND_LABEL_LEN);
	memcpy(out + MP_BIND_LABEL_LEN, challenge, 32);
	memcpy(out + MP_BIND_LABEL_LEN + 32, r, rlen);
	return n;
}

int mp_add_item(struct mp_msg *m, const struct mp_item *it)
{
	if (m->nitems >= MP_MAX_ITEMS)
		return -1;
	m->items[m->nitems++] = *it;
	m->present |= B(MP_A_OFFER_ITEM);
	return 0;
}

int mp_add_line(struct mp_msg *m, const char *desc, uint64_t amount, int credit)
{
	struct mp_line *ln;
	size_t n = strlen(desc);

	if (m->nlines >= MP_MAX_LINES || n > MP_STR_MAX)
		return -1;
	ln = &m->lines[m->nlines++];
	memset(ln, 0, sizeof(*ln));
	memcpy(ln->desc, desc, n + 1);
	ln->amount = amount;
	ln->credit = credit ? 1 : 0;
	m->present |= B(MP_A_LINE);
	return 0;
}

int mp_add_counter(struct mp_msg *m, const char *name, uint64_t value)
{
	struct mp_counter *k;
	size_t n = strlen(name);

	if (m->ncounters >= MP_MAX_COUNTERS || n < 1 ||
	    n > MP_COUNTER_NAME_MAX || !str_ok((const uint8_t *)name, n))
		return -1;
	k = &m->counters[m->ncounters++];
	memset(k, 0, sizeof(*k));
	memcpy(k->name, name, n + 1);
	k->value = value;
	m->present |= B(MP_A_COUNTER);
	return 0;
}

struct wbuf {
	uint8_t *p;
	size_t cap, len;
	int err;
};

/* Append an attribute header + value; returns the header offset. */
static size_t w_attr(struct wbuf *w, uint16_t type, const void *v, size_t vlen)
{
	size_t at = w->len, total = pad4(4 + vlen);

	if (w->err)
		return at;
	if (vlen > 0xffff || total > w->cap - w->len) {
		w->err = MP_E_NOSPACE;
		return at;
	}
	put16(w->p + at, type);
	put16(w->p + at + 2, (uint16_t)vlen);
	if (vlen)
		memcpy(w->p + at + 4, v, vlen);
	memset(w->p + at + 4 + vlen, 0, total - 4 - vlen);
	w->len += total;
	return at;
}

static void w_int(struct wbuf *w, uint16_t type, enum kind k, uint64_t x)
{
	uint8_t v[8];
	size_t n = k == K_U8 ? 1 : k == K_U32 ? 4 : 8;

	if (k == K_U8)
		v[0] = (uint8_t)x;
	else if (k == K_U32)
		put32(v, (uint32_t)x);
	else
		put64(v, x);
	w_attr(w, type, v, n);
}

/* Nested: reserve header, write children, then patch the length. */
static size_t w_nest_begin(struct wbuf *w, uint16_t type)
{
	return w_attr(w, type, NULL, 0);
}

static void w_nest_end(struct wbuf *w, size_t at)
{
	size_t vlen;

	if (w->err)
		return;
	vlen = w->len - at - 4;
	if (vlen > 0xffff) {
		w->err = MP_E_NOSPACE;
		return;
	}
	put16(w->p + at + 2, (uint16_t)vlen);
}

static int value_ok(const struct attr_def *d, const struct mp_msg *m, int a)
{
	switch (d->kind) {
	case K_U8:
	case K_U32:
	case K_U64:
		return m->u[a] >= d->min && m->u[a] <= d->max;
	case K_STR: {
		size_t n = strnlen(m->s[a], MP_STR_MAX + 1);

		return n >= 1 && n <= MP_STR_MAX &&
		       str_ok((const uint8_t *)m->s[a], n);
	}
	case K_BYTES:
		return m->bytes_len >= 1 && m->bytes_len <= MP_BYTES_MAX;
	case K_CERT:
		return m->cert_len >= 1 && m->cert_len <= MP_CERT_MAX;
	case K_FIX:
		return 1;
	case K_ITEM:
		return m->nitems > 0;
	case K_LINE:
		return m->nlines > 0;
	case K_COUNTER:
		return m->ncounters > 0 && m->ncounters <= MP_MAX_COUNTERS;
	default:
		return 0;
	}
}

int mp_encode(const struct mp_msg *m, uint8_t *buf, size_t cap)
{
	const struct type_def *t = &type_defs[m->type];
	struct wbuf w = { buf, cap, MP_HDR_LEN, 0 };
	uint64_t mask;
	int rc;

	if (!t->name)
		return MP_E_TYPE;
	if (m->flags & ~__MP_F_ALL)
		return MP_E_FLAGS;
	mask = t->required | t->allowed | t->oneof;
	if (m->present & ~mask)
		return MP_E_ATTR_NOTALLOWED;
	rc = check_presence(m);
	if (rc)
		return rc;
	if (cap < MP_HDR_LEN)
		return MP_E_NOSPACE;
	if (w.cap > MP_MAX_FRAME)
		w.cap = MP_MAX_FRAME;
	for (int a = 1; a < __MP_A_LAST; a++) {
		const struct attr_def *d = &attr_defs[a];

		if (!mp_has(m, a))
			continue;
		if (!value_ok(d, m, a))
			return MP_E_ATTR_VALUE;
		switch (d->kind) {
		case K_STR:
			w_attr(&w, (uint16_t)a, m->s[a], strlen(m->s[a]));
			break;
		case K_BYTES:
			w_attr(&w, (uint16_t)a, m->bytes, m->bytes_len);
			break;
		case K_CERT:
			w_attr(&w, (uint16_t)a, m->cert, m->cert_len);
			break;
		case K_FIX:
			w_attr(&w, (uint16_t)a, m->fix[d->max], (size_t)d->min);
			break;
		case K_ITEM:
			if (m->nitems > MP_MAX_ITEMS)
				return MP_E_TOOMANY;
			for (unsigned i = 0; i < m->nitems; i++) {
				const struct mp_item *it = &m->items[i];
				size_t at = w_nest_begin(&w, (uint16_t)a);

				if (!it->metric ||
				    it->metric >= __MP_METRIC_LAST ||
				    !it->method ||
				    it->method >= __MP_METHOD_LAST ||
				    it->privacy > 1 || !it->unit)
					return MP_E_ATTR_VALUE;
				w_int(&w, MP_I_METRIC, K_U8, it->metric);
				w_int(&w, MP_I_METHOD, K_U8, it->method);
				w_int(&w, MP_I_PRIVACY, K_U8, it->privacy);
				w_int(&w, MP_I_PRICE, K_U64, it->price);
				w_int(&w, MP_I_UNIT, K_U64, it->unit);
				w_nest_end(&w, at);
			}
			break;
		case K_LINE:
			if (m->nlines > MP_MAX_LINES)
				return MP_E_TOOMANY;
			for (unsigned i = 0; i < m->nlines; i++) {
				const struct mp_line *ln = &m->lines[i];
				size_t n = strnlen(ln->desc, MP_STR_MAX + 1);
				size_t at;

				if (n < 1 || n > MP_STR_MAX ||
				    !str_ok((const uint8_t *)ln->desc, n) ||
				    ln->credit > 1)
					return MP_E_ATTR_VALUE;
				at = w_nest_begin(&w, (uint16_t)a);
				w_attr(&w, MP_L_DESC, ln->desc, n);
				w_int(&w, MP_L_AMOUNT, K_U64, ln->amount);
				if (ln->credit)
					w_int(&w, MP_L_SIGN, K_U8, 1);
				w_nest_end(&w, at);
			}
			break;
		case K_COUNTER:
			for (unsigned i = 0; i < m->ncounters; i++) {
				const struct mp_counter *k = &m->counters[i];
				size_t n = strnlen(k->name,
						   MP_COUNTER_NAME_MAX + 1);
				size_t at;

				if (n < 1 || n > MP_COUNTER_NAME_MAX ||
				    !str_ok((const uint8_t *)k->name, n))
					return MP_E_ATTR_VALUE;
				at = w_nest_begin(&w, (uint16_t)a);
				w_attr(&w, MP_A_NAME, k->name, n);
				w_int(&w, MP_A_VALUE, K_U64, k->value);
				w_nest_end(&w, at);
			}
			break;
		default:
			w_int(&w, (uint16_t)a, d->kind, m->u[a]);
			break;
		}
	}
	if (w.err)
		return w.err;
	put16(buf, MP_MAGIC);
	buf[2] = MP_VERSION;
	buf[3] = m->type;
	put16(buf + 4, m->flags);
	put16(buf + 6, 0);
	put32(buf + 8, (uint32_t)(w.len - MP_HDR_LEN));
	put32(buf + 12, m->serial);
	return (int)w.len;
}

const char *mp_strerror(int status)
{
	static const char *const s[] = {
		"ok",
		"incomplete frame",
		"bad magic",
		"unsupported version",
		"unknown message type",
		"unknown flags",
		"reserved bits set",
		"frame too long",
		"truncated attribute",
		"bad attribute length",
		"unknown attribute",
		"duplicate attribute",
		"attribute not allowed here",
		"missing attribute",
		"bad attribute value",
		"non-zero padding",
		"too many repeated attributes",
		"output buffer too small",
	};

	if (status > 0 || -status >= (int)(sizeof(s) / sizeof(s[0])))
		return "unknown status";
	return s[-status];
}

const char *mp_type_name(int type)
{
	if (type < 0 || type > 255 || !type_defs[type].name)
		return "unknown";
	return type_defs[type].name;
}

const char *mp_error_name(int err)
{
	static const char *const s[__MP_ERR_LAST] = {
		[MP_ERR_PROTO] = "protocol error",
		[MP_ERR_VERSION] = "unsupported version",
		[MP_ERR_UNKNOWN] = "unknown contract, offer or voucher",
		[MP_ERR_STATE] = "not allowed in the contract's state",
		[MP_ERR_RECEIPT] = "receipt rejected",
		[MP_ERR_PASSWORD] = "password rejected",
		[MP_ERR_PAYMENT] = "payment declined",
		[MP_ERR_LIMITS] = "invalid limits",
		[MP_ERR_EXPIRED] = "contract expired",
		[MP_ERR_ELSEWHERE] = "contract bound to another address",
		[MP_ERR_INTERNAL] = "internal error",
		[MP_ERR_PERM] = "not permitted on this channel",
		[MP_ERR_OFFER] = "offer unknown, stale or option not offered",
		[MP_ERR_PROOF] = "proof of the receipt's holder key needed",
		[MP_ERR_CERT] = "certificate refused",
		[MP_ERR_BUSY] = "busy: try again later",
		[MP_ERR_PRIVACY] = "the tunnel is not the privacy bought",
		[MP_ERR_ROAM_REJECT] = "refused by the home ISP",
		[MP_ERR_ROAM_UNREACHABLE] = "roaming server unreachable",
	};

	if (err <= 0 || err >= __MP_ERR_LAST || !s[err])
		return "unknown error";
	return s[err];
}

const char *mp_warning_name(int w)
{
	static const char *const s[__MP_WARN_LAST] = {
		[MP_WARN_SOFT_LIMIT] = "soft-limit",
		[MP_WARN_HARD_LIMIT] = "hard-limit",
		[MP_WARN_EXPIRY] = "expiry",
		[MP_WARN_ELSEWHERE] = "presented-elsewhere",
	};

	if (w <= 0 || w >= __MP_WARN_LAST)
		return "unknown";
	return s[w];
}

static const char *const metric_names[__MP_METRIC_LAST] = {
	[MP_METRIC_ELAPSED] = "elapsed",
	[MP_METRIC_USAGE_TIME] = "time",
	[MP_METRIC_BYTES] = "bytes",
	[MP_METRIC_PACKETS] = "packets",
};

static const char *const method_names[__MP_METHOD_LAST] = {
	[MP_METHOD_VOUCHER] = "voucher", /* muispd's payment_voucher.c */
	[MP_METHOD_ROOM] = "room",	 /* payment_desk.c */
	[MP_METHOD_CASH] = "cash",	 /* payment_desk.c */
	[MP_METHOD_ONLINE] = "online",	 /* payment_online.c */
	[MP_METHOD_ROAM] = "roam",	 /* payment_radius.c */
};

const char *mp_metric_name(int metric)
{
	if (metric <= 0 || metric >= __MP_METRIC_LAST)
		return "unknown";
	return metric_names[metric];
}

const char *mp_method_name(int method)
{
	if (method <= 0 || method >= __MP_METHOD_LAST)
		return "unknown";
	return method_names[method];
}

int mp_metric_parse(const char *s)
{
	for (int i = 1; i < __MP_METRIC_LAST; i++)
		if (!strcmp(s, metric_names[i]))
			return i;
	return -1;
}

int mp_method_parse(const char *s)
{
	for (int i = 1; i < __MP_METHOD_LAST; i++)
		if (!strcmp(s, method_names[i]))
			return i;
	return -1;
}

size_t mp_uinfo_context(uint32_t key_id, const char *addr, uint8_t *buf,
			size_t cap)
{
	size_t n = strlen(addr);

	if (n > MP_STR_MAX || 4 + n > cap)
		return 0;
	buf[0] = (uint8_t)(key_id >> 24);
	buf[1] = (uint8_t)(key_id >> 16);
	buf[2] = (uint8_t)(key_id >> 8);
	buf[3] = (uint8_t)key_id;
	memcpy(buf + 4, addr, n);
	return 4 + n;
}

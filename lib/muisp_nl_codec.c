// SPDX-License-Identifier: GPL-2.0
/*
 * Typed objects of the muisp family <-> netlink attributes, and the
 * request wrappers daemons and muispctl call.  Table-driven: each
 * attribute space is an array, indexed by attribute type, of (kind, offset
 * in the struct), generated from the family's spec into muisp_nl_gen.h.
 * See muisp_nl.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/genetlink.h>

#include "muisp_nl.h"

/*
 * How an attribute is read and written: a scalar, an IP address (4 or 16
 * bytes, into a struct muisp_nl_ip), a MAC address, a nest of u64
 * counters indexed by attribute type (an array member plus a presence
 * mask member, e.g. MUISP_STATS_A_DROPS), or one of the two forms of a
 * widened attribute (a contract id: u32 and u64 on the wire, one u64
 * member, whose presence is the u32 attribute's bit).
 */
enum kind {
	K_NONE,
	K_U8,
	K_U16,
	K_U32,
	K_U64,
	K_IP,
	K_MAC,
	K_COUNTERS,
	K_W32,	 /* the u32 form; aux: the u64 form's type */
	K_W64,	 /* the u64 form; aux: the u32 form's type */
	K_BYTES, /* a byte array; aux: its length */
};

struct field {
	uint8_t kind;
	uint8_t max;  /* K_COUNTERS: highest index kept */
	uint16_t off; /* the member in the object's struct */
	uint16_t aux; /* K_COUNTERS: its presence mask; K_W*: the other form */
};

#define FIELD(k, type, member)                  \
	{                                       \
		k, 0, offsetof(type, member), 0 \
	}
#define WIDE(k, type, member, other)                \
	{                                           \
		k, 0, offsetof(type, member), other \
	}
#define BYTES(type, member, len)                        \
	{                                               \
		K_BYTES, 0, offsetof(type, member), len \
	}
#define NELEM(type, member) \
	(sizeof(((type *)0)->member) / sizeof(((type *)0)->member[0]))
#define COUNTERS(type, member, mask)                                         \
	{                                                                    \
		K_COUNTERS, NELEM(type, member) - 1, offsetof(type, member), \
			offsetof(type, mask)                                 \
	}
/* The generated tables check that each member fits its attribute. */
#define SIZE_IS(type, member, n)                           \
	_Static_assert(sizeof(((type *)0)->member) == (n), \
		       #type "." #member ": size does not match the spec")

/*
 * One table per attribute set, generated from include/uapi/muisp.yaml
 * (scripts/nlspec.py): addr_f, contract_f, flow_f, garden_f, block_f,
 * config_f, stats_f, event_f, agent_f, user_f, tag_f, tag_user_f.
 */
#include "muisp_nl_gen.h"

_Static_assert(NELEM(struct muisp_nl_stats, drops) <= 64,
	       "drops_present has one bit per reason");

struct parse_ctx {
	const struct field *f;
	unsigned int max;
	char *obj;
	uint64_t *present;
};

/* A nest of u64 counters: type r goes to v[r], bit r of *present. */
static int parse_counters(const struct nlattr *nest, uint64_t *v,
			  unsigned int max, uint64_t *present)
{
	const struct nlattr *a;

	if (mnl_attr_validate(nest, MNL_TYPE_NESTED) < 0)
		return -1;
	mnl_attr_for_each_nested(a, nest)
	{
		uint16_t r = mnl_attr_get_type(a);

		if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
			return -1;
		if (r > max)
			continue; /* newer kernel */
		v[r] = mnl_attr_get_u64(a);
		*present |= 1ULL << r;
	}
	return 0;
}

static int attr_cb(const struct nlattr *a, void *data)
{
	struct parse_ctx *c = data;
	uint16_t type = mnl_attr_get_type(a);
	const struct field *fd;
	char *p;
	uint16_t len = mnl_attr_get_payload_len(a);

	if (type > c->max)
		return MNL_CB_OK; /* newer kernel: ignore */
	fd = &c->f[type];
	p = c->obj + fd->off;
	switch (fd->kind) {
	case K_NONE:
		return MNL_CB_OK; /* PAD, or not ours */
	case K_U8:
		if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
			return MNL_CB_ERROR;
		*(uint8_t *)p = mnl_attr_get_u8(a);
		break;
	case K_U16:
		if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
			return MNL_CB_ERROR;
		*(uint16_t *)(void *)p = mnl_attr_get_u16(a);
		break;
	case K_U32:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		*(uint32_t *)(void *)p = mnl_attr_get_u32(a);
		break;
	case K_U64:
		if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
			return MNL_CB_ERROR;
		*(uint64_t *)(void *)p = mnl_attr_get_u64(a);
		break;
	case K_W32:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		*(uint64_t *)(void *)p = mnl_attr_get_u32(a);
		break;
	case K_W64:
		/* the value of the u32 form's member: present as that one */
		if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
			return MNL_CB_ERROR;
		*(uint64_t *)(void *)p = mnl_attr_get_u64(a);
		*c->present |= 1ULL << fd->aux;
		return MNL_CB_OK;
	case K_IP: {
		struct muisp_nl_ip *ip = (void *)p;

		if (len != 4 && len != 16)
			return MNL_CB_ERROR;
		memset(ip, 0, sizeof(*ip));
		ip->family = len == 4 ? AF_INET : AF_INET6;
		memcpy(ip->a, mnl_attr_get_payload(a), len);
		break;
	}
	case K_MAC:
		if (len != 6)
			return MNL_CB_ERROR;
		memcpy(p, mnl_attr_get_payload(a), 6);
		break;
	case K_BYTES:
		if (len != fd->aux)
			return MNL_CB_ERROR;
		memcpy(p, mnl_attr_get_payload(a), len);
		break;
	case K_COUNTERS:
		if (parse_counters(a, (uint64_t *)(void *)p, fd->max,
				   (uint64_t *)(void *)(c->obj + fd->aux)) < 0)
			return MNL_CB_ERROR;
		break;
	}
	*c->present |= 1ULL << type;
	return MNL_CB_OK;
}

/* libmnl stops silently at a truncated attribute; we want to know. */
static int attrs_complete(const struct nlmsghdr *nlh)
{
	const struct nlattr *a;
	const char *end = (const char *)nlh + nlh->nlmsg_len;
	const char *last = (const char *)mnl_nlmsg_get_payload_offset(
		nlh, MUISP_NL_HDRLEN);

	mnl_attr_for_each(a, nlh, MUISP_NL_HDRLEN)
		last = (const char *)mnl_attr_next(a);
	return last >= end;
}

static int parse(const struct nlmsghdr *nlh, const struct field *f,
		 unsigned int max, void *obj, size_t size, uint64_t *present)
{
	struct parse_ctx c = { f, max, obj, present };

	memset(obj, 0, size);
	/* libmnl walks the attributes up to the *aligned* end: a length
	 * that is not a multiple of 4 (never the kernel's; a replay file's)
	 * would let the last attribute reach past the message */
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MUISP_NL_HDRLEN ||
	    nlh->nlmsg_len % NLMSG_ALIGNTO ||
	    mnl_attr_parse(nlh, MUISP_NL_HDRLEN, attr_cb, &c) < 0 ||
	    !attrs_complete(nlh)) {
		memset(obj, 0, size);
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

static int put(struct nlmsghdr *nlh, const struct field *f, unsigned int max,
	       const void *obj, uint64_t present)
{
	static const uint8_t size[] = {
		[K_U8] = 1, [K_U16] = 2, [K_U32] = 4, [K_U64] = 8, [K_MAC] = 6,
	};
	const char *base = obj;
	unsigned int t;

	for (t = 1; t <= max; t++) {
		const char *p = base + f[t].off;
		const struct muisp_nl_ip *ip = (const void *)p;

		/* counters are output only: never in a request */
		if (!(present & (1ULL << t)) || f[t].kind == K_NONE ||
		    f[t].kind == K_COUNTERS)
			continue;
		if (f[t].kind == K_W32) {
			/* the u32 form while the value fits: older modules
			 * know only that one */
			uint64_t v;

			memcpy(&v, p, sizeof(v));
			if (v <= UINT32_MAX)
				mnl_attr_put_u32(nlh, t, (uint32_t)v);
			else
				mnl_attr_put_u64(nlh, f[t].aux, v);
			continue;
		}
		if (f[t].kind == K_W64)
			continue; /* the u32 form's bit decides */
		if (f[t].kind == K_BYTES) {
			mnl_attr_put(nlh, t, f[t].aux, p);
			continue;
		}
		if (f[t].kind != K_IP) {
			mnl_attr_put(nlh, t, size[f[t].kind], p);
			continue;
		}
		if (ip->family != AF_INET && ip->family != AF_INET6) {
			errno = EAFNOSUPPORT;
			return -1;
		}
		mnl_attr_put(nlh, t, ip->family == AF_INET ? 4 : 16, ip->a);
	}
	return 0;
}

#define CODEC(name, fields, MAX)                                            \
	int muisp_nl_##name##_parse(const struct nlmsghdr *nlh,             \
				    struct muisp_nl_##name *o)              \
	{                                                                   \
		return parse(nlh, fields, MAX, o, sizeof(*o), &o->present); \
	}                                                                   \
	int muisp_nl_##name##_put(struct nlmsghdr *nlh,                     \
				  const struct muisp_nl_##name *o)          \
	{                                                                   \
		return put(nlh, fields, MAX, o, o->present);                \
	}

CODEC(addr, addr_f, MUISP_ADDR_A_MAX)
CODEC(contract, contract_f, MUISP_CONTRACT_A_MAX)
CODEC(flow, flow_f, MUISP_FLOW_A_MAX)
CODEC(garden, garden_f, MUISP_GARDEN_A_MAX)
CODEC(block, block_f, MUISP_BLOCK_A_MAX)
CODEC(config, config_f, MUISP_CONFIG_A_MAX)
CODEC(agent, agent_f, MUISP_AGENT_A_MAX)
CODEC(user, user_f, MUISP_USER_A_MAX)
CODEC(tag, tag_f, MUISP_TAG_A_MAX)
CODEC(tag_user, tag_user_f, MUISP_TAG_USER_A_MAX)

int muisp_nl_tag_report_parse(const struct nlmsghdr *nlh,
			      struct muisp_nl_tag_report *o)
{
	return parse(nlh, tag_report_f, MUISP_TAG_REPORT_A_MAX, o, sizeof(*o),
		     &o->present);
}

int muisp_nl_stats_parse(const struct nlmsghdr *nlh, struct muisp_nl_stats *o)
{
	return parse(nlh, stats_f, MUISP_STATS_A_MAX, o, sizeof(*o),
		     &o->present);
}

int muisp_nl_event_parse(const struct nlmsghdr *nlh, struct muisp_nl_event *o)
{
	return parse(nlh, event_f, MUISP_EVENT_A_MAX, o, sizeof(*o),
		     &o->present);
}

/* ---- requests ---- */

/* The module pads u64 attributes to 8 bytes (nla_put_u64_64bit) and
 * libmnl needs nothing special to read them.  Our requests are small. */

struct obj_cb {
	int (*parse)(const struct nlmsghdr *, void *);
	int (*call)(const struct obj_cb *c);
	void *obj;
	void *arg;
	uint8_t cmd;
	int got;
	muisp_nl_reset_cb reset; /* the caller's, called with arg */
	union {
		muisp_nl_addr_cb addr;
		muisp_nl_contract_cb contract;
		muisp_nl_flow_cb flow;
		muisp_nl_garden_cb garden;
		muisp_nl_block_cb block;
		muisp_nl_agent_cb agent;
		muisp_nl_user_cb user;
		muisp_nl_tag_user_cb tag_user;
	} fn;
};

static int obj_trampoline(const struct nlmsghdr *nlh, void *data)
{
	struct obj_cb *c = data;

	if (muisp_nl_cmd(nlh) != c->cmd)
		return MNL_CB_OK; /* not a reply of ours */
	if (c->parse(nlh, c->obj) < 0)
		return MNL_CB_ERROR;
	c->got++;
	return c->call ? c->call(c) : MNL_CB_OK;
}

/* Dump restarted: forget what the caller got, with the caller's arg. */
static void reset_trampoline(void *data)
{
	struct obj_cb *c = data;

	c->got = 0;
	if (c->reset)
		c->reset(c->arg);
}

#define CALLER(name)                                   \
	static int call_##name(const struct obj_cb *c) \
	{                                              \
		return c->fn.name(c->obj, c->arg);     \
	}
CALLER(addr)
CALLER(contract)
CALLER(flow)
CALLER(garden)
CALLER(block)
CALLER(agent)
CALLER(user)
CALLER(tag_user)

#define PARSER(name)                                                 \
	static int parse_##name(const struct nlmsghdr *nlh, void *o) \
	{                                                            \
		return muisp_nl_##name##_parse(nlh, o);              \
	}
PARSER(addr)
PARSER(contract)
PARSER(flow)
PARSER(garden)
PARSER(block)
PARSER(agent)
PARSER(user)
PARSER(tag)
PARSER(tag_user)
PARSER(config)
PARSER(stats)

/* GET of one object: exactly one reply expected. */
static int get_one(struct muisp_nl *nl, struct nlmsghdr *nlh, struct obj_cb *c)
{
	if (muisp_nl_request(nl, nlh, obj_trampoline, c) < 0)
		return -1;
	if (c->got != 1) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

int muisp_nl_addr_set(struct muisp_nl *nl, const struct muisp_nl_addr *o)
{
	struct nlmsghdr *nlh = muisp_nl_msg(nl, MUISP_CMD_ADDR_SET, 0);

	if (muisp_nl_addr_put(nlh, o) < 0)
		return -1;
	return muisp_nl_request(nl, nlh, NULL, NULL);
}

static int put_ip(struct nlmsghdr *nlh, uint16_t type,
		  const struct muisp_nl_ip *ip)
{
	if (ip->family != AF_INET && ip->family != AF_INET6) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	mnl_attr_put(nlh, type, ip->family == AF_INET ? 4 : 16, ip->a);
	return 0;
}

int muisp_nl_addr_get(struct muisp_nl *nl, const struct muisp_nl_ip *ip,
		      struct muisp_nl_addr *out)
{
	struct nlmsghdr *nlh = muisp_nl_msg(nl, MUISP_CMD_ADDR_GET, 0);
	struct obj_cb c = { parse_addr,		NULL, out,  NULL,
			    MUISP_CMD_ADDR_GET, 0,    NULL, { NULL } };

	if (put_ip(nlh, MUISP_ADDR_A_ADDR, ip) < 0)
		return -1;
	return get_one(nl, nlh, &c);
}

int muisp_nl_addr_del(struct muisp_nl *nl, const struct muisp_nl_ip *ip)
{
	struct nlmsghdr *nlh = muisp_nl_msg(nl, MUISP_CMD_ADDR_DEL, 0);

	if (put_ip(nlh, MUISP_ADDR_A_ADDR, ip) < 0)
		return -1;
	return muisp_nl_request(nl, nlh, NULL, NULL);
}

int muisp_nl_addr_dump(struct muisp_nl *nl, muisp_nl_addr_cb cb,
		       muisp_nl_reset_cb reset, void *arg)
{
	struct muisp_nl_addr o;
	struct obj_cb c = {
		parse_addr,	    call_addr, &o,    arg,
		MUISP_CMD_ADDR_GET, 0,	       reset, { .addr = cb }
	};

	return muisp_nl_dump(nl, muisp_nl_msg(nl, MUISP_CMD_ADDR_GET, 0),
			     obj_trampoline, reset_trampoline, &c);
}

int muisp_nl_contract_set(struct muisp_nl *nl,
			  const struct muisp_nl_contract *o)
{
	struct nlmsghdr *nlh = muisp_nl_msg(nl, MUISP_CMD_CONTRACT_SET, 0);

	if (muisp_nl_contract_put(nlh, o) < 0)
		return -1;
	return muisp_nl_request(nl, nlh, NULL, NULL);
}

/* A request naming a contract by id, in the form the codec puts. */
static int put_contract_id(struct nlmsghdr *nlh, uint64_t id)
{
	struct muisp_nl_contract o = { 0 };

	o.id = id;
	MUISP_NL_SET(&o, MUISP_CONTRACT_A_ID);
	return muisp_nl_contract_put(nlh, &o);
}

int muisp_nl_contract_get(struct muisp_nl *nl, uint64_t id,
			  struct muisp_nl_contract *out)
{
	struct nlmsghdr *nlh = muisp_nl_msg(nl, MUISP_CMD_CONTRACT_GET, 0);
	struct obj_cb c = { parse_contract,	    NULL, out,	NULL,
			    MUISP_CMD_CONTRACT_GET, 0,	  NULL, { NULL } };

	if (put_contract_id(nlh, id) < 0)
		return -1;
	return get_one(nl, nlh, &c);
}

int muisp_nl_contract_del(struct muisp_nl *nl, uint64_t id)
{
	struct nlmsghdr *nlh = muisp_nl_msg(nl, MUISP_CMD_CONTRACT_DEL, 0);

	if (put_contract_id(nlh, id) < 0)
		return -1;
	return muisp_nl_request(nl, nlh, NULL, NULL);
}

int muisp_nl_contract_dump(struct muisp_nl *nl, muisp_nl_contract_cb cb,
			   muisp_nl_reset_cb reset, void *arg)
{
	struct muisp_nl_contract o;
	struct obj_cb c = { parse_contract,
			    call_contract,
			    &o,
			    arg,
			    MUISP_CMD_CONTRACT_GET,
			    0,
			    reset,
			    { .contract = cb } };

	return muisp_nl_dump(nl, muisp_nl_msg(nl, MUISP_CMD_CONTRACT_GET, 0),
			     obj_trampoline, reset_trampoline, &c);
}

int muisp_nl_flow_dump(struct muisp_nl *nl, const struct muisp_nl_flow *filter,
		       muisp_nl_flow_cb cb, muisp_nl_reset_cb reset, void *arg)
{
	struct nlmsghdr *nlh = muisp_nl_msg(nl, MUISP_CMD_FLOW_GET, 0);
	struct muisp_nl_flow o;
	struct obj_cb c = {
		parse_flow,	    call_flow, &o,    arg,
		MUISP_CMD_FLOW_GET, 0,	       reset, { .flow = cb }
	};

	if (filter) {
		struct muisp_nl_flow f = *filter;

		f.present &= (1ULL << MUISP_FLOW_A_CLIENT_ADDR) |
			     (1ULL << MUISP_FLOW_A_CONTRACT_ID) |
			     (1ULL << MUISP_FLOW_A_CONTRACT_ID64);
		if (muisp_nl_flow_put(nlh, &f) < 0)
			return -1;
	}
	return muisp_nl_dump(nl, nlh, obj_trampoline, reset_trampoline, &c);
}

int muisp_nl_flow_flush(struct muisp_nl *nl, uint64_t contract_id)
{
	struct nlmsghdr *nlh = muisp_nl_msg(nl, MUISP_CMD_FLOW_DEL, 0);
	struct muisp_nl_flow o = { 0 };

	o.contract_id = contract_id;
	MUISP_NL_SET(&o, MUISP_FLOW_A_CONTRACT_ID);
	if (muisp_nl_flow_put(nlh, &o) < 0)
		return -1;
	return muisp_nl_request(nl, nlh, NULL, NULL);
}

/* ADD replies with a message of the same command carrying the id. */
static int add_with_id(struct muisp_nl *nl, struct nlmsghdr *nlh, uint8_t cmd,
		       int (*p)(const struct nlmsghdr *, void *), void *obj,
		       const uint32_t *idp, uint64_t *present,
		       unsigned int id_attr, uint32_t *id)
{
	struct obj_cb c = { p, NULL, obj, NULL, cmd, 0, NULL, { NULL } };

	if (muisp_nl_request(nl, nlh, obj_trampoline, &c) < 0)
		return -1;
	if (id) {
		if (c.got != 1 || !(*present & (1ULL << id_attr))) {
			errno = EPROTO;
			return -1;
		}
		*id = *idp;
	}
	return 0;
}

int muisp_nl_garden_add(struct muisp_nl *nl, const struct muisp_nl_garden *o,
			uint32_t *id)
{
	struct nlmsghdr *nlh = muisp_nl_msg(nl, MUISP_CMD_GARDEN_ADD, 0);
	struct muisp_nl_garden r;

	if (muisp_nl_garden_put(nlh, o) < 0)
		return -1;
	return add_with_id(nl, nlh, MUISP_CMD_GARDEN_ADD, parse_garden, &r,
			   &r.id, &r.present, MUISP_GARDEN_A_ID, id);
}

int muisp_nl_garden_del(struct muisp_nl *nl, uint32_t id)
{
	struct nlmsghdr *nlh = muisp_nl_msg(nl, MUISP_CMD_GARDEN_DEL, 0);

	mnl_attr_put_u32(nlh, MUISP_GARDEN_A_ID, id);
	return muisp_nl_request(nl, nlh, NULL, NULL);
}

int muisp_nl_garden_dump(struct muisp_nl *nl, muisp_nl_garden_cb cb,
			 muisp_nl_reset_cb reset, void *arg)
{
	struct muisp_nl_garden o;
	struct obj_cb c = { parse_garden, call_garden,		&o,
			    arg,	  MUISP_CMD_GARDEN_GET, 0,
			    reset,	  { .garden = cb } };

	return muisp_nl_dump(nl, muisp_nl_msg(nl, MUISP_CMD_GARDEN_GET, 0),
			     obj_trampoline, reset_trampoline, &c);
}

int muisp_nl_agent_set(struct muisp_nl *nl, const struct muisp_nl_agent *o,
		       uint32_t *id)
{
	struct nlmsghdr *nlh = muisp_nl_msg(nl, MUISP_CMD_AGENT_SET, 0);
	struct muisp_nl_agent r;

	if (muisp_nl_agent_put(nlh, o) < 0)
		return -1;
	return add_with_id(nl, nlh, MUISP_CMD_AGENT_SET, parse_agent, &r, &r.id,
			   &r.present, MUISP_AGENT_A_ID, id);
}

int muisp_nl_agent_flow_set(struct muisp_nl *nl, const struct muisp_nl_agent *o)
{
	struct nlmsghdr *nlh = muisp_nl_msg(nl, MUISP_CMD_AGENT_FLOW_SET, 0);

	if (muisp_nl_agent_put(nlh, o) < 0)
		return -1;
	return muisp_nl_request(nl, nlh, NULL, NULL);
}

int muisp_nl_conn_verdict(struct muisp_nl *nl, const struct muisp_nl_flow *o)
{
	struct nlmsghdr *nlh = muisp_nl_msg(nl, MUISP_CMD_CONN_VERDICT, 0);

	if (muisp_nl_flow_put(nlh, o) < 0)
		return -1;
	return muisp_nl_request(nl, nlh, NULL, NULL);
}

int muisp_nl_conn_verdict_post(struct muisp_nl *nl,
			       const struct muisp_nl_flow *o)
{
	struct nlmsghdr *nlh = muisp_nl_msg(nl, MUISP_CMD_CONN_VERDICT, 0);

	if (muisp_nl_flow_put(nlh, o) < 0)
		return -1;
	return muisp_nl_post(nl, nlh);
}

int muisp_nl_agent_del(struct muisp_nl *nl, const struct muisp_nl_ip *addr)
{
	struct nlmsghdr *nlh = muisp_nl_msg(nl, MUISP_CMD_AGENT_DEL, 0);

	if (put_ip(nlh, MUISP_AGENT_A_ADDR, addr) < 0)
		return -1;
	return muisp_nl_request(nl, nlh, NULL, NULL);
}

int muisp_nl_agent_dump(struct muisp_nl *nl, muisp_nl_agent_cb cb,
			muisp_nl_reset_cb reset, void *arg)
{
	struct muisp_nl_agent o;
	struct obj_cb c = { parse_agent, call_agent,	      &o,
			    arg,	 MUISP_CMD_AGENT_GET, 0,
			    reset,	 { .agent = cb } };

	return muisp_nl_dump(nl, muisp_nl_msg(nl, MUISP_CMD_AGENT_GET, 0),
			     obj_trampoline, reset_trampoline, &c);
}

int muisp_nl_user_set(struct muisp_nl *nl, const struct muisp_nl_user *o,
		      uint32_t *id)
{
	struct nlmsghdr *nlh = muisp_nl_msg(nl, MUISP_CMD_USER_SET, 0);
	struct muisp_nl_user r;

	if (muisp_nl_user_put(nlh, o) < 0)
		return -1;
	return add_with_id(nl, nlh, MUISP_CMD_USER_SET, parse_user, &r, &r.id,
			   &r.present, MUISP_USER_A_ID, id);
}

int muisp_nl_user_del(struct muisp_nl *nl, const struct muisp_nl_ip *addr,
		      uint32_t user)
{
	struct nlmsghdr *nlh = muisp_nl_msg(nl, MUISP_CMD_USER_DEL, 0);

	if (put_ip(nlh, MUISP_USER_A_ADDR, addr) < 0)
		return -1;
	mnl_attr_put_u32(nlh, MUISP_USER_A_USER, user);
	return muisp_nl_request(nl, nlh, NULL, NULL);
}

int muisp_nl_user_usage_move(struct muisp_nl *nl, const struct muisp_nl_user *o,
			     struct muisp_nl_user *moved)
{
	struct nlmsghdr *nlh = muisp_nl_msg(nl, MUISP_CMD_USER_USAGE_MOVE, 0);
	struct muisp_nl_user r;
	struct obj_cb c = {
		parse_user, NULL, &r,	   NULL, MUISP_CMD_USER_USAGE_MOVE,
		0,	    NULL, { NULL }
	};

	memset(&r, 0, sizeof(r));
	if (muisp_nl_user_put(nlh, o) < 0 ||
	    muisp_nl_request(nl, nlh, obj_trampoline, &c) < 0)
		return -1;
	if (c.got != 1) {
		errno = EPROTO;
		return -1;
	}
	if (moved)
		*moved = r;
	return 0;
}

int muisp_nl_user_dump(struct muisp_nl *nl, muisp_nl_user_cb cb,
		       muisp_nl_reset_cb reset, void *arg)
{
	struct muisp_nl_user o;
	struct obj_cb c = {
		parse_user,	    call_user, &o,    arg,
		MUISP_CMD_USER_GET, 0,	       reset, { .user = cb }
	};

	return muisp_nl_dump(nl, muisp_nl_msg(nl, MUISP_CMD_USER_GET, 0),
			     obj_trampoline, reset_trampoline, &c);
}

int muisp_nl_block_add(struct muisp_nl *nl, const struct muisp_nl_block *o,
		       uint32_t *id)
{
	struct nlmsghdr *nlh = muisp_nl_msg(nl, MUISP_CMD_BLOCK_ADD, 0);
	struct muisp_nl_block r;

	if (muisp_nl_block_put(nlh, o) < 0)
		return -1;
	return add_with_id(nl, nlh, MUISP_CMD_BLOCK_ADD, parse_block, &r, &r.id,
			   &r.present, MUISP_BLOCK_A_ID, id);
}

int muisp_nl_block_del(struct muisp_nl *nl, uint32_t id)
{
	struct nlmsghdr *nlh = muisp_nl_msg(nl, MUISP_CMD_BLOCK_DEL, 0);

	mnl_attr_put_u32(nlh, MUISP_BLOCK_A_ID, id);
	return muisp_nl_request(nl, nlh, NULL, NULL);
}

int muisp_nl_block_dump(struct muisp_nl *nl, muisp_nl_block_cb cb,
			muisp_nl_reset_cb reset, void *arg)
{
	struct muisp_nl_block o;
	struct obj_cb c = { parse_block, call_block,	      &o,
			    arg,	 MUISP_CMD_BLOCK_GET, 0,
			    reset,	 { .block = cb } };

	return muisp_nl_dump(nl, muisp_nl_msg(nl, MUISP_CMD_BLOCK_GET, 0),
			     obj_trampoline, reset_trampoline, &c);
}

int muisp_nl_tag_set(struct muisp_nl *nl, const struct muisp_nl_tag *o)
{
	struct nlmsghdr *nlh = muisp_nl_msg(nl, MUISP_CMD_TAG_SET, 0);

	if (muisp_nl_tag_put(nlh, o) < 0)
		return -1;
	return muisp_nl_request(nl, nlh, NULL, NULL);
}

int muisp_nl_tag_del(struct muisp_nl *nl)
{
	return muisp_nl_request(nl, muisp_nl_msg(nl, MUISP_CMD_TAG_DEL, 0),
				NULL, NULL);
}

int muisp_nl_tag_get(struct muisp_nl *nl, struct muisp_nl_tag *out)
{
	struct obj_cb c = { parse_tag,	       NULL, out,  NULL,
			    MUISP_CMD_TAG_GET, 0,    NULL, { NULL } };

	return get_one(nl, muisp_nl_msg(nl, MUISP_CMD_TAG_GET, 0), &c);
}

int muisp_nl_tag_user_set(struct muisp_nl *nl,
			  const struct muisp_nl_tag_user *o)
{
	struct nlmsghdr *nlh = muisp_nl_msg(nl, MUISP_CMD_TAG_USER_SET, 0);

	if (muisp_nl_tag_user_put(nlh, o) < 0)
		return -1;
	return muisp_nl_request(nl, nlh, NULL, NULL);
}

int muisp_nl_tag_user_del(struct muisp_nl *nl, uint32_t uid)
{
	struct nlmsghdr *nlh = muisp_nl_msg(nl, MUISP_CMD_TAG_USER_DEL, 0);

	mnl_attr_put_u32(nlh, MUISP_TAG_USER_A_UID, uid);
	return muisp_nl_request(nl, nlh, NULL, NULL);
}

int muisp_nl_tag_user_dump(struct muisp_nl *nl, muisp_nl_tag_user_cb cb,
			   muisp_nl_reset_cb reset, void *arg)
{
	struct muisp_nl_tag_user o;
	struct obj_cb c = { parse_tag_user,
			    call_tag_user,
			    &o,
			    arg,
			    MUISP_CMD_TAG_USER_GET,
			    0,
			    reset,
			    { .tag_user = cb } };

	return muisp_nl_dump(nl, muisp_nl_msg(nl, MUISP_CMD_TAG_USER_GET, 0),
			     obj_trampoline, reset_trampoline, &c);
}

int muisp_nl_config_get(struct muisp_nl *nl, struct muisp_nl_config *out)
{
	struct obj_cb c = { parse_config,	  NULL, out,  NULL,
			    MUISP_CMD_CONFIG_GET, 0,	NULL, { NULL } };

	return get_one(nl, muisp_nl_msg(nl, MUISP_CMD_CONFIG_GET, 0), &c);
}

int muisp_nl_config_set(struct muisp_nl *nl, const struct muisp_nl_config *o)
{
	struct nlmsghdr *nlh = muisp_nl_msg(nl, MUISP_CMD_CONFIG_SET, 0);

	if (muisp_nl_config_put(nlh, o) < 0)
		return -1;
	return muisp_nl_request(nl, nlh, NULL, NULL);
}

int muisp_nl_stats_get(struct muisp_nl *nl, struct muisp_nl_stats *out)
{
	struct obj_cb c = { parse_stats,	 NULL, out,  NULL,
			    MUISP_CMD_STATS_GET, 0,    NULL, { NULL } };

	return get_one(nl, muisp_nl_msg(nl, MUISP_CMD_STATS_GET, 0), &c);
}

struct ev_ctx {
	muisp_nl_event_cb ev;
	muisp_nl_flow_cb rec, conn;
	void *arg;
};

static int event_trampoline(const struct nlmsghdr *nlh, void *data)
{
	struct ev_ctx *c = data;

	switch (muisp_nl_cmd(nlh)) {
	case MUISP_CMD_EVENT: {
		struct muisp_nl_event e;

		if (!c->ev)
			return MNL_CB_OK;
		if (muisp_nl_event_parse(nlh, &e) < 0)
			return MNL_CB_ERROR;
		return c->ev(&e, c->arg);
	}
	case MUISP_CMD_FLOW_RECORD:
	case MUISP_CMD_CONN_REQUEST: {
		muisp_nl_flow_cb cb =
			muisp_nl_cmd(nlh) == MUISP_CMD_FLOW_RECORD ? c->rec :
								     c->conn;
		struct muisp_nl_flow f;

		if (!cb)
			return MNL_CB_OK;
		if (muisp_nl_flow_parse(nlh, &f) < 0)
			return MNL_CB_ERROR;
		return cb(&f, c->arg);
	}
	default:
		return MNL_CB_OK;
	}
}

int muisp_nl_recv_all(struct muisp_nl *nl, muisp_nl_event_cb ev,
		      muisp_nl_flow_cb rec, muisp_nl_flow_cb conn, void *arg)
{
	struct ev_ctx c = { ev, rec, conn, arg };

	return muisp_nl_recv(nl, event_trampoline, &c);
}

int muisp_nl_recv_events(struct muisp_nl *nl, muisp_nl_event_cb ev,
			 muisp_nl_flow_cb rec, void *arg)
{
	return muisp_nl_recv_all(nl, ev, rec, NULL, arg);
}

struct report_ctx {
	muisp_nl_tag_report_cb cb;
	void *arg;
};

static int report_trampoline(const struct nlmsghdr *nlh, void *data)
{
	struct report_ctx *c = data;
	struct muisp_nl_tag_report r;

	if (muisp_nl_cmd(nlh) != MUISP_CMD_TAG_REPORT)
		return MNL_CB_OK;
	if (muisp_nl_tag_report_parse(nlh, &r) < 0)
		return MNL_CB_ERROR;
	return c->cb(&r, c->arg);
}

int muisp_nl_recv_reports(struct muisp_nl *nl, muisp_nl_tag_report_cb cb,
			  void *arg)
{
	struct report_ctx c = { cb, arg };

	return muisp_nl_recv(nl, report_trampoline, &c);
}

int muisp_nl_ip_from_str(struct muisp_nl_ip *ip, const char *s)
{
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, s, ip->a) == 1) {
		ip->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, ip->a) == 1) {
		ip->family = AF_INET6;
		return 0;
	}
	errno = EINVAL;
	return -1;
}

const char *muisp_nl_ip_to_str(const struct muisp_nl_ip *ip, char *buf)
{
	if ((ip->family != AF_INET && ip->family != AF_INET6) ||
	    !inet_ntop(ip->family, ip->a, buf, MUISP_NL_IPSTRLEN))
		strcpy(buf, "?");
	return buf;
}

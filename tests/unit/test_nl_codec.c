// SPDX-License-Identifier: GPL-2.0
/*
 * lib/muisp_nl_codec.c request wrappers over a fake transport: this file
 * stands in for lib/muisp_nl.c (muisp_nl_msg/request/dump/recv), records
 * every request and replays canned replies, including a dump restarted
 * after NLM_F_DUMP_INTR, so what the wrappers send and how they hand the
 * replies (and the restart) to their caller is checked exactly.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include <linux/genetlink.h>

#include "muisp_nl.h"

/* ---- the fake transport ---- */

struct muisp_nl {
	char req[4096] __attribute__((aligned(8)));
	int joined;
};

static struct muisp_nl fake;
static char replies[8][512] __attribute__((aligned(8)));
static int nreplies;
static int restart_after = -1; /* dump: restart after this many */
static int fail_errno;	       /* request/dump: fail with it */
static int nrequests;
static int nposts;

struct nlmsghdr *muisp_nl_msg(struct muisp_nl *nl, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->req);
	struct genlmsghdr *g;

	nlh->nlmsg_type = 0x30;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = MUISP_GENL_VERSION;
	return nlh;
}

uint8_t muisp_nl_cmd(const struct nlmsghdr *nlh)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);

	return g->cmd;
}

static int deliver(int from, int to, muisp_nl_cb cb, void *arg)
{
	int i;

	for (i = from; i < to; i++) {
		errno = 0;
		if (cb((struct nlmsghdr *)replies[i], arg) != MNL_CB_OK) {
			if (!errno)
				errno = EPROTO;
			return -1;
		}
	}
	return 0;
}

int muisp_nl_request(struct muisp_nl *nl, struct nlmsghdr *nlh, muisp_nl_cb cb,
		     void *arg)
{
	assert_ptr_equal(nlh, (void *)nl->req);
	nrequests++;
	if (fail_errno) {
		errno = fail_errno;
		return -1;
	}
	return cb ? deliver(0, nreplies, cb, arg) : 0;
}

int muisp_nl_post(struct muisp_nl *nl, struct nlmsghdr *nlh)
{
	assert_ptr_equal(nlh, (void *)nl->req);
	nposts++;
	return 0;
}

int muisp_nl_dump(struct muisp_nl *nl, struct nlmsghdr *nlh, muisp_nl_cb cb,
		  muisp_nl_reset_cb reset, void *arg)
{
	assert_ptr_equal(nlh, (void *)nl->req);
	nrequests++;
	if (fail_errno) {
		errno = fail_errno;
		return -1;
	}
	if (restart_after >= 0) {
		/* Part of the dump, then the kernel says it changed. */
		if (deliver(0, restart_after, cb, arg) < 0)
			return -1;
		if (reset)
			reset(arg);
	}
	return deliver(0, nreplies, cb, arg);
}

int muisp_nl_recv(struct muisp_nl *nl, muisp_nl_cb cb, void *arg)
{
	return deliver(0, nreplies, cb, arg);
}

static struct nlmsghdr *reply(uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(replies[nreplies++]);
	struct genlmsghdr *g;

	nlh->nlmsg_type = 0x30;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	return nlh;
}

static int setup(void **state)
{
	memset(&fake, 0, sizeof(fake));
	nreplies = 0;
	restart_after = -1;
	fail_errno = 0;
	nrequests = 0;
	nposts = 0;
	return 0;
}

static struct nlmsghdr *sent(void)
{
	return (struct nlmsghdr *)fake.req;
}

/* ---- tests ---- */

struct got {
	uint32_t ids[24];
	int n;
	int resets;
};

static int addr_cb(const struct muisp_nl_addr *a, void *arg)
{
	struct got *g = arg;

	assert_true(MUISP_NL_HAS(a, MUISP_ADDR_A_ID));
	g->ids[g->n++] = a->id;
	return MNL_CB_OK;
}

static void got_reset(void *arg)
{
	struct got *g = arg;

	g->n = 0;
	g->resets++;
}

static void add_addr_reply(uint32_t id)
{
	struct nlmsghdr *nlh = reply(MUISP_CMD_ADDR_GET);

	mnl_attr_put_u32(nlh, MUISP_ADDR_A_ID, id);
	mnl_attr_put(nlh, MUISP_ADDR_A_ADDR, 4, "\xc0\x00\x02\x0a");
	mnl_attr_put_u8(nlh, MUISP_ADDR_A_STATE, MUISP_ADDR_STATE_ALLOCATED);
}

static void test_dump_restart_reaches_caller(void **state)
{
	struct got g = { 0 };

	add_addr_reply(1);
	add_addr_reply(2);
	add_addr_reply(3);
	restart_after = 2;
	assert_int_equal(muisp_nl_addr_dump(&fake, addr_cb, got_reset, &g), 0);
	/* The caller's reset ran with the caller's arg, once; what it holds
	 * afterwards is exactly the complete second pass. */
	assert_int_equal(g.resets, 1);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.ids[0], 1);
	assert_int_equal(g.ids[2], 3);
	/* The request: a GET with no attributes. */
	assert_int_equal(muisp_nl_cmd(sent()), MUISP_CMD_ADDR_GET);
	assert_int_equal(sent()->nlmsg_len, MNL_NLMSG_HDRLEN + 4);
}

static void test_dump_ignores_other_cmds_and_bad_replies(void **state)
{
	struct got g = { 0 };
	struct nlmsghdr *nlh;

	add_addr_reply(5);
	reply(MUISP_CMD_CONTRACT_GET); /* not ours: skipped */
	assert_int_equal(muisp_nl_addr_dump(&fake, addr_cb, NULL, &g), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.ids[0], 5);

	/* A malformed entry fails the dump with EBADMSG. */
	nlh = reply(MUISP_CMD_ADDR_GET);
	mnl_attr_put_u16(nlh, MUISP_ADDR_A_ID, 1);
	g.n = 0;
	errno = 0;
	assert_int_equal(muisp_nl_addr_dump(&fake, addr_cb, NULL, &g), -1);
	assert_int_equal(errno, EBADMSG);
}

static void test_get_one(void **state)
{
	struct muisp_nl_contract k;
	struct nlmsghdr *nlh;
	struct nlattr *a;

	/* No reply at all: EPROTO. */
	errno = 0;
	assert_int_equal(muisp_nl_contract_get(&fake, 7, &k), -1);
	assert_int_equal(errno, EPROTO);
	/* The request carries exactly the id. */
	a = (struct nlattr *)((char *)sent() + MNL_NLMSG_HDRLEN + 4);
	assert_int_equal(mnl_attr_get_type(a), MUISP_CONTRACT_A_ID);
	assert_int_equal(mnl_attr_get_u32(a), 7);
	assert_int_equal(sent()->nlmsg_len, MNL_NLMSG_HDRLEN + 4 + 8);

	nlh = reply(MUISP_CMD_CONTRACT_GET);
	mnl_attr_put_u32(nlh, MUISP_CONTRACT_A_ID, 7);
	mnl_attr_put_u64(nlh, MUISP_CONTRACT_A_USED, 1234);
	assert_int_equal(muisp_nl_contract_get(&fake, 7, &k), 0);
	assert_int_equal(k.id, 7);
	assert_int_equal(k.used, 1234);

	/* Kernel errors pass through. */
	fail_errno = ENOENT;
	errno = 0;
	assert_int_equal(muisp_nl_contract_get(&fake, 8, &k), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_add_returns_id(void **state)
{
	struct muisp_nl_garden g, sentg;
	uint32_t id = 0;
	struct nlmsghdr *nlh;

	memset(&g, 0, sizeof(g));
	assert_int_equal(muisp_nl_ip_from_str(&g.prefix, "198.51.100.0"), 0);
	g.prefix_len = 24;
	g.proto = 6;
	g.port_min = 80;
	g.port_max = 443;
	MUISP_NL_SET(&g, MUISP_GARDEN_A_PREFIX);
	MUISP_NL_SET(&g, MUISP_GARDEN_A_PREFIX_LEN);
	MUISP_NL_SET(&g, MUISP_GARDEN_A_PROTO);
	MUISP_NL_SET(&g, MUISP_GARDEN_A_PORT_MIN);
	MUISP_NL_SET(&g, MUISP_GARDEN_A_PORT_MAX);

	/* No id in the reply: EPROTO. */
	errno = 0;
	assert_int_equal(muisp_nl_garden_add(&fake, &g, &id), -1);
	assert_int_equal(errno, EPROTO);
	/* Without asking for the id, an ack is enough. */
	assert_int_equal(muisp_nl_garden_add(&fake, &g, NULL), 0);

	nlh = reply(MUISP_CMD_GARDEN_ADD);
	mnl_attr_put_u32(nlh, MUISP_GARDEN_A_ID, 42);
	assert_int_equal(muisp_nl_garden_add(&fake, &g, &id), 0);
	assert_int_equal(id, 42);
	/* What was sent is what was asked, and nothing else. */
	assert_int_equal(muisp_nl_cmd(sent()), MUISP_CMD_GARDEN_ADD);
	assert_int_equal(muisp_nl_garden_parse(sent(), &sentg), 0);
	assert_memory_equal(&g, &sentg, sizeof(g));
}

/* An agent's key goes out whole and exactly as long as the uAPI says. */
static void test_agent_key(void **state)
{
	struct muisp_nl_agent a, senta;
	uint32_t id = 0;
	struct nlmsghdr *nlh;
	unsigned int i;

	memset(&a, 0, sizeof(a));
	assert_int_equal(muisp_nl_ip_from_str(&a.addr, "2001:db8::9"), 0);
	for (i = 0; i < sizeof(a.key); i++)
		a.key[i] = (uint8_t)(0xa0 + i);
	a.key_id = 3;
	MUISP_NL_SET(&a, MUISP_AGENT_A_ADDR);
	MUISP_NL_SET(&a, MUISP_AGENT_A_KEY);
	MUISP_NL_SET(&a, MUISP_AGENT_A_KEY_ID);
	nlh = reply(MUISP_CMD_AGENT_SET);
	mnl_attr_put_u32(nlh, MUISP_AGENT_A_ID, 5);
	assert_int_equal(muisp_nl_agent_set(&fake, &a, &id), 0);
	assert_int_equal(id, 5);
	assert_int_equal(muisp_nl_cmd(sent()), MUISP_CMD_AGENT_SET);
	assert_int_equal(muisp_nl_agent_parse(sent(), &senta), 0);
	assert_memory_equal(&a, &senta, sizeof(a));

	/* a key attribute of another length does not parse */
	nlh = reply(MUISP_CMD_AGENT_GET);
	mnl_attr_put(nlh, MUISP_AGENT_A_KEY, MUISP_AGENT_KEY_LEN - 1, a.key);
	errno = 0;
	assert_int_equal(muisp_nl_agent_parse(nlh, &senta), -1);
	assert_int_equal(errno, EBADMSG);

	/* the copies taken in and the flows moved, as dumped */
	nlh = reply(MUISP_CMD_AGENT_GET);
	mnl_attr_put_u64(nlh, MUISP_AGENT_A_REDIRECTS, 8);
	mnl_attr_put_u64(nlh, MUISP_AGENT_A_ROLLBACKS, 3);
	mnl_attr_put_u64(nlh, MUISP_AGENT_A_QUERIES, 4);
	mnl_attr_put_u64(nlh, MUISP_AGENT_A_ACKS, 6);
	assert_int_equal(muisp_nl_agent_parse(nlh, &senta), 0);
	assert_int_equal(senta.redirects, 8);
	assert_int_equal(senta.rollbacks, 3);
	assert_int_equal(senta.queries, 4);
	assert_int_equal(senta.acks, 6);
}

static int agent_cb(const struct muisp_nl_agent *a, void *arg)
{
	struct got *g = arg;

	/* ids: the agent's id, its hold queue (or 70000 when the kernel
	 * reports none), held, answered */
	g->ids[g->n++] = a->id;
	g->ids[g->n++] = MUISP_NL_HAS(a, MUISP_AGENT_A_HOLD_QUEUE) ?
				 a->hold_queue :
				 70000;
	g->ids[g->n++] = (uint32_t)a->held;
	g->ids[g->n++] = (uint32_t)a->answered;
	return MNL_CB_OK;
}

/* Out of band: agent set sends the hold queue (a u16) only when asked;
 * the dump hands HOLD_QUEUE on only when the kernel reports it, and the
 * flows held and answered; agent-flow-set sends the flow and its user. */
static void test_agent_hold(void **state)
{
	struct muisp_nl_agent a, senta;
	struct got g = { 0 };
	struct nlmsghdr *nlh;
	uint32_t id = 0;
	size_t plain;

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_int_equal(muisp_nl_ip_from_str(&a.addr, "192.0.2.9"), 0);
	a.key_id = 2;
	MUISP_NL_SET(&a, MUISP_AGENT_A_ADDR);
	MUISP_NL_SET(&a, MUISP_AGENT_A_KEY_ID);
	nlh = reply(MUISP_CMD_AGENT_SET);
	mnl_attr_put_u32(nlh, MUISP_AGENT_A_ID, 5);
	assert_int_equal(muisp_nl_agent_set(&fake, &a, &id), 0);
	assert_int_equal(muisp_nl_agent_parse(sent(), &senta), 0);
	assert_false(MUISP_NL_HAS(&senta, MUISP_AGENT_A_HOLD_QUEUE));
	plain = sent()->nlmsg_len;
	a.hold_queue = 65535;
	MUISP_NL_SET(&a, MUISP_AGENT_A_HOLD_QUEUE);
	assert_int_equal(muisp_nl_agent_set(&fake, &a, &id), 0);
	assert_int_equal(id, 5);
	assert_int_equal(muisp_nl_cmd(sent()), MUISP_CMD_AGENT_SET);
	/* one attribute more: a u16 in 8 bytes */
	assert_int_equal(sent()->nlmsg_len, plain + 8);
	assert_int_equal(muisp_nl_agent_parse(sent(), &senta), 0);
	assert_true(MUISP_NL_HAS(&senta, MUISP_AGENT_A_HOLD_QUEUE));
	assert_int_equal(senta.hold_queue, 65535);
	assert_memory_equal(&a, &senta, sizeof(a));
	/* 0 is a queue too */
	a.hold_queue = 0;
	assert_int_equal(muisp_nl_agent_set(&fake, &a, &id), 0);
	assert_int_equal(muisp_nl_agent_parse(sent(), &senta), 0);
	assert_true(MUISP_NL_HAS(&senta, MUISP_AGENT_A_HOLD_QUEUE));
	assert_int_equal(senta.hold_queue, 0);

	/* the dump: an in-band agent (no HOLD_QUEUE), an out-of-band one */
	nreplies = 0;
	nlh = reply(MUISP_CMD_AGENT_GET);
	mnl_attr_put_u32(nlh, MUISP_AGENT_A_ID, 1);
	mnl_attr_put(nlh, MUISP_AGENT_A_ADDR, 4, "\xc0\x00\x02\x09");
	nlh = reply(MUISP_CMD_AGENT_GET);
	mnl_attr_put_u32(nlh, MUISP_AGENT_A_ID, 2);
	mnl_attr_put(nlh, MUISP_AGENT_A_ADDR, 4, "\xc0\x00\x02\x0a");
	mnl_attr_put_u16(nlh, MUISP_AGENT_A_HOLD_QUEUE, 7);
	mnl_attr_put_u64(nlh, MUISP_AGENT_A_HELD, 12);
	mnl_attr_put_u64(nlh, MUISP_AGENT_A_ANSWERED, 11);
	assert_int_equal(muisp_nl_agent_dump(&fake, agent_cb, NULL, &g), 0);
	assert_int_equal(muisp_nl_cmd(sent()), MUISP_CMD_AGENT_GET);
	assert_int_equal(g.n, 8);
	assert_int_equal(g.ids[0], 1);
	assert_int_equal(g.ids[1], 70000);
	assert_int_equal(g.ids[2], 0);
	assert_int_equal(g.ids[3], 0);
	assert_int_equal(g.ids[4], 2);
	assert_int_equal(g.ids[5], 7);
	assert_int_equal(g.ids[6], 12);
	assert_int_equal(g.ids[7], 11);
	/* a hold queue of another width does not parse */
	nlh = reply(MUISP_CMD_AGENT_GET);
	mnl_attr_put_u32(nlh, MUISP_AGENT_A_HOLD_QUEUE, 7);
	errno = 0;
	assert_int_equal(muisp_nl_agent_parse(nlh, &senta), -1);
	assert_int_equal(errno, EBADMSG);

	/* the answer: this flow of the host's is user 7001's */
	memset(&a, 0, sizeof(a));
	assert_int_equal(muisp_nl_ip_from_str(&a.addr, "2001:db8::9"), 0);
	assert_int_equal(muisp_nl_ip_from_str(&a.peer, "2001:db8:1::53"), 0);
	a.proto = 17;
	a.port = 40000;
	a.peer_port = 53;
	a.user = 7001;
	MUISP_NL_SET(&a, MUISP_AGENT_A_ADDR);
	MUISP_NL_SET(&a, MUISP_AGENT_A_PROTO);
	MUISP_NL_SET(&a, MUISP_AGENT_A_PORT);
	MUISP_NL_SET(&a, MUISP_AGENT_A_PEER);
	MUISP_NL_SET(&a, MUISP_AGENT_A_PEER_PORT);
	MUISP_NL_SET(&a, MUISP_AGENT_A_USER);
	nreplies = 0;
	nrequests = 0;
	assert_int_equal(muisp_nl_agent_flow_set(&fake, &a), 0);
	assert_int_equal(nrequests, 1);
	assert_int_equal(muisp_nl_cmd(sent()), MUISP_CMD_AGENT_FLOW_SET);
	assert_int_equal(muisp_nl_agent_parse(sent(), &senta), 0);
	assert_memory_equal(&a, &senta, sizeof(a));
	assert_int_equal(senta.port, 40000);
	assert_int_equal(senta.peer_port, 53);
	/* 0: the host's own */
	a.user = 0;
	assert_int_equal(muisp_nl_agent_flow_set(&fake, &a), 0);
	assert_int_equal(muisp_nl_agent_parse(sent(), &senta), 0);
	assert_true(MUISP_NL_HAS(&senta, MUISP_AGENT_A_USER));
	assert_int_equal(senta.user, 0);
	fail_errno = ENOENT;
	errno = 0;
	assert_int_equal(muisp_nl_agent_flow_set(&fake, &a), -1);
	assert_int_equal(errno, ENOENT);
}

static int flow_cb(const struct muisp_nl_flow *f, void *arg)
{
	(*(int *)arg)++;
	return MNL_CB_OK;
}

static void test_flow_filter(void **state)
{
	struct muisp_nl_flow f, sentf;
	int n = 0;

	memset(&f, 0, sizeof(f));
	assert_int_equal(muisp_nl_ip_from_str(&f.client_addr, "2001:db8:1::10"),
			 0);
	f.contract_id = 7;
	f.up_bytes = 99; /* not a filter: must not be sent */
	MUISP_NL_SET(&f, MUISP_FLOW_A_CLIENT_ADDR);
	MUISP_NL_SET(&f, MUISP_FLOW_A_CONTRACT_ID);
	MUISP_NL_SET(&f, MUISP_FLOW_A_UP_BYTES);
	assert_int_equal(muisp_nl_flow_dump(&fake, &f, flow_cb, NULL, &n), 0);
	assert_int_equal(muisp_nl_flow_parse(sent(), &sentf), 0);
	assert_int_equal(sentf.present,
			 (1ULL << MUISP_FLOW_A_CLIENT_ADDR) |
				 (1ULL << MUISP_FLOW_A_CONTRACT_ID));
	assert_int_equal(sentf.client_addr.family, AF_INET6);
	assert_int_equal(sentf.contract_id, 7);
	assert_int_equal(n, 0);

	assert_int_equal(muisp_nl_flow_flush(&fake, 0), 0);
	assert_int_equal(muisp_nl_cmd(sent()), MUISP_CMD_FLOW_DEL);
	assert_int_equal(muisp_nl_flow_parse(sent(), &sentf), 0);
	assert_int_equal(sentf.present, 1ULL << MUISP_FLOW_A_CONTRACT_ID);
	assert_int_equal(sentf.contract_id, 0);
}

struct evs {
	int events, records, conns;
	uint8_t type;
	uint64_t up_bytes;
	uint64_t seq; /* UINT64_MAX: no seq */
};

static int ev_cb(const struct muisp_nl_event *e, void *arg)
{
	struct evs *v = arg;

	v->events++;
	v->type = e->type;
	return MNL_CB_OK;
}

static int rec_cb(const struct muisp_nl_flow *f, void *arg)
{
	struct evs *v = arg;

	v->records++;
	v->up_bytes = f->up_bytes;
	v->seq = MUISP_NL_HAS(f, MUISP_FLOW_A_SEQ) ? f->seq : UINT64_MAX;
	return MNL_CB_OK;
}

static void test_recv_events(void **state)
{
	struct evs v = { 0 };
	struct nlmsghdr *nlh;

	nlh = reply(MUISP_CMD_EVENT);
	mnl_attr_put_u8(nlh, MUISP_EVENT_A_TYPE, MUISP_EVENT_SOFT_LIMIT);
	nlh = reply(MUISP_CMD_FLOW_RECORD);
	mnl_attr_put_u64(nlh, MUISP_FLOW_A_UP_BYTES, 168);
	mnl_attr_put_u64(nlh, MUISP_FLOW_A_SEQ, 1ULL << 40);
	reply(MUISP_CMD_STATS_GET); /* unexpected: ignored */
	assert_int_equal(muisp_nl_recv_events(&fake, ev_cb, rec_cb, &v), 0);
	assert_int_equal(v.events, 1);
	assert_int_equal(v.type, MUISP_EVENT_SOFT_LIMIT);
	assert_int_equal(v.records, 1);
	assert_int_equal(v.up_bytes, 168);
	assert_int_equal(v.seq, 1ULL << 40);
	/* Only records wanted. */
	memset(&v, 0, sizeof(v));
	assert_int_equal(muisp_nl_recv_events(&fake, NULL, rec_cb, &v), 0);
	assert_int_equal(v.events, 0);
	assert_int_equal(v.records, 1);
}

static int conn_cb(const struct muisp_nl_flow *f, void *arg)
{
	struct evs *v = arg;

	v->conns++;
	v->seq = f->peer_port;
	return MNL_CB_OK;
}

/* A held connection's request (group "conns") reaches the conn callback
 * only; muisp_nl_recv_events, for the other groups, skips it. */
static void test_recv_conn_request(void **state)
{
	struct evs v = { 0 };
	struct nlmsghdr *nlh;

	nlh = reply(MUISP_CMD_CONN_REQUEST);
	mnl_attr_put_u8(nlh, MUISP_FLOW_A_PROTO, 6);
	mnl_attr_put_u16(nlh, MUISP_FLOW_A_PEER_PORT, 9300);
	nlh = reply(MUISP_CMD_FLOW_RECORD);
	mnl_attr_put_u64(nlh, MUISP_FLOW_A_UP_BYTES, 60);
	assert_int_equal(muisp_nl_recv_all(&fake, ev_cb, rec_cb, conn_cb, &v),
			 0);
	assert_int_equal(v.conns, 1);
	assert_int_equal(v.seq, UINT64_MAX); /* the record's, after */
	assert_int_equal(v.records, 1);
	memset(&v, 0, sizeof(v));
	assert_int_equal(muisp_nl_recv_all(&fake, NULL, NULL, conn_cb, &v), 0);
	assert_int_equal(v.conns, 1);
	assert_int_equal(v.seq, 9300);
	memset(&v, 0, sizeof(v));
	assert_int_equal(muisp_nl_recv_events(&fake, ev_cb, rec_cb, &v), 0);
	assert_int_equal(v.conns, 0);
	assert_int_equal(v.records, 1);
}

/* The verdict, as a request and posted: the same message. */
static void test_conn_verdict(void **state)
{
	struct muisp_nl_flow f, g;
	char first[256];

	memset(&f, 0, sizeof(f));
	assert_int_equal(muisp_nl_ip_from_str(&f.client_addr, "192.0.2.10"), 0);
	assert_int_equal(muisp_nl_ip_from_str(&f.peer_addr, "198.51.100.2"), 0);
	f.proto = 6;
	f.client_port = 40000;
	f.peer_port = 443;
	f.verdict = MUISP_CONN_ACCEPT;
	MUISP_NL_SET(&f, MUISP_FLOW_A_CLIENT_ADDR);
	MUISP_NL_SET(&f, MUISP_FLOW_A_PEER_ADDR);
	MUISP_NL_SET(&f, MUISP_FLOW_A_PROTO);
	MUISP_NL_SET(&f, MUISP_FLOW_A_CLIENT_PORT);
	MUISP_NL_SET(&f, MUISP_FLOW_A_PEER_PORT);
	MUISP_NL_SET(&f, MUISP_FLOW_A_VERDICT);
	assert_int_equal(muisp_nl_conn_verdict(&fake, &f), 0);
	assert_int_equal(nrequests, 1);
	assert_int_equal(muisp_nl_cmd(sent()), MUISP_CMD_CONN_VERDICT);
	assert_true(sent()->nlmsg_len <= sizeof(first));
	memcpy(first, sent(), sent()->nlmsg_len);
	assert_int_equal(muisp_nl_conn_verdict_post(&fake, &f), 0);
	assert_int_equal(nrequests, 1);
	assert_int_equal(nposts, 1);
	assert_memory_equal(first, sent(), sent()->nlmsg_len);
	assert_int_equal(muisp_nl_flow_parse(sent(), &g), 0);
	assert_int_equal(g.verdict, MUISP_CONN_ACCEPT);
	assert_int_equal(g.peer_port, 443);
}

/* A flow record written with the codec reads back whole, seq included
 * (tests/ipfix/ writes its replay files this way). */
static void test_flow_record_roundtrip(void **state)
{
	struct muisp_nl_flow f, g;
	struct nlmsghdr *nlh;

	memset(&f, 0, sizeof(f));
	assert_int_equal(muisp_nl_ip_from_str(&f.client_addr, "192.0.2.10"), 0);
	assert_int_equal(muisp_nl_ip_from_str(&f.peer_addr, "198.51.100.2"), 0);
	f.id = 9;
	f.proto = 6;
	f.client_port = 40000;
	f.peer_port = 443;
	f.up_bytes = 1500;
	f.down_packets = 3;
	f.contract_id = 1ULL << 40;
	f.end_reason = MUISP_FLOW_END_CLOSED;
	f.seq = 123456789012ULL;
	MUISP_NL_SET(&f, MUISP_FLOW_A_ID);
	MUISP_NL_SET(&f, MUISP_FLOW_A_CLIENT_ADDR);
	MUISP_NL_SET(&f, MUISP_FLOW_A_PEER_ADDR);
	MUISP_NL_SET(&f, MUISP_FLOW_A_PROTO);
	MUISP_NL_SET(&f, MUISP_FLOW_A_CLIENT_PORT);
	MUISP_NL_SET(&f, MUISP_FLOW_A_PEER_PORT);
	MUISP_NL_SET(&f, MUISP_FLOW_A_UP_BYTES);
	MUISP_NL_SET(&f, MUISP_FLOW_A_DOWN_PACKETS);
	MUISP_NL_SET(&f, MUISP_FLOW_A_CONTRACT_ID); /* both forms' bit */
	MUISP_NL_SET(&f, MUISP_FLOW_A_END_REASON);
	MUISP_NL_SET(&f, MUISP_FLOW_A_SEQ);
	nlh = reply(MUISP_CMD_FLOW_RECORD);
	assert_int_equal(muisp_nl_flow_put(nlh, &f), 0);
	memset(&g, 0xa5, sizeof(g));
	assert_int_equal(muisp_nl_flow_parse(nlh, &g), 0);
	assert_true(MUISP_NL_HAS(&g, MUISP_FLOW_A_SEQ));
	assert_int_equal(g.seq, 123456789012ULL);
	assert_int_equal(g.contract_id, 1ULL << 40);
	assert_int_equal(g.end_reason, MUISP_FLOW_END_CLOSED);
	assert_int_equal(g.client_port, 40000);
	assert_int_equal(g.up_bytes, 1500);
	assert_int_equal(g.down_packets, 3);
	assert_int_equal(g.peer_addr.family, AF_INET);
	/* without it: not present */
	f.present &= ~(1ULL << MUISP_FLOW_A_SEQ);
	nlh = reply(MUISP_CMD_FLOW_RECORD);
	assert_int_equal(muisp_nl_flow_put(nlh, &f), 0);
	assert_int_equal(muisp_nl_flow_parse(nlh, &g), 0);
	assert_false(MUISP_NL_HAS(&g, MUISP_FLOW_A_SEQ));
}

static void test_set_requests(void **state)
{
	struct muisp_nl_contract k, sentk;
	struct muisp_nl_config c, sentc;
	struct muisp_nl_ip ip;

	memset(&k, 0, sizeof(k));
	k.id = 7;
	k.status = MUISP_CONTRACT_STATUS_ACTIVE;
	k.soft_limit = 3000000;
	MUISP_NL_SET(&k, MUISP_CONTRACT_A_ID);
	MUISP_NL_SET(&k, MUISP_CONTRACT_A_STATUS);
	MUISP_NL_SET(&k, MUISP_CONTRACT_A_SOFT_LIMIT);
	assert_int_equal(muisp_nl_contract_set(&fake, &k), 0);
	assert_int_equal(muisp_nl_cmd(sent()), MUISP_CMD_CONTRACT_SET);
	assert_int_equal(muisp_nl_contract_parse(sent(), &sentk), 0);
	assert_memory_equal(&k, &sentk, sizeof(k));

	memset(&c, 0, sizeof(c));
	c.idle_timeout_s = 30;
	MUISP_NL_SET(&c, MUISP_CONFIG_A_IDLE_TIMEOUT_S);
	assert_int_equal(muisp_nl_config_set(&fake, &c), 0);
	assert_int_equal(muisp_nl_config_parse(sent(), &sentc), 0);
	assert_memory_equal(&c, &sentc, sizeof(c));

	assert_int_equal(muisp_nl_ip_from_str(&ip, "192.0.2.10"), 0);
	assert_int_equal(muisp_nl_addr_del(&fake, &ip), 0);
	assert_int_equal(muisp_nl_cmd(sent()), MUISP_CMD_ADDR_DEL);
	assert_int_equal(sent()->nlmsg_len, MNL_NLMSG_HDRLEN + 4 + 8);
	ip.family = AF_UNIX;
	errno = 0;
	assert_int_equal(muisp_nl_addr_del(&fake, &ip), -1);
	assert_int_equal(errno, EAFNOSUPPORT);
	assert_int_equal(nrequests, 3); /* the bad one was not sent */
}

static int tag_user_cb(const struct muisp_nl_tag_user *u, void *arg)
{
	struct got *g = arg;

	/* ids: the uid, then 1 for blocked, 0 for not, 2 for no flag; the
	 * address's last byte, 0 for none */
	g->ids[g->n++] = u->uid;
	if (MUISP_NL_HAS(u, MUISP_TAG_USER_A_BLOCKED))
		g->ids[g->n++] = u->blocked;
	else
		g->ids[g->n++] = 2;
	if (!MUISP_NL_HAS(u, MUISP_TAG_USER_A_ADDR))
		g->ids[g->n++] = 0;
	else if (u->addr.family == AF_INET)
		g->ids[g->n++] = u->addr.a[3];
	else
		g->ids[g->n++] = u->addr.a[15];
	return MNL_CB_OK;
}

static int tag_count_cb(const struct muisp_nl_tag_user *u, void *arg)
{
	struct muisp_nl_tag_user *out = arg;

	*out = *u;
	return MNL_CB_OK;
}

/* COUNT's counters come back from the dump, each to its own field, with
 * the pad attribute the kernel aligns them with skipped. */
static void test_tag_user_counts(void **state)
{
	struct muisp_nl_tag_user u;
	struct nlmsghdr *nlh;

	(void)state;
	memset(&u, 0, sizeof(u));
	nlh = reply(MUISP_CMD_TAG_USER_GET);
	mnl_attr_put_u32(nlh, MUISP_TAG_USER_A_UID, 1001);
	mnl_attr_put_u32(nlh, MUISP_TAG_USER_A_USER, 7001);
	mnl_attr_put(nlh, MUISP_TAG_USER_A_PAD, 0, NULL);
	mnl_attr_put_u64(nlh, MUISP_TAG_USER_A_SENT_BYTES, 1ULL << 40);
	mnl_attr_put_u64(nlh, MUISP_TAG_USER_A_SENT_PACKETS, 3);
	mnl_attr_put_u64(nlh, MUISP_TAG_USER_A_RECV_BYTES, 1500);
	mnl_attr_put_u64(nlh, MUISP_TAG_USER_A_RECV_PACKETS, 2);
	assert_int_equal(muisp_nl_tag_user_dump(&fake, tag_count_cb, NULL, &u),
			 0);
	assert_int_equal(u.uid, 1001);
	assert_true(MUISP_NL_HAS(&u, MUISP_TAG_USER_A_SENT_BYTES));
	assert_true(MUISP_NL_HAS(&u, MUISP_TAG_USER_A_RECV_PACKETS));
	assert_false(MUISP_NL_HAS(&u, MUISP_TAG_USER_A_ADDR));
	assert_true(u.sent_bytes == 1ULL << 40);
	assert_int_equal(u.sent_packets, 3);
	assert_int_equal(u.recv_bytes, 1500);
	assert_int_equal(u.recv_packets, 2);
}

static int report_cb(const struct muisp_nl_tag_report *r, void *arg)
{
	struct got *g = arg;

	g->ids[g->n++] = r->uid;
	g->ids[g->n++] = r->user;
	g->ids[g->n++] = r->proto;
	g->ids[g->n++] = r->addr.family == AF_INET6 ? r->addr.a[15] :
						      r->addr.a[3];
	g->ids[g->n++] = r->port;
	g->ids[g->n++] = r->peer.family == AF_INET6 ? r->peer.a[15] :
						      r->peer.a[3];
	g->ids[g->n++] = r->peer_port;
	g->ids[g->n++] = r->bytes;
	g->ids[g->n++] = r->packets;
	return MNL_CB_OK;
}

/* The agent's packet reports (method REPORT) read from the group, each
 * field its own; other commands on the socket are skipped. */
static void test_tag_reports(void **state)
{
	struct nlmsghdr *nlh;
	struct got g = { 0 };

	(void)state;
	nlh = reply(MUISP_CMD_TAG_REPORT);
	mnl_attr_put_u32(nlh, MUISP_TAG_REPORT_A_UID, 1001);
	mnl_attr_put_u32(nlh, MUISP_TAG_REPORT_A_USER, 7001);
	mnl_attr_put_u8(nlh, MUISP_TAG_REPORT_A_PROTO, 17);
	mnl_attr_put(nlh, MUISP_TAG_REPORT_A_ADDR, 4, "\xc0\0\x02\x14");
	mnl_attr_put_u16(nlh, MUISP_TAG_REPORT_A_PORT, 21001);
	mnl_attr_put(nlh, MUISP_TAG_REPORT_A_PEER, 4, "\xcb\0\x71\x0a");
	mnl_attr_put_u16(nlh, MUISP_TAG_REPORT_A_PEER_PORT, 9100);
	mnl_attr_put_u32(nlh, MUISP_TAG_REPORT_A_BYTES, 128);
	mnl_attr_put_u32(nlh, MUISP_TAG_REPORT_A_PACKETS, 1);
	nlh = reply(MUISP_CMD_EVENT);
	mnl_attr_put_u8(nlh, MUISP_EVENT_A_TYPE, 1);
	nlh = reply(MUISP_CMD_TAG_REPORT);
	mnl_attr_put_u32(nlh, MUISP_TAG_REPORT_A_UID, 1002);
	mnl_attr_put_u32(nlh, MUISP_TAG_REPORT_A_USER, 7002);
	mnl_attr_put_u8(nlh, MUISP_TAG_REPORT_A_PROTO, 6);
	mnl_attr_put(nlh, MUISP_TAG_REPORT_A_ADDR, 16,
		     "\x20\x01\x0d\xb8\0\x01\0\0\0\0\0\0\0\0\0\x20");
	mnl_attr_put_u16(nlh, MUISP_TAG_REPORT_A_PORT, 40000);
	mnl_attr_put(nlh, MUISP_TAG_REPORT_A_PEER, 16,
		     "\x20\x01\x0d\xb8\0\x02\0\0\0\0\0\0\0\0\0\x0a");
	mnl_attr_put_u16(nlh, MUISP_TAG_REPORT_A_PEER_PORT, 443);
	mnl_attr_put_u32(nlh, MUISP_TAG_REPORT_A_BYTES, 4432);
	mnl_attr_put_u32(nlh, MUISP_TAG_REPORT_A_PACKETS, 3);
	assert_int_equal(muisp_nl_recv_reports(&fake, report_cb, &g), 0);
	assert_int_equal(g.n, 18);
	assert_int_equal(g.ids[0], 1001);
	assert_int_equal(g.ids[1], 7001);
	assert_int_equal(g.ids[2], 17);
	assert_int_equal(g.ids[3], 0x14);
	assert_int_equal(g.ids[4], 21001);
	assert_int_equal(g.ids[5], 0x0a);
	assert_int_equal(g.ids[6], 9100);
	assert_int_equal(g.ids[7], 128);
	assert_int_equal(g.ids[8], 1);
	assert_int_equal(g.ids[9], 1002);
	assert_int_equal(g.ids[11], 6);
	assert_int_equal(g.ids[12], 0x20);
	assert_int_equal(g.ids[13], 40000);
	assert_int_equal(g.ids[15], 443);
	assert_int_equal(g.ids[16], 4432);
	assert_int_equal(g.ids[17], 3);
}

/* tag user set sends the block flag and the address only when set; the
 * dump hands them on, and their absence (an older module, no address) as
 * absent; tag show's denied and spoofed. */
static void test_tag_user_blocked(void **state)
{
	struct muisp_nl_tag_user u, sentu;
	struct muisp_nl_tag k;
	struct nlmsghdr *nlh;
	struct got g = { 0 };

	memset(&u, 0, sizeof(u));
	u.uid = 1001;
	u.user = 7001;
	u.blocked = 1;
	MUISP_NL_SET(&u, MUISP_TAG_USER_A_UID);
	MUISP_NL_SET(&u, MUISP_TAG_USER_A_USER);
	MUISP_NL_SET(&u, MUISP_TAG_USER_A_BLOCKED);
	assert_int_equal(muisp_nl_tag_user_set(&fake, &u), 0);
	assert_int_equal(muisp_nl_cmd(sent()), MUISP_CMD_TAG_USER_SET);
	assert_int_equal(muisp_nl_tag_user_parse(sent(), &sentu), 0);
	assert_memory_equal(&u, &sentu, sizeof(u));
	u.blocked = 0;
	u.present &= ~(1ULL << MUISP_TAG_USER_A_BLOCKED);
	assert_int_equal(muisp_nl_tag_user_set(&fake, &u), 0);
	assert_int_equal(sent()->nlmsg_len, MNL_NLMSG_HDRLEN + 4 + 8 + 8);
	u.addr.family = AF_INET;
	memcpy(u.addr.a, "\xc0\0\x02\x14", 4);
	MUISP_NL_SET(&u, MUISP_TAG_USER_A_ADDR);
	assert_int_equal(muisp_nl_tag_user_set(&fake, &u), 0);
	assert_int_equal(sent()->nlmsg_len, MNL_NLMSG_HDRLEN + 4 + 8 + 8 + 8);
	assert_int_equal(muisp_nl_tag_user_parse(sent(), &sentu), 0);
	assert_memory_equal(&u, &sentu, sizeof(u));

	nlh = reply(MUISP_CMD_TAG_USER_GET);
	mnl_attr_put_u32(nlh, MUISP_TAG_USER_A_UID, 1001);
	mnl_attr_put_u32(nlh, MUISP_TAG_USER_A_USER, 7001);
	mnl_attr_put_u8(nlh, MUISP_TAG_USER_A_BLOCKED, 1);
	nlh = reply(MUISP_CMD_TAG_USER_GET);
	mnl_attr_put_u32(nlh, MUISP_TAG_USER_A_UID, 1002);
	mnl_attr_put_u32(nlh, MUISP_TAG_USER_A_USER, 7002);
	mnl_attr_put_u8(nlh, MUISP_TAG_USER_A_BLOCKED, 0);
	mnl_attr_put(nlh, MUISP_TAG_USER_A_ADDR, 16,
		     "\x20\x01\x0d\xb8\0\x01\0\0\0\0\0\0\0\0\0\x20");
	nlh = reply(MUISP_CMD_TAG_USER_GET);
	mnl_attr_put_u32(nlh, MUISP_TAG_USER_A_UID, 1003);
	mnl_attr_put_u32(nlh, MUISP_TAG_USER_A_USER, 7003);
	nlh = reply(MUISP_CMD_TAG_USER_GET);
	mnl_attr_put_u32(nlh, MUISP_TAG_USER_A_UID, 1004);
	mnl_attr_put_u32(nlh, MUISP_TAG_USER_A_USER, 7004);
	mnl_attr_put_u8(nlh, MUISP_TAG_USER_A_BLOCKED, 0);
	mnl_attr_put(nlh, MUISP_TAG_USER_A_ADDR, 4, "\xc0\0\x02\x14");
	assert_int_equal(muisp_nl_tag_user_dump(&fake, tag_user_cb, NULL, &g),
			 0);
	assert_int_equal(muisp_nl_cmd(sent()), MUISP_CMD_TAG_USER_GET);
	assert_int_equal(g.n, 12);
	assert_int_equal(g.ids[0], 1001);
	assert_int_equal(g.ids[1], 1);
	assert_int_equal(g.ids[2], 0);
	assert_int_equal(g.ids[3], 1002);
	assert_int_equal(g.ids[4], 0);
	assert_int_equal(g.ids[5], 0x20);
	assert_int_equal(g.ids[6], 1003);
	assert_int_equal(g.ids[7], 2);
	assert_int_equal(g.ids[8], 0);
	assert_int_equal(g.ids[9], 1004);
	assert_int_equal(g.ids[10], 0);
	assert_int_equal(g.ids[11], 0x14);

	nreplies = 0;
	nlh = reply(MUISP_CMD_TAG_GET);
	mnl_attr_put_u32(nlh, MUISP_TAG_A_IFINDEX, 2);
	mnl_attr_put_u64(nlh, MUISP_TAG_A_BLOCKED, 4);
	mnl_attr_put_u64(nlh, MUISP_TAG_A_DENIED, 5);
	mnl_attr_put_u64(nlh, MUISP_TAG_A_SPOOFED, 6);
	mnl_attr_put_u64(nlh, MUISP_TAG_A_REDIRECTED, 7);
	mnl_attr_put_u64(nlh, MUISP_TAG_A_QUERIED, 9);
	mnl_attr_put_u64(nlh, MUISP_TAG_A_CLAMPED, 10);
	mnl_attr_put_u64(nlh, MUISP_TAG_A_ACKED, 11);
	mnl_attr_put_u64(nlh, MUISP_TAG_A_ACK_FORGED, 12);
	assert_int_equal(muisp_nl_tag_get(&fake, &k), 0);
	assert_int_equal(muisp_nl_cmd(sent()), MUISP_CMD_TAG_GET);
	assert_true(MUISP_NL_HAS(&k, MUISP_TAG_A_DENIED));
	assert_true(MUISP_NL_HAS(&k, MUISP_TAG_A_SPOOFED));
	assert_int_equal(k.blocked, 4);
	assert_int_equal(k.denied, 5);
	assert_int_equal(k.spoofed, 6);
	assert_true(MUISP_NL_HAS(&k, MUISP_TAG_A_REDIRECTED));
	assert_int_equal(k.redirected, 7);
	assert_int_equal(k.queried, 9);
	assert_int_equal(k.clamped, 10);
	assert_int_equal(k.acked, 11);
	assert_int_equal(k.ack_forged, 12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_dump_restart_reaches_caller, setup),
		cmocka_unit_test_setup(
			test_dump_ignores_other_cmds_and_bad_replies, setup),
		cmocka_unit_test_setup(test_get_one, setup),
		cmocka_unit_test_setup(test_add_returns_id, setup),
		cmocka_unit_test_setup(test_agent_key, setup),
		cmocka_unit_test_setup(test_agent_hold, setup),
		cmocka_unit_test_setup(test_flow_filter, setup),
		cmocka_unit_test_setup(test_recv_events, setup),
		cmocka_unit_test_setup(test_recv_conn_request, setup),
		cmocka_unit_test_setup(test_conn_verdict, setup),
		cmocka_unit_test_setup(test_flow_record_roundtrip, setup),
		cmocka_unit_test_setup(test_set_requests, setup),
		cmocka_unit_test_setup(test_tag_user_blocked, setup),
		cmocka_unit_test_setup(test_tag_user_counts, setup),
		cmocka_unit_test_setup(test_tag_reports, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * lib/muisp_nl: extended acks, the reply state machine (seq filtering,
 * NLM_F_DUMP_INTR, callback stop/error), family parsing and the typed
 * codecs on canned messages; then the transport against the running
 * kernel's own generic-netlink controller ("nlctrl"), which every Linux
 * kernel has.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "muisp_nl.h"

static char req_buf[4096] __attribute__((aligned(8)));
static char ans_buf[8192] __attribute__((aligned(8)));

/* Request: genl header, attr 3 (u32), attr 5 (16 bytes). */
static struct nlmsghdr *canned_req(uint32_t *off3, uint32_t *off5)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req_buf);
	struct genlmsghdr *g;
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	nlh->nlmsg_type = 0x20;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = 5;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = 1;
	*off3 = nlh->nlmsg_len;
	mnl_attr_put_u32(nlh, 3, 42);
	*off5 = nlh->nlmsg_len;
	mnl_attr_put(nlh, 5, 16, v6);
	return nlh;
}

static void test_attr_at(void **state)
{
	uint32_t o3, o5;
	struct nlmsghdr *req = canned_req(&o3, &o5);

	assert_int_equal(o3, 20);
	assert_int_equal(muisp_nl_attr_at(req, o3), 3);
	assert_int_equal(muisp_nl_attr_at(req, o3 + 4), 3);
	assert_int_equal(muisp_nl_attr_at(req, o5), 5);
	assert_int_equal(muisp_nl_attr_at(req, o5 + 19), 5);
	assert_int_equal(muisp_nl_attr_at(req, 4), -1);	      /* header */
	assert_int_equal(muisp_nl_attr_at(req, o5 + 20), -1); /* past end */
	assert_int_equal(muisp_nl_attr_at(NULL, o3), -1);
}

/* NLMSG_ERROR answering req; capped or with the request echoed. */
static struct nlmsghdr *canned_err(const struct nlmsghdr *req, int error,
				   int capped, const char *msg, int offs,
				   int miss)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(ans_buf);
	struct nlmsgerr *e;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = req->nlmsg_seq;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(int));
	e->error = error;
	if (capped) {
		mnl_nlmsg_put_extra_header(nlh, sizeof(struct nlmsghdr));
		memcpy(&e->msg, req, sizeof(struct nlmsghdr));
		nlh->nlmsg_flags |= NLM_F_CAPPED;
	} else {
		void *p = mnl_nlmsg_put_extra_header(nlh, req->nlmsg_len);

		memcpy(p, req, req->nlmsg_len);
	}
	if (msg || offs >= 0 || miss >= 0)
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
	if (msg)
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, msg);
	if (offs >= 0)
		mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, (uint32_t)offs);
	if (miss >= 0)
		mnl_attr_put_u32(nlh, NLMSGERR_ATTR_MISS_TYPE, (uint32_t)miss);
	return nlh;
}

static void test_ext_capped(void **state)
{
	uint32_t o3, o5;
	struct nlmsghdr *req = canned_req(&o3, &o5);
	struct muisp_nl_ext ext;
	struct nlmsghdr *e =
		canned_err(req, -EINVAL, 1, "bad prefix", (int)o5, 4);

	assert_int_equal(muisp_nl_parse_ext(e, req, &ext), 0);
	assert_int_equal(ext.error, EINVAL);
	assert_string_equal(ext.msg, "bad prefix");
	assert_int_equal(ext.attr, 5);
	assert_int_equal(ext.missing, 4);
}

static void test_ext_uncapped(void **state)
{
	uint32_t o3, o5;
	struct nlmsghdr *req = canned_req(&o3, &o5);
	struct muisp_nl_ext ext;
	struct nlmsghdr *e =
		canned_err(req, -ERANGE, 0, "too big", (int)o3, -1);

	assert_int_equal(muisp_nl_parse_ext(e, req, &ext), 0);
	assert_int_equal(ext.error, ERANGE);
	assert_string_equal(ext.msg, "too big");
	assert_int_equal(ext.attr, 3);
	assert_int_equal(ext.missing, -1);
}

static void test_ext_plain_ack(void **state)
{
	uint32_t o3, o5;
	struct nlmsghdr *req = canned_req(&o3, &o5);
	struct muisp_nl_ext ext;
	struct nlmsghdr *e = canned_err(req, 0, 1, NULL, -1, -1);

	assert_int_equal(muisp_nl_parse_ext(e, req, &ext), 0);
	assert_int_equal(ext.error, 0);
	assert_string_equal(ext.msg, "");
	assert_int_equal(ext.attr, -1);
	assert_int_equal(ext.missing, -1);
}

static void test_ext_done(void **state)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(ans_buf);
	struct muisp_nl_ext ext;
	int *err;

	nlh->nlmsg_type = NLMSG_DONE;
	/* Bare DONE (no payload): success. */
	assert_int_equal(muisp_nl_parse_ext(nlh, NULL, &ext), 0);
	assert_int_equal(ext.error, 0);
	err = mnl_nlmsg_put_extra_header(nlh, sizeof(int));
	*err = -EPERM;
	nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "dump refused");
	assert_int_equal(muisp_nl_parse_ext(nlh, NULL, &ext), 0);
	assert_int_equal(ext.error, EPERM);
	assert_string_equal(ext.msg, "dump refused");
	assert_int_equal(ext.attr, -1);
}

static void test_ext_malformed(void **state)
{
	uint32_t o3, o5;
	struct nlmsghdr *req = canned_req(&o3, &o5);
	struct muisp_nl_ext ext;
	struct nlmsghdr *e;
	struct nlattr *a;

	/* Truncated nlmsgerr. */
	e = mnl_nlmsg_put_header(ans_buf);
	e->nlmsg_type = NLMSG_ERROR;
	mnl_nlmsg_put_extra_header(e, 8);
	errno = 0;
	assert_int_equal(muisp_nl_parse_ext(e, req, &ext), -1);
	assert_int_equal(errno, EBADMSG);
	/* Positive "errno". */
	e = canned_err(req, 5, 1, NULL, -1, -1);
	assert_int_equal(muisp_nl_parse_ext(e, req, &ext), -1);
	assert_int_equal(errno, EBADMSG);
	/* Message attribute not NUL-terminated. */
	e = canned_err(req, -EINVAL, 1, "abc", -1, -1);
	a = (struct nlattr *)((char *)e + e->nlmsg_len - MNL_ALIGN(8));
	assert_int_equal(mnl_attr_get_type(a), NLMSGERR_ATTR_MSG);
	((char *)mnl_attr_get_payload(a))[3] = 'd';
	assert_int_equal(muisp_nl_parse_ext(e, req, &ext), -1);
	assert_int_equal(errno, EBADMSG);
	/* OFFS of the wrong size. */
	e = canned_err(req, -EINVAL, 1, NULL, -1, -1);
	e->nlmsg_flags |= NLM_F_ACK_TLVS;
	mnl_attr_put_u16(e, NLMSGERR_ATTR_OFFS, 20);
	assert_int_equal(muisp_nl_parse_ext(e, req, &ext), -1);
	assert_int_equal(errno, EBADMSG);
	/* Unknown extack attribute: ignored. */
	e = canned_err(req, -EINVAL, 1, "x", -1, -1);
	mnl_attr_put_u32(e, NLMSGERR_ATTR_MAX + 1, 1);
	assert_int_equal(muisp_nl_parse_ext(e, req, &ext), 0);
	assert_string_equal(ext.msg, "x");
}

/* ---- reply state machine ---- */

static size_t put_data(char *at, uint16_t type, uint32_t seq, uint32_t pid,
		       uint16_t flags, uint32_t val)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = pid;
	nlh->nlmsg_flags = flags;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = 2;
	mnl_attr_put_u32(nlh, 1, val);
	return nlh->nlmsg_len;
}

static size_t put_done(char *at, uint32_t seq, uint32_t pid, uint16_t flags,
		       int error)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	int *e;

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = pid;
	nlh->nlmsg_flags = flags;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(int));
	*e = error;
	return nlh->nlmsg_len;
}

struct seen {
	uint32_t vals[16];
	int n;
	int stop_at; /* return STOP after this many */
	int fail_at; /* return ERROR (ENOMEM) at this one */
};

static int seen_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct seen *s = arg;
	const struct nlattr *a =
		(const void *)((const char *)mnl_nlmsg_get_payload(nlh) + 4);

	s->vals[s->n++] = mnl_attr_get_u32(a);
	if (s->fail_at && s->n == s->fail_at) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	if (s->stop_at && s->n == s->stop_at)
		return MNL_CB_STOP;
	return MNL_CB_OK;
}

static struct nlmsghdr run_req = { .nlmsg_len = 20, .nlmsg_seq = 9 };

static void test_run_dump_intr(void **state)
{
	struct muisp_nl_run st = { .portid = 77 };
	struct seen s = { 0 };
	size_t n = 0;

	n += put_data(ans_buf + n, 0x20, 9, 77, NLM_F_MULTI, 1);
	n += put_data(ans_buf + n, 0x20, 8, 77, NLM_F_MULTI, 100); /* stale */
	n += put_data(ans_buf + n, 0x20, 9, 78, NLM_F_MULTI, 101); /* port */
	n += put_data(ans_buf + n, 0x20, 9, 77, NLM_F_MULTI, 2);
	n += put_data(ans_buf + n, 0x20, 9, 77, NLM_F_MULTI | NLM_F_DUMP_INTR,
		      3);
	n += put_data(ans_buf + n, 0x20, 9, 77, NLM_F_MULTI, 4);
	/* Not complete yet: needs more. */
	assert_int_equal(
		muisp_nl_run_buf(&st, ans_buf, n, &run_req, seen_cb, &s), 0);
	n = put_done(ans_buf, 9, 77, NLM_F_MULTI | NLM_F_DUMP_INTR, 0);
	assert_int_equal(
		muisp_nl_run_buf(&st, ans_buf, n, &run_req, seen_cb, &s), 1);
	assert_int_equal(st.intr, 1);
	/* Delivered before the flag only; stale and foreign skipped. */
	assert_int_equal(s.n, 2);
	assert_int_equal(s.vals[0], 1);
	assert_int_equal(s.vals[1], 2);
}

static void test_run_stop_and_error(void **state)
{
	struct muisp_nl_run st = { .portid = 77 };
	struct seen s = { .stop_at = 1 };
	size_t n = 0;

	n += put_data(ans_buf + n, 0x20, 9, 77, NLM_F_MULTI, 1);
	n += put_data(ans_buf + n, 0x20, 9, 77, NLM_F_MULTI, 2);
	n += put_done(ans_buf + n, 9, 77, NLM_F_MULTI, 0);
	assert_int_equal(
		muisp_nl_run_buf(&st, ans_buf, n, &run_req, seen_cb, &s), 1);
	assert_int_equal(s.n, 1);
	assert_int_equal(st.intr, 0);

	/* A callback error is reported once the reply is drained. */
	memset(&st, 0, sizeof(st));
	st.portid = 77;
	memset(&s, 0, sizeof(s));
	s.fail_at = 2;
	errno = 0;
	assert_int_equal(
		muisp_nl_run_buf(&st, ans_buf, n, &run_req, seen_cb, &s), -1);
	assert_int_equal(errno, ENOMEM);
	assert_int_equal(s.n, 2);

	/* The kernel's error wins and carries its extack. */
	memset(&st, 0, sizeof(st));
	st.portid = 77;
	memset(&s, 0, sizeof(s));
	n = put_done(ans_buf, 9, 77, NLM_F_MULTI, -EPERM);
	errno = 0;
	assert_int_equal(
		muisp_nl_run_buf(&st, ans_buf, n, &run_req, seen_cb, &s), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(st.ext.error, EPERM);
	assert_int_equal(s.n, 0);
}

static void test_run_bogus_lengths(void **state)
{
	struct muisp_nl_run st = { .portid = 77 };
	struct seen s = { 0 };
	size_t n = put_data(ans_buf, 0x20, 9, 77, NLM_F_MULTI, 1);
	struct nlmsghdr *second = (struct nlmsghdr *)(ans_buf + n);

	/* A second message claiming more than 2 GiB (negative as an int,
	 * which libmnl's own walk would accept), then one claiming less
	 * than its header: the walk stops at it, nothing past is read. */
	n += put_data(ans_buf + n, 0x20, 9, 77, NLM_F_MULTI, 2);
	second->nlmsg_len = 0xf0000000u;
	assert_int_equal(
		muisp_nl_run_buf(&st, ans_buf, n, &run_req, seen_cb, &s), 0);
	assert_int_equal(s.n, 1);
	second->nlmsg_len = 8;
	assert_int_equal(
		muisp_nl_run_buf(&st, ans_buf, n, &run_req, seen_cb, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.vals[1], 1);
}

/* ---- CTRL_CMD_NEWFAMILY ---- */

static struct nlmsghdr *family_msg_of(const char *name, int with_id, int id_len,
				      int grp_id)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(ans_buf);
	struct nlattr *grps, *g;

	nlh->nlmsg_type = GENL_ID_CTRL;
	mnl_nlmsg_put_extra_header(nlh, 4);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
	if (with_id) {
		if (id_len == 2)
			mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 0x1234);
		else
			mnl_attr_put_u32(nlh, CTRL_ATTR_FAMILY_ID, 0x1234);
	}
	mnl_attr_put_u32(nlh, CTRL_ATTR_VERSION, 1);
	grps = mnl_attr_nest_start(nlh, CTRL_ATTR_MCAST_GROUPS);
	g = mnl_attr_nest_start(nlh, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_MCAST_GRP_NAME, "events");
	mnl_attr_put_u32(nlh, CTRL_ATTR_MCAST_GRP_ID, 7);
	mnl_attr_nest_end(nlh, g);
	g = mnl_attr_nest_start(nlh, 2);
	mnl_attr_put_strz(nlh, CTRL_ATTR_MCAST_GRP_NAME, "flows");
	if (grp_id)
		mnl_attr_put_u32(nlh, CTRL_ATTR_MCAST_GRP_ID, 8);
	mnl_attr_nest_end(nlh, g);
	mnl_attr_nest_end(nlh, grps);
	return nlh;
}

static struct nlmsghdr *family_msg(int with_id, int id_len, int grp_id)
{
	return family_msg_of("muisp", with_id, id_len, grp_id);
}

static void test_parse_family(void **state)
{
	struct muisp_nl_family fam;

	assert_int_equal(muisp_nl_parse_family(family_msg(1, 2, 1), &fam), 0);
	assert_int_equal(fam.id, 0x1234);
	assert_int_equal(fam.version, 1);
	assert_string_equal(fam.name, "muisp");
	assert_int_equal(fam.ngroups, 2);
	assert_string_equal(fam.groups[0].name, "events");
	assert_int_equal(fam.groups[0].id, 7);
	assert_string_equal(fam.groups[1].name, "flows");
	assert_int_equal(fam.groups[1].id, 8);

	errno = 0;
	assert_int_equal(muisp_nl_parse_family(family_msg(0, 2, 1), &fam), -1);
	assert_int_equal(errno, EBADMSG);
	assert_int_equal(muisp_nl_parse_family(family_msg(1, 4, 1), &fam), -1);
	assert_int_equal(errno, EBADMSG);
	assert_int_equal(muisp_nl_parse_family(family_msg(1, 2, 0), &fam), -1);
	assert_int_equal(errno, EBADMSG);
	assert_int_equal(fam.ngroups, 0);
}

/* ---- the controller's notifications (module unload / reload) ---- */

/* A controller notification: family_msg's, of family name, command cmd. */
static struct nlmsghdr *ctrl_msg(uint8_t cmd, const char *name, int id_len)
{
	struct nlmsghdr *nlh = family_msg_of(name, 1, id_len, 1);
	struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);

	g->cmd = cmd;
	return nlh;
}

static void test_parse_ctrl(void **state)
{
	struct muisp_nl_family fam;
	struct nlmsghdr *nlh;

	/* the new module: its (new) id and groups */
	nlh = ctrl_msg(CTRL_CMD_NEWFAMILY, "muisp", 2);
	assert_int_equal(muisp_nl_parse_ctrl(nlh, "muisp", &fam),
			 CTRL_CMD_NEWFAMILY);
	assert_string_equal(fam.name, "muisp");
	assert_int_equal(fam.id, 0x1234);
	assert_int_equal(fam.ngroups, 2);
	assert_string_equal(fam.groups[1].name, "flows");
	assert_int_equal(fam.groups[1].id, 8);
	nlh = ctrl_msg(CTRL_CMD_DELFAMILY, "muisp", 2);
	assert_int_equal(muisp_nl_parse_ctrl(nlh, "muisp", &fam),
			 CTRL_CMD_DELFAMILY);

	/* not ours: another family, a prefix of the name, other commands,
	 * a message of another family id */
	nlh = ctrl_msg(CTRL_CMD_DELFAMILY, "muispx", 2);
	assert_int_equal(muisp_nl_parse_ctrl(nlh, "muisp", &fam), 0);
	assert_int_equal(fam.id, 0);
	nlh = ctrl_msg(CTRL_CMD_NEWFAMILY, "mui", 2);
	assert_int_equal(muisp_nl_parse_ctrl(nlh, "muisp", &fam), 0);
	nlh = ctrl_msg(CTRL_CMD_NEWMCAST_GRP, "muisp", 2);
	assert_int_equal(muisp_nl_parse_ctrl(nlh, "muisp", &fam), 0);
	nlh = ctrl_msg(CTRL_CMD_NEWFAMILY, "muisp", 2);
	nlh->nlmsg_type = 0x1234;
	assert_int_equal(muisp_nl_parse_ctrl(nlh, "muisp", &fam), 0);

	/* malformed: a family id of the wrong size, a truncated header */
	nlh = ctrl_msg(CTRL_CMD_NEWFAMILY, "muisp", 4);
	errno = 0;
	assert_int_equal(muisp_nl_parse_ctrl(nlh, "muisp", &fam), -1);
	assert_int_equal(errno, EBADMSG);
	nlh = ctrl_msg(CTRL_CMD_NEWFAMILY, "muisp", 2);
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 2;
	errno = 0;
	assert_int_equal(muisp_nl_parse_ctrl(nlh, "muisp", &fam), -1);
	assert_int_equal(errno, EBADMSG);
}

/* ---- typed codecs ---- */

static struct nlmsghdr *empty_msg(uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(ans_buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = 0x30;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = MUISP_GENL_VERSION;
	return nlh;
}

static void ip(struct muisp_nl_ip *a, const char *s)
{
	assert_int_equal(muisp_nl_ip_from_str(a, s), 0);
}

static void test_addr_roundtrip(void **state)
{
	struct muisp_nl_addr a, b;
	struct nlmsghdr *nlh = empty_msg(MUISP_CMD_ADDR_GET);
	char s[MUISP_NL_IPSTRLEN];
	unsigned int t;

	memset(&a, 0, sizeof(a));
	a.id = 3;
	ip(&a.addr, "2001:db8:1::10");
	a.state = MUISP_ADDR_STATE_BOUND;
	a.contract_id = 7;
	a.contract_status = MUISP_CONTRACT_STATUS_ACTIVE;
	memcpy(a.mac, "\x02\x00\x00\x00\x00\x10", 6);
	a.xfrm_reqid = 11;
	a.xfrm_if_id = 12;
	a.flags = MUISP_ADDR_F_EXCL;
	a.xfrm_spi = 0xc1234567;
	a.xfrm_spi_prev = 0xc7654321;
	a.xfrm_proto = 51;
	for (t = MUISP_ADDR_A_ID; t <= MUISP_ADDR_A_MAX; t++)
		MUISP_NL_SET(&a, t);
	/* the u64 form of the contract id has no bit of its own */
	a.present &= ~(1ULL << MUISP_ADDR_A_CONTRACT_ID64);
	assert_int_equal(muisp_nl_addr_put(nlh, &a), 0);
	assert_int_equal(muisp_nl_addr_parse(nlh, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_string_equal(muisp_nl_ip_to_str(&b.addr, s), "2001:db8:1::10");

	/* Only what is present is put. */
	memset(&a, 0, sizeof(a));
	ip(&a.addr, "192.0.2.10");
	MUISP_NL_SET(&a, MUISP_ADDR_A_ADDR);
	nlh = empty_msg(MUISP_CMD_ADDR_DEL);
	assert_int_equal(muisp_nl_addr_put(nlh, &a), 0);
	assert_int_equal(nlh->nlmsg_len, 16 + 4 + 8);
	assert_int_equal(muisp_nl_addr_parse(nlh, &b), 0);
	assert_int_equal(b.present, 1ULL << MUISP_ADDR_A_ADDR);
	assert_int_equal(b.addr.family, AF_INET);
	assert_string_equal(muisp_nl_ip_to_str(&b.addr, s), "192.0.2.10");

	/* An address of no family is refused. */
	a.addr.family = 0;
	errno = 0;
	assert_int_equal(muisp_nl_addr_put(empty_msg(1), &a), -1);
	assert_int_equal(errno, EAFNOSUPPORT);
}

static void test_contract_flow_roundtrip(void **state)
{
	struct muisp_nl_contract c, c2;
	struct muisp_nl_flow f, f2;
	struct nlmsghdr *nlh;
	unsigned int t;

	memset(&c, 0, sizeof(c));
	c.id = 7;
	c.status = MUISP_CONTRACT_STATUS_DELINQUENT;
	c.metric = MUISP_METRIC_BYTES;
	c.soft_limit = 1000000;
	c.hard_limit = 2000000;
	c.expires_s = 1795622400;
	c.used = 1000001;
	c.up_bytes = 1ULL << 40;
	c.up_packets = 5;
	c.down_bytes = 6;
	c.down_packets = 7;
	c.elapsed_ms = 8;
	c.usage_ms = 9;
	c.naddrs = 2;
	c.flags = MUISP_CONTRACT_F_RESET_USAGE;
	for (t = MUISP_CONTRACT_A_ID; t <= MUISP_CONTRACT_A_MAX; t++)
		MUISP_NL_SET(&c, t);
	c.present &= ~(1ULL << MUISP_CONTRACT_A_ID64);
	nlh = empty_msg(MUISP_CMD_CONTRACT_GET);
	assert_int_equal(muisp_nl_contract_put(nlh, &c), 0);
	assert_int_equal(muisp_nl_contract_parse(nlh, &c2), 0);
	assert_memory_equal(&c, &c2, sizeof(c));

	memset(&f, 0, sizeof(f));
	f.id = 0x1122334455667788ULL;
	ip(&f.client_addr, "192.0.2.10");
	ip(&f.peer_addr, "198.51.100.2");
	f.proto = 6;
	f.client_port = 40000;
	f.peer_port = 80;
	f.up_bytes = 1;
	f.up_packets = 2;
	f.down_bytes = 3;
	f.down_packets = 4;
	f.first_ms = 1795622400000ULL;
	f.last_ms = 1795622400999ULL;
	f.tcp_flags = 0x13;
	f.contract_id = 7;
	f.end_reason = MUISP_FLOW_END_CLOSED;
	for (t = MUISP_FLOW_A_ID; t <= MUISP_FLOW_A_MAX; t++)
		MUISP_NL_SET(&f, t);
	f.present &= ~(1ULL << MUISP_FLOW_A_CONTRACT_ID64);
	nlh = empty_msg(MUISP_CMD_FLOW_RECORD);
	assert_int_equal(muisp_nl_flow_put(nlh, &f), 0);
	assert_int_equal(muisp_nl_flow_parse(nlh, &f2), 0);
	assert_memory_equal(&f, &f2, sizeof(f));
}

/* A length that is not a multiple of 4 (a replay file's, never the
 * kernel's) is refused: libmnl would walk the attributes to the aligned
 * end, and the last one, cut by the length, would be read past it. */
static void test_parse_unaligned_length(void **state)
{
	struct muisp_nl_flow f;
	struct nlmsghdr *nlh = empty_msg(MUISP_CMD_FLOW_RECORD);

	mnl_attr_put(nlh, MUISP_FLOW_A_CLIENT_ADDR, 4, "\x0a\0\0\x02");
	mnl_attr_put(nlh, MUISP_FLOW_A_PEER_ADDR, 4, "\x01\x01\x01\x01");
	assert_int_equal(muisp_nl_flow_parse(nlh, &f), 0);
	nlh->nlmsg_len -= 3; /* the peer address cut to one byte */
	errno = 0;
	assert_int_equal(muisp_nl_flow_parse(nlh, &f), -1);
	assert_int_equal(errno, EBADMSG);
	assert_false(MUISP_NL_HAS(&f, MUISP_FLOW_A_CLIENT_ADDR));
}

static void test_lists_config_roundtrip(void **state)
{
	struct muisp_nl_garden g, g2;
	struct muisp_nl_block b, b2;
	struct muisp_nl_config k, k2;
	struct nlmsghdr *nlh;
	unsigned int t;

	memset(&g, 0, sizeof(g));
	g.id = 1;
	ip(&g.prefix, "198.51.100.0");
	g.prefix_len = 24;
	g.proto = 6;
	g.port_min = 80;
	g.port_max = 443;
	g.expires_s = 99;
	g.hits = 100;
	for (t = MUISP_GARDEN_A_ID; t <= MUISP_GARDEN_A_MAX; t++)
		MUISP_NL_SET(&g, t);
	nlh = empty_msg(MUISP_CMD_GARDEN_GET);
	assert_int_equal(muisp_nl_garden_put(nlh, &g), 0);
	assert_int_equal(muisp_nl_garden_parse(nlh, &g2), 0);
	assert_memory_equal(&g, &g2, sizeof(g));

	memset(&b, 0, sizeof(b));
	b.id = 2;
	memcpy(b.mac, "\x02\x00\x00\x00\x00\x66", 6);
	b.expires_s = 5;
	b.hits = 6;
	MUISP_NL_SET(&b, MUISP_BLOCK_A_ID);
	MUISP_NL_SET(&b, MUISP_BLOCK_A_MAC);
	MUISP_NL_SET(&b, MUISP_BLOCK_A_EXPIRES_S);
	MUISP_NL_SET(&b, MUISP_BLOCK_A_HITS);
	nlh = empty_msg(MUISP_CMD_BLOCK_GET);
	assert_int_equal(muisp_nl_block_put(nlh, &b), 0);
	assert_int_equal(muisp_nl_block_parse(nlh, &b2), 0);
	assert_memory_equal(&b, &b2, sizeof(b));
	assert_false(MUISP_NL_HAS(&b2, MUISP_BLOCK_A_PREFIX));

	memset(&k, 0, sizeof(k));
	k.lan_ifindex = 3;
	k.idle_timeout_s = 30;
	k.fin_timeout_s = 5;
	k.max_flows = 1000;
	k.control_port = 4433;
	k.usage_gap_s = 60;
	k.require_tunnel = 1;
	k.dns_rate = 10;
	k.dns_burst = 30;
	for (t = MUISP_CONFIG_A_LAN_IFINDEX; t <= MUISP_CONFIG_A_MAX; t++)
		MUISP_NL_SET(&k, t);
	nlh = empty_msg(MUISP_CMD_CONFIG_GET);
	assert_int_equal(muisp_nl_config_put(nlh, &k), 0);
	assert_int_equal(muisp_nl_config_parse(nlh, &k2), 0);
	assert_memory_equal(&k, &k2, sizeof(k));
}

/* The agent's role and its user map: every attribute, the block flag,
 * the user's address and the denied and spoofed counts included. */
static void test_tag_roundtrip(void **state)
{
	struct muisp_nl_tag_user u, u2;
	struct muisp_nl_tag k, k2;
	struct nlmsghdr *nlh;
	unsigned int t;

	memset(&k, 0, sizeof(k));
	k.ifindex = 2;
	for (t = 0; t < sizeof(k.key); t++)
		k.key[t] = (uint8_t)(0x10 + t);
	k.key_id = 3;
	k.method = MUISP_TAG_METHOD_FLOW;
	k.tagged = 1ULL << 33;
	k.skipped = 5;
	k.blocked = 6;
	k.denied = (1ULL << 40) + 7;
	k.spoofed = (1ULL << 36) + 8;
	for (t = MUISP_TAG_A_IFINDEX; t <= MUISP_TAG_A_MAX; t++)
		MUISP_NL_SET(&k, t);
	nlh = empty_msg(MUISP_CMD_TAG_GET);
	assert_int_equal(muisp_nl_tag_put(nlh, &k), 0);
	assert_int_equal(muisp_nl_tag_parse(nlh, &k2), 0);
	assert_memory_equal(&k, &k2, sizeof(k));

	memset(&u, 0, sizeof(u));
	u.uid = 1001;
	u.user = 7001;
	u.blocked = 1;
	u.addr.family = AF_INET6;
	memcpy(u.addr.a, "\x20\x01\x0d\xb8\0\x01\0\0\0\0\0\0\0\0\0\x20", 16);
	/* what a request carries (the counters are the dump's) */
	for (t = MUISP_TAG_USER_A_UID; t <= MUISP_TAG_USER_A_ADDR; t++)
		MUISP_NL_SET(&u, t);
	nlh = empty_msg(MUISP_CMD_TAG_USER_SET);
	assert_int_equal(muisp_nl_tag_user_put(nlh, &u), 0);
	/* uid and user 8 bytes each, the flag a u8 padded to 8, the
	 * address 4 + 16 */
	assert_int_equal(nlh->nlmsg_len, 16 + 4 + 8 + 8 + 8 + 20);
	assert_int_equal(muisp_nl_tag_user_parse(nlh, &u2), 0);
	assert_memory_equal(&u, &u2, sizeof(u));
	/* an IPv4 address: 4 bytes */
	memset(&u.addr, 0, sizeof(u.addr));
	u.addr.family = AF_INET;
	memcpy(u.addr.a, "\xc0\0\x02\x14", 4);
	nlh = empty_msg(MUISP_CMD_TAG_USER_SET);
	assert_int_equal(muisp_nl_tag_user_put(nlh, &u), 0);
	assert_int_equal(nlh->nlmsg_len, 16 + 4 + 8 + 8 + 8 + 8);
	assert_int_equal(muisp_nl_tag_user_parse(nlh, &u2), 0);
	assert_memory_equal(&u, &u2, sizeof(u));

	/* Without the flag (unblocked) and the address, no attribute: as
	 * before them. */
	u.blocked = 0;
	memset(&u.addr, 0, sizeof(u.addr));
	u.present &= ~(1ULL << MUISP_TAG_USER_A_BLOCKED |
		       1ULL << MUISP_TAG_USER_A_ADDR);
	nlh = empty_msg(MUISP_CMD_TAG_USER_SET);
	assert_int_equal(muisp_nl_tag_user_put(nlh, &u), 0);
	assert_int_equal(nlh->nlmsg_len, 16 + 4 + 8 + 8);
	assert_int_equal(muisp_nl_tag_user_parse(nlh, &u2), 0);
	assert_memory_equal(&u, &u2, sizeof(u));
	assert_false(MUISP_NL_HAS(&u2, MUISP_TAG_USER_A_BLOCKED));
	assert_false(MUISP_NL_HAS(&u2, MUISP_TAG_USER_A_ADDR));

	/* A dump's entry as the module puts it; a flag of another size is
	 * refused. */
	nlh = empty_msg(MUISP_CMD_TAG_USER_GET);
	mnl_attr_put_u32(nlh, MUISP_TAG_USER_A_UID, 1002);
	mnl_attr_put_u32(nlh, MUISP_TAG_USER_A_USER, 7002);
	mnl_attr_put_u8(nlh, MUISP_TAG_USER_A_BLOCKED, 1);
	mnl_attr_put(nlh, MUISP_TAG_USER_A_ADDR, 4, "\xc0\0\x02\x15");
	assert_int_equal(muisp_nl_tag_user_parse(nlh, &u2), 0);
	assert_true(MUISP_NL_HAS(&u2, MUISP_TAG_USER_A_BLOCKED));
	assert_int_equal(u2.blocked, 1);
	assert_true(MUISP_NL_HAS(&u2, MUISP_TAG_USER_A_ADDR));
	assert_int_equal(u2.addr.family, AF_INET);
	assert_memory_equal(u2.addr.a, "\xc0\0\x02\x15", 4);
	nlh = empty_msg(MUISP_CMD_TAG_USER_GET);
	mnl_attr_put_u32(nlh, MUISP_TAG_USER_A_BLOCKED, 1);
	errno = 0;
	assert_int_equal(muisp_nl_tag_user_parse(nlh, &u2), -1);
	assert_int_equal(errno, EBADMSG);
	/* an address of neither length is refused */
	nlh = empty_msg(MUISP_CMD_TAG_USER_GET);
	mnl_attr_put(nlh, MUISP_TAG_USER_A_ADDR, 6, "\xc0\0\x02\x15\0\0");
	errno = 0;
	assert_int_equal(muisp_nl_tag_user_parse(nlh, &u2), -1);
	assert_int_equal(errno, EBADMSG);
}

/* The type and u32/u64 value of the only attribute of a request. */
static void only_attr(const struct nlmsghdr *nlh, uint16_t *type, uint64_t *v)
{
	const struct nlattr *a;
	int n = 0;

	mnl_attr_for_each(a, nlh, MUISP_NL_HDRLEN)
	{
		*type = mnl_attr_get_type(a);
		*v = mnl_attr_get_payload_len(a) == 8 ? mnl_attr_get_u64(a) :
							mnl_attr_get_u32(a);
		n++;
	}
	assert_int_equal(n, 1);
}

/* Contract ids: 64 bits in one member, the u32 form on the wire while it
 * fits (a module older than the u64 form understands it), else the u64
 * form; either form parses into the member, flagged as the u32 one. */
static void test_wide_contract_id(void **state)
{
	struct muisp_nl_contract c, c2;
	struct muisp_nl_addr a;
	struct muisp_nl_event e;
	struct nlmsghdr *nlh;
	uint16_t type;
	uint64_t v;

	memset(&c, 0, sizeof(c));
	c.id = 0xffffffffULL;
	MUISP_NL_SET(&c, MUISP_CONTRACT_A_ID);
	nlh = empty_msg(MUISP_CMD_CONTRACT_GET);
	assert_int_equal(muisp_nl_contract_put(nlh, &c), 0);
	only_attr(nlh, &type, &v);
	assert_int_equal(type, MUISP_CONTRACT_A_ID);
	assert_int_equal(mnl_attr_get_payload_len(mnl_nlmsg_get_payload_offset(
				 nlh, MUISP_NL_HDRLEN)),
			 4);
	assert_int_equal(v, 0xffffffffULL);

	c.id = (1ULL << 32) + 5;
	nlh = empty_msg(MUISP_CMD_CONTRACT_GET);
	assert_int_equal(muisp_nl_contract_put(nlh, &c), 0);
	only_attr(nlh, &type, &v);
	assert_int_equal(type, MUISP_CONTRACT_A_ID64);
	assert_int_equal(v, (1ULL << 32) + 5);
	assert_int_equal(muisp_nl_contract_parse(nlh, &c2), 0);
	assert_int_equal(c2.id, (1ULL << 32) + 5);
	assert_int_equal(c2.present, 1ULL << MUISP_CONTRACT_A_ID);

	/* The largest id, and the u64 form's own bit puts nothing. */
	c.id = UINT64_MAX;
	MUISP_NL_SET(&c, MUISP_CONTRACT_A_ID64);
	nlh = empty_msg(MUISP_CMD_CONTRACT_GET);
	assert_int_equal(muisp_nl_contract_put(nlh, &c), 0);
	only_attr(nlh, &type, &v);
	assert_int_equal(type, MUISP_CONTRACT_A_ID64);
	assert_true(v == UINT64_MAX);
	c.present = 1ULL << MUISP_CONTRACT_A_ID64;
	nlh = empty_msg(MUISP_CMD_CONTRACT_GET);
	assert_int_equal(muisp_nl_contract_put(nlh, &c), 0);
	assert_int_equal(nlh->nlmsg_len, 16 + 4);

	/* A reply with both forms (the kernel's, below 2^32). */
	nlh = empty_msg(MUISP_CMD_ADDR_GET);
	mnl_attr_put_u32(nlh, MUISP_ADDR_A_CONTRACT_ID, 7);
	mnl_attr_put_u64(nlh, MUISP_ADDR_A_CONTRACT_ID64, 7);
	assert_int_equal(muisp_nl_addr_parse(nlh, &a), 0);
	assert_int_equal(a.contract_id, 7);
	assert_int_equal(a.present, 1ULL << MUISP_ADDR_A_CONTRACT_ID);

	/* An event above 2^32: only the u64 form. */
	nlh = empty_msg(MUISP_CMD_EVENT);
	mnl_attr_put_u64(nlh, MUISP_EVENT_A_CONTRACT_ID64, 1ULL << 40);
	assert_int_equal(muisp_nl_event_parse(nlh, &e), 0);
	assert_true(MUISP_NL_HAS(&e, MUISP_EVENT_A_CONTRACT_ID));
	assert_true(e.contract_id == 1ULL << 40);

	/* The u64 form with 4 bytes is malformed. */
	nlh = empty_msg(MUISP_CMD_ADDR_GET);
	mnl_attr_put_u32(nlh, MUISP_ADDR_A_CONTRACT_ID64, 7);
	errno = 0;
	assert_int_equal(muisp_nl_addr_parse(nlh, &a), -1);
	assert_int_equal(errno, EBADMSG);
}

static void test_codec_rejects(void **state)
{
	struct muisp_nl_addr a;
	struct muisp_nl_contract c;
	struct muisp_nl_block b;
	struct nlmsghdr *nlh;

	/* u32 attribute with 2 bytes. */
	nlh = empty_msg(MUISP_CMD_ADDR_GET);
	mnl_attr_put_u16(nlh, MUISP_ADDR_A_CONTRACT_ID, 7);
	errno = 0;
	assert_int_equal(muisp_nl_addr_parse(nlh, &a), -1);
	assert_int_equal(errno, EBADMSG);
	assert_int_equal(a.present, 0);
	/* Address of 5 bytes. */
	nlh = empty_msg(MUISP_CMD_ADDR_GET);
	mnl_attr_put(nlh, MUISP_ADDR_A_ADDR, 5, "\1\2\3\4\5");
	assert_int_equal(muisp_nl_addr_parse(nlh, &a), -1);
	assert_int_equal(errno, EBADMSG);
	/* MAC of 8 bytes. */
	nlh = empty_msg(MUISP_CMD_BLOCK_GET);
	mnl_attr_put_u64(nlh, MUISP_BLOCK_A_MAC, 1);
	assert_int_equal(muisp_nl_block_parse(nlh, &b), -1);
	assert_int_equal(errno, EBADMSG);
	/* u64 with 4 bytes. */
	nlh = empty_msg(MUISP_CMD_CONTRACT_GET);
	mnl_attr_put_u32(nlh, MUISP_CONTRACT_A_USED, 1);
	assert_int_equal(muisp_nl_contract_parse(nlh, &c), -1);
	assert_int_equal(errno, EBADMSG);
	/* Truncated attribute header. */
	nlh = empty_msg(MUISP_CMD_CONTRACT_GET);
	mnl_attr_put_u32(nlh, MUISP_CONTRACT_A_ID, 1);
	((struct nlattr *)((char *)nlh + 20))->nla_len = 200;
	assert_int_equal(muisp_nl_contract_parse(nlh, &c), -1);
	assert_int_equal(errno, EBADMSG);
	/* Newer attributes and PAD are ignored. */
	nlh = empty_msg(MUISP_CMD_CONTRACT_GET);
	mnl_attr_put_u32(nlh, MUISP_CONTRACT_A_PAD, 0);
	mnl_attr_put_u32(nlh, MUISP_CONTRACT_A_ID, 9);
	mnl_attr_put_u16(nlh, MUISP_CONTRACT_A_MAX + 1, 1);
	assert_int_equal(muisp_nl_contract_parse(nlh, &c), 0);
	assert_int_equal(c.present, 1ULL << MUISP_CONTRACT_A_ID);
	assert_int_equal(c.id, 9);
}

static void test_stats_event(void **state)
{
	struct muisp_nl_stats s;
	struct muisp_nl_event e;
	struct nlmsghdr *nlh = empty_msg(MUISP_CMD_STATS_GET);
	struct nlattr *n;
	unsigned int r;

	n = mnl_attr_nest_start(nlh, MUISP_STATS_A_DROPS);
	for (r = 1; r <= MUISP_DROP_MAX + 1; r++)
		mnl_attr_put_u64(nlh, (uint16_t)r, 100 + r);
	mnl_attr_nest_end(nlh, n);
	mnl_attr_put_u32(nlh, MUISP_STATS_A_FLOWS, 12);
	mnl_attr_put_u64(nlh, MUISP_STATS_A_EVICTIONS, 3);
	assert_int_equal(muisp_nl_stats_parse(nlh, &s), 0);
	assert_int_equal(s.drops_present,
			 ((1ULL << (MUISP_DROP_MAX + 1)) - 1) & ~1ULL);
	assert_int_equal(s.drops[MUISP_DROP_NOT_BOUND], 101);
	assert_int_equal(s.drops[MUISP_DROP_MAX], 100 + MUISP_DROP_MAX);
	assert_int_equal(s.flows, 12);
	assert_int_equal(s.evictions, 3);
	assert_true(MUISP_NL_HAS(&s, MUISP_STATS_A_DROPS));

	/* A drop counter that is not a u64. */
	nlh = empty_msg(MUISP_CMD_STATS_GET);
	n = mnl_attr_nest_start(nlh, MUISP_STATS_A_DROPS);
	mnl_attr_put_u32(nlh, MUISP_DROP_BLOCKED, 1);
	mnl_attr_nest_end(nlh, n);
	errno = 0;
	assert_int_equal(muisp_nl_stats_parse(nlh, &s), -1);
	assert_int_equal(errno, EBADMSG);

	nlh = empty_msg(MUISP_CMD_EVENT);
	mnl_attr_put_u8(nlh, MUISP_EVENT_A_TYPE, MUISP_EVENT_ADDR_STATE);
	mnl_attr_put_u64(nlh, MUISP_EVENT_A_TIME_MS, 5);
	mnl_attr_put(nlh, MUISP_EVENT_A_ADDR, 4, "\xc0\x00\x02\x0a");
	mnl_attr_put_u8(nlh, MUISP_EVENT_A_OLD_STATE,
			MUISP_ADDR_STATE_ALLOCATED);
	mnl_attr_put_u8(nlh, MUISP_EVENT_A_NEW_STATE, MUISP_ADDR_STATE_BOUND);
	assert_int_equal(muisp_nl_event_parse(nlh, &e), 0);
	assert_int_equal(muisp_nl_cmd(nlh), MUISP_CMD_EVENT);
	assert_int_equal(e.type, MUISP_EVENT_ADDR_STATE);
	assert_int_equal(e.time_ms, 5);
	assert_int_equal(e.addr.family, AF_INET);
	assert_int_equal(e.old_state, MUISP_ADDR_STATE_ALLOCATED);
	assert_int_equal(e.new_state, MUISP_ADDR_STATE_BOUND);
	assert_false(MUISP_NL_HAS(&e, MUISP_EVENT_A_CONTRACT_ID));
}

/* ---- live, against the kernel's genl controller ---- */

struct fams {
	int n;
	int saw_nlctrl;
};

static int fam_name_cb(const struct nlattr *a, void *data)
{
	struct fams *f = data;

	if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_NAME &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0 &&
	    strcmp(mnl_attr_get_str(a), "nlctrl") == 0)
		f->saw_nlctrl++;
	return MNL_CB_OK;
}

static int fams_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct fams *f = arg;

	f->n++;
	return mnl_attr_parse(nlh, 4, fam_name_cb, f) < 0 ? MNL_CB_ERROR :
							    MNL_CB_OK;
}

static void fams_reset(void *arg)
{
	memset(arg, 0, sizeof(struct fams));
}

static void test_live_nlctrl(void **state)
{
	struct muisp_nl *nl = muisp_nl_open_family("nlctrl", 0);
	struct fams f = { 0 };
	struct nlmsghdr *nlh;
	int i;

	assert_non_null(nl);
	assert_int_equal(muisp_nl_family_id(nl), GENL_ID_CTRL);
	assert_true(muisp_nl_family_version(nl) >= 1);
	assert_true(muisp_nl_group_id(nl, "notify") > 0);
	errno = 0;
	assert_int_equal(muisp_nl_group_id(nl, "no-such-group"), -1);
	assert_int_equal(errno, ENOENT);

	/* A full dump, twice on the same handle: the second must not see
	 * leftovers of the first. */
	for (i = 0; i < 2; i++) {
		memset(&f, 0, sizeof(f));
		nlh = muisp_nl_msg(nl, CTRL_CMD_GETFAMILY, 0);
		assert_int_equal(
			muisp_nl_dump(nl, nlh, fams_cb, fams_reset, &f), 0);
		assert_true(f.n >= 1);
		assert_int_equal(f.saw_nlctrl, 1);
		assert_int_equal(muisp_nl_dump_restarts(nl), 0);
	}

	/* Unknown command: EOPNOTSUPP. */
	nlh = muisp_nl_msg(nl, 0xee, 0);
	errno = 0;
	assert_int_equal(muisp_nl_request(nl, nlh, NULL, NULL), -1);
	assert_int_equal(errno, EOPNOTSUPP);

	/* GETFAMILY of an unknown family: ENOENT, and the handle still
	 * works afterwards. */
	nlh = muisp_nl_msg(nl, CTRL_CMD_GETFAMILY, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "muisp-test-none");
	errno = 0;
	assert_int_equal(muisp_nl_request(nl, nlh, NULL, NULL), -1);
	assert_int_equal(errno, ENOENT);
	nlh = muisp_nl_msg(nl, CTRL_CMD_GETFAMILY, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "nlctrl");
	memset(&f, 0, sizeof(f));
	assert_int_equal(muisp_nl_request(nl, nlh, fams_cb, &f), 0);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.saw_nlctrl, 1);
	muisp_nl_close(nl);
}

static void post_err_cb(const struct muisp_nl_ext *ext, void *arg)
{
	int *errs = arg;

	errs[errs[0] + 1] = ext->error;
	errs[0]++;
}

/* Posted requests: nothing is sent before the flush, then all in one
 * datagram, in order; only the failed ones answer, and post_errors reads
 * them (a success's reply is skipped). */
static void test_live_post(void **state)
{
	struct muisp_nl *nl = muisp_nl_open_family("nlctrl", MUISP_NL_NONBLOCK);
	struct nlmsghdr *nlh;
	int errs[8] = { 0 };

	assert_non_null(nl);
	nlh = muisp_nl_msg(nl, CTRL_CMD_GETFAMILY, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "muisp-test-none");
	assert_int_equal(muisp_nl_post(nl, nlh), 0);
	nlh = muisp_nl_msg(nl, CTRL_CMD_GETFAMILY, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "nlctrl");
	assert_int_equal(muisp_nl_post(nl, nlh), 0);
	nlh = muisp_nl_msg(nl, 0xee, 0);
	assert_int_equal(muisp_nl_post(nl, nlh), 0);
	/* not sent yet: nothing to read */
	assert_int_equal(muisp_nl_post_errors(nl, post_err_cb, errs), 0);
	assert_int_equal(errs[0], 0);
	assert_int_equal(muisp_nl_flush(nl), 0);
	assert_int_equal(muisp_nl_flush(nl), 0); /* nothing left: no-op */
	assert_int_equal(muisp_nl_post_errors(nl, post_err_cb, errs), 2);
	assert_int_equal(errs[0], 2);
	assert_int_equal(errs[1], ENOENT);
	assert_int_equal(errs[2], EOPNOTSUPP);
	/* a request on the same handle still works */
	nlh = muisp_nl_msg(nl, CTRL_CMD_GETFAMILY, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "nlctrl");
	assert_int_equal(muisp_nl_request(nl, nlh, NULL, NULL), 0);
	muisp_nl_close(nl);
}

static void test_live_extack(void **state)
{
	struct muisp_nl *nl = muisp_nl_open_family("nlctrl", 0);
	struct nlmsghdr *nlh;
	uint8_t one = 1;

	assert_non_null(nl);
	/* CTRL_ATTR_FAMILY_ID is a u16: one byte fails the policy, and the
	 * extended ack points at it. */
	nlh = muisp_nl_msg(nl, CTRL_CMD_GETFAMILY, 0);
	mnl_attr_put(nlh, CTRL_ATTR_FAMILY_ID, 1, &one);
	errno = 0;
	assert_int_equal(muisp_nl_request(nl, nlh, NULL, NULL), -1);
	/* ERANGE from nla_validate on current kernels, EINVAL on some. */
	assert_true(errno == ERANGE || errno == EINVAL);
	assert_int_equal(muisp_nl_ext_attr(nl), CTRL_ATTR_FAMILY_ID);
	assert_non_null(muisp_nl_ext_msg(nl));
	muisp_nl_close(nl);
}

static void test_live_open_errors(void **state)
{
	struct muisp_nl *nl;

	errno = 0;
	assert_null(muisp_nl_open_family("muisp-test-none", 0));
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_null(muisp_nl_open_family(
		"a-family-name-longer-than-genl-namsiz", 0));
	assert_int_equal(errno, ENAMETOOLONG);

	/* Event handle: joined, non-blocking, nothing queued -> EAGAIN;
	 * and it refuses requests. */
	nl = muisp_nl_open_family("nlctrl", MUISP_NL_NONBLOCK);
	assert_non_null(nl);
	assert_int_equal(muisp_nl_join(nl, "notify"), 0);
	assert_int_equal(muisp_nl_set_rcvbuf(nl, 1 << 20), 0);
	errno = 0;
	assert_int_equal(muisp_nl_recv(nl, fams_cb, NULL), -1);
	assert_int_equal(errno, EAGAIN);
	errno = 0;
	assert_int_equal(
		muisp_nl_request(nl, muisp_nl_msg(nl, CTRL_CMD_GETFAMILY, 0),
				 NULL, NULL),
		-1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(muisp_nl_join(nl, "nope"), -1);
	assert_int_equal(errno, ENOENT);
	muisp_nl_close(nl);
	muisp_nl_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attr_at),
		cmocka_unit_test(test_ext_capped),
		cmocka_unit_test(test_ext_uncapped),
		cmocka_unit_test(test_ext_plain_ack),
		cmocka_unit_test(test_ext_done),
		cmocka_unit_test(test_ext_malformed),
		cmocka_unit_test(test_run_dump_intr),
		cmocka_unit_test(test_run_stop_and_error),
		cmocka_unit_test(test_run_bogus_lengths),
		cmocka_unit_test(test_parse_family),
		cmocka_unit_test(test_parse_ctrl),
		cmocka_unit_test(test_addr_roundtrip),
		cmocka_unit_test(test_contract_flow_roundtrip),
		cmocka_unit_test(test_parse_unaligned_length),
		cmocka_unit_test(test_lists_config_roundtrip),
		cmocka_unit_test(test_tag_roundtrip),
		cmocka_unit_test(test_wide_contract_id),
		cmocka_unit_test(test_codec_rejects),
		cmocka_unit_test(test_stats_event),
		cmocka_unit_test(test_live_nlctrl),
		cmocka_unit_test(test_live_post),
		cmocka_unit_test(test_live_extack),
		cmocka_unit_test(test_live_open_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

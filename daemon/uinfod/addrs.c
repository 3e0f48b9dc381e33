// SPDX-License-Identifier: GPL-2.0
/*
 * The Multi-IP scheme on the host (thesis ch. 6; uinfod.h): a user with an
 * address of their own has it on the interface, and policy routing makes
 * it the source of their sockets' packets: a rule for their uid
 * (FRA_UID_RANGE, the kernel's per-uid routing) selects a table of their
 * own whose routes (the address's subnet on the interface, the main
 * table's default gateway) say src = their address.  The router then
 * meters them by address, unmodified; the module checks the other half,
 * that their packets carry their address and no one else's do.
 *
 * Everything made here is marked as ours (IFA_PROTO, the routes' and
 * rules' protocol), so each start removes all of it first and makes
 * what the configuration says: a user gone from it loses address, rule
 * and routes.  rtnetlink through libmnl, one request at a time, each
 * acknowledged.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "log.h"
#include "uinfod.h"

#define ADDRS_PROTO 0x6d /* IFA_PROTO, rtm_protocol, FRA_PROTOCOL: ours */
#define ADDRS_PRIO  1000 /* the rules' priority: before main's (32766) */

struct rt {
	struct mnl_socket *nl;
	uint32_t portid, seq;
	char buf[65536]; /* a dump's batch at most */
};

/* Send nlh and read its acknowledgement, or with cb a dump's every
 * message through cb.  0, or -errno. */
static int rt_talk(struct rt *r, struct nlmsghdr *nlh, mnl_cb_t cb, void *arg)
{
	int n;

	nlh->nlmsg_seq = ++r->seq;
	if (!cb) /* a change: its answer is the acknowledgement */
		nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(r->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = (int)mnl_socket_recvfrom(r->nl, r->buf, sizeof(r->buf));
		if (n < 0)
			return -errno;
		n = mnl_cb_run(r->buf, (size_t)n, r->seq, r->portid, cb, arg);
	} while (n > 0);
	return n < 0 ? -errno : 0;
}

static struct nlmsghdr *rt_msg(struct rt *r, uint16_t type, uint16_t flags,
			       size_t hdr)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(r->buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	mnl_nlmsg_put_extra_header(nlh, hdr);
	return nlh;
}

/* ---- what an earlier start made, found and removed ---- */

/* Up to this many of ours removed per kind and start. */
#define ADDRS_GONE_MAX 4096

struct gone {
	uint32_t table;			/* routes of this table only; 0 all */
	const struct uinfod_user *addr; /* this address only; NULL all */
	uint32_t n;
	struct nlmsghdr *v[ADDRS_GONE_MAX]; /* copies of the dumped messages */
	char *mem;
	size_t used, cap;
};

static int gone_keep(struct gone *g, const struct nlmsghdr *nlh)
{
	size_t len = MNL_ALIGN(nlh->nlmsg_len);

	if (g->n == ADDRS_GONE_MAX || g->used + len > g->cap)
		return MNL_CB_ERROR;
	g->v[g->n] = (struct nlmsghdr *)(g->mem + g->used);
	memcpy(g->v[g->n++], nlh, nlh->nlmsg_len);
	g->used += len;
	return MNL_CB_OK;
}

static int addr_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(a, IFA_MAX) > 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int gone_addr(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[IFA_MAX + 1] = { 0 };

	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct uinfod_user *u = ((struct gone *)arg)->addr;

	mnl_attr_parse(nlh, sizeof(*ifa), addr_attr, tb);
	if (!tb[IFA_PROTO] || mnl_attr_get_u8(tb[IFA_PROTO]) != ADDRS_PROTO)
		return MNL_CB_OK;
	if (u && (ifa->ifa_family != u->family || !tb[IFA_LOCAL] ||
		  memcmp(mnl_attr_get_payload(tb[IFA_LOCAL]), u->addr,
			 u->family == AF_INET ? 4 : 16)))
		return MNL_CB_OK;
	return gone_keep(arg, nlh);
}

static int route_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(a, RTA_MAX) > 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int gone_route(const struct nlmsghdr *nlh, void *arg)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	uint32_t table = ((struct gone *)arg)->table;

	if (rtm->rtm_protocol != ADDRS_PROTO)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*rtm), route_attr, tb);
	if (table && (tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) :
				      rtm->rtm_table) != table)
		return MNL_CB_OK;
	return gone_keep(arg, nlh);
}

/* Dump type (all families) through cb into g, then delete each with
 * del: 0, or -errno. */
static int remove_ours(struct rt *r, uint16_t type, uint16_t del, size_t hdr,
		       mnl_cb_t cb, struct gone *g)
{
	struct nlmsghdr *nlh = rt_msg(r, type, NLM_F_DUMP, hdr);
	int rc;

	g->n = 0;
	g->used = 0;
	rc = rt_talk(r, nlh, cb, g);
	for (uint32_t i = 0; !rc && i < g->n; i++) {
		nlh = rt_msg(r, del, 0, 0);
		memcpy(nlh + 1, g->v[i] + 1,
		       g->v[i]->nlmsg_len - sizeof(struct nlmsghdr));
		nlh->nlmsg_len = g->v[i]->nlmsg_len;
		rc = rt_talk(r, nlh, NULL, NULL);
		if (rc == -ENOENT || rc == -EADDRNOTAVAIL || rc == -ESRCH)
			rc = 0; /* gone with another (an address's routes) */
	}
	return rc;
}

/* Our rules, of each family (table: those selecting it): deleted by
 * priority and protocol until none is left. */
static int remove_rules(struct rt *r, uint32_t table)
{
	static const int fam[] = { AF_INET, AF_INET6 };

	for (unsigned int i = 0; i < 2; i++) {
		for (unsigned int k = 0; k < ADDRS_GONE_MAX; k++) {
			struct nlmsghdr *nlh = rt_msg(
				r, RTM_DELRULE, 0, sizeof(struct fib_rule_hdr));
			struct fib_rule_hdr *h = mnl_nlmsg_get_payload(nlh);
			int rc;

			h->family = (uint8_t)fam[i];
			mnl_attr_put_u32(nlh, FRA_PRIORITY, ADDRS_PRIO);
			mnl_attr_put_u8(nlh, FRA_PROTOCOL, ADDRS_PROTO);
			if (table)
				mnl_attr_put_u32(nlh, FRA_TABLE, table);
			rc = rt_talk(r, nlh, NULL, NULL);
			if (rc == -ENOENT || rc == -EAFNOSUPPORT)
				break;
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* ---- the default gateway through the interface ---- */

struct gw {
	uint32_t ifindex;
	int family;
	uint8_t addr[16];
	int found;
};

static int find_gw(const struct nlmsghdr *nlh, void *arg)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	struct gw *g = arg;
	size_t len = g->family == AF_INET ? 4 : 16;
	uint32_t table;

	mnl_attr_parse(nlh, sizeof(*rtm), route_attr, tb);
	table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) :
				rtm->rtm_table;
	if (g->found || rtm->rtm_family != g->family || rtm->rtm_dst_len ||
	    table != RT_TABLE_MAIN || rtm->rtm_type != RTN_UNICAST ||
	    !tb[RTA_OIF] || mnl_attr_get_u32(tb[RTA_OIF]) != g->ifindex ||
	    !tb[RTA_GATEWAY] ||
	    mnl_attr_get_payload_len(tb[RTA_GATEWAY]) != len)
		return MNL_CB_OK;
	memcpy(g->addr, mnl_attr_get_payload(tb[RTA_GATEWAY]), len);
	g->found = 1;
	return MNL_CB_OK;
}

static int gateway(struct rt *r, struct gw *g)
{
	struct nlmsghdr *nlh =
		rt_msg(r, RTM_GETROUTE, NLM_F_DUMP, sizeof(struct rtmsg));
	struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

	rtm->rtm_family = (uint8_t)g->family;
	return rt_talk(r, nlh, find_gw, g);
}

/* ---- a user's address, routes and rule ---- */

static int add_addr(struct rt *r, uint32_t ifindex, const struct uinfod_user *u)
{
	struct nlmsghdr *nlh = rt_msg(r, RTM_NEWADDR,
				      NLM_F_CREATE | NLM_F_REPLACE,
				      sizeof(struct ifaddrmsg));
	struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	size_t len = u->family == AF_INET ? 4 : 16;

	ifa->ifa_family = u->family;
	ifa->ifa_prefixlen = u->plen;
	ifa->ifa_index = ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	mnl_attr_put(nlh, IFA_LOCAL, len, u->addr);
	mnl_attr_put(nlh, IFA_ADDRESS, len, u->addr);
	/* the subnet's route is the main table's already; no wait for DAD:
	 * the address is the router's to give, not the link's to probe */
	mnl_attr_put_u32(nlh, IFA_FLAGS,
			 IFA_F_NOPREFIXROUTE |
				 (u->family == AF_INET6 ? IFA_F_NODAD : 0));
	mnl_attr_put_u8(nlh, IFA_PROTO, ADDRS_PROTO);
	if (u->family == AF_INET6) {
		/* deprecated: IPv6's source selection (RFC 6724) would
		 * otherwise give it to anyone's socket; the user's routes
		 * name it (RTA_PREFSRC), which a deprecated address serves */
		struct ifa_cacheinfo ci = { .ifa_prefered = 0,
					    .ifa_valid = 0xffffffffu };

		mnl_attr_put(nlh, IFA_CACHEINFO, sizeof(ci), &ci);
	}
	return rt_talk(r, nlh, NULL, NULL);
}

/* In table: dst/dlen (gw: through it) out of ifindex, src = u's address. */
static int add_route(struct rt *r, uint32_t table, uint32_t ifindex,
		     const struct uinfod_user *u, const uint8_t *dst,
		     uint8_t dlen, const uint8_t *gw)
{
	struct nlmsghdr *nlh = rt_msg(r, RTM_NEWROUTE,
				      NLM_F_CREATE | NLM_F_REPLACE,
				      sizeof(struct rtmsg));
	struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	size_t len = u->family == AF_INET ? 4 : 16;

	rtm->rtm_family = u->family;
	rtm->rtm_dst_len = dlen;
	rtm->rtm_table = RT_TABLE_UNSPEC; /* RTA_TABLE: 32 bits */
	rtm->rtm_protocol = ADDRS_PROTO;
	rtm->rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	if (dlen)
		mnl_attr_put(nlh, RTA_DST, len, dst);
	if (gw)
		mnl_attr_put(nlh, RTA_GATEWAY, len, gw);
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	mnl_attr_put(nlh, RTA_PREFSRC, len, u->addr);
	return rt_talk(r, nlh, NULL, NULL);
}

static int add_rule(struct rt *r, uint32_t table, const struct uinfod_user *u)
{
	struct nlmsghdr *nlh = rt_msg(r, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL,
				      sizeof(struct fib_rule_hdr));
	struct fib_rule_hdr *h = mnl_nlmsg_get_payload(nlh);
	struct fib_rule_uid_range range = { u->uid, u->uid };

	h->family = u->family;
	h->action = FR_ACT_TO_TBL;
	mnl_attr_put_u32(nlh, FRA_TABLE, table);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, ADDRS_PRIO);
	mnl_attr_put_u8(nlh, FRA_PROTOCOL, ADDRS_PROTO);
	mnl_attr_put(nlh, FRA_UID_RANGE, sizeof(range), &range);
	return rt_talk(r, nlh, NULL, NULL);
}

/* u's address, its table (routes) and its rule: 0, or -errno and what
 * failed in *what. */
static int add_user(struct rt *r, uint32_t ifindex, uint32_t table,
		    const struct uinfod_user *u, const struct gw *gw,
		    const char **what)
{
	unsigned int max = u->family == AF_INET ? 32 : 128;
	uint8_t net[16] = { 0 };
	int rc;

	*what = "address";
	rc = add_addr(r, ifindex, u);
	if (!rc && u->plen < max) {
		memcpy(net, u->addr, (u->plen + 7) / 8);
		if (u->plen % 8)
			net[u->plen / 8] &=
				(uint8_t)(0xff << (8 - u->plen % 8));
		*what = "the subnet's route";
		rc = add_route(r, table, ifindex, u, net, u->plen, NULL);
	}
	if (!rc && gw->found) {
		*what = "the default route";
		rc = add_route(r, table, ifindex, u, NULL, 0, gw->addr);
	}
	if (!rc) {
		*what = "the rule";
		rc = add_rule(r, table, u);
	}
	return rc;
}

/* rtnetlink, or NULL with -errno in *rc. */
static struct rt *rt_open(int *rc)
{
	struct rt *r = calloc(1, sizeof(*r));

	if (!r) {
		*rc = -ENOMEM;
		return NULL;
	}
	r->nl = mnl_socket_open(NETLINK_ROUTE);
	if (!r->nl || mnl_socket_bind(r->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		*rc = -errno;
		if (r->nl)
			mnl_socket_close(r->nl);
		free(r);
		return NULL;
	}
	r->portid = mnl_socket_get_portid(r->nl);
	r->seq = (uint32_t)time(NULL);
	return r;
}

static void rt_close(struct rt *r)
{
	if (r)
		mnl_socket_close(r->nl);
	free(r);
}

/* The dumps' copies: large, one user of them at a time (one thread). */
static struct gone g;
static char gone_mem[1 << 20];

int uinfod_addrs_apply(uint32_t ifindex, const struct uinfod_conf *c)
{
	struct gw gw4 = { ifindex, AF_INET, { 0 }, 0 };
	struct gw gw6 = { ifindex, AF_INET6, { 0 }, 0 };
	const struct uinfod_user *bad = NULL;
	unsigned int i, n = 0;
	const char *what = "rtnetlink";
	struct rt *r;
	int rc = 0;

	r = rt_open(&rc);
	if (!r)
		goto out;
	g.mem = gone_mem;
	g.cap = sizeof(gone_mem);
	g.table = 0;
	g.addr = NULL;
	/* what an earlier start made goes first */
	what = "the rules of an earlier start";
	rc = remove_rules(r, 0);
	if (!rc) {
		what = "the routes of an earlier start";
		rc = remove_ours(r, RTM_GETROUTE, RTM_DELROUTE,
				 sizeof(struct rtmsg), gone_route, &g);
	}
	if (!rc) {
		what = "the addresses of an earlier start";
		rc = remove_ours(r, RTM_GETADDR, RTM_DELADDR,
				 sizeof(struct ifaddrmsg), gone_addr, &g);
	}
	if (!rc) {
		what = "the default gateway";
		rc = gateway(r, &gw4);
		if (!rc)
			rc = gateway(r, &gw6);
	}
	for (i = 0; !rc && i < c->nusers; i++) {
		const struct uinfod_user *u = &c->users[i];

		if (!u->family)
			continue;
		rc = add_user(r, ifindex, UINFOD_ADDRS_TABLE + i, u,
			      u->family == AF_INET ? &gw4 : &gw6, &what);
		if (rc)
			bad = u;
		else
			n++;
	}
	if (!rc && n)
		log_info("%u user%s with an address of their own (rules at "
			 "priority %u)",
			 n, n == 1 ? "" : "s", ADDRS_PRIO);
out:
	if (rc && bad) {
		char a[INET6_ADDRSTRLEN];

		inet_ntop(bad->family, bad->addr, a, sizeof(a));
		log_warnx("uid %u's own address %s/%u: %s: %s", bad->uid, a,
			  bad->plen, what, strerror(-rc));
	} else if (rc) {
		log_warnx("own addresses: %s: %s", what, strerror(-rc));
	}
	rt_close(r);
	return rc ? -1 : 0;
}

int uinfod_addrs_user(uint32_t ifindex, const struct uinfod_conf *c,
		      const struct uinfod_user *u, const uint8_t *gw, int add)
{
	uint32_t table = UINFOD_ADDRS_TABLE + (uint32_t)(u - c->users);
	struct gw via = { ifindex, u->family, { 0 }, 0 };
	const char *what = "rtnetlink";
	char a[INET6_ADDRSTRLEN];
	struct rt *r;
	int rc = 0;

	r = rt_open(&rc);
	if (r && add) {
		what = "the default gateway";
		if (gw) {
			memcpy(via.addr, gw, u->family == AF_INET ? 4 : 16);
			via.found = 1;
		} else {
			rc = gateway(r, &via);
		}
		if (!rc)
			rc = add_user(r, ifindex, table, u, &via, &what);
	} else if (r) {
		/* the rule first: the user's sockets back on the host's */
		g.mem = gone_mem;
		g.cap = sizeof(gone_mem);
		what = "the rule";
		rc = remove_rules(r, table);
		g.table = table;
		g.addr = NULL;
		if (!rc) {
			what = "the routes";
			rc = remove_ours(r, RTM_GETROUTE, RTM_DELROUTE,
					 sizeof(struct rtmsg), gone_route, &g);
		}
		g.table = 0;
		g.addr = u;
		if (!rc) {
			what = "the address";
			rc = remove_ours(r, RTM_GETADDR, RTM_DELADDR,
					 sizeof(struct ifaddrmsg), gone_addr,
					 &g);
		}
		g.addr = NULL;
	}
	rt_close(r);
	if (!rc)
		return 0;
	inet_ntop(u->family, u->addr, a, sizeof(a));
	log_warnx("uid %u's own address %s/%u: %s %s: %s", u->uid, a, u->plen,
		  add ? "adding" : "removing", what, strerror(-rc));
	return -1;
}

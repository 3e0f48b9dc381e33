// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "muisp" (see include/uapi/muisp.h for the
 * documentation of every command and attribute): the handlers.
 *
 * The family's spec, include/uapi/muisp.yaml, gives every op its strict
 * policy, its flags (CAP_NET_ADMIN in the namespace's user namespace) and
 * the name of its handlers here; scripts/nlspec.py writes them into
 * netlink_gen.c and netlink_gen.h.  Changes run under the namespace's mutex.
 * Dumps resume from a stable id kept in cb->args (addresses, contracts,
 * lists: xarray indices) or a flow-table cursor in cb->ctx, and report
 * changes during the dump through a per-table generation counter and
 * genl_dump_check_consistent().
 *
 * Limits: a caller with CAP_NET_ADMIN in the initial user namespace may
 * fill the tables to MUISP_MAX_*, any other (the root of a container's
 * user namespace) to MUISP_USERNS_MAX_*, and set max_flows up to
 * MUISP_USERNS_MAX_FLOWS only.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/ktime.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "compat.h"
#include "muisp.h"
#include "flowtable.h"
#include "netlink_gen.h"

/* ---- helpers ----------------------------------------------------------- */

static struct muisp_net *info_mn(struct genl_info *info)
{
	return muisp_net(genl_info_net(info));
}

/* The sender may use the full limits (see the uAPI header's Limits). */
static bool init_admin(const struct sk_buff *skb)
{
	return netlink_ns_capable(skb, &init_user_ns, CAP_NET_ADMIN);
}

#define LIMIT(skb, what) \
	(init_admin(skb) ? MUISP_MAX_##what : MUISP_USERNS_MAX_##what)

/*
 * A contract id in its u32 (a32) or u64 (a64) form, not both.  Returns 1
 * with *id set, 0 if neither is there, or an error.
 */
static int nla_contract_id(struct nlattr **tb, int a32, int a64, u64 *id,
			   struct netlink_ext_ack *extack)
{
	if (tb[a32] && tb[a64]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[a64],
				    "contract id given in both forms");
		return -EINVAL;
	}
	if (tb[a32])
		*id = nla_get_u32(tb[a32]);
	else if (tb[a64])
		*id = nla_get_u64(tb[a64]);
	else
		return 0;
	/* contracts are indexed by an unsigned long */
	if (BITS_PER_LONG == 32 && *id > U32_MAX) {
		NL_SET_ERR_MSG_ATTR(extack, tb[a64],
				    "contract ids above 2^32 - 1 need a 64-bit kernel");
		return -ERANGE;
	}
	return 1;
}

/* The same for a required id: a missing one is reported as the u32. */
static int req_contract_id(struct genl_info *info, int a32, int a64, u64 *id)
{
	int ret = nla_contract_id(info->attrs, a32, a64, id, info->extack);

	if (!ret) {
		NL_SET_ERR_ATTR_MISS(info->extack, NULL, a32);
		return -EINVAL;
	}
	return ret < 0 ? ret : 0;
}

static void nla_to_addr(const struct nlattr *nla, __be32 *addr, u8 *family)
{
	memset(addr, 0, 16);
	memcpy(addr, nla_data(nla), nla_len(nla));
	*family = nla_len(nla) == 16 ? MUISP_AF_INET6 : MUISP_AF_INET;
}

static int put_ip(struct sk_buff *skb, int type, u8 family,
		  const __be32 *addr)
{
	return nla_put(skb, type, family == MUISP_AF_INET6 ? 16 : 4, addr);
}

static void *msg_put(struct sk_buff *skb, u32 portid, u32 seq, int flags,
		     u8 cmd, struct netlink_callback *cb)
{
	void *hdr = genlmsg_put(skb, portid, seq, &muisp_genl_family, flags,
				cmd);

	if (hdr && cb)
		genl_dump_check_consistent(cb, hdr);
	return hdr;
}

/* Send a one-object reply built by fill(). */
static int reply(struct genl_info *info, u8 cmd,
		 int (*fill)(struct sk_buff *skb, const void *obj,
			     struct muisp_net *mn),
		 const void *obj, struct muisp_net *mn)
{
	struct sk_buff *skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	void *hdr;
	int ret;

	if (!skb)
		return -ENOMEM;
	hdr = genlmsg_put_reply(skb, info, &muisp_genl_family, 0, cmd);
	if (!hdr) {
		ret = -EMSGSIZE;
		goto err;
	}
	ret = fill(skb, obj, mn);
	if (ret)
		goto err;
	genlmsg_end(skb, hdr);
	return genlmsg_reply(skb, info);
err:
	nlmsg_free(skb);
	return ret;
}

/* ---- addresses ---------------------------------------------------------- */

static int fill_addr(struct sk_buff *skb, const void *obj,
		     struct muisp_net *mn)
{
	const struct muisp_addr *a = obj;
	struct muisp_contract *c;

	if (nla_put_u32(skb, MUISP_ADDR_A_ID, a->id) ||
	    put_ip(skb, MUISP_ADDR_A_ADDR, a->key.family, a->key.addr) ||
	    nla_put_u8(skb, MUISP_ADDR_A_STATE, a->state) ||
	    muisp_put_contract_id(skb, MUISP_ADDR_A_CONTRACT_ID,
				  MUISP_ADDR_A_CONTRACT_ID64, MUISP_ADDR_A_PAD,
				  a->contract_id))
		return -EMSGSIZE;
	if (a->contract_id) {
		rcu_read_lock();
		c = muisp_contract_lookup(mn, a->contract_id);
		if (c && nla_put_u8(skb, MUISP_ADDR_A_CONTRACT_STATUS,
				    READ_ONCE(c->status))) {
			rcu_read_unlock();
			return -EMSGSIZE;
		}
		rcu_read_unlock();
	}
	if (a->has_mac && nla_put(skb, MUISP_ADDR_A_MAC, ETH_ALEN, a->mac))
		return -EMSGSIZE;
	if (!a->tun.spi)
		return 0;
	if (nla_put_u32(skb, MUISP_ADDR_A_XFRM_SPI, a->tun.spi) ||
	    nla_put_u8(skb, MUISP_ADDR_A_XFRM_PROTO, a->tun.proto) ||
	    (a->tun.spi_prev &&
	     nla_put_u32(skb, MUISP_ADDR_A_XFRM_SPI_PREV, a->tun.spi_prev)) ||
	    (a->tun.reqid &&
	     nla_put_u32(skb, MUISP_ADDR_A_XFRM_REQID, a->tun.reqid)) ||
	    (a->tun.if_id &&
	     nla_put_u32(skb, MUISP_ADDR_A_XFRM_IF_ID, a->tun.if_id)))
		return -EMSGSIZE;
	return 0;
}

/* 1 if the request carries a tunnel identity (XFRM_SPI), 0 if not. */
static int nla_to_tunnel(struct genl_info *info, struct muisp_tunnel_id *t)
{
	struct nlattr **tb = info->attrs;
	struct nlattr *extra = tb[MUISP_ADDR_A_XFRM_SPI_PREV] ?:
			       tb[MUISP_ADDR_A_XFRM_REQID] ?:
			       tb[MUISP_ADDR_A_XFRM_IF_ID];

	if (!tb[MUISP_ADDR_A_XFRM_SPI]) {
		extra = extra ?: tb[MUISP_ADDR_A_XFRM_PROTO];
		if (!extra)
			return 0;
		NL_SET_ERR_MSG_ATTR(info->extack, extra,
				    "tunnel attributes need XFRM_SPI");
		return -EINVAL;
	}
	t->spi = nla_get_u32(tb[MUISP_ADDR_A_XFRM_SPI]);
	if (!t->spi) {		/* clears the identity */
		if (extra || tb[MUISP_ADDR_A_XFRM_PROTO]) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    extra ?: tb[MUISP_ADDR_A_XFRM_PROTO],
					    "XFRM_SPI 0 clears the tunnel");
			return -EINVAL;
		}
		return 1;
	}
	if (GENL_REQ_ATTR_CHECK(info, MUISP_ADDR_A_XFRM_PROTO))
		return -EINVAL;
	t->proto = nla_get_u8(tb[MUISP_ADDR_A_XFRM_PROTO]);
	if (tb[MUISP_ADDR_A_XFRM_SPI_PREV])
		t->spi_prev = nla_get_u32(tb[MUISP_ADDR_A_XFRM_SPI_PREV]);
	if (tb[MUISP_ADDR_A_XFRM_REQID])
		t->reqid = nla_get_u32(tb[MUISP_ADDR_A_XFRM_REQID]);
	if (tb[MUISP_ADDR_A_XFRM_IF_ID])
		t->if_id = nla_get_u32(tb[MUISP_ADDR_A_XFRM_IF_ID]);
	return 1;
}

int muisp_nl_addr_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct muisp_net *mn = info_mn(info);
	struct nlattr **tb = info->attrs;
	struct muisp_addr tmpl = {};
	u32 flags = 0;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, MUISP_ADDR_A_ADDR) ||
	    GENL_REQ_ATTR_CHECK(info, MUISP_ADDR_A_STATE))
		return -EINVAL;
	nla_to_addr(tb[MUISP_ADDR_A_ADDR], tmpl.key.addr, &tmpl.key.family);
	tmpl.state = nla_get_u8(tb[MUISP_ADDR_A_STATE]);
	if (tmpl.state == MUISP_ADDR_STATE_BOUND) {
		ret = req_contract_id(info, MUISP_ADDR_A_CONTRACT_ID,
				      MUISP_ADDR_A_CONTRACT_ID64,
				      &tmpl.contract_id);
		if (ret)
			return ret;
	} else if (tb[MUISP_ADDR_A_CONTRACT_ID] ||
		   tb[MUISP_ADDR_A_CONTRACT_ID64]) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    tb[MUISP_ADDR_A_CONTRACT_ID] ?:
				    tb[MUISP_ADDR_A_CONTRACT_ID64],
				    "a contract id needs state BOUND");
		return -EINVAL;
	}
	if (tb[MUISP_ADDR_A_MAC]) {
		tmpl.has_mac = 1;
		ether_addr_copy(tmpl.mac, nla_data(tb[MUISP_ADDR_A_MAC]));
	}
	ret = nla_to_tunnel(info, &tmpl.tun);
	if (ret < 0)
		return ret;
	if (tb[MUISP_ADDR_A_FLAGS])
		flags = nla_get_u32(tb[MUISP_ADDR_A_FLAGS]);
	if (ret)
		flags |= MUISP_ADDR_SET_TUNNEL;

	mutex_lock(&mn->lock);
	ret = muisp_addr_set(mn, &tmpl, flags, LIMIT(skb, ADDRS),
			     info->extack);
	mutex_unlock(&mn->lock);
	return ret;
}

int muisp_nl_addr_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct muisp_net *mn = info_mn(info);
	struct muisp_addr_key key = {};
	struct muisp_addr *a;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, MUISP_ADDR_A_ADDR))
		return -EINVAL;
	nla_to_addr(info->attrs[MUISP_ADDR_A_ADDR], key.addr, &key.family);
	mutex_lock(&mn->lock);
	a = muisp_addr_lookup(mn, &key);
	if (a) {
		ret = reply(info, MUISP_CMD_ADDR_GET, fill_addr, a, mn);
	} else {
		NL_SET_ERR_MSG(info->extack, "no such address");
		ret = -ENOENT;
	}
	mutex_unlock(&mn->lock);
	return ret;
}

int muisp_nl_addr_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct muisp_net *mn = info_mn(info);
	struct muisp_addr_key key = {};
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, MUISP_ADDR_A_ADDR))
		return -EINVAL;
	nla_to_addr(info->attrs[MUISP_ADDR_A_ADDR], key.addr, &key.family);
	mutex_lock(&mn->lock);
	ret = muisp_addr_del(mn, &key);
	mutex_unlock(&mn->lock);
	if (ret == -ENOENT)
		NL_SET_ERR_MSG(info->extack, "no such address");
	return ret;
}

/*
 * Generic xarray dump: cb->args[0] is the next index to look at,
 * cb->args[1] is set once the end was reached.
 */
static int muisp_xa_dump(struct sk_buff *skb, struct netlink_callback *cb,
		   struct xarray *xa, u32 gen, u8 cmd,
		   int (*fill)(struct sk_buff *skb, const void *obj,
			       struct muisp_net *mn),
		   struct muisp_net *mn)
{
	unsigned long idx = cb->args[0];
	void *obj, *hdr;
	int n = 0;

	if (cb->args[1])
		return 0;
	cb->seq = gen;
	rcu_read_lock();
	for (obj = xa_find(xa, &idx, ULONG_MAX, XA_PRESENT); obj;
	     obj = xa_find_after(xa, &idx, ULONG_MAX, XA_PRESENT)) {
		hdr = msg_put(skb, NETLINK_CB(cb->skb).portid,
			      cb->nlh->nlmsg_seq, NLM_F_MULTI, cmd, cb);
		if (!hdr)
			break;
		if (fill(skb, obj, mn)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		n++;
	}
	rcu_read_unlock();
	if (!obj) {
		cb->args[1] = 1;
		return skb->len;
	}
	if (!n)
		return -EMSGSIZE;	/* one object does not fit */
	cb->args[0] = idx;
	return skb->len;
}

int muisp_nl_addr_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct muisp_net *mn = muisp_net(sock_net(skb->sk));

	return muisp_xa_dump(skb, cb, &mn->addr_ids, READ_ONCE(mn->gen_addr),
		       MUISP_CMD_ADDR_GET, fill_addr, mn);
}

/* ---- contracts ---------------------------------------------------------- */

/*
 * Up and down bytes and packets (index 0 up, 1 down), as the four
 * attributes attr[] names in the order UP_BYTES, UP_PACKETS, DOWN_BYTES,
 * DOWN_PACKETS: the contract, user and stats dumps carry the same four.
 */
static int put_dir_ctrs(struct sk_buff *skb, const int attr[4], int pad,
			const u64 bytes[2], const u64 packets[2])
{
	if (nla_put_u64_64bit(skb, attr[0], bytes[0], pad) ||
	    nla_put_u64_64bit(skb, attr[1], packets[0], pad) ||
	    nla_put_u64_64bit(skb, attr[2], bytes[1], pad) ||
	    nla_put_u64_64bit(skb, attr[3], packets[1], pad))
		return -EMSGSIZE;
	return 0;
}

static const int contract_dir_attr[4] = {
	MUISP_CONTRACT_A_UP_BYTES, MUISP_CONTRACT_A_UP_PACKETS,
	MUISP_CONTRACT_A_DOWN_BYTES, MUISP_CONTRACT_A_DOWN_PACKETS,
};

static int fill_contract(struct sk_buff *skb, const void *obj,
			 struct muisp_net *mn)
{
	struct muisp_contract *c = (struct muisp_contract *)obj;
	u64 now = muisp_now_ms(), used;
	struct muisp_contract_ctrs t;

	used = muisp_contract_counters(c, &t, now);

	if (muisp_put_contract_id(skb, MUISP_CONTRACT_A_ID,
				  MUISP_CONTRACT_A_ID64, MUISP_CONTRACT_A_PAD,
				  c->id) ||
	    nla_put_u8(skb, MUISP_CONTRACT_A_STATUS, READ_ONCE(c->status)) ||
	    nla_put_u8(skb, MUISP_CONTRACT_A_METRIC, c->metric) ||
	    nla_put_u64_64bit(skb, MUISP_CONTRACT_A_SOFT_LIMIT,
			      READ_ONCE(c->soft), MUISP_CONTRACT_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_CONTRACT_A_HARD_LIMIT,
			      READ_ONCE(c->hard), MUISP_CONTRACT_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_CONTRACT_A_EXPIRES_S,
			      READ_ONCE(c->expires_s), MUISP_CONTRACT_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_CONTRACT_A_USED, used,
			      MUISP_CONTRACT_A_PAD) ||
	    put_dir_ctrs(skb, contract_dir_attr, MUISP_CONTRACT_A_PAD,
			 t.bytes, t.packets) ||
	    nla_put_u64_64bit(skb, MUISP_CONTRACT_A_ELAPSED_MS,
			      muisp_contract_elapsed_ms(c, now),
			      MUISP_CONTRACT_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_CONTRACT_A_USAGE_MS,
			      t.usage_ms, MUISP_CONTRACT_A_PAD) ||
	    nla_put_u32(skb, MUISP_CONTRACT_A_NADDRS, READ_ONCE(c->naddrs)) ||
	    nla_put_u32(skb, MUISP_CONTRACT_A_NUSERS, READ_ONCE(c->nusers)))
		return -EMSGSIZE;
	if (READ_ONCE(c->conn_hold) &&
	    (nla_put_u8(skb, MUISP_CONTRACT_A_CONN_HOLD, READ_ONCE(c->conn_hold)) ||
	     nla_put_u16(skb, MUISP_CONTRACT_A_CONN_QUEUE,
			 READ_ONCE(c->conn_queue))))
		return -EMSGSIZE;
	return 0;
}

int muisp_nl_contract_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	static const int ctr_attr[6] = {
		MUISP_CONTRACT_A_UP_BYTES, MUISP_CONTRACT_A_UP_PACKETS,
		MUISP_CONTRACT_A_DOWN_BYTES, MUISP_CONTRACT_A_DOWN_PACKETS,
		MUISP_CONTRACT_A_ELAPSED_MS, MUISP_CONTRACT_A_USAGE_MS,
	};
	struct muisp_net *mn = info_mn(info);
	struct nlattr **tb = info->attrs;
	struct muisp_contract_req req = {};
	int ret, i;

	ret = req_contract_id(info, MUISP_CONTRACT_A_ID, MUISP_CONTRACT_A_ID64,
			      &req.id);
	if (ret)
		return ret;
	if (tb[MUISP_CONTRACT_A_METRIC])
		req.metric = nla_get_u8(tb[MUISP_CONTRACT_A_METRIC]);
	if (tb[MUISP_CONTRACT_A_STATUS]) {
		req.status = nla_get_u8(tb[MUISP_CONTRACT_A_STATUS]);
		if (req.status == MUISP_CONTRACT_STATUS_EXTINGUISHED) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    tb[MUISP_CONTRACT_A_STATUS],
					    "EXTINGUISHED is set by the kernel only");
			return -EINVAL;
		}
	}
	if (tb[MUISP_CONTRACT_A_SOFT_LIMIT]) {
		req.has_soft = true;
		req.soft = nla_get_u64(tb[MUISP_CONTRACT_A_SOFT_LIMIT]);
	}
	if (tb[MUISP_CONTRACT_A_HARD_LIMIT]) {
		req.has_hard = true;
		req.hard = nla_get_u64(tb[MUISP_CONTRACT_A_HARD_LIMIT]);
	}
	if (tb[MUISP_CONTRACT_A_EXPIRES_S]) {
		req.has_expires = true;
		req.expires_s = nla_get_u64(tb[MUISP_CONTRACT_A_EXPIRES_S]);
	}
	for (i = 0; i < 6; i++) {
		if (tb[ctr_attr[i]]) {
			req.has_ctr[i] = true;
			req.ctr[i] = nla_get_u64(tb[ctr_attr[i]]);
		}
	}
	if (tb[MUISP_CONTRACT_A_FLAGS])
		req.flags = nla_get_u32(tb[MUISP_CONTRACT_A_FLAGS]);
	if (tb[MUISP_CONTRACT_A_CONN_HOLD]) {
		req.has_conn_hold = true;
		req.conn_hold = nla_get_u8(tb[MUISP_CONTRACT_A_CONN_HOLD]);
	}
	if (tb[MUISP_CONTRACT_A_CONN_QUEUE]) {
		req.has_conn_queue = true;
		req.conn_queue = nla_get_u16(tb[MUISP_CONTRACT_A_CONN_QUEUE]);
	}

	mutex_lock(&mn->lock);
	ret = muisp_contract_set(mn, &req, LIMIT(skb, CONTRACTS), info->extack);
	mutex_unlock(&mn->lock);
	return ret;
}

int muisp_nl_contract_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct muisp_net *mn = info_mn(info);
	struct muisp_contract *c;
	u64 id;
	int ret;

	ret = req_contract_id(info, MUISP_CONTRACT_A_ID, MUISP_CONTRACT_A_ID64,
			      &id);
	if (ret)
		return ret;
	mutex_lock(&mn->lock);
	c = muisp_contract_lookup(mn, id);
	if (c) {
		ret = reply(info, MUISP_CMD_CONTRACT_GET, fill_contract, c, mn);
	} else {
		NL_SET_ERR_MSG(info->extack, "no such contract");
		ret = -ENOENT;
	}
	mutex_unlock(&mn->lock);
	return ret;
}

int muisp_nl_contract_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct muisp_net *mn = info_mn(info);
	u64 id;
	int ret;

	ret = req_contract_id(info, MUISP_CONTRACT_A_ID, MUISP_CONTRACT_A_ID64,
			      &id);
	if (ret)
		return ret;
	mutex_lock(&mn->lock);
	ret = muisp_contract_del(mn, id, info->extack);
	mutex_unlock(&mn->lock);
	return ret;
}

int muisp_nl_contract_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	struct muisp_net *mn = muisp_net(sock_net(skb->sk));

	return muisp_xa_dump(skb, cb, &mn->contracts, READ_ONCE(mn->gen_contract),
		       MUISP_CMD_CONTRACT_GET, fill_contract, mn);
}

/* ---- flows -------------------------------------------------------------- */

struct flow_dump_arg {
	struct sk_buff *skb;
	struct netlink_callback *cb;
	int n;
};

static struct muisp_ft_cursor *flow_cursor(struct netlink_callback *cb)
{
	BUILD_BUG_ON(sizeof(struct muisp_ft_cursor) > sizeof(cb->ctx));
	return (struct muisp_ft_cursor *)cb->ctx;
}

int muisp_nl_flow_get_start(struct netlink_callback *cb)
{
	struct muisp_ft_cursor *cur = flow_cursor(cb);
	struct nlattr **tb = MUISP_DUMP_ATTRS(cb);
	int ret;

	muisp_ft_cursor_init(cur);
	if (!tb)
		return 0;
	ret = nla_contract_id(tb, MUISP_FLOW_A_CONTRACT_ID,
			      MUISP_FLOW_A_CONTRACT_ID64, &cur->contract_id,
			      cb->extack);
	if (ret < 0)
		return ret;
	if (ret)
		cur->filter |= MUISP_FT_FILTER_CONTRACT;
	if (tb[MUISP_FLOW_A_CLIENT_ADDR]) {
		u8 fam;

		cur->filter |= MUISP_FT_FILTER_CLIENT;
		nla_to_addr(tb[MUISP_FLOW_A_CLIENT_ADDR], cur->client_addr,
			    &fam);
		cur->family = fam == MUISP_AF_INET6 ? AF_INET6 : AF_INET;
	}
	return 0;
}

static int flow_dump_one(void *data, const struct muisp_flow_record *rec)
{
	struct flow_dump_arg *arg = data;
	void *hdr;

	hdr = msg_put(arg->skb, NETLINK_CB(arg->cb->skb).portid,
		      arg->cb->nlh->nlmsg_seq, NLM_F_MULTI,
		      MUISP_CMD_FLOW_GET, NULL);
	if (!hdr)
		return -EMSGSIZE;
	if (muisp_flow_fill(arg->skb, rec, false)) {
		genlmsg_cancel(arg->skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(arg->skb, hdr);
	arg->n++;
	return 0;
}

int muisp_nl_flow_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct muisp_net *mn = muisp_net(sock_net(skb->sk));
	struct muisp_ft_cursor *cur = flow_cursor(cb);
	struct flow_dump_arg arg = { .skb = skb, .cb = cb };
	struct muisp_flowtable *ft;
	int ret = 0;

	if (cur->done)
		return 0;
	/* the table lives while the LAN is configured: hold it meanwhile */
	mutex_lock(&mn->lock);
	ft = muisp_ft(mn);
	if (ft)
		ret = muisp_ft_walk(ft, cur, flow_dump_one, &arg);
	else
		cur->done = 1;
	mutex_unlock(&mn->lock);
	if (ret && !arg.n)
		return ret;
	return skb->len;
}

int muisp_nl_flow_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	NL_SET_ERR_MSG(info->extack, "flows can only be dumped");
	return -EOPNOTSUPP;
}

int muisp_nl_flow_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct muisp_net *mn = info_mn(info);
	struct muisp_flowtable *ft;
	u64 id;
	int ret;

	ret = req_contract_id(info, MUISP_FLOW_A_CONTRACT_ID,
			      MUISP_FLOW_A_CONTRACT_ID64, &id);
	if (ret)
		return ret;
	mutex_lock(&mn->lock);
	ft = muisp_ft(mn);
	if (ft)
		muisp_ft_flush(ft, id);
	mutex_unlock(&mn->lock);
	return 0;
}

/* ---- walled garden and block list ----------------------------------------- */

static int parse_prefix(struct genl_info *info, int a_prefix, int a_len,
			struct muisp_garden_rule *r)
{
	struct nlattr **tb = info->attrs;

	if (GENL_REQ_ATTR_CHECK(info, a_prefix) ||
	    GENL_REQ_ATTR_CHECK(info, a_len))
		return -EINVAL;
	nla_to_addr(tb[a_prefix], r->prefix, &r->family);
	r->plen = nla_get_u8(tb[a_len]);
	if (r->plen > (r->family == MUISP_AF_INET6 ? 128 : 32)) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[a_len],
				    "prefix length too long for the family");
		return -EINVAL;
	}
	if (!muisp_gate_prefix_canonical(r->prefix, r->family, r->plen)) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[a_prefix],
				    "address bits set beyond the prefix length");
		return -EINVAL;
	}
	return 0;
}

static int fill_id(struct sk_buff *skb, const void *obj, struct muisp_net *mn)
{
	const u32 *id = obj;

	/* MUISP_GARDEN_A_ID == MUISP_BLOCK_A_ID */
	return nla_put_u32(skb, MUISP_GARDEN_A_ID, *id);
}

int muisp_nl_garden_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct muisp_net *mn = info_mn(info);
	struct nlattr **tb = info->attrs;
	struct muisp_garden_rule r = {};
	u32 id;
	int ret;

	ret = parse_prefix(info, MUISP_GARDEN_A_PREFIX,
			   MUISP_GARDEN_A_PREFIX_LEN, &r);
	if (ret)
		return ret;
	if (tb[MUISP_GARDEN_A_PROTO])
		r.proto = nla_get_u8(tb[MUISP_GARDEN_A_PROTO]);
	if (tb[MUISP_GARDEN_A_PORT_MIN] || tb[MUISP_GARDEN_A_PORT_MAX]) {
		if (r.proto != IPPROTO_TCP && r.proto != IPPROTO_UDP &&
		    r.proto != IPPROTO_SCTP && r.proto != IPPROTO_UDPLITE) {
			NL_SET_ERR_MSG(info->extack,
				       "ports need PROTO TCP, UDP, SCTP or UDPLITE");
			return -EINVAL;
		}
		if (GENL_REQ_ATTR_CHECK(info, MUISP_GARDEN_A_PORT_MIN) ||
		    GENL_REQ_ATTR_CHECK(info, MUISP_GARDEN_A_PORT_MAX))
			return -EINVAL;
		r.has_ports = 1;
		r.port_min = nla_get_u16(tb[MUISP_GARDEN_A_PORT_MIN]);
		r.port_max = nla_get_u16(tb[MUISP_GARDEN_A_PORT_MAX]);
		if (r.port_min > r.port_max) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    tb[MUISP_GARDEN_A_PORT_MIN],
					    "PORT_MIN above PORT_MAX");
			return -EINVAL;
		}
	}
	if (tb[MUISP_GARDEN_A_EXPIRES_S])
		r.expires_s = nla_get_u64(tb[MUISP_GARDEN_A_EXPIRES_S]);

	mutex_lock(&mn->lock);
	ret = muisp_garden_add(mn, &r, LIMIT(skb, GARDEN), &id, info->extack);
	mutex_unlock(&mn->lock);
	if (ret)
		return ret;
	return reply(info, MUISP_CMD_GARDEN_ADD, fill_id, &id, mn);
}

int muisp_nl_block_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct muisp_net *mn = info_mn(info);
	struct nlattr **tb = info->attrs;
	struct muisp_garden_rule r = {};
	const u8 *mac = NULL;
	u32 id;
	int ret;

	if (!!tb[MUISP_BLOCK_A_MAC] == !!tb[MUISP_BLOCK_A_PREFIX]) {
		NL_SET_ERR_MSG(info->extack,
			       "give exactly one of PREFIX and MAC");
		return -EINVAL;
	}
	if (tb[MUISP_BLOCK_A_MAC]) {
		if (tb[MUISP_BLOCK_A_PREFIX_LEN]) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    tb[MUISP_BLOCK_A_PREFIX_LEN],
					    "PREFIX_LEN without PREFIX");
			return -EINVAL;
		}
		mac = nla_data(tb[MUISP_BLOCK_A_MAC]);
	} else {
		ret = parse_prefix(info, MUISP_BLOCK_A_PREFIX,
				   MUISP_BLOCK_A_PREFIX_LEN, &r);
		if (ret)
			return ret;
	}
	if (tb[MUISP_BLOCK_A_EXPIRES_S])
		r.expires_s = nla_get_u64(tb[MUISP_BLOCK_A_EXPIRES_S]);

	mutex_lock(&mn->lock);
	ret = muisp_block_add(mn, &r, mac, LIMIT(skb, BLOCKS), &id,
			      info->extack);
	mutex_unlock(&mn->lock);
	if (ret)
		return ret;
	return reply(info, MUISP_CMD_BLOCK_ADD, fill_id, &id, mn);
}

static int list_del_op(struct genl_info *info, bool garden)
{
	struct muisp_net *mn = info_mn(info);
	int attr = garden ? MUISP_GARDEN_A_ID : MUISP_BLOCK_A_ID;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, attr))
		return -EINVAL;
	mutex_lock(&mn->lock);
	ret = muisp_list_del(mn, garden, nla_get_u32(info->attrs[attr]));
	mutex_unlock(&mn->lock);
	if (ret == -ENOENT)
		NL_SET_ERR_MSG(info->extack, "no such entry");
	return ret;
}

int muisp_nl_garden_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	return list_del_op(info, true);
}

int muisp_nl_block_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	return list_del_op(info, false);
}

static int fill_garden(struct sk_buff *skb, const void *obj,
		       struct muisp_net *mn)
{
	const struct muisp_list_entry *e = obj;
	const struct muisp_garden_rule *r = &e->rule;

	if (nla_put_u32(skb, MUISP_GARDEN_A_ID, e->id) ||
	    put_ip(skb, MUISP_GARDEN_A_PREFIX, r->family, r->prefix) ||
	    nla_put_u8(skb, MUISP_GARDEN_A_PREFIX_LEN, r->plen) ||
	    nla_put_u8(skb, MUISP_GARDEN_A_PROTO, r->proto) ||
	    nla_put_u16(skb, MUISP_GARDEN_A_PORT_MIN, r->port_min) ||
	    nla_put_u16(skb, MUISP_GARDEN_A_PORT_MAX, r->port_max) ||
	    nla_put_u64_64bit(skb, MUISP_GARDEN_A_EXPIRES_S, r->expires_s,
			      MUISP_GARDEN_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_GARDEN_A_HITS,
			      atomic64_read(&e->hits), MUISP_GARDEN_A_PAD))
		return -EMSGSIZE;
	return 0;
}

static int fill_block(struct sk_buff *skb, const void *obj,
		      struct muisp_net *mn)
{
	const struct muisp_list_entry *e = obj;
	const struct muisp_garden_rule *r = &e->rule;

	if (nla_put_u32(skb, MUISP_BLOCK_A_ID, e->id))
		return -EMSGSIZE;
	if (e->is_mac) {
		if (nla_put(skb, MUISP_BLOCK_A_MAC, ETH_ALEN, e->mac))
			return -EMSGSIZE;
	} else if (put_ip(skb, MUISP_BLOCK_A_PREFIX, r->family, r->prefix) ||
		   nla_put_u8(skb, MUISP_BLOCK_A_PREFIX_LEN, r->plen)) {
		return -EMSGSIZE;
	}
	if (nla_put_u64_64bit(skb, MUISP_BLOCK_A_EXPIRES_S, r->expires_s,
			      MUISP_BLOCK_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_BLOCK_A_HITS,
			      atomic64_read(&e->hits), MUISP_BLOCK_A_PAD))
		return -EMSGSIZE;
	return 0;
}

int muisp_nl_garden_get_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb)
{
	struct muisp_net *mn = muisp_net(sock_net(skb->sk));

	return muisp_xa_dump(skb, cb, &mn->garden_ids, READ_ONCE(mn->gen_garden),
		       MUISP_CMD_GARDEN_GET, fill_garden, mn);
}

int muisp_nl_block_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct muisp_net *mn = muisp_net(sock_net(skb->sk));

	return muisp_xa_dump(skb, cb, &mn->block_ids, READ_ONCE(mn->gen_block),
		       MUISP_CMD_BLOCK_GET, fill_block, mn);
}

/* ---- per-user accounting: the meter's agents ----------------------------- */

/* A key and its id come together (a key), or neither comes (closed). */
static bool key_pair(struct genl_info *info, const struct nlattr *k,
		     const struct nlattr *id)
{
	if (!k == !id)
		return true;
	NL_SET_ERR_MSG_ATTR(info->extack, k ? k : id,
			    "a key and its key id come together, or neither (closed)");
	return false;
}

static const void *nla_data_or_null(const struct nlattr *nla)
{
	return nla ? nla_data(nla) : NULL;
}

int muisp_nl_agent_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct muisp_net *mn = info_mn(info);
	struct nlattr **tb = info->attrs;
	struct muisp_agent_gone gone = {};
	struct muisp_addr_key key = {};
	int hold_queue = -1;
	u8 scheme;
	u32 id;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, MUISP_AGENT_A_ADDR) ||
	    !key_pair(info, tb[MUISP_AGENT_A_KEY], tb[MUISP_AGENT_A_KEY_ID]))
		return -EINVAL;
	nla_to_addr(tb[MUISP_AGENT_A_ADDR], key.addr, &key.family);
	if (tb[MUISP_AGENT_A_HOLD_QUEUE])
		hold_queue = nla_get_u16(tb[MUISP_AGENT_A_HOLD_QUEUE]);
	/* before schemes had a name, a hold queue said out of band */
	if (tb[MUISP_AGENT_A_SCHEME])
		scheme = nla_get_u8(tb[MUISP_AGENT_A_SCHEME]);
	else
		scheme = hold_queue >= 0 ? MUISP_AGENT_SCHEME_OUT_OF_BAND :
					   MUISP_AGENT_SCHEME_IN_BAND;
	mutex_lock(&mn->lock);
	ret = muisp_agent_set(mn, &key, nla_data_or_null(tb[MUISP_AGENT_A_KEY]),
			      tb[MUISP_AGENT_A_KEY_ID] ?
			      nla_get_u32(tb[MUISP_AGENT_A_KEY_ID]) : 0,
			      scheme, hold_queue, LIMIT(skb, AGENTS), &id,
			      &gone, info->extack);
	mutex_unlock(&mn->lock);
	muisp_agent_release(mn, &gone);
	if (ret)
		return ret;
	BUILD_BUG_ON((int)MUISP_AGENT_A_ID != (int)MUISP_GARDEN_A_ID); /* fill_id */
	return reply(info, MUISP_CMD_AGENT_SET, fill_id, &id, mn);
}

int muisp_nl_agent_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct muisp_net *mn = info_mn(info);
	struct muisp_agent_gone gone = {};
	struct muisp_addr_key key = {};
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, MUISP_AGENT_A_ADDR))
		return -EINVAL;
	nla_to_addr(info->attrs[MUISP_AGENT_A_ADDR], key.addr, &key.family);
	mutex_lock(&mn->lock);
	ret = muisp_agent_del(mn, &key, &gone);
	mutex_unlock(&mn->lock);
	muisp_agent_release(mn, &gone);
	if (ret == -ENOENT)
		NL_SET_ERR_MSG(info->extack, "no agent has that address");
	return ret;
}

int muisp_nl_agent_flow_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct muisp_net *mn = info_mn(info);
	struct nlattr **tb = info->attrs;
	struct muisp_addr_key host = {}, peer = {};

	if (GENL_REQ_ATTR_CHECK(info, MUISP_AGENT_A_ADDR) ||
	    GENL_REQ_ATTR_CHECK(info, MUISP_AGENT_A_PROTO) ||
	    GENL_REQ_ATTR_CHECK(info, MUISP_AGENT_A_PORT) ||
	    GENL_REQ_ATTR_CHECK(info, MUISP_AGENT_A_PEER) ||
	    GENL_REQ_ATTR_CHECK(info, MUISP_AGENT_A_PEER_PORT) ||
	    GENL_REQ_ATTR_CHECK(info, MUISP_AGENT_A_USER))
		return -EINVAL;
	nla_to_addr(tb[MUISP_AGENT_A_ADDR], host.addr, &host.family);
	nla_to_addr(tb[MUISP_AGENT_A_PEER], peer.addr, &peer.family);
	if (peer.family != host.family) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[MUISP_AGENT_A_PEER],
				    "the peer's address is of another family");
		return -EINVAL;
	}
	return muisp_uinfo_flow_set(mn, &host,
				    nla_get_u8(tb[MUISP_AGENT_A_PROTO]),
				    nla_get_u16(tb[MUISP_AGENT_A_PORT]),
				    peer.addr,
				    nla_get_u16(tb[MUISP_AGENT_A_PEER_PORT]),
				    nla_get_u32(tb[MUISP_AGENT_A_USER]),
				    info->extack);
}

int muisp_nl_conn_verdict_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct muisp_net *mn = info_mn(info);
	struct nlattr **tb = info->attrs;
	struct muisp_addr_key host = {}, peer = {};
	struct muisp_flow_key key;

	if (GENL_REQ_ATTR_CHECK(info, MUISP_FLOW_A_CLIENT_ADDR) ||
	    GENL_REQ_ATTR_CHECK(info, MUISP_FLOW_A_PEER_ADDR) ||
	    GENL_REQ_ATTR_CHECK(info, MUISP_FLOW_A_PROTO) ||
	    GENL_REQ_ATTR_CHECK(info, MUISP_FLOW_A_CLIENT_PORT) ||
	    GENL_REQ_ATTR_CHECK(info, MUISP_FLOW_A_PEER_PORT) ||
	    GENL_REQ_ATTR_CHECK(info, MUISP_FLOW_A_VERDICT))
		return -EINVAL;
	nla_to_addr(tb[MUISP_FLOW_A_CLIENT_ADDR], host.addr, &host.family);
	nla_to_addr(tb[MUISP_FLOW_A_PEER_ADDR], peer.addr, &peer.family);
	if (peer.family != host.family) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[MUISP_FLOW_A_PEER_ADDR],
				    "the peer's address is of another family");
		return -EINVAL;
	}
	/* as the FORWARD hook keys a packet up: the client is the source */
	muisp_flow_key_set(&key, host.family,
			   nla_get_u8(tb[MUISP_FLOW_A_PROTO]), host.addr,
			   peer.addr,
			   htons(nla_get_u16(tb[MUISP_FLOW_A_CLIENT_PORT])),
			   htons(nla_get_u16(tb[MUISP_FLOW_A_PEER_PORT])));
	return muisp_conn_verdict(mn, &key,
				  nla_get_u8(tb[MUISP_FLOW_A_VERDICT]),
				  info->extack);
}

/* Under RCU (the dump): never the key. */
static int fill_agent(struct sk_buff *skb, const void *obj,
		      struct muisp_net *mn)
{
	const struct muisp_agent *a = obj;

	if (nla_put_u32(skb, MUISP_AGENT_A_ID, a->id) ||
	    put_ip(skb, MUISP_AGENT_A_ADDR, a->key.family, a->key.addr) ||
	    (muisp_agent_key_id(a) &&
	     nla_put_u32(skb, MUISP_AGENT_A_KEY_ID, muisp_agent_key_id(a))) ||
	    nla_put_u64_64bit(skb, MUISP_AGENT_A_BLOCKED,
			      atomic64_read(&a->blocked), MUISP_AGENT_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_AGENT_A_OPENED,
			      atomic64_read(&a->opened), MUISP_AGENT_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_AGENT_A_FORGED,
			      atomic64_read(&a->forged), MUISP_AGENT_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_AGENT_A_REPLAYED,
			      atomic64_read(&a->replayed), MUISP_AGENT_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_AGENT_A_REDIRECTS,
			      atomic64_read(&a->redirects), MUISP_AGENT_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_AGENT_A_ROLLBACKS,
			      atomic64_read(&a->rollbacks), MUISP_AGENT_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_AGENT_A_QUERIES,
			      atomic64_read(&a->queries), MUISP_AGENT_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_AGENT_A_ACKS,
			      atomic64_read(&a->acks), MUISP_AGENT_A_PAD) ||
	    nla_put_u8(skb, MUISP_AGENT_A_SCHEME, READ_ONCE(a->scheme)))
		return -EMSGSIZE;
	if (READ_ONCE(a->hold_queue) >= 0 &&
	    (nla_put_u16(skb, MUISP_AGENT_A_HOLD_QUEUE,
			 READ_ONCE(a->hold_queue)) ||
	     nla_put_u64_64bit(skb, MUISP_AGENT_A_HELD,
			       atomic64_read(&a->held), MUISP_AGENT_A_PAD)))
		return -EMSGSIZE;
	if (muisp_agent_answered(READ_ONCE(a->scheme)) &&
	    nla_put_u64_64bit(skb, MUISP_AGENT_A_ANSWERED,
			      atomic64_read(&a->answered), MUISP_AGENT_A_PAD))
		return -EMSGSIZE;
	return 0;
}

int muisp_nl_agent_get_dumpit(struct sk_buff *skb,
			      struct netlink_callback *cb)
{
	struct muisp_net *mn = muisp_net(sock_net(skb->sk));

	return muisp_xa_dump(skb, cb, &mn->agent_ids, READ_ONCE(mn->gen_agent),
			     MUISP_CMD_AGENT_GET, fill_agent, mn);
}

/* ---- per-user contracts ------------------------------------------------- */

/* The user a request names: ADDR and USER, both required. */
static int req_user_key(struct genl_info *info, struct muisp_user_key *key)
{
	if (GENL_REQ_ATTR_CHECK(info, MUISP_USER_A_ADDR) ||
	    GENL_REQ_ATTR_CHECK(info, MUISP_USER_A_USER))
		return -EINVAL;
	memset(key, 0, sizeof(*key));
	nla_to_addr(info->attrs[MUISP_USER_A_ADDR], key->host.addr,
		    &key->host.family);
	key->user = nla_get_u32(info->attrs[MUISP_USER_A_USER]);
	return 0;
}

int muisp_nl_user_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct muisp_net *mn = info_mn(info);
	struct muisp_user_key key;
	u64 contract_id;
	u32 id;
	int ret;

	ret = req_user_key(info, &key);
	if (ret)
		return ret;
	ret = req_contract_id(info, MUISP_USER_A_CONTRACT_ID,
			      MUISP_USER_A_CONTRACT_ID64, &contract_id);
	if (ret)
		return ret;
	mutex_lock(&mn->lock);
	ret = muisp_user_set(mn, &key, contract_id, LIMIT(skb, USERS), &id,
			     info->extack);
	mutex_unlock(&mn->lock);
	if (ret)
		return ret;
	BUILD_BUG_ON((int)MUISP_USER_A_ID != (int)MUISP_GARDEN_A_ID); /* fill_id */
	return reply(info, MUISP_CMD_USER_SET, fill_id, &id, mn);
}

int muisp_nl_user_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct muisp_net *mn = info_mn(info);
	struct muisp_user_key key;
	int ret;

	ret = req_user_key(info, &key);
	if (ret)
		return ret;
	mutex_lock(&mn->lock);
	ret = muisp_user_del(mn, &key);
	mutex_unlock(&mn->lock);
	if (ret == -ENOENT)
		NL_SET_ERR_MSG(info->extack, "that user of that address is not bound");
	return ret;
}

static const int user_dir_attr[4] = {
	MUISP_USER_A_UP_BYTES, MUISP_USER_A_UP_PACKETS,
	MUISP_USER_A_DOWN_BYTES, MUISP_USER_A_DOWN_PACKETS,
};

/* bytes and packets, [MUISP_DIR_UP] and [MUISP_DIR_DOWN] */
struct user_usage {
	u64 bytes[2], packets[2];
};

static int fill_user_usage(struct sk_buff *skb, const void *obj,
			   struct muisp_net *mn)
{
	const struct user_usage *m = obj;

	return put_dir_ctrs(skb, user_dir_attr, MUISP_USER_A_PAD, m->bytes,
			    m->packets);
}

static u64 nla_u64_or_0(const struct nlattr *nla)
{
	return nla ? nla_get_u64(nla) : 0;
}

int muisp_nl_user_usage_move_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct muisp_net *mn = info_mn(info);
	struct nlattr **tb = info->attrs;
	struct muisp_user_key key;
	struct user_usage m;
	int ret, i;

	ret = req_user_key(info, &key);
	if (ret)
		return ret;
	if (GENL_REQ_ATTR_CHECK(info, MUISP_USER_A_USAGE_SEQ))
		return -EINVAL;
	for (i = 0; i < 2; i++) {
		m.bytes[i] = nla_u64_or_0(tb[user_dir_attr[2 * i]]);
		m.packets[i] = nla_u64_or_0(tb[user_dir_attr[2 * i + 1]]);
	}
	mutex_lock(&mn->lock);
	ret = muisp_user_usage_move(mn, &key,
				    nla_get_u64(tb[MUISP_USER_A_USAGE_SEQ]),
				    m.bytes, m.packets, info->extack);
	mutex_unlock(&mn->lock);
	if (ret)
		return ret;
	return reply(info, MUISP_CMD_USER_USAGE_MOVE, fill_user_usage, &m, mn);
}

/* Under RCU (the dump). */
static int fill_user(struct sk_buff *skb, const void *obj,
		     struct muisp_net *mn)
{
	const struct muisp_user *u = obj;
	struct muisp_contract_ctrs t;
	struct muisp_contract *c;

	if (nla_put_u32(skb, MUISP_USER_A_ID, u->id) ||
	    put_ip(skb, MUISP_USER_A_ADDR, u->key.host.family,
		   u->key.host.addr) ||
	    nla_put_u32(skb, MUISP_USER_A_USER, u->key.user) ||
	    muisp_put_contract_id(skb, MUISP_USER_A_CONTRACT_ID,
				  MUISP_USER_A_CONTRACT_ID64, MUISP_USER_A_PAD,
				  u->contract_id))
		return -EMSGSIZE;
	c = muisp_contract_lookup(mn, u->contract_id);
	if (!c)
		return 0;
	muisp_contract_counters(c, &t, muisp_now_ms());
	if (nla_put_u8(skb, MUISP_USER_A_CONTRACT_STATUS,
		       READ_ONCE(c->status)) ||
	    put_dir_ctrs(skb, user_dir_attr, MUISP_USER_A_PAD, t.bytes,
			 t.packets))
		return -EMSGSIZE;
	return 0;
}

int muisp_nl_user_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct muisp_net *mn = muisp_net(sock_net(skb->sk));

	return muisp_xa_dump(skb, cb, &mn->user_ids, READ_ONCE(mn->gen_user),
			     MUISP_CMD_USER_GET, fill_user, mn);
}

/* ---- per-user accounting: the agent's role ------------------------------ */

int muisp_nl_tag_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct muisp_net *mn = info_mn(info);
	struct nlattr **tb = info->attrs;
	struct muisp_tagger *t, *old = NULL;
	struct net_device *dev;
	u32 ifindex;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, MUISP_TAG_A_IFINDEX) ||
	    !key_pair(info, tb[MUISP_TAG_A_KEY], tb[MUISP_TAG_A_KEY_ID]))
		return -EINVAL;
	ifindex = nla_get_u32(tb[MUISP_TAG_A_IFINDEX]);
	rcu_read_lock();
	dev = dev_get_by_index_rcu(genl_info_net(info), ifindex);
	rcu_read_unlock();
	if (!dev) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[MUISP_TAG_A_IFINDEX],
				    "no such interface");
		return -ENODEV;
	}
	t = muisp_tagger_new(ifindex, nla_data_or_null(tb[MUISP_TAG_A_KEY]),
			     tb[MUISP_TAG_A_KEY_ID] ?
			     nla_get_u32(tb[MUISP_TAG_A_KEY_ID]) : 0,
			     tb[MUISP_TAG_A_METHOD] ?
			     nla_get_u8(tb[MUISP_TAG_A_METHOD]) :
			     MUISP_TAG_METHOD_PACKET, info->extack);
	if (IS_ERR(t))
		return PTR_ERR(t);
	mutex_lock(&mn->lock);
	ret = muisp_tagger_publish(mn, t, &old);
	mutex_unlock(&mn->lock);
	if (ret) {
		NL_SET_ERR_MSG(info->extack,
			       "cannot register the netfilter hooks");
		muisp_tagger_release(t);
		return ret;
	}
	muisp_tagger_release(old);
	return 0;
}

int muisp_nl_tag_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct muisp_net *mn = info_mn(info);
	struct muisp_tagger *old = NULL;
	int ret = -ENOENT;

	mutex_lock(&mn->lock);
	if (rcu_access_pointer(mn->tagger))
		ret = muisp_tagger_publish(mn, NULL, &old);
	mutex_unlock(&mn->lock);
	if (ret == -ENOENT)
		NL_SET_ERR_MSG(info->extack, "the agent's role is not set");
	muisp_tagger_release(old);
	return ret;
}

/* Under mn->lock: the setting, never the key, and the counters. */
static int fill_tag(struct sk_buff *skb, const void *obj,
		    struct muisp_net *mn)
{
	const struct muisp_tagger *t = obj;

	if (nla_put_u32(skb, MUISP_TAG_A_IFINDEX, t->ifindex) ||
	    (t->aead && nla_put_u32(skb, MUISP_TAG_A_KEY_ID, t->key_id)) ||
	    nla_put_u8(skb, MUISP_TAG_A_METHOD, t->method) ||
	    nla_put_u64_64bit(skb, MUISP_TAG_A_TAGGED,
			      atomic64_read(&mn->tag_tagged), MUISP_TAG_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_TAG_A_SKIPPED,
			      atomic64_read(&mn->tag_skipped), MUISP_TAG_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_TAG_A_BLOCKED,
			      atomic64_read(&mn->tag_blocked), MUISP_TAG_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_TAG_A_DENIED,
			      atomic64_read(&mn->tag_denied), MUISP_TAG_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_TAG_A_SPOOFED,
			      atomic64_read(&mn->tag_spoofed), MUISP_TAG_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_TAG_A_REDIRECTED,
			      atomic64_read(&mn->tag_redirected), MUISP_TAG_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_TAG_A_QUERIED,
			      atomic64_read(&mn->tag_queried), MUISP_TAG_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_TAG_A_CLAMPED,
			      atomic64_read(&mn->tag_clamped), MUISP_TAG_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_TAG_A_REPORTED,
			      atomic64_read(&mn->tag_reported), MUISP_TAG_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_TAG_A_ACKED,
			      atomic64_read(&mn->tag_acked), MUISP_TAG_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_TAG_A_ACK_FORGED,
			      atomic64_read(&mn->tag_ack_forged), MUISP_TAG_A_PAD))
		return -EMSGSIZE;
	return 0;
}

int muisp_nl_tag_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct muisp_net *mn = info_mn(info);
	struct muisp_tagger *t;
	int ret;

	mutex_lock(&mn->lock);
	t = rcu_dereference_protected(mn->tagger, lockdep_is_held(&mn->lock));
	if (t)
		ret = reply(info, MUISP_CMD_TAG_GET, fill_tag, t, mn);
	else
		ret = -ENOENT;
	mutex_unlock(&mn->lock);
	if (ret == -ENOENT)
		NL_SET_ERR_MSG(info->extack, "the agent's role is not set");
	return ret;
}

int muisp_nl_tag_user_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct muisp_net *mn = info_mn(info);
	struct nlattr **tb = info->attrs;
	struct muisp_tag_user tmpl = {};
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, MUISP_TAG_USER_A_UID) ||
	    GENL_REQ_ATTR_CHECK(info, MUISP_TAG_USER_A_USER))
		return -EINVAL;
	tmpl.uid = nla_get_u32(tb[MUISP_TAG_USER_A_UID]);
	tmpl.user = nla_get_u32(tb[MUISP_TAG_USER_A_USER]);
	tmpl.blocked = tb[MUISP_TAG_USER_A_BLOCKED] &&
		       nla_get_u8(tb[MUISP_TAG_USER_A_BLOCKED]);
	if (tb[MUISP_TAG_USER_A_ADDR])
		nla_to_addr(tb[MUISP_TAG_USER_A_ADDR], tmpl.addr.addr,
			    &tmpl.addr.family);
	mutex_lock(&mn->lock);
	ret = muisp_tag_user_set(mn, &tmpl, LIMIT(skb, USERS), info->extack);
	mutex_unlock(&mn->lock);
	if (ret == -EEXIST)
		NL_SET_BAD_ATTR(info->extack, tb[MUISP_TAG_USER_A_ADDR]);
	return ret;
}

int muisp_nl_tag_user_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct muisp_net *mn = info_mn(info);
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, MUISP_TAG_USER_A_UID))
		return -EINVAL;
	mutex_lock(&mn->lock);
	ret = muisp_tag_user_del(mn,
				 nla_get_u32(info->attrs[MUISP_TAG_USER_A_UID]));
	mutex_unlock(&mn->lock);
	if (ret == -ENOENT)
		NL_SET_ERR_MSG(info->extack, "that uid is not mapped");
	return ret;
}

/* Under RCU (the dump). */
static int fill_tag_user(struct sk_buff *skb, const void *obj,
			 struct muisp_net *mn)
{
	const struct muisp_tag_user *u = obj;
	struct muisp_tag_count n;

	muisp_tag_counted(u, &n);
	if (nla_put_u32(skb, MUISP_TAG_USER_A_UID, u->uid) ||
	    nla_put_u32(skb, MUISP_TAG_USER_A_USER, u->user) ||
	    nla_put_u8(skb, MUISP_TAG_USER_A_BLOCKED, u->blocked) ||
	    (u->addr.family &&
	     put_ip(skb, MUISP_TAG_USER_A_ADDR, u->addr.family, u->addr.addr)) ||
	    nla_put_u64_64bit(skb, MUISP_TAG_USER_A_SENT_BYTES,
			      n.bytes[MUISP_TAG_SENT], MUISP_TAG_USER_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_TAG_USER_A_SENT_PACKETS,
			      n.packets[MUISP_TAG_SENT],
			      MUISP_TAG_USER_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_TAG_USER_A_RECV_BYTES,
			      n.bytes[MUISP_TAG_RECV], MUISP_TAG_USER_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_TAG_USER_A_RECV_PACKETS,
			      n.packets[MUISP_TAG_RECV],
			      MUISP_TAG_USER_A_PAD))
		return -EMSGSIZE;
	return 0;
}

int muisp_nl_tag_user_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	struct muisp_net *mn = muisp_net(sock_net(skb->sk));

	return muisp_xa_dump(skb, cb, &mn->tag_users,
			     READ_ONCE(mn->gen_tag_user),
			     MUISP_CMD_TAG_USER_GET, fill_tag_user, mn);
}

/* ---- configuration and statistics -------------------------------------- */

static int fill_config(struct sk_buff *skb, const void *obj,
		       struct muisp_net *mn)
{
	const struct muisp_config *cfg = obj;

	if (nla_put_u32(skb, MUISP_CONFIG_A_LAN_IFINDEX, cfg->lan_ifindex) ||
	    nla_put_u32(skb, MUISP_CONFIG_A_IDLE_TIMEOUT_S,
			cfg->idle_timeout_s) ||
	    nla_put_u32(skb, MUISP_CONFIG_A_FIN_TIMEOUT_S,
			cfg->fin_timeout_s) ||
	    nla_put_u32(skb, MUISP_CONFIG_A_MAX_FLOWS, cfg->max_flows) ||
	    nla_put_u16(skb, MUISP_CONFIG_A_CONTROL_PORT, cfg->control_port) ||
	    nla_put_u32(skb, MUISP_CONFIG_A_USAGE_GAP_S, cfg->usage_gap_s) ||
	    nla_put_u8(skb, MUISP_CONFIG_A_REQUIRE_TUNNEL,
		       cfg->require_tunnel) ||
	    nla_put_u32(skb, MUISP_CONFIG_A_DNS_RATE, cfg->dns_rate) ||
	    nla_put_u32(skb, MUISP_CONFIG_A_DNS_BURST, cfg->dns_burst) ||
	    nla_put_u32(skb, MUISP_CONFIG_A_CONN_RATE, cfg->conn_rate) ||
	    nla_put_u32(skb, MUISP_CONFIG_A_CONN_BURST, cfg->conn_burst))
		return -EMSGSIZE;
	return 0;
}

int muisp_nl_config_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct muisp_net *mn = info_mn(info);
	struct muisp_config cfg;

	mutex_lock(&mn->lock);
	cfg = mn->cfg;
	mutex_unlock(&mn->lock);
	return reply(info, MUISP_CMD_CONFIG_GET, fill_config, &cfg, mn);
}

int muisp_nl_config_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct muisp_net *mn = info_mn(info);
	struct nlattr **tb = info->attrs;
	struct muisp_ft_params fp = {};
	struct muisp_flowtable *ft;
	unsigned int old_hooks, want;
	struct muisp_config cfg;
	bool tunnel_on;
	u32 old_lan;
	int ret = 0;

	mutex_lock(&mn->lock);
	cfg = mn->cfg;
	old_lan = cfg.lan_ifindex;
	old_hooks = mn->hooks;
	if (tb[MUISP_CONFIG_A_LAN_IFINDEX]) {
		cfg.lan_ifindex = nla_get_u32(tb[MUISP_CONFIG_A_LAN_IFINDEX]);
		if (cfg.lan_ifindex) {
			struct net_device *dev;

			rcu_read_lock();
			dev = dev_get_by_index_rcu(genl_info_net(info),
						   cfg.lan_ifindex);
			rcu_read_unlock();
			if (!dev) {
				NL_SET_ERR_MSG_ATTR(info->extack,
						    tb[MUISP_CONFIG_A_LAN_IFINDEX],
						    "no such interface");
				ret = -ENODEV;
				goto out;
			}
		}
	}
	if (tb[MUISP_CONFIG_A_IDLE_TIMEOUT_S])
		cfg.idle_timeout_s =
			nla_get_u32(tb[MUISP_CONFIG_A_IDLE_TIMEOUT_S]);
	if (tb[MUISP_CONFIG_A_FIN_TIMEOUT_S])
		cfg.fin_timeout_s =
			nla_get_u32(tb[MUISP_CONFIG_A_FIN_TIMEOUT_S]);
	if (tb[MUISP_CONFIG_A_MAX_FLOWS]) {
		cfg.max_flows = nla_get_u32(tb[MUISP_CONFIG_A_MAX_FLOWS]);
		if (cfg.max_flows > MUISP_USERNS_MAX_FLOWS &&
		    !init_admin(skb)) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    tb[MUISP_CONFIG_A_MAX_FLOWS],
					    "above MUISP_USERNS_MAX_FLOWS: needs CAP_NET_ADMIN in the initial user namespace");
			ret = -EPERM;
			goto out;
		}
	}
	if (tb[MUISP_CONFIG_A_CONTROL_PORT])
		cfg.control_port =
			nla_get_u16(tb[MUISP_CONFIG_A_CONTROL_PORT]);
	if (tb[MUISP_CONFIG_A_USAGE_GAP_S])
		cfg.usage_gap_s = nla_get_u32(tb[MUISP_CONFIG_A_USAGE_GAP_S]);
	if (tb[MUISP_CONFIG_A_REQUIRE_TUNNEL])
		cfg.require_tunnel =
			nla_get_u8(tb[MUISP_CONFIG_A_REQUIRE_TUNNEL]);
	if (tb[MUISP_CONFIG_A_DNS_RATE])
		cfg.dns_rate = nla_get_u32(tb[MUISP_CONFIG_A_DNS_RATE]);
	if (tb[MUISP_CONFIG_A_DNS_BURST])
		cfg.dns_burst = nla_get_u32(tb[MUISP_CONFIG_A_DNS_BURST]);
	if (tb[MUISP_CONFIG_A_CONN_RATE])
		cfg.conn_rate = nla_get_u32(tb[MUISP_CONFIG_A_CONN_RATE]);
	if (tb[MUISP_CONFIG_A_CONN_BURST])
		cfg.conn_burst = nla_get_u32(tb[MUISP_CONFIG_A_CONN_BURST]);
	if (cfg.fin_timeout_s > cfg.idle_timeout_s) {
		NL_SET_ERR_MSG(info->extack,
			       "FIN time-out above the idle time-out");
		ret = -EINVAL;
		goto out;
	}
	/*
	 * Hooks the new values need are registered first (the step that can
	 * fail, undone if a later one does), the ones they no longer need
	 * unregistered once the values are in place.
	 */
	want = muisp_hooks_wanted(&cfg, mn->nagents);
	tunnel_on = (want & MUISP_HOOKS_PRE) && !(old_hooks & MUISP_HOOKS_PRE);
	ret = muisp_hooks_set(mn, old_hooks | want);
	if (ret) {
		NL_SET_ERR_MSG(info->extack,
			       "cannot register the netfilter hooks");
		goto out;
	}
	ft = muisp_ft(mn);
	if (ft) {
		fp.idle_timeout_s = cfg.idle_timeout_s;
		fp.fin_timeout_s = cfg.fin_timeout_s;
		fp.max_flows = cfg.max_flows;
		ret = muisp_ft_set_params(ft, &fp);
		if (ret) {
			NL_SET_ERR_MSG(info->extack,
				       "flow table refused the values");
			goto undo_hooks;
		}
	} else if (cfg.lan_ifindex) {
		/* the gate goes on: its tables first, with these values */
		ret = muisp_gate_up(mn, &cfg);
		if (ret) {
			NL_SET_ERR_MSG(info->extack,
				       "cannot make the flow table");
			goto undo_hooks;
		}
	}
	WRITE_ONCE(mn->cfg.idle_timeout_s, cfg.idle_timeout_s);
	WRITE_ONCE(mn->cfg.fin_timeout_s, cfg.fin_timeout_s);
	WRITE_ONCE(mn->cfg.max_flows, cfg.max_flows);
	WRITE_ONCE(mn->cfg.control_port, cfg.control_port);
	WRITE_ONCE(mn->cfg.usage_gap_s, cfg.usage_gap_s);
	WRITE_ONCE(mn->cfg.require_tunnel, cfg.require_tunnel);
	WRITE_ONCE(mn->cfg.dns_rate, cfg.dns_rate);
	WRITE_ONCE(mn->cfg.dns_burst, cfg.dns_burst);
	WRITE_ONCE(mn->cfg.conn_rate, cfg.conn_rate);
	WRITE_ONCE(mn->cfg.conn_burst, cfg.conn_burst);
	WRITE_ONCE(mn->cfg.lan_ifindex, cfg.lan_ifindex);
	muisp_hooks_set(mn, want);	/* only unregisters: cannot fail */
	/*
	 * require-tunnel went on: a packet that entered PRE_ROUTING before
	 * its hook was there, or read the old value in FORWARD, is through
	 * the stack when synchronize_net() returns, so none is forwarded
	 * untunnelled after the reply (docs/SECURITY.md).
	 */
	if (tunnel_on) {
		/* flows stand for bindings checked without it (hooks.c) */
		if (muisp_ft(mn))
			muisp_ft_unbind(muisp_ft(mn), 0, NULL,
					MUISP_FLOW_END_FLUSH);
		synchronize_net();
	}
	/* the gate went off: its tables after */
	if (old_lan && !cfg.lan_ifindex)
		muisp_gate_down(mn);
	mutex_unlock(&mn->lock);
	return 0;

undo_hooks:
	muisp_hooks_set(mn, old_hooks);	/* only unregisters */
out:
	mutex_unlock(&mn->lock);
	return ret;
}

static const int stats_dir_attr[4] = {
	MUISP_STATS_A_UP_BYTES, MUISP_STATS_A_UP_PACKETS,
	MUISP_STATS_A_DOWN_BYTES, MUISP_STATS_A_DOWN_PACKETS,
};

static int fill_stats(struct sk_buff *skb, const void *obj,
		      struct muisp_net *mn)
{
	struct muisp_pcpu_stats sum = {};
	struct muisp_ft_stats fst = {};
	struct muisp_flowtable *ft;
	struct nlattr *nest;
	int cpu, i;

	for_each_possible_cpu(cpu) {
		const struct muisp_pcpu_stats *s = per_cpu_ptr(mn->stats, cpu);

		for (i = 0; i < __MUISP_DROP_LAST; i++)
			sum.drops[i] += READ_ONCE(s->drops[i]);
		for (i = 0; i < 2; i++) {
			sum.packets[i] += READ_ONCE(s->packets[i]);
			sum.bytes[i] += READ_ONCE(s->bytes[i]);
		}
		sum.local += READ_ONCE(s->local);
		sum.garden += READ_ONCE(s->garden);
		sum.unmetered += READ_ONCE(s->unmetered);
		sum.conn_held += READ_ONCE(s->conn_held);
		sum.conn_requests += READ_ONCE(s->conn_requests);
	}
	ft = muisp_ft(mn);
	if (ft)
		muisp_ft_stats(ft, &fst);
	else
		fst.max_flows = mn->cfg.max_flows;
	fst.evictions += mn->evictions_gone;

	nest = nla_nest_start(skb, MUISP_STATS_A_DROPS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 1; i < __MUISP_DROP_LAST; i++)
		if (nla_put_u64_64bit(skb, i, sum.drops[i], 0))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	if (put_dir_ctrs(skb, stats_dir_attr, MUISP_STATS_A_PAD, sum.bytes,
			 sum.packets) ||
	    nla_put_u64_64bit(skb, MUISP_STATS_A_LOCAL_PACKETS, sum.local,
			      MUISP_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_STATS_A_GARDEN_PACKETS, sum.garden,
			      MUISP_STATS_A_PAD) ||
	    nla_put_u32(skb, MUISP_STATS_A_FLOWS, fst.count) ||
	    nla_put_u32(skb, MUISP_STATS_A_MAX_FLOWS, fst.max_flows) ||
	    nla_put_u64_64bit(skb, MUISP_STATS_A_EVICTIONS, fst.evictions,
			      MUISP_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_STATS_A_FLOW_RECORDS,
			      atomic64_read(&mn->records), MUISP_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_STATS_A_RECORDS_LOST,
			      atomic64_read(&mn->records_lost),
			      MUISP_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_STATS_A_EVENTS,
			      atomic64_read(&mn->events), MUISP_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_STATS_A_EVENTS_LOST,
			      atomic64_read(&mn->events_lost),
			      MUISP_STATS_A_PAD) ||
	    nla_put_u32(skb, MUISP_STATS_A_ADDRS, READ_ONCE(mn->naddrs)) ||
	    nla_put_u32(skb, MUISP_STATS_A_CONTRACTS,
			READ_ONCE(mn->ncontracts)) ||
	    nla_put_u64_64bit(skb, MUISP_STATS_A_FLOWS_UNMETERED,
			      sum.unmetered, MUISP_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_STATS_A_CONN_HELD, sum.conn_held,
			      MUISP_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_STATS_A_CONN_REQUESTS,
			      sum.conn_requests, MUISP_STATS_A_PAD))
		return -EMSGSIZE;
	return 0;
}

int muisp_nl_stats_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct muisp_net *mn = info_mn(info);
	int ret;

	mutex_lock(&mn->lock);
	ret = reply(info, MUISP_CMD_STATS_GET, fill_stats, NULL, mn);
	mutex_unlock(&mn->lock);
	return ret;
}

/* ---- family -------------------------------------------------------------- */

struct genl_family muisp_genl_family __ro_after_init = {
	.name = MUISP_GENL_NAME,
	.version = MUISP_GENL_VERSION,
	.netnsok = true,
	.module = THIS_MODULE,
	.ops = muisp_nl_ops,
	.n_ops = ARRAY_SIZE(muisp_nl_ops),
	.mcgrps = muisp_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(muisp_nl_mcgrps),
};

int __init muisp_genl_init(void)
{
	int ret;

	/* events.c sends to the groups by these indices */
	BUILD_BUG_ON(MUISP_NLGRP_EVENTS != 0 || MUISP_NLGRP_FLOWS != 1);
	ret = genl_register_family(&muisp_genl_family);

	if (!ret)
		WRITE_ONCE(muisp_genl_live, true);
	return ret;
}

void muisp_genl_exit(void)
{
	WRITE_ONCE(muisp_genl_live, false);
	/* notifications in flight (RCU readers) finish before the family goes */
	synchronize_rcu();
	genl_unregister_family(&muisp_genl_family);
}

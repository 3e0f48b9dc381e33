// SPDX-License-Identifier: GPL-2.0
/* Kernel binding of muispd: see kernel.h. */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "contract.h"
#include "kernel.h"
#include "log.h"
#include "muisp_nl.h"
#include "proto.h"

#define NONE_MAX 4096

struct kernel {
	struct muisp_nl *nl; /* requests */
	/* "none": per-contract usage fed by kernel_usage_add */
	unsigned n;
	struct {
		uint64_t serial, used;
	} none[NONE_MAX];
	/* per-connection billing of every contract pushed (conn_hold.c) */
	uint8_t conn_hold;
	uint16_t conn_queue;
	struct muisp_nl *post; /* its verdicts, posted (kernel_conn_flush) */
};

int kernel_flow_walk(struct kernel *k, muisp_nl_flow_cb cb, void *arg)
{
	if (!k->nl)
		return 0;
	return muisp_nl_flow_dump(k->nl, NULL, cb, NULL, arg) < 0 ? -1 : 0;
}

void kernel_conn_billing(struct kernel *k, int mode, uint16_t queue)
{
	k->conn_hold = (uint8_t)mode;
	k->conn_queue = queue;
	/* verdicts are in a new connection's way: not waited for, on a
	 * handle of their own (without one: requests, acknowledged) */
	if (mode && k->nl && !k->post) {
		k->post = muisp_nl_open(MUISP_NL_NONBLOCK);
		if (!k->post)
			log_warn("kernel: a handle for connection verdicts");
	}
}

int kernel_conn_flush(struct kernel *k)
{
	return k->post ? muisp_nl_flush(k->post) : 0;
}

int kernel_conn_fd(const struct kernel *k)
{
	return k->post ? muisp_nl_fd(k->post) : -1;
}

int kernel_conn_errors(struct kernel *k, muisp_nl_post_error_cb cb, void *arg)
{
	return k->post ? muisp_nl_post_errors(k->post, cb, arg) : 0;
}

#ifdef MUISP_TESTING
unsigned kernel_test_conn_verdicts; /* kernel_conn_verdict() calls */
int kernel_test_conn_accepted;	    /* ... the last one's verdict */
#endif

int kernel_conn_verdict(struct kernel *k, int family, int proto,
			const void *host, uint16_t port, const void *peer,
			uint16_t peer_port, int accept)
{
	size_t alen = family == AF_INET ? 4 : 16;
	struct muisp_nl_flow f;

#ifdef MUISP_TESTING
	kernel_test_conn_verdicts++;
	kernel_test_conn_accepted = accept;
#endif
	if (!k->nl)
		return 0;
	memset(&f, 0, sizeof(f));
	f.client_addr.family = (uint8_t)family;
	memcpy(f.client_addr.a, host, alen);
	f.peer_addr.family = (uint8_t)family;
	memcpy(f.peer_addr.a, peer, alen);
	f.proto = (uint8_t)proto;
	f.client_port = port;
	f.peer_port = peer_port;
	f.verdict = accept ? MUISP_CONN_ACCEPT : MUISP_CONN_REFUSE;
	MUISP_NL_SET(&f, MUISP_FLOW_A_CLIENT_ADDR);
	MUISP_NL_SET(&f, MUISP_FLOW_A_PEER_ADDR);
	MUISP_NL_SET(&f, MUISP_FLOW_A_PROTO);
	MUISP_NL_SET(&f, MUISP_FLOW_A_CLIENT_PORT);
	MUISP_NL_SET(&f, MUISP_FLOW_A_PEER_PORT);
	MUISP_NL_SET(&f, MUISP_FLOW_A_VERDICT);
	if (k->post)
		return muisp_nl_conn_verdict_post(k->post, &f) ? -1 : 0;
	return muisp_nl_conn_verdict(k->nl, &f) ? -1 : 0;
}

int kernel_open(int use_module, struct kernel **out)
{
	struct kernel *k = calloc(1, sizeof(*k));

	*out = NULL;
	if (!k)
		return -1;
	if (use_module) {
		k->nl = muisp_nl_open(0);
		if (!k->nl) {
			log_warn("kernel: muisp family");
			free(k);
			return -1;
		}
	}
	*out = k;
	return 0;
}

void kernel_close(struct kernel *k)
{
	if (!k)
		return;
	if (k->nl)
		muisp_nl_close(k->nl);
	muisp_nl_close(k->post);
	free(k);
}

struct ev_ctx {
	kernel_event_fn fn;
	void *arg;
};

static int on_event(const struct muisp_nl_event *o, void *arg)
{
	struct ev_ctx *c = arg;
	struct kernel_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.serial = o->contract_id;
	ev.used = o->used;
	switch (o->type) {
	case MUISP_EVENT_SOFT_LIMIT:
		ev.type = KEV_SOFT_LIMIT;
		break;
	case MUISP_EVENT_HARD_LIMIT:
		ev.type = KEV_HARD_LIMIT;
		break;
	case MUISP_EVENT_EXPIRED:
		ev.type = KEV_EXPIRED;
		break;
	case MUISP_EVENT_ADDR_STATE:
		if (o->new_state != MUISP_ADDR_STATE_UNALLOCATED &&
		    o->new_state != MUISP_ADDR_STATE_UNSPEC)
			return MNL_CB_OK;
		if (o->old_state != MUISP_ADDR_STATE_BOUND)
			return MNL_CB_OK;
		ev.type = KEV_ADDR_RELEASED;
		muisp_nl_ip_to_str(&o->addr, ev.addr);
		break;
	default:
		return MNL_CB_OK;
	}
	c->fn(&ev, c->arg);
	return MNL_CB_OK;
}

int kernel_events(struct muisp_nl *nl, kernel_event_fn fn, void *arg)
{
	struct ev_ctx c = { fn, arg };

	for (;;) {
		if (muisp_nl_recv_events(nl, on_event, NULL, &c) == 0)
			continue;
		if (errno == EAGAIN)
			return 0;
		if (errno == ENOBUFS) {
			/* Lost events: the periodic usage poll resyncs. */
			log_warnx("kernel: event overrun, resyncing by poll");
			continue;
		}
		log_warn("kernel: events");
		return -1;
	}
}

static uint8_t kmetric(int metric)
{
	switch (metric) {
	case MP_METRIC_USAGE_TIME:
		return MUISP_METRIC_USAGE_TIME;
	case MP_METRIC_BYTES:
		return MUISP_METRIC_BYTES;
	case MP_METRIC_PACKETS:
		return MUISP_METRIC_PACKETS;
	default:
		/* elapsed: wall clock since issue, enforced as an expiry */
		return MUISP_METRIC_USAGE_TIME;
	}
}

static uint64_t to_k(int metric, uint64_t v)
{
	if (metric == MP_METRIC_USAGE_TIME)
		return v > UINT64_MAX / 1000 ? UINT64_MAX : v * 1000;
	return v;
}

int kernel_contract_push(struct kernel *k, const struct contract_rec *c,
			 int state, int restore_usage, const uint64_t *ctr)
{
	struct muisp_nl_contract o;

	if (!k->nl)
		return 0;
	memset(&o, 0, sizeof(o));
	o.id = c->serial;
	MUISP_NL_SET(&o, MUISP_CONTRACT_A_ID);
	o.metric = kmetric(c->metric);
	MUISP_NL_SET(&o, MUISP_CONTRACT_A_METRIC);
	o.conn_hold = k->conn_hold;
	MUISP_NL_SET(&o, MUISP_CONTRACT_A_CONN_HOLD);
	if (k->conn_hold) {
		o.conn_queue = k->conn_queue;
		MUISP_NL_SET(&o, MUISP_CONTRACT_A_CONN_QUEUE);
	}
	o.status = state == CS_ACTIVE	  ? MUISP_CONTRACT_STATUS_ACTIVE :
		   state == CS_DELINQUENT ? MUISP_CONTRACT_STATUS_DELINQUENT :
					    MUISP_CONTRACT_STATUS_SUSPENDED;
	MUISP_NL_SET(&o, MUISP_CONTRACT_A_STATUS);
	if (c->metric == MP_METRIC_ELAPSED) {
		uint64_t end = c->issued + c->hard;

		o.expires_s = end < c->expiry ? end : c->expiry;
	} else {
		o.soft_limit = to_k(c->metric, c->soft);
		o.hard_limit = to_k(c->metric, c->hard);
		o.expires_s = c->expiry;
		MUISP_NL_SET(&o, MUISP_CONTRACT_A_SOFT_LIMIT);
		MUISP_NL_SET(&o, MUISP_CONTRACT_A_HARD_LIMIT);
	}
	MUISP_NL_SET(&o, MUISP_CONTRACT_A_EXPIRES_S);
	if (restore_usage && ctr) {
		/* the four counters of the checkpoint: "used" is their sum
		 * (bytes, packets), the usage time goes with them */
		o.up_bytes = ctr[KC_UB];
		o.up_packets = ctr[KC_UP];
		o.down_bytes = ctr[KC_DB];
		o.down_packets = ctr[KC_DP];
		MUISP_NL_SET(&o, MUISP_CONTRACT_A_UP_BYTES);
		MUISP_NL_SET(&o, MUISP_CONTRACT_A_UP_PACKETS);
		MUISP_NL_SET(&o, MUISP_CONTRACT_A_DOWN_BYTES);
		MUISP_NL_SET(&o, MUISP_CONTRACT_A_DOWN_PACKETS);
		if (c->metric == MP_METRIC_USAGE_TIME) {
			o.usage_ms = to_k(c->metric, c->usage);
			MUISP_NL_SET(&o, MUISP_CONTRACT_A_USAGE_MS);
		}
	} else if (restore_usage && c->metric != MP_METRIC_ELAPSED) {
		switch (c->metric) {
		case MP_METRIC_BYTES:
			o.up_bytes = c->usage;
			MUISP_NL_SET(&o, MUISP_CONTRACT_A_UP_BYTES);
			break;
		case MP_METRIC_PACKETS:
			o.up_packets = c->usage;
			MUISP_NL_SET(&o, MUISP_CONTRACT_A_UP_PACKETS);
			break;
		default:
			o.usage_ms = to_k(c->metric, c->usage);
			MUISP_NL_SET(&o, MUISP_CONTRACT_A_USAGE_MS);
			break;
		}
	}
	if (muisp_nl_contract_set(k->nl, &o)) {
		log_warn("kernel: contract %llu set",
			 (unsigned long long)c->serial);
		return -1;
	}
	return 0;
}

int kernel_contract_del(struct kernel *k, uint64_t serial)
{
	if (!k->nl) {
		for (unsigned i = 0; i < k->n; i++)
			if (k->none[i].serial == serial) {
				k->none[i] = k->none[--k->n];
				break;
			}
		return 0;
	}
	if (muisp_nl_contract_del(k->nl, serial) && errno != ENOENT) {
		log_warn("kernel: contract %llu del",
			 (unsigned long long)serial);
		return -1;
	}
	return 0;
}

int kernel_contract_usage(struct kernel *k, const struct contract_rec *c,
			  uint64_t *used)
{
	uint64_t ctr[KC_N];

	return kernel_contract_counters(k, c, ctr, used);
}

int kernel_contract_counters(struct kernel *k, const struct contract_rec *c,
			     uint64_t ctr[KC_N], uint64_t *used)
{
	struct muisp_nl_contract o;

	/* ctr is written only with what was read: callers pass the live
	 * contract's cache, which the checkpoint stores beside its usage,
	 * and a failed read (the module lost the contract, or went away)
	 * must not leave zeros there for the next checkpoint */
	if (!k->nl) {
		for (unsigned i = 0; i < k->n; i++)
			if (k->none[i].serial == c->serial) {
				/* no direction: the usage is Input */
				*used = k->none[i].used;
				memset(ctr, 0, KC_N * sizeof(*ctr));
				if (c->metric == MP_METRIC_BYTES)
					ctr[KC_UB] = *used;
				else if (c->metric == MP_METRIC_PACKETS)
					ctr[KC_UP] = *used;
				return 0;
			}
		return 1;
	}
	if (muisp_nl_contract_get(k->nl, c->serial, &o))
		return errno == ENOENT ? 1 : -1;
	ctr[KC_UB] = o.up_bytes;
	ctr[KC_UP] = o.up_packets;
	ctr[KC_DB] = o.down_bytes;
	ctr[KC_DP] = o.down_packets;
	switch (c->metric) {
	case MP_METRIC_BYTES:
		*used = o.up_bytes + o.down_bytes;
		break;
	case MP_METRIC_PACKETS:
		*used = o.up_packets + o.down_packets;
		break;
	default:
		*used = o.usage_ms / 1000;
		break;
	}
	return 0;
}

int kernel_usage_add(struct kernel *k, uint64_t serial, uint64_t delta)
{
	if (k->nl) {
		errno = EOPNOTSUPP;
		return -1;
	}
	for (unsigned i = 0; i < k->n; i++)
		if (k->none[i].serial == serial) {
			k->none[i].used += delta;
			return 0;
		}
	if (k->n >= NONE_MAX) {
		errno = ENOSPC;
		return -1;
	}
	k->none[k->n].serial = serial;
	k->none[k->n].used = delta;
	k->n++;
	return 0;
}

/*
 * An ADDR_SET request for addr with its state (and contract if bound).
 * A user of a host ("ID@ADDRESS", contract.h) stands for the host's
 * address: its tunnel, its MAC.
 */
static int addr_msg(struct muisp_nl_addr *a, const char *addr, uint8_t state,
		    uint64_t contract)
{
	memset(a, 0, sizeof(*a));
	addr = contract_payer_host(addr);
	if (muisp_nl_ip_from_str(&a->addr, addr)) {
		log_warnx("kernel: bad address %s", addr);
		return -1;
	}
	MUISP_NL_SET(a, MUISP_ADDR_A_ADDR);
	a->state = state;
	MUISP_NL_SET(a, MUISP_ADDR_A_STATE);
	if (state == MUISP_ADDR_STATE_BOUND) {
		a->contract_id = contract;
		MUISP_NL_SET(a, MUISP_ADDR_A_CONTRACT_ID);
	}
	return 0;
}

static int addr_set(struct kernel *k, const char *addr, uint8_t state,
		    uint64_t serial)
{
	struct muisp_nl_addr a;

	if (!k->nl)
		return 0;
	if (addr_msg(&a, addr, state, serial))
		return -1;
	if (muisp_nl_addr_set(k->nl, &a)) {
		int e = errno;

		if (e == EPERM) /* require-tunnel: no SA for it yet */
			log_warnx("kernel: address %s has no IPsec tunnel",
				  addr);
		else
			log_warn("kernel: address %s", addr);
		errno = e;
		return -1;
	}
	return 0;
}

#ifdef MUISP_TESTING
int kernel_test_refuse_bind; /* binds fail (EPERM: no tunnel) while set */
int kernel_test_lost;	     /* "none" counts as a module that can lose */
#endif

/*
 * A user of a host (payer "ID@ADDRESS"): bound to the contract, or not,
 * in the module's user table (MUISP_CMD_USER_SET/DEL), not its address
 * table: the host's address keeps its own binding for its other users.
 */
static int user_set(struct kernel *k, const char *payer, uint32_t user,
		    uint64_t serial)
{
	struct muisp_nl_user u = { 0 };
	uint32_t id;
	int rc;

	if (!k->nl)
		return 0;
	if (muisp_nl_ip_from_str(&u.addr, contract_payer_host(payer))) {
		log_warnx("kernel: bad address %s", payer);
		errno = EINVAL;
		return -1;
	}
	if (serial) {
		MUISP_NL_SET(&u, MUISP_USER_A_ADDR);
		u.user = user;
		MUISP_NL_SET(&u, MUISP_USER_A_USER);
		u.contract_id = serial;
		/* the codec sends CONTRACT_ID64 for an id beyond 32 bits */
		MUISP_NL_SET(&u, MUISP_USER_A_CONTRACT_ID);
		rc = muisp_nl_user_set(k->nl, &u, &id);
	} else {
		rc = muisp_nl_user_del(k->nl, &u.addr, user);
		if (rc && errno == ENOENT) /* unbound already */
			rc = 0;
	}
	if (rc) {
		int e = errno;

		log_warn("kernel: user %s", payer);
		errno = e;
	}
	return rc;
}

int kernel_addr_bind(struct kernel *k, const char *addr, uint64_t serial)
{
	uint32_t user;

#ifdef MUISP_TESTING
	if (kernel_test_refuse_bind) {
		errno = EPERM;
		return -1;
	}
#endif
	if (contract_payer_user(addr, &user))
		return user_set(k, addr, user, serial);
	return addr_set(k, addr, MUISP_ADDR_STATE_BOUND, serial);
}

int kernel_can_lose(const struct kernel *k)
{
#ifdef MUISP_TESTING
	if (kernel_test_lost)
		return 1;
#endif
	return k->nl != NULL;
}

#ifdef MUISP_TESTING
int kernel_test_fail_unbind; /* unit tests: unbinds fail (EIO) while set */
#endif

int kernel_addr_unbind(struct kernel *k, const char *addr)
{
	uint32_t user;

#ifdef MUISP_TESTING
	if (kernel_test_fail_unbind) {
		errno = EIO;
		return -1;
	}
#endif
	if (contract_payer_user(addr, &user))
		return user_set(k, addr, user, 0);
	/* Fig 5: a bound address becomes unallocated when its contract is
	 * unbound or extinguished; DHCP allocates it again. */
	return addr_set(k, addr, MUISP_ADDR_STATE_UNALLOCATED, 0);
}

#ifdef MUISP_TESTING
struct tun_id kernel_test_tunnel;
#endif

int kernel_addr_get(struct kernel *k, const char *addr, struct kernel_addr *out)
{
	struct muisp_nl_addr a;
	struct muisp_nl_ip ip;

	memset(out, 0, sizeof(*out));
#ifdef MUISP_TESTING
	if (!k->nl && kernel_test_tunnel.spi) {
		out->e.exists = 1;
		out->e.state = MUISP_ADDR_STATE_ALLOCATED;
		out->e.id = kernel_test_tunnel;
		return 0;
	}
#endif
	if (!k->nl)
		return 1;
	addr = contract_payer_host(addr); /* a user's: the host's */
	if (muisp_nl_ip_from_str(&ip, addr)) {
		log_warnx("kernel: bad address %s", addr);
		return -1;
	}
	if (muisp_nl_addr_get(k->nl, &ip, &a)) {
		if (errno == ENOENT)
			return 1;
		log_warn("kernel: address %s", addr);
		return -1;
	}
	out->e.exists = 1;
	out->e.state = a.state;
	out->e.contract = a.state == MUISP_ADDR_STATE_BOUND ? a.contract_id : 0;
	if (MUISP_NL_HAS(&a, MUISP_ADDR_A_XFRM_SPI) && a.xfrm_spi) {
		out->e.id.spi = a.xfrm_spi;
		out->e.id.proto = a.xfrm_proto;
		out->e.id.spi_prev = a.xfrm_spi_prev;
		out->e.id.reqid = a.xfrm_reqid;
	}
	if (MUISP_NL_HAS(&a, MUISP_ADDR_A_MAC)) {
		out->has_mac = 1;
		memcpy(out->mac, a.mac, sizeof(out->mac));
	}
	return 0;
}

int kernel_addr_tunnel(struct kernel *k, const char *addr,
		       const struct kernel_addr *t)
{
	struct muisp_nl_addr a;

	if (!k->nl)
		return 0;
	if (addr_msg(&a, addr, t->e.state, t->e.contract))
		return -1;
	if (t->has_mac) {
		memcpy(a.mac, t->mac, sizeof(a.mac));
		MUISP_NL_SET(&a, MUISP_ADDR_A_MAC);
	}
	/* XFRM_SPI is always sent: 0 clears the identity. */
	a.xfrm_spi = t->e.id.spi;
	MUISP_NL_SET(&a, MUISP_ADDR_A_XFRM_SPI);
	if (t->e.id.spi) {
		a.xfrm_proto = t->e.id.proto;
		MUISP_NL_SET(&a, MUISP_ADDR_A_XFRM_PROTO);
		if (t->e.id.spi_prev) {
			a.xfrm_spi_prev = t->e.id.spi_prev;
			MUISP_NL_SET(&a, MUISP_ADDR_A_XFRM_SPI_PREV);
		}
		if (t->e.id.reqid) {
			a.xfrm_reqid = t->e.id.reqid;
			MUISP_NL_SET(&a, MUISP_ADDR_A_XFRM_REQID);
		}
	}
	if (muisp_nl_addr_set(k->nl, &a)) {
		log_warn("kernel: address %s (tunnel)", addr);
		return -1;
	}
	return 0;
}

struct tunnels_ctx {
	void (*fn)(const char *addr, void *arg);
	void *arg;
};

static int tunnels_cb(const struct muisp_nl_addr *a, void *arg)
{
	struct tunnels_ctx *c = arg;
	char ip[MUISP_NL_IPSTRLEN];

	if (MUISP_NL_HAS(a, MUISP_ADDR_A_XFRM_SPI) && a->xfrm_spi)
		c->fn(muisp_nl_ip_to_str(&a->addr, ip), c->arg);
	return MNL_CB_OK;
}

int kernel_addr_tunnels(struct kernel *k,
			void (*fn)(const char *addr, void *arg), void *arg)
{
	struct tunnels_ctx c = { fn, arg };

	if (!k->nl)
		return 0;
	/* A restarted dump repeats entries: callers deduplicate. */
	if (muisp_nl_addr_dump(k->nl, tunnels_cb, NULL, &c)) {
		log_warn("kernel: address dump");
		return -1;
	}
	return 0;
}

int kernel_lan_ifname(struct kernel *k, char *name, size_t cap)
{
	struct muisp_nl_config cf;
	char buf[IF_NAMESIZE];

	if (!k->nl || muisp_nl_config_get(k->nl, &cf) ||
	    !MUISP_NL_HAS(&cf, MUISP_CONFIG_A_LAN_IFINDEX) || !cf.lan_ifindex ||
	    !if_indextoname(cf.lan_ifindex, buf) || strlen(buf) >= cap)
		return 1;
	memcpy(name, buf, strlen(buf) + 1);
	return 0;
}

int kernel_tunnel_is_esp(struct kernel *k, const char *addr)
{
	struct muisp_nl_addr a;
	struct muisp_nl_ip ip;

	/* The module's entry names the address's SA (set from the CHILD_SA
	 * that came up for it): ESP means the tunnel encrypts. */
	if (!k->nl || muisp_nl_ip_from_str(&ip, contract_payer_host(addr)))
		return 0;
	if (muisp_nl_addr_get(k->nl, &ip, &a))
		return 0;
	return MUISP_NL_HAS(&a, MUISP_ADDR_A_XFRM_PROTO) &&
	       a.xfrm_proto == IPPROTO_ESP;
}

int kernel_agent_set(struct kernel *k, const char *addr, const uint8_t *key,
		     uint32_t key_id, int scheme, int hold_queue)
{
	struct muisp_nl_agent a;
	uint32_t id;
	int rc;

	if (!k->nl)
		return 0;
	memset(&a, 0, sizeof(a));
	if (muisp_nl_ip_from_str(&a.addr, addr)) {
		log_warnx("kernel: agent %s: not an address", addr);
		return -1;
	}
	MUISP_NL_SET(&a, MUISP_AGENT_A_ADDR);
	if (key) {
		memcpy(a.key, key, sizeof(a.key));
		a.key_id = key_id;
		MUISP_NL_SET(&a, MUISP_AGENT_A_KEY);
		MUISP_NL_SET(&a, MUISP_AGENT_A_KEY_ID);
	}
	a.scheme = (uint8_t)scheme;
	MUISP_NL_SET(&a, MUISP_AGENT_A_SCHEME);
	if (hold_queue >= 0) {
		a.hold_queue = (uint16_t)hold_queue;
		MUISP_NL_SET(&a, MUISP_AGENT_A_HOLD_QUEUE);
	}
	rc = muisp_nl_agent_set(k->nl, &a, &id);
	OPENSSL_cleanse(a.key, sizeof(a.key));
	if (rc) {
		log_warn("kernel: agent %s%s%s", addr,
			 *muisp_nl_ext_msg(k->nl) ? ": " : "",
			 muisp_nl_ext_msg(k->nl));
		return -1;
	}
	return 0;
}

#ifdef MUISP_TESTING
unsigned kernel_test_flow_sets; /* kernel_agent_flow_set() calls */
uint32_t kernel_test_flow_user; /* ... the last one's user */
int kernel_test_fail_flow_set;	/* ... fail (ENOENT) while set */
#endif

int kernel_agent_flow_set(struct kernel *k, int family, int proto,
			  const void *host, uint16_t port, const void *peer,
			  uint16_t peer_port, uint32_t user)
{
	size_t alen = family == AF_INET ? 4 : 16;
	struct muisp_nl_agent a;

#ifdef MUISP_TESTING
	kernel_test_flow_sets++;
	kernel_test_flow_user = user;
	if (kernel_test_fail_flow_set) {
		errno = ENOENT;
		return -1;
	}
#endif
	if (!k->nl)
		return 0;
	memset(&a, 0, sizeof(a));
	a.addr.family = (uint8_t)family;
	memcpy(a.addr.a, host, alen);
	a.peer.family = (uint8_t)family;
	memcpy(a.peer.a, peer, alen);
	a.proto = (uint8_t)proto;
	a.port = port;
	a.peer_port = peer_port;
	a.user = user;
	MUISP_NL_SET(&a, MUISP_AGENT_A_ADDR);
	MUISP_NL_SET(&a, MUISP_AGENT_A_PEER);
	MUISP_NL_SET(&a, MUISP_AGENT_A_PROTO);
	MUISP_NL_SET(&a, MUISP_AGENT_A_PORT);
	MUISP_NL_SET(&a, MUISP_AGENT_A_PEER_PORT);
	MUISP_NL_SET(&a, MUISP_AGENT_A_USER);
	if (muisp_nl_agent_flow_set(k->nl, &a))
		return -1;
	return 0;
}

#ifdef MUISP_TESTING
unsigned kernel_test_usage_moves; /* kernel_user_usage_move() calls */
int kernel_test_usage_errno;	  /* ... fail with it while set */
#endif

int kernel_user_usage_move(struct kernel *k, const char *host, uint32_t user,
			   uint64_t seq, const uint64_t usage[4],
			   uint64_t moved[4])
{
	struct muisp_nl_user u = { 0 }, m;

#ifdef MUISP_TESTING
	kernel_test_usage_moves++;
	if (kernel_test_usage_errno) {
		errno = kernel_test_usage_errno;
		return -1;
	}
#endif
	memcpy(moved, usage, 4 * sizeof(*moved));
	if (!k->nl)
		return 0;
	if (muisp_nl_ip_from_str(&u.addr, host)) {
		errno = EINVAL;
		return -1;
	}
	u.user = user;
	u.usage_seq = seq;
	u.up_bytes = usage[0];
	u.up_packets = usage[1];
	u.down_bytes = usage[2];
	u.down_packets = usage[3];
	MUISP_NL_SET(&u, MUISP_USER_A_ADDR);
	MUISP_NL_SET(&u, MUISP_USER_A_USER);
	MUISP_NL_SET(&u, MUISP_USER_A_USAGE_SEQ);
	MUISP_NL_SET(&u, MUISP_USER_A_UP_BYTES);
	MUISP_NL_SET(&u, MUISP_USER_A_UP_PACKETS);
	MUISP_NL_SET(&u, MUISP_USER_A_DOWN_BYTES);
	MUISP_NL_SET(&u, MUISP_USER_A_DOWN_PACKETS);
	if (muisp_nl_user_usage_move(k->nl, &u, &m))
		return -1;
	moved[0] = m.up_bytes;
	moved[1] = m.up_packets;
	moved[2] = m.down_bytes;
	moved[3] = m.down_packets;
	return 0;
}

const char *kernel_ext_msg(struct kernel *k)
{
	return k->nl ? muisp_nl_ext_msg(k->nl) : "";
}

struct agents_ctx {
	struct muisp_nl_ip keyed[64];
	unsigned n, more;
};

static int keyed_cb(const struct muisp_nl_agent *a, void *arg)
{
	struct agents_ctx *c = arg;

	if (!MUISP_NL_HAS(a, MUISP_AGENT_A_KEY_ID))
		return MNL_CB_OK;
	if (c->n == sizeof(c->keyed) / sizeof(c->keyed[0]))
		c->more = 1;
	else
		c->keyed[c->n++] = a->addr;
	return MNL_CB_OK;
}

static void keyed_reset(void *arg)
{
	struct agents_ctx *c = arg;

	c->n = 0;
	c->more = 0;
}

int kernel_agents_close(struct kernel *k, unsigned *n)
{
	struct agents_ctx c;
	char buf[MUISP_NL_IPSTRLEN];

	*n = 0;
	if (!k->nl)
		return 0;
	/* in rounds: closing an agent changes the table under a dump */
	do {
		memset(&c, 0, sizeof(c));
		if (muisp_nl_agent_dump(k->nl, keyed_cb, keyed_reset, &c)) {
			log_warn("kernel: agent dump");
			return -1;
		}
		for (unsigned i = 0; i < c.n; i++) {
			if (kernel_agent_set(
				    k, muisp_nl_ip_to_str(&c.keyed[i], buf),
				    NULL, 0, MUISP_AGENT_SCHEME_IN_BAND, -1))
				return -1;
			(*n)++;
		}
	} while (c.more);
	return 0;
}

struct known_ctx {
	struct muisp_nl_ip ip;
	int found;
};

static int known_cb(const struct muisp_nl_agent *a, void *arg)
{
	struct known_ctx *c = arg;

	if (a->addr.family == c->ip.family &&
	    !memcmp(a->addr.a, c->ip.a, c->ip.family == AF_INET ? 4 : 16))
		c->found = 1;
	return MNL_CB_OK;
}

static void known_reset(void *arg)
{
	((struct known_ctx *)arg)->found = 0;
}

/* 1 if the module has an agent for addr (keyed or closed), 0 if not, -1
 * if it cannot say. */
int kernel_agent_known(struct kernel *k, const char *addr)
{
	struct known_ctx c = { 0 };

	if (!k->nl)
		return 0;
	if (muisp_nl_ip_from_str(&c.ip, contract_payer_host(addr)))
		return -1;
	if (muisp_nl_agent_dump(k->nl, known_cb, known_reset, &c)) {
		log_warn("kernel: agent dump");
		return -1;
	}
	return c.found;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Purchasing agents (Edell's "Purchasing Agent" and "User Name Server";
 * PROTOCOL.md §10, docs/DESIGN.md "Per-connection billing").  A user's
 * muisp-agent opens the ordinary user channel and says CONN_AGENT_HELLO
 * for its contract: the contract must be bound to the channel's payer
 * (USER@HOST as the host's agent named the channel's owner, or the
 * address) and carry a holder key (a MUR2 receipt).  That channel is then
 * where the access controller (conn_hold.c) asks about the payer's new
 * connections: CONN_ASK with the price and a fresh challenge; the answer,
 * CONN_VERDICT, counts only with the holder key's signature over the
 * question (mp_conn_message()), which the contract's receipt names, so
 * neither another user of the host nor anyone on the LAN can answer for
 * the user.  Online feedback: the running cost of the payer's open
 * connections, CONN_COST, every few seconds and at their end.
 */
#include <arpa/inet.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "holdq.h"
#include "log.h"
#include "muispd.h"
#include "receipt.h"

/* The purchasing agent's channel of contract serial, or NULL. */
struct conn *pagent_for(struct muispd *md, uint64_t serial)
{
	for (unsigned i = 0; i < md->nconns; i++) {
		struct conn *c = md->conns[i];

		if (c && c->pagent_serial == serial)
			return c;
	}
	return NULL;
}

/* CONN_AGENT_HELLO SERIAL: c answers for that contract from now on. */
void pagent_hello(struct muispd *md, struct conn *c, const struct mp_msg *req)
{
	struct live *l = live_find(md, req->u[MP_A_SERIAL]);
	struct conn *old;

	if (!l || !contract_is_bound(l->rec.state) ||
	    strcmp(l->rec.addr, c->addr)) {
		conn_error(c, req, MP_ERR_UNKNOWN,
			   "no contract %llu bound to %s",
			   (unsigned long long)req->u[MP_A_SERIAL], c->addr);
		return;
	}
	if (!l->rec.has_holder) {
		conn_error(c, req, MP_ERR_STATE,
			   "contract %llu has no holder key to sign answers "
			   "with (buy with a current muisp-client)",
			   (unsigned long long)l->rec.serial);
		return;
	}
	old = pagent_for(md, l->rec.serial);
	if (old && old != c)
		old->pagent_serial = 0; /* the newest answers */
	c->pagent_serial = l->rec.serial;
	log_info("%s: purchasing agent for contract %llu", c->addr,
		 (unsigned long long)l->rec.serial);
	session_reply_status(c, req, &l->rec, MP_T_STATUS, 0);
}

/* The question about f of contract l, as sent and as signed. */
static void ask_build(struct muispd *md, const struct hold_flow *f,
		      const struct live *l, uint32_t serial, struct mp_msg *m)
{
	char host[INET6_ADDRSTRLEN], peer[INET6_ADDRSTRLEN];

	inet_ntop(f->family, f->host, host, sizeof(host));
	inet_ntop(f->family, f->peer, peer, sizeof(peer));
	mp_init(m, MP_T_CONN_ASK, 0, serial);
	mp_set_u(m, MP_A_SERIAL, l->rec.serial);
	mp_set_u(m, MP_A_PROTO, f->proto);
	mp_set_s(m, MP_A_ADDR, host);
	mp_set_u(m, MP_A_SPORT, f->hport);
	mp_set_s(m, MP_A_PEER, peer);
	mp_set_u(m, MP_A_DPORT, f->pport);
	mp_set_u(m, MP_A_METRIC, l->rec.metric);
	mp_set_u(m, MP_A_PRICE, l->rec.price);
	mp_set_u(m, MP_A_UNIT, l->rec.unit ? l->rec.unit : 1);
	mp_set_s(m, MP_A_CURRENCY, md->conf.currency);
	mp_set_fix(m, MP_A_CHALLENGE, f->challenge, sizeof(f->challenge));
	if (f->user)
		mp_set_u(m, MP_A_USER, f->user);
}

int pagent_ask(struct muispd *md, struct hold_flow *f, const struct live *l)
{
	struct conn *a;
	struct mp_msg m;

	if (!l->rec.has_holder)
		return 0;
	a = pagent_for(md, l->rec.serial);
	if (!a || RAND_bytes(f->challenge, sizeof(f->challenge)) != 1)
		return 0;
	f->agent = a->id;
	f->serial = ++a->owner_seq;
	a->pagent_owed++;
	f->paying = l->rec.serial;
	ask_build(md, f, l, f->serial, &m);
	if (conn_queue(a, &m)) {
		f->agent = 0;
		return 0;
	}
	return 1;
}

int pagent_verdict_ok(struct muispd *md, const struct hold_flow *f,
		      const struct mp_msg *m)
{
	struct live *l = live_find(md, f->paying);
	uint8_t msg[MP_CONN_MSG_MAX];
	struct mp_msg ask;
	size_t n;

	if (!l || !l->rec.has_holder || !mp_has(m, MP_A_SIGNATURE))
		return 0;
	ask_build(md, f, l, f->serial, &ask);
	n = mp_conn_message(&ask, (int)m->u[MP_A_VERDICT], msg, sizeof(msg));
	return n && receipt_holder_verify(l->rec.holder, msg, n,
					  mp_fix(m, MP_A_SIGNATURE)) == 0;
}

void pagent_cost(struct muispd *md, uint64_t contract,
		 const struct muisp_nl_flow *f, uint64_t cost, int ended,
		 const char *why)
{
	struct conn *a = contract ? pagent_for(md, contract) : NULL;
	char host[INET6_ADDRSTRLEN], peer[INET6_ADDRSTRLEN];
	struct mp_msg m;

	if (!a)
		return;
	muisp_nl_ip_to_str(&f->client_addr, host);
	muisp_nl_ip_to_str(&f->peer_addr, peer);
	mp_init(&m, MP_T_CONN_COST, MP_F_ASYNC, 0);
	mp_set_u(&m, MP_A_SERIAL, contract);
	mp_set_u(&m, MP_A_PROTO, f->proto);
	mp_set_s(&m, MP_A_ADDR, host);
	mp_set_u(&m, MP_A_SPORT, f->client_port);
	mp_set_s(&m, MP_A_PEER, peer);
	mp_set_u(&m, MP_A_DPORT, f->peer_port);
	mp_set_u(&m, MP_A_TIME, f->first_ms / 1000);
	mp_set_u(&m, MP_A_SENT_BYTES, f->up_bytes);
	mp_set_u(&m, MP_A_SENT_PKTS, f->up_packets);
	mp_set_u(&m, MP_A_RECV_BYTES, f->down_bytes);
	mp_set_u(&m, MP_A_RECV_PKTS, f->down_packets);
	mp_set_u(&m, MP_A_CHARGE, cost);
	if (ended) {
		mp_set_u(&m, MP_A_END, f->last_ms / 1000);
		mp_set_s(&m, MP_A_MESSAGE, why);
	}
	conn_queue(a, &m);
}

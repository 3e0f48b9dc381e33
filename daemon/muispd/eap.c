// SPDX-License-Identifier: GPL-2.0
/*
 * Devices without muisp-client (docs/DESIGN.md): a phone's or laptop's
 * built-in IKEv2 client authenticates with EAP-MSCHAPv2 on charon's
 * connection eap-connection (muisp-ike conf router --eap-pool), with a
 * voucher's credentials as username and password (contract_eap_creds).
 *
 *   - muispd loads every usable voucher into charon as an EAP secret over
 *     VICI (load-shared, id "muisp-voucher-USER"): all of them whenever
 *     it (re)connects to charon, a new one when it is issued, and unloads
 *     a voucher's secret once an EAP contract left it with nothing.
 *   - An EAP CHILD_SA up (ikesync.c follows it; its address is the
 *     virtual IP charon gave from its pool, and ikesync.c records the SA
 *     in the module's entry of that address): muispd establishes a
 *     contract paid by the voucher of the EAP identity, on the offer
 *     eap-offer names (price METRIC voucher esp), hard limit what the
 *     balance buys (or eap-offer's HARD), soft limit = hard (the device
 *     gets no warnings), binds it to the address and starts it.
 *   - The SA down: the contract is terminated and settled (the unused
 *     deposit back to the voucher).  The contract extinguished (hard
 *     limit, expiry) or refused (no balance): muispd terminates the
 *     IKE_SA over VICI.
 *   - Roamers (user@realm) on connection eap-roam-connection: charon's
 *     eap-radius asks muispd's relay (radrelay.c), whose tap keeps the
 *     home server's Access-Accept by IKE_SA; the CHILD_SA up establishes
 *     a contract of method roam (payment_radius.c) on the price line
 *     `price METRIC roam esp` of eap-offer's metric, limited by the
 *     Accept as a control-channel roamer's is.  No Accept for the SA:
 *     the IKE_SA is ended.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "config.h"
#include "ike_watch.h"
#include "log.h"
#include "muispd.h"
#include "payment_radius.h"
#include "radrelay.h"

struct eap_sa {
	char addr[64];	 /* the virtual IP */
	uint32_t ike_id; /* charon's IKE_SA unique id */
	char user[256];	 /* the EAP identity */
	char code[32];	 /* its voucher, "" not found yet */
	uint64_t serial; /* its contract, 0 none yet */
	int ended;	 /* terminate sent over VICI */
	/* a roamer: the home server's Accept (NULL: a voucher) */
	struct roam_auth *roam;
};

static struct eap_sa *sa_find(struct muispd *md, const char *addr,
			      uint32_t ike_id)
{
	for (unsigned i = 0; i < md->eap.n; i++)
		if (md->eap.sas[i].ike_id == ike_id &&
		    !strcmp(md->eap.sas[i].addr, addr))
			return &md->eap.sas[i];
	return NULL;
}

static void sa_del(struct muispd *md, struct eap_sa *e)
{
	free(e->roam);
	*e = md->eap.sas[--md->eap.n];
}

/* The voucher's EAP secret into charon (1) or out of it (0). */
static void secret(struct muispd *md, const char *code, int load)
{
	char user[16], pass[16], id[48];
	struct vici_builder b;

	if (contract_eap_creds(code, user, sizeof(user), pass, sizeof(pass)))
		return;
	snprintf(id, sizeof(id), "muisp-voucher-%s", user);
	vici_builder_init(&b);
	vici_add_kv_str(&b, "id", id);
	if (load) {
		vici_add_kv_str(&b, "type", "EAP");
		vici_add_kv_str(&b, "data", pass);
		vici_list_begin(&b, "owners");
		vici_list_item_str(&b, user);
		vici_list_end(&b);
	}
	if (!ikesync_command(md, load ? "load-shared" : "unload-shared", &b))
		log_debug("vici: EAP secret of %s %s", user,
			  load ? "loaded" : "unloaded");
}

static int load_cb(const char *code, void *arg)
{
	secret(arg, code, 1);
	return 0;
}

/* Connected to charon (again): every usable voucher's secret. */
void eap_vici_ready(struct muispd *md)
{
	if (md->conf.eap &&
	    store_voucher_foreach(md->st, muispd_now(md), load_cb, md))
		log_warnx("eap: vouchers not loaded into charon");
}

void eap_voucher_issued(struct muispd *md, const char *code)
{
	if (!md->conf.eap)
		return;
	secret(md, code, 1);
	ikesync_arm(md);
}

/* After a contract of e's voucher ended: an empty voucher's secret is
 * unloaded, one with a balance left (re)loaded. */
static void voucher_after(struct muispd *md, const char *code)
{
	uint64_t bal, exp;

	if (!code[0] || store_voucher_get(md->st, code, &bal, &exp))
		return;
	secret(md, code, bal > 0 && (!exp || exp >= muispd_now(md)));
}

/* Tell charon to end e's IKE_SA (without waiting for it). */
static void ike_end(struct muispd *md, struct eap_sa *e, const char *why)
{
	if (e->ended)
		return;
	if (ikesync_terminate(md, e->ike_id) == 0) {
		e->ended = 1;
		log_info("eap: %s (%s): IKE_SA %u terminated: %s", e->addr,
			 e->user, e->ike_id, why);
	}
}

/* Whether e's contract can be made now: 1 yes, 0 not yet (the SA's
 * module entry is not there), -1 it exists (restored after a restart). */
static int eap_ready(struct muispd *md, struct eap_sa *e)
{
	struct kernel_addr ka;
	struct live *l;

	l = live_by_addr(md, e->addr);
	if (l) { /* restored after a restart */
		e->serial = l->rec.serial;
		return -1;
	}
	/* ikesync.c records the SA in the address's entry first */
	if (kernel_addr_get(md->k, e->addr, &ka) || !ka.e.id.spi)
		return 0;
	return 1;
}

/* A new contract on price line p with hard limit hard (soft = hard: the
 * device gets no warnings). */
static void contract_for(struct muispd *md, struct contract_rec *r,
			 const struct price *p, uint64_t hard, uint64_t now)
{
	memset(r, 0, sizeof(*r));
	r->serial = ++md->contract_seq;
	r->state = CS_UNBOUND;
	r->metric = p->metric;
	r->method = p->method;
	r->privacy = p->privacy;
	r->soft = r->hard = hard;
	r->price = p->price;
	r->unit = p->unit;
	r->deposit = contract_cost(p->price, p->unit, hard);
	r->issued = now;
	r->expiry = now + md->conf.lifetime_s;
	r->usage_at = now;
}

/* Establish r for e (paid with param), bind it to e's address and start
 * it.  0, or -1 refused (the IKE_SA is ended). */
static int start(struct muispd *md, struct eap_sa *e, struct contract_rec *r,
		 const char *param, uint64_t now)
{
	struct live *l;
	char msg[200];

	if (channel_establish(md, r, e->addr, param, &l, msg, sizeof(msg))) {
		log_warnx("eap: %s (%s): no contract: %s", e->addr, e->user,
			  msg);
		ike_end(md, e, "no contract");
		return -1;
	}
	if (session_step(l, CE_START, 0, now) || session_kpush(md, l, 0) ||
	    session_persist(md, l))
		log_warnx("eap: contract %llu: not started",
			  (unsigned long long)l->rec.serial);
	e->serial = l->rec.serial;
	log_info("eap: %s (%s): contract %llu bound and started, hard limit "
		 "%llu %s",
		 e->addr, e->user, (unsigned long long)e->serial,
		 (unsigned long long)l->rec.hard, mp_metric_name(r->metric));
	return 0;
}

/* The contract of a roamer's SA: method roam, limited by the Accept the
 * relay's tap kept for it.  0 done (or not yet), -1 refused. */
static int establish_roam(struct muispd *md, struct eap_sa *e, uint64_t now)
{
	const struct payment_method *pm =
		payment_lookup(&md->pay, MP_METHOD_ROAM);
	const struct price *p = eap_roam_price(&md->conf);
	struct contract_rec r;
	char param[80], msg[200];

	if (eap_ready(md, e) <= 0)
		return 0;
	if (!pm || !p) {
		ike_end(md, e, "roaming is not configured");
		return -1;
	}
	contract_for(md, &r, p, md->conf.max_hard[p->metric], now);
	if (payment_roam_accepted(pm, r.serial, e->roam, msg, sizeof(msg))) {
		log_warnx("eap: %s (%s): %s", e->addr, e->user, msg);
		ike_end(md, e, "no contract");
		return -1;
	}
	snprintf(param, sizeof(param), "roam:%.60s", e->roam->realm);
	return start(md, e, &r, param, now);
}

/* The contract of e: established on its voucher, bound, started.  0 done
 * (or nothing to do yet), -1 refused (the IKE_SA is ended). */
static int establish(struct muispd *md, struct eap_sa *e, uint64_t now)
{
	const struct price *p = eap_price(&md->conf);
	struct contract_rec r;
	uint64_t bal, exp, hard;

	if (e->roam)
		return establish_roam(md, e, now);
	if (eap_ready(md, e) <= 0)
		return 0;
	if (!p ||
	    store_voucher_by_eap_user(md->st, e->user, e->code,
				      sizeof(e->code)) ||
	    store_voucher_get(md->st, e->code, &bal, &exp)) {
		ike_end(md, e, "no voucher for this EAP identity");
		return -1;
	}
	/* what the balance buys, also when it is less than one price */
	hard = contract_affordable(p->price, p->unit, bal);
	if (hard > md->conf.max_hard[p->metric])
		hard = md->conf.max_hard[p->metric];
	if (md->conf.eap_hard && hard > md->conf.eap_hard)
		hard = md->conf.eap_hard;
	if (!hard) {
		voucher_after(md, e->code);
		ike_end(md, e, "the voucher is spent");
		return -1;
	}
	contract_for(md, &r, p, hard, now);
	return start(md, e, &r, e->code, now);
}

void eap_child_up(struct muispd *md, const struct ike_child *c,
		  const char *addr)
{
	const char *user = c->remote_eap_id[0] ? c->remote_eap_id :
						 c->remote_id;
	int roam = md->relay && !strcmp(c->ike_name, md->conf.eap_roam_conn);
	struct radrelay_accept acc;
	struct eap_sa *e;

	if (!roam && (!md->conf.eap || strcmp(c->ike_name, md->conf.eap_conn)))
		return;
	e = sa_find(md, addr, c->ike_uniqueid);
	if (!e) {
		if (md->eap.n == md->eap.cap) {
			unsigned cap = md->eap.cap ? md->eap.cap * 2 : 16;
			struct eap_sa *n =
				realloc(md->eap.sas, cap * sizeof(*n));

			if (!n)
				return;
			md->eap.sas = n;
			md->eap.cap = cap;
		}
		e = &md->eap.sas[md->eap.n++];
		memset(e, 0, sizeof(*e));
		snprintf(e->addr, sizeof(e->addr), "%s", addr);
		e->ike_id = c->ike_uniqueid;
		snprintf(e->user, sizeof(e->user), "%s", user);
		log_info("eap: %s: IKE_SA %u of %s up", addr, e->ike_id,
			 e->user);
		if (roam &&
		    !radrelay_take(md->relay, e->ike_id, e->user, &acc)) {
			e->roam = malloc(sizeof(*e->roam));
			if (e->roam)
				*e->roam = acc.auth;
		}
		if (roam && !e->roam && !live_by_addr(md, addr)) {
			ike_end(md, e,
				"no Access-Accept from a home server "
				"for this IKE_SA");
			return;
		}
	}
	if (!e->serial && !e->ended)
		establish(md, e, muispd_now(md));
}

void eap_child_down(struct muispd *md, const struct ike_child *c,
		    const char *addr)
{
	struct eap_sa *e = sa_find(md, addr, c->ike_uniqueid);
	struct live *l;
	char code[32];

	if (!e)
		return;
	l = e->serial ? live_find(md, e->serial) : NULL;
	log_info("eap: %s (%s): IKE_SA %u down", addr, e->user, e->ike_id);
	snprintf(code, sizeof(code), "%s", e->code);
	sa_del(md, e);
	if (l && l->rec.state != CS_EXTINGUISHED) {
		l->acct_cause = RAD_TERM_USER_REQUEST; /* or a DPD loss */
		session_terminate(md, NULL, NULL, l, muispd_now(md));
	}
	voucher_after(md, code);
}

/* Once a second: contracts not yet made (the SA's entry was not there),
 * IKE_SAs whose contract has ended, and contracts unbound while their SA
 * was followed (its down missed while charon was away, or the operator's
 * unbind): ended too. */
void eap_tick(struct muispd *md, uint64_t now)
{
	for (unsigned i = 0; i < md->eap.n; i++) {
		struct eap_sa *e = &md->eap.sas[i];
		struct live *l;

		if (e->ended)
			continue;
		if (!e->serial) {
			establish(md, e, now);
			continue;
		}
		l = live_find(md, e->serial);
		if (l && l->rec.state == CS_UNBOUND) {
			log_info("eap: contract %llu of %s (%s) unbound: ended",
				 (unsigned long long)e->serial, e->addr,
				 e->user);
			session_terminate(md, NULL, NULL, l, now);
			l = live_find(md, e->serial);
		}
		if (!l) {
			voucher_after(md, e->code);
			ike_end(md, e, "its contract has ended");
		}
	}
	if (md->eap.n)
		ikesync_arm(md);
}

void eap_close(struct muispd *md)
{
	for (unsigned i = 0; i < md->eap.n; i++)
		free(md->eap.sas[i].roam);
	free(md->eap.sas);
	memset(&md->eap, 0, sizeof(md->eap));
}

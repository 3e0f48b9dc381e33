// SPDX-License-Identifier: GPL-2.0
/*
 * muispd's receipt keys: rotation (by the operator, OP_KEY_ROTATE, or by
 * the schedule of muispd.conf's key-rotate-interval), retirement and the
 * operator's list (OP_KEY_LIST).  The schedule is computed from the
 * creation and rotation times in the store, so it survives a restart:
 * the tick (server.c, once a second) calls keys_tick().
 *
 * A key rotated out is retiring: it still verifies the receipts it
 * signed until key-retire-after has passed and no outstanding contract
 * it signed is left (each ended or expired), then it is retired and its
 * receipts are refused.  Its verify_until is the latest that can be
 * (receipt_retire_at); keys_tick() brings it forward when the contracts
 * end sooner.  Retired keys leave the store at the next rotation.
 */
#include <string.h>

#include "log.h"
#include "muispd.h"

/* After a rotation that failed (a keyring full of retiring keys), the
 * schedule tries again this much later. */
#define KEYS_RETRY_S 60

/* The outstanding contracts signed by key id, and the latest expiry of
 * those not expired at now. */
static unsigned outstanding(struct muispd *md, uint32_t id, uint64_t now,
			    uint64_t *last)
{
	unsigned n = 0;

	*last = 0;
	for (unsigned i = 0; i < md->nlives; i++) {
		const struct contract_rec *r = &md->lives[i].rec;

		if (r->key_id != id || !contract_is_outstanding(r->state) ||
		    r->expiry <= now)
			continue;
		n++;
		if (r->expiry > *last)
			*last = r->expiry;
	}
	return n;
}

/* Write the keyring: every key in it, and delete the keys of before
 * that it dropped (retired ones). */
static int keys_save(struct muispd *md, const struct receipt_keyring *before)
{
	if (store_begin(md->st))
		return -1;
	for (unsigned i = 0; i < before->n; i++) {
		int kept = 0;

		for (unsigned j = 0; j < md->kr.n; j++)
			kept |= md->kr.keys[j].id == before->keys[i].id;
		if (!kept && store_key_delete(md->st, before->keys[i].id))
			goto fail;
	}
	for (unsigned i = 0; i < md->kr.n; i++)
		if (store_key_put(md->st, &md->kr.keys[i]))
			goto fail;
	if (store_commit(md->st))
		goto fail;
	return 0;
fail:
	store_rollback(md->st);
	return -1;
}

int64_t keys_rotate(struct muispd *md, uint64_t now, const char *why)
{
	struct receipt_keyring before = md->kr;
	const struct receipt_key *old = receipt_key_current(&md->kr);
	uint32_t old_id = old ? old->id : 0;
	uint64_t last = 0, until;
	struct receipt_key nk;
	int64_t id;

	if (old_id)
		outstanding(md, old_id, now, &last);
	until = receipt_retire_at(now, md->conf.key_retire_s, last);
	id = receipt_keyring_rotate(&md->kr, now, until, &nk);
	if (id < 0) {
		md->kr = before;
		log_warnx("receipt key rotation (%s) failed: %u keys still "
			  "verify receipts",
			  why, md->kr.n);
		return -1;
	}
	if (keys_save(md, &before)) {
		md->kr = before;
		log_warnx("receipt key rotation (%s): the store failed", why);
		return -1;
	}
	memset(&nk, 0, sizeof(nk));
	log_info("receipt key %lld current (%s); key %u retiring, verifies "
		 "until %llu at the latest",
		 (long long)id, why, old_id, (unsigned long long)until);
	return id;
}

void keys_tick(struct muispd *md, uint64_t now)
{
	const struct receipt_key *cur = receipt_key_current(&md->kr);
	uint64_t at = cur ? receipt_rotate_at(cur, md->conf.key_rotate_s) : 0;

	for (unsigned i = 0; i < md->kr.n; i++) {
		struct receipt_key *k = &md->kr.keys[i];
		uint64_t last, was = k->verify_until;
		unsigned n = outstanding(md, k->id, now, &last);

		if (!receipt_retire_early(k, now, md->conf.key_retire_s, n))
			continue;
		k->verify_until = now;
		if (store_key_put(md->st, k)) {
			k->verify_until = was;
			continue;
		}
		log_info("receipt key %u retired: no outstanding contract "
			 "signed by it; its receipts are refused from now on",
			 k->id);
	}
	if (at && now >= at && now >= md->key_retry &&
	    keys_rotate(md, now, "schedule") < 0)
		md->key_retry = now + KEYS_RETRY_S;
}

void keys_op_rotate(struct muispd *md, struct conn *c, const struct mp_msg *req)
{
	int64_t id = keys_rotate(md, muispd_now(md), "operator");
	struct mp_msg m;

	if (id < 0) {
		conn_error(c, req, MP_ERR_INTERNAL,
			   "rotation failed: every "
			   "key slot holds a key that still verifies receipts");
		return;
	}
	mp_init(&m, MP_T_OP_OK, MP_F_REPLY, req->serial);
	mp_set_u(&m, MP_A_KEY_ID, (uint64_t)id);
	conn_queue(c, &m);
}

void keys_op_list(struct muispd *md, struct conn *c, const struct mp_msg *req)
{
	uint64_t now = muispd_now(md);
	uint32_t prev = 0;
	struct mp_msg m;

	/* In id order (the keyring is not): the next id above prev. */
	for (unsigned n = 0; n < md->kr.n; n++) {
		const struct receipt_key *k = NULL;
		enum receipt_key_state st;
		uint64_t at;

		for (unsigned i = 0; i < md->kr.n; i++)
			if (md->kr.keys[i].id > prev &&
			    (!k || md->kr.keys[i].id < k->id))
				k = &md->kr.keys[i];
		if (!k)
			break;
		prev = k->id;
		st = receipt_key_state(k, now);
		at = receipt_rotate_at(k, md->conf.key_rotate_s);
		mp_init(&m, MP_T_OP_KEY, MP_F_REPLY | MP_F_MORE, req->serial);
		mp_set_u(&m, MP_A_KEY_ID, k->id);
		mp_set_u(&m, MP_A_TIME, k->created);
		mp_set_u(&m, MP_A_KEY_STATE, st);
		if (st != RECEIPT_KEY_CURRENT && k->verify_until)
			mp_set_u(&m, MP_A_NOT_AFTER, k->verify_until);
		if (st == RECEIPT_KEY_CURRENT && at)
			mp_set_u(&m, MP_A_EXPIRY, at);
		conn_queue(c, &m);
	}
	mp_init(&m, MP_T_OP_OK, MP_F_REPLY, req->serial);
	conn_queue(c, &m);
}

/* The reply to the receipt of req that receipt_verify() refused with
 * rc.  Keys are numbered in order, so a key below the current one that
 * no longer verifies, or is gone from the store, was retired. */
void keys_refuse(struct muispd *md, struct conn *c, const struct mp_msg *req,
		 int rc)
{
	const struct receipt_key *cur = receipt_key_current(&md->kr);
	struct receipt r;

	if ((rc == RECEIPT_E_KEY_EXPIRED || rc == RECEIPT_E_KEY) && cur &&
	    !receipt_parse(req->bytes, req->bytes_len, &r) && r.key_id &&
	    r.key_id < cur->id)
		conn_error(c, req, MP_ERR_RECEIPT,
			   "receipt key %u is retired: the receipts it "
			   "signed no longer bind (their contracts have "
			   "ended)",
			   r.key_id);
	else
		conn_error(c, req, MP_ERR_RECEIPT, "%s", receipt_strerror(rc));
}

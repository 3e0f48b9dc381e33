// SPDX-License-Identifier: GPL-2.0
/*
 * muispctl contract list|show|set|del|terminate|settle
 *
 * A contract lives in two places: muispd holds the contract itself (Fig 4
 * state, bound address, payment, deposit, receipt) and the module meters
 * and enforces it under the same id (muispd's serial).  list and show join
 * the two when both answer, and show what there is, saying so on stderr,
 * when one does not; "kernel" or "daemon" after them picks one side.  The
 * kernel-only view is the module's contract object as it always was (set
 * and del edit it directly).  terminate and settle go to muispd, which
 * settles the payment and removes the module's contract itself.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "contract.h" /* enum contract_state */

static const char *const attr_names[MUISP_CONTRACT_A_MAX + 1] = {
	[MUISP_CONTRACT_A_ID] = "ID",
	[MUISP_CONTRACT_A_STATUS] = "status",
	[MUISP_CONTRACT_A_METRIC] = "metric",
	[MUISP_CONTRACT_A_SOFT_LIMIT] = "soft",
	[MUISP_CONTRACT_A_HARD_LIMIT] = "hard",
	[MUISP_CONTRACT_A_EXPIRES_S] = "expires",
	[MUISP_CONTRACT_A_UP_BYTES] = "up-bytes",
	[MUISP_CONTRACT_A_UP_PACKETS] = "up-packets",
	[MUISP_CONTRACT_A_DOWN_BYTES] = "down-bytes",
	[MUISP_CONTRACT_A_DOWN_PACKETS] = "down-packets",
	[MUISP_CONTRACT_A_ELAPSED_MS] = "elapsed",
	[MUISP_CONTRACT_A_USAGE_MS] = "usage",
	[MUISP_CONTRACT_A_FLAGS] = "excl/reset",
};

enum {
	C_ID,
	C_STATUS,
	C_METRIC,
	C_USED,
	C_SOFT,
	C_HARD,
	C_EXPIRES,
	C_UPB,
	C_UPP,
	C_DOWNB,
	C_DOWNP,
	C_ELAPSED,
	C_USAGE,
	C_NADDRS,
	C_NUSERS,
};
static const struct out_col cols[] = {
	[C_ID] = { "id", "ID" },
	[C_STATUS] = { "status", "STATUS" },
	[C_METRIC] = { "metric", "METRIC" },
	[C_USED] = { "used", "USED" },
	[C_SOFT] = { "soft_limit", "SOFT" },
	[C_HARD] = { "hard_limit", "HARD" },
	[C_EXPIRES] = { "expires_s", "EXPIRES" },
	[C_UPB] = { "up_bytes", "UP_BYTES" },
	[C_UPP] = { "up_packets", "UP_PKTS" },
	[C_DOWNB] = { "down_bytes", "DOWN_BYTES" },
	[C_DOWNP] = { "down_packets", "DOWN_PKTS" },
	[C_ELAPSED] = { "elapsed_ms", "ELAPSED_MS" },
	[C_USAGE] = { "usage_ms", "USAGE_MS" },
	[C_NADDRS] = { "naddrs", "ADDRS" },
	[C_NUSERS] = { "nusers", "USERS" },
};

static int row(const struct muisp_nl_contract *k, void *arg)
{
	struct out_table *t = arg;
	char num[12], tbuf[32];

	if (out_row(t) < 0)
		return MNL_CB_ERROR;
	out_u64(t, C_ID, k->id);
	out_str(t, C_STATUS, name_of(&contract_status_names, k->status, num));
	out_str(t, C_METRIC, name_of(&metric_names, k->metric, num));
	out_u64(t, C_USED, k->used);
	if (k->soft_limit)
		out_u64(t, C_SOFT, k->soft_limit);
	else
		out_u64_as(t, C_SOFT, 0, "none");
	if (k->hard_limit)
		out_u64(t, C_HARD, k->hard_limit);
	else
		out_u64_as(t, C_HARD, 0, "none");
	out_u64_as(t, C_EXPIRES, k->expires_s,
		   fmt_time_s(k->expires_s, tbuf, sizeof(tbuf)));
	out_u64(t, C_UPB, k->up_bytes);
	out_u64(t, C_UPP, k->up_packets);
	out_u64(t, C_DOWNB, k->down_bytes);
	out_u64(t, C_DOWNP, k->down_packets);
	out_u64(t, C_ELAPSED, k->elapsed_ms);
	out_u64(t, C_USAGE, k->usage_ms);
	if (MUISP_NL_HAS(k, MUISP_CONTRACT_A_NADDRS))
		out_u64(t, C_NADDRS, k->naddrs);
	if (MUISP_NL_HAS(k, MUISP_CONTRACT_A_NUSERS))
		out_u64(t, C_NUSERS, k->nusers);
	return MNL_CB_OK;
}

static struct out_table *table(void)
{
	return out_new(cols, sizeof(cols) / sizeof(cols[0]));
}

static void names(struct ctl *c)
{
	c->attr_names = attr_names;
	c->nattr_names = MUISP_CONTRACT_A_MAX + 1;
}

/* A contract id: the receipt's serial, 64 bits, non-zero. */
static int parse_id(const char *s, uint64_t *id)
{
	const char *why;
	uint64_t v;

	if (parse_uint(s, UINT64_MAX, &v, &why) < 0)
		return cli_badarg("contract ID", s, why);
	if (!v)
		return cli_badarg("contract ID", s, "must be non-zero");
	*id = v;
	return EXIT_OK;
}

/* ---- the module's view (kernel) ---- */

static int kernel_dump(struct ctl *c, struct out_table *t, const void *arg)
{
	(void)arg;
	return muisp_nl_contract_dump(c->nl, row, ctl_out_reset, t);
}

static int kernel_list(struct ctl *c)
{
	return ctl_list(c, "contract list", cols,
			sizeof(cols) / sizeof(cols[0]), kernel_dump, NULL);
}

static int kernel_show(struct ctl *c, uint64_t id)
{
	struct muisp_nl_contract k;
	struct out_table *t;
	int rc = EXIT_OK;

	if (!ctl_nl(c, &rc))
		return rc;
	names(c);
	if (muisp_nl_contract_get(c->nl, id, &k) < 0)
		return ctl_nl_fail(c, "contract show");
	t = table();
	if (!t || row(&k, t) != MNL_CB_OK)
		rc = EXIT_FAIL;
	else
		out_print(t, c->out, c->fmt, OUT_RECORD);
	out_free(t);
	return rc;
}

/* ---- muispd's record joined with the module's ---- */

/* "kernel" or "daemon" as the last word: that source only. */
static int source_word(const char *s)
{
	if (!strcmp(s, "kernel"))
		return CV_KERNEL;
	if (!strcmp(s, "daemon"))
		return CV_DAEMON;
	return 0;
}

static const char *kernel_unavailable(int err)
{
	switch (err) {
	case ENOENT:
		return "muisp kernel module not loaded";
	case EPERM:
	case EACCES:
		return "no CAP_NET_ADMIN for the muisp kernel module";
	default:
		return strerror(err);
	}
}

/*
 * Open the sources in want; returns those available (0 after printing
 * why, with the exit code in *rc).  With both wanted and one missing,
 * a note on stderr says what is left out.
 */
static int open_sources(struct ctl *c, int want, int *rc)
{
	int have = 0, derr = 0, kerr = 0;
	char buf[160];

	if (want & CV_DAEMON) {
		if (mpd_open(c) == 0)
			have |= CV_DAEMON;
		else
			derr = errno;
	}
	if (want & CV_KERNEL) {
		if (!c->nl)
			c->nl = muisp_nl_open(0);
		if (c->nl)
			have |= CV_KERNEL;
		else
			kerr = errno;
	}
	if (have == want)
		return have;
	if (!have) {
		/* Neither: the daemon's reason, then the module's, whose
		 * exit code (3 not loaded, 4 permission) is returned. */
		if (want & CV_DAEMON)
			*rc = mpd_open_fail(c, derr);
		if (want & CV_KERNEL)
			ctl_nl(c, rc);
		return 0;
	}
	if (!(have & CV_DAEMON))
		cli_warn("note: %s: the module's contracts "
			 "only",
			 mpd_unreachable(c, derr, buf, sizeof(buf)));
	else
		cli_warn("note: %s: muispd's contracts "
			 "without the module's metering",
			 kernel_unavailable(kerr));
	return have;
}

struct dlist {
	struct dcontract *v;
	size_t n, cap;
};

struct klist {
	struct muisp_nl_contract *v;
	size_t n, cap;
};

static int kl_add(const struct muisp_nl_contract *k, void *arg)
{
	struct klist *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct muisp_nl_contract *p =
			reallocarray(l->v, cap, sizeof(*p));

		if (!p)
			return MNL_CB_ERROR;
		l->v = p;
		l->cap = cap;
	}
	l->v[l->n++] = *k;
	return MNL_CB_OK;
}

static void kl_reset(void *arg)
{
	((struct klist *)arg)->n = 0;
}

/* muispd's contracts: STATUS replies flagged MORE, then OP_OK. */
static int daemon_list(struct ctl *c, struct dlist *l)
{
	static struct mp_msg req, rep;
	int rc;

	mp_init(&req, MP_T_OP_CONTRACT_LIST, 0, 0);
	for (rc = mpd_call(c, "contract list", &req, &rep); rc == EXIT_OK;
	     rc = mpd_next(c, "contract list", &rep)) {
		if (rep.type == MP_T_OP_OK)
			return EXIT_OK;
		if (rep.type != MP_T_STATUS || !(rep.flags & MP_F_MORE))
			return mpd_fail("contract list", &rep);
		if (l->n == l->cap) {
			size_t cap = l->cap ? 2 * l->cap : 64;
			struct dcontract *p =
				reallocarray(l->v, cap, sizeof(*p));

			if (!p)
				return EXIT_FAIL;
			l->v = p;
			l->cap = cap;
		}
		dcontract_from_msg(&l->v[l->n++], &rep);
	}
	return rc;
}

static int contract_list(struct ctl *c, int argc, char **argv)
{
	struct dlist dl = { 0 };
	struct klist kl = { 0 };
	struct cview v = { 0 };
	int want = CV_DAEMON | CV_KERNEL, have, rc = EXIT_OK;

	if (argc > 2 || (argc == 2 && !source_word(argv[1])))
		return cli_usage("unknown contract list argument '%s'",
				 argv[argc - 1]);
	if (argc == 2)
		want = source_word(argv[1]);
	if (want == CV_KERNEL)
		return kernel_list(c);
	have = open_sources(c, want, &rc);
	if (!have)
		return rc;
	if (have == CV_KERNEL)
		return kernel_list(c);
	rc = daemon_list(c, &dl);
	if (rc == EXIT_OK && (have & CV_KERNEL)) {
		names(c);
		if (muisp_nl_contract_dump(c->nl, kl_add, kl_reset, &kl) < 0)
			rc = ctl_nl_fail(c, "contract list");
	}
	if (rc == EXIT_OK && (cview_init(&v, have, 0, c->fmt) < 0 ||
			      cview_merge(&v, dl.v, dl.n, kl.v, kl.n) < 0))
		rc = EXIT_FAIL;
	if (rc == EXIT_OK)
		out_print(v.t, c->out, c->fmt, OUT_LIST);
	cview_free(&v);
	free(dl.v);
	free(kl.v);
	return rc;
}

static int contract_show(struct ctl *c, int argc, char **argv)
{
	static struct mp_msg req, rep;
	struct muisp_nl_contract k;
	struct dcontract d;
	struct cview v = { 0 };
	int want = CV_DAEMON | CV_KERNEL, have, rc = EXIT_OK;
	int dfound = 0, kfound = 0;
	uint64_t id;

	if (argc < 2)
		return cli_usage("contract show needs one ID");
	if (argc > 3 || (argc == 3 && !source_word(argv[2])))
		return cli_usage("unknown contract show argument '%s'",
				 argv[argc - 1]);
	if (argc == 3)
		want = source_word(argv[2]);
	if ((rc = parse_id(argv[1], &id)) != EXIT_OK)
		return rc;
	if (want == CV_KERNEL)
		return kernel_show(c, id);
	have = open_sources(c, want, &rc);
	if (!have)
		return rc;
	if (have == CV_KERNEL)
		return kernel_show(c, id);
	mp_init(&req, MP_T_OP_CONTRACT_SHOW, 0, 0);
	mp_set_u(&req, MP_A_SERIAL, id);
	if ((rc = mpd_call(c, "contract show", &req, &rep)) != EXIT_OK)
		return rc;
	if (rep.type == MP_T_STATUS) {
		dcontract_from_msg(&d, &rep);
		dfound = 1;
	} else if (rep.type != MP_T_ERROR ||
		   rep.u[MP_A_ERROR] != MP_ERR_UNKNOWN) {
		return mpd_fail("contract show", &rep);
	}
	if (have & CV_KERNEL) {
		names(c);
		if (muisp_nl_contract_get(c->nl, id, &k) == 0)
			kfound = 1;
		else if (errno != ENOENT)
			return ctl_nl_fail(c, "contract show");
	}
	if (!dfound && !kfound) {
		cli_warn("contract show: no contract %llu in "
			 "muispd%s",
			 (unsigned long long)id,
			 have & CV_KERNEL ? " or the module" : "");
		return EXIT_FAIL;
	}
	if (cview_init(&v, have, 1, c->fmt) < 0 ||
	    cview_row(&v, dfound ? &d : NULL, kfound ? &k : NULL) < 0)
		rc = EXIT_FAIL;
	else
		out_print(v.t, c->out, c->fmt, OUT_RECORD);
	cview_free(&v);
	return rc;
}

/* ---- the module's contract object: set, del ---- */

static int set_u64(struct muisp_nl_contract *k, unsigned int attr,
		   uint64_t *field, const char *key, const char *val, int time)
{
	const char *why;

	if ((time ? parse_duration_ms(val, field, &why) :
		    parse_size(val, field, &why)) < 0)
		return cli_badarg(key, val, why);
	MUISP_NL_SET(k, attr);
	return EXIT_OK;
}

static int contract_set(struct ctl *c, int argc, char **argv)
{
	static const char *const flags[] = { "excl", "reset", NULL };
	struct muisp_nl_contract k;
	const char *key, *val, *why, *soft = NULL, *hard = NULL;
	int r, v, rc;

	memset(&k, 0, sizeof(k));
	if (argc < 2)
		return cli_usage("contract set needs an ID");
	if ((rc = parse_id(argv[1], &k.id)) != EXIT_OK)
		return rc;
	MUISP_NL_SET(&k, MUISP_CONTRACT_A_ID);
	argc -= 2;
	argv += 2;
	while ((r = ctl_kv(&argc, &argv, flags, &key, &val)) == 0) {
		rc = EXIT_OK;
		if (!strcmp(key, "status")) {
			v = name_lookup(&contract_status_names, val);
			if (v == MUISP_CONTRACT_STATUS_EXTINGUISHED)
				return cli_badarg("status", val,
						  "set by the kernel only");
			if (v < 0)
				return cli_badarg(
					"status", val,
					"expected active|suspended|delinquent");
			k.status = (uint8_t)v;
			MUISP_NL_SET(&k, MUISP_CONTRACT_A_STATUS);
		} else if (!strcmp(key, "metric")) {
			v = name_lookup(&metric_names, val);
			if (v < 0)
				return ctl_badname("metric", val,
						   &metric_names);
			k.metric = (uint8_t)v;
			MUISP_NL_SET(&k, MUISP_CONTRACT_A_METRIC);
		} else if (!strcmp(key, "soft")) {
			soft = val;
		} else if (!strcmp(key, "hard")) {
			hard = val;
		} else if (!strcmp(key, "expires")) {
			if (parse_expiry(val, time(NULL), &k.expires_s, &why) <
			    0)
				return cli_badarg("expires", val, why);
			MUISP_NL_SET(&k, MUISP_CONTRACT_A_EXPIRES_S);
		} else if (!strcmp(key, "up-bytes")) {
			rc = set_u64(&k, MUISP_CONTRACT_A_UP_BYTES, &k.up_bytes,
				     key, val, 0);
		} else if (!strcmp(key, "up-packets")) {
			rc = set_u64(&k, MUISP_CONTRACT_A_UP_PACKETS,
				     &k.up_packets, key, val, 0);
		} else if (!strcmp(key, "down-bytes")) {
			rc = set_u64(&k, MUISP_CONTRACT_A_DOWN_BYTES,
				     &k.down_bytes, key, val, 0);
		} else if (!strcmp(key, "down-packets")) {
			rc = set_u64(&k, MUISP_CONTRACT_A_DOWN_PACKETS,
				     &k.down_packets, key, val, 0);
		} else if (!strcmp(key, "elapsed")) {
			rc = set_u64(&k, MUISP_CONTRACT_A_ELAPSED_MS,
				     &k.elapsed_ms, key, val, 1);
		} else if (!strcmp(key, "usage")) {
			rc = set_u64(&k, MUISP_CONTRACT_A_USAGE_MS, &k.usage_ms,
				     key, val, 1);
		} else if (!strcmp(key, "excl")) {
			k.flags |= MUISP_CONTRACT_F_EXCL;
			MUISP_NL_SET(&k, MUISP_CONTRACT_A_FLAGS);
		} else if (!strcmp(key, "reset")) {
			k.flags |= MUISP_CONTRACT_F_RESET_USAGE;
			MUISP_NL_SET(&k, MUISP_CONTRACT_A_FLAGS);
		} else {
			return cli_usage("unknown contract set argument '%s'",
					 key);
		}
		if (rc != EXIT_OK)
			return rc;
	}
	if (r < 0)
		return EXIT_USAGE;

	if ((soft || hard) && !MUISP_NL_HAS(&k, MUISP_CONTRACT_A_METRIC)) {
		/* Limits are in the metric's unit: ask the kernel for it. */
		struct muisp_nl_contract cur;

		if (!ctl_nl(c, &rc))
			return rc;
		if (muisp_nl_contract_get(c->nl, k.id, &cur) < 0) {
			if (errno == ENOENT)
				return cli_usage(
					"contract %llu does not exist: "
					"give its 'metric'",
					(unsigned long long)k.id);
			return ctl_nl_fail(c, "contract set");
		}
		k.metric = cur.metric;
	}
	if (soft) {
		if (parse_limit(k.metric, soft, &k.soft_limit, &why) < 0)
			return cli_badarg("soft", soft, why);
		MUISP_NL_SET(&k, MUISP_CONTRACT_A_SOFT_LIMIT);
	}
	if (hard) {
		if (parse_limit(k.metric, hard, &k.hard_limit, &why) < 0)
			return cli_badarg("hard", hard, why);
		MUISP_NL_SET(&k, MUISP_CONTRACT_A_HARD_LIMIT);
	}
	if (!ctl_nl(c, &rc))
		return rc;
	names(c);
	if (muisp_nl_contract_set(c->nl, &k) < 0)
		return ctl_nl_fail(c, "contract set");
	return EXIT_OK;
}

static int contract_del(struct ctl *c, int argc, char **argv)
{
	uint64_t id;
	int rc;

	if (argc != 2)
		return cli_usage("contract del needs one ID");
	if ((rc = parse_id(argv[1], &id)) != EXIT_OK)
		return rc;
	if (!ctl_nl(c, &rc))
		return rc;
	names(c);
	if (muisp_nl_contract_del(c->nl, id) < 0)
		return ctl_nl_fail(c, "contract del");
	return EXIT_OK;
}

/* ---- ending a contract: muispd ---- */

/*
 * muispd refused to terminate or settle contract id (rep): say why in the
 * contract's terms, from its record.
 */
static int end_refused(struct ctl *c, const char *what, uint64_t id_,
		       int settle, const struct mp_msg *rep)
{
	static struct mp_msg req, st;
	unsigned long long id = id_;
	const char *state;

	if (rep->type != MP_T_ERROR)
		return mpd_fail(what, rep);
	mp_init(&req, MP_T_OP_CONTRACT_SHOW, 0, 0);
	mp_set_u(&req, MP_A_SERIAL, id);
	if (mpd_call(c, what, &req, &st) != EXIT_OK) {
		/* The lookup's own failure is printed; the refusal stands. */
		mpd_fail(what, rep);
		return EXIT_FAIL;
	}
	if (st.type == MP_T_ERROR && st.u[MP_A_ERROR] == MP_ERR_UNKNOWN) {
		cli_warn("%s: no contract %llu in muispd", what, id);
		return EXIT_FAIL;
	}
	if (st.type != MP_T_STATUS)
		return mpd_fail(what, rep);
	state = contract_state_name((int)st.u[MP_A_STATE]);
	switch (st.u[MP_A_STATE]) {
	case CS_EXTINGUISHED:
		cli_warn("%s: contract %llu is already "
			 "extinguished (charge %llu, refund %llu)",
			 what, id, (unsigned long long)st.u[MP_A_CHARGE],
			 (unsigned long long)st.u[MP_A_REFUND]);
		return EXIT_FAIL;
	case CS_IN_SETTLEMENT:
		/* The payment method's refund failed: muispd keeps the
		 * contract in settlement for another try. */
		mpd_fail(what, rep);
		cli_warn("%s: contract %llu is in settlement; "
			 "retry with 'muispctl contract settle %llu'",
			 what, id, id);
		return EXIT_FAIL;
	default:
		if (!settle)
			return mpd_fail(what, rep);
		cli_warn("%s: contract %llu is %s, not in "
			 "settlement (to end it: muispctl contract terminate "
			 "%llu)",
			 what, id, state, id);
		return EXIT_FAIL;
	}
}

/* terminate: outstanding -> in settlement -> extinguished, refund per
 * the payment method (Fig 4, §8); settle: retry a settlement whose
 * refund failed.  Both print muispd's itemised statement. */
static int contract_end(struct ctl *c, int argc, char **argv, int settle)
{
	static struct mp_msg req, rep;
	const char *what = settle ? "contract settle" : "contract terminate";
	uint64_t id;
	int rc;

	if (argc != 2)
		return cli_usage("%s needs one ID", what);
	if ((rc = parse_id(argv[1], &id)) != EXIT_OK)
		return rc;
	if (mpd_open(c) < 0)
		return mpd_open_fail(c, errno);
	mp_init(&req,
		settle ? MP_T_OP_CONTRACT_SETTLE : MP_T_OP_CONTRACT_TERMINATE,
		0, 0);
	mp_set_u(&req, MP_A_SERIAL, id);
	if ((rc = mpd_call(c, what, &req, &rep)) != EXIT_OK)
		return rc;
	if (rep.type != MP_T_STATEMENT)
		return end_refused(c, what, id, settle, &rep);
	return statement_print(c->out, c->fmt, &rep) < 0 ? EXIT_FAIL : EXIT_OK;
}

static int contract_terminate(struct ctl *c, int argc, char **argv)
{
	return contract_end(c, argc, argv, 0);
}

static int contract_settle(struct ctl *c, int argc, char **argv)
{
	return contract_end(c, argc, argv, 1);
}

static const struct ctl_verb verbs[] = {
	{ "list", contract_list, "[kernel|daemon]" },
	{ "show", contract_show, "ID [kernel|daemon]" },
	{ "set", contract_set,
	  "ID [status active|suspended|delinquent] "
	  "[metric elapsed-time|usage-time|bytes|packets] [soft LIMIT] "
	  "[hard LIMIT] [expires never|+DURATION|@EPOCH|DATE] "
	  "[up-bytes N] [up-packets N] [down-bytes N] [down-packets N] "
	  "[elapsed DURATION] [usage DURATION] [excl] [reset]" },
	{ "del", contract_del, "ID" },
	{ "terminate", contract_terminate, "ID" },
	{ "settle", contract_settle, "ID" },
	{ NULL, NULL, NULL },
};

int cmd_contract(struct ctl *c, int argc, char **argv)
{
	return ctl_dispatch(c, verbs, argc, argv);
}

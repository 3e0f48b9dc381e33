// SPDX-License-Identifier: GPL-2.0
/*
 * muispctl <-> muispd: the operator socket (see daemon.h).  One connection
 * per run, opened on first use; one request at a time, each answered in
 * order.  The transport is lib/opclient; these wrappers print its
 * failures as muispctl's messages.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "opclient.h"
#include "contract.h" /* contract_state_name */

struct mpd {
	struct opclient o;
};

const char *ctl_daemon_path(const struct ctl *c)
{
	return c->daemon_path ? c->daemon_path : MP_OP_SOCKET;
}

int mpd_open(struct ctl *c)
{
	struct mpd *d;
	int e;

	if (c->mpd)
		return 0;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -1;
	opc_init(&d->o, ctl_daemon_path(c), MPD_REPLY_TIMEOUT_MS);
	snprintf(d->o.name, sizeof(d->o.name), "muispd");
	if (opc_open(&d->o) < 0) {
		e = errno;
		free(d);
		errno = e;
		return -1;
	}
	c->mpd = d;
	return 0;
}

void mpd_close(struct ctl *c)
{
	if (!c->mpd)
		return;
	opc_close(&c->mpd->o);
	free(c->mpd);
	c->mpd = NULL;
}

static const char *open_hint(int err)
{
	switch (err) {
	case ENOENT:
		return " (is muispd running? --daemon PATH names another "
		       "socket)";
	case ECONNREFUSED:
		return " (muispd is not running)";
	case EACCES:
	case EPERM:
		return " (the operator socket is for root and muispd's user)";
	default:
		return "";
	}
}

const char *mpd_unreachable(const struct ctl *c, int err, char *buf, size_t len)
{
	snprintf(buf, len, "muispd not reachable at %s (%s)",
		 ctl_daemon_path(c), strerror(err));
	return buf;
}

int mpd_open_fail(const struct ctl *c, int err)
{
	cli_warn("muispd not reachable at %s: %s%s", ctl_daemon_path(c),
		 strerror(err), open_hint(err));
	return err == EACCES || err == EPERM ? EXIT_PERM : EXIT_FAIL;
}

/* A failed opc_* call: "muispctl: WHAT: REASON"; after a lost connection
 * (opclient closed it) the handle is dropped so a later batch line
 * reconnects.  The exit code. */
static int failed(struct ctl *c, const char *what)
{
	struct opclient *o = &c->mpd->o;
	struct stat st;
	int rc = EXIT_FAIL;

	fprintf(stderr, "%s: %s: %s", cli_prog(), what, o->err);
	/* muispd closes a connection from a uid other than root and its
	 * own without a word (the socket's owner is muispd's user). */
	if (o->fd < 0 && o->closed && !o->replied && geteuid() != 0 &&
	    stat(ctl_daemon_path(c), &st) == 0 && st.st_uid != geteuid()) {
		fputs(" (it accepts only root and its own user)", stderr);
		rc = EXIT_PERM;
	}
	fputc('\n', stderr);
	if (o->fd < 0)
		mpd_close(c);
	return rc;
}

int mpd_call(struct ctl *c, const char *what, struct mp_msg *req,
	     struct mp_msg *rep)
{
	return opc_call(&c->mpd->o, req, rep) ? failed(c, what) : EXIT_OK;
}

int mpd_next(struct ctl *c, const char *what, struct mp_msg *rep)
{
	return opc_next(&c->mpd->o, rep) ? failed(c, what) : EXIT_OK;
}

int mpd_list(struct ctl *c, const char *what, uint8_t type, uint8_t row_type,
	     const struct out_col *cols, size_t ncols, mpd_row_fn row)
{
	struct mp_msg req;

	mp_init(&req, type, 0, 0);
	return mpd_list_req(c, what, &req, row_type, cols, ncols, row);
}

int mpd_list_req(struct ctl *c, const char *what, struct mp_msg *req,
		 uint8_t row_type, const struct out_col *cols, size_t ncols,
		 mpd_row_fn row)
{
	struct mp_msg rep;
	struct out_table *t;
	int rc;

	if (mpd_open(c) < 0)
		return mpd_open_fail(c, errno);
	t = out_new(cols, ncols);
	if (!t)
		return EXIT_FAIL;
	for (rc = mpd_call(c, what, req, &rep); rc == EXIT_OK;
	     rc = mpd_next(c, what, &rep)) {
		if (rep.type == MP_T_OP_OK)
			break;
		if (rep.type != row_type || !(rep.flags & MP_F_MORE)) {
			rc = mpd_fail(what, &rep);
			break;
		}
		if (row(t, &rep) < 0) {
			rc = EXIT_FAIL;
			break;
		}
	}
	if (rc == EXIT_OK)
		out_print(t, c->out, c->fmt, OUT_LIST);
	/* OP_OK's word on the list (rows left out) */
	if (rc == EXIT_OK && mp_has(&rep, MP_A_MESSAGE))
		cli_warn("%s: muispd: %s", what, rep.s[MP_A_MESSAGE]);
	out_free(t);
	return rc;
}

int mpd_fail(const char *what, const struct mp_msg *rep)
{
	if (rep->type == MP_T_ERROR)
		cli_warn("%s: muispd: %s", what,
			 mp_has(rep, MP_A_MESSAGE) ?
				 rep->s[MP_A_MESSAGE] :
				 mp_error_name((int)rep->u[MP_A_ERROR]));
	else
		cli_warn("%s: unexpected %s reply from "
			 "muispd",
			 what, mp_type_name(rep->type));
	return EXIT_FAIL;
}

int mpd_counters(struct ctl *c, const char *what, struct mp_counter **out,
		 unsigned *n)
{
	return opc_counters(&c->mpd->o, MP_T_OP_RADIUS_STATS, out, n) ?
		       failed(c, what) :
		       EXIT_OK;
}

/* ---- contracts ---- */

void dcontract_from_msg(struct dcontract *d, const struct mp_msg *m)
{
	memset(d, 0, sizeof(*d));
	d->present = m->present;
	d->serial = m->u[MP_A_SERIAL];
	d->state = (uint8_t)m->u[MP_A_STATE];
	d->usage = m->u[MP_A_USAGE];
	d->soft = m->u[MP_A_SOFT];
	d->hard = m->u[MP_A_HARD];
	d->expiry = m->u[MP_A_EXPIRY];
	d->issued = m->u[MP_A_TIME];
	d->metric = (uint8_t)m->u[MP_A_METRIC];
	d->method = (uint8_t)m->u[MP_A_METHOD];
	d->privacy = (uint8_t)m->u[MP_A_PRIVACY];
	d->deposit = m->u[MP_A_AMOUNT];
	d->price = m->u[MP_A_PRICE];
	d->unit = m->u[MP_A_UNIT];
	d->key_id = (uint32_t)m->u[MP_A_KEY_ID];
	d->charge = m->u[MP_A_CHARGE];
	d->refund = m->u[MP_A_REFUND];
	memcpy(d->addr, m->s[MP_A_ADDR], sizeof(d->addr));
	memcpy(d->room, m->s[MP_A_ROOM], sizeof(d->room));
	memcpy(d->password, m->s[MP_A_PASSWORD], sizeof(d->password));
}

const char *dmetric_name(unsigned int metric, char *buf)
{
	static const uint8_t k[__MP_METRIC_LAST] = {
		[MP_METRIC_ELAPSED] = MUISP_METRIC_ELAPSED_TIME,
		[MP_METRIC_USAGE_TIME] = MUISP_METRIC_USAGE_TIME,
		[MP_METRIC_BYTES] = MUISP_METRIC_BYTES,
		[MP_METRIC_PACKETS] = MUISP_METRIC_PACKETS,
	};

	if (metric == 0 || metric >= __MP_METRIC_LAST) {
		snprintf(buf, 12, "%u", metric);
		return buf;
	}
	return name_of(&metric_names, k[metric], buf);
}

#define VF_D CV_DAEMON /* from muispd */
#define VF_K CV_KERNEL /* from the module */
#define VF_L 4	       /* in the text list */
#define VF_S 8	       /* show only */

static const struct {
	struct out_col col;
	unsigned int flags;
} vcols[V_N] = {
	[V_ID] = { { "id", "ID" }, VF_D | VF_K | VF_L },
	[V_STATE] = { { "state", "STATE" }, VF_D | VF_L },
	[V_ADDR] = { { "addr", "ADDRESS" }, VF_D | VF_L },
	[V_METHOD] = { { "method", "METHOD" }, VF_D | VF_L },
	[V_METRIC] = { { "metric", "METRIC" }, VF_D | VF_L },
	[V_USAGE] = { { "usage", "USAGE" }, VF_D | VF_L },
	[V_SOFT] = { { "soft", "SOFT" }, VF_D | VF_L },
	[V_HARD] = { { "hard", "HARD" }, VF_D | VF_L },
	[V_DEPOSIT] = { { "deposit", "DEPOSIT" }, VF_D | VF_L },
	[V_EXPIRES] = { { "receipt_expires_s", "EXPIRES" }, VF_D | VF_L },
	[V_CHARGE] = { { "charge", "CHARGE" }, VF_D },
	[V_REFUND] = { { "refund", "REFUND" }, VF_D },
	[V_ISSUED] = { { "issued_s", "ISSUED" }, VF_D },
	[V_PRICE] = { { "price", "PRICE" }, VF_D },
	[V_UNIT] = { { "unit", "UNIT" }, VF_D },
	[V_PRIVACY] = { { "privacy", "PRIVACY" }, VF_D },
	[V_ROOM] = { { "room", "ROOM" }, VF_D },
	[V_KEY_ID] = { { "key_id", "KEY_ID" }, VF_D },
	[V_PASSWORD] = { { "password", "PASSWORD" }, VF_D | VF_S },
	[V_K_STATUS] = { { "status", "K_STATUS" }, VF_K | VF_L },
	[V_K_USED] = { { "used", "K_USED" }, VF_K },
	[V_K_SOFT] = { { "soft_limit", "K_SOFT" }, VF_K },
	[V_K_HARD] = { { "hard_limit", "K_HARD" }, VF_K },
	[V_K_EXPIRES] = { { "expires_s", "K_EXPIRES" }, VF_K },
	[V_K_UPB] = { { "up_bytes", "UP_BYTES" }, VF_K | VF_L },
	[V_K_UPP] = { { "up_packets", "UP_PKTS" }, VF_K },
	[V_K_DOWNB] = { { "down_bytes", "DOWN_BYTES" }, VF_K | VF_L },
	[V_K_DOWNP] = { { "down_packets", "DOWN_PKTS" }, VF_K },
	[V_K_ELAPSED] = { { "elapsed_ms", "ELAPSED_MS" }, VF_K },
	[V_K_USAGE_MS] = { { "usage_ms", "USAGE_MS" }, VF_K },
	[V_K_NADDRS] = { { "naddrs", "K_ADDRS" }, VF_K },
	[V_K_NUSERS] = { { "nusers", "K_USERS" }, VF_K },
};

int cview_init(struct cview *v, int srcs, int show, enum out_fmt fmt)
{
	unsigned int i, f;

	memset(v, 0, sizeof(*v));
	v->srcs = srcs;
	for (i = 0; i < V_N; i++) {
		f = vcols[i].flags;
		v->map[i] = -1;
		if (!(f & srcs) || (!show && (f & VF_S)) ||
		    (!show && fmt == OUT_TEXT && !(f & VF_L)))
			continue;
		v->map[i] = (int)v->n;
		v->cols[v->n++] = vcols[i].col;
	}
	v->t = out_new(v->cols, v->n);
	return v->t ? 0 : -1;
}

void cview_free(struct cview *v)
{
	out_free(v->t);
	v->t = NULL;
}

static int put_u64(struct cview *v, int col, uint64_t x)
{
	return v->map[col] < 0 ? 0 :
				 out_u64(v->t, (unsigned int)v->map[col], x);
}

static int put_str(struct cview *v, int col, const char *s)
{
	return v->map[col] < 0 ? 0 :
				 out_str(v->t, (unsigned int)v->map[col], s);
}

static int put_time(struct cview *v, int col, uint64_t s)
{
	char tbuf[32];

	return v->map[col] < 0 ? 0 :
				 out_u64_as(v->t, (unsigned int)v->map[col], s,
					    fmt_time_s(s, tbuf, sizeof(tbuf)));
}

/* A kernel limit of 0 is "none", as in the kernel-only view. */
static int put_limit(struct cview *v, int col, uint64_t x)
{
	if (v->map[col] < 0)
		return 0;
	return x ? out_u64(v->t, (unsigned int)v->map[col], x) :
		   out_u64_as(v->t, (unsigned int)v->map[col], 0, "none");
}

static int daemon_cells(struct cview *v, const struct dcontract *d)
{
	char num[12];
	int r = 0;

	r |= put_str(v, V_STATE, contract_state_name(d->state));
	if (d->addr[0])
		r |= put_str(v, V_ADDR, d->addr);
	r |= put_str(v, V_METHOD, mp_method_name(d->method));
	r |= put_str(v, V_METRIC, dmetric_name(d->metric, num));
	r |= put_u64(v, V_USAGE, d->usage);
	r |= put_u64(v, V_SOFT, d->soft);
	r |= put_u64(v, V_HARD, d->hard);
	r |= put_u64(v, V_DEPOSIT, d->deposit);
	r |= put_time(v, V_EXPIRES, d->expiry);
	if (d->present & (1ull << MP_A_CHARGE))
		r |= put_u64(v, V_CHARGE, d->charge);
	if (d->present & (1ull << MP_A_REFUND))
		r |= put_u64(v, V_REFUND, d->refund);
	r |= put_time(v, V_ISSUED, d->issued);
	r |= put_u64(v, V_PRICE, d->price);
	r |= put_u64(v, V_UNIT, d->unit);
	r |= put_str(v, V_PRIVACY, d->privacy ? "esp" : "ah");
	if (d->room[0])
		r |= put_str(v, V_ROOM, d->room);
	r |= put_u64(v, V_KEY_ID, d->key_id);
	if (d->password[0])
		r |= put_str(v, V_PASSWORD, d->password);
	return r;
}

static int kernel_cells(struct cview *v, const struct muisp_nl_contract *k)
{
	char num[12];
	int r = 0;

	r |= put_str(v, V_K_STATUS,
		     name_of(&contract_status_names, k->status, num));
	r |= put_u64(v, V_K_USED, k->used);
	r |= put_limit(v, V_K_SOFT, k->soft_limit);
	r |= put_limit(v, V_K_HARD, k->hard_limit);
	r |= put_time(v, V_K_EXPIRES, k->expires_s);
	r |= put_u64(v, V_K_UPB, k->up_bytes);
	r |= put_u64(v, V_K_UPP, k->up_packets);
	r |= put_u64(v, V_K_DOWNB, k->down_bytes);
	r |= put_u64(v, V_K_DOWNP, k->down_packets);
	r |= put_u64(v, V_K_ELAPSED, k->elapsed_ms);
	r |= put_u64(v, V_K_USAGE_MS, k->usage_ms);
	if (MUISP_NL_HAS(k, MUISP_CONTRACT_A_NADDRS))
		r |= put_u64(v, V_K_NADDRS, k->naddrs);
	if (MUISP_NL_HAS(k, MUISP_CONTRACT_A_NUSERS))
		r |= put_u64(v, V_K_NUSERS, k->nusers);
	return r;
}

int cview_row(struct cview *v, const struct dcontract *d,
	      const struct muisp_nl_contract *k)
{
	char num[12];
	int r;

	if (!d && !k)
		return -1;
	if (out_row(v->t) < 0)
		return -1;
	r = put_u64(v, V_ID, d ? d->serial : k->id);
	if (d && (v->srcs & CV_DAEMON))
		r |= daemon_cells(v, d);
	else if (k) /* a contract only the module has: its metric */
		r |= put_str(v, V_METRIC,
			     name_of(&metric_names, k->metric, num));
	if (k && (v->srcs & CV_KERNEL))
		r |= kernel_cells(v, k);
	return r ? -1 : 0;
}

static int cmp_d(const void *a, const void *b)
{
	const struct dcontract *x = a, *y = b;

	return x->serial < y->serial ? -1 : x->serial > y->serial;
}

static int cmp_k(const void *a, const void *b)
{
	const struct muisp_nl_contract *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int cview_merge(struct cview *v, struct dcontract *d, size_t nd,
		struct muisp_nl_contract *k, size_t nk)
{
	size_t i = 0, j = 0;
	int r = 0;

	if (nd)
		qsort(d, nd, sizeof(*d), cmp_d);
	if (nk)
		qsort(k, nk, sizeof(*k), cmp_k);
	while (r == 0 && (i < nd || j < nk)) {
		if (j == nk || (i < nd && d[i].serial < k[j].id))
			r = cview_row(v, &d[i++], NULL);
		else if (i == nd || k[j].id < d[i].serial)
			r = cview_row(v, NULL, &k[j++]);
		else
			r = cview_row(v, &d[i++], &k[j++]);
	}
	return r;
}

/* ---- statements ---- */

enum { S_ID, S_STATE, S_METHOD, S_USAGE, S_DEPOSIT, S_CHARGE, S_REFUND };
static const struct out_col stmt_cols[] = {
	[S_ID] = { "id", "ID" },
	[S_STATE] = { "state", "STATE" },
	[S_METHOD] = { "method", "METHOD" },
	[S_USAGE] = { "usage", "USAGE" },
	[S_DEPOSIT] = { "deposit", "DEPOSIT" },
	[S_CHARGE] = { "charge", "CHARGE" },
	[S_REFUND] = { "refund", "REFUND" },
};

enum { L_KIND, L_AMOUNT, L_DESC };
static const struct out_col line_cols[] = {
	[L_KIND] = { "kind", "KIND" },
	[L_AMOUNT] = { "amount", "AMOUNT" },
	[L_DESC] = { "description", "DESCRIPTION" },
};

int statement_print(FILE *f, enum out_fmt fmt, const struct mp_msg *m)
{
	struct out_table *s = out_new(stmt_cols, 7), *l = out_new(line_cols, 3);
	int r = -1;
	unsigned int i;

	if (!s || !l || out_row(s) < 0)
		goto out;
	if (out_u64(s, S_ID, m->u[MP_A_SERIAL]) < 0 ||
	    (mp_has(m, MP_A_STATE) &&
	     out_str(s, S_STATE, contract_state_name((int)m->u[MP_A_STATE]))) ||
	    (mp_has(m, MP_A_METHOD) &&
	     out_str(s, S_METHOD, mp_method_name((int)m->u[MP_A_METHOD]))) ||
	    (mp_has(m, MP_A_USAGE) && out_u64(s, S_USAGE, m->u[MP_A_USAGE])) ||
	    (mp_has(m, MP_A_AMOUNT) &&
	     out_u64(s, S_DEPOSIT, m->u[MP_A_AMOUNT])) ||
	    (mp_has(m, MP_A_CHARGE) &&
	     out_u64(s, S_CHARGE, m->u[MP_A_CHARGE])) ||
	    (mp_has(m, MP_A_REFUND) && out_u64(s, S_REFUND, m->u[MP_A_REFUND])))
		goto out;
	for (i = 0; i < m->nlines; i++)
		if (out_row(l) < 0 ||
		    out_str(l, L_KIND,
			    m->lines[i].credit ? "credit" : "debit") < 0 ||
		    out_u64(l, L_AMOUNT, m->lines[i].amount) < 0 ||
		    out_str(l, L_DESC, m->lines[i].desc) < 0)
			goto out;
	if (fmt == OUT_TEXT) {
		out_print(s, f, OUT_TEXT, OUT_RECORD);
		fputc('\n', f);
		out_print(l, f, OUT_TEXT, OUT_LIST);
	} else {
		char *obj = NULL;
		size_t len = 0;
		FILE *mf = open_memstream(&obj, &len);

		if (!mf)
			goto out;
		out_print_json_obj(s, 0, mf);
		if (fclose(mf) != 0 || len < 2) {
			free(obj);
			goto out;
		}
		/* {...} -> {..., "lines":[...]} */
		fwrite(obj, 1, len - 1, f);
		free(obj);
		fputs(",\"lines\":[", f);
		for (i = 0; i < m->nlines; i++) {
			if (i)
				fputc(',', f);
			out_print_json_obj(l, i, f);
		}
		fputs("]}\n", f);
	}
	r = 0;
out:
	out_free(s);
	out_free(l);
	return r;
}

/* ---- vouchers ---- */

enum { VC_CODE, VC_STATE, VC_BALANCE, VC_EXPIRES, VC_EAP_USER, VC_EAP_PASS };
const struct out_col voucher_cols[] = {
	[VC_CODE] = { "code", "CODE" },
	[VC_STATE] = { "state", "STATE" },
	[VC_BALANCE] = { "balance", "BALANCE" },
	[VC_EXPIRES] = { "expires_s", "EXPIRES" },
	/* what a device without muisp-client types (contract.h) */
	[VC_EAP_USER] = { "eap_user", "EAP-USER" },
	[VC_EAP_PASS] = { "eap_password", "EAP-PASSWORD" },
};
const unsigned int voucher_ncols = 6;

/* muispd refuses a voucher when now > expiry (payment.c). */
const char *voucher_state(uint64_t balance, uint64_t expiry, uint64_t now)
{
	if (expiry && now > expiry)
		return "expired";
	return balance ? "valid" : "empty";
}

int voucher_row(struct out_table *t, const struct mp_msg *m, uint64_t now)
{
	uint64_t exp = mp_has(m, MP_A_EXPIRY) ? m->u[MP_A_EXPIRY] : 0;
	char tbuf[32], user[16] = "-", pass[16] = "-";

	contract_eap_creds(m->s[MP_A_CODE], user, sizeof(user), pass,
			   sizeof(pass));
	if (out_row(t) < 0 || out_str(t, VC_CODE, m->s[MP_A_CODE]) < 0 ||
	    out_str(t, VC_EAP_USER, user) < 0 ||
	    out_str(t, VC_EAP_PASS, pass) < 0 ||
	    out_str(t, VC_STATE, voucher_state(m->u[MP_A_BALANCE], exp, now)) <
		    0 ||
	    out_u64(t, VC_BALANCE, m->u[MP_A_BALANCE]) < 0 ||
	    out_u64_as(t, VC_EXPIRES, exp,
		       fmt_time_s(exp, tbuf, sizeof(tbuf))) < 0)
		return -1;
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * muispctl voucher issue|show: prepaid voucher codes, kept by muispd
 * (OP_VOUCHER_ISSUE, OP_VOUCHER_SHOW on its operator socket).  Amounts are
 * integers in the currency's minor unit (muispd.conf's "currency"), as
 * everywhere in muispd.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "daemon.h"

#define ISSUE_MAX 1000 /* vouchers per command */
/* muispd keeps balances in SQLite's signed 64-bit integers. */
#define AMOUNT_MAX ((uint64_t)INT64_MAX)

static int connect_daemon(struct ctl *c)
{
	return mpd_open(c) < 0 ? mpd_open_fail(c, errno) : EXIT_OK;
}

static int voucher_issue(struct ctl *c, int argc, char **argv)
{
	struct mp_msg req, rep;
	struct out_table *t;
	const char *key, *val, *why;
	uint64_t amount, count = 1, expiry = 0, i;
	time_t now = time(NULL);
	int r, rc;

	if (argc < 2)
		return cli_usage("voucher issue needs an AMOUNT");
	if (parse_uint(argv[1], AMOUNT_MAX, &amount, &why) < 0)
		return cli_badarg("amount", argv[1], why);
	if (!amount)
		return cli_badarg("amount", argv[1], "must be positive");
	argc -= 2;
	argv += 2;
	while ((r = ctl_kv(&argc, &argv, NULL, &key, &val)) == 0) {
		if (!strcmp(key, "count")) {
			if (parse_uint(val, ISSUE_MAX, &count, &why) < 0)
				return cli_badarg("count", val, why);
			if (!count)
				return cli_badarg("count", val,
						  "must be positive");
		} else if (!strcmp(key, "expires")) {
			if (parse_expiry(val, now, &expiry, &why) < 0)
				return cli_badarg("expires", val, why);
			if (expiry && expiry <= (uint64_t)now)
				return cli_badarg("expires", val,
						  "in the past");
		} else {
			return cli_usage("unknown voucher issue argument '%s'",
					 key);
		}
	}
	if (r < 0)
		return EXIT_USAGE;
	if ((rc = connect_daemon(c)) != EXIT_OK)
		return rc;
	t = out_new(voucher_cols, voucher_ncols);
	if (!t)
		return EXIT_FAIL;
	/* One request per voucher; the codes issued before a failure exist,
	 * so they are printed whatever happens next. */
	for (i = 0; i < count && rc == EXIT_OK; i++) {
		mp_init(&req, MP_T_OP_VOUCHER_ISSUE, 0, 0);
		mp_set_u(&req, MP_A_AMOUNT, amount);
		if (expiry)
			mp_set_u(&req, MP_A_EXPIRY, expiry);
		rc = mpd_call(c, "voucher issue", &req, &rep);
		if (rc != EXIT_OK)
			break;
		if (rep.type != MP_T_OP_VOUCHER)
			rc = mpd_fail("voucher issue", &rep);
		else if (voucher_row(t, &rep, (uint64_t)now) < 0)
			rc = EXIT_FAIL;
	}
	if (out_nrows(t))
		out_print(t, c->out, c->fmt, OUT_LIST);
	if (rc != EXIT_OK && out_nrows(t))
		cli_warn("voucher issue: %zu of %llu "
			 "vouchers issued (listed)",
			 out_nrows(t), (unsigned long long)count);
	out_free(t);
	return rc;
}

static int voucher_show(struct ctl *c, int argc, char **argv)
{
	struct mp_msg req, rep;
	struct out_table *t;
	const char *p;
	int rc;

	if (argc != 2)
		return cli_usage("voucher show needs one CODE");
	/* The protocol's strings: 1-255 printable ASCII characters. */
	for (p = argv[1]; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			break;
	mp_init(&req, MP_T_OP_VOUCHER_SHOW, 0, 0);
	if (*p || !*argv[1] || mp_set_s(&req, MP_A_CODE, argv[1]) < 0)
		return cli_badarg("voucher code", argv[1],
				  "expected 1 to 255 "
				  "printable ASCII characters");
	if ((rc = connect_daemon(c)) != EXIT_OK)
		return rc;
	if ((rc = mpd_call(c, "voucher show", &req, &rep)) != EXIT_OK)
		return rc;
	if (rep.type == MP_T_ERROR && rep.u[MP_A_ERROR] == MP_ERR_UNKNOWN) {
		cli_warn("voucher show: no voucher '%s' in muispd", argv[1]);
		return EXIT_FAIL;
	}
	if (rep.type != MP_T_OP_VOUCHER)
		return mpd_fail("voucher show", &rep);
	t = out_new(voucher_cols, voucher_ncols);
	if (!t || voucher_row(t, &rep, (uint64_t)time(NULL)) < 0)
		rc = EXIT_FAIL;
	else
		out_print(t, c->out, c->fmt, OUT_RECORD);
	out_free(t);
	return rc;
}

static const struct ctl_verb verbs[] = {
	{ "issue", voucher_issue,
	  "AMOUNT [count N] "
	  "[expires never|+DURATION|@EPOCH|DATE]" },
	{ "show", voucher_show, "CODE" },
	{ NULL, NULL, NULL },
};

int cmd_voucher(struct ctl *c, int argc, char **argv)
{
	/* No default verb: "issue" alone would need an amount. */
	if (argc == 1) {
		ctl_usage_of("voucher", verbs, stderr);
		return EXIT_USAGE;
	}
	return ctl_dispatch(c, verbs, argc, argv);
}

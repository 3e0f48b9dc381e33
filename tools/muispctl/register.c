// SPDX-License-Identifier: GPL-2.0
/*
 * muispctl register list|forget: the clients' self-signed certificates
 * muispd has registered and loaded into charon (OP_REG_LIST,
 * OP_REG_FORGET on its operator socket).  forget leaves a tombstone:
 * muispd ends the certificate's IKE_SA at once, refuses it while charon
 * still holds it and does not load it into charon again; the client
 * registers anew with muisp-client connect.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "daemon.h"

enum { R_ADDR, R_SUBJECT, R_KEY, R_CREATED, R_USED, R_UNTIL };
static const struct out_col reg_cols[] = {
	[R_ADDR] = { "addr", "ADDRESS" },
	[R_SUBJECT] = { "subject", "SUBJECT" },
	[R_KEY] = { "key", "KEY" },
	[R_CREATED] = { "created_s", "CREATED" },
	[R_USED] = { "last_used_s", "LAST USED" },
	[R_UNTIL] = { "until_s", "KEPT UNTIL" },
};

/* One OP_REG reply as a row. */
static int reg_row(struct out_table *t, const struct mp_msg *m)
{
	char b1[32], b2[32], b3[32];

	if (out_row(t) < 0 || out_str(t, R_ADDR, m->s[MP_A_ADDR]) < 0 ||
	    out_str(t, R_SUBJECT, m->s[MP_A_SUBJECT]) < 0 ||
	    out_str(t, R_KEY, m->s[MP_A_KEY_TYPE]) < 0 ||
	    out_u64_as(t, R_CREATED, m->u[MP_A_TIME],
		       fmt_time_s(m->u[MP_A_TIME], b1, sizeof(b1))) < 0 ||
	    out_u64_as(t, R_USED, m->u[MP_A_LAST_USED],
		       fmt_time_s(m->u[MP_A_LAST_USED], b2, sizeof(b2))) < 0 ||
	    out_u64_as(t, R_UNTIL, m->u[MP_A_EXPIRY],
		       fmt_time_s(m->u[MP_A_EXPIRY], b3, sizeof(b3))) < 0)
		return -1;
	return 0;
}

static int reg_list(struct ctl *c, int argc, char **argv)
{
	if (argc != 1)
		return cli_usage("register list takes no arguments");
	return mpd_list(c, "register list", MP_T_OP_REG_LIST, MP_T_OP_REG,
			reg_cols, sizeof(reg_cols) / sizeof(reg_cols[0]),
			reg_row);
}

/* forget ADDR|SUBJECT: an address when it parses as one. */
static int reg_forget(struct ctl *c, int argc, char **argv)
{
	struct mp_msg req, rep;
	unsigned char bin[16];
	int rc, addr;

	if (argc != 2 || !argv[1][0] || strlen(argv[1]) > MP_STR_MAX)
		return cli_usage("register forget needs one ADDRESS or "
				 "SUBJECT");
	addr = inet_pton(AF_INET, argv[1], bin) == 1 ||
	       inet_pton(AF_INET6, argv[1], bin) == 1;
	if (mpd_open(c) < 0)
		return mpd_open_fail(c, errno);
	mp_init(&req, MP_T_OP_REG_FORGET, 0, 0);
	mp_set_s(&req, addr ? MP_A_ADDR : MP_A_SUBJECT, argv[1]);
	rc = mpd_call(c, "register forget", &req, &rep);
	if (rc != EXIT_OK)
		return rc;
	if (rep.type != MP_T_OP_OK || !mp_has(&rep, MP_A_MESSAGE))
		return mpd_fail("register forget", &rep);
	fprintf(c->out, "%s\n", rep.s[MP_A_MESSAGE]);
	return EXIT_OK;
}

static const struct ctl_verb verbs[] = {
	{ "list", reg_list, "" },
	{ "forget", reg_forget, "ADDRESS|SUBJECT" },
	{ NULL, NULL, NULL },
};

int cmd_register(struct ctl *c, int argc, char **argv)
{
	return ctl_dispatch(c, verbs, argc, argv);
}

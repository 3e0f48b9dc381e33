// SPDX-License-Identifier: GPL-2.0
/*
 * muispctl key list|rotate: muispd's receipt keys (OP_KEY_LIST,
 * OP_KEY_ROTATE on its operator socket).  The current key signs new
 * receipts; a retiring one still verifies the receipts it signed; a
 * retired one no longer does.  muispd rotates on its own schedule
 * (muispd.conf key-rotate-interval); rotate does it now.
 */
#include <errno.h>
#include <string.h>

#include "daemon.h"

enum { K_ID, K_STATE, K_CREATED, K_RETIRES, K_ROTATES };
static const struct out_col key_cols[] = {
	[K_ID] = { "id", "ID" },
	[K_STATE] = { "state", "STATE" },
	[K_CREATED] = { "created_s", "CREATED" },
	[K_RETIRES] = { "retires_s", "RETIRES" },
	[K_ROTATES] = { "rotates_s", "ROTATES" },
};

static const char *const key_states[] = { "current", "retiring", "retired" };

/* One OP_KEY reply as a row; absent times are 0 ("never"). */
static int key_row(struct out_table *t, const struct mp_msg *m)
{
	uint64_t st = m->u[MP_A_KEY_STATE];
	uint64_t ret = mp_has(m, MP_A_NOT_AFTER) ? m->u[MP_A_NOT_AFTER] : 0;
	uint64_t rot = mp_has(m, MP_A_EXPIRY) ? m->u[MP_A_EXPIRY] : 0;
	char b1[32], b2[32], b3[32];

	if (out_row(t) < 0 || out_u64(t, K_ID, m->u[MP_A_KEY_ID]) < 0 ||
	    out_str(t, K_STATE, st < 3 ? key_states[st] : "unknown") < 0 ||
	    out_u64_as(t, K_CREATED, m->u[MP_A_TIME],
		       fmt_time_s(m->u[MP_A_TIME], b1, sizeof(b1))) < 0 ||
	    out_u64_as(t, K_RETIRES, ret, fmt_time_s(ret, b2, sizeof(b2))) <
		    0 ||
	    out_u64_as(t, K_ROTATES, rot, fmt_time_s(rot, b3, sizeof(b3))) < 0)
		return -1;
	return 0;
}

static int key_list(struct ctl *c, int argc, char **argv)
{
	if (argc != 1)
		return cli_usage("key list takes no arguments");
	return mpd_list(c, "key list", MP_T_OP_KEY_LIST, MP_T_OP_KEY, key_cols,
			sizeof(key_cols) / sizeof(key_cols[0]), key_row);
}

static int key_rotate(struct ctl *c, int argc, char **argv)
{
	struct mp_msg req, rep;
	int rc;

	if (argc != 1)
		return cli_usage("key rotate takes no arguments");
	if (mpd_open(c) < 0)
		return mpd_open_fail(c, errno);
	mp_init(&req, MP_T_OP_KEY_ROTATE, 0, 0);
	rc = mpd_call(c, "key rotate", &req, &rep);
	if (rc != EXIT_OK)
		return rc;
	if (rep.type != MP_T_OP_OK || !mp_has(&rep, MP_A_KEY_ID))
		return mpd_fail("key rotate", &rep);
	/* The new current key, and the one it retires, as key list shows
	 * them. */
	return key_list(c, 1, argv);
}

static const struct ctl_verb verbs[] = {
	{ "list", key_list, "" },
	{ "rotate", key_rotate, "" },
	{ NULL, NULL, NULL },
};

int cmd_key(struct ctl *c, int argc, char **argv)
{
	return ctl_dispatch(c, verbs, argc, argv);
}

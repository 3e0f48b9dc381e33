// SPDX-License-Identifier: GPL-2.0
/*
 * muispctl tag show|set|del, tag user list|set|del: the agent's role of
 * per-user accounting, on a multi-user host (MUISP_CMD_TAG_*,
 * MUISP_CMD_TAG_USER_*).  The module tags the packets of mapped local
 * users that leave through one interface with a sealed User Information
 * option, which the router's meter (agent.c, there) opens with the same
 * key; a blocked user's are dropped instead.  A user with an address of
 * their own (Multi-IP) sends from it alone and untagged, and no one else
 * sends from it.  The key is read from a file as agent set reads it
 * (never the command line, which any user can list) and is never read
 * back.
 */
#include <errno.h>
#include <net/if.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "muispctl.h"

static const char *const tag_attrs[MUISP_TAG_A_MAX + 1] = {
	[MUISP_TAG_A_IFINDEX] = "interface",
	[MUISP_TAG_A_KEY] = "key",
	[MUISP_TAG_A_KEY_ID] = "key-id",
	[MUISP_TAG_A_METHOD] = "method",
};

static const char *const tag_user_attrs[MUISP_TAG_USER_A_MAX + 1] = {
	[MUISP_TAG_USER_A_UID] = "uid",
	[MUISP_TAG_USER_A_USER] = "user",
	[MUISP_TAG_USER_A_BLOCKED] = "blocked",
	[MUISP_TAG_USER_A_ADDR] = "address",
	[MUISP_TAG_USER_A_SENT_BYTES] = "sent-bytes",
	[MUISP_TAG_USER_A_SENT_PACKETS] = "sent-packets",
	[MUISP_TAG_USER_A_RECV_BYTES] = "recv-bytes",
	[MUISP_TAG_USER_A_RECV_PACKETS] = "recv-packets",
};

/* As config show prints lan: the name when it resolves, then the index. */
enum {
	T_IF,
	T_IFINDEX,
	T_STATE,
	T_KEY_ID,
	T_METHOD,
	T_TAGGED,
	T_SKIPPED,
	T_BLOCKED,
	T_DENIED,
	T_SPOOFED,
	T_REDIRECTED,
	T_QUERIED,
	T_CLAMPED,
	T_REPORTED,
	T_ACKED,
	T_ACK_FORGED
};
static const struct out_col tag_cols[] = {
	[T_IF] = { "interface", "interface" },
	[T_IFINDEX] = { "ifindex", "ifindex" },
	[T_STATE] = { "state", "state" },
	[T_KEY_ID] = { "key_id", "key-id" },
	[T_METHOD] = { "method", "method" },
	[T_TAGGED] = { "tagged", "tagged" },
	[T_SKIPPED] = { "skipped", "skipped" },
	[T_BLOCKED] = { "blocked", "blocked" },
	[T_DENIED] = { "denied", "denied" },
	[T_SPOOFED] = { "spoofed", "spoofed" },
	[T_REDIRECTED] = { "redirected", "redirected" },
	[T_QUERIED] = { "queried", "queried" },
	[T_CLAMPED] = { "clamped", "clamped" },
	[T_REPORTED] = { "reported", "reported" },
	[T_ACKED] = { "acked", "acked" },
	[T_ACK_FORGED] = { "ack_forged", "ack-forged" },
};

/* the counts are the COUNT method's (the standalone meter), 0 otherwise */
enum {
	U_UID,
	U_NAME,
	U_USER,
	U_BLOCKED,
	U_ADDR,
	U_SENT_BYTES,
	U_SENT_PACKETS,
	U_RECV_BYTES,
	U_RECV_PACKETS
};
static const struct out_col tag_user_cols[] = {
	[U_UID] = { "uid", "UID" },
	[U_NAME] = { "name", "NAME" },
	[U_USER] = { "user", "USER" },
	[U_BLOCKED] = { "blocked", "BLOCKED" },
	[U_ADDR] = { "addr", "ADDRESS" },
	[U_SENT_BYTES] = { "sent_bytes", "SENT_BYTES" },
	[U_SENT_PACKETS] = { "sent_packets", "SENT_PKTS" },
	[U_RECV_BYTES] = { "recv_bytes", "RECV_BYTES" },
	[U_RECV_PACKETS] = { "recv_packets", "RECV_PKTS" },
};

static void names(struct ctl *c)
{
	c->attr_names = tag_attrs;
	c->nattr_names = MUISP_TAG_A_MAX + 1;
}

static void user_names(struct ctl *c)
{
	c->attr_names = tag_user_attrs;
	c->nattr_names = MUISP_TAG_USER_A_MAX + 1;
}

static int tag_show(struct ctl *c, int argc, char **argv)
{
	struct muisp_nl_tag t;
	struct out_table *o;
	char ifname[IF_NAMESIZE], num[12];
	int rc = EXIT_OK;

	(void)argv;
	if (argc > 1)
		return cli_usage("tag show takes no arguments");
	if (!ctl_nl(c, &rc))
		return rc;
	names(c);
	if (muisp_nl_tag_get(c->nl, &t) < 0) {
		if (errno != ENOENT)
			return ctl_nl_fail(c, "tag show");
		cli_warn("tag show: the agent's role is not set "
			 "(muispctl tag set)");
		return EXIT_FAIL;
	}
	o = out_new(tag_cols, sizeof(tag_cols) / sizeof(tag_cols[0]));
	if (!o || out_row(o) < 0) {
		out_free(o);
		return EXIT_FAIL;
	}
	if (t.ifindex && if_indextoname(t.ifindex, ifname))
		out_str(o, T_IF, ifname);
	out_u64(o, T_IFINDEX, t.ifindex);
	if (MUISP_NL_HAS(&t, MUISP_TAG_A_KEY_ID)) {
		out_str(o, T_STATE, "keyed");
		out_u64(o, T_KEY_ID, t.key_id);
	} else {
		out_str(o, T_STATE, "closed");
	}
	if (MUISP_NL_HAS(&t, MUISP_TAG_A_METHOD))
		out_str(o, T_METHOD, name_of(&tag_method_names, t.method, num));
	if (MUISP_NL_HAS(&t, MUISP_TAG_A_TAGGED))
		out_u64(o, T_TAGGED, t.tagged);
	if (MUISP_NL_HAS(&t, MUISP_TAG_A_SKIPPED))
		out_u64(o, T_SKIPPED, t.skipped);
	if (MUISP_NL_HAS(&t, MUISP_TAG_A_BLOCKED))
		out_u64(o, T_BLOCKED, t.blocked);
	if (MUISP_NL_HAS(&t, MUISP_TAG_A_DENIED))
		out_u64(o, T_DENIED, t.denied);
	if (MUISP_NL_HAS(&t, MUISP_TAG_A_SPOOFED))
		out_u64(o, T_SPOOFED, t.spoofed);
	if (MUISP_NL_HAS(&t, MUISP_TAG_A_REDIRECTED))
		out_u64(o, T_REDIRECTED, t.redirected);
	if (MUISP_NL_HAS(&t, MUISP_TAG_A_QUERIED))
		out_u64(o, T_QUERIED, t.queried);
	if (MUISP_NL_HAS(&t, MUISP_TAG_A_CLAMPED))
		out_u64(o, T_CLAMPED, t.clamped);
	if (MUISP_NL_HAS(&t, MUISP_TAG_A_REPORTED))
		out_u64(o, T_REPORTED, t.reported);
	if (MUISP_NL_HAS(&t, MUISP_TAG_A_ACKED))
		out_u64(o, T_ACKED, t.acked);
	if (MUISP_NL_HAS(&t, MUISP_TAG_A_ACK_FORGED))
		out_u64(o, T_ACK_FORGED, t.ack_forged);
	out_print(o, c->out, c->fmt, OUT_RECORD);
	out_free(o);
	return EXIT_OK;
}

/* IFNAME|IFINDEX as config set lan reads it: a number is an index. */
static int parse_ifindex(const char *s, uint32_t *ifindex)
{
	const char *why;
	uint64_t v;

	if (parse_uint(s, UINT32_MAX, &v, &why) == 0) {
		if (!v)
			return cli_badarg("interface", s, "must be non-zero");
		*ifindex = (uint32_t)v;
	} else if (!(*ifindex = if_nametoindex(s))) {
		return cli_badarg("interface", s, "no such interface");
	}
	return EXIT_OK;
}

/*
 * tag set (a key) and tag close (none: mapped users' packets are dropped,
 * as muisp-uinfod leaves the role while its meter is away).
 */
static int tag_setting(struct ctl *c, int argc, char **argv, int closed)
{
	const char *verb = closed ? "tag close" : "tag set";
	struct muisp_nl_tag t;
	const char *key, *val, *why, *file = NULL;
	uint64_t v;
	int m, r, rc = EXIT_OK;

	memset(&t, 0, sizeof(t));
	if (argc < 2)
		return cli_usage("%s needs an IFNAME or IFINDEX", verb);
	rc = parse_ifindex(argv[1], &t.ifindex);
	if (rc != EXIT_OK)
		return rc;
	MUISP_NL_SET(&t, MUISP_TAG_A_IFINDEX);
	argc -= 2;
	argv += 2;
	while ((r = ctl_kv(&argc, &argv, NULL, &key, &val)) == 0) {
		if (!closed && !strcmp(key, "key-id")) {
			if (parse_uint(val, UINT32_MAX, &v, &why) < 0)
				return cli_badarg("key-id", val, why);
			if (!v)
				return cli_badarg("key-id", val,
						  "must be at least 1");
			t.key_id = (uint32_t)v;
			MUISP_NL_SET(&t, MUISP_TAG_A_KEY_ID);
		} else if (!closed && !strcmp(key, "key-file")) {
			file = val;
		} else if (!strcmp(key, "method")) {
			m = name_lookup(&tag_method_names, val);
			if (m < 0)
				return ctl_badname("method", val,
						   &tag_method_names);
			t.method = (uint8_t)m;
			MUISP_NL_SET(&t, MUISP_TAG_A_METHOD);
		} else {
			return cli_usage("unknown %s argument '%s'", verb, key);
		}
	}
	if (r < 0)
		return EXIT_USAGE;
	if (!closed) {
		if (!file || !MUISP_NL_HAS(&t, MUISP_TAG_A_KEY_ID))
			return cli_usage(
				"tag set needs key-id N and key-file FILE");
		rc = ctl_read_key("tag set", file, t.key);
		if (rc != EXIT_OK)
			goto out;
		MUISP_NL_SET(&t, MUISP_TAG_A_KEY);
	}
	if (!ctl_nl(c, &rc))
		goto out;
	names(c);
	if (muisp_nl_tag_set(c->nl, &t) < 0)
		rc = ctl_nl_fail(c, verb);
out:
	explicit_bzero(t.key, sizeof(t.key));
	return rc;
}

static int tag_set(struct ctl *c, int argc, char **argv)
{
	return tag_setting(c, argc, argv, 0);
}

static int tag_close(struct ctl *c, int argc, char **argv)
{
	return tag_setting(c, argc, argv, 1);
}

static int tag_del(struct ctl *c, int argc, char **argv)
{
	int rc = EXIT_OK;

	(void)argv;
	if (argc > 1)
		return cli_usage("tag del takes no arguments");
	if (!ctl_nl(c, &rc))
		return rc;
	names(c);
	if (muisp_nl_tag_del(c->nl) < 0)
		return ctl_nl_fail(c, "tag del");
	return EXIT_OK;
}

/* ---- tag user: the local users tagged, uid -> Accounting ID ---- */

static int tag_user_row(const struct muisp_nl_tag_user *u, void *arg)
{
	struct out_table *t = arg;
	char ip[MUISP_NL_IPSTRLEN];
	struct passwd *pw;

	if (out_row(t) < 0)
		return MNL_CB_ERROR;
	out_u64(t, U_UID, u->uid);
	pw = getpwuid((uid_t)u->uid);
	if (pw && pw->pw_name)
		out_str(t, U_NAME, pw->pw_name);
	out_u64(t, U_USER, u->user);
	/* a module older than the block flag has none */
	if (MUISP_NL_HAS(u, MUISP_TAG_USER_A_BLOCKED))
		out_bool(t, U_BLOCKED, u->blocked);
	if (MUISP_NL_HAS(u, MUISP_TAG_USER_A_ADDR))
		out_str(t, U_ADDR, muisp_nl_ip_to_str(&u->addr, ip));
	/* a module older than the COUNT method has none */
	if (MUISP_NL_HAS(u, MUISP_TAG_USER_A_SENT_BYTES)) {
		out_u64(t, U_SENT_BYTES, u->sent_bytes);
		out_u64(t, U_SENT_PACKETS, u->sent_packets);
		out_u64(t, U_RECV_BYTES, u->recv_bytes);
		out_u64(t, U_RECV_PACKETS, u->recv_packets);
	}
	return MNL_CB_OK;
}

static int tag_user_dump(struct ctl *c, struct out_table *t, const void *arg)
{
	(void)arg;
	return muisp_nl_tag_user_dump(c->nl, tag_user_row, ctl_out_reset, t);
}

static int tag_user_list(struct ctl *c, int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return cli_usage("tag user list takes no arguments");
	return ctl_list(c, "tag user list", tag_user_cols,
			sizeof(tag_user_cols) / sizeof(tag_user_cols[0]),
			tag_user_dump, NULL);
}

/*
 * UID|LOGIN: a decimal uid (any string of digits, and what starts with a
 * sign, is one), else a login name looked up with getpwnam.  (uid_t)-1 is
 * nobody's.  EXIT_OK, or the exit code after the message.
 */
static int parse_uid(const char *what, const char *s, uint32_t *uid)
{
	const char *why;
	struct passwd *pw;
	uint64_t v;

	if (!*s || s[strspn(s, "0123456789")] == '\0' || *s == '-' ||
	    *s == '+') {
		if (parse_uint(s, UINT32_MAX, &v, &why) < 0)
			return cli_badarg("uid", s, why);
		if (v == UINT32_MAX)
			return cli_badarg("uid", s, "not a uid ((uid_t)-1)");
		*uid = (uint32_t)v;
		return EXIT_OK;
	}
	errno = 0;
	pw = getpwnam(s);
	if (pw) {
		*uid = (uint32_t)pw->pw_uid;
		return EXIT_OK;
	}
	/* not found: no error, or one of those POSIX allows for it */
	if (errno == 0 || errno == ENOENT || errno == ESRCH || errno == EBADF ||
	    errno == EPERM)
		return cli_badarg("login", s, "no such user");
	return cli_fail("%s: cannot look up login '%s': %s", what, s,
			strerror(errno));
}

/*
 * tag user set UID|LOGIN USER [blocked] [address ADDR], in either order:
 * blocked, the user's packets are dropped on the host instead (the
 * router's block list for the user); address, the user's own (Multi-IP).
 */
static int tag_user_set(struct ctl *c, int argc, char **argv)
{
	struct muisp_nl_tag_user u;
	const char *why;
	uint64_t v;
	int i, rc;

	memset(&u, 0, sizeof(u));
	if (argc < 3)
		return cli_usage("tag user set needs a UID or LOGIN and a "
				 "USER");
	rc = parse_uid("tag user set", argv[1], &u.uid);
	if (rc != EXIT_OK)
		return rc;
	if (parse_uint(argv[2], UINT32_MAX, &v, &why) < 0)
		return cli_badarg("user", argv[2], why);
	u.user = (uint32_t)v;
	MUISP_NL_SET(&u, MUISP_TAG_USER_A_UID);
	MUISP_NL_SET(&u, MUISP_TAG_USER_A_USER);
	/* the entry is replaced whole: without "blocked", unblocked, without
	 * "address", none (and no attribute, so an older module takes it) */
	for (i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "blocked")) {
			u.blocked = 1;
			MUISP_NL_SET(&u, MUISP_TAG_USER_A_BLOCKED);
		} else if (!strcmp(argv[i], "address")) {
			if (++i == argc)
				return cli_usage("'address' needs a value");
			if (parse_ip(argv[i], &u.addr, &why) < 0)
				return cli_badarg("address", argv[i], why);
			MUISP_NL_SET(&u, MUISP_TAG_USER_A_ADDR);
		} else {
			return cli_usage("unknown tag user set argument '%s'",
					 argv[i]);
		}
	}
	if (!ctl_nl(c, &rc))
		return rc;
	user_names(c);
	if (muisp_nl_tag_user_set(c->nl, &u) < 0)
		return ctl_nl_fail(c, "tag user set");
	return EXIT_OK;
}

static int tag_user_del(struct ctl *c, int argc, char **argv)
{
	uint32_t uid;
	int rc;

	if (argc != 2)
		return cli_usage("tag user del needs one UID or LOGIN");
	rc = parse_uid("tag user del", argv[1], &uid);
	if (rc != EXIT_OK)
		return rc;
	if (!ctl_nl(c, &rc))
		return rc;
	user_names(c);
	if (muisp_nl_tag_user_del(c->nl, uid) < 0)
		return ctl_nl_fail(c, "tag user del");
	return EXIT_OK;
}

static const struct ctl_verb tag_user_verbs[] = {
	{ "list", tag_user_list, "" },
	{ "set", tag_user_set, "UID|LOGIN USER [blocked] [address ADDR]" },
	{ "del", tag_user_del, "UID|LOGIN" },
	{ NULL, NULL, NULL },
};

/* argv: "user" [VERB ARGS...] */
static int tag_user(struct ctl *c, int argc, char **argv)
{
	char obj[] = "tag user"; /* for ctl_dispatch's messages and usage */

	argv[0] = obj;
	return ctl_dispatch(c, tag_user_verbs, argc, argv);
}

/* The user entries only print tag user's verbs in tag's usage: cmd_tag
 * hands "user" to tag_user before ctl_dispatch sees it. */
static const struct ctl_verb tag_verbs[] = {
	{ "show", tag_show, "" },
	{ "set", tag_set,
	  "IFNAME|IFINDEX key-id N key-file FILE|- [method packet|flow|hybrid|count|report]" },
	{ "close", tag_close,
	  "IFNAME|IFINDEX [method packet|flow|hybrid|count|report]" },
	{ "del", tag_del, "" },
	{ "user", tag_user, "list" },
	{ "user", tag_user, "set UID|LOGIN USER [blocked] [address ADDR]" },
	{ "user", tag_user, "del UID|LOGIN" },
	{ NULL, NULL, NULL },
};

int cmd_tag(struct ctl *c, int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "user"))
		return tag_user(c, argc - 1, argv + 1);
	return ctl_dispatch(c, tag_verbs, argc, argv);
}

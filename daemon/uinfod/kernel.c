// SPDX-License-Identifier: GPL-2.0
/*
 * The module's side of the agent (uinfod.h): its user map made equal to
 * the configuration, with the users the router blocks flagged (their
 * packets dropped and counted as denied), its tagger keyed or closed
 * (MUISP_CMD_TAG_SET; a setting without KEY and KEY_ID is closed: mapped
 * users' packets are dropped and counted as blocked), and, for the
 * standalone scheme, what the COUNT method counted per uid (the map's
 * dump).  Failures are logged with the kernel's extended ack.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "muisp_nl.h"
#include "uinfod.h"

static void nl_warn(struct muisp_nl *nl, const char *fmt, ...)
	MUISP_PRINTF(2, 3);
static void nl_warn(struct muisp_nl *nl, const char *fmt, ...)
{
	const char *ext = muisp_nl_ext_msg(nl);
	int e = errno;
	char what[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	log_warnx("%s: %s%s%s", what, strerror(e), ext ? ": " : "",
		  ext ? ext : "");
	errno = e;
}

/* The module's user map, as dumped. */
struct umap {
	struct muisp_nl_tag_user *v;
	size_t n, cap;
};

static void umap_reset(void *arg)
{
	((struct umap *)arg)->n = 0;
}

static int umap_add(const struct muisp_nl_tag_user *u, void *arg)
{
	struct umap *m = arg;

	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 64;
		void *v = realloc(m->v, cap * sizeof(*m->v));

		if (!v)
			return MNL_CB_ERROR;
		m->v = v;
		m->cap = cap;
	}
	m->v[m->n++] = *u;
	return MNL_CB_OK;
}

static int by_uid(const void *a, const void *b)
{
	const struct muisp_nl_tag_user *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* c's user as the module maps them: blocked or not, their own address. */
static void user_entry(const struct uinfod_user *c, int blocked,
		       struct muisp_nl_tag_user *u)
{
	memset(u, 0, sizeof(*u));
	u->uid = c->uid;
	u->user = c->id;
	u->blocked = blocked ? 1 : 0;
	MUISP_NL_SET(u, MUISP_TAG_USER_A_UID);
	MUISP_NL_SET(u, MUISP_TAG_USER_A_USER);
	/* absent is 0 (none): a module without these still maps users */
	if (blocked)
		MUISP_NL_SET(u, MUISP_TAG_USER_A_BLOCKED);
	if (c->family) {
		u->addr.family = c->family;
		memcpy(u->addr.a, c->addr, sizeof(u->addr.a));
		MUISP_NL_SET(u, MUISP_TAG_USER_A_ADDR);
	}
}

/* Do two entries have the same own address (or both none)? */
static int same_addr(const struct muisp_nl_tag_user *x,
		     const struct muisp_nl_tag_user *y)
{
	int hx = MUISP_NL_HAS(x, MUISP_TAG_USER_A_ADDR);

	return hx == MUISP_NL_HAS(y, MUISP_TAG_USER_A_ADDR) &&
	       (!hx || (x->addr.family == y->addr.family &&
			!memcmp(x->addr.a, y->addr.a,
				x->addr.family == AF_INET ? 4 : 16)));
}

/* Is the module's entry have what want says? */
static int user_same(const struct muisp_nl_tag_user *have,
		     const struct muisp_nl_tag_user *want)
{
	return MUISP_NL_HAS(have, MUISP_TAG_USER_A_USER) &&
	       have->user == want->user && !have->blocked == !want->blocked &&
	       same_addr(have, want);
}

static int user_set(struct muisp_nl *nl, const struct muisp_nl_tag_user *u)
{
	if (muisp_nl_tag_user_set(nl, u) < 0) {
		nl_warn(nl, "user map: set uid %u", u->uid);
		return -1;
	}
	return 0;
}

int uinfod_kernel_users(struct muisp_nl *nl, const struct uinfod_conf *c,
			const struct uinfod_blocks *b)
{
	struct umap m = { 0 };
	unsigned int i, set = 0, removed = 0;
	size_t k;
	int rc = -1;

	if (muisp_nl_tag_user_dump(nl, umap_add, umap_reset, &m) < 0) {
		nl_warn(nl, "user map: dump");
		goto out;
	}
	/* the module's users that the configuration does not map go */
	for (k = 0; k < m.n; k++) {
		if (uinfod_config_user(c, m.v[k].uid))
			continue;
		if (muisp_nl_tag_user_del(nl, m.v[k].uid) < 0 &&
		    errno != ENOENT) {
			nl_warn(nl, "user map: delete");
			goto out;
		}
		removed++;
	}
	/* the configuration's are set where the module has them otherwise;
	 * first without an address where theirs changes, as an address
	 * may move from one user to another (the module refuses one user's
	 * address to a second) */
	if (m.n)
		qsort(m.v, m.n, sizeof(*m.v), by_uid);
	for (int pass = 0; pass < 2; pass++) {
		for (i = 0; i < c->nusers; i++) {
			const struct muisp_nl_tag_user *have;
			struct muisp_nl_tag_user u;

			user_entry(&c->users[i],
				   b && uinfod_blocks_has(b, c->users[i].id),
				   &u);
			have = m.n ? bsearch(&u, m.v, m.n, sizeof(*m.v),
					     by_uid) :
				     NULL;
			if (have && user_same(have, &u))
				continue;
			if (!pass) {
				if (!have ||
				    !MUISP_NL_HAS(have,
						  MUISP_TAG_USER_A_ADDR) ||
				    same_addr(have, &u))
					continue;
				u.present &= ~(1ull << MUISP_TAG_USER_A_ADDR);
			}
			if (user_set(nl, &u) < 0)
				goto out;
			set += pass;
		}
	}
	log_info("user map: %u user%s (%u set, %u removed)", c->nusers,
		 c->nusers == 1 ? "" : "s", set, removed);
	rc = 0;
out:
	free(m.v);
	return rc;
}

int uinfod_kernel_block(struct muisp_nl *nl, const struct uinfod_conf *c,
			uint32_t id, int blocked)
{
	struct muisp_nl_tag_user u;

	for (unsigned int i = 0; i < c->nusers; i++) {
		if (c->users[i].id != id)
			continue;
		user_entry(&c->users[i], blocked, &u);
		if (user_set(nl, &u) < 0)
			return -1;
	}
	return 0;
}

int uinfod_kernel_counts(struct muisp_nl *nl, struct muisp_nl_tag_user **rows,
			 size_t *n)
{
	struct umap m = { 0 };
	int e;

	*rows = NULL;
	*n = 0;
	if (muisp_nl_tag_user_dump(nl, umap_add, umap_reset, &m) < 0) {
		e = errno;
		free(m.v);
		errno = e;
		return -1;
	}
	*rows = m.v;
	*n = m.n;
	return 0;
}

int uinfod_kernel_close(struct muisp_nl *nl, uint32_t ifindex, uint8_t method)
{
	struct muisp_nl_tag t = { 0 };

	t.ifindex = ifindex;
	t.method = method;
	MUISP_NL_SET(&t, MUISP_TAG_A_IFINDEX);
	MUISP_NL_SET(&t, MUISP_TAG_A_METHOD);
	if (muisp_nl_tag_set(nl, &t) < 0) {
		nl_warn(nl, "tagger: close");
		return -1;
	}
	return 0;
}

int uinfod_kernel_key(struct muisp_nl *nl, uint32_t ifindex, uint8_t method,
		      const uint8_t key[MUISP_AGENT_KEY_LEN], uint32_t key_id)
{
	struct muisp_nl_tag t = { 0 };
	int rc = 0;

	t.ifindex = ifindex;
	t.method = method;
	t.key_id = key_id;
	memcpy(t.key, key, sizeof(t.key));
	MUISP_NL_SET(&t, MUISP_TAG_A_IFINDEX);
	MUISP_NL_SET(&t, MUISP_TAG_A_METHOD);
	MUISP_NL_SET(&t, MUISP_TAG_A_KEY);
	MUISP_NL_SET(&t, MUISP_TAG_A_KEY_ID);
	if (muisp_nl_tag_set(nl, &t) < 0) {
		nl_warn(nl, "tagger: key");
		rc = -1;
	}
	explicit_bzero(t.key, sizeof(t.key));
	return rc;
}

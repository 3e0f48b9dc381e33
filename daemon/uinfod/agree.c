// SPDX-License-Identifier: GPL-2.0
/*
 * The pure parts of the agent's key agreement (uinfod.h): what a WELCOME
 * must hold, the wait between attempts, and the set of users the router
 * blocks.  The exporter's context is
 * lib/proto's mp_uinfo_context(), muispd's too, so both ends build the
 * same bytes.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "uinfod.h"

int uinfod_welcome_check(const struct mp_msg *m, struct uinfod_welcome *w,
			 const char **why)
{
	struct in6_addr a;

	if (m->type != MP_T_UINFO_WELCOME || !(m->flags & MP_F_REPLY)) {
		*why = "not a welcome";
		return -1;
	}
	/* the decoder checked presence and ranges; these are ours */
	if (!m->u[MP_A_KEY_ID]) {
		*why = "key id 0";
		return -1;
	}
	if (inet_pton(AF_INET, m->s[MP_A_ADDR], &a) != 1 &&
	    inet_pton(AF_INET6, m->s[MP_A_ADDR], &a) != 1) {
		*why = "the address is not an IP address";
		return -1;
	}
	if (!m->u[MP_A_INTERVAL]) {
		*why = "keep-alive interval 0";
		return -1;
	}
	w->key_id = (uint32_t)m->u[MP_A_KEY_ID];
	w->interval = (uint32_t)m->u[MP_A_INTERVAL];
	memcpy(w->addr, m->s[MP_A_ADDR], sizeof(w->addr));
	return 0;
}

uint64_t uinfod_backoff_next(uint64_t cur, uint64_t first_ms, uint64_t max_ms)
{
	uint64_t next = cur ? (cur > max_ms / 2 ? max_ms : 2 * cur) : first_ms;

	return next > max_ms ? max_ms : next;
}

/* Where id is in b, or would go. */
static unsigned int blocks_at(const struct uinfod_blocks *b, uint32_t id)
{
	unsigned int lo = 0, hi = b->n;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (b->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int uinfod_blocks_has(const struct uinfod_blocks *b, uint32_t id)
{
	unsigned int i = blocks_at(b, id);

	return i < b->n && b->ids[i] == id;
}

int uinfod_blocks_set(struct uinfod_blocks *b, uint32_t id, int blocked)
{
	unsigned int i = blocks_at(b, id);
	int has = i < b->n && b->ids[i] == id;

	if (!blocked) {
		if (has)
			memmove(b->ids + i, b->ids + i + 1,
				(b->n-- - i - 1) * sizeof(*b->ids));
		return 0;
	}
	if (has)
		return 0;
	if (b->n == b->cap) {
		unsigned int cap = b->cap ? 2 * b->cap : 16;
		uint32_t *v = realloc(b->ids, cap * sizeof(*v));

		if (!v)
			return -1;
		b->ids = v;
		b->cap = cap;
	}
	memmove(b->ids + i + 1, b->ids + i, (b->n - i) * sizeof(*b->ids));
	b->ids[i] = id;
	b->n++;
	return 0;
}

void uinfod_blocks_clear(struct uinfod_blocks *b)
{
	b->n = 0;
}

void uinfod_blocks_free(struct uinfod_blocks *b)
{
	free(b->ids);
	memset(b, 0, sizeof(*b));
}

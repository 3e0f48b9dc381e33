// SPDX-License-Identifier: GPL-2.0
/*
 * The pure parts of the agent's key agreement (uinfod.h): what a WELCOME
 * must hold, and the wait between attempts.  The exporter's context is
 * lib/proto's mp_uinfo_context(), muispd's too, so both ends build the
 * same bytes.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
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

// SPDX-License-Identifier: GPL-2.0
/* muispctl's own argument parsers, name tables, formatters: see args.h. */
#include <stdio.h>
#include <string.h>

#include "args.h"

int parse_expiry(const char *s, time_t now, uint64_t *v, const char **why)
{
	struct tm tm;
	const char *end;
	uint64_t d;

	if (strcmp(s, "never") == 0) {
		*v = 0;
		return 0;
	}
	if (s[0] == '+') {
		if (parse_duration_s(s + 1, &d, why) < 0)
			return -1;
		if (d > UINT64_MAX - (uint64_t)now) {
			*why = "too large";
			return -1;
		}
		*v = (uint64_t)now + d;
		return 0;
	}
	if (s[0] == '@')
		return parse_uint(s + 1, UINT64_MAX, v, why);
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		end = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
	if (!end || (*end && strcmp(end, "Z") != 0)) {
		*why = "expected never, +DURATION, @EPOCH or "
		       "YYYY-MM-DDTHH:MM:SSZ";
		return -1;
	}
	*v = (uint64_t)timegm(&tm);
	return 0;
}

int parse_limit(uint8_t metric, const char *s, uint64_t *v, const char **why)
{
	switch (metric) {
	case MUISP_METRIC_BYTES:
	case MUISP_METRIC_PACKETS:
		return parse_size(s, v, why);
	case MUISP_METRIC_ELAPSED_TIME:
	case MUISP_METRIC_USAGE_TIME:
		return parse_duration_ms(s, v, why);
	default:
		*why = "unknown metric";
		return -1;
	}
}

#define NAMES(var, ...)                                       \
	static const char *const var##_v[] = { __VA_ARGS__ }; \
	const struct names var = { var##_v,                   \
				   sizeof(var##_v) / sizeof(var##_v[0]) }

NAMES(addr_state_names, [MUISP_ADDR_STATE_UNSPEC] = "none",
      [MUISP_ADDR_STATE_UNALLOCATED] = "unallocated",
      [MUISP_ADDR_STATE_ALLOCATED] = "allocated",
      [MUISP_ADDR_STATE_BOUND] = "bound");
NAMES(contract_status_names, [MUISP_CONTRACT_STATUS_ACTIVE] = "active",
      [MUISP_CONTRACT_STATUS_SUSPENDED] = "suspended",
      [MUISP_CONTRACT_STATUS_DELINQUENT] = "delinquent",
      [MUISP_CONTRACT_STATUS_EXTINGUISHED] = "extinguished");
NAMES(metric_names, [MUISP_METRIC_ELAPSED_TIME] = "elapsed-time",
      [MUISP_METRIC_USAGE_TIME] = "usage-time", [MUISP_METRIC_BYTES] = "bytes",
      [MUISP_METRIC_PACKETS] = "packets");
NAMES(flow_end_names, [MUISP_FLOW_END_IDLE] = "idle",
      [MUISP_FLOW_END_CLOSED] = "closed", [MUISP_FLOW_END_EVICTED] = "evicted",
      [MUISP_FLOW_END_FLUSH] = "flush", [MUISP_FLOW_END_REBIND] = "rebind");
NAMES(drop_names, [MUISP_DROP_UNSPEC] = "unspec",
      [MUISP_DROP_NOT_BOUND] = "not-bound",
      [MUISP_DROP_NO_CONTRACT] = "no-contract",
      [MUISP_DROP_SUSPENDED] = "suspended", [MUISP_DROP_DELINQUENT] = "delinquent",
      [MUISP_DROP_HARD_LIMIT] = "hard-limit", [MUISP_DROP_EXPIRED] = "expired",
      [MUISP_DROP_BLOCKED] = "blocked", [MUISP_DROP_LOCAL] = "local",
      [MUISP_DROP_MALFORMED] = "malformed", [MUISP_DROP_TUNNEL] = "tunnel",
      [MUISP_DROP_DNS] = "dns", [MUISP_DROP_USER_INFO] = "user-info",
      [MUISP_DROP_AGENT_DOWN] = "agent-down",
      [MUISP_DROP_CONN_REFUSED] = "conn-refused",
      [MUISP_DROP_CONN_RATE] = "conn-rate");
NAMES(event_names, [MUISP_EVENT_SOFT_LIMIT] = "soft-limit",
      [MUISP_EVENT_HARD_LIMIT] = "hard-limit", [MUISP_EVENT_EXPIRED] = "expired",
      [MUISP_EVENT_ADDR_STATE] = "addr-state");
/* lib/parse's, which muisp-uinfod.conf's method reads too */
const struct names tag_method_names = { tag_method_name_v, TAG_METHOD_NAMES };
/* and muisp-uinfod.conf's scheme */
const struct names agent_scheme_names = { agent_scheme_name_v,
					  AGENT_SCHEME_NAMES };

int name_lookup(const struct names *t, const char *s)
{
	unsigned int i;

	for (i = 0; i < t->n; i++)
		if (t->v[i] && strcmp(t->v[i], s) == 0)
			return (int)i;
	return -1;
}

const char *name_of(const struct names *t, unsigned int v, char *buf)
{
	if (v < t->n && t->v[v])
		return t->v[v];
	snprintf(buf, 12, "%u", v);
	return buf;
}

const char *name_list(const struct names *t)
{
	static char buf[256];
	unsigned int i;
	size_t n = 0;

	buf[0] = '\0';
	for (i = 0; i < t->n; i++) {
		if (!t->v[i] || (t == &addr_state_names && i == 0))
			continue;
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
				      n ? "|" : "", t->v[i]);
		if (n >= sizeof(buf))
			break;
	}
	return buf;
}

const char *fmt_time_s(uint64_t s, char *buf, size_t len)
{
	struct tm tm;
	time_t t = (time_t)s;

	if (!s) {
		snprintf(buf, len, "never");
		return buf;
	}
	if (s > (uint64_t)INT64_MAX / 2 || !gmtime_r(&t, &tm) ||
	    !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "@%llu", (unsigned long long)s);
	return buf;
}

const char *fmt_time_ms(uint64_t ms, char *buf, size_t len)
{
	struct tm tm;
	time_t t = (time_t)(ms / 1000);
	char tmp[32];

	if (ms / 1000 > (uint64_t)INT64_MAX / 2 || !gmtime_r(&t, &tm) ||
	    !strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(buf, len, "@%llu.%03u",
			 (unsigned long long)(ms / 1000),
			 (unsigned int)(ms % 1000));
		return buf;
	}
	snprintf(buf, len, "%s.%03uZ", tmp, (unsigned int)(ms % 1000));
	return buf;
}

const char *fmt_tcp_flags(uint8_t f, char *buf)
{
	static const char letters[] = "FSRPAUEC";
	unsigned int i, n = 0;

	for (i = 0; i < 8; i++)
		if (f & (1U << i))
			buf[n++] = letters[i];
	if (!n)
		buf[n++] = '-';
	buf[n] = '\0';
	return buf;
}

const char *fmt_mac(const uint8_t m[6], char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
		 m[3], m[4], m[5]);
	return buf;
}

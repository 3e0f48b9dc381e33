/* SPDX-License-Identifier: GPL-2.0 */
/*
 * muispctl's own argument parsers (expiry, limits), the uAPI name tables
 * and value formatters: pure functions, unit tested on the host.  The
 * generic value parsers (numbers, sizes, durations, addresses, ports, ...)
 * are lib/parse.h's.  Parsers return 0, or -1 with *why set to a short
 * static explanation; the caller names the argument.
 */
#ifndef MUISPCTL_ARGS_H
#define MUISPCTL_ARGS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "muisp_nl.h"
#include "parse.h"

/* Expiry as CLOCK_REALTIME seconds (0 = never): "never", "+DURATION"
 * (from now), "@EPOCH", or "YYYY-MM-DDTHH:MM:SS[Z]" in UTC. */
int parse_expiry(const char *s, time_t now, uint64_t *v, const char **why);
/* Limit in the unit of a metric: sizes for bytes/packets, durations (ms)
 * for time metrics. */
int parse_limit(uint8_t metric, const char *s, uint64_t *v, const char **why);

/* Name tables: index = uAPI value; NULL = no name.  Lookup returns the
 * index, or -1. */
struct names {
	const char *const *v;
	unsigned int n;
};
extern const struct names addr_state_names, contract_status_names, metric_names,
	flow_end_names, drop_names, event_names, tag_method_names,
	agent_scheme_names;
int name_lookup(const struct names *t, const char *s);
/* Name of value v, or its number in buf (at least 12 bytes). */
const char *name_of(const struct names *t, unsigned int v, char *buf);
/* "a|b|c" of every name, for error messages (static buffer). */
const char *name_list(const struct names *t);

/* Seconds since the epoch as "YYYY-MM-DDTHH:MM:SSZ"; 0 gives "never".
 * buf >= 24 bytes. */
const char *fmt_time_s(uint64_t s, char *buf, size_t len);
/* Milliseconds since the epoch as "YYYY-MM-DDTHH:MM:SS.mmmZ". */
const char *fmt_time_ms(uint64_t ms, char *buf, size_t len);
/* TCP flags as letters of FSRPAUEC ("-" for none). */
const char *fmt_tcp_flags(uint8_t f, char *buf);
const char *fmt_mac(const uint8_t mac[6], char *buf);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * muispctl argument parsers and value formatters: pure functions, unit
 * tested on the host.  Parsers return 0, or -1 with *why set to a short
 * static explanation ("not a number", "host bits set", ...); the caller
 * names the argument.
 */
#ifndef MUISPCTL_PARSE_H
#define MUISPCTL_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "muisp_nl.h"

/* Decimal integer 0..max. */
int parse_uint(const char *s, uint64_t max, uint64_t *v, const char **why);
/* Like parse_uint(), also accepting hexadecimal with a 0x prefix (SPIs). */
int parse_uint_hex(const char *s, uint64_t max, uint64_t *v, const char **why);
/* Count with an optional unit: k M G T (10^3..10^12) or Ki Mi Gi Ti
 * (2^10..2^40), optional decimals ("1.5M") if the result is whole. */
int parse_size(const char *s, uint64_t *v, const char **why);
/* Duration: number with unit ms, s (default), m, h, d; result in ms. */
int parse_duration_ms(const char *s, uint64_t *ms, const char **why);
/* Same in whole seconds (rejects a fraction of a second). */
int parse_duration_s(const char *s, uint64_t *sec, const char **why);
/* Expiry as CLOCK_REALTIME seconds (0 = never): "never", "+DURATION"
 * (from now), "@EPOCH", or "YYYY-MM-DDTHH:MM:SS[Z]" in UTC. */
int parse_expiry(const char *s, time_t now, uint64_t *v, const char **why);
/* Limit in the unit of a metric: sizes for bytes/packets, durations (ms)
 * for time metrics. */
int parse_limit(uint8_t metric, const char *s, uint64_t *v, const char **why);
int parse_ip(const char *s, struct muisp_nl_ip *ip, const char **why);
/* "A" (full length) or "A/LEN"; bits past LEN must be zero. */
int parse_prefix(const char *s, struct muisp_nl_ip *ip, uint8_t *len,
		 const char **why);
int parse_mac(const char *s, uint8_t mac[6], const char **why);
/* "P" or "LO-HI", 1..65535 (0 allowed for a single port only). */
int parse_ports(const char *s, uint16_t *lo, uint16_t *hi, const char **why);
/* Protocol name (tcp, udp, icmp, icmpv6, sctp, udplite, gre, esp, ah,
 * any) or number 0..255. */
int parse_proto(const char *s, uint8_t *proto, const char **why);
/* on/off, yes/no, true/false, 1/0. */
int parse_bool(const char *s, uint8_t *v, const char **why);

/* Name tables: index = uAPI value; NULL = no name.  Lookup returns the
 * index, or -1. */
struct names {
	const char *const *v;
	unsigned int n;
};
extern const struct names addr_state_names, contract_status_names,
	metric_names, flow_end_names, drop_names, event_names;
int name_lookup(const struct names *t, const char *s);
/* Name of value v, or its number in buf (at least 12 bytes). */
const char *name_of(const struct names *t, unsigned int v, char *buf);
/* "a|b|c" of every name, for error messages (static buffer). */
const char *name_list(const struct names *t);

const char *proto_name(uint8_t proto, char *buf);
/* Seconds since the epoch as "YYYY-MM-DDTHH:MM:SSZ"; 0 gives "never".
 * buf >= 24 bytes. */
const char *fmt_time_s(uint64_t s, char *buf, size_t len);
/* Milliseconds since the epoch as "YYYY-MM-DDTHH:MM:SS.mmmZ". */
const char *fmt_time_ms(uint64_t ms, char *buf, size_t len);
/* TCP flags as letters of FSRPAUEC ("-" for none). */
const char *fmt_tcp_flags(uint8_t f, char *buf);
const char *fmt_mac(const uint8_t mac[6], char *buf);

#endif

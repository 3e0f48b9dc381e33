/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Value parsers shared by the daemons' configuration readers and the
 * tools' command lines: pure functions.  Each returns 0, or -1 with *why
 * set to a short static explanation ("not a decimal number", "too large",
 * ...); the caller names the value (lib/conf.h:
 * "FILE:LINE: KEY: 'VAL': WHY"; lib/cli.h: "PROG: invalid KEY 'VAL': WHY").
 */
#ifndef MUISP_PARSE_H
#define MUISP_PARSE_H

#include <stddef.h>
#include <stdint.h>

struct muisp_nl_ip; /* muisp_nl.h */

/* Decimal integer 0..max: digits only (no sign, no blanks). */
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
/* on/off, yes/no, true/false, 1/0. */
int parse_bool(const char *s, uint8_t *v, const char **why);

/* IPv4 dotted quad, in host byte order. */
int parse_ip4(const char *s, uint32_t *v, const char **why);
/* IPv4 or IPv6 address. */
int parse_ip(const char *s, struct muisp_nl_ip *ip, const char **why);
/* "A" (full length) or "A/LEN"; bits past LEN must be zero. */
int parse_prefix(const char *s, struct muisp_nl_ip *ip, uint8_t *len,
		 const char **why);
/* a is in prefix p/len (parse_prefix's: host bits zero). */
/* inet_ntop(3) for AF_INET and AF_INET6 (dst at least INET6_ADDRSTRLEN
 * bytes), an IPv4 address written without printf: a hot path formats
 * several a packet. */
const char *ip_ntop(int family, const void *src, char *dst, size_t size);
int prefix_contains(const struct muisp_nl_ip *p, uint8_t len,
		    const struct muisp_nl_ip *a);
/* xx:xx:xx:xx:xx:xx */
int parse_mac(const char *s, uint8_t mac[6], const char **why);
/* One or more bytes as two hex digits each, separated by ':' or '-'
 * ("01:aa:bb"); at most max bytes, their count in *len. */
int parse_hex_bytes(const char *s, uint8_t *out, size_t max, size_t *len,
		    const char **why);
/* "P" or "LO-HI", 1..65535 (0 allowed for a single port only). */
int parse_ports(const char *s, uint16_t *lo, uint16_t *hi, const char **why);
/* Protocol name (tcp, udp, icmp, icmpv6, sctp, udplite, gre, esp, ah,
 * any) or number 0..255. */
int parse_proto(const char *s, uint8_t *proto, const char **why);
/* The name of a protocol number, or the number in buf (>= 12 bytes). */
const char *proto_name(uint8_t proto, char *buf);

/*
 * The agent's tagging method (enum muisp_tag_method) by name: "packet",
 * "flow".  tag_method_name_v[value] is the value's name (NULL: none),
 * TAG_METHOD_NAMES of them (MUISP_TAG_METHOD_MAX + 1): muispctl's table
 * and muisp-uinfod.conf's method.
 */
#define TAG_METHOD_NAMES 6
extern const char *const tag_method_name_v[TAG_METHOD_NAMES];
int parse_tag_method(const char *s, uint8_t *method, const char **why);

/*
 * How a meter's agent names its users (enum muisp_agent_scheme, numbered
 * as the control channel's SCHEME) by name: "in-band", "out-of-band",
 * "standalone", "out-of-band-packet": muispctl's agent table and
 * muisp-uinfod.conf's scheme.
 */
#define AGENT_SCHEME_NAMES 4
extern const char *const agent_scheme_name_v[AGENT_SCHEME_NAMES];
int parse_agent_scheme(const char *s, uint8_t *scheme, const char **why);

/* A "why" for a value that must be one of a table's names:
 * "expected a, b or c" of name(first) .. name(last - 1), in buf. */
const char *parse_expected(char *buf, size_t len, const char *(*name)(int),
			   int first, int last);

#endif

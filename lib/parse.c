// SPDX-License-Identifier: GPL-2.0
/* Value parsers: see parse.h. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "muisp_nl.h"
#include "parse.h"
#include "proto.h"

int parse_uint(const char *s, uint64_t max, uint64_t *v, const char **why)
{
	uint64_t x = 0;

	if (!*s) {
		*why = "empty value";
		return -1;
	}
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s)) {
			*why = "not a decimal number";
			return -1;
		}
		if (x > (UINT64_MAX - (uint64_t)(*s - '0')) / 10) {
			*why = "too large";
			return -1;
		}
		x = x * 10 + (uint64_t)(*s - '0');
	}
	if (x > max) {
		*why = "too large";
		return -1;
	}
	*v = x;
	return 0;
}

int parse_uint_hex(const char *s, uint64_t max, uint64_t *v, const char **why)
{
	uint64_t x = 0;
	const char *p;

	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return parse_uint(s, max, v, why);
	if (!s[2]) {
		*why = "empty hexadecimal number";
		return -1;
	}
	for (p = s + 2; *p; p++) {
		if (!isxdigit((unsigned char)*p)) {
			*why = "not a hexadecimal number";
			return -1;
		}
		if (x > (max >> 4)) {
			*why = "too large";
			return -1;
		}
		x = x << 4 |
		    (uint64_t)(isdigit((unsigned char)*p) ?
				       *p - '0' :
				       (tolower((unsigned char)*p) - 'a' + 10));
	}
	if (x > max) {
		*why = "too large";
		return -1;
	}
	*v = x;
	return 0;
}

/* "INT[.FRAC]UNIT" times the unit's multiplier; the result must be whole
 * and fit in 64 bits.  units: suffix -> multiplier, first match wins. */
struct unit {
	const char *sfx;
	uint64_t mult;
};

static int parse_scaled(const char *s, const struct unit *units, uint64_t dflt,
			uint64_t *v, const char **why)
{
	unsigned __int128 ip = 0, fp = 0, fdiv = 1, r;
	const char *p = s;
	uint64_t mult = 0;
	int digits = 0;

	while (isdigit((unsigned char)*p)) {
		ip = ip * 10 + (unsigned)(*p++ - '0');
		if (ip > UINT64_MAX) {
			*why = "too large";
			return -1;
		}
		digits++;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			if (fdiv < (unsigned __int128)1000000000000000000ULL) {
				fp = fp * 10 + (unsigned)(*p - '0');
				fdiv *= 10;
			} else if (*p != '0') {
				*why = "too many decimals";
				return -1;
			}
			p++;
			digits++;
		}
	}
	if (!digits) {
		*why = "not a number";
		return -1;
	}
	if (!*p) {
		mult = dflt;
	} else {
		for (; units->sfx; units++)
			if (strcmp(p, units->sfx) == 0) {
				mult = units->mult;
				break;
			}
		if (!mult) {
			*why = "unknown unit";
			return -1;
		}
	}
	r = ip * mult;
	if (r > UINT64_MAX) {
		*why = "too large";
		return -1;
	}
	if (fp) {
		unsigned __int128 f = fp * mult;

		if (f % fdiv) {
			*why = "not a whole number";
			return -1;
		}
		r += f / fdiv;
		if (r > UINT64_MAX) {
			*why = "too large";
			return -1;
		}
	}
	*v = (uint64_t)r;
	return 0;
}

int parse_size(const char *s, uint64_t *v, const char **why)
{
	static const struct unit u[] = {
		{ "k", 1000ULL },	   { "K", 1000ULL },
		{ "M", 1000000ULL },	   { "G", 1000000000ULL },
		{ "T", 1000000000000ULL }, { "Ki", 1ULL << 10 },
		{ "Mi", 1ULL << 20 },	   { "Gi", 1ULL << 30 },
		{ "Ti", 1ULL << 40 },	   { NULL, 0 },
	};

	return parse_scaled(s, u, 1, v, why);
}

static const struct unit time_units[] = {
	{ "ms", 1ULL },	     { "s", 1000ULL },	  { "m", 60000ULL },
	{ "min", 60000ULL }, { "h", 3600000ULL }, { "d", 86400000ULL },
	{ NULL, 0 },
};

int parse_duration_ms(const char *s, uint64_t *ms, const char **why)
{
	return parse_scaled(s, time_units, 1000, ms, why);
}

int parse_duration_s(const char *s, uint64_t *sec, const char **why)
{
	uint64_t ms;

	if (parse_duration_ms(s, &ms, why) < 0)
		return -1;
	if (ms % 1000) {
		*why = "not a whole number of seconds";
		return -1;
	}
	*sec = ms / 1000;
	return 0;
}

int parse_ip4(const char *s, uint32_t *v, const char **why)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		*why = "not an IPv4 address";
		return -1;
	}
	*v = ntohl(a.s_addr);
	return 0;
}

static int ip_from_str(struct muisp_nl_ip *ip, const char *s)
{
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, s, ip->a) == 1)
		ip->family = AF_INET;
	else if (inet_pton(AF_INET6, s, ip->a) == 1)
		ip->family = AF_INET6;
	else
		return -1;
	return 0;
}

int parse_ip(const char *s, struct muisp_nl_ip *ip, const char **why)
{
	if (ip_from_str(ip, s) < 0) {
		*why = "not an IPv4 or IPv6 address";
		return -1;
	}
	return 0;
}

int prefix_contains(const struct muisp_nl_ip *p, uint8_t len,
		    const struct muisp_nl_ip *a)
{
	unsigned int bytes = len / 8, bits = len % 8;

	if (p->family != a->family || memcmp(p->a, a->a, bytes))
		return 0;
	return !bits ||
	       !((p->a[bytes] ^ a->a[bytes]) & (0xff00 >> bits) & 0xff);
}

int parse_prefix(const char *s, struct muisp_nl_ip *ip, uint8_t *len,
		 const char **why)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned int max, i;
	uint64_t l;

	if (n >= sizeof(buf)) {
		*why = "not an IPv4 or IPv6 prefix";
		return -1;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (ip_from_str(ip, buf) < 0) {
		*why = "not an IPv4 or IPv6 prefix";
		return -1;
	}
	max = ip->family == AF_INET ? 32 : 128;
	if (!slash) {
		*len = (uint8_t)max;
		return 0;
	}
	if (parse_uint(slash + 1, max, &l, why) < 0) {
		*why = "bad prefix length";
		return -1;
	}
	for (i = (unsigned int)l; i < max; i++)
		if (ip->a[i / 8] & (0x80 >> (i % 8))) {
			*why = "host bits set beyond the prefix length";
			return -1;
		}
	*len = (uint8_t)l;
	return 0;
}

int parse_mac(const char *s, uint8_t mac[6], const char **why)
{
	unsigned int i;

	for (i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[0]) ||
		    !isxdigit((unsigned char)s[1]) ||
		    s[2] != (i == 5 ? '\0' : ':'))
			goto bad;
		if (sscanf(s, "%2hhx", &mac[i]) != 1)
			goto bad;
		s += 3;
	}
	return 0;
bad:
	*why = "not a MAC address (xx:xx:xx:xx:xx:xx)";
	return -1;
}

int parse_hex_bytes(const char *s, uint8_t *out, size_t max, size_t *len,
		    const char **why)
{
	size_t n = 0;

	*why = "expected hex bytes (xx:xx:...)";
	while (*s) {
		if (!isxdigit((unsigned char)s[0]) ||
		    !isxdigit((unsigned char)s[1]))
			return -1;
		if (n == max) {
			*why = "too many bytes";
			return -1;
		}
		if (sscanf(s, "%2hhx", &out[n]) != 1)
			return -1;
		n++;
		s += 2;
		if (*s == ':' || *s == '-') {
			s++;
			if (!*s)
				return -1;
		} else if (*s) {
			return -1;
		}
	}
	if (!n)
		return -1;
	*len = n;
	return 0;
}

int parse_ports(const char *s, uint16_t *lo, uint16_t *hi, const char **why)
{
	char buf[16];
	const char *dash = strchr(s, '-');
	uint64_t a, b;

	if (!dash) {
		if (parse_uint(s, 65535, &a, why) < 0)
			return -1;
		*lo = *hi = (uint16_t)a;
		return 0;
	}
	if ((size_t)(dash - s) >= sizeof(buf)) {
		*why = "not a port range";
		return -1;
	}
	memcpy(buf, s, (size_t)(dash - s));
	buf[dash - s] = '\0';
	if (parse_uint(buf, 65535, &a, why) < 0 ||
	    parse_uint(dash + 1, 65535, &b, why) < 0)
		return -1;
	if (a > b) {
		*why = "range start above its end";
		return -1;
	}
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

static const struct {
	const char *name;
	uint8_t num;
} protos[] = {
	{ "any", 0 },	 { "icmp", 1 },	     { "tcp", 6 }, { "udp", 17 },
	{ "gre", 47 },	 { "esp", 50 },	     { "ah", 51 }, { "icmpv6", 58 },
	{ "sctp", 132 }, { "udplite", 136 },
};

int parse_proto(const char *s, uint8_t *proto, const char **why)
{
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (strcasecmp(s, protos[i].name) == 0) {
			*proto = protos[i].num;
			return 0;
		}
	if (parse_uint(s, 255, &v, why) < 0) {
		*why = "not a protocol name or number 0-255";
		return -1;
	}
	*proto = (uint8_t)v;
	return 0;
}

const char *proto_name(uint8_t proto, char *buf)
{
	size_t i;

	for (i = 1; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].num == proto)
			return protos[i].name;
	snprintf(buf, 12, "%u", proto);
	return buf;
}

/* s's index in the n names of v (NULL: no name), into *out; or -1 */
static int parse_name(const char *const *v, unsigned int n, const char *s,
		      uint8_t *out)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (v[i] && !strcmp(s, v[i])) {
			*out = (uint8_t)i;
			return 0;
		}
	return -1;
}

_Static_assert(TAG_METHOD_NAMES == MUISP_TAG_METHOD_MAX + 1,
	       "a name for every tagging method");
const char *const tag_method_name_v[TAG_METHOD_NAMES] = {
	[MUISP_TAG_METHOD_PACKET] = "packet",
	[MUISP_TAG_METHOD_FLOW] = "flow",
	[MUISP_TAG_METHOD_HYBRID] = "hybrid",
	[MUISP_TAG_METHOD_COUNT] = "count",
	[MUISP_TAG_METHOD_REPORT] = "report",
};

int parse_tag_method(const char *s, uint8_t *method, const char **why)
{
	if (!parse_name(tag_method_name_v, TAG_METHOD_NAMES, s, method))
		return 0;
	*why = "expected packet, flow, hybrid, count or report";
	return -1;
}

_Static_assert(AGENT_SCHEME_NAMES == MUISP_AGENT_SCHEME_MAX + 1,
	       "a name for every agent scheme");
/* the control channel's SCHEME (lib/proto.h) numbers them alike */
_Static_assert((int)MP_SCHEME_IN_BAND == (int)MUISP_AGENT_SCHEME_IN_BAND &&
		       (int)MP_SCHEME_OUT_OF_BAND ==
			       (int)MUISP_AGENT_SCHEME_OUT_OF_BAND &&
		       (int)MP_SCHEME_STANDALONE ==
			       (int)MUISP_AGENT_SCHEME_STANDALONE &&
		       (int)MP_SCHEME_OUT_OF_BAND_PACKET ==
			       (int)MUISP_AGENT_SCHEME_OUT_OF_BAND_PACKET &&
		       __MP_SCHEME_LAST == AGENT_SCHEME_NAMES,
	       "one numbering of agent schemes");
const char *const agent_scheme_name_v[AGENT_SCHEME_NAMES] = {
	[MUISP_AGENT_SCHEME_IN_BAND] = "in-band",
	[MUISP_AGENT_SCHEME_OUT_OF_BAND] = "out-of-band",
	[MUISP_AGENT_SCHEME_STANDALONE] = "standalone",
	[MUISP_AGENT_SCHEME_OUT_OF_BAND_PACKET] = "out-of-band-packet",
};

int parse_agent_scheme(const char *s, uint8_t *scheme, const char **why)
{
	if (!parse_name(agent_scheme_name_v, AGENT_SCHEME_NAMES, s, scheme))
		return 0;
	*why = "not in-band, out-of-band, out-of-band-packet or standalone";
	return -1;
}

int parse_bool(const char *s, uint8_t *v, const char **why)
{
	if (!strcmp(s, "on") || !strcmp(s, "yes") || !strcmp(s, "true") ||
	    !strcmp(s, "1")) {
		*v = 1;
		return 0;
	}
	if (!strcmp(s, "off") || !strcmp(s, "no") || !strcmp(s, "false") ||
	    !strcmp(s, "0")) {
		*v = 0;
		return 0;
	}
	*why = "expected on or off";
	return -1;
}

const char *parse_expected(char *buf, size_t len, const char *(*name)(int),
			   int first, int last)
{
	size_t n = (size_t)snprintf(buf, len, "expected");
	int i;

	for (i = first; i < last && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s",
				      i == first    ? " " :
				      i == last - 1 ? " or " :
						      ", ",
				      name(i));
	return buf;
}

const char *ip_ntop(int family, const void *src, char *dst, size_t size)
{
	const uint8_t *b = src;
	char *p = dst;

	if (family != AF_INET || size < INET_ADDRSTRLEN)
		return inet_ntop(family, src, dst, (socklen_t)size);
	for (int i = 0; i < 4; i++) {
		if (b[i] >= 100)
			*p++ = (char)('0' + b[i] / 100);
		if (b[i] >= 10)
			*p++ = (char)('0' + b[i] / 10 % 10);
		*p++ = (char)('0' + b[i] % 10);
		*p++ = i < 3 ? '.' : '\0';
	}
	return dst;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * IPFIX encoder (lib/ipfix.h).  Everything is written big-endian byte by
 * byte; a put either appends a whole record (opening a set if needed) or
 * leaves the message as it was.
 */
#include "ipfix.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

/* A field specifier (RFC 7011 §3.2): id, length, enterprise number. */
struct ipfix_field {
	uint16_t id;
	uint16_t len;
	uint32_t pen; /* 0: IANA element, no enterprise number */
};

#define IANA(i, l)                              \
	{                                       \
		.id = (i), .len = (l), .pen = 0 \
	}
#define MUISP(i, l)                                     \
	{                                               \
		.id = (i), .len = (l), .pen = MUISP_PEN \
	}

/*
 * Templates 256 and 257: the record layout put_record writes.  The
 * tcpControlBits element uses reduced-size encoding (1 byte): the kernel
 * keeps the low 8 flag bits only, and the registry says an exporter that
 * cannot see the high bits SHOULD send the low octet.
 */
#define FLOW_FIELDS(addr_src, addr_dst, addr_len, client_ie)          \
	{                                                             \
		IANA(addr_src, addr_len), IANA(addr_dst, addr_len),   \
			IANA(IPFIX_IE_SOURCE_TRANSPORT_PORT, 2),      \
			IANA(IPFIX_IE_DESTINATION_TRANSPORT_PORT, 2), \
			IANA(IPFIX_IE_PROTOCOL_IDENTIFIER, 1),        \
			IANA(IPFIX_IE_TCP_CONTROL_BITS, 1),           \
			IANA(IPFIX_IE_OCTET_DELTA_COUNT, 8),          \
			IANA(IPFIX_IE_PACKET_DELTA_COUNT, 8),         \
			IANA(IPFIX_IE_FLOW_START_MILLISECONDS, 8),    \
			IANA(IPFIX_IE_FLOW_END_MILLISECONDS, 8),      \
			IANA(IPFIX_IE_FLOW_END_REASON, 1),            \
			IANA(IPFIX_IE_FLOW_DIRECTION, 1),             \
			MUISP(MUISP_IE_CONTRACT_ID, 8),               \
			MUISP(client_ie, addr_len),                   \
			MUISP(MUISP_IE_FLOW_ID, 8),                   \
	}

static const struct ipfix_field tmpl_v4[] = FLOW_FIELDS(
	IPFIX_IE_SOURCE_IPV4_ADDRESS, IPFIX_IE_DESTINATION_IPV4_ADDRESS, 4,
	MUISP_IE_CLIENT_IPV4_ADDRESS);
static const struct ipfix_field tmpl_v6[] = FLOW_FIELDS(
	IPFIX_IE_SOURCE_IPV6_ADDRESS, IPFIX_IE_DESTINATION_IPV6_ADDRESS, 16,
	MUISP_IE_CLIENT_IPV6_ADDRESS);

/* Template 258: one scope field, then the counters. */
static const struct ipfix_field tmpl_opt[] = {
	IANA(IPFIX_IE_EXPORTING_PROCESS_ID, 4),
	IANA(IPFIX_IE_NOT_SENT_FLOW_TOTAL_COUNT, 8),
};
#define TMPL_OPT_SCOPE 1

#define N(a) (sizeof(a) / sizeof((a)[0]))

static uint8_t *put8(uint8_t *p, uint8_t v)
{
	*p = v;
	return p + 1;
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p = put16(p, (uint16_t)(v >> 16));
	return put16(p, (uint16_t)v);
}

static uint8_t *put64(uint8_t *p, uint64_t v)
{
	p = put32(p, (uint32_t)(v >> 32));
	return put32(p, (uint32_t)v);
}

static uint8_t *putmem(uint8_t *p, const void *v, size_t n)
{
	memcpy(p, v, n);
	return p + n;
}

static size_t fields_len(const struct ipfix_field *f, size_t n)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++)
		len += f[i].pen ? 8 : 4;
	return len;
}

static uint8_t *put_fields(uint8_t *p, const struct ipfix_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (f[i].pen) {
			p = put16(p, f[i].id | IPFIX_ENTERPRISE_BIT);
			p = put16(p, f[i].len);
			p = put32(p, f[i].pen);
		} else {
			p = put16(p, f[i].id);
			p = put16(p, f[i].len);
		}
	}
	return p;
}

void ipfix_msg_init(struct ipfix_msg *m, uint8_t *buf, size_t cap,
		    uint32_t domain, uint32_t seq, uint32_t now_s)
{
	memset(m, 0, sizeof(*m));
	m->buf = buf;
	m->cap = cap > IPFIX_MAX_LEN ? IPFIX_MAX_LEN : cap;
	m->seq = seq;
	if (m->cap < IPFIX_HDR_LEN) {
		m->cap = 0; /* every put fails, finish returns 0 */
		return;
	}
	uint8_t *p = buf;

	p = put16(p, IPFIX_VERSION);
	p = put16(p, 0); /* length: ipfix_msg_finish */
	p = put32(p, now_s);
	p = put32(p, seq);
	put32(p, domain);
	m->len = IPFIX_HDR_LEN;
}

static void close_set(struct ipfix_msg *m)
{
	if (!m->set_off)
		return;
	put16(m->buf + m->set_off + 2, (uint16_t)(m->len - m->set_off));
	m->set_off = 0;
	m->set_id = 0;
}

/*
 * Make room for n bytes in a set with id set_id: NULL if they do not fit
 * (nothing changed), else where to write them (the set is open).
 */
static uint8_t *reserve(struct ipfix_msg *m, uint16_t set_id, size_t n)
{
	size_t need = n;

	if (!m->cap)
		return NULL;
	if (m->set_id != set_id)
		need += IPFIX_SET_HDR_LEN;
	if (need > m->cap - m->len)
		return NULL;
	if (m->set_id != set_id) {
		close_set(m);
		m->set_off = m->len;
		m->set_id = set_id;
		put16(m->buf + m->len, set_id);
		put16(m->buf + m->len + 2, 0);
		m->len += IPFIX_SET_HDR_LEN;
	}
	uint8_t *p = m->buf + m->len;

	m->len += n;
	return p;
}

int ipfix_put_templates(struct ipfix_msg *m)
{
	size_t t4 = 4 + fields_len(tmpl_v4, N(tmpl_v4));
	size_t t6 = 4 + fields_len(tmpl_v6, N(tmpl_v6));
	size_t to = 6 + fields_len(tmpl_opt, N(tmpl_opt));
	size_t total = t4 + t6 + to + 2 * IPFIX_SET_HDR_LEN;

	/* The two sets together or neither: check before the first. */
	if (!m->cap || total > m->cap - m->len)
		return -ENOSPC;
	uint8_t *p = reserve(m, IPFIX_SET_TEMPLATE, t4 + t6);

	p = put16(p, IPFIX_TMPL_IPV4);
	p = put16(p, N(tmpl_v4));
	p = put_fields(p, tmpl_v4, N(tmpl_v4));
	p = put16(p, IPFIX_TMPL_IPV6);
	p = put16(p, N(tmpl_v6));
	put_fields(p, tmpl_v6, N(tmpl_v6));

	p = reserve(m, IPFIX_SET_OPTIONS_TEMPLATE, to);
	p = put16(p, IPFIX_TMPL_OPTIONS);
	p = put16(p, N(tmpl_opt));
	p = put16(p, TMPL_OPT_SCOPE);
	put_fields(p, tmpl_opt, N(tmpl_opt));
	return 0;
}

static int flow_family(const struct muisp_nl_flow *f)
{
	if (f->client_addr.family != f->peer_addr.family)
		return -EINVAL;
	if (f->client_addr.family == AF_INET)
		return 4;
	if (f->client_addr.family == AF_INET6)
		return 16;
	return -EINVAL;
}

int ipfix_put_record(struct ipfix_msg *m, const struct muisp_nl_flow *f,
		     enum ipfix_dir dir)
{
	int alen = flow_family(f);

	if (alen < 0)
		return alen;
	bool v4 = alen == 4;
	uint8_t *p = reserve(m, v4 ? IPFIX_TMPL_IPV4 : IPFIX_TMPL_IPV6,
			     v4 ? IPFIX_REC_IPV4_LEN : IPFIX_REC_IPV6_LEN);
	bool up = dir == IPFIX_DIR_UP;

	if (!p)
		return -ENOSPC;
	const struct muisp_nl_ip *src = up ? &f->client_addr : &f->peer_addr;
	const struct muisp_nl_ip *dst = up ? &f->peer_addr : &f->client_addr;

	p = putmem(p, src->a, alen);
	p = putmem(p, dst->a, alen);
	p = put16(p, up ? f->client_port : f->peer_port);
	p = put16(p, up ? f->peer_port : f->client_port);
	p = put8(p, f->proto);
	p = put8(p, f->tcp_flags);
	p = put64(p, up ? f->up_bytes : f->down_bytes);
	p = put64(p, up ? f->up_packets : f->down_packets);
	p = put64(p, f->first_ms);
	p = put64(p, f->last_ms);
	p = put8(p, ipfix_end_reason(f->end_reason));
	p = put8(p, up ? IPFIX_DIR_UP : IPFIX_DIR_DOWN);
	p = put64(p, f->contract_id);
	p = putmem(p, f->client_addr.a, alen);
	put64(p, f->id);
	m->records++;
	return 0;
}

size_t ipfix_flow_len(const struct ipfix_msg *m, const struct muisp_nl_flow *f)
{
	int alen = flow_family(f);
	unsigned int n = (f->up_packets != 0) + (f->down_packets != 0);

	if (alen < 0 || !n)
		return 0;
	uint16_t id = alen == 4 ? IPFIX_TMPL_IPV4 : IPFIX_TMPL_IPV6;
	size_t len = n * (alen == 4 ? IPFIX_REC_IPV4_LEN : IPFIX_REC_IPV6_LEN);

	return len + (m->set_id == id ? 0 : IPFIX_SET_HDR_LEN);
}

int ipfix_put_flow(struct ipfix_msg *m, const struct muisp_nl_flow *f)
{
	int n = 0;

	if (flow_family(f) < 0)
		return -EINVAL;
	if (!f->up_packets && !f->down_packets)
		return 0;
	if (!m->cap || ipfix_flow_len(m, f) > m->cap - m->len)
		return -ENOSPC;
	if (f->up_packets && ipfix_put_record(m, f, IPFIX_DIR_UP) == 0)
		n++;
	if (f->down_packets && ipfix_put_record(m, f, IPFIX_DIR_DOWN) == 0)
		n++;
	return n;
}

int ipfix_put_loss(struct ipfix_msg *m, uint32_t exporting_process_id,
		   uint64_t not_sent_flows)
{
	uint8_t *p = reserve(m, IPFIX_TMPL_OPTIONS, IPFIX_REC_OPTIONS_LEN);

	if (!p)
		return -ENOSPC;
	p = put32(p, exporting_process_id);
	put64(p, not_sent_flows);
	m->records++;
	return 0;
}

size_t ipfix_msg_finish(struct ipfix_msg *m)
{
	if (!m->cap)
		return 0;
	close_set(m);
	put16(m->buf + 2, (uint16_t)m->len);
	m->cap = m->len; /* nothing more fits */
	return m->len;
}

uint32_t ipfix_msg_next_seq(const struct ipfix_msg *m)
{
	return m->seq + m->records; /* unsigned: mod 2^32 */
}

uint8_t ipfix_end_reason(uint8_t muisp_end)
{
	switch (muisp_end) {
	case MUISP_FLOW_END_IDLE:
		return IPFIX_END_IDLE_TIMEOUT;
	case MUISP_FLOW_END_CLOSED:
		return IPFIX_END_OF_FLOW_DETECTED;
	case MUISP_FLOW_END_EVICTED:
		return IPFIX_END_LACK_OF_RESOURCES;
	case MUISP_FLOW_END_FLUSH:
	case MUISP_FLOW_END_REBIND:
	default:
		return IPFIX_END_FORCED_END;
	}
}

void ipfix_refresh_init(struct ipfix_refresh *r, uint32_t interval_s,
			uint32_t every_msgs)
{
	memset(r, 0, sizeof(*r));
	r->interval_s = interval_s;
	r->every_msgs = every_msgs;
}

bool ipfix_refresh_due(const struct ipfix_refresh *r, uint64_t now_s)
{
	if (!r->sent)
		return true;
	if (r->interval_s &&
	    (now_s < r->last_s || now_s - r->last_s >= r->interval_s))
		return true;
	/* every_msgs-th message: the one with them counts as the first */
	return r->every_msgs && r->msgs_since + 1 >= r->every_msgs;
}

void ipfix_refresh_sent(struct ipfix_refresh *r, uint64_t now_s,
			bool with_templates)
{
	if (with_templates) {
		r->sent = true;
		r->last_s = now_s;
		r->msgs_since = 0;
	} else if (r->msgs_since < UINT32_MAX) {
		r->msgs_since++;
	}
}

void ipfix_refresh_reset(struct ipfix_refresh *r)
{
	r->sent = false;
}

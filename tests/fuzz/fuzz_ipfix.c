// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the IPFIX encoder (lib/ipfix.c): not a parser, but
 * the one place where muisp-ipfixd writes kernel-supplied values into a
 * bounded buffer.  The input drives a message: bytes 0-1 its cap (any
 * value, also below the header or above 65535), then operations until the
 * input ends: put the templates, a flow (family, ports, counters and end
 * reason from the input; zero packet counts and mixed families too), one
 * record of a direction, a loss record.
 *
 * Checks: nothing is written past the cap (the buffer is exactly cap bytes
 * long, so ASan sees it); a put that fails changes neither the bytes nor
 * the length; a flow puts as many records as it has directions with
 * packets, and ipfix_flow_len() said how many bytes that takes; after
 * finish, a small walk of the message finds version 10, its length, sets
 * that tile it exactly, template sets before data, and data sets holding
 * whole records of their template's length, as many as were put.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/ipfix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Input reader: zeros once the input is used up. */
struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t take(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint64_t take64(struct in *in, unsigned int bytes)
{
	uint64_t v = 0;

	while (bytes--)
		v = v << 8 | take(in);
	return v;
}

static void fill_flow(struct in *in, struct muisp_nl_flow *f)
{
	uint8_t how = take(in);
	static const uint8_t fam[4] = { AF_INET, AF_INET6, 0, AF_INET };

	memset(f, 0, sizeof(*f));
	f->client_addr.family = fam[how & 3];
	f->peer_addr.family = fam[(how >> 2) & 3];
	for (int i = 0; i < 16; i++) {
		f->client_addr.a[i] = take(in);
		f->peer_addr.a[i] = (uint8_t)(f->client_addr.a[i] ^ 0x5a);
	}
	f->proto = take(in);
	f->client_port = (uint16_t)take64(in, 2);
	f->peer_port = (uint16_t)take64(in, 2);
	f->up_bytes = take64(in, 8);
	f->up_packets = how & 0x10 ? take64(in, 2) : 0;
	f->down_bytes = take64(in, 8);
	f->down_packets = how & 0x20 ? take64(in, 2) : 0;
	f->first_ms = take64(in, 8);
	f->last_ms = take64(in, 8);
	f->tcp_flags = take(in);
	f->contract_id = take64(in, 8);
	f->id = take64(in, 8);
	f->end_reason = take(in);
}

static int v4(const struct muisp_nl_flow *f)
{
	return f->client_addr.family == AF_INET;
}

static int valid(const struct muisp_nl_flow *f)
{
	return f->client_addr.family == f->peer_addr.family &&
	       (f->client_addr.family == AF_INET ||
		f->client_addr.family == AF_INET6);
}

/* The finished message, walked from the RFC's format. */
static void walk(const uint8_t *buf, size_t len, uint32_t records)
{
	size_t off = IPFIX_HDR_LEN;
	uint32_t seen = 0;
	int data_seen = 0;

	if (!len)
		return;
	if (len < IPFIX_HDR_LEN || get16(buf) != IPFIX_VERSION ||
	    get16(buf + 2) != len)
		abort();
	while (off < len) {
		if (len - off < IPFIX_SET_HDR_LEN)
			abort();
		uint16_t id = get16(buf + off), slen = get16(buf + off + 2);
		size_t rec;

		if (slen < IPFIX_SET_HDR_LEN + 1 || slen > len - off)
			abort();
		switch (id) {
		case IPFIX_SET_TEMPLATE:
		case IPFIX_SET_OPTIONS_TEMPLATE:
			if (data_seen)
				abort();
			off += slen;
			continue;
		case IPFIX_TMPL_IPV4:
			rec = IPFIX_REC_IPV4_LEN;
			break;
		case IPFIX_TMPL_IPV6:
			rec = IPFIX_REC_IPV6_LEN;
			break;
		case IPFIX_TMPL_OPTIONS:
			rec = IPFIX_REC_OPTIONS_LEN;
			break;
		default:
			abort();
		}
		data_seen = 1;
		if ((slen - IPFIX_SET_HDR_LEN) % rec)
			abort();
		seen += (uint32_t)((slen - IPFIX_SET_HDR_LEN) / rec);
		off += slen;
	}
	if (off != len || seen != records)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	size_t cap = (size_t)take64(&in, 2) * 2; /* 0..131070 */
	size_t room = cap > IPFIX_MAX_LEN ? IPFIX_MAX_LEN : cap;
	uint8_t *buf = malloc(room ? room : 1);
	uint8_t *copy = malloc(room ? room : 1);
	struct ipfix_msg m;
	int templates_ok = 1;

	if (!buf || !copy)
		abort();
	ipfix_msg_init(&m, buf, cap, 7, (uint32_t)take64(&in, 4), 1);
	while (in.n) {
		uint8_t op = take(&in);
		struct muisp_nl_flow f;
		size_t len = m.len, need = 0;
		uint32_t recs = m.records;
		int r;

		if (len)
			memcpy(copy, buf, len);
		switch (op % 4) {
		case 0:
			/* templates only before data: the daemon's order */
			if (!templates_ok)
				continue;
			r = ipfix_put_templates(&m);
			break;
		case 1:
			fill_flow(&in, &f);
			need = ipfix_flow_len(&m, &f);
			r = ipfix_put_flow(&m, &f);
			if (r >= 0) {
				unsigned int want = (f.up_packets != 0) +
						    (f.down_packets != 0);

				if (!valid(&f) || (unsigned int)r != want ||
				    m.len - len != need)
					abort();
			} else if (r == -EINVAL ? valid(&f) : !valid(&f)) {
				abort();
			} else if (r == -ENOSPC && m.cap && need &&
				   need <= m.cap - len) {
				abort(); /* it would have fit */
			}
			break;
		case 2:
			fill_flow(&in, &f);
			r = ipfix_put_record(
				&m, &f, op & 4 ? IPFIX_DIR_DOWN : IPFIX_DIR_UP);
			if (r == 0 && m.len - len > (v4(&f) ? 4 + 68 : 4 + 104))
				abort();
			break;
		default:
			r = ipfix_put_loss(&m, (uint32_t)take64(&in, 4),
					   take64(&in, 8));
			break;
		}
		if (m.len > room)
			abort();
		if (r < 0) {
			if (m.len != len || m.records != recs ||
			    (len && memcmp(copy, buf, len)))
				abort();
		} else if (op % 4) {
			templates_ok = 0;
		}
	}
	walk(buf, ipfix_msg_finish(&m), m.records);
	free(buf);
	free(copy);
	return 0;
}

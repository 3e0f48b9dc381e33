// SPDX-License-Identifier: GPL-2.0
/* DHCPv4 wire format: see packet.h. */
#include <arpa/inet.h>
#include <string.h>

#include "dhcp_msg.h"

static const char *const perr_names[DHCP_ERR__MAX] = {
	[DHCP_OK] = "ok",
	[DHCP_ERR_TRUNCATED] = "truncated",
	[DHCP_ERR_OVERSIZED] = "oversized",
	[DHCP_ERR_BAD_MAGIC] = "bad-magic",
	[DHCP_ERR_BAD_OP] = "bad-op",
	[DHCP_ERR_BAD_HLEN] = "bad-hlen",
	[DHCP_ERR_OPT_OVERFLOW] = "option-overflow",
	[DHCP_ERR_BAD_OVERLOAD] = "bad-overload",
	[DHCP_ERR_BAD_TYPE] = "bad-msg-type",
	[DHCP_ERR_BAD_OPTLEN] = "bad-option-length",
};

const char *dhcp_perr_str(enum dhcp_perr e)
{
	if ((unsigned int)e >= DHCP_ERR__MAX)
		return "unknown";
	return perr_names[e];
}

int dhcp_has_opt(const struct dhcp_msg *m, uint8_t code)
{
	return (m->present[code >> 3] >> (code & 7)) & 1;
}

const uint8_t *dhcp_opt(const struct dhcp_msg *m, uint8_t code, size_t *len)
{
	if (!dhcp_has_opt(m, code))
		return NULL;
	*len = m->opt_len[code];
	return m->optbuf + m->opt_off[code];
}

uint32_t dhcp_opt_addr(const struct dhcp_msg *m, uint8_t code)
{
	const uint8_t *v;
	uint32_t a;
	size_t len;

	v = dhcp_opt(m, code, &len);
	if (!v || len != 4)
		return 0;
	memcpy(&a, v, 4);
	return a;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/*
 * Walk one option area.  Pass 0 validates and sums lengths per code
 * (and records option 52 when allowed); pass 1 copies values to their
 * slots, advancing fill[] per code.
 */
static enum dhcp_perr walk_area(const uint8_t *p, size_t n, int main_area,
				struct dhcp_msg *m, int pass, uint32_t *sum,
				uint16_t *fill)
{
	size_t i = 0;

	while (i < n) {
		uint8_t code = p[i], len;

		if (code == OPT_PAD) {
			i++;
			continue;
		}
		if (code == OPT_END)
			return DHCP_OK;
		if (i + 1 >= n)
			return DHCP_ERR_OPT_OVERFLOW;
		len = p[i + 1];
		if (len > n - i - 2)
			return DHCP_ERR_OPT_OVERFLOW;
		if (pass == 0) {
			if (code == OPT_OVERLOAD) {
				if (!main_area || len != 1 || p[i + 2] < 1 ||
				    p[i + 2] > 3 || m->overload)
					return DHCP_ERR_BAD_OVERLOAD;
				m->overload = p[i + 2];
			}
			sum[code] += len;
			m->present[code >> 3] |= (uint8_t)(1u << (code & 7));
		} else {
			memcpy(m->optbuf + fill[code], p + i + 2, len);
			fill[code] = (uint16_t)(fill[code] + len);
		}
		i += 2 + (size_t)len;
	}
	return DHCP_OK;
}

static int bad_len(const struct dhcp_msg *m, uint8_t code, size_t min,
		   size_t max)
{
	return dhcp_has_opt(m, code) &&
	       (m->opt_len[code] < min || m->opt_len[code] > max);
}

enum dhcp_perr dhcp_parse(const uint8_t *buf, size_t len, uint8_t op,
			  struct dhcp_msg *m)
{
	struct {
		const uint8_t *p;
		size_t n;
		int main_area;
	} areas[3];
	uint32_t sum[256];
	uint16_t fill[256];
	enum dhcp_perr e;
	unsigned int na = 0, i, c;
	uint32_t off = 0;

	memset(m, 0, offsetof(struct dhcp_msg, optbuf));
	if (len > DHCP_MAX_PACKET)
		return DHCP_ERR_OVERSIZED;
	if (len < DHCP_MIN_LEN)
		return DHCP_ERR_TRUNCATED;
	if (get32(buf + DHCP_FIXED_LEN) != DHCP_MAGIC)
		return DHCP_ERR_BAD_MAGIC;
	m->op = buf[0];
	m->htype = buf[1];
	m->hlen = buf[2];
	m->hops = buf[3];
	if (m->op != op)
		return DHCP_ERR_BAD_OP;
	if (m->hlen > 16)
		return DHCP_ERR_BAD_HLEN;
	memcpy(&m->xid, buf + 4, 4);
	m->secs = get16(buf + 8);
	m->flags = get16(buf + 10);
	memcpy(&m->ciaddr, buf + 12, 4);
	memcpy(&m->yiaddr, buf + 16, 4);
	memcpy(&m->siaddr, buf + 20, 4);
	memcpy(&m->giaddr, buf + 24, 4);
	memcpy(m->chaddr, buf + 28, 16);

	memset(sum, 0, sizeof(sum));
	areas[na].p = buf + DHCP_MIN_LEN;
	areas[na].n = len - DHCP_MIN_LEN;
	areas[na++].main_area = 1;
	e = walk_area(areas[0].p, areas[0].n, 1, m, 0, sum, NULL);
	if (e)
		return e;
	if (m->overload & 1) {
		areas[na].p = buf + DHCP_FILE_OFF;
		areas[na].n = DHCP_FILE_LEN;
		areas[na++].main_area = 0;
	}
	if (m->overload & 2) {
		areas[na].p = buf + DHCP_SNAME_OFF;
		areas[na].n = DHCP_SNAME_LEN;
		areas[na++].main_area = 0;
	}
	for (i = 1; i < na; i++) {
		e = walk_area(areas[i].p, areas[i].n, 0, m, 0, sum, NULL);
		if (e)
			return e;
	}
	for (c = 0; c < 256; c++) {
		if (!sum[c])
			continue;
		/* Cannot exceed the buffer: values are a subset of len. */
		if (off + sum[c] > DHCP_OPT_TOTAL)
			return DHCP_ERR_OVERSIZED;
		m->opt_off[c] = (uint16_t)off;
		m->opt_len[c] = (uint16_t)sum[c];
		fill[c] = (uint16_t)off;
		off += sum[c];
	}
	m->optbuf_used = (uint16_t)off;
	for (i = 0; i < na; i++)
		walk_area(areas[i].p, areas[i].n, areas[i].main_area, m, 1, sum,
			  fill);

	if (!dhcp_has_opt(m, OPT_MSG_TYPE) || m->opt_len[OPT_MSG_TYPE] != 1)
		return DHCP_ERR_BAD_TYPE;
	m->type = m->optbuf[m->opt_off[OPT_MSG_TYPE]];
	if (m->type < DHCPDISCOVER || m->type > DHCPINFORM)
		return DHCP_ERR_BAD_TYPE;
	if (bad_len(m, OPT_REQUESTED_IP, 4, 4) ||
	    bad_len(m, OPT_SERVER_ID, 4, 4) ||
	    bad_len(m, OPT_MAX_MSG_SIZE, 2, 2) ||
	    bad_len(m, OPT_CLIENT_ID, 2, 255))
		return DHCP_ERR_BAD_OPTLEN;
	return DHCP_OK;
}

size_t dhcp_reply_max(const struct dhcp_msg *req)
{
	const uint8_t *v;
	size_t len, max = DHCP_DEFAULT_REPLY;

	v = dhcp_opt(req, OPT_MAX_MSG_SIZE, &len);
	if (v && len == 2) {
		/* Option 57 counts the IP and UDP headers. */
		max = get16(v);
		max = max > 28 ? max - 28 : 0;
	}
	if (max < DHCP_MIN_REPLY)
		max = DHCP_MIN_REPLY;
	if (max > DHCP_DEFAULT_REPLY)
		max = DHCP_DEFAULT_REPLY;
	return max;
}

/* The fixed header's common part and the magic cookie. */
static void out_header(struct dhcp_out *o, uint8_t op, uint8_t htype,
		       uint8_t hlen, uint32_t xid, const uint8_t chaddr[16],
		       size_t max)
{
	uint32_t magic = htonl(DHCP_MAGIC);

	if (max > sizeof(o->buf))
		max = sizeof(o->buf);
	if (max < DHCP_MIN_REPLY)
		max = DHCP_MIN_REPLY;
	memset(o, 0, sizeof(*o));
	o->max = max;
	o->buf[0] = op;
	o->buf[1] = htype;
	o->buf[2] = hlen;
	memcpy(o->buf + 4, &xid, 4);
	memcpy(o->buf + 28, chaddr, 16);
	memcpy(o->buf + DHCP_FIXED_LEN, &magic, 4);
	o->opt_pos = DHCP_MIN_LEN;
}

void dhcp_out_init(struct dhcp_out *o, const struct dhcp_msg *req, size_t max)
{
	uint16_t flags = htons(req->flags);

	out_header(o, BOOTREPLY, req->htype, req->hlen, req->xid, req->chaddr,
		   max);
	memcpy(o->buf + 10, &flags, 2);
	memcpy(o->buf + 24, &req->giaddr, 4);
}

void dhcp_out_request(struct dhcp_out *o, uint32_t xid, const uint8_t mac[6],
		      uint32_t ciaddr)
{
	uint8_t chaddr[16] = { 0 };

	memcpy(chaddr, mac, 6);
	out_header(o, BOOTREQUEST, 1, 6, xid, chaddr, DHCP_MIN_REPLY);
	memcpy(o->buf + 12, &ciaddr, 4);
}

/* Bytes left for one more option instance in the current area, keeping
 * room for END (and in the options field for option 52). */
static size_t area_room(const struct dhcp_out *o)
{
	size_t end, pos;

	switch (o->area) {
	case 0:
		end = o->max - 4; /* 52 (3 bytes) + END */
		pos = o->opt_pos;
		break;
	case 1:
		end = DHCP_FILE_OFF + DHCP_FILE_LEN - 1;
		pos = o->file_pos;
		break;
	default:
		end = DHCP_SNAME_OFF + DHCP_SNAME_LEN - 1;
		pos = o->sname_pos;
		break;
	}
	return pos < end ? end - pos : 0;
}

static size_t *area_pos(struct dhcp_out *o)
{
	return o->area == 0 ? &o->opt_pos :
	       o->area == 1 ? &o->file_pos :
			      &o->sname_pos;
}

/* Move to the next area; -1 when sname is already in use. */
static int next_area(struct dhcp_out *o)
{
	if (o->area == 0) {
		o->area = 1;
		o->file_pos = DHCP_FILE_OFF;
		o->overload |= 1;
		return 0;
	}
	if (o->area == 1) {
		o->area = 2;
		o->sname_pos = DHCP_SNAME_OFF;
		o->overload |= 2;
		return 0;
	}
	return -1;
}

int dhcp_out_put(struct dhcp_out *o, uint8_t code, const void *val, size_t len)
{
	const uint8_t *v = val;
	size_t done = 0;

	if (code == OPT_PAD || code == OPT_END || code == OPT_OVERLOAD)
		return -1;
	do {
		size_t chunk = len - done > 255 ? 255 : len - done;
		size_t *pos;

		while (area_room(o) < chunk + 2)
			if (next_area(o) < 0)
				return -1;
		pos = area_pos(o);
		o->buf[*pos] = code;
		o->buf[*pos + 1] = (uint8_t)chunk;
		if (chunk)
			memcpy(o->buf + *pos + 2, v + done, chunk);
		*pos += chunk + 2;
		done += chunk;
	} while (done < len);
	return 0;
}

int dhcp_out_put_u32(struct dhcp_out *o, uint8_t code, uint32_t host)
{
	uint32_t be = htonl(host);

	return dhcp_out_put(o, code, &be, 4);
}

int dhcp_out_put_u8(struct dhcp_out *o, uint8_t code, uint8_t v)
{
	return dhcp_out_put(o, code, &v, 1);
}

size_t dhcp_out_finish(struct dhcp_out *o)
{
	if (o->overload) {
		o->buf[o->opt_pos++] = OPT_OVERLOAD;
		o->buf[o->opt_pos++] = 1;
		o->buf[o->opt_pos++] = o->overload;
	}
	o->buf[o->opt_pos++] = OPT_END;
	if (o->overload & 1)
		o->buf[o->file_pos] = OPT_END;
	if (o->overload & 2)
		o->buf[o->sname_pos] = OPT_END;
	/* BOOTP relays and old clients expect at least 300 bytes. */
	while (o->opt_pos < 300)
		o->buf[o->opt_pos++] = OPT_PAD;
	return o->opt_pos;
}

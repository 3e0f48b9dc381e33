// SPDX-License-Identifier: GPL-2.0
/*
 * The in-band User Information option on the wire (uinfo_core.h): pure
 * byte work, compiled into muisp.ko and into the host tests.
 */
#include "uinfo_core.h"

#define UINFO_V4_HDR	20	/* an IPv4 header without options */
#define UINFO_V4_OPT_EOL 0
#define UINFO_V4_OPT_NOP 1
#define UINFO_V6_PAD1	0
#define UINFO_V6_PADN	1

static inline u16 uinfo_get16(const u8 *p)
{
	return (u16)(p[0] << 8 | p[1]);
}

static inline void uinfo_put16(u8 *p, u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* The flags a message type may carry, and the one that adds an address. */
static u16 uinfo_flags_allowed(u16 mt, u16 *addr_flag)
{
	switch (mt) {
	case MUISP_UINFO_UI:
		*addr_flag = MUISP_UINFO_F_R;
		return MUISP_UINFO_F_E | MUISP_UINFO_F_R | MUISP_UINFO_F_A;
	case MUISP_UINFO_QUERY:
		*addr_flag = MUISP_UINFO_F_D;
		return MUISP_UINFO_F_D;
	case MUISP_UINFO_ACK:
		*addr_flag = 0;
		return MUISP_UINFO_F_E;
	}
	return 0;
}

/* The option's length for this type and flags, with addr_len address bytes. */
static unsigned int uinfo_wire_len(u16 mt, u16 flags, unsigned int addr_len)
{
	unsigned int len = 4 + addr_len;

	if (mt == MUISP_UINFO_UI || mt == MUISP_UINFO_ACK)
		len += (flags & MUISP_UINFO_F_E) ? MUISP_UINFO_SEALED_LEN : 4;
	return len;
}

unsigned int muisp_uinfo_len(const struct muisp_uinfo *m)
{
	u16 addr_flag, allowed = uinfo_flags_allowed(m->mt, &addr_flag);

	if (!allowed || (m->flags & ~allowed))
		return 0;
	if (addr_flag && (m->flags & addr_flag)) {
		if (m->addr_len != 4 && m->addr_len != 16)
			return 0;
	} else if (m->addr_len) {
		return 0;
	}
	return uinfo_wire_len(m->mt, m->flags, m->addr_len);
}

int muisp_uinfo_put(u8 *buf, unsigned int cap, u8 family,
		    const struct muisp_uinfo *m)
{
	unsigned int len = muisp_uinfo_len(m), at = 4;

	if (!len || (family != MUISP_AF_INET && family != MUISP_AF_INET6))
		return -EINVAL;
	if (m->addr_len && m->addr_len != (family == MUISP_AF_INET ? 4 : 16))
		return -EINVAL;
	if (len > cap)
		return -ENOSPC;
	if (family == MUISP_AF_INET) {
		buf[0] = MUISP_UINFO_V4_TYPE;
		buf[1] = len;
	} else {
		buf[0] = MUISP_UINFO_V6_TYPE;
		buf[1] = len - 2;
	}
	uinfo_put16(buf + 2, m->flags | m->mt);
	memcpy(buf + at, m->addr, m->addr_len);
	at += m->addr_len;
	if (muisp_uinfo_has_user(m)) {
		if (m->flags & MUISP_UINFO_F_E) {
			u64 seq = m->seq;
			int i;

			for (i = 7; i >= 0; i--, seq >>= 8)
				buf[at + i] = seq & 0xff;
			memcpy(buf + at + 8, m->sealed, sizeof(m->sealed));
		} else {
			uinfo_put16(buf + at, m->user >> 16);
			uinfo_put16(buf + at + 2, m->user & 0xffff);
		}
	}
	return len;
}

int muisp_uinfo_get(const u8 *opt, unsigned int avail, u8 family,
		    struct muisp_uinfo *m)
{
	unsigned int len, at = 4, i;
	u16 fl, addr_flag, allowed;

	if (avail < 4)
		return -EINVAL;
	if (family == MUISP_AF_INET) {
		if (opt[0] != MUISP_UINFO_V4_TYPE)
			return -EINVAL;
		len = opt[1];
	} else if (family == MUISP_AF_INET6) {
		if (opt[0] != MUISP_UINFO_V6_TYPE)
			return -EINVAL;
		len = opt[1] + 2;
	} else {
		return -EINVAL;
	}
	if (len < 4 || len > avail)
		return -EINVAL;
	fl = uinfo_get16(opt + 2);
	memset(m, 0, sizeof(*m));
	m->mt = fl & MUISP_UINFO_MT_MASK;
	m->flags = fl & ~MUISP_UINFO_MT_MASK;
	allowed = uinfo_flags_allowed(m->mt, &addr_flag);
	if (!allowed || (m->flags & ~allowed))
		return -EINVAL;
	if (addr_flag && (m->flags & addr_flag))
		m->addr_len = family == MUISP_AF_INET ? 4 : 16;
	if (len != uinfo_wire_len(m->mt, m->flags, m->addr_len))
		return -EINVAL;
	memcpy(m->addr, opt + at, m->addr_len);
	at += m->addr_len;
	if (muisp_uinfo_has_user(m)) {
		if (m->flags & MUISP_UINFO_F_E) {
			for (i = 0; i < 8; i++)
				m->seq = m->seq << 8 | opt[at + i];
			memcpy(m->sealed, opt + at + 8, sizeof(m->sealed));
		} else {
			m->user = (u32)uinfo_get16(opt + at) << 16 |
				  uinfo_get16(opt + at + 2);
		}
	}
	return len;
}

/*
 * Walk an options area from i to len for ours: IPv4 (an EOL ends the
 * options, NOP is one byte, a length counts the whole option) or IPv6
 * (Pad1 is one byte, a length counts the data after two bytes).
 */
static int uinfo_find(const u8 *a, unsigned int i, unsigned int len, bool v6)
{
	const u8 one = v6 ? UINFO_V6_PAD1 : UINFO_V4_OPT_NOP;
	const u8 ours = v6 ? MUISP_UINFO_V6_TYPE : MUISP_UINFO_V4_TYPE;
	int found = -ENOENT;
	unsigned int l;

	while (i < len && (v6 || a[i] != UINFO_V4_OPT_EOL)) {
		if (a[i] == one) {
			i++;
			continue;
		}
		if (len - i < 2)
			return -EINVAL;
		l = a[i + 1] + (v6 ? 2U : 0U);
		if (l < 2 || l > len - i)
			return -EINVAL;
		if (a[i] == ours) {
			if (found >= 0 || l < 4)
				return -EINVAL;
			found = i;
		}
		i += l;
	}
	return found;
}

int muisp_uinfo_find_v4(const u8 *opts, unsigned int len)
{
	return uinfo_find(opts, 0, len, false);
}

int muisp_uinfo_find_v6(const u8 *hdr, unsigned int len)
{
	if (len < 8 || len != (hdr[1] + 1U) * 8)
		return -EINVAL;
	return uinfo_find(hdr, 2, len, true);
}

u16 muisp_uinfo_ip_csum(const u8 *ip, unsigned int hlen)
{
	u32 sum = 0;
	unsigned int i;

	for (i = 0; i + 1 < hlen; i += 2)
		sum += uinfo_get16(ip + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (u16)~sum;
}

/* A checked IPv4 header: version 4, ihl * 4 == hlen, tot_len >= hlen. */
static bool uinfo_v4_ok(const u8 *ip, unsigned int hlen)
{
	return hlen >= UINFO_V4_HDR && hlen <= 60 && (ip[0] >> 4) == 4 &&
	       (ip[0] & 0xf) * 4U == hlen && uinfo_get16(ip + 2) >= hlen;
}

/* Where an IPv4 options area's options end: at its EOL, or its end. */
static unsigned int uinfo_v4_opts_end(const u8 *opts, unsigned int len)
{
	unsigned int i = 0;

	while (i < len && opts[i] != UINFO_V4_OPT_EOL)
		i += opts[i] == UINFO_V4_OPT_NOP ? 1 : opts[i + 1];
	return i;	/* the area was walked by muisp_uinfo_find_v4() */
}

/*
 * Finish a rebuilt IPv4 header hdr of nh bytes (options padded): ihl,
 * tot_len (the old one plus delta) and the checksum.
 */
static void uinfo_v4_finish(u8 *hdr, unsigned int nh, int delta)
{
	hdr[0] = 0x40 | nh / 4;
	uinfo_put16(hdr + 2, uinfo_get16(hdr + 2) + delta);
	uinfo_put16(hdr + 10, 0);
	uinfo_put16(hdr + 10, muisp_uinfo_ip_csum(hdr, nh));
}

int muisp_uinfo_strip_v4(u8 *ip, unsigned int hlen)
{
	u8 hdr[60];
	unsigned int olen, end, ol, nlen, nh;
	int off;

	if (!uinfo_v4_ok(ip, hlen))
		return -EINVAL;
	olen = hlen - UINFO_V4_HDR;
	off = muisp_uinfo_find_v4(ip + UINFO_V4_HDR, olen);
	if (off == -ENOENT)
		return 0;
	if (off < 0)
		return off;
	end = uinfo_v4_opts_end(ip + UINFO_V4_HDR, olen);
	ol = ip[UINFO_V4_HDR + off + 1];
	/* the options before ours, then those after it, then EOL padding */
	memcpy(hdr, ip, UINFO_V4_HDR + off);
	memcpy(hdr + UINFO_V4_HDR + off, ip + UINFO_V4_HDR + off + ol,
	       end - off - ol);
	nlen = end - ol;
	nh = UINFO_V4_HDR + ((nlen + 3) & ~3U);
	memset(hdr + UINFO_V4_HDR + nlen, UINFO_V4_OPT_EOL,
	       nh - UINFO_V4_HDR - nlen);
	/* ours is at least 4 bytes, so the header shrinks by at least 4 */
	uinfo_v4_finish(hdr, nh, -(int)(hlen - nh));
	memcpy(ip + hlen - nh, hdr, nh);
	return hlen - nh;
}

int muisp_uinfo_insert_v4(u8 *ip, unsigned int hlen, const u8 *opt,
			  unsigned int len)
{
	u8 hdr[60];
	unsigned int olen, end, nh;
	int off;

	if (!uinfo_v4_ok(ip, hlen) || len < 2 ||
	    opt[0] != MUISP_UINFO_V4_TYPE || opt[1] != len)
		return -EINVAL;
	olen = hlen - UINFO_V4_HDR;
	off = muisp_uinfo_find_v4(ip + UINFO_V4_HDR, olen);
	if (off >= 0)
		return -EEXIST;
	if (off != -ENOENT)
		return off;
	end = uinfo_v4_opts_end(ip + UINFO_V4_HDR, olen);
	if (end + len > MUISP_UINFO_V4_OPTS_MAX)
		return -EMSGSIZE;
	/* the options there are, ours, then EOL padding */
	nh = UINFO_V4_HDR + ((end + len + 3) & ~3U);
	if (nh < hlen)		/* ours took the place of padding */
		nh = hlen;
	if (uinfo_get16(ip + 2) + (nh - hlen) > 0xffff)
		return -EMSGSIZE;
	memcpy(hdr, ip, UINFO_V4_HDR + end);
	memcpy(hdr + UINFO_V4_HDR + end, opt, len);
	memset(hdr + UINFO_V4_HDR + end + len, UINFO_V4_OPT_EOL,
	       nh - UINFO_V4_HDR - end - len);
	uinfo_v4_finish(hdr, nh, nh - hlen);
	memcpy(ip - (nh - hlen), hdr, nh);
	return nh - hlen;
}

/* Fill n bytes (under 8) of IPv6 option padding at p. */
static void uinfo_v6_pad(u8 *p, unsigned int n)
{
	if (n == 1) {
		p[0] = UINFO_V6_PAD1;
	} else if (n) {
		p[0] = UINFO_V6_PADN;
		p[1] = n - 2;
		memset(p + 2, 0, n - 2);
	}
}

int muisp_uinfo_strip_v6(u8 *hdr, unsigned int len)
{
	unsigned int i = 2, ps = 2, pe = len, l, cut;
	int off = muisp_uinfo_find_v6(hdr, len);
	bool pad;

	if (off < 0)
		return off;
	/* [ps, pe): ours and the padding on either side of it */
	while (i < len) {
		l = hdr[i] == UINFO_V6_PAD1 ? 1 : hdr[i + 1] + 2U;
		pad = hdr[i] == UINFO_V6_PAD1 || hdr[i] == UINFO_V6_PADN ||
		      i == (unsigned int)off;
		if (!pad && i > (unsigned int)off) {
			pe = i;
			break;
		}
		if (!pad)
			ps = i + l;
		i += l;
	}
	if (ps == 2 && pe == len)
		return len;
	cut = (pe - ps) & ~7U;
	uinfo_v6_pad(hdr + pe - (pe - ps - cut), pe - ps - cut);
	memmove(hdr + cut, hdr, ps);
	hdr[cut + 1] = (len - cut) / 8 - 1;
	return cut;
}

int muisp_uinfo_build_v6(u8 *buf, unsigned int cap, u8 nexthdr,
			 const u8 *opt, unsigned int len)
{
	unsigned int total = (2 + len + 7) & ~7U, pad = total - 2 - len;

	if (len < 2 || opt[0] != MUISP_UINFO_V6_TYPE || opt[1] + 2U != len)
		return -EINVAL;
	if (total > cap)
		return -ENOSPC;
	buf[0] = nexthdr;
	buf[1] = total / 8 - 1;
	memcpy(buf + 2, opt, len);
	uinfo_v6_pad(buf + 2 + len, pad);
	return total;
}

_Static_assert(sizeof(struct muisp_uinfo_bind) == 68,
	       "the additional data has no padding of the compiler's");

void muisp_uinfo_bind_init(struct muisp_uinfo_bind *b, u8 family,
			   const void *saddr, const void *daddr, u8 proto,
			   __be32 id, const u8 *l4)
{
	unsigned int alen = family == MUISP_AF_INET ? 4 : 16;

	memset(b, 0, sizeof(*b));
	b->family = family;
	b->proto = proto;
	b->id = id;
	memcpy(b->saddr, saddr, alen);
	memcpy(b->daddr, daddr, alen);
	if (l4) {
		b->l4_len = sizeof(b->l4);
		memcpy(b->l4, l4, sizeof(b->l4));
	}
}

/* Fill the option's part of the additional data from m. */
static void uinfo_bind_msg(struct muisp_uinfo_bind *b,
			   const struct muisp_uinfo *m)
{
	uinfo_put16(b->mt_flags, m->flags | m->mt);
	b->addr_len = m->addr_len;
	memset(b->pad, 0, sizeof(b->pad));
	memset(b->addr, 0, sizeof(b->addr));
	memcpy(b->addr, m->addr, m->addr_len);
}

int muisp_uinfo_seal(struct muisp_uinfo_key *key, struct muisp_uinfo *m,
		     struct muisp_uinfo_bind *b, u64 seq)
{
	u8 id[4];
	int ret;

	if (!muisp_uinfo_has_user(m))
		return -EINVAL;
	m->flags |= MUISP_UINFO_F_E;
	m->seq = seq;
	uinfo_bind_msg(b, m);
	uinfo_put16(id, m->user >> 16);
	uinfo_put16(id + 2, m->user & 0xffff);
	ret = muisp_uinfo_aead(key, true, seq, b, id, m->sealed + 4);
	if (ret)
		return ret;
	memcpy(m->sealed, id, 4);
	return 0;
}

int muisp_uinfo_open(struct muisp_uinfo_key *key, struct muisp_uinfo *m,
		     struct muisp_uinfo_bind *b)
{
	u8 id[4];
	int ret;

	if (!muisp_uinfo_has_user(m) || !(m->flags & MUISP_UINFO_F_E))
		return -EINVAL;
	uinfo_bind_msg(b, m);
	memcpy(id, m->sealed, 4);
	ret = muisp_uinfo_aead(key, false, m->seq, b, id, m->sealed + 4);
	if (ret)
		return ret;
	m->user = (u32)uinfo_get16(id) << 16 | uinfo_get16(id + 2);
	return 0;
}

bool muisp_uinfo_replay_check(struct muisp_uinfo_replay *w, u64 seq)
{
	u64 d;

	if (!seq)
		return false;
	if (seq > w->top) {
		d = seq - w->top;
		w->bits = d >= 64 ? 0 : w->bits << d;
		w->bits |= 1;
		w->top = seq;
		return true;
	}
	d = w->top - seq;
	if (d >= 64 || (w->bits & (1ULL << d)))
		return false;
	w->bits |= 1ULL << d;
	return true;
}

bool muisp_uinfo_replay_seen(const struct muisp_uinfo_replay *w, u64 seq)
{
	u64 d = w->top - seq;

	return seq && seq <= w->top && d < 64 && (w->bits & (1ULL << d));
}

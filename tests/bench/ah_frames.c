// SPDX-License-Identifier: GPL-2.0
/*
 * AH tunnel-mode frames (ah_frames.h): built whole from their parameters,
 * nothing read from outside, so there is no parser here to fuzz.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/params.h>

#include "ah_frames.h"

#define IPPROTO_AH_  51
#define IPPROTO_IPIP 4
#define IPPROTO_UDP_ 17
#define TTL	     64
#define IP_DF	     0x4000

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

uint16_t ahf_csum(const void *p, size_t len, uint32_t sum)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void ahf_key(uint32_t client, uint8_t key[AHF_KEY_LEN])
{
	unsigned int i;

	/* a different key per client, its index in the first four bytes */
	put32(key, client);
	for (i = 4; i < AHF_KEY_LEN; i++)
		key[i] = (uint8_t)(0xa5 ^ (i * 29) ^ (client * 7));
}

EVP_MAC_CTX *ahf_mac_new(const uint8_t key[AHF_KEY_LEN])
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						 (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;

	EVP_MAC_free(mac); /* the context holds its own reference */
	if (ctx && !EVP_MAC_init(ctx, key, AHF_KEY_LEN, params)) {
		EVP_MAC_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

int ahf_icv(EVP_MAC_CTX *keyed, const uint8_t *ip, size_t len,
	    uint8_t icv[AHF_ICV_LEN])
{
	uint8_t buf[256], md[EVP_MAX_MD_SIZE];
	EVP_MAC_CTX *c;
	size_t mdlen = 0;
	int ok;

	if (len > sizeof(buf) || len < AHF_OFF_ICV + AHF_ICV_LEN)
		return -1;
	memcpy(buf, ip, len);
	/* RFC 4302 3.3.3.1.1.1: the mutable IPv4 header fields as zero */
	buf[1] = 0;				   /* TOS */
	memset(buf + 6, 0, 2);			   /* flags, fragment offset */
	buf[8] = 0;				   /* TTL */
	memset(buf + 10, 0, 2);			   /* header checksum */
	memset(buf + AHF_OFF_ICV, 0, AHF_ICV_LEN); /* 3.3.3.1: the ICV */
	/* the keyed context (its pads hashed once) copied per packet */
	c = EVP_MAC_CTX_dup(keyed);
	ok = c && EVP_MAC_update(c, buf, len) &&
	     EVP_MAC_final(c, md, &mdlen, sizeof(md)) && mdlen >= AHF_ICV_LEN;
	EVP_MAC_CTX_free(c);
	if (!ok)
		return -1;
	memcpy(icv, md, AHF_ICV_LEN);
	return 0;
}

static void ipv4(uint8_t *h, uint16_t tot_len, uint16_t id, uint8_t proto,
		 uint32_t src, uint32_t dst)
{
	memset(h, 0, AHF_IP_LEN);
	h[0] = 0x45;
	put16(h + 2, tot_len);
	put16(h + 4, id);
	put16(h + 6, IP_DF);
	h[8] = TTL;
	h[9] = proto;
	put32(h + 12, src);
	put32(h + 16, dst);
	put16(h + 10, ahf_csum(h, AHF_IP_LEN, 0));
}

int ahf_build(uint8_t *frame, const struct ahf_spec *s, EVP_MAC_CTX *keyed)
{
	uint8_t *ip = frame + AHF_ETH_LEN, *ah = ip + AHF_OFF_AH;
	uint8_t *in = ah + AHF_AH_LEN, *udp = in + AHF_IP_LEN;
	uint16_t ulen = 8 + AHF_UDP_DATA, id = (uint16_t)s->seq;
	uint32_t sum;

	memcpy(frame, s->dmac, 6);
	memcpy(frame + 6, s->smac, 6);
	put16(frame + 12, 0x0800);
	ipv4(ip, AHF_OUTER_LEN, id, IPPROTO_AH_, s->outer_src, s->outer_dst);
	ah[0] = IPPROTO_IPIP;	    /* next header: the inner IPv4 */
	ah[1] = AHF_AH_LEN / 4 - 2; /* payload length, RFC 4302 2.2 */
	put16(ah + 2, 0);
	put32(ah + 4, s->spi);
	put32(ah + 8, s->seq);
	ipv4(in, AHF_INNER_LEN, id, IPPROTO_UDP_, s->inner_src, s->inner_dst);
	put16(udp, s->sport);
	put16(udp + 2, s->dport);
	put16(udp + 4, ulen);
	put16(udp + 6, 0);
	memset(udp + 8, 0, AHF_UDP_DATA);
	/* the pseudo-header: addresses, protocol, length */
	sum = (s->inner_src >> 16) + (s->inner_src & 0xffff) +
	      (s->inner_dst >> 16) + (s->inner_dst & 0xffff) + IPPROTO_UDP_ +
	      ulen;
	put16(udp + 6, ahf_csum(udp, ulen, sum) ?: 0xffff);
	return ahf_icv(keyed, ip, AHF_OUTER_LEN, ah + 12);
}

// SPDX-License-Identifier: GPL-2.0
/* IPv4/UDP packets on a packet socket: see udp4.h. */
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <string.h>

#include "udp4.h"

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int udp4_parse(const uint8_t *pkt, size_t len, struct udp4_frame *f)
{
	size_t ihl, tot, ulen;

	if (len < 20 || (pkt[0] >> 4) != 4)
		return -1;
	ihl = (size_t)(pkt[0] & 0x0f) * 4;
	tot = (size_t)pkt[2] << 8 | pkt[3];
	if (ihl < 20 || tot < ihl + 8 || tot > len)
		return -1;
	/* More fragments, or a fragment offset: not a whole datagram. */
	if (((pkt[6] << 8 | pkt[7]) & 0x3fff) || pkt[9] != 17)
		return -1;
	ulen = (size_t)pkt[ihl + 4] << 8 | pkt[ihl + 5];
	if (ulen < 8 || ihl + ulen > tot)
		return -1;
	memcpy(&f->saddr, pkt + 12, 4);
	memcpy(&f->daddr, pkt + 16, 4);
	f->sport = (uint16_t)(pkt[ihl] << 8 | pkt[ihl + 1]);
	f->dport = (uint16_t)(pkt[ihl + 2] << 8 | pkt[ihl + 3]);
	f->payload = pkt + ihl + 8;
	f->len = ulen - 8;
	return 0;
}

int udp4_sums_ok(const uint8_t *pkt, const struct udp4_frame *f, int check_udp)
{
	size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
	const uint8_t *udp = pkt + ihl;
	uint8_t pseudo[12];
	uint32_t sum;

	if (csum_fold(csum_add(0, pkt, ihl)))
		return 0;
	if (!check_udp || (!udp[6] && !udp[7])) /* none computed */
		return 1;
	memcpy(pseudo, pkt + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 17;
	pseudo[10] = udp[4];
	pseudo[11] = udp[5];
	sum = csum_add(csum_add(0, pseudo, 12), udp, f->len + 8);
	return !csum_fold(sum);
}

size_t udp4_build(uint8_t *out, size_t max, uint32_t src, uint32_t dst,
		  uint16_t sport, uint16_t dport, const uint8_t *payload,
		  size_t len)
{
	size_t tot = 20 + 8 + len;
	uint8_t *ip = out, *udp = out + 20, pseudo[12];
	uint32_t sum;
	uint16_t c;

	if (tot > max || tot > 0xffff)
		return 0;
	memset(out, 0, 28);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[8] = 64; /* TTL */
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	c = csum_fold(csum_add(0, ip, 20));
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	udp[0] = (uint8_t)(sport >> 8);
	udp[1] = (uint8_t)sport;
	udp[2] = (uint8_t)(dport >> 8);
	udp[3] = (uint8_t)dport;
	udp[4] = (uint8_t)((len + 8) >> 8);
	udp[5] = (uint8_t)(len + 8);
	memcpy(udp + 8, payload, len);
	memcpy(pseudo, &src, 4);
	memcpy(pseudo + 4, &dst, 4);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_UDP;
	pseudo[10] = udp[4];
	pseudo[11] = udp[5];
	sum = csum_add(0, pseudo, 12);
	sum = csum_add(sum, udp, len + 8);
	c = csum_fold(sum);
	if (!c)
		c = 0xffff;
	udp[6] = (uint8_t)(c >> 8);
	udp[7] = (uint8_t)c;
	return tot;
}

void udp4_filter(struct sock_filter insn[UDP4_FILTER_LEN], uint16_t dport)
{
	const struct sock_filter prog[UDP4_FILTER_LEN] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, PACKET_OTHERHOST, 12, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 SKF_AD_OFF + SKF_AD_PROTOCOL),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 10),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x40, 0, 7),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 5),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x3fff, 3, 0),
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, dport, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
	};

	memcpy(insn, prog, sizeof(prog));
}

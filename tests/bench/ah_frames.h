/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AH tunnel-mode frames for the forwarding benchmark with require-tunnel on
 * (tests/vm/bench/insn-tun.sh): Ethernet, outer IPv4 client -> router,
 * AH (RFC 4302) with HMAC-SHA-256-128, the algorithm of the product's
 * ah_proposals "sha256" (strongSwan's HMAC_SHA2_256_128), then the inner
 * IPv4/UDP packet from the client to the WAN sink, pktgen's 60-byte frame
 * less its Ethernet header.  No extended sequence numbers.
 */
#ifndef MUISP_AH_FRAMES_H
#define MUISP_AH_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define AHF_KEY_LEN   32 /* hmac(sha256) key */
#define AHF_ICV_LEN   16 /* truncated to 128 bits */
#define AHF_ETH_LEN   14
#define AHF_IP_LEN    20
#define AHF_AH_LEN    (12 + AHF_ICV_LEN)
#define AHF_UDP_DATA  18
#define AHF_INNER_LEN (AHF_IP_LEN + 8 + AHF_UDP_DATA)
#define AHF_OUTER_LEN (AHF_IP_LEN + AHF_AH_LEN + AHF_INNER_LEN)
#define AHF_FRAME_LEN (AHF_ETH_LEN + AHF_OUTER_LEN)
/* offsets from the outer IPv4 header */
#define AHF_OFF_AH  AHF_IP_LEN
#define AHF_OFF_ICV (AHF_OFF_AH + 12)

/* One frame; addresses and ports in host order. */
struct ahf_spec {
	uint8_t smac[6], dmac[6];
	uint32_t outer_src, outer_dst; /* tunnel endpoints */
	uint32_t inner_src, inner_dst;
	uint16_t sport, dport;
	uint32_t spi, seq;
};

/* The key of client I (deterministic: ahgen's SAs and frames agree). */
void ahf_key(uint32_t client, uint8_t key[AHF_KEY_LEN]);
/* An HMAC-SHA-256 context keyed with KEY, to be reused by ahf_icv() and
 * ahf_build(); NULL on failure.  EVP_MAC_CTX_free() frees it. */
EVP_MAC_CTX *ahf_mac_new(const uint8_t key[AHF_KEY_LEN]);
/* The AH ICV of the outer IPv4 packet IP (LEN bytes, header without
 * options, AH right after it): the HMAC over a copy of it with the mutable
 * fields of the IPv4 header (TOS, flags and fragment offset, TTL, header
 * checksum) and the ICV field zeroed, truncated to AHF_ICV_LEN.  0, or -1
 * on failure. */
int ahf_icv(EVP_MAC_CTX *keyed, const uint8_t *ip, size_t len,
	    uint8_t icv[AHF_ICV_LEN]);
/* Writes the AHF_FRAME_LEN bytes of the frame S into FRAME, its ICV made
 * with KEYED.  0, or -1 on failure. */
int ahf_build(uint8_t *frame, const struct ahf_spec *s, EVP_MAC_CTX *keyed);
/* The Internet checksum of LEN bytes, folded from SUM (host order). */
uint16_t ahf_csum(const void *p, size_t len, uint32_t sum);

#endif

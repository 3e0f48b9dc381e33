/* SPDX-License-Identifier: GPL-2.0 */
/*
 * FNV-1a over bytes, for the daemons' hash tables (muispd's address
 * buckets and report cache, muisp-dhcpd's clients).  Tables keyed by what
 * the network sends start from FNV1A_INIT ^ a random seed.  Chain calls
 * to hash several fields: fnv1a(fnv1a(FNV1A_INIT, a, n), b, m).
 */
#ifndef MUISP_FNV_H
#define MUISP_FNV_H

#include <stddef.h>
#include <stdint.h>

#define FNV1A_INIT 2166136261u

static inline uint32_t fnv1a(uint32_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 16777619u;
	return h;
}

#endif

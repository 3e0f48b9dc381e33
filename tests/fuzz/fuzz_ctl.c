// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the control-channel decoder: anything accepted must
 * re-encode, and decode -> encode -> decode must be the identity (struct
 * and bytes of the second encoding).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mp_msg m1, m2;
static uint8_t b1[MP_MAX_FRAME], b2[MP_MAX_FRAME];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int flen = mp_frame_len(data, size);
	int n1, n2;

	if (mp_decode(data, size, &m1) != 0)
		return 0;
	if (flen != (int)size)
		abort();
	n1 = mp_encode(&m1, b1, sizeof(b1));
	if (n1 < MP_HDR_LEN)
		abort();
	if (mp_decode(b1, (size_t)n1, &m2) != 0)
		abort();
	if (memcmp(&m1, &m2, sizeof(m1)))
		abort();
	n2 = mp_encode(&m2, b2, sizeof(b2));
	if (n2 != n1 || memcmp(b1, b2, (size_t)n1))
		abort();
	return 0;
}

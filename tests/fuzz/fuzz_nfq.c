// SPDX-License-Identifier: GPL-2.0
/*
 * lib/nfq's parser (nfq_parse) on arbitrary bytes: the packet messages
 * muispd reads from nfnetlink_queue.  The input is copied to a block of
 * exactly its size (aligned, as netlink buffers are), so that ASan catches
 * any read past it.  The seeds are datagrams the kernel sent (6.18,
 * xtables NFQUEUE on lo): IPv4 and IPv6 UDP and TCP SYN, one longer than
 * the copy (NFQA_CAP_LEN), and the error a verdict for an unknown id gets.
 *
 * Checks: a parse that succeeds gives a payload inside the message, at
 * most NFQ_COPY_RANGE bytes of it, no longer than the packet's whole
 * length; a failure is -EINVAL or -ENOMSG with nothing filled in; the same
 * bytes parse the same way twice.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nfq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct nfq_pkt zero;
	struct nfq_pkt p, again;
	volatile uint8_t sink = 0;
	uint8_t *m;
	uint32_t i;
	int rc;

	m = malloc(size ? size : 1);
	if (!m)
		return 0;
	memcpy(m, data, size);
	rc = nfq_parse(m, size, &p);
	if (rc == 0) {
		if (p.len > NFQ_COPY_RANGE || p.orig_len < p.len)
			abort();
		if (!p.payload && p.len)
			abort();
		if (p.payload &&
		    (p.payload < m || p.payload + p.len > m + size))
			abort();
		for (i = 0; i < p.len; i++) /* every byte readable */
			sink ^= p.payload[i];
	} else if ((rc != -EINVAL && rc != -ENOMSG) ||
		   memcmp(&p, &zero, sizeof(p)) != 0) {
		abort();
	}
	if (nfq_parse(m, size, &again) != rc ||
	    memcmp(&p, &again, sizeof(p)) != 0)
		abort();
	(void)sink;
	free(m);
	return 0;
}

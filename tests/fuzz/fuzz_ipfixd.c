// SPDX-License-Identifier: GPL-2.0
/*
 * muisp-ipfixd's parsers on arbitrary bytes (daemon/ipfixd): the first
 * byte picks one.
 *   even: a --replay file (replay.c): every record it yields goes through
 *         the exporter (export.c, lib/ipfix) to two fake collectors, one
 *         of which fails every third send; afterwards each collector got
 *         every valid record exactly once, as exported or lost, every
 *         message is at most the MTU, IPFIX version 10 with its own
 *         length in its header, and the loss by sequence numbers is at
 *         most the numbers jumped over
 *   odd:  muisp-ipfixd.conf (config.c): accepted values are in range
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/ipfixd/ipfixd.h"

static unsigned int sends;

static int fake_send(void *arg, unsigned int coll, struct iovec *msgs,
		     unsigned int n, uint8_t *ok)
{
	const struct ipfixd_conf *c = arg;
	unsigned int i;

	for (i = 0; i < n; i++) {
		const uint8_t *b = msgs[i].iov_base;

		if (msgs[i].iov_len > c->mtu || msgs[i].iov_len < 16 ||
		    b[0] != 0 || b[1] != 10 ||
		    ((size_t)b[2] << 8 | b[3]) != msgs[i].iov_len)
			abort();
		ok[i] = coll == 0 || ++sends % 3;
	}
	return 0;
}

static uint64_t clock_s(void)
{
	return 1000;
}

static void replay(const uint8_t *data, size_t size)
{
	struct ipfixd_conf c;
	struct ipfixd_exp x;
	struct ipfixd_replay r;
	struct muisp_nl_flow f;
	char err[128];
	uint64_t valid = 0, h = 0;
	unsigned __int128 skipped = 0; /* 2^63 jumps add up past 2^64 */
	int k, started = 0;

	memset(&c, 0, sizeof(c));
	c.ncoll = 2;
	c.domain_id = 1;
	c.mtu = IPFIXD_MTU_MIN + (size % 1200);
	c.refresh_s = 60;
	c.every_msgs = 4;
	if (ipfixd_exp_init(&x, &c, fake_send, &c) < 0)
		return;
	x.now_real_s = clock_s;
	x.now_mono_s = clock_s;
	ipfixd_replay_init(&r, data, size);
	while ((k = ipfixd_replay_next(&r, &f, err, sizeof(err))) == 1) {
		if (ipfixd_exp_record(&x, &f) == 0)
			valid++;
		/* the numbers jumped over (a restart starts afresh) */
		if (!MUISP_NL_HAS(&f, MUISP_FLOW_A_SEQ))
			continue;
		if (!started || (f.seq < h && h - f.seq >= IPFIXD_SEQ_WINDOW)) {
			started = 1;
			h = f.seq;
		} else if (f.seq > h) {
			skipped += f.seq - h - 1;
			h = f.seq;
		}
	}
	if (k < 0 && !err[0])
		abort();
	ipfixd_exp_flush(&x);
	ipfixd_count_lost(&x.ctr, ipfixd_seq_settle(&x.seq));
	if (x.ctr.records_received != valid + x.ctr.records_invalid ||
	    x.ctr.records_exported + x.ctr.records_lost_send != 2 * valid ||
	    x.ctr.templates_sent > x.ctr.messages_sent)
		abort();
	/* lost: numbers jumped over and never seen late (the counter stops
	 * at the top) */
	if (x.ctr.records_lost_overrun > skipped)
		abort();
	ipfixd_exp_fini(&x);
}

static void config(const uint8_t *data, size_t size)
{
	struct ipfixd_conf c;
	char err[256];
	char *text = malloc(size + 1);

	if (!text)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	if (ipfixd_config_parse("fuzz", text, &c, err, sizeof(err)) == 0 &&
	    (!c.ncoll || c.ncoll > IPFIXD_MAX_COLLECTORS ||
	     c.mtu < IPFIXD_MTU_MIN || c.mtu > IPFIXD_MTU_MAX || !c.flush_ms ||
	     c.socket[0] != '/'))
		abort();
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	if (!size)
		return 0;
	/* the replay parser reads in place: an aligned copy, as malloc'd */
	copy = malloc(size - 1 ? size - 1 : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	if (data[0] & 1)
		config(copy, size - 1);
	else
		replay(copy, size - 1);
	free(copy);
	return 0;
}

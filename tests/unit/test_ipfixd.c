// SPDX-License-Identifier: GPL-2.0
/* muisp-ipfixd: loss by sequence numbers, the exporter's accounting and
 * queue, the configuration (daemon/ipfixd). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/ipfixd/ipfixd.h"

static void test_seq_in_order_and_gaps(void **state)
{
	struct ipfixd_seq s = { 0 };
	uint64_t lost = 0, i;

	assert_int_equal(ipfixd_seq_add(&s, 1000), 0); /* the start */
	for (i = 1001; i <= 1010; i++)
		lost += ipfixd_seq_add(&s, i);
	assert_int_equal(lost, 0);
	/* 1011..1015 skipped: counted once 64 higher ones passed them */
	for (i = 1016; i < 1016 + IPFIXD_SEQ_WINDOW - 6; i++)
		lost += ipfixd_seq_add(&s, i);
	assert_int_equal(lost, 0);
	for (; i < 1016 + IPFIXD_SEQ_WINDOW + 10; i++)
		lost += ipfixd_seq_add(&s, i);
	assert_int_equal(lost, 5);
	assert_int_equal(ipfixd_seq_settle(&s), 0);
}

static void test_seq_late_and_duplicate(void **state)
{
	struct ipfixd_seq s = { 0 };

	ipfixd_seq_add(&s, 1);
	assert_int_equal(ipfixd_seq_add(&s, 3), 0); /* 2 missing, for now */
	assert_int_equal(ipfixd_seq_add(&s, 2), 0); /* late: another CPU */
	assert_int_equal(ipfixd_seq_add(&s, 2), 0); /* duplicate */
	assert_int_equal(ipfixd_seq_add(&s, 6), 0);
	assert_int_equal(ipfixd_seq_settle(&s), 2); /* 4 and 5 */
	assert_int_equal(ipfixd_seq_settle(&s), 0);
	/* a jump beyond the window: all of it at once */
	assert_int_equal(ipfixd_seq_add(&s, 6 + 1000), 1000 - 63 - 1 + 0);
	assert_int_equal(ipfixd_seq_settle(&s), 63);
	/* numbering starts again (module reloaded): afresh, nothing lost */
	assert_int_equal(ipfixd_seq_add(&s, 1), 0);
	assert_int_equal(ipfixd_seq_add(&s, 2), 0);
	assert_int_equal(ipfixd_seq_settle(&s), 0);
}

/* The module unloaded and loaded again (nl_follow's on_change): what the
 * old one left missing is counted, then the new numbering (from 1 again,
 * below the old highest by less than a window) starts afresh instead of
 * passing for late records of the old one. */
static void test_seq_restart(void **state)
{
	struct ipfixd_seq s = { 0 };
	uint64_t i, lost = 0;

	assert_int_equal(ipfixd_seq_restart(&s), 0); /* never started */
	for (i = 1; i <= 20; i++)
		if (i != 18 && i != 19)
			lost += ipfixd_seq_add(&s, i);
	assert_int_equal(lost, 0);
	assert_int_equal(ipfixd_seq_restart(&s), 2); /* 18, 19 */
	assert_false(s.started);
	assert_int_equal(ipfixd_seq_add(&s, 1), 0);
	assert_int_equal(s.hi, 1);
	assert_int_equal(ipfixd_seq_add(&s, 3), 0);
	assert_int_equal(ipfixd_seq_settle(&s), 1); /* the new module's 2 */
	/* nothing wraps: a restart at the top of the range, then 1 */
	ipfixd_seq_restart(&s);
	assert_int_equal(ipfixd_seq_add(&s, UINT64_MAX), 0);
	assert_int_equal(ipfixd_seq_restart(&s), 0);
	assert_int_equal(ipfixd_seq_add(&s, 1), 0);
	assert_int_equal(ipfixd_seq_add(&s, 2), 0);
	assert_int_equal(ipfixd_seq_settle(&s), 0);
}

/* Two jumps of 2^63 (a forged replay file, restarted in between) lose
 * more than 2^64 numbers: the counter stops at the top instead of
 * wrapping to a small number (a "fall" an NMS or the trap would misread). */
static void test_seq_lost_saturates(void **state)
{
	struct ipfixd_counters c = { 0 };
	struct ipfixd_seq s = { 0 };
	uint64_t i;

	ipfixd_count_lost(&c, ipfixd_seq_add(&s, 0));
	ipfixd_count_lost(&c, ipfixd_seq_add(&s, 1ULL << 63));
	ipfixd_count_lost(&c, ipfixd_seq_add(&s, 0)); /* a restart */
	ipfixd_count_lost(&c, ipfixd_seq_add(&s, (1ULL << 63) + 10));
	for (i = 1; i < 10; i++) /* late: 9 of the window's numbers */
		ipfixd_count_lost(&c, ipfixd_seq_add(&s, (1ULL << 63) + i));
	ipfixd_count_lost(&c, ipfixd_seq_settle(&s));
	assert_true(c.records_lost_overrun == UINT64_MAX);
	ipfixd_count_lost(&c, 5);
	assert_true(c.records_lost_overrun == UINT64_MAX);
	c.records_lost_overrun = 7; /* below the top: a plain sum */
	ipfixd_count_lost(&c, 5);
	assert_int_equal(c.records_lost_overrun, 12);
}

/* ---- the exporter with fake collectors ---- */

static unsigned int nsent[2], fail_coll1;
static size_t maxlen;

static int fake_send(void *arg, unsigned int coll, struct iovec *msgs,
		     unsigned int n, uint8_t *ok)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		const uint8_t *b = msgs[i].iov_base;

		assert_int_equal(b[1], 10);
		assert_int_equal((size_t)b[2] << 8 | b[3], msgs[i].iov_len);
		maxlen = msgs[i].iov_len > maxlen ? msgs[i].iov_len : maxlen;
		ok[i] = !(coll == 1 && fail_coll1);
		nsent[coll] += ok[i];
	}
	return coll == 1 && fail_coll1 ? ENETUNREACH : 0;
}

static uint64_t fixed_s(void)
{
	return 5000;
}

static void flow(struct muisp_nl_flow *f, uint64_t seq)
{
	memset(f, 0, sizeof(*f));
	muisp_nl_ip_from_str(&f->client_addr, "192.0.2.10");
	muisp_nl_ip_from_str(&f->peer_addr, "198.51.100.2");
	f->proto = 17;
	f->up_packets = f->down_packets = 1;
	f->up_bytes = f->down_bytes = 100;
	f->seq = seq;
	MUISP_NL_SET(f, MUISP_FLOW_A_SEQ);
}

static void test_export_accounting(void **state)
{
	struct ipfixd_conf c = { .ncoll = 2,
				 .domain_id = 3,
				 .mtu = 1400,
				 .refresh_s = 60,
				 .every_msgs = 4 };
	struct ipfixd_exp x;
	struct muisp_nl_flow f;
	uint64_t i;

	memset(nsent, 0, sizeof(nsent));
	fail_coll1 = 0;
	maxlen = 0;
	assert_int_equal(ipfixd_exp_init(&x, &c, fake_send, NULL), 0);
	x.now_real_s = fixed_s;
	x.now_mono_s = fixed_s;
	/* 300 flows, 2 records each: many messages; more than a queue */
	for (i = 1; i <= 300; i++) {
		flow(&f, i);
		assert_int_equal(ipfixd_exp_record(&x, &f), 0);
		if (i == 200)
			fail_coll1 = 1; /* collector 1 goes away */
	}
	assert_true(ipfixd_exp_pending(&x));
	ipfixd_exp_flush(&x);
	assert_false(ipfixd_exp_pending(&x));
	assert_int_equal(x.ctr.records_received, 300);
	assert_int_equal(x.ctr.records_lost_overrun, 0);
	/* every flow once per collector, exported or lost */
	assert_int_equal(x.ctr.records_exported + x.ctr.records_lost_send, 600);
	assert_true(x.ctr.records_lost_send > 0);
	assert_true(x.ctr.records_lost_send < 300);
	assert_int_equal(x.ctr.messages_sent, nsent[0] + nsent[1]);
	assert_true(maxlen <= 1400);
	/* templates in the first message and every 4th: a quarter */
	assert_true(nsent[0] >= 300 * 2 * 68 / 1400);
	assert_true(x.ctr.templates_sent >= (nsent[0] + 3) / 4);
	/* an unusable record is counted, not sent */
	memset(&f, 0, sizeof(f));
	assert_int_equal(ipfixd_exp_record(&x, &f), -1);
	assert_int_equal(x.ctr.records_invalid, 1);
	ipfixd_exp_fini(&x);
}

/* A message still open when the queue is sent moves to the front intact. */
static void test_export_open_message_moves(void **state)
{
	struct ipfixd_conf c = { .ncoll = 1, .mtu = 1400, .every_msgs = 0 };
	struct ipfixd_exp x;
	struct muisp_nl_flow f;
	unsigned int n;
	uint64_t i;

	memset(nsent, 0, sizeof(nsent));
	fail_coll1 = 0;
	assert_int_equal(ipfixd_exp_init(&x, &c, fake_send, NULL), 0);
	for (i = 1; i <= 25; i++) { /* one full message and an open one */
		flow(&f, i);
		ipfixd_exp_record(&x, &f);
	}
	n = x.nq;
	assert_true(n >= 1);
	ipfixd_exp_send(&x);
	assert_int_equal(nsent[0], n);
	assert_true(x.open);
	assert_ptr_equal(x.m.buf, x.bufs);
	ipfixd_exp_flush(&x);
	assert_int_equal(nsent[0], n + 1);
	assert_int_equal(x.ctr.records_exported, 25);
	ipfixd_exp_fini(&x);
}

static void test_config(void **state)
{
	struct ipfixd_conf c;
	char err[256];

	assert_int_equal(
		ipfixd_config_parse("t",
				    "ipfix-collector 192.0.2.5:4739\n"
				    "ipfix-collector [2001:db8::5]:2055\n"
				    "ipfix-domain-id 42\nipfix-flush-ms 250\n"
				    "ipfix-template-refresh 2m\n"
				    "ipfix-rcvbuf 16Mi\n",
				    &c, err, sizeof(err)),
		0);
	assert_int_equal(c.ncoll, 2);
	assert_int_equal(c.coll[1].sa.ss_family, AF_INET6);
	assert_int_equal(c.domain_id, 42);
	assert_int_equal(c.flush_ms, 250);
	assert_int_equal(c.refresh_s, 120);
	assert_int_equal(c.every_msgs, 64);
	assert_int_equal(c.mtu, 1400);
	assert_int_equal(c.rcvbuf, 16u << 20);
	assert_string_equal(c.socket, "/run/muisp/ipfixd.sock");
	assert_int_equal(ipfixd_config_parse("t", "ipfix-domain-id 1\n", &c,
					     err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "no ipfix-collector"));
	assert_int_equal(ipfixd_config_parse("t",
					     "ipfix-collector 2001:db8::5:1\n",
					     &c, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "t:1: ipfix-collector"));
	assert_int_equal(ipfixd_config_parse("t",
					     "ipfix-collector 1.2.3.4:1\n"
					     "ipfix-mtu 100\n",
					     &c, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "t:2:"));
	assert_int_equal(ipfixd_config_parse("t",
					     "ipfix-collector 1.2.3.4:1\n"
					     "ipfix-collector 1.2.3.4:2\n"
					     "ipfix-collector 1.2.3.4:3\n"
					     "ipfix-collector 1.2.3.4:4\n"
					     "ipfix-collector 1.2.3.4:5\n",
					     &c, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "t:5: ipfix-collector: at most 4"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seq_in_order_and_gaps),
		cmocka_unit_test(test_seq_late_and_duplicate),
		cmocka_unit_test(test_seq_restart),
		cmocka_unit_test(test_seq_lost_saturates),
		cmocka_unit_test(test_export_accounting),
		cmocka_unit_test(test_export_open_message_moves),
		cmocka_unit_test(test_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

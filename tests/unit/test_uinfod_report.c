// SPDX-License-Identifier: GPL-2.0
/*
 * The out-of-band-packet scheme's reports (daemon/uinfod/report.c): the
 * module's reports handed in with a clock of the test's, the messages
 * caught by a send function of the test's.  A flow's first report is
 * sent at once with its counts, later ones are summed and sent at the
 * tick with the exact sums; flows differ by any of the five-tuple and by
 * user; user 0, ICMP and bad addresses are skipped; a full table flushes
 * and reuses the flow reported least recently; a flow idle for 30 s is
 * forgotten; nothing is sent while the session is down, and going down
 * forgets every flow; a failing send is counted dropped, as is a send
 * that ends the session in the middle of a tick.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "muisp_nl.h"
#include "daemon/uinfod/uinfod.h"

#define SENT_MAX 256

/* What the send function saw; fail: refuse the next sends; down_at:
 * the send with this number (1-based) ends the session. */
struct sink {
	struct uinfod_report *r;
	struct uinfod_report_msg m[SENT_MAX];
	unsigned int n, calls;
	int fail;
	unsigned int down_at;
};

static int sink_send(void *arg, const struct uinfod_report_msg *m)
{
	struct sink *k = arg;

	k->calls++;
	if (k->down_at && k->calls == k->down_at) {
		/* as the session failing in send: down() from inside */
		uinfod_report_up(k->r, 0);
		return -1;
	}
	if (k->fail)
		return -1;
	assert_true(k->n < SENT_MAX);
	k->m[k->n++] = *m;
	return 0;
}

static struct sink *sink_new(unsigned int max)
{
	struct sink *k = calloc(1, sizeof(*k));

	assert_non_null(k);
	k->r = uinfod_report_new(max, sink_send, k);
	assert_non_null(k->r);
	uinfod_report_up(k->r, 1);
	return k;
}

static void sink_free(struct sink *k)
{
	uinfod_report_free(k->r);
	free(k);
}

static void ip(struct muisp_nl_ip *a, const char *text)
{
	memset(a, 0, sizeof(*a));
	a->family = strchr(text, ':') ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(a->family, text, a->a), 1);
}

/* A report of user's packet from 192.0.2.50:port to 198.51.100.7:443. */
static struct muisp_nl_tag_report rep(uint8_t proto, uint16_t port,
				      uint32_t user, uint32_t bytes,
				      uint32_t packets)
{
	struct muisp_nl_tag_report r;

	memset(&r, 0, sizeof(r));
	r.uid = 1000 + user;
	r.user = user;
	r.proto = proto;
	ip(&r.addr, "192.0.2.50");
	r.port = port;
	ip(&r.peer, "198.51.100.7");
	r.peer_port = 443;
	r.bytes = bytes;
	r.packets = packets;
	return r;
}

static void add(struct sink *k, struct muisp_nl_tag_report r, uint64_t now)
{
	uinfod_report_add(k->r, &r, now);
}

/* Message i is the flow (proto, port, user) from 192.0.2.50 to
 * 198.51.100.7:443 with bytes and packets. */
static void msg_is(const struct sink *k, unsigned int i, uint8_t proto,
		   uint16_t port, uint32_t user, uint64_t bytes,
		   uint64_t packets)
{
	uint8_t a[16] = { 0 }, p[16] = { 0 };
	const struct uinfod_report_msg *m;

	assert_true(i < k->n);
	m = &k->m[i];
	inet_pton(AF_INET, "192.0.2.50", a);
	inet_pton(AF_INET, "198.51.100.7", p);
	assert_int_equal(m->proto, proto);
	assert_int_equal(m->family, AF_INET);
	assert_int_equal(m->port, port);
	assert_int_equal(m->peer_port, 443);
	assert_int_equal(m->user, user);
	assert_memory_equal(m->addr, a, 16);
	assert_memory_equal(m->peer, p, 16);
	assert_true(m->bytes == bytes);
	assert_true(m->packets == packets);
}

static struct uinfod_report_stats stats(const struct sink *k)
{
	struct uinfod_report_stats st;

	uinfod_report_stats(k->r, &st);
	return st;
}

/* The first report of a flow goes at once with its counts; the next ones
 * are summed and go at the tick, one message with the exact sums; a tick
 * with nothing new sends nothing. */
static void test_first_then_sums(void **state)
{
	struct sink *k = sink_new(16);
	struct uinfod_report_stats st;

	(void)state;
	add(k, rep(IPPROTO_TCP, 40000, 7, 60, 1), 1000);
	assert_int_equal(k->n, 1);
	msg_is(k, 0, IPPROTO_TCP, 40000, 7, 60, 1);
	add(k, rep(IPPROTO_TCP, 40000, 7, 1500, 1), 1100);
	add(k, rep(IPPROTO_TCP, 40000, 7, 3000, 2), 1200); /* GSO: 2 */
	add(k, rep(IPPROTO_TCP, 40000, 7, 52, 1), 1300);
	assert_int_equal(k->n, 1); /* summed, not sent */
	uinfod_report_tick(k->r, 2000);
	assert_int_equal(k->n, 2);
	msg_is(k, 1, IPPROTO_TCP, 40000, 7, 4552, 4);
	uinfod_report_tick(k->r, 3000);
	assert_int_equal(k->n, 2);
	/* the sums started again from 0 */
	add(k, rep(IPPROTO_TCP, 40000, 7, 100, 1), 3500);
	assert_int_equal(k->n, 2);
	uinfod_report_tick(k->r, 4000);
	assert_int_equal(k->n, 3);
	msg_is(k, 2, IPPROTO_TCP, 40000, 7, 100, 1);
	st = stats(k);
	assert_int_equal(st.read, 5);
	assert_int_equal(st.sent, 3);
	assert_int_equal(st.coalesced, 4);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.down, 0);
	assert_int_equal(st.skipped, 0);
	assert_int_equal(st.flows, 1);
	sink_free(k);
}

/* Flows differ by port, protocol, peer and user (the same five-tuple
 * under another user is another flow); an IPv6 flow; each flow's sums
 * go in a message of its own. */
static void test_flows_apart(void **state)
{
	struct sink *k = sink_new(16);
	struct muisp_nl_tag_report v6, other_peer;
	const struct uinfod_report_msg *m;
	uint8_t a6[16], p6[16];
	unsigned int i, seen = 0;

	(void)state;
	add(k, rep(IPPROTO_TCP, 40000, 7, 60, 1), 1000);
	add(k, rep(IPPROTO_TCP, 40001, 7, 61, 1), 1000);
	add(k, rep(IPPROTO_UDP, 40000, 7, 62, 1), 1000);
	add(k, rep(IPPROTO_TCP, 40000, 8, 63, 1), 1000);
	other_peer = rep(IPPROTO_TCP, 40000, 7, 64, 1);
	other_peer.peer_port = 80;
	uinfod_report_add(k->r, &other_peer, 1000);
	v6 = rep(IPPROTO_UDP, 5353, 9, 100, 1);
	ip(&v6.addr, "2001:db8::50");
	ip(&v6.peer, "2001:db8::1");
	uinfod_report_add(k->r, &v6, 1000);
	assert_int_equal(k->n, 6); /* six flows, each sent at once */
	msg_is(k, 0, IPPROTO_TCP, 40000, 7, 60, 1);
	msg_is(k, 1, IPPROTO_TCP, 40001, 7, 61, 1);
	msg_is(k, 2, IPPROTO_UDP, 40000, 7, 62, 1);
	msg_is(k, 3, IPPROTO_TCP, 40000, 8, 63, 1);
	assert_int_equal(k->m[4].peer_port, 80);
	m = &k->m[5];
	inet_pton(AF_INET6, "2001:db8::50", a6);
	inet_pton(AF_INET6, "2001:db8::1", p6);
	assert_int_equal(m->family, AF_INET6);
	assert_memory_equal(m->addr, a6, 16);
	assert_memory_equal(m->peer, p6, 16);
	assert_int_equal(m->port, 5353);
	assert_int_equal(m->user, 9);
	assert_int_equal(stats(k).flows, 6);

	/* more of each: summed per flow */
	add(k, rep(IPPROTO_TCP, 40000, 7, 1000, 1), 1100);
	add(k, rep(IPPROTO_TCP, 40000, 8, 2000, 2), 1100);
	add(k, rep(IPPROTO_TCP, 40000, 7, 10, 1), 1200);
	add(k, rep(IPPROTO_UDP, 40000, 7, 300, 3), 1200);
	v6.bytes = 5;
	uinfod_report_add(k->r, &v6, 1300);
	assert_int_equal(k->n, 6);
	uinfod_report_tick(k->r, 2000);
	assert_int_equal(k->n, 10);
	for (i = 6; i < 10; i++) {
		m = &k->m[i];
		if (m->family == AF_INET6) {
			assert_true(m->bytes == 5 && m->packets == 1);
			seen |= 1;
		} else if (m->user == 8) {
			msg_is(k, i, IPPROTO_TCP, 40000, 8, 2000, 2);
			seen |= 2;
		} else if (m->proto == IPPROTO_UDP) {
			msg_is(k, i, IPPROTO_UDP, 40000, 7, 300, 3);
			seen |= 4;
		} else {
			msg_is(k, i, IPPROTO_TCP, 40000, 7, 1010, 2);
			seen |= 8;
		}
	}
	assert_int_equal(seen, 15);
	assert_int_equal(stats(k).coalesced, 5);
	sink_free(k);
}

/* User 0 (not mapped: the module should not say it), ICMP, an address
 * of no family or two families: skipped, counted, nothing sent. */
static void test_skipped(void **state)
{
	struct sink *k = sink_new(16);
	struct muisp_nl_tag_report r;
	struct uinfod_report_stats st;

	(void)state;
	add(k, rep(IPPROTO_TCP, 40000, 0, 60, 1), 1000);
	add(k, rep(IPPROTO_ICMP, 0, 7, 84, 1), 1000);
	add(k, rep(IPPROTO_SCTP, 40000, 7, 84, 1), 1000);
	r = rep(IPPROTO_UDP, 40000, 7, 84, 1);
	r.addr.family = 0;
	uinfod_report_add(k->r, &r, 1000);
	r = rep(IPPROTO_UDP, 40000, 7, 84, 1);
	ip(&r.peer, "2001:db8::1");
	uinfod_report_add(k->r, &r, 1000);
	uinfod_report_tick(k->r, 2000);
	assert_int_equal(k->n, 0);
	st = stats(k);
	assert_int_equal(st.read, 5);
	assert_int_equal(st.skipped, 5);
	assert_int_equal(st.sent, 0);
	assert_int_equal(st.flows, 0);
	sink_free(k);
}

/*
 * A table of 3: a fourth flow flushes the one reported least recently
 * (its pending sums sent first) and takes its place; that flow, reported
 * again, is new: sent at once.  A report moves its flow to the front.
 */
static void test_full(void **state)
{
	struct sink *k = sink_new(3);
	struct uinfod_report_stats st;

	(void)state;
	add(k, rep(IPPROTO_TCP, 1, 7, 10, 1), 1000);
	add(k, rep(IPPROTO_TCP, 2, 7, 20, 1), 1001);
	add(k, rep(IPPROTO_TCP, 3, 7, 30, 1), 1002);
	/* 1 and 2 reported again (sums pending): 3 is the oldest, reported
	 * at 1002 and not since */
	add(k, rep(IPPROTO_TCP, 1, 7, 100, 1), 1003);
	add(k, rep(IPPROTO_TCP, 2, 7, 200, 2), 1004);
	add(k, rep(IPPROTO_TCP, 1, 7, 1000, 1), 1005);
	assert_int_equal(k->n, 3);
	/* a fourth: 3 goes (nothing pending: no message for it) */
	add(k, rep(IPPROTO_TCP, 4, 7, 40, 1), 1006);
	assert_int_equal(k->n, 4);
	msg_is(k, 3, IPPROTO_TCP, 4, 7, 40, 1);
	st = stats(k);
	assert_int_equal(st.evicted, 1);
	assert_int_equal(st.flows, 3);
	/* a fifth: 2 is the oldest now, its sums flushed before the new
	 * flow's message */
	add(k, rep(IPPROTO_TCP, 5, 7, 50, 1), 1007);
	assert_int_equal(k->n, 6);
	msg_is(k, 4, IPPROTO_TCP, 2, 7, 200, 2);
	msg_is(k, 5, IPPROTO_TCP, 5, 7, 50, 1);
	/* 3 again: new, at once (and 1 flushed to make room) */
	add(k, rep(IPPROTO_TCP, 3, 7, 33, 1), 1008);
	assert_int_equal(k->n, 8);
	msg_is(k, 6, IPPROTO_TCP, 1, 7, 1100, 2);
	msg_is(k, 7, IPPROTO_TCP, 3, 7, 33, 1);
	/* the tick: nothing was summed since (4, 5, 3 sent at once) */
	uinfod_report_tick(k->r, 2000);
	assert_int_equal(k->n, 8);
	st = stats(k);
	assert_int_equal(st.evicted, 3);
	assert_int_equal(st.flows, 3);
	assert_int_equal(st.sent, 8);
	assert_int_equal(st.dropped, 0);

	/* a table of one */
	sink_free(k);
	k = sink_new(1);
	add(k, rep(IPPROTO_UDP, 1, 7, 10, 1), 1000);
	add(k, rep(IPPROTO_UDP, 1, 7, 11, 1), 1000);
	add(k, rep(IPPROTO_UDP, 2, 7, 12, 1), 1000);
	assert_int_equal(k->n, 3);
	msg_is(k, 1, IPPROTO_UDP, 1, 7, 11, 1);
	msg_is(k, 2, IPPROTO_UDP, 2, 7, 12, 1);
	assert_int_equal(stats(k).flows, 1);
	sink_free(k);
}

/* Many flows through a table of 64 (40 hot ones, 200 cold ones now
 * and then): it never holds more, and every byte and packet reported
 * goes in exactly one message, at once, at a tick or flushed. */
static void test_churn(void **state)
{
	struct sink *k = sink_new(64);
	uint64_t bytes = 0, pkts = 0, want = 0;
	struct uinfod_report_stats st;
	unsigned int i;

	(void)state;
	for (i = 0; i < 5000; i++) {
		uint16_t port = (uint16_t)(i % 5 ? 1 + i % 40 :
						   100 + (i * 7919u) % 200);

		add(k, rep(IPPROTO_UDP, port, 1 + i % 2, 1 + i % 50, 1),
		    1000 + i);
		want += 1 + i % 50;
		if (k->n >= SENT_MAX - 2) {
			for (unsigned int j = 0; j < k->n; j++) {
				bytes += k->m[j].bytes;
				pkts += k->m[j].packets;
			}
			k->n = 0;
		}
		assert_true(stats(k).flows <= 64);
		if (i % 100 == 99) {
			uinfod_report_tick(k->r, 1000 + i);
			for (unsigned int j = 0; j < k->n; j++) {
				bytes += k->m[j].bytes;
				pkts += k->m[j].packets;
			}
			k->n = 0;
		}
	}
	uinfod_report_tick(k->r, 1000 + i);
	for (unsigned int j = 0; j < k->n; j++) {
		bytes += k->m[j].bytes;
		pkts += k->m[j].packets;
	}
	assert_true(bytes == want);
	assert_int_equal(pkts, 5000);
	st = stats(k);
	assert_int_equal(st.read, 5000);
	assert_true(st.coalesced > 0 && st.evicted > 0);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.skipped + st.down, 0);
	sink_free(k);
}

/* A flow not reported for 30 s is forgotten at a tick; its next report
 * is a first again. */
static void test_idle(void **state)
{
	struct sink *k = sink_new(16);

	(void)state;
	add(k, rep(IPPROTO_TCP, 40000, 7, 60, 1), 10000);
	add(k, rep(IPPROTO_TCP, 40000, 7, 70, 1), 10500);
	add(k, rep(IPPROTO_TCP, 40001, 7, 80, 1), 20000);
	uinfod_report_tick(k->r, 11000);
	assert_int_equal(k->n, 3);
	msg_is(k, 2, IPPROTO_TCP, 40000, 7, 70, 1);
	uinfod_report_tick(k->r, 40499); /* 29.999 s */
	assert_int_equal(stats(k).flows, 2);
	uinfod_report_tick(k->r, 40500); /* 30 s: the first goes */
	assert_int_equal(stats(k).flows, 1);
	assert_int_equal(stats(k).forgotten, 1);
	add(k, rep(IPPROTO_TCP, 40000, 7, 90, 1), 40600);
	assert_int_equal(k->n, 4);
	msg_is(k, 3, IPPROTO_TCP, 40000, 7, 90, 1);
	/* the other, reported at 20 s, at 50 s */
	uinfod_report_tick(k->r, 49999);
	assert_int_equal(stats(k).flows, 2);
	uinfod_report_tick(k->r, 50000);
	assert_int_equal(stats(k).flows, 1);
	assert_int_equal(stats(k).forgotten, 2);
	assert_int_equal(k->n, 4);
	sink_free(k);
}

/* Down: nothing is sent and the reports are counted; going down forgets
 * every flow, the pending sums counted dropped; up again, each flow's
 * first report goes at once. */
static void test_down(void **state)
{
	struct sink *k;
	struct uinfod_report_stats st;

	(void)state;
	k = calloc(1, sizeof(*k));
	assert_non_null(k);
	k->r = uinfod_report_new(16, sink_send, k);
	assert_non_null(k->r);
	/* down from the start */
	add(k, rep(IPPROTO_TCP, 40000, 7, 60, 1), 1000);
	uinfod_report_tick(k->r, 2000);
	assert_int_equal(k->n, 0);
	st = stats(k);
	assert_int_equal(st.read, 1);
	assert_int_equal(st.down, 1);
	assert_int_equal(st.flows, 0);

	uinfod_report_up(k->r, 1);
	add(k, rep(IPPROTO_TCP, 40000, 7, 60, 1), 3000);
	add(k, rep(IPPROTO_TCP, 40000, 7, 70, 1), 3100);
	add(k, rep(IPPROTO_UDP, 40000, 7, 80, 1), 3200);
	assert_int_equal(k->n, 2);
	uinfod_report_up(k->r, 0);
	st = stats(k);
	assert_int_equal(st.flows, 0);
	assert_int_equal(st.dropped, 1); /* the TCP flow's 70 bytes */
	add(k, rep(IPPROTO_TCP, 40000, 7, 90, 1), 3300);
	uinfod_report_tick(k->r, 4000);
	assert_int_equal(k->n, 2);
	assert_int_equal(stats(k).down, 2);

	uinfod_report_up(k->r, 1);
	uinfod_report_up(k->r, 1); /* again: nothing changes */
	add(k, rep(IPPROTO_TCP, 40000, 7, 100, 1), 5000);
	assert_int_equal(k->n, 3);
	msg_is(k, 2, IPPROTO_TCP, 40000, 7, 100, 1);
	sink_free(k);
}

/* A send that fails (no session, its queue full) is counted dropped and
 * logged; the flow stays, and its later sums go when sends work again. */
static void test_send_fails(void **state)
{
	struct sink *k = sink_new(16);
	struct uinfod_report_stats st;

	(void)state;
	k->fail = 1;
	add(k, rep(IPPROTO_TCP, 40000, 7, 60, 1), 1000);
	add(k, rep(IPPROTO_TCP, 40000, 7, 70, 1), 1100);
	uinfod_report_tick(k->r, 2000);
	assert_int_equal(k->n, 0);
	st = stats(k);
	assert_int_equal(st.dropped, 2);
	assert_int_equal(st.sent, 0);
	assert_int_equal(st.flows, 1);
	k->fail = 0;
	add(k, rep(IPPROTO_TCP, 40000, 7, 80, 1), 2100);
	assert_int_equal(k->n, 0); /* known: summed */
	uinfod_report_tick(k->r, 3000);
	assert_int_equal(k->n, 1);
	msg_is(k, 0, IPPROTO_TCP, 40000, 7, 80, 1); /* not the 70 dropped */
	st = stats(k);
	assert_int_equal(st.dropped, 2);
	assert_int_equal(st.sent, 1);
	sink_free(k);
}

/* A send that ends the session (down() called from inside it) in the
 * middle of a tick, and on a new flow: the rest is not sent, every flow
 * is forgotten, and nothing is added while down. */
static void test_down_in_send(void **state)
{
	struct sink *k = sink_new(16);
	struct uinfod_report_stats st;

	(void)state;
	add(k, rep(IPPROTO_TCP, 1, 7, 10, 1), 1000);
	add(k, rep(IPPROTO_TCP, 2, 7, 20, 1), 1000);
	add(k, rep(IPPROTO_TCP, 3, 7, 30, 1), 1000);
	add(k, rep(IPPROTO_TCP, 1, 7, 11, 1), 1100);
	add(k, rep(IPPROTO_TCP, 2, 7, 21, 1), 1100);
	add(k, rep(IPPROTO_TCP, 3, 7, 31, 1), 1100);
	assert_int_equal(k->n, 3);
	k->down_at = k->calls + 2; /* the second sum of the tick */
	uinfod_report_tick(k->r, 2000);
	assert_int_equal(k->n, 4);
	st = stats(k);
	assert_int_equal(st.flows, 0);
	assert_int_equal(st.sent, 4);
	/* the one whose send failed, and the one left pending */
	assert_int_equal(st.dropped, 2);

	uinfod_report_up(k->r, 1);
	k->down_at = k->calls + 1;
	add(k, rep(IPPROTO_UDP, 9, 7, 10, 1), 3000);
	st = stats(k);
	assert_int_equal(st.flows, 0);
	assert_int_equal(st.dropped, 3);
	add(k, rep(IPPROTO_UDP, 9, 7, 10, 1), 3100);
	assert_int_equal(stats(k).down, 1);
	sink_free(k);
}

/* The counters' line and overruns; a table of no flows or too many is
 * refused. */
static void test_misc(void **state)
{
	struct sink *k = sink_new(4);

	(void)state;
	uinfod_report_overrun(k->r);
	uinfod_report_overrun(k->r);
	assert_int_equal(stats(k).overruns, 2);
	uinfod_report_log(k->r, 1000, 1);
	uinfod_report_tick(k->r, 1000);
	uinfod_report_tick(k->r, 61000);
	sink_free(k);
	errno = 0;
	assert_null(uinfod_report_new(0, sink_send, NULL));
	assert_int_equal(errno, EINVAL);
	assert_null(uinfod_report_new(UINFOD_REPORT_FLOWS_LIMIT + 1, sink_send,
				      NULL));
	assert_null(uinfod_report_new(4, NULL, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_then_sums),
		cmocka_unit_test(test_flows_apart),
		cmocka_unit_test(test_skipped),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_churn),
		cmocka_unit_test(test_idle),
		cmocka_unit_test(test_down),
		cmocka_unit_test(test_send_fails),
		cmocka_unit_test(test_down_in_send),
		cmocka_unit_test(test_misc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

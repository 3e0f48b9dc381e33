// SPDX-License-Identifier: GPL-2.0
/* muisp-agentx's notification decisions (daemon/agentx/notify.c) with a
 * fake sender: module events, pool exhausted and its re-arm, the drop
 * rate's interval, threshold and hysteresis, export loss, and the edge
 * cases (first look, counters going backwards, sources going away). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/agentx/notify.h"

#define MAXT 16
static struct ax_trap sent[MAXT];
static unsigned int nsent;

static void fake_send(const struct ax_trap *t, void *arg)
{
	assert_ptr_equal(arg, &nsent);
	assert_true(nsent < MAXT);
	sent[nsent++] = *t;
}

static unsigned int look(struct ax_notify *n, const struct ax_notify_in *in)
{
	nsent = 0;
	return ax_notify_look(n, in, fake_send, &nsent);
}

static void test_events(void **state)
{
	struct muisp_nl_event ev;
	struct ax_trap t;
	static const struct {
		uint8_t type;
		int kind;
	} map[] = {
		{ MUISP_EVENT_SOFT_LIMIT, AX_TRAP_SOFT_LIMIT },
		{ MUISP_EVENT_HARD_LIMIT, AX_TRAP_HARD_LIMIT },
		{ MUISP_EVENT_EXPIRED, AX_TRAP_EXPIRED },
		{ MUISP_EVENT_ADDR_STATE, 0 },
		{ MUISP_EVENT_UNSPEC, 0 },
		{ 200, 0 },
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		memset(&ev, 0, sizeof(ev));
		ev.type = map[i].type;
		ev.contract_id = 0x0102030405060708ULL;
		MUISP_NL_SET(&ev, MUISP_EVENT_A_CONTRACT_ID);
		ev.used = 1500;
		MUISP_NL_SET(&ev, MUISP_EVENT_A_USED);
		ev.limit = 1000;
		MUISP_NL_SET(&ev, MUISP_EVENT_A_LIMIT);
		memset(&t, 0xaa, sizeof(t));
		assert_int_equal(ax_notify_from_event(&ev, &t), !!map[i].kind);
		if (!map[i].kind)
			continue;
		assert_int_equal(t.kind, map[i].kind);
		assert_true(t.contract_id == 0x0102030405060708ULL);
		assert_true(t.used == 1500);
		assert_true(t.limit == 1000);
	}
	/* expiry without used/limit: zeros, not stale bytes */
	memset(&ev, 0, sizeof(ev));
	ev.type = MUISP_EVENT_EXPIRED;
	ev.contract_id = 9;
	ev.used = 77; /* not flagged present */
	MUISP_NL_SET(&ev, MUISP_EVENT_A_CONTRACT_ID);
	assert_int_equal(ax_notify_from_event(&ev, &t), 1);
	assert_true(t.contract_id == 9 && t.used == 0 && t.limit == 0);
	/* no contract id: nothing to name, no trap */
	memset(&ev, 0, sizeof(ev));
	ev.type = MUISP_EVENT_HARD_LIMIT;
	assert_int_equal(ax_notify_from_event(&ev, &t), 0);
}

static void pools_in(struct ax_notify_in *in, struct ax_pool_free *p,
		     unsigned int n)
{
	memset(in, 0, sizeof(*in));
	in->have_pools = 1;
	in->pools = p;
	in->npools = n;
}

static void test_pool_exhausted(void **state)
{
	struct ax_pool_free p[2] = {
		{ "lan0", 10, 3 },
		{ "lan1", 4, 0 },
	};
	struct ax_notify n;
	struct ax_notify_in in;

	(void)state;
	ax_notify_setup(&n, 0, 10, 1);
	pools_in(&in, p, 2);
	/* first look: lan1 is empty already, not "went to 0": no trap */
	assert_int_equal(look(&n, &in), 0);
	p[0].free = 1;
	assert_int_equal(look(&n, &in), 0);
	p[0].free = 0;
	assert_int_equal(look(&n, &in), 1);
	assert_int_equal(sent[0].kind, AX_TRAP_POOL_EXHAUSTED);
	assert_string_equal(sent[0].pool_name, "lan0");
	assert_int_equal(sent[0].pool_index, 1);
	assert_int_equal(sent[0].pool_size, 10);
	/* still empty: once */
	assert_int_equal(look(&n, &in), 0);
	/* 1 free is not above pool-low-rearm 1: not re-armed */
	p[0].free = 1;
	assert_int_equal(look(&n, &in), 0);
	p[0].free = 0;
	assert_int_equal(look(&n, &in), 0);
	/* 2 free re-arms; empty again: a second trap */
	p[0].free = 2;
	assert_int_equal(look(&n, &in), 0);
	p[0].free = 0;
	assert_int_equal(look(&n, &in), 1);
	/* lan1 fills up: armed; then empty: its trap, index 2 */
	p[1].free = 2;
	assert_int_equal(look(&n, &in), 0);
	p[1].free = 0;
	assert_int_equal(look(&n, &in), 1);
	assert_string_equal(sent[0].pool_name, "lan1");
	assert_int_equal(sent[0].pool_index, 2);
}

static void test_pool_edges(void **state)
{
	struct ax_pool_free p[2] = { { "lan0", 0, 0 }, { "lan1", 5, 5 } };
	struct ax_notify n;
	struct ax_notify_in in;

	(void)state;
	/* pool-low-rearm 0: any free address re-arms */
	ax_notify_setup(&n, 0, 10, 0);
	pools_in(&in, p, 2);
	assert_int_equal(look(&n, &in), 0);
	/* a pool of size 0 never traps */
	assert_int_equal(look(&n, &in), 0);
	p[1].free = 0;
	assert_int_equal(look(&n, &in), 1);
	p[1].free = 1;
	assert_int_equal(look(&n, &in), 0);
	p[1].free = 0;
	assert_int_equal(look(&n, &in), 1);
	/* the database not read: pools keep their state */
	in.have_pools = 0;
	p[1].free = 3;
	assert_int_equal(look(&n, &in), 0);
	in.have_pools = 1;
	p[1].free = 0;
	assert_int_equal(look(&n, &in), 0); /* it never saw 3: still disarmed */
	/* a pool that disappears is forgotten; it comes back as new (first
	 * sight with no free address: not armed) */
	pools_in(&in, p, 1);
	assert_int_equal(look(&n, &in), 0);
	assert_int_equal(n.npools, 1);
	pools_in(&in, p, 2);
	assert_int_equal(look(&n, &in), 0);
	/* renamed order (a reload): state follows the name */
	{
		struct ax_pool_free q[2] = { { "lan1", 5, 4 },
					     { "lan0", 0, 0 } };

		pools_in(&in, q, 2);
		assert_int_equal(look(&n, &in), 0);
		q[0].free = 0;
		assert_int_equal(look(&n, &in), 1);
		assert_int_equal(sent[0].pool_index, 1);
		assert_string_equal(sent[0].pool_name, "lan1");
	}
}

static void drops_in(struct ax_notify_in *in, uint64_t ms, uint64_t drops)
{
	memset(in, 0, sizeof(*in));
	in->now_ms = ms;
	in->have_drops = 1;
	in->drops = drops;
}

static void test_drop_rate(void **state)
{
	struct ax_notify n;
	struct ax_notify_in in;

	(void)state;
	ax_notify_setup(&n, 100, 10, 1); /* 100 drops/s over 10 s */
	drops_in(&in, 1000, 5000);
	assert_int_equal(look(&n, &in), 0); /* the base */
	/* 5 s later, 500 more: too early to judge */
	drops_in(&in, 6000, 5500);
	assert_int_equal(look(&n, &in), 0);
	assert_true(n.drop_base == 5000);
	/* 10 s after the base: 1000 drops = 100/s: not above */
	drops_in(&in, 11000, 6000);
	assert_int_equal(look(&n, &in), 0);
	assert_true(n.drop_rate == 100);
	/* the next 10 s: 1010 drops = 101/s: over */
	drops_in(&in, 21000, 7010);
	assert_int_equal(look(&n, &in), 1);
	assert_int_equal(sent[0].kind, AX_TRAP_DROP_RATE);
	assert_true(sent[0].rate == 101 && sent[0].threshold == 100);
	/* still over: no repeat */
	drops_in(&in, 31000, 9010);
	assert_int_equal(look(&n, &in), 0);
	/* 50/s is not below half: still disarmed */
	drops_in(&in, 41000, 9510);
	assert_int_equal(look(&n, &in), 0);
	drops_in(&in, 51000, 20000);
	assert_int_equal(look(&n, &in), 0);
	/* 49/s re-arms, then over again: a second trap */
	drops_in(&in, 61000, 20490);
	assert_int_equal(look(&n, &in), 0);
	drops_in(&in, 71000, 30000);
	assert_int_equal(look(&n, &in), 1);
	/* module reloaded (counter back to 0): a new base, no rate */
	drops_in(&in, 81000, 10);
	assert_int_equal(look(&n, &in), 0);
	assert_true(n.drop_base == 10 && n.drop_base_ms == 81000);
	/* module gone: the base is dropped; back: a new base */
	memset(&in, 0, sizeof(in));
	in.now_ms = 91000;
	assert_int_equal(look(&n, &in), 0);
	assert_int_equal(n.drop_base_valid, 0);
	drops_in(&in, 92000, 1000000);
	assert_int_equal(look(&n, &in), 0);
	/* a long interval counts as one: 2000 drops over 20 s = 100/s */
	drops_in(&in, 112000, 1002000);
	assert_int_equal(look(&n, &in), 0);
	assert_true(n.drop_rate == 100);
}

static void test_drop_rate_off(void **state)
{
	struct ax_notify n;
	struct ax_notify_in in;

	(void)state;
	ax_notify_setup(&n, 0, 1, 1);
	drops_in(&in, 0, 0);
	assert_int_equal(look(&n, &in), 0);
	drops_in(&in, 1000, UINT64_MAX / 2);
	assert_int_equal(look(&n, &in), 0); /* threshold 0: off */
	/* a huge count does not overflow the rate */
	assert_true(n.drop_rate == UINT64_MAX / 2);
	drops_in(&in, 2000, UINT64_MAX);
	look(&n, &in);
	assert_true(n.drop_rate == UINT64_MAX / 2 + 1);
	/* odd threshold: re-armed below 1.5/s, i.e. at 1/s */
	ax_notify_setup(&n, 3, 1, 1);
	drops_in(&in, 0, 0);
	look(&n, &in);
	drops_in(&in, 1000, 4);
	assert_int_equal(look(&n, &in), 1);
	drops_in(&in, 2000, 6);
	assert_int_equal(look(&n, &in), 0); /* 2/s: not below 1.5 */
	drops_in(&in, 3000, 10);
	assert_int_equal(look(&n, &in), 0);
	drops_in(&in, 4000, 11);
	assert_int_equal(look(&n, &in), 0); /* 1/s: re-armed */
	drops_in(&in, 5000, 15);
	assert_int_equal(look(&n, &in), 1);
}

static void ipfix_in(struct ax_notify_in *in, uint64_t o, uint64_t s)
{
	memset(in, 0, sizeof(*in));
	in->have_ipfix = 1;
	in->lost_overrun = o;
	in->lost_send = s;
}

static void test_export_loss(void **state)
{
	struct ax_notify n;
	struct ax_notify_in in;

	(void)state;
	ax_notify_setup(&n, 0, 10, 1);
	ipfix_in(&in, 5, 7);
	assert_int_equal(look(&n, &in), 0); /* first look: the base */
	assert_int_equal(look(&n, &in), 0); /* unchanged */
	ipfix_in(&in, 6, 7);
	assert_int_equal(look(&n, &in), 1);
	assert_int_equal(sent[0].kind, AX_TRAP_EXPORT_LOSS);
	assert_true(sent[0].lost_overrun == 6 && sent[0].lost_send == 7);
	ipfix_in(&in, 6, 9);
	assert_int_equal(look(&n, &in), 1);
	assert_true(sent[0].lost_send == 9);
	/* ipfixd restarted: lower counters are a new base */
	ipfix_in(&in, 0, 1);
	assert_int_equal(look(&n, &in), 0);
	ipfix_in(&in, 0, 2);
	assert_int_equal(look(&n, &in), 1);
	/* ipfixd away, then back with the same counters: new base */
	memset(&in, 0, sizeof(in));
	assert_int_equal(look(&n, &in), 0);
	ipfix_in(&in, 100, 200);
	assert_int_equal(look(&n, &in), 0);
}

static void test_all_at_once(void **state)
{
	struct ax_pool_free p[1] = { { "lan0", 2, 2 } };
	struct ax_notify n;
	struct ax_notify_in in;

	(void)state;
	ax_notify_setup(&n, 10, 1, 1);
	pools_in(&in, p, 1);
	in.have_drops = 1;
	in.have_ipfix = 1;
	assert_int_equal(look(&n, &in), 0);
	p[0].free = 0;
	in.now_ms = 1000;
	in.drops = 20;
	in.lost_send = 1;
	assert_int_equal(look(&n, &in), 3);
	assert_int_equal(sent[0].kind, AX_TRAP_POOL_EXHAUSTED);
	assert_int_equal(sent[1].kind, AX_TRAP_DROP_RATE);
	assert_int_equal(sent[2].kind, AX_TRAP_EXPORT_LOSS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_pool_exhausted),
		cmocka_unit_test(test_pool_edges),
		cmocka_unit_test(test_drop_rate),
		cmocka_unit_test(test_drop_rate_off),
		cmocka_unit_test(test_export_loss),
		cmocka_unit_test(test_all_at_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

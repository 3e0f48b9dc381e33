// SPDX-License-Identifier: GPL-2.0
/*
 * Contract (Fig 4) and address (Fig 5) state machines: every state x event,
 * allowed -> exact next state, disallowed -> error and no change.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "contract.h"

#define X  (-1) /* disallowed */
#define U  CS_UNBOUND
#define SU CS_SUSPENDED
#define AC CS_ACTIVE
#define DE CS_DELINQUENT
#define IS CS_IN_SETTLEMENT
#define EX CS_EXTINGUISHED

/* expected[state][event], written from the paper, not from contract.c.
 * CE_EXTEND here is a valid extend (soft < new <= hard, new > usage). */
static const int expected[__CS_COUNT][__CE_COUNT] = {
	/*        bind unbind start susp soft ext hard expire term settle elsew noans */
	[U] = { SU, X, X, X, X, X, EX, EX, IS, X, X, X },
	[SU] = { X, U, AC, X, X, SU, EX, EX, IS, X, SU, U },
	[AC] = { X, U, X, SU, DE, AC, EX, EX, IS, X, AC, U },
	[DE] = { X, U, X, X, X, AC, EX, EX, IS, X, DE, U },
	[IS] = { X, X, X, X, X, X, X, X, X, EX, X, X },
	[EX] = { X, X, X, X, X, X, X, X, X, X, X, X },
};

static void test_exhaustive(void **state)
{
	unsigned allowed = 0, refused = 0;

	for (int s = 0; s < __CS_COUNT; s++) {
		for (int e = 0; e < __CE_COUNT; e++) {
			struct contract_fsm in = {
				.state = (enum contract_state)s,
				.usage = 50,
				.soft = 100,
				.hard = 200,
			};
			struct contract_fsm out;
			int rc = contract_step(&in, (enum contract_event)e, 150,
					       &out);

			if (expected[s][e] == X) {
				assert_int_equal(rc, CONTRACT_E_STATE);
				assert_memory_equal(&in, &out, sizeof(in));
				refused++;
				continue;
			}
			assert_int_equal(rc, CONTRACT_OK);
			assert_int_equal(out.state, expected[s][e]);
			assert_int_equal(out.usage, 50);
			assert_int_equal(out.hard, 200);
			assert_int_equal(out.soft, e == CE_EXTEND ? 150 : 100);
			allowed++;
		}
	}
	/* 6 states x 12 events: 4 + 8 + 9 + 7 + 1 allowed by the figure. */
	assert_int_equal(allowed, 29);
	assert_int_equal(refused, 6 * 12 - 29);
}

static void test_extend_validity(void **state)
{
	struct contract_fsm d = { CS_DELINQUENT, 100, 100, 200 }, out;

	/* Not above the current soft limit / usage. */
	assert_int_equal(contract_step(&d, CE_EXTEND, 100, &out),
			 CONTRACT_E_LIMIT);
	assert_memory_equal(&d, &out, sizeof(d));
	/* Over the hard limit. */
	assert_int_equal(contract_step(&d, CE_EXTEND, 201, &out),
			 CONTRACT_E_LIMIT);
	assert_memory_equal(&d, &out, sizeof(d));
	/* Exactly to the hard limit is valid. */
	assert_int_equal(contract_step(&d, CE_EXTEND, 200, &out), CONTRACT_OK);
	assert_int_equal(out.state, CS_ACTIVE);
	assert_int_equal(out.soft, 200);
	/* Usage already past the new soft limit (elapsed metric). */
	d.usage = 150;
	assert_int_equal(contract_step(&d, CE_EXTEND, 140, &out),
			 CONTRACT_E_LIMIT);
	assert_int_equal(contract_step(&d, CE_EXTEND, 151, &out), CONTRACT_OK);
	/* Out-of-range inputs. */
	assert_int_equal(contract_step(&d, __CE_COUNT, 0, &out),
			 CONTRACT_E_INVAL);
	d.state = __CS_COUNT;
	assert_int_equal(contract_step(&d, CE_BIND, 0, &out), CONTRACT_E_INVAL);
}

static void test_limit_event(void **state)
{
	struct contract_fsm c = { CS_ACTIVE, 99, 100, 200 };

	assert_int_equal(contract_limit_event(&c), -1);
	c.usage = 100;
	assert_int_equal(contract_limit_event(&c), CE_SOFT_LIMIT);
	c.state = CS_SUSPENDED;
	assert_int_equal(contract_limit_event(&c), -1);
	c.state = CS_DELINQUENT;
	assert_int_equal(contract_limit_event(&c), -1);
	c.usage = 200;
	assert_int_equal(contract_limit_event(&c), CE_HARD_LIMIT);
	c.state = CS_UNBOUND;
	assert_int_equal(contract_limit_event(&c), CE_HARD_LIMIT);
	c.state = CS_IN_SETTLEMENT;
	assert_int_equal(contract_limit_event(&c), -1);
	c.state = CS_EXTINGUISHED;
	assert_int_equal(contract_limit_event(&c), -1);
}

/* A whole life: bind, start, soft limit, extend, suspend, resume, hard. */
static void test_lifecycle(void **state)
{
	struct contract_fsm c = { CS_UNBOUND, 0, 100, 300 };

	assert_int_equal(contract_step(&c, CE_BIND, 0, &c), 0);
	assert_int_equal(contract_step(&c, CE_START, 0, &c), 0);
	c.usage = 100;
	assert_int_equal(contract_limit_event(&c), CE_SOFT_LIMIT);
	assert_int_equal(contract_step(&c, CE_SOFT_LIMIT, 0, &c), 0);
	assert_int_equal(c.state, CS_DELINQUENT);
	assert_int_equal(contract_step(&c, CE_START, 0, &c), CONTRACT_E_STATE);
	assert_int_equal(contract_step(&c, CE_EXTEND, 250, &c), 0);
	assert_int_equal(c.state, CS_ACTIVE);
	assert_int_equal(contract_step(&c, CE_SUSPEND, 0, &c), 0);
	assert_int_equal(contract_step(&c, CE_UNBIND, 0, &c), 0);
	assert_int_equal(c.state, CS_UNBOUND);
	assert_int_equal(contract_step(&c, CE_BIND, 0, &c), 0);
	assert_int_equal(c.state, CS_SUSPENDED);
	assert_int_equal(contract_step(&c, CE_START, 0, &c), 0);
	c.usage = 300;
	assert_int_equal(contract_limit_event(&c), CE_HARD_LIMIT);
	assert_int_equal(contract_step(&c, CE_HARD_LIMIT, 0, &c), 0);
	assert_int_equal(c.state, CS_EXTINGUISHED);
	assert_int_equal(c.soft, 250);
}

#define AU AS_UNALLOCATED
#define AA AS_ALLOCATED
#define AB AS_BOUND
static const int addr_expected[__AS_COUNT][__AE_COUNT] = {
	/*        alloc expire bind unbound extinguished elsewhere */
	[AU] = { AA, X, X, X, X, X },
	[AA] = { X, AU, AB, X, X, X },
	[AB] = { X, AU, X, AU, AU, AU },
};

static void test_addr_exhaustive(void **state)
{
	unsigned allowed = 0;

	for (int s = 0; s < __AS_COUNT; s++)
		for (int e = 0; e < __AE_COUNT; e++) {
			enum addr_state out = (enum addr_state)99;
			int rc = addr_step((enum addr_state)s,
					   (enum addr_event)e, &out);

			if (addr_expected[s][e] == X) {
				assert_int_equal(rc, CONTRACT_E_STATE);
				assert_int_equal(out, s);
			} else {
				assert_int_equal(rc, 0);
				assert_int_equal(out, addr_expected[s][e]);
				allowed++;
			}
		}
	assert_int_equal(allowed, 7);
	enum addr_state o;

	assert_int_equal(addr_step(__AS_COUNT, AE_BIND, &o), CONTRACT_E_INVAL);
	assert_int_equal(addr_step(AS_BOUND, __AE_COUNT, &o), CONTRACT_E_INVAL);
}

static void test_money(void **state)
{
	uint64_t ch, rf;

	/* 100 per 3600 s: 1 s costs 1 (rounded up), 3600 s cost 100. */
	assert_int_equal(contract_cost(100, 3600, 0), 0);
	assert_int_equal(contract_cost(100, 3600, 1), 1);
	assert_int_equal(contract_cost(100, 3600, 3600), 100);
	assert_int_equal(contract_cost(100, 3600, 3601), 101);
	assert_int_equal(contract_cost(UINT64_MAX, 1, 2), UINT64_MAX);
	assert_int_equal(contract_cost(5, 0, 2), UINT64_MAX);
	/* 1200 per 1 MB: a balance of 300 buys 250000 bytes, which cost
	 * exactly 300; one byte more would cost 301. */
	assert_int_equal(contract_affordable(1200, 1000000, 300), 250000);
	assert_int_equal(contract_cost(1200, 1000000, 250000), 300);
	assert_int_equal(contract_cost(1200, 1000000, 250001), 301);
	assert_int_equal(contract_affordable(100, 3600, 0), 0);
	assert_int_equal(contract_affordable(0, 3600, 5), UINT64_MAX);
	assert_int_equal(contract_affordable(1, UINT64_MAX, 2), UINT64_MAX);
	/* 10 per 1 MB; deposit for 2 MB hard = 20; used 300000 bytes. */
	contract_settle_amounts(20, 10, 1000000, 300000, 0, &ch, &rf);
	assert_int_equal(ch, 3);
	assert_int_equal(rf, 17);
	contract_settle_amounts(20, 10, 1000000, 300000, 1, &ch, &rf);
	assert_int_equal(ch, 20);
	assert_int_equal(rf, 0);
	contract_settle_amounts(20, 10, 1000000, 5000000, 0, &ch, &rf);
	assert_int_equal(ch, 20);
	assert_int_equal(rf, 0);
	assert_string_equal(contract_state_name(CS_IN_SETTLEMENT),
			    "in-settlement");
	assert_string_equal(contract_event_name(CE_NO_ANSWER), "no-answer");
	assert_string_equal(addr_state_name(AS_BOUND), "bound");
}

/* A voucher code's EAP credentials: its halves; anything else none. */
static void test_eap_creds(void **state)
{
	static const char *const bad[] = {
		"",
		"ABCD-EFGH-JKLM-NPQ",
		"ABCD-EFGH-JKLM-NPQRS",
		"ABCDEEFGH-JKLM-NPQR",
		"ABCD-EFGH-JK M-NPQR",
		"ABCD-EFGH-JKLM-NP-R",
	};
	char u[16], p[16];

	assert_int_equal(contract_eap_creds("ABCD-EFGH-JKLM-NPQR", u, sizeof(u),
					    p, sizeof(p)),
			 0);
	assert_string_equal(u, "ABCD-EFGH");
	assert_string_equal(p, "JKLM-NPQR");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(contract_eap_creds(bad[i], u, sizeof(u), p,
						    sizeof(p)),
				 -1);
	assert_int_equal(contract_eap_creds(NULL, u, sizeof(u), p, sizeof(p)),
			 -1);
	assert_int_equal(contract_eap_creds("ABCD-EFGH-JKLM-NPQR", u, 9, p,
					    sizeof(p)),
			 -1);
}

/* A contract's payer: an address, or "ID@ADDRESS" for a user of a host. */
static void test_payer(void **state)
{
	uint32_t u = 99;

	(void)state;
	assert_string_equal(contract_payer_host("10.0.0.2"), "10.0.0.2");
	assert_string_equal(contract_payer_host("7@10.0.0.2"), "10.0.0.2");
	assert_string_equal(contract_payer_host("7@2001:db8::7"),
			    "2001:db8::7");
	assert_int_equal(contract_payer_user("10.0.0.2", &u), 0);
	assert_int_equal(contract_payer_user("2001:db8::7", &u), 0);
	assert_int_equal(u, 99);
	assert_int_equal(contract_payer_user("7@10.0.0.2", &u), 1);
	assert_int_equal(u, 7);
	assert_int_equal(contract_payer_user("4294967295@10.0.0.2", &u), 1);
	assert_int_equal(u, 4294967295u);
	u = 99;
	assert_int_equal(contract_payer_user("4294967296@10.0.0.2", &u), 0);
	assert_int_equal(contract_payer_user("@10.0.0.2", &u), 0);
	assert_int_equal(contract_payer_user("x7@10.0.0.2", &u), 0);
	assert_int_equal(contract_payer_user("", &u), 0);
	assert_int_equal(u, 99);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exhaustive),
		cmocka_unit_test(test_payer),
		cmocka_unit_test(test_extend_validity),
		cmocka_unit_test(test_limit_event),
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_addr_exhaustive),
		cmocka_unit_test(test_money),
		cmocka_unit_test(test_eap_creds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

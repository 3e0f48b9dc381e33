// SPDX-License-Identifier: GPL-2.0
/*
 * muispd's tunnel identity bookkeeping (daemon/muispd/tunnel.c): which SA
 * the kernel's address entry names across up, rekey, the old SA going
 * away, down, several SAs for one address, and resync.
 */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/muispd/tunnel.h"
#include "uapi/muisp.h"

static const struct tun_sa alice = { IPPROTO_AH, 0xc1a2b3c4, 1 };
static const struct tun_sa alice2 = { IPPROTO_AH, 0xd00dfeed, 1 };
static const struct tun_sa alice3 = { IPPROTO_AH, 0xd00dbeef, 1 };
static const struct tun_sa mallory = { IPPROTO_AH, 0xc0000009, 1 };

static struct tun_entry entry(uint8_t state, uint32_t contract,
			      const struct tun_sa *sa, uint32_t prev)
{
	struct tun_entry e = { .exists = 1,
			       .state = state,
			       .contract = contract };

	if (sa) {
		e.id.proto = sa->proto;
		e.id.spi = sa->spi;
		e.id.reqid = sa->reqid;
		e.id.spi_prev = prev;
	}
	return e;
}

#define assert_id(id, sa, prev)                            \
	do {                                               \
		assert_int_equal((id).spi, (sa)->spi);     \
		assert_int_equal((id).proto, (sa)->proto); \
		assert_int_equal((id).reqid, (sa)->reqid); \
		assert_int_equal((id).spi_prev, (prev));   \
	} while (0)

static void assert_no_id(const struct tun_id *id)
{
	assert_int_equal(id->spi, 0);
	assert_int_equal(id->spi_prev, 0);
	assert_int_equal(id->proto, 0);
	assert_int_equal(id->reqid, 0);
}

/* An SA comes up for an address the module does not know: a new
 * ALLOCATED entry with the SA; for one it knows, its state is kept. */
static void test_up(void **state)
{
	struct tun_entry none = { 0 }, e;
	struct tun_plan p;

	tun_plan(&none, &none.id, &alice, 1, &p);
	assert_true(p.write);
	assert_false(p.lost);
	assert_false(p.ambiguous);
	assert_int_equal(p.e.state, MUISP_ADDR_STATE_ALLOCATED);
	assert_int_equal(p.e.contract, 0);
	assert_id(p.e.id, &alice, 0);

	/* nothing up, nothing known: no entry is created */
	tun_plan(&none, &none.id, NULL, 0, &p);
	assert_false(p.write);

	/* a DHCP-allocated address, and one whose lease ended */
	e = entry(MUISP_ADDR_STATE_ALLOCATED, 0, NULL, 0);
	tun_plan(&e, &e.id, &alice, 1, &p);
	assert_true(p.write);
	assert_int_equal(p.e.state, MUISP_ADDR_STATE_ALLOCATED);
	assert_id(p.e.id, &alice, 0);
	e = entry(MUISP_ADDR_STATE_UNALLOCATED, 0, NULL, 0);
	tun_plan(&e, &e.id, &alice, 1, &p);
	assert_true(p.write);
	assert_int_equal(p.e.state, MUISP_ADDR_STATE_UNALLOCATED);

	/* already recorded: nothing to write (resync, repeated up) */
	e = entry(MUISP_ADDR_STATE_BOUND, 7, &alice, 0);
	tun_plan(&e, &e.id, &alice, 1, &p);
	assert_false(p.write);
	assert_int_equal(p.e.state, MUISP_ADDR_STATE_BOUND);
	assert_int_equal(p.e.contract, 7);

	/* bound without identity (require-tunnel was off): recorded,
	 * binding kept */
	e = entry(MUISP_ADDR_STATE_BOUND, 7, NULL, 0);
	tun_plan(&e, &e.id, &alice, 1, &p);
	assert_true(p.write);
	assert_false(p.lost);
	assert_int_equal(p.e.state, MUISP_ADDR_STATE_BOUND);
	assert_int_equal(p.e.contract, 7);
	assert_id(p.e.id, &alice, 0);
}

/* Rekey: new SPI current, old previous; the old SA going away clears the
 * previous slot; a second rekey before that replaces the previous. */
static void test_rekey(void **state)
{
	struct tun_entry e = entry(MUISP_ADDR_STATE_BOUND, 7, &alice, 0);
	struct tun_id id = e.id;
	struct tun_plan p;

	assert_int_equal(tun_rekey(&id, &alice, &alice2), 1);
	tun_plan(&e, &id, &alice2, 1, &p);
	assert_true(p.write);
	assert_false(p.lost);
	assert_int_equal(p.e.state, MUISP_ADDR_STATE_BOUND);
	assert_int_equal(p.e.contract, 7);
	assert_id(p.e.id, &alice2, alice.spi);

	/* the old SA is gone (charon destroyed it) */
	e = p.e;
	id = e.id;
	assert_int_equal(tun_prev_gone(&id, mallory.spi), 0);
	assert_int_equal(tun_prev_gone(&id, 0), 0);
	assert_int_equal(tun_prev_gone(&id, alice.spi), 1);
	tun_plan(&e, &id, &alice2, 1, &p);
	assert_true(p.write);
	assert_id(p.e.id, &alice2, 0);
	assert_int_equal(p.e.state, MUISP_ADDR_STATE_BOUND);

	/* two rekeys in a row: the newer old SA is the previous one */
	e = entry(MUISP_ADDR_STATE_BOUND, 7, &alice2, alice.spi);
	id = e.id;
	assert_int_equal(tun_rekey(&id, &alice2, &alice3), 1);
	tun_plan(&e, &id, &alice3, 1, &p);
	assert_id(p.e.id, &alice3, alice2.spi);

	/* the old SA's own down event (its IKE_SA went down): the same */
	e = entry(MUISP_ADDR_STATE_BOUND, 7, &alice2, alice.spi);
	id = e.id;
	assert_int_equal(tun_prev_gone(&id, alice.spi), 1);
	tun_plan(&e, &id, &alice2, 1, &p);
	assert_true(p.write);
	assert_id(p.e.id, &alice2, 0);
}

/* A rekey of an SA the entry does not name changes nothing. */
static void test_rekey_other(void **state)
{
	struct tun_entry e = entry(MUISP_ADDR_STATE_BOUND, 7, &alice, 0);
	struct tun_id id = e.id;
	struct tun_sa esp = alice, m2 = mallory;
	struct tun_sa live[2] = { alice, mallory };
	struct tun_plan p;

	m2.spi = 0xc000000a;
	assert_int_equal(tun_rekey(&id, &mallory, &m2), 0);
	live[1] = m2;
	tun_plan(&e, &id, live, 2, &p);
	assert_false(p.write);
	assert_true(p.ambiguous);
	assert_id(p.e.id, &alice, 0);
	/* same SPI, other protocol: not the recorded SA */
	esp.proto = IPPROTO_ESP;
	assert_int_equal(tun_rekey(&id, &esp, &alice2), 0);
	/* nothing recorded: nothing to move */
	memset(&id, 0, sizeof(id));
	assert_int_equal(tun_rekey(&id, &alice, &alice2), 0);
	/* a degenerate rekey to the same or no SPI */
	id = e.id;
	assert_int_equal(tun_rekey(&id, &alice, &alice), 0);
	esp = alice;
	esp.spi = 0;
	assert_int_equal(tun_rekey(&id, &alice, &esp), 0);
	assert_id(id, &alice, 0);
}

/* Deletion or expiry of the recorded SA: identity cleared; a bound
 * address is unbound (Fig 5), an unbound one keeps its state. */
static void test_down(void **state)
{
	struct tun_entry e =
		entry(MUISP_ADDR_STATE_BOUND, 7, &alice2, alice.spi);
	struct tun_plan p;

	tun_plan(&e, &e.id, NULL, 0, &p);
	assert_true(p.write);
	assert_true(p.lost);
	assert_int_equal(p.e.state, MUISP_ADDR_STATE_UNALLOCATED);
	assert_int_equal(p.e.contract, 0);
	assert_no_id(&p.e.id);

	e = entry(MUISP_ADDR_STATE_ALLOCATED, 0, &alice, 0);
	tun_plan(&e, &e.id, NULL, 0, &p);
	assert_true(p.write);
	assert_false(p.lost);
	assert_int_equal(p.e.state, MUISP_ADDR_STATE_ALLOCATED);
	assert_no_id(&p.e.id);

	/* the same down again (repeated event, resync): nothing to do */
	e = p.e;
	tun_plan(&e, &e.id, NULL, 0, &p);
	assert_false(p.write);
	assert_false(p.lost);

	/* a down of another SA of the address: the recorded one stays */
	e = entry(MUISP_ADDR_STATE_BOUND, 7, &alice, 0);
	tun_plan(&e, &e.id, &alice, 1, &p);
	assert_false(p.write);
	assert_false(p.lost);

	/* lost while a client's new SA is already up: unbound, and the
	 * new SA recorded (the client rebinds from its receipt) */
	e = entry(MUISP_ADDR_STATE_BOUND, 7, &alice, 0);
	tun_plan(&e, &e.id, &alice2, 1, &p);
	assert_true(p.write);
	assert_true(p.lost);
	assert_int_equal(p.e.state, MUISP_ADDR_STATE_UNALLOCATED);
	assert_int_equal(p.e.contract, 0);
	assert_id(p.e.id, &alice2, 0);
}

/* Several SAs for one address. */
static void test_ambiguous(void **state)
{
	struct tun_sa both[2] = { alice, mallory };
	struct tun_entry e;
	struct tun_plan p;

	/* unbound: neither is recorded */
	e = entry(MUISP_ADDR_STATE_ALLOCATED, 0, &alice, 0);
	tun_plan(&e, &e.id, both, 2, &p);
	assert_true(p.ambiguous);
	assert_true(p.write);
	assert_false(p.lost);
	assert_int_equal(p.e.state, MUISP_ADDR_STATE_ALLOCATED);
	assert_no_id(&p.e.id);
	/* ... and stays so while both are up */
	e = p.e;
	tun_plan(&e, &e.id, both, 2, &p);
	assert_false(p.write);
	/* both up before the address was known: no entry */
	e = (struct tun_entry){ 0 };
	tun_plan(&e, &e.id, both, 2, &p);
	assert_false(p.write);
	/* one goes: the other is recorded */
	e = entry(MUISP_ADDR_STATE_ALLOCATED, 0, NULL, 0);
	tun_plan(&e, &e.id, &mallory, 1, &p);
	assert_true(p.write);
	assert_id(p.e.id, &mallory, 0);

	/* bound: the recorded SA is the one that paid, it stays */
	e = entry(MUISP_ADDR_STATE_BOUND, 7, &alice, 0);
	tun_plan(&e, &e.id, both, 2, &p);
	assert_true(p.ambiguous);
	assert_false(p.write);
	assert_int_equal(p.e.state, MUISP_ADDR_STATE_BOUND);
	assert_id(p.e.id, &alice, 0);
	/* ... also across its rekey */
	{
		struct tun_sa after[2] = { alice2, mallory };
		struct tun_id id = e.id;

		assert_int_equal(tun_rekey(&id, &alice, &alice2), 1);
		tun_plan(&e, &id, after, 2, &p);
		assert_true(p.write);
		assert_false(p.lost);
		assert_id(p.e.id, &alice2, alice.spi);
	}
	/* the paid SA goes while the other stays: unbound, and the
	 * remaining SA recorded (it cannot bind without the receipt) */
	tun_plan(&e, &e.id, &mallory, 1, &p);
	assert_true(p.lost);
	assert_int_equal(p.e.state, MUISP_ADDR_STATE_UNALLOCATED);
	assert_id(p.e.id, &mallory, 0);
	/* bound without identity and two SAs: nothing is adopted */
	e = entry(MUISP_ADDR_STATE_BOUND, 7, NULL, 0);
	tun_plan(&e, &e.id, both, 2, &p);
	assert_false(p.write);
}

/* A resync finds an identity whose SA charon no longer has (it went down
 * while muispd or charon was away) and an SA that came up meanwhile. */
static void test_resync(void **state)
{
	struct tun_entry e = entry(MUISP_ADDR_STATE_BOUND, 7, &alice, 0);
	struct tun_plan p;

	tun_plan(&e, &e.id, &alice2, 1, &p);
	assert_true(p.lost);
	assert_id(p.e.id, &alice2, 0);

	e = entry(MUISP_ADDR_STATE_BOUND, 7, &alice2, alice.spi);
	{
		struct tun_id id = e.id;

		/* previous SPI not followed any more: dropped */
		assert_int_equal(tun_prev_gone(&id, id.spi_prev), 1);
		tun_plan(&e, &id, &alice2, 1, &p);
		assert_true(p.write);
		assert_false(p.lost);
		assert_id(p.e.id, &alice2, 0);
	}
	assert_string_equal(tun_state_name(MUISP_ADDR_STATE_BOUND), "bound");
	assert_string_equal(tun_state_name(MUISP_ADDR_STATE_UNALLOCATED),
			    "unallocated");
	assert_string_equal(tun_state_name(MUISP_ADDR_STATE_ALLOCATED),
			    "allocated");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_up),
		cmocka_unit_test(test_rekey),
		cmocka_unit_test(test_rekey_other),
		cmocka_unit_test(test_down),
		cmocka_unit_test(test_ambiguous),
		cmocka_unit_test(test_resync),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

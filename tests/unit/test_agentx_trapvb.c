// SPDX-License-Identifier: GPL-2.0
/* muisp-agentx's notifications as net-snmp varbinds
 * (daemon/agentx/trapvb.c): for each kind, snmpTrapOID.0 names the
 * MUISP-MIB notification and the objects follow in its OBJECTS order,
 * with their types and values (the contract id as 8 big-endian octets,
 * 64-bit values as Counter64, the pool's columns at its index). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "daemon/agentx/notify.h"

#define ROOT 1, 3, 6, 1, 4, 1, 32473, 1

static void want_oid(const netsnmp_variable_list *v, const oid *o, size_t len)
{
	assert_non_null(v);
	assert_int_equal(v->name_length, len);
	assert_memory_equal(v->name, o, len * sizeof(oid));
}

static void want_trap_oid(const netsnmp_variable_list *v, oid n)
{
	static const oid sto[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 };
	const oid want[] = { ROOT, 0, n };

	want_oid(v, sto, OID_LENGTH(sto));
	assert_int_equal(v->type, ASN_OBJECT_ID);
	assert_int_equal(v->val_len, sizeof(want));
	assert_memory_equal(v->val.objid, want, sizeof(want));
}

static void want_c64(const netsnmp_variable_list *v, uint64_t x)
{
	assert_int_equal(v->type, ASN_COUNTER64);
	assert_true(v->val.counter64->high == (x >> 32));
	assert_true(v->val.counter64->low == (x & 0xffffffffu));
}

static void test_limits(void **state)
{
	static const uint8_t id[8] = { 1, 2, 3, 4, 5, 6, 7, 0xf8 };
	const oid cid[] = { ROOT, 1, 9, 5, 0 }, used[] = { ROOT, 1, 9, 1, 0 },
		  lim[] = { ROOT, 1, 9, 2, 0 };
	struct ax_trap t;
	int k;

	(void)state;
	for (k = AX_TRAP_SOFT_LIMIT; k <= AX_TRAP_EXPIRED; k++) {
		netsnmp_variable_list *v, *p;

		memset(&t, 0, sizeof(t));
		t.kind = k;
		t.contract_id = 0x01020304050607f8ULL;
		t.used = 0x100000001ULL;
		t.limit = 1000;
		v = ax_trap_varbinds(&t);
		want_trap_oid(v, (oid)k);
		p = v->next_variable;
		want_oid(p, cid, OID_LENGTH(cid));
		assert_int_equal(p->type, ASN_OCTET_STR);
		assert_int_equal(p->val_len, 8);
		assert_memory_equal(p->val.string, id, 8);
		p = p->next_variable;
		want_oid(p, used, OID_LENGTH(used));
		want_c64(p, 0x100000001ULL);
		p = p->next_variable;
		want_oid(p, lim, OID_LENGTH(lim));
		want_c64(p, 1000);
		assert_null(p->next_variable);
		snmp_free_varbind(v);
	}
	assert_string_equal(ax_trap_name(AX_TRAP_SOFT_LIMIT), "muispSoftLimit");
	assert_string_equal(ax_trap_name(AX_TRAP_HARD_LIMIT), "muispHardLimit");
	assert_string_equal(ax_trap_name(AX_TRAP_EXPIRED), "muispExpired");
}

static void test_pool(void **state)
{
	const oid ifn[] = { ROOT, 1, 6, 1, 2, 3 },
		  size[] = { ROOT, 1, 6, 1, 3, 3 };
	netsnmp_variable_list *v, *p;
	struct ax_trap t;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.kind = AX_TRAP_POOL_EXHAUSTED;
	t.pool_index = 3;
	strcpy(t.pool_name, "lan2");
	t.pool_size = 151;
	v = ax_trap_varbinds(&t);
	want_trap_oid(v, 4);
	p = v->next_variable;
	want_oid(p, ifn, OID_LENGTH(ifn));
	assert_int_equal(p->type, ASN_OCTET_STR);
	assert_int_equal(p->val_len, 4);
	assert_memory_equal(p->val.string, "lan2", 4);
	p = p->next_variable;
	want_oid(p, size, OID_LENGTH(size));
	assert_int_equal(p->type, ASN_GAUGE);
	assert_int_equal(*p->val.integer, 151);
	assert_null(p->next_variable);
	snmp_free_varbind(v);
	/* a name filling the array has no NUL: 15 octets at most + NUL */
	memset(t.pool_name, 'x', sizeof(t.pool_name));
	v = ax_trap_varbinds(&t);
	assert_int_equal(v->next_variable->val_len, sizeof(t.pool_name));
	snmp_free_varbind(v);
}

static void test_rate_and_loss(void **state)
{
	const oid rate[] = { ROOT, 1, 9, 3, 0 }, thr[] = { ROOT, 1, 9, 4, 0 },
		  ov[] = { ROOT, 1, 8, 3, 0 }, sd[] = { ROOT, 1, 8, 4, 0 };
	netsnmp_variable_list *v;
	struct ax_trap t;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.kind = AX_TRAP_DROP_RATE;
	t.rate = 12345;
	t.threshold = 1000;
	v = ax_trap_varbinds(&t);
	want_trap_oid(v, 5);
	want_oid(v->next_variable, rate, OID_LENGTH(rate));
	want_c64(v->next_variable, 12345);
	want_oid(v->next_variable->next_variable, thr, OID_LENGTH(thr));
	want_c64(v->next_variable->next_variable, 1000);
	snmp_free_varbind(v);

	memset(&t, 0, sizeof(t));
	t.kind = AX_TRAP_EXPORT_LOSS;
	t.lost_overrun = 7;
	t.lost_send = UINT64_MAX;
	v = ax_trap_varbinds(&t);
	want_trap_oid(v, 6);
	want_oid(v->next_variable, ov, OID_LENGTH(ov));
	want_c64(v->next_variable, 7);
	want_oid(v->next_variable->next_variable, sd, OID_LENGTH(sd));
	want_c64(v->next_variable->next_variable, UINT64_MAX);
	assert_null(v->next_variable->next_variable->next_variable);
	snmp_free_varbind(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_pool),
		cmocka_unit_test(test_rate_and_loss),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

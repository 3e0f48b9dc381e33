// SPDX-License-Identifier: GPL-2.0
/*
 * lib/stats_cat: the catalogue (no duplicate keys or MIB places, one drop
 * entry per reason, every field of struct muisp_nl_stats under its key),
 * the builders (key mangling, catalogue order and titles, replacing,
 * over-long keys), and stats_collect from a fake muispd and a fake
 * muisp-ipfixd (forked processes on unix sockets in a temporary
 * directory) and a lease database made with lib/leasedb: the merge of the
 * sources, absent sources, a daemon refusing MP_T_OP_STATS.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "leasedb.h"
#include "opd_fake.h"
#include "stats_cat.h"

static uint64_t val(const struct stats_snap *s, const char *key)
{
	const struct stats_val *v = stats_find(s, key);

	if (!v)
		fail_msg("no key %s", key);
	return v ? v->value : 0;
}

static const char *title(const struct stats_snap *s, const char *key)
{
	const struct stats_val *v = stats_find(s, key);

	if (!v)
		fail_msg("no key %s", key);
	return v ? v->title : "";
}

/* ---- the catalogue ---- */

static void test_catalogue(void **state)
{
	unsigned int i, j, drops[MUISP_DROP_MAX + 1] = { 0 };

	(void)state;
	assert_true(stats_ndefs > 0);
	for (i = 0; i < stats_ndefs; i++) {
		const struct stats_def *d = &stats_defs[i];

		assert_non_null(d->key);
		assert_non_null(d->title);
		assert_non_null(d->mib_name);
		assert_true(strlen(d->key) >= 1 &&
			    strlen(d->key) < STATS_KEY_MAX);
		assert_int_equal(strspn(d->key, "abcdefghijklmnopqrstuvwxyz"
						"0123456789_"),
				 strlen(d->key));
		assert_true(d->src == STATS_SRC_KERNEL ||
			    d->src == STATS_SRC_MUISPD ||
			    d->src == STATS_SRC_DHCPD ||
			    d->src == STATS_SRC_IPFIXD);
		if (d->src == STATS_SRC_IPFIXD)
			assert_memory_equal(d->key, "ipfix_", 6);
		if (d->mib_group == 2) {
			assert_int_equal(d->src, STATS_SRC_KERNEL);
			assert_true(d->mib_arc >= 1 &&
				    d->mib_arc <= MUISP_DROP_MAX);
			drops[d->mib_arc]++;
		}
		for (j = 0; j < i; j++) {
			const struct stats_def *e = &stats_defs[j];

			if (!strcmp(d->key, e->key))
				fail_msg("key %s twice", d->key);
			if (!strcmp(d->title, e->title))
				fail_msg("title %s twice", d->title);
			if (d->mib_group == e->mib_group &&
			    d->mib_arc == e->mib_arc)
				fail_msg("%s and %s at %u.%u", d->key, e->key,
					 d->mib_group, d->mib_arc);
			if (d->mib_group != 2 &&
			    !strcmp(d->mib_name, e->mib_name))
				fail_msg("MIB name %s twice", d->mib_name);
		}
	}
	for (i = 1; i <= MUISP_DROP_MAX; i++)
		assert_int_equal(drops[i], 1);
}

/* Every field of struct muisp_nl_stats lands under its key, in
 * catalogue order; a drop reason the module does not report is left
 * out. */
static void test_kernel(void **state)
{
	struct stats_snap s = { 0 };
	struct muisp_nl_stats k;
	unsigned int i, nk = 0, seen = 0;
	char key[32];

	(void)state;
	memset(&k, 0, sizeof(k));
	k.up_packets = 1001;
	k.up_bytes = 1002;
	k.down_packets = 1003;
	k.down_bytes = 1004;
	k.local_packets = 1005;
	k.garden_packets = 1006;
	k.flows = 1007;
	k.max_flows = 4000000000u;
	k.evictions = 1009;
	k.flow_records = 1010;
	k.records_lost = 1011;
	k.events = 1012;
	k.events_lost = 1013;
	k.addrs = 1014;
	k.contracts = 1015;
	k.flows_unmetered = (1ULL << 40) + 16;
	for (i = 1; i <= MUISP_DROP_MAX; i++) {
		k.drops[i] = 2000 + i;
		k.drops_present |= 1ULL << i;
	}
	assert_int_equal(stats_add_kernel(&s, &k), 0);
	assert_int_equal(val(&s, "up_packets"), 1001);
	assert_int_equal(val(&s, "up_bytes"), 1002);
	assert_int_equal(val(&s, "down_packets"), 1003);
	assert_int_equal(val(&s, "down_bytes"), 1004);
	assert_int_equal(val(&s, "local_packets"), 1005);
	assert_int_equal(val(&s, "garden_packets"), 1006);
	assert_int_equal(val(&s, "flows"), 1007);
	assert_int_equal(val(&s, "max_flows"), 4000000000u);
	assert_int_equal(val(&s, "evictions"), 1009);
	assert_int_equal(val(&s, "flow_records"), 1010);
	assert_int_equal(val(&s, "records_lost"), 1011);
	assert_int_equal(val(&s, "events"), 1012);
	assert_int_equal(val(&s, "events_lost"), 1013);
	assert_int_equal(val(&s, "addrs"), 1014);
	assert_int_equal(val(&s, "contracts"), 1015);
	assert_int_equal(val(&s, "flows_unmetered"), (1ULL << 40) + 16);
	assert_string_equal(title(&s, "flows_unmetered"), "unmetered-packets");
	assert_int_equal(val(&s, "drop_not_bound"),
			 2000 + MUISP_DROP_NOT_BOUND);
	assert_int_equal(val(&s, "drop_dns"), 2000 + MUISP_DROP_DNS);
	assert_string_equal(title(&s, "drop_hard_limit"), "drop hard-limit");
	/* every kernel entry of the catalogue, in its order, nothing else */
	for (i = 0; i < stats_ndefs; i++) {
		if (stats_defs[i].src != STATS_SRC_KERNEL)
			continue;
		assert_true(nk < s.n);
		assert_string_equal(s.v[nk].key, stats_defs[i].key);
		assert_string_equal(s.v[nk].title, stats_defs[i].title);
		assert_int_equal(s.v[nk].src, STATS_SRC_KERNEL);
		if (stats_defs[i].mib_group == 2)
			assert_int_equal(s.v[nk].value,
					 2000 + stats_defs[i].mib_arc);
		nk++;
	}
	assert_int_equal(s.n, nk);
	assert_int_equal(nk, 18 + MUISP_DROP_MAX);
	/* the drops by reason, keys from the reasons' names */
	for (i = 0; i < s.n; i++)
		if (!strncmp(s.v[i].key, "drop_", 5))
			seen++;
	assert_int_equal(seen, MUISP_DROP_MAX);

	/* drops the module does not report: no key (a null column) */
	k.drops_present = 1ULL << MUISP_DROP_TUNNEL;
	s.n = 0;
	assert_int_equal(stats_add_kernel(&s, &k), 0);
	assert_int_equal(s.n, 18 + 1);
	assert_non_null(stats_find(&s, "drop_tunnel"));
	snprintf(key, sizeof(key), "drop_not_bound");
	assert_null(stats_find(&s, key));
	stats_snap_free(&s);
	assert_null(s.v);
	assert_int_equal(s.n, 0);
}

/* ---- the builders ---- */

static void test_builders(void **state)
{
	static const struct mp_counter rad[] = {
		{ "auth.sent", 3 },
		{ "acct.bad-replies", 2 },
		{ "eap_relay.accepts", 1 },
	};
	static const struct mp_counter ipfix[] = {
		{ "exporter.restarts", 9 },
		{ "templates_sent", 6 },
		{ "records_received", 10 },
	};
	struct stats_snap s = { 0 };
	struct mp_counter longc;
	unsigned int i;

	(void)state;
	assert_int_equal(
		stats_add_counters(&s, STATS_SRC_MUISPD, "radius_", rad, 3), 0);
	assert_int_equal(stats_add_counters(&s, STATS_SRC_IPFIXD, "ipfix_",
					    ipfix, 3),
			 0);
	assert_int_equal(stats_add(&s, STATS_SRC_KERNEL, "up_packets", 7), 0);
	assert_int_equal(s.n, 7);
	/* catalogue entries first, in its order; the others as added */
	assert_string_equal(s.v[0].key, "up_packets");
	assert_string_equal(s.v[1].key, "ipfix_records_received");
	assert_string_equal(s.v[2].key, "ipfix_templates_sent");
	assert_string_equal(s.v[3].key, "radius_auth_sent");
	assert_string_equal(s.v[4].key, "radius_acct_bad_replies");
	assert_string_equal(s.v[5].key, "radius_eap_relay_accepts");
	assert_string_equal(s.v[6].key, "ipfix_exporter_restarts");
	/* titles: the catalogue's, else the prefix's word and the name */
	assert_string_equal(s.v[1].title, "ipfix records-received");
	assert_string_equal(s.v[3].title, "radius auth.sent");
	assert_string_equal(s.v[4].title, "radius acct.bad-replies");
	assert_string_equal(s.v[6].title, "ipfix exporter.restarts");
	assert_int_equal(s.v[1].src, STATS_SRC_IPFIXD);
	assert_int_equal(s.v[4].src, STATS_SRC_MUISPD);
	assert_int_equal(val(&s, "radius_acct_bad_replies"), 2);
	assert_int_equal(val(&s, "ipfix_records_received"), 10);

	/* the same key again: replaced in place */
	assert_int_equal(
		stats_add(&s, STATS_SRC_MUISPD, "radius.auth-sent", 33), 0);
	assert_int_equal(s.n, 7);
	assert_int_equal(val(&s, "radius_auth_sent"), 33);
	assert_string_equal(s.v[3].key, "radius_auth_sent");

	/* too long for the MIB's index: left out */
	memset(&longc, 0, sizeof(longc));
	memset(longc.name, 'a', MP_COUNTER_NAME_MAX);
	longc.value = 1;
	assert_int_equal(stats_add_counters(&s, STATS_SRC_IPFIXD, "ipfix_",
					    &longc, 1),
			 0);
	assert_int_equal(s.n, 7);
	longc.name[STATS_KEY_MAX - 1 - 6] = '\0'; /* exactly 63 with ipfix_ */
	assert_int_equal(stats_add_counters(&s, STATS_SRC_IPFIXD, "ipfix_",
					    &longc, 1),
			 0);
	assert_int_equal(s.n, 8);
	assert_int_equal(strlen(s.v[7].key), STATS_KEY_MAX - 1);
	assert_null(stats_find(&s, "radius_nothing"));

	/* many: the array grows, the order holds */
	for (i = 0; i < 300; i++) {
		char k[32];

		snprintf(k, sizeof(k), "dhcp_x%u", i);
		assert_int_equal(stats_add(&s, STATS_SRC_DHCPD, k, i), 0);
	}
	assert_int_equal(s.n, 308);
	assert_string_equal(s.v[0].key, "up_packets");
	assert_string_equal(s.v[307].key, "dhcp_x299");
	assert_int_equal(stats_add(&s, STATS_SRC_KERNEL, "drop_dns", 5), 0);
	assert_string_equal(s.v[1].key, "drop_dns");
	assert_string_equal(s.v[2].key, "ipfix_records_received");
	stats_snap_free(&s);
}

/* ---- stats_collect: fake daemons, a lease database ---- */

enum fake { FAKE_MUISPD, FAKE_IPFIXD, FAKE_REFUSE };

static char dir[64], mpd_path[108], ipx_path[108], db_path[128];
static pid_t pids[2];

static void serve(int fd, int mode)
{
	static struct mp_msg req, rep;

	while (opd_read_req(fd, &req) == 0) {
		if (req.type != MP_T_OP_STATS || mode == FAKE_REFUSE) {
			/* what muispd says to a type it does not know */
			mp_init(&rep, MP_T_ERROR, MP_F_REPLY, req.serial);
			mp_set_u(&rep, MP_A_ERROR, MP_ERR_PROTO);
			mp_set_s(&rep, MP_A_MESSAGE, "unexpected op-stats");
			opd_send(fd, &rep);
			continue;
		}
		mp_init(&rep, MP_T_OP_COUNTERS, MP_F_REPLY, req.serial);
		if (mode == FAKE_MUISPD) {
			mp_add_counter(&rep, "auth.sent", 3);
			mp_add_counter(&rep, "acct.sent", 4);
		} else {
			rep.flags |= MP_F_MORE;
			mp_add_counter(&rep, "records_received", 100);
			mp_add_counter(&rep, "records_exported", 98);
			opd_send(fd, &rep);
			mp_init(&rep, MP_T_OP_COUNTERS, MP_F_REPLY, req.serial);
			mp_add_counter(&rep, "collector.restarts", 1);
		}
		opd_send(fd, &rep);
	}
}

static pid_t fake_start(const char *path, enum fake mode)
{
	return opd_start(path, serve, mode);
}

static void fakes_stop(void)
{
	opd_stop(&pids[0], mpd_path, 1);
	opd_stop(&pids[1], ipx_path, 1);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/stats-cat-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(mpd_path, sizeof(mpd_path), "%s/muispd.sock", dir);
	snprintf(ipx_path, sizeof(ipx_path), "%s/ipfixd.sock", dir);
	snprintf(db_path, sizeof(db_path), "%s/dhcpd.db", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	opd_stop(&pids[0], mpd_path, 0);
	opd_stop(&pids[1], ipx_path, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void make_db(void)
{
	struct leasedb *db = leasedb_open(db_path, LEASEDB_CREATE);
	struct lease_rec r;
	static const int states[] = { LEASE_LEASED,	LEASE_LEASED,
				      LEASE_QUARANTINE, LEASE_FREE,
				      LEASE_FREE,	LEASE_FREE };

	assert_non_null(db);
	for (unsigned int i = 0; i < 6; i++) {
		memset(&r, 0, sizeof(r));
		r.addr = 0xc0000210 + i;
		r.state = states[i];
		r.hwlen = 6;
		memcpy(r.hw, "\x02\0\0\0\0\x10", 6);
		r.hw[5] = (uint8_t)i;
		r.keylen = 7;
		memcpy(r.key, "H\x01\x02\0\0\0\0", 7);
		r.key[6] = (uint8_t)i;
		r.seq = i + 1;
		assert_int_equal(leasedb_put(db, &r), 0);
	}
	assert_int_equal(leasedb_put_stat(db, "rx_discover", 12), 0);
	assert_int_equal(leasedb_put_stat(db, "drop_truncated", 5), 0);
	assert_int_equal(leasedb_put_stat(db, "updated", 1800000000), 0);
	leasedb_close(db);
}

static void test_collect(void **state)
{
	struct stats_sources src = {
		.muispd_socket = mpd_path,
		.dhcpd_db = db_path,
		.ipfixd_socket = ipx_path,
		.timeout_ms = 2000,
	};
	struct stats_snap s = { 0 };
	const struct stats_val *v;
	unsigned int i;

	(void)state;
	make_db();
	pids[0] = fake_start(mpd_path, FAKE_MUISPD);
	pids[1] = fake_start(ipx_path, FAKE_IPFIXD);
	assert_int_equal(stats_collect(&s, &src), 0);
	assert_int_equal(s.present,
			 STATS_SRC_MUISPD | STATS_SRC_DHCPD | STATS_SRC_IPFIXD);
	assert_int_equal(s.failed, 0);
	assert_true(s.taken_ms > 0);
	/* muispd: radius_ + its names, the titles of `muispctl stats` */
	assert_int_equal(val(&s, "radius_auth_sent"), 3);
	assert_int_equal(val(&s, "radius_acct_sent"), 4);
	assert_string_equal(title(&s, "radius_acct_sent"), "radius acct.sent");
	/* dhcpd: addresses by state, then its stats table but "updated" */
	assert_int_equal(val(&s, "dhcp_addrs_leased"), 2);
	assert_int_equal(val(&s, "dhcp_addrs_quarantine"), 1);
	assert_int_equal(val(&s, "dhcp_addrs_free"), 3);
	assert_int_equal(val(&s, "dhcp_rx_discover"), 12);
	assert_int_equal(val(&s, "dhcp_drop_truncated"), 5);
	assert_string_equal(title(&s, "dhcp_rx_discover"), "dhcp rx_discover");
	assert_null(stats_find(&s, "dhcp_updated"));
	/* ipfixd: over two replies; catalogue keys in their place */
	assert_int_equal(val(&s, "ipfix_records_received"), 100);
	assert_int_equal(val(&s, "ipfix_records_exported"), 98);
	assert_int_equal(val(&s, "ipfix_collector_restarts"), 1);
	assert_int_equal(s.n, 2 + 5 + 3);
	assert_string_equal(s.v[0].key, "ipfix_records_received");
	assert_string_equal(s.v[1].key, "ipfix_records_exported");
	for (i = 0; i < s.n; i++) {
		v = &s.v[i];
		if (!strncmp(v->key, "radius_", 7))
			assert_int_equal(v->src, STATS_SRC_MUISPD);
		else if (!strncmp(v->key, "dhcp_", 5))
			assert_int_equal(v->src, STATS_SRC_DHCPD);
		else
			assert_int_equal(v->src, STATS_SRC_IPFIXD);
		/* no key twice */
		for (unsigned int j = 0; j < i; j++)
			assert_string_not_equal(s.v[j].key, v->key);
	}

	/* again into the same snapshot: replaced, not appended */
	assert_int_equal(stats_collect(&s, &src), 0);
	assert_int_equal(s.n, 10);
	fakes_stop();

	/* nobody there: every source failed, nothing in it, not fatal */
	unlink(db_path);
	assert_int_equal(stats_collect(&s, &src), 0);
	assert_int_equal(s.present, 0);
	assert_int_equal(s.failed,
			 STATS_SRC_MUISPD | STATS_SRC_DHCPD | STATS_SRC_IPFIXD);
	assert_int_equal(s.n, 0);
	/* the lease database is not created by reading it */
	assert_int_equal(access(db_path, F_OK), -1);

	/* an older muispd that refuses op-stats: failed, nothing from it;
	 * sources not given are neither present nor failed */
	pids[0] = fake_start(mpd_path, FAKE_REFUSE);
	src.dhcpd_db = "";
	src.ipfixd_socket = NULL;
	assert_int_equal(stats_collect(&s, &src), 0);
	assert_int_equal(s.present, 0);
	assert_int_equal(s.failed, STATS_SRC_MUISPD);
	assert_int_equal(s.n, 0);
	fakes_stop();
	stats_snap_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalogue),
		cmocka_unit_test(test_kernel),
		cmocka_unit_test(test_builders),
		cmocka_unit_test_setup_teardown(test_collect, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

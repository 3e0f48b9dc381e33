// SPDX-License-Identifier: GPL-2.0
/* muisp-dhcpd configuration: a full valid file, defaults, and every
 * validation error with its line number. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon/dhcpd/config.h"
#include "leasedb.h"
#include "test_dhcp_build.h"

static struct dhcp_conf *c;
static char err[512];

static int setup(void **state)
{
	c = calloc(1, sizeof(*c));
	return c ? 0 : -1;
}

static int teardown(void **state)
{
	free(c);
	return 0;
}

static const char good[] = "# a comment\n"
			   "lease-db /tmp/x.db\n"
			   "kernel-sync no   # trailing comment\n"
			   "quarantine-time 120\n"
			   "offer-time 5\n"
			   "offers-per-source 3\n"
			   "offer-share 25\n"
			   "quarantine-max 0\n"
			   "source-rate 7\n"
			   "\n"
			   "interface lan0 {\n"
			   "\tsubnet 192.0.2.0/24\n"
			   "\tserver-id 192.0.2.1\n"
			   "\tpool 192.0.2.100 192.0.2.199\n"
			   "\tpool 192.0.2.210 192.0.2.220\n"
			   "\texclude 192.0.2.150\n"
			   "\texclude 192.0.2.160 192.0.2.161\n"
			   "\trouter 192.0.2.1\n"
			   "\tdns 192.0.2.1 198.51.100.53\n"
			   "\tntp 192.0.2.1\n"
			   "\tdomain-name hotspot.example\n"
			   "\tlease-time 600\n"
			   "\trelay 192.0.2.2 192.0.2.3\n"
			   "\trelay 192.0.2.4\n"
			   "\thost kiosk {\n"
			   "\t\thardware-address 02:00:00:00:00:50\n"
			   "\t\taddress 192.0.2.50\n"
			   "\t}\n"
			   "\thost laptop {\n"
			   "\t\tclient-id 01:02:00:00:00:00:51\n"
			   "\t\taddress 192.0.2.120\n"
			   "\t}\n"
			   "}\n"
			   "interface lan1 {\n"
			   "\tsubnet 10.1.0.0/16\n"
			   "\tpool 10.1.1.0 10.1.1.255\n"
			   "\trenew-time 100\n"
			   "\trebind-time 200\n"
			   "}\n";

static void test_good(void **state)
{
	struct pool_range r[64];
	const struct conf_iface *i;

	assert_int_equal(config_parse("t.conf", good, c, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(c->lease_db, "/tmp/x.db");
	assert_int_equal(c->kernel_sync, 0);
	assert_int_equal(c->quarantine_time, 120);
	assert_int_equal(c->offer_time, 5);
	assert_int_equal(c->offers_per_source, 3);
	assert_int_equal(c->offer_share, 25);
	assert_int_equal(c->quarantine_max, 0);
	assert_int_equal(c->source_rate, 7);
	assert_int_equal(c->nifaces, 2);
	i = &c->ifaces[0];
	assert_string_equal(i->name, "lan0");
	assert_int_equal(i->net, tip("192.0.2.0"));
	assert_int_equal(i->mask, tip("255.255.255.0"));
	assert_int_equal(i->server_id, tip("192.0.2.1"));
	assert_int_equal(i->nranges, 2);
	assert_int_equal(i->ranges[1].first, tip("192.0.2.210"));
	assert_int_equal(i->nexcl, 2);
	assert_int_equal(i->excl[1].last, tip("192.0.2.161"));
	assert_int_equal(i->ndns, 2);
	assert_int_equal(i->dns[1], tip("198.51.100.53"));
	assert_string_equal(i->domain, "hotspot.example");
	assert_int_equal(i->lease_time, 600);
	assert_int_equal(i->nrelays, 3);
	assert_int_equal(i->relays[0], tip("192.0.2.2"));
	assert_int_equal(i->relays[2], tip("192.0.2.4"));
	assert_int_equal(i->t1, 300); /* defaults: 1/2, 7/8 */
	assert_int_equal(i->t2, 525);
	assert_int_equal(i->nhosts, 2);
	assert_int_equal(i->hosts[0].hwlen, 6);
	assert_int_equal(i->hosts[0].hw[5], 0x50);
	assert_int_equal(i->hosts[1].id.len, 8);
	assert_int_equal(i->hosts[1].id.k[0], 'I');
	assert_int_equal(i->hosts[1].id.k[7], 0x51);
	/* kiosk (.50) is outside the pools: it gets its own range. */
	assert_int_equal(config_pool_ranges(i, r, 64), 3);
	assert_int_equal(r[2].first, tip("192.0.2.50"));
	assert_int_equal(r[2].last, tip("192.0.2.50"));
	i = &c->ifaces[1];
	assert_int_equal(i->nrelays, 0);
	assert_int_equal(i->server_id, 0);
	assert_int_equal(i->lease_time, 3600);
	assert_int_equal(i->t1, 100);
	assert_int_equal(i->t2, 200);
}

static void test_defaults(void **state)
{
	assert_int_equal(config_parse("d",
				      "interface e {\nsubnet 10.0.0.0/8\n"
				      "pool 10.0.0.5 10.0.0.6\n}\n",
				      c, err, sizeof(err)),
			 0);
	assert_string_equal(c->lease_db, LEASEDB_DEFAULT_PATH);
	assert_int_equal(c->kernel_sync, 1);
	assert_int_equal(c->quarantine_time, 600);
	assert_int_equal(c->offer_time, 30);
	assert_int_equal(c->offers_per_source, 4);
	assert_int_equal(c->offer_share, 50);
	assert_int_equal(c->quarantine_max, 16);
	assert_int_equal(c->source_rate, 20);
	assert_int_equal(c->ifaces[0].nrelays, 0);
}

#define IFACE "interface lan0 {\nsubnet 192.0.2.0/24\n"
#define POOL  "pool 192.0.2.100 192.0.2.110\n"

static const struct {
	const char *text, *msg;
} bad[] = {
	{ "bogus 1\n", "c:1: unknown keyword 'bogus'" },
	{ "\n\nkernel-sync maybe\n", "c:3: kernel-sync: expected yes or no" },
	{ "lease-db relative.db\n", "c:1: lease-db: need an absolute path" },
	{ "lease-db\n", "c:1: lease-db: expected 1 argument, got 0" },
	{ "quarantine-time 0\n", "c:1: quarantine-time: expected seconds" },
	{ "offer-time 9999\n", "c:1: offer-time: expected seconds (1..3600)" },
	{ "offer-time 1x\n", "c:1: offer-time: expected seconds" },
	{ "offers-per-source -1\n",
	  "c:1: offers-per-source: expected a number (0..65536, 0 = no limit)" },
	{ "quarantine-max 65537\n", "c:1: quarantine-max: expected a number" },
	{ "source-rate\n", "c:1: source-rate: expected 1 argument, got 0" },
	{ "offer-share 0\n",
	  "c:1: offer-share: expected a percentage (1..100)" },
	{ "offer-share 101\n", "c:1: offer-share: expected a percentage" },
	{ "", "c:1: no interface block" },
	{ "interface lan0\n", "c:1: interface: expected 'interface NAME {'" },
	{ "interface averyveryverylongname {\n}\n",
	  "c:1: interface: name 'averyveryverylongname' too long" },
	{ IFACE POOL "}\n" IFACE POOL "}\n",
	  "c:5: interface lan0: already defined at line 1" },
	{ IFACE POOL, "c:1: interface block not closed" },
	{ "}\n", "c:1: '}' without an open block" },
	{ IFACE POOL "} x\n", "c:4: '}' must be alone on its line" },
	{ "interface lan0 {\n" POOL "}\n",
	  "c:1: interface lan0: missing subnet" },
	{ "interface lan0 {\nsubnet 192.0.2.1/24\n}\n",
	  "c:2: subnet: host bits set in 192.0.2.1/24" },
	{ "interface lan0 {\nsubnet 192.0.2.0/31\n}\n",
	  "c:2: subnet: expected A.B.C.D/LEN with LEN 8..30" },
	{ "interface lan0 {\nsubnet 192.0.2.0\n}\n",
	  "c:2: subnet: expected A.B.C.D/LEN" },
	{ IFACE "}\n", "c:1: interface lan0: no pool and no host" },
	{ IFACE "pool 192.0.2.100\n}\n",
	  "c:3: pool: expected 'pool FIRST LAST'" },
	{ IFACE "pool 192.0.2.100 192.0.2.300\n}\n",
	  "c:3: pool: bad IPv4 address '192.0.2.300'" },
	{ IFACE "pool 192.0.2.110 192.0.2.100\n}\n",
	  "c:3: pool: 192.0.2.100 is before 192.0.2.110" },
	{ IFACE "pool 192.0.2.200 192.0.2.255\n}\n",
	  "c:3: pool 192.0.2.200 192.0.2.255: not inside the hosts of 192.0.2.0/24" },
	{ IFACE "pool 192.0.3.1 192.0.3.5\n}\n",
	  "c:3: pool 192.0.3.1 192.0.3.5: not inside" },
	{ IFACE POOL "\npool 192.0.2.105 192.0.2.120\n}\n",
	  "c:5: pool overlaps the pool of line 3" },
	{ IFACE "server-id 192.0.2.105\n" POOL "}\n",
	  "c:4: pool contains the server-id 192.0.2.105" },
	{ IFACE "server-id 10.0.0.1\n" POOL "}\n",
	  "c:1: interface lan0: server-id 10.0.0.1 is not a host of the subnet" },
	{ IFACE POOL "exclude 192.0.2.50\n}\n",
	  "c:4: exclude 192.0.2.50: not inside any pool" },
	{ IFACE POOL "router 192.0.2.1 10.9.9.9\n}\n",
	  "c:1: interface lan0: router 10.9.9.9 is not on the subnet" },
	{ IFACE POOL "dns\n}\n", "c:4: dns: expected at least one address" },
	{ IFACE POOL "dns 1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 "
		     "1.1.1.7 1.1.1.8 1.1.1.9\n}\n",
	  "c:4: dns: at most 8 addresses" },
	{ IFACE POOL "ntp 1.2.3\n}\n", "c:4: ntp: bad IPv4 address '1.2.3'" },
	{ IFACE POOL "relay\n}\n",
	  "c:4: relay: expected at least one address" },
	{ IFACE POOL "relay 192.0.2.2 192.0.2.3 192.0.2.4 192.0.2.5\n"
		     "relay 192.0.2.6 192.0.2.7 192.0.2.8 192.0.2.9\n"
		     "relay 192.0.2.10\n}\n",
	  "c:6: relay: at most 8 per interface" },
	{ IFACE POOL "relay 10.0.0.1\n}\n",
	  "c:1: interface lan0: relay 10.0.0.1 is not a host of the subnet" },
	{ IFACE "server-id 192.0.2.1\n" POOL "relay 192.0.2.1\n}\n",
	  "c:1: interface lan0: relay 192.0.2.1 is not a host of the subnet "
	  "other than the server" },
	{ IFACE POOL "domain-name bad_name\n}\n",
	  "c:4: domain-name: invalid name 'bad_name'" },
	{ IFACE POOL "lease-time 5\n}\n",
	  "c:1: interface lan0: lease-time must be at least 10 s" },
	{ IFACE POOL "lease-time 100\nrenew-time 90\nrebind-time 80\n}\n",
	  "c:1: interface lan0: need renew-time < rebind-time < lease-time (90, 80, 100)" },
	{ IFACE POOL "lease-time -1\n}\n",
	  "c:4: lease-time: expected seconds" },
	{ IFACE POOL "frobnicate 1\n}\n",
	  "c:4: unknown keyword 'frobnicate' in interface block" },
	{ IFACE POOL "host a {\naddress 192.0.2.5\n}\n}\n",
	  "c:4: host a: needs hardware-address or client-id" },
	{ IFACE POOL "host a {\nhardware-address 02:00:00:00:00:01\n}\n}\n",
	  "c:4: host a: missing address" },
	{ IFACE POOL "host a {\nhardware-address 02:00:00:00:01\n}\n}\n",
	  "c:5: hardware-address: expected aa:bb:cc:dd:ee:ff" },
	{ IFACE POOL "host a {\nclient-id 01\n}\n}\n",
	  "c:5: client-id: expected at least 2 hex bytes" },
	{ IFACE POOL "host a {\nclient-id 01:zz\n}\n}\n",
	  "c:5: client-id: expected at least 2 hex bytes" },
	{ IFACE POOL "host a {\nhardware-address 02:00:00:00:00:01\n"
		     "address 10.0.0.5\n}\n}\n",
	  "c:4: host a: address 10.0.0.5 is not a host of the subnet" },
	{ IFACE POOL
	  "exclude 192.0.2.105\nhost a {\n"
	  "hardware-address 02:00:00:00:00:01\naddress 192.0.2.105\n}\n}\n",
	  "c:5: host a: address 192.0.2.105 is excluded" },
	{ IFACE POOL
	  "host a {\nhardware-address 02:00:00:00:00:01\n"
	  "address 192.0.2.5\n}\nhost b {\nhardware-address 02:00:00:00:00:02\n"
	  "address 192.0.2.5\n}\n}\n",
	  "c:8: host b: address 192.0.2.5 already reserved for a (line 4)" },
	{ IFACE POOL
	  "host a {\nhardware-address 02:00:00:00:00:01\n"
	  "address 192.0.2.5\n}\nhost b {\nhardware-address 02:00:00:00:00:01\n"
	  "address 192.0.2.6\n}\n}\n",
	  "c:8: host b: hardware-address already used by a (line 4)" },
	{ IFACE POOL "host a {\nfoo bar\n}\n}\n",
	  "c:5: unknown keyword 'foo' in host block" },
	{ IFACE POOL "host a {\n", "c:4: host block not closed" },
	{ "a b c d e f g h i j k l m n o p q\n", "c:1: too many words" },
};

static void test_errors(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = config_parse("c", bad[i].text, c, err, sizeof(err));

		if (rc != -1 || strncmp(err, bad[i].msg, strlen(bad[i].msg)))
			fail_msg("case %zu: rc %d, got '%s', want '%s'", i, rc,
				 err, bad[i].msg);
	}
}

static void test_load_file(void **state)
{
	char path[] = "/tmp/test_dhcp_config.XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, good, strlen(good)), (ssize_t)strlen(good));
	close(fd);
	assert_int_equal(config_load(path, c, err, sizeof(err)), 0);
	assert_int_equal(c->nifaces, 2);
	unlink(path);
	assert_int_equal(config_load(path, c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
	/* A NUL byte inside the file is an error, not a silent cut. */
	strcpy(path, "/tmp/test_dhcp_config.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "interface\0x {\n", 14), 14);
	close(fd);
	assert_int_equal(config_load(path, c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "NUL"));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_file, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0
/* muisp-uinfod.conf (daemon/uinfod/config.c): defaults, every key, users
 * by login and by uid, the schemes (standalone and its method and usage
 * statements; out-of-band-packet and its method), and the
 * "FILE:LINE: message" of every refusal. */
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

#include "daemon/uinfod/uinfod.h"

#define BASE                      \
	"meter 192.0.2.1\n"       \
	"ca /etc/muisp/ca.crt\n"  \
	"cert /etc/muisp/h.crt\n" \
	"key /etc/muisp/h.key\n"  \
	"interface eth0\n"

static char err[512];
static struct uinfod_conf c;

/* A passwd of two logins; "broken" fails as an unreachable directory
 * would. */
static int fake_lookup(const char *login, uint32_t *uid)
{
	if (!strcmp(login, "alice")) {
		*uid = 1001;
		return 0;
	}
	if (!strcmp(login, "bob")) {
		*uid = 1002;
		return 0;
	}
	if (!strcmp(login, "nobody-1")) {
		*uid = UINT32_MAX;
		return 0;
	}
	if (!strcmp(login, "broken")) {
		errno = EIO;
		return -1;
	}
	return 1;
}

static int parse(const char *text)
{
	int rc;

	uinfod_config_free(&c);
	err[0] = '\0';
	rc = uinfod_config_parse("f", text, &c, fake_lookup, err, sizeof(err));
	if (rc == 0)
		assert_string_equal(err, "");
	return rc;
}

static void test_defaults(void **state)
{
	(void)state;
	assert_int_equal(parse(BASE "user 1001 7\n"), 0);
	assert_string_equal(c.meter, "192.0.2.1");
	assert_int_equal(c.port, 4433);
	assert_string_equal(c.server_name, "192.0.2.1"); /* the meter's */
	assert_string_equal(c.ca, "/etc/muisp/ca.crt");
	assert_string_equal(c.cert, "/etc/muisp/h.crt");
	assert_string_equal(c.key, "/etc/muisp/h.key");
	assert_string_equal(c.interface, "eth0");
	assert_int_equal(c.method, MUISP_TAG_METHOD_PACKET);
	assert_int_equal(c.scheme, MP_SCHEME_IN_BAND);
	assert_int_equal(c.scheme_line, 0);
	assert_int_equal(c.retry_max, 30);
	assert_int_equal(c.method_line, 0);
	assert_int_equal(c.usage_interval, 60);
	assert_string_equal(c.usage_spool, "/var/lib/muisp-uinfod/usage.db");
	assert_int_equal(c.usage_spool_max, 100000);
	assert_int_equal(c.nusers, 1);
	assert_int_equal(c.users[0].uid, 1001);
	assert_int_equal(c.users[0].id, 7);
	assert_int_equal(c.users[0].line, 6);
	uinfod_config_free(&c);
	assert_null(c.users);
}

static void test_every_key(void **state)
{
	(void)state;
	assert_int_equal(parse("# the router\n"
			       "meter router.example.net 4434\n"
			       "server-name muisp.example.net\n"
			       "ca /c/ca.pem\n"
			       "cert /c/host.pem\n"
			       "key /c/host.key\n"
			       "interface wlan0\n"
			       "method flow\n"
			       "retry-max 2m\n"
			       "user bob 4294967295 # the largest id\n"
			       "user alice 1\n"
			       "user 0 2\n"
			       "usage-interval 5m\n"
			       "usage-spool /var/spool/u.db\n"
			       "usage-spool-max 10000000\n"),
			 0);
	/* accepted in band too, used only standalone */
	assert_int_equal(c.usage_interval, 300);
	assert_string_equal(c.usage_spool, "/var/spool/u.db");
	assert_int_equal(c.usage_spool_max, 10000000);
	assert_int_equal(c.method_line, 8);
	assert_string_equal(c.meter, "router.example.net");
	assert_int_equal(c.port, 4434);
	assert_string_equal(c.server_name, "muisp.example.net");
	assert_string_equal(c.ca, "/c/ca.pem");
	assert_string_equal(c.interface, "wlan0");
	assert_int_equal(c.method, MUISP_TAG_METHOD_FLOW);
	assert_int_equal(c.retry_max, 120);
	/* sorted by uid, each with its line */
	assert_int_equal(c.nusers, 3);
	assert_int_equal(c.users[0].uid, 0);
	assert_int_equal(c.users[0].id, 2);
	assert_int_equal(c.users[0].line, 12);
	assert_int_equal(c.users[1].uid, 1001);
	assert_int_equal(c.users[1].id, 1);
	assert_int_equal(c.users[2].uid, 1002);
	assert_true(c.users[2].id == UINT32_MAX);
	assert_non_null(uinfod_config_user(&c, 1001));
	assert_int_equal(uinfod_config_user(&c, 1002)->id, UINT32_MAX);
	assert_null(uinfod_config_user(&c, 1003));
	assert_null(uinfod_config_user(&c, 1));

	/* IPv6 meters; a server name that is an address; a bare number of
	 * seconds */
	assert_int_equal(parse(BASE "meter 2001:db8::1\n"
				    "server-name 192.0.2.7\n"
				    "retry-max 1\nmethod packet\n"
				    "user 5 5\n"),
			 0);
	assert_string_equal(c.meter, "2001:db8::1");
	assert_int_equal(c.port, 4433);
	assert_string_equal(c.server_name, "192.0.2.7");
	assert_int_equal(c.retry_max, 1);
	assert_int_equal(c.method, MUISP_TAG_METHOD_PACKET);
	assert_int_equal(c.users[0].family, 0);

	/* users' own addresses (the Multi-IP scheme): a prefix length, or
	 * the address's full length */
	assert_int_equal(parse(BASE "user 5 5 address 10.77.0.150/24\n"
				    "user 6 6 address 2001:db8::6\n"
				    "user 7 7\n"),
			 0);
	assert_int_equal(c.users[0].family, AF_INET);
	assert_int_equal(c.users[0].plen, 24);
	assert_memory_equal(c.users[0].addr, "\x0a\x4d\x00\x96", 4);
	assert_int_equal(c.users[1].family, AF_INET6);
	assert_int_equal(c.users[1].plen, 128);
	assert_int_equal(c.users[1].addr[15], 6);
	assert_int_equal(c.users[2].family, 0);
	assert_int_equal(c.users[0].dhcp + c.users[2].dhcp, 0);
	/* one leased while they are logged in: no address until then */
	assert_int_equal(parse(BASE "user 5 5 address dhcp\nuser 6 6\n"), 0);
	assert_int_equal(c.users[0].dhcp, 1);
	assert_int_equal(c.users[0].family, 0);
	assert_int_equal(c.users[1].dhcp, 0);
	uinfod_config_free(&c);
}

/* Logins through getpwnam (the default lookup): root is uid 0. */
static void test_getpwnam(void **state)
{
	(void)state;
	uinfod_config_free(&c);
	assert_int_equal(uinfod_config_parse("f", BASE "user root 9\n", &c,
					     NULL, err, sizeof(err)),
			 0);
	assert_int_equal(c.nusers, 1);
	assert_int_equal(c.users[0].uid, 0);
	assert_int_equal(c.users[0].id, 9);
	uinfod_config_free(&c);
	assert_int_equal(uinfod_config_parse("f",
					     BASE "user no-such-login-x 9\n",
					     &c, NULL, err, sizeof(err)),
			 -1);
	assert_string_equal(err, "f:6: user: 'no-such-login-x': no such user");
	uinfod_config_free(&c);
}

static void test_errors(void **state)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{ BASE "\nfoo 1\n", "f:7: unknown statement 'foo'" },
		{ BASE "}\n", "f:6: '}' without an open block" },
		/* meter */
		{ "meter\n",
		  "f:1: meter: expected an ADDRESS and an optional PORT, got "
		  "0 arguments" },
		{ "meter a 1 2\n",
		  "f:1: meter: expected an ADDRESS and an optional PORT, got "
		  "3 arguments" },
		{ "meter bad_host\n",
		  "f:1: meter: 'bad_host': not an address or a host name" },
		{ "meter a..b\n",
		  "f:1: meter: 'a..b': not an address or a host name" },
		{ "meter -a\n",
		  "f:1: meter: '-a': not an address or a host name" },
		{ "meter 192.0.2.1 0\n", "f:1: meter: '0': not in 1..65535" },
		{ "meter 192.0.2.1 65536\n",
		  "f:1: meter: '65536': not in 1..65535" },
		{ "meter 192.0.2.1 https\n",
		  "f:1: meter: 'https': not a decimal number" },
		/* paths */
		{ "ca ca.crt\n", "f:1: ca: 'ca.crt': need an absolute path" },
		{ "cert\n", "f:1: cert: expected 1 argument, got 0" },
		{ "key /a /b\n", "f:1: key: expected 1 argument, got 2" },
		/* the rest */
		{ "server-name a_b\n",
		  "f:1: server-name: 'a_b': not an address or a host name" },
		{ "interface eth0/1\n",
		  "f:1: interface: 'eth0/1': not an interface name" },
		{ "interface abcdefghijklmnop\n",
		  "f:1: interface: 'abcdefghijklmnop': too long (at most 15 "
		  "characters)" },
		{ "method hybrids\n",
		  "f:1: method: 'hybrids': expected packet, flow, hybrid, "
		  "count or report" },
		{ "method\n", "f:1: method: expected 1 argument, got 0" },
		{ BASE "scheme out-of-bound\n",
		  "f:6: scheme: 'out-of-bound': not in-band, out-of-band, "
		  "out-of-band-packet or standalone" },
		{ "scheme In-band\n",
		  "f:1: scheme: 'In-band': not in-band, out-of-band, "
		  "out-of-band-packet or standalone" },
		{ "scheme Standalone\n",
		  "f:1: scheme: 'Standalone': not in-band, out-of-band, "
		  "out-of-band-packet or standalone" },
		{ "scheme\n", "f:1: scheme: expected 1 argument, got 0" },
		{ BASE "scheme out-of-band-flow\n",
		  "f:6: scheme: 'out-of-band-flow': not in-band, out-of-band, "
		  "out-of-band-packet or standalone" },
		{ "scheme in-band out-of-band\n",
		  "f:1: scheme: expected 1 argument, got 2" },
		{ "retry-max 0\n", "f:1: retry-max: '0': not in 1..3600 s" },
		{ "retry-max 2h\n", "f:1: retry-max: '2h': not in 1..3600 s" },
		{ "retry-max 1500ms\n",
		  "f:1: retry-max: '1500ms': not a whole number of seconds" },
		{ "retry-max soon\n", "f:1: retry-max: 'soon': not a number" },
		/* the standalone scheme's (accepted with any scheme) */
		{ "usage-interval 0\n",
		  "f:1: usage-interval: '0': not in 1..3600 s" },
		{ "usage-interval 61m\n",
		  "f:1: usage-interval: '61m': not in 1..3600 s" },
		{ "usage-interval 1500ms\n",
		  "f:1: usage-interval: '1500ms': not a whole number of "
		  "seconds" },
		{ "usage-interval\n",
		  "f:1: usage-interval: expected 1 argument, got 0" },
		{ "usage-interval 1 2\n",
		  "f:1: usage-interval: expected 1 argument, got 2" },
		{ "usage-spool usage.db\n",
		  "f:1: usage-spool: 'usage.db': need an absolute path" },
		{ "usage-spool\n",
		  "f:1: usage-spool: expected 1 argument, got 0" },
		{ "usage-spool-max 0\n",
		  "f:1: usage-spool-max: '0': not in 1..10000000" },
		{ "usage-spool-max 10000001\n",
		  "f:1: usage-spool-max: '10000001': not in 1..10000000" },
		{ "usage-spool-max 1k\n",
		  "f:1: usage-spool-max: '1k': not a decimal number" },
		{ "usage-spool-max\n",
		  "f:1: usage-spool-max: expected 1 argument, got 0" },
		{ "usage-spool-max 5 6\n",
		  "f:1: usage-spool-max: expected 1 argument, got 2" },
		/* users */
		{ "user 1001\n", "f:1: user: expected 2 arguments, got 1" },
		{ "user 1001 5 address\n",
		  "f:1: user: expected 2 arguments, got 3" },
		{ "user 1001 5 addr 10.0.0.1\n",
		  "f:1: user: 'addr': expected 'address'" },
		{ "user 1001 5 address host\n",
		  "f:1: user: 'host': not an IPv4 or IPv6 address" },
		{ "user 1001 5 address 10.0.0.1/33\n",
		  "f:1: user: '10.0.0.1/33': bad prefix length" },
		{ "user 1001 5 address 2001:db8::1/129\n",
		  "f:1: user: '2001:db8::1/129': bad prefix length" },
		{ BASE "user 1 5 address 10.0.0.9/24\nuser 2 6\n"
		       "user 3 7 address 10.0.0.9/16\n",
		  "f:8: user: address 10.0.0.9 already given to uid 1 on line "
		  "6" },
		{ "user carol 5\n", "f:1: user: 'carol': no such user" },
		{ "user broken 5\n",
		  "f:1: user: 'broken': cannot look up: Input/output error" },
		{ "user 4294967295 5\n",
		  "f:1: user: '4294967295': not a uid ((uid_t)-1)" },
		{ "user nobody-1 5\n",
		  "f:1: user: 'nobody-1': not a uid ((uid_t)-1)" },
		{ "user 4294967296 5\n", "f:1: user: '4294967296': too large" },
		{ "user -1 5\n", "f:1: user: '-1': not a decimal number" },
		{ "user +1 5\n", "f:1: user: '+1': not a decimal number" },
		{ "user 1001 0\n", "f:1: user: '0': not in 1..4294967295" },
		{ "user 1001 4294967296\n",
		  "f:1: user: '4294967296': not in 1..4294967295" },
		{ "user 1001 x\n", "f:1: user: 'x': not a decimal number" },
		{ BASE "user 1001 5\nuser 1002 6\nuser alice 7\n",
		  "f:8: user: uid 1001 already mapped on line 6" },
		{ BASE "user 1001 5\nuser 1002 5\n",
		  "f:7: user: Accounting ID 5 already given to uid 1001 on "
		  "line 6" },
		/* both kinds: the first in the file is the one reported */
		{ BASE "user 1 5\nuser 2 6\nuser 3 6\nuser 1 7\n",
		  "f:8: user: Accounting ID 6 already given to uid 2 on line "
		  "7" },
		{ BASE "user 1 5\nuser 2 6\nuser 1 7\nuser 3 6\n",
		  "f:8: user: uid 1 already mapped on line 6" },
		{ BASE "user 1 5\nuser 1 5\n",
		  "f:7: user: uid 1 already mapped on line 6" },
		/* what is required (at the end of the file) */
		{ "ca /a\ncert /b\nkey /c\ninterface e\nuser 1 1\n",
		  "f:6: no meter" },
		{ "meter m\ncert /b\nkey /c\ninterface e\nuser 1 1\n",
		  "f:6: no ca" },
		{ "meter m\nca /a\nkey /c\ninterface e\nuser 1 1\n",
		  "f:6: no cert" },
		{ "meter m\nca /a\ncert /b\ninterface e\nuser 1 1\n",
		  "f:6: no key" },
		{ "meter m\nca /a\ncert /b\nkey /c\nuser 1 1\n",
		  "f:6: no interface" },
		{ BASE, "f:6: no user" },
		{ "", "f:1: no meter" },
	};
	unsigned int i, bad = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (parse(cases[i].text) != -1 || strcmp(err, cases[i].err)) {
			print_error("case %u: got '%s', want '%s'\n", i, err,
				    cases[i].err);
			bad++;
		}
	}
	uinfod_config_free(&c);
	assert_int_equal(bad, 0);
}

/* scheme: in-band (the default: options in the packets) or out-of-band
 * (the router holds each new flow and asks); a user's own address (the
 * Multi-IP scheme) only in band, refused at the user's line. */
static void test_scheme(void **state)
{
	(void)state;
	assert_int_equal(parse(BASE "scheme out-of-band\nuser 1001 7\n"), 0);
	assert_int_equal(c.scheme, MP_SCHEME_OUT_OF_BAND);
	assert_int_equal(c.scheme_line, 6);
	assert_int_equal(c.nusers, 1);
	assert_int_equal(c.users[0].id, 7);
	/* said, and said again: the last one counts */
	assert_int_equal(parse(BASE "user 1001 7\nscheme out-of-band\n"
				    "scheme in-band\n"),
			 0);
	assert_int_equal(c.scheme, MP_SCHEME_IN_BAND);
	assert_int_equal(c.scheme_line, 8);
	/* in band, the users' own addresses stay */
	assert_int_equal(parse(BASE "scheme in-band\n"
				    "user 5 5 address 10.77.0.150\n"),
			 0);
	assert_int_equal(c.users[0].family, AF_INET);

	/* out of band: a user's address, wherever the scheme is said */
	assert_int_equal(parse(BASE "scheme out-of-band\nuser 1001 7\n"
				    "user 1002 8 address 10.77.0.150/24\n"),
			 -1);
	assert_string_equal(err, "f:8: a user's own address needs the in-band "
				 "scheme (line 6 says out-of-band): the module "
				 "keeps it theirs");
	assert_int_equal(parse(BASE "scheme out-of-band\n"
				    "user 1002 8 address dhcp\n"),
			 -1);
	assert_string_equal(err, "f:7: a user's own address needs the in-band "
				 "scheme (line 6 says out-of-band): the module "
				 "keeps it theirs");
	assert_int_equal(parse(BASE "user 5 5 address 2001:db8::5\n"
				    "\nscheme out-of-band\n"),
			 -1);
	assert_string_equal(err, "f:6: a user's own address needs the in-band "
				 "scheme (line 8 says out-of-band): the module "
				 "keeps it theirs");
	/* a later in-band takes it back */
	assert_int_equal(parse(BASE "scheme out-of-band\n"
				    "user 5 5 address 10.77.0.150\n"
				    "scheme in-band\n"),
			 0);
	assert_int_equal(c.scheme, MP_SCHEME_IN_BAND);
	uinfod_config_free(&c);
}

/* scheme standalone: the module counts (method count, implied), the
 * usage statements are its; a method said with it is refused at its
 * line, and count is refused with the other schemes. */
static void test_standalone(void **state)
{
	(void)state;
	assert_int_equal(parse(BASE "scheme standalone\nuser 1001 7\n"), 0);
	assert_int_equal(c.scheme, MP_SCHEME_STANDALONE);
	assert_int_equal(c.scheme_line, 6);
	assert_int_equal(c.method, MUISP_TAG_METHOD_COUNT);
	assert_int_equal(c.usage_interval, 60);
	assert_int_equal(c.usage_spool_max, 100000);
	/* the usage statements, each at a limit; a user's own address is
	 * counted too */
	assert_int_equal(parse(BASE "usage-interval 1\n"
				    "usage-spool /tmp/u.db\n"
				    "usage-spool-max 1\n"
				    "user 1001 7 address 10.77.0.150/24\n"
				    "scheme standalone\n"),
			 0);
	assert_int_equal(c.method, MUISP_TAG_METHOD_COUNT);
	assert_int_equal(c.usage_interval, 1);
	assert_string_equal(c.usage_spool, "/tmp/u.db");
	assert_int_equal(c.usage_spool_max, 1);
	assert_int_equal(c.users[0].family, AF_INET);
	assert_int_equal(parse(BASE "usage-interval 1h\nscheme standalone\n"
				    "user 1 1\n"),
			 0);
	assert_int_equal(c.usage_interval, 3600);

	/* a method with it, before or after, even count */
	assert_int_equal(parse(BASE "scheme standalone\nmethod packet\n"
				    "user 1001 7\n"),
			 -1);
	assert_string_equal(err, "f:7: method: not with the standalone scheme "
				 "(line 6), which counts (method count is "
				 "implied): remove it");
	assert_int_equal(parse(BASE "method count\nuser 1001 7\n\n"
				    "scheme standalone\n"),
			 -1);
	assert_string_equal(err, "f:6: method: not with the standalone scheme "
				 "(line 9), which counts (method count is "
				 "implied): remove it");
	/* count is the standalone scheme's */
	assert_int_equal(parse(BASE "method count\nuser 1001 7\n"), -1);
	assert_string_equal(err, "f:6: method: count is the standalone "
				 "scheme's: say scheme standalone");
	assert_int_equal(parse(BASE "scheme standalone\nuser 1001 7\n"
				    "method count\nscheme in-band\n"),
			 -1);
	assert_string_equal(err, "f:8: method: count is the standalone "
				 "scheme's: say scheme standalone");
	assert_int_equal(parse(BASE "scheme out-of-band\nmethod count\n"
				    "user 1001 7\n"),
			 -1);
	assert_string_equal(err, "f:7: method: count is the standalone "
				 "scheme's: say scheme standalone");
	/* the last scheme said counts: standalone taken back */
	assert_int_equal(parse(BASE "scheme standalone\nmethod hybrid\n"
				    "scheme in-band\nuser 1001 7\n"),
			 0);
	assert_int_equal(c.scheme, MP_SCHEME_IN_BAND);
	assert_int_equal(c.method, MUISP_TAG_METHOD_HYBRID);
	uinfod_config_free(&c);
}

/* scheme out-of-band-packet: the module reports (method report,
 * implied); a method said with it is refused at its line, report is
 * refused with the other schemes; a user's own address is allowed (the
 * address names them: the module does not report its packets). */
static void test_packet(void **state)
{
	(void)state;
	assert_int_equal(parse(BASE "scheme out-of-band-packet\n"
				    "user 1001 7\n"),
			 0);
	assert_int_equal(c.scheme, MP_SCHEME_OUT_OF_BAND_PACKET);
	assert_int_equal(c.scheme, 3);
	assert_int_equal(c.scheme_line, 6);
	assert_int_equal(c.method, MUISP_TAG_METHOD_REPORT);
	assert_int_equal(c.method_line, 0);
	assert_int_equal(parse(BASE "user 1001 7 address 10.77.0.150/24\n"
				    "user 1002 8\n"
				    "scheme out-of-band-packet\n"),
			 0);
	assert_int_equal(c.method, MUISP_TAG_METHOD_REPORT);
	assert_int_equal(c.users[0].family, AF_INET);
	assert_int_equal(c.users[0].plen, 24);
	assert_int_equal(c.users[1].family, 0);

	/* a method with it, before or after, even report */
	assert_int_equal(parse(BASE "scheme out-of-band-packet\nmethod flow\n"
				    "user 1001 7\n"),
			 -1);
	assert_string_equal(err, "f:7: method: not with the out-of-band-packet "
				 "scheme (line 6), which reports (method "
				 "report is implied): remove it");
	assert_int_equal(parse(BASE "method report\nuser 1001 7\n"
				    "scheme out-of-band-packet\n"),
			 -1);
	assert_string_equal(err, "f:6: method: not with the out-of-band-packet "
				 "scheme (line 8), which reports (method "
				 "report is implied): remove it");
	/* and count is not this scheme's either */
	assert_int_equal(parse(BASE "scheme out-of-band-packet\n"
				    "method count\nuser 1001 7\n"),
			 -1);
	assert_string_equal(err, "f:7: method: not with the out-of-band-packet "
				 "scheme (line 6), which reports (method "
				 "report is implied): remove it");
	/* report is the out-of-band-packet scheme's, whatever else */
	assert_int_equal(parse(BASE "method report\nuser 1001 7\n"), -1);
	assert_string_equal(err,
			    "f:6: method: report is the out-of-band-packet "
			    "scheme's: say scheme out-of-band-packet");
	assert_int_equal(parse(BASE "scheme out-of-band-packet\nuser 1001 7\n"
				    "method report\nscheme out-of-band\n"),
			 -1);
	assert_string_equal(err,
			    "f:8: method: report is the out-of-band-packet "
			    "scheme's: say scheme out-of-band-packet");
	assert_int_equal(parse(BASE "scheme in-band\nmethod report\n"
				    "user 1001 7\n"),
			 -1);
	assert_string_equal(err,
			    "f:7: method: report is the out-of-band-packet "
			    "scheme's: say scheme out-of-band-packet");
	assert_int_equal(parse(BASE "scheme standalone\nuser 1001 7\n"
				    "scheme in-band\nmethod report\n"),
			 -1);
	assert_string_equal(err,
			    "f:9: method: report is the out-of-band-packet "
			    "scheme's: say scheme out-of-band-packet");
	/* the last scheme said counts */
	assert_int_equal(parse(BASE "scheme out-of-band-packet\n"
				    "scheme standalone\nuser 1001 7\n"),
			 0);
	assert_int_equal(c.scheme, MP_SCHEME_STANDALONE);
	assert_int_equal(c.method, MUISP_TAG_METHOD_COUNT);
	assert_int_equal(parse(BASE "scheme standalone\n"
				    "scheme out-of-band-packet\n"
				    "user 1001 7\n"),
			 0);
	assert_int_equal(c.scheme, MP_SCHEME_OUT_OF_BAND_PACKET);
	assert_int_equal(c.method, MUISP_TAG_METHOD_REPORT);
	assert_int_equal(c.scheme_line, 7);
	uinfod_config_free(&c);
}

/* Names at their limits: 255 characters of host name is too long for a
 * resolver (253) but a path may have 255. */
static void test_lengths(void **state)
{
	char text[1024], name[300];

	(void)state;
	memset(name, 'a', 255);
	name[0] = '/';
	name[255] = '\0';
	snprintf(text, sizeof(text), BASE "ca %s\nuser 1 1\n", name);
	assert_int_equal(parse(text), 0);
	assert_string_equal(c.ca, name);
	name[255] = 'a';
	name[256] = '\0';
	snprintf(text, sizeof(text), BASE "ca %s\nuser 1 1\n", name);
	assert_int_equal(parse(text), -1);
	assert_non_null(strstr(err, "f:6: ca: '/aaa"));
	assert_non_null(strstr(err, "': too long (at most 255 characters)"));

	memset(name, 'a', 253);
	name[253] = '\0';
	snprintf(text, sizeof(text), BASE "meter %s\nuser 1 1\n", name);
	assert_int_equal(parse(text), 0);
	assert_string_equal(c.server_name, name);
	name[253] = 'a';
	name[254] = '\0';
	snprintf(text, sizeof(text), BASE "meter %s\nuser 1 1\n", name);
	assert_int_equal(parse(text), -1);
	assert_non_null(strstr(err, "': not an address or a host name"));
	uinfod_config_free(&c);
}

/* Many users, in any order: sorted and found. */
static void test_many_users(void **state)
{
	static char text[1 << 20];
	size_t n = 0;
	unsigned int i;

	(void)state;
	n += (size_t)snprintf(text, sizeof(text), BASE);
	for (i = 0; i < 5000; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "user %u %u\n", (i * 7919) % 5000 + 10,
				      i + 1);
	assert_int_equal(parse(text), 0);
	assert_int_equal(c.nusers, 5000);
	for (i = 1; i < c.nusers; i++)
		assert_true(c.users[i - 1].uid < c.users[i].uid);
	assert_int_equal(uinfod_config_user(&c, 10)->id, 1);
	assert_non_null(uinfod_config_user(&c, 5009));
	assert_null(uinfod_config_user(&c, 5010));
	uinfod_config_free(&c);
}

static void test_load(void **state)
{
	char path[] = "/tmp/uinfod-conf-XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(BASE "user 1 1\nmethod nope\n", f);
	fclose(f);
	assert_int_equal(uinfod_config_load(path, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":7: method: 'nope': expected packet, "
				    "flow, hybrid, count or report"));
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	uinfod_config_free(&c);
	unlink(path);
	assert_int_equal(uinfod_config_load(path, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	uinfod_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_getpwnam),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_scheme),
		cmocka_unit_test(test_standalone),
		cmocka_unit_test(test_packet),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_many_users),
		cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * muispctl: its own argument parsers and formatters (lib/parse's are in
 * test_parse.c), then whole command lines run through muispctl_main()
 * with stdout/stderr captured: every usage error is caught before the
 * kernel is asked, with an exact message and exit code 2; help goes to
 * stdout with exit 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "leasedb.h"
#include "stats_cat.h"
#include "tools/muispctl/muispctl.h"

static const char *why;

static void test_expiry_and_limit(void **state)
{
	uint64_t v;

	assert_int_equal(parse_expiry("never", 1000, &v, &why), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_expiry("+3600", 1000, &v, &why), 0);
	assert_int_equal(v, 4600);
	assert_int_equal(parse_expiry("+10m", 1000, &v, &why), 0);
	assert_int_equal(v, 1600);
	assert_int_equal(parse_expiry("@1795622400", 1000, &v, &why), 0);
	assert_int_equal(v, 1795622400);
	assert_int_equal(parse_expiry("2026-11-25T16:00:00Z", 1000, &v, &why),
			 0);
	assert_int_equal(v, 1795622400);
	assert_int_equal(parse_expiry("2026-11-25 16:00:01", 1000, &v, &why),
			 0);
	assert_int_equal(v, 1795622401);
	assert_int_equal(parse_expiry("tomorrow", 1000, &v, &why), -1);
	assert_int_equal(parse_expiry("2026-11-25T16:00:00+01", 1000, &v, &why),
			 -1);
	assert_int_equal(parse_expiry("+1.5s", 1000, &v, &why), -1);
	assert_int_equal(parse_expiry("+", 1000, &v, &why), -1);

	assert_int_equal(parse_limit(MUISP_METRIC_BYTES, "1M", &v, &why), 0);
	assert_int_equal(v, 1000000);
	assert_int_equal(parse_limit(MUISP_METRIC_PACKETS, "2k", &v, &why), 0);
	assert_int_equal(v, 2000);
	assert_int_equal(parse_limit(MUISP_METRIC_ELAPSED_TIME, "1h", &v, &why),
			 0);
	assert_int_equal(v, 3600000);
	assert_int_equal(parse_limit(MUISP_METRIC_USAGE_TIME, "90", &v, &why),
			 0);
	assert_int_equal(v, 90000);
	assert_int_equal(parse_limit(MUISP_METRIC_USAGE_TIME, "1M", &v, &why),
			 -1);
	assert_int_equal(parse_limit(0, "1", &v, &why), -1);
	assert_string_equal(why, "unknown metric");
}

static void test_names_and_formats(void **state)
{
	char buf[48];

	assert_int_equal(name_lookup(&addr_state_names, "bound"),
			 MUISP_ADDR_STATE_BOUND);
	assert_int_equal(name_lookup(&contract_status_names, "delinquent"),
			 MUISP_CONTRACT_STATUS_DELINQUENT);
	assert_int_equal(name_lookup(&metric_names, "usage-time"),
			 MUISP_METRIC_USAGE_TIME);
	assert_int_equal(name_lookup(&metric_names, "bogus"), -1);
	assert_int_equal(name_lookup(&contract_status_names, ""), -1);
	assert_string_equal(name_of(&drop_names, MUISP_DROP_NOT_BOUND, buf),
			    "not-bound");
	assert_string_equal(name_of(&flow_end_names, 200, buf), "200");
	assert_string_equal(name_of(&event_names, MUISP_EVENT_ADDR_STATE, buf),
			    "addr-state");
	assert_string_equal(name_list(&addr_state_names),
			    "unallocated|allocated|bound");
	assert_string_equal(name_list(&metric_names),
			    "elapsed-time|usage-time|bytes|packets");
	/* Every uAPI value has a name. */
	assert_int_equal(addr_state_names.n, MUISP_ADDR_STATE_MAX + 1);
	assert_int_equal(contract_status_names.n,
			 MUISP_CONTRACT_STATUS_MAX + 1);
	assert_int_equal(metric_names.n, MUISP_METRIC_MAX + 1);
	assert_int_equal(flow_end_names.n, MUISP_FLOW_END_MAX + 1);
	assert_int_equal(drop_names.n, MUISP_DROP_MAX + 1);
	assert_int_equal(event_names.n, MUISP_EVENT_MAX + 1);
	assert_int_equal(tag_method_names.n, MUISP_TAG_METHOD_MAX + 1);
	assert_int_equal(name_lookup(&tag_method_names, "flow"),
			 MUISP_TAG_METHOD_FLOW);
	assert_string_equal(name_list(&tag_method_names),
			    "packet|flow|hybrid|count|report");

	assert_string_equal(fmt_time_s(0, buf, sizeof(buf)), "never");
	assert_string_equal(fmt_time_s(1795622400, buf, sizeof(buf)),
			    "2026-11-25T16:00:00Z");
	assert_string_equal(fmt_time_ms(1795622400007ULL, buf, sizeof(buf)),
			    "2026-11-25T16:00:00.007Z");
	assert_string_equal(fmt_time_s(UINT64_MAX, buf, sizeof(buf)),
			    "@18446744073709551615");
	assert_string_equal(fmt_tcp_flags(0x13, buf), "FSA");
	assert_string_equal(fmt_tcp_flags(0, buf), "-");
	assert_string_equal(fmt_tcp_flags(0xff, buf), "FSRPAUEC");
	assert_string_equal(fmt_mac((const uint8_t *)"\x02\x00\x00\xab\x00"
						     "\x66",
				    buf),
			    "02:00:00:ab:00:66");
}

/* ---- whole command lines ---- */

#include "muispctl_run.h"

static void test_cli_usage_errors(void **state)
{
	USAGE_ERR("unknown addr command 'frob'\n"
		  "usage: muispctl addr list\n"
		  "       muispctl addr show ADDRESS\n"
		  "       muispctl addr set ADDRESS state unallocated|"
		  "allocated|bound [contract ID] [mac MAC] [reqid N] "
		  "[if-id N] [excl]\n"
		  "       muispctl addr del ADDRESS",
		  "addr", "frob");
	USAGE_ERR("invalid address '192.0.2.300': not an IPv4 or IPv6 address",
		  "addr", "set", "192.0.2.300", "state", "bound");
	USAGE_ERR("invalid state 'paid': expected unallocated|allocated|bound",
		  "addr", "set", "192.0.2.10", "state", "paid");
	USAGE_ERR("state bound needs 'contract ID' (try --help)", "addr", "set",
		  "192.0.2.10", "state", "bound");
	USAGE_ERR("'contract' is only valid with state bound (try --help)",
		  "addr", "set", "192.0.2.10", "state", "allocated", "contract",
		  "7");
	USAGE_ERR("'state' needs a value (try --help)", "addr", "set",
		  "192.0.2.10", "state");
	USAGE_ERR("invalid contract '0': must be non-zero", "addr", "set",
		  "192.0.2.10", "state", "bound", "contract", "0");
	USAGE_ERR("addr show needs one ADDRESS (try --help)", "addr", "show");
	USAGE_ERR("invalid contract ID '0': must be non-zero", "contract",
		  "set", "0");
	/* contract ids are 64-bit (receipt serials): 2^64 is too large */
	USAGE_ERR("invalid contract ID '18446744073709551616': too large",
		  "contract", "show", "18446744073709551616");
	USAGE_ERR("invalid contract '18446744073709551616': too large", "addr",
		  "set", "192.0.2.10", "state", "bound", "contract",
		  "18446744073709551616");
	USAGE_ERR("invalid dns-burst '0': must be non-zero", "config", "set",
		  "dns-burst", "0");
	USAGE_ERR("invalid dns-rate '10001': too large", "config", "set",
		  "dns-rate", "10001");
	USAGE_ERR("invalid soft '1X': unknown unit", "contract", "set", "7",
		  "metric", "bytes", "soft", "1X");
	USAGE_ERR("invalid hard '1M': unknown unit", "contract", "set", "7",
		  "metric", "elapsed-time", "hard", "1M");
	USAGE_ERR("invalid status 'extinguished': set by the kernel only",
		  "contract", "set", "7", "status", "extinguished");
	USAGE_ERR("invalid metric 'euros': expected elapsed-time|usage-time|"
		  "bytes|packets",
		  "contract", "set", "7", "metric", "euros");
	USAGE_ERR("invalid expires 'soon': expected never, +DURATION, @EPOCH "
		  "or YYYY-MM-DDTHH:MM:SSZ",
		  "contract", "set", "7", "expires", "soon");
	USAGE_ERR("unknown contract set argument 'price' (try --help)",
		  "contract", "set", "7", "price", "3");
	USAGE_ERR("'port' needs proto tcp, udp, sctp or udplite (try --help)",
		  "garden", "add", "198.51.100.0/24", "port", "80-443");
	USAGE_ERR("invalid prefix '198.51.100.1/24': host bits set beyond "
		  "the prefix length",
		  "garden", "add", "198.51.100.1/24");
	USAGE_ERR("invalid port '443-80': range start above its end", "garden",
		  "add", "198.51.100.0/24", "proto", "tcp", "port", "443-80");
	USAGE_ERR("invalid block target '02:00:00:00:00:6g': not an address, "
		  "prefix or MAC",
		  "block", "add", "02:00:00:00:00:6g");
	USAGE_ERR("invalid ID 'x': not a decimal number", "block", "del", "x");
	USAGE_ERR("invalid idle-timeout '1.5s': not a whole number of seconds",
		  "config", "set", "idle-timeout", "1.5s");
	USAGE_ERR("unknown config key 'colour' (try --help)", "config", "set",
		  "colour", "red");
	USAGE_ERR("invalid require-tunnel 'maybe': expected on or off",
		  "config", "set", "require-tunnel", "maybe");
	USAGE_ERR("unknown flow list argument 'port' (try --help)", "flow",
		  "list", "port", "80");
	USAGE_ERR("invalid count '0': expected a positive number", "monitor",
		  "count", "0");
	USAGE_ERR("unknown monitor argument 'everything' (try --help)",
		  "monitor", "everything");
}

static void test_cli_help(void **state)
{
	assert_int_equal(run(NULL), EXIT_USAGE);
	assert_non_null(strstr(err_txt, "usage: muispctl [-j|--json]"));
	assert_int_equal(run("--help", NULL), EXIT_OK);
	assert_non_null(strstr(out_txt,
			       "exit status: 0 ok, 1 operation "
			       "failed, 2 usage error, 3 module not loaded, "
			       "4 permission denied\n"));
	assert_string_equal(err_txt, "");
	assert_int_equal(run("--bogus", NULL), EXIT_USAGE);
	assert_int_equal(run("frob", NULL), EXIT_USAGE);
	assert_non_null(strstr(err_txt, "muispctl: unknown object 'frob'\n"));
	assert_int_equal(run("flow", "help", NULL), EXIT_OK);
	assert_string_equal(
		out_txt,
		"usage: muispctl flow list [addr ADDRESS] [contract ID]\n"
		"       muispctl flow flush [contract ID]\n");
	assert_int_equal(run("garden", "add", "--help", NULL), EXIT_OK);
	assert_string_equal(
		out_txt,
		"usage: muispctl garden add PREFIX [proto NAME|NUM] "
		"[port P|LO-HI] [expires never|+DURATION|@EPOCH|DATE]\n");
	assert_int_equal(run("monitor", "-h", NULL), EXIT_OK);
	assert_string_equal(
		out_txt,
		"usage: muispctl monitor [events|flows|conns|all] [count N]\n");
	assert_int_equal(run("-V", NULL), EXIT_OK);
	assert_non_null(strstr(out_txt, "uAPI version 1"));
}

static void test_cli_batch(void **state)
{
	char path[] = "/tmp/muispctl-batch-XXXXXX", want[256];
	int fd = mkstemp(path);
	static const char text[] = "# comment\n"
				   "\n"
				   "  flow   help  \n"
				   "addr set x state bound\n"
				   "flow help\n";

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1),
			 (ssize_t)sizeof(text) - 1);
	close(fd);
	/* Runs line 3, stops at line 4: line 5 never runs. */
	assert_int_equal(run("-b", path, NULL), EXIT_USAGE);
	assert_string_equal(
		out_txt,
		"usage: muispctl flow list [addr ADDRESS] [contract ID]\n"
		"       muispctl flow flush [contract ID]\n");
	snprintf(want, sizeof(want),
		 "muispctl: invalid address 'x': "
		 "not an IPv4 or IPv6 address\nmuispctl: %s:4: command "
		 "failed\n",
		 path);
	assert_string_equal(err_txt, want);
	/* iproute2 spelling. */
	assert_int_equal(run("-batch", path, NULL), EXIT_USAGE);
	assert_string_equal(err_txt, want);
	assert_int_equal(run("--batch", path, "addr", "list", NULL),
			 EXIT_USAGE);
	assert_string_equal(err_txt, "muispctl: -b takes no command line\n");
	unlink(path);
	assert_int_equal(run("-b", path, NULL), EXIT_USAGE);
	snprintf(want, sizeof(want),
		 "muispctl: %s: No such file or "
		 "directory\n",
		 path);
	assert_string_equal(err_txt, want);
}

/* Without the module (as on any build host: its kernel cannot load
 * modules), a valid command fails with exit 3 and the modprobe hint. */
static void test_cli_no_module(void **state)
{
	struct muisp_nl *nl = muisp_nl_open(0);

	if (nl) {
		muisp_nl_close(nl);
		skip(); /* the muisp family is registered on this host */
	}
	assert_int_equal(run("--json", "addr", "list", NULL), EXIT_NOMODULE);
	assert_string_equal(err_txt, "muispctl: muisp kernel module not "
				     "loaded (modprobe muisp)\n");
	assert_string_equal(out_txt, "");
	assert_int_equal(run("addr", "set", "192.0.2.10", "state", "bound",
			     "contract", "7", NULL),
			 EXIT_NOMODULE);
	/* Usage errors still win: they are found before the kernel. */
	assert_int_equal(run("addr", "set", "x", NULL), EXIT_USAGE);
	/* stats needs the module, as before it also read the daemons */
	assert_int_equal(run("--json", "stats", "--db", "/nonexistent", NULL),
			 EXIT_NOMODULE);
	assert_string_equal(out_txt, "");
}

/* A key file of text and mode (its name left in path). */
static void key_file(const char *text, mode_t mode, char *path)
{
	int fd;

	strcpy(path, "/tmp/muispctl-key-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* agent set with a key file of text and mode (its name left in path). */
static int set_key(const char *text, mode_t mode, char *path)
{
	int rc;

	key_file(text, mode, path);
	rc = run("agent", "set", "192.0.2.9", "key-id", "1", "key-file", path,
		 NULL);
	unlink(path);
	return rc;
}

/* tag set (on lo) with a key file of text and mode, as set_key. */
static int tag_key(const char *text, mode_t mode, char *path)
{
	int rc;

	key_file(text, mode, path);
	rc = run("tag", "set", "lo", "key-id", "1", "key-file", path, "method",
		 "flow", NULL);
	unlink(path);
	return rc;
}

static void test_cli_agent_key(void **state)
{
	static const char good[] = "000102030405060708090a0b0c0d0e0f\n"
				   " DEADBEEF\n";
	char path[64], want[256];
	struct muisp_nl *nl;

	USAGE_ERR("agent set needs key-id N and key-file FILE (try --help)",
		  "agent", "set", "192.0.2.9", "key-id", "1");
	USAGE_ERR("invalid key-id '0': must be at least 1", "agent", "set",
		  "192.0.2.9", "key-id", "0", "key-file", "-");
	USAGE_ERR("invalid address 'host': not an IPv4 or IPv6 address",
		  "agent", "del", "host");
	USAGE_ERR("agent close needs one ADDRESS (try --help)", "agent",
		  "close");
	USAGE_ERR("agent close needs one ADDRESS (try --help)", "agent",
		  "close", "192.0.2.9", "key-id");
	USAGE_ERR("invalid address 'host': not an IPv4 or IPv6 address",
		  "agent", "close", "host");
	/* hold-queue (out of band): an NFQUEUE number, 0..65535 */
	USAGE_ERR("invalid hold-queue '70000': too large", "agent", "set",
		  "192.0.2.9", "key-id", "1", "key-file", "-", "hold-queue",
		  "70000");
	USAGE_ERR("invalid hold-queue '65536': too large", "agent", "set",
		  "192.0.2.9", "hold-queue", "65536", "key-id", "1", "key-file",
		  "-");
	USAGE_ERR("invalid hold-queue '-1': not a decimal number", "agent",
		  "set", "192.0.2.9", "key-id", "1", "key-file", "-",
		  "hold-queue", "-1");
	USAGE_ERR("invalid hold-queue 'q1': not a decimal number", "agent",
		  "set", "192.0.2.9", "key-id", "1", "key-file", "-",
		  "hold-queue", "q1");
	USAGE_ERR("'hold-queue' needs a value (try --help)", "agent", "set",
		  "192.0.2.9", "key-id", "1", "key-file", "-", "hold-queue");
	/* not instead of the key */
	USAGE_ERR("agent set needs key-id N and key-file FILE (try --help)",
		  "agent", "set", "192.0.2.9", "hold-queue", "5");
	/* scheme: the module's names, as muisp-uinfod.conf's */
	USAGE_ERR("invalid scheme 'oob': expected "
		  "in-band|out-of-band|standalone|out-of-band-packet",
		  "agent", "set", "192.0.2.9", "key-id", "1", "key-file", "-",
		  "scheme", "oob");
	USAGE_ERR("'scheme' needs a value (try --help)", "agent", "set",
		  "192.0.2.9", "key-id", "1", "key-file", "-", "scheme");
	assert_int_equal(run("agent", "help", NULL), EXIT_OK);
	assert_string_equal(out_txt,
			    "usage: muispctl agent list\n"
			    "       muispctl agent set ADDRESS key-id N "
			    "key-file FILE|- [scheme NAME] [hold-queue N]\n"
			    "       muispctl agent close ADDRESS\n"
			    "       muispctl agent del ADDRESS\n"
			    "       muispctl agent usage [ADDRESS]\n");
	/* usage (muispd's records of standalone agents): at most a host */
	USAGE_ERR("agent usage takes at most an ADDRESS (try --help)", "agent",
		  "usage", "192.0.2.9", "7");
	USAGE_ERR("invalid address 'host': not an IPv4 or IPv6 address",
		  "agent", "usage", "host");
	/* open to others: refused before anything is read or sent */
	assert_int_equal(set_key(good, 0644, path), EXIT_FAIL);
	snprintf(want, sizeof(want),
		 "muispctl: agent set: key file %s: group or others may "
		 "access it (mode 0644): chmod 600 it\n",
		 path);
	assert_string_equal(err_txt, want);
	/* a digit short, a digit too many, a stray character */
	assert_int_equal(set_key("000102030405060708090a0b0c0d0e0fdeadbee",
				 0600, path),
			 EXIT_USAGE);
	snprintf(want, sizeof(want),
		 "muispctl: key file %s: expected 40 hex digits (the AES-128 "
		 "key, then the 4-byte salt) (try --help)\n",
		 path);
	assert_string_equal(err_txt, want);
	assert_int_equal(set_key("000102030405060708090a0b0c0d0e0fdeadbeef0",
				 0600, path),
			 EXIT_USAGE);
	assert_int_equal(set_key("000102030405060708090a0b0c0d0e0fdeadbeeg",
				 0600, path),
			 EXIT_USAGE);
	assert_int_equal(run("agent", "set", "192.0.2.9", "key-id", "1",
			     "key-file", "/nonexistent/key", NULL),
			 EXIT_FAIL);
	assert_string_equal(err_txt, "muispctl: agent set: key file "
				     "/nonexistent/key: No such file or "
				     "directory\n");
	/* lib/secret.c's other refusals: a directory, too long a file */
	assert_int_equal(run("agent", "set", "192.0.2.9", "key-id", "1",
			     "key-file", "/", NULL),
			 EXIT_FAIL);
	assert_string_equal(err_txt, "muispctl: agent set: key file /: "
				     "not a regular file\n");
	memset(want, ' ', 200);
	memcpy(want + 150, "000102030405060708090a0b0c0d0e0fdeadbeef", 40);
	want[190] = 0;
	assert_int_equal(set_key(want, 0600, path), EXIT_FAIL);
	snprintf(want, sizeof(want),
		 "muispctl: agent set: key file %s: longer than 80 bytes\n",
		 path);
	assert_string_equal(err_txt, want);
	/* a good file reaches the kernel (here: no module) */
	nl = muisp_nl_open(0);
	if (nl) {
		muisp_nl_close(nl);
		skip(); /* the muisp family is registered on this host */
	}
	assert_int_equal(set_key(good, 0600, path), EXIT_NOMODULE);
	/* and with the extreme hold queues */
	key_file(good, 0600, path);
	assert_int_equal(run("agent", "set", "192.0.2.9", "key-id", "1",
			     "key-file", path, "hold-queue", "65535", NULL),
			 EXIT_NOMODULE);
	assert_string_equal(err_txt, "muispctl: muisp kernel module not "
				     "loaded (modprobe muisp)\n");
	assert_int_equal(run("agent", "set", "2001:db8::9", "hold-queue", "0",
			     "key-id", "4294967295", "key-file", path, NULL),
			 EXIT_NOMODULE);
	unlink(path);
}

/* user bind|unbind: every bad argument is refused before the kernel is
 * asked (exit 2 whether or not the module is loaded). */
static void test_cli_user(void **state)
{
	struct muisp_nl *nl;

	(void)state;
	USAGE_ERR("unknown user command 'del'\n"
		  "usage: muispctl user list\n"
		  "       muispctl user bind ADDRESS USER CONTRACT\n"
		  "       muispctl user unbind ADDRESS USER\n"
		  "       muispctl user block ADDRESS USER [reason TEXT]\n"
		  "       muispctl user allow ADDRESS USER\n"
		  "       muispctl user blocked",
		  "user", "del");
	assert_int_equal(run("user", "help", NULL), EXIT_OK);
	assert_string_equal(
		out_txt,
		"usage: muispctl user list\n"
		"       muispctl user bind ADDRESS USER CONTRACT\n"
		"       muispctl user unbind ADDRESS USER\n"
		"       muispctl user block ADDRESS USER [reason TEXT]\n"
		"       muispctl user allow ADDRESS USER\n"
		"       muispctl user blocked\n");
	assert_int_equal(run("user", "bind", "--help", NULL), EXIT_OK);
	assert_string_equal(out_txt, "usage: muispctl user bind ADDRESS USER "
				     "CONTRACT\n");
	assert_int_equal(run("--help", NULL), EXIT_OK);
	assert_non_null(strstr(out_txt, "  agent      per-user accounting: the "
					"multi-user hosts metered here\n"
					"  user       per-user contracts and "
					"block list: an agent's users\n"));
	/* missing and extra arguments */
	USAGE_ERR("user list takes no arguments (try --help)", "user", "list",
		  "192.0.2.9");
	USAGE_ERR("user bind needs an ADDRESS, a USER and a CONTRACT "
		  "(try --help)",
		  "user", "bind");
	USAGE_ERR("user bind needs an ADDRESS, a USER and a CONTRACT "
		  "(try --help)",
		  "user", "bind", "192.0.2.9", "1001");
	USAGE_ERR("user bind needs an ADDRESS, a USER and a CONTRACT "
		  "(try --help)",
		  "user", "bind", "192.0.2.9", "1001", "7", "8");
	USAGE_ERR("user unbind needs an ADDRESS and a USER (try --help)",
		  "user", "unbind", "192.0.2.9");
	USAGE_ERR("user unbind needs an ADDRESS and a USER (try --help)",
		  "user", "unbind", "192.0.2.9", "1001", "7");
	/* a bad ADDRESS */
	USAGE_ERR("invalid address 'host': not an IPv4 or IPv6 address", "user",
		  "bind", "host", "1001", "7");
	USAGE_ERR("invalid address '192.0.2.0/24': not an IPv4 or IPv6 "
		  "address",
		  "user", "unbind", "192.0.2.0/24", "1001");
	/* a bad USER: the Accounting ID, unsigned 32 bits, decimal */
	USAGE_ERR("invalid user 'alice': not a decimal number", "user", "bind",
		  "192.0.2.9", "alice", "7");
	USAGE_ERR("invalid user '4294967296': too large", "user", "bind",
		  "192.0.2.9", "4294967296", "7");
	USAGE_ERR("invalid user '18446744073709551616': too large", "user",
		  "unbind", "2001:db8::9", "18446744073709551616");
	USAGE_ERR("invalid user '-1': not a decimal number", "user", "unbind",
		  "192.0.2.9", "-1");
	USAGE_ERR("invalid user '0x10': not a decimal number", "user", "bind",
		  "192.0.2.9", "0x10", "7");
	USAGE_ERR("invalid user '': empty value", "user", "unbind", "192.0.2.9",
		  "");
	/* a bad CONTRACT, as addr set's */
	USAGE_ERR("invalid contract '0': must be non-zero", "user", "bind",
		  "192.0.2.9", "1001", "0");
	USAGE_ERR("invalid contract '18446744073709551616': too large", "user",
		  "bind", "192.0.2.9", "1001", "18446744073709551616");
	USAGE_ERR("invalid contract 'seven': not a decimal number", "user",
		  "bind", "192.0.2.9", "1001", "seven");
	/* the address is checked first */
	USAGE_ERR("invalid address 'host': not an IPv4 or IPv6 address", "user",
		  "bind", "host", "alice", "0");
	/* the block list (muispd's): refused before muispd is asked */
	USAGE_ERR("user block needs an ADDRESS and a USER [reason TEXT] "
		  "(try --help)",
		  "user", "block", "192.0.2.9");
	USAGE_ERR("user block needs an ADDRESS and a USER [reason TEXT] "
		  "(try --help)",
		  "user", "block", "192.0.2.9", "7", "because");
	USAGE_ERR("user block needs an ADDRESS and a USER [reason TEXT] "
		  "(try --help)",
		  "user", "block", "192.0.2.9", "7", "why", "spam");
	USAGE_ERR("user allow needs an ADDRESS and a USER (try --help)", "user",
		  "allow", "192.0.2.9", "7", "reason", "x");
	USAGE_ERR("user blocked takes no arguments (try --help)", "user",
		  "blocked", "192.0.2.9");
	USAGE_ERR("invalid address '192.0.2.0/24': not an IPv4 or IPv6 "
		  "address",
		  "user", "block", "192.0.2.0/24", "7");
	USAGE_ERR("invalid user '4294967296': too large", "user", "allow",
		  "2001:db8::9", "4294967296");
	/* good arguments, no muispd there */
	assert_int_equal(run("--daemon", "/nonexistent/muispd.sock", "user",
			     "block", "2001:db8::9", "7", "reason", "spam",
			     NULL),
			 EXIT_FAIL);
	assert_non_null(strstr(err_txt, "muispd not reachable at "
					"/nonexistent/muispd.sock"));

	/* the extremes are valid and reach the kernel (here: no module) */
	nl = muisp_nl_open(0);
	if (nl) {
		muisp_nl_close(nl);
		skip(); /* the muisp family is registered on this host */
	}
	assert_int_equal(run("user", "bind", "2001:db8::9", "4294967295",
			     "18446744073709551615", NULL),
			 EXIT_NOMODULE);
	assert_string_equal(err_txt, "muispctl: muisp kernel module not "
				     "loaded (modprobe muisp)\n");
	assert_string_equal(out_txt, "");
	assert_int_equal(run("user", "unbind", "192.0.2.9", "0", NULL),
			 EXIT_NOMODULE);
	assert_int_equal(run("--json", "user", "list", NULL), EXIT_NOMODULE);
	assert_int_equal(run("user", NULL), EXIT_NOMODULE); /* list */
	assert_string_equal(out_txt, "");
}

/* The keys `muispctl stats --json` printed before lib/stats_cat, in their
 * order: scripts and the VM scenarios read them.  Append only. */
static const char golden_keys[] =
	"up_packets up_bytes down_packets down_bytes local_packets "
	"garden_packets flows max_flows evictions flow_records records_lost "
	"events events_lost addrs contracts flows_unmetered conn_held "
	"conn_requests drop_not_bound drop_no_contract drop_suspended "
	"drop_delinquent drop_hard_limit drop_expired drop_blocked drop_local "
	"drop_malformed drop_tunnel drop_dns drop_user_info drop_agent_down "
	"drop_conn_refused drop_conn_rate";
static const char golden_titles[] =
	"up-packets|up-bytes|down-packets|down-bytes|local-packets|"
	"garden-packets|flows|max-flows|evictions|flow-records|records-lost|"
	"events|events-lost|addrs|contracts|unmetered-packets|conn-held|"
	"conn-requests|drop not-bound|"
	"drop no-contract|drop suspended|drop delinquent|drop hard-limit|"
	"drop expired|drop blocked|drop local|drop malformed|drop tunnel|"
	"drop dns|drop user-info|drop agent-down|drop conn-refused|"
	"drop conn-rate";

static const char *joined(const struct out_col *c, unsigned int n, int title,
			  const char *sep)
{
	static char s[4096];
	size_t o = 0;

	s[0] = '\0';
	for (unsigned int i = 0; i < n; i++)
		o += (size_t)snprintf(s + o, sizeof(s) - o, "%s%s",
				      i ? sep : "",
				      title ? c[i].title : c[i].key);
	return s;
}

/* muispctl stats's columns (stats_cols): today's keys and titles first,
 * in today's order, whatever the daemons say; then muisp-dhcpd's,
 * muisp-ipfixd's and muispd's counters in that order. */
static void test_stats_columns(void **state)
{
	static const struct mp_counter rad[] = { { "auth.sent", 3 },
						 { "acct.bad-replies", 2 } };
	static const struct mp_counter ipx[] = { { "collector.restarts", 1 },
						 { "records_received", 9 } };
	static const struct mp_counter dhcp[] = { { "addrs_leased", 4 },
						  { "rx_discover", 5 } };
	struct stats_snap s = { 0 };
	struct out_col *cols;
	struct muisp_nl_stats k;
	unsigned int n, i, nk = 0;
	char want[1024], num[12], *p;
	size_t len;
	FILE *f;

	(void)state;
	/* the drop keys are what muispctl made of the reasons' names */
	for (i = 1, want[0] = '\0'; i <= MUISP_DROP_MAX; i++) {
		len = strlen(want);
		snprintf(want + len, sizeof(want) - len, " drop_%s",
			 name_of(&drop_names, i, num));
	}
	for (p = want; *p; p++)
		if (*p == '-')
			*p = '_';
	assert_non_null(strstr(golden_keys, want));

	memset(&k, 0, sizeof(k));
	k.up_packets = 1;
	k.up_bytes = 2;
	k.max_flows = 3;
	k.flows_unmetered = 4;
	k.drops[MUISP_DROP_TUNNEL] = 5;
	k.drops_present = 1ULL << MUISP_DROP_TUNNEL;
	/* the daemons in another order than printed */
	assert_int_equal(
		stats_add_counters(&s, STATS_SRC_MUISPD, "radius_", rad, 2), 0);
	assert_int_equal(
		stats_add_counters(&s, STATS_SRC_IPFIXD, "ipfix_", ipx, 2), 0);
	assert_int_equal(stats_add_kernel(&s, &k), 0);
	assert_int_equal(
		stats_add_counters(&s, STATS_SRC_DHCPD, "dhcp_", dhcp, 2), 0);
	cols = calloc(stats_ndefs + s.n, sizeof(*cols));
	assert_non_null(cols);
	n = stats_cols(&s, cols);
	for (i = 0; i < stats_ndefs; i++)
		nk += stats_defs[i].src == STATS_SRC_KERNEL;
	assert_int_equal(n, nk + 6);
	assert_string_equal(joined(cols, nk, 0, " "), golden_keys);
	assert_string_equal(joined(cols, nk, 1, "|"), golden_titles);
	assert_string_equal(joined(cols + nk, 6, 0, " "),
			    "dhcp_addrs_leased dhcp_rx_discover "
			    "ipfix_records_received ipfix_collector_restarts "
			    "radius_auth_sent radius_acct_bad_replies");
	assert_string_equal(joined(cols + nk, 6, 1, "|"),
			    "dhcp addrs_leased|dhcp rx_discover|"
			    "ipfix records-received|ipfix collector.restarts|"
			    "radius auth.sent|radius acct.bad-replies");

	/* without the daemons: exactly today's columns */
	s.n = 0;
	assert_int_equal(stats_add_kernel(&s, &k), 0);
	assert_int_equal(stats_cols(&s, cols), nk);
	assert_string_equal(joined(cols, nk, 0, " "), golden_keys);

	/* and the values as muispctl prints them (a drop the module does
	 * not report: null) */
	{
		struct out_table *t = out_new(cols, nk);
		char *txt = NULL;

		assert_non_null(t);
		assert_int_equal(out_row(t), 0);
		for (i = 0; i < nk; i++) {
			const struct stats_val *v = stats_find(&s, cols[i].key);

			if (v)
				assert_int_equal(out_u64(t, i, v->value), 0);
		}
		f = open_memstream(&txt, &len);
		assert_non_null(f);
		assert_int_equal(out_print(t, f, OUT_JSON, OUT_RECORD), 0);
		assert_int_equal(fclose(f), 0);
		assert_string_equal(
			txt, "{\"up_packets\":1,\"up_bytes\":2,"
			     "\"down_packets\":0,\"down_bytes\":0,"
			     "\"local_packets\":0,\"garden_packets\":0,"
			     "\"flows\":0,\"max_flows\":3,\"evictions\":0,"
			     "\"flow_records\":0,\"records_lost\":0,"
			     "\"events\":0,\"events_lost\":0,\"addrs\":0,"
			     "\"contracts\":0,\"flows_unmetered\":4,"
			     "\"conn_held\":0,\"conn_requests\":0,"
			     "\"drop_not_bound\":null,"
			     "\"drop_no_contract\":null,"
			     "\"drop_suspended\":null,"
			     "\"drop_delinquent\":null,"
			     "\"drop_hard_limit\":null,\"drop_expired\":null,"
			     "\"drop_blocked\":null,\"drop_local\":null,"
			     "\"drop_malformed\":null,\"drop_tunnel\":5,"
			     "\"drop_dns\":null,\"drop_user_info\":null,"
			     "\"drop_agent_down\":null,"
			     "\"drop_conn_refused\":null,"
			     "\"drop_conn_rate\":null}\n");
		free(txt);
		out_free(t);
	}
	free(cols);
	stats_snap_free(&s);

	/* the options before the verb */
	USAGE_ERR("'--db' needs a value (try --help)", "stats", "--db");
	USAGE_ERR("invalid --ipfixd '': empty path", "stats",
		  "--ipfixd=", "show");
	USAGE_ERR("stats takes no arguments (try --help)", "stats", "--db", "x",
		  "--ipfixd", "y", "show", "z");
	assert_int_equal(run("stats", "--ipfixd", "/x", "help", NULL), EXIT_OK);
	assert_string_equal(out_txt,
			    "usage: muispctl stats [--db PATH] [--ipfixd "
			    "PATH] show\n"
			    "       muispctl stats [--db PATH] [--ipfixd "
			    "PATH] radius\n"
			    "PATH: muisp-dhcpd's lease-db (default "
			    "/var/lib/muisp/dhcpd.db), muisp-ipfixd's socket "
			    "(default /run/muisp/ipfixd.sock)\n");
}

/* muispctl lease: muisp-dhcpd's database, no kernel (this host has no
 * module); no daemon running (meta pid 0), so a release is applied in
 * place. */
/* tag show|set|del, tag user list|set|del: every bad argument is refused
 * before the kernel is asked (exit 2 whether or not the module is
 * loaded); the key file is read as agent set reads it. */
static void test_cli_tag(void **state)
{
	static const char good[] = "000102030405060708090a0b0c0d0e0f\n"
				   " DEADBEEF\n";
	static const char tag_usage[] =
		"usage: muispctl tag show\n"
		"       muispctl tag set IFNAME|IFINDEX key-id N key-file "
		"FILE|- [method packet|flow|hybrid|count|report]\n"
		"       muispctl tag close IFNAME|IFINDEX [method packet|flow|hybrid|count|report]\n"
		"       muispctl tag del\n"
		"       muispctl tag user list\n"
		"       muispctl tag user set UID|LOGIN USER [blocked] "
		"[address ADDR]\n"
		"       muispctl tag user del UID|LOGIN\n";
	static const char user_usage[] =
		"usage: muispctl tag user list\n"
		"       muispctl tag user set UID|LOGIN USER [blocked] "
		"[address ADDR]\n"
		"       muispctl tag user del UID|LOGIN\n";
	char path[64], want[512];
	struct muisp_nl *nl;

	(void)state;
	/* help, and the verbs of each level */
	assert_int_equal(run("tag", "help", NULL), EXIT_OK);
	assert_string_equal(out_txt, tag_usage);
	assert_int_equal(run("tag", "user", "help", NULL), EXIT_OK);
	assert_string_equal(out_txt, user_usage);
	assert_int_equal(run("tag", "user", "set", "--help", NULL), EXIT_OK);
	assert_string_equal(out_txt, "usage: muispctl tag user set UID|LOGIN "
				     "USER [blocked] [address ADDR]\n");
	assert_int_equal(run("tag", "set", "-h", NULL), EXIT_OK);
	assert_string_equal(out_txt, "usage: muispctl tag set IFNAME|IFINDEX "
				     "key-id N key-file FILE|- [method "
				     "packet|flow|hybrid|count|report]\n");
	assert_int_equal(run("tag", "list", NULL), EXIT_USAGE);
	snprintf(want, sizeof(want), "muispctl: unknown tag command 'list'\n%s",
		 tag_usage);
	assert_string_equal(err_txt, want);
	assert_int_equal(run("tag", "user", "show", NULL), EXIT_USAGE);
	snprintf(want, sizeof(want),
		 "muispctl: unknown tag user command 'show'\n%s", user_usage);
	assert_string_equal(err_txt, want);
	assert_int_equal(run("--help", NULL), EXIT_OK);
	assert_non_null(strstr(out_txt, "  user       per-user contracts and "
					"block list: an agent's users\n"
					"  tag        per-user accounting, the "
					"agent's role: tag local users' "
					"packets\n"));

	/* tag show and del take nothing */
	USAGE_ERR("tag show takes no arguments (try --help)", "tag", "show",
		  "lo");
	USAGE_ERR("tag del takes no arguments (try --help)", "tag", "del",
		  "lo");
	/* tag set: the interface, as config set lan reads it */
	USAGE_ERR("tag set needs an IFNAME or IFINDEX (try --help)", "tag",
		  "set");
	USAGE_ERR("invalid interface 'muisp-nosuch0': no such interface", "tag",
		  "set", "muisp-nosuch0", "key-id", "1", "key-file", "-");
	USAGE_ERR("invalid interface '0': must be non-zero", "tag", "set", "0",
		  "key-id", "1", "key-file", "-");
	/* its key-id, key-file and method */
	USAGE_ERR("tag set needs key-id N and key-file FILE (try --help)",
		  "tag", "set", "lo", "key-id", "1");
	USAGE_ERR("tag set needs key-id N and key-file FILE (try --help)",
		  "tag", "set", "1", "key-file", "-");
	USAGE_ERR("tag set needs key-id N and key-file FILE (try --help)",
		  "tag", "set", "lo");
	USAGE_ERR("'key-file' needs a value (try --help)", "tag", "set", "lo",
		  "key-id", "1", "key-file");
	USAGE_ERR("invalid key-id '0': must be at least 1", "tag", "set", "lo",
		  "key-id", "0", "key-file", "-");
	USAGE_ERR("invalid key-id '4294967296': too large", "tag", "set", "lo",
		  "key-id", "4294967296", "key-file", "-");
	USAGE_ERR("invalid key-id 'one': not a decimal number", "tag", "set",
		  "lo", "key-id", "one", "key-file", "-");
	USAGE_ERR(
		"invalid method 'syn': expected packet|flow|hybrid|count|report",
		"tag", "set", "lo", "key-id", "1", "key-file", "-", "method",
		"syn");
	USAGE_ERR(
		"invalid method 'unspec': expected packet|flow|hybrid|count|report",
		"tag", "set", "lo", "method", "unspec", "key-id", "1",
		"key-file", "-");
	USAGE_ERR("unknown tag set argument 'key' (try --help)", "tag", "set",
		  "lo", "key-id", "1", "key", "000102");
	/* tag close: the interface and the method, never a key */
	USAGE_ERR("tag close needs an IFNAME or IFINDEX (try --help)", "tag",
		  "close");
	USAGE_ERR("unknown tag close argument 'key-id' (try --help)", "tag",
		  "close", "lo", "key-id", "1");
	USAGE_ERR("unknown tag close argument 'key-file' (try --help)", "tag",
		  "close", "lo", "key-file", "-");
	USAGE_ERR(
		"invalid method 'syn': expected packet|flow|hybrid|count|report",
		"tag", "close", "lo", "method", "syn");
	/* key files: agent set's refusals, before anything is sent */
	assert_int_equal(tag_key(good, 0644, path), EXIT_FAIL);
	snprintf(want, sizeof(want),
		 "muispctl: tag set: key file %s: group or others may "
		 "access it (mode 0644): chmod 600 it\n",
		 path);
	assert_string_equal(err_txt, want);
	assert_int_equal(tag_key("000102030405060708090a0b0c0d0e0fdeadbee",
				 0600, path),
			 EXIT_USAGE);
	snprintf(want, sizeof(want),
		 "muispctl: key file %s: expected 40 hex digits (the AES-128 "
		 "key, then the 4-byte salt) (try --help)\n",
		 path);
	assert_string_equal(err_txt, want);
	assert_int_equal(tag_key("000102030405060708090a0b0c0d0e0fdeadbeef0",
				 0600, path),
			 EXIT_USAGE);
	assert_int_equal(tag_key("000102030405060708090a0b0c0d0e0fdeadbeeg",
				 0600, path),
			 EXIT_USAGE);
	assert_int_equal(run("tag", "set", "lo", "key-id", "1", "key-file",
			     "/nonexistent/key", NULL),
			 EXIT_FAIL);
	assert_string_equal(err_txt, "muispctl: tag set: key file "
				     "/nonexistent/key: No such file or "
				     "directory\n");
	assert_int_equal(run("tag", "set", "lo", "key-id", "1", "key-file", "/",
			     NULL),
			 EXIT_FAIL);
	assert_string_equal(err_txt, "muispctl: tag set: key file /: "
				     "not a regular file\n");
	memset(want, ' ', 200);
	memcpy(want + 150, "000102030405060708090a0b0c0d0e0fdeadbeef", 40);
	want[190] = 0;
	assert_int_equal(tag_key(want, 0600, path), EXIT_FAIL);
	snprintf(want, sizeof(want),
		 "muispctl: tag set: key file %s: longer than 80 bytes\n",
		 path);
	assert_string_equal(err_txt, want);
	assert_string_equal(out_txt, "");

	/* tag user: missing and extra arguments */
	USAGE_ERR("tag user list takes no arguments (try --help)", "tag",
		  "user", "list", "0");
	USAGE_ERR("tag user set needs a UID or LOGIN and a USER (try --help)",
		  "tag", "user", "set");
	USAGE_ERR("tag user set needs a UID or LOGIN and a USER (try --help)",
		  "tag", "user", "set", "1000");
	/* the words after USER: blocked, address ADDR */
	USAGE_ERR("unknown tag user set argument '8' (try --help)", "tag",
		  "user", "set", "1000", "7", "blocked", "8");
	USAGE_ERR("unknown tag user set argument '8' (try --help)", "tag",
		  "user", "set", "1000", "7", "8");
	USAGE_ERR("unknown tag user set argument 'Blocked' (try --help)", "tag",
		  "user", "set", "1000", "7", "Blocked");
	USAGE_ERR("unknown tag user set argument 'blocked=1' (try --help)",
		  "tag", "user", "set", "1000", "7", "blocked=1");
	USAGE_ERR("'address' needs a value (try --help)", "tag", "user", "set",
		  "1000", "7", "address");
	USAGE_ERR("'address' needs a value (try --help)", "tag", "user", "set",
		  "1000", "7", "blocked", "address");
	USAGE_ERR("invalid address '192.0.2.300': not an IPv4 or IPv6 address",
		  "tag", "user", "set", "1000", "7", "address", "192.0.2.300");
	USAGE_ERR("invalid address 'blocked': not an IPv4 or IPv6 address",
		  "tag", "user", "set", "1000", "7", "address", "blocked");
	USAGE_ERR("invalid address '192.0.2.0/24': not an IPv4 or IPv6 "
		  "address",
		  "tag", "user", "set", "1000", "7", "address", "192.0.2.0/24");
	USAGE_ERR("unknown tag user set argument '192.0.2.20' (try --help)",
		  "tag", "user", "set", "1000", "7", "192.0.2.20");
	USAGE_ERR("unknown tag user set argument 'addr' (try --help)", "tag",
		  "user", "set", "1000", "7", "addr", "192.0.2.20");
	/* the uid and the USER are checked before them */
	USAGE_ERR("invalid user 'x': not a decimal number", "tag", "user",
		  "set", "1000", "x", "8");
	USAGE_ERR("invalid user 'x': not a decimal number", "tag", "user",
		  "set", "1000", "x", "address", "bad");
	USAGE_ERR("tag user del needs one UID or LOGIN (try --help)", "tag",
		  "user", "del");
	USAGE_ERR("tag user del needs one UID or LOGIN (try --help)", "tag",
		  "user", "del", "1000", "7");
	/* a bad UID, an unknown LOGIN */
	USAGE_ERR("invalid uid '4294967296': too large", "tag", "user", "set",
		  "4294967296", "7");
	USAGE_ERR("invalid uid '4294967295': not a uid ((uid_t)-1)", "tag",
		  "user", "del", "4294967295");
	USAGE_ERR("invalid uid '-1': not a decimal number", "tag", "user",
		  "del", "-1");
	USAGE_ERR("invalid uid '': empty value", "tag", "user", "set", "", "7");
	USAGE_ERR("invalid login 'muisp-no-such-user': no such user", "tag",
		  "user", "set", "muisp-no-such-user", "7");
	USAGE_ERR("invalid login 'muisp-no-such-user': no such user", "tag",
		  "user", "del", "muisp-no-such-user");
	/* a bad USER: the Accounting ID, as user bind's */
	USAGE_ERR("invalid user 'alice': not a decimal number", "tag", "user",
		  "set", "1000", "alice");
	USAGE_ERR("invalid user '4294967296': too large", "tag", "user", "set",
		  "1000", "4294967296");
	USAGE_ERR("invalid user '0x10': not a decimal number", "tag", "user",
		  "set", "1000", "0x10");
	USAGE_ERR("invalid user '': empty value", "tag", "user", "set", "0",
		  "");
	/* the uid is checked first */
	USAGE_ERR("invalid uid '4294967296': too large", "tag", "user", "set",
		  "4294967296", "alice");

	/* the good ones reach the kernel (here: no module) */
	nl = muisp_nl_open(0);
	if (nl) {
		muisp_nl_close(nl);
		skip(); /* the muisp family is registered on this host */
	}
	assert_int_equal(tag_key(good, 0600, path), EXIT_NOMODULE);
	assert_string_equal(err_txt, "muispctl: muisp kernel module not "
				     "loaded (modprobe muisp)\n");
	assert_int_equal(run("tag", NULL), EXIT_NOMODULE); /* show */
	assert_int_equal(run("--json", "tag", "show", NULL), EXIT_NOMODULE);
	assert_int_equal(run("tag", "del", NULL), EXIT_NOMODULE);
	assert_int_equal(run("tag", "user", NULL), EXIT_NOMODULE); /* list */
	assert_int_equal(run("--json", "tag", "user", "list", NULL),
			 EXIT_NOMODULE);
	/* root resolves (uid 0); the extremes are valid */
	assert_int_equal(run("tag", "user", "set", "root", "4294967295", NULL),
			 EXIT_NOMODULE);
	assert_int_equal(run("tag", "user", "set", "4294967294", "0", NULL),
			 EXIT_NOMODULE);
	assert_int_equal(run("tag", "user", "set", "1000", "7", "blocked",
			     NULL),
			 EXIT_NOMODULE);
	/* either order of the two words, either family */
	assert_int_equal(run("tag", "user", "set", "1000", "7", "address",
			     "192.0.2.20", "blocked", NULL),
			 EXIT_NOMODULE);
	assert_int_equal(run("tag", "user", "set", "1000", "7", "blocked",
			     "address", "2001:db8:1::20", NULL),
			 EXIT_NOMODULE);
	assert_int_equal(run("tag", "user", "del", "root", NULL),
			 EXIT_NOMODULE);
	assert_int_equal(run("tag", "user", "del", "0", NULL), EXIT_NOMODULE);
	assert_string_equal(out_txt, "");
}

static void test_cli_lease(void **state)
{
	char dir[] = "/tmp/muispctl-lease-XXXXXX", path[64], want[256];
	struct lease_rec r;
	struct leasedb *db;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/dhcpd.db", dir);
	assert_int_equal(run("lease", "--db", path, "list", NULL), EXIT_FAIL);
	snprintf(want, sizeof(want),
		 "muispctl: lease database %s: No such "
		 "file or directory (is muisp-dhcpd's lease-db elsewhere? "
		 "--db PATH)\n",
		 path);
	assert_string_equal(err_txt, want);

	db = leasedb_open(path, LEASEDB_CREATE);
	assert_non_null(db);
	memset(&r, 0, sizeof(r));
	r.addr = 0xc000020a; /* 192.0.2.10, hardware key */
	r.state = LEASE_LEASED;
	r.hwlen = 6;
	memcpy(r.hw, "\x02\0\0\0\0\x10", 6);
	r.keylen = 8;
	memcpy(r.key, "H\x01\x02\0\0\0\0\x10", 8);
	strcpy(r.hostname, "alice");
	strcpy(r.iface, "lan0");
	r.starts = 4102444000;
	r.ends = 4102444800; /* 2100-01-01 */
	assert_int_equal(leasedb_put(db, &r), 0);
	r.addr = 0xc000020b; /* .11: client id 01:02:..:11 */
	r.hw[5] = 0x11;
	r.keylen = 8;
	memcpy(r.key, "I\x01\x02\0\0\0\0\x11", 8);
	r.hostname[0] = '\0';
	assert_int_equal(leasedb_put(db, &r), 0);
	r.addr = 0xc000020c; /* .12: quarantine that has ended */
	r.state = LEASE_QUARANTINE;
	r.starts = 999999000;
	r.ends = 1000000000;
	assert_int_equal(leasedb_put(db, &r), 0);
	r.addr = 0xc000020d; /* .13: free */
	r.state = LEASE_FREE;
	r.seq = 4;
	assert_int_equal(leasedb_put(db, &r), 0);
	assert_int_equal(leasedb_put_stat(db, "drop_truncated", 3), 0);
	assert_int_equal(leasedb_set_meta(db, "pid", 0), 0);
	leasedb_close(db);

	assert_int_equal(run("--json", "lease", "--db", path, "show",
			     "192.0.2.12", NULL),
			 EXIT_OK);
	assert_string_equal(
		out_txt, "{\"addr\":\"192.0.2.12\",\"state\":\"quarantine\","
			 "\"mac\":\"02:00:00:00:00:11\","
			 "\"client_id\":\"01:02:00:00:00:00:11\",\"iaid\":null,"
			 "\"hostname\":null,"
			 "\"iface\":\"lan0\",\"starts_s\":999999000,"
			 "\"expires_s\":1000000000,\"remaining_s\":0}\n");
	assert_int_equal(run("lease", "--db", path, "show", "192.0.2.12", NULL),
			 EXIT_OK);
	assert_non_null(strstr(out_txt, "EXPIRES:   2001-09-09T01:46:40Z\n"
					"REMAINING: expired\n"));
	assert_int_equal(run("-j", "lease", "--db=", NULL), EXIT_USAGE);
	assert_int_equal(run("-j", "lease", "--db", path, "list", "state",
			     "leased", NULL),
			 EXIT_OK);
	assert_non_null(strstr(
		out_txt,
		"[{\"addr\":\"192.0.2.10\","
		"\"state\":\"leased\",\"mac\":\"02:00:00:00:00:10\","
		"\"client_id\":null,\"iaid\":null,\"hostname\":\"alice\","
		"\"iface\":\"lan0\","
		"\"starts_s\":4102444000,\"expires_s\":4102444800,"
		"\"remaining_s\":"));
	assert_non_null(strstr(out_txt, "},{\"addr\":\"192.0.2.11\","));
	assert_null(strstr(out_txt, "192.0.2.12"));
	assert_int_equal(run("lease", "--db", path, NULL), EXIT_OK);
	assert_non_null(strstr(
		out_txt,
		"\n192.0.2.13  free        "
		"02:00:00:00:00:11  01:02:00:00:00:00:11  -     -         lan0   "
		"-                     -                     -\n"));
	assert_int_equal(run("-j", "lease", "--db", path, "stats", NULL),
			 EXIT_OK);
	assert_string_equal(out_txt, "{\"addrs_leased\":2,"
				     "\"addrs_quarantine\":1,\"addrs_free\":1,"
				     "\"drop_truncated\":3}\n");

	/* Errors: exit 1 for the operation, 2 for the command line. */
	assert_int_equal(run("lease", "--db", path, "show", "192.0.2.99", NULL),
			 EXIT_FAIL);
	snprintf(want, sizeof(want),
		 "muispctl: lease show: no lease for "
		 "192.0.2.99 in %s\n",
		 path);
	assert_string_equal(err_txt, want);
	assert_int_equal(run("lease", "--db", path, "release", "192.0.2.12",
			     NULL),
			 EXIT_FAIL);
	assert_string_equal(err_txt, "muispctl: lease release: 192.0.2.12 "
				     "is not leased (quarantine)\n");
	USAGE_ERR("invalid address '192.0.2.300': not an IPv4 address", "lease",
		  "--db", path, "show", "192.0.2.300");
	USAGE_ERR("invalid address '2001:db8::1': not an IPv4 address", "lease",
		  "release", "2001:db8::1");
	USAGE_ERR("invalid state 'gone': expected leased|free|quarantine",
		  "lease", "list", "state", "gone");
	USAGE_ERR("'--db' needs a value (try --help)", "lease", "--db");
	USAGE_ERR("lease show needs one ADDRESS (try --help)", "lease", "show");

	/* No daemon: the row is released in place, last in the FIFO. */
	assert_int_equal(run("lease", "--db", path, "release", "192.0.2.11",
			     NULL),
			 EXIT_OK);
	assert_string_equal(out_txt, "");
	assert_string_equal(err_txt, "");
	db = leasedb_open(path, LEASEDB_RDONLY);
	assert_non_null(db);
	assert_int_equal(leasedb_get(db, 0xc000020b, &r), 0);
	assert_int_equal(r.state, LEASE_FREE);
	assert_int_equal(r.seq, 5);
	assert_int_equal(leasedb_get(db, 0xc000020a, &r), 0);
	assert_int_equal(r.state, LEASE_LEASED);
	leasedb_close(db);
	assert_int_equal(run("lease", "--db", path, "release", "192.0.2.11",
			     NULL),
			 EXIT_FAIL);
	assert_string_equal(err_txt, "muispctl: lease release: 192.0.2.11 "
				     "is not leased (free)\n");

	assert_int_equal(run("lease", "help", NULL), EXIT_OK);
	assert_string_equal(
		out_txt,
		"usage: muispctl lease [--db PATH] list "
		"[state leased|free|quarantine]\n"
		"       muispctl lease [--db PATH] show ADDRESS\n"
		"       muispctl lease [--db PATH] release ADDRESS\n"
		"       muispctl lease [--db PATH] stats\n"
		"PATH: muisp-dhcpd's lease-db (default /var/lib/muisp/dhcpd.db)\n");
	assert_int_equal(run("--help", NULL), EXIT_OK);
	assert_non_null(strstr(out_txt, "       muispctl [-j|--json] lease "
					"[--db PATH] [VERB] [ARGS...]\n"));
	assert_non_null(strstr(out_txt, "  lease      DHCP leases "
					"(muisp-dhcpd's database)\n"));
	snprintf(want, sizeof(want), "rm -rf '%s'", dir);
	assert_int_equal(system(want), 0);
}

/*
 * ca issue --client: muisp-uinfod's certificate, which OpenSSL takes from
 * a TLS client (clientAuth only, SAN IP); never with a --notice.
 */
static void test_cli_ca_client(void **state)
{
	char dir[] = "/tmp/muispctl-ca-XXXXXX", ca[64], cert[64], key[64],
	     rcert[64], rkey[64], want[256];
	X509 *x, *rx;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(ca, sizeof(ca), "%s/ca", dir);
	snprintf(cert, sizeof(cert), "%s/host.pem", dir);
	snprintf(key, sizeof(key), "%s/host.key", dir);
	snprintf(rcert, sizeof(rcert), "%s/router.pem", dir);
	snprintf(rkey, sizeof(rkey), "%s/router.key", dir);

	/* refused before anything is read or written */
	USAGE_ERR("ca issue: --notice is for router certificates, not with "
		  "--client (try --help)",
		  "ca", "issue", "192.0.2.50", "--client", "--ca", ca,
		  "--notice", "Hotel Foo");
	USAGE_ERR("ca issue: --notice is for router certificates, not with "
		  "--client (try --help)",
		  "ca", "issue", "192.0.2.50", "--notice=Hotel Foo",
		  "--client");
	USAGE_ERR("ca issue: '--client' takes no value (try --help)", "ca",
		  "issue", "192.0.2.50", "--client=yes");
	USAGE_ERR("ca selfsign: unknown option '--client' (try --help)", "ca",
		  "selfsign", "anon", "--client");
	assert_int_equal(access(ca, F_OK), -1);

	assert_int_equal(run("ca", "init", ca, "Test CA", "--days", "2", NULL),
			 EXIT_OK);
	assert_int_equal(run("ca", "issue", "192.0.2.50", "--client", "--ca",
			     ca, "--days", "2", "--out-cert", cert, "--out-key",
			     key, NULL),
			 EXIT_OK);
	snprintf(want, sizeof(want), "certificate: %s\nkey:         %s\n", cert,
		 key);
	assert_string_equal(out_txt, want);
	assert_string_equal(err_txt, "");
	assert_int_equal(run("ca", "issue", "192.0.2.1", "--ca", ca, "--days",
			     "2", "--out-cert", rcert, "--out-key", rkey, NULL),
			 EXIT_OK);
	snprintf(want, sizeof(want), "%s/ca.pem", ca);
	assert_int_equal(run("ca", "verify", want, cert, NULL), EXIT_OK);
	assert_int_equal(run("ca", "show", cert, NULL), EXIT_OK);
	assert_non_null(strstr(out_txt, "subject:     /CN=192.0.2.50\n"));
	assert_non_null(strstr(out_txt, "\nsan:         IP:192.0.2.50\n"));

	/* OpenSSL's reading: clientAuth only; the router's serverAuth */
	f = fopen(cert, "r");
	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	f = fopen(rcert, "r");
	assert_non_null(f);
	rx = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	assert_non_null(rx);
	assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_CLIENT);
	assert_int_equal(X509_check_purpose(x, X509_PURPOSE_SSL_CLIENT, 0), 1);
	assert_int_not_equal(X509_check_purpose(rx, X509_PURPOSE_SSL_CLIENT, 0),
			     1);
	assert_int_equal(X509_check_purpose(rx, X509_PURPOSE_SSL_SERVER, 0), 1);
	X509_free(x);
	X509_free(rx);

	assert_int_equal(run("ca", "help", NULL), EXIT_OK);
	assert_non_null(strstr(out_txt,
			       "       muispctl ca issue NAME [--ca DIR] "
			       "[--client | --notice TEXT] [--days N] "
			       "[--out-cert FILE --out-key FILE] "
			       "[--force]\n"));
	snprintf(want, sizeof(want), "rm -rf '%s'", dir);
	assert_int_equal(system(want), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expiry_and_limit),
		cmocka_unit_test(test_names_and_formats),
		cmocka_unit_test(test_cli_usage_errors),
		cmocka_unit_test(test_cli_help),
		cmocka_unit_test(test_cli_batch),
		cmocka_unit_test(test_cli_no_module),
		cmocka_unit_test(test_cli_agent_key),
		cmocka_unit_test(test_cli_user),
		cmocka_unit_test(test_cli_tag),
		cmocka_unit_test(test_cli_lease),
		cmocka_unit_test(test_stats_columns),
		cmocka_unit_test(test_cli_ca_client),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

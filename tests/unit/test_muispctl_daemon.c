// SPDX-License-Identifier: GPL-2.0
/*
 * muispctl's muispd side (tools/muispctl/daemon.c, voucher.c, contract.c):
 * the joined contract view (columns, rows, merge on id), statements,
 * vouchers, usage errors of the new verbs, and the operator-socket client
 * against a fake muispd (a forked process answering with muispd's own
 * codec): list items sent with serial 0, a failure half-way through
 * "voucher issue count N", a closed connection, a reply out of turn, a
 * frame that does not decode, a refusal whose explanation is cut off.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "tools/muispctl/daemon.h"
#include "contract.h"
#include "opd_fake.h"

/* ---- helpers ---- */

static char *buf_txt;

/* Print t (or a statement) into buf_txt. */
static const char *printed(const struct out_table *t, enum out_fmt fmt,
			   enum out_style style)
{
	size_t len;
	FILE *f;

	free(buf_txt);
	buf_txt = NULL;
	f = open_memstream(&buf_txt, &len);
	assert_non_null(f);
	assert_int_equal(out_print(t, f, fmt, style), 0);
	assert_int_equal(fclose(f), 0);
	return buf_txt;
}

static const char *keys(const struct cview *v)
{
	static char s[1024];
	size_t o = 0;

	s[0] = '\0';
	for (unsigned int i = 0; i < v->n; i++)
		o += (size_t)snprintf(s + o, sizeof(s) - o, "%s%s",
				      i ? " " : "", v->cols[i].key);
	return s;
}

/* A contract as muispd's STATUS reply carries it. */
static void status(struct mp_msg *m, uint64_t serial, int state,
		   const char *addr)
{
	mp_init(m, MP_T_STATUS, MP_F_REPLY, 1);
	mp_set_u(m, MP_A_SERIAL, serial);
	mp_set_u(m, MP_A_STATE, (uint64_t)state);
	mp_set_u(m, MP_A_USAGE, 1234567);
	mp_set_u(m, MP_A_SOFT, 2000000);
	mp_set_u(m, MP_A_HARD, 3000000);
	mp_set_u(m, MP_A_EXPIRY, 1800000000);
	mp_set_u(m, MP_A_TIME, 1799913600);
	mp_set_u(m, MP_A_METRIC, MP_METRIC_BYTES);
	mp_set_u(m, MP_A_METHOD, MP_METHOD_VOUCHER);
	mp_set_u(m, MP_A_PRIVACY, 1);
	mp_set_u(m, MP_A_AMOUNT, 30);
	mp_set_u(m, MP_A_PRICE, 10);
	mp_set_u(m, MP_A_UNIT, 1000000);
	mp_set_u(m, MP_A_KEY_ID, 2);
	if (addr)
		mp_set_s(m, MP_A_ADDR, addr);
	if (state == CS_EXTINGUISHED) {
		mp_set_u(m, MP_A_CHARGE, 13);
		mp_set_u(m, MP_A_REFUND, 17);
	}
}

static void kcontract(struct muisp_nl_contract *k, uint32_t id, int metric)
{
	memset(k, 0, sizeof(*k));
	k->id = id;
	k->status = MUISP_CONTRACT_STATUS_ACTIVE;
	k->metric = (uint8_t)metric;
	k->used = 1234567;
	k->soft_limit = 2000000;
	k->hard_limit = 3000000;
	k->expires_s = 1800000000;
	k->up_bytes = 1000000;
	k->up_packets = 900;
	k->down_bytes = 234567;
	k->down_packets = 700;
	k->elapsed_ms = 5000;
	k->usage_ms = 4000;
	k->naddrs = 1;
	MUISP_NL_SET(k, MUISP_CONTRACT_A_NADDRS);
	k->nusers = 2;
	MUISP_NL_SET(k, MUISP_CONTRACT_A_NUSERS);
}

/* ---- pure helpers ---- */

static void test_names(void **state)
{
	char num[12];

	(void)state;
	assert_string_equal(dmetric_name(MP_METRIC_ELAPSED, num),
			    "elapsed-time");
	assert_string_equal(dmetric_name(MP_METRIC_USAGE_TIME, num),
			    "usage-time");
	assert_string_equal(dmetric_name(MP_METRIC_BYTES, num), "bytes");
	assert_string_equal(dmetric_name(MP_METRIC_PACKETS, num), "packets");
	assert_string_equal(dmetric_name(0, num), "0");
	assert_string_equal(dmetric_name(9, num), "9");
	/* muispd refuses a voucher only after its expiry second. */
	assert_string_equal(voucher_state(10, 0, 100), "valid");
	assert_string_equal(voucher_state(0, 0, 100), "empty");
	assert_string_equal(voucher_state(10, 100, 100), "valid");
	assert_string_equal(voucher_state(10, 100, 101), "expired");
	assert_string_equal(voucher_state(0, 100, 101), "expired");
}

static void test_cview_columns(void **state)
{
	struct cview v;

	(void)state;
	/* Text list: what fits a terminal. */
	assert_int_equal(cview_init(&v, CV_DAEMON, 0, OUT_TEXT), 0);
	assert_string_equal(
		printed(v.t, OUT_TEXT, OUT_LIST),
		"ID  STATE  ADDRESS  METHOD  METRIC  USAGE  SOFT  HARD  "
		"DEPOSIT  EXPIRES\n");
	cview_free(&v);
	assert_int_equal(cview_init(&v, CV_DAEMON | CV_KERNEL, 0, OUT_TEXT), 0);
	assert_string_equal(keys(&v),
			    "id state addr method metric usage soft "
			    "hard deposit receipt_expires_s status up_bytes "
			    "down_bytes");
	cview_free(&v);
	/* JSON list: every column but the offline password. */
	assert_int_equal(cview_init(&v, CV_DAEMON, 0, OUT_JSON), 0);
	assert_string_equal(keys(&v),
			    "id state addr method metric usage soft "
			    "hard deposit receipt_expires_s charge refund "
			    "issued_s price unit privacy room key_id");
	assert_string_equal(printed(v.t, OUT_JSON, OUT_LIST), "[]\n");
	cview_free(&v);
	/* show: everything, the module's keys as in its own view. */
	assert_int_equal(cview_init(&v, CV_DAEMON | CV_KERNEL, 1, OUT_TEXT), 0);
	assert_string_equal(keys(&v),
			    "id state addr method metric usage soft "
			    "hard deposit receipt_expires_s charge refund "
			    "issued_s price unit privacy room key_id password "
			    "status used soft_limit hard_limit expires_s "
			    "up_bytes up_packets down_bytes down_packets "
			    "elapsed_ms usage_ms naddrs nusers");
	cview_free(&v);
}

/* Rows of both sides joined on id: muispd only (extinguished: the
 * module forgot it), both, the module only (made with contract set). */
static void test_cview_merge(void **state)
{
	struct mp_msg *m = malloc(sizeof(*m));
	struct dcontract d[2];
	struct muisp_nl_contract k[2];
	struct cview v;

	(void)state;
	assert_non_null(m);
	status(m, 5, CS_EXTINGUISHED, NULL);
	dcontract_from_msg(&d[0], m);
	status(m, 3, CS_ACTIVE, "192.0.2.10");
	mp_set_s(m, MP_A_ROOM, "101");
	dcontract_from_msg(&d[1], m);
	kcontract(&k[0], 9, MUISP_METRIC_USAGE_TIME);
	k[0].soft_limit = 0; /* "none" */
	/* a module older than the counts: neither is sent */
	k[0].present &= ~(1ULL << MUISP_CONTRACT_A_NADDRS |
			  1ULL << MUISP_CONTRACT_A_NUSERS);
	kcontract(&k[1], 3, MUISP_METRIC_BYTES);
	assert_int_equal(cview_init(&v, CV_DAEMON | CV_KERNEL, 0, OUT_JSON), 0);
	assert_int_equal(cview_merge(&v, d, 2, k, 2), 0);
	assert_string_equal(
		printed(v.t, OUT_JSON, OUT_LIST),
		"[{\"id\":3,\"state\":\"active\",\"addr\":\"192.0.2.10\","
		"\"method\":\"voucher\",\"metric\":\"bytes\",\"usage\":1234567,"
		"\"soft\":2000000,\"hard\":3000000,\"deposit\":30,"
		"\"receipt_expires_s\":1800000000,\"charge\":null,"
		"\"refund\":null,\"issued_s\":1799913600,\"price\":10,"
		"\"unit\":1000000,\"privacy\":\"esp\",\"room\":\"101\","
		"\"key_id\":2,\"status\":\"active\",\"used\":1234567,"
		"\"soft_limit\":2000000,\"hard_limit\":3000000,"
		"\"expires_s\":1800000000,\"up_bytes\":1000000,"
		"\"up_packets\":900,\"down_bytes\":234567,\"down_packets\":700,"
		"\"elapsed_ms\":5000,\"usage_ms\":4000,\"naddrs\":1,"
		"\"nusers\":2},"
		"{\"id\":5,\"state\":\"extinguished\",\"addr\":null,"
		"\"method\":\"voucher\",\"metric\":\"bytes\",\"usage\":1234567,"
		"\"soft\":2000000,\"hard\":3000000,\"deposit\":30,"
		"\"receipt_expires_s\":1800000000,\"charge\":13,\"refund\":17,"
		"\"issued_s\":1799913600,\"price\":10,\"unit\":1000000,"
		"\"privacy\":\"esp\",\"room\":null,\"key_id\":2,"
		"\"status\":null,"
		"\"used\":null,\"soft_limit\":null,\"hard_limit\":null,"
		"\"expires_s\":null,\"up_bytes\":null,\"up_packets\":null,"
		"\"down_bytes\":null,\"down_packets\":null,\"elapsed_ms\":null,"
		"\"usage_ms\":null,\"naddrs\":null,\"nusers\":null},"
		"{\"id\":9,\"state\":null,\"addr\":null,\"method\":null,"
		"\"metric\":\"usage-time\",\"usage\":null,\"soft\":null,"
		"\"hard\":null,\"deposit\":null,\"receipt_expires_s\":null,"
		"\"charge\":null,\"refund\":null,\"issued_s\":null,"
		"\"price\":null,\"unit\":null,\"privacy\":null,\"room\":null,"
		"\"key_id\":null,\"status\":\"active\",\"used\":1234567,"
		"\"soft_limit\":0,\"hard_limit\":3000000,"
		"\"expires_s\":1800000000,\"up_bytes\":1000000,"
		"\"up_packets\":900,\"down_bytes\":234567,\"down_packets\":700,"
		"\"elapsed_ms\":5000,\"usage_ms\":4000,\"naddrs\":null,"
		"\"nusers\":null}]\n");
	cview_free(&v);
	/* The same rows as a table. */
	assert_int_equal(cview_init(&v, CV_DAEMON | CV_KERNEL, 0, OUT_TEXT), 0);
	assert_int_equal(cview_merge(&v, d, 2, k, 2), 0);
	assert_string_equal(
		printed(v.t, OUT_TEXT, OUT_LIST),
		"ID  STATE         ADDRESS     METHOD   METRIC        "
		"USAGE     "
		"SOFT     HARD  DEPOSIT  EXPIRES               K_STATUS  "
		"UP_BYTES  DOWN_BYTES\n"
		" 3  active        192.0.2.10  voucher  bytes       1234567  "
		"2000000  3000000       30  2027-01-15T08:00:00Z  active     "
		"1000000      234567\n"
		" 5  extinguished  -           voucher  bytes       1234567  "
		"2000000  3000000       30  2027-01-15T08:00:00Z  -         "
		"-         -\n"
		/* null cells print "-", left-aligned as in every table */
		" 9  -             -           -        usage-time  -        "
		"-        -        -        -                     active     "
		"1000000      234567\n");
	cview_free(&v);
	/* Daemon only: the module's fields are not columns at all. */
	assert_int_equal(cview_init(&v, CV_DAEMON, 1, OUT_TEXT), 0);
	assert_int_equal(cview_row(&v, &d[0], NULL), 0);
	assert_string_equal(printed(v.t, OUT_TEXT, OUT_RECORD),
			    "ID:       3\n"
			    "STATE:    active\n"
			    "ADDRESS:  192.0.2.10\n"
			    "METHOD:   voucher\n"
			    "METRIC:   bytes\n"
			    "USAGE:    1234567\n"
			    "SOFT:     2000000\n"
			    "HARD:     3000000\n"
			    "DEPOSIT:  30\n"
			    "EXPIRES:  2027-01-15T08:00:00Z\n"
			    "CHARGE:   -\n"
			    "REFUND:   -\n"
			    "ISSUED:   2027-01-14T08:00:00Z\n"
			    "PRICE:    10\n"
			    "UNIT:     1000000\n"
			    "PRIVACY:  esp\n"
			    "ROOM:     101\n"
			    "KEY_ID:   2\n"
			    "PASSWORD: -\n");
	assert_int_equal(cview_row(&v, NULL, NULL), -1);
	cview_free(&v);
	free(m);
}

static void test_statement(void **state)
{
	struct mp_msg *m = malloc(sizeof(*m));
	char *s = NULL;
	size_t len;
	FILE *f;

	(void)state;
	assert_non_null(m);
	mp_init(m, MP_T_STATEMENT, MP_F_REPLY, 1);
	mp_set_u(m, MP_A_SERIAL, 42);
	mp_set_u(m, MP_A_STATE, CS_EXTINGUISHED);
	mp_set_u(m, MP_A_USAGE, 500000);
	mp_set_u(m, MP_A_METHOD, MP_METHOD_ROOM);
	mp_set_u(m, MP_A_AMOUNT, 20);
	mp_set_u(m, MP_A_CHARGE, 5);
	mp_set_u(m, MP_A_REFUND, 15);
	mp_add_line(m, "deposit (room \"101\")", 20, 0);
	mp_add_line(m, "usage 500000 bytes at 10 per 1000000 = 5", 0, 0);
	mp_add_line(m, "adjustment to room 101", 15, 1);
	f = open_memstream(&s, &len);
	assert_int_equal(statement_print(f, OUT_TEXT, m), 0);
	fclose(f);
	assert_string_equal(
		s, "ID:      42\n"
		   "STATE:   extinguished\n"
		   "METHOD:  room\n"
		   "USAGE:   500000\n"
		   "DEPOSIT: 20\n"
		   "CHARGE:  5\n"
		   "REFUND:  15\n"
		   "\n"
		   "KIND    AMOUNT  DESCRIPTION\n"
		   "debit       20  deposit (room \"101\")\n"
		   "debit        0  usage 500000 bytes at 10 per 1000000 = 5\n"
		   "credit      15  adjustment to room 101\n");
	free(s);
	f = open_memstream(&s, &len);
	assert_int_equal(statement_print(f, OUT_JSON, m), 0);
	fclose(f);
	assert_string_equal(
		s, "{\"id\":42,\"state\":\"extinguished\",\"method\":\"room\","
		   "\"usage\":500000,\"deposit\":20,\"charge\":5,\"refund\":15,"
		   "\"lines\":[{\"kind\":\"debit\",\"amount\":20,"
		   "\"description\":\"deposit (room \\\"101\\\")\"},"
		   "{\"kind\":\"debit\",\"amount\":0,\"description\":\"usage "
		   "500000 bytes at 10 per 1000000 = 5\"},{\"kind\":\"credit\","
		   "\"amount\":15,\"description\":\"adjustment to room "
		   "101\"}]}\n");
	free(s);
	/* No lines: an empty array, not a dangling comma. */
	m->nlines = 0;
	f = open_memstream(&s, &len);
	assert_int_equal(statement_print(f, OUT_JSON, m), 0);
	fclose(f);
	assert_non_null(strstr(s, "\"refund\":15,\"lines\":[]}\n"));
	free(s);
	free(m);
}

static void test_voucher_row(void **state)
{
	struct out_table *t = out_new(voucher_cols, voucher_ncols);
	struct mp_msg *m = malloc(sizeof(*m));

	(void)state;
	assert_non_null(t);
	assert_non_null(m);
	mp_init(m, MP_T_OP_VOUCHER, MP_F_REPLY, 1);
	mp_set_s(m, MP_A_CODE, "ABCD-EFGH-JKLM-NPQR");
	mp_set_u(m, MP_A_BALANCE, 27);
	assert_int_equal(voucher_row(t, m, 1800000000), 0);
	mp_set_u(m, MP_A_EXPIRY, 1700000000);
	assert_int_equal(voucher_row(t, m, 1800000000), 0);
	assert_string_equal(
		printed(t, OUT_JSON, OUT_LIST),
		"[{\"code\":\"ABCD-EFGH-JKLM-NPQR\",\"state\":\"valid\","
		"\"balance\":27,\"expires_s\":0,\"eap_user\":\"ABCD-EFGH\","
		"\"eap_password\":\"JKLM-NPQR\"},{\"code\":"
		"\"ABCD-EFGH-JKLM-NPQR\",\"state\":\"expired\",\"balance\":27,"
		"\"expires_s\":1700000000,\"eap_user\":\"ABCD-EFGH\","
		"\"eap_password\":\"JKLM-NPQR\"}]\n");
	assert_string_equal(
		printed(t, OUT_TEXT, OUT_LIST),
		"CODE                 STATE    BALANCE  EXPIRES     "
		"          EAP-USER   EAP-PASSWORD\n"
		"ABCD-EFGH-JKLM-NPQR  valid         27  never       "
		"          ABCD-EFGH  JKLM-NPQR\n"
		"ABCD-EFGH-JKLM-NPQR  expired       27  "
		"2023-11-14T22:13:20Z  ABCD-EFGH  JKLM-NPQR\n");
	out_free(t);
	free(m);
}

/* ---- whole command lines ---- */

#include "muispctl_run.h"

static void test_cli_usage(void **state)
{
	(void)state;
	USAGE_ERR("voucher issue needs an AMOUNT (try --help)", "voucher",
		  "issue");
	USAGE_ERR("invalid amount '0': must be positive", "voucher", "issue",
		  "0");
	USAGE_ERR("invalid amount '5.50': not a decimal number", "voucher",
		  "issue", "5.50");
	USAGE_ERR("invalid amount '9223372036854775808': too large", "voucher",
		  "issue", "9223372036854775808");
	USAGE_ERR("invalid count '0': must be positive", "voucher", "issue",
		  "5", "count", "0");
	USAGE_ERR("invalid count '1001': too large", "voucher", "issue", "5",
		  "count", "1001");
	USAGE_ERR("'count' needs a value (try --help)", "voucher", "issue", "5",
		  "count");
	USAGE_ERR("invalid expires '@1': in the past", "voucher", "issue", "5",
		  "expires", "@1");
	USAGE_ERR("invalid expires 'soon': expected never, +DURATION, @EPOCH "
		  "or YYYY-MM-DDTHH:MM:SSZ",
		  "voucher", "issue", "5", "expires", "soon");
	USAGE_ERR("unknown voucher issue argument 'colour' (try --help)",
		  "voucher", "issue", "5", "colour", "red");
	USAGE_ERR("voucher show needs one CODE (try --help)", "voucher",
		  "show");
	USAGE_ERR("invalid voucher code '': expected 1 to 255 printable ASCII "
		  "characters",
		  "voucher", "show", "");
	USAGE_ERR("invalid voucher code 'A\tB': expected 1 to 255 printable "
		  "ASCII characters",
		  "voucher", "show", "A\tB");
	USAGE_ERR("contract terminate needs one ID (try --help)", "contract",
		  "terminate");
	USAGE_ERR("contract settle needs one ID (try --help)", "contract",
		  "settle", "1", "2");
	USAGE_ERR("invalid contract ID '0': must be non-zero", "contract",
		  "settle", "0");
	USAGE_ERR("invalid contract ID 'x': not a decimal number", "contract",
		  "terminate", "x");
	USAGE_ERR("unknown contract list argument 'all' (try --help)",
		  "contract", "list", "all");
	USAGE_ERR("unknown contract list argument 'x' (try --help)", "contract",
		  "list", "kernel", "x");
	USAGE_ERR("unknown contract show argument 'both' (try --help)",
		  "contract", "show", "7", "both");
	USAGE_ERR("contract show needs one ID (try --help)", "contract",
		  "show");
	USAGE_ERR("invalid --daemon '': empty path", "--daemon", "", "voucher",
		  "show", "X");
	/* "voucher" alone: there is no default verb. */
	assert_int_equal(run("voucher", NULL), EXIT_USAGE);
	assert_string_equal(err_txt,
			    "usage: muispctl voucher issue AMOUNT [count N] "
			    "[expires never|+DURATION|@EPOCH|DATE]\n"
			    "       muispctl voucher show CODE\n");
	assert_int_equal(run("contract", "help", NULL), EXIT_OK);
	assert_non_null(strstr(
		out_txt, "usage: muispctl contract list [kernel|daemon]\n"
			 "       muispctl contract show ID [kernel|daemon]\n"));
	assert_non_null(strstr(out_txt,
			       "       muispctl contract terminate ID\n"
			       "       muispctl contract settle ID\n"));
	assert_int_equal(run("--help", NULL), EXIT_OK);
	assert_non_null(strstr(out_txt, "usage: muispctl [-j|--json] "
					"[--daemon PATH] OBJECT"));
	assert_non_null(strstr(out_txt, "  voucher    prepaid vouchers "
					"(muispd)\n"));
	assert_non_null(strstr(out_txt, "default /run/muisp/muispd.sock"));
}

/* ---- a fake muispd ---- */

enum fake {
	FAKE_LIST,	   /* two STATUS (serial 0, MORE), then OP_OK */
	FAKE_ISSUE_FAILS,  /* third OP_VOUCHER_ISSUE gets ERROR */
	FAKE_CLOSE,	   /* accepts and closes */
	FAKE_OUT_OF_TURN,  /* answers with another serial */
	FAKE_GARBAGE,	   /* 16 bytes that are no header */
	FAKE_REFUSE_CLOSE, /* ERROR(STATE), then closes on the lookup */
	FAKE_KEYS,	   /* KEY_LIST: two OP_KEY (MORE), OP_OK; ROTATE: OK */
	FAKE_COUNTERS,	   /* RADIUS_STATS: 2 counters (MORE), then 1 */
	FAKE_NO_COUNTERS,  /* RADIUS_STATS: none (no RADIUS) */
	FAKE_USAGE,	   /* AGENT_USAGE: rows of one host or two */
};

static char sock_path[108];
static pid_t fake_pid;

/* An OP_KEY list item: key id, created at t, state 1 (retiring) with
 * NOT_AFTER or 0 (current) with EXPIRY, that attribute's value. */
static void send_key(int fd, uint32_t serial, uint64_t id, uint64_t t, int attr,
		     uint64_t v)
{
	static struct mp_msg m;

	mp_init(&m, MP_T_OP_KEY, MP_F_REPLY | MP_F_MORE, serial);
	mp_set_u(&m, MP_A_KEY_ID, id);
	mp_set_u(&m, MP_A_TIME, t);
	mp_set_u(&m, MP_A_KEY_STATE, attr == MP_A_NOT_AFTER);
	mp_set_u(&m, attr, v);
	opd_send(fd, &m);
}

/* An OP_AGENT_USAGE_ROW: host's user, from first to last, bytes and
 * packets sent (received: ten times as many), the host's highest
 * record. */
static void send_usage(int fd, uint32_t serial, const char *host, uint32_t user,
		       uint64_t first, uint64_t last, uint64_t bytes,
		       uint64_t pkts, uint64_t seq)
{
	static struct mp_msg m;

	mp_init(&m, MP_T_OP_AGENT_USAGE_ROW, MP_F_REPLY | MP_F_MORE, serial);
	mp_set_s(&m, MP_A_ADDR, host);
	mp_set_u(&m, MP_A_USER, user);
	mp_set_u(&m, MP_A_TIME, first);
	mp_set_u(&m, MP_A_END, last);
	mp_set_u(&m, MP_A_SENT_BYTES, bytes);
	mp_set_u(&m, MP_A_SENT_PKTS, pkts);
	mp_set_u(&m, MP_A_RECV_BYTES, 10 * bytes);
	mp_set_u(&m, MP_A_RECV_PKTS, 10 * pkts);
	mp_set_u(&m, MP_A_SERIAL, seq);
	opd_send(fd, &m);
}

/* FAKE_USAGE: every host's rows (and the word that some were left
 * out), or those of 2001:db8::9 asked as it is written canonically. */
static void serve_usage(int fd, const struct mp_msg *req)
{
	static struct mp_msg rep;
	int all = !mp_has(req, MP_A_ADDR);

	if (req->type != MP_T_OP_AGENT_USAGE)
		_exit(5);
	if (all)
		send_usage(fd, req->serial, "192.0.2.20", 7001, 1800000000,
			   1800003600, 1234567, 890, 42);
	if (all || !strcmp(req->s[MP_A_ADDR], "2001:db8::9"))
		send_usage(fd, req->serial, "2001:db8::9", 7, 1800000060,
			   1800000120, 5, 1, 3);
	mp_init(&rep, MP_T_OP_OK, MP_F_REPLY, req->serial);
	if (all)
		mp_set_s(&rep, MP_A_MESSAGE,
			 "the first 2 rows only: name a host for its own");
	opd_send(fd, &rep);
}

static void serve(int fd, int mode)
{
	static struct mp_msg req, rep;
	unsigned int issued = 0;
	char code[32];

	if (mode == FAKE_CLOSE)
		return;
	while (opd_read_req(fd, &req) == 0) {
		switch ((enum fake)mode) {
		case FAKE_LIST:
			status(&rep, 3, CS_ACTIVE, "192.0.2.10");
			rep.flags = MP_F_REPLY | MP_F_MORE;
			rep.serial = 0;
			opd_send(fd, &rep);
			status(&rep, 4, CS_UNBOUND, NULL);
			rep.flags = MP_F_REPLY | MP_F_MORE;
			rep.serial = 0;
			opd_send(fd, &rep);
			mp_init(&rep, MP_T_OP_OK, MP_F_REPLY, req.serial);
			opd_send(fd, &rep);
			break;
		case FAKE_ISSUE_FAILS:
			if (++issued == 3) {
				mp_init(&rep, MP_T_ERROR, MP_F_REPLY,
					req.serial);
				mp_set_u(&rep, MP_A_ERROR, MP_ERR_INTERNAL);
				mp_set_s(&rep, MP_A_MESSAGE, "voucher");
				opd_send(fd, &rep);
				break;
			}
			mp_init(&rep, MP_T_OP_VOUCHER, MP_F_REPLY, req.serial);
			snprintf(code, sizeof(code), "CODE-%u-%llu", issued,
				 (unsigned long long)req.u[MP_A_AMOUNT]);
			mp_set_s(&rep, MP_A_CODE, code);
			mp_set_u(&rep, MP_A_BALANCE, req.u[MP_A_AMOUNT]);
			opd_send(fd, &rep);
			break;
		case FAKE_OUT_OF_TURN:
			mp_init(&rep, MP_T_OP_VOUCHER, MP_F_REPLY,
				req.serial + 1);
			mp_set_s(&rep, MP_A_CODE, "X");
			mp_set_u(&rep, MP_A_BALANCE, 1);
			opd_send(fd, &rep);
			break;
		case FAKE_REFUSE_CLOSE:
			if (req.type == MP_T_OP_CONTRACT_SHOW)
				return;
			mp_init(&rep, MP_T_ERROR, MP_F_REPLY, req.serial);
			mp_set_u(&rep, MP_A_ERROR, MP_ERR_STATE);
			mp_set_s(&rep, MP_A_MESSAGE, "cannot terminate");
			opd_send(fd, &rep);
			break;
		case FAKE_KEYS:
			if (req.type == MP_T_OP_KEY_ROTATE) {
				mp_init(&rep, MP_T_OP_OK, MP_F_REPLY,
					req.serial);
				mp_set_u(&rep, MP_A_KEY_ID, 2);
				opd_send(fd, &rep);
				break;
			}
			/* 1 retiring until 2000, 2 current, rotates at 3000 */
			send_key(fd, req.serial, 1, 1000, MP_A_NOT_AFTER, 2000);
			send_key(fd, req.serial, 2, 1500, MP_A_EXPIRY, 3000);
			mp_init(&rep, MP_T_OP_OK, MP_F_REPLY, req.serial);
			opd_send(fd, &rep);
			break;
		case FAKE_COUNTERS:
		case FAKE_NO_COUNTERS:
			if (req.type != MP_T_OP_RADIUS_STATS)
				_exit(5);
			mp_init(&rep, MP_T_OP_COUNTERS, MP_F_REPLY, req.serial);
			if (mode == FAKE_COUNTERS) {
				rep.flags |= MP_F_MORE;
				mp_add_counter(&rep, "auth.sent", 3);
				mp_add_counter(&rep, "acct.bad_replies", 2);
				opd_send(fd, &rep);
				mp_init(&rep, MP_T_OP_COUNTERS, MP_F_REPLY,
					req.serial);
				mp_add_counter(&rep, "spool.rows", 7);
			}
			opd_send(fd, &rep);
			break;
		case FAKE_GARBAGE:
			opd_send_garbage(fd);
			break;
		case FAKE_USAGE:
			serve_usage(fd, &req);
			break;
		default:
			_exit(4);
		}
	}
}

static void fake_start(enum fake mode)
{
	snprintf(sock_path, sizeof(sock_path), "/tmp/muispctl-fake-%d.sock",
		 (int)getpid());
	fake_pid = opd_start(sock_path, serve, mode);
}

static void fake_stop(void)
{
	opd_stop(&fake_pid, sock_path, 1);
}

/* After a failed assertion (cmocka jumps out of the test). */
static int fake_teardown(void **state)
{
	(void)state;
	opd_stop(&fake_pid, sock_path, 0);
	return 0;
}

static void test_cli_fake_daemon(void **state)
{
	char want[512];

	(void)state;
	/* List items arrive with serial 0 (muispd's way), then OP_OK. */
	fake_start(FAKE_LIST);
	assert_int_equal(run("--daemon", sock_path, "--json", "contract",
			     "list", "daemon", NULL),
			 EXIT_OK);
	assert_string_equal(err_txt, "");
	assert_non_null(strstr(out_txt, "[{\"id\":3,\"state\":\"active\","
					"\"addr\":\"192.0.2.10\""));
	assert_non_null(strstr(out_txt, "{\"id\":4,\"state\":\"unbound\","
					"\"addr\":null"));
	assert_int_equal(out_txt[strlen(out_txt) - 2], ']');
	/* Two lists on one connection (a batch): the second request's
	 * serial is matched too. */
	{
		char path[] = "/tmp/muispctl-batch-XXXXXX";
		int fd = mkstemp(path);
		static const char text[] = "contract list daemon\n"
					   "contract list daemon\n";

		assert_true(fd >= 0);
		assert_int_equal(write(fd, text, sizeof(text) - 1),
				 (ssize_t)sizeof(text) - 1);
		close(fd);
		assert_int_equal(run("--daemon", sock_path, "-b", path, NULL),
				 EXIT_OK);
		unlink(path);
		assert_string_equal(err_txt, "");
		/* header + 2 rows, twice */
		{
			int lines = 0;

			for (const char *p = out_txt; *p; p++)
				lines += *p == '\n';
			assert_int_equal(lines, 6);
		}
	}
	fake_stop();

	/* A failure half-way: the codes issued so far are printed. */
	fake_start(FAKE_ISSUE_FAILS);
	assert_int_equal(run("--daemon", sock_path, "--json", "voucher",
			     "issue", "25", "count", "5", NULL),
			 EXIT_FAIL);
	assert_string_equal(
		out_txt,
		"[{\"code\":\"CODE-1-25\",\"state\":\"valid\",\"balance\":25,"
		"\"expires_s\":0,\"eap_user\":\"-\",\"eap_password\":\"-\"},"
		"{\"code\":\"CODE-2-25\",\"state\":\"valid\","
		"\"balance\":25,\"expires_s\":0,\"eap_user\":\"-\","
		"\"eap_password\":\"-\"}]\n");
	assert_string_equal(
		err_txt,
		"muispctl: voucher issue: muispd: voucher\n"
		"muispctl: voucher issue: 2 of 5 vouchers issued (listed)\n");
	fake_stop();

	fake_start(FAKE_CLOSE);
	assert_int_equal(run("--daemon", sock_path, "voucher", "show", "X",
			     NULL),
			 EXIT_FAIL);
	assert_string_equal(err_txt, "muispctl: voucher show: muispd closed "
				     "the connection\n");
	assert_string_equal(out_txt, "");
	fake_stop();

	fake_start(FAKE_OUT_OF_TURN);
	assert_int_equal(run("--daemon", sock_path, "voucher", "show", "X",
			     NULL),
			 EXIT_FAIL);
	assert_string_equal(err_txt, "muispctl: voucher show: muispd answered "
				     "op-voucher out of turn\n");
	fake_stop();

	fake_start(FAKE_GARBAGE);
	assert_int_equal(run("--daemon", sock_path, "contract", "terminate",
			     "7", NULL),
			 EXIT_FAIL);
	assert_string_equal(err_txt, "muispctl: contract terminate: bad reply "
				     "from muispd: bad magic\n");
	fake_stop();

	/* Refused, and the connection drops while muispctl looks the
	 * contract up to explain: both are said. */
	fake_start(FAKE_REFUSE_CLOSE);
	assert_int_equal(run("--daemon", sock_path, "contract", "terminate",
			     "7", NULL),
			 EXIT_FAIL);
	assert_string_equal(
		err_txt,
		"muispctl: contract terminate: muispd closed the connection\n"
		"muispctl: contract terminate: muispd: cannot terminate\n");
	fake_stop();

	/* Nobody listening any more. */
	assert_int_equal(run("--daemon", sock_path, "contract", "settle", "7",
			     NULL),
			 EXIT_FAIL);
	snprintf(want, sizeof(want),
		 "muispctl: muispd not reachable at %s: "
		 "No such file or directory (is muispd running? --daemon PATH "
		 "names another socket)\n",
		 sock_path);
	assert_string_equal(err_txt, want);
}

/* stats radius: muispd's counters, over several op-counters replies; {}
 * without RADIUS; a refusal when muispd is not there. */
static void test_cli_stats_radius(void **state)
{
	(void)state;
	fake_start(FAKE_COUNTERS);
	assert_int_equal(run("--daemon", sock_path, "--json", "stats", "radius",
			     NULL),
			 EXIT_OK);
	assert_string_equal(err_txt, "");
	assert_string_equal(out_txt, "{\"auth_sent\":3,\"acct_bad_replies\":2,"
				     "\"spool_rows\":7}\n");
	assert_int_equal(run("--daemon", sock_path, "stats", "radius", NULL),
			 EXIT_OK);
	assert_string_equal(out_txt, "auth.sent:        3\n"
				     "acct.bad_replies: 2\n"
				     "spool.rows:       7\n");
	fake_stop();
	fake_start(FAKE_NO_COUNTERS);
	assert_int_equal(run("--daemon", sock_path, "--json", "stats", "radius",
			     NULL),
			 EXIT_OK);
	assert_string_equal(out_txt, "{}\n");
	assert_int_equal(run("--daemon", sock_path, "stats", "radius", NULL),
			 EXIT_OK);
	assert_string_equal(out_txt, "");
	fake_stop();
	assert_int_equal(run("--daemon", sock_path, "stats", "radius", NULL),
			 EXIT_FAIL);
	assert_non_null(strstr(err_txt, "muispd not reachable"));
	USAGE_ERR("stats radius takes no arguments (try --help)", "stats",
		  "radius", "x");
}

/* key list and rotate against a fake muispd; a reply of another kind
 * is refused. */
static void test_cli_keys(void **state)
{
	(void)state;
	USAGE_ERR("key list takes no arguments (try --help)", "key", "list",
		  "all");
	USAGE_ERR("key rotate takes no arguments (try --help)", "key", "rotate",
		  "now");
	fake_start(FAKE_KEYS);
	assert_int_equal(run("--daemon", sock_path, "--json", "key", NULL),
			 EXIT_OK);
	assert_string_equal(err_txt, "");
	assert_string_equal(out_txt,
			    "[{\"id\":1,\"state\":\"retiring\","
			    "\"created_s\":1000,\"retires_s\":2000,"
			    "\"rotates_s\":0},{\"id\":2,\"state\":\"current\","
			    "\"created_s\":1500,\"retires_s\":0,"
			    "\"rotates_s\":3000}]\n");
	assert_int_equal(run("--daemon", sock_path, "key", "rotate", NULL),
			 EXIT_OK);
	assert_non_null(strstr(out_txt, "ID  STATE     CREATED"));
	assert_non_null(strstr(out_txt, " 2  current   1970-01-01T00:25:00Z"));
	fake_stop();
	/* the list's items are OP_KEY, nothing else */
	fake_start(FAKE_LIST);
	assert_int_equal(run("--daemon", sock_path, "key", "list", NULL),
			 EXIT_FAIL);
	assert_string_equal(err_txt, "muispctl: key list: unexpected status "
				     "reply from muispd\n");
	assert_string_equal(out_txt, "");
	fake_stop();
}

/* agent usage: standalone agents' records as muispd adds them up, per
 * host and user; one host's, named as the operator writes it; a list
 * muispd cut short says so; refused when muispd is not there. */
static void test_cli_agent_usage(void **state)
{
	(void)state;
	fake_start(FAKE_USAGE);
	assert_int_equal(run("--daemon", sock_path, "agent", "usage", NULL),
			 EXIT_OK);
	assert_string_equal(
		out_txt,
		"HOST         USER  FIRST                 LAST                 "
		" SENT_BYTES  SENT_PKTS  RECV_BYTES  RECV_PKTS\n"
		"192.0.2.20   7001  2027-01-15T08:00:00Z  2027-01-15T09:00:00Z"
		"     1234567        890    12345670       8900\n"
		"2001:db8::9     7  2027-01-15T08:01:00Z  2027-01-15T08:02:00Z"
		"           5          1          50         10\n");
	assert_string_equal(err_txt, "muispctl: agent usage: muispd: the "
				     "first 2 rows only: name a host for its "
				     "own\n");
	assert_int_equal(run("--daemon", sock_path, "--json", "agent", "usage",
			     "2001:DB8:0::9", NULL),
			 EXIT_OK);
	assert_string_equal(err_txt, "");
	assert_string_equal(out_txt,
			    "[{\"host\":\"2001:db8::9\",\"user\":7,"
			    "\"first_s\":1800000060,\"last_s\":1800000120,"
			    "\"sent_bytes\":5,\"sent_packets\":1,"
			    "\"recv_bytes\":50,\"recv_packets\":10}]\n");
	/* a host without records */
	assert_int_equal(run("--daemon", sock_path, "--json", "agent", "usage",
			     "192.0.2.99", NULL),
			 EXIT_OK);
	assert_string_equal(out_txt, "[]\n");
	fake_stop();
	/* rows of another kind are refused */
	fake_start(FAKE_LIST);
	assert_int_equal(run("--daemon", sock_path, "agent", "usage", NULL),
			 EXIT_FAIL);
	assert_string_equal(err_txt, "muispctl: agent usage: unexpected "
				     "status reply from muispd\n");
	assert_string_equal(out_txt, "");
	fake_stop();
	assert_int_equal(run("--daemon", sock_path, "agent", "usage", NULL),
			 EXIT_FAIL);
	assert_non_null(strstr(err_txt, "muispd not reachable"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_cview_columns),
		cmocka_unit_test(test_cview_merge),
		cmocka_unit_test(test_statement),
		cmocka_unit_test(test_voucher_row),
		cmocka_unit_test(test_cli_usage),
		cmocka_unit_test_teardown(test_cli_fake_daemon, fake_teardown),
		cmocka_unit_test_teardown(test_cli_keys, fake_teardown),
		cmocka_unit_test_teardown(test_cli_stats_radius, fake_teardown),
		cmocka_unit_test_teardown(test_cli_agent_usage, fake_teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	free(buf_txt);
	return rc;
}

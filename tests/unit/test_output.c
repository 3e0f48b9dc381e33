// SPDX-License-Identifier: GPL-2.0
/* lib/output: text tables, records, JSON and its string escaping. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "output.h"

static char *buf;
static size_t len;

static FILE *mem(void)
{
	FILE *f;

	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	return f;
}

static const char *done(FILE *f)
{
	assert_int_equal(fclose(f), 0);
	return buf;
}

static const char *json(const char *s)
{
	FILE *f = mem();

	out_json_str(f, s);
	return done(f);
}

static const struct out_col cols[] = {
	{ "addr", "ADDRESS" },
	{ "n", "N" },
	{ "ok", "OK" },
	{ "note", "NOTE" },
};

static struct out_table *sample(void)
{
	struct out_table *t = out_new(cols, 4);

	assert_non_null(t);
	assert_int_equal(out_row(t), 0);
	assert_int_equal(out_str(t, 0, "192.0.2.10"), 0);
	assert_int_equal(out_u64(t, 1, 7), 0);
	assert_int_equal(out_bool(t, 2, 1), 0);
	assert_int_equal(out_str(t, 3, "a \"b\""), 0);
	assert_int_equal(out_row(t), 0);
	assert_int_equal(out_str(t, 0, "2001:db8:1::10"), 0);
	assert_int_equal(out_u64(t, 1, 12345), 0);
	assert_int_equal(out_bool(t, 2, 0), 0);
	/* note left null */
	return t;
}

static void test_text_list(void **state)
{
	struct out_table *t = sample();
	FILE *f = mem();

	assert_int_equal(out_print(t, f, OUT_TEXT, OUT_LIST), 0);
	assert_string_equal(done(f), "ADDRESS             N  OK   NOTE\n"
				     "192.0.2.10          7  yes  a \"b\"\n"
				     "2001:db8:1::10  12345  no   -\n");
	out_free(t);
}

static void test_text_record(void **state)
{
	struct out_table *t = sample();
	FILE *f = mem();

	assert_int_equal(out_print(t, f, OUT_TEXT, OUT_RECORD), 0);
	assert_string_equal(done(f), "ADDRESS: 192.0.2.10\n"
				     "N:       7\n"
				     "OK:      yes\n"
				     "NOTE:    a \"b\"\n"
				     "\n"
				     "ADDRESS: 2001:db8:1::10\n"
				     "N:       12345\n"
				     "OK:      no\n"
				     "NOTE:    -\n");
	out_free(t);
}

static void test_json_list_and_record(void **state)
{
	struct out_table *t = sample();
	FILE *f = mem();

	assert_int_equal(out_print(t, f, OUT_JSON, OUT_LIST), 0);
	assert_string_equal(
		done(f),
		"[{\"addr\":\"192.0.2.10\",\"n\":7,\"ok\":true,"
		"\"note\":\"a \\\"b\\\"\"},"
		"{\"addr\":\"2001:db8:1::10\",\"n\":12345,\"ok\":false,"
		"\"note\":null}]\n");
	/* Two rows as a record: still an array. */
	f = mem();
	assert_int_equal(out_print(t, f, OUT_JSON, OUT_RECORD), 0);
	assert_true(done(f)[0] == '[');
	/* One row as a record: an object. */
	out_reset(t);
	assert_int_equal(out_nrows(t), 0);
	assert_int_equal(out_row(t), 0);
	assert_int_equal(out_u64(t, 1, 18446744073709551615ULL), 0);
	f = mem();
	assert_int_equal(out_print(t, f, OUT_JSON, OUT_RECORD), 0);
	assert_string_equal(
		done(f),
		"{\"addr\":null,\"n\":18446744073709551615,\"ok\":null,"
		"\"note\":null}\n");
	f = mem();
	assert_int_equal(out_print_json_row(t, 0, f), 0);
	assert_string_equal(
		done(f),
		"{\"addr\":null,\"n\":18446744073709551615,\"ok\":null,"
		"\"note\":null}\n");
	out_free(t);
}

static void test_empty_list(void **state)
{
	struct out_table *t = out_new(cols, 4);
	FILE *f = mem();

	assert_int_equal(out_print(t, f, OUT_TEXT, OUT_LIST), 0);
	assert_string_equal(done(f), "ADDRESS  N  OK  NOTE\n");
	f = mem();
	assert_int_equal(out_print(t, f, OUT_JSON, OUT_LIST), 0);
	assert_string_equal(done(f), "[]\n");
	out_free(t);
}

static void test_num_as_text(void **state)
{
	static const struct out_col c2[] = { { "exp", "EXPIRES" },
					     { "lim", "LIMIT" } };
	struct out_table *t = out_new(c2, 2);
	FILE *f;

	assert_int_equal(out_row(t), 0);
	assert_int_equal(out_u64_as(t, 0, 0, "never"), 0);
	assert_int_equal(out_i64(t, 1, -5), 0);
	assert_int_equal(out_row(t), 0);
	assert_int_equal(out_u64_as(t, 0, 1795622400, "2026-11-25T16:00:00Z"),
			 0);
	/* Overwriting a cell replaces it. */
	assert_int_equal(out_strf(t, 1, "x%d", 1), 0);
	assert_int_equal(out_u64(t, 1, 3), 0);
	f = mem();
	assert_int_equal(out_print(t, f, OUT_TEXT, OUT_LIST), 0);
	assert_string_equal(done(f), "EXPIRES               LIMIT\n"
				     "never                    -5\n"
				     "2026-11-25T16:00:00Z      3\n");
	f = mem();
	assert_int_equal(out_print(t, f, OUT_JSON, OUT_LIST), 0);
	assert_string_equal(
		done(f),
		"[{\"exp\":0,\"lim\":-5},{\"exp\":1795622400,\"lim\":3}]\n");
	out_free(t);
}

/* CSV: keys, JSON values, empty for null, quoted when needed. */
static void test_csv(void **state)
{
	struct out_table *t = sample();
	FILE *f = mem();

	assert_int_equal(out_row(t), 0);
	assert_int_equal(out_str(t, 0, "a,b"), 0);
	assert_int_equal(out_u64_as(t, 1, 1795622400, "2026-11-25"), 0);
	assert_int_equal(out_str(t, 3, "x\ny"), 0);
	assert_int_equal(out_print(t, f, OUT_CSV, OUT_LIST), 0);
	assert_string_equal(done(f), "addr,n,ok,note\r\n"
				     "192.0.2.10,7,true,\"a \"\"b\"\"\"\r\n"
				     "2001:db8:1::10,12345,false,\r\n"
				     "\"a,b\",1795622400,,\"x\ny\"\r\n");
	out_free(t);
}

static void test_errors(void **state)
{
	struct out_table *t = out_new(cols, 4);

	errno = 0;
	assert_int_equal(out_str(t, 0, "x"), -1); /* no row yet */
	assert_int_equal(errno, EINVAL);
	assert_int_equal(out_row(t), 0);
	errno = 0;
	assert_int_equal(out_u64(t, 4, 1), -1); /* bad column */
	assert_int_equal(errno, EINVAL);
	assert_int_equal(out_str(t, 0, NULL), 0); /* NULL = null */
	{
		FILE *f = mem();

		assert_int_equal(out_print_json_row(t, 1, f), -1);
		done(f);
	}
	out_free(t);
	out_free(NULL);
}

static void test_many_rows(void **state)
{
	static const struct out_col c1[] = { { "i", "I" } };
	struct out_table *t = out_new(c1, 1);
	FILE *f;
	int i;

	for (i = 0; i < 1000; i++) {
		assert_int_equal(out_row(t), 0);
		assert_int_equal(out_u64(t, 0, (uint64_t)i), 0);
	}
	assert_int_equal(out_nrows(t), 1000);
	f = mem();
	assert_int_equal(out_print(t, f, OUT_TEXT, OUT_LIST), 0);
	done(f);
	/* "  I\n" + 1000 lines of width 3 + newline */
	assert_int_equal(strlen(buf), 4 + 1000 * 4);
	assert_memory_equal(buf + 4 + 999 * 4, "999\n", 4);
	out_free(t);
}

static void test_json_escape(void **state)
{
	assert_string_equal(json(""), "\"\"");
	assert_string_equal(json("plain"), "\"plain\"");
	assert_string_equal(json("q\"b\\s/"), "\"q\\\"b\\\\s/\"");
	assert_string_equal(json("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
	assert_string_equal(json("\x01\x1f\x7f"), "\"\\u0001\\u001f\\u007f\"");
	/* Valid UTF-8 passes through: é (2), € (3), 😀 (4). */
	assert_string_equal(json("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
			    "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
	/* Invalid: lone continuation, overlong, surrogate, > U+10FFFF,
	 * truncated sequence at the end. */
	assert_string_equal(json("\x80"), "\"\\ufffd\"");
	assert_string_equal(json("\xc0\x80"), "\"\\ufffd\\ufffd\"");
	assert_string_equal(json("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");
	assert_string_equal(json("\xf4\x90\x80\x80"),
			    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	assert_string_equal(json("a\xe2\x82"), "\"a\\ufffd\\ufffd\"");
	assert_string_equal(json("\xe0\x80\xaf"), "\"\\ufffd\\ufffd\\ufffd\"");
}

static void test_text_sanitised(void **state)
{
	static const struct out_col c1[] = { { "s", "S" } };
	struct out_table *t = out_new(c1, 1);
	FILE *f;

	assert_int_equal(out_row(t), 0);
	assert_int_equal(out_str(t, 0, "a\nb\x1b[0m"), 0);
	f = mem();
	assert_int_equal(out_print(t, f, OUT_TEXT, OUT_LIST), 0);
	assert_string_equal(done(f), "S\na?b?[0m\n");
	out_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_list),
		cmocka_unit_test(test_text_record),
		cmocka_unit_test(test_json_list_and_record),
		cmocka_unit_test(test_empty_list),
		cmocka_unit_test(test_num_as_text),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_many_rows),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_text_sanitised),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);

	free(buf);
	return r;
}

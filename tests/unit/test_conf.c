// SPDX-License-Identifier: GPL-2.0
/* lib/conf: the daemons' configuration reader -- words, comments, line
 * numbers, blocks, value helpers and whole-file reading, each error with
 * its "FILE:LINE: message". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "conf.h"

static char err[256];

static void test_words(void **state)
{
	struct conf r;

	assert_int_equal(conf_init(&r, "f",
				   "# only a comment\n\n"
				   "  port\t4433  # trailing\r\n"
				   "a#b c\n"
				   "x y z",
				   err, sizeof(err)),
			 0);
	assert_int_equal(conf_next(&r), CONF_WORDS);
	assert_int_equal(r.line, 3);
	assert_int_equal(r.nw, 2);
	assert_string_equal(r.w[0], "port");
	assert_string_equal(r.w[1], "4433");
	assert_int_equal(conf_next(&r), CONF_WORDS);
	assert_int_equal(r.line, 4);
	assert_int_equal(r.nw, 1); /* '#' cuts inside a word */
	assert_string_equal(r.w[0], "a");
	assert_int_equal(conf_next(&r), CONF_WORDS);
	assert_int_equal(r.line, 5); /* no final newline */
	assert_int_equal(r.nw, 3);
	assert_string_equal(r.w[2], "z");
	assert_int_equal(conf_next(&r), CONF_EOF);
	assert_int_equal(conf_next(&r), CONF_EOF);
	assert_string_equal(err, "");
	conf_fini(&r);

	/* The line count at the end includes the empty last line. */
	assert_int_equal(conf_init(&r, "f", "a\n", err, sizeof(err)), 0);
	assert_int_equal(conf_next(&r), CONF_WORDS);
	assert_int_equal(conf_next(&r), CONF_EOF);
	assert_int_equal(r.line, 2);
	assert_int_equal(conf_err(&r, 0, "at the end"), -1);
	assert_string_equal(err, "f:2: at the end");
	conf_fini(&r);
	assert_int_equal(conf_init(&r, "f", "", err, sizeof(err)), 0);
	assert_int_equal(conf_next(&r), CONF_EOF);
	assert_int_equal(r.line, 1);
	conf_fini(&r);
}

static void test_too_many_words(void **state)
{
	struct conf r;

	assert_int_equal(conf_init(&r, "f",
				   "a b c d e f g h i j k l m n o p\n"
				   "a b c d e f g h i j k l m n o p q\n",
				   err, sizeof(err)),
			 0);
	assert_int_equal(conf_next(&r), CONF_WORDS);
	assert_int_equal(r.nw, CONF_MAX_WORDS);
	assert_int_equal(conf_next(&r), CONF_ERR);
	assert_string_equal(err, "f:2: too many words");
	conf_fini(&r);
}

static void test_blocks(void **state)
{
	struct conf r;

	assert_int_equal(conf_init(&r, "d.conf",
				   "outer a {\n"
				   "  inner b {\n"
				   "    k v\n"
				   "  }\n"
				   "}  # done\n",
				   err, sizeof(err)),
			 0);
	assert_int_equal(conf_next(&r), CONF_WORDS);
	assert_string_equal(r.w[2], "{");
	assert_int_equal(conf_open(&r, "outer"), 0);
	assert_int_equal(conf_next(&r), CONF_WORDS);
	assert_int_equal(conf_open(&r, "inner"), 0);
	assert_int_equal(conf_next(&r), CONF_WORDS);
	assert_string_equal(r.w[0], "k");
	assert_int_equal(conf_next(&r), CONF_CLOSE);
	assert_string_equal(r.closed, "inner");
	assert_int_equal(r.closed_line, 2);
	assert_int_equal(conf_next(&r), CONF_CLOSE);
	assert_string_equal(r.closed, "outer");
	assert_int_equal(r.closed_line, 1);
	assert_int_equal(conf_next(&r), CONF_EOF);
	conf_fini(&r);
}

static void test_block_errors(void **state)
{
	static const struct {
		const char *text;
		int opens; /* conf_open every statement */
		const char *msg;
	} bad[] = {
		{ "}\n", 0, "c:1: '}' without an open block" },
		{ "a {\n} x\n", 1, "c:2: '}' must be alone on its line" },
		{ "a {\nb {\n", 1, "c:2: b block not closed" },
		{ "\na {\n", 1, "c:2: a block not closed" },
		{ "a {\nb {\nc {\nd {\ne {\n", 1,
		  "c:5: blocks nested too deep" },
	};
	static const char *const names[] = { "a", "b", "c", "d", "e" };
	struct conf r;
	size_t i;
	int k, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
			conf_init(&r, "c", bad[i].text, err, sizeof(err)), 0);
		n = 0;
		while ((k = conf_next(&r)) == CONF_WORDS || k == CONF_CLOSE)
			if (k == CONF_WORDS && bad[i].opens &&
			    conf_open(&r, names[n++]) < 0) {
				k = CONF_ERR;
				break;
			}
		assert_int_equal(k, CONF_ERR);
		if (strcmp(err, bad[i].msg))
			fail_msg("case %zu: got '%s', want '%s'", i, err,
				 bad[i].msg);
		conf_fini(&r);
	}
}

static void test_values(void **state)
{
	struct conf r;
	uint64_t v = 0;
	char s[5];
	int b = -1;

	assert_int_equal(conf_init(&r, "m.conf",
				   "port 4433 x 0 65536 "
				   "18446744073709551616 yes off maybe "
				   "abcd abcde\n",
				   err, sizeof(err)),
			 0);
	assert_int_equal(conf_next(&r), CONF_WORDS);
	assert_int_equal(conf_uint(&r, 1, 1, 65535, &v), 0);
	assert_int_equal(v, 4433);
	assert_int_equal(conf_uint(&r, 2, 1, 65535, &v), -1);
	assert_string_equal(err, "m.conf:1: port: 'x': not a decimal number");
	assert_int_equal(conf_uint(&r, 3, 1, 65535, &v), -1);
	assert_string_equal(err, "m.conf:1: port: '0': not in 1..65535");
	assert_int_equal(conf_uint(&r, 4, 1, 65535, &v), -1);
	assert_string_equal(err, "m.conf:1: port: '65536': not in 1..65535");
	assert_int_equal(conf_uint(&r, 5, 0, UINT64_MAX, &v), -1);
	assert_string_equal(err, "m.conf:1: port: '18446744073709551616': "
				 "too large");
	assert_int_equal(v, 4433); /* left alone */
	assert_int_equal(conf_bool(&r, 6, &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(conf_bool(&r, 7, &b), 0);
	assert_int_equal(b, 0);
	assert_int_equal(conf_bool(&r, 8, &b), -1);
	assert_string_equal(err, "m.conf:1: port: 'maybe': expected yes or no");
	assert_int_equal(conf_str(&r, 9, s, sizeof(s)), 0);
	assert_string_equal(s, "abcd");
	assert_int_equal(conf_str(&r, 10, s, sizeof(s)), -1);
	assert_string_equal(err, "m.conf:1: port: 'abcde': too long (at most "
				 "4 characters)");
	assert_string_equal(s, "abcd");
	assert_int_equal(conf_uint(&r, 11, 0, 1, &v), -1);
	assert_string_equal(err, "m.conf:1: port: missing argument 11");
	assert_int_equal(conf_nargs(&r, 1), -1);
	assert_string_equal(err, "m.conf:1: port: expected 1 argument, got 10");
	assert_int_equal(conf_nargs(&r, 10), 0);
	assert_int_equal(conf_bad(&r, 2, "why not"), -1);
	assert_string_equal(err, "m.conf:1: port: 'x': why not");
	assert_int_equal(conf_err(&r, 7, "elsewhere %d", 42), -1);
	assert_string_equal(err, "m.conf:7: elsewhere 42");
	conf_fini(&r);

	assert_int_equal(conf_init(&r, "m", "k\n", err, sizeof(err)), 0);
	assert_int_equal(conf_next(&r), CONF_WORDS);
	assert_int_equal(conf_nargs(&r, 2), -1);
	assert_string_equal(err, "m:1: k: expected 2 arguments, got 0");
	conf_fini(&r);
}

/* A message longer than the buffer is cut, never overflows it. */
static void test_small_buffer(void **state)
{
	char small[12];
	struct conf r;

	assert_int_equal(
		conf_init(&r, "name.conf", "}\n", small, sizeof(small)), 0);
	assert_int_equal(conf_next(&r), CONF_ERR);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_string_equal(small, "name.conf:1");
	conf_fini(&r);
}

static void test_read(void **state)
{
	char path[] = "/tmp/test_conf.XXXXXX";
	char *text = NULL;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "a b\n", 4), 4);
	close(fd);
	assert_int_equal(conf_read(path, &text, err, sizeof(err)), 0);
	assert_string_equal(text, "a b\n");
	free(text);

	/* A NUL byte is an error, not a silent cut. */
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite("a\0b\n", 1, 4, f), 4);
	fclose(f);
	assert_int_equal(conf_read(path, &text, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ": contains a NUL byte"));
	assert_int_equal(strncmp(err, path, strlen(path)), 0);

	/* Past CONF_MAX_SIZE. */
	assert_int_equal(truncate(path, CONF_MAX_SIZE + 1), 0);
	assert_int_equal(conf_read(path, &text, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ": too large"));

	unlink(path);
	assert_int_equal(conf_read(path, &text, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ": No such file or directory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_too_many_words),
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_block_errors),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

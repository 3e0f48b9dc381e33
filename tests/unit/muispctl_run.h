/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test helper shared by the muispctl unit tests: run(ARG, ..., NULL) runs
 * muispctl_main() with that command line and captures what it printed in
 * out_txt and err_txt; USAGE_ERR checks a usage error's exact message.
 * Include after <cmocka.h> and "muispctl.h".
 */
#ifndef MUISP_TESTS_MUISPCTL_RUN_H
#define MUISP_TESTS_MUISPCTL_RUN_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

static char out_txt[16384], err_txt[8192];

static void slurp(FILE *f, char *buf, size_t len)
{
	ssize_t n;

	assert_int_equal(lseek(fileno(f), 0, SEEK_SET), 0);
	n = read(fileno(f), buf, len - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	fclose(f);
}

static int run(const char *first, ...)
{
	char *argv[32];
	int argc = 0, rc, so, se;
	FILE *o, *e;
	va_list ap;
	const char *a;

	argv[argc++] = (char *)(uintptr_t) "muispctl";
	va_start(ap, first);
	for (a = first; a; a = va_arg(ap, const char *))
		argv[argc++] = (char *)(uintptr_t)a;
	va_end(ap);
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	o = tmpfile();
	e = tmpfile();
	assert_non_null(o);
	assert_non_null(e);
	so = dup(1);
	se = dup(2);
	dup2(fileno(o), 1);
	dup2(fileno(e), 2);
	rc = muispctl_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	slurp(o, out_txt, sizeof(out_txt));
	slurp(e, err_txt, sizeof(err_txt));
	return rc;
}

#define USAGE_ERR(msg, ...)                                           \
	do {                                                          \
		assert_int_equal(run(__VA_ARGS__, NULL), EXIT_USAGE); \
		assert_string_equal(err_txt, "muispctl: " msg "\n");  \
		assert_string_equal(out_txt, "");                     \
	} while (0)

#endif /* MUISP_TESTS_MUISPCTL_RUN_H */

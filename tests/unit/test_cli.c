// SPDX-License-Identifier: GPL-2.0
/* lib/cli: the tools' messages (program name first) and exit codes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli.h"

static char err_txt[1024];
static FILE *errf;
static int saved_fd = -1;

/* stderr into a temporary file until captured(). */
static void capture(void)
{
	fflush(stderr);
	errf = tmpfile();
	assert_non_null(errf);
	saved_fd = dup(2);
	assert_true(saved_fd >= 0);
	assert_true(dup2(fileno(errf), 2) == 2);
}

static const char *captured(void)
{
	ssize_t n;

	fflush(stderr);
	dup2(saved_fd, 2);
	close(saved_fd);
	assert_int_equal(lseek(fileno(errf), 0, SEEK_SET), 0);
	n = read(fileno(errf), err_txt, sizeof(err_txt) - 1);
	assert_true(n >= 0);
	err_txt[n] = '\0';
	fclose(errf);
	return err_txt;
}

static void test_messages(void **state)
{
	cli_init("tool");
	assert_string_equal(cli_prog(), "tool");

	capture();
	assert_int_equal(cli_usage("'%s' needs a value", "--db"),
			 CLI_EXIT_USAGE);
	assert_string_equal(captured(),
			    "tool: '--db' needs a value (try --help)\n");

	capture();
	assert_int_equal(cli_badarg("port", "x", "not a decimal number"), 2);
	assert_string_equal(captured(),
			    "tool: invalid port 'x': not a decimal number\n");

	capture();
	assert_int_equal(cli_fail("%s: %s", "/nonexistent", "gone"), 1);
	assert_string_equal(captured(), "tool: /nonexistent: gone\n");

	capture();
	cli_warn("note: %d", 42);
	assert_string_equal(captured(), "tool: note: 42\n");
	assert_int_equal(CLI_EXIT_OK, 0);
}

/* Without cli_init: the name the program was run by. */
static void test_default_name(void **state)
{
	cli_init(NULL);
	assert_string_equal(cli_prog(), program_invocation_short_name);
	capture();
	cli_warn("x");
	assert_true(!strncmp(captured(), program_invocation_short_name,
			     strlen(program_invocation_short_name)));
}

/* cli_die prints like cli_fail and exits with 1. */
static void test_die(void **state)
{
	int st;
	pid_t pid;

	cli_init("tool");
	capture();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		cli_die("fatal: %s", "bye");
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), CLI_EXIT_FAIL);
	assert_string_equal(captured(), "tool: fatal: bye\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_default_name),
		cmocka_unit_test(test_die),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

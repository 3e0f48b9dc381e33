// SPDX-License-Identifier: GPL-2.0
/*
 * The instruction counter's plugin (tests/bench/qemu-insn/insn.c) on the
 * host, with QEMU's plugin API stubbed: the marker's decoding, and the
 * counts it writes for a guest whose blocks the test "translates" and
 * "executes" (per-vCPU windows, dumps, the block sizes added exactly, a
 * busy-wait loop's blocks counted apart).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/bench/qemu-insn/mark.h"
#include "tests/bench/qemu-insn/qemu-plugin-api.h"

/* ---- the stubbed API: a block is a list of instructions' bytes ---- */

struct qemu_plugin_insn {
	const uint8_t *data;
	size_t size;
	qemu_plugin_vcpu_udata_cb_t cb;
	void *udata;
};

struct qemu_plugin_tb {
	uint64_t vaddr;
	size_t n;
	struct qemu_plugin_insn insn[8];
	qemu_plugin_vcpu_udata_cb_t cb;
	void *udata;
};

static qemu_plugin_vcpu_tb_trans_cb_t trans_cb;
static qemu_plugin_udata_cb_t exit_cb;

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   qemu_plugin_vcpu_tb_trans_cb_t cb)
{
	trans_cb = cb;
}

void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb,
					  qemu_plugin_vcpu_udata_cb_t cb,
					  enum qemu_plugin_cb_flags flags,
					  void *userdata)
{
	tb->cb = cb;
	tb->udata = userdata;
}

void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
					    qemu_plugin_vcpu_udata_cb_t cb,
					    enum qemu_plugin_cb_flags flags,
					    void *userdata)
{
	insn->cb = cb;
	insn->udata = userdata;
}

void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id,
				    qemu_plugin_udata_cb_t cb, void *userdata)
{
	exit_cb = cb;
}

size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb)
{
	return tb->n;
}

uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb)
{
	return tb->vaddr;
}

struct qemu_plugin_insn *
qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx)
{
	return (struct qemu_plugin_insn *)(uintptr_t)&tb->insn[idx];
}

const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn)
{
	return insn->data;
}

size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn)
{
	return insn->size;
}

/* ---- guest code ---- */

static const uint8_t nop1[] = { 0x90 };
static const uint8_t pause2[] = { 0xf3, 0x90 };	   /* PAUSE */
static const uint8_t add[] = { 0x48, 0x01, 0xc8 }; /* add %rcx,%rax */
static const uint8_t m_start[] = { 0x0f, 0x1f, 0x84, 0x00, 'm', 'u', 'i', 's' };
static const uint8_t m_stop[] = { 0x0f, 0x1f, 0x84, 0x08, 'm', 'u', 'i', 's' };
static const uint8_t m_dump[] = { 0x0f, 0x1f, 0x84, 0x10, 'm', 'u', 'i', 's' };
static const uint8_t m_prof[] = { 0x0f, 0x1f, 0x84, 0x18, 'm', 'u', 'i', 's' };

/* tb_make: a block at VADDR of the N instructions given (bytes, size
 * pairs) */
static void tb_make(struct qemu_plugin_tb *tb, uint64_t vaddr, size_t n, ...)
{
	va_list ap;
	size_t i;

	memset(tb, 0, sizeof(*tb));
	tb->vaddr = vaddr;
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		tb->insn[i].data = va_arg(ap, const uint8_t *);
		tb->insn[i].size = va_arg(ap, size_t);
	}
	va_end(ap);
	tb->n = n;
	trans_cb(1, tb);
}

/* tb_run: VCPU executes the block, as TCG calls the plugin */
static void tb_run(struct qemu_plugin_tb *tb, unsigned int vcpu)
{
	size_t i;

	if (tb->cb)
		tb->cb(vcpu, tb->udata);
	for (i = 0; i < tb->n; i++)
		if (tb->insn[i].cb)
			tb->insn[i].cb(vcpu, tb->insn[i].udata);
}

static char out_path[64], prof_path[64];

static int setup(void **state)
{
	char arg[80], parg[80];
	char *argv[] = { arg, parg };
	qemu_info_t info = { .target_name = "x86_64",
			     .version = { 1, 1 },
			     .system_emulation = 1,
			     .system = { 2, 2 } };
	int fd;

	strcpy(out_path, "/tmp/test_qemu_insn.XXXXXX");
	fd = mkstemp(out_path);
	if (fd < 0)
		return -1;
	close(fd);
	strcpy(prof_path, "/tmp/test_qemu_insn.XXXXXX");
	fd = mkstemp(prof_path);
	if (fd < 0)
		return -1;
	close(fd);
	snprintf(arg, sizeof(arg), "out=%s", out_path);
	snprintf(parg, sizeof(parg), "prof=%s", prof_path);
	return qemu_plugin_install(1, &info, 2, argv) == 0 && trans_cb &&
			       exit_cb ?
		       0 :
		       -1;
}

static int teardown(void **state)
{
	unlink(out_path);
	unlink(prof_path);
	return 0;
}

static void read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
}

/* ---- tests ---- */

static void test_decode(void **state)
{
	uint8_t b[8];

	assert_int_equal(insn_mark_decode(m_start, 8), INSN_MARK_START);
	assert_int_equal(insn_mark_decode(m_stop, 8), INSN_MARK_STOP);
	assert_int_equal(insn_mark_decode(m_dump, 8), INSN_MARK_DUMP);
	/* a shorter or longer instruction (a prefix) is not the marker */
	assert_int_equal(insn_mark_decode(m_start, 7), -1);
	assert_int_equal(insn_mark_decode(nop1, 1), -1);
	assert_int_equal(insn_mark_decode(m_prof, 8), INSN_MARK_PROFILE);
	/* index %rsp (none): no such code */
	memcpy(b, m_start, 8);
	b[3] = 0x20;
	assert_int_equal(insn_mark_decode(b, 8), -1);
	/* scale 2, base %rcx, another displacement: an ordinary NOP */
	b[3] = 0x40;
	assert_int_equal(insn_mark_decode(b, 8), -1);
	b[3] = 0x01;
	assert_int_equal(insn_mark_decode(b, 8), -1);
	memcpy(b, m_stop, 8);
	b[7] = 'S';
	assert_int_equal(insn_mark_decode(b, 8), -1);
	b[7] = 's';
	b[2] = 0x80; /* no SIB byte: another form */
	assert_int_equal(insn_mark_decode(b, 8), -1);
}

static void test_windows(void **state)
{
	struct qemu_plugin_tb body, start, stop, dump, prof, relax, test;
	char buf[512];
	int i;

	tb_make(&body, 0x1000, 4, add, sizeof(add), nop1, 1UL, add, sizeof(add),
		add, sizeof(add));
	tb_make(&start, 0x2000, 2, m_start, sizeof(m_start), nop1, 1UL);
	tb_make(&stop, 0x3000, 3, add, sizeof(add), m_stop, sizeof(m_stop),
		nop1, 1UL);
	tb_make(&dump, 0x4000, 1, m_dump, sizeof(m_dump));
	tb_make(&prof, 0x5000, 1, m_prof, sizeof(m_prof));
	/* a busy-wait loop: TCG ends a block at the PAUSE; then its test */
	tb_make(&relax, 0x6000, 1, pause2, sizeof(pause2));
	tb_make(&test, 0x7000, 2, add, sizeof(add), add, sizeof(add));
	assert_null(body.insn[0].cb);
	assert_non_null(start.insn[0].cb);
	assert_null(start.insn[1].cb);
	assert_non_null(stop.insn[1].cb);

	/* before the window: 10 blocks on vCPU 1 */
	for (i = 0; i < 10; i++)
		tb_run(&body, 1);
	/* vCPU 0 opens it (its block is counted before the marker) */
	tb_run(&start, 0);
	for (i = 0; i < 1000; i++)
		tb_run(&body, 1);
	for (i = 0; i < 7; i++)
		tb_run(&body, 0);
	/* vCPU 1 waits: 5 x (1 + 2) busy-waiting, then the body again, not */
	for (i = 0; i < 5; i++) {
		tb_run(&relax, 1);
		tb_run(&test, 1);
	}
	tb_run(&body, 1);
	/* the profile so far, asked for by vCPU 1 (its own block counted) */
	tb_run(&prof, 1);
	/* vCPU 0 closes it: its stop block (3) and 7 x 4 */
	tb_run(&stop, 0);
	tb_run(&body, 1);
	tb_run(&dump, 1);
	/* a second window, empty on vCPU 1 */
	tb_run(&start, 0);
	tb_run(&stop, 0);
	tb_run(&prof, 0);
	exit_cb(1, NULL);

	read_file(out_path, buf, sizeof(buf));
	assert_string_equal(buf,
			    "window 2 cpu0=31 cpu1=4020 spin0=0 spin1=15\n"
			    "total 3 cpu0=33 cpu1=4065 spin0=0 spin1=15\n"
			    "window 4 cpu0=3 cpu1=0 spin0=0 spin1=0\n"
			    "total 6 cpu0=39 cpu1=4065 spin0=0 spin1=15\n");
	/* newest block first; the second profile: the stop block, itself */
	read_file(prof_path, buf, sizeof(buf));
	assert_string_equal(buf, "profile 1\n"
				 "7000 0 10\n"
				 "6000 0 5\n"
				 "5000 0 1\n"
				 "1000 28 4004\n"
				 "profile 5\n"
				 "5000 1 0\n"
				 "3000 3 0\n");
}

static void test_args(void **state)
{
	char bad[] = "file=x";
	char *argv[] = { bad };
	qemu_info_t info = { .system_emulation = 1, .system = { 1, 1 } };

	assert_int_not_equal(qemu_plugin_install(2, &info, 1, argv), 0);
	assert_int_not_equal(qemu_plugin_install(2, &info, 0, argv), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_args),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

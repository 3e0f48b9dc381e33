// SPDX-License-Identifier: GPL-2.0
/*
 * qemu-insn: a QEMU TCG plugin counting guest instructions per vCPU, in
 * windows the guest opens and closes with a marker NOP (mark.h, executed
 * by insn-mark).  Each translated block adds its instruction count to its
 * vCPU's counter when it executes (TCG takes interrupts only between
 * blocks, so the count is exact but for a fault in the middle of a block);
 * the marker's own callback snapshots every vCPU's counter.
 *
 *   qemu-system-x86_64 -plugin build/qemu-insn.so,out=FILE ...
 *
 * FILE gets one line per stop marker, "window SEQ cpu0=N cpu1=N ...
 * spin0=N spin1=N ...", the instructions each vCPU executed since the last
 * start marker and how many of them were in busy-wait loops, and one per
 * dump marker, "total SEQ cpu0=N ... spin0=N ...", those since the plugin
 * was loaded.  Busy-waiting is a block with a PAUSE (cpu_relax(): lock
 * spinning, waiting for another CPU) and the block that vCPU runs next
 * (TCG ends a block at a PAUSE, so that is the loop's test): what it counts
 * follows how long the wait lasts in wall time, not the work done, so it
 * is counted apart too.
 *
 * With prof=PFILE, a profile marker writes to PFILE "profile SEQ" and a
 * line "VADDR N0 N1 ..." for each translated block that ran in the window
 * so far: its start address (hex) and the instructions each vCPU executed
 * in it.  A block translated twice has two lines; the guest resolves the
 * addresses to symbols (its /proc/kallsyms).
 *
 * A hold (mark.h) freezes every vCPU but the one that armed it when it is
 * about to run the block at the held address, until the hold is released
 * or HOLD_MAX_NS have passed (so that a guest waiting for the frozen vCPU
 * cannot hang QEMU); a window that saw holds says so in its line,
 * "... held=N hold_timeouts=N".
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mark.h"

#include "qemu-plugin-api.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

/* A translated block: its address and size, and per vCPU its executions
 * (exec[vcpu], written by that vCPU's thread) and their number at the last
 * start marker (exec[nvcpus + vcpu]).  Blocks are never freed (QEMU does not
 * tell a plugin when it drops one): ~50 bytes per translation. */
struct block {
	uint64_t vaddr;
	uint64_t n;
	int spin; /* holds a PAUSE: a busy-wait loop */
	struct block *next;
	uint64_t exec[];
};

static uint64_t *count;	     /* [vcpu]: written by that vCPU's thread only */
static uint64_t *base;	     /* [vcpu]: count at the last start marker */
static uint64_t *spin;	     /* [vcpu]: the part of count in busy-wait blocks */
static uint64_t *spin_base;  /* [vcpu]: spin at the last start marker */
static uint8_t *after_pause; /* [vcpu]: its last block held a PAUSE */
static unsigned int nvcpus;
static unsigned long seq;
static FILE *out, *prof;
static struct block *blocks; /* every block translated, newest first */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* The hold: its address (0: none), the vCPU that armed it, the value the
 * bit markers shift in, and the window's holds and time-outs. */
#define HOLD_MAX_NS 15000000000ULL /* below the guest's RCU stall warning */
static uint64_t hold_addr;
static unsigned int hold_by;
static uint64_t hold_value;
static uint64_t holds, hold_timeouts;

static uint64_t load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

/* hold_wait: VCPU waits while ADDR is held (at most HOLD_MAX_NS) */
static void hold_wait(unsigned int vcpu, uint64_t addr)
{
	const struct timespec nap = { 0, 50000 };
	uint64_t t0 = now_ns();

	if (vcpu == __atomic_load_n(&hold_by, __ATOMIC_ACQUIRE))
		return;
	__atomic_add_fetch(&holds, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(&hold_addr, __ATOMIC_ACQUIRE) == addr) {
		if (now_ns() - t0 > HOLD_MAX_NS) {
			__atomic_compare_exchange_n(&hold_addr, &addr, 0, 0,
						    __ATOMIC_RELEASE,
						    __ATOMIC_RELAXED);
			__atomic_add_fetch(&hold_timeouts, 1, __ATOMIC_RELAXED);
			break;
		}
		nanosleep(&nap, NULL);
	}
}

static void tb_exec(unsigned int vcpu, void *udata)
{
	struct block *b = udata;

	if (vcpu >= nvcpus)
		return;
	if (__atomic_load_n(&hold_addr, __ATOMIC_RELAXED) == b->vaddr)
		hold_wait(vcpu, b->vaddr);
	__atomic_store_n(&count[vcpu], load(&count[vcpu]) + b->n,
			 __ATOMIC_RELAXED);
	if (b->spin || after_pause[vcpu])
		__atomic_store_n(&spin[vcpu], load(&spin[vcpu]) + b->n,
				 __ATOMIC_RELAXED);
	after_pause[vcpu] = (uint8_t)b->spin;
	__atomic_store_n(&b->exec[vcpu], load(&b->exec[vcpu]) + 1,
			 __ATOMIC_RELAXED);
}

static void write_profile(void)
{
	const struct block *b;
	unsigned int i;

	if (!prof)
		return;
	fprintf(prof, "profile %lu\n", seq);
	for (b = blocks; b; b = b->next) {
		for (i = 0; i < nvcpus; i++)
			if (load(&b->exec[i]) != b->exec[nvcpus + i])
				break;
		if (i == nvcpus)
			continue;
		fprintf(prof, "%llx", (unsigned long long)b->vaddr);
		for (i = 0; i < nvcpus; i++)
			fprintf(prof, " %llu",
				(unsigned long long)((load(&b->exec[i]) -
						      b->exec[nvcpus + i]) *
						     b->n));
		fputc('\n', prof);
	}
	fflush(prof);
}

static void write_counts(const char *what, const uint64_t *from,
			 const uint64_t *spin_from)
{
	unsigned int i;

	fprintf(out, "%s %lu", what, ++seq);
	for (i = 0; i < nvcpus; i++)
		fprintf(out, " cpu%u=%llu", i,
			(unsigned long long)(load(&count[i]) -
					     (from ? from[i] : 0)));
	for (i = 0; i < nvcpus; i++)
		fprintf(out, " spin%u=%llu", i,
			(unsigned long long)(load(&spin[i]) -
					     (spin_from ? spin_from[i] : 0)));
	if (from && (load(&holds) || load(&hold_timeouts)))
		fprintf(out, " held=%llu hold_timeouts=%llu",
			(unsigned long long)load(&holds),
			(unsigned long long)load(&hold_timeouts));
	fputc('\n', out);
	fflush(out);
}

static void mark_exec(unsigned int vcpu, void *udata)
{
	struct block *b;
	unsigned int i;

	pthread_mutex_lock(&lock);
	switch ((uintptr_t)udata) {
	case INSN_MARK_START:
		for (i = 0; i < nvcpus; i++) {
			base[i] = load(&count[i]);
			spin_base[i] = load(&spin[i]);
		}
		__atomic_store_n(&holds, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&hold_timeouts, 0, __ATOMIC_RELAXED);
		if (prof)
			for (b = blocks; b; b = b->next)
				for (i = 0; i < nvcpus; i++)
					b->exec[nvcpus + i] = load(&b->exec[i]);
		break;
	case INSN_MARK_STOP:
		write_counts("window", base, spin_base);
		break;
	case INSN_MARK_DUMP:
		write_counts("total", NULL, NULL);
		break;
	case INSN_MARK_PROFILE:
		seq++;
		write_profile();
		break;
	case INSN_MARK_BIT0:
	case INSN_MARK_BIT1:
		hold_value = hold_value << 1 |
			     ((uintptr_t)udata == INSN_MARK_BIT1);
		break;
	case INSN_MARK_HOLD:
		__atomic_store_n(&hold_by, vcpu, __ATOMIC_RELAXED);
		__atomic_store_n(&hold_addr, hold_value, __ATOMIC_RELEASE);
		hold_value = 0;
		break;
	}
	pthread_mutex_unlock(&lock);
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);
	struct block *b = calloc(1, sizeof(*b) + 2 * nvcpus * sizeof(uint64_t));

	if (!b) /* uncounted: the totals will show it */
		return;
	b->vaddr = qemu_plugin_tb_vaddr(tb);
	b->n = n;
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		const uint8_t *op = qemu_plugin_insn_data(insn);

		/* PAUSE: f3 90 */
		if (qemu_plugin_insn_size(insn) == 2 && op[0] == 0xf3 &&
		    op[1] == 0x90)
			b->spin = 1;
	}
	pthread_mutex_lock(&lock);
	/* a block new in the window starts from zero */
	b->next = blocks;
	blocks = b;
	pthread_mutex_unlock(&lock);
	qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_exec,
					     QEMU_PLUGIN_CB_NO_REGS, b);
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		int code = insn_mark_decode(qemu_plugin_insn_data(insn),
					    qemu_plugin_insn_size(insn));

		if (code >= 0)
			qemu_plugin_register_vcpu_insn_exec_cb(
				insn, mark_exec, QEMU_PLUGIN_CB_NO_REGS,
				(void *)(uintptr_t)code);
	}
}

static void at_exit(qemu_plugin_id_t id, void *udata)
{
	pthread_mutex_lock(&lock);
	write_counts("total", NULL, NULL);
	pthread_mutex_unlock(&lock);
	fclose(out);
	out = NULL;
	if (prof)
		fclose(prof);
	prof = NULL;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info, int argc,
					   char **argv)
{
	const char *path = NULL, *ppath = NULL;
	int i;

	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "out=", 4) == 0) {
			path = argv[i] + 4;
		} else if (strncmp(argv[i], "prof=", 5) == 0) {
			ppath = argv[i] + 5;
		} else {
			fprintf(stderr, "qemu-insn: unknown argument %s\n",
				argv[i]);
			return -1;
		}
	}
	if (!path) {
		fprintf(stderr, "qemu-insn: give out=FILE\n");
		return -1;
	}
	nvcpus = info->system_emulation ? (unsigned int)info->system.max_vcpus :
					  1;
	if (nvcpus < 1)
		nvcpus = 1;
	count = calloc(nvcpus, sizeof(*count));
	base = calloc(nvcpus, sizeof(*base));
	spin = calloc(nvcpus, sizeof(*spin));
	spin_base = calloc(nvcpus, sizeof(*spin_base));
	after_pause = calloc(nvcpus, sizeof(*after_pause));
	out = fopen(path, "w");
	if (!count || !base || !spin || !spin_base || !after_pause || !out) {
		fprintf(stderr, "qemu-insn: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (ppath) {
		prof = fopen(ppath, "w");
		if (!prof) {
			fprintf(stderr, "qemu-insn: %s: %s\n", ppath,
				strerror(errno));
			return -1;
		}
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}

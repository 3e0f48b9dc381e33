// SPDX-License-Identifier: GPL-2.0
/*
 * insn-mark: the guest's side of the instruction counter (insn.c).
 *
 *   insn-mark start | stop | dump | profile
 *   insn-mark loop N     start, a loop of exactly 2 N instructions, stop
 *
 * Each command executes the marker NOP of mark.h; under QEMU without the
 * plugin it does nothing.  "loop" calibrates: its window on the vCPU it ran
 * on holds 2 N instructions, plus a handful around the markers and whatever
 * interrupts that vCPU took meanwhile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mark.h"

/* nopl 0x7369756d(%rax,%REG,1): SIB = the code (REG's number) << 3 */
#define MARK(code)                                                         \
	__asm__ volatile(".byte 0x0f, 0x1f, 0x84, %c0, 'm', 'u', 'i', 's'" \
			 :                                                 \
			 : "i"((code) << 3)                                \
			 : "memory")

static void loop(unsigned long n)
{
	MARK(INSN_MARK_START);
	__asm__ volatile("1: dec %0\n\tjnz 1b" : "+r"(n) : : "cc");
	MARK(INSN_MARK_STOP);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (strcmp(cmd, "start") == 0 && argc == 2) {
		MARK(INSN_MARK_START);
	} else if (strcmp(cmd, "stop") == 0 && argc == 2) {
		MARK(INSN_MARK_STOP);
	} else if (strcmp(cmd, "dump") == 0 && argc == 2) {
		MARK(INSN_MARK_DUMP);
	} else if (strcmp(cmd, "profile") == 0 && argc == 2) {
		MARK(INSN_MARK_PROFILE);
	} else if (strcmp(cmd, "loop") == 0 && argc == 3 &&
		   strtoul(argv[2], NULL, 0) > 0) {
		loop(strtoul(argv[2], NULL, 0));
	} else {
		fprintf(stderr,
			"usage: insn-mark start|stop|dump|profile|loop N\n");
		return 2;
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * insn-mark: the guest's side of the instruction counter (insn.c).
 *
 *   insn-mark start | stop | dump | profile
 *   insn-mark loop N     start, a loop of exactly 2 N instructions, stop
 *   insn-mark spin N     the same with a PAUSE in the loop: 3 N
 *                        instructions, all of them busy-waiting
 *   insn-mark hold ADDR  the other vCPUs stop before the code at ADDR (a
 *                        guest virtual address); prints "armed", then
 *                        releases them when a line (or the end) comes on
 *                        its input
 *   insn-mark release    releases a hold
 *
 * While a vCPU is held, nothing on the others may wait for it, and a page
 * of insn-mark read from the 9p share might: "hold" locks all its pages in
 * memory before it arms.
 *
 * Each command executes the marker NOP of mark.h; under QEMU without the
 * plugin it does nothing.  "loop" calibrates: its window on the vCPU it ran
 * on holds 2 N instructions, plus a handful around the markers and whatever
 * interrupts that vCPU took meanwhile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mark.h"

static void loop(unsigned long n)
{
	INSN_MARK(INSN_MARK_START);
	__asm__ volatile("1: dec %0\n\tjnz 1b" : "+r"(n) : : "cc");
	INSN_MARK(INSN_MARK_STOP);
}

static void spin(unsigned long n)
{
	INSN_MARK(INSN_MARK_START);
	__asm__ volatile("1: pause\n\tdec %0\n\tjnz 1b" : "+r"(n) : : "cc");
	INSN_MARK(INSN_MARK_STOP);
}

/* hold: shift ADDR into the plugin's value, most significant bit first,
 * and arm the hold there (ADDR 0: release it) */
static void hold(unsigned long long addr)
{
	int i;

	for (i = 63; i >= 0; i--) {
		if ((addr >> i) & 1)
			INSN_MARK(INSN_MARK_BIT1);
		else if (addr >> i)
			INSN_MARK(INSN_MARK_BIT0);
	}
	INSN_MARK(INSN_MARK_HOLD);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	unsigned long long addr;
	char *end;

	if (strcmp(cmd, "start") == 0 && argc == 2) {
		INSN_MARK(INSN_MARK_START);
	} else if (strcmp(cmd, "stop") == 0 && argc == 2) {
		INSN_MARK(INSN_MARK_STOP);
	} else if (strcmp(cmd, "dump") == 0 && argc == 2) {
		INSN_MARK(INSN_MARK_DUMP);
	} else if (strcmp(cmd, "profile") == 0 && argc == 2) {
		INSN_MARK(INSN_MARK_PROFILE);
	} else if (strcmp(cmd, "loop") == 0 && argc == 3 &&
		   strtoul(argv[2], NULL, 0) > 0) {
		loop(strtoul(argv[2], NULL, 0));
	} else if (strcmp(cmd, "spin") == 0 && argc == 3 &&
		   strtoul(argv[2], NULL, 0) > 0) {
		spin(strtoul(argv[2], NULL, 0));
	} else if (strcmp(cmd, "hold") == 0 && argc == 3 &&
		   (addr = strtoull(argv[2], &end, 16)) != 0 && *end == '\0') {
		char c = 0;

		if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
			perror("insn-mark: mlockall");
			return 1;
		}
		hold(addr);
		if (write(1, "armed\n", 6) != 6)
			c = '\n'; /* nobody to tell: release at once */
		while (c != '\n' && read(0, &c, 1) == 1)
			;
		hold(0);
	} else if (strcmp(cmd, "release") == 0 && argc == 2) {
		hold(0);
	} else {
		fprintf(stderr, "usage: insn-mark start|stop|dump|profile|loop "
				"N|spin N|hold ADDR|release\n");
		return 2;
	}
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest's marker for the instruction counter (insn.c, insn-mark.c):
 *
 *   0f 1f 84 SIB 'm' 'u' 'i' 's'   nopl 0x7369756d(%rax,%REG,1)
 *
 * A NOP to the CPU.  QEMU 7.2's plugins cannot read guest registers, so
 * the code the guest passes is the index register of the NOP's address,
 * which the plugin reads from the instruction's bytes when it translates
 * it: %rax starts a window, %rcx stops it (and writes the window's counts),
 * %rdx writes the counts since the plugin was loaded, %rbx writes the
 * window's profile so far (instructions per translated block's address).
 */
#ifndef MUISP_QEMU_INSN_MARK_H
#define MUISP_QEMU_INSN_MARK_H

#include <stddef.h>
#include <stdint.h>

enum insn_mark_code {
	INSN_MARK_START = 0,   /* index %rax */
	INSN_MARK_STOP = 1,    /* index %rcx */
	INSN_MARK_DUMP = 2,    /* index %rdx */
	INSN_MARK_PROFILE = 3, /* index %rbx */
};

#define INSN_MARK_LEN 8

/* insn_mark_decode: the code of the marker in P[0..N), or -1 when the
 * instruction is not one. */
static inline int insn_mark_decode(const uint8_t *p, size_t n)
{
	unsigned int index;

	if (n != INSN_MARK_LEN || p[0] != 0x0f || p[1] != 0x1f || p[2] != 0x84)
		return -1;
	/* SIB: scale 1 (bits 7-6 zero), base %rax (bits 2-0 zero) */
	if (p[3] & 0xc7)
		return -1;
	if (p[4] != 'm' || p[5] != 'u' || p[6] != 'i' || p[7] != 's')
		return -1;
	index = p[3] >> 3;
	return index <= INSN_MARK_PROFILE ? (int)index : -1;
}

#endif

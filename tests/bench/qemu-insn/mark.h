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
 *
 * A hold keeps the other vCPUs away from one guest address: %rsi and %rdi
 * shift a 0 or a 1 bit into a value (most significant first), %rbp takes
 * it: a non-zero value arms the hold at that address (a vCPU other than
 * the one that armed it, about to run the translated block starting there,
 * waits, frozen, until the hold is released), zero releases it; the value
 * starts again from zero.
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
	/* 4 would be %rsp: no index register */
	INSN_MARK_HOLD = 5, /* index %rbp */
	INSN_MARK_BIT0 = 6, /* index %rsi */
	INSN_MARK_BIT1 = 7, /* index %rdi */
};

#define INSN_MARK_LEN 8

/* Execute the marker of code (a constant): nopl 0x7369756d(%rax,%REG,1),
 * SIB = the code (REG's number) << 3. */
#define INSN_MARK(code)                                                    \
	__asm__ volatile(".byte 0x0f, 0x1f, 0x84, %c0, 'm', 'u', 'i', 's'" \
			 :                                                 \
			 : "i"((code) << 3)                                \
			 : "memory")

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
	return index != 4 ? (int)index : -1;
}

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The seal's known answer (tests/unit/test_uinfo_core.c, kmod/uinfo.c's
 * self-test): Accounting ID 0x000a11ce sealed at sequence number 5 under
 * key "0123456789abcdef" and salt 01020304, bound to a UDP packet
 * 10.77.0.100:1024 -> 192.0.2.1:53, id 0x1234, UDP length 20, checksum
 * 0xbeef.  Computed with Python's cryptography (AESGCM), apart from both.
 */
	0x96, 0xe5, 0x18, 0x80, 0xc8, 0xd0, 0x2c, 0x9c,
	0x6a, 0xaf, 0x98, 0x0e, 0x70, 0xae, 0xe0, 0x35,

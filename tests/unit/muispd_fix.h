/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the tests that build a struct muispd on a temporary directory
 * share (test_muispd.c, test_dae.c).
 */
#ifndef TESTS_UNIT_MUISPD_FIX_H
#define TESTS_UNIT_MUISPD_FIX_H

#include <stdio.h>
#include <unistd.h>

/* Remove the directory of a test's store: the database, its WAL files, a
 * configuration file written there, then the directory. */
static inline void muispd_fix_rmdir(const char *dir)
{
	static const char *const files[] = { "db", "db-wal", "db-shm", "conf" };
	char p[256];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

#endif

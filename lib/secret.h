/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Secrets kept in files (RADIUS shared secrets, the meter's agent keys),
 * read the same way by every program: a regular file, not open to group
 * or others and owned by root or by the reader, as ssh treats a private
 * key.  The checks are made on the open descriptor, so the file cannot be
 * swapped between check and read.  Nothing here prints a secret, and
 * every buffer it filled is wiped on failure.
 */
#ifndef MUISP_SECRET_H
#define MUISP_SECRET_H

#include <stddef.h>
#include <stdint.h>

#define SECRET_WHY_LEN 96

/*
 * Read the whole file at path into buf (at most cap bytes); with
 * allow_stdin, "-" is standard input, which is not checked.  Returns the
 * length (0 to cap), or -1 with why (SECRET_WHY_LEN bytes) saying why:
 * the system's error, "not a regular file", "group or others may access
 * it (mode 0644): chmod 600 it", "owned by another user (not root, not
 * this program's)", "longer than CAP bytes".
 */
long secret_read(const char *path, int allow_stdin, uint8_t *buf, size_t cap,
		 char why[SECRET_WHY_LEN]);

/*
 * The secret is one line of 1 to max bytes in buf[0..n) (a final newline
 * is not part of it; no NUL, CR or second line).  Returns its length, or
 * -1 with why.  buf is wiped on failure.
 */
long secret_one_line(uint8_t *buf, size_t n, size_t max,
		     char why[SECRET_WHY_LEN]);

#endif /* MUISP_SECRET_H */

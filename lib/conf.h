/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemons' configuration reader: one statement per line, words
 * separated by blanks, '#' starts a comment (anywhere), blocks opened by a
 * statement whose caller calls conf_open() (dhcpd: "interface NAME {") and
 * closed by a "}" alone on its line.  Values are parsed with lib/parse.h.
 *
 * Errors are "FILE:LINE: message", written to the caller's buffer; the
 * reader stops at the first.
 *
 *	struct conf r;
 *
 *	if (conf_init(&r, path, text, err, errlen) < 0)
 *		return -1;
 *	while ((k = conf_next(&r)) == CONF_WORDS) {
 *		if (!strcmp(r.w[0], "port"))
 *			rc = conf_uint(&r, 1, 1, 65535, &v);
 *		...
 *	}
 *	conf_fini(&r);
 */
#ifndef MUISP_CONF_H
#define MUISP_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "log.h" /* MUISP_PRINTF */

#define CONF_MAX_WORDS 16	   /* per statement */
#define CONF_MAX_DEPTH 4	   /* nested blocks */
#define CONF_MAX_SIZE  (16u << 20) /* bytes in a file */

enum conf_kind {
	CONF_ERR = -1, /* error in the buffer */
	CONF_EOF = 0,  /* end of text, every block closed */
	CONF_WORDS,    /* a statement: w[0..nw-1] */
	CONF_CLOSE,    /* "}" closed the block named closed */
};

struct conf {
	const char *name; /* in messages */
	char *text, *pos; /* private copy */
	int line;	  /* of the statement just read */
	int nw;
	char *w[CONF_MAX_WORDS];
	const char *closed; /* CONF_CLOSE: the block's name */
	int closed_line;    /* ... and the line that opened it */
	int depth;
	struct {
		const char *name;
		int line;
	} open[CONF_MAX_DEPTH];
	char *err;
	size_t errlen;
};

/* Read a whole file (at most CONF_MAX_SIZE bytes, no NUL byte) into a
 * malloc'd string.  0, or -1 with "PATH: why" in err. */
int conf_read(const char *path, char **text, char *err, size_t errlen);

/* Start reading text (copied); name is the file name in messages.  0, or
 * -1 with the error in err. */
int conf_init(struct conf *r, const char *name, const char *text, char *err,
	      size_t errlen);
void conf_fini(struct conf *r);
/* The next statement (enum conf_kind).  A "}" that is not alone on its
 * line or closes nothing, too many words, and an unclosed block at the
 * end are errors. */
int conf_next(struct conf *r);
/* The statement just read opens a block called name (a static string,
 * for "NAME block not closed").  0, or -1 with an error. */
int conf_open(struct conf *r, const char *name);

/* "NAME:LINE: message" in err; line 0 is the current statement's.
 * Returns -1. */
int conf_err(struct conf *r, int line, const char *fmt, ...) MUISP_PRINTF(3, 4);
/* The statement must have n words after the keyword: "KEY: expected N
 * argument(s), got M".  0 or -1. */
int conf_nargs(struct conf *r, int n);
/* "KEY: 'WORD': why" for word i (an error of the current statement). */
int conf_bad(struct conf *r, int i, const char *why);

/* Word i as a value, with "KEY: 'VAL': WHY" errors.  0 or -1. */
/* Decimal min..max ("not in MIN..MAX" when out of range). */
int conf_uint(struct conf *r, int i, uint64_t min, uint64_t max, uint64_t *v);
/* yes/no, on/off, true/false, 1/0. */
int conf_bool(struct conf *r, int i, int *v);
/* A string that fits in cap bytes with its NUL. */
int conf_str(struct conf *r, int i, char *dst, size_t cap);

#endif

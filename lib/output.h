/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tabular output for muisp tools: every object listing is built as a table
 * of typed cells, then printed either as an aligned text table (people) or
 * as JSON (scripts).  Rows are buffered so columns can be aligned and so a
 * dump restarted after NLM_F_DUMP_INTR can simply out_reset() the table.
 *
 *   t = out_new(cols, ncols);
 *   out_row(t); out_str(t, 0, "192.0.2.10"); out_u64(t, 1, 7); ...
 *   out_print(t, stdout, json ? OUT_JSON : OUT_TEXT, OUT_LIST);
 *
 * Text: a header of column titles, then one line per row; numbers (and
 * the titles of number columns) are right-aligned, a missing cell prints
 * "-"; no trailing blanks.  Records
 * (OUT_RECORD) print "title: value" lines, a blank line between rows.
 * JSON: OUT_LIST is an array of objects keyed by the column keys, on one
 * line; OUT_RECORD prints the single row as an object (an array if there
 * are several).  A missing cell is null.  Strings are escaped per RFC 8259
 * and invalid UTF-8 becomes U+FFFD.
 * CSV (RFC 4180, either style): a line of column keys, then one line per
 * row with the JSON values (numbers as numbers, true/false); a missing
 * cell is empty; a field with a comma, quote or line break is quoted.
 */
#ifndef MUISP_OUTPUT_H
#define MUISP_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "log.h"

enum out_fmt { OUT_TEXT, OUT_JSON, OUT_CSV };
enum out_style { OUT_LIST, OUT_RECORD };

struct out_col {
	const char *key;   /* JSON key */
	const char *title; /* text header / record label */
};

struct out_table;

struct out_table *out_new(const struct out_col *cols, unsigned int ncols);
void out_free(struct out_table *t);
/* Drop every row (the columns stay). */
void out_reset(struct out_table *t);
size_t out_nrows(const struct out_table *t);

/* Start a new row; every cell is null until set.  0 or -1 ENOMEM. */
int out_row(struct out_table *t);
/* Set a cell of the current row (last value wins).  -1 EINVAL without a
 * row or with a bad column, ENOMEM. */
int out_str(struct out_table *t, unsigned int col, const char *s);
int out_strf(struct out_table *t, unsigned int col, const char *fmt, ...)
	MUISP_PRINTF(3, 4);
int out_u64(struct out_table *t, unsigned int col, uint64_t v);
int out_i64(struct out_table *t, unsigned int col, int64_t v);
int out_bool(struct out_table *t, unsigned int col, int v);
/* A number in JSON shown as text for people (times, "never", ...);
 * aligned as text. */
int out_u64_as(struct out_table *t, unsigned int col, uint64_t v,
	       const char *text);

int out_print(const struct out_table *t, FILE *f, enum out_fmt fmt,
	      enum out_style style);
/* Print row i as one JSON object followed by a newline (event streams);
 * _obj without the newline, to nest it. */
int out_print_json_row(const struct out_table *t, size_t i, FILE *f);
int out_print_json_obj(const struct out_table *t, size_t i, FILE *f);

/* Write s as a JSON string literal, quotes included. */
void out_json_str(FILE *f, const char *s);

#endif

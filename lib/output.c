// SPDX-License-Identifier: GPL-2.0
/* Text tables and JSON for muisp tools: see output.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

enum cell_type { CELL_NULL, CELL_STR, CELL_NUM, CELL_BOOL };

struct cell {
	enum cell_type type;
	char *s; /* text of STR and NUM */
	char *j; /* NUM only: JSON text when it differs */
	int b;
};

struct out_table {
	const struct out_col *cols;
	unsigned int ncols;
	size_t nrows, cap;
	struct cell *cells; /* nrows * ncols */
};

struct out_table *out_new(const struct out_col *cols, unsigned int ncols)
{
	struct out_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cols = cols;
	t->ncols = ncols;
	return t;
}

void out_reset(struct out_table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * t->ncols; i++) {
		free(t->cells[i].s);
		free(t->cells[i].j);
	}
	t->nrows = 0;
}

void out_free(struct out_table *t)
{
	if (!t)
		return;
	out_reset(t);
	free(t->cells);
	free(t);
}

size_t out_nrows(const struct out_table *t)
{
	return t->nrows;
}

int out_row(struct out_table *t)
{
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct cell *c =
			reallocarray(t->cells, cap * t->ncols, sizeof(*c));

		if (!c)
			return -1;
		t->cells = c;
		t->cap = cap;
	}
	memset(&t->cells[t->nrows * t->ncols], 0, t->ncols * sizeof(*t->cells));
	t->nrows++;
	return 0;
}

static struct cell *cur(struct out_table *t, unsigned int col)
{
	struct cell *c;

	if (!t->nrows || col >= t->ncols) {
		errno = EINVAL;
		return NULL;
	}
	c = &t->cells[(t->nrows - 1) * t->ncols + col];
	free(c->s);
	free(c->j);
	c->s = NULL;
	c->j = NULL;
	c->type = CELL_NULL;
	return c;
}

static int set_text(struct out_table *t, unsigned int col, enum cell_type type,
		    const char *s)
{
	struct cell *c = cur(t, col);

	if (!c)
		return -1;
	c->s = strdup(s);
	if (!c->s)
		return -1;
	c->type = type;
	return 0;
}

int out_str(struct out_table *t, unsigned int col, const char *s)
{
	if (!s) {
		return cur(t, col) ? 0 : -1;
	}
	return set_text(t, col, CELL_STR, s);
}

int out_strf(struct out_table *t, unsigned int col, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -1;
	r = set_text(t, col, CELL_STR, s);
	free(s);
	return r;
}

int out_u64(struct out_table *t, unsigned int col, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return set_text(t, col, CELL_NUM, buf);
}

int out_i64(struct out_table *t, unsigned int col, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return set_text(t, col, CELL_NUM, buf);
}

int out_u64_as(struct out_table *t, unsigned int col, uint64_t v,
	       const char *text)
{
	char buf[24];
	struct cell *c;

	if (set_text(t, col, CELL_NUM, text) < 0)
		return -1;
	c = &t->cells[(t->nrows - 1) * t->ncols + col];
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	c->j = strdup(buf);
	if (!c->j) {
		free(c->s);
		c->s = NULL;
		c->type = CELL_NULL;
		return -1;
	}
	return 0;
}

int out_bool(struct out_table *t, unsigned int col, int v)
{
	struct cell *c = cur(t, col);

	if (!c)
		return -1;
	c->type = CELL_BOOL;
	c->b = !!v;
	return 0;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80;
		unsigned char hi = c == 0xed ? 0x9f : 0xbf;

		if (s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80)
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80;
		unsigned char hi = c == 0xf4 ? 0x8f : 0xbf;

		if (s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		return 4;
	}
	return 0;
}

void out_json_str(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	while (*s) {
		size_t n;

		switch (*s) {
		case '"':
			fputs("\\\"", f);
			s++;
			continue;
		case '\\':
			fputs("\\\\", f);
			s++;
			continue;
		case '\b':
			fputs("\\b", f);
			s++;
			continue;
		case '\f':
			fputs("\\f", f);
			s++;
			continue;
		case '\n':
			fputs("\\n", f);
			s++;
			continue;
		case '\r':
			fputs("\\r", f);
			s++;
			continue;
		case '\t':
			fputs("\\t", f);
			s++;
			continue;
		default:
			break;
		}
		if (*s < 0x20 || *s == 0x7f) {
			fprintf(f, "\\u%04x", *s);
			s++;
			continue;
		}
		n = utf8_len(s);
		if (!n) {
			fputs("\\ufffd", f);
			s++;
			continue;
		}
		fwrite(s, 1, n, f);
		s += n;
	}
	fputc('"', f);
}

static void json_cell(const struct cell *c, FILE *f)
{
	switch (c->type) {
	case CELL_NULL:
		fputs("null", f);
		break;
	case CELL_STR:
		out_json_str(f, c->s);
		break;
	case CELL_NUM:
		fputs(c->j ? c->j : c->s, f);
		break;
	case CELL_BOOL:
		fputs(c->b ? "true" : "false", f);
		break;
	}
}

static void json_row(const struct out_table *t, size_t r, FILE *f)
{
	unsigned int i;

	fputc('{', f);
	for (i = 0; i < t->ncols; i++) {
		if (i)
			fputc(',', f);
		out_json_str(f, t->cols[i].key);
		fputc(':', f);
		json_cell(&t->cells[r * t->ncols + i], f);
	}
	fputc('}', f);
}

static const char *text_of(const struct cell *c)
{
	switch (c->type) {
	case CELL_STR:
	case CELL_NUM:
		return c->s;
	case CELL_BOOL:
		return c->b ? "yes" : "no";
	default:
		return "-";
	}
}

/* Display width: code points, not bytes. */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* Print s for a terminal: control characters become '?'. */
static void text_put(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

static void pad(FILE *f, size_t n)
{
	while (n--)
		fputc(' ', f);
}

static int print_list_text(const struct out_table *t, FILE *f)
{
	size_t *w = calloc(t->ncols, sizeof(*w));
	unsigned int i;
	size_t r;

	if (!w)
		return -1;
	for (i = 0; i < t->ncols; i++) {
		w[i] = width(t->cols[i].title);
		for (r = 0; r < t->nrows; r++) {
			size_t n = width(text_of(&t->cells[r * t->ncols + i]));

			if (n > w[i])
				w[i] = n;
		}
	}
	/* Titles of all-number columns are right-aligned like the numbers. */
	for (i = 0; i < t->ncols; i++) {
		size_t gap = w[i] - width(t->cols[i].title);
		int num = 0;

		for (r = 0; r < t->nrows; r++) {
			const struct cell *c = &t->cells[r * t->ncols + i];

			if (c->type == CELL_NUM && !c->j)
				num = 1;
			else if (c->type != CELL_NULL)
				break;
		}
		if (num && r == t->nrows) {
			pad(f, gap);
			gap = 0;
		}
		text_put(f, t->cols[i].title);
		if (i + 1 < t->ncols)
			pad(f, gap + 2);
	}
	fputc('\n', f);
	for (r = 0; r < t->nrows; r++) {
		for (i = 0; i < t->ncols; i++) {
			const struct cell *c = &t->cells[r * t->ncols + i];
			const char *s = text_of(c);
			size_t gap = w[i] - width(s);

			if (c->type == CELL_NUM && !c->j) {
				pad(f, gap);
				gap = 0;
			}
			text_put(f, s);
			if (i + 1 < t->ncols)
				pad(f, gap + 2);
		}
		fputc('\n', f);
	}
	free(w);
	return 0;
}

static void print_record_text(const struct out_table *t, FILE *f)
{
	size_t w = 0, r;
	unsigned int i;

	for (i = 0; i < t->ncols; i++)
		if (width(t->cols[i].title) > w)
			w = width(t->cols[i].title);
	for (r = 0; r < t->nrows; r++) {
		if (r)
			fputc('\n', f);
		for (i = 0; i < t->ncols; i++) {
			text_put(f, t->cols[i].title);
			fputc(':', f);
			pad(f, w - width(t->cols[i].title) + 1);
			text_put(f, text_of(&t->cells[r * t->ncols + i]));
			fputc('\n', f);
		}
	}
}

static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void print_csv(const struct out_table *t, FILE *f)
{
	for (unsigned int i = 0; i < t->ncols; i++) {
		if (i)
			fputc(',', f);
		csv_field(f, t->cols[i].key);
	}
	fputs("\r\n", f);
	for (size_t r = 0; r < t->nrows; r++) {
		for (unsigned int i = 0; i < t->ncols; i++) {
			const struct cell *c = &t->cells[r * t->ncols + i];

			if (i)
				fputc(',', f);
			if (c->type == CELL_STR)
				csv_field(f, c->s);
			else if (c->type == CELL_NUM)
				fputs(c->j ? c->j : c->s, f);
			else if (c->type == CELL_BOOL)
				fputs(c->b ? "true" : "false", f);
		}
		fputs("\r\n", f);
	}
}

int out_print(const struct out_table *t, FILE *f, enum out_fmt fmt,
	      enum out_style style)
{
	size_t r;

	if (fmt == OUT_CSV) {
		print_csv(t, f);
		return ferror(f) ? -1 : 0;
	}

	if (fmt == OUT_TEXT) {
		if (style == OUT_RECORD) {
			print_record_text(t, f);
			return ferror(f) ? -1 : 0;
		}
		if (print_list_text(t, f) < 0)
			return -1;
		return ferror(f) ? -1 : 0;
	}
	if (style == OUT_RECORD && t->nrows == 1) {
		json_row(t, 0, f);
	} else {
		fputc('[', f);
		for (r = 0; r < t->nrows; r++) {
			if (r)
				fputc(',', f);
			json_row(t, r, f);
		}
		fputc(']', f);
	}
	fputc('\n', f);
	return ferror(f) ? -1 : 0;
}

int out_print_json_obj(const struct out_table *t, size_t i, FILE *f)
{
	if (i >= t->nrows) {
		errno = EINVAL;
		return -1;
	}
	json_row(t, i, f);
	return ferror(f) ? -1 : 0;
}

int out_print_json_row(const struct out_table *t, size_t i, FILE *f)
{
	if (out_print_json_obj(t, i, f) < 0)
		return -1;
	fputc('\n', f);
	return ferror(f) ? -1 : 0;
}

// SPDX-License-Identifier: GPL-2.0
/* The daemons' configuration reader: see conf.h. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "parse.h"

#define READ_CHUNK 4096

int conf_read(const char *path, char **text, char *err, size_t errlen)
{
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0, n;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len + READ_CHUNK + 1 > cap) {
			cap = cap ? cap * 2 : 2 * READ_CHUNK;
			nb = cap > CONF_MAX_SIZE ? NULL : realloc(buf, cap);
			if (!nb) {
				snprintf(err, errlen, "%s: too large", path);
				goto fail;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, READ_CHUNK, f);
		len += n;
		if (n < READ_CHUNK)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	fclose(f);
	buf[len] = '\0';
	if (strlen(buf) != len) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		free(buf);
		return -1;
	}
	*text = buf;
	return 0;
fail:
	free(buf);
	fclose(f);
	return -1;
}

int conf_err(struct conf *r, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!r->err || !r->errlen)
		return -1;
	n = snprintf(r->err, r->errlen, "%s:%d: ", r->name,
		     line ? line : r->line);
	if (n < 0 || (size_t)n >= r->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

int conf_init(struct conf *r, const char *name, const char *text, char *err,
	      size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->name = name;
	r->err = err;
	r->errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
	r->text = strdup(text);
	if (!r->text) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	r->pos = r->text;
	return 0;
}

void conf_fini(struct conf *r)
{
	free(r->text);
	r->text = r->pos = NULL;
}

/* Split one line in place; -1 past CONF_MAX_WORDS. */
static int split(struct conf *r, char *s)
{
	char *hash = strchr(s, '#');

	if (hash)
		*hash = '\0';
	r->nw = 0;
	for (;;) {
		while (*s && isspace((unsigned char)*s))
			s++;
		if (!*s)
			return 0;
		if (r->nw == CONF_MAX_WORDS)
			return -1;
		r->w[r->nw++] = s;
		while (*s && !isspace((unsigned char)*s))
			s++;
		if (*s)
			*s++ = '\0';
	}
}

int conf_next(struct conf *r)
{
	char *line, *nl;

	/* Every line counts, the empty one after the last newline too. */
	while ((line = r->pos)) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		r->pos = nl;
		r->line++;
		if (split(r, line) < 0)
			return conf_err(r, 0, "too many words");
		if (!r->nw)
			continue;
		if (strcmp(r->w[0], "}"))
			return CONF_WORDS;
		if (r->nw != 1)
			return conf_err(r, 0, "'}' must be alone on its line");
		if (!r->depth)
			return conf_err(r, 0, "'}' without an open block");
		r->depth--;
		r->closed = r->open[r->depth].name;
		r->closed_line = r->open[r->depth].line;
		return CONF_CLOSE;
	}
	r->nw = 0;
	if (r->depth)
		return conf_err(r, r->open[r->depth - 1].line,
				"%s block not closed",
				r->open[r->depth - 1].name);
	return CONF_EOF;
}

int conf_open(struct conf *r, const char *name)
{
	if (r->depth == CONF_MAX_DEPTH)
		return conf_err(r, 0, "blocks nested too deep");
	r->open[r->depth].name = name;
	r->open[r->depth].line = r->line;
	r->depth++;
	return 0;
}

int conf_nargs(struct conf *r, int n)
{
	if (r->nw - 1 != n)
		return conf_err(r, 0, "%s: expected %d argument%s, got %d",
				r->w[0], n, n == 1 ? "" : "s", r->nw - 1);
	return 0;
}

int conf_bad(struct conf *r, int i, const char *why)
{
	return conf_err(r, 0, "%s: '%s': %s", r->w[0], r->w[i], why);
}

static int need(struct conf *r, int i)
{
	if (i < r->nw)
		return 0;
	return conf_err(r, 0, "%s: missing argument %d", r->w[0], i);
}

int conf_uint(struct conf *r, int i, uint64_t min, uint64_t max, uint64_t *v)
{
	const char *why;
	uint64_t x;

	if (need(r, i) < 0)
		return -1;
	if (parse_uint(r->w[i], UINT64_MAX, &x, &why) < 0)
		return conf_bad(r, i, why);
	if (x < min || x > max)
		return conf_err(r, 0, "%s: '%s': not in %llu..%llu", r->w[0],
				r->w[i], (unsigned long long)min,
				(unsigned long long)max);
	*v = x;
	return 0;
}

int conf_bool(struct conf *r, int i, int *v)
{
	const char *why;
	uint8_t b;

	if (need(r, i) < 0)
		return -1;
	if (parse_bool(r->w[i], &b, &why) < 0)
		return conf_bad(r, i, "expected yes or no");
	*v = b;
	return 0;
}

int conf_str(struct conf *r, int i, char *dst, size_t cap)
{
	size_t n;

	if (need(r, i) < 0)
		return -1;
	n = strlen(r->w[i]);
	if (n >= cap)
		return conf_err(r, 0,
				"%s: '%s': too long (at most %zu "
				"characters)",
				r->w[0], r->w[i], cap - 1);
	memcpy(dst, r->w[i], n + 1);
	return 0;
}

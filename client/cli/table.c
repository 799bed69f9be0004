/*
** This file contains the CLI's display-width computation and aligned table
** printer (see table.h). Width is counted per code point because byte counts
** misalign every Vietnamese letter with a diacritic and every Lao syllable;
** Lao vowel and tone marks written above or below a consonant take no column
** of their own.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

/* Decode one code point at s (len > 0 bytes). Returns its byte length and
** sets *cp; an invalid sequence is one byte with *cp = 0xFFFD. */
static size_t decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xE0) == 0xC0) {
		n = 2;
		c = s[0] & 0x1F;
	} else if ((s[0] & 0xF0) == 0xE0) {
		n = 3;
		c = s[0] & 0x0F;
	} else if ((s[0] & 0xF8) == 0xF0) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		*cp = 0xFFFD;
		return 1;
	}
	if (n > len) {
		*cp = 0xFFFD;
		return 1;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*cp = 0xFFFD;
			return 1;
		}
		c = (c << 6) | (s[i] & 0x3F);
	}
	*cp = c;
	return n;
}

static int zero_width(uint32_t c)
{
	return (c >= 0x0300 && c <= 0x036F) ||   /* combining diacritics */
	       c == 0x0E31 || (c >= 0x0E34 && c <= 0x0E3A) || /* Thai */
	       (c >= 0x0E47 && c <= 0x0E4E) ||
	       c == 0x0EB1 || (c >= 0x0EB4 && c <= 0x0EBC) || /* Lao */
	       (c >= 0x0EC8 && c <= 0x0ECE) ||
	       (c >= 0x1AB0 && c <= 0x1AFF) || (c >= 0x1DC0 && c <= 0x1DFF) ||
	       (c >= 0x200B && c <= 0x200F) || (c >= 0x20D0 && c <= 0x20FF) ||
	       (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xFE20 && c <= 0xFE2F);
}

static int wide(uint32_t c)
{
	return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) ||
	       (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
	       (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
	       (c >= 0xFFE0 && c <= 0xFFE6) ||
	       (c >= 0x1F300 && c <= 0x1FAFF) ||
	       (c >= 0x20000 && c <= 0x3FFFD);
}

static size_t cp_width(uint32_t c)
{
	return zero_width(c) ? 0 : wide(c) ? 2 : 1;
}

size_t cli_width(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0, i = 0;

	while (i < len) {
		uint32_t c;
		i += decode(p + i, len - i, &c);
		w += cp_width(c);
	}
	return w;
}

size_t cli_fit(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), w = 0, i = 0;

	while (i < len) {
		uint32_t c;
		size_t n = decode(p + i, len - i, &c), cw = cp_width(c);
		if (w + cw > max)
			break;
		w += cw;
		i += n;
	}
	/* Never end on a base whose combining marks were cut off: the marks
	** take no width, so the loop above keeps them. */
	return i;
}

struct cli_table {
	size_t ncols, nrows, cap;
	char **headers;
	int *right;
	char **cells;           /* nrows * ncols */
};

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

cli_table *cli_table_new(size_t ncols, const char *const *headers,
			 const int *right)
{
	cli_table *t = calloc(1, sizeof *t);

	if (!t)
		return NULL;
	t->ncols = ncols;
	t->headers = calloc(ncols, sizeof *t->headers);
	t->right = calloc(ncols, sizeof *t->right);
	if (!t->headers || !t->right)
		goto fail;
	for (size_t i = 0; i < ncols; i++) {
		if (!(t->headers[i] = strdup(headers[i])))
			goto fail;
		t->right[i] = right ? right[i] : 0;
	}
	return t;
fail:
	cli_table_free(t);
	return NULL;
}

int cli_table_add(cli_table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **c = realloc(t->cells, cap * t->ncols * sizeof *c);
		if (!c)
			return -1;
		t->cells = c;
		t->cap = cap;
	}
	for (size_t i = 0; i < t->ncols; i++) {
		char **dst = &t->cells[t->nrows * t->ncols + i];
		*dst = strdup(cells[i] ? cells[i] : "");
		if (!*dst) {
			/* Undo this row: the table stays as it was. */
			for (size_t j = 0; j < i; j++)
				free(t->cells[t->nrows * t->ncols + j]);
			return -1;
		}
	}
	t->nrows++;
	return 0;
}

/* The cell text as shown: newlines and tabs become spaces, at most maxw
** columns with "…" marking a cut. out holds at least 4 * maxw + 8 bytes. */
static void shown(const char *cell, size_t maxw, char *out, size_t outsz)
{
	size_t n = strlen(cell), k;

	if (n >= outsz - 4)
		n = outsz - 4;
	memcpy(out, cell, n);
	out[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (out[i] == '\n' || out[i] == '\t')
			out[i] = ' ';
	if (cli_width(out, strlen(out)) > maxw) {
		k = cli_fit(out, maxw - 1);
		memcpy(out + k, "\xe2\x80\xa6", 4); /* "…" and NUL */
	}
}

void cli_table_print(const cli_table *t, FILE *out, size_t maxw)
{
	size_t *w = calloc(t->ncols, sizeof *w);
	char buf[4096];

	if (!w)
		return;
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			size_t cw;
			shown(t->cells[r * t->ncols + c], maxw, buf, sizeof buf);
			cw = cli_width(buf, strlen(buf));
			if (cw > w[c])
				w[c] = cw;
		}
	/* A column is shown if any row has a value; then fit its header. */
	for (size_t c = 0; c < t->ncols; c++)
		if (w[c]) {
			size_t hw = cli_width(t->headers[c],
					      strlen(t->headers[c]));
			if (hw > w[c])
				w[c] = hw;
		}
	for (size_t r = 0; r <= t->nrows; r++) {
		/* Spaces owed before the next cell: padding is written only
		** when a cell follows, so lines have no trailing blanks. */
		size_t pending = 0;
		int first = 1;
		for (size_t c = 0; c < t->ncols; c++) {
			const char *cell = r == 0 ? t->headers[c]
						  : t->cells[(r - 1) * t->ncols + c];
			size_t cw;
			if (!w[c])
				continue;
			shown(cell, maxw, buf, sizeof buf);
			cw = cli_width(buf, strlen(buf));
			if (!first)
				pending += 2;
			first = 0;
			if (!*buf) { /* empty: only owes its width */
				pending += w[c];
				continue;
			}
			if (t->right[c])
				pending += w[c] - cw;
			fprintf(out, "%*s%s", (int)pending, "", buf);
			pending = t->right[c] ? 0 : w[c] - cw;
		}
		fputc('\n', out);
	}
	free(w);
}

void cli_table_free(cli_table *t)
{
	if (!t)
		return;
	free_strings(t->headers, t->ncols);
	free(t->right);
	free_strings(t->cells, t->nrows * t->ncols);
	free(t);
}

/*
** This file contains the report writers' growable text buffer (textbuf.h).
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "textbuf.h"

void srv_textbuf_put(srv_textbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 4096;
		char *g;
		while (nc < b->len + n + 1)
			nc *= 2;
		if (!(g = realloc(b->p, nc))) {
			b->oom = 1;
			return;
		}
		b->p = g;
		b->cap = nc;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void srv_textbuf_puts(srv_textbuf *b, const char *s)
{
	srv_textbuf_put(b, s, strlen(s));
}

void srv_textbuf_printf(srv_textbuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp) {
		b->oom = 1;
		return;
	}
	srv_textbuf_put(b, tmp, (size_t)n);
}

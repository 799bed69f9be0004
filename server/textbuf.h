/*
** This file contains the growable text buffer the report writers build
** their output in (report.c: table and CSV; report_docx.c: the XML parts).
** A failed allocation or an over-long formatted piece sets oom; every later
** call is then a no-op, so a writer checks oom once at the end. p is always
** NUL-terminated once anything was put; the caller frees p.
*/
#ifndef FIELDSYNC_TEXTBUF_H
#define FIELDSYNC_TEXTBUF_H
#include <stddef.h>

typedef struct srv_textbuf {
	char *p;
	size_t len, cap;
	int oom;
} srv_textbuf;

/* Append n bytes of s. */
void srv_textbuf_put(srv_textbuf *b, const char *s, size_t n);
/* Append a NUL-terminated string. */
void srv_textbuf_puts(srv_textbuf *b, const char *s);
/* Append a formatted piece of at most 511 bytes (markup, one line of a
** table); a longer one sets oom rather than being cut: a truncated piece
** would be a wrong report. */
void srv_textbuf_printf(srv_textbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#endif

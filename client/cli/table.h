/*
** This file contains the text helpers of the fieldsync CLI: display width of
** UTF-8 text (so Vietnamese and Lao line up in tables) and a small aligned
** table printer. Prefix cli_: shared between the CLI's files only.
*/
#ifndef FIELDSYNC_CLI_TABLE_H
#define FIELDSYNC_CLI_TABLE_H

#include <stddef.h>
#include <stdio.h>

/* Columns the UTF-8 text s[0..len) takes on a terminal: one per code point,
** none for combining marks (Lao vowel and tone marks above and below,
** combining diacritics), two for East Asian wide characters. Invalid bytes
** count one column each. Cannot fail. */
size_t cli_width(const char *s, size_t len);

/* Length in bytes of the longest prefix of s (NUL-terminated) that fits in
** max columns without splitting a character or separating a base from its
** combining marks. Cannot fail. */
size_t cli_fit(const char *s, size_t max);

typedef struct cli_table cli_table;

/* A table of ncols columns with the given headers (copied). right[i] != 0
** right-aligns column i (numbers). NULL when out of memory. */
cli_table *cli_table_new(size_t ncols, const char *const *headers,
			 const int *right);
/* Append a row of ncols cells (copied; NULL = empty). 0 or -1 (memory). */
int cli_table_add(cli_table *t, const char *const *cells);
/* Print with columns padded to their widest cell (at most maxw columns;
** longer cells end with "…"), two spaces apart; columns empty in every row
** are left out. */
void cli_table_print(const cli_table *t, FILE *out, size_t maxw);
void cli_table_free(cli_table *t);

#endif

/*
** This file contains the folded form of text as people type it: "Ngô nếp",
** "ngo nep" and "NGÔ-NẾP" fold alike (fold.c says how), so a search or a
** comparison of names ignores case, Vietnamese marks, spaces and
** punctuation.
*/
#ifndef FIELDSYNC_FOLD_H
#define FIELDSYNC_FOLD_H
#include <stddef.h>
#include <stdint.h>

/* Fold UTF-8 text s into at most max code points at out; returns how many
** (0 for NULL, invalid UTF-8 or out of memory). Longer text is cut. */
size_t proto_fold(const char *s, uint32_t *out, size_t max);
#endif

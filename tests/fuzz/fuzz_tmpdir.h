/*
** This file contains the temporary-directory helper of the server fuzz
** targets: the database they fuzz lives in a directory made once per
** process and removed at exit, so neither `make fuzz` nor the corpus
** replay tests leave anything behind in /tmp.
*/
#ifndef FIELDSYNC_FUZZ_TMPDIR_H
#define FIELDSYNC_FUZZ_TMPDIR_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_tmpdir[128];

static void fuzz_tmpdir_remove(void)
{
	char path[512];
	struct dirent *e;
	DIR *d = opendir(fuzz_tmpdir);

	if (!d)
		return;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    snprintf(path, sizeof path, "%s/%s", fuzz_tmpdir,
			     e->d_name) < (int)sizeof path)
			unlink(path);
	closedir(d);
	rmdir(fuzz_tmpdir);
}

/* Make /tmp/PREFIX.XXXXXX, removed at exit; returns it or NULL. */
static const char *fuzz_tmpdir_make(const char *prefix)
{
	if (snprintf(fuzz_tmpdir, sizeof fuzz_tmpdir, "/tmp/%s.XXXXXX",
		     prefix) >= (int)sizeof fuzz_tmpdir ||
	    !mkdtemp(fuzz_tmpdir))
		return NULL;
	atexit(fuzz_tmpdir_remove);
	return fuzz_tmpdir;
}

#endif

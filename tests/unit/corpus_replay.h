/*
** This file contains the corpus walker shared by the fuzz-corpus replay
** tests: it feeds every regular file of a folder to a libFuzzer entry point
** and returns how many it fed (0 when the folder is missing or empty, which
** the caller treats as a failure: a corpus that vanished is a bug too).
** Header-only and static, because each replay test is its own program.
*/
#ifndef FIELDSYNC_CORPUS_REPLAY_H
#define FIELDSYNC_CORPUS_REPLAY_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef int (*corpus_target_fn)(const uint8_t *data, size_t size);

static size_t corpus_replay(const char *dir, corpus_target_fn fn)
{
	char path[1024];
	struct dirent *e;
	struct stat st;
	size_t n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		FILE *f;
		uint8_t *buf;
		long len;

		if (e->d_name[0] == '.' ||
		    snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >=
			    (int)sizeof path ||
		    stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (!(f = fopen(path, "rb")))
			continue;
		len = st.st_size;
		buf = malloc(len > 0 ? (size_t)len : 1);
		if (buf && fread(buf, 1, (size_t)len, f) == (size_t)len) {
			fn(buf, (size_t)len);
			n++;
		}
		free(buf);
		fclose(f);
	}
	closedir(d);
	return n;
}

#endif

/*
** This file contains the entry point of the field app, `fieldsync ui`: a
** local web app served by the client itself on 127.0.0.1, on top of
** libfieldsync's public header only. See ui.c for its security rules.
*/
#ifndef FIELDSYNC_UI_H
#define FIELDSYNC_UI_H

#include <stdio.h>

/* Run `fieldsync ui [--port N] [--no-browser] [--url-file F]` on the data
** directory dir (argv[0] = "ui"); returns the process exit status. */
int ui_main(const char *dir, int argc, char **argv);
void ui_help(FILE *out);

/* Embedded assets (generated from client/ui/assets/ by the build). */
typedef struct ui_asset {
	const char *path;       /* "/app.js" */
	const char *ctype;
	const char *bytes;
	size_t len;
} ui_asset;

const ui_asset *ui_asset_find(const char *path);

#endif

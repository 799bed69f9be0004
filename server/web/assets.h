/*
** This file contains the dashboard's static files as built into fieldsyncd:
** server/web/embed.sh turns server/web/{index.html,login.html,app.css,app.js}
** into a generated C file (build/gen/web_assets.c, see the end of the
** Makefile), so the dashboard needs no installed files and no network. The
** app.js served is server/web/app.js followed by the catalogs' dictionaries
** and the reference names (build/gen/web/app.js; po/README.md).
** server/web/API.md lists the URLs and the JSON endpoints the pages call.
*/
#ifndef FIELDSYNC_SRV_WEB_ASSETS_H
#define FIELDSYNC_SRV_WEB_ASSETS_H

#include <stddef.h>

typedef struct srv_web_asset {
	const char *path;   /* URL path: "/app.js" */
	const char *type;   /* Content-Type header value */
	const char *data;   /* the file's exact bytes (NUL after them) */
	size_t len;         /* bytes */
} srv_web_asset;

extern const srv_web_asset srv_web_assets[];
extern const size_t srv_web_nassets;

/* The asset served at an exact URL path ("/index.html"), or NULL. The
** server maps "/" itself: index.html with a valid HQ session, else
** login.html. Static storage; cannot fail. */
const srv_web_asset *srv_web_asset_find(const char *path);

#endif

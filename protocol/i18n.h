/* Translation markers (GNU gettext, domain "fieldsync"; catalogs in po/). */
#ifndef FIELDSYNC_I18N_H
#define FIELDSYNC_I18N_H
#include <libintl.h>
#define FIELDSYNC_TEXTDOMAIN "fieldsync"
#define _(s) dgettext(FIELDSYNC_TEXTDOMAIN, s)
#define N_(s) (s)
#endif

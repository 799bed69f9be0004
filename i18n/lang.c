/*
** This file contains the languages of fieldsync's programs: which language
** the environment asks for, where the message catalogs are, and the
** translation of messages through GNU gettext (domain "fieldsync", the
** catalogs built from po/ into LOCALEDIR/<ll>/LC_MESSAGES/fieldsync.mo).
** libfieldsync (client/lib/lang.c) and fieldsyncd both use it.
**
** gettext chooses a catalog from the environment: LANGUAGE, else the
** LC_MESSAGES locale; it ignores LANGUAGE under the "C" locale, and a locale
** works only if the system has generated it. So that neither matters (a
** fresh Debian has no vi_VN or lo_LA locale), every lookup here runs with the
** calling thread switched (uselocale) to C.UTF-8, which glibc always has, and
** with LANGUAGE set to the language wanted; a change of LANGUAGE at run time
** is announced to gettext by incrementing _nl_msg_cat_cntr, as the gettext
** manual describes for programs that switch languages. LANGUAGE is
** process-wide, so lookups take a mutex; a program's own _() calls follow
** the language last translated into (the process default, unless a lookup
** asked for another).
**
** Where the catalogs are, first found: $FIELDSYNC_LOCALEDIR; the build tree
** (locale/ beside the running program, or two levels up for the test
** programs in build/tests/NAME/); the installed FIELDSYNC_LOCALEDIR
** (PREFIX/share/locale, set by the Makefile). Without catalogs every text
** stays English.
*/
#include <libgen.h>
#include <libintl.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "i18n/lang.h"
#include "protocol/i18n.h"

#ifndef FIELDSYNC_LOCALEDIR
#define FIELDSYNC_LOCALEDIR "/usr/local/share/locale"
#endif

/* glibc's catalog generation counter (libintl.h does not declare it). */
extern int _nl_msg_cat_cntr;

static const struct {
	const char *code, *native;
} langs[] = {
	{"vi", "Tiếng Việt"},
	{"lo", "ພາສາລາວ"},
	{"en", "English"},
};
#define NLANGS (sizeof langs / sizeof langs[0])

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static locale_t msgloc = (locale_t)0; /* C.UTF-8, for lookups */
static const char *default_lang;      /* process default, set once by init */
static const char *env_lang = "";     /* what LANGUAGE holds, as we set it */
static char localedir[4200];

const char *i18n_lang_norm(const char *s)
{
	char ll[4];
	size_t n = 0;

	if (!s)
		return NULL;
	/* "vi", "vi_VN.UTF-8", "lo-LA", "en_US@euro": two letters, then the
	** end or a separator. */
	while (n < 3 && s[n] && !strchr("_-.@:", s[n]))
		n++;
	if (n != 2)
		return NULL;
	ll[0] = (char)(s[0] | 0x20);
	ll[1] = (char)(s[1] | 0x20);
	ll[2] = '\0';
	for (size_t i = 0; i < NLANGS; i++)
		if (strcmp(langs[i].code, ll) == 0)
			return langs[i].code;
	return NULL;
}

const char *i18n_lang_from_env(void)
{
	static const char *const vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
	const char *l = getenv("LANGUAGE"), *got;

	for (const char *p = l; p && *p;) {
		if ((got = i18n_lang_norm(p)))
			return got;
		p = strchr(p, ':');
		p = p ? p + 1 : NULL;
	}
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		l = getenv(vars[i]);
		if (l && *l)
			return (got = i18n_lang_norm(l)) ? got
							 : I18N_LANG_DEFAULT;
	}
	return I18N_LANG_DEFAULT;
}

static int has_catalogs(const char *dir)
{
	char p[4200];
	int n = snprintf(p, sizeof p, "%s/vi/LC_MESSAGES/%s.mo", dir,
			 FIELDSYNC_TEXTDOMAIN);
	return n > 0 && (size_t)n < sizeof p && access(p, R_OK) == 0;
}

static void find_localedir(void)
{
	const char *e = getenv("FIELDSYNC_LOCALEDIR");
	char exe[4096], cand[4200];
	ssize_t k;

	if (e && *e) {
		snprintf(localedir, sizeof localedir, "%s", e);
		return;
	}
	k = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (k > 0) {
		char *d;
		exe[k] = '\0';
		d = dirname(exe);
		snprintf(cand, sizeof cand, "%s/locale", d);
		if (has_catalogs(cand)) {
			snprintf(localedir, sizeof localedir, "%s", cand);
			return;
		}
		snprintf(cand, sizeof cand, "%s/../../locale", d);
		if (has_catalogs(cand)) {
			snprintf(localedir, sizeof localedir, "%s", cand);
			return;
		}
	}
	snprintf(localedir, sizeof localedir, "%s", FIELDSYNC_LOCALEDIR);
}

static void init(void)
{
	static const char *const utf8[] = {"C.UTF-8", "C.utf8", "en_US.UTF-8"};

	find_localedir();
	bindtextdomain(FIELDSYNC_TEXTDOMAIN, localedir);
	/* The catalogs are UTF-8 and so is everything we print. */
	bind_textdomain_codeset(FIELDSYNC_TEXTDOMAIN, "UTF-8");
	for (size_t i = 0; i < 3 && msgloc == (locale_t)0; i++)
		msgloc = newlocale(LC_CTYPE_MASK | LC_MESSAGES_MASK, utf8[i],
				   (locale_t)0);
	default_lang = i18n_lang_from_env();
}

/* Point LANGUAGE at lang. Caller holds mu. */
static void set_env_lang(const char *lang)
{
	if (strcmp(env_lang, lang) == 0)
		return;
	setenv("LANGUAGE", lang, 1);
	++_nl_msg_cat_cntr;
	env_lang = lang;
}

const char *i18n_lang_default(void)
{
	const char *l;

	pthread_once(&once, init);
	pthread_mutex_lock(&mu);
	l = default_lang;
	pthread_mutex_unlock(&mu);
	return l;
}

void i18n_lang_set_default(const char *lang)
{
	const char *l = i18n_lang_norm(lang);

	pthread_once(&once, init);
	if (!l)
		return;
	pthread_mutex_lock(&mu);
	default_lang = l;
	if (msgloc != (locale_t)0)
		set_env_lang(l);
	pthread_mutex_unlock(&mu);
}

/* One lookup: singular alone (plural NULL) or the plural form for n. */
static const char *lookup(const char *lang, const char *singular,
			  const char *plural, unsigned long n)
{
	const char *r;
	locale_t prev;

	if (!singular || !*singular) /* "" would give the catalog's header */
		return plural && n != 1 ? plural : singular;
	if (!lang)
		lang = i18n_lang_default();
	if (strcmp(lang, "en") == 0)
		return plural && n != 1 ? plural : singular;
	pthread_once(&once, init);
	if (msgloc == (locale_t)0)
		return plural && n != 1 ? plural : singular;
	pthread_mutex_lock(&mu);
	set_env_lang(lang);
	prev = uselocale(msgloc);
	r = plural ? dngettext(FIELDSYNC_TEXTDOMAIN, singular, plural, n)
		   : dgettext(FIELDSYNC_TEXTDOMAIN, singular);
	uselocale(prev);
	pthread_mutex_unlock(&mu);
	return r;
}

const char *i18n_tr(const char *lang, const char *msgid)
{
	return lookup(lang, msgid, NULL, 0);
}

const char *i18n_ntr(const char *lang, const char *singular,
		     const char *plural, unsigned long n)
{
	return lookup(lang, singular, plural, n);
}

const char *i18n_lang_name(const char *tag)
{
	const char *l = i18n_lang_norm(tag);

	for (size_t i = 0; l && i < NLANGS; i++)
		if (strcmp(langs[i].code, l) == 0)
			return langs[i].native;
	return NULL;
}

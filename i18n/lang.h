/*
** This file contains the languages every program of fieldsync speaks
** (Vietnamese, the default; Lao; English, the source language) and their
** translation through GNU gettext (domain "fieldsync", catalogs built from
** po/), shared by libfieldsync (client/lib/lang.c) and fieldsyncd (the
** report documents). It finds the catalogs on disk and reads the
** environment, which the protocol module must not do, so it is a part of
** its own: i18n/, prefix i18n_, linked into both sides.
*/
#ifndef FIELDSYNC_I18N_LANG_H
#define FIELDSYNC_I18N_LANG_H

/* The default language when the environment names no supported one. */
#define I18N_LANG_DEFAULT "vi"

/* "vi", "lo" or "en" (static) for a language tag ("vi_VN.UTF-8", "lo-LA",
** "EN"); NULL if it names none of them (or tag is NULL). Cannot fail. */
const char *i18n_lang_norm(const char *tag);

/* The language the environment asks for: the first supported entry of
** LANGUAGE, else the locale (LC_ALL, LC_MESSAGES, LANG, the first set);
** Vietnamese when none names a supported language. Static; cannot fail. */
const char *i18n_lang_from_env(void);

/* The process default: the environment's at the first call, or what
** i18n_lang_set_default chose since. Static; cannot fail. */
const char *i18n_lang_default(void);

/* Make lang (normalised already: "vi", "lo", "en") the process default; a
** program's own _() calls speak it from then on. Cannot fail. */
void i18n_lang_set_default(const char *lang);

/* msgid translated into lang (NULL: the process default): a static string
** of the catalog, or msgid itself in English, without catalogs, or for
** NULL and "". Thread-safe. Cannot fail. */
const char *i18n_tr(const char *lang, const char *msgid)
	__attribute__((format_arg(2)));

/* The plural form for n of (singular, plural) in lang, as ngettext. */
const char *i18n_ntr(const char *lang, const char *singular,
		     const char *plural, unsigned long n)
	__attribute__((format_arg(2))) __attribute__((format_arg(3)));

/* The language's own name ("Tiếng Việt", "ພາສາລາວ", "English") for a tag,
** or NULL for an unsupported one. Static; cannot fail. */
const char *i18n_lang_name(const char *tag);

#endif

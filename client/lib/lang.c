/*
** This file contains the languages of libfieldsync: which language a handle
** speaks (Vietnamese, the default; Lao; English, the source language) and
** the translation of messages, labels and reference-list names. The
** mechanism (the environment, the catalogs, gettext under C.UTF-8) is
** shared with fieldsyncd and lives in i18n/lang.c; this file adds what is
** the handle's: its own language, the protocol module's translator, money.
*/
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "i18n/lang.h"
#include "protocol/i18n.h"

const char *fs_lang_norm(const char *s)
{
	return i18n_lang_norm(s);
}

const char *fs_lang(const fieldsync *fs)
{
	if (fs && fs->lang)
		return fs->lang;
	return i18n_lang_default();
}

const char *fs_tr(const char *lang, const char *msgid)
{
	return i18n_tr(lang, msgid);
}

/* The protocol module's translator (proto_set_translator): ctx is the
** language. */
static const char *proto_translate(void *ctx, const char *msgid)
{
	return fs_tr((const char *)ctx, msgid);
}

void fs_lang_enter(const fieldsync *fs)
{
	proto_set_translator(proto_translate, (void *)fs_lang(fs));
}

int fieldsync_set_language(fieldsync *fs, const char *lang)
{
	const char *l = lang ? i18n_lang_norm(lang) : i18n_lang_from_env();

	if (!l) {
		if (fs)
			return fs_fail(fs, FIELDSYNC_E_USAGE, "unknown "
				       "language \"%.20s\"; languages: vi, lo, "
				       "en", lang);
		return FIELDSYNC_E_USAGE;
	}
	if (fs) {
		fs->lang = l;
		fs_ok(fs);
		return FIELDSYNC_OK;
	}
	/* So that a front end's own _() speaks it from now on. */
	i18n_lang_set_default(l);
	return FIELDSYNC_OK;
}

const char *fieldsync_language(const fieldsync *fs)
{
	return fs_lang(fs);
}

int fieldsync_money_format(const fieldsync *fs, long long dong,
			   int short_form, char *buf, size_t bufsz)
{
	if (proto_money_format(dong, fs_lang(fs), short_form, buf, bufsz))
		return FIELDSYNC_E_USAGE;
	return FIELDSYNC_OK;
}

const char *fieldsync_language_name(const char *lang)
{
	return i18n_lang_name(lang);
}

const char *fieldsync_errdetail(const fieldsync *fs)
{
	if (!fs)
		return fieldsync_errmsg(fs);
	return fs->detail[0] ? fs->detail : fs->msg;
}

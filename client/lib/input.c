/*
** This file contains how libfieldsync takes input as people type it, before
** the protocol's strict parser (proto_field_parse) sees it, so that every
** front end (the CLI, the field app) gets the same rules and the wire stays
** exactly as strict as SPEC.md says:
**
**   text       Unicode NFC, surrounding white space trimmed (what is stored);
**   decimals   "3,8" is 3.8 (the Vietnamese and Lao decimal comma); one
**              separator only: "3,8,1" and "1.234,5" are refused;
**   dates      YYYY-MM-DD, also with one-digit month or day ("2026-6-20")
**              and day first: DD/MM/YYYY, DD-MM-YYYY, DD.MM.YYYY
**              ("20/06/2026", never month first); "/" or "." may also
**              separate a year-first date; the day must exist ("32/13/2026"
**              and "29/02/2026" are refused);
**   names of   the reference lists (province, sector, specialty, direction)
**              match the canonical name, the English label, an alias of the
**              protocol's table or the label's Vietnamese or Lao translation
**              after folding both sides: NFKD, case folded, diacritics of
**              Latin letters dropped, đ as d, spaces, punctuation and symbols
**              ignored; words people add ("tỉnh", "province", "ແຂວງ", the
**              list's affixes in the protocol table) may be left out. A name
**              that matches nothing gets "did you mean ...?" with the closest
**              entries by edit distance on the folded form, or the allowed
**              names when none is close.
**
** Unicode comes from libunistring (normalisation, case folding, character
** properties), the Debian library GNU gettext itself uses.
*/
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "internal.h"
#include "protocol/fold.h"
#include "protocol/i18n.h"

#define FOLD_MAX 128       /* code points compared; longer input is cut */
#define SUGGEST_MAX 3      /* entries offered by "did you mean" */

static int field_fail(fieldsync *fs, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A failure about field: the message in the handle's language, as the
** protocol's are: 'field "NAME": DETAIL', with DETAIL for a form. */
static int field_fail(fieldsync *fs, const char *field, const char *fmt, ...)
{
	char detail[sizeof fs->detail];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fs_tr(fs_lang(fs), fmt), ap);
	va_end(ap);
	proto_utf8_copy(detail, detail, sizeof detail - 3);
	fs_fail_field(fs, FIELDSYNC_E_INVALID, field, "field \"%s\": %s",
		      field, detail);
	memcpy(fs->detail, detail, sizeof detail);
	return FIELDSYNC_E_INVALID;
}

/* ---- text ------------------------------------------------------------- */

/* NFC, trimmed of leading and trailing white space. Input that is not valid
** UTF-8 is copied as it is, for the protocol to refuse with its message.
** NULL only when out of memory. */
static char *clean_text(const char *in)
{
	size_t n = strlen(in), len = 0, a = 0, b;
	uint8_t *nfc;
	char *out;

	if (!proto_utf8_valid(in, n))
		return strdup(in);
	nfc = u8_normalize(UNINORM_NFC, (const uint8_t *)in, n, NULL, &len);
	if (!nfc)
		return NULL;
	/* Trim: skip white space code points at both ends. */
	while (a < len) {
		ucs4_t uc;
		int k = u8_mbtouc(&uc, nfc + a, len - a);
		if (!uc_is_property_white_space(uc))
			break;
		a += (size_t)k;
	}
	b = len;
	while (b > a) {
		size_t p = b - 1;
		ucs4_t uc;
		while (p > a && (nfc[p] & 0xC0) == 0x80)
			p--;
		u8_mbtouc(&uc, nfc + p, b - p);
		if (!uc_is_property_white_space(uc))
			break;
		b = p;
	}
	if ((out = malloc(b - a + 1))) {
		memcpy(out, nfc + a, b - a);
		out[b - a] = '\0';
	}
	free(nfc);
	return out;
}

/* ---- folding and matching ------------------------------------------------ */

typedef struct folded {
	uint32_t c[FOLD_MAX];
	size_t n;
} folded;

/* The folded form of UTF-8 text (protocol/fold.h: the same everywhere). */
static void fold(const char *s, folded *out)
{
	out->n = proto_fold(s, out->c, FOLD_MAX);
}

static int fold_eq(const folded *a, const uint32_t *b, size_t bn)
{
	return a->n == bn && a->n > 0 &&
	       memcmp(a->c, b, bn * sizeof *b) == 0;
}

int fs_text_contains(const char *hay, const char *needle)
{
	folded *h = malloc(sizeof *h), *nd = malloc(sizeof *nd);
	int found = 0;

	if (h && nd) {
		fold(hay, h);
		fold(needle, nd);
		if (nd->n == 0)
			found = 1;
		for (size_t i = 0; !found && nd->n <= h->n &&
				   i <= h->n - nd->n; i++)
			found = memcmp(h->c + i, nd->c,
				       nd->n * sizeof nd->c[0]) == 0;
	}
	free(h);
	free(nd);
	/* Past FOLD_MAX code points only the exact spelling is found. */
	return found || (hay && needle && strstr(hay, needle));
}

/* Levenshtein distance, capped at FOLD_MAX code points each. */
static size_t edit_distance(const uint32_t *a, size_t an, const uint32_t *b,
			    size_t bn)
{
	size_t row[FOLD_MAX + 1];

	for (size_t j = 0; j <= bn; j++)
		row[j] = j;
	for (size_t i = 1; i <= an; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= bn; j++) {
			size_t up = row[j], best;
			best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[bn];
}

/* Every spelling of every entry of a list, folded once per process: the
** name, the English label, the aliases and the label's translations. */
#define CANDS_PER_ENTRY 24
typedef struct cand {
	folded f;
	size_t entry;
} cand;

typedef struct ref_index {
	const proto_ref_list *list;
	cand *c;
	size_t n;
	folded affix[8];
	size_t naffix;
} ref_index;

static pthread_mutex_t index_mu = PTHREAD_MUTEX_INITIALIZER;
static ref_index indexes[8];
static size_t nindexes;

static void add_cand(ref_index *x, size_t entry, const char *text)
{
	cand *c = &x->c[x->n];

	if (!text || !*text)
		return;
	fold(text, &c->f);
	if (c->f.n == 0)
		return;
	for (size_t i = 0; i < x->n; i++) /* same spelling once per entry */
		if (x->c[i].entry == entry &&
		    fold_eq(&x->c[i].f, c->f.c, c->f.n))
			return;
	c->entry = entry;
	x->n++;
}

/* The index of list l, built on first use; NULL when out of memory. */
static const ref_index *index_of(const proto_ref_list *l)
{
	static const char *const other_langs[] = {"vi", "lo"};
	ref_index *x = NULL;

	pthread_mutex_lock(&index_mu);
	for (size_t i = 0; i < nindexes; i++)
		if (indexes[i].list == l)
			x = &indexes[i];
	if (x || nindexes == sizeof indexes / sizeof indexes[0])
		goto out;
	x = &indexes[nindexes];
	memset(x, 0, sizeof *x);
	if (!(x->c = calloc(l->count * CANDS_PER_ENTRY, sizeof *x->c))) {
		x = NULL;
		goto out;
	}
	x->list = l;
	for (size_t i = 0; i < l->count; i++) {
		const proto_ref_entry *e = &l->entries[i];
		size_t room = (i + 1) * CANDS_PER_ENTRY - 3;
		add_cand(x, i, e->name);
		add_cand(x, i, e->label);
		for (size_t j = 0; j < 2; j++)
			add_cand(x, i, fs_tr(other_langs[j], e->label));
		for (size_t j = 0; j < sizeof e->aliases / sizeof e->aliases[0]
				   && e->aliases[j] && x->n < room; j++)
			add_cand(x, i, e->aliases[j]);
	}
	for (size_t j = 0; j < sizeof l->affixes / sizeof l->affixes[0] &&
			   l->affixes[j]; j++) {
		fold(l->affixes[j], &x->affix[x->naffix]);
		if (x->affix[x->naffix].n)
			x->naffix++;
	}
	nindexes++;
out:
	pthread_mutex_unlock(&index_mu);
	return x;
}

/* The entry one of the input's forms equals, or -1. */
static long find_exact(const ref_index *x, const folded *forms, size_t nf)
{
	for (size_t k = 0; k < nf; k++)
		for (size_t i = 0; i < x->n; i++)
			if (fold_eq(&forms[k], x->c[i].f.c, x->c[i].f.n))
				return (long)x->c[i].entry;
	return -1;
}

/* The input as folded, then without each affix at its start or end. */
static size_t input_forms(const ref_index *x, const char *text,
			  folded forms[17])
{
	size_t nf = 1;

	fold(text, &forms[0]);
	for (size_t a = 0; a < x->naffix; a++) {
		const folded *af = &x->affix[a];
		const folded *in = &forms[0];
		if (in->n <= af->n)
			continue;
		if (memcmp(in->c, af->c, af->n * sizeof *af->c) == 0) {
			forms[nf].n = in->n - af->n;
			memcpy(forms[nf].c, in->c + af->n,
			       forms[nf].n * sizeof *in->c);
			nf++;
		}
		if (memcmp(in->c + in->n - af->n, af->c,
			   af->n * sizeof *af->c) == 0) {
			forms[nf].n = in->n - af->n;
			memcpy(forms[nf].c, in->c, forms[nf].n * sizeof *in->c);
			nf++;
		}
	}
	return nf;
}

const char *fs_ref_display(const proto_ref_entry *e, const char *lang)
{
	if (!lang || strcmp(lang, "en") == 0)
		return e->name;
	return fs_tr(lang, e->label);
}

/* "a, b, c" of entries' display names into buf; separator "; " when a
** name itself holds a comma. */
static void join_names(const proto_ref_list *l, const size_t *which, size_t n,
		       const char *lang, char *buf, size_t size)
{
	const char *sep = ", ";
	size_t off = 0;

	for (size_t i = 0; i < n; i++)
		if (strchr(fs_ref_display(&l->entries[which[i]], lang), ','))
			sep = "; ";
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(buf + off, size - off, "%s%s", i ? sep : "",
				 fs_ref_display(&l->entries[which[i]], lang));
		if (w < 0 || (size_t)w >= size - off) {
			proto_utf8_copy(buf + off, buf + off, size - off);
			break;
		}
		off += (size_t)w;
	}
}

int fs_input_ref(fieldsync *fs, const proto_ref_list *l, const char *field,
		 const char *text, const char **canon)
{
	const char *lang = fs_lang(fs), *exact;
	const ref_index *x;
	folded forms[17];
	size_t nf, best[SUGGEST_MAX], nbest = 0, bestd = (size_t)-1, limit;
	size_t *all = NULL;
	char names[768];
	long e;
	int rc;

	*canon = NULL;
	if (!text || !proto_utf8_valid(text, strlen(text))) {
		if (!field)
			return FIELDSYNC_E_INVALID;
		return field_fail(fs, field, "not valid UTF-8");
	}
	/* The protocol's own matching first: it is what SPEC.md promises. */
	if ((exact = proto_ref_lookup(l, text))) {
		*canon = exact;
		return FIELDSYNC_OK;
	}
	if (!(x = index_of(l)))
		return fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
	nf = input_forms(x, text, forms);
	if ((e = find_exact(x, forms, nf)) >= 0) {
		*canon = l->entries[e].name;
		return FIELDSYNC_OK;
	}
	if (!field)
		return FIELDSYNC_E_INVALID;
	/* Did you mean: the entries nearest to any form of the input, if
	** near enough for a typo (about one edit in three letters). */
	limit = forms[0].n <= 4 ? 1 : forms[0].n <= 8 ? 2 : 3;
	for (size_t i = 0; i < l->count; i++) {
		size_t d = (size_t)-1;
		for (size_t c = 0; c < x->n; c++) {
			if (x->c[c].entry != i)
				continue;
			for (size_t k = 0; k < nf; k++) {
				size_t dk = edit_distance(forms[k].c, forms[k].n,
							  x->c[c].f.c,
							  x->c[c].f.n);
				if (dk < d)
					d = dk;
			}
		}
		if (d > limit || d > bestd)
			continue;
		if (d < bestd) {
			bestd = d;
			nbest = 0;
		}
		if (nbest < SUGGEST_MAX)
			best[nbest++] = i;
	}
	if (nbest) {
		join_names(l, best, nbest, lang, names, sizeof names);
		/* TRANSLATORS: "unknown province "Salavn"; did you mean
		** Salavan?": the list's noun, the text as typed, the closest
		** names. */
		return field_fail(fs, field, "unknown %s \"%.60s\"; did you mean %s?",
				     fs_tr(lang, l->label), text, names);
	}
	if (!(all = malloc(l->count * sizeof *all)))
		return fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
	for (size_t i = 0; i < l->count; i++)
		all[i] = i;
	join_names(l, all, l->count, lang, names, sizeof names);
	free(all);
	/* TRANSLATORS: "unknown province "Vientiane"; allowed: Attapeu, ..." */
	rc = field_fail(fs, field, "unknown %s \"%.60s\"; allowed: %s",
			   fs_tr(lang, l->label), text, names);
	return rc;
}

/* ---- numbers and dates --------------------------------------------------- */

/* "3,8" -> "3.8" in place; refuses a second separator. */
static int decimal_comma(fieldsync *fs, const proto_field_def *f, char *t)
{
	size_t commas = 0, dots = 0;
	char *c = NULL;

	for (char *p = t; *p; p++) {
		if (*p == ',') {
			commas++;
			c = p;
		} else if (*p == '.') {
			dots++;
		}
	}
	if (commas + dots > 1)
		return field_fail(fs, f->name, "\"%.40s\" is not a number: use one "
				     "decimal separator, e.g. 3,8 or 3.8", t);
	if (c)
		*c = '.';
	return FIELDSYNC_OK;
}

/* Up to maxd digits into *v; returns the count read. */
static int digits(const char **p, int maxd, int *v)
{
	int n = 0;

	*v = 0;
	while (n < maxd && **p >= '0' && **p <= '9') {
		*v = *v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n;
}

/* YYYY-M-D or D/M/YYYY (any of - / . between) -> "YYYY-MM-DD" in out
** (11 bytes). 0 if the text has one of these shapes, else -1; whether the
** day exists is the protocol's to say. */
static int date_shape(const char *t, char out[11])
{
	const char *p = t;
	int a, b, c, na, nb, nc;
	char sep;

	na = digits(&p, 4, &a);
	if (!*p || !strchr("-/.", *p))
		return -1;
	sep = *p++;
	nb = digits(&p, 2, &b);
	if (*p != sep)
		return -1;
	p++;
	nc = digits(&p, 4, &c);
	if (*p || nb < 1)
		return -1;
	if (na == 4 && nc >= 1 && nc <= 2) {
		/* a, b, c are at most 9999, 99, 99: always 10 bytes */
	} else if (na >= 1 && na <= 2 && nc == 4) {
		int y = c;
		c = a;
		a = y;
	} else {
		return -1;
	}
	out[0] = (char)('0' + a / 1000);
	out[1] = (char)('0' + a / 100 % 10);
	out[2] = (char)('0' + a / 10 % 10);
	out[3] = (char)('0' + a % 10);
	out[4] = '-';
	out[5] = (char)('0' + b / 10);
	out[6] = (char)('0' + b % 10);
	out[7] = '-';
	out[8] = (char)('0' + c / 10);
	out[9] = (char)('0' + c % 10);
	out[10] = '\0';
	return 0;
}

int fs_input_field(fieldsync *fs, const proto_field_def *f, const char *text,
		   char **out)
{
	const char *canon;
	char *t, iso[11];
	int rc;

	*out = NULL;
	if (!text)
		return field_fail(fs, f->name, "missing value");
	if (!(t = clean_text(text)))
		return fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
	switch (f->type) {
	case PROTO_T_DECIMAL:
		if ((rc = decimal_comma(fs, f, t)))
			goto fail;
		break;
	case PROTO_T_DATE:
		if (proto_date_parse(t, NULL) == 0)
			break;
		if (date_shape(t, iso) != 0 || proto_date_parse(iso, NULL)) {
			rc = field_fail(fs, f->name, "\"%.40s\" is not a valid date; "
					   "expected YYYY-MM-DD or DD/MM/YYYY, "
					   "e.g. 2026-04-10 or 10/04/2026", t);
			goto fail;
		}
		free(t);
		if (!(t = strdup(iso)))
			return fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
		break;
	case PROTO_T_ENUM:
		if ((rc = fs_input_ref(fs, f->ref, f->name, t, &canon)))
			goto fail;
		free(t);
		if (!(t = strdup(canon)))
			return fs_fail(fs, FIELDSYNC_E_NOMEM, "out of memory");
		break;
	default:
		break;
	}
	*out = t;
	return FIELDSYNC_OK;
fail:
	free(t);
	return rc;
}

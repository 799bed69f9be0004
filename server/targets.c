/*
** This file contains the targets file parser and the evaluation of the
** programme's targets against the visits and trips of a report.
**
** FORMAT (the clerk's version is at the top of server/targets.default):
** UTF-8 text, one statement per line, at most SRV_TARGETS_MAX_LINE bytes;
** '#' outside double quotes starts a comment; words are separated by spaces
** or tabs; a value may be a double-quoted string without '"' inside.
**
**   target NAME key=value...     count= per= min= required; each=, direction=,
**                                sector=, province=, high-level=yes, from=,
**                                alternate=, years=FIRST-LAST, label= optional
**   high-level sector=SECTOR     a visit of this sector is high-level
**   high-level title=WORD        a visit whose title contains WORD is
**
** Sectors, provinces and directions go through proto_ref_lookup, so every
** spelling the protocol accepts ("y tế", "Saravane", "outbound") works here.
** Any mistake refuses the whole file with "SOURCE:LINE:COLUMN: message".
**
** EVALUATION (one JSON object per target, for calendar year Y, counting
** activities that start inside a window and on or before upto, the last
** day of the report's period; as_of is the earlier of upto and today):
**
**   {"name":..., "label":..., "count":"trips", "per":"year",
**    "each":"province"|"direction"|null, "rule":"<the line as written>",
**    "window":{"from":"2026-01-01","to":"2026-12-31"}|null,
**    "status":"met"|"missed"|"pending"|"not-applicable", "met":bool,
**    "expected":E, "actual":A, "cells":N, "cells_met":M,
**    "cell_list":[{"unit":"Attapeu","from":D,"to":D,"direction":"out"?,
**                  "expected":MIN,"actual":RAW,"met":bool,"closed":bool}]}
**
** A cell is one (unit, window): unit = a province (each=province), a
** direction (each=direction) or "all"; windows are the year, each quarter of
** it that has begun by as_of, or the two-year window containing Y. E = MIN x
** cells; A = the sum over cells of min(raw, MIN), so a surplus in one
** province does not hide a gap in another (cell_list keeps the raw figures).
** "met" when every cell has reached MIN; "missed" when a cell whose window
** ended on or before as_of fell short; "pending" otherwise. Outside years=,
** the target is "not-applicable" with no cells.
*/
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "protocol/proto.h"
#include "protocol/records.h"
#include "targets.h"

typedef enum { C_VISITS, C_MEMBERS, C_TRIPS, C_EXPERTS, C_EXPERT_DAYS,
	       C_TRAININGS, C_TRAINED, C_PATIENTS, C_SCHOLARSHIPS, C_WORKS,
	       C_BUDGET } count_kind;
typedef enum { PER_YEAR, PER_QUARTER, PER_2YEARS, PER_YEARS } per_kind;
typedef enum { EACH_NONE, EACH_PROVINCE, EACH_DIRECTION } each_kind;

static const char *const count_names[] = {
	"visits", "members", "trips", "experts", "expert-days", "trainings",
	"trained", "patients", "scholarships", "works", "budget"};
static const char *const per_names[] = {"year", "quarter", "2years",
					"years"};
static const char *const each_names[] = {"", "province", "direction"};

typedef struct target {
	char *name;
	char *label;              /* NULL: the name is shown */
	char *rule;               /* the line as written, comment removed */
	count_kind count;
	per_kind per;
	each_kind each;
	long long min;
	const char *direction;    /* canonical, or NULL */
	const char *sector;
	const char *province;
	int high_level;
	int from_year;            /* per=2years */
	const char *alternate;    /* per=2years: "out"/"in" or NULL */
	int year_first, year_last; /* 0, 0: every year */
} target;

struct srv_targets {
	target *t;
	size_t n;
	const char **hl_sectors;  /* canonical sector names */
	size_t nhl_sectors;
	char **hl_titles;
	size_t nhl_titles;
};

/* ---- parser ------------------------------------------------------------- */

typedef struct token {
	const char *key;          /* start of the word */
	size_t keylen;            /* up to '=' or the word's end */
	char *value;              /* malloc'd value after '=' (unquoted), or NULL */
	size_t col;               /* 1-based column in characters */
	size_t vcol;              /* column of the value */
} token;

typedef struct parser {
	const char *source;
	int line;
	char *msg;
	size_t msgsz;
} parser;

static int perr(parser *p, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int perr(parser *p, size_t col, const char *fmt, ...)
{
	char what[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (p->msgsz)
		snprintf(p->msg, p->msgsz, "%s:%d:%zu: %s", p->source, p->line,
			 col, what);
	return -1;
}

/* Column (in characters, from 1) of byte offset off in line. */
static size_t col_of(const char *line, size_t off)
{
	size_t c = 1;

	for (size_t i = 0; i < off; i++)
		if (((unsigned char)line[i] & 0xC0) != 0x80)
			c++;
	return c;
}

static void tokens_free(token *tk, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(tk[i].value);
}

/* Split one line (len bytes, no newline) into at most max tokens. */
static int tokenize(parser *p, const char *line, size_t len, token *tk,
		    size_t max, size_t *ntk)
{
	size_t i = 0;

	*ntk = 0;
	for (;;) {
		size_t start, eq = 0;
		int has_eq = 0;
		token *t;

		while (i < len && (line[i] == ' ' || line[i] == '\t' ||
				   line[i] == '\r'))
			i++;
		if (i >= len || line[i] == '#')
			return 0;
		if (*ntk == max)
			return perr(p, col_of(line, i), "too many words on one "
				    "line (at most %zu)", max);
		t = &tk[(*ntk)++];
		memset(t, 0, sizeof *t);
		start = i;
		t->key = line + i;
		t->col = col_of(line, i);
		if (line[i] == '"' || line[i] == '=')
			return perr(p, t->col, "expected a word or key=value, "
				    "found '%c'", line[i]);
		while (i < len && line[i] != ' ' && line[i] != '\t' &&
		       line[i] != '\r' && line[i] != '#' && line[i] != '"') {
			if (line[i] == '=') {
				has_eq = 1;
				eq = i;
				break;
			}
			i++;
		}
		if (i < len && line[i] == '"')
			return perr(p, col_of(line, i), "a quote may only "
				    "start a value, as in label=\"...\"");
		if (!has_eq) {
			t->keylen = i - start;
			continue;
		}
		t->keylen = eq - start;
		i = eq + 1;
		t->vcol = col_of(line, i);
		if (i < len && line[i] == '"') {
			size_t vs = ++i;
			while (i < len && line[i] != '"')
				i++;
			if (i >= len)
				return perr(p, t->vcol, "this quote is never "
					    "closed (a value cannot contain "
					    "'\"')");
			t->value = strndup(line + vs, i - vs);
			i++;
			if (i < len && line[i] != ' ' && line[i] != '\t' &&
			    line[i] != '\r' && line[i] != '#')
				return perr(p, col_of(line, i), "expected a "
					    "space after the closing quote");
		} else {
			size_t vs = i;
			while (i < len && line[i] != ' ' && line[i] != '\t' &&
			       line[i] != '\r' && line[i] != '#') {
				if (line[i] == '"' || line[i] == '=')
					return perr(p, col_of(line, i),
						    "unexpected '%c' in a "
						    "value; quote the value: "
						    "key=\"...\"", line[i]);
				i++;
			}
			t->value = strndup(line + vs, i - vs);
		}
		if (!t->value)
			return perr(p, t->col, "out of memory");
		if (!t->value[0])
			return perr(p, t->vcol, "empty value after '%.*s='",
				    (int)t->keylen, t->key);
	}
}

static int key_is(const token *t, const char *k)
{
	return t->keylen == strlen(k) && strncmp(t->key, k, t->keylen) == 0;
}

static int pick(const char *const *names, size_t n, const char *v)
{
	for (size_t i = 0; i < n; i++)
		if (names[i][0] && strcmp(names[i], v) == 0)
			return (int)i;
	return -1;
}

static int parse_year(const char *s, int *out)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end - s != 4 || *end || v < 1900 || v > 2999)
		return -1;
	*out = (int)v;
	return 0;
}

static int parse_target(parser *p, srv_targets *ts, const token *tk,
			size_t ntk, const char *line, size_t len)
{
	static const char *const keys =
		"count, per, min, each, direction, sector, province, "
		"high-level, from, alternate, years, label";
	target t;
	int have_count = 0, have_per = 0, have_min = 0, k;
	unsigned seen = 0;
	const char *name;
	target *grown;

	memset(&t, 0, sizeof t);
	if (ntk < 2 || tk[1].value)
		return perr(p, ntk < 2 ? col_of(line, len) + 0 : tk[1].col,
			    "expected a target name after \"target\"");
	name = tk[1].key;
	for (size_t i = 0; i < tk[1].keylen; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '-' &&
		    name[i] != '_')
			return perr(p, tk[1].col + i, "a target name may hold "
				    "letters, digits, '-' and '_' only");
	if (tk[1].keylen > 60)
		return perr(p, tk[1].col, "target name longer than 60 "
			    "characters");
	for (size_t i = 0; i < ts->n; i++)
		if (strlen(ts->t[i].name) == tk[1].keylen &&
		    strncmp(ts->t[i].name, name, tk[1].keylen) == 0)
			return perr(p, tk[1].col, "target \"%.*s\" is defined "
				    "twice", (int)tk[1].keylen, name);
	for (size_t i = 2; i < ntk; i++) {
		const token *w = &tk[i];
		static const char *const all[] = {
			"count", "per", "min", "each", "direction", "sector",
			"province", "high-level", "from", "alternate",
			"years", "label"};
		int idx = -1;
		for (size_t j = 0; j < sizeof all / sizeof all[0]; j++)
			if (key_is(w, all[j]))
				idx = (int)j;
		if (idx < 0)
			return perr(p, w->col, "unknown key \"%.*s\"; allowed: "
				    "%s", (int)w->keylen, w->key, keys);
		if (!w->value)
			return perr(p, w->col, "\"%.*s\" needs a value: "
				    "%.*s=...", (int)w->keylen, w->key,
				    (int)w->keylen, w->key);
		if (seen & (1u << idx))
			return perr(p, w->col, "\"%s\" given twice", all[idx]);
		seen |= 1u << idx;
		switch (idx) {
		case 0:
			k = pick(count_names, 11, w->value);
			if (k < 0)
				return perr(p, w->vcol, "unknown count "
					    "\"%s\"; allowed: visits, members, "
					    "trips, experts, expert-days, "
					    "trainings, trained, patients, "
					    "scholarships, works, budget",
					    w->value);
			t.count = (count_kind)k;
			have_count = 1;
			break;
		case 1:
			k = pick(per_names, 4, w->value);
			if (k < 0)
				return perr(p, w->vcol, "unknown per \"%s\"; "
					    "allowed: year, quarter, 2years, "
					    "years",
					    w->value);
			t.per = (per_kind)k;
			have_per = 1;
			break;
		case 2: {
			char *end;
			errno = 0;
			t.min = strtoll(w->value, &end, 10);
			/* Up to 10^13: a budget in đồng (count=budget). */
			if (!isdigit((unsigned char)w->value[0]) || errno ||
			    *end || t.min < 1 || t.min > 10000000000000LL)
				return perr(p, w->vcol, "min must be a whole "
					    "number from 1 to 10000000000000, "
					    "not \"%s\"", w->value);
			have_min = 1;
			break;
		}
		case 3:
			k = pick(each_names, 3, w->value);
			if (k < 0)
				return perr(p, w->vcol, "unknown each \"%s\"; "
					    "allowed: province, direction",
					    w->value);
			t.each = (each_kind)k;
			break;
		case 4:
			t.direction = proto_ref_lookup(&proto_directions,
						       w->value);
			if (!t.direction)
				return perr(p, w->vcol, "unknown direction "
					    "\"%s\"; allowed: %s", w->value,
					    proto_ref_names(&proto_directions));
			break;
		case 5:
			t.sector = proto_ref_lookup(&proto_sectors, w->value);
			if (!t.sector)
				return perr(p, w->vcol, "unknown sector \"%s\"; "
					    "allowed: %s", w->value,
					    proto_ref_names(&proto_sectors));
			break;
		case 6:
			t.province = proto_ref_lookup(&proto_provinces,
						      w->value);
			if (!t.province)
				return perr(p, w->vcol, "unknown province "
					    "\"%s\"; allowed: %s", w->value,
					    proto_ref_names(&proto_provinces));
			break;
		case 7:
			if (strcmp(w->value, "yes") != 0)
				return perr(p, w->vcol, "high-level takes "
					    "\"yes\" only (leave it out for "
					    "every visit)");
			t.high_level = 1;
			break;
		case 8:
			if (parse_year(w->value, &t.from_year) != 0)
				return perr(p, w->vcol, "from must be a year "
					    "such as 2026, not \"%s\"",
					    w->value);
			break;
		case 9:
			t.alternate = proto_ref_lookup(&proto_directions,
						       w->value);
			if (!t.alternate)
				return perr(p, w->vcol, "unknown direction "
					    "\"%s\"; allowed: %s", w->value,
					    proto_ref_names(&proto_directions));
			break;
		case 10: {
			char a[8], b[8];
			const char *dash = strchr(w->value, '-');
			if (!dash || dash - w->value != 4 ||
			    strlen(dash + 1) != 4)
				return perr(p, w->vcol, "years must read "
					    "FIRST-LAST, e.g. 2026-2030");
			memcpy(a, w->value, 4);
			a[4] = '\0';
			memcpy(b, dash + 1, 5);
			if (parse_year(a, &t.year_first) != 0 ||
			    parse_year(b, &t.year_last) != 0 ||
			    t.year_last < t.year_first)
				return perr(p, w->vcol, "years must read "
					    "FIRST-LAST with FIRST <= LAST, "
					    "e.g. 2026-2030");
			break;
		}
		case 11:
			t.label = w->value; /* copied below */
			break;
		}
	}
	if (!have_count || !have_per || !have_min)
		return perr(p, tk[0].col, "target \"%.*s\" needs %s%s%s",
			    (int)tk[1].keylen, name,
			    !have_count ? "count= (what is counted) " : "",
			    !have_per ? "per= (year, quarter or 2years) " : "",
			    !have_min ? "min= (the least number)" : "");
	/* Rules that make a target meaningless rather than merely unusual. */
	if (t.count >= C_SCHOLARSHIPS) {
		if (t.high_level || t.alternate || t.each == EACH_DIRECTION ||
		    t.direction)
			return perr(p, tk[0].col, "target \"%.*s\": count=%s "
				    "has no direction; high-level, alternate, "
				    "each=direction and direction= apply to "
				    "visits only", (int)tk[1].keylen, name,
				    count_names[t.count]);
	} else if (t.count >= C_TRIPS) {
		if (t.high_level || t.alternate || t.each == EACH_DIRECTION ||
		    (t.direction && strcmp(t.direction, "in") == 0))
			return perr(p, tk[0].col, "target \"%.*s\": count=%s "
				    "counts expert trips, which always go out "
				    "from Gia Lai; high-level, alternate, "
				    "each=direction and direction=in apply to "
				    "visits only", (int)tk[1].keylen, name,
				    count_names[t.count]);
	}
	if (t.per == PER_2YEARS && !t.from_year)
		return perr(p, tk[0].col, "target \"%.*s\": per=2years needs "
			    "from=YEAR, the first year of the first window",
			    (int)tk[1].keylen, name);
	if (t.per == PER_YEARS && !t.year_first)
		return perr(p, tk[0].col, "target \"%.*s\": per=years needs "
			    "years=FIRST-LAST, the one window it counts over",
			    (int)tk[1].keylen, name);
	if (t.per != PER_2YEARS && (t.from_year || t.alternate))
		return perr(p, tk[0].col, "target \"%.*s\": from= and "
			    "alternate= go with per=2years only",
			    (int)tk[1].keylen, name);
	if (t.alternate && (t.direction || t.each == EACH_DIRECTION))
		return perr(p, tk[0].col, "target \"%.*s\": alternate= sets "
			    "the direction itself; drop direction= and "
			    "each=direction", (int)tk[1].keylen, name);
	if (t.province && t.each == EACH_PROVINCE)
		return perr(p, tk[0].col, "target \"%.*s\": province= and "
			    "each=province together; keep one",
			    (int)tk[1].keylen, name);
	if (t.direction && t.each == EACH_DIRECTION)
		return perr(p, tk[0].col, "target \"%.*s\": direction= and "
			    "each=direction together; keep one",
			    (int)tk[1].keylen, name);

	t.name = strndup(name, tk[1].keylen);
	t.label = t.label ? strdup(t.label) : NULL;
	{
		/* The rule as written, trailing comment and spaces removed. */
		size_t e = len;
		const char *hash = NULL;
		int inq = 0;
		for (size_t i = 0; i < len; i++) {
			if (line[i] == '"')
				inq = !inq;
			else if (line[i] == '#' && !inq) {
				hash = line + i;
				break;
			}
		}
		if (hash)
			e = (size_t)(hash - line);
		while (e > 0 && (line[e - 1] == ' ' || line[e - 1] == '\t' ||
				 line[e - 1] == '\r'))
			e--;
		t.rule = strndup(line, e);
	}
	grown = realloc(ts->t, (ts->n + 1) * sizeof *ts->t);
	if (!t.name || !t.rule || (seen & (1u << 11) && !t.label) || !grown) {
		if (grown)
			ts->t = grown;
		free(t.name);
		free(t.label);
		free(t.rule);
		return perr(p, 1, "out of memory");
	}
	ts->t = grown;
	ts->t[ts->n++] = t;
	return 0;
}

static int parse_high_level(parser *p, srv_targets *ts, const token *tk,
			    size_t ntk)
{
	if (ntk != 2 || !tk[1].value ||
	    !(key_is(&tk[1], "sector") || key_is(&tk[1], "title")))
		return perr(p, ntk >= 2 ? tk[1].col : tk[0].col,
			    "expected \"high-level sector=SECTOR\" or "
			    "\"high-level title=WORD\" (one per line)");
	if (key_is(&tk[1], "sector")) {
		const char *s = proto_ref_lookup(&proto_sectors, tk[1].value);
		const char **g;
		if (!s)
			return perr(p, tk[1].vcol, "unknown sector \"%s\"; "
				    "allowed: %s", tk[1].value,
				    proto_ref_names(&proto_sectors));
		g = realloc(ts->hl_sectors,
			    (ts->nhl_sectors + 1) * sizeof *g);
		if (!g)
			return perr(p, 1, "out of memory");
		ts->hl_sectors = g;
		g[ts->nhl_sectors++] = s;
	} else {
		char **g = realloc(ts->hl_titles,
				   (ts->nhl_titles + 1) * sizeof *g);
		char *w;
		if (!g)
			return perr(p, 1, "out of memory");
		ts->hl_titles = g;
		w = strdup(tk[1].value);
		if (!w)
			return perr(p, 1, "out of memory");
		g[ts->nhl_titles++] = w;
	}
	return 0;
}

int srv_targets_parse(const char *text, size_t len, const char *source,
		      srv_targets **out, char *msg, size_t msgsz)
{
	enum { MAXTK = 32 };
	parser p = {source ? source : "targets", 0, msg, msgsz};
	srv_targets *ts;
	token tk[MAXTK];
	size_t ntk = 0, pos = 0;
	int rc = -1;

	*out = NULL;
	if (msgsz)
		msg[0] = '\0';
	ts = calloc(1, sizeof *ts);
	if (!ts)
		return perr(&p, 0, "out of memory");
	if (len > SRV_TARGETS_MAX_BYTES) {
		perr(&p, 1, "file is %zu bytes; a targets file may hold at "
		     "most %d", len, SRV_TARGETS_MAX_BYTES);
		goto done;
	}
	/* A UTF-8 byte-order mark (some editors add one) is not content. */
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		pos = 3;
	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - line) : len - pos;

		p.line++;
		pos += ll + (nl ? 1 : 0);
		if (ll > SRV_TARGETS_MAX_LINE) {
			perr(&p, 1, "line is %zu bytes long; at most %d", ll,
			     SRV_TARGETS_MAX_LINE);
			goto done;
		}
		if (!proto_utf8_valid(line, ll)) {
			/* The longest valid prefix ends where the bad byte
			** is. */
			size_t good = ll;
			while (good > 0 && !proto_utf8_valid(line, good))
				good--;
			perr(&p, col_of(line, good), "not valid UTF-8 text "
			     "(save the file as UTF-8)");
			goto done;
		}
		tokens_free(tk, ntk);
		ntk = 0;
		if (tokenize(&p, line, ll, tk, MAXTK, &ntk) != 0)
			goto done;
		if (ntk == 0)
			continue;
		if (tk[0].value) {
			perr(&p, tk[0].col, "a line starts with \"target\" or "
			     "\"high-level\", not \"%.*s=\"", (int)tk[0].keylen,
			     tk[0].key);
			goto done;
		}
		if (key_is(&tk[0], "target")) {
			if (parse_target(&p, ts, tk, ntk, line, ll) != 0)
				goto done;
		} else if (key_is(&tk[0], "high-level")) {
			if (parse_high_level(&p, ts, tk, ntk) != 0)
				goto done;
		} else {
			perr(&p, tk[0].col, "unknown statement \"%.*s\"; a "
			     "line starts with \"target\" or \"high-level\"",
			     (int)tk[0].keylen, tk[0].key);
			goto done;
		}
	}
	rc = 0;
done:
	tokens_free(tk, ntk);
	if (rc == 0)
		*out = ts;
	else
		srv_targets_free(ts);
	return rc;
}

int srv_targets_load(const char *path, srv_targets **out, char *msg,
		     size_t msgsz)
{
	FILE *f;
	char *buf;
	size_t n;
	int rc;

	*out = NULL;
	f = fopen(path, "rb");
	if (!f) {
		snprintf(msg, msgsz, "%s: cannot open targets file: %s", path,
			 strerror(errno));
		return -1;
	}
	buf = malloc(SRV_TARGETS_MAX_BYTES + 1);
	if (!buf) {
		fclose(f);
		snprintf(msg, msgsz, "%s: out of memory", path);
		return -1;
	}
	n = fread(buf, 1, SRV_TARGETS_MAX_BYTES + 1, f);
	if (ferror(f)) {
		snprintf(msg, msgsz, "%s: read error", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	rc = srv_targets_parse(buf, n, path, out, msg, msgsz);
	free(buf);
	return rc;
}

void srv_targets_free(srv_targets *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->t[i].name);
		free(t->t[i].label);
		free(t->t[i].rule);
	}
	for (size_t i = 0; i < t->nhl_titles; i++)
		free(t->hl_titles[i]);
	free(t->t);
	free(t->hl_sectors);
	free(t->hl_titles);
	free(t);
}

size_t srv_targets_count(const srv_targets *t)
{
	return t ? t->n : 0;
}

/* ---- evaluation --------------------------------------------------------- */

/* strstr with ASCII letters compared without case; other bytes exact, so
** "Chủ tịch" matches "chủ tịch" but Lao text must match as written. */
static int contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return 1;
	return 0;
}

int srv_targets_high_level(const srv_targets *t, const srv_activity *a)
{
	if (!t || a->kind != SRV_ACT_VISIT)
		return 0;
	for (size_t i = 0; i < t->nhl_sectors; i++)
		if (a->sector && strcmp(a->sector, t->hl_sectors[i]) == 0)
			return 1;
	for (size_t i = 0; a->title && i < t->nhl_titles; i++)
		if (contains_nocase(a->title, t->hl_titles[i]))
			return 1;
	return 0;
}

static long ymd_days(int y, int m, int d)
{
	char s[32];
	long days = 0;

	snprintf(s, sizeof s, "%04d-%02d-%02d", y, m, d);
	if (proto_date_parse(s, &days) != 0)
		return 0;
	return days;
}

static long long measure(const target *t, const srv_activity *a)
{
	switch (t->count) {
	case C_VISITS: case C_TRIPS: return 1;
	case C_MEMBERS: return a->members;
	case C_EXPERTS: return a->experts;
	case C_EXPERT_DAYS: return a->expert_days;
	case C_TRAININGS: return a->trainings;
	case C_TRAINED: return a->trained;
	case C_PATIENTS: return a->patients;
	case C_SCHOLARSHIPS: return a->awarded;
	case C_WORKS: return 1;
	case C_BUDGET: return a->budget;
	}
	return 0;
}

/* Does activity a count for target t in the cell (unit, direction)? */
static int matches(const srv_targets *ts, const target *t,
		   const srv_activity *a, const char *province,
		   const char *direction)
{
	srv_activity_kind want = t->count <= C_MEMBERS ? SRV_ACT_VISIT
			       : t->count <= C_PATIENTS ? SRV_ACT_TRIP
			       : t->count == C_SCHOLARSHIPS ? SRV_ACT_SCHOLARSHIP
			       : SRV_ACT_WORK;

	if (a->kind != want)
		return 0;
	if (t->sector && (!a->sector || strcmp(t->sector, a->sector) != 0))
		return 0;
	if (t->province && strcmp(t->province, a->province) != 0)
		return 0;
	if (province && strcmp(province, a->province) != 0)
		return 0;
	if (t->direction && strcmp(t->direction, a->direction) != 0)
		return 0;
	if (direction && strcmp(direction, a->direction) != 0)
		return 0;
	if (t->high_level && !srv_targets_high_level(ts, a))
		return 0;
	return 1;
}

static int add_str(cJSON *o, const char *k, const char *v)
{
	return (v ? cJSON_AddStringToObject(o, k, v)
		  : cJSON_AddNullToObject(o, k)) != NULL;
}

static int add_num(cJSON *o, const char *k, double v)
{
	return cJSON_AddNumberToObject(o, k, v) != NULL;
}

static int add_date(cJSON *o, const char *k, long days)
{
	char d[11];

	proto_date_format(d, days);
	return cJSON_AddStringToObject(o, k, d) != NULL;
}

/* Evaluate one target into obj. Returns 0, or -1 when out of memory. */
static int eval_one(const srv_targets *ts, const target *t,
		    const srv_activity *acts, size_t nacts, int year,
		    long upto_day, long as_of, cJSON *obj)
{
	const char *units[8];
	size_t nunits = 0;
	long wfrom[4], wto[4];
	size_t nwin = 0;
	const char *win_dir = NULL;
	long long expected = 0, actual = 0;
	int cells = 0, cells_met = 0, missed = 0;
	cJSON *list, *w;
	const char *status;

	if (!add_str(obj, "name", t->name) ||
	    !add_str(obj, "label", t->label ? t->label : t->name) ||
	    !add_str(obj, "count", count_names[t->count]) ||
	    !add_str(obj, "per", per_names[t->per]) ||
	    !add_str(obj, "each", t->each ? each_names[t->each] : NULL) ||
	    !add_str(obj, "rule", t->rule))
		return -1;
	if (t->year_first && (year < t->year_first || year > t->year_last)) {
		return cJSON_AddNullToObject(obj, "window") &&
		       add_str(obj, "status", "not-applicable") &&
		       cJSON_AddFalseToObject(obj, "met") &&
		       add_num(obj, "expected", 0) &&
		       add_num(obj, "actual", 0) && add_num(obj, "cells", 0) &&
		       add_num(obj, "cells_met", 0) &&
		       cJSON_AddArrayToObject(obj, "cell_list") ? 0 : -1;
	}
	if (t->per == PER_2YEARS && year < t->from_year) {
		return cJSON_AddNullToObject(obj, "window") &&
		       add_str(obj, "status", "not-applicable") &&
		       cJSON_AddFalseToObject(obj, "met") &&
		       add_num(obj, "expected", 0) &&
		       add_num(obj, "actual", 0) && add_num(obj, "cells", 0) &&
		       add_num(obj, "cells_met", 0) &&
		       cJSON_AddArrayToObject(obj, "cell_list") ? 0 : -1;
	}

	switch (t->per) {
	case PER_YEAR:
		wfrom[0] = ymd_days(year, 1, 1);
		wto[0] = ymd_days(year, 12, 31);
		nwin = 1;
		break;
	case PER_QUARTER:
		/* Quarters not yet begun by as_of are not due: no cell. */
		for (int q = 0; q < 4; q++) {
			long qf = ymd_days(year, 3 * q + 1, 1);
			long qt = q == 3 ? ymd_days(year, 12, 31)
					 : ymd_days(year, 3 * q + 4, 1) - 1;
			if (qf > as_of && nwin > 0)
				break;
			wfrom[nwin] = qf;
			wto[nwin++] = qt;
			if (qf > as_of)
				break;
		}
		break;
	case PER_YEARS:
		/* One window, the whole years= range. */
		wfrom[0] = ymd_days(t->year_first, 1, 1);
		wto[0] = ymd_days(t->year_last, 12, 31);
		nwin = 1;
		break;
	case PER_2YEARS: {
		int k = (year - t->from_year) / 2;
		int y0 = t->from_year + 2 * k;
		wfrom[0] = ymd_days(y0, 1, 1);
		wto[0] = ymd_days(y0 + 1, 12, 31);
		nwin = 1;
		if (t->alternate)
			win_dir = (k % 2 == 0) == (strcmp(t->alternate,
							  "out") == 0)
					  ? "out" : "in";
		break;
	}
	}
	w = cJSON_AddObjectToObject(obj, "window");
	if (!w || !add_date(w, "from", wfrom[0]) ||
	    !add_date(w, "to", wto[nwin - 1]))
		return -1;

	if (t->each == EACH_PROVINCE) {
		for (size_t i = 0; i < proto_provinces.count && i < 8; i++)
			units[nunits++] = proto_provinces.entries[i].name;
	} else if (t->each == EACH_DIRECTION) {
		units[nunits++] = "out";
		units[nunits++] = "in";
	} else {
		units[nunits++] = NULL;
	}

	list = cJSON_CreateArray();
	if (!list)
		return -1;
	for (size_t wi = 0; wi < nwin; wi++) {
		long upto = wto[wi] < upto_day ? wto[wi] : upto_day;
		for (size_t u = 0; u < nunits; u++) {
			const char *prov = t->each == EACH_PROVINCE ? units[u]
								    : NULL;
			const char *dir = t->each == EACH_DIRECTION ? units[u]
								    : win_dir;
			long long raw = 0;
			int met, closed = wto[wi] <= as_of;
			cJSON *c = cJSON_CreateObject();

			if (!c || !cJSON_AddItemToArray(list, c)) {
				cJSON_Delete(c);
				cJSON_Delete(list);
				return -1;
			}
			for (size_t i = 0; i < nacts; i++)
				if (acts[i].start >= wfrom[wi] &&
				    acts[i].start <= upto &&
				    matches(ts, t, &acts[i], prov, dir))
					raw += measure(t, &acts[i]);
			met = raw >= t->min;
			cells++;
			cells_met += met;
			missed |= !met && closed;
			expected += t->min;
			actual += raw < t->min ? raw : t->min;
			if (!add_str(c, "unit", units[u] ? units[u] : "all") ||
			    !add_date(c, "from", wfrom[wi]) ||
			    !add_date(c, "to", wto[wi]) ||
			    (dir && !add_str(c, "direction", dir)) ||
			    !add_num(c, "expected", (double)t->min) ||
			    !add_num(c, "actual", (double)raw) ||
			    !cJSON_AddBoolToObject(c, "met", met) ||
			    !cJSON_AddBoolToObject(c, "closed", closed)) {
				cJSON_Delete(list);
				return -1;
			}
		}
	}
	status = cells_met == cells ? "met" : missed ? "missed" : "pending";
	if (!add_str(obj, "status", status) ||
	    !cJSON_AddBoolToObject(obj, "met", cells_met == cells) ||
	    !add_num(obj, "expected", (double)expected) ||
	    !add_num(obj, "actual", (double)actual) ||
	    !add_num(obj, "cells", cells) ||
	    !add_num(obj, "cells_met", cells_met)) {
		cJSON_Delete(list);
		return -1;
	}
	cJSON_AddItemToObject(obj, "cell_list", list);
	return 0;
}

int srv_targets_eval(const srv_targets *t, const srv_activity *acts,
		     size_t nacts, int year, long upto, long as_of,
		     cJSON **out)
{
	cJSON *arr;

	*out = NULL;
	arr = cJSON_CreateArray();
	if (!arr)
		return -1;
	for (size_t i = 0; t && i < t->n; i++) {
		cJSON *o = cJSON_CreateObject();
		if (!o || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			cJSON_Delete(arr);
			return -1;
		}
		if (eval_one(t, &t->t[i], acts, nacts, year, upto, as_of,
			     o) != 0) {
			cJSON_Delete(arr);
			return -1;
		}
	}
	*out = arr;
	return 0;
}

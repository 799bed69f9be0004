/*
** This file contains the report as the Word document HQ sends the province
** (`fieldsyncd report --format docx`): WordprocessingML written by hand and
** packed with libzip. The parts, each a ZIP entry:
**
**   [Content_Types].xml           the media type of every part
**   _rels/.rels                   the package's relationships: the document
**                                 and its core properties
**   docProps/core.xml             title and language
**   word/document.xml             the text: paragraphs (w:p, with a style:
**                                 Title, Subtitle, Heading1..3, Normal) and
**                                 tables (w:tbl, style TableGrid, the first
**                                 row repeated on every page)
**   word/styles.xml               those styles: fonts, sizes, spacing, the
**                                 language (w:lang) of the document
**   word/_rels/document.xml.rels  the document's link to its styles
**
** Every text from a record goes through xml_text(), which escapes & < > "
** and drops the characters XML 1.0 cannot carry (C0 controls but tab and
** newline; records are valid UTF-8 already).
**
** CONTENTS, in the document's language (po/ catalogs): the sending body,
** the title and the period in words with its dates and deadline; I. a
** summary (sentences, and a table by province); II. one numbered section
** per sector of the programme (the document's by_sector order) with its
** delegation visits (out and in), expert trips and demonstration models,
** each as a sentence and then as a table, the models' observations of the
** period, the sector's scholarships and friendship works; a sector with
** nothing says so in one line; III. the targets of the year with
** expected, actual, status (a broken targets file: one paragraph with its
** message instead); IV. open conflicts and devices not heard
** from. Each entry names its author: "author" of the document, else its
** device id. Numbers as the language writes them (3,8 in Vietnamese).
*/
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>
#include "protocol/i18n.h"
#include "protocol/proto.h"
#include "protocol/records.h"
#include "report_lang.h"
#include "textbuf.h"

/* ---- an XML buffer -------------------------------------------------------- */

typedef srv_textbuf xb;

/* Text as XML character data. */
static void xml_text(xb *b, const char *s)
{
	const char *run = s;

	for (; s && *s; s++) {
		const char *rep = NULL;
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		default:
			if (c < 0x20 && c != '\t' && c != '\n')
				rep = "";
		}
		if (rep) {
			srv_textbuf_put(b, run, (size_t)(s - run));
			srv_textbuf_puts(b, rep);
			run = s + 1;
		}
	}
	if (run && s)
		srv_textbuf_put(b, run, (size_t)(s - run));
}

/* ---- text helpers --------------------------------------------------------- */

/* printf into a malloc'd string; NULL when out of memory. */
static char *aprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *aprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !(s = malloc((size_t)n + 1)))
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = get(o, k);

	return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

static long num(const cJSON *o, const char *k)
{
	const cJSON *v = get(o, k);

	return cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
}

static int has_num(const cJSON *o, const char *k)
{
	return cJSON_IsNumber(get(o, k));
}

/* The report's context while writing. */
typedef struct ctx {
	const cJSON *doc;
	const char *lang;
	xb d;                  /* word/document.xml */
} ctx;

#define T(s) srv_rtr(c->lang, s)

static const char *dec(const ctx *c, const cJSON *o, const char *k,
		       char *buf, size_t n)
{
	const cJSON *v = get(o, k);

	if (!cJSON_IsNumber(v)) {
		snprintf(buf, n, "—");
		return buf;
	}
	return srv_report_num(c->lang, v->valuedouble, buf, n);
}

/* Who recorded an entry: its author's name, else the device id. */
static const char *author(const cJSON *o)
{
	const char *a = str(o, "author");

	if (a)
		return a;
	a = str(o, "author_device");
	return a ? a : "—";
}

/* Text without a final full stop, for a sentence that adds its own. */
static char *nodot(const char *s)
{
	char *r = aprintf("%s", s ? s : "");
	size_t n = r ? strlen(r) : 0;

	while (r && n && (r[n - 1] == '.' || r[n - 1] == ' '))
		r[--n] = '\0';
	return r;
}

/* The first letter in capitals where it has them (ASCII and the
** Vietnamese đ; Lao has no case). s is modified. */
static void capitalize(char *s)
{
	unsigned char *u = (unsigned char *)s;

	if (u[0] >= 'a' && u[0] <= 'z')
		u[0] = (unsigned char)toupper(u[0]);
	else if (u[0] == 0xC4 && u[1] == 0x91)
		u[1] = 0x90;
}

/* ---- WordprocessingML ----------------------------------------------------- */

static void para(ctx *c, const char *style, const char *text)
{
	srv_textbuf_puts(&c->d, "<w:p>");
	if (style)
		srv_textbuf_printf(&c->d, "<w:pPr><w:pStyle w:val=\"%s\"/></w:pPr>", style);
	srv_textbuf_puts(&c->d, "<w:r><w:t xml:space=\"preserve\">");
	xml_text(&c->d, text);
	srv_textbuf_puts(&c->d, "</w:t></w:r></w:p>");
}

/* A paragraph of sentences: each non-NULL piece one run, joined by a
** space; the pieces are freed. */
static void para_free(ctx *c, char **pieces, size_t n)
{
	int first = 1;

	srv_textbuf_puts(&c->d, "<w:p>");
	for (size_t i = 0; i < n; i++) {
		if (!pieces[i])
			continue;
		srv_textbuf_puts(&c->d, "<w:r><w:t xml:space=\"preserve\">");
		if (!first)
			srv_textbuf_puts(&c->d, " ");
		xml_text(&c->d, pieces[i]);
		srv_textbuf_puts(&c->d, "</w:t></w:r>");
		first = 0;
		free(pieces[i]);
	}
	srv_textbuf_puts(&c->d, "</w:p>");
}

static void table_begin(ctx *c, size_t ncols)
{
	srv_textbuf_puts(&c->d, "<w:tbl><w:tblPr><w:tblStyle w:val=\"TableGrid\"/>"
		   "<w:tblW w:w=\"5000\" w:type=\"pct\"/>"
		   "<w:tblLook w:val=\"04A0\" w:firstRow=\"1\"/></w:tblPr>"
		   "<w:tblGrid>");
	for (size_t i = 0; i < ncols; i++)
		srv_textbuf_printf(&c->d, "<w:gridCol w:w=\"%zu\"/>", 9600 / ncols);
	srv_textbuf_puts(&c->d, "</w:tblGrid>");
}

static void table_row(ctx *c, const char *const *cells, size_t n, int head)
{
	srv_textbuf_puts(&c->d, "<w:tr>");
	if (head)
		srv_textbuf_puts(&c->d, "<w:trPr><w:tblHeader/></w:trPr>");
	for (size_t i = 0; i < n; i++) {
		srv_textbuf_puts(&c->d, "<w:tc><w:tcPr><w:tcW w:w=\"0\" w:type=\"auto\"/>");
		if (head)
			srv_textbuf_puts(&c->d, "<w:shd w:val=\"clear\" w:color=\"auto\" "
				   "w:fill=\"D9E2F3\"/>");
		srv_textbuf_puts(&c->d, "</w:tcPr><w:p><w:pPr><w:pStyle "
			   "w:val=\"TableText\"/></w:pPr><w:r>");
		if (head)
			srv_textbuf_puts(&c->d, "<w:rPr><w:b/></w:rPr>");
		srv_textbuf_puts(&c->d, "<w:t xml:space=\"preserve\">");
		xml_text(&c->d, cells[i] ? cells[i] : "");
		srv_textbuf_puts(&c->d, "</w:t></w:r></w:p></w:tc>");
	}
	srv_textbuf_puts(&c->d, "</w:tr>");
}

static void table_end(ctx *c)
{
	srv_textbuf_puts(&c->d, "</w:tbl>");
	/* An empty paragraph keeps two tables apart. */
	srv_textbuf_puts(&c->d, "<w:p/>");
}

static void table_head(ctx *c, const char *const *msgids, size_t n)
{
	const char *h[16];

	for (size_t i = 0; i < n && i < 16; i++)
		h[i] = T(msgids[i]);
	table_begin(c, n);
	table_row(c, h, n, 1);
}

#define NC(a) (sizeof(a) / sizeof((a)[0]))

/* ---- sections ------------------------------------------------------------- */

static const char *const roman[] = {"I", "II", "III", "IV", "V"};

static void heading1(ctx *c, int n, const char *text)
{
	char *h = aprintf("%s. %s", roman[n], text);

	para(c, "Heading1", h ? h : text);
	free(h);
}

static void summary(ctx *c)
{
	const cJSON *t = get(c->doc, "totals"), *s = get(c->doc, "summary");
	const cJSON *tg = get(c->doc, "targets");
	char *p[5];
	static const char *const head[] = {
		N_("Province"), N_("Visits out"), N_("Visits in"),
		N_("Trips"), N_("Trained"), N_("Patients")};

	heading1(c, 0, T(N_("Summary")));
	p[0] = aprintf(T(N_("Delegation visits: %ld outbound (%ld members), "
			    "%ld inbound (%ld members).")),
		       num(t, "visits_out"), num(t, "members_out"),
		       num(t, "visits_in"), num(t, "members_in"));
	p[1] = aprintf(T(N_("Expert trips: %ld (%ld expert-days); %ld "
			    "trainings, %ld people trained, %ld patients "
			    "seen.")),
		       num(t, "trips"), num(t, "expert_days"),
		       num(t, "trainings"), num(t, "trained"),
		       num(t, "patients"));
	p[2] = aprintf(T(N_("Demonstration models: %ld, of which %ld without "
			    "a recent observation.")),
		       num(s, "models"), num(s, "models_stale"));
	p[3] = str(tg, "error")
	       ? aprintf(T(N_("Targets of %ld: not evaluated, the targets "
			      "file has a mistake (see section III).")),
			 num(tg, "year"))
	       : aprintf(T(N_("Targets of %ld: %ld of %ld met.")),
			 num(tg, "year"), num(s, "targets_met"),
			 num(s, "targets"));
	p[4] = aprintf(T(N_("Devices not heard from: %ld; open conflicts: "
			    "%ld.")),
		       num(s, "devices_not_synced"), num(s, "open_conflicts"));
	para_free(c, p, NC(p));
	table_head(c, head, NC(head));
	for (const cJSON *r = get(c->doc, "by_province") ?
		     get(c->doc, "by_province")->child : NULL; r; r = r->next) {
		char v[5][24];
		const char *cells[6];
		cells[0] = srv_report_ref(c->lang, &proto_provinces,
					  str(r, "province"));
		snprintf(v[0], 24, "%ld", num(r, "visits_out"));
		snprintf(v[1], 24, "%ld", num(r, "visits_in"));
		snprintf(v[2], 24, "%ld", num(r, "trips"));
		snprintf(v[3], 24, "%ld", num(r, "trained"));
		snprintf(v[4], 24, "%ld", num(r, "patients"));
		for (int i = 0; i < 5; i++)
			cells[i + 1] = v[i];
		table_row(c, cells, 6, 0);
	}
	{
		char v[5][24];
		const char *cells[6] = {T(N_("Total"))};
		snprintf(v[0], 24, "%ld", num(t, "visits_out"));
		snprintf(v[1], 24, "%ld", num(t, "visits_in"));
		snprintf(v[2], 24, "%ld", num(t, "trips"));
		snprintf(v[3], 24, "%ld", num(t, "trained"));
		snprintf(v[4], 24, "%ld", num(t, "patients"));
		for (int i = 0; i < 5; i++)
			cells[i + 1] = v[i];
		table_row(c, cells, 6, 0);
	}
	table_end(c);
}

/* Is entry o of sector sect ("unspecified": none)? */
static int of_sector(const cJSON *o, const char *sect)
{
	const char *s = str(o, "sector");

	return s ? strcmp(s, sect) == 0 : strcmp(sect, "unspecified") == 0;
}

static size_t count_sector(const cJSON *arr, const char *sect)
{
	size_t n = 0;

	for (const cJSON *o = arr ? arr->child : NULL; o; o = o->next)
		n += (size_t)of_sector(o, sect);
	return n;
}

static char *dates_text(const cJSON *o)
{
	char f[16], t[16];
	const char *end = str(o, "end"), *start = str(o, "start");

	srv_report_date(start, f, sizeof f);
	if (!end || (start && strcmp(end, start) == 0))
		return aprintf("%s", f);
	srv_report_date(end, t, sizeof t);
	return aprintf("%s – %s", f, t);
}

static char *leader_text(const cJSON *v)
{
	const char *l = str(v, "leader"), *t = str(v, "title");

	return t ? aprintf("%s (%s)", l ? l : "—", t)
		 : aprintf("%s", l ? l : "—");
}

static void visits(ctx *c, const char *sect)
{
	static const char *const head[] = {
		N_("Date"), N_("Direction"), N_("Province"),
		N_("Delegation leader"), N_("Leader's title"), N_("Members"),
		N_("Purpose"), N_("Outcome"), N_("Recorded by")};
	const cJSON *arr = get(c->doc, "visits");

	if (!count_sector(arr, sect))
		return;
	para(c, "Heading3", T(N_("Delegation visits")));
	for (const cJSON *v = arr->child; v; v = v->next) {
		char *p[4], *d, *l, *pu, *ou;
		const char *prov;
		if (!of_sector(v, sect))
			continue;
		d = dates_text(v);
		l = leader_text(v);
		prov = srv_report_ref(c->lang, &proto_provinces,
				      str(v, "province"));
		if (str(v, "direction") && strcmp(str(v, "direction"), "in") == 0)
			p[0] = aprintf(T(N_("%s: a delegation of %ld from %s "
					    "led by %s was received in Gia "
					    "Lai.")), d ? d : "",
				       num(v, "members"), prov, l ? l : "");
		else
			p[0] = aprintf(T(N_("%s: a delegation of %ld led by %s "
					    "went to %s.")), d ? d : "",
				       num(v, "members"), l ? l : "", prov);
		pu = str(v, "purpose") ? nodot(str(v, "purpose")) : NULL;
		ou = str(v, "outcome") ? nodot(str(v, "outcome")) : NULL;
		p[1] = pu ? aprintf(T(N_("Purpose: %s.")), pu) : NULL;
		p[2] = ou ? aprintf(T(N_("Outcome: %s.")), ou) : NULL;
		p[3] = aprintf(T(N_("Recorded by %s.")), author(v));
		para_free(c, p, NC(p));
		free(d);
		free(l);
		free(pu);
		free(ou);
	}
	table_head(c, head, NC(head));
	for (const cJSON *v = arr->child; v; v = v->next) {
		char *d, m[24];
		const char *cells[9];
		if (!of_sector(v, sect))
			continue;
		d = dates_text(v);
		snprintf(m, sizeof m, "%ld", num(v, "members"));
		cells[0] = d ? d : "";
		cells[1] = str(v, "direction") &&
			   strcmp(str(v, "direction"), "in") == 0
			   ? T(N_("inbound")) : T(N_("outbound"));
		cells[2] = srv_report_ref(c->lang, &proto_provinces,
					  str(v, "province"));
		cells[3] = str(v, "leader");
		cells[4] = str(v, "title");
		cells[5] = m;
		cells[6] = str(v, "purpose");
		cells[7] = str(v, "outcome");
		cells[8] = author(v);
		table_row(c, cells, 9, 0);
		free(d);
	}
	table_end(c);
}

static void trips(ctx *c, const char *sect)
{
	static const char *const head[] = {
		N_("Dates"), N_("Experts"), N_("Specialty"), N_("Site"),
		N_("Trainings"), N_("People trained"), N_("Patients"),
		N_("Outcome"), N_("Recorded by")};
	const cJSON *arr = get(c->doc, "trips");

	if (!count_sector(arr, sect))
		return;
	para(c, "Heading3", T(N_("Expert trips")));
	for (const cJSON *t = arr->child; t; t = t->next) {
		char *p[4], *d, *ou;
		const char *prov, *spec, *site = str(t, "site");
		if (!of_sector(t, sect))
			continue;
		d = dates_text(t);
		prov = srv_report_ref(c->lang, &proto_provinces,
				      str(t, "province"));
		spec = srv_report_ref(c->lang, &proto_specialties,
				      str(t, "specialty"));
		if (site)
			p[0] = aprintf(T(N_("%s: %s (%s) worked at %s, %s.")),
				       d ? d : "", str(t, "expert") ?
				       str(t, "expert") : "—", spec, site, prov);
		else
			p[0] = aprintf(T(N_("%s: %s (%s) worked in %s.")),
				       d ? d : "", str(t, "expert") ?
				       str(t, "expert") : "—", spec, prov);
		p[1] = aprintf(T(N_("Experts: %ld; trainings: %ld; people "
				    "trained: %ld; patients seen: %ld.")),
			       num(t, "experts"), num(t, "trainings"),
			       num(t, "trained"), num(t, "patients"));
		ou = str(t, "outcome") ? nodot(str(t, "outcome")) : NULL;
		p[2] = ou ? aprintf(T(N_("Outcome: %s.")), ou) : NULL;
		p[3] = aprintf(T(N_("Recorded by %s.")), author(t));
		para_free(c, p, NC(p));
		free(d);
		free(ou);
	}
	table_head(c, head, NC(head));
	for (const cJSON *t = arr->child; t; t = t->next) {
		char *d, *ex, v[3][24];
		const char *cells[9];
		if (!of_sector(t, sect))
			continue;
		d = dates_text(t);
		ex = aprintf("%s (%ld)", str(t, "expert") ? str(t, "expert")
			     : "—", num(t, "experts"));
		snprintf(v[0], 24, "%ld", num(t, "trainings"));
		snprintf(v[1], 24, "%ld", num(t, "trained"));
		snprintf(v[2], 24, "%ld", num(t, "patients"));
		cells[0] = d ? d : "";
		cells[1] = ex ? ex : "";
		cells[2] = srv_report_ref(c->lang, &proto_specialties,
					  str(t, "specialty"));
		cells[3] = str(t, "site") ? str(t, "site")
			   : srv_report_ref(c->lang, &proto_provinces,
					    str(t, "province"));
		cells[4] = v[0];
		cells[5] = v[1];
		cells[6] = v[2];
		cells[7] = str(t, "outcome");
		cells[8] = author(t);
		table_row(c, cells, 9, 0);
		free(d);
		free(ex);
	}
	table_end(c);
}

static char *place_text(const ctx *c, const cJSON *m)
{
	const char *prov = srv_report_ref(c->lang, &proto_provinces,
					  str(m, "province"));
	const char *d = str(m, "district"), *v = str(m, "village");

	if (d && v)
		return aprintf("%s, %s, %s", prov, d, v);
	if (d || v)
		return aprintf("%s, %s", prov, d ? d : v);
	return aprintf("%s", prov);
}

/* The models' sentence, the programme's own example: "Salavan — ngô nếp:
** 5 ha kế hoạch, 42 hộ; đã gieo 3,8 ha (76 %)". */
static char *model_sentence(const ctx *c, const cJSON *m)
{
	char pl[32], hh[32], sown[32], pct[32];
	const char *prov = srv_report_ref(c->lang, &proto_provinces,
					  str(m, "province"));
	const char *crop = str(m, "crop") ? str(m, "crop") : "—";

	dec(c, m, "planned_ha", pl, sizeof pl);
	snprintf(hh, sizeof hh, "%ld", num(m, "planned_households"));
	if (!has_num(m, "sown_ha"))
		/* TRANSLATORS: a demonstration model: province — crop:
		** planned hectares, planned households. */
		return aprintf(T(N_("%s — %s: %s ha planned, %s households; "
				    "no observation yet")), prov, crop, pl, hh);
	dec(c, m, "sown_ha", sown, sizeof sown);
	if (!has_num(m, "percent"))
		return aprintf(T(N_("%s — %s: %s ha planned, %s households; "
				    "%s ha sown")), prov, crop, pl, hh, sown);
	dec(c, m, "percent", pct, sizeof pct);
	/* TRANSLATORS: a demonstration model: province — crop: planned
	** hectares, planned households; hectares sown so far (percent of
	** the plan). Vietnamese: "Salavan — ngô nếp: 5 ha kế hoạch, 42 hộ;
	** đã gieo 3,8 ha (76 %)". */
	return aprintf(T(N_("%s — %s: %s ha planned, %s households; %s ha "
			    "sown (%s%%)")), prov, crop, pl, hh, sown, pct);
}

static void observations(ctx *c, const char *sect)
{
	static const char *const head[] = {
		N_("Observation date"), N_("Model"), N_("Area sown"),
		N_("Households"), N_("Notes"), N_("Recorded by")};
	const cJSON *arr = get(c->doc, "observations");
	const cJSON *models = get(c->doc, "models");
	size_t n = 0;

	/* An observation is of the sector of its model. */
	for (int pass = 0; pass < 2; pass++) {
		for (const cJSON *o = arr ? arr->child : NULL; o; o = o->next) {
			const cJSON *m = NULL;
			char dt[16], ha[32], hh[24], *what;
			const char *cells[6];
			for (m = models ? models->child : NULL; m; m = m->next)
				if (str(m, "id") && str(o, "model") &&
				    strcmp(str(m, "id"), str(o, "model")) == 0)
					break;
			if (!m || !of_sector(m, sect))
				continue;
			if (pass == 0) {
				n++;
				continue;
			}
			what = aprintf("%s — %s", srv_report_ref(c->lang,
				       &proto_provinces, str(o, "province")),
				       str(o, "crop") ? str(o, "crop") : "—");
			srv_report_date(str(o, "date"), dt, sizeof dt);
			dec(c, o, "sown_ha", ha, sizeof ha);
			snprintf(hh, sizeof hh, "%ld", num(o, "households"));
			cells[0] = dt;
			cells[1] = what ? what : "";
			cells[2] = ha;
			cells[3] = hh;
			cells[4] = str(o, "notes");
			cells[5] = author(o);
			table_row(c, cells, 6, 0);
			free(what);
		}
		if (pass == 0) {
			if (!n)
				return;
			para(c, "Heading3", T(N_("Progress observations")));
			table_head(c, head, NC(head));
		}
	}
	table_end(c);
}

static void models(ctx *c, const char *sect)
{
	static const char *const head[] = {
		N_("Crop or breed"), N_("Place"), N_("Planned ha"),
		N_("Sown ha"), N_("Households"), N_("Done %"),
		N_("Latest observation"), N_("Notes"), N_("Recorded by")};
	const cJSON *arr = get(c->doc, "models");
	int stale_days = (int)num(get(c->doc, "thresholds"), "stale_days");

	if (!count_sector(arr, sect))
		return;
	para(c, "Heading3", T(N_("Demonstration models")));
	for (const cJSON *m = arr->child; m; m = m->next) {
		char *p[4], dt[16], hh[24], *no;
		if (!of_sector(m, sect))
			continue;
		p[0] = model_sentence(c, m);
		if (p[0]) { /* the sentence, then its full stop */
			char *s = aprintf("%s.", p[0]);
			free(p[0]);
			p[0] = s;
		}
		p[1] = NULL;
		if (str(m, "last_observation")) {
			srv_report_date(str(m, "last_observation"), dt,
					sizeof dt);
			snprintf(hh, sizeof hh, "%ld", num(m, "households"));
			no = str(m, "notes") ? nodot(str(m, "notes")) : NULL;
			p[1] = no ? aprintf(T(N_("Latest observation %s: %s "
						 "households take part; notes: "
						 "%s.")), dt, hh, no)
				  : aprintf(T(N_("Latest observation %s: %s "
						 "households take part.")),
					    dt, hh);
			free(no);
		}
		p[2] = cJSON_IsTrue(get(m, "stale"))
		       ? aprintf(T(N_("No observation in the last %d days.")),
				 stale_days) : NULL;
		p[3] = aprintf(T(N_("Recorded by %s.")), author(m));
		para_free(c, p, NC(p));
	}
	table_head(c, head, NC(head));
	for (const cJSON *m = arr->child; m; m = m->next) {
		char pl[32], so[32], pc[32], hh[48], dt[16], *place;
		const char *cells[9];
		if (!of_sector(m, sect))
			continue;
		place = place_text(c, m);
		dec(c, m, "planned_ha", pl, sizeof pl);
		dec(c, m, "sown_ha", so, sizeof so);
		dec(c, m, "percent", pc, sizeof pc);
		if (has_num(m, "households"))
			snprintf(hh, sizeof hh, "%ld / %ld",
				 num(m, "households"),
				 num(m, "planned_households"));
		else
			snprintf(hh, sizeof hh, "— / %ld",
				 num(m, "planned_households"));
		srv_report_date(str(m, "last_observation"), dt, sizeof dt);
		cells[0] = str(m, "crop");
		cells[1] = place ? place : "";
		cells[2] = pl;
		cells[3] = so;
		cells[4] = hh;
		cells[5] = pc;
		cells[6] = dt;
		cells[7] = str(m, "notes");
		cells[8] = author(m);
		table_row(c, cells, 9, 0);
		free(place);
	}
	table_end(c);
	observations(c, sect);
}

/* Scholarships (education) and friendship works: their own sectors. */
static size_t extra_items(ctx *c, const char *sect, int write)
{
	size_t n = 0;

	if (strcmp(sect, "education") == 0) {
		for (const cJSON *e = get(c->doc, "education") ?
			     get(c->doc, "education")->child : NULL; e;
		     e = e->next, n++) {
			char *p[1], rate[32];
			if (!write)
				continue;
			dec(c, e, "rate", rate, sizeof rate);
			p[0] = aprintf(T(N_("Scholarships %s, %s: %ld awarded, "
					    "%ld enrolled (%s%%).")),
				       str(e, "academic_year") ?
				       str(e, "academic_year") : "",
				       srv_report_ref(c->lang, &proto_provinces,
						      str(e, "province")),
				       num(e, "awarded"), num(e, "enrolled"),
				       rate);
			para_free(c, p, 1);
		}
	}
	if (strcmp(sect, "friendship-works") == 0) {
		for (const cJSON *w = get(c->doc, "works") ?
			     get(c->doc, "works")->child : NULL; w;
		     w = w->next, n++) {
			char *p[1], bud[64], dis[64], pct[32];
			if (!write)
				continue;
			if (proto_money_format(num(w, "budget"), c->lang, 0,
					       bud, sizeof bud))
				snprintf(bud, sizeof bud, "—");
			if (proto_money_format(num(w, "disbursed"), c->lang, 0,
					       dis, sizeof dis))
				snprintf(dis, sizeof dis, "—");
			dec(c, w, "built_pct", pct, sizeof pct);
			p[0] = aprintf(T(N_("%s — %s: budget %s, disbursed %s, "
					    "%s%% built.")),
				       srv_report_ref(c->lang, &proto_provinces,
						      str(w, "province")),
				       str(w, "name") ? str(w, "name") : "—",
				       bud, dis, pct);
			para_free(c, p, 1);
		}
	}
	return n;
}

static void sectors(ctx *c)
{
	int i = 0;

	heading1(c, 1, T(N_("Results by sector")));
	for (const cJSON *s = get(c->doc, "by_sector") ?
		     get(c->doc, "by_sector")->child : NULL; s; s = s->next) {
		const char *sect = str(s, "sector");
		char *h, *name;
		if (!sect)
			continue;
		name = aprintf("%s", strcmp(sect, "unspecified") == 0
			       ? T(N_("sector not given"))
			       : srv_report_ref(c->lang, &proto_sectors, sect));
		if (name)
			capitalize(name);
		h = aprintf("%d. %s", ++i, name ? name : sect);
		para(c, "Heading2", h ? h : sect);
		free(h);
		free(name);
		if (!count_sector(get(c->doc, "visits"), sect) &&
		    !count_sector(get(c->doc, "trips"), sect) &&
		    !count_sector(get(c->doc, "models"), sect) &&
		    !extra_items(c, sect, 0)) {
			para(c, NULL, T(N_("Nothing to report in this sector "
					   "for the period.")));
			continue;
		}
		visits(c, sect);
		trips(c, sect);
		models(c, sect);
		if (extra_items(c, sect, 0)) {
			para(c, "Heading3", strcmp(sect, "education") == 0
			     ? T(N_("Scholarships")) : T(N_("Friendship works")));
			extra_items(c, sect, 1);
		}
	}
}

static const char *status_text(const ctx *c, const char *st)
{
	if (!st)
		return "";
	if (strcmp(st, "met") == 0)
		/* TRANSLATORS: a target's status. */
		return T(N_("met"));
	if (strcmp(st, "missed") == 0)
		/* TRANSLATORS: a target's status: its window closed short. */
		return T(N_("missed"));
	if (strcmp(st, "pending") == 0)
		/* TRANSLATORS: a target's status: not met yet, still open. */
		return T(N_("pending"));
	return T(N_("not applicable"));
}

static void targets(ctx *c)
{
	static const char *const head[] = {
		N_("Target"), N_("Expected"), N_("Actual"), N_("Status")};
	const cJSON *tg = get(c->doc, "targets");
	const cJSON *items = get(tg, "items");
	char *h = aprintf(T(N_("Targets of %ld")), num(tg, "year"));

	heading1(c, 2, h ? h : "");
	free(h);
	if (str(tg, "error")) {
		/* A broken targets file: one paragraph with its message (the
		** file, the line, what is wrong and what is allowed); the
		** other sections are whole. */
		char *p[1] = {aprintf(T(N_("The targets file has a mistake, "
					   "so no target is evaluated: %s")),
				      str(tg, "error"))};
		para_free(c, p, 1);
		return;
	}
	if (!items || !items->child) {
		para(c, NULL, T(N_("No targets for this year.")));
		return;
	}
	for (const cJSON *t = items->child; t; t = t->next) {
		char *p[1];
		p[0] = aprintf(T(N_("%s: %ld of %ld (%s).")),
			       str(t, "label") ? str(t, "label") : str(t, "name")
			       ? str(t, "name") : "—", num(t, "actual"),
			       num(t, "expected"),
			       status_text(c, str(t, "status")));
		para_free(c, p, 1);
	}
	table_head(c, head, NC(head));
	for (const cJSON *t = items->child; t; t = t->next) {
		char e[24], a[24];
		const char *cells[4];
		snprintf(e, sizeof e, "%ld", num(t, "expected"));
		snprintf(a, sizeof a, "%ld", num(t, "actual"));
		cells[0] = str(t, "label") ? str(t, "label") : str(t, "name");
		cells[1] = e;
		cells[2] = a;
		cells[3] = status_text(c, str(t, "status"));
		table_row(c, cells, 4, 0);
	}
	table_end(c);
}

/* A JSON value as short text (a conflict's values). */
static char *value_text(const cJSON *v)
{
	char *s;

	if (!v || cJSON_IsNull(v))
		return aprintf("—");
	if (cJSON_IsString(v))
		return aprintf("%s", v->valuestring);
	s = cJSON_PrintUnformatted(v);
	return s;
}

static void devices_and_conflicts(ctx *c)
{
	static const char *const chead[] = {
		N_("Record"), N_("Field"), N_("Value kept"),
		N_("Other value"), N_("Devices")};
	static const char *const dhead[] = {
		N_("Device"), N_("Role"), N_("Id"), N_("Last sync"),
		N_("Days")};
	const cJSON *conf = get(c->doc, "conflicts");
	const cJSON *devs = get(c->doc, "devices");
	long open = num(get(c->doc, "summary"), "open_conflicts");
	int unsynced = (int)num(get(c->doc, "thresholds"), "unsynced_days");
	size_t nd = 0;

	heading1(c, 3, T(N_("Open conflicts and devices not heard from")));
	if (!conf || !conf->child) {
		char *p[1] = {open ? aprintf(T(N_("Open conflicts: %ld.")), open)
			      : aprintf("%s", T(N_("No open conflicts.")))};
		para_free(c, p, 1);
	} else {
		table_head(c, chead, NC(chead));
		for (const cJSON *k = conf->child; k; k = k->next) {
			char *w = value_text(get(k, "winner_value"));
			char *l = value_text(get(k, "loser_value"));
			char *d = aprintf("%.8s…, %.8s…",
					  str(k, "winner_device") ?
					  str(k, "winner_device") : "",
					  str(k, "loser_device") ?
					  str(k, "loser_device") : "");
			const char *cells[5] = {
				str(k, "what") ? str(k, "what") : str(k, "record"),
				str(k, "field"), w, l, d};
			table_row(c, cells, 5, 0);
			free(w);
			free(l);
			free(d);
		}
		table_end(c);
	}
	for (const cJSON *d = devs ? devs->child : NULL; d; d = d->next)
		nd += cJSON_IsTrue(get(d, "not_synced"));
	if (!nd) {
		char *p[1] = {aprintf(T(N_("Every device has synced in the "
					   "last %d days.")), unsynced)};
		para_free(c, p, 1);
		return;
	}
	{
		char *p[1] = {aprintf(T(N_("Devices not heard from in the last "
					   "%d days:")), unsynced)};
		para_free(c, p, 1);
	}
	table_head(c, dhead, NC(dhead));
	for (const cJSON *d = devs->child; d; d = d->next) {
		char ls[16], days[24];
		const char *cells[5];
		if (!cJSON_IsTrue(get(d, "not_synced")))
			continue;
		srv_report_date(str(d, "last_sync"), ls, sizeof ls);
		if (has_num(d, "days_since"))
			snprintf(days, sizeof days, "%ld", num(d, "days_since"));
		else
			snprintf(days, sizeof days, "—");
		cells[0] = str(d, "name");
		cells[1] = str(d, "role");
		cells[2] = str(d, "id");
		cells[3] = ls[0] ? ls : T(N_("never"));
		cells[4] = days;
		table_row(c, cells, 5, 0);
	}
	table_end(c);
}

/* ---- the other parts ------------------------------------------------------ */

static const char *lang_tag(const char *lang)
{
	return strcmp(lang, "lo") == 0 ? "lo-LA"
	       : strcmp(lang, "en") == 0 ? "en-GB" : "vi-VN";
}

static void styles_xml(xb *b, const char *lang)
{
	srv_textbuf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	       "<w:styles xmlns:w=\"http://schemas.openxmlformats.org/"
	       "wordprocessingml/2006/main\">"
	       "<w:docDefaults><w:rPrDefault><w:rPr>"
	       "<w:rFonts w:ascii=\"Times New Roman\" w:hAnsi=\"Times New "
	       "Roman\" w:eastAsia=\"Times New Roman\" w:cs=\"Phetsarath "
	       "OT\"/><w:sz w:val=\"26\"/><w:szCs w:val=\"26\"/>");
	srv_textbuf_printf(b, "<w:lang w:val=\"%s\" w:eastAsia=\"%s\" w:bidi=\"lo-LA\"/>",
	     lang_tag(lang), lang_tag(lang));
	srv_textbuf_puts(b, "</w:rPr></w:rPrDefault><w:pPrDefault><w:pPr>"
	       "<w:spacing w:after=\"120\" w:line=\"288\" w:lineRule=\"auto\"/>"
	       "<w:jc w:val=\"both\"/></w:pPr></w:pPrDefault></w:docDefaults>"
	       "<w:style w:type=\"paragraph\" w:default=\"1\" "
	       "w:styleId=\"Normal\"><w:name w:val=\"Normal\"/><w:qFormat/>"
	       "</w:style>"
	       "<w:style w:type=\"paragraph\" w:styleId=\"Org\"><w:name "
	       "w:val=\"Sender\"/><w:basedOn w:val=\"Normal\"/><w:pPr><w:jc "
	       "w:val=\"center\"/></w:pPr><w:rPr><w:b/><w:caps/></w:rPr>"
	       "</w:style>"
	       "<w:style w:type=\"paragraph\" w:styleId=\"Title\"><w:name "
	       "w:val=\"Title\"/><w:basedOn w:val=\"Normal\"/><w:next "
	       "w:val=\"Normal\"/><w:qFormat/><w:pPr><w:spacing "
	       "w:before=\"240\" w:after=\"120\"/><w:jc w:val=\"center\"/>"
	       "<w:outlineLvl w:val=\"0\"/></w:pPr><w:rPr><w:b/><w:bCs/>"
	       "<w:sz w:val=\"32\"/><w:szCs w:val=\"32\"/></w:rPr></w:style>"
	       "<w:style w:type=\"paragraph\" w:styleId=\"Subtitle\"><w:name "
	       "w:val=\"Subtitle\"/><w:basedOn w:val=\"Normal\"/><w:next "
	       "w:val=\"Normal\"/><w:qFormat/><w:pPr><w:spacing "
	       "w:after=\"360\"/><w:jc w:val=\"center\"/></w:pPr><w:rPr><w:i/>"
	       "</w:rPr></w:style>");
	for (int i = 1; i <= 3; i++)
		srv_textbuf_printf(b, "<w:style w:type=\"paragraph\" w:styleId=\"Heading%d\">"
		     "<w:name w:val=\"heading %d\"/><w:basedOn w:val=\"Normal\"/>"
		     "<w:next w:val=\"Normal\"/><w:qFormat/><w:pPr><w:keepNext/>"
		     "<w:spacing w:before=\"%d\" w:after=\"120\"/><w:jc "
		     "w:val=\"left\"/><w:outlineLvl w:val=\"%d\"/></w:pPr><w:rPr>"
		     "<w:b/><w:bCs/>%s<w:sz w:val=\"%d\"/><w:szCs w:val=\"%d\"/>"
		     "</w:rPr></w:style>", i, i, 360 - 60 * i, i - 1,
		     i == 3 ? "<w:i/>" : "", 32 - 2 * i, 32 - 2 * i);
	srv_textbuf_puts(b, "<w:style w:type=\"paragraph\" w:styleId=\"TableText\"><w:name "
	       "w:val=\"Table text\"/><w:basedOn w:val=\"Normal\"/><w:pPr>"
	       "<w:spacing w:after=\"0\" w:line=\"240\" w:lineRule=\"auto\"/>"
	       "<w:jc w:val=\"left\"/></w:pPr><w:rPr><w:sz w:val=\"18\"/>"
	       "<w:szCs w:val=\"18\"/></w:rPr></w:style>"
	       "<w:style w:type=\"table\" w:default=\"1\" w:styleId=\"TableNormal\">"
	       "<w:name w:val=\"Normal Table\"/><w:tblPr><w:tblInd w:w=\"0\" "
	       "w:type=\"dxa\"/><w:tblCellMar><w:top w:w=\"0\" w:type=\"dxa\"/>"
	       "<w:left w:w=\"108\" w:type=\"dxa\"/><w:bottom w:w=\"0\" "
	       "w:type=\"dxa\"/><w:right w:w=\"108\" w:type=\"dxa\"/>"
	       "</w:tblCellMar></w:tblPr></w:style>"
	       "<w:style w:type=\"table\" w:styleId=\"TableGrid\"><w:name "
	       "w:val=\"Table Grid\"/><w:basedOn w:val=\"TableNormal\"/>"
	       "<w:tblPr><w:tblBorders>");
	{
		static const char *const sides[] = {"top", "left", "bottom",
						    "right", "insideH",
						    "insideV"};
		for (size_t i = 0; i < NC(sides); i++)
			srv_textbuf_printf(b, "<w:%s w:val=\"single\" w:sz=\"4\" "
			     "w:space=\"0\" w:color=\"auto\"/>", sides[i]);
	}
	srv_textbuf_puts(b, "</w:tblBorders></w:tblPr></w:style></w:styles>");
}

static const char content_types[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	"<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/"
	"content-types\">"
	"<Default Extension=\"rels\" ContentType=\"application/"
	"vnd.openxmlformats-package.relationships+xml\"/>"
	"<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
	"<Override PartName=\"/word/document.xml\" ContentType=\"application/"
	"vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>"
	"<Override PartName=\"/word/styles.xml\" ContentType=\"application/"
	"vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>"
	"<Override PartName=\"/docProps/core.xml\" ContentType=\"application/"
	"vnd.openxmlformats-package.core-properties+xml\"/>"
	"</Types>";

static const char package_rels[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/"
	"relationships\">"
	"<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/"
	"officeDocument/2006/relationships/officeDocument\" "
	"Target=\"word/document.xml\"/>"
	"<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/"
	"package/2006/relationships/metadata/core-properties\" "
	"Target=\"docProps/core.xml\"/>"
	"</Relationships>";

static const char document_rels[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/"
	"relationships\">"
	"<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/"
	"officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>"
	"</Relationships>";

static void core_xml(xb *b, const char *title, const char *lang)
{
	srv_textbuf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	       "<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/"
	       "package/2006/metadata/core-properties\" "
	       "xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
	       "<dc:title>");
	xml_text(b, title);
	srv_textbuf_puts(b, "</dc:title><dc:creator>fieldsyncd</dc:creator><dc:language>");
	srv_textbuf_puts(b, lang_tag(lang));
	srv_textbuf_puts(b, "</dc:language></cp:coreProperties>");
}

static void document_xml(ctx *c, const char *title)
{
	const cJSON *f = get(c->doc, "filters");
	char pt[256], asof[16];
	char *p[2];

	srv_textbuf_puts(&c->d, "<?xml version=\"1.0\" encoding=\"UTF-8\" "
		   "standalone=\"yes\"?>\n<w:document xmlns:w=\"http://"
		   "schemas.openxmlformats.org/wordprocessingml/2006/main\">"
		   "<w:body>");
	para(c, "Org", T(N_("Gia Lai Department of Foreign Affairs")));
	para(c, "Title", title);
	if (srv_report_period_text(c->doc, c->lang, pt, sizeof pt) != 0)
		pt[0] = '\0';
	para(c, "Subtitle", pt);
	srv_report_date(str(c->doc, "as_of"), asof, sizeof asof);
	p[0] = aprintf(T(N_("Figures as of %s.")), asof);
	p[1] = NULL;
	if (str(f, "province") || str(f, "sector"))
		p[1] = aprintf(T(N_("Only province %s, sector %s.")),
			       str(f, "province")
			       ? srv_report_ref(c->lang, &proto_provinces,
						str(f, "province")) : "—",
			       str(f, "sector")
			       ? srv_report_ref(c->lang, &proto_sectors,
						str(f, "sector")) : "—");
	para_free(c, p, 2);
	summary(c);
	sectors(c);
	targets(c);
	devices_and_conflicts(c);
	/* A4 portrait, 2 cm margins. */
	srv_textbuf_puts(&c->d, "<w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/>"
		   "<w:pgMar w:top=\"1134\" w:right=\"1134\" w:bottom=\"1134\" "
		   "w:left=\"1134\" w:header=\"709\" w:footer=\"709\" "
		   "w:gutter=\"0\"/></w:sectPr></w:body></w:document>");
}

int srv_report_write_docx(const cJSON *doc, const char *lang,
			  const char *path, char *msg, size_t msgsz)
{
	ctx c = {0};
	xb styles = {0}, core = {0};
	const char *title;
	zip_t *za = NULL;
	int ze = 0, rc = -1;
	struct {
		const char *name, *data;
		size_t len;
	} parts[6];

	if (!lang)
		lang = srv_report_lang(NULL);
	if (!cJSON_IsObject(doc) || !cJSON_IsObject(get(doc, "period"))) {
		snprintf(msg, msgsz, "not a report document");
		return -1;
	}
	c.doc = doc;
	c.lang = lang;
	title = srv_rtr(lang, N_("Report on the implementation of the "
				 "cooperation with the southern Lao "
				 "provinces"));
	document_xml(&c, title);
	styles_xml(&styles, lang);
	core_xml(&core, title, lang);
	if (c.d.oom || styles.oom || core.oom) {
		snprintf(msg, msgsz, "out of memory");
		goto out;
	}
	parts[0].name = "[Content_Types].xml";
	parts[0].data = content_types;
	parts[0].len = sizeof content_types - 1;
	parts[1].name = "_rels/.rels";
	parts[1].data = package_rels;
	parts[1].len = sizeof package_rels - 1;
	parts[2].name = "docProps/core.xml";
	parts[2].data = core.p;
	parts[2].len = core.len;
	parts[3].name = "word/document.xml";
	parts[3].data = c.d.p;
	parts[3].len = c.d.len;
	parts[4].name = "word/styles.xml";
	parts[4].data = styles.p;
	parts[4].len = styles.len;
	parts[5].name = "word/_rels/document.xml.rels";
	parts[5].data = document_rels;
	parts[5].len = sizeof document_rels - 1;
	if (!(za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &ze))) {
		zip_error_t e;
		zip_error_init_with_code(&e, ze);
		snprintf(msg, msgsz, "cannot create %s: %s", path,
			 zip_error_strerror(&e));
		zip_error_fini(&e);
		goto out;
	}
	for (size_t i = 0; i < NC(parts); i++) {
		zip_source_t *src = zip_source_buffer(za, parts[i].data,
						      parts[i].len, 0);
		if (!src || zip_file_add(za, parts[i].name, src,
					 ZIP_FL_OVERWRITE |
					 ZIP_FL_ENC_UTF_8) < 0) {
			snprintf(msg, msgsz, "cannot write %s: %s", path,
				 zip_strerror(za));
			zip_source_free(src);
			zip_discard(za);
			goto out;
		}
	}
	/* The buffers must live until here: zip_close reads them. */
	if (zip_close(za) != 0) {
		snprintf(msg, msgsz, "cannot write %s: %s", path,
			 zip_strerror(za));
		zip_discard(za);
		goto out;
	}
	rc = 0;
out:
	free(c.d.p);
	free(styles.p);
	free(core.p);
	return rc;
}

/*
** This file contains the record-kind table — every kind, every field, its
** type, limits and allowed values — and the reference lists with the
** spellings people actually use. Client and server validate through these
** functions only, so a field added here is known everywhere at once.
*/
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "records.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- reference lists -------------------------------------------------- */

static const proto_ref_entry province_entries[] = {
	{"Attapeu", {"Attapu", "Attopeu", "ອັດຕະປື", "Ắt-tạ-pư", NULL}},
	{"Champasak", {"Champassak", "Champasack", "ຈຳປາສັກ", "Chăm-pa-sắc",
		       NULL}},
	{"Salavan", {"Saravane", "Saravan", "Salavane", "ສາລະວັນ",
		     "Sa-la-van", NULL}},
	{"Sekong", {"Xekong", "Xe Kong", "Se Kong", "ເຊກອງ", "Xê-kông",
		    NULL}},
};
const proto_ref_list proto_provinces = {"province", province_entries,
					N(province_entries)};

static const proto_ref_entry sector_entries[] = {
	{"politics", {"chính trị", NULL}},
	{"education", {"education and training", "giáo dục và đào tạo",
		       "giáo dục", NULL}},
	{"health", {"y tế", "medical", NULL}},
	{"investment", {"hợp tác đầu tư", "đầu tư", NULL}},
	{"industry-trade", {"industry and trade", "trade", "industry",
			    "công thương", NULL}},
	{"agriculture", {"nông nghiệp", NULL}},
	{"science-technology", {"science and technology", "science",
				"khoa học và công nghệ", NULL}},
	{"culture-sports-tourism", {"culture, sports and tourism", "culture",
				    "tourism", "văn hoá, thể thao và du lịch",
				    "văn hóa, thể thao và du lịch",
				    NULL}},
	{"foreign-affairs", {"foreign affairs", "đối ngoại", NULL}},
	{"defence-security", {"defence and security", "defense", "defence",
			      "security", "quốc phòng, an ninh", NULL}},
	{"justice", {"tư pháp", NULL}},
	{"youth", {"youth exchange", "giao lưu thanh niên", NULL}},
	{"friendship-works", {"friendship works", "công trình hữu nghị",
			      NULL}},
};
const proto_ref_list proto_sectors = {"sector", sector_entries,
				      N(sector_entries)};

/* Specialties; the first group is agricultural, the second medical. The
** sector each implies is in specialty_sector below. */
static const proto_ref_entry specialty_entries[] = {
	{"crop", {"crops", "agronomy", "agronomist", NULL}},
	{"livestock", {"animal husbandry", NULL}},
	{"veterinary", {"vet", "veterinarian", NULL}},
	{"aquaculture", {"fisheries", NULL}},
	{"forestry", {NULL}},
	{"irrigation", {NULL}},
	{"mushroom", {"mushrooms", NULL}},
	{"surgery", {"surgeon", NULL}},
	{"obstetrics", {"obstetric", NULL}},
	{"paediatrics", {"pediatrics", "neonatology", NULL}},
	{"internal-medicine", {"internal medicine", "medicine", NULL}},
	{"nursing", {"nurse", NULL}},
	{"public-health", {"public health", NULL}},
	{"traditional-medicine", {"traditional medicine", NULL}},
	{"teaching", {"education", NULL}},
	{"journalism", {"media", "multimedia journalism", NULL}},
	{"other", {NULL}},
};
const proto_ref_list proto_specialties = {"specialty", specialty_entries,
					  N(specialty_entries)};

static const struct {
	const char *specialty, *sector;
} specialty_sector[] = {
	{"crop", "agriculture"}, {"livestock", "agriculture"},
	{"veterinary", "agriculture"}, {"aquaculture", "agriculture"},
	{"forestry", "agriculture"}, {"irrigation", "agriculture"},
	{"mushroom", "science-technology"}, {"surgery", "health"},
	{"obstetrics", "health"}, {"paediatrics", "health"},
	{"internal-medicine", "health"}, {"nursing", "health"},
	{"public-health", "health"}, {"traditional-medicine", "health"},
	{"teaching", "education"}, {"journalism", "foreign-affairs"},
};

static const proto_ref_entry direction_entries[] = {
	{"out", {"outbound", "outgoing", NULL}},
	{"in", {"inbound", "incoming", NULL}},
};
const proto_ref_list proto_directions = {"direction", direction_entries,
					 N(direction_entries)};

/* ---- the kinds -------------------------------------------------------- */

#define NAME PROTO_MAX_NAME_BYTES
#define TEXT PROTO_MAX_TEXT_BYTES
#define HA(x) ((long long)(x) * 100)

static const proto_field_def visit_fields[] = {
	{"direction", PROTO_T_ENUM, 1, 0, 0, 0, &proto_directions, NULL,
	 "out = from Gia Lai to a Lao province, in = to Gia Lai"},
	{"province", PROTO_T_ENUM, 1, 0, 0, 0, &proto_provinces, NULL,
	 "the Lao counterpart province"},
	{"leader", PROTO_T_TEXT, 1, 0, 0, NAME, NULL, NULL,
	 "head of the delegation"},
	{"title", PROTO_T_TEXT, 0, 0, 0, NAME, NULL, NULL,
	 "the leader's title"},
	{"members", PROTO_T_INT, 1, 1, 1000, 0, NULL, "people",
	 "number of members, leader included"},
	{"sector", PROTO_T_ENUM, 1, 0, 0, 0, &proto_sectors, NULL,
	 "programme sector"},
	{"host", PROTO_T_TEXT, 0, 0, 0, NAME, NULL, NULL, "host agency"},
	{"start", PROTO_T_DATE, 1, 0, 0, 0, NULL, NULL, "first day"},
	{"end", PROTO_T_DATE, 0, 0, 0, 0, NULL, NULL,
	 "last day (not before start)"},
	{"purpose", PROTO_T_TEXT, 0, 0, 0, TEXT, NULL, NULL, "purpose"},
	{"outcome", PROTO_T_TEXT, 0, 0, 0, TEXT, NULL, NULL,
	 "what came of it"},
};

static const proto_field_def trip_fields[] = {
	{"expert", PROTO_T_TEXT, 1, 0, 0, NAME, NULL, NULL,
	 "expert or team leader name(s)"},
	{"experts", PROTO_T_INT, 0, 1, 500, 0, NULL, "people",
	 "number of experts (1 if absent)"},
	{"specialty", PROTO_T_ENUM, 1, 0, 0, 0, &proto_specialties, NULL,
	 "expert specialty"},
	{"sector", PROTO_T_ENUM, 0, 0, 0, 0, &proto_sectors, NULL,
	 "programme sector (implied by the specialty if absent)"},
	{"department", PROTO_T_TEXT, 0, 0, 0, NAME, NULL, NULL,
	 "sending department"},
	{"province", PROTO_T_ENUM, 1, 0, 0, 0, &proto_provinces, NULL,
	 "Lao province visited"},
	{"site", PROTO_T_TEXT, 0, 0, 0, NAME, NULL, NULL,
	 "site, e.g. Attapeu provincial hospital"},
	{"start", PROTO_T_DATE, 1, 0, 0, 0, NULL, NULL, "first day"},
	{"end", PROTO_T_DATE, 0, 0, 0, 0, NULL, NULL,
	 "last day (not before start)"},
	{"trainings", PROTO_T_INT, 0, 0, 10000, 0, NULL, "sessions",
	 "trainings held"},
	{"trained", PROTO_T_INT, 0, 0, 100000, 0, NULL, "people",
	 "people trained"},
	{"patients", PROTO_T_INT, 0, 0, 1000000, 0, NULL, "people",
	 "patients seen"},
	{"outcome", PROTO_T_TEXT, 0, 0, 0, TEXT, NULL, NULL,
	 "what came of it"},
};

static const proto_field_def model_fields[] = {
	{"crop", PROTO_T_TEXT, 1, 0, 0, NAME, NULL, NULL,
	 "crop or breed, e.g. sticky maize"},
	{"sector", PROTO_T_ENUM, 0, 0, 0, 0, &proto_sectors, NULL,
	 "programme sector (agriculture if absent)"},
	{"province", PROTO_T_ENUM, 1, 0, 0, 0, &proto_provinces, NULL,
	 "Lao province"},
	{"district", PROTO_T_TEXT, 0, 0, 0, NAME, NULL, NULL, "district"},
	{"village", PROTO_T_TEXT, 0, 0, 0, NAME, NULL, NULL, "village"},
	{"planned_ha", PROTO_T_DECIMAL, 1, 0, HA(1000000), 0, NULL, "ha",
	 "planned area, hectares, up to 2 decimals"},
	{"planned_households", PROTO_T_INT, 1, 0, 100000, 0, NULL,
	 "households", "planned households"},
	{"season", PROTO_T_TEXT, 0, 0, 0, NAME, NULL, NULL,
	 "season, e.g. 2025 rainy season"},
	{"start", PROTO_T_DATE, 0, 0, 0, 0, NULL, NULL, "start date"},
};

static const proto_field_def progress_fields[] = {
	{"model", PROTO_T_ID, 1, 0, 0, 0, NULL, NULL, "the model's id"},
	{"date", PROTO_T_DATE, 1, 0, 0, 0, NULL, NULL, "observation date"},
	{"sown_ha", PROTO_T_DECIMAL, 1, 0, HA(1000000), 0, NULL, "ha",
	 "hectares sown so far (cumulative)"},
	{"households", PROTO_T_INT, 1, 0, 100000, 0, NULL, "households",
	 "households taking part"},
	{"notes", PROTO_T_TEXT, 0, 0, 0, TEXT, NULL, NULL, "notes"},
};

const proto_kind_def proto_kinds[] = {
	{"visit", "visits", visit_fields, N(visit_fields), 0,
	 {"leader", "province", "start", NULL}},
	{"trip", "trips", trip_fields, N(trip_fields), 0,
	 {"expert", "province", "start", NULL}},
	{"model", "models", model_fields, N(model_fields), 0,
	 {"crop", "province", "district", NULL}},
	{"progress", "progress", progress_fields, N(progress_fields), 1,
	 {"date", "sown_ha", NULL, NULL}},
};
const size_t proto_nkinds = N(proto_kinds);

const proto_kind_def *proto_kind_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < proto_nkinds; i++)
		if (strcmp(proto_kinds[i].name, name) == 0 ||
		    strcmp(proto_kinds[i].plural, name) == 0)
			return &proto_kinds[i];
	return NULL;
}

const proto_field_def *proto_field_find(const proto_kind_def *k,
					const char *name)
{
	if (!k || !name)
		return NULL;
	for (size_t i = 0; i < k->nfields; i++)
		if (strcmp(k->fields[i].name, name) == 0)
			return &k->fields[i];
	return NULL;
}

/* Case-insensitive (ASCII letters) compare that also ignores ASCII spaces,
** hyphens and underscores, so "Xe Kong", "xe-kong" and "XEKONG" agree. */
static int loose_eq(const char *a, const char *b)
{
	for (;;) {
		while (*a == ' ' || *a == '-' || *a == '_')
			a++;
		while (*b == ' ' || *b == '-' || *b == '_')
			b++;
		if (!*a || !*b)
			return !*a && !*b;
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
		a++;
		b++;
	}
}

const char *proto_ref_lookup(const proto_ref_list *list, const char *text)
{
	if (!list || !text || !*text)
		return NULL;
	for (size_t i = 0; i < list->count; i++) {
		const proto_ref_entry *e = &list->entries[i];
		if (loose_eq(e->name, text))
			return e->name;
		for (size_t j = 0; j < N(e->aliases) && e->aliases[j]; j++)
			if (loose_eq(e->aliases[j], text))
				return e->name;
	}
	return NULL;
}

const char *proto_ref_names(const proto_ref_list *list)
{
	/* One buffer per list; the lists are constant so the text is too. */
	static char bufs[4][512];
	static const proto_ref_list *owners[4];
	int slot = list == &proto_provinces ? 0
		 : list == &proto_sectors ? 1
		 : list == &proto_specialties ? 2 : 3;

	if (owners[slot] != list) {
		size_t off = 0;
		bufs[slot][0] = '\0';
		for (size_t i = 0; i < list->count && off < 500; i++) {
			int n = snprintf(bufs[slot] + off, 512 - off, "%s%s",
					 i ? ", " : "", list->entries[i].name);
			if (n < 0 || (size_t)n >= 512 - off)
				break;
			off += (size_t)n;
		}
		owners[slot] = list;
	}
	return bufs[slot];
}

const char *proto_specialty_sector(const char *specialty)
{
	for (size_t i = 0; specialty && i < N(specialty_sector); i++)
		if (strcmp(specialty_sector[i].specialty, specialty) == 0)
			return specialty_sector[i].sector;
	return NULL;
}

/* ---- values ----------------------------------------------------------- */

int proto_decimal_get(const cJSON *v, long long *hundredths)
{
	double x, r;

	if (!cJSON_IsNumber(v))
		return -1;
	x = v->valuedouble * 100.0;
	if (!isfinite(x) || fabs(x) > 9.0e15)
		return -1;
	r = nearbyint(x);
	/* Tight enough that 3.80000001 is refused, loose enough for the
	** binary rounding of 3.8 * 100. */
	if (fabs(x - r) > 1e-9 * (fabs(x) > 1 ? fabs(x) : 1))
		return -1;
	*hundredths = (long long)r;
	return 0;
}

cJSON *proto_decimal_new(long long hundredths)
{
	return cJSON_CreateNumber((double)hundredths / 100.0);
}

static int int_get(const cJSON *v, long long *out)
{
	double d;

	if (!cJSON_IsNumber(v))
		return -1;
	d = v->valuedouble;
	if (!isfinite(d) || d != floor(d) || fabs(d) > 9007199254740991.0)
		return -1;
	*out = (long long)d;
	return 0;
}

static void fmt_hundredths(char *buf, size_t n, long long h)
{
	long long a = h < 0 ? -h : h;
	if (a % 100 == 0)
		snprintf(buf, n, "%s%lld", h < 0 ? "-" : "", a / 100);
	else if (a % 10 == 0)
		snprintf(buf, n, "%s%lld.%lld", h < 0 ? "-" : "", a / 100,
			 (a % 100) / 10);
	else
		snprintf(buf, n, "%s%lld.%02lld", h < 0 ? "-" : "", a / 100,
			 a % 100);
}

static const char *type_name(proto_type t)
{
	switch (t) {
	case PROTO_T_TEXT: return "text";
	case PROTO_T_ENUM: return "one of a list";
	case PROTO_T_INT: return "whole number";
	case PROTO_T_DECIMAL: return "number with at most 2 decimals";
	case PROTO_T_DATE: return "date YYYY-MM-DD";
	case PROTO_T_ID: return "record id (32 hex digits)";
	}
	return "value";
}

/* Text may hold newlines and tabs (notes span lines) but no other control
** character: they break tables, CSV and terminals. */
static proto_code check_text(const proto_field_def *f, const char *s,
			     size_t len, proto_err *err)
{
	if (!proto_utf8_valid(s, len))
		return proto_fail(err, PROTO_E_UTF8,
				  "field \"%s\": not valid UTF-8", f->name);
	if (len == 0)
		return proto_fail(err, PROTO_E_VALUE,
				  "field \"%s\": must not be empty", f->name);
	if (len > f->max_len)
		return proto_fail(err, PROTO_E_TOO_LONG,
				  "field \"%s\": %zu bytes, at most %zu "
				  "allowed", f->name, len, f->max_len);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			return proto_fail(err, PROTO_E_VALUE,
					  "field \"%s\": control character "
					  "0x%02x not allowed", f->name, c);
	}
	return PROTO_OK;
}

static proto_code check_range(const proto_field_def *f, long long v,
			      proto_err *err)
{
	char lo[32], hi[32], got[32];

	if (v >= f->min && v <= f->max)
		return PROTO_OK;
	if (f->type == PROTO_T_DECIMAL) {
		fmt_hundredths(lo, sizeof lo, f->min);
		fmt_hundredths(hi, sizeof hi, f->max);
		fmt_hundredths(got, sizeof got, v);
	} else {
		snprintf(lo, sizeof lo, "%lld", f->min);
		snprintf(hi, sizeof hi, "%lld", f->max);
		snprintf(got, sizeof got, "%lld", v);
	}
	return proto_fail(err, PROTO_E_RANGE,
			  "field \"%s\": %s is out of range; allowed %s to "
			  "%s%s%s", f->name, got, lo, hi, f->unit ? " " : "",
			  f->unit ? f->unit : "");
}

proto_code proto_field_check(const proto_field_def *f, const cJSON *v,
			     proto_err *err)
{
	long long n;
	const char *s;

	if (!v)
		return proto_fail(err, PROTO_E_MISSING,
				  "field \"%s\": missing", f->name);
	switch (f->type) {
	case PROTO_T_TEXT:
	case PROTO_T_ENUM:
	case PROTO_T_DATE:
	case PROTO_T_ID:
		if (!cJSON_IsString(v) || !v->valuestring)
			return proto_fail(err, PROTO_E_TYPE,
					  "field \"%s\": expected a string "
					  "(%s)", f->name, type_name(f->type));
		s = v->valuestring;
		if (f->type == PROTO_T_TEXT)
			return check_text(f, s, strlen(s), err);
		if (f->type == PROTO_T_ENUM) {
			for (size_t i = 0; i < f->ref->count; i++)
				if (strcmp(f->ref->entries[i].name, s) == 0)
					return PROTO_OK;
			return proto_fail(err, PROTO_E_VALUE,
					  "field \"%s\": \"%.40s\" is not a "
					  "%s; allowed: %s", f->name, s,
					  f->ref->name, proto_ref_names(f->ref));
		}
		if (f->type == PROTO_T_DATE) {
			if (proto_date_parse(s, NULL) != 0)
				return proto_fail(err, PROTO_E_DATE,
						  "field \"%s\": \"%.40s\" is "
						  "not a date; expected "
						  "YYYY-MM-DD", f->name, s);
			return PROTO_OK;
		}
		if (!proto_id_valid(s))
			return proto_fail(err, PROTO_E_FORMAT,
					  "field \"%s\": not a record id "
					  "(32 lowercase hex digits)", f->name);
		return PROTO_OK;
	case PROTO_T_INT:
		if (!cJSON_IsNumber(v))
			return proto_fail(err, PROTO_E_TYPE,
					  "field \"%s\": expected a whole "
					  "number", f->name);
		/* One code per condition (SPEC 3.1): a fraction is the wrong
		** type, a whole number too large to hold is out of range. */
		if (v->valuedouble != floor(v->valuedouble))
			return proto_fail(err, PROTO_E_TYPE,
					  "field \"%s\": %g is not a whole "
					  "number", f->name, v->valuedouble);
		if (int_get(v, &n) != 0)
			return proto_fail(err, PROTO_E_RANGE,
					  "field \"%s\": %g is out of range; "
					  "allowed %lld to %lld%s%s", f->name,
					  v->valuedouble, f->min, f->max,
					  f->unit ? " " : "",
					  f->unit ? f->unit : "");
		return check_range(f, n, err);
	case PROTO_T_DECIMAL:
		if (!cJSON_IsNumber(v))
			return proto_fail(err, PROTO_E_TYPE,
					  "field \"%s\": expected a number",
					  f->name);
		if (proto_decimal_get(v, &n) != 0)
			return proto_fail(err, PROTO_E_RANGE,
					  "field \"%s\": %g has more than 2 "
					  "decimals or is too large", f->name,
					  v->valuedouble);
		return check_range(f, n, err);
	}
	return proto_fail(err, PROTO_E_TYPE, "field \"%s\": unknown type",
			  f->name);
}

/* Strict decimal text: digits, optionally '.' and 1-2 digits. */
static int parse_decimal_text(const char *t, long long *out)
{
	long long whole = 0, frac = 0;
	int nd = 0, nf = 0;
	const char *p = t;

	while (*p >= '0' && *p <= '9') {
		if (whole > 1000000000000LL)
			return -1;
		whole = whole * 10 + (*p++ - '0');
		nd++;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			if (nf == 2)
				return -2; /* too many decimals */
			frac = frac * 10 + (*p++ - '0');
			nf++;
		}
		if (nf == 0)
			return -1;
	}
	if (*p || (nd == 0 && nf == 0))
		return -1;
	if (nf == 1)
		frac *= 10;
	*out = whole * 100 + frac;
	return 0;
}

static int parse_int_text(const char *t, long long *out)
{
	char *end;
	long long v;

	if (!*t || !(isdigit((unsigned char)*t) || *t == '-' || *t == '+'))
		return -1;
	errno = 0;
	v = strtoll(t, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

proto_code proto_field_parse(const proto_field_def *f, const char *text,
			     cJSON **out, proto_err *err)
{
	proto_code rc;
	long long n;
	const char *canon;
	cJSON *v = NULL;

	*out = NULL;
	if (!text)
		return proto_fail(err, PROTO_E_MISSING, "field \"%s\": "
				  "missing value", f->name);
	switch (f->type) {
	case PROTO_T_TEXT:
		rc = check_text(f, text, strlen(text), err);
		if (rc != PROTO_OK)
			return rc;
		v = cJSON_CreateString(text);
		break;
	case PROTO_T_ENUM:
		if (!proto_utf8_valid(text, strlen(text)))
			return proto_fail(err, PROTO_E_UTF8, "field \"%s\": "
					  "not valid UTF-8", f->name);
		canon = proto_ref_lookup(f->ref, text);
		if (!canon)
			return proto_fail(err, PROTO_E_VALUE,
					  "unknown %s \"%.60s\"; allowed: %s",
					  f->ref->name, text,
					  proto_ref_names(f->ref));
		v = cJSON_CreateString(canon);
		break;
	case PROTO_T_INT:
		if (parse_int_text(text, &n) != 0) {
			if (parse_decimal_text(text, &n) == 0)
				return proto_fail(err, PROTO_E_TYPE,
						  "field \"%s\": \"%.40s\" is "
						  "not a whole number", f->name,
						  text);
			return proto_fail(err, PROTO_E_TYPE,
					  "field \"%s\": \"%.40s\" is not a "
					  "number; expected a whole number",
					  f->name, text);
		}
		rc = check_range(f, n, err);
		if (rc != PROTO_OK)
			return rc;
		v = cJSON_CreateNumber((double)n);
		break;
	case PROTO_T_DECIMAL: {
		const char *t = text;
		int neg = 0, r;
		if (*t == '-') {
			neg = 1;
			t++;
		}
		r = parse_decimal_text(t, &n);
		if (r == -2)
			return proto_fail(err, PROTO_E_RANGE,
					  "field \"%s\": \"%.40s\" has more "
					  "than 2 decimals", f->name, text);
		if (r != 0)
			return proto_fail(err, PROTO_E_TYPE,
					  "field \"%s\": \"%.40s\" is not a "
					  "number; expected e.g. 3.8", f->name,
					  text);
		if (neg)
			n = -n;
		rc = check_range(f, n, err);
		if (rc != PROTO_OK)
			return rc;
		v = proto_decimal_new(n);
		break;
	}
	case PROTO_T_DATE:
		if (proto_date_parse(text, NULL) != 0)
			return proto_fail(err, PROTO_E_DATE,
					  "field \"%s\": \"%.40s\" is not a "
					  "valid date; expected YYYY-MM-DD, "
					  "e.g. 2026-04-10", f->name, text);
		v = cJSON_CreateString(text);
		break;
	case PROTO_T_ID:
		if (!proto_id_valid(text))
			return proto_fail(err, PROTO_E_FORMAT,
					  "field \"%s\": not a record id "
					  "(32 lowercase hex digits)", f->name);
		v = cJSON_CreateString(text);
		break;
	}
	if (!v)
		return proto_fail(err, PROTO_E_NOMEM, "out of memory");
	*out = v;
	return PROTO_OK;
}

proto_code proto_record_check(const proto_kind_def *k, const cJSON *values,
			      int complete, proto_err *err)
{
	const cJSON *start, *end;
	proto_code rc;

	if (!cJSON_IsObject(values))
		return proto_fail(err, PROTO_E_TYPE,
				  "%s: fields must be an object", k->name);
	for (const cJSON *m = values->child; m; m = m->next) {
		const proto_field_def *f = proto_field_find(k, m->string);
		if (!f)
			return proto_fail(err, PROTO_E_UNKNOWN_FIELD,
					  "%s has no field \"%.60s\"", k->name,
					  m->string);
		rc = proto_field_check(f, m, err);
		if (rc != PROTO_OK)
			return rc;
	}
	if (complete) {
		for (size_t i = 0; i < k->nfields; i++)
			if (k->fields[i].required &&
			    !cJSON_GetObjectItemCaseSensitive(
				    values, k->fields[i].name))
				return proto_fail(err, PROTO_E_MISSING,
						  "%s: required field \"%s\" "
						  "missing (%s)", k->name,
						  k->fields[i].name,
						  k->fields[i].help);
	}
	start = cJSON_GetObjectItemCaseSensitive(values, "start");
	end = cJSON_GetObjectItemCaseSensitive(values, "end");
	if (cJSON_IsString(start) && cJSON_IsString(end) &&
	    strcmp(end->valuestring, start->valuestring) < 0)
		return proto_fail(err, PROTO_E_RANGE,
				  "field \"end\": %s is before start %s",
				  end->valuestring, start->valuestring);
	return PROTO_OK;
}

char *proto_value_format(const cJSON *v, char *buf, size_t bufsz)
{
	long long n;

	if (bufsz == 0)
		return buf;
	buf[0] = '\0';
	if (cJSON_IsString(v) && v->valuestring) {
		size_t len = strlen(v->valuestring);
		if (len >= bufsz) {
			len = bufsz - 1;
			/* back up to a UTF-8 lead byte */
			while (len > 0 &&
			       ((unsigned char)v->valuestring[len] & 0xC0) ==
				       0x80)
				len--;
		}
		memcpy(buf, v->valuestring, len);
		buf[len] = '\0';
	} else if (cJSON_IsNumber(v)) {
		if (int_get(v, &n) == 0)
			snprintf(buf, bufsz, "%lld", n);
		else if (proto_decimal_get(v, &n) == 0)
			fmt_hundredths(buf, bufsz, n);
		else
			snprintf(buf, bufsz, "%g", v->valuedouble);
	} else if (cJSON_IsBool(v)) {
		snprintf(buf, bufsz, "%s", cJSON_IsTrue(v) ? "true" : "false");
	}
	return buf;
}

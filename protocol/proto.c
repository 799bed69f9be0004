/*
** This file contains the protocol module's shared helpers: error codes and
** messages, UTF-8 validation, hex, ids, ISO 8601 dates, and the strict JSON
** parser that every untrusted body goes through (cJSON silently accepts
** duplicate keys and stops at a NUL; we refuse both).
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "proto.h"
#include "i18n.h"
#include "changeset.h"

static const char *const code_names[PROTO_E__COUNT] = {
	[PROTO_OK] = "ok",
	[PROTO_E_JSON] = "malformed_json",
	[PROTO_E_TYPE] = "wrong_type",
	[PROTO_E_MISSING] = "missing_field",
	[PROTO_E_RANGE] = "out_of_range",
	[PROTO_E_UTF8] = "invalid_utf8",
	[PROTO_E_TOO_LONG] = "too_long",
	[PROTO_E_UNKNOWN_KIND] = "unknown_kind",
	[PROTO_E_UNKNOWN_FIELD] = "unknown_field",
	[PROTO_E_DUPLICATE_KEY] = "duplicate_key",
	[PROTO_E_VALUE] = "invalid_value",
	[PROTO_E_DATE] = "invalid_date",
	[PROTO_E_FORMAT] = "invalid_format",
	[PROTO_E_SIG_LENGTH] = "bad_signature_length",
	[PROTO_E_BAD_SIG] = "bad_signature",
	[PROTO_E_SEQ_GAP] = "sequence_gap",
	[PROTO_E_CHAIN] = "chain_broken",
	[PROTO_E_TOO_MANY] = "too_many",
	[PROTO_E_TOO_LARGE] = "too_large",
	[PROTO_E_VERSION] = "unsupported_version",
	[PROTO_E_OP] = "invalid_op",
	[PROTO_E_HLC_ORDER] = "hlc_order",
	[PROTO_E_NOMEM] = "out_of_memory",
	[PROTO_E_NOT_OWNER] = "not_owner",
};

const char *proto_code_name(proto_code code)
{
	if ((int)code < 0 || code >= PROTO_E__COUNT || !code_names[code])
		return "unknown_error";
	return code_names[code];
}

void proto_err_clear(proto_err *err)
{
	if (!err)
		return;
	err->code = PROTO_OK;
	err->index = -1;
	err->seq = 0;
	err->field[0] = '\0';
	err->msg[0] = '\0';
	err->detail[0] = '\0';
}

/* The calling thread's translator (proto.h). Thread-local so that handles
** in different languages on different threads do not see each other's. */
static _Thread_local proto_translate_fn tl_translate;
static _Thread_local void *tl_translate_ctx;

void proto_set_translator(proto_translate_fn fn, void *ctx)
{
	tl_translate = fn;
	tl_translate_ctx = ctx;
}

const char *proto_tr(const char *msgid)
{
	const char *t;

	if (!msgid || !*msgid || !tl_translate)
		return msgid;
	t = tl_translate(tl_translate_ctx, msgid);
	return t ? t : msgid;
}

char *proto_utf8_copy(char *dst, const char *src, size_t n)
{
	size_t len = strlen(src);

	if (len >= n) {
		len = n - 1;
		while (len > 0 && ((unsigned char)src[len] & 0xC0) == 0x80)
			len--;
	}
	memmove(dst, src, len);
	dst[len] = '\0';
	return dst;
}

/* After vsnprintf into buf: if it was cut, cut it again at a character
** boundary so that a truncated message is still valid UTF-8. */
static void utf8_trim(char *buf, size_t n, int wrote)
{
	size_t len, lead, need;
	unsigned char c;

	if (wrote >= 0 && (size_t)wrote < n)
		return;
	len = strlen(buf);
	lead = len;
	while (lead > 0 && ((unsigned char)buf[lead - 1] & 0xC0) == 0x80)
		lead--;
	if (lead == 0)
		return;
	c = (unsigned char)buf[lead - 1];
	need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
	if (len - (lead - 1) < need)
		buf[lead - 1] = '\0'; /* the last character was cut */
}

proto_code proto_fail(proto_err *err, proto_code code, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (!err)
		return code;
	err->code = code;
	err->field[0] = '\0';
	err->detail[0] = '\0';
	va_start(ap, fmt);
	/* A truncated message is still a useful message; never a failure. */
	w = vsnprintf(err->msg, sizeof err->msg, proto_tr(fmt), ap);
	va_end(ap);
	utf8_trim(err->msg, sizeof err->msg, w);
	return code;
}

proto_code proto_fail_field(proto_err *err, proto_code code,
			    const char *field, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (!err)
		return code;
	err->code = code;
	proto_utf8_copy(err->field, field ? field : "", sizeof err->field);
	va_start(ap, fmt);
	w = vsnprintf(err->detail, sizeof err->detail, proto_tr(fmt), ap);
	va_end(ap);
	utf8_trim(err->detail, sizeof err->detail, w);
	/* TRANSLATORS: a message about one field of a record: the field's
	** wire name (as in --planned-ha) and what is wrong with it. */
	w = snprintf(err->msg, sizeof err->msg,
		     proto_tr(N_("field \"%s\": %s")), err->field,
		     err->detail);
	utf8_trim(err->msg, sizeof err->msg, w);
	return code;
}

int proto_utf8_valid(const char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i];
		unsigned need, min;
		uint32_t cp;

		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			need = 1; min = 0x80; cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			need = 2; min = 0x800; cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3; min = 0x10000; cp = c & 0x07;
		} else {
			return 0;
		}
		if (len - i <= need)
			return 0;
		for (unsigned k = 1; k <= need; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += need + 1;
	}
	return 1;
}

void proto_hex_encode(char *out, const uint8_t *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int proto_hex_decode(uint8_t *out, size_t n, const char *hex)
{
	if (!hex || strlen(hex) != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int proto_id_valid(const char *s)
{
	if (!s || strlen(s) != PROTO_ID_HEX)
		return 0;
	for (size_t i = 0; i < PROTO_ID_HEX; i++)
		if (hexval(s[i]) < 0)
			return 0;
	return 1;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
** (Howard Hinnant's days_from_civil). */
static long days_from_civil(long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

static int is_leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int proto_date_parse(const char *s, long *days)
{
	static const unsigned mdays[] = {31, 28, 31, 30, 31, 30,
					 31, 31, 30, 31, 30, 31};
	long y = 0;
	unsigned m, d;

	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	for (int i = 0; i < 4; i++)
		y = y * 10 + (s[i] - '0');
	m = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
	d = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
	if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1)
		return -1;
	if (d > mdays[m - 1] + (m == 2 && is_leap(y)))
		return -1;
	if (days)
		*days = days_from_civil(y, m, d);
	return 0;
}

void proto_date_format(char out[11], long z)
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long y = (long)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	if (y < 0 || y > 9999)
		y = 0;
	snprintf(out, 11, "%04ld-%02u-%02u", y, m % 100, d % 100);
}

int proto_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

/* RFC 8259 validation before cJSON builds the tree: cJSON is lenient (it
** takes control bytes as whitespace, "01" and "1." as numbers, and cuts a
** string at an escaped NUL), and a signed protocol must not accept bytes
** another strict implementation would refuse. Returns NULL when valid, else
** the position of the first bad byte and a reason in *why. */
struct scan {
	const char *p, *end;
	const char *why;
};

static void ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
				 *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int hex4(const char *p, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

static int scan_string(struct scan *s)
{
	s->p++; /* opening quote */
	while (s->p < s->end) {
		unsigned char c = (unsigned char)*s->p;
		unsigned v, lo;
		if (c == '"') {
			s->p++;
			return 0;
		}
		if (c < 0x20) {
			s->why = "raw control character inside a string";
			return -1;
		}
		if (c != '\\') {
			s->p++;
			continue;
		}
		if (s->end - s->p < 2) {
			s->why = "unterminated escape";
			return -1;
		}
		switch (s->p[1]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n':
		case 'r': case 't':
			s->p += 2;
			continue;
		case 'u':
			break;
		default:
			s->why = "invalid escape";
			return -1;
		}
		if (s->end - s->p < 6 || hex4(s->p + 2, &v) != 0) {
			s->why = "invalid \\u escape";
			return -1;
		}
		if (v == 0) {
			s->why = "escaped NUL (\\u0000) not allowed";
			return -1;
		}
		s->p += 6;
		if (v >= 0xDC00 && v <= 0xDFFF) {
			s->why = "lone low surrogate escape";
			return -1;
		}
		if (v >= 0xD800 && v <= 0xDBFF) {
			if (s->end - s->p < 6 || s->p[0] != '\\' ||
			    s->p[1] != 'u' || hex4(s->p + 2, &lo) != 0 ||
			    lo < 0xDC00 || lo > 0xDFFF) {
				s->why = "high surrogate escape without its "
					 "low half";
				return -1;
			}
			s->p += 6;
		}
	}
	s->why = "unterminated string";
	return -1;
}

static int digits(struct scan *s)
{
	const char *b = s->p;

	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > b ? 0 : -1;
}

static int scan_number(struct scan *s)
{
	if (*s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0') {
		s->p++;
		if (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
			s->why = "number with a leading zero";
			return -1;
		}
	} else if (digits(s) != 0) {
		s->why = "invalid number";
		return -1;
	}
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (digits(s) != 0) {
			s->why = "number with no digit after '.'";
			return -1;
		}
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (digits(s) != 0) {
			s->why = "number with an empty exponent";
			return -1;
		}
	}
	return 0;
}

static int scan_value(struct scan *s, int depth)
{
	static const char *const lits[] = {"true", "false", "null"};

	ws(s);
	if (s->p >= s->end) {
		s->why = "unexpected end";
		return -1;
	}
	if (*s->p == '"')
		return scan_string(s);
	if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
		return scan_number(s);
	for (int i = 0; i < 3; i++) {
		size_t n = strlen(lits[i]);
		if ((size_t)(s->end - s->p) >= n &&
		    memcmp(s->p, lits[i], n) == 0) {
			s->p += n;
			return 0;
		}
	}
	if (*s->p == '[' || *s->p == '{') {
		int obj = *s->p == '{';
		char close = obj ? '}' : ']';
		/* depth containers enclose this one: it is level depth+1. */
		if (depth >= PROTO_JSON_MAX_DEPTH) {
			s->why = "arrays and objects nested more than 64 deep";
			return -1;
		}
		s->p++;
		ws(s);
		if (s->p < s->end && *s->p == close) {
			s->p++;
			return 0;
		}
		for (;;) {
			if (obj) {
				ws(s);
				if (s->p >= s->end || *s->p != '"') {
					s->why = "expected a member name";
					return -1;
				}
				if (scan_string(s) != 0)
					return -1;
				ws(s);
				if (s->p >= s->end || *s->p != ':') {
					s->why = "expected ':'";
					return -1;
				}
				s->p++;
			}
			if (scan_value(s, depth + 1) != 0)
				return -1;
			ws(s);
			if (s->p < s->end && *s->p == ',') {
				s->p++;
				continue;
			}
			if (s->p < s->end && *s->p == close) {
				s->p++;
				return 0;
			}
			s->why = obj ? "expected ',' or '}'" : "expected ',' "
								 "or ']'";
			return -1;
		}
	}
	s->why = "unexpected character";
	return -1;
}

static const char *json_strict_check(const char *buf, size_t len,
				     const char **why)
{
	struct scan s = {buf, buf + len, NULL};

	if (scan_value(&s, 0) == 0) {
		ws(&s);
		if (s.p == s.end)
			return NULL;
		s.why = "trailing bytes after the JSON value";
	}
	*why = s.why;
	return s.p;
}

/* Refuse duplicate keys in every object of the tree, in O(n log n) name
** comparisons for an object of n members (and each node visited once, so
** the whole check is linear in the tree's size apart from the sorting).
** A small object is checked pairwise; a larger one has its member names
** sorted in a scratch array shared by the whole walk and neighbours
** compared. A pairwise check of every object cost 3 s for one object of
** 40,000 members (issue 9 item 8). Names are compared as decoded by cJSON
** (so "a" and "\u0061" are the same name); they cannot hold a NUL, which
** the strict scan refused, so strcmp compares them whole. */
#define DUPS_PAIRWISE_MAX 8

_Thread_local unsigned long proto_json_name_compares;

struct dups {
	const char **names;   /* scratch: the names of one object */
	size_t cap;
	proto_err *err;
};

static int name_cmp(const void *a, const void *b)
{
	proto_json_name_compares++;
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static proto_code dup_found(struct dups *d, const char *name)
{
	return proto_fail(d->err, PROTO_E_DUPLICATE_KEY,
			  "duplicate key \"%.64s\"", name);
}

static proto_code object_dups(struct dups *d, const cJSON *obj)
{
	size_t n = 0;

	for (const cJSON *c = obj->child; c; c = c->next) {
		if (!c->string)
			return proto_fail(d->err, PROTO_E_JSON,
					  "object member without a name");
		n++;
	}
	if (n <= DUPS_PAIRWISE_MAX) {
		for (const cJSON *c = obj->child; c; c = c->next)
			for (const cJSON *o = obj->child; o != c; o = o->next)
				if (proto_json_name_compares++,
				    strcmp(o->string, c->string) == 0)
					return dup_found(d, c->string);
		return PROTO_OK;
	}
	if (n > d->cap) {
		size_t cap = d->cap ? d->cap : 64;
		const char **p;
		while (cap < n)
			cap *= 2;
		p = realloc(d->names, cap * sizeof *p);
		if (!p)
			return proto_fail(d->err, PROTO_E_NOMEM, "out of memory "
					  "checking an object of %zu members "
					  "for duplicate keys", n);
		d->names = p;
		d->cap = cap;
	}
	n = 0;
	for (const cJSON *c = obj->child; c; c = c->next)
		d->names[n++] = c->string;
	qsort(d->names, n, sizeof *d->names, name_cmp);
	for (size_t i = 1; i < n; i++)
		if (proto_json_name_compares++,
		    strcmp(d->names[i - 1], d->names[i]) == 0)
			return dup_found(d, d->names[i]);
	return PROTO_OK;
}

static proto_code check_dups(struct dups *d, const cJSON *node, int depth)
{
	proto_code rc;

	/* The strict scan refused deeper nesting already; kept so that this
	** walk's recursion is bounded on its own. */
	if (depth >= PROTO_JSON_MAX_DEPTH)
		return proto_fail(d->err, PROTO_E_JSON, "arrays and objects "
				  "nested more than %d deep",
				  PROTO_JSON_MAX_DEPTH);
	if (cJSON_IsObject(node)) {
		rc = object_dups(d, node);
		if (rc != PROTO_OK)
			return rc;
	}
	for (const cJSON *c = node->child; c; c = c->next) {
		if (c->child) {
			rc = check_dups(d, c, depth + 1);
			if (rc != PROTO_OK)
				return rc;
		}
	}
	return PROTO_OK;
}

proto_code proto_json_parse(const char *buf, size_t len, cJSON **out,
			    proto_err *err)
{
	const char *end = NULL;
	cJSON *root;
	proto_code rc;

	*out = NULL;
	proto_err_clear(err);
	if (!buf || len == 0)
		return proto_fail(err, PROTO_E_JSON, "empty body: expected a "
				  "JSON object");
	if (!proto_utf8_valid(buf, len))
		return proto_fail(err, PROTO_E_UTF8,
				  "body is not valid UTF-8 (or contains NUL)");
	{
		const char *why = NULL;
		const char *at = json_strict_check(buf, len, &why);
		if (at)
			return proto_fail(err, PROTO_E_JSON, "malformed JSON at "
					  "byte %zu of %zu: %s",
					  (size_t)(at - buf), len, why);
	}
	root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	if (!root) {
		size_t at = end && end >= buf ? (size_t)(end - buf) : 0;
		return proto_fail(err, PROTO_E_JSON,
				  "malformed JSON at byte %zu of %zu", at, len);
	}
	/* Only whitespace may follow the value. */
	for (const char *p = end; p && p < buf + len; p++) {
		if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') {
			cJSON_Delete(root);
			return proto_fail(err, PROTO_E_JSON,
					  "trailing bytes after the JSON value "
					  "at byte %zu", (size_t)(p - buf));
		}
	}
	{
		struct dups d = {NULL, 0, err};
		rc = check_dups(&d, root, 0);
		free(d.names);
	}
	if (rc != PROTO_OK) {
		cJSON_Delete(root);
		return rc;
	}
	*out = root;
	return PROTO_OK;
}

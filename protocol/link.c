/*
** This file contains the enrollment link's encoder and its strict parser
** (link.h; SPEC.md "Enrollment link"). The text, byte by byte:
**
**   "fieldsync://enroll?"      scheme (any case), "//", action "enroll", "?"
**   NAME "=" VALUE             parameters separated by "&", any order:
**     url    the server's base URL, percent-encoded where needed
**     token  64 lowercase hex digits
**     pin    64 lowercase hex digits (optional; https only): SHA-256 of the DER
**            SubjectPublicKeyInfo of the server's certificate
**
** Values are printable ASCII; "%XX" stands for the byte XX; "&", "=", "+",
** "#" and spaces never appear raw. A link is at most 1024 bytes.
*/
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "i18n.h"
#include "link.h"

#define SCHEME "fieldsync:"
#define PREFIX_REST "//enroll?"

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Unreserved characters of RFC 3986 and those left as they are inside a
** value because they cannot be mistaken for the link's own syntax. */
static int keep_raw(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || strchr("-._~:/@[]!$'()*,;", c);
}

int proto_link_is_link(const char *text)
{
	if (!text)
		return 0;
	while (is_space(*text))
		text++;
	for (size_t i = 0; i < sizeof SCHEME - 1; i++)
		if (lower((unsigned char)text[i]) != SCHEME[i])
			return 0;
	return 1;
}

proto_code proto_link_check_url(const char *url, proto_err *err)
{
	size_t n = url ? strlen(url) : 0, skip;
	const char *host;

	if (n > PROTO_LINK_MAX_URL)
		return proto_fail(err, PROTO_E_TOO_LONG, _("the server URL is "
				  "%zu bytes; at most %d are allowed"), n,
				  PROTO_LINK_MAX_URL);
	if (n >= 7 && strncasecmp(url, "http://", 7) == 0)
		skip = 7;
	else if (n >= 8 && strncasecmp(url, "https://", 8) == 0)
		skip = 8;
	else
		return proto_fail(err, PROTO_E_FORMAT, _("the server URL "
				  "\"%.100s\" must start with http:// or "
				  "https://"), url ? url : "");
	host = url + skip;
	if (!*host || *host == '/' || *host == ':')
		return proto_fail(err, PROTO_E_FORMAT, _("the server URL "
				  "\"%.100s\" has no host name"), url);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)url[i];
		if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#' ||
		    c == '"' || c == '<' || c == '>' || c == '\\' ||
		    c == '^' || c == '`' || c == '{' || c == '|' || c == '}')
			return proto_fail(err, PROTO_E_FORMAT, _("the server "
					  "URL may hold only printable ASCII "
					  "without spaces, query (?) or "
					  "fragment (#): byte %zu is not "
					  "allowed"), i + 1);
	}
	return PROTO_OK;
}

/* Check 64 lowercase hex digits (SPEC: hex is lowercase everywhere) and
** copy them into out. */
static proto_code take_hex64(const char *name, const char *v, size_t n,
			     char out[65], proto_err *err)
{
	size_t i;

	for (i = 0; i < n && ((v[i] >= '0' && v[i] <= '9') ||
			      (v[i] >= 'a' && v[i] <= 'f')); i++)
		;
	if (n != 64 || i != n)
		return proto_fail(err, PROTO_E_FORMAT, _("the link's %s must "
				  "be 64 hex digits (0-9, a-f, lowercase); it "
				  "has %zu characters%s"), name, n,
				  i != n ? _(", not all lowercase hex digits")
					 : "");
	memcpy(out, v, 64);
	out[64] = '\0';
	return PROTO_OK;
}

/* Decode the percent escapes of v[0..n) into out (cap bytes with the NUL). */
static proto_code decode_value(const char *name, const char *v, size_t n,
			       char *out, size_t cap, proto_err *err)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)v[i];
		if (c == '%') {
			int hi = i + 1 < n ? hexval((unsigned char)v[i + 1])
					   : -1;
			int lo = i + 2 < n ? hexval((unsigned char)v[i + 2])
					   : -1;
			if (hi < 0 || lo < 0)
				return proto_fail(err, PROTO_E_FORMAT, _("the "
						  "link's %s has a bad escape: "
						  "%% must be followed by two "
						  "hex digits"), name);
			c = hi * 16 + lo;
			i += 2;
		}
		if (o + 1 >= cap)
			return proto_fail(err, PROTO_E_TOO_LONG, _("the link's "
					  "%s is longer than %zu bytes"), name,
					  cap - 1);
		out[o++] = (char)c;
	}
	out[o] = '\0';
	if (o != strlen(out))
		return proto_fail(err, PROTO_E_FORMAT, _("the link's %s holds "
				  "a NUL byte (%%00)"), name);
	return PROTO_OK;
}

static proto_code parse(const char *text, proto_link *out, proto_err *err)
{
	const char *p, *end;
	int seen_url = 0, seen_token = 0, seen_pin = 0;
	size_t n;
	proto_code rc;

	if (!text)
		text = "";
	while (is_space(*text))
		text++;
	n = strlen(text);
	while (n > 0 && is_space(text[n - 1]))
		n--;
	if (n > PROTO_LINK_MAX_BYTES)
		return proto_fail(err, PROTO_E_TOO_LONG, _("the enrollment link "
				  "is %zu bytes; at most %d are allowed (is "
				  "it really the link HQ gave?)"), n,
				  PROTO_LINK_MAX_BYTES);
	if (!proto_link_is_link(text) ||
	    n < sizeof SCHEME - 1 + sizeof PREFIX_REST - 1 ||
	    strncasecmp(text + sizeof SCHEME - 1, PREFIX_REST,
			sizeof PREFIX_REST - 1) != 0)
		return proto_fail(err, PROTO_E_FORMAT, _("not an enrollment "
				  "link: it must start with "
				  "fieldsync://enroll? (got \"%.60s\")"), text);
	p = text + sizeof SCHEME - 1 + sizeof PREFIX_REST - 1;
	end = text + n;
	for (const char *q = p; q < end; q++) {
		unsigned char c = (unsigned char)*q;
		if (c <= 0x20 || c >= 0x7f || c == '#' || c == '+')
			return proto_fail(err, PROTO_E_FORMAT, _("the "
					  "enrollment link may hold only "
					  "printable ASCII without spaces, "
					  "\"#\" or \"+\" (write them as %%XX): "
					  "byte %zu is not allowed"),
					  (size_t)(q - text) + 1);
	}
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		size_t nl, vl;
		const char *v;

		if (!eq || eq == p)
			return proto_fail(err, PROTO_E_FORMAT, _("the "
					  "enrollment link's parameters must "
					  "read NAME=VALUE separated by &; got "
					  "\"%.*s\""), (int)(stop - p > 40 ? 40
					  : stop - p), p);
		nl = (size_t)(eq - p);
		v = eq + 1;
		vl = (size_t)(stop - v);
		if (memchr(v, '=', vl))
			return proto_fail(err, PROTO_E_FORMAT, _("the "
					  "enrollment link's %.*s holds a raw "
					  "\"=\" (write it as %%3D)"),
					  (int)(nl > 20 ? 20 : nl), p);
		if (vl == 0)
			return proto_fail(err, PROTO_E_FORMAT, _("the "
					  "enrollment link's %.*s is empty"),
					  (int)(nl > 20 ? 20 : nl), p);
		if (nl == 3 && memcmp(p, "url", 3) == 0) {
			if (seen_url++)
				goto dup;
			if ((rc = decode_value("url", v, vl, out->url,
					       sizeof out->url, err)) ||
			    (rc = proto_link_check_url(out->url, err)))
				goto fail;
		} else if (nl == 5 && memcmp(p, "token", 5) == 0) {
			if (seen_token++)
				goto dup;
			if ((rc = take_hex64("token", v, vl, out->token, err)))
				goto fail;
		} else if (nl == 3 && memcmp(p, "pin", 3) == 0) {
			if (seen_pin++)
				goto dup;
			if ((rc = take_hex64("pin", v, vl, out->pin, err)))
				goto fail;
		} else {
			rc = proto_fail(err, PROTO_E_UNKNOWN_FIELD, _("unknown "
					"parameter \"%.*s\" in the enrollment "
					"link; allowed: url, token, pin"),
					(int)(nl > 40 ? 40 : nl), p);
			goto fail;
		}
		p = amp ? amp + 1 : end;
		if (amp && p == end)
			return proto_fail(err, PROTO_E_FORMAT, _("the "
					  "enrollment link ends with \"&\""));
		continue;
dup:
		rc = proto_fail(err, PROTO_E_DUPLICATE_KEY, _("the enrollment "
				"link gives %.*s twice"), (int)nl, p);
		goto fail;
	}
	if (!seen_url || !seen_token) {
		rc = proto_fail(err, PROTO_E_MISSING, _("the enrollment link "
				"has no %s; it needs url and token (and pin "
				"for a self-signed certificate)"),
				!seen_url ? "url" : "token");
		goto fail;
	}
	if (out->pin[0] && strncasecmp(out->url, "https://", 8) != 0) {
		rc = proto_fail(err, PROTO_E_FORMAT, _("the enrollment link "
				"has a certificate pin but its server URL "
				"\"%.100s\" is not https://"), out->url);
		goto fail;
	}
	return PROTO_OK;
fail:
	return rc;
}

proto_code proto_link_parse(const char *text, proto_link *out,
			    proto_err *err)
{
	proto_code rc;

	memset(out, 0, sizeof *out);
	proto_err_clear(err);
	if ((rc = parse(text, out, err)) != PROTO_OK)
		memset(out, 0, sizeof *out);
	return rc;
}

proto_code proto_link_format(const char *url, const char *token,
			     const char *pin, char *out, size_t outsz,
			     proto_err *err)
{
	char buf[PROTO_LINK_MAX_BYTES * 2], tok[65], pn[65];
	size_t o = 0;
	proto_code rc;
	proto_link check;
	int w;

	if (outsz)
		out[0] = '\0';
	if ((rc = proto_link_check_url(url, err)) ||
	    (rc = take_hex64("token", token ? token : "",
			     token ? strlen(token) : 0, tok, err)) ||
	    (pin && *pin && (rc = take_hex64("pin", pin, strlen(pin), pn,
					     err))))
		return rc;
	w = snprintf(buf, sizeof buf, "fieldsync://enroll?url=");
	o = (size_t)w;
	for (const char *s = url; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (keep_raw(c))
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, sizeof buf - o, "%%%02X",
					      c);
	}
	w = snprintf(buf + o, sizeof buf - o, "&token=%s%s%s", tok,
		     pin && *pin ? "&pin=" : "", pin && *pin ? pn : "");
	if (w < 0 || (size_t)w >= sizeof buf - o)
		return proto_fail(err, PROTO_E_TOO_LONG, _("the enrollment "
				  "link would be too long"));
	o += (size_t)w;
	if (o > PROTO_LINK_MAX_BYTES || o + 1 > outsz)
		return proto_fail(err, PROTO_E_TOO_LONG, _("the enrollment "
				  "link would be %zu bytes; at most %d are "
				  "allowed"), o, PROTO_LINK_MAX_BYTES);
	/* What we write must be what we accept. */
	if ((rc = proto_link_parse(buf, &check, err)))
		return rc;
	memcpy(out, buf, o + 1);
	return PROTO_OK;
}

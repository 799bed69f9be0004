/*
** This file contains the enrollment link: one line of text that holds
** everything a device needs to enroll (SPEC.md "Enrollment link"), so that
** nobody types 64 hex digits:
**
**   fieldsync://enroll?url=https://hq.example.org:8443&token=<64 hex>&pin=<64 hex>
**
** fieldsyncd prints it (`token create --url`), fieldsync reads it (`enroll
** LINK`, the field app's paste box). Both go through this file, so what one
** writes the other accepts. No I/O.
*/
#ifndef FIELDSYNC_PROTO_LINK_H
#define FIELDSYNC_PROTO_LINK_H

#include <stddef.h>
#include "proto.h"

#define PROTO_LINK_MAX_BYTES 1024 /* a whole link, surrounding spaces aside */
#define PROTO_LINK_MAX_URL   512  /* the server URL, decoded */
#define PROTO_LINK_TOKEN_HEX 64   /* fieldsyncd's tokens: 32 random bytes */
#define PROTO_LINK_PIN_HEX   64   /* SHA-256 of the server's public key */

/* A parsed link. Every string is NUL-terminated; token and pin are
** lowercase hex, pin "" when the link has none. */
typedef struct proto_link {
	char url[PROTO_LINK_MAX_URL + 1];     /* http:// or https:// base URL */
	char token[PROTO_LINK_TOKEN_HEX + 1];
	char pin[PROTO_LINK_PIN_HEX + 1];
} proto_link;

/* 1 if text (leading spaces skipped) starts with the link scheme
** "fieldsync:" (any case), so a front end can tell a link from a URL. */
int proto_link_is_link(const char *text);

/* Check a server base URL as a link carries it: http:// or https://, a
** host, at most PROTO_LINK_MAX_URL bytes of printable ASCII, no query or
** fragment. PROTO_OK, or PROTO_E_FORMAT / PROTO_E_TOO_LONG with a message. */
proto_code proto_link_check_url(const char *url, proto_err *err) PROTO_WUR;

/* Parse text (one link; spaces and newlines around it are ignored) into
** *out. Strict: the scheme and the "enroll" action, each parameter once
** (url and token required, pin optional and only with https), nothing
** else. On failure *out is cleared and err names what is wrong and what is
** allowed: PROTO_E_FORMAT, PROTO_E_TOO_LONG, PROTO_E_UNKNOWN_FIELD,
** PROTO_E_DUPLICATE_KEY or PROTO_E_MISSING. */
proto_code proto_link_parse(const char *text, proto_link *out,
			    proto_err *err) PROTO_WUR;

/* Write the link for url, token and pin (64 lowercase hex; pin NULL or "")
** into out (outsz bytes, PROTO_LINK_MAX_BYTES + 1 always suffice). The
** result parses back to the same values. Fails like proto_link_parse when
** a value is not allowed, PROTO_E_TOO_LONG when out is too small. */
proto_code proto_link_format(const char *url, const char *token,
			     const char *pin, char *out, size_t outsz,
			     proto_err *err) PROTO_WUR;

#endif

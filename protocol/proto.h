/*
** This file contains what every part of the protocol module shares: the
** error type, the protocol's limits, and small helpers for hex, UTF-8 and
** dates. The protocol module does no I/O: no sockets, no files, no SQLite.
** Client and server both include these headers; SPEC.md is the prose version.
*/
#ifndef FIELDSYNC_PROTO_H
#define FIELDSYNC_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_WUR __attribute__((warn_unused_result))

#define PROTO_VERSION 2

/* Limits (SPEC.md "Limits"). Both sides enforce them. */
#define PROTO_MAX_SET_BYTES    (2u * 1024u * 1024u) /* one change set's bytes */
#define PROTO_MAX_CHANGES      2000   /* changes in one change set */
#define PROTO_MAX_SETS_PER_PUSH 64    /* change sets in one push request */
#define PROTO_MAX_BODY_BYTES   (8u * 1024u * 1024u)  /* request body as sent */
#define PROTO_MAX_INFLATED     (32u * 1024u * 1024u) /* after gunzip */
#define PROTO_MAX_INFLATE_RATIO 100   /* inflated / compressed */
#define PROTO_MAX_NAME_BYTES   200    /* names, titles, places */
#define PROTO_MAX_TEXT_BYTES   2000   /* purpose, outcome, notes, reasons */
#define PROTO_MAX_SEQ          9007199254740991LL /* 2^53 - 1 */
#define PROTO_MAX_PULL_PAGE    500    /* change sets in one pull page */
#define PROTO_MAX_CLOCK_AHEAD_MS (10LL * 60 * 1000) /* HLC vs server clock */
#define PROTO_JSON_MAX_DEPTH   64     /* arrays/objects nested in JSON */

#define PROTO_ID_BYTES   16   /* record and device ids: 128 bits */
#define PROTO_ID_HEX     32
#define PROTO_HASH_BYTES 32   /* BLAKE2b-256 */
#define PROTO_HASH_HEX   64
#define PROTO_PK_BYTES   32   /* Ed25519 public key */
#define PROTO_SK_BYTES   64   /* Ed25519 secret key (libsodium layout) */
#define PROTO_SIG_BYTES  64
#define PROTO_SIG_HEX    128

/* Error codes. proto_code_name() gives the snake_case name used on the wire
** as the "error" member of an error body. */
typedef enum proto_code {
	PROTO_OK = 0,
	PROTO_E_JSON,          /* malformed_json: not JSON, or trailing bytes */
	PROTO_E_TYPE,          /* wrong_type: a member has the wrong JSON type */
	PROTO_E_MISSING,       /* missing_field */
	PROTO_E_RANGE,         /* out_of_range: number outside its limits */
	PROTO_E_UTF8,          /* invalid_utf8 */
	PROTO_E_TOO_LONG,      /* too_long: string over its byte limit */
	PROTO_E_UNKNOWN_KIND,  /* unknown_kind */
	PROTO_E_UNKNOWN_FIELD, /* unknown_field */
	PROTO_E_DUPLICATE_KEY, /* duplicate_key */
	PROTO_E_VALUE,         /* invalid_value: not one of the allowed values */
	PROTO_E_DATE,          /* invalid_date */
	PROTO_E_FORMAT,        /* invalid_format: bad hex, id, HLC, stamp */
	PROTO_E_SIG_LENGTH,    /* bad_signature_length */
	PROTO_E_BAD_SIG,       /* bad_signature */
	PROTO_E_SEQ_GAP,       /* sequence_gap */
	PROTO_E_CHAIN,         /* chain_broken: prev hash does not match */
	PROTO_E_TOO_MANY,      /* too_many: too many changes or sets */
	PROTO_E_TOO_LARGE,     /* too_large: bytes over a limit */
	PROTO_E_VERSION,       /* unsupported_version */
	PROTO_E_OP,            /* invalid_op: op not allowed for this kind/state */
	PROTO_E_HLC_ORDER,     /* hlc_order: HLCs not strictly increasing */
	PROTO_E_NOMEM,         /* out_of_memory */
	PROTO_E_NOT_OWNER,     /* not_owner: the author may not change this
				** record (owner.h) */
	PROTO_E__COUNT
} proto_code;

/* A failure: the code and a message naming what is wrong and what is allowed.
** A failure about one field (proto_fail_field) also names the field and
** keeps the message without the field's name, for a front end that shows
** it next to the field. Sized for translated text (Lao is 3 bytes a
** letter). */
typedef struct proto_err {
	proto_code code;
	int index;      /* index of the offending change in a set, or -1 */
	int64_t seq;    /* a refused set's seq when it could be read, else 0 */
	char field[64]; /* wire name of the field at fault, or "" */
	char msg[768];  /* full message: 'field "planned_ha": ...' */
	char detail[768]; /* msg without the field's name; "" if not a field's */
} proto_err;

/* snake_case name of a code ("malformed_json"); never NULL. */
const char *proto_code_name(proto_code code);

/* Set err (may be NULL) and return code. printf-style message; fmt is an
** English msgid (translated by the thread's translator, see below). */
proto_code proto_fail(proto_err *err, proto_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The same for a failure about field `field` (wire name): err->field is
** set, err->detail holds the message and err->msg 'field "NAME": ' + it. */
proto_code proto_fail_field(proto_err *err, proto_code code,
			    const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Translation of user-facing messages. The protocol module knows no
** catalogs: messages are English msgids marked N_() (protocol/i18n.h), and a
** front end's library may install, for the calling thread only, a function
** mapping a msgid to the text to show (libfieldsync installs gettext in the
** handle's language). Without one (the server) messages stay English.
** fn NULL removes it. Cannot fail. */
typedef const char *(*proto_translate_fn)(void *ctx, const char *msgid);
void proto_set_translator(proto_translate_fn fn, void *ctx);

/* msgid through this thread's translator (msgid itself without one, or for
** NULL or ""). Cannot fail. */
const char *proto_tr(const char *msgid) __attribute__((format_arg(1)));

/* Copy at most n-1 bytes of src into dst, cut at a UTF-8 character
** boundary, NUL-terminated (n > 0). Returns dst. Cannot fail. */
char *proto_utf8_copy(char *dst, const char *src, size_t n);

/* Clear err to PROTO_OK, index -1, empty message. err may be NULL. */
void proto_err_clear(proto_err *err);

/* 1 if buf[0..len) is valid UTF-8 (no overlongs, no surrogates, no NUL),
** else 0. */
int proto_utf8_valid(const char *buf, size_t len);

/* Lowercase hex encode n bytes into out (2n+1 chars incl. NUL). Cannot fail. */
void proto_hex_encode(char *out, const uint8_t *in, size_t n);

/* Decode exactly 2n lowercase hex chars; returns 0 on success, -1 if the text
** is not exactly 2n lowercase hex digits. */
int proto_hex_decode(uint8_t *out, size_t n, const char *hex) PROTO_WUR;

/* 1 if s is a well-formed id: exactly 32 lowercase hex digits. */
int proto_id_valid(const char *s);

/* Parse an ISO 8601 calendar date "YYYY-MM-DD" (year 1900..2999, a real day).
** Returns days since 1970-01-01 in *days; 0 on success, -1 if invalid. */
int proto_date_parse(const char *s, long *days) PROTO_WUR;

/* Format days since 1970-01-01 as "YYYY-MM-DD" (out holds 11 bytes). */
void proto_date_format(char out[11], long days);

#endif

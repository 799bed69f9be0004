/*
** This file contains the hybrid logical clock (HLC) and the stamp that every
** field value carries.
**
** An HLC is a 64-bit unsigned integer: the high 48 bits are milliseconds since
** 1970-01-01T00:00:00Z, the low 16 bits a logical counter. On the wire it is
** exactly 16 lowercase hex digits, so string order equals numeric order.
** A stamp is (HLC, device id); stamps are totally ordered by HLC, then by the
** device id's bytes. Text form: "<16 hex>-<32 hex>".
*/
#ifndef FIELDSYNC_HLC_H
#define FIELDSYNC_HLC_H

#include <stdint.h>
#include "proto.h"

#define PROTO_HLC_HEX 16
#define PROTO_STAMP_TEXT (PROTO_HLC_HEX + 1 + PROTO_ID_HEX) /* 49 chars */

typedef uint64_t proto_hlc;

typedef struct proto_stamp {
	proto_hlc hlc;
	uint8_t device[PROTO_ID_BYTES];
} proto_stamp;

/* Physical milliseconds of an HLC. */
static inline int64_t proto_hlc_ms(proto_hlc h) { return (int64_t)(h >> 16); }

/* Next HLC for a local event: max(last + 1, now_ms << 16). now_ms is the
** wall clock, passed in because the protocol module does no I/O. */
proto_hlc proto_hlc_tick(proto_hlc last, int64_t now_ms);

/* HLC after receiving a remote one: max(last + 1, remote + 1, now_ms << 16). */
proto_hlc proto_hlc_recv(proto_hlc last, proto_hlc remote, int64_t now_ms);

/* Format as 16 lowercase hex digits (out holds 17 bytes). Cannot fail. */
void proto_hlc_format(char out[PROTO_HLC_HEX + 1], proto_hlc h);

/* Parse exactly 16 lowercase hex digits; 0 on success, -1 otherwise. */
int proto_hlc_parse(const char *s, proto_hlc *out) PROTO_WUR;

/* Total order on stamps: <0, 0, >0 like memcmp. */
int proto_stamp_cmp(const proto_stamp *a, const proto_stamp *b);

/* Stamp text form "<hlc>-<device>" (out holds 50 bytes). Cannot fail. */
void proto_stamp_format(char out[PROTO_STAMP_TEXT + 1], const proto_stamp *s);

/* Parse the text form; 0 on success, -1 if malformed. */
int proto_stamp_parse(const char *s, proto_stamp *out) PROTO_WUR;

#endif

/*
** This file contains what `fieldsyncd token create` needs to hand out an
** enrollment link (protocol/link.h): the pin of the server's certificate
** and the link as a QR code in a PNG file, and token create's checks of
** the options that ask for them.
*/
#ifndef FIELDSYNC_SRV_ENROLL_LINK_H
#define FIELDSYNC_SRV_ENROLL_LINK_H

#include <stddef.h>
#include <stdint.h>

/* The pin of the first certificate of the PEM file at path: SHA-256 of its
** DER SubjectPublicKeyInfo, as 64 lowercase hex digits in hex (what curl
** checks as CURLOPT_PINNEDPUBLICKEY "sha256//..." and what
** `openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum`
** prints). Returns 0, or -1 with a message naming the file. */
int srv_cert_pin(const char *path, char hex[65], char *msg, size_t msgsz)
	__attribute__((warn_unused_result));

/* Same, from the DER bytes of one certificate. */
int srv_cert_pin_der(const uint8_t *der, size_t len, char hex[65])
	__attribute__((warn_unused_result));

/* text as a QR code (error correction M, 8-bit mode) in a new PNG image:
** black modules of scale x scale pixels on white, a 4-module quiet zone,
** 1-bit greyscale. *png (caller frees) holds *len bytes. Returns 0, or -1
** with a message (text too long for a QR code, out of memory). */
int srv_qr_png(const char *text, unsigned scale, unsigned char **png,
	       size_t *len, char *msg, size_t msgsz)
	__attribute__((warn_unused_result));

/* Write len bytes to a new temporary file beside path (mode 0600: the QR
** code holds a secret token), flushed to disk; its name goes in tmp
** (tmpsz bytes). srv_file_commit renames it to path, srv_file_abort
** removes it. Returns 0, or -1 with a message naming path. */
int srv_file_stage(const char *path, const unsigned char *data, size_t len,
		   char *tmp, size_t tmpsz, char *msg, size_t msgsz)
	__attribute__((warn_unused_result));
int srv_file_commit(const char *tmp, const char *path, char *msg,
		    size_t msgsz) __attribute__((warn_unused_result));
void srv_file_abort(const char *tmp);

/* `fieldsyncd token create`'s --url, --tls-cert and --qr, checked before
** anything is made; the certificate's pin goes in pin ("" without
** --tls-cert). Returns 0, or the exit status after printing why. */
int srv_link_options(const char *url, const char *cert, const char *qr,
		     char pin[65]) __attribute__((warn_unused_result));

/* The link for url, tok and pin into link (PROTO_LINK_MAX_BYTES + 1
** bytes) and, with qr, its PNG staged in a temporary file named in qrtmp
** (srv_file_commit / srv_file_abort). Returns 0, or -1 after printing why. */
int srv_link_make(const char *url, const char *tok, const char *pin,
		  const char *qr, char *link, char *qrtmp, size_t tmpsz)
	__attribute__((warn_unused_result));

/* Tell the person at HQ (stderr) what the link printed holds. */
void srv_link_notes(const char *url, const char *pin, const char *qr);

#endif

/*
** This file contains the pieces of the enrollment link that only the server
** needs (enroll_link.h): the certificate pin, the QR code as a PNG, and
** writing that file so that a failure leaves nothing behind.
**
** The pin is read straight from the certificate's DER bytes, so the server
** needs no TLS library of its own for it:
**
**   Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, sig }
**   tbsCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber
**       INTEGER, signature SEQUENCE, issuer SEQUENCE, validity SEQUENCE,
**       subject SEQUENCE, subjectPublicKeyInfo SEQUENCE, ... }
**
** pin = SHA-256(the whole subjectPublicKeyInfo TLV).
**
** The PNG is the smallest that every viewer reads: signature, IHDR (1-bit
** greyscale, no interlace), one IDAT (zlib stream of rows, each led by
** filter byte 0), IEND; every chunk is length (big-endian), type, data and
** the CRC-32 of type and data (zlib's crc32).
*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <qrencode.h>
#include <sodium.h>
#include <zlib.h>
#include "protocol/i18n.h"
#include "protocol/link.h"
#include "protocol/proto.h"
#include "args.h"
#include "enroll_link.h"

#define PEM_MAX (1024 * 1024)
#define QR_QUIET 4 /* modules of white around the code */

/* ---- certificate pin -------------------------------------------------- */

/* One DER TLV at p[0..n): its tag, header length and content length.
** Returns 0, or -1 if it does not fit in n bytes. */
static int der_tlv(const uint8_t *p, size_t n, uint8_t *tag, size_t *hdr,
		   size_t *len)
{
	size_t l, k;

	if (n < 2 || (p[0] & 0x1f) == 0x1f)
		return -1;
	*tag = p[0];
	l = p[1];
	if (l < 0x80) {
		*hdr = 2;
	} else {
		k = l & 0x7f;
		if (k == 0 || k > 4 || n < 2 + k)
			return -1;
		l = 0;
		for (size_t i = 0; i < k; i++)
			l = (l << 8) | p[2 + i];
		*hdr = 2 + k;
	}
	if (l > n - *hdr)
		return -1;
	*len = l;
	return 0;
}

int srv_cert_pin_der(const uint8_t *der, size_t len, char hex[65])
{
	static const uint8_t skip[] = { 0x02, 0x30, 0x30, 0x30, 0x30 };
	uint8_t tag, h[crypto_hash_sha256_BYTES];
	size_t hdr, l;
	const uint8_t *p;
	size_t n;

	hex[0] = '\0';
	/* Certificate, then tbsCertificate: step into each. */
	if (der_tlv(der, len, &tag, &hdr, &l) || tag != 0x30)
		return -1;
	p = der + hdr;
	n = l;
	if (der_tlv(p, n, &tag, &hdr, &l) || tag != 0x30)
		return -1;
	p += hdr;
	n = l;
	if (der_tlv(p, n, &tag, &hdr, &l))
		return -1;
	if (tag == 0xa0) { /* [0] EXPLICIT version */
		p += hdr + l;
		n -= hdr + l;
	}
	/* serialNumber, signature, issuer, validity, subject */
	for (size_t i = 0; i < sizeof skip; i++) {
		if (der_tlv(p, n, &tag, &hdr, &l) || tag != skip[i])
			return -1;
		p += hdr + l;
		n -= hdr + l;
	}
	if (der_tlv(p, n, &tag, &hdr, &l) || tag != 0x30)
		return -1;
	crypto_hash_sha256(h, p, hdr + l);
	proto_hex_encode(hex, h, sizeof h);
	return 0;
}

int srv_cert_pin(const char *path, char hex[65], char *msg, size_t msgsz)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	static const char end[] = "-----END CERTIFICATE-----";
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *b, *e;
	uint8_t *der = NULL;
	size_t n, dlen = 0;
	int rc = -1;

	hex[0] = '\0';
	if (!f) {
		snprintf(msg, msgsz, _("cannot read the certificate %s: %s"),
			 path, strerror(errno));
		return -1;
	}
	buf = malloc(PEM_MAX + 1);
	if (!buf) {
		snprintf(msg, msgsz, _("out of memory"));
		goto out;
	}
	n = fread(buf, 1, PEM_MAX, f);
	buf[n] = '\0';
	b = strstr(buf, begin);
	e = b ? strstr(b, end) : NULL;
	if (n == PEM_MAX || !b || !e) {
		snprintf(msg, msgsz, _("%s is not a PEM certificate (no "
			 "\"%s\" block): give the file serve uses as "
			 "--tls-cert"), path, begin);
		goto out;
	}
	b += sizeof begin - 1;
	der = malloc((size_t)(e - b));
	if (!der) {
		snprintf(msg, msgsz, _("out of memory"));
		goto out;
	}
	if (sodium_base642bin(der, (size_t)(e - b), b, (size_t)(e - b),
			      " \t\r\n", &dlen, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    srv_cert_pin_der(der, dlen, hex) != 0) {
		snprintf(msg, msgsz, _("%s: the first certificate is damaged "
			 "(not base64 DER X.509)"), path);
		goto out;
	}
	rc = 0;
out:
	free(der);
	free(buf);
	fclose(f);
	return rc;
}

/* ---- QR code as PNG ---------------------------------------------------- */

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* Append one chunk at out + *o (room checked by the caller). */
static void chunk(unsigned char *out, size_t *o, const char *type,
		  const unsigned char *data, size_t len)
{
	uLong crc;

	put32(out + *o, (uint32_t)len);
	memcpy(out + *o + 4, type, 4);
	if (len)
		memcpy(out + *o + 8, data, len);
	crc = crc32(0L, out + *o + 4, (uInt)(len + 4));
	put32(out + *o + 8 + len, (uint32_t)crc);
	*o += 12 + len;
}

int srv_qr_png(const char *text, unsigned scale, unsigned char **png,
	       size_t *len, char *msg, size_t msgsz)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n',
					      0x1a, '\n' };
	unsigned char ihdr[13], *raw = NULL, *z = NULL, *out = NULL;
	size_t side, rowbytes, rawlen, o = 0;
	uLongf zlen;
	QRcode *qr;
	int rc = -1;

	*png = NULL;
	*len = 0;
	if (scale < 1 || scale > 32)
		scale = 8;
	qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!qr) {
		snprintf(msg, msgsz, _("cannot make a QR code of the link: %s"),
			 errno == ERANGE ? _("too long") : strerror(errno));
		return -1;
	}
	side = ((size_t)qr->width + 2 * QR_QUIET) * scale;
	rowbytes = (side + 7) / 8;
	rawlen = side * (1 + rowbytes);
	raw = malloc(rawlen);
	if (!raw)
		goto nomem;
	/* White is 1 in greyscale; start all white, then draw the modules. */
	memset(raw, 0xff, rawlen);
	for (size_t y = 0; y < side; y++) {
		unsigned char *row = raw + y * (1 + rowbytes);
		long my = (long)(y / scale) - QR_QUIET;
		row[0] = 0; /* filter: none */
		for (size_t x = 0; x < side; x++) {
			long mx = (long)(x / scale) - QR_QUIET;
			if (my < 0 || mx < 0 || my >= qr->width ||
			    mx >= qr->width ||
			    !(qr->data[my * qr->width + mx] & 1))
				continue;
			row[1 + x / 8] &= (unsigned char)~(0x80u >> (x % 8));
		}
	}
	zlen = compressBound((uLong)rawlen);
	z = malloc(zlen);
	if (!z || compress2(z, &zlen, raw, (uLong)rawlen, 9) != Z_OK)
		goto nomem;
	out = malloc(sizeof sig + 25 + 12 + zlen + 12);
	if (!out)
		goto nomem;
	memcpy(out, sig, sizeof sig);
	o = sizeof sig;
	put32(ihdr, (uint32_t)side);
	put32(ihdr + 4, (uint32_t)side);
	ihdr[8] = 1;  /* bit depth */
	ihdr[9] = 0;  /* greyscale */
	ihdr[10] = 0; /* deflate */
	ihdr[11] = 0; /* adaptive filtering, type 0 on every row */
	ihdr[12] = 0; /* no interlace */
	chunk(out, &o, "IHDR", ihdr, sizeof ihdr);
	chunk(out, &o, "IDAT", z, zlen);
	chunk(out, &o, "IEND", NULL, 0);
	*png = out;
	*len = o;
	out = NULL;
	rc = 0;
	goto done;
nomem:
	snprintf(msg, msgsz, _("out of memory"));
done:
	free(out);
	free(z);
	free(raw);
	QRcode_free(qr);
	return rc;
}

/* ---- token create's link options ---------------------------------------- */

/* token create's --url, --tls-cert and --qr: checked before anything is
** made; the certificate's pin goes in pin ("" without --tls-cert).
** Returns 0 or an exit status after printing why. */
int srv_link_options(const char *url, const char *cert, const char *qr,
			char pin[65])
{
	char msg[512];
	proto_err err;

	pin[0] = '\0';
	if (!url && (cert || qr)) {
		fprintf(stderr, _("token create: %s needs --url URL (the "
			"server's address as devices reach it): the link "
			"holds it\n"), cert ? "--tls-cert" : "--qr");
		return SRV_EXIT_USAGE;
	}
	if (!url)
		return 0;
	if (proto_link_check_url(url, &err) != PROTO_OK) {
		fprintf(stderr, "token create: --url: %s\n", err.msg);
		return SRV_EXIT_USAGE;
	}
	if (cert && strncasecmp(url, "https://", 8) != 0) {
		fprintf(stderr, _("token create: --tls-cert is for an https:// "
			"--url; \"%s\" is plain HTTP\n"), url);
		return SRV_EXIT_USAGE;
	}
	if (qr && !*qr) {
		fprintf(stderr, _("token create: --qr needs a file name, e.g. "
			"--qr token.png\n"));
		return SRV_EXIT_USAGE;
	}
	if (cert && srv_cert_pin(cert, pin, msg, sizeof(msg))) {
		fprintf(stderr, "token create: --tls-cert: %s\n", msg);
		return SRV_EXIT_USAGE;
	}
	return 0;
}

/* The link for tok into link and, with qr, its PNG staged in qrtmp.
** Returns 0, or -1 after printing why. */
int srv_link_make(const char *url, const char *tok, const char *pin,
		     const char *qr, char *link,
		     char *qrtmp, size_t tmpsz)
{
	unsigned char *png = NULL;
	size_t len = 0;
	char msg[512];
	proto_err err;
	int rc;

	if (proto_link_format(url, tok, pin, link, PROTO_LINK_MAX_BYTES + 1,
			      &err) != PROTO_OK) {
		fprintf(stderr, "token create: %s\n", err.msg);
		return -1;
	}
	if (!qr)
		return 0;
	rc = srv_qr_png(link, 8, &png, &len, msg, sizeof(msg));
	if (!rc)
		rc = srv_file_stage(qr, png, len, qrtmp, tmpsz, msg,
				    sizeof(msg));
	if (png)
		sodium_memzero(png, len);
	free(png);
	if (rc)
		fprintf(stderr, "token create: --qr: %s\n", msg);
	return rc;
}

/* What the person at HQ should know about the link just printed. */
void srv_link_notes(const char *url, const char *pin, const char *qr)
{
	if (qr)
		fprintf(stderr, _("enrollment link (2nd line) also written as "
			"a QR code to %s\n"), qr);
	else
		fprintf(stderr, _("enrollment link: the 2nd line\n"));
	if (pin[0])
		fprintf(stderr, _("it trusts only the certificate with pin "
			"%s\n"), pin);
	else if (strncasecmp(url, "https://", 8) == 0)
		fprintf(stderr, _("note: the link holds no certificate pin, "
			"so a device trusts the server only if its certificate "
			"comes from a CA the device knows; for a self-signed "
			"certificate add --tls-cert FILE\n"));
}

/* ---- the file ------------------------------------------------------------ */

int srv_file_stage(const char *path, const unsigned char *data, size_t len,
		   char *tmp, size_t tmpsz, char *msg, size_t msgsz)
{
	size_t done = 0;
	int fd, w;

	w = snprintf(tmp, tmpsz, "%s.tmp.XXXXXX", path);
	if (w < 0 || (size_t)w >= tmpsz) {
		snprintf(msg, msgsz, _("file name too long: %s"), path);
		tmp[0] = '\0';
		return -1;
	}
	fd = mkstemp(tmp); /* mode 0600 */
	if (fd < 0) {
		snprintf(msg, msgsz, _("cannot write %s: %s"), path,
			 strerror(errno));
		tmp[0] = '\0';
		return -1;
	}
	while (done < len) {
		ssize_t k = write(fd, data + done, len - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		done += (size_t)k;
	}
	if (done < len || fsync(fd) != 0) {
		snprintf(msg, msgsz, _("cannot write %s: %s"), path,
			 strerror(errno ? errno : EIO));
		close(fd);
		srv_file_abort(tmp);
		tmp[0] = '\0';
		return -1;
	}
	if (close(fd) != 0) {
		snprintf(msg, msgsz, _("cannot write %s: %s"), path,
			 strerror(errno));
		srv_file_abort(tmp);
		tmp[0] = '\0';
		return -1;
	}
	return 0;
}

int srv_file_commit(const char *tmp, const char *path, char *msg,
		    size_t msgsz)
{
	if (rename(tmp, path) != 0) {
		snprintf(msg, msgsz, _("cannot write %s: %s"), path,
			 strerror(errno));
		srv_file_abort(tmp);
		return -1;
	}
	return 0;
}

void srv_file_abort(const char *tmp)
{
	if (tmp && *tmp)
		unlink(tmp);
}

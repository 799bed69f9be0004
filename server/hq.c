/*
** This file contains HQ's identity (hq.h): creating and loading the server's
** key pair, and opening a database with its identity in place. It also holds
** the server's clock pointer, so tests can move time.
*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include "protocol/changeset.h"
#include "hq.h"

static int64_t real_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t (*srv_clock_ms)(void) = real_clock_ms;

int srv_hq_key_path(const char *db_path, char *out, size_t outsz)
{
	return srv_store_side_path(db_path, ".hqkey", out, outsz);
}

int srv_hq_targets_path(const char *db_path, char *out, size_t outsz)
{
	return srv_store_side_path(db_path, ".targets", out, outsz);
}

int srv_hq_key_load(const char *db_path, uint8_t sk[PROTO_SK_BYTES], char *msg,
		    size_t msgsz)
{
	char path[4096], hex[PROTO_SK_BYTES * 2 + 2];
	ssize_t n;
	int fd, rc = SRV_E_IO;

	memset(sk, 0, PROTO_SK_BYTES);
	if (srv_hq_key_path(db_path, path, sizeof(path)))
		return SRV_E_ARG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(msg, msgsz, "cannot read HQ key %s: %s", path,
			 strerror(errno));
		return errno == ENOENT ? SRV_E_NOTFOUND : SRV_E_IO;
	}
	n = read(fd, hex, sizeof(hex));
	close(fd);
	if (n >= PROTO_SK_BYTES * 2 &&
	    (n == PROTO_SK_BYTES * 2 || hex[PROTO_SK_BYTES * 2] == '\n')) {
		hex[PROTO_SK_BYTES * 2] = 0;
		if (proto_hex_decode(sk, PROTO_SK_BYTES, hex) == 0)
			rc = SRV_OK;
	}
	sodium_memzero(hex, sizeof(hex));
	if (rc != SRV_OK)
		snprintf(msg, msgsz, "HQ key %s is not 128 hex digits", path);
	return rc;
}

/* Write a new key file; fails if it exists (another process won). */
static int key_write(const char *db_path, const uint8_t sk[PROTO_SK_BYTES],
		     char *msg, size_t msgsz)
{
	char path[4096], hex[PROTO_SK_BYTES * 2 + 2], dir[4096], *slash;
	int fd, rc = SRV_E_IO;

	if (srv_hq_key_path(db_path, path, sizeof(path)))
		return SRV_E_ARG;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(msg, msgsz, "cannot create HQ key %s: %s", path,
			 strerror(errno));
		return errno == EEXIST ? SRV_E_EXISTS : SRV_E_IO;
	}
	proto_hex_encode(hex, sk, PROTO_SK_BYTES);
	hex[PROTO_SK_BYTES * 2] = '\n';
	if (write(fd, hex, PROTO_SK_BYTES * 2 + 1) == PROTO_SK_BYTES * 2 + 1 &&
	    fsync(fd) == 0)
		rc = SRV_OK;
	else
		snprintf(msg, msgsz, "cannot write HQ key %s: %s", path,
			 strerror(errno));
	sodium_memzero(hex, sizeof(hex));
	close(fd);
	/* The new directory entry must survive a power cut too. */
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = 0;
	else
		snprintf(dir, sizeof(dir), ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	return rc;
}

int srv_hq_ensure(srv_store *s, const char *db_path,
		  char hq_id[PROTO_ID_HEX + 1], char *msg, size_t msgsz)
{
	uint8_t sk[PROTO_SK_BYTES], pk[PROTO_PK_BYTES], id[PROTO_ID_BYTES];
	srv_device d;
	int rc;

	hq_id[0] = 0;
	rc = srv_store_begin(s, 1);
	if (rc) {
		snprintf(msg, msgsz, "%s", srv_store_errmsg(s));
		return rc;
	}
	rc = srv_store_meta_get(s, "hq_device", hq_id, PROTO_ID_HEX + 1);
	if (rc == SRV_OK) {
		srv_store_rollback(s);
		return SRV_OK;
	}
	/* A key file without its row: an init that died halfway. Reuse it. */
	rc = srv_hq_key_load(db_path, sk, msg, msgsz);
	if (rc == SRV_E_NOTFOUND) {
		proto_keypair(pk, sk);
		rc = key_write(db_path, sk, msg, msgsz);
	}
	if (rc)
		goto out;
	crypto_sign_ed25519_sk_to_pk(pk, sk);
	proto_device_id(pk, id);
	memset(&d, 0, sizeof(d));
	proto_hex_encode(d.id, id, PROTO_ID_BYTES);
	memcpy(d.pk, pk, sizeof(pk));
	snprintf(d.name, sizeof(d.name), "HQ");
	snprintf(d.client_name, sizeof(d.client_name), "fieldsyncd");
	snprintf(d.role, sizeof(d.role), "hq");
	d.enrolled_ms = srv_clock_ms();
	rc = srv_store_device_add(s, &d);
	if (rc == SRV_OK)
		rc = srv_store_meta_set(s, "hq_device", d.id);
	if (rc == SRV_OK)
		rc = srv_store_commit(s);
	if (rc)
		snprintf(msg, msgsz, "cannot record HQ identity: %s",
			 srv_store_errmsg(s));
	else
		memcpy(hq_id, d.id, sizeof(d.id));
out:
	sodium_memzero(sk, sizeof(sk));
	srv_store_rollback(s);
	return rc;
}

int srv_db_open(const char *path, int create, srv_store **out,
		char hq_id[PROTO_ID_HEX + 1], char *msg, size_t msgsz)
{
	srv_store *s = NULL;
	int rc;

	*out = NULL;
	hq_id[0] = 0;
	if (!create && !srv_store_exists(path)) {
		snprintf(msg, msgsz, "no database at %s (create one with "
			 "`fieldsyncd init --db %s`)", path, path);
		return SRV_E_NOTFOUND;
	}
	rc = srv_store_open(path, create, &s, msg, msgsz);
	if (rc)
		return rc;
	if (create)
		rc = srv_hq_ensure(s, path, hq_id, msg, msgsz);
	else if ((rc = srv_store_meta_get(s, "hq_device", hq_id,
					  PROTO_ID_HEX + 1)) != SRV_OK)
		snprintf(msg, msgsz, "%s has no HQ identity (run `fieldsyncd "
			 "init --db %s`)", path, path);
	if (rc) {
		srv_store_close(s);
		return rc;
	}
	*out = s;
	return SRV_OK;
}

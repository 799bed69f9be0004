/*
** This file contains the zstd content coding of the wire (wire.h). The
** protocol's dictionary (zdict.c) is digested once per process, for
** compressing at each level asked for and for decoding, and shared
** read-only by every thread afterwards.
*/
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "wire.h"
#include "zdict.h"

#define LEVELS 20 /* 0..19 */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static ZSTD_CDict *cdicts[LEVELS];
static ZSTD_DDict *ddict;

static const ZSTD_CDict *cdict(int level)
{
	const ZSTD_CDict *d;

	pthread_mutex_lock(&lock);
	if (!cdicts[level])
		cdicts[level] = ZSTD_createCDict(proto_zdict, proto_zdict_len,
						 level);
	d = cdicts[level];
	pthread_mutex_unlock(&lock);
	return d;
}

static const ZSTD_DDict *get_ddict(void)
{
	const ZSTD_DDict *d;

	pthread_mutex_lock(&lock);
	if (!ddict)
		ddict = ZSTD_createDDict(proto_zdict, proto_zdict_len);
	d = ddict;
	pthread_mutex_unlock(&lock);
	return d;
}

unsigned char *proto_zstd_compress(const void *in, size_t len, int dict,
				   int level, size_t *outlen)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	unsigned char *out;

	if (!c)
		return NULL;
	out = proto_zstd_compress_ctx(c, in, len, dict, level, 0, outlen);
	ZSTD_freeCCtx(c);
	return out;
}

unsigned char *proto_zstd_compress_ctx(ZSTD_CCtx *c, const void *in,
				       size_t len, int dict, int level,
				       int table_log, size_t *outlen)
{
	size_t cap = ZSTD_compressBound(len), n;
	unsigned char *out;
	int ok;

	if (level < 1)
		level = 1;
	if (level >= LEVELS)
		level = LEVELS - 1;
	out = malloc(cap ? cap : 1);
	ok = out && c &&
	     !ZSTD_isError(ZSTD_CCtx_reset(c, ZSTD_reset_session_and_parameters));
	/* The frame says its size and carries a checksum; its window fits
	** every receiver's limit. */
	if (ok)
		ok = !ZSTD_isError(ZSTD_CCtx_setParameter(c,
				ZSTD_c_compressionLevel, level)) &&
		     !ZSTD_isError(ZSTD_CCtx_setParameter(c,
				ZSTD_c_checksumFlag, 1)) &&
		     !ZSTD_isError(ZSTD_CCtx_setParameter(c,
				ZSTD_c_windowLog, PROTO_ZSTD_WINDOW_LOG_MAX));
	if (ok && dict) {
		const ZSTD_CDict *d = cdict(level);
		ok = d && !ZSTD_isError(ZSTD_CCtx_refCDict(c, d));
		/* refCDict takes the dictionary's parameters: the window
		** and checksum set above stay (they are set after). */
		if (ok)
			ok = !ZSTD_isError(ZSTD_CCtx_setParameter(c,
					ZSTD_c_windowLog,
					PROTO_ZSTD_WINDOW_LOG_MAX)) &&
			     !ZSTD_isError(ZSTD_CCtx_setParameter(c,
					ZSTD_c_checksumFlag, 1));
	}
	/* After the dictionary, whose parameters would replace these. */
	if (ok && table_log > 0)
		ok = !ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_hashLog,
							  table_log)) &&
		     !ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_chainLog,
							  table_log));
	if (ok) {
		n = ZSTD_compress2(c, out, cap, in, len);
		ok = !ZSTD_isError(n);
		*outlen = n;
	}
	if (!ok) {
		free(out);
		return NULL;
	}
	return out;
}

ZSTD_DCtx *proto_zstd_dctx(void)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();
	const ZSTD_DDict *dd = get_ddict();

	if (!d || !dd ||
	    ZSTD_isError(ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax,
						PROTO_ZSTD_WINDOW_LOG_MAX)) ||
	    ZSTD_isError(ZSTD_DCtx_refDDict(d, dd))) {
		ZSTD_freeDCtx(d);
		return NULL;
	}
	return d;
}

size_t proto_zstd_dctx_cost(void)
{
	/* The window, the input and output blocks, and the context with its
	** tables (its stream buffer is the window plus two blocks; the
	** dictionary, digested once, is held by reference):
	** test_proto_wire checks ZSTD_sizeof_DCtx against it after a frame
	** of the largest window. */
	return ((size_t)1 << PROTO_ZSTD_WINDOW_LOG_MAX) + ZSTD_DStreamInSize() +
	       ZSTD_DStreamOutSize() + 320u * 1024u;
}

const char *proto_zstd_why(size_t zret, char *buf, size_t n)
{
	switch (ZSTD_getErrorCode(zret)) {
	case ZSTD_error_dictionary_wrong:
		snprintf(buf, n, "the zstd frame names a dictionary other than "
			 "the protocol's (id %u)", (unsigned)PROTO_ZDICT_ID);
		break;
	case ZSTD_error_frameParameter_windowTooLarge:
		snprintf(buf, n, "the zstd frame's window is over %u bytes, "
			 "the limit", 1u << PROTO_ZSTD_WINDOW_LOG_MAX);
		break;
	case ZSTD_error_checksum_wrong:
		snprintf(buf, n, "the zstd frame's checksum is wrong");
		break;
	case ZSTD_error_memory_allocation:
		snprintf(buf, n, "out of memory");
		break;
	default:
		snprintf(buf, n, "not a valid zstd frame (%s)",
			 ZSTD_getErrorName(zret));
		break;
	}
	return buf;
}

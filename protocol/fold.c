/*
** This file contains the folding of names and words as people type them
** (fold.h), shared by the client's input matching and the server's search
** for duplicates: NFKD, case folded, Vietnamese marks dropped (Lao marks
** kept: they are parts of letters), spaces, punctuation and symbols
** dropped, đ read as d.
*/
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <unictype.h>
#include <uniconv.h>
#include <uninorm.h>
#include <unistr.h>
#include "fold.h"
#include "proto.h"

/* The Latin script, looked up once (proto_fold runs on many threads). */
static const uc_script_t *latin_script;
static pthread_once_t latin_once = PTHREAD_ONCE_INIT;

static void latin_init(void)
{
	latin_script = uc_script_byname("Latin");
}

static int is_latin(ucs4_t uc)
{
	pthread_once(&latin_once, latin_init);
	return latin_script && uc_is_script(uc, latin_script);
}

size_t proto_fold(const char *s, uint32_t *out, size_t max)
{
	size_t n = 0, m = 0, k = 0;
	uint32_t *u, *f;
	int latin = 0;

	if (!s || !proto_utf8_valid(s, strlen(s)))
		return 0;
	if (!(u = u8_to_u32((const uint8_t *)s, strlen(s), NULL, &n)))
		return 0;
	f = u32_casefold(u, n, NULL, UNINORM_NFKD, NULL, &m);
	free(u);
	if (!f)
		return 0;
	for (size_t i = 0; i < m && k < max; i++) {
		ucs4_t c = f[i];
		if (uc_is_general_category(c, UC_CATEGORY_Mn) ||
		    uc_is_general_category(c, UC_CATEGORY_Me)) {
			/* Vietnamese tone and vowel marks go; Lao vowel
			** and tone marks are letters' parts and stay. */
			if (!latin)
				out[k++] = c;
			continue;
		}
		latin = is_latin(c);
		if (uc_is_property_white_space(c) ||
		    uc_is_general_category(c, UC_CATEGORY_P) ||
		    uc_is_general_category(c, UC_CATEGORY_S) ||
		    uc_is_general_category(c, UC_CATEGORY_C))
			continue;
		if (c == 0x0111) /* đ has no decomposition */
			c = 'd';
		out[k++] = c;
	}
	free(f);
	return k;
}

/*
** This file contains the unit tests of input as people type it
** (client/lib/input.c) and of libfieldsync's languages (client/lib/lang.c):
** the decimal comma, NFC and trimming of stored text, reference names
** matched without diacritics, case and the words around them, "did you
** mean", the date forms, each with the refusals that must still refuse; the
** protocol's own parser stays strict; messages and the schema in
** Vietnamese, Lao and English from the build tree's catalogs.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fieldsync.h"
#include "protocol/records.h"

typedef struct fixture {
	char dir[256];
	fieldsync *fs;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	char d[300];

	if (!f)
		return -1;
	snprintf(f->dir, sizeof f->dir, "%s/fs-input-XXXXXX", base);
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(d, sizeof d, "%s/data", f->dir);
	if (fieldsync_init(d, "Phạm Thị Hoa", &f->fs) != FIELDSYNC_OK)
		return -1;
	/* The rules are the same in every language; English messages are
	** checked here, the other languages in test_languages. */
	if (fieldsync_set_language(f->fs, "en") != FIELDSYNC_OK)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	char cmd[300];

	fieldsync_close(f->fs);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* The canonical value of kind.field typed as text, as JSON text. */
static char *parsed(fieldsync *fs, const char *kind, const char *field,
		    const char *text)
{
	cJSON *v = NULL;
	char *s;
	int rc = fieldsync_field_parse(fs, kind, field, text, &v);

	if (rc != FIELDSYNC_OK)
		fail_msg("%s.%s \"%s\" refused: %s", kind, field, text,
			 fieldsync_errmsg(fs));
	s = cJSON_PrintUnformatted(v);
	cJSON_Delete(v);
	return s;
}

#define accepts(fs, kind, field, text, want) do { \
	char *got_ = parsed(fs, kind, field, text); \
	if (strcmp(got_, want) != 0) \
		fail_msg("%s.%s \"%s\" -> %s, want %s", kind, field, text, \
			 got_, want); \
	free(got_); \
} while (0)

/* Refused: FIELDSYNC_E_INVALID about that field, message containing has. */
static void refuses(fieldsync *fs, const char *kind, const char *field,
		    const char *text, const char *has)
{
	cJSON *v = (cJSON *)1;
	int rc = fieldsync_field_parse(fs, kind, field, text, &v);

	if (rc == FIELDSYNC_OK)
		fail_msg("%s.%s \"%s\" accepted", kind, field, text);
	assert_null(v);
	assert_int_equal(rc, FIELDSYNC_E_INVALID);
	assert_string_equal(fieldsync_errfield(fs), field);
	if (!strstr(fieldsync_errdetail(fs), has))
		fail_msg("%s.%s \"%s\": message \"%s\" lacks \"%s\"", kind,
			 field, text, fieldsync_errdetail(fs), has);
	/* The full message names the field; the detail does not. */
	assert_non_null(strstr(fieldsync_errmsg(fs), field));
}

static void test_decimal_comma(void **state)
{
	fieldsync *fs = ((fixture *)*state)->fs;

	accepts(fs, "progress", "sown_ha", "3,8", "3.8");
	accepts(fs, "progress", "sown_ha", "3.8", "3.8");
	accepts(fs, "model", "planned_ha", " 5,25 ", "5.25");
	accepts(fs, "model", "planned_ha", "0,5", "0.5");
	accepts(fs, "model", "planned_ha", "12", "12");
	/* One separator only: a thousands separator is not a decimal one. */
	refuses(fs, "progress", "sown_ha", "3,8,1", "one decimal separator");
	refuses(fs, "progress", "sown_ha", "1.234,5", "one decimal separator");
	refuses(fs, "progress", "sown_ha", "1,234.5", "one decimal separator");
	refuses(fs, "progress", "sown_ha", "3,888", "more than 2 decimals");
	refuses(fs, "progress", "sown_ha", "3,", "not a number");
	refuses(fs, "progress", "sown_ha", "ba phẩy tám", "not a number");
	refuses(fs, "progress", "sown_ha", "-0,5", "out of range");
	/* Whole numbers take no decimal comma either. */
	accepts(fs, "progress", "households", " 42 ", "42");
	refuses(fs, "progress", "households", "4,2", "whole number");
}

static void test_text_nfc_trimmed(void **state)
{
	fieldsync *fs = ((fixture *)*state)->fs;
	char id[FIELDSYNC_ID_SIZE];
	cJSON *rec = NULL;
	/* "Ngô nếp" decomposed: o + U+0302, e + U+0302 + U+0301. */
	const char *nfd = "Ngo\xcc\x82 ne\xcc\x82\xcc\x81p";
	fieldsync_field f[] = {
		{"crop", nfd}, {"province", "Salavan"}, {"planned_ha", "5"},
		{"planned_households", "42"},
		{"village", "\xc2\xa0 ບ້ານ ນາດີ\t\n"}, /* NBSP, tab, newline */
	};

	accepts(fs, "model", "crop", nfd, "\"Ngô nếp\"");
	accepts(fs, "model", "crop", "  Ngô nếp  ", "\"Ngô nếp\"");
	accepts(fs, "progress", "notes", "line 1\nline 2\n\n", "\"line 1\\nline 2\"");
	/* Only white space is empty, and empty is refused. */
	refuses(fs, "model", "crop", " \t ", "must not be empty");
	/* A control character inside is still refused. */
	refuses(fs, "model", "crop", "a\x1b" "b", "control character");
	/* What is stored is the NFC, trimmed text, byte for byte. */
	assert_int_equal(fieldsync_add(fs, "model", f, 5, id), FIELDSYNC_OK);
	assert_int_equal(fieldsync_show(fs, id, &rec), FIELDSYNC_OK);
	{
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, "fields");
		assert_string_equal(cJSON_GetObjectItemCaseSensitive(v, "crop")
				    ->valuestring, "Ngô nếp");
		assert_string_equal(cJSON_GetObjectItemCaseSensitive(
				    v, "village")->valuestring, "ບ້ານ ນາດີ");
	}
	cJSON_Delete(rec);
}

static void test_reference_names(void **state)
{
	fieldsync *fs = ((fixture *)*state)->fs;

	/* Diacritics, case, decomposed input, spaces. */
	accepts(fs, "visit", "sector", "nong nghiep", "\"agriculture\"");
	accepts(fs, "visit", "sector", "NÔNG NGHIỆP", "\"agriculture\"");
	accepts(fs, "visit", "sector", "no\xcc\x82ng nghie\xcc\xa3\xcc\x82p",
		"\"agriculture\"");
	accepts(fs, "visit", "sector", "nongnghiep", "\"agriculture\"");
	accepts(fs, "visit", "sector", "y te", "\"health\"");
	accepts(fs, "visit", "sector", "cong thuong", "\"industry-trade\"");
	accepts(fs, "visit", "sector", "Van hoa, the thao va du lich",
		"\"culture-sports-tourism\"");
	accepts(fs, "visit", "sector", "quoc phong an ninh",
		"\"defence-security\"");
	accepts(fs, "visit", "sector", "lĩnh vực y tế", "\"health\"");
	accepts(fs, "visit", "sector", "ກະສິກຳ", "\"agriculture\"");
	/* Other spellings, the words around a province, Lao script. */
	accepts(fs, "model", "province", "Salavanh", "\"Salavan\"");
	accepts(fs, "model", "province", "Saravane", "\"Salavan\"");
	accepts(fs, "model", "province", "tỉnh Salavan", "\"Salavan\"");
	accepts(fs, "model", "province", "Tinh Salavan", "\"Salavan\"");
	accepts(fs, "model", "province", "Salavan province", "\"Salavan\"");
	accepts(fs, "model", "province", "ແຂວງສາລະວັນ", "\"Salavan\"");
	accepts(fs, "model", "province", "ແຂວງ ສາລະວັນ", "\"Salavan\"");
	accepts(fs, "model", "province", "xe kong", "\"Sekong\"");
	accepts(fs, "model", "province", "Xê Công", "\"Sekong\"");
	accepts(fs, "model", "province", "chăm pa sắc", "\"Champasak\"");
	accepts(fs, "model", "province", "  attapeu ", "\"Attapeu\"");
	/* Specialties and directions have Vietnamese and Lao names too. */
	accepts(fs, "trip", "specialty", "thu y", "\"veterinary\"");
	accepts(fs, "trip", "specialty", "Sản khoa", "\"obstetrics\"");
	accepts(fs, "trip", "specialty", "nhi khoa", "\"paediatrics\"");
	accepts(fs, "trip", "specialty", "ສັດຕະວະແພດ", "\"veterinary\"");
	accepts(fs, "visit", "direction", "doan ra", "\"out\"");
	accepts(fs, "visit", "direction", "Đoàn vào", "\"in\"");
	accepts(fs, "visit", "direction", "ຂາເຂົ້າ", "\"in\"");
	/* Refusals that still refuse: not a name, or not a whole name. */
	refuses(fs, "model", "province", "Vientiane",
		"unknown province \"Vientiane\"; allowed: Attapeu, Champasak, "
		"Salavan, Sekong");
	refuses(fs, "model", "province", "Gia Lai", "allowed: Attapeu");
	refuses(fs, "model", "province", "Sala", "allowed: Attapeu");
	refuses(fs, "model", "province", "tỉnh", "allowed: Attapeu");
	refuses(fs, "visit", "sector", "sports", "unknown sector");
	refuses(fs, "visit", "direction", "sideways", "allowed: out, in");
}

static void test_did_you_mean(void **state)
{
	fieldsync *fs = ((fixture *)*state)->fs;

	refuses(fs, "model", "province", "Salavn",
		"unknown province \"Salavn\"; did you mean Salavan?");
	refuses(fs, "model", "province", "tỉnh Salavn", "did you mean Salavan?");
	refuses(fs, "model", "province", "Atapue", "did you mean Attapeu?");
	refuses(fs, "model", "province", "ສາລະວນ", "did you mean Salavan?");
	refuses(fs, "visit", "sector", "nong ngiep",
		"did you mean agriculture?");
	refuses(fs, "visit", "sector", "helth", "did you mean health?");
	refuses(fs, "trip", "specialty", "surgey", "did you mean surgery?");
	/* Far from everything: the allowed names instead of a guess. */
	refuses(fs, "model", "province", "Hanoi", "allowed:");
	{
		cJSON *v = NULL;
		assert_int_not_equal(fieldsync_field_parse(fs, "model",
				     "province", "Hanoi", &v), FIELDSYNC_OK);
		assert_null(strstr(fieldsync_errmsg(fs), "did you mean"));
	}
}

static void test_dates(void **state)
{
	fieldsync *fs = ((fixture *)*state)->fs;

	accepts(fs, "visit", "start", "2026-06-20", "\"2026-06-20\"");
	accepts(fs, "visit", "start", "20/06/2026", "\"2026-06-20\"");
	accepts(fs, "visit", "start", "2026-6-20", "\"2026-06-20\"");
	accepts(fs, "visit", "start", "1/2/2026", "\"2026-02-01\"");
	accepts(fs, "visit", "start", "20.06.2026", "\"2026-06-20\"");
	accepts(fs, "visit", "start", "20-06-2026", "\"2026-06-20\"");
	accepts(fs, "visit", "start", "2026/06/20", "\"2026-06-20\"");
	accepts(fs, "visit", "start", " 29/02/2028 ", "\"2028-02-29\"");
	/* Refusals that still refuse: days that do not exist, other shapes. */
	refuses(fs, "visit", "start", "32/13/2026", "not a valid date");
	refuses(fs, "visit", "start", "31/04/2026", "not a valid date");
	refuses(fs, "visit", "start", "29/02/2026", "not a valid date");
	refuses(fs, "visit", "start", "2026-13-01", "not a valid date");
	refuses(fs, "visit", "start", "06/20/2026", "not a valid date");
	refuses(fs, "visit", "start", "20/06/26", "not a valid date");
	refuses(fs, "visit", "start", "20/06-2026", "not a valid date");
	refuses(fs, "visit", "start", "20 June 2026", "not a valid date");
	refuses(fs, "visit", "start", "2026-06-200", "not a valid date");
	refuses(fs, "visit", "start", "", "not a valid date");
	refuses(fs, "visit", "start", "32/13/2026",
		"expected YYYY-MM-DD or DD/MM/YYYY");
}

/* The wire stays strict: the protocol's parser, which the server uses,
** accepts none of the forms above. */
static void test_protocol_stays_strict(void **state)
{
	const proto_kind_def *m = proto_kind_find("model");
	const proto_kind_def *v = proto_kind_find("visit");
	const struct {
		const proto_kind_def **k;
		const char *field, *text;
	} strict[] = {
		{&m, "planned_ha", "3,8"}, {&m, "planned_ha", " 3.8"},
		{&v, "start", "20/06/2026"}, {&v, "start", "2026-6-20"},
		{&m, "province", "nong nghiep"}, {&m, "province", "tỉnh Salavan"},
		{&m, "province", "Salavn"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof strict / sizeof strict[0]; i++) {
		proto_err err;
		cJSON *out = NULL;
		const proto_field_def *f =
			proto_field_find(*strict[i].k, strict[i].field);
		assert_non_null(f);
		if (proto_field_parse(f, strict[i].text, &out, &err) ==
		    PROTO_OK)
			fail_msg("protocol accepted %s \"%s\"", f->name,
				 strict[i].text);
		assert_null(out);
	}
}

/* Messages and the schema in the three languages. The catalogs are the
** build tree's (found beside the test program). */
static void test_languages(void **state)
{
	fieldsync *fs = ((fixture *)*state)->fs;
	cJSON *v = NULL, *sch;
	const cJSON *k, *fl;
	char vi[1024];

	assert_int_equal(fieldsync_set_language(fs, "vi_VN.UTF-8"), FIELDSYNC_OK);
	assert_string_equal(fieldsync_language(fs), "vi");
	assert_int_not_equal(fieldsync_field_parse(fs, "model", "province",
						   "Nowhere", &v), FIELDSYNC_OK);
	snprintf(vi, sizeof vi, "%s", fieldsync_errdetail(fs));
	if (!strstr(vi, "tỉnh") || !strstr(vi, "\"Nowhere\""))
		fail_msg("not Vietnamese: %s", vi);
	assert_int_not_equal(fieldsync_field_parse(fs, "progress", "sown_ha",
						   "3,8,1", &v), FIELDSYNC_OK);
	if (!strstr(fieldsync_errdetail(fs), "số"))
		fail_msg("not Vietnamese: %s", fieldsync_errdetail(fs));
	/* The protocol's messages follow the handle too. */
	assert_int_not_equal(fieldsync_field_parse(fs, "model", "planned_ha",
						   "-1", &v), FIELDSYNC_OK);
	if (!strstr(fieldsync_errdetail(fs), "ngoài") &&
	    !strstr(fieldsync_errdetail(fs), "phạm vi"))
		fail_msg("not Vietnamese: %s", fieldsync_errdetail(fs));
	/* Vietnamese did-you-mean names entries by their Vietnamese names. */
	assert_int_not_equal(fieldsync_field_parse(fs, "visit", "sector",
						   "nong ngiep", &v), FIELDSYNC_OK);
	if (!strstr(fieldsync_errdetail(fs), "nông nghiệp"))
		fail_msg("no Vietnamese suggestion: %s", fieldsync_errdetail(fs));

	assert_int_equal(fieldsync_set_language(fs, "lo"), FIELDSYNC_OK);
	assert_int_not_equal(fieldsync_field_parse(fs, "model", "province",
						   "Nowhere", &v), FIELDSYNC_OK);
	if (!strstr(fieldsync_errdetail(fs), "ແຂວງ"))
		fail_msg("not Lao: %s", fieldsync_errdetail(fs));

	assert_int_equal(fieldsync_set_language(fs, "en"), FIELDSYNC_OK);
	assert_int_not_equal(fieldsync_field_parse(fs, "model", "province",
						   "Nowhere", &v), FIELDSYNC_OK);
	assert_string_equal(fieldsync_errdetail(fs), "unknown province "
			    "\"Nowhere\"; allowed: Attapeu, Champasak, Salavan, "
			    "Sekong");

	/* Unknown languages are refused and change nothing. */
	assert_int_equal(fieldsync_set_language(fs, "fr"), FIELDSYNC_E_USAGE);
	assert_string_equal(fieldsync_language(fs), "en");
	assert_string_equal(fieldsync_language_name("lo_LA"), "ພາສາລາວ");
	assert_null(fieldsync_language_name("th"));

	/* Schema: labels change with the language, wire names do not. */
	assert_null(fieldsync_schema_lang("xx"));
	sch = fieldsync_schema_lang("vi");
	assert_non_null(sch);
	cJSON_ArrayForEach(k, sch) {
		if (strcmp(cJSON_GetObjectItem(k, "kind")->valuestring,
			   "model") != 0)
			continue;
		assert_string_equal(cJSON_GetObjectItem(k, "label")->valuestring,
				    "Mô hình trình diễn");
		cJSON_ArrayForEach(fl, cJSON_GetObjectItem(k, "fields")) {
			const char *n = cJSON_GetObjectItem(fl, "name")->valuestring;
			if (strcmp(n, "planned_ha") == 0) {
				assert_string_equal(cJSON_GetObjectItem(
					fl, "unit")->valuestring, "ha");
				assert_string_equal(cJSON_GetObjectItem(
					fl, "label")->valuestring,
					"Diện tích kế hoạch");
			}
			if (strcmp(n, "sector") == 0) {
				const cJSON *c = cJSON_GetArrayItem(
					cJSON_GetObjectItem(fl, "choices"), 5);
				assert_string_equal(cJSON_GetObjectItem(
					c, "value")->valuestring, "agriculture");
				assert_string_equal(cJSON_GetObjectItem(
					c, "label")->valuestring, "nông nghiệp");
				assert_string_equal(cJSON_GetArrayItem(
					cJSON_GetObjectItem(fl, "allowed"), 5)
					->valuestring, "agriculture");
			}
		}
	}
	cJSON_Delete(sch);
}

/* Every Vietnamese and Lao name a form shows (the catalogs' labels of
** each reference entry) is accepted back as that entry. */
static void test_labels_accepted_back(void **state)
{
	fieldsync *fs = ((fixture *)*state)->fs;
	static const char *const langs[] = {"vi", "lo", "en"};
	static const char *const kinds[] = {"model", "visit", "trip", "visit"};
	static const char *const fields[] = {"province", "sector", "specialty",
					     "direction"};

	for (size_t l = 0; l < 3; l++) {
		cJSON *sch = fieldsync_schema_lang(langs[l]);
		for (size_t i = 0; i < 4; i++) {
			const cJSON *k, *fl, *c;
			cJSON_ArrayForEach(k, sch) {
				if (strcmp(cJSON_GetObjectItem(k, "kind")
					   ->valuestring, kinds[i]) != 0)
					continue;
				cJSON_ArrayForEach(fl, cJSON_GetObjectItem(k, "fields")) {
					if (strcmp(cJSON_GetObjectItem(fl, "name")
						   ->valuestring, fields[i]) != 0)
						continue;
					cJSON_ArrayForEach(c, cJSON_GetObjectItem(fl, "choices")) {
						char want[128];
						snprintf(want, sizeof want, "\"%s\"",
							 cJSON_GetObjectItem(c, "value")->valuestring);
						accepts(fs, kinds[i], fields[i],
							cJSON_GetObjectItem(c, "label")->valuestring,
							want);
					}
				}
			}
		}
		cJSON_Delete(sch);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_decimal_comma, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_nfc_trimmed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reference_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_did_you_mean, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dates, setup, teardown),
		cmocka_unit_test(test_protocol_stays_strict),
		cmocka_unit_test_setup_teardown(test_languages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_labels_accepted_back, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

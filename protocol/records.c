/*
** This file contains the record-kind table — every kind, every field, its
** type, limits and allowed values — and the reference lists with the
** spellings people actually use. Client and server validate through these
** functions only, so a field added here is known everywhere at once.
*/
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "records.h"
#include "i18n.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- reference lists -------------------------------------------------- */

/* Labels are English display names marked N_() for the catalogs (po/);
** aliases hold every other spelling people use, the Vietnamese and Lao
** names included, so that the server (which loads no catalog) accepts them
** too. DOMAIN.md gives the names. */
static const proto_ref_entry province_entries[] = {
	{"Attapeu", N_("Attapeu"),
	 {"Attapu", "Attopeu", "Atapeu", "ອັດຕະປື", "Ắt-tạ-pư", NULL}},
	{"Champasak", N_("Champasak"),
	 {"Champassak", "Champasack", "Champassack", "Champasac", "ຈຳປາສັກ",
	  "Chăm-pa-sắc", NULL}},
	{"Salavan", N_("Salavan"),
	 {"Saravane", "Saravan", "Salavane", "Salavanh", "ສາລະວັນ",
	  "Sa-la-van", "Xa-la-van", NULL}},
	{"Sekong", N_("Sekong"),
	 {"Xekong", "Xe Kong", "Se Kong", "Sekông", "ເຊກອງ", "Xê-kông",
	  "Xê Kông", "Xê Công", NULL}},
};
/* TRANSLATORS: the noun in "unknown province ..." messages. */
const proto_ref_list proto_provinces = {
	"province", N_("province"), province_entries, N(province_entries),
	{"tỉnh", "province", "provincia", "ແຂວງ", "khoueng", "khouang", NULL}};

static const proto_ref_entry sector_entries[] = {
	{"politics", N_("politics"), {"chính trị", "ການເມືອງ", NULL}},
	{"education", N_("education and training"),
	 {"giáo dục và đào tạo", "giáo dục", "đào tạo",
	  "ການສຶກສາ ແລະ ການຝຶກອົບຮົມ", "ການສຶກສາ", "ສຶກສາ", NULL}},
	{"health", N_("health"),
	 {"y tế", "medical", "ສາທາລະນະສຸກ", NULL}},
	{"investment", N_("investment"),
	 {"hợp tác đầu tư", "đầu tư", "investment cooperation", "ການລົງທຶນ",
	  NULL}},
	{"industry-trade", N_("industry and trade"),
	 {"trade", "industry", "công thương", "công nghiệp và thương mại",
	  "ອຸດສາຫະກຳ ແລະ ການຄ້າ", "ອຸດສາຫະກຳ", "ການຄ້າ", NULL}},
	{"agriculture", N_("agriculture"),
	 {"nông nghiệp", "ກະສິກຳ", NULL}},
	{"science-technology", N_("science and technology"),
	 {"science", "technology", "khoa học và công nghệ", "khoa học",
	  "ວິທະຍາສາດ ແລະ ເຕັກໂນໂລຊີ", NULL}},
	{"culture-sports-tourism", N_("culture, sports and tourism"),
	 {"culture", "tourism", "văn hoá, thể thao và du lịch",
	  "văn hóa, thể thao và du lịch", "văn hoá", "du lịch",
	  "ວັດທະນະທຳ, ກິລາ ແລະ ການທ່ອງທ່ຽວ", "ວັດທະນະທຳ", NULL}},
	{"foreign-affairs", N_("foreign affairs"),
	 {"đối ngoại", "ngoại vụ", "ການຕ່າງປະເທດ", NULL}},
	{"defence-security", N_("defence and security"),
	 {"defense", "defence", "security", "defense and security",
	  "quốc phòng, an ninh", "quốc phòng và an ninh", "quốc phòng",
	  "an ninh", "ປ້ອງກັນຊາດ ແລະ ປ້ອງກັນຄວາມສະຫງົບ", NULL}},
	{"justice", N_("justice"), {"tư pháp", "ຍຸຕິທຳ", NULL}},
	{"youth", N_("youth exchange"),
	 {"giao lưu thanh niên", "thanh niên", "ການແລກປ່ຽນຊາວໜຸ່ມ",
	  "ຊາວໜຸ່ມ", NULL}},
	{"friendship-works", N_("friendship works"),
	 {"công trình hữu nghị", "ສິ່ງປຸກສ້າງມິດຕະພາບ", NULL}},
};
/* TRANSLATORS: the noun in "unknown sector ..." messages (lĩnh vực). */
const proto_ref_list proto_sectors = {
	"sector", N_("sector"), sector_entries, N(sector_entries),
	{"lĩnh vực", "ngành", "sector", "ຂະແໜງການ", "ຂະແໜງ", NULL}};

/* Specialties; the first group is agricultural, the second medical. The
** sector each implies is in specialty_sector below. */
static const proto_ref_entry specialty_entries[] = {
	{"crop", N_("crops"),
	 {"agronomy", "agronomist", "trồng trọt", "nông học", "ການປູກຝັງ",
	  NULL}},
	{"livestock", N_("livestock"),
	 {"animal husbandry", "chăn nuôi", "ການລ້ຽງສັດ", NULL}},
	{"veterinary", N_("veterinary medicine"),
	 {"vet", "veterinarian", "thú y", "bác sĩ thú y",
	  "ສັດຕະວະແພດ", NULL}},
	{"aquaculture", N_("aquaculture"),
	 {"fisheries", "nuôi trồng thủy sản", "thủy sản", "ການລ້ຽງສັດນ້ຳ",
	  NULL}},
	{"forestry", N_("forestry"), {"lâm nghiệp", "ປ່າໄມ້", NULL}},
	{"irrigation", N_("irrigation"), {"thủy lợi", "ຊົນລະປະທານ", NULL}},
	{"mushroom", N_("mushroom growing"),
	 {"mushrooms", "trồng nấm", "nấm", "ການປູກເຫັດ", "ເຫັດ",
	  NULL}},
	{"surgery", N_("surgery"),
	 {"surgeon", "ngoại khoa", "phẫu thuật", "ສັນລະຍະກຳ", "ຜ່າຕັດ", NULL}},
	{"obstetrics", N_("obstetrics"),
	 {"obstetric", "sản khoa", "ສູຕິກຳ", NULL}},
	{"paediatrics", N_("paediatrics"),
	 {"pediatrics", "neonatology", "nhi khoa", "sơ sinh", "ກຸມານເວດ",
	  NULL}},
	{"internal-medicine", N_("internal medicine"),
	 {"medicine", "nội khoa", "ອາຍຸລະກຳ", NULL}},
	{"nursing", N_("nursing"),
	 {"nurse", "điều dưỡng", "ການພະຍາບານ", "ພະຍາບານ", NULL}},
	{"public-health", N_("public health"),
	 {"y tế công cộng", "ສາທາລະນະສຸກຊຸມຊົນ", NULL}},
	{"traditional-medicine", N_("traditional medicine"),
	 {"y học cổ truyền", "đông y", "ການແພດພື້ນເມືອງ", NULL}},
	{"teaching", N_("teaching"),
	 {"education", "giảng dạy", "ການສອນ", NULL}},
	{"journalism", N_("journalism"),
	 {"media", "multimedia journalism", "báo chí", "truyền thông",
	  "ການຂ່າວ", "ສື່ມວນຊົນ", NULL}},
	{"other", N_("other"), {"khác", "ອື່ນໆ", NULL}},
};
/* TRANSLATORS: the noun in "unknown specialty ..." messages. */
const proto_ref_list proto_specialties = {
	"specialty", N_("specialty"), specialty_entries,
	N(specialty_entries), {"chuyên ngành", "specialty", NULL}};

static const struct {
	const char *specialty, *sector;
} specialty_sector[] = {
	{"crop", "agriculture"}, {"livestock", "agriculture"},
	{"veterinary", "agriculture"}, {"aquaculture", "agriculture"},
	{"forestry", "agriculture"}, {"irrigation", "agriculture"},
	{"mushroom", "science-technology"}, {"surgery", "health"},
	{"obstetrics", "health"}, {"paediatrics", "health"},
	{"internal-medicine", "health"}, {"nursing", "health"},
	{"public-health", "health"}, {"traditional-medicine", "health"},
	{"teaching", "education"}, {"journalism", "foreign-affairs"},
};

/* Vietnamese official usage: "đoàn ra" (a delegation going abroad) and
** "đoàn vào" (a delegation received). */
static const proto_ref_entry direction_entries[] = {
	/* TRANSLATORS: a delegation visit's direction: from Gia Lai to a Lao
	** province. */
	{"out", N_("outbound: from Gia Lai to Laos"),
	 {"outbound", "outgoing", "đoàn ra", "ra", "đi", "ຂາອອກ", NULL}},
	/* TRANSLATORS: a delegation visit's direction: from a Lao province to
	** Gia Lai. */
	{"in", N_("inbound: from Laos to Gia Lai"),
	 {"inbound", "incoming", "đoàn vào", "vào", "đến", "ຂາເຂົ້າ", NULL}},
};
/* TRANSLATORS: the noun in "unknown direction ..." messages. */
const proto_ref_list proto_directions = {
	"direction", N_("direction"), direction_entries, N(direction_entries),
	{"direction", "chiều", NULL}};

/* Scholarship levels (DOMAIN.md: master's and university at Quy Nhơn
** University, vocational transfer to college, college). */
static const proto_ref_entry level_entries[] = {
	{"master", N_("master's degree"),
	 {"masters", "master's", "thạc sĩ", "cao học", "ປະລິນຍາໂທ", "ປ.ໂທ",
	  NULL}},
	{"university", N_("university"),
	 {"bachelor", "undergraduate", "đại học", "cử nhân", "ປະລິນຍາຕີ",
	  "ມະຫາວິທະຍາໄລ", NULL}},
	{"college", N_("college"),
	 {"cao đẳng", "ຊັ້ນສູງ", "ວິທະຍາໄລ", NULL}},
	{"vocational", N_("vocational transfer to college"),
	 {"vocational transfer", "liên thông cao đẳng", "liên thông",
	  "trung cấp", "nghề", "ວິຊາຊີບ", "ຕໍ່ເນື່ອງຊັ້ນສູງ", NULL}},
};
/* TRANSLATORS: the noun in "unknown level ..." messages (a scholarship's
** level of study). */
const proto_ref_list proto_levels = {
	"level", N_("level"), level_entries, N(level_entries),
	{"bậc", "hệ", "level", "ລະດັບ", NULL}};

/* A friendship work is a school, a clinic or a cultural building: three
** of the sectors (same canonical names, labels and spellings, so reports
** filter works by sector like every other kind). */
static const proto_ref_entry work_sector_entries[] = {
	{"education", N_("education and training"),
	 {"giáo dục và đào tạo", "giáo dục", "đào tạo", "school", "trường học",
	  "ການສຶກສາ ແລະ ການຝຶກອົບຮົມ", "ການສຶກສາ", "ສຶກສາ", NULL}},
	{"health", N_("health"),
	 {"y tế", "medical", "clinic", "hospital", "ສາທາລະນະສຸກ", NULL}},
	{"culture-sports-tourism", N_("culture, sports and tourism"),
	 {"culture", "văn hoá", "văn hóa", "văn hoá, thể thao và du lịch",
	  "văn hóa, thể thao và du lịch", "ວັດທະນະທຳ",
	  "ວັດທະນະທຳ, ກິລາ ແລະ ການທ່ອງທ່ຽວ", NULL}},
};
const proto_ref_list proto_work_sectors = {
	"work_sector", N_("sector"), work_sector_entries,
	N(work_sector_entries),
	{"lĩnh vực", "ngành", "sector", "ຂະແໜງການ", "ຂະແໜງ", NULL}};

static const proto_ref_entry work_status_entries[] = {
	{"planned", N_("planned"),
	 {"not started", "kế hoạch", "chưa khởi công", "ແຜນການ",
	  "ຍັງບໍ່ທັນກໍ່ສ້າງ", NULL}},
	{"under-construction", N_("under construction"),
	 {"building", "in construction", "đang thi công", "đang xây dựng",
	  "thi công", "ກຳລັງກໍ່ສ້າງ", NULL}},
	{"handed-over", N_("handed over"),
	 {"done", "completed", "finished", "đã bàn giao", "bàn giao",
	  "hoàn thành", "ມອບໃຫ້ແລ້ວ", "ສົ່ງມອບແລ້ວ", NULL}},
};
/* TRANSLATORS: the noun in "unknown status ..." messages (a friendship
** work's state). */
const proto_ref_list proto_work_statuses = {
	"status", N_("status"), work_status_entries, N(work_status_entries),
	{"trạng thái", "tình trạng", "status", "ສະຖານະ", NULL}};

/* ---- the kinds -------------------------------------------------------- */

#define NAME PROTO_MAX_NAME_BYTES
#define TEXT PROTO_MAX_TEXT_BYTES
#define HA(x) ((long long)(x) * 100)

/* TRANSLATORS: units shown after a number: "5 ha", "42 households". */
#define U_HA N_("ha")
#define U_PEOPLE N_("people")
#define U_HOUSEHOLDS N_("households")
#define U_SESSIONS N_("sessions")
#define U_STUDENTS N_("students")
/* TRANSLATORS: the unit after an amount of money, whole Vietnamese đồng
** ("10000000000 VND"): "đồng" in Vietnamese. */
#define U_VND N_("VND")
/* Not translated: "%" is written alike in the three languages. */
#define U_PCT "%"

/* Money is whole đồng, 0 to 10^13 (ten thousand billion): below 2^53, so
** exact as a JSON number read into a double (SPEC 2.6). */
#define MONEY_MAX 10000000000000LL

static const proto_field_def visit_fields[] = {
	{"direction", PROTO_T_ENUM, 1, 0, 0, 0, &proto_directions, NULL,
	 N_("Direction"),
	 N_("out = from Gia Lai to a Lao province, in = to Gia Lai")},
	{"province", PROTO_T_ENUM, 1, 0, 0, 0, &proto_provinces, NULL,
	 N_("Province"), N_("the Lao counterpart province")},
	{"leader", PROTO_T_TEXT, 1, 0, 0, NAME, NULL, NULL,
	 N_("Delegation leader"), N_("head of the delegation")},
	{"title", PROTO_T_TEXT, 0, 0, 0, NAME, NULL, NULL,
	 N_("Leader's title"), N_("the leader's title")},
	{"members", PROTO_T_INT, 1, 1, 1000, 0, NULL, U_PEOPLE,
	 N_("Members"), N_("number of members, leader included")},
	{"sector", PROTO_T_ENUM, 1, 0, 0, 0, &proto_sectors, NULL,
	 N_("Sector"), N_("programme sector")},
	{"host", PROTO_T_TEXT, 0, 0, 0, NAME, NULL, NULL, N_("Host agency"),
	 N_("host agency")},
	{"start", PROTO_T_DATE, 1, 0, 0, 0, NULL, NULL, N_("Start date"),
	 N_("first day")},
	{"end", PROTO_T_DATE, 0, 0, 0, 0, NULL, NULL, N_("End date"),
	 N_("last day (not before start)")},
	{"purpose", PROTO_T_TEXT, 0, 0, 0, TEXT, NULL, NULL, N_("Purpose"),
	 N_("purpose")},
	{"outcome", PROTO_T_TEXT, 0, 0, 0, TEXT, NULL, NULL, N_("Outcome"),
	 N_("what came of it")},
};

static const proto_field_def trip_fields[] = {
	{"expert", PROTO_T_TEXT, 1, 0, 0, NAME, NULL, NULL, N_("Expert"),
	 N_("expert or team leader name(s)")},
	{"experts", PROTO_T_INT, 0, 1, 500, 0, NULL, U_PEOPLE,
	 N_("Number of experts"), N_("number of experts (1 if absent)")},
	{"specialty", PROTO_T_ENUM, 1, 0, 0, 0, &proto_specialties, NULL,
	 N_("Specialty"), N_("expert specialty")},
	{"sector", PROTO_T_ENUM, 0, 0, 0, 0, &proto_sectors, NULL,
	 N_("Sector"),
	 N_("programme sector (implied by the specialty if absent)")},
	{"department", PROTO_T_TEXT, 0, 0, 0, NAME, NULL, NULL,
	 N_("Sending department"), N_("sending department")},
	{"province", PROTO_T_ENUM, 1, 0, 0, 0, &proto_provinces, NULL,
	 N_("Province"), N_("Lao province visited")},
	{"site", PROTO_T_TEXT, 0, 0, 0, NAME, NULL, NULL, N_("Site"),
	 N_("site, e.g. Attapeu provincial hospital")},
	{"start", PROTO_T_DATE, 1, 0, 0, 0, NULL, NULL, N_("Start date"),
	 N_("first day")},
	{"end", PROTO_T_DATE, 0, 0, 0, 0, NULL, NULL, N_("End date"),
	 N_("last day (not before start)")},
	{"trainings", PROTO_T_INT, 0, 0, 10000, 0, NULL, U_SESSIONS,
	 N_("Trainings"), N_("trainings held")},
	{"trained", PROTO_T_INT, 0, 0, 100000, 0, NULL, U_PEOPLE,
	 N_("People trained"), N_("people trained")},
	{"patients", PROTO_T_INT, 0, 0, 1000000, 0, NULL, U_PEOPLE,
	 N_("Patients"), N_("patients seen")},
	{"outcome", PROTO_T_TEXT, 0, 0, 0, TEXT, NULL, NULL, N_("Outcome"),
	 N_("what came of it")},
};

static const proto_field_def model_fields[] = {
	{"crop", PROTO_T_TEXT, 1, 0, 0, NAME, NULL, NULL, N_("Crop or breed"),
	 N_("crop or breed, e.g. sticky maize")},
	{"sector", PROTO_T_ENUM, 0, 0, 0, 0, &proto_sectors, NULL,
	 N_("Sector"), N_("programme sector (agriculture if absent)")},
	{"province", PROTO_T_ENUM, 1, 0, 0, 0, &proto_provinces, NULL,
	 N_("Province"), N_("Lao province")},
	{"district", PROTO_T_TEXT, 0, 0, 0, NAME, NULL, NULL, N_("District"),
	 N_("district")},
	{"village", PROTO_T_TEXT, 0, 0, 0, NAME, NULL, NULL, N_("Village"),
	 N_("village")},
	{"planned_ha", PROTO_T_DECIMAL, 1, 0, HA(1000000), 0, NULL, U_HA,
	 N_("Planned area"), N_("planned area, hectares, up to 2 decimals")},
	{"planned_households", PROTO_T_INT, 1, 0, 100000, 0, NULL,
	 U_HOUSEHOLDS, N_("Planned households"), N_("planned households")},
	{"season", PROTO_T_TEXT, 0, 0, 0, NAME, NULL, NULL, N_("Season"),
	 N_("season, e.g. 2025 rainy season")},
	{"start", PROTO_T_DATE, 0, 0, 0, 0, NULL, NULL, N_("Start date"),
	 N_("start date")},
};

static const proto_field_def progress_fields[] = {
	{"model", PROTO_T_ID, 1, 0, 0, 0, NULL, NULL, N_("Model"),
	 N_("the model's id")},
	{"date", PROTO_T_DATE, 1, 0, 0, 0, NULL, NULL, N_("Observation date"),
	 N_("observation date")},
	{"sown_ha", PROTO_T_DECIMAL, 1, 0, HA(1000000), 0, NULL, U_HA,
	 N_("Area sown"), N_("hectares sown so far (cumulative)")},
	{"households", PROTO_T_INT, 1, 0, 100000, 0, NULL, U_HOUSEHOLDS,
	 N_("Households"), N_("households taking part")},
	{"notes", PROTO_T_TEXT, 0, 0, 0, TEXT, NULL, NULL, N_("Notes"),
	 N_("notes")},
};

static const proto_field_def scholarship_fields[] = {
	{"province", PROTO_T_ENUM, 1, 0, 0, 0, &proto_provinces, NULL,
	 N_("Province"), N_("the Lao province whose students are awarded")},
	{"academic_year", PROTO_T_YEARS, 1, 0, 0, 0, NULL, NULL,
	 N_("Academic year"), N_("academic year, e.g. 2026-2027")},
	{"level", PROTO_T_ENUM, 1, 0, 0, 0, &proto_levels, NULL,
	 N_("Level"), N_("level of study")},
	{"school", PROTO_T_TEXT, 1, 0, 0, NAME, NULL, NULL, N_("School"),
	 N_("school, e.g. Quy Nhon University")},
	{"awarded", PROTO_T_INT, 1, 0, 10000, 0, NULL, U_STUDENTS,
	 N_("Scholarships awarded"), N_("scholarships awarded in this batch")},
	{"enrolled", PROTO_T_INT, 0, 0, 10000, 0, NULL, U_STUDENTS,
	 N_("Students enrolled"),
	 N_("students actually enrolled (may be recorded later)")},
	{"allowance", PROTO_T_INT, 0, 0, MONEY_MAX, 0, NULL, U_VND,
	 N_("Monthly allowance"),
	 N_("monthly allowance per student, whole VND")},
	{"notes", PROTO_T_TEXT, 0, 0, 0, TEXT, NULL, NULL, N_("Notes"),
	 N_("notes")},
};

static const proto_field_def work_fields[] = {
	{"province", PROTO_T_ENUM, 1, 0, 0, 0, &proto_provinces, NULL,
	 N_("Province"), N_("Lao province")},
	{"name", PROTO_T_TEXT, 1, 0, 0, NAME, NULL, NULL, N_("Name"),
	 N_("name of the work, e.g. Vang Tat small hospital")},
	{"sector", PROTO_T_ENUM, 1, 0, 0, 0, &proto_work_sectors, NULL,
	 N_("Sector"), N_("education, health or culture")},
	{"site", PROTO_T_TEXT, 0, 0, 0, NAME, NULL, NULL, N_("Site"),
	 N_("site, e.g. Sanxay district")},
	{"budget", PROTO_T_INT, 1, 0, MONEY_MAX, 0, NULL, U_VND,
	 N_("Budget"), N_("budget, whole VND")},
};

static const proto_field_def work_progress_fields[] = {
	{"work", PROTO_T_ID, 1, 0, 0, 0, NULL, NULL, N_("Work"),
	 N_("the work's id")},
	{"date", PROTO_T_DATE, 1, 0, 0, 0, NULL, NULL, N_("Observation date"),
	 N_("observation date")},
	{"disbursed", PROTO_T_INT, 1, 0, MONEY_MAX, 0, NULL, U_VND,
	 N_("Disbursed"), N_("disbursed so far, whole VND (cumulative)")},
	{"built_pct", PROTO_T_INT, 1, 0, 100, 0, NULL, U_PCT,
	 N_("Share built"), N_("share built so far, percent")},
	{"status", PROTO_T_ENUM, 1, 0, 0, 0, &proto_work_statuses, NULL,
	 N_("Status"), N_("planned, under construction or handed over")},
	{"notes", PROTO_T_TEXT, 0, 0, 0, TEXT, NULL, NULL, N_("Notes"),
	 N_("notes")},
};

const proto_kind_def proto_kinds[] = {
	{"visit", "visits", N_("Delegation visit"), N_("Delegation visits"),
	 visit_fields, N(visit_fields), 0, {"leader", "province", "start", NULL}},
	{"trip", "trips", N_("Expert trip"), N_("Expert trips"), trip_fields,
	 N(trip_fields), 0, {"expert", "province", "start", NULL}},
	{"model", "models", N_("Demonstration model"),
	 N_("Demonstration models"), model_fields, N(model_fields), 0,
	 {"crop", "province", "district", NULL}},
	{"progress", "progress", N_("Progress observation"),
	 N_("Progress observations"), progress_fields, N(progress_fields), 1,
	 {"date", "sown_ha", NULL, NULL}},
	{"scholarship", "scholarships", N_("Scholarship batch"),
	 N_("Scholarship batches"), scholarship_fields,
	 N(scholarship_fields), 0, {"school", "province", "academic_year",
				    NULL}},
	{"work", "works", N_("Friendship work"), N_("Friendship works"),
	 work_fields, N(work_fields), 0, {"name", "province", NULL, NULL}},
	{"work_progress", "work_progress", N_("Work observation"),
	 N_("Work observations"), work_progress_fields,
	 N(work_progress_fields), 1, {"date", "status", NULL, NULL}},
};
const size_t proto_nkinds = N(proto_kinds);

const proto_kind_def *proto_kind_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < proto_nkinds; i++)
		if (strcmp(proto_kinds[i].name, name) == 0 ||
		    strcmp(proto_kinds[i].plural, name) == 0)
			return &proto_kinds[i];
	return NULL;
}

const proto_field_def *proto_field_find(const proto_kind_def *k,
					const char *name)
{
	if (!k || !name)
		return NULL;
	for (size_t i = 0; i < k->nfields; i++)
		if (strcmp(k->fields[i].name, name) == 0)
			return &k->fields[i];
	return NULL;
}

/* Case-insensitive (ASCII letters) compare that also ignores ASCII spaces,
** hyphens and underscores, so "Xe Kong", "xe-kong" and "XEKONG" agree. */
static int loose_eq(const char *a, const char *b)
{
	for (;;) {
		while (*a == ' ' || *a == '-' || *a == '_')
			a++;
		while (*b == ' ' || *b == '-' || *b == '_')
			b++;
		if (!*a || !*b)
			return !*a && !*b;
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
		a++;
		b++;
	}
}

const char *proto_ref_lookup(const proto_ref_list *list, const char *text)
{
	if (!list || !text || !*text)
		return NULL;
	for (size_t i = 0; i < list->count; i++) {
		const proto_ref_entry *e = &list->entries[i];
		if (loose_eq(e->name, text) || loose_eq(e->label, text))
			return e->name;
		for (size_t j = 0; j < N(e->aliases) && e->aliases[j]; j++)
			if (loose_eq(e->aliases[j], text))
				return e->name;
	}
	return NULL;
}

const proto_ref_entry *proto_ref_entry_find(const proto_ref_list *list,
					    const char *name)
{
	for (size_t i = 0; list && name && i < list->count; i++)
		if (strcmp(list->entries[i].name, name) == 0)
			return &list->entries[i];
	return NULL;
}

const char *proto_ref_names(const proto_ref_list *list)
{
	/* One buffer per list; the lists are constant so the text is too. */
	static const proto_ref_list *const lists[] = {
		&proto_provinces, &proto_sectors, &proto_specialties,
		&proto_directions, &proto_levels, &proto_work_sectors,
		&proto_work_statuses};
	static char bufs[N(lists)][512];
	static const proto_ref_list *owners[N(lists)];
	size_t slot = 0;

	/* A list not named above shares the last slot. */
	while (slot < N(lists) - 1 && lists[slot] != list)
		slot++;
	if (owners[slot] != list) {
		size_t off = 0;
		bufs[slot][0] = '\0';
		for (size_t i = 0; i < list->count && off < 500; i++) {
			int n = snprintf(bufs[slot] + off, 512 - off, "%s%s",
					 i ? ", " : "", list->entries[i].name);
			if (n < 0 || (size_t)n >= 512 - off)
				break;
			off += (size_t)n;
		}
		owners[slot] = list;
	}
	return bufs[slot];
}

const char *proto_specialty_sector(const char *specialty)
{
	for (size_t i = 0; specialty && i < N(specialty_sector); i++)
		if (strcmp(specialty_sector[i].specialty, specialty) == 0)
			return specialty_sector[i].sector;
	return NULL;
}

/* ---- values ----------------------------------------------------------- */

int proto_decimal_get(const cJSON *v, long long *hundredths)
{
	double x, r;

	if (!cJSON_IsNumber(v))
		return -1;
	x = v->valuedouble * 100.0;
	if (!isfinite(x) || fabs(x) > 9.0e15)
		return -1;
	r = nearbyint(x);
	/* Tight enough that 3.80000001 is refused, loose enough for the
	** binary rounding of 3.8 * 100. */
	if (fabs(x - r) > 1e-9 * (fabs(x) > 1 ? fabs(x) : 1))
		return -1;
	*hundredths = (long long)r;
	return 0;
}

cJSON *proto_decimal_new(long long hundredths)
{
	return cJSON_CreateNumber((double)hundredths / 100.0);
}

static int int_get(const cJSON *v, long long *out)
{
	double d;

	if (!cJSON_IsNumber(v))
		return -1;
	d = v->valuedouble;
	if (!isfinite(d) || d != floor(d) || fabs(d) > 9007199254740991.0)
		return -1;
	*out = (long long)d;
	return 0;
}

static void fmt_hundredths(char *buf, size_t n, long long h)
{
	long long a = h < 0 ? -h : h;
	if (a % 100 == 0)
		snprintf(buf, n, "%s%lld", h < 0 ? "-" : "", a / 100);
	else if (a % 10 == 0)
		snprintf(buf, n, "%s%lld.%lld", h < 0 ? "-" : "", a / 100,
			 (a % 100) / 10);
	else
		snprintf(buf, n, "%s%lld.%02lld", h < 0 ? "-" : "", a / 100,
			 a % 100);
}

/* An academic year "YYYY-YYYY": two years 1900-2999, the second the
** first plus one. Returns the first year, or -1. */
static int years_get(const char *s)
{
	int a = 0, b = 0;

	for (int i = 0; i < 9; i++)
		if (i == 4 ? s[i] != '-' : !(s[i] >= '0' && s[i] <= '9'))
			return -1;
	if (s[9])
		return -1;
	for (int i = 0; i < 4; i++) {
		a = a * 10 + (s[i] - '0');
		b = b * 10 + (s[5 + i] - '0');
	}
	if (a < 1900 || a > 2998 || b != a + 1)
		return -1;
	return a;
}

/* What a type accepts, for messages (translated where they are used). */
static const char *type_name(proto_type t)
{
	switch (t) {
	case PROTO_T_TEXT: return N_("text");
	case PROTO_T_ENUM: return N_("one of a list");
	case PROTO_T_INT: return N_("whole number");
	case PROTO_T_DECIMAL: return N_("number with at most 2 decimals");
	case PROTO_T_DATE: return N_("date YYYY-MM-DD");
	case PROTO_T_ID: return N_("record id (32 hex digits)");
	case PROTO_T_YEARS: return N_("academic year YYYY-YYYY");
	}
	return N_("value");
}

/* Text may hold newlines and tabs (notes span lines) but no other control
** character: they break tables, CSV and terminals. */
static proto_code check_text(const proto_field_def *f, const char *s,
			     size_t len, proto_err *err)
{
	if (!proto_utf8_valid(s, len))
		return proto_fail_field(err, PROTO_E_UTF8, f->name,
					"not valid UTF-8");
	if (len == 0)
		return proto_fail_field(err, PROTO_E_VALUE, f->name,
					"must not be empty");
	if (len > f->max_len)
		return proto_fail_field(err, PROTO_E_TOO_LONG, f->name,
					"%zu bytes, at most %zu allowed", len,
					f->max_len);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			return proto_fail_field(err, PROTO_E_VALUE, f->name,
						"control character 0x%02x not "
						"allowed", c);
	}
	return PROTO_OK;
}

static proto_code check_range(const proto_field_def *f, long long v,
			      proto_err *err)
{
	char lo[32], hi[32], got[32];

	if (v >= f->min && v <= f->max)
		return PROTO_OK;
	if (f->type == PROTO_T_DECIMAL) {
		fmt_hundredths(lo, sizeof lo, f->min);
		fmt_hundredths(hi, sizeof hi, f->max);
		fmt_hundredths(got, sizeof got, v);
	} else {
		snprintf(lo, sizeof lo, "%lld", f->min);
		snprintf(hi, sizeof hi, "%lld", f->max);
		snprintf(got, sizeof got, "%lld", v);
	}
	if (f->unit)
		/* TRANSLATORS: "-2 is out of range; allowed 0 to 1000000 ha" */
		return proto_fail_field(err, PROTO_E_RANGE, f->name,
					"%s is out of range; allowed %s to "
					"%s %s", got, lo, hi,
					proto_tr(f->unit));
	return proto_fail_field(err, PROTO_E_RANGE, f->name,
				"%s is out of range; allowed %s to %s", got,
				lo, hi);
}

proto_code proto_field_check(const proto_field_def *f, const cJSON *v,
			     proto_err *err)
{
	long long n;
	const char *s;

	if (!v)
		return proto_fail_field(err, PROTO_E_MISSING, f->name,
					"missing");
	switch (f->type) {
	case PROTO_T_TEXT:
	case PROTO_T_ENUM:
	case PROTO_T_DATE:
	case PROTO_T_ID:
	case PROTO_T_YEARS:
		if (!cJSON_IsString(v) || !v->valuestring)
			return proto_fail_field(err, PROTO_E_TYPE, f->name,
						"expected a string (%s)",
						proto_tr(type_name(f->type)));
		s = v->valuestring;
		if (f->type == PROTO_T_TEXT)
			return check_text(f, s, strlen(s), err);
		if (f->type == PROTO_T_ENUM) {
			if (proto_ref_entry_find(f->ref, s))
				return PROTO_OK;
			/* TRANSLATORS: the second %s is a list's noun
			** ("province"), the third its allowed names. */
			return proto_fail_field(err, PROTO_E_VALUE, f->name,
						"\"%.40s\" is not a %s; "
						"allowed: %s", s,
						proto_tr(f->ref->label),
						proto_ref_names(f->ref));
		}
		if (f->type == PROTO_T_DATE) {
			if (proto_date_parse(s, NULL) != 0)
				return proto_fail_field(err, PROTO_E_DATE,
							f->name,
							"\"%.40s\" is not a "
							"date; expected "
							"YYYY-MM-DD", s);
			return PROTO_OK;
		}
		if (f->type == PROTO_T_YEARS) {
			if (years_get(s) < 0)
				return proto_fail_field(err, PROTO_E_VALUE,
							f->name,
							"\"%.40s\" is not an "
							"academic year; "
							"expected YYYY-YYYY, "
							"the second year the "
							"next, e.g. 2026-2027",
							s);
			return PROTO_OK;
		}
		if (!proto_id_valid(s))
			return proto_fail_field(err, PROTO_E_FORMAT, f->name,
						"not a record id (32 lowercase "
						"hex digits)");
		return PROTO_OK;
	case PROTO_T_INT:
		if (!cJSON_IsNumber(v))
			return proto_fail_field(err, PROTO_E_TYPE, f->name,
						"expected a whole number");
		/* One code per condition (SPEC 3.1): a fraction is the wrong
		** type, a whole number too large to hold is out of range. */
		if (v->valuedouble != floor(v->valuedouble))
			return proto_fail_field(err, PROTO_E_TYPE, f->name,
						"%g is not a whole number",
						v->valuedouble);
		if (int_get(v, &n) != 0)
			return proto_fail_field(err, PROTO_E_RANGE, f->name,
						"%g is out of range; allowed "
						"%lld to %lld%s%s",
						v->valuedouble, f->min, f->max,
						f->unit ? " " : "",
						f->unit ? proto_tr(f->unit) : "");
		return check_range(f, n, err);
	case PROTO_T_DECIMAL:
		if (!cJSON_IsNumber(v))
			return proto_fail_field(err, PROTO_E_TYPE, f->name,
						"expected a number");
		if (proto_decimal_get(v, &n) != 0)
			return proto_fail_field(err, PROTO_E_RANGE, f->name,
						"%g has more than 2 decimals "
						"or is too large",
						v->valuedouble);
		return check_range(f, n, err);
	}
	return proto_fail_field(err, PROTO_E_TYPE, f->name, "unknown type");
}

/* Strict decimal text: digits, optionally '.' and 1-2 digits. */
static int parse_decimal_text(const char *t, long long *out)
{
	long long whole = 0, frac = 0;
	int nd = 0, nf = 0;
	const char *p = t;

	while (*p >= '0' && *p <= '9') {
		if (whole > 1000000000000LL)
			return -1;
		whole = whole * 10 + (*p++ - '0');
		nd++;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			if (nf == 2)
				return -2; /* too many decimals */
			frac = frac * 10 + (*p++ - '0');
			nf++;
		}
		if (nf == 0)
			return -1;
	}
	if (*p || (nd == 0 && nf == 0))
		return -1;
	if (nf == 1)
		frac *= 10;
	*out = whole * 100 + frac;
	return 0;
}

static int parse_int_text(const char *t, long long *out)
{
	char *end;
	long long v;

	if (!*t || !(isdigit((unsigned char)*t) || *t == '-' || *t == '+'))
		return -1;
	errno = 0;
	v = strtoll(t, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

proto_code proto_field_parse(const proto_field_def *f, const char *text,
			     cJSON **out, proto_err *err)
{
	proto_code rc;
	long long n;
	const char *canon;
	cJSON *v = NULL;

	*out = NULL;
	if (!text)
		return proto_fail_field(err, PROTO_E_MISSING, f->name,
					"missing value");
	switch (f->type) {
	case PROTO_T_TEXT:
		rc = check_text(f, text, strlen(text), err);
		if (rc != PROTO_OK)
			return rc;
		v = cJSON_CreateString(text);
		break;
	case PROTO_T_ENUM:
		if (!proto_utf8_valid(text, strlen(text)))
			return proto_fail_field(err, PROTO_E_UTF8, f->name,
						"not valid UTF-8");
		canon = proto_ref_lookup(f->ref, text);
		if (!canon)
			/* TRANSLATORS: "unknown province "Vientiane";
			** allowed: Attapeu, ..." (the list's noun, the
			** text as typed, the allowed names). */
			return proto_fail_field(err, PROTO_E_VALUE, f->name,
						"unknown %s \"%.60s\"; "
						"allowed: %s",
						proto_tr(f->ref->label), text,
						proto_ref_names(f->ref));
		v = cJSON_CreateString(canon);
		break;
	case PROTO_T_INT:
		if (parse_int_text(text, &n) != 0) {
			if (parse_decimal_text(text, &n) == 0)
				return proto_fail_field(err, PROTO_E_TYPE,
							f->name,
							"\"%.40s\" is not a "
							"whole number", text);
			return proto_fail_field(err, PROTO_E_TYPE, f->name,
						"\"%.40s\" is not a number; "
						"expected a whole number",
						text);
		}
		rc = check_range(f, n, err);
		if (rc != PROTO_OK)
			return rc;
		v = cJSON_CreateNumber((double)n);
		break;
	case PROTO_T_DECIMAL: {
		const char *t = text;
		int neg = 0, r;
		if (*t == '-') {
			neg = 1;
			t++;
		}
		r = parse_decimal_text(t, &n);
		if (r == -2)
			return proto_fail_field(err, PROTO_E_RANGE, f->name,
						"\"%.40s\" has more than 2 "
						"decimals", text);
		if (r != 0)
			return proto_fail_field(err, PROTO_E_TYPE, f->name,
						"\"%.40s\" is not a number; "
						"expected e.g. 3.8", text);
		if (neg)
			n = -n;
		rc = check_range(f, n, err);
		if (rc != PROTO_OK)
			return rc;
		v = proto_decimal_new(n);
		break;
	}
	case PROTO_T_DATE:
		if (proto_date_parse(text, NULL) != 0)
			return proto_fail_field(err, PROTO_E_DATE, f->name,
						"\"%.40s\" is not a valid "
						"date; expected YYYY-MM-DD, "
						"e.g. 2026-04-10", text);
		v = cJSON_CreateString(text);
		break;
	case PROTO_T_ID:
		if (!proto_id_valid(text))
			return proto_fail_field(err, PROTO_E_FORMAT, f->name,
						"not a record id (32 lowercase "
						"hex digits)");
		v = cJSON_CreateString(text);
		break;
	case PROTO_T_YEARS:
		if (years_get(text) < 0)
			return proto_fail_field(err, PROTO_E_VALUE, f->name,
						"\"%.40s\" is not an academic "
						"year; expected YYYY-YYYY, the "
						"second year the next, e.g. "
						"2026-2027", text);
		v = cJSON_CreateString(text);
		break;
	}
	if (!v)
		return proto_fail(err, PROTO_E_NOMEM, "out of memory");
	*out = v;
	return PROTO_OK;
}

proto_code proto_record_check(const proto_kind_def *k, const cJSON *values,
			      int complete, proto_err *err)
{
	const cJSON *start, *end;
	proto_code rc;

	if (!cJSON_IsObject(values))
		return proto_fail(err, PROTO_E_TYPE,
				  "%s: fields must be an object", k->name);
	for (const cJSON *m = values->child; m; m = m->next) {
		const proto_field_def *f = proto_field_find(k, m->string);
		if (!f) {
			/* Named in the message already: no field prefix. */
			(void)proto_fail(err, PROTO_E_UNKNOWN_FIELD,
					 "%s has no field \"%.60s\"", k->name,
					 m->string);
			if (err)
				proto_utf8_copy(err->field, m->string,
						sizeof err->field);
			return PROTO_E_UNKNOWN_FIELD;
		}
		rc = proto_field_check(f, m, err);
		if (rc != PROTO_OK)
			return rc;
	}
	if (complete) {
		for (size_t i = 0; i < k->nfields; i++)
			if (k->fields[i].required &&
			    !cJSON_GetObjectItemCaseSensitive(
				    values, k->fields[i].name)) {
				(void)proto_fail(err, PROTO_E_MISSING,
						 "%s: required field \"%s\" "
						 "missing (%s)", k->name,
						 k->fields[i].name,
						 proto_tr(k->fields[i].help));
				if (err)
					proto_utf8_copy(err->field,
							k->fields[i].name,
							sizeof err->field);
				return PROTO_E_MISSING;
			}
	}
	start = cJSON_GetObjectItemCaseSensitive(values, "start");
	end = cJSON_GetObjectItemCaseSensitive(values, "end");
	if (cJSON_IsString(start) && cJSON_IsString(end) &&
	    strcmp(end->valuestring, start->valuestring) < 0)
		return proto_fail_field(err, PROTO_E_RANGE, "end",
					"%s is before start %s",
					end->valuestring, start->valuestring);
	return PROTO_OK;
}

char *proto_value_format(const cJSON *v, char *buf, size_t bufsz)
{
	long long n;

	if (bufsz == 0)
		return buf;
	buf[0] = '\0';
	if (cJSON_IsString(v) && v->valuestring) {
		size_t len = strlen(v->valuestring);
		if (len >= bufsz) {
			len = bufsz - 1;
			/* back up to a UTF-8 lead byte */
			while (len > 0 &&
			       ((unsigned char)v->valuestring[len] & 0xC0) ==
				       0x80)
				len--;
		}
		memcpy(buf, v->valuestring, len);
		buf[len] = '\0';
	} else if (cJSON_IsNumber(v)) {
		if (int_get(v, &n) == 0)
			snprintf(buf, bufsz, "%lld", n);
		else if (proto_decimal_get(v, &n) == 0)
			fmt_hundredths(buf, bufsz, n);
		else
			snprintf(buf, bufsz, "%g", v->valuedouble);
	} else if (cJSON_IsBool(v)) {
		snprintf(buf, bufsz, "%s", cJSON_IsTrue(v) ? "true" : "false");
	}
	return buf;
}

/* ---- money as people write it ------------------------------------------ */

/* How each language writes an amount of đồng. These are number conventions
** (what a locale's LC_MONETARY holds), chosen by the lang argument rather
** than the process's locale, so a server can write every language; the
** words are the currency's and the scale's names, not sentences. */
static const proto_money_style money_styles[] = {
	{"vi", '.', ',', "đ", "tỷ đồng", "triệu đồng"},
	{"lo", '.', ',', "ດົ່ງ", "ຕື້ດົ່ງ", "ລ້ານດົ່ງ"},
	{"en", ',', '.', "VND", "billion VND", "million VND"},
};

const proto_money_style *proto_money_style_get(const char *lang)
{
	size_t n = sizeof money_styles / sizeof money_styles[0];

	for (size_t i = 0; lang && i < n; i++)
		if (strcmp(lang, money_styles[i].lang) == 0)
			return &money_styles[i];
	return &money_styles[n - 1];
}

/* The digits of n grouped by thousands with sep; -1 if it does not fit. */
static int group_digits(long long n, char sep, char *buf, size_t bufsz)
{
	char d[24];
	size_t len, o = 0;

	snprintf(d, sizeof d, "%lld", n);
	len = strlen(d);
	for (size_t i = 0; i < len; i++) {
		if (o + 3 > bufsz)
			return -1;
		if (i && (len - i) % 3 == 0)
			buf[o++] = sep;
		buf[o++] = d[i];
	}
	buf[o] = '\0';
	return 0;
}

int proto_money_format(long long dong, const char *lang, int short_form,
		       char *buf, size_t bufsz)
{
	const proto_money_style *st = proto_money_style_get(lang);
	char num[48];
	int n;

	if (bufsz)
		buf[0] = '\0';
	if (dong < 0 || dong > MONEY_MAX || bufsz == 0)
		return -1;
	if (short_form && dong >= 1000000) {
		/* Hundredths of a million, rounded half up; 999,995,000
		** rounds to 1000 million and is written as 1 billion. */
		long long h = (dong * 100 + 500000) / 1000000;
		const char *fmt = st->million;
		if (h >= 100000) {
			h = (dong * 100 + 500000000) / 1000000000;
			fmt = st->billion;
		}
		if (group_digits(h / 100, st->group, num, sizeof num - 4))
			return -1;
		if (h % 100) {
			size_t o = strlen(num);
			num[o++] = st->point;
			num[o++] = (char)('0' + h % 100 / 10);
			if (h % 10)
				num[o++] = (char)('0' + h % 10);
			num[o] = '\0';
		}
		n = snprintf(buf, bufsz, "%s %s", num, fmt);
	} else {
		if (group_digits(dong, st->group, num, sizeof num))
			return -1;
		n = snprintf(buf, bufsz, "%s %s", num, st->unit);
	}
	if (n < 0 || (size_t)n >= bufsz) {
		buf[0] = '\0';
		return -1;
	}
	return 0;
}

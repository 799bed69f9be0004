/*
** This file contains the benchmark's data generator: it prints N lines of
** JSON for `fieldsync import`, each one record of programme data as a field
** worker would type it on the CLI (visits 40%, expert trips 30%,
** demonstration models 30%; 9 to 12 fields each, about ten on average), with
** Vietnamese and Lao names, places and free text. Values vary from line to
** line (names, numbers, dates, sentence choice) so that gzip on the wire sees
** data about as repetitive as a real month of entries, not one line copied N
** times. Output depends only on N, SEED and TAG, so two runs are comparable.
**
** USAGE
**   gen N [SEED [TAG]]    N lines on stdout (1 <= N <= 10,000,000);
**                         SEED a whole number (default 1); TAG a short
**                         word put before each line's number in the
**                         leader/expert name ("Đoàn TAG12 – ..."), so that
**                         two devices' entries differ (default none)
**   Exit status: 0 written, 2 bad argument, 1 write error.
**
** Built by bench/run.sh with `cc -std=c11 -O2` against libc only; strings
** below never hold '"' or '\\', so no JSON escaping is needed.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t rng_state;

/* splitmix64: tiny, seedable, good enough to pick list items. */
static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned pick(unsigned n)
{
	return (unsigned)(rng_next() % n);
}

#define ONE(a) ((a)[pick(COUNT(a))])

static const char *const provinces[] = {
	"Attapeu", "Champasak", "Salavan", "Sekong", "Saravane", "Xekong",
	"Attapu", "ອັດຕະປື", "ຈຳປາສັກ", "ສາລະວັນ", "ເຊກອງ"};
static const char *const surnames[] = {
	"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Võ", "Đặng",
	"Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Rơ Mah", "Ksor", "Siu"};
static const char *const middles[] = {
	"Văn", "Thị", "Minh", "Hữu", "Đức", "Thanh", "Quốc", "Ngọc", "Xuân",
	"Thu", "Công", "Anh"};
static const char *const givens[] = {
	"An", "Bình", "Cường", "Dũng", "Hà", "Hạnh", "Hòa", "Hùng", "Lan",
	"Long", "Mai", "Nam", "Phúc", "Quang", "Sơn", "Tâm", "Thảo", "Trung",
	"Tuấn", "Vy", "Yến", "H'Hen", "Blơng"};
static const char *const lao_names[] = {
	"ສົມສັກ ພົມມະວົງ", "ບຸນມີ ແສງທອງ", "ຄຳພອນ ວົງສາ", "ນາງ ຈັນທະລາ ສີວົງ",
	"ທອງລາ ສຸລິຍະ", "ວິໄລ ແກ້ວມະນີ", "ສຸກສະຫວັນ ອິນທະວົງ"};
static const char *const titles[] = {
	"Giám đốc Sở Y tế", "Phó Giám đốc Sở Ngoại vụ", "Chủ tịch UBND tỉnh",
	"Phó Chủ tịch UBND tỉnh", "Giám đốc Sở Nông nghiệp và Môi trường",
	"Trưởng phòng Hợp tác quốc tế", "Bí thư Tỉnh đoàn",
	"ເຈົ້າແຂວງ", "ຫົວໜ້າພະແນກການຕ່າງປະເທດ", "ຮອງຫົວໜ້າພະແນກສາທາລະນະສຸກ"};
static const char *const hosts[] = {
	"ພະແນກສາທາລະນະສຸກແຂວງ", "ພະແນກການຕ່າງປະເທດແຂວງ",
	"ພະແນກກະສິກຳ ແລະ ປ່າໄມ້ແຂວງ", "ພະແນກສຶກສາທິການ ແລະ ກິລາແຂວງ",
	"ອົງການປົກຄອງແຂວງ", "Sở Ngoại vụ Gia Lai", "UBND tỉnh Gia Lai",
	"Bệnh viện Đa khoa tỉnh Gia Lai", "Trường Đại học Quy Nhơn"};
static const char *const sectors[] = {
	"politics", "education", "health", "investment", "industry-trade",
	"agriculture", "science-technology", "culture-sports-tourism",
	"foreign-affairs", "defence-security", "justice", "youth",
	"friendship-works", "y tế", "nông nghiệp"};
static const char *const purposes[] = {
	"Khảo sát nhu cầu đào tạo cán bộ y tế",
	"Trao đổi kế hoạch hợp tác giai đoạn 2026–2030",
	"Chúc Tết Bunpimay và thăm hỏi lãnh đạo tỉnh bạn",
	"Khảo sát thị trường cùng doanh nghiệp",
	"Làm việc về học bổng toàn phần cho sinh viên Lào",
	"Kiểm tra tiến độ công trình hữu nghị",
	"ປຶກສາຫາລືແຜນການຮ່ວມມືປີ 2026",
	"ຢ້ຽມຢາມ ແລະ ແລກປ່ຽນບົດຮຽນ",
	"Hội đàm về an ninh biên giới tại cửa khẩu Bờ Y"};
static const char *const outcomes[] = {
	"Thống nhất đào tạo # cán bộ trong năm",
	"Ký biên bản ghi nhớ, # nội dung hợp tác",
	"Trao # suất học bổng, visa do tỉnh chi trả",
	"Hỗ trợ # máy tính và thiết bị văn phòng",
	"ຕົກລົງຝຶກອົບຮົມພະນັກງານ # ຄົນ",
	"Khám và điều trị miễn phí cho # bệnh nhân",
	"Hai bên thống nhất # nhiệm vụ ‘sáu rõ’"};
static const char *const specialties[] = {
	"crop", "livestock", "veterinary", "aquaculture", "forestry",
	"irrigation", "mushroom", "surgery", "obstetrics", "paediatrics",
	"internal-medicine", "nursing", "public-health",
	"traditional-medicine", "teaching", "journalism"};
static const char *const departments[] = {
	"Sở Y tế Gia Lai", "Bệnh viện Đa khoa tỉnh Gia Lai",
	"Sở Nông nghiệp và Môi trường", "Sở Khoa học và Công nghệ",
	"Sở Giáo dục và Đào tạo", "Trung tâm Khuyến nông tỉnh",
	"Chi cục Chăn nuôi và Thú y"};
static const char *const sites[] = {
	"Bệnh viện tỉnh Attapeu", "Bệnh viện tỉnh Sekong",
	"ໂຮງໝໍແຂວງອັດຕະປື", "ໂຮງໝໍແຂວງເຊກອງ", "Trạm y tế huyện Sanxay",
	"Trại giống Pakse", "ສູນກະສິກຳ ເມືອງລະຄອນເພັງ",
	"Trường Cao đẳng Sư phạm Salavan"};
static const char *const trip_outcomes[] = {
	"Phẫu thuật nội soi tán sỏi thận cho # ca",
	"Chuyển giao kỹ thuật mổ sỏi mật, # ca thành công",
	"Hướng dẫn chăm sóc trẻ sinh non bằng phương pháp Kangaroo, # bà mẹ",
	"Tập huấn thụ tinh nhân tạo bò, # hộ tham gia",
	"Hướng dẫn trồng nấm linh chi, nấm sò; # học viên",
	"ຝຶກອົບຮົມວິຊາການໃຫ້ພະນັກງານ # ຄົນ"};
static const char *const crops[] = {
	"Ngô nếp (sticky maize)", "Lúa thâm canh (paddy rice)",
	"Bò lai Zebu", "Nấm rơm (straw mushroom)", "Nấm sò (oyster mushroom)",
	"Cà phê Robusta", "Sắn (cassava)", "ເຂົ້າໜຽວ", "ສາລີ", "Chuối (banana)",
	"Xoài (mango)", "Bưởi (pomelo)"};
static const char *const districts[] = {
	"Lao Ngam", "Sanxay", "Lamam", "Thateng", "Pakse", "Paksong",
	"Saysetha", "ເມືອງລະຄອນເພັງ", "ເມືອງສາມັກຄີໄຊ", "ເມືອງທ່າແຕງ"};
static const char *const villages[] = {
	"ບ້ານ ນາດີ", "ບ້ານ ໂພນສະອາດ", "ບ້ານ ຫ້ວຍຄອງ", "ບ້ານ ດອນໃຫຍ່",
	"ບ້ານ ນາຄຳ", "ບ້ານ ປາກເຊ", "Bản Huội Khỏng", "Bản Na Đi"};
static const char *const seasons[] = {
	"# rainy season", "# dry season", "Vụ mùa #", "Vụ Đông Xuân #",
	"ລະດູຝົນ #", "ລະດູແລ້ງ #"};

/* Copy template t into buf with its one '#' replaced by v (the templates
** are data, so they are not printf formats). */
static void fill(char *buf, size_t n, const char *t, unsigned v)
{
	const char *h = strchr(t, '#');

	if (!h)
		snprintf(buf, n, "%s", t);
	else
		snprintf(buf, n, "%.*s%u%s", (int)(h - t), t, v, h + 1);
}

/* Two dates start <= end, YYYY-MM-DD, within the programme's years. */
static void dates(char *start, char *end, size_t n)
{
	unsigned y = 2021 + pick(6), m = 1 + pick(12), d = 1 + pick(20);

	snprintf(start, n, "%04u-%02u-%02u", y, m, d);
	snprintf(end, n, "%04u-%02u-%02u", y, m, d + pick(9));
}

static void person(char *buf, size_t n)
{
	if (pick(6) == 0)
		snprintf(buf, n, "%s", ONE(lao_names));
	else
		snprintf(buf, n, "%s %s %s", ONE(surnames), ONE(middles),
			 ONE(givens));
}

static int visit(unsigned long i, const char *tag)
{
	char leader[256], start[16], end[16], text[256], outcome[300] = "";

	person(leader, sizeof leader);
	dates(start, end, sizeof start);
	/* Half the visits have no outcome yet (it is added after the trip). */
	if (pick(2)) {
		fill(text, sizeof text, ONE(outcomes), 1 + pick(60));
		snprintf(outcome, sizeof outcome, ",\"outcome\":\"%s\"", text);
	}
	return printf("{\"kind\":\"visit\",\"fields\":{\"direction\":\"%s\","
		      "\"province\":\"%s\",\"leader\":\"Đoàn %s%lu – %s\","
		      "\"title\":\"%s\",\"members\":\"%u\","
		      "\"sector\":\"%s\",\"host\":\"%s\",\"start\":\"%s\","
		      "\"end\":\"%s\",\"purpose\":\"%s\"%s}}\n",
		      pick(2) ? "out" : "in", ONE(provinces), tag, i, leader,
		      ONE(titles), 2 + pick(30), ONE(sectors), ONE(hosts),
		      start, end, ONE(purposes), outcome) < 0;
}

static int trip(unsigned long i, const char *tag)
{
	char expert[256], start[16], end[16], outcome[256];

	person(expert, sizeof expert);
	dates(start, end, sizeof start);
	fill(outcome, sizeof outcome, ONE(trip_outcomes), 1 + pick(80));
	return printf("{\"kind\":\"trip\",\"fields\":{\"expert\":\"BS. %s "
		      "(%s%lu)\",\"experts\":\"%u\",\"specialty\":\"%s\","
		      "\"department\":\"%s\",\"province\":\"%s\","
		      "\"site\":\"%s\",\"start\":\"%s\",\"end\":\"%s\","
		      "\"trainings\":\"%u\",\"trained\":\"%u\","
		      "\"patients\":\"%u\",\"outcome\":\"%s\"}}\n",
		      expert, tag, i, 1 + pick(8), ONE(specialties),
		      ONE(departments), ONE(provinces), ONE(sites), start, end,
		      pick(12), pick(60), pick(400), outcome) < 0;
}

static int model(unsigned long i, const char *tag)
{
	char season[128], start[16], end[16];
	unsigned year = 2021 + pick(6);

	(void)tag;
	fill(season, sizeof season, ONE(seasons), year);
	dates(start, end, sizeof start);
	return printf("{\"kind\":\"model\",\"fields\":{\"crop\":\"%s\","
		      "\"sector\":\"agriculture\",\"province\":\"%s\","
		      "\"district\":\"%s\",\"village\":\"%s %lu\","
		      "\"planned_ha\":\"%u.%02u\","
		      "\"planned_households\":\"%u\",\"season\":\"%s\","
		      "\"start\":\"%s\"}}\n",
		      ONE(crops), ONE(provinces), ONE(districts), ONE(villages),
		      i % 97, 1 + pick(40), pick(100), 5 + pick(120), season,
		      start) < 0;
}

static int parse_ul(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	*out = 0;
	if (!s[0] || s[0] == '-')
		return 1;
	v = strtoul(s, &end, 10);
	if (*end || v > max)
		return 1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long n, seed = 1;
	const char *tag = argc > 3 ? argv[3] : "";
	int bad = 0;

	if (argc < 2 || argc > 4 || strcmp(argv[1], "--help") == 0) {
		fprintf(argc < 2 || argc > 4 ? stderr : stdout,
			"usage: gen N [SEED [TAG]]\n"
			"Prints N JSON lines for `fieldsync import` "
			"(visits, trips, models).\n");
		return argc < 2 || argc > 4 ? 2 : 0;
	}
	if (parse_ul(argv[1], 10000000UL, &n) || n < 1) {
		fprintf(stderr, "gen: N \"%s\": expected a whole number 1 to "
			"10000000\n", argv[1]);
		return 2;
	}
	if (argc > 2 && parse_ul(argv[2], (unsigned long)-1, &seed)) {
		fprintf(stderr, "gen: SEED \"%s\": expected a whole number\n",
			argv[2]);
		return 2;
	}
	if (strlen(tag) > 40 || strpbrk(tag, "\"\\")) {
		fprintf(stderr, "gen: TAG \"%s\": at most 40 characters, no "
			"quotes or backslashes\n", tag);
		return 2;
	}
	rng_state = seed;
	for (unsigned long i = 1; i <= n && !bad; i++) {
		unsigned k = pick(10);

		if (k < 4)
			bad = visit(i, tag);
		else if (k < 7)
			bad = trip(i, tag);
		else
			bad = model(i, tag);
	}
	if (bad || fflush(stdout) != 0 || ferror(stdout)) {
		perror("gen: write");
		return 1;
	}
	return 0;
}

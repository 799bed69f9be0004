#!/usr/bin/env python3
# This file composed protocol/zstd/corpus/records.jsonl, the training corpus
# of the wire dictionary (protocol/zstd/README.md). The committed .jsonl is
# the source of truth (mkdict reads it, never this script); the script is
# kept to show where the records came from and to extend them.
#
# The records are built from the reference lists of SPEC.md section 3.3 and
# protocol/records.c, the programme facts of the domain notes (places,
# sectors, targets, the 2021-2025 examples) and texts written here in
# Vietnamese, Lao and English the way field staff write them (purposes,
# outcomes, trip reports, model observations, scholarship and friendship-work
# notes). None of it comes from bench/gen.c, whose entries are held out to
# measure the dictionary.
#
# Output: one JSON line per record in the form `fieldsync import` takes
# ({"id":..,"kind":..,"fields":{..}}, values as people type them, canonical
# names or the aliases the reference lists accept), NFC, valid UTF-8.
# Deterministic: python3 compose.py > records.jsonl gives the same bytes.
import datetime
import hashlib
import json
import random
import sys
import unicodedata

R = random.Random(20260410)


def one(a):
    return a[R.randrange(len(a))]


def rid(n):
    return hashlib.blake2b(b"fieldsync corpus record %d" % n,
                           digest_size=16).hexdigest()


# ---- places ---------------------------------------------------------------
PROV = ["Attapeu", "Champasak", "Salavan", "Sekong"]
PROV_TYPED = {
    "Attapeu": ["Attapeu", "Attapeu", "Attapeu", "Attapu", "ອັດຕະປື"],
    "Champasak": ["Champasak", "Champasak", "Champassak", "ຈຳປາສັກ"],
    "Salavan": ["Salavan", "Salavan", "Saravane", "Saravan", "ສາລະວັນ"],
    "Sekong": ["Sekong", "Sekong", "Xekong", "Xe Kong", "ເຊກອງ"],
}
DISTRICTS = {
    "Attapeu": ["Samakkhixay", "Sanamxay", "Sanxay", "Phouvong", "Saysetha",
                "huyện Sanxay", "huyện Xaysetha", "ເມືອງສາມັກຄີໄຊ",
                "ເມືອງສະໜາມໄຊ", "ເມືອງຊານໄຊ", "ເມືອງພູວົງ", "ເມືອງໄຊເຊດຖາ"],
    "Champasak": ["Pakse", "Paksong", "Bachiangchaleunsouk", "Phonthong",
                  "Champasak", "Soukhouma", "Khong", "Pathoumphone",
                  "huyện Paksong", "ເມືອງປາກເຊ", "ເມືອງປາກຊ່ອງ",
                  "ເມືອງບາຈຽງຈະເລີນສຸກ", "ເມືອງໂພນທອງ", "ເມືອງໂຂງ"],
    "Salavan": ["Lao Ngam", "Khongsedone", "Vapi", "Toumlane", "Ta Oy",
                "Lakhonpheng", "Salavan", "huyện Lao Ngam", "ເມືອງເລົ່າງາມ",
                "ເມືອງຄົງເຊໂດນ", "ເມືອງວາປີ", "ເມືອງຕຸ້ມລານ",
                "ເມືອງລະຄອນເພັງ", "ເມືອງສາລະວັນ"],
    "Sekong": ["Lamam", "Thateng", "Kaleum", "Dakcheung", "huyện Thateng",
               "ເມືອງລະມາມ", "ເມືອງທ່າແຕງ", "ເມືອງກະເລິມ", "ເມືອງດາກຈຶງ"],
}
VILLAGES = ["ບ້ານໜອງບົວ", "ບ້ານນາເຟືອງ", "ບ້ານໂພນໄຊ", "ບ້ານຫ້ວຍກົງ",
            "ບ້ານດອນສະຫວັນ", "ບ້ານນາຊາຍ", "ບ້ານທົ່ງໄຊ", "ບ້ານປາກຫ້ວຍ",
            "ບ້ານໂນນສະຫວາດ", "ບ້ານນາແກ", "ບ້ານວັງຕັດ", "ບ້ານຫ້ວຍຊາຍ",
            "ບ້ານໂພນສີ", "ບ້ານນາໂພ", "ບ້ານແກ້ງກອກ", "ບ້ານທ່າຫີນ",
            "ບ້ານຫົວເມືອງ", "ບ້ານໜອງເມັກ", "ບ້ານດອນໂຂງ", "ບ້ານໂພນທອງ",
            "Ban Nongbua", "Ban Phonxay", "Ban Houaykong", "Ban Nakae",
            "bản Phôn Xay", "bản Nà Phô", "bản Huội Sai", "bản Đôn Xa-vẳn",
            "bản Vắng Tắt", "bản Thà Hỉn"]
LAO_PROV = {"Attapeu": "ແຂວງອັດຕະປື", "Champasak": "ແຂວງຈຳປາສັກ",
            "Salavan": "ແຂວງສາລະວັນ", "Sekong": "ແຂວງເຊກອງ"}
VI_PROV = {"Attapeu": "Attapeu", "Champasak": "Champasak",
           "Salavan": "Salavan", "Sekong": "Sekong"}

# ---- people ---------------------------------------------------------------
VI_SUR = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Đặng", "Bùi",
          "Đỗ", "Ngô", "Phan", "Trương", "Huỳnh", "Đinh", "Lương", "Mai",
          "Tạ", "Châu", "Lâm", "Cao"]
VI_MID = ["Văn", "Thị", "Minh", "Đức", "Thanh", "Quốc", "Ngọc", "Hồng",
          "Hữu", "Kim", "Bảo", "Thái", "Tấn", "Như", ""]
VI_GIV = ["Anh", "Bảo", "Châu", "Dung", "Duy", "Giang", "Hải", "Hằng",
          "Hiếu", "Hoa", "Huy", "Khánh", "Khoa", "Linh", "Lộc", "Nga",
          "Nhân", "Nhung", "Phong", "Phương", "Quân", "Quyên", "Thắng",
          "Thủy", "Tín", "Toàn", "Trang", "Trí", "Uyên", "Việt", "Vinh",
          "Xuân"]
JRAI = ["Ksor H'Blin", "Rơ Mah Thuấn", "Siu H'Liên", "Kpă Tuyên",
        "Rah Lan Chung", "Nay Y Blang", "Rơ Châm Yuih", "Đinh Văn Pôr",
        "Puih H'Mlai", "Kpuih Đức"]
LAO_NAMES = ["ສົມພອນ ວົງພະຈັນ", "ບົວສອນ ສີຫາລາດ", "ຄຳຫຼ້າ ພົມມະຈັນ",
             "ທອງສຸກ ແກ້ວບົວລະພາ", "ນາງ ມະນີວອນ ສຸລິວົງ", "ບຸນທັນ ອິນທະລາດ",
             "ສີສະຫວາດ ໄຊຍະວົງ", "ນາງ ດາວວົນ ແສງອາລຸນ", "ພູວົງ ຈັນທະວົງ",
             "ວັນໄຊ ພົງສະຫວັນ", "ນາງ ຄຳແພງ ສີປະເສີດ", "ສຸລິຍາ ບຸບຜາ",
             "ອຸດອນ ພິມມະສອນ", "ນາງ ແສງເດືອນ ຫຼວງລາດ", "ບຸນເພັງ ສຸດທິວົງ"]
LAO_LATIN = ["Somphone Vongphachanh", "Bouasone Sihalath",
             "Khamla Phommachanh", "Thongsouk Keobouapha",
             "Manivone Soulivong", "Bounthanh Inthalath",
             "Sisavath Xayavong", "Daovone Sengaloun",
             "Phouvong Chanthavong", "Vanxay Phongsavanh",
             "Khampheng Siprasoeuth", "Souliya Boupha",
             "Oudone Phimmasone", "Sengdeuane Louanglath"]


def vi_person():
    m = one(VI_MID)
    return "%s %s%s %s" % (one(VI_SUR), m, " " if m else "", one(VI_GIV)) \
        if m else "%s %s" % (one(VI_SUR), one(VI_GIV))


def person(lao_side):
    r = R.random()
    if lao_side:
        return one(LAO_NAMES) if r < 0.6 else one(LAO_LATIN)
    if r < 0.12:
        return one(JRAI)
    return vi_person()


VI_TITLES = ["Phó Chủ tịch UBND tỉnh", "Chủ tịch UBND tỉnh Gia Lai",
             "Phó Bí thư Tỉnh ủy", "Giám đốc Sở Ngoại vụ",
             "Phó Giám đốc Sở Ngoại vụ", "Giám đốc Sở Giáo dục và Đào tạo",
             "Phó Giám đốc Sở Y tế", "Giám đốc Sở Công Thương",
             "Phó Giám đốc Sở Nông nghiệp và Môi trường",
             "Giám đốc Sở Khoa học và Công nghệ",
             "Phó Giám đốc Sở Văn hóa, Thể thao và Du lịch",
             "Giám đốc Sở Tư pháp", "Phó Chỉ huy trưởng Bộ CHQS tỉnh",
             "Phó Giám đốc Công an tỉnh", "Bí thư Tỉnh đoàn",
             "Trưởng phòng Hợp tác quốc tế, Sở Ngoại vụ",
             "Hiệu trưởng Trường Đại học Quy Nhơn",
             "Giám đốc Bệnh viện Đa khoa tỉnh"]
LAO_TITLES = ["ຮອງເຈົ້າແຂວງ", "ເຈົ້າແຂວງ", "ຫົວໜ້າພະແນກການຕ່າງປະເທດແຂວງ",
              "ຮອງຫົວໜ້າພະແນກການຕ່າງປະເທດແຂວງ",
              "ຫົວໜ້າພະແນກສາທາລະນະສຸກແຂວງ",
              "ຫົວໜ້າພະແນກກະສິກຳ ແລະ ປ່າໄມ້ແຂວງ",
              "ຫົວໜ້າພະແນກສຶກສາທິການ ແລະ ກິລາແຂວງ",
              "ຫົວໜ້າພະແນກອຸດສາຫະກຳ ແລະ ການຄ້າແຂວງ",
              "ຮອງຫົວໜ້າຫ້ອງວ່າການປົກຄອງແຂວງ",
              "Phó Tỉnh trưởng", "Giám đốc Sở Ngoại vụ tỉnh bạn",
              "Deputy Governor", "Director, Provincial Foreign Affairs"]
VI_HOSTS = ["Sở Ngoại vụ Gia Lai", "UBND tỉnh Gia Lai",
            "Sở Giáo dục và Đào tạo Gia Lai", "Sở Y tế Gia Lai",
            "Sở Công Thương Gia Lai", "Sở Nông nghiệp và Môi trường Gia Lai",
            "Trường Đại học Quy Nhơn", "Bệnh viện Đa khoa tỉnh Gia Lai",
            "Tỉnh đoàn Gia Lai", "Bộ Chỉ huy Quân sự tỉnh Gia Lai",
            "Công an tỉnh Gia Lai", "Sở Khoa học và Công nghệ Gia Lai"]


def lao_host(p):
    return one(["ພະແນກການຕ່າງປະເທດ", "ພະແນກສາທາລະນະສຸກ",
                "ພະແນກກະສິກຳ ແລະ ປ່າໄມ້", "ພະແນກສຶກສາທິການ ແລະ ກິລາ",
                "ຫ້ອງວ່າການປົກຄອງ", "ພະແນກອຸດສາຫະກຳ ແລະ ການຄ້າ"]) + \
        LAO_PROV[p] + ("" if R.random() < 0.7 else "")


# ---- dates ----------------------------------------------------------------
def date(y0=2021, y1=2026):
    y = R.randint(y0, y1)
    m = R.randint(1, 12)
    d = R.randint(1, 28)
    return y, m, d


def ds(y, m, d):
    # No date after September 2026: clients refuse dates in the future.
    if y > 2026 or (y == 2026 and m > 9):
        y, m = 2026, min(m, 9)
    return "%04d-%02d-%02d" % (y, m, d)


def span(days_max):
    y, m, d = date()
    s = datetime.date(y, m, d)
    last = datetime.date(2026, 9, 30)
    if s > last - datetime.timedelta(days=days_max):
        s = last - datetime.timedelta(days=days_max + R.randint(0, 200))
    e = s + datetime.timedelta(days=R.randint(0, days_max))
    return s.isoformat(), e.isoformat()


# ---- visits ---------------------------------------------------------------
SECT_TYPED = {
    "politics": ["politics", "chính trị"],
    "education": ["education", "giáo dục", "giáo dục và đào tạo"],
    "health": ["health", "y tế"],
    "investment": ["investment", "đầu tư"],
    "industry-trade": ["industry-trade", "công thương"],
    "agriculture": ["agriculture", "nông nghiệp"],
    "science-technology": ["science-technology", "khoa học và công nghệ"],
    "culture-sports-tourism": ["culture-sports-tourism", "du lịch"],
    "foreign-affairs": ["foreign-affairs", "đối ngoại"],
    "defence-security": ["defence-security", "quốc phòng"],
    "justice": ["justice", "tư pháp"],
    "youth": ["youth", "thanh niên"],
    "friendship-works": ["friendship-works", "công trình hữu nghị"],
}

PURPOSE = {
    "politics": [
        "Thăm và chúc Tết cổ truyền Bunpimay lãnh đạo {lp}",
        "Chúc mừng năm mới, trao đổi kết quả thực hiện biên bản ghi nhớ năm {y}",
        "Hội đàm cấp cao giữa lãnh đạo hai tỉnh theo kế hoạch hai năm một lần",
        "Dự lễ kỷ niệm Quốc khánh nước CHDCND Lào 2/12 tại {lp}",
        "Ký biên bản ghi nhớ hợp tác giai đoạn 2026–2030",
        "ຢ້ຽມຢາມ ແລະ ອວຍພອນປີໃໝ່ບຸນປີໃໝ່ລາວ ຕໍ່ການນຳແຂວງຢາລາຍ",
        "ເຈລະຈາການຮ່ວມມືລະຫວ່າງສອງແຂວງ ໄລຍະ 2026–2030",
        "High-level visit and talks on the 2026–2030 cooperation memorandum",
    ],
    "education": [
        "Làm việc về chỉ tiêu học bổng năm học {y}–{y1} cho sinh viên {vp}",
        "Thăm sinh viên Lào đang học tại Trường Đại học Quy Nhơn",
        "Trao đổi về tuyển sinh, chương trình dự bị tiếng Việt và chi phí visa",
        "Dự lễ tốt nghiệp của lưu học sinh {vp} khóa {y}",
        "ເຮັດວຽກກ່ຽວກັບທຶນການສຶກສາ 20 ທຶນ ຕໍ່ປີ ໃຫ້ນັກສຶກສາ{lp}",
        "ຢ້ຽມຢາມນັກສຶກສາລາວ ທີ່ກຳລັງຮຽນຢູ່ມະຫາວິທະຍາໄລກວີເຍີນ",
        "Discuss the scholarship quota and the Vietnamese preparatory year",
    ],
    "health": [
        "Khảo sát nhu cầu chuyển giao kỹ thuật tại bệnh viện tỉnh {vp}",
        "Làm việc với Sở Y tế về đào tạo 3 cán bộ y tế mỗi năm",
        "Trao đổi cơ chế khám, chữa bệnh miễn phí cho bệnh nhân Lào",
        "Khảo sát phòng mổ, trang thiết bị nội soi tại bệnh viện tỉnh",
        "ສຳຫຼວດຄວາມຕ້ອງການຝຶກອົບຮົມແພດ ຢູ່ໂຮງໝໍແຂວງ",
        "ເຮັດວຽກກັບພະແນກສາທາລະນະສຸກ ກ່ຽວກັບການປິ່ນປົວຄົນເຈັບລາວ",
        "Assess training needs of the provincial hospital's surgical team",
    ],
    "investment": [
        "Khảo sát dự án trồng chuối, xoài, bưởi của doanh nghiệp Gia Lai tại {vp}",
        "Làm việc về vướng mắc đất đai dự án cao su và chăn nuôi bò",
        "Xúc tiến đầu tư, giới thiệu doanh nghiệp vào khu kinh tế",
        "ສຳຫຼວດໂຄງການປູກກ້ວຍ ແລະ ໝາກມ່ວງ ຂອງບໍລິສັດຫວຽດນາມ",
        "Visit the Gia Lai company's banana and mango plantations",
    ],
    "industry-trade": [
        "Khảo sát thị trường cùng {n} doanh nghiệp Gia Lai",
        "Tham gia hội chợ thương mại Việt – Lào tại Pakse",
        "Trao đổi về xuất khẩu cà phê, hồ tiêu qua cửa khẩu Bờ Y",
        "ສຳຫຼວດຕະຫຼາດ ພ້ອມກັບນັກທຸລະກິດ {n} ບໍລິສັດ",
        "ເຂົ້າຮ່ວມງານວາງສະແດງສິນຄ້າ ລາວ–ຫວຽດນາມ",
        "Market survey with {n} businesses; border trade at Bờ Y",
    ],
    "agriculture": [
        "Khảo sát vùng trồng ngô nếp và lúa thâm canh tại {vp}",
        "Làm việc về mô hình thụ tinh nhân tạo bò bằng tinh Zebu",
        "Bàn giao giống, vật tư cho mô hình trình diễn năm {y}",
        "Tham quan mô hình cà phê và chăn nuôi tại Gia Lai",
        "ສຳຫຼວດແບບຢ່າງການປູກສາລີ ແລະ ເຂົ້ານາ",
        "ມອບແນວພັນ ແລະ ອຸປະກອນ ໃຫ້ແບບຢ່າງສາທິດ",
        "Hand over seed and supplies for the demonstration models",
    ],
    "science-technology": [
        "Làm việc với Sở Khoa học và Công nghệ {vp} về mô hình trồng nấm",
        "Bàn giao {n} máy tính, máy in và máy quét",
        "Chuyển giao quy trình trồng nấm linh chi, nấm sò, nấm rơm",
        "ມອບຄອມພິວເຕີ {n} ເຄື່ອງ ແລະ ເຄື່ອງພິມ",
        "Transfer lingzhi and oyster mushroom growing; donate computers",
    ],
    "culture-sports-tourism": [
        "Giao lưu văn nghệ nhân dịp Bunpimay",
        "Khảo sát tuyến du lịch Quy Nhơn – Pleiku – Pakse",
        "Tham dự tuần văn hóa, thể thao Việt – Lào",
        "ແລກປ່ຽນສິລະປະວັດທະນະທຳ ແລະ ກິລາ",
        "Cultural exchange and a friendly football match",
    ],
    "foreign-affairs": [
        "Làm việc định kỳ quý {q} với Sở Ngoại vụ {vp}",
        "Trao đổi kết quả hợp tác và kế hoạch báo cáo trước ngày 10/5",
        "Rà soát nhiệm vụ 'sáu rõ' trong kế hoạch năm {y}",
        "Thống nhất nội dung báo cáo sơ kết 6 tháng gửi trước 10/11",
        "ເຮັດວຽກປະຈຳໄຕມາດ {q} ກັບພະແນກການຕ່າງປະເທດແຂວງ",
        "ທົບທວນແຜນການຮ່ວມມື ແລະ ການລາຍງານ",
        "Quarterly working visit (Q{q}) to the foreign-affairs department",
    ],
    "defence-security": [
        "Hội đàm về phối hợp quản lý biên giới tại cửa khẩu Bờ Y",
        "Trao đổi kinh nghiệm phòng chống ma túy, buôn lậu qua biên giới",
        "Giao ban công tác bảo đảm an ninh trật tự khu vực biên giới",
        "ປຶກສາຫາລືການຄຸ້ມຄອງຊາຍແດນ ຢູ່ດ່ານສາກົນ ບໍ່ອີ",
        "Border security talks at the Bờ Y international gate",
    ],
    "justice": [
        "Trao đổi kinh nghiệm phổ biến, giáo dục pháp luật",
        "Làm việc về hộ tịch, kết hôn có yếu tố nước ngoài vùng biên",
        "ແລກປ່ຽນບົດຮຽນການເຜີຍແຜ່ກົດໝາຍ",
        "Exchange on legal education and civil registration",
    ],
    "youth": [
        "Giao lưu thanh niên Việt – Lào, trồng cây hữu nghị",
        "Trại hè thanh niên hai tỉnh, hoạt động tình nguyện tại bản",
        "ແລກປ່ຽນຊາວໜຸ່ມ ລາວ–ຫວຽດນາມ",
        "Youth exchange camp and volunteer work in the village",
    ],
    "friendship-works": [
        "Kiểm tra tiến độ xây dựng bệnh viện nhỏ Văng Tắt",
        "Khảo sát địa điểm công trình hữu nghị giai đoạn 2026–2030",
        "Bàn giao công trình nhà học 3 tầng cho trung tâm y tế cơ sở",
        "ກວດກາຄວາມຄືບໜ້າການກໍ່ສ້າງໂຮງໝໍນ້ອຍວັງຕັດ",
        "Inspect the friendship works and agree the next site",
    ],
}
OUTCOME_V = [
    "Hai bên thống nhất {n} nội dung hợp tác trọng tâm năm {y}.",
    "Ký biên bản làm việc; giao Sở Ngoại vụ theo dõi, đôn đốc.",
    "Thống nhất đào tạo {n} cán bộ tại Gia Lai trong năm.",
    "Bạn đề nghị hỗ trợ thêm {n} suất học bổng và thiết bị văn phòng.",
    "Trao tặng {n} máy tính, {m} máy in cho {vh}.",
    "Đã trao {m} suất học bổng; chi phí visa do tỉnh chi trả.",
    "Đoàn đã khảo sát {n} địa điểm, đề xuất chọn huyện {d}.",
    "Chưa thống nhất được kinh phí đối ứng, hẹn trao đổi lại vào quý sau.",
    "Hai bên giao các sở ngành xây dựng kế hoạch chi tiết trước 30/9.",
    "Kết quả tốt, bạn đánh giá cao sự hỗ trợ của tỉnh Gia Lai.",
    "Khám, tư vấn miễn phí cho {n} người dân và cấp thuốc.",
    "Đã thống nhất lịch đoàn chuyên gia sang {vp} vào tháng {mo}.",
    "ສອງຝ່າຍຕົກລົງເປັນເອກະພາບ {n} ເນື້ອໃນການຮ່ວມມື.",
    "ໄດ້ລົງນາມບົດບັນທຶກກອງປະຊຸມ.",
    "ຝ່າຍລາວສະເໜີໃຫ້ຊ່ວຍເຫຼືອທຶນການສຶກສາເພີ່ມ {m} ທຶນ.",
    "Agreed {n} joint tasks for {y}; minutes signed by both sides.",
    "The Lao side asked for {m} more scholarships and office equipment.",
]


def fill(t, p, y=None):
    y = y or R.randint(2021, 2026)
    return t.format(lp=LAO_PROV[p], vp=VI_PROV[p], y=y, y1=y + 1,
                    n=R.randint(2, 12), m=R.randint(1, 20),
                    q=R.randint(1, 4), mo=R.randint(1, 12),
                    d=one(DISTRICTS[p]),
                    vh=one(["Sở Ngoại vụ bạn", "bệnh viện tỉnh",
                            "văn phòng UBND tỉnh", "trường cao đẳng"]))


def visit():
    p = one(PROV)
    direction = one(["out", "out", "in", "đoàn ra", "đoàn vào", "in"])
    inbound = direction in ("in", "đoàn vào")
    sector = one(list(PURPOSE))
    s, e = span(6)
    f = {"direction": direction, "province": one(PROV_TYPED[p]),
         "leader": person(inbound)}
    if R.random() < 0.8:
        f["title"] = one(LAO_TITLES if inbound else VI_TITLES)
    f["members"] = str(R.choice([3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 25]))
    f["sector"] = one(SECT_TYPED[sector])
    if R.random() < 0.75:
        f["host"] = one(VI_HOSTS) if inbound else lao_host(p)
    f["start"] = s
    if R.random() < 0.85:
        f["end"] = e
    if R.random() < 0.9:
        f["purpose"] = fill(one(PURPOSE[sector]), p, int(s[:4]))
    if R.random() < 0.55:
        o = fill(one(OUTCOME_V), p, int(s[:4]))
        if R.random() < 0.3:
            o += "\n" + fill(one(OUTCOME_V), p, int(s[:4]))
        f["outcome"] = o
    return "visit", f


# ---- trips ----------------------------------------------------------------
SPEC = {
    "surgery": ("Bệnh viện Đa khoa tỉnh Gia Lai",
                ["Phẫu thuật nội soi tán sỏi thận cho {n} ca, chuyển giao kỹ thuật cho {m} bác sĩ.",
                 "Mổ nội soi sỏi mật {n} ca, tất cả ổn định, ra viện sau 3–5 ngày.",
                 "Hướng dẫn kíp mổ bạn quy trình vô khuẩn và gây mê; {m} học viên.",
                 "ຜ່າຕັດສ່ອງກ້ອງ {n} ກໍລະນີ, ຝຶກອົບຮົມແພດ {m} ຄົນ.",
                 "Laparoscopic gallstone surgery: {n} cases, {m} local surgeons trained."]),
    "obstetrics": ("Bệnh viện Đa khoa tỉnh Gia Lai",
                   ["Tập huấn xử trí tai biến sản khoa (băng huyết, tiền sản giật) cho {m} nữ hộ sinh.",
                    "Khám thai miễn phí {n} sản phụ tại các bản xa.",
                    "ຝຶກອົບຮົມການຮັບມືອາການແຊກຊ້ອນໃນການເກີດລູກ {m} ຄົນ.",
                    "Obstetric emergencies drill with {m} midwives."]),
    "paediatrics": ("Bệnh viện Nhi tỉnh Gia Lai",
                    ["Hướng dẫn chăm sóc trẻ sinh non theo phương pháp Kangaroo cho {m} điều dưỡng.",
                     "Điều trị bệnh màng trong ở trẻ sơ sinh, thở CPAP; {n} trẻ được cứu.",
                     "ແນະນຳການເບິ່ງແຍງເດັກເກີດກ່ອນກຳນົດແບບຈິງໂຈ້ {m} ຄົນ.",
                     "Kangaroo care for premature babies taught to {m} nurses."]),
    "internal-medicine": ("Bệnh viện Đa khoa tỉnh Gia Lai",
                          ["Khám, điều trị tăng huyết áp, đái tháo đường cho {n} bệnh nhân.",
                           "Hội chẩn từ xa hằng tuần với khoa nội bệnh viện tỉnh bạn.",
                           "Internal medicine clinic: {n} patients, {m} staff coached."]),
    "nursing": ("Trường Cao đẳng Y tế Gia Lai",
                ["Tập huấn kỹ năng điều dưỡng cơ bản, chống nhiễm khuẩn cho {m} học viên.",
                 "ຝຶກອົບຮົມພະຍາບານ {m} ຄົນ ກ່ຽວກັບການປ້ອງກັນການຕິດເຊື້ອ."]),
    "public-health": ("Trung tâm Kiểm soát bệnh tật tỉnh Gia Lai",
                      ["Hỗ trợ tiêm chủng, giám sát sốt xuất huyết tại {n} bản.",
                       "Tập huấn phòng chống sốt rét cho {m} cán bộ y tế cơ sở.",
                       "ຊ່ວຍການສັກຢາກັນພະຍາດ ແລະ ເຝົ້າລະວັງໄຂ້ເລືອດອອກ.",
                       "Dengue surveillance and vaccination support in {n} villages."]),
    "traditional-medicine": ("Bệnh viện Y học cổ truyền Gia Lai",
                             ["Châm cứu, xoa bóp bấm huyệt cho {n} bệnh nhân; hướng dẫn trồng cây thuốc.",
                              "ຝັງເຂັມ ແລະ ນວດປິ່ນປົວ {n} ຄົນເຈັບ."]),
    "crop": ("Trung tâm Khuyến nông tỉnh",
             ["Hướng dẫn kỹ thuật trồng ngô nếp, bón phân theo giai đoạn; {m} hộ tham gia.",
              "Tập huấn gieo sạ lúa thâm canh, quản lý nước và sâu bệnh.",
              "Kiểm tra đồng ruộng mô hình, đề nghị dặm lại {n} ha bị ngập.",
              "ແນະນຳເຕັກນິກການປູກສາລີ ແລະ ການໃສ່ຝຸ່ນ {m} ຄອບຄົວ.",
              "Field training on sticky maize: spacing, fertiliser, weeding."]),
    "livestock": ("Chi cục Chăn nuôi và Thú y",
                  ["Thụ tinh nhân tạo bò bằng tinh Zebu cho {n} con bò cái.",
                   "Tập huấn làm chuồng, ủ thức ăn thô xanh cho {m} hộ chăn nuôi.",
                   "ປະສົມທຽມງົວດ້ວຍນ້ຳເຊື້ອ Zebu {n} ໂຕ.",
                   "Artificial insemination of {n} cows with Zebu semen."]),
    "veterinary": ("Chi cục Chăn nuôi và Thú y",
                   ["Tiêm phòng lở mồm long móng cho {n} con gia súc.",
                    "Hướng dẫn phòng bệnh dịch tả lợn châu Phi cho thú y bản.",
                    "ສັກຢາປ້ອງກັນພະຍາດປາກເປື່ອຍ ລີບ ເປື່ອຍ {n} ໂຕ."]),
    "aquaculture": ("Sở Nông nghiệp và Môi trường Gia Lai",
                    ["Thả {n} nghìn con cá giống rô phi, hướng dẫn nuôi lồng.",
                     "ປ່ອຍປາພັນ {n} ພັນໂຕ, ແນະນຳການລ້ຽງປາໃນກະຊັງ."]),
    "forestry": ("Chi cục Kiểm lâm",
                 ["Trao đổi kinh nghiệm phòng cháy rừng và trồng rừng sản xuất.",
                  "Forest fire prevention training for {m} rangers."]),
    "irrigation": ("Sở Nông nghiệp và Môi trường Gia Lai",
                   ["Khảo sát kênh mương, đề xuất sửa trạm bơm cho {n} ha lúa.",
                    "ສຳຫຼວດຄອງເໝືອງ ແລະ ສະຖານີສູບນ້ຳ."]),
    "mushroom": ("Sở Khoa học và Công nghệ Gia Lai",
                 ["Chuyển giao quy trình trồng nấm linh chi, nấm sò; {m} học viên thực hành.",
                  "Hướng dẫn ủ rơm trồng nấm rơm, thu hái và sơ chế.",
                  "ແນະນຳການປູກເຫັດນາງລົມ ແລະ ເຫັດຫຼິນຈື {m} ຄົນ.",
                  "Oyster and lingzhi mushroom growing, {m} trainees."]),
    "teaching": ("Trường Đại học Quy Nhơn",
                 ["Dạy tiếng Việt cho {m} cán bộ, học viên tỉnh bạn.",
                  "Bồi dưỡng phương pháp giảng dạy cho giáo viên trường cao đẳng.",
                  "ສອນພາສາຫວຽດໃຫ້ພະນັກງານ {m} ຄົນ."]),
    "journalism": ("Báo và Phát thanh, Truyền hình Gia Lai",
                   ["Tập huấn báo chí đa phương tiện cho {m} cán bộ thông tin bốn tỉnh.",
                    "ຝຶກອົບຮົມການຂ່າວຫຼາຍສື່ {m} ຄົນ.",
                    "Multimedia journalism course for {m} staff of the four provinces."]),
    "other": ("Sở Ngoại vụ Gia Lai",
              ["Phiên dịch, hỗ trợ đoàn công tác.", "Hỗ trợ hậu cần cho đoàn."]),
}
SPEC_TYPED = {"surgery": ["surgery", "ngoại khoa", "phẫu thuật"],
              "obstetrics": ["obstetrics", "sản khoa"],
              "paediatrics": ["paediatrics", "nhi khoa"],
              "internal-medicine": ["internal-medicine", "nội khoa"],
              "nursing": ["nursing", "điều dưỡng"],
              "public-health": ["public-health", "y tế công cộng"],
              "traditional-medicine": ["traditional-medicine", "y học cổ truyền"],
              "crop": ["crop", "trồng trọt"], "livestock": ["livestock", "chăn nuôi"],
              "veterinary": ["veterinary", "thú y"],
              "aquaculture": ["aquaculture", "thủy sản"],
              "forestry": ["forestry", "lâm nghiệp"],
              "irrigation": ["irrigation", "thủy lợi"],
              "mushroom": ["mushroom", "trồng nấm"],
              "teaching": ["teaching", "giảng dạy"],
              "journalism": ["journalism", "báo chí"], "other": ["other"]}
HEALTH = ["surgery", "obstetrics", "paediatrics", "internal-medicine",
          "nursing", "public-health", "traditional-medicine"]
TRIP_SITES = {
    "Attapeu": ["Bệnh viện tỉnh Attapeu", "ໂຮງໝໍແຂວງອັດຕະປື",
                "Trạm y tế huyện Sanxay", "Bệnh viện nhỏ Văng Tắt",
                "Attapeu provincial hospital", "ສູນກະສິກຳເມືອງສະໜາມໄຊ"],
    "Champasak": ["Bệnh viện tỉnh Champasak, Pakse", "ໂຮງໝໍແຂວງຈຳປາສັກ",
                  "Trung tâm nông nghiệp Paksong", "Bảo tàng tỉnh Champasak",
                  "Pakse provincial hospital"],
    "Salavan": ["Bệnh viện tỉnh Salavan", "ໂຮງໝໍແຂວງສາລະວັນ",
                "Huyện Lao Ngam", "ສູນສາທາລະນະສຸກຂັ້ນພື້ນຖານ ສາລະວັນ",
                "Trường Cao đẳng Sư phạm Salavan"],
    "Sekong": ["Bệnh viện tỉnh Sekong", "ໂຮງໝໍແຂວງເຊກອງ",
               "Sekong provincial hospital", "huyện Thateng",
               "ພະແນກການຕ່າງປະເທດແຂວງເຊກອງ"],
}


def trip():
    p = one(PROV)
    sp = one(list(SPEC))
    dept, outs = SPEC[sp]
    s, e = span(14)
    n = R.randint(1, 6)
    names = person(False)
    if n > 1 and R.random() < 0.5:
        names = ("BS. " if sp in HEALTH else "KS. ") + names + \
            one([" và cộng sự", " (trưởng đoàn)", " + %d" % (n - 1)])
    f = {"expert": names}
    if n > 1 or R.random() < 0.3:
        f["experts"] = str(n)
    f["specialty"] = one(SPEC_TYPED[sp])
    if R.random() < 0.2:
        f["sector"] = "health" if sp in HEALTH else "agriculture" \
            if sp not in ("teaching", "journalism", "mushroom", "other") \
            else "foreign-affairs"
    if R.random() < 0.8:
        f["department"] = dept
    f["province"] = one(PROV_TYPED[p])
    if R.random() < 0.8:
        f["site"] = one(TRIP_SITES[p])
    f["start"] = s
    if R.random() < 0.9:
        f["end"] = e
    if R.random() < 0.7:
        f["trainings"] = str(R.randint(0, 8))
    if R.random() < 0.7:
        f["trained"] = str(R.randint(0, 60))
    if sp in HEALTH and R.random() < 0.7:
        f["patients"] = str(R.randint(0, 300))
    if R.random() < 0.8:
        f["outcome"] = fill(one(outs), p)
    return "trip", f


# ---- models and progress --------------------------------------------------
CROPS = [("Ngô nếp (sticky maize)", 5, 42), ("Lúa thâm canh", 5, 30),
         ("Lúa nước hai vụ", 10, 55), ("Ngô lai LVN10", 8, 36),
         ("Bò lai Zebu (thụ tinh nhân tạo)", 0, 20),
         ("Cà phê Robusta tái canh", 4, 18), ("Sắn KM94", 12, 40),
         ("Nấm linh chi", 0.05, 10), ("Nấm sò", 0.03, 8),
         ("Nấm rơm", 0.2, 12), ("Chuối tiêu hồng", 6, 25),
         ("Xoài cát Hòa Lộc", 3, 14), ("Bưởi da xanh", 2, 12),
         ("Rau an toàn trong nhà lưới", 0.5, 15), ("Heo rừng lai", 0, 16),
         ("Gà thả vườn", 0, 30), ("Cá rô phi nuôi lồng", 0.3, 10),
         ("ເຂົ້າໜຽວ", 5, 40), ("ສາລີ", 6, 35), ("ກາເຟ", 4, 20),
         ("ມັນຕົ້ນ", 10, 30), ("ລ້ຽງງົວ", 0, 25), ("ເຫັດນາງລົມ", 0.05, 10),
         ("Sticky maize", 5, 42), ("Paddy rice, intensive", 5, 28),
         ("Cassava", 10, 35), ("Robusta coffee", 4, 16)]
SEASONS = ["Vụ mùa {y}", "Vụ Đông Xuân {y}–{y1}", "Vụ Hè Thu {y}",
           "mùa mưa {y}", "{y} rainy season", "{y} dry season",
           "ລະດູຝົນ {y}", "ລະດູແລ້ງ {y}", "cả năm {y}"]
PROG_NOTES = [
    "Đã gieo {a} ha, còn {b} ha đang làm đất.",
    "Ngô lên đều, tỷ lệ nảy mầm khoảng {pct}%.",
    "Mưa lớn kéo dài, {b} ha bị ngập phải gieo lại.",
    "Đã bón thúc lần {k}; sâu keo mùa thu xuất hiện rải rác, đã phun thuốc.",
    "Bà con tham gia tích cực, thêm {h} hộ đăng ký.",
    "Thiếu giống, đề nghị Trung tâm Khuyến nông gửi bổ sung {kg} kg.",
    "Thu hoạch đợt 1, năng suất ước {t} tấn/ha.",
    "Hộ ông {vn} bỏ mô hình vì đi làm xa; đã thay bằng hộ khác.",
    "Cán bộ khuyến nông bạn theo dõi hằng tuần, ghi chép đầy đủ.",
    "Đã thụ tinh {k} con bò cái, {h} con có chửa.",
    "Nấm ra đợt {k}, mỗi bịch thu khoảng {g} g.",
    "Đường vào bản bị sạt lở, đoàn không vào được, số liệu do bạn báo qua điện thoại.",
    "Đã tổ chức hội thảo đầu bờ, {h} hộ dự.",
    "ໄດ້ຫວ່ານແລ້ວ {a} ເຮັກຕາ, ຍັງເຫຼືອ {b} ເຮັກຕາ.",
    "ສາລີງອກດີ, ຊາວບ້ານເຂົ້າຮ່ວມ {h} ຄອບຄົວ.",
    "ຝົນຕົກໜັກ ນ້ຳຖ້ວມ {b} ເຮັກຕາ.",
    "ເກັບກ່ຽວຮອບທຳອິດ ໄດ້ {t} ໂຕນ ຕໍ່ ເຮັກຕາ.",
    "Sown {a} ha; {b} ha still being prepared.",
    "Heavy rain, {b} ha replanted. Farmers keen, {h} households.",
    "First harvest, about {t} t/ha; field day held.",
]


def model(n):
    p = one(PROV)
    crop, ha, hh = one(CROPS)
    y = R.randint(2021, 2026)
    planned = ha * R.choice([0.5, 1, 1, 1, 1.5, 2]) if ha else 0
    planned = round(planned, 2)
    f = {"crop": crop}
    if R.random() < 0.4:
        f["sector"] = one(["agriculture", "nông nghiệp"]) \
            if "Nấm" not in crop else "science-technology"
    f["province"] = one(PROV_TYPED[p])
    if R.random() < 0.85:
        f["district"] = one(DISTRICTS[p])
    if R.random() < 0.8:
        f["village"] = one(VILLAGES)
    f["planned_ha"] = ("%g" % planned) if planned else "0"
    f["planned_households"] = str(max(1, int(hh * R.uniform(0.6, 1.4))))
    if R.random() < 0.8:
        f["season"] = one(SEASONS).format(y=y, y1=y + 1)
    if R.random() < 0.7:
        f["start"] = ds(y, R.randint(1, 12), R.randint(1, 28))
    return "model", f, (planned, int(f["planned_households"]), y)


def progress(model_id, planned, hh, y, k):
    a = round(planned * min(1, 0.25 * k + R.uniform(0, 0.3)), 2)
    f = {"model": model_id,
         "date": ds(y, min(12, 3 + 2 * k), R.randint(1, 28)),
         "sown_ha": "%g" % a if a else "0",
         "households": str(max(0, hh - R.randint(0, 5)))}
    if R.random() < 0.8:
        t = one(PROG_NOTES).format(
            a="%g" % a, b="%g" % round(max(0, planned - a), 2),
            pct=R.randint(70, 98), k=k, h=R.randint(2, 15),
            kg=R.choice([20, 50, 100]), t=round(R.uniform(2.5, 7.5), 1),
            vn=one(VI_GIV), g=R.choice([150, 200, 250, 300]))
        if R.random() < 0.25:
            t += "\n" + one(["Ảnh chụp gửi kèm qua Zalo.",
                             "Lần sau đo lại diện tích bằng GPS.",
                             "ຈະລາຍງານຕໍ່ໃນເດືອນໜ້າ.",
                             "Next visit in two weeks."])
        f["notes"] = t
    return "progress", f


# ---- scholarships ---------------------------------------------------------
SCHOOLS = {"university": ["Trường Đại học Quy Nhơn", "Quy Nhon University"],
           "master": ["Trường Đại học Quy Nhơn"],
           "vocational": ["Trường Cao đẳng Kỹ thuật Công nghệ Quy Nhơn"],
           "college": ["Trường Cao đẳng Y tế Gia Lai", "Gia Lai Medical College",
                       "Trường Cao đẳng Gia Lai"]}
LEVEL_TYPED = {"university": ["university", "đại học", "ປະລິນຍາຕີ"],
               "master": ["master", "thạc sĩ", "ປະລິນຍາໂທ"],
               "vocational": ["vocational", "liên thông cao đẳng"],
               "college": ["college", "cao đẳng"]}
SCH_NOTES = [
    "Học 1 năm dự bị tiếng Việt trước khi vào chuyên ngành.",
    "Toàn phần, bao gồm chi phí visa; ở ký túc xá của trường.",
    "{e} em đã nhập học, {d} em xin hoãn vì lý do gia đình.",
    "Sinh viên năm cuối được hỗ trợ 2 tháng sinh hoạt phí 1.800.000 đ/tháng.",
    "Chuyên ngành: điều dưỡng, hộ sinh, dược.",
    "Chuyên ngành: kinh tế, công nghệ thông tin, sư phạm tiếng Việt.",
    "Danh sách do Sở Giáo dục và Thể thao tỉnh bạn gửi ngày {dd}.",
    "ນັກສຶກສາເຂົ້າຮຽນແລ້ວ {e} ຄົນ.",
    "ຮຽນພາສາຫວຽດ 1 ປີ ກ່ອນເຂົ້າຮຽນວິຊາສະເພາະ.",
    "Full scholarship incl. visa; {e} students arrived in September.",
]


def scholarship():
    p = one(PROV)
    lv = one(["university", "university", "master", "vocational", "college"])
    y = R.randint(2021, 2026)
    aw = {"university": 20, "master": 8, "vocational": 20, "college": 12}[lv]
    aw = max(1, aw + R.randint(-3, 2))
    f = {"province": one(PROV_TYPED[p]), "academic_year": "%d-%d" % (y, y + 1),
         "level": one(LEVEL_TYPED[lv]), "school": one(SCHOOLS[lv]),
         "awarded": str(aw)}
    en = max(0, aw - R.randint(0, 5))
    if R.random() < 0.6:
        f["enrolled"] = str(en)
    if R.random() < 0.5:
        f["allowance"] = str(R.choice([1800000, 2000000, 2500000, 3000000]))
    if R.random() < 0.6:
        f["notes"] = one(SCH_NOTES).format(e=en, d=aw - en,
                                           dd=ds(y, 8, R.randint(1, 28)))
    return "scholarship", f


# ---- friendship works -----------------------------------------------------
WORKS = {
    "Attapeu": [("Bệnh viện nhỏ Văng Tắt", "health", "Sanxay district"),
                ("Trường tiểu học bản Vắng Tắt", "education", "huyện Sanxay"),
                ("ສຸກສາລາ ບ້ານນາໂພ", "health", "ເມືອງສະໜາມໄຊ"),
                ("Nhà văn hóa bản Thà Hỉn", "culture-sports-tourism", "Samakkhixay")],
    "Champasak": [("Trùng tu Bảo tàng tỉnh Champasak", "culture-sports-tourism", "Pakse"),
                  ("ໂຮງຮຽນມັດທະຍົມ ມິດຕະພາບ ລາວ–ຫວຽດ", "education", "ເມືອງປາກຊ່ອງ"),
                  ("Trạm y tế cụm bản Nong Bua", "health", "Bachiangchaleunsouk")],
    "Salavan": [("Nhà học 3 tầng, Trung tâm chăm sóc sức khỏe ban đầu", "education", "Salavan"),
                ("ສູນສາທາລະນະສຸກ ເມືອງເລົ່າງາມ", "health", "ເມືອງເລົ່າງາມ"),
                ("Khu ký túc xá Trường Cao đẳng Sư phạm Salavan", "education", "Salavan")],
    "Sekong": [("Trụ sở Sở Ngoại vụ tỉnh Sekong", "culture-sports-tourism", "Lamam"),
               ("ໂຮງໝໍນ້ອຍ ເມືອງທ່າແຕງ", "health", "ເມືອງທ່າແຕງ"),
               ("Trường mầm non hữu nghị Dakcheung", "education", "huyện Dakcheung")],
}
WSECT_TYPED = {"health": ["health", "y tế", "clinic"],
               "education": ["education", "trường học", "school"],
               "culture-sports-tourism": ["culture-sports-tourism", "văn hóa"]}
WP_NOTES = [
    "Đã đổ xong móng và cột tầng 1.",
    "Nhà thầu tập kết vật liệu; mùa mưa, thi công chậm {w} tuần.",
    "Hoàn thành phần thô, đang lắp điện nước.",
    "Đã nghiệm thu, bàn giao cho Sở Y tế tỉnh bạn ngày {dd}.",
    "Giải ngân đợt {k}; hồ sơ thanh toán gửi Sở Tài chính.",
    "Chưa khởi công: còn chờ phê duyệt thiết kế bản vẽ thi công.",
    "Lắp đặt trang thiết bị y tế, tập huấn sử dụng cho {m} cán bộ.",
    "Tường bao và sân đã xong; còn cổng và biển tên công trình.",
    "ສ້າງຮາກຖານສຳເລັດແລ້ວ.",
    "ກຳລັງກໍ່ສ້າງ, ຄາດວ່າຈະມອບໃຫ້ໃນເດືອນ {mo}.",
    "Roof on; electrical work under way. Handover planned for {mo}/{y}.",
]


def work():
    p = one(PROV)
    name, sect, site = one(WORKS[p])
    f = {"province": one(PROV_TYPED[p]), "name": name,
         "sector": one(WSECT_TYPED[sect])}
    if R.random() < 0.8:
        f["site"] = site
    budget = R.choice([10, 10, 12, 15, 15, 8, 5]) * 1000000000
    f["budget"] = str(budget)
    return "work", f, budget


def work_progress(work_id, budget, k, y):
    pct = min(100, 20 * k + R.randint(0, 15))
    st = "planned" if k == 0 else ("handed-over" if pct >= 100 else
                                   "under-construction")
    st_typed = {"planned": ["planned", "chưa khởi công"],
                "under-construction": ["under-construction", "đang thi công",
                                       "thi công"],
                "handed-over": ["handed-over", "đã bàn giao", "hoàn thành"]}
    f = {"work": work_id, "date": ds(y, min(12, 2 + 3 * k), R.randint(1, 28)),
         "disbursed": str(int(budget * pct / 100 // 1000000) * 1000000),
         "built_pct": str(pct if k else 0),
         "status": one(st_typed[st])}
    if R.random() < 0.8:
        f["notes"] = one(WP_NOTES).format(
            w=R.randint(2, 6), dd=ds(y, 11, R.randint(1, 28)), k=k,
            m=R.randint(5, 20), mo=R.randint(1, 12), y=y)
    return "work_progress", f


# ---- compose --------------------------------------------------------------
def nfc(o):
    if isinstance(o, str):
        n = unicodedata.normalize("NFC", o)
        assert n == o, o
        return n
    if isinstance(o, dict):
        return {k: nfc(v) for k, v in o.items()}
    return o


def main():
    out = []
    n = 0

    def emit(kind, f):
        nonlocal n
        n += 1
        out.append((rid(n), kind, f))
        return rid(n)

    target = int(sys.argv[1]) if len(sys.argv) > 1 else 1500
    while len(out) < target:
        r = R.random()
        if r < 0.30:
            emit(*visit())
        elif r < 0.56:
            emit(*trip())
        elif r < 0.80:
            kind, f, (pl, hh, y) = model(n)
            mid = emit(kind, f)
            for k in range(1, R.randint(1, 4) + 1):
                emit(*progress(mid, pl, hh, y, k))
        elif r < 0.90:
            emit(*scholarship())
        else:
            kind, f, budget = work()
            wid = emit(kind, f)
            y = R.randint(2023, 2026)
            for k in range(0, R.randint(1, 5)):
                emit(*work_progress(wid, budget, k, y))
    for i, kind, f in out:
        line = json.dumps(nfc({"id": i, "kind": kind, "fields": f}),
                          ensure_ascii=False, separators=(",", ":"))
        sys.stdout.write(line + "\n")


main()

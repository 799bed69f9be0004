#!/bin/bash
# hq_docx.t: `fieldsyncd report --format docx`, the report as the document
# HQ sends, checked by content: the entries of hq_lib.sh are recorded by
# three real devices and synced to a live fieldsyncd; the DOCX of 2026H2 is
# unzipped and word/document.xml read for the sections, the sentences and
# the tables; LibreOffice (headless) converts it to PDF without error, and
# pdftotext finds the Vietnamese headings in it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hq_lib.sh"
for c in jq sqlite3 unzip; do
	command -v $c >/dev/null || bail "$c is needed"
done
plan 21

W=$(tmpdir)
hq_fixture "$W"
ok $? "fixture: three real devices recorded the entries and synced" || exit 1
R=("$FSD" report --db "$DB")

X="$W/r.docx"
run "${R[@]}" --period 2026H2 --format docx --lang vi -o "$X"
is "$RC" 0 "report --format docx --lang vi -o FILE exits 0"
unzip -tq "$X" >/dev/null
ok $? "the file is a sound ZIP container"
is "$(unzip -Z1 "$X" | sort | tr '\n' ' ')" \
	"[Content_Types].xml _rels/.rels docProps/core.xml word/_rels/document.xml.rels word/document.xml word/styles.xml " \
	"its parts: content types, relationships, core properties, document, styles"
# The text of the document, tags removed (each run's text on its own).
T=$(unzip -p "$X" word/document.xml | sed 's/<[^>]*>/ /g; s/  */ /g')
like "$T" 'Báo cáo kết quả triển khai' "the title, in Vietnamese"
like "$T" '6 tháng, 01/05/2026 – 31/10/2026, hạn nộp 10/11/2026' "the period in words with its dates and deadline"
like "$T" 'I\. Tổng hợp chung .* II\. Kết quả theo lĩnh vực .* III\. Chỉ tiêu năm .* IV\. Xung đột dữ liệu chưa xử lý' \
	"the four parts in order: summary, sectors, targets, conflicts and devices"
# Summary, from hq_report.t's hand-computed figures: out 3 visits (6+5+2
# = 13 members), in 2 (4+3 = 7); 3 trips, 43 expert-days.
like "$T" '3 đoàn ra \(13 lượt người\), 2 đoàn vào \(7 lượt người\)' "the summary's visits: 3 out (13), 2 in (7)"
like "$T" '3 lượt \(43 ngày công chuyên gia\)' "the summary's trips: 3, 43 expert-days"
# One numbered section per sector, in the programme's order; a sector with
# nothing says so in one line.
like "$T" '1\. Chính trị Trong kỳ báo cáo, lĩnh vực này không có nội dung phát sinh\.' \
	"a sector with nothing to report says so in one line"
like "$T" '3\. Y tế Các chuyến thăm của đoàn .* 6\. Nông nghiệp ' "the health and agriculture sections"
# The seeds' example (M1: 5 ha planned, 42 households; latest observation
# 3.8 ha sown: 3.8 / 5 = 76 %), with the decimal comma.
like "$T" 'Salavan — Ngô nếp \(sticky maize\): 5 ha kế hoạch, 42 hộ; đã gieo 3,8 ha \(76 %\)' \
	"the Salavan model as the report writes it: 3,8 ha (76 %)"
like "$T" 'đoàn 6 người do Đoàn công tác Sở Y tế Gia Lai \(Giám đốc Sở Y tế\) làm trưởng đoàn sang thăm và làm việc tại tỉnh Attapeu\. Mục đích: Khảo sát nhu cầu đào tạo bác sĩ tuyến tỉnh\. Người ghi: ' \
	"an outbound visit as a sentence, with its purpose and its author"
like "$T" 'Đoàn doanh nghiệp &quot;Gia Lai&quot;, Pleiku' "a leader's quotes escaped in the XML"
for purpose in "Khảo sát nhu cầu đào tạo bác sĩ tuyến tỉnh" "ຢ້ຽມຢາມໂຮງໝໍແຂວງ Gia Lai" \
	"Xúc tiến thương mại nông sản" "ແລກປ່ຽນດ້ານການຄ້າຊາຍແດນ" "Ký kết biên bản hợp tác năm 2027"; do
	like "$T" "$purpose" "a visit's purpose is in the document: $purpose"
done

# LibreOffice opens it: a PDF, and the Vietnamese headings in its text.
if command -v soffice >/dev/null && command -v pdftotext >/dev/null; then
	(cd "$W" && HOME="$W" timeout 180 soffice --headless --norestore \
		"-env:UserInstallation=file://$W/lo" --convert-to pdf "$X" \
		--outdir "$W" >"$W/lo.out" 2>&1)
	ok $? "libreoffice --headless --convert-to pdf exits 0" || diag "$(cat "$W/lo.out")"
	P=$(pdftotext -layout "$W/r.pdf" - 2>/dev/null | tr -s ' \n' ' ')
	like "$P" 'Kết quả theo lĩnh vực.*Nông nghiệp.*Chỉ tiêu năm' \
		"pdftotext finds the Vietnamese headings in the PDF"
else
	skip 2 "LibreOffice or pdftotext is not installed (tests/deps.sh installs them)"
fi
stop_server

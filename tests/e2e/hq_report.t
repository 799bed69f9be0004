#!/bin/bash
# End-to-end test of `fieldsyncd report`: three real fieldsync devices
# record the entries listed at the top of hq_lib.sh and sync them to a live
# fieldsyncd; the report is then checked in its three formats, figure by
# figure, against the expectations derived below by hand from those entries
# (period 2026H2 = 2026-05-01..2026-10-31, so "as of" is 2026-10-31 on any
# day the test runs after it); the period's observations (a retracted one
# left out) and the open conflict as CSV tables and XLSX sheets; the
# workbook read by content (its sheets' names and header rows in
# Vietnamese by default, English and Lao with --lang, 3.8 a number cell)
# and through LibreOffice Calc. Also: the filters, a --from/--to range, the
# targets file (created beside the database, edited by HQ, --targets, a
# mistake shown in the targets section only, with its line, in every
# format), usage errors (exit 2), and at the end the previous period's scholarship and works figures (300 / 251 -> 84 %, 4 x 15
# billion -> 60 billion) and the 2026 scholarship target, from records
# device A makes there.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hq_lib.sh"
for c in jq sqlite3; do
	command -v $c >/dev/null || bail "$c is needed"
done
plan 163

W=$(tmpdir)
hq_fixture "$W"
ok $? "fixture: three real devices recorded the entries and synced" || exit 1
R=("$FSD" report --db "$DB")

# ---- hand-computed expectations ------------------------------------------
# Visits in 2026H2 (V6 starts 2026-04-20: outside): V1..V5.
#   out: V1 Attapeu 6, V3 Champasak 5, V5 Sekong 2  -> 3 visits, 13 members
#   in:  V2 Salavan 4, V4 Sekong 3                  -> 2 visits, 7 members
# Trips in 2026H2 (T4 starts 2026-11-05: outside): T1, T2, T3.
#   T1 Attapeu 3 experts x 10 days (06-01..06-10) = 30 expert-days,
#      6 trainings, 12 trained, 41 patients; sector health (from surgery)
#   T2 Salavan 1 expert (absent) x 5 days = 5; 2 trainings, 20 trained,
#      0 patients; agriculture
#   T3 Sekong 2 experts x 4 days (10-30..11-02, counted whole in the
#      period it starts in) = 8; 1 training, 5 trained, 9 patients; health
#   totals: 3 trips, 6 experts, 43 expert-days, 9 trainings, 37 trained,
#   50 patients.
# Per province (visits_out members_out visits_in members_in trips experts
# expert_days trainings trained patients):
#   Attapeu   1 6 0 0 1 3 30 6 12 41
#   Champasak 1 5 0 0 0 0 0 0 0 0
#   Salavan   0 0 1 4 1 1 5 2 20 0
#   Sekong    1 2 1 3 1 2 8 1 5 9
# Per sector: health = V1 out 6, V2 in 4, T1 + T3: 1 6 1 4 2 5 38 7 17 50;
#   industry-trade = V3 out 5, V4 in 3 ("công thương"): 1 5 1 3 0 0 0 0 0 0;
#   foreign-affairs = V5: 1 2 0 0 0 0 0 0 0 0;
#   agriculture = T2: 0 0 0 0 1 1 5 2 20 0; education: 0 (V6 outside).
# Models (by province, then crop): M1 Salavan "Ngô nếp", M3 Salavan
#   "Thụ tinh...", M2 Sekong.
#   M1: latest observation on or before 10-31 is 10-10 (11-10 is after):
#       3.8 of 5 ha = 76 %, 42 of 42 households, 2 observations, 21 days
#       before 10-31 (<= 30): not stale.  <- the programme's own figures
#   M3: no observation: sown/percent null, stale; district = B's later
#       write "Khongsedone".
#   M2: 4.5 of 5 ha = 90 %, 25 of 30 households, 08-01 is 91 days before
#       10-31: stale.
#   -> 3 models, 2 stale.
# Targets for 2026, counted up to 10-31:
#   medical-experts (trips, health, each province, min 1): Attapeu T1,
#     Sekong T3 -> 2 of 4, window open -> pending.
#   health-staff-trained (members of inbound health visits, min 3 each):
#     Salavan V2 4 -> min(4,3) = 3 of 12 -> pending.
#   trade-delegations (industry-trade visits each direction, min 1): out V3,
#     in V4 -> 2 of 2 -> met.
#   high-level-visit (2026-2027 window, out first): V5 out, title "Chủ tịch"
#     (V2 is high-level too but inbound) -> 1 of 1 -> met.
#   foreign-affairs-quarterly (out, each province, per quarter, min 1):
#     4 quarters begun x 4 provinces = 16 cells, V5 Sekong Q3 -> 1; Q1-Q3
#     have ended short -> missed.
#   -> 5 targets, 2 met.
# Devices: A, B, C and HQ = 4; C never synced -> 1 not synced (HQ's own
#   identity is never flagged). Open conflicts: 1 (M3's district).

# ---- JSON ----------------------------------------------------------------
run "${R[@]}" --period 2026H2 --format json
is "$RC" 0 "report --format json exits 0"
J="$W/report.json"
cp "$OUTF" "$J"
jq -e . "$J" >/dev/null
ok $? "the JSON output parses"
is "$(jq -c '[.period.label,.period.from,.period.to,.period.year,.as_of]' "$J")" \
	'["2026H2","2026-05-01","2026-10-31",2026,"2026-10-31"]' "period 2026H2 is 1 May..31 Oct, as of 31 Oct"
is "$(jq -c '.summary' "$J")" \
	'{"visits":5,"trips":3,"models":3,"models_stale":2,"targets":8,"targets_met":2,"devices":4,"devices_not_synced":1,"open_conflicts":1}' \
	"summary: 5 visits, 3 trips, 3 models (2 stale), 2 of 8 targets met (3 for scholarships and works, none recorded), 1 of 4 devices not synced, 1 open conflict"
fig() { # JQ-PATH: the ten figures of one row, space separated
	jq -r "$1 | [.visits_out,.members_out,.visits_in,.members_in,.trips,.experts,.expert_days,.trainings,.trained,.patients] | map(tostring) | join(\" \")" "$J"
}
is "$(fig '.by_province[] | select(.province=="Attapeu")')" "1 6 0 0 1 3 30 6 12 41" "Attapeu figures"
is "$(fig '.by_province[] | select(.province=="Champasak")')" "1 5 0 0 0 0 0 0 0 0" "Champasak figures"
is "$(fig '.by_province[] | select(.province=="Salavan")')" "0 0 1 4 1 1 5 2 20 0" "Salavan figures"
is "$(fig '.by_province[] | select(.province=="Sekong")')" "1 2 1 3 1 2 8 1 5 9" "Sekong figures"
is "$(fig '.totals')" "3 13 2 7 3 6 43 9 37 50" "totals"
is "$(fig '.by_sector[] | select(.sector=="health")')" "1 6 1 4 2 5 38 7 17 50" "health sector (trip sector from surgery, \"y tế\")"
is "$(fig '.by_sector[] | select(.sector=="industry-trade")')" "1 5 1 3 0 0 0 0 0 0" "industry-trade sector (\"công thương\")"
is "$(fig '.by_sector[] | select(.sector=="foreign-affairs")')" "1 2 0 0 0 0 0 0 0 0" "foreign-affairs sector"
is "$(fig '.by_sector[] | select(.sector=="agriculture")')" "0 0 0 0 1 1 5 2 20 0" "agriculture sector"
is "$(fig '.by_sector[] | select(.sector=="education")')" "0 0 0 0 0 0 0 0 0 0" "education: V6 (April) is outside 2026H2"
is "$(jq '.by_sector | length' "$J")" 13 "all thirteen sectors listed"
is "$(jq -r '[.models[].id] | join(" ")' "$J")" "$M1 $M3 $M2" "models ordered by province then crop"
is "$(jq -c --arg id "$M1" '.models[] | select(.id==$id) | [.crop,.province,.district,.village,.season,.planned_ha,.planned_households,.sown_ha,.households,.percent,.last_observation,.days_since,.observations,.stale]' "$J")" \
	'["Ngô nếp (sticky maize)","Salavan","Lao Ngam","ບ້ານ ນາດີ","Mùa mưa 2026",5,42,3.8,42,76,"2026-10-10",21,2,false]' \
	"Salavan sticky maize: 5 ha planned, 42 households, 3.8 ha sown -> 76 %, not stale; Lao and Vietnamese intact"
is "$(jq -c --arg id "$M2" '.models[] | select(.id==$id) | [.planned_ha,.sown_ha,.percent,.planned_households,.households,.last_observation,.days_since,.stale]' "$J")" \
	'[5,4.5,90,30,25,"2026-08-01",91,true]' "Sekong paddy: 4.5 of 5 ha = 90 %, last seen 91 days before: stale"
is "$(jq -c --arg id "$M3" '.models[] | select(.id==$id) | [.district,.sown_ha,.percent,.households,.last_observation,.observations,.stale]' "$J")" \
	'["Khongsedone",null,null,null,null,0,true]' "cattle model without observation: stale, no percentage"
is "$(jq -r '[.visits[].id] | join(" ")' "$J")" "$V1 $V2 $V4 $V5 $V3" "visits of the period, by start date"
is "$(jq -r --arg id "$V3" '.visits[] | select(.id==$id) | .leader' "$J")" 'Đoàn doanh nghiệp "Gia Lai", Pleiku' "visit leader with quotes and comma intact"
is "$(jq -c '[.visits[] | .high_level]' "$J")" '[false,true,false,true,false]' "high-level: V2 (ເຈົ້າແຂວງ) and V5 (chủ tịch)"
is "$(jq -r '[.trips[].id] | join(" ")' "$J")" "$T1 $T2 $T3" "trips of the period, by start date"
is "$(jq -c --arg id "$T3" '.trips[] | select(.id==$id) | [.days,.experts,.expert_days,.sector,.site]' "$J")" \
	'[4,2,8,"health","Bệnh viện tỉnh Sekong"]' "T3 across the period's end: 4 days x 2 experts, counted whole"
is "$(jq -c --arg id "$T2" '.trips[] | select(.id==$id) | [.experts,.expert_days,.patients]' "$J")" \
	'[1,5,null]' "T2 without experts counts 1 expert; patients absent = null"
tgt() { jq -r --arg n "$1" '.targets.items[] | select(.name==$n) | "\(.status) \(.expected) \(.actual)"' "$J"; }
is "$(jq '.targets.year' "$J")" 2026 "targets for the period's year"
is "$(tgt medical-experts)" "pending 4 2" "medical experts: 2 of 4 provinces, pending"
is "$(tgt health-staff-trained)" "pending 12 3" "health staff trained: Salavan 3 of 3, 3 of 12, pending"
is "$(tgt trade-delegations)" "met 2 2" "trade delegations each way: met"
is "$(tgt high-level-visit)" "met 1 1" "high-level visit 2026-2027 (outbound): met"
is "$(tgt foreign-affairs-quarterly)" "missed 16 1" "quarterly foreign-affairs visits: 1 of 16, missed"
is "$(jq -c --arg c "$DEV_C" '.devices[] | select(.id==$c) | [.name,.not_synced,.last_sync]' "$J")" \
	'["Máy dự phòng",true,null]' "device C never synced: flagged"
is "$(jq -c --arg a "$DEV_A" --arg b "$DEV_B" '[.devices[] | select(.id==$a or .id==$b) | .not_synced]' "$J")" \
	'[false,false]' "devices A and B synced: not flagged"
is "$(jq -c '[.devices[] | select(.role=="hq") | .not_synced]' "$J")" '[false]' "HQ's own identity is never flagged"

# ---- CSV: one table per file ------------------------------------------------
csv() { # TABLE: the table as CSV into $W/TABLE.csv (raw) and $W/plain.csv
	run "${R[@]}" --period 2026H2 --format csv --table "$1"
	cp "$OUTF" "$W/$1.csv"
	tr -d '\r' <"$W/$1.csv" | sed '1s/^\xef\xbb\xbf//' >"$W/plain.csv"
}
csv_has() { grep -Fxq -- "$1" "$W/plain.csv"; ok $? "CSV row: $2"; }
csv_head() { # HEADER DESC: the first line is the header row
	is "$(head -1 "$W/plain.csv")" "$1" "CSV $2: the header row comes first"
}
csv visits
is "$RC" 0 "report --format csv --table visits exits 0"
C="$W/visits.csv"
is "$(head -c 3 "$C" | od -An -tx1 | tr -d ' ')" "efbbbf" "CSV starts with the UTF-8 BOM"
is "$(grep -c $'\r$' "$C")" "$(wc -l <"$C")" "every CSV line ends in CRLF"
# V1..V5: the header and five rows, no title line, no other table.
is "$(wc -l <"$W/plain.csv")" 6 "the visits CSV is one table: header + 5 visits"
csv_head "Start,End,Direction,Province,Sector,Leader,Title,Members,Host,Author" visits
csv_has '2026-09-15,,out,Champasak,industry-trade,"Đoàn doanh nghiệp ""Gia Lai"", Pleiku",,5,,ເຈົ້າ ສົມພອນ' "RFC 4180: quotes doubled, field with a comma quoted"
csv_has "2026-06-02,,in,Salavan,health,ທ່ານ ບຸນມີ ພົມມະວົງ,ຮອງເຈົ້າແຂວງ,4,,ເຈົ້າ ສົມພອນ" "Lao leader and title byte for byte"
csv summary
csv_head "Item,Value" summary
csv_has "Delegation visits,5" "5 visits"
csv_has "Expert trips,3" "3 trips"
csv_has "Open conflicts,1" "1 open conflict"
csv provinces
csv_head "Province,Visits out,Members out,Visits in,Members in,Trips,Expert-days,Trainings,Trained,Patients" provinces
csv_has "Attapeu,1,6,0,0,1,30,6,12,41" "Attapeu (no experts column, as in the table)"
csv_has "Salavan,0,0,1,4,1,5,2,20,0" "Salavan"
csv_has "Sekong,1,2,1,3,1,8,1,5,9" "Sekong"
csv_has "Total,3,13,2,7,3,43,9,37,50" "totals"
is "$(wc -l <"$W/plain.csv")" 6 "provinces: header, four provinces, total"
csv sectors
csv_has "health,1,6,1,4,2,38,7,17,50" "health sector"
csv models
csv_head "Crop,Province,District,Village,Planned ha,Sown ha,Done %,Planned hh,Households,Last observation,Stale,Author" models
csv_has "Ngô nếp (sticky maize),Salavan,Lao Ngam,ບ້ານ ນາດີ,5,3.8,76,42,42,2026-10-10,no,Chuyên gia An" "the sticky-maize model, Lao village intact"
csv_has "Lúa nước thâm canh,Sekong,,,5,4.5,90,30,25,2026-08-01,yes,Chuyên gia An" "the stale paddy model, empty cells for absent text"
csv trips
csv_has "2026-10-30,2026-11-02,Sekong,health,obstetrics,BS. Phạm Thị Hoa,Bệnh viện tỉnh Sekong,2,8,1,5,9,Chuyên gia An" "T3 (its author named)"
csv targets
csv_head "Target,From,To,Expected,Actual,Status,Description" targets
csv_has 'health-staff-trained,2026-01-01,2026-12-31,12,3,pending,"Health staff trained in Gia Lai, per province"' "target row, label with a comma quoted"
csv_has "foreign-affairs-quarterly,2026-01-01,2026-12-31,16,1,missed,\"Foreign-affairs working visit to each province, quarterly\"" "missed target"
csv devices
csv_has "Máy dự phòng,expert,$DEV_C,," "the device that never synced"
run "${R[@]}" --period 2026H2 --format csv
like "$RC $ERR" '^2 .*--table.*summary, provinces, sectors, visits, trips, models, observations, scholarships, works, targets, conflicts, devices' \
	"--format csv without --table: exit 2, the tables listed"
run "${R[@]}" --period 2026H2 --format csv --table everything
like "$RC $ERR" '^2 .*"everything" is not a table.*visits' "an unknown table: exit 2, the tables listed"
run "${R[@]}" --period 2026H2 --table visits
is "$RC" 2 "--table without --format csv: exit 2"

# ---- the period's observations and the open conflicts ----------------------
# Device A records one more observation of M2 (2026-09-01, 5 ha, 30 hh)
# and retracts it: a retracted observation counts nowhere. The period's
# observations stay P1 (M1 07-01, 2 ha, 30 hh), P4 (M2 08-01, 4.5 ha,
# 25 hh) and P2 (M1 10-10, 3.8 ha, 42 hh, with its notes), by date; P3
# (11-10) is after the period. The one open conflict: M3's district,
# HQ's "Khongsedone" kept over A's "Vapy".
P5=$("$FS" --dir "$DA" model progress "$M2" --sown-ha 5 --households 30 \
	--date 2026-09-01 2>/dev/null) &&
	"$FS" --dir "$DA" retract "$P5" --reason "nhầm mô hình" >/dev/null 2>&1 &&
	"$FS" --dir "$DA" sync >/dev/null 2>&1
ok $? "device A recorded an observation of M2 on 2026-09-01, retracted it and synced"
csv_widths() { # the distinct numbers of fields of the lines of plain.csv
	awk '{ n = 1; q = 0
		for (i = 1; i <= length($0); i++) {
			ch = substr($0, i, 1)
			if (ch == "\"") q = !q; else if (ch == "," && !q) n++
		}
		print n }' "$W/plain.csv" | sort -u | paste -sd ' '
}
csv observations
is "$RC" 0 "report --format csv --table observations exits 0"
csv_head "Model,Date,Sown ha,Households,Notes,Author" observations
is "$(sed 1d "$W/plain.csv")" "Ngô nếp (sticky maize) — Salavan,2026-07-01,2,30,,Chuyên gia An
Lúa nước thâm canh — Sekong,2026-08-01,4.5,25,,Chuyên gia An
Ngô nếp (sticky maize) — Salavan,2026-10-10,3.8,42,\"Còn 1,2 ha đang hoàn thành\",Chuyên gia An" \
	"observations CSV: the period's three, by date, the model named by crop and province; the retracted one and November's absent"
is "$(csv_widths)" 6 "observations CSV: one rectangular table (every line 6 fields)"
csv conflicts
is "$RC" 0 "report --format csv --table conflicts exits 0"
csv_head "Record,Field,Value kept,Device kept,Other value,Other device" conflicts
is "$(sed 1d "$W/plain.csv")" '"Thụ tinh nhân tạo bò Zebu — Salavan, Khongsedone",district,Khongsedone,HQ,Vapy,Chuyên gia An' \
	"conflicts CSV: M3 named by what it is, its field, both values and both devices by name"
is "$(csv_widths)" 6 "conflicts CSV: one rectangular table (every line 6 fields)"
run "${R[@]}" --period 2026H2 --format json
is "$(printf '%s' "$OUT" | jq -c --arg m "$M2" '[(.observations | length), (.models[] | select(.id==$m) | .sown_ha, .last_observation)]')" \
	'[3,4.5,"2026-08-01"]' "the retracted observation counts nowhere: M2 still 4.5 ha on 08-01"

# ---- XLSX: one sheet per table, typed cells ---------------------------------
# The sheets are written in the order of the CSV tables: 1 summary, 2
# provinces, 3 sectors, 4 visits, 5 trips, 6 models, 7 observations, 8
# scholarships, 9 works, 10 targets, 11 conflicts, 12 devices.
command -v unzip >/dev/null || bail "unzip is needed"
xsheets() { # XLSX: the sheets' names, "|"-joined, in the workbook's order
	unzip -p "$1" xl/workbook.xml | grep -o '<sheet name="[^"]*"' |
		sed 's/^<sheet name="//; s/"$//' | paste -sd '|'
}
xrow() { # XLSX N ROW: row ROW of sheet N, cells "|"-joined by column
	# (an absent cell empty): a shared string (t="s") as its text from
	# xl/sharedStrings.xml, any other cell as its <v>.
	unzip -p "$1" xl/sharedStrings.xml | tr -d '\n' | sed 's/<si>/\n/g' |
		sed '1d; s/<\/si>.*//; s/<[^>]*>//g; s/&lt;/</g; s/&gt;/>/g
		s/&quot;/"/g; s/&amp;/\&/g' >"$W/sst.txt"
	unzip -p "$1" "xl/worksheets/sheet$2.xml" | tr -d '\n' |
		sed 's/<row /\n<row /g' | grep "^<row r=\"$3\"" |
		sed 's/<c /\n<c /g' | sed 1d | awk -v sst="$W/sst.txt" '
		BEGIN { n = 0; while ((getline l < sst) > 0) s[n++] = l; m = 0 }
		{
			match($0, /r="[A-Z]+/)
			c = index("ABCDEFGHIJKLMNOPQRSTUVWXYZ", substr($0, RSTART + 3, 1))
			v = ""
			if (match($0, /<v>[^<]*<\/v>/))
				v = substr($0, RSTART + 3, RLENGTH - 7)
			if ($0 ~ / t="s"/) v = s[v]
			cell[c] = v
			if (c > m) m = c
		}
		END {
			for (i = 1; i <= m; i++)
				printf "%s%s", (i > 1 ? "|" : ""), cell[i]
			print ""
		}'
}
serial() { # YYYY-MM-DD: the spreadsheet's day number (days since 1899-12-30)
	echo $((($(date -ud "$1" +%s) - $(date -ud 1899-12-30 +%s)) / 86400))
}
# Without --lang and with no language in the environment (lib.sh sets
# LANGUAGE=en for the messages): Vietnamese.
X="$W/report.xlsx"
run env -u LANGUAGE -u LC_ALL -u LC_MESSAGES -u LANG \
	"${R[@]}" --period 2026H2 --format xlsx --output "$X"
is "$RC" 0 "report --format xlsx --output FILE exits 0"
is "$(xsheets "$X")" \
	"Tổng hợp chung|Theo tỉnh|Theo lĩnh vực|Đoàn ra, đoàn vào|Chuyến công tác|Mô hình|Ghi nhận tiến độ|Học bổng|Công trình hữu nghị|Chỉ tiêu|Xung đột|Thiết bị" \
	"one sheet per table, in the CSV tables' order, named in Vietnamese by default"
# Every sheet's header row, in Vietnamese (po/vi.po), column for column.
vi_heads=(
	"Mục|Giá trị"
	"Tỉnh|Đoàn ra|Thành viên đoàn ra|Đoàn vào|Thành viên đoàn vào|Chuyến công tác|Ngày công chuyên gia|Số lớp tập huấn|Được đào tạo|Bệnh nhân"
	"Lĩnh vực|Đoàn ra|Thành viên đoàn ra|Đoàn vào|Thành viên đoàn vào|Chuyến công tác|Ngày công chuyên gia|Số lớp tập huấn|Được đào tạo|Bệnh nhân"
	"Ngày bắt đầu|Ngày kết thúc|Chiều đoàn|Tỉnh|Lĩnh vực|Trưởng đoàn|Chức vụ trưởng đoàn|Số thành viên|Đơn vị đón tiếp|Người ghi"
	"Ngày bắt đầu|Ngày kết thúc|Tỉnh|Lĩnh vực|Chuyên ngành|Chuyên gia|Địa điểm|Số chuyên gia|Ngày công chuyên gia|Số lớp tập huấn|Được đào tạo|Bệnh nhân|Người ghi"
	"Cây trồng, vật nuôi|Tỉnh|Huyện|Bản|Kế hoạch (ha)|Đã gieo (ha)|Tỷ lệ đạt (%)|Số hộ kế hoạch|Số hộ|Lần ghi nhận gần nhất|Lâu chưa cập nhật|Người ghi"
	"Mô hình (cây trồng — tỉnh)|Ngày|Đã gieo (ha)|Số hộ|Ghi chú|Người ghi"
	"Năm học|Tỉnh|Số suất đã cấp|Đã nhập học|Tỷ lệ nhập học (%)"
	"Tỉnh|Công trình|Lĩnh vực|Kinh phí|Đã giải ngân|% đã xây dựng|Trạng thái|Lần ghi nhận gần nhất|Ghi chú lần ghi nhận gần nhất"
	"Mã chỉ tiêu|Từ ngày|Đến ngày|Chỉ tiêu|Thực hiện|Trạng thái|Mô tả"
	"Bản ghi|Trường|Giá trị được giữ|Thiết bị có giá trị được giữ|Giá trị khác|Thiết bị có giá trị khác"
	"Thiết bị|Vai trò|Mã|Lần đồng bộ cuối|Số ngày"
)
bad=""
for i in "${!vi_heads[@]}"; do
	got=$(xrow "$X" $((i + 1)) 1)
	[ "$got" = "${vi_heads[i]}" ] || bad="$bad sheet $((i + 1)): '$got';"
done
is "$bad" "" "every sheet's header row is in Vietnamese, column for column"
# Sheet 6 is models: M1's sown 3.8 ha is a number cell (no t="s"), and
# its 76 % a percentage 0.76.
M=$(unzip -p "$X" xl/worksheets/sheet6.xml)
like "$M" '<c r="F2"( s="[0-9]+")?><v>3.8</v></c>' "3.8 ha is a number cell, not text"
like "$M" '<c r="G2" s="[0-9]+"><v>0.76</v></c>' "76 % is the number 0.76 with a percent format"
like "$M" '<autoFilter ref="A1:L4"/>' "the models sheet has a filter over its header and 3 rows"
is "$(xrow "$X" 6 2)" "Ngô nếp (sticky maize)|Salavan|Lao Ngam|ບ້ານ ນາດີ|5|3.8|0.76|42|42|$(serial 2026-10-10)|không|Chuyên gia An" \
	"models sheet: M1's numbers as numbers, its last observation a date, not stale as \"không\""
is "$(xrow "$X" 7 2) / $(xrow "$X" 7 3) / $(xrow "$X" 7 4) / $(xrow "$X" 7 5)" \
	"Ngô nếp (sticky maize) — Salavan|$(serial 2026-07-01)|2|30||Chuyên gia An / Lúa nước thâm canh — Sekong|$(serial 2026-08-01)|4.5|25||Chuyên gia An / Ngô nếp (sticky maize) — Salavan|$(serial 2026-10-10)|3.8|42|Còn 1,2 ha đang hoàn thành|Chuyên gia An / " \
	"observations sheet: the fixture's three observations of the period, dates as dates, nothing more"
is "$(xrow "$X" 11 2)" "Thụ tinh nhân tạo bò Zebu — Salavan, Khongsedone|district|Khongsedone|HQ|Vapy|Chuyên gia An" \
	"conflicts sheet: the open conflict, its record by what it is"
is "$(xrow "$X" 4 2)" "$(serial 2026-05-10)|$(serial 2026-05-12)|đoàn ra|Attapeu|y tế|Đoàn công tác Sở Y tế Gia Lai|Giám đốc Sở Y tế|6||ເຈົ້າ ສົມພອນ" \
	"visits sheet: direction and sector in Vietnamese, as the DOCX writes them"
is "$(xrow "$X" 10 2 | cut -d'|' -f1,6)" "medical-experts|đang chờ" "targets sheet: the status in Vietnamese"
# --lang en: the same sheets, English names and headers.
XE="$W/report-en.xlsx"
run "${R[@]}" --period 2026H2 --format xlsx --output "$XE" --lang en
is "$RC $(xsheets "$XE")" \
	"0 Summary|By province|By sector|Visits|Trips|Models|Observations|Scholarships|Works|Targets|Conflicts|Devices" \
	"--lang en: the sheets named in English"
en_heads=(
	"Item|Value"
	"Province|Visits out|Members out|Visits in|Members in|Trips|Expert-days|Trainings|Trained|Patients"
	"Sector|Visits out|Members out|Visits in|Members in|Trips|Expert-days|Trainings|Trained|Patients"
	"Start|End|Direction|Province|Sector|Delegation leader|Leader's title|Members|Host|Author"
	"Start|End|Province|Sector|Specialty|Expert|Site|Number of experts|Expert-days|Trainings|Trained|Patients|Author"
	"Crop|Province|District|Village|Planned ha|Sown ha|Done %|Planned households|Households|Last observation|Stale|Author"
	"Model (crop — province)|Date|Sown ha|Households|Notes|Author"
	"Academic year|Province|Awarded|Enrolled|Enrolled %"
	"Province|Work|Sector|Budget|Disbursed|Built %|Status|Last observation|Latest notes"
	"Target code|From|To|Expected|Actual|Status|Description"
	"Record|Field|Value kept|Device kept|Other value|Other device"
	"Device|Role|Id|Last sync|Days"
)
bad=""
for i in "${!en_heads[@]}"; do
	got=$(xrow "$XE" $((i + 1)) 1)
	[ "$got" = "${en_heads[i]}" ] || bad="$bad sheet $((i + 1)): '$got';"
done
is "$bad" "" "--lang en: every sheet's header row in English"
is "$(xrow "$XE" 6 2 | cut -d'|' -f1,2,6,11)" "Ngô nếp (sticky maize)|Salavan|3.8|no" "--lang en: the same cells, 3.8 a number"
XL="$W/report-lo.xlsx"
run "${R[@]}" --period 2026H2 --format xlsx --output "$XL" --lang lo
is "$RC $(xsheets "$XL" | cut -d'|' -f1,6) $(xrow "$XL" 6 2 | cut -d'|' -f2,6)" \
	"0 ສັງລວມ|ຮູບແບບສາທິດ ສາລະວັນ|3.8" "--lang lo: sheets named in Lao, Salavan as ສາລະວັນ, 3.8 a number"
run "${R[@]}" --period 2026H2 --format xlsx
like "$RC $ERR" '^2 .*--output FILE' "--format xlsx without --output: exit 2"
# LibreOffice Calc opens the workbook and writes every sheet as CSV (the
# last filter token -1: all sheets, one file each; token 9 true: cells as
# shown): 3.8 survives as 3.8, the percentage as 76.0%, dates dd/mm/yyyy.
if command -v soffice >/dev/null &&
	[ -e /usr/lib/libreoffice/program/libsclo.so ]; then
	mkdir -p "$W/lo-csv"
	(cd "$W" && HOME="$W" timeout 180 soffice --headless --norestore \
		"-env:UserInstallation=file://$W/lo" --convert-to \
		'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1' \
		--outdir "$W/lo-csv" "$X" >"$W/lo.out" 2>&1)
	ok $? "libreoffice --headless --convert-to csv exits 0" || diag "$(cat "$W/lo.out")"
	is "$(ls "$W/lo-csv" | wc -l)" 12 "LibreOffice wrote one CSV per sheet"
	MC="$W/lo-csv/report-Mô hình.csv"
	is "$(sed -n 2p "$MC" 2>/dev/null)" "Ngô nếp (sticky maize),Salavan,Lao Ngam,ບ້ານ ນາດີ,5,3.8,76.0%,42,42,10/10/2026,không,Chuyên gia An" \
		"LibreOffice reads M1's row: 3.8, 76.0%, 10/10/2026"
	is "$(sed -n 3p "$W/lo-csv/report-Ghi nhận tiến độ.csv" 2>/dev/null)" "Lúa nước thâm canh — Sekong,01/08/2026,4.5,25,,Chuyên gia An" \
		"LibreOffice reads the observations sheet: 1 August 2026 as 01/08/2026, 4.5"
else
	skip 4 "LibreOffice Calc is not installed (tests/deps.sh installs libreoffice-calc-nogui)"
fi

# ---- table ---------------------------------------------------------------
run "${R[@]}" --period 2026H2
is "$RC" 0 "report (table) exits 0"
TBL=$(printf '%s\n' "$OUT" | sed 's/  */ /g')
row() { printf '%s\n' "$TBL" | grep -m1 -- "^$1 "; }
is "$(row Attapeu)" "Attapeu 1 6 0 0 1 30 6 12 41" "table: Attapeu"
is "$(row Sekong)" "Sekong 1 2 1 3 1 8 1 5 9" "table: Sekong"
is "$(row Total)" "Total 3 13 2 7 3 43 9 37 50" "table: totals"
is "$(row 'Ngô nếp')" "Ngô nếp (sticky maize) Salavan Lao Ngam ບ້ານ ນາດີ 5 3.8 76 42 42 2026-10-10 no Chuyên gia An" "table: sticky maize 3.8 / 5 ha = 76 %"
is "$(row 'Open conflicts')" "Open conflicts 1" "table: open conflicts"
is "$(row 'trade-delegations')" "trade-delegations 2026-01-01 2026-12-31 2 2 met Industry-and-trade delegation each way" "table: a met target"
like "$OUT" "Máy dự phòng +expert +$DEV_C" "table: the unsynced device"
hdr=$(printf '%s\n' "$OUT" | grep -m1 '^Province  *Visits out')
line=$(printf '%s\n' "$OUT" | grep -m1 '^Champasak ')
is "${#line}" "${#hdr}" "table columns are aligned (ASCII rows as wide as the header)"

# ---- filters and ranges --------------------------------------------------
# Salavan only: V2 (in, 4), T2; models M1, M3 (one stale: M3).
run "${R[@]}" --period 2026H2 --province saravane --format json
is "$(printf '%s' "$OUT" | jq -c '[.filters.province, .summary.visits, .summary.trips, .summary.models, .summary.models_stale, (.by_province|length), .targets.items[0].actual]')" \
	'["Salavan",1,1,2,1,1,2]' "--province saravane: 1 visit, 1 trip, 2 models; targets stay programme-wide"
# Health only: V1, V2, T1, T3; models are agriculture: none.
run "${R[@]}" --period 2026H2 --sector "y tế" --format json
is "$(printf '%s' "$OUT" | jq -c '[.filters.sector, .summary.visits, .summary.trips, .summary.models, .totals.expert_days, .totals.patients]')" \
	'["health",2,2,0,38,50]' "--sector \"y tế\": 2 visits, 2 trips, 38 expert-days, 50 patients"
# 2026-10-01..2026-11-30: T3 (10-30, 2 x 4 = 8) and T4 (11-05, 1 x 1 = 1)
# -> 2 trips, 9 expert-days, 16 patients; no visit starts in it.
run "${R[@]}" --from 2026-10-01 --to 2026-11-30 --format json
is "$(printf '%s' "$OUT" | jq -c '[.period.label, .summary.visits, .summary.trips, .totals.expert_days, .totals.patients, .totals.trained]')" \
	'["2026-10-01..2026-11-30",0,2,9,16,8]' "--from/--to: T3 and T4, 9 expert-days, 16 patients"
# 2026H1 = 2025-11-01..2026-04-30: only V6 (out, Attapeu, 3 members).
run "${R[@]}" --period 2026h1 --format json
is "$(printf '%s' "$OUT" | jq -c '[.period.from, .period.to, .summary.visits, .totals.visits_out, .totals.members_out, .summary.trips]')" \
	'["2025-11-01","2026-04-30",1,1,3,0]' "2026H1 (1 Nov 2025..30 Apr 2026): only V6"

# ---- the default period and the calendar year ------------------------------
# Without --period the report is the half whose deadline comes next (H1 due
# 10 May, H2 due 10 November), the clock set with libfaketime:
#   2026-11-05: 2026H2 (due in five days): V1..V5 -> 5 visits;
#   2026-11-11: 2027H1 = 2026-11-01..2027-04-30: no visit, T4 (11-05) only;
#   2026-05-08: 2026H1 (due 10 May) = 2025-11-01..2026-04-30: V6 only.
at() { # WHEN ARGS...: the report with the clock at WHEN
	local when=$1
	shift
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		run faketime "$when" "$@"
}
at '2026-11-05 10:00:00' "${R[@]}" --format json
is "$RC $(printf '%s' "$OUT" | jq -c '[.period.label, .period.from, .period.to, .summary.visits]')" \
	'0 ["2026H2","2026-05-01","2026-10-31",5]' "on 2026-11-05 the default is 2026H2, due 10 November"
at '2026-11-11 10:00:00' "${R[@]}" --format json
is "$RC $(printf '%s' "$OUT" | jq -c '[.period.label, .period.from, .period.to, .summary.visits, .summary.trips]')" \
	'0 ["2027H1","2026-11-01","2027-04-30",0,1]' "on 2026-11-11 the default is 2027H1 (T4 of 5 November in it)"
at '2026-05-08 10:00:00' "${R[@]}" --format json
is "$RC $(printf '%s' "$OUT" | jq -c '[.period.label, .period.from, .period.to, .summary.visits]')" \
	'0 ["2026H1","2025-11-01","2026-04-30",1]' "on 2026-05-08 the default is 2026H1, due 10 May"
# --period 2026: the calendar year: V1..V6 -> 6 visits; T1..T4 -> 4 trips,
# 30 + 5 + 8 + 1 (T4: 1 expert x 1 day) = 44 expert-days.
run "${R[@]}" --period 2026 --format json
is "$RC $(printf '%s' "$OUT" | jq -c '[.period.label, .period.from, .period.to, .period.year, .summary.visits, .summary.trips, .totals.expert_days]')" \
	'0 ["2026","2026-01-01","2026-12-31",2026,6,4,44]' "--period 2026 is the whole calendar year"

# ---- the targets file ----------------------------------------------------
TF=$(side_file "$DB" .targets)
ok "$([ -f "$TF" ] && echo 0 || echo 1)" "the first report created $TF for HQ to edit"
cmp -s "$TF" "${FIELDSYNC_ROOT:-$(dirname "$0")/../..}/server/targets.default"
ok $? "it is the shipped targets.default, byte for byte"
# HQ adds a target: one agricultural trip a year. T2 meets it: 9 targets,
# 3 met.
printf '%s\n' 'target agri-trips count=trips sector="nông nghiệp" per=year min=1 label="Chuyến nông nghiệp"' >>"$TF"
run "${R[@]}" --period 2026H2 --format json
is "$(printf '%s' "$OUT" | jq -c '[.summary.targets, .summary.targets_met, (.targets.items[] | select(.name=="agri-trips") | .status, .label)]')" \
	'[9,3,"met","Chuyến nông nghiệp"]' "an edited targets file is used at the next report"
# --targets FILE: two trips a year to Salavan; only T2 -> pending 1 of 2.
printf '%s\n' '# HQ test' 'target salavan-trips count=trips province=Salavan per=year min=2' >"$W/my.targets"
run "${R[@]}" --period 2026H2 --targets "$W/my.targets" --format json
is "$(printf '%s' "$OUT" | jq -c '[.summary.targets, (.targets.items[0] | .name, .status, .expected, .actual)]')" \
	'[1,"salavan-trips","pending",2,1]' "--targets FILE replaces the file beside the database"
# A mistake in the targets file costs the targets section only: the report
# is made (exit 0), stderr warns, targets.error carries the parser's
# message, and everything else is what a good file gives ($J, made with
# the shipped file): only the target counts and the visits' high_level (the
# file defines "high-level") become null; now_ms is the run's clock.
# (the good report made now: a device has synced since $J)
"${R[@]}" --period 2026H2 --format json >"$W/good.json" 2>/dev/null
printf '%s\n' '# line 1' 'target broken count=nothing per=year min=1' >"$W/bad.targets"
run "${R[@]}" --period 2026H2 --targets "$W/bad.targets" --format json
is "$RC" 0 "a mistake in the targets file: the report is still made, exit 0"
like "$ERR" "^report: warning: targets file: $W/bad.targets:2:[0-9]+: unknown count \"nothing\"; allowed: visits, members" \
	"stderr warns, naming the file, line 2, the bad value and what is allowed"
BJ="$W/broken.json"
cp "$OUTF" "$BJ"
like "$(jq -r .targets.error "$BJ")" "^$W/bad.targets:2:[0-9]+: unknown count \"nothing\"; allowed: visits, members, trips" \
	"JSON: targets.error is that message"
is "$(jq -c '[.targets.year, .targets.items, .summary.targets, .summary.targets_met, ([.visits[].high_level] | unique)]' "$BJ")" \
	'[2026,[],null,null,[null]]' "JSON: no target items, target counts null (unknown, not 0), high_level null"
strip='del(.now_ms, .targets, .summary.targets, .summary.targets_met, .visits[].high_level)'
is "$(jq -cS "$strip" "$BJ")" "$(jq -cS "$strip" "$W/good.json")" \
	"JSON: every other member equals the report with a good file"
is "$(jq -c '[(.models | length), (.visits | length), (.trips | length), (.devices | length), .summary.visits, .summary.models]' "$BJ")" \
	'[3,5,3,4,5,3]' "JSON: models, visits, trips and devices all there"
# The file beside the database, as HQ edits it: a province that does not
# exist, on the line after the shipped ones. Every format shows the
# message in the targets section and keeps the rest.
cp "$TF" "$W/good.targets"
n=$(($(wc -l <"$TF") + 1))
printf '%s\n' 'target vientiane-trips count=trips province=Vientiane per=year min=1' >>"$TF"
bad="$TF:$n:[0-9]+: unknown province \"Vientiane\"; allowed: Attapeu, Champasak, Salavan, Sekong"
run "${R[@]}" --period 2026H2
is "$RC" 0 "table with a broken file beside the database: exit 0"
like "$ERR" "warning: targets file: $bad" "stderr names the file beside the database, line $n, the province and those allowed"
TBL=$(printf '%s\n' "$OUT" | sed 's/  */ /g')
like "$(printf '%s\n' "$OUT" | sed -n '/^Targets 2026$/,/^$/p' | tr '\n' ' ')" \
	"^Targets 2026 The targets file has a mistake, so no target is evaluated \\(every other section is complete\\): +$bad +\$" \
	"table: the targets section is the message, no rows"
is "$(row 'Ngô nếp') / $(row Total) / $(row 'Targets met')" \
	"Ngô nếp (sticky maize) Salavan Lao Ngam ບ້ານ ນາດີ 5 3.8 76 42 42 2026-10-10 no Chuyên gia An / Total 3 13 2 7 3 43 9 37 50 / Targets met -" \
	"table: models and totals as before, the summary's target count '-'"
run "${R[@]}" --period 2026H2 --format csv --table targets
is "$RC $(printf '%s' "$OUT" | tr -d '\r' | sed '1s/^\xef\xbb\xbf//')" "0 Target,From,To,Expected,Actual,Status,Description" \
	"CSV --table targets: exit 0, the header row only (one rectangular table)"
like "$ERR" "warning: targets file: $bad" "CSV: the message on stderr"
run "${R[@]}" --period 2026H2 --format csv --table models
is "$RC $(printf '%s\n' "$OUT" | tr -d '\r' | grep -c '^Ngô nếp (sticky maize),Salavan,Lao Ngam,ບ້ານ ນາດີ,5,3.8,76,')" "0 1" \
	"CSV --table models: whole"
X="$W/broken.xlsx"
run "${R[@]}" --period 2026H2 --format xlsx --lang en -o "$X"
is "$RC" 0 "XLSX with a broken targets file: exit 0"
# Sheet 10 is targets: the header row and the message in A2 (a shared
# string); sheet 6, models, still has 3.8.
SS=$(unzip -p "$X" xl/sharedStrings.xml | sed 's/<[^>]*>/|/g; s/||*/|/g')
a2=$(unzip -p "$X" xl/worksheets/sheet10.xml | grep -o '<c r="A2" t="s"><v>[0-9]*</v>' | grep -o '[0-9]*</v>' | tr -d '</v>')
like "$(printf '%s' "$SS" | tr '|' '\n' | sed '/^$/d' | sed -n "$((a2 + 1))p")" \
	"^The targets file has a mistake, so no target is evaluated: $bad\$" "XLSX: A2 of the targets sheet is the message"
like "$(unzip -p "$X" xl/worksheets/sheet6.xml)" '<c r="F2"( s="[0-9]+")?><v>3.8</v></c>' "XLSX: the models sheet is whole"
D="$W/broken.docx"
run "${R[@]}" --period 2026H2 --format docx --lang vi -o "$D"
is "$RC" 0 "DOCX with a broken targets file: exit 0"
T=$(unzip -p "$D" word/document.xml | sed 's/<[^>]*>/ /g; s/  */ /g')
bad_x=$(printf '%s' "$bad" | sed 's/"/\&quot;/g') # as XML text
like "$T" "III\\. Chỉ tiêu năm 2026 Tệp chỉ tiêu có lỗi nên không chỉ tiêu nào được đánh giá: $bad_x IV\\. " \
	"DOCX: section III is one paragraph with the message"
like "$T" "Chỉ tiêu năm 2026: chưa đánh giá được vì tệp chỉ tiêu có lỗi \\(xem mục III\\)\\..*Salavan — Ngô nếp \\(sticky maize\\): 5 ha kế hoạch, 42 hộ; đã gieo 3,8 ha \\(76 %\\)" \
	"DOCX: the summary says so; the sector sections are whole (the Salavan model)"
cp "$W/good.targets" "$TF"
run "${R[@]}" --period 2026H2 --format json
is "$RC $(printf '%s' "$OUT" | jq -c '[.targets.error, .summary.targets]')" "0 [null,9]" \
	"the file mended: the next report evaluates the targets again"

# ---- usage errors --------------------------------------------------------
run "$FSD" report --help
is "$RC" 0 "report --help exits 0"
like "$OUT" "1 November of YYYY-1 to 30 April" "--help defines the periods"
run "$FSD" report --period 2026H2
is "$RC $(printf '%s' "$ERR" | head -1)" "2 report: --db PATH is required" "no --db: exit 2"
run "${R[@]}" --period 2026H3
is "$RC" 2 "--period 2026H3: exit 2"
like "$ERR" '"2026H3" is not a period; expected YYYYH1' "it names the bad value and the forms allowed"
run "${R[@]}" --from 2026-01-01
is "$RC" 2 "--from without --to: exit 2"
run "${R[@]}" --from 2026-05-01 --to 2026-04-01
like "$RC $ERR" "^2 .*--to 2026-04-01 is before --from" "--to before --from: exit 2"
run "${R[@]}" --period 2026H2 --from 2026-01-01 --to 2026-02-01
is "$RC" 2 "--period with --from/--to: exit 2"
run "${R[@]}" --format xml
like "$RC $ERR" '^2 .*"xml".*table, csv, json' "--format xml: exit 2, allowed formats named"
run "${R[@]}" --province Vientiane
like "$RC $ERR" '^2 .*unknown province "Vientiane"; allowed: Attapeu, Champasak, Salavan, Sekong' "unknown province: exit 2"
run "${R[@]}" --sector sport
like "$RC $ERR" '^2 .*unknown sector "sport"; allowed:' "unknown sector: exit 2"
run "${R[@]}" --stale-days 0
like "$RC $ERR" '^2 .*stale-days "0".*1 to 3650' "--stale-days 0: exit 2"
run "${R[@]}" --colour red
like "$RC $ERR" '^2 report: unknown option --colour' "unknown option: exit 2"
run "$FSD" report --db "$W/none.db" --period 2026H2
like "$RC $ERR" "^1 .*no database at" "a missing database: exit 1 with the reason"

# ---- the previous period's figures (issue 13) -------------------------------
# Device A now records, through the CLI, what the 2021-2026 report counts:
#   20 scholarship batches, academic years 2021-2022 .. 2025-2026 (5) x the
#   four provinces, 15 awarded each: 5 x 4 x 15 = 300 awarded; enrolled 13
#   in the first 11 batches and 12 in the other 9: 11 x 13 + 9 x 12 =
#   143 + 108 = 251. Rate 251 / 300 = 0.8367 -> 84 % (whole, half up).
#   The last batch (2025-2026 Sekong): 12 / 15 = 80 %; the first
#   (2021-2022 Attapeu): 13 / 15 = 0.8667 -> 87 %.
#   Four works, one per province, budget 15,000,000,000 each, each with one
#   observation 2025-06-01: disbursed 15,000,000,000, 100 %, handed over.
#   -> 4 x 15,000,000,000 = 60,000,000,000 = 60 billion.
# And for 2026 (academic year 2026-2027, which counts in 2026): 20 awarded
#   in Attapeu, Champasak and Salavan, 12 in Sekong, enrolment not yet
#   recorded.
a=("$FS" --dir "$DA")
kinds_ok=0
i=0
for y in 2021 2022 2023 2024 2025; do
	for pr in Attapeu Champasak Salavan Sekong; do
		en=$([ $i -lt 11 ] && echo 13 || echo 12)
		"${a[@]}" scholarship add --province $pr --academic-year $y-$((y + 1)) \
			--level university --school "Trường Đại học Quy Nhơn" \
			--awarded 15 --enrolled $en >/dev/null 2>&1 || kinds_ok=1
		i=$((i + 1))
	done
done
for pr in Attapeu Champasak Salavan Sekong; do
	n=$([ $pr = Sekong ] && echo 12 || echo 20)
	"${a[@]}" scholarship add --province $pr --academic-year 2026-2027 \
		--level university --school "Trường Đại học Quy Nhơn" \
		--awarded $n >/dev/null 2>&1 || kinds_ok=1
	w=$("${a[@]}" work add --province $pr --name "Công trình hữu nghị $pr" \
		--sector education --budget 15000000000 2>/dev/null) || kinds_ok=1
	"${a[@]}" work work_progress "$w" --date 2025-06-01 \
		--disbursed 15000000000 --built-pct 100 --status handed-over \
		>/dev/null 2>&1 || kinds_ok=1
done
"${a[@]}" sync >/dev/null 2>&1 || kinds_ok=1
is "$kinds_ok" 0 "device A recorded 24 scholarship batches, 4 works and their observations and synced"

# 2025H2 (year 2025): academic years up to 2025-2026 -> the 300 / 251.
run "${R[@]}" --period 2025H2 --format json
is "$(printf '%s' "$OUT" | jq -c '.education_totals | [.batches, .awarded, .enrolled, .rate]')" \
	'[20,300,251,84]' "2025H2: 20 batches, 300 awarded, 251 enrolled -> 84 %"
is "$(printf '%s' "$OUT" | jq -c '[.education[] | select(.academic_year=="2021-2022" and .province=="Attapeu" or .academic_year=="2025-2026" and .province=="Sekong") | .rate]')" \
	'[87,80]' "2021-2022 Attapeu 13 / 15 -> 87 %; 2025-2026 Sekong 12 / 15 -> 80 %"
is "$(printf '%s' "$OUT" | jq -c '[.works_totals.works, .works_totals.budget, .works_totals.disbursed, ([.works[] | .status] | unique)]')" \
	'[4,60000000000,60000000000,["handed-over"]]' "2025H2: four works of 15 billion -> 60,000,000,000 budget, all disbursed and handed over"
run "${R[@]}" --period 2025H2
# The table is English: long form and, for totals, the short one
# (60 x 10^9 = "60 billion VND"; the report prints no Vietnamese form).
is "$(printf '%s\n' "$OUT" | grep -c ' 15,000,000,000 VND  *15,000,000,000 VND  *100 ')" 4 \
	"table: each work 15,000,000,000 VND budget and disbursed, 100 %"
like "$OUT" "Friendship works budget +60,000,000,000 VND \\(60 billion VND\\)" \
	"table summary: 60,000,000,000 VND (60 billion VND)"
TBL=$(printf '%s\n' "$OUT" | sed 's/  */ /g')
is "$(row 'Scholarships awarded') / $(row 'Students enrolled') / $(row 'Enrolled %')" \
	"Scholarships awarded 300 / Students enrolled 251 / Enrolled % 84" \
	"table summary: 300 awarded, 251 enrolled, 84"
is "$(printf '%s\n' "$TBL" | sed -n '/^Education: scholarships$/,/^$/p' | grep '^Total ')" \
	"Total - 300 251 84" "table: the education section's totals row (no province) 300 251 84"
run "${R[@]}" --period 2025H2 --format csv --table summary
like "$OUT" "Friendship works budget VND,60000000000" "CSV: the budget in plain digits"
# The workbook's summary holds values of several kinds: row 18 the
# enrolment rate (84 % -> 0.84 as a percentage), row 20 the budget (a
# number with the money format), each with its own cell format.
XS="$W/report-2025H2.xlsx"
run "${R[@]}" --period 2025H2 --format xlsx --lang en -o "$XS"
is "$RC $(xrow "$XS" 1 18) / $(xrow "$XS" 1 20)" \
	"0 Enrolled %|0.84 / Friendship works budget VND|60000000000" \
	"XLSX summary: the enrolment rate as 0.84, the budget as a number"
S1=$(unzip -p "$XS" xl/worksheets/sheet1.xml)
pct=$(printf '%s' "$S1" | grep -o '<c r="B18" s="[0-9]*"><v>0.84</v>' | sed 's/.* s="//; s/".*//')
money=$(printf '%s' "$S1" | grep -o '<c r="B20" s="[0-9]*"><v>60000000000</v>' | sed 's/.* s="//; s/".*//')
ok "$([ -n "$pct" ] && [ -n "$money" ] && [ "$pct" != "$money" ] && echo 0 || echo 1)" \
	"XLSX summary: the rate and the budget are number cells with two different formats (percent, money)"

# 2026H2: the 2026 targets. scholarships-per-province (each province, min
# 20 in the year): Attapeu 20, Champasak 20, Salavan 20 met; Sekong 12
# short; actual = 20 + 20 + 20 + min(12, 20) = 72 of 4 x 20 = 80; the
# year's window is still open at 2026-10-31 -> pending.
# Education now also counts 2026-2027: 300 + 72 = 372 awarded, 251
# enrolled -> 251 / 372 = 0.6747 -> 67 %.
run "${R[@]}" --period 2026H2 --format json
is "$(printf '%s' "$OUT" | jq -r '.targets.items[] | select(.name=="scholarships-per-province") | "\(.status) \(.expected) \(.actual)"')" \
	"pending 80 72" "2026 target: 72 of 80 scholarships, pending"
is "$(printf '%s' "$OUT" | jq -c '[.targets.items[] | select(.name=="scholarships-per-province") | .cell_list[] | [.unit, .actual, .met]]')" \
	'[["Attapeu",20,true],["Champasak",20,true],["Salavan",20,true],["Sekong",12,false]]' \
	"2026 target per province: three met with 20, Sekong short with 12"
is "$(printf '%s' "$OUT" | jq -c '.education_totals | [.awarded, .enrolled, .rate]')" \
	'[372,251,67]' "2026H2: 372 awarded (2026-2027 included), 251 enrolled -> 67 %"
stop_server

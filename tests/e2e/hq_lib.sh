# tests/e2e/hq_lib.sh — the HQ tests' fixture (bash; source after lib.sh).
#
#   hq_fixture DIR    starts fieldsyncd on DIR/hq.db (start_server), enrolls
#                     three real fieldsync devices through `fieldsyncd token
#                     create` + `fieldsync enroll`, records the entries below
#                     with the fieldsync CLI, syncs them, and leaves exactly
#                     one open conflict. Sets DB, FSD, FS, DA DB_ DC (data
#                     dirs), DEV_A DEV_B DEV_C (device ids), and the record
#                     ids V1..V6, T1..T4, M1..M3. Returns nonzero (after a
#                     diag) on the first step that fails.
#
# The entries (every expected figure in hq_report.t and hq_browser.t is
# derived from this list by hand; period 2026H2 = 2026-05-01..2026-10-31):
#
#   device A "Chuyên gia An" (expert): trips and models
#     T1 trip  Attapeu   surgery (no sector -> health)  2026-06-01..06-10
#              experts 3, trainings 6, trained 12, patients 41
#     T2 trip  Salavan   crop, sector agriculture        2026-09-20..09-24
#              (experts absent = 1), trainings 2, trained 20
#     T3 trip  Sekong    obstetrics, sector "y tế"       2026-10-30..11-02
#              experts 2, trainings 1, trained 5, patients 9
#     T4 trip  Champasak surgery                         2026-11-05 (after)
#              experts 1, trainings 1, trained 3, patients 7
#     M1 model Salavan "Ngô nếp (sticky maize)" 5 ha, 42 households,
#              start 2026-05-15; progress 2026-07-01 2 ha 30 hh,
#              2026-10-10 3.8 ha 42 hh, 2026-11-10 4.5 ha 42 hh (after)
#     M2 model Sekong "Lúa nước thâm canh" 5 ha, 30 households,
#              start 2026-05-01; progress 2026-08-01 4.5 ha 25 hh
#     M3 model Salavan "Thụ tinh nhân tạo bò Zebu" 1 ha, 20 households,
#              district "Lao Ngam", start 2026-06-01; no progress
#   device B "ເຈົ້າ ສົມພອນ" (leader): visits
#     V1 out Attapeu   health          6 members 2026-05-10..05-12
#        title "Giám đốc Sở Y tế"; V1..V5 each have a purpose (Vietnamese
#        or Lao) that the DOCX must carry
#     V2 in  Salavan   health          4 members 2026-06-02
#        title "ຮອງເຈົ້າແຂວງ" (contains ເຈົ້າແຂວງ: high-level)
#     V3 out Champasak industry-trade  5 members 2026-09-15
#        leader 'Đoàn doanh nghiệp "Gia Lai", Pleiku' (CSV quoting)
#     V4 in  Sekong    công thương     3 members 2026-07-20
#     V5 out Sekong    foreign-affairs 2 members 2026-08-05
#        title "Chủ tịch UBND tỉnh" (contains chủ tịch: high-level)
#     V6 out Attapeu   education       3 members 2026-04-20 (before)
#   device C "Máy dự phòng" (expert): enrolled, never syncs.
#   Conflict: after both synced, A sets M3's district to "Vapy", then HQ
#   (a set signed with HQ's key, hq_push: only the owner or HQ may change
#   A's model) sets it to "Khongsedone" (HQ's later write wins everywhere);
#   A's push meets HQ's value: one open conflict.

hq_step() { # DESC CMD...: run CMD, diag and fail if it fails
	local d=$1 out
	shift
	if ! out=$("$@" 2>&1); then
		diag "fixture step failed: $d" "$out"
		return 1
	fi
	HQ_OUT=$out
}

hq_fixture() {
	local dir=$1 tok
	FSD=${FIELDSYNCD_BIN:-$(dirname "$0")/../../build/fieldsyncd}
	FS=${FIELDSYNC_BIN:-$(dirname "$0")/../../build/fieldsync}
	FIELDSYNCD_BIN=$FSD
	DB=$(new_db "$dir/hq.db") || return 1
	DA="$dir/devA"; DB_="$dir/devB"; DC="$dir/devC"
	hq_step "init" "$FSD" init --db "$DB" || return 1
	start_server "$DB" || return 1
	hq_step "A init" "$FS" --dir "$DA" init --name "Nguyễn Văn An" || return 1
	hq_step "B init" "$FS" --dir "$DB_" init --name "ສົມພອນ" || return 1
	hq_step "C init" "$FS" --dir "$DC" init --name "Dự phòng" || return 1
	tok=$("$FSD" token create --db "$DB" --name "Chuyên gia An" \
		--role expert 2>/dev/null) || return 1
	hq_step "A enroll" "$FS" --dir "$DA" enroll "$SERVER_URL" "$tok" || return 1
	tok=$("$FSD" token create --db "$DB" --name "ເຈົ້າ ສົມພອນ" \
		--role leader 2>/dev/null) || return 1
	hq_step "B enroll" "$FS" --dir "$DB_" enroll "$SERVER_URL" "$tok" || return 1
	tok=$("$FSD" token create --db "$DB" --name "Máy dự phòng" \
		--role expert 2>/dev/null) || return 1
	hq_step "C enroll" "$FS" --dir "$DC" enroll "$SERVER_URL" "$tok" || return 1
	DEV_A=$("$FS" --dir "$DA" status --json | jq -r .device)
	DEV_B=$("$FS" --dir "$DB_" status --json | jq -r .device)
	DEV_C=$("$FS" --dir "$DC" status --json | jq -r .device)

	local a=("$FS" --dir "$DA") b=("$FS" --dir "$DB_")
	hq_step T1 "${a[@]}" trip add --expert "BS. Trần Minh Đức" \
		--specialty surgery --province Attapeu \
		--site "Bệnh viện tỉnh Attapeu" --start 2026-06-01 \
		--end 2026-06-10 --experts 3 --trainings 6 --trained 12 \
		--patients 41 || return 1; T1=$HQ_OUT
	hq_step T2 "${a[@]}" trip add --expert "KS. Lê Văn Bình" \
		--specialty crop --sector agriculture --province Saravane \
		--start 2026-09-20 --end 2026-09-24 --trainings 2 \
		--trained 20 || return 1; T2=$HQ_OUT
	hq_step T3 "${a[@]}" trip add --expert "BS. Phạm Thị Hoa" \
		--specialty obstetrics --sector "y tế" --province Xekong \
		--site "Bệnh viện tỉnh Sekong" --start 2026-10-30 \
		--end 2026-11-02 --experts 2 --trainings 1 --trained 5 \
		--patients 9 || return 1; T3=$HQ_OUT
	hq_step T4 "${a[@]}" trip add --expert "BS. Võ Văn Tâm" \
		--specialty surgery --province Champasak --start 2026-11-05 \
		--trainings 1 --trained 3 --patients 7 || return 1; T4=$HQ_OUT
	hq_step M1 "${a[@]}" model add --crop "Ngô nếp (sticky maize)" \
		--province Saravane --district "Lao Ngam" \
		--village "ບ້ານ ນາດີ" --planned-ha 5 --planned-households 42 \
		--season "Mùa mưa 2026" --start 2026-05-15 || return 1; M1=$HQ_OUT
	hq_step M2 "${a[@]}" model add --crop "Lúa nước thâm canh" \
		--province Sekong --planned-ha 5 --planned-households 30 \
		--start 2026-05-01 || return 1; M2=$HQ_OUT
	hq_step M3 "${a[@]}" model add --crop "Thụ tinh nhân tạo bò Zebu" \
		--province Salavan --district "Lao Ngam" --planned-ha 1 \
		--planned-households 20 --start 2026-06-01 || return 1; M3=$HQ_OUT
	hq_step P1 "${a[@]}" model progress "$M1" --sown-ha 2 \
		--households 30 --date 2026-07-01 || return 1
	hq_step P2 "${a[@]}" model progress "$M1" --sown-ha 3.8 \
		--households 42 --date 2026-10-10 \
		--notes "Còn 1,2 ha đang hoàn thành" || return 1
	hq_step P3 "${a[@]}" model progress "$M1" --sown-ha 4.5 \
		--households 42 --date 2026-11-10 || return 1
	hq_step P4 "${a[@]}" model progress "$M2" --sown-ha 4.5 \
		--households 25 --date 2026-08-01 || return 1

	hq_step V1 "${b[@]}" visit add --direction out --province Attapeu \
		--leader "Đoàn công tác Sở Y tế Gia Lai" \
		--title "Giám đốc Sở Y tế" --members 6 --sector health \
		--purpose "Khảo sát nhu cầu đào tạo bác sĩ tuyến tỉnh" \
		--start 2026-05-10 --end 2026-05-12 || return 1; V1=$HQ_OUT
	hq_step V2 "${b[@]}" visit add --direction in --province Salavan \
		--leader "ທ່ານ ບຸນມີ ພົມມະວົງ" --title "ຮອງເຈົ້າແຂວງ" \
		--members 4 --sector health --start 2026-06-02 \
		--purpose "ຢ້ຽມຢາມໂຮງໝໍແຂວງ Gia Lai" || return 1; V2=$HQ_OUT
	hq_step V3 "${b[@]}" visit add --direction out --province Champasak \
		--leader 'Đoàn doanh nghiệp "Gia Lai", Pleiku' --members 5 \
		--sector industry-trade --start 2026-09-15 \
		--purpose "Xúc tiến thương mại nông sản" || return 1; V3=$HQ_OUT
	hq_step V4 "${b[@]}" visit add --direction in --province Sekong \
		--leader "ຄະນະ ພະແນກອຸດສາຫະກຳ ແລະ ການຄ້າ" --members 3 \
		--sector "công thương" --start 2026-07-20 \
		--purpose "ແລກປ່ຽນດ້ານການຄ້າຊາຍແດນ" || return 1; V4=$HQ_OUT
	hq_step V5 "${b[@]}" visit add --direction out --province Sekong \
		--leader "Đoàn Sở Ngoại vụ" --title "Chủ tịch UBND tỉnh" \
		--members 2 --sector foreign-affairs --start 2026-08-05 \
		--purpose "Ký kết biên bản hợp tác năm 2027" || return 1
	V5=$HQ_OUT
	hq_step V6 "${b[@]}" visit add --direction out --province Attapeu \
		--leader "Đoàn Sở Giáo dục" --members 3 --sector education \
		--start 2026-04-20 || return 1; V6=$HQ_OUT

	hq_step "A sync" "${a[@]}" sync || return 1
	hq_step "B sync" "${b[@]}" sync || return 1
	hq_step "A sync 2" "${a[@]}" sync || return 1
	hq_step "A edit M3" "${a[@]}" edit "$M3" --district "Vapy" || return 1
	local st
	SDB=$DB
	st=$(sq "$DB" "select json_extract(state, '\$.f.district.s') from records where id='$M3'")
	hq_push "[{\"id\":\"$M3\",\"kind\":\"model\",\"op\":\"update\",\"fields\":{\"district\":\"Khongsedone\"},\"base\":{\"district\":\"$st\"}}]" ||
		{ diag "fixture step failed: HQ edit M3" "$HQ_CODE $HQ_BODY"; return 1; }
	hq_step "A sync 3" "${a[@]}" sync || return 1
	hq_step "B sync 3" "${b[@]}" sync || return 1
	hq_step "A sync 4" "${a[@]}" sync || return 1
}

# hq_fixture_kinds: after hq_fixture, device A records a scholarship batch
# and two friendship works (issue 13) and syncs; sets S1, W1, W2. Not part
# of hq_fixture, so hq_report.t's figures and targets stay as derived
# above; hq_browser.t adds these.
#
#   S1 scholarship Attapeu 2026-2027 university "Trường Đại học Quy Nhơn",
#      awarded 20, enrolled 17 (recorded by an edit), allowance 1,800,000
#      -> education: Attapeu 2026-2027 20 / 17 -> 85 % (17/20 = 0.85)
#   W1 work Attapeu "Trường tiểu học hữu nghị Việt - Lào" education,
#      budget 15,000,000,000; observations 2026-07-01 1,000,000,000 10 %
#      under construction, 2026-09-30 2,500,000,000 40 % under
#      construction "Đã xong phần móng" (the latest on or before 10-31)
#   W2 work Sekong "Trạm y tế hữu nghị" health, budget 10^13 (the largest
#      amount), no observation: disbursed, built and status "-"
#   -> works totals: 2 works, budget 10,015,000,000,000, disbursed
#      2,500,000,000 (W1's latest; W2 none)
hq_fixture_kinds() {
	local a=("$FS" --dir "$DA")
	hq_step S1 "${a[@]}" scholarship add --province Attapeu \
		--academic-year 2026-2027 --level university \
		--school "Trường Đại học Quy Nhơn" --awarded 20 \
		--allowance 1800000 || return 1; S1=$HQ_OUT
	hq_step "S1 enrolled" "${a[@]}" edit "$S1" --enrolled 17 || return 1
	hq_step W1 "${a[@]}" work add --province Attapeu \
		--name "Trường tiểu học hữu nghị Việt - Lào" --sector education \
		--budget 15000000000 || return 1; W1=$HQ_OUT
	hq_step WP1 "${a[@]}" work work_progress "$W1" --date 2026-07-01 \
		--disbursed 1000000000 --built-pct 10 \
		--status under-construction || return 1
	hq_step WP2 "${a[@]}" work work_progress "$W1" --date 2026-09-30 \
		--disbursed 2500000000 --built-pct 40 \
		--status under-construction --notes "Đã xong phần móng" || return 1
	hq_step W2 "${a[@]}" work add --province Sekong \
		--name "Trạm y tế hữu nghị" --sector health \
		--budget 10000000000000 || return 1; W2=$HQ_OUT
	hq_step "A sync kinds" "${a[@]}" sync || return 1
}

#!/bin/bash
# client_kinds.t: the scholarship, work and work_progress kinds (issue 13)
# through the CLI, which knows them only from the protocol's kind table:
# --help in three languages (labels from the catalogs), add with Vietnamese
# and Lao spellings, the refusals (a bad academic year, a level not in the
# list, money as a fraction or beyond 10^13), edit (enrolled recorded
# later), list and show; then a sync through a real server to a second
# device, where the amounts arrive exactly (10^13 đồng, the largest).
. "$(dirname "$0")/lib.sh"
B=${FIELDSYNC_BIN:-$(dirname "$0")/../../build/fieldsync}
command -v jq >/dev/null || bail "jq is needed"
plan 44

LOCALEDIR=${FIELDSYNC_LOCALEDIR:-$(dirname "$B")/locale}
T=$(tmpdir)
D="$T/data"
fs() { env LANGUAGE=en "$B" --dir "$D" "$@"; }
cli() { local lang=$1; shift; env -u LANGUAGE -u LC_ALL -u LC_MESSAGES LANG="$lang" "$B" --dir "$D" "$@"; }
# msgid in language ll, from the catalogs (gettext(1), not the program).
tr_() { LC_ALL=C.UTF-8 LANGUAGE=$1 TEXTDOMAINDIR=$LOCALEDIR gettext -d fieldsync -- "$2"; }

fs init --name "Lê Thị Mai" >/dev/null 2>&1 || bail "init failed"

# ---- --help from the table, in three languages -------------------------------
for pair in vi_VN.UTF-8:vi lo_LA.UTF-8:lo en_US.UTF-8:en; do
	lang=${pair%%:*} ll=${pair##*:}
	run cli "$lang" scholarship add --help
	want=$( [ "$ll" = en ] && echo "monthly allowance per student, whole VND" ||
		tr_ "$ll" "monthly allowance per student, whole VND")
	like "$OUT" "--allowance +$want" "LANG=$lang: scholarship add --help: the allowance's help in $ll"
	run cli "$lang" work add --help
	want=$( [ "$ll" = en ] && echo "budget, whole VND" || tr_ "$ll" "budget, whole VND")
	like "$OUT" "--budget +\* $want" "LANG=$lang: work add --help: the budget, required, in $ll"
done
isnt "$(tr_ vi 'budget, whole VND')" "budget, whole VND" "the Vietnamese catalog translates it"
run fs scholarship add --help
like "$OUT" "master, university, college, vocational" "the levels listed"
like "$OUT" "academic year YYYY-YYYY" "the academic year's form"
run fs --help
like "$OUT" "work work_progress ID" "--help: a work's observations, as a model's progress"

# ---- add, with the names people type ---------------------------------------
run fs scholarship add --province "tỉnh Attapeu" --academic-year 2026-2027 \
	--level "đại học" --school "Trường Đại học Quy Nhơn" --awarded 20 \
	--allowance 1800000 --notes "Học bổng toàn phần; ທຶນເຕັມ"
is "$RC" 0 "scholarship add exits 0"
S=$OUT
like "$S" '^[0-9a-f]{32}$' "it prints the id"
run fs scholarship add --province "ເຊກອງ" --academic-year 2026-2027 \
	--level "ປະລິນຍາໂທ" --school "Trường Đại học Quy Nhơn" --awarded 8
is "$RC" 0 "a batch with Lao names for the province and the level"
S2=$OUT
run fs work add --province Attapeu --name "Bệnh viện nhỏ Văng Tắt" \
	--sector "y tế" --site "Sanxay, ອັດຕະປື" --budget 10000000000000
is "$RC" 0 "work add with a budget of 10^13 đồng"
W=$OUT
run fs work work_progress "${W:0:8}" --date 2026-06-30 --disbursed 6000000000 \
	--built-pct 40 --status "đang thi công"
is "$RC" 0 "an observation of the work, by an id prefix"
P=$OUT

# ---- refusals: exit 2, a message naming the field, nothing written ------------
n0=$(fs list --json | jq length)
bad() { # DESC PATTERN ARGS...
	local desc=$1 pat=$2
	shift 2
	run fs "$@"
	is "$RC" 2 "$desc: exit 2"
	like "$ERR" "$pat" "$desc: the message"
}
bad "academic year 2026-2028" '--academic-year: "2026-2028" is not an academic year; expected YYYY-YYYY' \
	scholarship add --province Sekong --academic-year 2026-2028 --level college --school X --awarded 1
bad "a level not in the list" '--level: unknown level "doctorate"; allowed: master, university, college, vocational' \
	scholarship add --province Sekong --academic-year 2026-2027 --level doctorate --school X --awarded 1
bad "money as a fraction" '--allowance: "1800000.5" is not a whole number' \
	scholarship add --province Sekong --academic-year 2026-2027 --level college --school X --awarded 1 \
	--allowance 1800000.5
bad "money beyond 10^13" '--budget: 10000000000001 is out of range; allowed 0 to 10000000000000 VND' \
	work add --province Sekong --name X --sector health --budget 10000000000001
bad "a work in agriculture" '--sector: unknown sector "agriculture"; allowed: education, health, culture-sports-tourism' \
	work add --province Sekong --name X --sector agriculture --budget 1
is "$(fs list --json | jq length)" "$n0" "the refusals wrote nothing"

# ---- edit: the enrolment recorded later ---------------------------------------
run fs edit "$S" --enrolled 17
is "$RC" 0 "edit --enrolled exits 0"
run fs show "$S" --json
is "$(jq -r '.fields.enrolled' <<<"$OUT")" 17 "show --json: enrolled 17"
is "$(jq -r '.fields.allowance' <<<"$OUT")" 1800000 "show --json: the allowance"
is "$(jq -r '.fields.level' <<<"$OUT")" university "the level stored by its canonical name"
run fs edit "$P" --built-pct 50
is "$RC" 2 "a work observation is append-only: no edit"

# ---- list and show -------------------------------------------------------------
run fs list scholarships
like "$OUT" "${S:0:8} +Attapeu +2026-2027 +university +Trường Đại học Quy Nhơn +20 +17 +1,800,000 VND" \
	"list scholarships: a row with its fields, the allowance as money"
like "$OUT" "${S2:0:8} +Sekong +2026-2027 +master " "the Lao-named batch, canonical names"
run fs list works
like "$OUT" "${W:0:8} +Attapeu +Bệnh viện nhỏ Văng Tắt +health .*10,000,000,000,000 VND +2026-06-30 +6,000,000,000 VND +40 +under-construction" \
	"list works: the budget and the latest observation, money grouped"
run fs show "$W"
like "$OUT" "budget +10,000,000,000,000 VND\$" "show: the budget grouped, with its unit once"
like "$OUT" "work_progress: 1 observation" "show: the work's observations"
run fs list --province "ແຂວງອັດຕະປື" --json
is "$(jq '[.[] | select(.kind=="scholarship" or .kind=="work")] | length' <<<"$OUT")" 2 \
	"list --province in Lao: Attapeu's batch and work"
run cli vi_VN.UTF-8 show "$W"
like "$OUT" "10\\.000\\.000\\.000\\.000 đ\$" "show in Vietnamese: 10.000.000.000.000 đ"
run cli lo_LA.UTF-8 show "$W"
like "$OUT" "10\\.000\\.000\\.000\\.000 ດົ່ງ\$" "show in Lao: 10.000.000.000.000 ດົ່ງ"

# ---- sync to a second device: amounts exact -----------------------------------
Wd=$(tmpdir)
sync_server "$Wd" || bail "server did not start"
sync_device A alice || bail "enroll A"
sync_device C carol || bail "enroll C"
a_w=$(fsd "$A" work add --province Champasak --name "Bảo tàng tỉnh Champasak" \
	--sector culture --budget 10000000000000 2>/dev/null)
a_s=$(fsd "$A" scholarship add --province Salavan --academic-year 2025-2026 \
	--level vocational --school "Cao đẳng Kỹ thuật Công nghệ Quy Nhơn" \
	--awarded 20 --enrolled 19 --allowance 9999999999999 2>/dev/null)
fsd "$A" work work_progress "$a_w" --date 2026-05-01 --disbursed 9999999999999 \
	--built-pct 100 --status "đã bàn giao" >/dev/null 2>&1
run fsd "$A" sync
is "$RC" 0 "A syncs its scholarship, work and observation"
run fsd "$C" sync
is "$RC" 0 "C syncs"
is "$(fsd "$C" show "$a_w" --json | jq -r '.fields.budget | tostring')" 10000000000000 \
	"C: the budget of 10^13 đồng arrives exactly"
is "$(fsd "$C" show "$a_s" --json | jq -r '.fields.allowance | tostring')" 9999999999999 \
	"C: an allowance of 10^13 - 1 arrives exactly"
fsd "$A" dump >"$Wd/a.dump"
fsd "$C" dump >"$Wd/c.dump"
cmp -s "$Wd/a.dump" "$Wd/c.dump"
ok $? "A and C hold the same records, byte for byte (dump)"

#!/bin/sh
# `make demo`: records a realistic set of the programme's entries on one
# offline device, in a fresh temporary data directory, and lists them.
# The figures are the programme's own (protocol/../shared DOMAIN facts):
# Salavan sticky maize, 5 ha with 42 households, 3.8 ha sown; a 5 ha paddy-
# rice model in Sekong; medical teams at the Attapeu and Sekong provincial
# hospitals; delegations with Vietnamese and Lao names; a scholarship batch
# at Quy Nhơn University and the Văng Tắt small hospital (15 billion đồng).
# POSIX sh (make runs it with sh). Stops at the first failing command.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${FIELDSYNC_BIN:-$ROOT/${BUILD:-build}/fieldsync}
SRV=${FIELDSYNCD_BIN:-$ROOT/${BUILD:-build}/fieldsyncd}
[ -x "$BIN" ] || { echo "demo: $BIN not built; run make" >&2; exit 1; }
[ -x "$SRV" ] || { echo "demo: $SRV not built; run make" >&2; exit 1; }
DIR=$(mktemp -d "${TMPDIR:-/tmp}/fieldsync-demo.XXXXXX")
SERVER_PID=
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$DIR"' EXIT
export FIELDSYNC_DIR="$DIR/agronomist"

say() { printf '\n\033[1m$ %s\033[0m\n' "$*" >&2; }
fs() { say "fieldsync $*"; "$BIN" "$@"; }
hq() { say "fieldsyncd $*"; "$SRV" "$@"; }

fs init --name "Nguyễn Văn Hùng (Sở Nông nghiệp và Môi trường)"

# Agriculture: demonstration models and their progress.
MAIZE=$(fs model add --crop "Ngô nếp (sticky maize)" --province Salavan \
	--district "Lao Ngam" --village "ບ້ານ ນາດີ" --planned-ha 5 \
	--planned-households 42 --season "2025 rainy season" --start 2025-05-20)
echo "$MAIZE"
fs model progress "$(echo "$MAIZE" | cut -c1-8)" --sown-ha 2 --households 30 \
	--date 2025-07-15 --notes "Đã gieo 2 ha; đất dốc, chờ mưa"
fs model progress "$(echo "$MAIZE" | cut -c1-8)" --sown-ha 3.8 --households 42 \
	--date 2025-09-30 --notes "Còn 1,2 ha đang hoàn thành"
RICE=$(fs model add --crop "Lúa nước thâm canh (intensive paddy rice)" \
	--province Xekong --planned-ha 5 --planned-households 25 \
	--season "2025 dry season")
echo "$RICE"
fs model progress "$RICE" --sown-ha 5 --households 25 --date 2025-03-10
CATTLE=$(fs model add --crop "Thụ tinh nhân tạo bò Zebu (Zebu cattle insemination)" \
	--province Saravane --planned-ha 0 --planned-households 20 \
	--season 2025 --sector agriculture)
echo "$CATTLE"

# Health: medical teams at the provincial hospitals.
fs trip add --expert "BS. Trần Minh Đức" --experts 4 --specialty surgery \
	--department "Sở Y tế Gia Lai" --province Attapeu \
	--site "Bệnh viện tỉnh Attapeu (ໂຮງໝໍແຂວງອັດຕະປື)" \
	--start 2025-03-03 --end 2025-03-21 --trainings 6 --trained 12 \
	--patients 41 --outcome "Chuyển giao kỹ thuật tán sỏi thận nội soi, mổ sỏi mật"
fs trip add --expert "BS. Lê Thị Mai" --experts 3 --specialty paediatrics \
	--department "Sở Y tế Gia Lai" --province Sekong \
	--site "Bệnh viện tỉnh Sekong" --start 2025-08-04 --end 2025-08-15 \
	--trainings 4 --trained 15 --patients 27 \
	--outcome "Chăm sóc trẻ sinh non theo phương pháp Kangaroo; bệnh màng trong"

# Delegations, both directions.
fs visit add --direction out --province Attapeu \
	--leader "Đoàn công tác Sở Y tế Gia Lai" --title "Giám đốc Sở Y tế" \
	--members 6 --sector health --host "ພະແນກສາທາລະນະສຸກ ແຂວງອັດຕະປື" \
	--start 2026-04-10 --end 2026-04-12 \
	--purpose "Khảo sát nhu cầu đào tạo cán bộ y tế" \
	--outcome "Thống nhất đào tạo 3 cán bộ y tế mỗi năm tại Gia Lai"
fs visit add --direction in --province "ສາລະວັນ" \
	--leader "ທ່ານ ບຸນມີ ພົມມະຈັນ" --title "ຫົວໜ້າພະແນກກະສິກຳ" \
	--members 8 --sector "nông nghiệp" --host "Sở Nông nghiệp và Môi trường Gia Lai" \
	--start 2025-11-17 --end 2025-11-21 \
	--purpose "Tham quan mô hình ngô nếp và bò lai Zebu"
fs visit add --direction out --province Champasak \
	--leader "Đoàn Sở Khoa học và Công nghệ" --members 5 \
	--sector "science and technology" --start 2024-11-12 --end 2024-11-15 \
	--outcome "Trao tặng 10 máy tính, 5 máy in, 5 máy quét; mô hình nấm linh chi"

# A correction: the maize model's season was recorded too vaguely.
fs edit "$(echo "$MAIZE" | cut -c1-6)" --season "Vụ mùa 2025 (2025 rainy season)"

fs list models --province saravane
fs show "$(echo "$MAIZE" | cut -c1-8)"

# ---- HQ: a local server with its SQLite store, on a free loopback port.
hq init --db "$DIR/hq.db"
say "fieldsyncd serve --db $DIR/hq.db --listen 127.0.0.1:0 &"
"$SRV" serve --db "$DIR/hq.db" --listen 127.0.0.1:0 2>"$DIR/hq.log" &
SERVER_PID=$!
PORT=
for i in $(seq 1 100); do
	PORT=$(sed -n 's/^fieldsyncd: listening on [a-z]*:\/\/[^ ]*:\([0-9][0-9]*\) .*/\1/p' \
		"$DIR/hq.log" | tail -1)
	[ -n "$PORT" ] && break
	sleep 0.05
done
[ -n "$PORT" ] || { cat "$DIR/hq.log" >&2; exit 1; }
URL="http://127.0.0.1:$PORT"
T1=$(hq token create --db "$DIR/hq.db" --name "Nguyễn Văn Hùng, agronomist" \
	--role expert | tail -1)
T2=$(hq token create --db "$DIR/hq.db" --name "BS. Trần Minh Đức, surgeon" \
	--role expert | tail -1)

# ---- A second device, a doctor in Attapeu, also offline.
export FIELDSYNC_DIR="$DIR/doctor"
fs init --name "BS. Trần Minh Đức (Sở Y tế)"
fs trip add --expert "BS. Trần Minh Đức" --experts 3 --specialty obstetrics \
	--department "Sở Y tế Gia Lai" --province Attapu \
	--site "Bệnh viện tỉnh Attapeu" --start 2026-03-02 --end 2026-03-13 \
	--trainings 3 --trained 9 --patients 85 \
	--outcome "Xử trí tai biến sản khoa; ຝຶກອົບຮົມແພດ"

# Education: a batch of scholarships for Attapeu students at Quy Nhơn
# University (the enrolment is recorded later, by an edit); and a
# friendship work with an observation of its construction.
SCHOL=$(fs scholarship add --province "Ắt-tạ-pư" --academic-year 2026-2027 \
	--level "đại học" --school "Trường Đại học Quy Nhơn" --awarded 20 \
	--allowance 1800000 --notes "Học bổng toàn phần, gồm 1 năm tiếng Việt")
echo "$SCHOL"
fs edit "$(echo "$SCHOL" | cut -c1-8)" --enrolled 17
WORK=$(fs work add --province Attapeu --name "Bệnh viện nhỏ Văng Tắt" \
	--sector "y tế" --site "Sanxay (ເມືອງສານໄຊ)" --budget 15000000000)
echo "$WORK"
fs work work_progress "$(echo "$WORK" | cut -c1-8)" --date 2026-03-31 \
	--disbursed 6000000000 --built-pct 40 --status "đang thi công" \
	--notes "Xong phần móng và khung tầng 1"
fs list works

# ---- Both come back into coverage: enroll once, then sync.
export FIELDSYNC_DIR="$DIR/agronomist"
fs enroll "$URL" "$T1"
fs sync
export FIELDSYNC_DIR="$DIR/doctor"
fs enroll "$URL" "$T2"
fs sync
export FIELDSYNC_DIR="$DIR/agronomist"
fs sync
say "each device now holds the other's entries:"
fs list trips
export FIELDSYNC_DIR="$DIR/doctor"
fs list models
fs status

# ---- HQ's view.
hq devices list --db "$DIR/hq.db"
hq report --db "$DIR/hq.db" --from 2024-01-01 --to 2026-12-31 --format table
printf '\n(demo data in %s, removed now)\n' "$DIR"
printf '\nTry the field app (forms in the browser, Vietnamese, Lao or English) on\n'
printf 'a device of your own; the first page sets it up:\n\n'
printf '    %s --dir "$HOME/fieldsync-try" ui\n\n' "$BIN"

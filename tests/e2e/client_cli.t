#!/bin/bash
# End-to-end test of the fieldsync CLI's commands on a fresh data directory:
# help, init, the data directory rules, add for every kind, progress, list
# (tables and --json, --province with other spellings), show, edit (with the
# base stamps it sends), delete, status, and byte-exact round trips of
# Vietnamese and Lao text. Bad input has its own script (client_bad_input.t).
. "$(dirname "$0")/lib.sh"
B=${FIELDSYNC_BIN:-$(dirname "$0")/../../build/fieldsync}
command -v jq >/dev/null || bail "jq is needed"
command -v sqlite3 >/dev/null || bail "sqlite3 is needed"
plan 78

T=$(tmpdir)
D="$T/data"
fs() { "$B" --dir "$D" "$@"; }
sql() { sqlite3 "$D/store.db" "$@"; }

# ---- help -------------------------------------------------------------------
run "$B" --help
is "$RC" 0 "--help exits 0"
like "$OUT" "model progress ID" "--help lists the commands, including model progress"
for c in "init" "visit add" "trip add" "model add" "model progress" "list" \
	"show" "edit" "delete" "status"; do
	run "$B" $c --help
	[ "$RC" -eq 0 ] && [ -n "$OUT" ]
	ok $? "$c --help exits 0 and prints usage"
done
run "$B" model add --help
like "$OUT" "--planned-ha .*\*" "model add --help: --planned-ha from the field table, marked required"
like "$OUT" "ha\)" "model add --help shows the unit"
run "$B" visit add --help
like "$OUT" "Attapeu, Champasak, Salavan, Sekong" "visit add --help lists the allowed provinces"
run "$B" help trip add
like "$OUT" "--specialty" "help trip add = trip add --help"

# ---- init and the data directory -----------------------------------------
run fs init --name "Nguyễn Văn An"
is "$RC" 0 "init exits 0"
DEV=$OUT
like "$DEV" '^[0-9a-f]{32}$' "init prints the device id"
is "$(stat -c %a "$D/device.key")" 600 "device.key has mode 0600"
is "$(stat -c %s "$D/device.key") $(stat -c %s "$D/device.pub")" "64 32" \
	"key files hold a 64-byte secret key and a 32-byte public key"
is "$(sql 'PRAGMA journal_mode')" wal "the store is in WAL mode"
run fs status --json
is "$(jq -r .device <<<"$OUT") $(jq -r .name <<<"$OUT")" "$DEV Nguyễn Văn An" \
	"status --json shows the device id and the user's name"
run fs init --name Other
is "$RC" 1 "init on an initialised directory exits 1"
like "$ERR" "already holds" "... and says the store exists"
is "$(jq -r .device < <(fs status --json))" "$DEV" "... and changed nothing"

H="$T/home"
mkdir -p "$H"
run env -u FIELDSYNC_DIR -u XDG_DATA_HOME HOME="$H" "$B" init --name A
[ "$RC" -eq 0 ] && [ -f "$H/.local/share/fieldsync/store.db" ]
ok $? "without --dir or env, the store goes to ~/.local/share/fieldsync"
run env -u FIELDSYNC_DIR XDG_DATA_HOME="$T/xdg" HOME="$H" "$B" init --name A
[ "$RC" -eq 0 ] && [ -f "$T/xdg/fieldsync/store.db" ]
ok $? "XDG_DATA_HOME/fieldsync is used when set"
run env FIELDSYNC_DIR="$T/envdir" XDG_DATA_HOME="$T/xdg2" "$B" init --name A
[ "$RC" -eq 0 ] && [ -f "$T/envdir/store.db" ] && [ ! -e "$T/xdg2" ]
ok $? "FIELDSYNC_DIR wins over XDG_DATA_HOME"
run env FIELDSYNC_DIR="$T/envdir2" "$B" --dir "$T/flagdir" init --name A
[ "$RC" -eq 0 ] && [ -f "$T/flagdir/store.db" ] && [ ! -e "$T/envdir2" ]
ok $? "--dir wins over FIELDSYNC_DIR"

# ---- add ----------------------------------------------------------------------
LEADER="Đoàn công tác Sở Y tế Gia Lai"
PURPOSE=$'Trao đổi kinh nghiệm điều trị; ກອງປະຊຸມ ສາລະວັນ\nthứ hai'
run fs visit add --direction out --province Attapu --leader "$LEADER" \
	--title "Giám đốc Sở" --members 6 --sector "y tế" --start 2026-04-10 \
	--end 2026-04-12 --purpose "$PURPOSE" --outcome "Ký biên bản ghi nhớ"
is "$RC" 0 "visit add exits 0"
V=$OUT
like "$V" '^[0-9a-f]{32}$' "visit add prints the new id alone on a line"

SITE="Bệnh viện tỉnh Attapeu"
run fs trip add --expert "BS. Trần Thị Bình" --specialty surgeon \
	--province attapeu --site "$SITE" --start 2025-03-02 --end 2025-03-20 \
	--trainings 4 --trained 12 --patients 40 --outcome "Phẫu thuật nội soi tán sỏi thận"
is "$RC" 0 "trip add exits 0"
TR=$OUT

VILLAGE="ສາລະວັນ"
run fs model add --crop "Ngô nếp (sticky maize)" --province Saravane \
	--district "Lao Ngam" --village "$VILLAGE" --planned-ha 5 \
	--planned-households 42 --season "2025 rainy season"
is "$RC" 0 "model add exits 0"
M=$OUT
run fs model add --crop "Lúa nước (paddy rice)" --province "ເຊກອງ" \
	--planned-ha 5 --planned-households 30
is "$RC" 0 "model add with the province in Lao script"
M2=$OUT

# ---- show --json round trips ------------------------------------------------
run fs show "$V" --json
printf '%s' "$LEADER" >"$T/want"
jq -j .fields.leader "$OUTF" >"$T/got"
cmp -s "$T/want" "$T/got"
ok $? "Vietnamese leader name comes back byte for byte"
printf '%s' "$PURPOSE" >"$T/want"
jq -j .fields.purpose "$OUTF" >"$T/got"
cmp -s "$T/want" "$T/got"
ok $? "mixed Vietnamese/Lao multi-line purpose comes back byte for byte"
is "$(jq -r '.fields | [.province, .sector, .direction, .members] | join(",")' "$OUTF")" \
	"Attapeu,health,out,6" "spellings stored as canonical names, members as a number"
run fs show "$TR" --json
is "$(jq -r .fields.site "$OUTF")" "$SITE" "trip site round-trips"
is "$(jq -r .fields.specialty "$OUTF")" "surgery" "specialty alias surgeon -> surgery"
run fs show "$M" --json
printf '%s' "$VILLAGE" >"$T/want"
jq -j .fields.village "$OUTF" >"$T/got"
cmp -s "$T/want" "$T/got"
ok $? "Lao village name comes back byte for byte"
is "$(jq -r .fields.province "$OUTF")" Salavan "Saravane stored as Salavan"
is "$(fs show "$M2" --json | jq -r .fields.province)" Sekong "ເຊກອງ stored as Sekong"

# ---- progress -------------------------------------------------------------------
run fs model progress "${M:0:8}" --sown-ha 3.8 --households 42 --date 2025-09-30 \
	--notes "Còn 1,2 ha đang hoàn thành"
is "$RC" 0 "model progress with an 8-digit prefix exits 0"
P1=$OUT
# An earlier observation entered later must not become the latest.
run fs model progress "${M:0:6}" --sown-ha 2 --households 30 --date 2025-08-01
is "$RC" 0 "a second, earlier observation"
P2=$OUT
run fs model progress "$M2" --sown-ha 1.25 --households 12
is "$RC" 0 "progress without --date"
is "$(fs show "$OUT" --json | jq -r .fields.date)" "$(date +%F)" "--date defaults to today"
is "$(fs show "$P1" --json | jq -r .fields.model)" "$M" "progress.model holds the full model id"

run fs list models --json
is "$(jq -r --arg m "$M" '.[] | select(.id == $m) | [.fields.planned_ha, .fields.planned_households, .progress.count, .progress.latest.fields.sown_ha, .progress.latest.fields.households] | map(tostring) | join(" ")' "$OUTF")" \
	"5 42 2 3.8 42" "list models --json: planned 5 ha/42 households, latest (by date) 3.8 ha/42"
run fs list models
is "$RC" 0 "list models exits 0"
like "$(head -1 "$OUTF")" "planned_ha.*planned_households.*sown_ha.*households" \
	"the models table has planned and sown columns"
like "$OUT" "${M:0:8} .*Salavan.* 5 .* 42 .*2025-09-30 .* 3\.8 .* 42" \
	"the Salavan row shows 5 ha, 42 households, 3.8 ha sown on 2025-09-30"
# Columns line up by display width: the season column, right of the Lao
# village name, starts at the same column in the header and in the Salavan
# row (Lao vowel marks take no column; perl counts independently of the
# CLI's own code).
cols=$(perl -CSD -ne 'chomp; s/\p{Mn}//g; print index($_, /^id / ? "season" : "2025 rainy season"), "\n" if /^id |Salavan/' "$OUTF" | sort -u)
is "$(wc -l <<<"$cols")" 1 "the season column lines up after a Lao village name ($(echo $cols))"

run fs show "${M:0:10}"
like "$OUT" "progress: 2 observations" "show lists the model's observations"
like "$OUT" "planned_ha +5 ha" "show prints values with units"

# ---- list ---------------------------------------------------------------------------
run fs list
is "$RC" 0 "list (all kinds) exits 0"
like "$OUT" "^visits" "list starts with the visits table"
like "$OUT" "${TR:0:8}" "list shows the trip"
run fs list --json
is "$(jq length "$OUTF")" 7 "list --json: 1 visit + 1 trip + 2 models + 3 observations"
run fs list --province xe-kong --json
is "$(jq -r '[.[] | .fields.province // ("obs of " + .fields.model)] | unique | join(",")' "$OUTF")" \
	"Sekong,obs of $M2" "--province xe-kong lists only Sekong records (and the Sekong model's observation)"
run fs list trips --province ATTAPEU --json
is "$(jq -r '.[].id' "$OUTF")" "$TR" "list trips --province ATTAPEU"
run fs list progress --province Saravane --json
is "$(jq -r '[.[].fields.model] | unique | join(",")' "$OUTF"):$(jq length "$OUTF")" "$M:2" \
	"list progress --province: observations by their model's province"
run fs list visits --province Champasak
like "$OUT" "no visits" "an empty listing says so"

# ---- edit ----------------------------------------------------------------------------
old_stamp=$(fs show "$M" --json | jq -r .stamps.planned_ha)
run fs edit "${M:0:5}" --planned-ha 5.5 --season "Vụ mùa 2025"
is "$RC" 0 "edit exits 0"
is "$OUT" "$M" "edit prints the full id"
run fs show "$M" --json
is "$(jq -r '[.fields.planned_ha, .fields.season, .fields.crop] | map(tostring) | join("|")' "$OUTF")" \
	"5.5|Vụ mùa 2025|Ngô nếp (sticky maize)" "edit changes the given fields only"
new_stamp=$(jq -r .stamps.planned_ha "$OUTF")
isnt "$new_stamp" "$old_stamp" "the edited field has a new stamp"
last=$(sql "SELECT change FROM outbox ORDER BY n DESC LIMIT 1")
is "$(jq -r '[.op, .base.planned_ha, (.base | has("season")), .fields.planned_ha] | map(tostring) | join(" ")' <<<"$last")" \
	"update $old_stamp true 5.5" "the outbox update names the stamp it overwrote as base"
like "$(jq -r .hlc <<<"$last")" '^[0-9a-f]{16}$' "the change carries a 16-hex HLC"

# ---- delete ----------------------------------------------------------------------------
run fs delete "${V:0:7}" --reason "entered twice"
is "$RC:$OUT" "0:$V" "delete exits 0 and prints the full id"
run fs show "$V"
is "$RC" 2 "a deleted record is gone (show exits 2)"
is "$(fs list visits --json | jq length)" 0 "and absent from list"
is "$(sql "SELECT json_extract(change, '$.op') || ':' || json_extract(change, '$.reason') FROM outbox ORDER BY n DESC LIMIT 1")" \
	"delete:entered twice" "the delete is queued in the outbox with its reason"

# ---- status -------------------------------------------------------------------------------
run fs status --json
is "$(jq -r '[.records.visit, .records.trip, .records.model, .records.progress, .pending] | map(tostring) | join(" ")' "$OUTF")" \
	"0 1 2 3 9" "status --json: counts by kind and 9 changes waiting (7 adds, 1 edit, 1 delete)"
run fs status
like "$OUT" "9 changes waiting to be sent" "status (text) shows the changes waiting"
like "$OUT" "$DEV" "status (text) shows the device id"

# ---- the outbox and the records agree ----------------------------------------------------
is "$(sql "SELECT count(*) FROM outbox WHERE hlc != json_extract(change, '$.hlc')")" 0 \
	"each outbox row's hlc column matches its change"
is "$(sql "SELECT count(DISTINCT hlc) = count(*) FROM outbox")" 1 "HLCs are unique"
is "$(sql "SELECT value >= (SELECT max(hlc) FROM outbox) FROM meta WHERE key = 'hlc'")" 1 \
	"the persisted HLC is at least the last change's"

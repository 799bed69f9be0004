#!/bin/bash
# End-to-end test of `fieldsyncd conflicts`: the model's owner (real
# fieldsync device A) and HQ (a set signed with HQ's key, hq_push) edit the
# same field of a model concurrently (protocol v2: a field device may change
# only its own records, SPEC 9.6), and A syncs to a live fieldsyncd; the
# conflict is listed and shown, then resolved with --keep (once by device,
# once by a value HQ types, in Vietnamese); the resolutions are change sets
# signed by HQ's key, chained in HQ's own sequence, and after the next sync
# both devices hold HQ's value with HQ's stamp. Bad arguments exit 2.
. "$(dirname "$0")/lib.sh"
FSD=${FIELDSYNCD_BIN:-$(dirname "$0")/../../build/fieldsyncd}
FS=${FIELDSYNC_BIN:-$(dirname "$0")/../../build/fieldsync}
FIELDSYNCD_BIN=$FSD
FSTOOL=${FIELDSYNC_TOOLS:-$(dirname "$0")/../../build/tests/tools}/fstool
for c in jq sqlite3; do
	command -v $c >/dev/null || bail "$c is needed"
done
plan 44

W=$(tmpdir)
DB=$(new_db "$W/hq.db") || bail "no database"
A="$W/a"
B="$W/b"
fa() { "$FS" --dir "$A" "$@"; }
fb() { "$FS" --dir "$B" "$@"; }
step() { # DESC CMD...: run CMD; on failure diag its output and fail
	local d=$1 out
	shift
	out=$("$@" 2>&1) && return 0
	diag "setup step failed: $d" "$out"
	return 1
}
setup() {
	step init "$FSD" init --db "$DB" || return 1
	HQ=$(sq "$DB" "select value from meta where key='hq_device'")
	start_server "$DB" || return 1
	step "init A" fa init --name "Nguyễn Văn An" || return 1
	step "init B" fb init --name "Trần Thị Bình" || return 1
	step "enroll A" fa enroll "$SERVER_URL" "$("$FSD" token create --db "$DB" --name "An" --role expert 2>/dev/null)" || return 1
	step "enroll B" fb enroll "$SERVER_URL" "$("$FSD" token create --db "$DB" --name "Bình" --role expert 2>/dev/null)" || return 1
	DA=$(fa status --json | jq -r .device)
	DBV=$(fb status --json | jq -r .device)
	M=$(fa model add --crop "Ngô nếp (sticky maize)" --province Salavan \
		--planned-ha 5 --planned-households 42 --season "Mùa mưa 2026" \
		--start 2026-05-15) || return 1
	step "sync A" fa sync || return 1
	step "sync B" fb sync || return 1
	SDB=$DB
}
# hq_edit FIELD JSONVALUE: HQ changes M's FIELD on the server, built on the
# server's current stamp of it (so concurrent with A's unsynced edit).
hq_edit() {
	local s
	s=$(sq "$DB" "select json_extract(state, '\$.f.$1.s') from records where id='$M'")
	hq_push "[{\"id\":\"$M\",\"kind\":\"model\",\"op\":\"update\",\"fields\":{\"$1\":$2},\"base\":{\"$1\":\"$s\"}}]"
}
setup
ok $? "setup: server, two enrolled devices, a model synced to both" || exit 1
fs_val() { "$FS" --dir "$1" show "$M" --json | jq -c ".fields.$2"; }
fs_stamp_dev() { "$FS" --dir "$1" show "$M" --json | jq -r ".stamps.$2" | cut -d- -f2; }
is "$(fs_val "$B" planned_ha)" 5 "B received the model"

# ---- A (owner) and HQ edit planned_ha without seeing each other ---------
fa edit "$M" --planned-ha 5.5 >/dev/null
hq_edit planned_ha 6
fa sync >/dev/null 2>&1; fb sync >/dev/null 2>&1; fa sync >/dev/null 2>&1
is "$(fs_val "$A" planned_ha) $(fs_val "$B" planned_ha)" "6 6" "both converge on the later write (HQ's 6, seq 1 of HQ) before HQ decides"

run "$FSD" conflicts list --db "$DB" --json
is "$RC" 0 "conflicts list --json exits 0"
L=$OUT
is "$(printf '%s' "$L" | jq -c '[.open, (.conflicts|length)]')" "[1,1]" "one open conflict listed"
is "$(printf '%s' "$L" | jq -c --arg a "$DA" --arg h "$HQ" '.conflicts[0] | [.kind, .field, .winner_value, .winner_device == $h, .loser_value, .loser_device == $a, .resolved_ms]')" \
	'["model","planned_ha",6,true,5.5,true,null]' "the conflict: planned_ha, HQ's 6 won over A's 5.5"
is "$(printf '%s' "$L" | jq -r '.conflicts[0].record')" "$M" "it names the record"
ID=$(printf '%s' "$L" | jq -r '.conflicts[0].id')

run "$FSD" conflicts list --db "$DB"
like "$OUT" "planned_ha +6 \(${HQ:0:8} HQ\) +5.5 \(${DA:0:8} An\)" "the table shows both values with device and name"
like "$OUT" "1 open conflict" "and the count"
run "$FSD" conflicts show --db "$DB" "$ID"
is "$RC" 0 "conflicts show exits 0"
like "$OUT" "current +6" "show gives the current value"
like "$OUT" "--keep ${HQ:0:8}" "and how to resolve it"
run "$FSD" conflicts show --db "$DB" "$ID" --json
is "$(printf '%s' "$OUT" | jq -c '[.current_value, .loser_value]')" "[6,5.5]" "show --json: current and losing values"

# ---- bad arguments change nothing --------------------------------------
SNAP=$(sq "$DB" "select count(*) from sets; select * from conflicts;" | sha256sum)
run "$FSD" conflicts resolve --db "$DB" "$ID" --keep abc
like "$RC $ERR" '^2 .*"abc" is neither a device of conflict' "--keep abc (not a number, not a device): exit 2"
run "$FSD" conflicts resolve --db "$DB" "$ID" --keep=-3
like "$RC $ERR" "^2 .*planned_ha" "--keep=-3 (negative hectares): exit 2, names the field"
run "$FSD" conflicts resolve --db "$DB" "$ID" --keep device:0000ffff
like "$RC $ERR" "^2 .*not a device of conflict" "--keep device:PREFIX of no device of the conflict: exit 2"
run "$FSD" conflicts resolve --db "$DB" "$ID"
like "$RC $ERR" "^2 .*--keep VALUE_OR_DEVICE is required" "resolve without --keep: exit 2"
run "$FSD" conflicts resolve --db "$DB" x1 --keep 5
like "$RC $ERR" '^2 .*"x1" is not a conflict ID' "a bad ID: exit 2"
run "$FSD" conflicts resolve --db "$DB" 999 --keep 5
like "$RC $ERR" "^1 .*no conflict 999" "an unknown ID: exit 1"
run "$FSD" conflicts frob --db "$DB"
is "$RC" 2 "an unknown subcommand: exit 2"
run "$FSD" conflicts --help
like "$RC $OUT" "^0 usage: fieldsyncd conflicts list" "conflicts --help exits 0"
is "$(sq "$DB" "select count(*) from sets; select * from conflicts;" | sha256sum)" "$SNAP" "the refusals changed nothing"

# ---- resolve: keep device A's value ------------------------------------
run "$FSD" conflicts resolve --db "$DB" "$ID" --keep "${DA:0:6}"
is "$RC" 0 "resolve --keep A's id prefix: exit 0 (server running)"
like "$OUT" "HQ wrote 5.5 \(the value of device $DA\) as change set 2 of HQ" "it says what HQ wrote and where"
is "$(sq "$DB" "select device, seq from sets order by cursor desc limit 1")" "$HQ|2" "HQ's change set is stored, seq 2 of HQ's chain"
CUR=$(sq "$DB" "select max(cursor) from sets")
is "$(sq "$DB" "select resolved_cursor from conflicts where id=$ID")" "$CUR" "the conflict records the cursor of HQ's set"
run "$FSD" conflicts list --db "$DB" --json
is "$(printf '%s' "$OUT" | jq -c '[.open, (.conflicts|length)]')" "[0,0]" "no open conflict left"
run "$FSD" conflicts list --db "$DB" --json --all
is "$(printf '%s' "$OUT" | jq -c --arg a "$DA" '.conflicts[0] | [.resolution.keep, .resolution.device == $a, .resolution.value, .resolved_cursor]')" \
	"[\"device\",true,5.5,$CUR]" "--all lists it resolved, with HQ's decision"
run "$FSD" conflicts resolve --db "$DB" "$ID" --keep 5
like "$RC $ERR" "^1 .*already resolved" "resolving it again: exit 1, already resolved"

fa sync >/dev/null 2>&1; fb sync >/dev/null 2>&1
is "$(fs_val "$A" planned_ha) $(fs_val "$B" planned_ha)" "5.5 5.5" "after the next sync both devices hold HQ's value"
is "$(fs_stamp_dev "$A" planned_ha) $(fs_stamp_dev "$B" planned_ha)" "$HQ $HQ" "stamped by HQ's device on both"
is "$(sq "$DB" "select json_extract(state, '\$.f.planned_ha.v') from records where id='$M'")" 5.5 "the server's record holds it too"

# A later ordinary edit builds on HQ's value: not a conflict.
fa edit "$M" --planned-ha 5.2 >/dev/null
fa sync >/dev/null 2>&1; fb sync >/dev/null 2>&1
is "$(fs_val "$B" planned_ha) $(sq "$DB" "select count(*) from conflicts where resolved_at is null")" "5.2 0" "an edit on top of HQ's value syncs without a conflict"

# ---- a second conflict, resolved with a value HQ types -----------------
fa edit "$M" --season "Vụ mùa 2026" >/dev/null
hq_edit season '"ລະດູຝົນ 2026"'
fa sync >/dev/null 2>&1; fb sync >/dev/null 2>&1
ID2=$(sq "$DB" "select id from conflicts where resolved_at is null and field='season'")
isnt "$ID2" "" "a second conflict, on season"
run "$FSD" conflicts resolve --db "$DB" "$ID2" --keep "value:Vụ đông xuân 2026–2027"
is "$RC" 0 "resolve --keep value:TEXT: exit 0"
is "$(sq "$DB" "select seq from sets where device='$HQ' order by seq")" "$(printf '1\n2\n3\n4')" "HQ's chain: seq 1 to 4 (edit, resolution, edit, resolution)"
fa sync >/dev/null 2>&1; fb sync >/dev/null 2>&1
is "$(fs_val "$A" season)" '"Vụ đông xuân 2026–2027"' "device A holds HQ's Vietnamese text byte for byte"
is "$(fs_val "$B" season)" '"Vụ đông xuân 2026–2027"' "device B too"
is "$(fs_val "$A" planned_ha)" 5.2 "other fields keep their values"

# ---- HQ's sets verify like any device's ----------------------------------
# Devices checked them against HQ's key from the roster when they pulled
# them; here the stored bytes are verified independently with openssl:
# Ed25519 over "fieldsync changeset v2\n" || BLAKE2b-256(bytes).
hex2bin() { printf '%b' "$(sed 's/../\\x&/g')"; }
PK=$(sq "$DB" "select lower(hex(public_key)) from devices where id='$HQ'")
printf '%s' "302a300506032b6570032100$PK" | hex2bin >"$W/hq.der"
sq "$DB" "select lower(hex(bytes)) from sets where device='$HQ' and seq=4" | hex2bin >"$W/set2"
sq "$DB" "select sig from sets where device='$HQ' and seq=4" | hex2bin >"$W/set2.sig"
verify() { # FILE: 0 if HQ's signature over FILE's bytes verifies
	{ printf 'fieldsync changeset v2\n'; "$FSTOOL" hash <"$1" | hex2bin; } >"$W/msg"
	openssl pkeyutl -verify -pubin -inkey "$W/hq.der" -keyform DER -rawin \
		-in "$W/msg" -sigfile "$W/set2.sig" >/dev/null 2>&1
}
if [ -x "$FSTOOL" ] && command -v openssl >/dev/null; then
	like "$(cat "$W/set2")" "\"device\":\"$HQ\",\"seq\":4" "HQ's second resolution is HQ's seq 4"
	verify "$W/set2"
	ok $? "its signature verifies with HQ's public key (openssl)"
	sed 's/2027/2028/' "$W/set2" >"$W/set2.forged"
	verify "$W/set2.forged"
	isnt "$?" 0 "a forged copy does not verify"
else
	skip 3 "fstool or openssl missing"
fi
run "$FSD" report --db "$DB" --period 2026H2 --format json
is "$(printf '%s' "$OUT" | jq '.summary.open_conflicts')" 0 "the report counts no open conflict"
stop_server
is "$SERVER_RC" 0 "the server stops cleanly"

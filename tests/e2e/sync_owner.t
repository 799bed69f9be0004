#!/bin/bash
# End-to-end test of what the field devices see of who may change what
# (issue 11, SPEC 9.3/9.6/9.7), with a real fieldsyncd and real fieldsync
# devices over loopback:
#   - A's device clock says 2030 when A records an observation "today"
#     (2030-06-01); once synced it is every replica's latest. A retracts it:
#     the model's latest observation goes back to the real one (2026-07-01,
#     3.8 ha) on A, on B and in HQ's report; B may not retract A's;
#   - B's edit and delete of A's visit are refused before anything is
#     written, naming the owner;
#   - A deletes a visit and undeletes it: it leaves B's list and comes back;
#   - A edits the visit, HQ corrects it (`fieldsyncd records correct`):
#     `fieldsync history` tells the whole story with names on A and on B;
#   - A sees a notice after the sync that brought HQ's correction, named by
#     what the record is, and not again once read; HQ's delete brings
#     another; B, who owns neither, gets none;
#   - a store of protocol version 1 (schema 3) is refused clearly on open.
. "$(dirname "$0")/lib.sh"
for c in jq sqlite3 curl faketime; do
	command -v $c >/dev/null || bail "$c is needed"
done
# libfaketime is preloaded into an ASan binary (make check): let ASan accept it.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
FSD=$FIELDSYNCD_BIN
plan 42

W=$(tmpdir)
sync_server "$W" || bail "server did not start"
sync_device A "Nguyễn Văn An" || bail "enroll A"
sync_device B "Trần Thị Bình" || bail "enroll B"

M=$(fsd "$A" model add --crop "Ngô nếp" --province Salavan --planned-ha 5 \
	--planned-households 42 --start 2026-05-15) || bail "model add"
P1=$(fsd "$A" model progress "$M" --sown-ha 3.8 --households 30 \
	--date 2026-07-01) || bail "progress"
# A's clock is wrong (2030): "today" is 2030-06-01 on that device, so the
# entry check lets the date through; its sync re-dates the change's stamp
# (SPEC 8), not the date typed.
P2=$(faketime "2030-06-01 09:00:00" "$FIELDSYNC_BIN" --dir "$A" model \
	progress "$M" --sown-ha 4.5 --households 35 --date 2030-06-01) ||
	bail "progress under faketime"
V=$(fsd "$A" visit add --direction out --province Attapeu \
	--leader "Đoàn Sở Y tế" --members 6 --sector health \
	--start 2026-06-10) || bail "visit add"
fsd "$A" sync >/dev/null 2>&1 && fsd "$B" sync >/dev/null 2>&1 ||
	bail "first sync"

latest() { fsd "$1" show "$M" --json | jq -c '.progress.latest.fields | [.date, .sown_ha]'; }
report() { "$FSD" report --db "$SDB" --period "${1:-2026}" --format json |
	jq -c --arg m "$M" '.models[] | select(.id==$m) | [.last_observation, .sown_ha, .percent]'; }
is "$(latest "$A") $(latest "$B")" '["2030-06-01",4.5] ["2030-06-01",4.5]' \
	"before: the 2030 observation is the latest on A and B"
is "$(report 2030)" '["2030-06-01",4.5,90]' "before: HQ's report of 2030 counts 4.5 ha of 5 (90 %)"

# ---- retract -------------------------------------------------------------
run fsd "$B" retract "$P2" --reason "không phải của tôi"
like "$RC $ERR" '^2 .*(belongs to|Nguyễn Văn An)' "B may not retract A's observation: exit 2, the owner named"
run fsd "$A" retract "$P2" --reason "sai năm: 2030 thay vì 2026"
is "$RC $OUT" "0 $P2" "A retracts its 2030 observation"
is "$(latest "$A")" '["2026-07-01",3.8]' "A at once: the latest is the real one again"
fsd "$A" sync >/dev/null 2>&1 && fsd "$B" sync >/dev/null 2>&1 || bail "sync after retract"
is "$(latest "$B")" '["2026-07-01",3.8]' "B after sync: the latest is 2026-07-01, 3.8 ha"
is "$(report) $(report 2030)" '["2026-07-01",3.8,76] ["2026-07-01",3.8,76]' "HQ's reports of 2026 and 2030: 3.8 ha of 5 = 76 %, the retracted one counts nowhere"
is "$(fsd "$B" show "$M" --json | jq '.progress.count')" 1 "B's model counts one observation"
# A's sync re-dated the change its 2030 clock stamped: its own history
# says so too, as B's does.
is "$(fsd "$A" history "$P2" --json | jq -c '[.entries[] | .hlc]')" \
	"$(fsd "$B" history "$P2" --json | jq -c '[.entries[] | .hlc]')" \
	"A's history of the observation has the stamps the server and B have (re-dated, not 2030)"
run fsd "$B" history "$P2"
like "$OUT" 'retracted' "B's history of the observation shows it retracted"
like "$OUT" 'sai năm: 2030 thay vì 2026' "... with A's reason"

# ---- B may not touch A's visit ----------------------------------------------
pend() { sq "$1/store.db" "select count(*) from outbox"; }
run fsd "$B" edit "$V" --members 60
like "$RC $ERR" '^2 .*belongs to Nguyễn Văn An' "B's edit of A's visit: refused at once, exit 2, naming the owner"
run fsd "$B" delete "$V" --reason "không cần"
like "$RC $ERR" '^2 .*belongs to Nguyễn Văn An' "B's delete of A's visit: refused the same way"
is "$(pend "$B") $(fsd "$B" show "$V" --json | jq .fields.members)" "0 6" "... and nothing was written on B"

# ---- delete and undelete by the owner --------------------------------------
run fsd "$A" delete "$V" --reason "nhập nhầm"
is "$RC" 0 "A deletes its visit"
fsd "$A" sync >/dev/null 2>&1 && fsd "$B" sync >/dev/null 2>&1
is "$(fsd "$B" list visits --json | jq length)" 0 "B's list no longer has it"
run fsd "$A" undelete "$V"
is "$RC" 0 "A undeletes it"
fsd "$A" sync >/dev/null 2>&1 && fsd "$B" sync >/dev/null 2>&1
is "$(fsd "$B" list visits --json | jq -r '.[0].id')" "$V" "B's list has it again"
is "$(fsd "$A" notices --json | jq length)" 0 "A's own changes bring A no notice"

# ---- the owner edits, HQ corrects: history and notices ---------------------
fsd "$A" edit "$V" --members 8 >/dev/null || bail "edit"
fsd "$A" sync >/dev/null 2>&1 || bail "sync edit"
run "$FSD" records correct --db "$SDB" "$V" --members 7 --reason "đoàn có 7 người"
is "$RC" 0 "HQ corrects the members count"
run fsd "$A" sync
is "$RC" 0 "A syncs"
like "$OUT" '1 new notices' "the sync says there is one new notice"
run fsd "$A" notices
like "$OUT" 'HQ.* corrected Đoàn Sở Y tế — Attapeu, 2026-06-10: Members 8 → 7' \
	"the notice names the visit by leader, province and date, and what HQ changed"
like "$OUT" 'đoàn có 7 người' "... and HQ's reason"
unlike "$OUT" "${V:0:8}" "... not by its id"
N=$(fsd "$A" notices --json | jq -r '.[0].n')
is "$(fsd "$A" notices --json | jq -c '[length, .[0].record, .[0].hq, .[0].op]')" \
	"[1,\"$V\",true,\"update\"]" "notices --json: one, the record, by HQ, an update"
run fsd "$A" notices read "$N"
is "$RC $OUT" "0 1 notices marked read" "notices read N marks it read"
run fsd "$A" notices
is "$RC $OUT" "0 no unread notices" "not shown again once read"
run fsd "$A" sync --json
is "$(jq .notices <<<"$OUT")" 0 "the next sync brings no new notice"
is "$(fsd "$A" notices --all --json | jq -c '[length, .[0].read]')" "[1,true]" "notices --all still lists it, read"
run fsd "$A" notices read 99
like "$RC $ERR" '^2 .*no notice 99' "notices read of a number that is none: exit 2"
before=$(sq "$A/store.db" "select group_concat(n || read) from notices")
bad=0
for a in abc -1 0 99999999999999999999 "" 1x; do
	run fsd "$A" notices read "$a"
	[ "$RC" = 2 ] && [[ $ERR == *"is not a notice number (allowed: a number from"* ]] || { bad=1; diag "[$a] $RC $ERR"; }
done
run fsd "$A" notices bogus
[ "$RC" = 2 ] && [[ $ERR == *'unknown argument "bogus" (allowed: read N, read all)'* ]] || bad=1
run fsd "$A" history
[ "$RC" = 2 ] && [[ $ERR == *"missing ID"* ]] || bad=1
run fsd "$A" history zz
[ "$RC" = 2 ] && [[ $ERR == *"expected an id or its first"* ]] || bad=1
is "$bad $(sq "$A/store.db" "select group_concat(n || read) from notices")" "0 $before" \
	"bad notice numbers, arguments and ids: exit 2, saying what is allowed; no notice changed"

fsd "$B" sync >/dev/null 2>&1
for d in A B; do
	H=$(fsd "${!d}" history "$V" --json)
	is "$(jq -c '[.entries[] | [.op, .name, .hq, ([.fields[] | select(.field=="members") | [.from, .to]] | .[0])]]' <<<"$H")" \
		'[["create","Nguyễn Văn An",false,[null,6]],["delete","Nguyễn Văn An",false,null],["restore","Nguyễn Văn An",false,null],["update","Nguyễn Văn An",false,[6,8]],["update","HQ",true,[8,7]]]' \
		"$d's history of the visit: created, deleted, restored, edited 6→8 by An, corrected 8→7 by HQ"
done
is "$(fsd "$B" history "$V" --json | jq -c '[.entries[].verified] | unique')" "[true]" \
	"on B every entry came signed and in its chain"
run fsd "$A" history "${V:0:8}"
like "$OUT" 'History of Đoàn Sở Y tế — Attapeu, 2026-06-10' "the text names the record"
like "$OUT" 'Nguyễn Văn An .*changed.*written on this device' "A's edit, written on this device"
like "$OUT" 'HQ \([0-9a-f]{8}\)  changed  \(correction by HQ\)  \[signature and chain verified\]' "HQ's correction, verified"
like "$OUT" 'Members: 8 → 7' "... from 8 to 7"
is "$(fsd "$B" notices --json | jq length)" 0 "B, who owns nothing here, has no notice"

# ---- HQ deletes: another notice ---------------------------------------------
"$FSD" records delete --db "$SDB" "$V" --reason "trùng với chuyến khác" >/dev/null 2>&1 ||
	bail "records delete"
fsd "$A" sync >/dev/null 2>&1
like "$(fsd "$A" notices)" 'HQ.* deleted Đoàn Sở Y tế — Attapeu, 2026-06-10 — reason: trùng với chuyến khác' \
	"HQ's delete brings A a notice with the reason"

# ---- a protocol version 1 store -------------------------------------------
OLD=$(tmpdir)/old
"$FIELDSYNC_BIN" --dir "$OLD" init --name "Cũ" >/dev/null || bail "init old"
sq "$OLD/store.db" "PRAGMA user_version = 3" >/dev/null
run "$FIELDSYNC_BIN" --dir "$OLD" list
like "$RC $ERR" '^1 .*protocol version 1.*fieldsync init' "a schema 3 store is refused: protocol version 1, what to do"

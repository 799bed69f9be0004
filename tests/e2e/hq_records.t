#!/bin/bash
# End-to-end test of `fieldsyncd records` (issue 11, SPEC 9.3/9.6/9.7) with a
# real fieldsyncd and real fieldsync devices over loopback: a raw set
# signed by another field device's key that edits or deletes A's record is
# refused 403 not_owner and nothing changes; HQ corrects a mistyped
# observation and a visit's members count (`records correct`), every
# replica converges and the report's figures change; HQ deletes and
# restores; a concurrent delete (owner) and edit (HQ) is a conflict HQ
# sees; `records history` tells the story with names.
. "$(dirname "$0")/lib.sh"
for c in jq sqlite3 curl; do
	command -v $c >/dev/null || bail "$c is needed"
done
FSD=$FIELDSYNCD_BIN
TOOLS=$FIELDSYNC_TOOLS
plan 40

W=$(tmpdir)
sync_server "$W" || bail "server did not start"
sync_device A "Nguyễn Văn An" || bail "enroll A"
sync_device B "Trần Thị Bình" || bail "enroll B"

# A records a model (5 ha planned) with one observation typed 38 ha
# instead of 3.8, and a visit of 6 members; both sync.
M=$(fsd "$A" model add --crop "Ngô nếp" --province Salavan --planned-ha 5 \
	--planned-households 42 --start 2026-05-15) || bail "model add"
P=$(fsd "$A" model progress "$M" --sown-ha 38 --households 30 \
	--date 2026-07-01) || bail "progress"
V=$(fsd "$A" visit add --direction out --province Attapeu \
	--leader "Đoàn Sở Y tế" --members 6 --sector health \
	--start 2026-06-10) || bail "visit add"
fsd "$A" sync >/dev/null 2>&1 && fsd "$B" sync >/dev/null 2>&1 ||
	bail "first sync"
P=$(sq "$SDB" "select id from records where kind='progress'")

report() { "$FSD" report --db "$SDB" --period 2026H2 --format json; }
# Before HQ's corrections (period 2026H2 = 2026-05-01..10-31): the visit
# counts 6 members out; the model's latest observation is 38 ha of 5
# planned: 38 / 5 = 760 %.
J=$(report)
is "$(jq -c '[.totals.visits_out, .totals.members_out]' <<<"$J")" "[1,6]" "report before: 1 visit out, 6 members"
is "$(jq -c --arg m "$M" '.models[] | select(.id==$m) | [.sown_ha, .percent]' <<<"$J")" "[38,760]" "report before: sown 38 ha = 760 % of 5"
is "$(jq -c --arg a "$A_ID" '[.visits[0].author, .visits[0].author_device == $a, .models[0].author]' <<<"$J")" \
	'["Nguyễn Văn An",true,"Nguyễn Văn An"]' "the report names the author of the visit and the model (roster name, device)"
"$FSD" report --db "$SDB" --period 2026H2 --format csv --table visits | tr -d '\r' >"$W/v.csv"
like "$(sed -n 1p "$W/v.csv") $(sed -n 2p "$W/v.csv")" 'Host,Author .*,Nguyễn Văn An$' "the CSV names the author too"

# ---- a raw set signed with another field device's key ----------------
raw_device "$W/raw" || bail "the raw device did not enroll"
snap() { sq "$SDB" "select count(*) from sets; select id, state from records order by id" | sha256sum; }
SNAP=$(snap)
ms=$(sq "$SDB" "select json_extract(state, '\$.f.members.s') from records where id='$V'")
code=$(raw_push "[{\"id\":\"$V\",\"kind\":\"visit\",\"op\":\"update\",\"fields\":{\"members\":60},\"base\":{\"members\":\"$ms\"}}]")
is "$code $(jq -r .error "$RAW_OUT")" "403 not_owner" "another device's edit of A's visit: 403 not_owner"
code=$(raw_push "[{\"id\":\"$V\",\"kind\":\"visit\",\"op\":\"delete\",\"reason\":\"x\"}]")
is "$code $(jq -r .error "$RAW_OUT")" "403 not_owner" "another device's delete of A's visit: 403 not_owner"
is "$(snap)" "$SNAP" "nothing changed on the server"

# ---- HQ corrects ------------------------------------------------------
run "$FSD" records correct --db "$SDB" "$P" --sown-ha 3.8 --reason "gõ nhầm 38"
is "$RC" 0 "records correct of the observation: exit 0"
like "$OUT" "as change set 1 of HQ" "one HQ-signed change set"
run "$FSD" records correct --db "$SDB" "${V:0:8}" --members 7 --reason "thiếu một người"
is "$RC" 0 "records correct of the visit's members: exit 0"
run "$FSD" records correct --db "$SDB" "$V" --colour red --reason x
like "$RC $ERR" '^2 .*visit has no field "colour"' "an unknown field: exit 2"
run "$FSD" records correct --db "$SDB" "$V" --members many --reason x
is "$RC" 2 "a bad value: exit 2"
run "$FSD" records correct --db "$SDB" "$V" --members 8
like "$RC $ERR" '^2 .*--reason TEXT is required' "no reason: exit 2"
run "$FSD" records delete --db "$SDB" 0000ffff --reason x
like "$RC $ERR" '^1 .*no record 0000ffff' "an unknown id: exit 1"

fsd "$A" sync >/dev/null 2>&1; fsd "$B" sync >/dev/null 2>&1
sdump >"$W/s.dump"
fsd "$A" dump >"$W/a.dump"; fsd "$B" dump >"$W/b.dump"
is "$(grep -c . "$W/s.dump")" 3 "the server holds 3 records (model, observation, visit)"
ok "$(cmp -s "$W/a.dump" "$W/s.dump" && cmp -s "$W/b.dump" "$W/s.dump"; echo $?)" "A, B and the server converge (dump = srvdump)"
like "$(fsd "$B" show "$V" --json)" '"members":[[:space:]]*7' "B holds HQ's 7 members"
# After: 7 members out; 3.8 ha of 5 = 76 %.
J=$(report)
is "$(jq -c '[.totals.visits_out, .totals.members_out]' <<<"$J")" "[1,7]" "report after: 7 members"
is "$(jq -c --arg m "$M" '.models[] | select(.id==$m) | [.sown_ha, .percent]' <<<"$J")" "[3.8,76]" "report after: 3.8 ha = 76 % of 5"

# ---- delete and restore by HQ ----------------------------------------
run "$FSD" records delete --db "$SDB" "$V" --reason "trùng lặp"
is "$RC" 0 "records delete: exit 0"
is "$(report | jq '.totals.visits_out')" 0 "a deleted visit counts nowhere"
run "$FSD" records restore --db "$SDB" "$V"
is "$RC" 0 "records restore: exit 0"
is "$(report | jq -c '[.totals.visits_out, .totals.members_out]')" "[1,7]" "restored: it counts again"

# ---- concurrent delete (owner) and edit (HQ) -------------------------
fsd "$A" sync >/dev/null 2>&1
fsd "$A" delete "$V" --reason "A xoá" >/dev/null 2>&1
run "$FSD" records correct --db "$SDB" "$V" --members 9 --reason "HQ sửa"
fsd "$A" sync >/dev/null 2>&1
run "$FSD" conflicts list --db "$SDB" --json
is "$(jq -c --arg v "$V" '[.conflicts[] | select(.record==$v) | .field]' <<<"$OUT")" '["_deleted"]' "concurrent delete and edit: a conflict on _deleted"

is "$(jq -r --arg v "$V" '.conflicts[] | select(.record==$v) | .record_name' <<<"$OUT")" "Đoàn Sở Y tế — Attapeu, 2026-06-10" "the JSON list names the record by its kind's title fields: record_name"
CID=$(jq -r --arg v "$V" '.conflicts[] | select(.record==$v) | .id' <<<"$OUT")
run "$FSD" conflicts list --db "$SDB"
like "$OUT" "${V:0:8} +visit +_deleted .* open +Đoàn Sở Y tế — Attapeu" "the text list names it by what it is: the visit (leader — province), deleted against an edit"
run "$FSD" conflicts resolve --db "$SDB" "$CID" --keep edit
is "$RC" 0 "resolve --keep edit: exit 0"
fsd "$A" sync >/dev/null 2>&1
like "$(fsd "$A" show "$V" --json)" '"members":[[:space:]]*9' "kept the edit: the visit is restored on A with HQ's 9 members"
is "$(report | jq -c '[.totals.visits_out, .totals.members_out]')" "[1,9]" "and counts again: 9 members"

# ---- history ----------------------------------------------------------
run "$FSD" records history --db "$SDB" "$P" --json
is "$(jq -c '[.[] | [.op, .hq, .name, .verified]]' <<<"$OUT")" \
	'[["create",false,"Nguyễn Văn An",true],["update",true,"HQ",true]]' \
	"history (JSON): A's create, HQ's correction, with names, verified"
run "$FSD" records history --db "$SDB" "$P"
like "$OUT" "sown_ha: 38 -> 3.8" "history: the field from -> to"
like "$OUT" "correction by HQ" "history: marked a correction by HQ"
like "$OUT" "reason: gõ nhầm 38" "history: HQ's reason"

# ---- HQ deletes the observation: it is retracted and counts nowhere ----
run "$FSD" records delete --db "$SDB" "$P" --reason "đo sai"
like "$RC $OUT" "^0 HQ wrote the retract of progress" "records delete of an observation retracts it"
# M's only observation is retracted: the model has no observation left.
is "$(report | jq -c --arg m "$M" '.models[] | select(.id==$m) | [.sown_ha, .observations]')" "[null,0]" "the report counts the retracted observation nowhere"

# ---- handover: HQ gives A's visit to B, who may then edit it ----------
run "$FSD" records handover --db "$SDB" "$V" --to "${B_ID:0:8}"
like "$RC $ERR" "^2 .*--reason TEXT is required" "handover without a reason: exit 2"
run "$FSD" records handover --db "$SDB" "$V" --to "${B_ID:0:8}" --reason "máy thay thế"
is "$RC" 0 "records handover --to B: exit 0"
fsd "$B" sync >/dev/null 2>&1
run fsd "$B" edit "$V" --members 10
is "$RC" 0 "B, the new owner, may edit the visit"
fsd "$B" sync >/dev/null 2>&1
is "$(sq "$SDB" "select json_extract(state, '\$.f.members.v') from records where id='$V'")" 10 "the server took B's edit"
stop_server
is "$SERVER_RC" 0 "the server stops cleanly"

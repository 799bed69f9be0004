# sync_refused.t: one change the server refuses never blocks the queue.
# A change in A's outbox is altered (with sqlite3) to carry a province the
# server's validation rejects; the changes around it, in sets before and
# after it, all sync. The refused change is set aside with the server's
# reason, shown by `fieldsync status`. A set refused as a whole (index -1)
# is split so that only its bad change is set aside; sync exits 0 (what could be sent was
# sent; see `fieldsync sync --help`), and later syncs are clean.
. "$(dirname "$0")/lib.sh"
plan 15

export FIELDSYNC_SET_CHANGES=3
W=$(tmpdir)
sync_server "$W" || bail "server did not start"
sync_device A "Nguyễn Thị Hoa" || bail "enroll A failed"

sync_visits 10 "Đoàn" >"$W/v.jsonl"
mapfile -t IDS < <(fsd "$A" import "$W/v.jsonl" 2>/dev/null)
bad=${IDS[4]}
sq "$A/store.db" "UPDATE outbox SET change = replace(change, '\"province\":\"', '\"province\":\"Viêng') WHERE record_id = '$bad'"
like "$(sq "$A/store.db" "SELECT change FROM outbox WHERE record_id = '$bad'")" \
	'"province":"Viêng' "the 5th change now names a province that does not exist"

run fsd "$A" sync
is "$RC" 0 "sync exits 0: everything else was sent"
like "$ERR" "1 changes were refused by the server and set aside" \
	"the CLI says one change was set aside"
is "$(sq "$A/store.db" 'SELECT count(*) FROM outbox')" 0 "the outbox is empty"
is "$(ssq 'SELECT count(*) FROM records')" 9 "the server holds the 9 good entries"
is "$(ssq "SELECT count(*) FROM records WHERE id = '$bad'")" 0 \
	"and not the refused one"
st=$(fsd "$A" status)
like "$st" "refused +${bad:0:8} invalid_value: .*province" \
	"status shows the refused change with the server's reason"
like "$(fsd "$A" status --json)" '"code":[[:space:]]*"invalid_value"' \
	"status --json keeps the code"
like "$(fsd "$A" show "$bad")" "Đoàn 5" "the record is still held locally"
is "$(sq "$A/store.db" "SELECT count(*) FROM refused WHERE record_id = '$bad'")" 1 \
	"the change is kept in the refused table"

# A set-level fault (index -1: a duplicate key inside a change): the set is
# rebuilt one change per set, so only the bad change is set aside.
sync_visits 6 "Trùng" >"$W/v3.jsonl"
mapfile -t IDS3 < <(fsd "$A" import "$W/v3.jsonl" 2>/dev/null)
dup=${IDS3[2]}
sq "$A/store.db" "UPDATE outbox SET change = replace(change, '\"direction\":\"out\",', '\"direction\":\"out\",\"direction\":\"in\",') WHERE record_id = '$dup'"
run fsd "$A" sync
is "$RC" 0 "a set refused as a whole (duplicate_key) does not stop the sync"
is "$(ssq 'SELECT count(*) FROM records')" 14 "its 5 good changes reach the server"
like "$(fsd "$A" status)" "refused +${dup:0:8} duplicate_key" "only the bad change is set aside"

# The queue keeps going.
sync_visits 4 "Sau" >"$W/v2.jsonl"
fsd "$A" import "$W/v2.jsonl" >/dev/null 2>&1
run fsd "$A" sync
is "$RC" 0 "a later sync exits 0"
is "$(ssq 'SELECT count(*) FROM records')" 18 "and sends the new entries"

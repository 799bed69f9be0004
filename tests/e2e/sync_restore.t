# sync_restore.t: a device restored from an old backup of its data
# directory. A syncs some entries, records more (left pending) and is backed
# up; it then syncs those and more; the old copy is restored, new entries
# are recorded, and it syncs. Nothing is lost (A ends with every entry, the
# server too), nothing is accepted twice (server record count and the
# changes in A's sets exact, seq 1..N once each), and HQ sees the restore
# (devices list flags it; a restore event is recorded). HQ clears the flag
# after looking (`fieldsyncd devices clear-flag`); a bad flag is refused.
. "$(dirname "$0")/lib.sh"
plan 19

W=$(tmpdir)
sync_server "$W" || bail "server did not start"
sync_device A "Nguyễn Thị Hoa" || bail "enroll A failed"
sync_device B "ສົມສັກ" || bail "enroll B failed"
export FIELDSYNC_SET_CHANGES=4

sync_visits 10 "Trước" >"$W/v1.jsonl"
fsd "$A" import "$W/v1.jsonl" >>"$W/ids" 2>/dev/null
run fsd "$A" sync
is "$RC" 0 "A syncs its first 10 entries"
sync_visits 6 "Chờ gửi" >"$W/v2.jsonl"
fsd "$A" import "$W/v2.jsonl" >>"$W/ids" 2>/dev/null
# The backup: 6 entries pending in it.
cp -a "$A" "$W/backup"
run fsd "$A" sync
is "$RC" 0 "after the backup A syncs the 6 pending entries"
sync_visits 9 "Sau sao lưu" >"$W/v3.jsonl"
fsd "$A" import "$W/v3.jsonl" >>"$W/ids" 2>/dev/null
run fsd "$A" sync
is "$RC" 0 "and 9 more"
held=$(sq "$SDB" "SELECT max(seq) FROM sets WHERE device = '$A_ID'")
b=$(sq "$B/store.db" "SELECT count(*) FROM records")

# Disk dies; the old copy comes back.
rm -rf "$A"
cp -a "$W/backup" "$A"
bseq=$(sq "$A/store.db" "SELECT value FROM meta WHERE key = 'last_seq'")
[ "$bseq" -lt "$held" ]
ok $? "the restored store is behind the server (its seq $bseq < held $held)"
sync_visits 7 "Sau phục hồi" >"$W/v4.jsonl"
fsd "$A" import "$W/v4.jsonl" >>"$W/ids" 2>/dev/null
run fsd "$A" sync
is "$RC" 0 "the restored device syncs (exit 0)"
like "$ERR" "restored from a backup" "the CLI says the store was behind the server"
run fsd "$A" sync
is "$RC" 0 "and syncs again cleanly"

total=32
is "$(sq "$A/store.db" 'SELECT count(*) FROM outbox')" 0 "A's outbox is empty"
sort "$W/ids" >"$W/ids.sorted"
sq "$SDB" "SELECT id FROM records ORDER BY id" | sort | cmp -s - "$W/ids.sorted"
ok $? "the server holds exactly the $total entries A made"
is "$(set_change_ids "device = '$A_ID'" | awk '{ n++; if (!s[$0]++) d++ } END { print n + 0 "/" d + 0 }')" \
	"$total/$total" "no change was accepted twice"
is "$(sq "$SDB" "SELECT CASE WHEN count(*) = max(seq) AND min(seq) = 1 AND count(DISTINCT seq) = count(*) THEN 1 ELSE 0 END FROM sets WHERE device = '$A_ID'")" \
	1 "A's sets on the server: seq 1..N, each once"
sdump >"$W/s.dump"
fsd "$A" dump | cmp -s - "$W/s.dump"
ok $? "nothing lost: A holds every entry (the server's exact state)"
like "$("$FIELDSYNCD_BIN" devices list --db "$SDB" | grep "$A_ID")" \
	"restored" "HQ's device list flags A as restored"
unlike "$("$FIELDSYNCD_BIN" devices list --db "$SDB" | grep "$B_ID")" \
	"restored" "and does not flag B"
like "$(sq "$SDB" "SELECT detail FROM events WHERE device = '$A_ID' AND kind = 'restore'")" \
	"\"local_seq\":$bseq,\"holds\":$held" "a restore event records local_seq $bseq and holds $held"

run "$FIELDSYNCD_BIN" devices clear-flag --db "$SDB" "$A_ID" --flag nonsense
is "$RC" 2 "clear-flag refuses an unknown flag name (exit 2)"
run "$FIELDSYNCD_BIN" devices clear-flag --db "$SDB" "${A_ID:0:8}" --flag restored
is "$RC" 0 "HQ clears the flag after looking: devices clear-flag DEVICE --flag restored"
unlike "$("$FIELDSYNCD_BIN" devices list --db "$SDB" | grep "$A_ID")" "restored" \
	"the flag is gone from the device list"
is "$(sq "$SDB" "SELECT detail FROM events WHERE device = '$A_ID' AND kind = 'clear-flag'")" \
	'{"cleared":"restored"}' "the clearing is recorded as an event"

# sync_clone.t: two copies of one enrolled store (a data directory copied
# to a second laptop while the first is still in use). A syncs 10 entries
# and is copied to C; each copy then records 30 entries of its own. C syncs
# through tests/tools/faultproxy cut during its push (its set is built and
# persisted, the server does not hold it); A syncs; C syncs again. C must
# not take the server's set at its seq for its own: it keeps every entry,
# says plainly that its identity is also used by another copy (exit 1), and
# HQ sees the device flagged (forked, with the evidence; devices list, the
# report and so the dashboard), and can clear the flag after looking. `fieldsync
# reenroll` with a fresh token makes C a new device that sends its 30
# entries; afterwards every entry of both copies is at HQ exactly once,
# and A, C and the server hold the same state. Last, a server handing out
# the other version of a set B applied long ago (SPEC 11.4: B keeps every
# applied set's hash) is caught, not skipped as a duplicate.
. "$(dirname "$0")/lib.sh"
plan 27

W=$(tmpdir)
sync_server "$W" || bail "server did not start"
sync_device A "Nguyễn Thị Hoa" || bail "enroll A failed"
sync_device B "ສົມສັກ" || bail "enroll B failed"

sync_visits 10 "Trước khi sao" >"$W/v0.jsonl"
fsd "$A" import "$W/v0.jsonl" >>"$W/ids" 2>/dev/null
run fsd "$A" sync
is "$RC" 0 "A syncs its first 10 entries"
cp -a "$A" "$W/C"
C="$W/C"
sync_visits 30 "Bản A" >"$W/va.jsonl"
fsd "$A" import "$W/va.jsonl" >>"$W/ids" 2>/dev/null
sync_visits 30 "Bản C" >"$W/vc.jsonl"
fsd "$C" import "$W/vc.jsonl" >"$W/ids.c" 2>/dev/null
cat "$W/ids.c" >>"$W/ids"
held0=$(sq "$SDB" "SELECT max(seq) FROM sets WHERE device = '$A_ID'")
cseq0=$(sq "$C/store.db" "SELECT value FROM meta WHERE key = 'last_seq'")

# C through a proxy cut at N bytes (both directions together), N growing
# by 64 until C has built and persisted its next set: that attempt was cut
# within its push request, before the server could hold the set.
"$FIELDSYNC_TOOLS/faultproxy" --help >/dev/null 2>&1 || bail "no faultproxy"
cut_sync() {
	rm -f "$W/port"
	"$FIELDSYNC_TOOLS/faultproxy" --to "127.0.0.1:$SERVER_PORT" \
		--port-file "$W/port" --seed 1 --cut-after "$1" \
		--max-seconds 60 --log "$W/proxy.log" >/dev/null \
		2>>"$W/proxy.log" &
	PROXY_PID=$!
	for ((i = 0; i < 100; i++)); do
		[ -s "$W/port" ] && break
		sleep 0.05
	done
	sq "$C/store.db" "UPDATE meta SET value = '$SCHEME://127.0.0.1:$(cat "$W/port")' WHERE key = 'server_url'"
	fsd "$C" sync >/dev/null 2>>"$W/cut.log"
	kill -TERM "$PROXY_PID" 2>/dev/null
	wait "$PROXY_PID" 2>/dev/null
}
off=600
while [ "$off" -lt 40000 ]; do
	cut_sync "$off"
	cseq=$(sq "$C/store.db" "SELECT value FROM meta WHERE key = 'last_seq'")
	[ "$cseq" -gt "$cseq0" ] && break
	off=$((off + 64))
done
diag "C's push was cut at byte $off"
sq "$C/store.db" "UPDATE meta SET value = '$SERVER_URL' WHERE key = 'server_url'"
[ "$cseq" -gt "$cseq0" ]
ok $? "C built its set $cseq before the link was cut"
is "$(sq "$SDB" "SELECT count(*) FROM sets WHERE device = '$A_ID'")" "$held0" \
	"the server does not hold it"

run fsd "$A" sync
is "$RC" 0 "A syncs its 30 entries (the server now holds A's set $cseq)"

run fsd "$C" sync
isnt "$RC" 0 "C's next sync does not claim success"
like "$ERR" "another copy" "C says its identity is used by another copy of the store"
like "$ERR" "reenroll" "and how to recover (fieldsync reenroll)"
is "$(sq "$C/store.db" 'SELECT count(*) FROM outbox')" 30 \
	"C keeps all 30 of its entries pending"
run fsd "$C" status --json
like "$OUT" '"clone"' "fieldsync status shows the clone"
dev=$("$FIELDSYNCD_BIN" devices list --db "$SDB" | grep "$A_ID")
like "$dev" "forked" "HQ's device list flags A's identity (forked)"
is "$("$FIELDSYNCD_BIN" devices list --db "$SDB" --json | jq -r ".[] | select(.device == \"$A_ID\") | .forked")" \
	true "and so does its JSON"
is "$(sq "$SDB" "SELECT count(*) FROM forks WHERE device = '$A_ID' AND seq = $cseq")" 1 \
	"both versions of set $cseq are kept as evidence"
like "$("$FIELDSYNCD_BIN" report --db "$SDB" --period 2026H1 --format json | jq -r ".devices[] | select(.id == \"$A_ID\") | .flags")" \
	"forked" "the report (and the dashboard's devices page) shows the flag"
run fsd "$C" sync
isnt "$RC" 0 "C keeps refusing to sync under the shared identity"
is "$(sq "$C/store.db" 'SELECT count(*) FROM outbox')" 30 "still 30 pending"

# Recovery: C becomes a new device with a fresh token and sends its own.
tok=$("$FIELDSYNCD_BIN" token create --db "$SDB" --name "Nguyễn Thị Hoa (copy)" \
	--role expert 2>/dev/null)
run fsd "$C" reenroll "$tok"
is "$RC" 0 "fieldsync reenroll TOKEN makes C a new device"
C_ID=$(sq "$C/store.db" "SELECT value FROM meta WHERE key = 'device_id'")
isnt "$C_ID" "$A_ID" "C has a new device id"
sync_until "$C" 3
ok $? "C syncs as the new device"
sync_until "$A" 3
sync_until "$C" 3

sort "$W/ids" >"$W/ids.sorted"
sq "$SDB" "SELECT id FROM records ORDER BY id" | sort | cmp -s - "$W/ids.sorted"
ok $? "the server holds exactly the 70 entries of both copies"
is "$(set_change_ids | awk '{ n++; if (!s[$0]++) d++ } END { print n + 0 "/" d + 0 }')" \
	"70/70" "each entry was accepted exactly once"
is "$(set_change_ids "device = '$C_ID'" | wc -l | tr -d ' ')" \
	30 "C's 30 entries came as the new device's"
sdump >"$W/s.dump"
fsd "$A" dump >"$W/a.dump"
fsd "$C" dump >"$W/c.dump"
cmp -s "$W/a.dump" "$W/s.dump" && cmp -s "$W/c.dump" "$W/s.dump"
ok $? "A, C and the server hold the same state"

run "$FIELDSYNCD_BIN" devices clear-flag --db "$SDB" "$A_ID" --flag forked
is "$RC" 0 "HQ clears the flag after looking"
unlike "$("$FIELDSYNCD_BIN" devices list --db "$SDB" | grep "$A_ID")" "forked" \
	"and the device list no longer shows it"

# A server that misbehaves: it hands B the other (validly signed) version of
# set $cseq of A's identity, older than B's head for that author.
fsd "$A" visit add --direction in --province Sekong --leader "Sau cùng" \
	--members 2 --sector health --start 2026-05-02 >/dev/null
sync_until "$A" 3
sync_until "$B" 3
ok $? "B pulls everything"
stop_server
sq "$SDB" "UPDATE sets SET bytes = (SELECT other_bytes FROM forks WHERE device = '$A_ID' AND seq = $cseq), sig = (SELECT other_sig FROM forks WHERE device = '$A_ID' AND seq = $cseq), hash = (SELECT other_hash FROM forks WHERE device = '$A_ID' AND seq = $cseq) WHERE device = '$A_ID' AND seq = $cseq"
start_server "$SDB" --listen "127.0.0.1:$SERVER_PORT" || bail "restart failed"
sq "$B/store.db" "UPDATE meta SET value = '0' WHERE key = 'cursor'"
run fsd "$B" sync
is "$RC" 1 "B refuses the other version of a set it applied (exit 1)"
like "$ERR" "differs from the one this store applied" "and says it is a fork"

# sync_reenroll.t: `fieldsync reenroll`, the way out for a store whose
# identity another copy uses. C, a copy of A, edits a record they share
# (the later edits' bases name the earlier, never held) and builds its set,
# but the link is cut before the server holds it; A records more and syncs;
# C finds the clone at its next sync. Refusals change nothing: no
# token (exit 2), a bad token (exit 1), a sync of the store running (exit
# 1). A crash after the store switched identity but before the key files
# were renamed is finished by the next open; a failed attempt's staged key
# is reused by the next one. After reenroll and sync, HQ holds C's edits
# as the new device's (HQ handed the shared record to the new identity),
# with no false concurrent edit, and A, C and the server converge.
. "$(dirname "$0")/lib.sh"
plan 20

W=$(tmpdir)
sync_server "$W" || bail "server did not start"
sync_device A "Nguyễn Thị Hoa" || bail "enroll A failed"
M=$(fsd "$A" model add --crop "Ngô nếp" --province Saravane --district "Lao Ngam" \
	--planned-ha 5 --planned-households 42)
fsd "$A" sync >/dev/null 2>&1 || bail "first sync failed"
cp -a "$A" "$W/C"
C="$W/C"
fsd "$C" edit "$M" --planned-ha 6 >/dev/null || bail "edit failed"
fsd "$C" edit "$M" --planned-households 40 >/dev/null || bail "edit failed"
fsd "$C" edit "$M" --planned-ha 7 >/dev/null || bail "edit failed"
# and 30 new entries: a push request larger than the cut offset, so that
# curl's retry on a fresh connection is cut too.
sync_visits 30 "Bản C" >"$W/vc.jsonl"
fsd "$C" import "$W/vc.jsonl" >/dev/null 2>&1 || bail "import failed"
# C builds its set 2 but the link is cut before the server holds it
# (tests/tools/faultproxy; the offset grows until C has built the set).
cseq0=$(sq "$C/store.db" "SELECT value FROM meta WHERE key = 'last_seq'")
for ((off = 600; off < 40000; off += 64)); do
	rm -f "$W/port"
	"$FIELDSYNC_TOOLS/faultproxy" --to "127.0.0.1:$SERVER_PORT" \
		--port-file "$W/port" --seed 1 --cut-after "$off" \
		--max-seconds 60 >/dev/null 2>>"$W/proxy.log" &
	pp=$!
	for ((i = 0; i < 100; i++)); do
		[ -s "$W/port" ] && break
		sleep 0.05
	done
	sq "$C/store.db" "UPDATE meta SET value = '$SCHEME://127.0.0.1:$(cat "$W/port")' WHERE key = 'server_url'"
	fsd "$C" sync >/dev/null 2>&1
	kill -TERM "$pp" 2>/dev/null
	wait "$pp" 2>/dev/null
	[ "$(sq "$C/store.db" "SELECT value FROM meta WHERE key = 'last_seq'")" -gt "$cseq0" ] && break
done
sq "$C/store.db" "UPDATE meta SET value = '$SERVER_URL' WHERE key = 'server_url'"
fsd "$A" visit add --direction in --province Sekong --leader "Ông Sổm" \
	--members 3 --sector health --start 2026-04-10 >/dev/null
fsd "$A" sync >/dev/null 2>&1 || bail "A's second sync failed"
run fsd "$C" sync
like "$ERR" "another copy" "C finds that another copy uses its identity"
old=$(sq "$C/store.db" "SELECT value FROM meta WHERE key = 'device_id'")

run fsd "$C" reenroll
is "$RC" 2 "reenroll without a token is a usage error"
run fsd "$C" reenroll 0000deadbeef
is "$RC" 1 "a bad token is refused (exit 1)"
like "$ERR" "invalid_token" "with the server's reason"
is "$(sq "$C/store.db" "SELECT value FROM meta WHERE key = 'device_id'")/$(sq "$C/store.db" 'SELECT count(*) FROM outbox')" \
	"$old/33" "nothing changed: same identity, the 33 changes pending"
staged=$(od -An -tx1 "$C/device.pub.new" | tr -d ' \n')

tok=$("$FIELDSYNCD_BIN" token create --db "$SDB" --name "copy" --role expert 2>/dev/null)
mkfifo "$W/gate"
flock "$C/sync.lock" -c "read x <'$W/gate'" & holder=$!
at_exit "kill -KILL $holder"
for ((i = 0; i < 100; i++)); do
	flock -n "$C/sync.lock" true 2>/dev/null || break
	sleep 0.05
done
run fsd "$C" reenroll "$tok"
echo go >"$W/gate"
wait "$holder"
is "$RC" 1 "reenroll while a sync of the store runs is refused"
like "$ERR" "another sync" "and says why"

cp "$C/device.key" "$W/old.key"
cp "$C/device.pub" "$W/old.pub"
run fsd "$C" reenroll "$tok"
is "$RC" 0 "reenroll with a fresh token"
new=$(sq "$C/store.db" "SELECT value FROM meta WHERE key = 'device_id'")
is "$(od -An -tx1 "$C/device.pub" | tr -d ' \n')" "$staged" \
	"it used the key staged by the failed attempt"
isnt "$new" "$old" "C is a new device"

# A crash after the identity switch committed, before the renames: the
# old key files in place, the new ones staged.
mv "$C/device.key" "$C/device.key.new"
mv "$C/device.pub" "$C/device.pub.new"
cp -p "$W/old.key" "$C/device.key"
cp -p "$W/old.pub" "$C/device.pub"
run fsd "$C" status --json
is "$RC/$(jq -r .device <<<"$OUT")" "0/$new" "the next open finishes the switch"
[ ! -e "$C/device.key.new" ] && [ ! -e "$C/device.pub.new" ]
ok $? "and the staged files are in place"

# The shared record belongs to the old identity (A's); C's new identity
# may change it only once HQ hands it over (SPEC 9.6: a replacement device
# for the same person), before the edits made offline reach the server.
hq_push "[{\"id\":\"$M\",\"kind\":\"model\",\"op\":\"handover\",\"to\":\"$new\",\"reason\":\"máy thay thế\"}]"
is "$HQ_CODE" 200 "HQ hands the shared record to C's new identity"
sync_until "$C" 3
ok $? "C syncs as the new device"
sync_until "$A" 3
sync_until "$C" 3
is "$(sq "$SDB" "SELECT json_extract(state, '\$.f.planned_ha.v') || '/' || json_extract(state, '\$.f.planned_households.v') FROM records WHERE id = '$M'")" \
	"7/40" "HQ holds C's edits of the shared record"
is "$(set_change_ids "device = '$new'" | wc -l | tr -d ' ')" \
	33 "as the new device's 33 changes"
is "$(sq "$SDB" 'SELECT count(*) FROM conflicts')" 0 \
	"no false concurrent edit (the bases name the new device's stamps)"
sdump >"$W/s.dump"
fsd "$A" dump >"$W/a.dump"
fsd "$C" dump >"$W/c.dump"
cmp -s "$W/a.dump" "$W/s.dump" && cmp -s "$W/c.dump" "$W/s.dump"
ok $? "A, C and the server hold the same state"
# C's own history of the shared record tells the edits as every receiver
# has them: by the new identity (A pulled them as the new device's).
# (Each lists them in the order it applied them: C its own edits before
# HQ's handover, A after it.)
is "$(fsd "$C" history "$M" --json | jq -c '[.entries[] | [.op, .device]] | sort')" \
	"$(fsd "$A" history "$M" --json | jq -c '[.entries[] | [.op, .device]] | sort')" \
	"C's history of the shared record names the same authors as A's (the edits: C's new identity)"
is "$(fsd "$C" history "$M" --json | jq -c --arg n "$new" '[.entries[] | select(.op == "update") | .device == $n] | unique')" \
	"[true]" "... the three offline edits are the new identity's"

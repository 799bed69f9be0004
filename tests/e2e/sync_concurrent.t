# sync_concurrent.t: several syncs of one store at once. Three `fieldsync
# sync` started together, for a few rounds, each round after new entries:
# the data arrives, and HQ is not told the device was "restored from an old
# backup" (nothing was restored: the server records no restore event and
# the device has no flag). A sync that finds another one running waits for
# it (it says so) and then syncs.
. "$(dirname "$0")/lib.sh"
ROUNDS=6
plan $((ROUNDS + 8))

export FIELDSYNC_SET_CHANGES=2
W=$(tmpdir)
sync_server "$W" || bail "server did not start"
sync_device A "Nguyễn Thị Hoa" || bail "enroll A failed"
# A link with a round trip of 30 ms (tests/tools/faultproxy), as in the
# field: one sync is still pushing when the next starts.
"$FIELDSYNC_TOOLS/faultproxy" --to "127.0.0.1:$SERVER_PORT" --port-file "$W/port" \
	--delay-ms 15 --max-seconds 300 --log "$W/proxy.log" >/dev/null 2>&1 &
at_exit "kill -KILL $!"
for ((i = 0; i < 100; i++)); do
	[ -s "$W/port" ] && break
	sleep 0.05
done
sq "$A/store.db" "UPDATE meta SET value = '$SCHEME://127.0.0.1:$(cat "$W/port")' WHERE key = 'server_url'"

for ((r = 1; r <= ROUNDS; r++)); do
	sync_visits 40 "Vòng $r" >"$W/v$r.jsonl"
	fsd "$A" import "$W/v$r.jsonl" >>"$W/ids" 2>/dev/null
	# Started together, as a person, cron and `sync --watch` would: a
	# few milliseconds apart.
	fsd "$A" sync >/dev/null 2>>"$W/s.log" & p1=$!
	sleep 0.$((r % 4 + 1))
	fsd "$A" sync >/dev/null 2>>"$W/s.log" & p2=$!
	sleep 0.$((r % 3 + 1))
	fsd "$A" sync >/dev/null 2>>"$W/s.log" & p3=$!
	wait $p1; r1=$?; wait $p2; r2=$?; wait $p3; r3=$?
	is "$r1$r2$r3" "000" "round $r: three syncs at once all exit 0"
done
is "$(sq "$A/store.db" 'SELECT count(*) FROM outbox')" 0 "nothing is pending"
sort "$W/ids" >"$W/ids.sorted"
ssq "SELECT id FROM records ORDER BY id" | sort | cmp -s - "$W/ids.sorted"
ok $? "the server holds every entry"
is "$(ssq "SELECT count(*) FROM events WHERE device = '$A_ID' AND kind = 'restore'")" \
	0 "no restore event was recorded"
unlike "$("$FIELDSYNCD_BIN" devices list --db "$SDB" | grep "$A_ID")" "restored" \
	"and the device list does not flag A as restored"

# Another sync holds the store's sync lock: a new one waits, says so, and
# syncs once the lock is free.
mkfifo "$W/gate"
flock "$A/sync.lock" -c "read x <'$W/gate'" & holder=$!
at_exit "kill -KILL $holder"
for ((i = 0; i < 100; i++)); do
	flock -n "$A/sync.lock" true 2>/dev/null || break
	sleep 0.05
done
fsd "$A" visit add --direction in --province Sekong --leader "Chờ" \
	--members 2 --sector health --start 2026-05-02 >/dev/null
fsd "$A" sync >"$W/w.out" 2>"$W/w.err" & waiter=$!
for ((i = 0; i < 200; i++)); do
	grep -q "another sync" "$W/w.err" && break
	sleep 0.05
done
like "$(cat "$W/w.err")" "another sync of this store is running" \
	"a sync that finds another running says it waits"
kill -0 "$waiter" 2>/dev/null
ok $? "and is still waiting while the other holds the store"
echo go >"$W/gate"
wait "$waiter"
is "$?" 0 "once the other finishes it syncs (exit 0)"
is "$(sq "$A/store.db" 'SELECT count(*) FROM outbox')" 0 "and sent the new entry"

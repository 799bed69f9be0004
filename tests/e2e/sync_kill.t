# sync_kill.t: crashes in the middle of a sync of a few thousand entries.
# fieldsyncd is SIGKILLed while a push is under way (a shaped, slow link
# keeps the sync long enough to be caught mid-way) and restarted on the
# same port; then the client is SIGKILLed mid-push, and again right after it
# starts. Each time the next syncs resume: every entry on the server exactly
# once, A's sets seq 1..N once each, outbox empty, integrity_check ok on
# both sides, and a second device converges to the server's state.
. "$(dirname "$0")/lib.sh"
plan 16

export FIELDSYNC_STALL_SECONDS=2 FIELDSYNC_SET_CHANGES=50
W=$(tmpdir)
sync_server "$W" || bail "server did not start"
PORT=$SERVER_PORT
sync_device A "Nguyễn Thị Hoa" || bail "enroll A failed"
sync_device B "ສົມສັກ" || bail "enroll B failed"

# A slow link (400 kbit/s up) so that a sync lasts a few seconds.
"$FIELDSYNC_TOOLS/faultproxy" --to "127.0.0.1:$PORT" --port-file "$W/port" \
	--up-bps 400000 --down-bps 2000000 --max-seconds 300 \
	>/dev/null 2>"$W/proxy.log" &
PROXY_PID=$!
at_exit "kill -KILL $PROXY_PID"
for ((i = 0; i < 100; i++)); do [ -s "$W/port" ] && break; sleep 0.05; done
sq "$A/store.db" "UPDATE meta SET value = '$SCHEME://127.0.0.1:$(cat "$W/port")' WHERE key = 'server_url'"

server_sets() { sq "$SDB" "SELECT count(*) FROM sets WHERE device = '$A_ID'" 2>/dev/null || echo 0; }
# Wait (bounded) until the server holds more than $1 of A's sets.
wait_sets() {
	for ((i = 0; i < 300; i++)); do
		[ "$(server_sets)" -gt "$1" ] && return 0
		sleep 0.02
	done
	return 1
}

# 1. The server dies mid-push.
sync_visits 3000 "Đoàn một" >"$W/v1.jsonl"
fsd "$A" import "$W/v1.jsonl" >"$W/ids" 2>/dev/null
"$FIELDSYNC_BIN" --dir "$A" sync >"$W/s1.out" 2>"$W/s1.err" &
CPID=$!
at_exit "kill -KILL $CPID"
wait_sets 0
ok $? "the server has begun to accept A's sets"
stop_server KILL
held=$(server_sets)
diag "server killed holding $held of A's sets"
wait "$CPID"
rc=$?
is "$rc" 3 "the client reports the server unreachable (exit 3)"
[ "$(sq "$A/store.db" 'SELECT count(*) FROM outbox')" -gt 0 ]
ok $? "pending entries are kept while the server is down"
start_server "$SDB" --listen "127.0.0.1:$PORT" || bail "server did not restart"
sync_until "$A" 10
ok $? "after the restart A syncs (attempts: $SYNC_TRIES)"

# 2. The client dies mid-push.
sync_visits 3000 "Đoàn hai" >"$W/v2.jsonl"
fsd "$A" import "$W/v2.jsonl" >>"$W/ids" 2>/dev/null
before=$(server_sets)
"$FIELDSYNC_BIN" --dir "$A" sync >/dev/null 2>&1 &
CPID=$!
at_exit "kill -KILL $CPID"
wait_sets "$before"
ok $? "the server has begun to accept the second batch"
kill -KILL "$CPID"
wait "$CPID" 2>/dev/null
diag "client killed; server holds $(server_sets) of A's sets"

# 3. The client dies as soon as it starts (auth or building sets).
sync_visits 500 "Đoàn ba" >"$W/v3.jsonl"
fsd "$A" import "$W/v3.jsonl" >>"$W/ids" 2>/dev/null
"$FIELDSYNC_BIN" --dir "$A" sync >/dev/null 2>&1 &
CPID=$!
sleep 0.05
kill -KILL "$CPID"
wait "$CPID" 2>/dev/null
sync_until "$A" 10
ok $? "after two client kills A syncs (attempts: $SYNC_TRIES)"

total=6500
is "$(sq "$A/store.db" 'SELECT count(*) FROM outbox')" 0 "A's outbox is empty"
is "$(sq "$SDB" 'SELECT count(*) FROM records')" "$total" "the server holds $total records"
sort "$W/ids" >"$W/ids.sorted"
sq "$SDB" "SELECT id FROM records ORDER BY id" | sort | cmp -s - "$W/ids.sorted"
ok $? "exactly the ids A printed"
is "$(set_change_ids "device = '$A_ID'" | awk '{ n++; if (!s[$0]++) d++ } END { print n + 0 "/" d + 0 }')" \
	"$total/$total" "each change is in A's accepted sets exactly once"
is "$(sq "$SDB" "SELECT CASE WHEN count(*) = max(seq) AND min(seq) = 1 AND count(DISTINCT seq) = count(*) THEN 1 ELSE 0 END FROM sets WHERE device = '$A_ID'")" \
	1 "A's sets on the server: seq 1..N, each once"
n=$(sq "$SDB" "SELECT max(seq) FROM sets WHERE device = '$A_ID'")
like "$(fsd "$A" status)" "server holds 1-$n of $n" "A's receipt covers its $n sets"
is "$(sq "$A/store.db" 'PRAGMA integrity_check')" ok "client store integrity_check ok"
is "$(db_intact "$SDB")" ok "server db integrity_check ok"
run fsd "$B" sync
sdump >"$W/s.dump"
fsd "$B" dump | cmp -s - "$W/s.dump"
ok $? "B pulls the server's exact state (sync rc $RC)"
fsd "$A" dump | cmp -s - "$W/s.dump"
ok $? "A holds the server's exact state"

# sync_pages.t: pulls of several pages (more than 200 sets, the client's
# page size), where the next page is fetched while one is applied: a fresh
# device pulls 225 sets in two pages and holds what A holds, the pass
# making exactly the requests a page-by-page loop makes; a device whose
# own sets fill a page (left out of its pull, the page's "next" jumping
# past them) still gets the other device's sets around them; and a pull
# cut by a server stopped between pages keeps the pages applied, the next
# sync finishing the rest.
. "$(dirname "$0")/lib.sh"
plan 13

W=$(tmpdir)
sync_server "$W" || bail "server did not start"
sync_device A "Nguyễn Thị Hoa" || bail "enroll A failed"
sync_device B "ສົມສັກ" || bail "enroll B failed"
sync_device C "Trần Văn Minh" || bail "enroll C failed"

# Two changes a set: 450 entries are 225 sets.
export FIELDSYNC_SET_CHANGES=2
sync_visits 450 "Đoàn A" >"$W/a1.jsonl"
run fsd "$A" import "$W/a1.jsonl"
is "$RC" 0 "A records 450 entries"
run fsd "$A" sync
is "$RC" 0 "A pushes them (225 sets)"

run fsd "$B" sync --json
is "$RC" 0 "B, fresh, pulls (exit 0)"
like "$OUT" '"pulled_sets":225,"pulled_changes":450' \
	"B pulled all 225 sets"
# auth challenge + session, the roster once (A is new to B), the first
# receipt's own check, two pages: nothing fetched twice or left over.
like "$OUT" '"requests":5' "five requests: auth (2), roster, 2 pages"
fsd "$A" dump >"$W/a.dump"
fsd "$B" dump >"$W/b.dump"
cmp -s "$W/a.dump" "$W/b.dump"
ok $? "B holds what A holds"

# A's own sets fill more than a page: B's 3 sets (A pulls them before
# pushing its 210), then A's 210, then B's 2 more.
sync_visits 6 "Đoàn B1" >"$W/b1.jsonl"
fsd "$B" import "$W/b1.jsonl" >/dev/null
fsd "$B" sync >/dev/null
sync_visits 420 "Đoàn A2" >"$W/a2.jsonl"
fsd "$A" import "$W/a2.jsonl" >/dev/null
fsd "$A" sync >/dev/null
sync_visits 4 "Đoàn B2" >"$W/b2.jsonl"
fsd "$B" import "$W/b2.jsonl" >/dev/null
run fsd "$B" sync
is "$RC" 0 "B syncs past A's 210 sets and its own"
run fsd "$A" sync --json
is "$RC" 0 "A syncs: its own 210 sets are left out of its pull"
like "$OUT" '"pulled_sets":2,' "A pulled B's 2 sets after its own 210"
fsd "$A" dump >"$W/a.dump"
fsd "$B" dump >"$W/b.dump"
cmp -s "$W/a.dump" "$W/b.dump"
ok $? "A and B hold the same records"

# A pull cut part-way (three pages now: 440 sets): D, pulling it whole,
# measures the bytes; C's connection is cut at 60% of them, after its
# first page. C keeps the page(s) it applied (its cursor moved), and the
# next sync pulls the rest: C then holds what A holds.
sync_device D "Lò Thị Mai" || bail "enroll D failed"
run fsd "$D" sync --json
up=$(printf '%s' "$OUT" | sed -n 's/.*"bytes_up":\([0-9]*\).*/\1/p')
down=$(printf '%s' "$OUT" | sed -n 's/.*"bytes_down":\([0-9]*\).*/\1/p')
like "$OUT" '"pulled_sets":440,' "D pulled all 440 sets (3 pages)"
rm -f "$W/port"
"$FIELDSYNC_TOOLS/faultproxy" --to "127.0.0.1:$SERVER_PORT" \
	--port-file "$W/port" --seed 1 --max-seconds 120 \
	--cut-after $(((up + down) * 6 / 10)) --log "$W/proxy.log" \
	>/dev/null 2>>"$W/proxy.log" &
PROXY_PID=$!
at_exit "kill -KILL $PROXY_PID"
for ((i = 0; i < 100; i++)); do
	[ -s "$W/port" ] && break
	sleep 0.05
done
sq "$C/store.db" "UPDATE meta SET value = '$SCHEME://127.0.0.1:$(cat "$W/port")' WHERE key = 'server_url'"
FIELDSYNC_STALL_SECONDS=2 run fsd "$C" sync
cur=$(sq "$C/store.db" "SELECT value FROM meta WHERE key = 'cursor'")
max=$(ssq "SELECT max(cursor) FROM sets")
ok $([ "$RC" -ne 0 ] && [ "${cur:-0}" -gt 0 ] && [ "${cur:-0}" -lt "$max" ]; echo $?) \
	"the cut sync fails (rc $RC) and keeps what it applied (cursor ${cur:-none} of $max)"
kill -TERM "$PROXY_PID"
wait "$PROXY_PID" 2>/dev/null
sq "$C/store.db" "UPDATE meta SET value = '$SERVER_URL' WHERE key = 'server_url'"
sync_until "$C" 5
fsd "$A" dump >"$W/a.dump"
fsd "$C" dump >"$W/c.dump"
cmp -s "$W/a.dump" "$W/c.dump"
ok $? "C, synced again, holds what A holds (tries: $SYNC_TRIES)"

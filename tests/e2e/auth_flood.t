#!/bin/bash
# auth_flood.t (issue 9 item 6): a client with no credentials asks
# /v2/auth/challenge for HQ's device id — which /v2/health tells anyone —
# 12,000 times from loopback (the server used to keep 8,192 challenges, then
# answered 503 to every device for an hour), then keeps asking while an
# honest device runs a real `fieldsync sync` against the real fieldsyncd,
# and the device syncs again after. Success is the client's exit status
# within its own timeouts, never a time bound; the request counts are
# bounded (at most 12,000 + 40 x 2,000).
. "$(dirname "$0")/lib.sh"
for c in curl jq sqlite3; do command -v $c >/dev/null || bail "$c is needed"; done
plan 12

W=$(tmpdir)
sync_server "$W" || bail "server did not start"
sync_device A "Nguyễn Thị Hoa" || bail "enroll A failed"
HQ=$(curl -s --max-time 10 "$SERVER_URL/v2/health" | jq -r .device)
like "$HQ" '^[0-9a-f]{32}$' "HQ's device id is public: /v2/health tells it"

# flood N OUT: N challenge requests for HQ's id, 8 at a time over kept-alive
# connections; one status code a line in OUT.
flood() {
	curl -s -Z --parallel-max 8 -o /dev/null --max-time 300 \
		-H 'Content-Type: application/json' -d "{\"device\":\"$HQ\"}" \
		-w '%{http_code}\n' "$SERVER_URL/v2/auth/challenge?n=[1-$1]" \
		>>"$2" 2>/dev/null
}
count() { grep -c "^$1\$" "$2"; }

flood 12000 "$W/first"
is "$(count 200 "$W/first")" 12000 "all 12,000 challenges for HQ's id are answered 200"
is "$(count 503 "$W/first")" 0 "none is refused as busy"

# The attack goes on (bounded) while the honest device syncs.
sync_visits 40 "Lũ" >"$W/a1.jsonl"
fsd "$A" import "$W/a1.jsonl" >"$W/ids" 2>/dev/null || bail "import"
(for ((r = 0; r < 40; r++)); do
	[ -e "$W/stop" ] && break
	flood 2000 "$W/during"
 done; touch "$W/flood.done") &
FLOOD=$!
at_exit "kill $FLOOD"
for ((i = 0; i < 100; i++)); do
	[ -s "$W/during" ] && break
	sleep 0.05
done
run fsd "$A" sync
is "$RC" 0 "fieldsync sync succeeds while the challenge flood runs"
[ -n "$ERR" ] && diag "$ERR"
flood_running=1
[ -e "$W/flood.done" ] && flood_running=0
touch "$W/stop"
wait "$FLOOD" 2>/dev/null
diag "challenges asked during the sync: $(wc -l <"$W/during") (flood still running when the sync ended: $flood_running)"
is "$(count 503 "$W/during")" 0 "no challenge of the ongoing flood is refused as busy"

# After the flood: the same device again, and a device enrolled after it.
sync_visits 20 "Sau lũ" >"$W/a2.jsonl"
fsd "$A" import "$W/a2.jsonl" >>"$W/ids" 2>/dev/null || bail "import 2"
run fsd "$A" sync
is "$RC" 0 "fieldsync sync succeeds after the flood"
[ -n "$ERR" ] && diag "$ERR"
sync_device B "ສົມສັກ"
ok $? "a new device enrolls after the flood"
run fsd "$B" sync
is "$RC" 0 "the new device syncs after the flood"
is "$(sq "$SDB" "SELECT count(*) FROM records")" 60 "HQ holds A's 60 entries"
sort "$W/ids" >"$W/ids.sorted"
sq "$SDB" "SELECT id FROM records ORDER BY id" | sort | cmp -s - "$W/ids.sorted"
ok $? "exactly the ids A recorded"
sdump >"$W/s.dump"
fsd "$B" dump | cmp -s - "$W/s.dump"
ok $? "B holds the server's state"
stop_server TERM
is "$SERVER_RC" 0 "the server stops cleanly after it all"

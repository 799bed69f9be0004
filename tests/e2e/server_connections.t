#!/bin/bash
# Connection exhaustion (issue 9, item 10). Ten source addresses
# (127.0.0.2 .. 127.0.0.11) x 200 connections, each sending request headers
# one byte a second and never finishing them, used to hold all 1000
# connections of a server with its default options: devices could not even
# connect; and a connection trickling its headers stayed open for as long as
# it trickled. Now, past 900 connections (10% are kept for devices), each
# new connection closes one that never showed a live session, the oldest of
# the address holding the most; and request headers must arrive within
# --header-timeout (10 s). While the attack runs (until the test ends),
# reopening every connection the server closes, an enrolled device syncs
# with the real client, a new device enrolls and syncs, and both must
# succeed within the client's timeouts; a single connection
# trickling its headers from another address is closed within the 16 s it
# is watched (the idle timeout never fires on a trickle).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attack_lib.sh"
for c in curl sqlite3 ss; do command -v $c >/dev/null || bail "$c is needed"; done
plan 9

W=$(tmpdir)
sync_server "$W" || bail "server did not start"
honest_device H "Nguyễn Thị Hoa" || bail "honest device did not enroll"

"$HAMMER" loris --port "$SERVER_PORT" --from 127.0.0.2-127.0.0.11 \
	--per-addr 200 --seconds 60 >"$W/loris.out" 2>&1 &
L_PID=$!
at_exit "kill $L_PID"
"$HAMMER" loris --port "$SERVER_PORT" --from 127.0.0.12 --per-addr 1 \
	--once --seconds 16 >"$W/slow.out" 2>&1 &
S_PID=$!
at_exit "kill $S_PID"
sleep 4
open=$(ss -tn state established "( sport = :$SERVER_PORT )" 2>/dev/null |
	tail -n +2 | wc -l)
diag "connections open at the server during the attack: $open"
ok $((open >= 800 ? 0 : 1)) "the attack holds most of the 1000 connections"

honest_sync "$H" honest-c1
is "$HONEST_RC $HONEST_HELD" "0 5" "an enrolled device syncs during the attack"
[ "$HONEST_RC" -eq 0 ] || diag "$HONEST_ERR"
diag "honest sync during the attack: $HONEST_MS ms"
sync_device N "Trần Minh Đức"
ok $? "a new device enrolls during the attack"
honest_sync "$N" honest-c2
is "$HONEST_RC $HONEST_HELD" "0 5" "the new device syncs during the attack"
[ "$HONEST_RC" -eq 0 ] || diag "$HONEST_ERR"
honest_sync "$H" honest-c3
is "$HONEST_RC $HONEST_HELD" "0 5" "the first device syncs again during the attack"

wait "$S_PID"
kill -TERM "$L_PID" 2>/dev/null
wait "$L_PID"
diag "$(cat "$W/loris.out")" "$(cat "$W/slow.out")"
like "$(cat "$W/loris.out")" 'closed_by_server=[1-9]' \
	"the server closed attack connections (which reopened them)"
like "$(cat "$W/slow.out")" 'opened=1 closed_by_server=1 ' \
	"a connection trickling its headers is closed at the header deadline"
stop_server TERM
like "$(cat "$SERVER_LOG")" 'to make room for devices' \
	"the server's log says why it closed connections"
n=$(grep -c 'libmicrohttpd: ' "$SERVER_LOG")
ok $((n <= 2 * 20 + 1 ? 0 : 1)) \
	"libmicrohttpd's own messages are held to 20 a minute ($n lines)"

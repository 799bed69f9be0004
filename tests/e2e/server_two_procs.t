#!/bin/bash
# server_two_procs.t: two fieldsyncd processes serving one database (issue
# 14: several fieldsyncd behind a load balancer), here a SQLite file in WAL
# mode. Challenges and sessions are checked with the database's key, so a
# device may take a challenge from one process, open its session at the
# other, and push or pull through either; a challenge used at one process
# is refused at the other (the database keeps the newest used); a restart
# keeps sessions valid (the key is the database's, not the process's);
# HQ's dashboard sessions (cookie, CSRF token, sign-out) hold at both;
# real devices syncing through alternating processes converge.
. "$(dirname "$0")/lib.sh"
for c in jq curl sqlite3; do
	command -v $c >/dev/null || bail "$c is needed"
done
FSTOOL=$FIELDSYNC_TOOLS/fstool
plan 17

W=$(tmpdir)
sync_server "$W" || bail "first fieldsyncd did not start"
P1=$SERVER_URL P1_PID=$SERVER_PID
start_server "$SDB" || bail "second fieldsyncd did not start"
P2=$SERVER_URL P2_PID=$SERVER_PID
isnt "$P1" "$P2" "two fieldsyncd processes on one database ($P1, $P2)"
is "$(ssq "select length(value) from meta where key = 'auth_key'")" 64 \
	"the database holds the key both use"

"$FSTOOL" keygen "$W/k" >/dev/null || bail keygen
DEV=$(cat "$W/k/id")
tok=$("$FIELDSYNCD_BIN" token create --db "$SDB" --name "Máy A" --role expert 2>/dev/null | tail -1)
st=$(printf '{"token":"%s","public_key":"%s","name":"a"}' "$tok" "$(cat "$W/k/pk")" |
	curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
		--data-binary @- "$P1/v2/enroll")
is "$st" 201 "enrolled through the first"

post() { # URL PATH BODY: sets ST and BODY
	BODY=$(curl -s -w '\n%{http_code}' -H 'Content-Type: application/json' \
		--data-binary "$3" "$1$2")
	ST=${BODY##*$'\n'}
	BODY=${BODY%$'\n'*}
}
post "$P1" /v2/auth/challenge "{\"device\":\"$DEV\"}"
CH=$(jq -r .challenge <<<"$BODY")
SIG=$("$FSTOOL" authsign --key "$W/k" "$CH")
SESSION_REQ="{\"device\":\"$DEV\",\"challenge\":\"$CH\",\"signature\":\"$SIG\",\"local_seq\":0}"
post "$P2" /v2/auth/session "$SESSION_REQ"
is "$ST" 200 "a challenge from the first opens a session at the second"
S=$(jq -r .session <<<"$BODY")
post "$P1" /v2/auth/session "$SESSION_REQ"
is "$ST $(jq -r .error <<<"$BODY")" "401 challenge_used" \
	"the same signed challenge at the first: refused, used already"
post "$P2" /v2/auth/session "$SESSION_REQ"
is "$ST $(jq -r .error <<<"$BODY")" "401 challenge_used" "and at the second again"
pull() { curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $2" "$1/v2/pull?after=0"; }
is "$(pull "$P1" "$S") $(pull "$P2" "$S")" "200 200" "the session works at both"
bad=$(printf '%s' "$S" | sed 's/^\(.\{40\}\)./\1x/; s/x/0/')
[ "$bad" = "$S" ] && bad=$(printf '%s' "$S" | sed 's/^\(.\{40\}\)./\11/')
is "$(pull "$P1" "$bad")" 401 "an altered session is refused"

# A restart of the first keeps the session (the key is the database's).
kill -TERM "$P1_PID"; wait "$P1_PID" 2>/dev/null
start_server "$SDB" || bail "restart failed"
P1=$SERVER_URL P1_PID=$SERVER_PID
is "$(pull "$P1" "$S")" 200 "after a restart the session still works"

# HQ's dashboard: a browser signed in at one process is signed in at the
# other, with the same CSRF token; signing out at one signs out at both.
htok=$("$FIELDSYNCD_BIN" token create --db "$SDB" --name "HQ" --role hq 2>/dev/null | tail -1)
st=$(curl -s -o /dev/null -w '%{http_code}' -c "$W/jar" -H 'Content-Type: application/json' \
	-d "{\"token\":\"$htok\"}" "$P1/login")
web() { curl -s -o "$W/web.out" -w '%{http_code}' -b "$W/jar" "$1$2"; }
is "$st $(web "$P2" /api/conflicts)" "200 200" "signed in to the dashboard at the first, the second serves it"
c1=$(web "$P1" /api/session >/dev/null; jq -r .csrf "$W/web.out")
c2=$(web "$P2" /api/session >/dev/null; jq -r .csrf "$W/web.out")
[ "${#c1}" = 64 ] && [ "$c1" = "$c2" ]
ok $? "both processes give the session the same CSRF token"
cookie=$(awk '$6 == "fs_hq" { print $7 }' "$W/jar")
forged=$(printf '%s' "$cookie" | tr '0-9a-f' '1-9a-f0')
is "$(curl -s -o /dev/null -w '%{http_code}' -b "fs_hq=$forged" "$P2/api/conflicts")" 401 \
	"an altered cookie is refused"
st=$(curl -s -o /dev/null -w '%{http_code}' -b "$W/jar" -X POST "$P2/logout")
is "$st $(web "$P1" /api/conflicts) $(web "$P2" /api/conflicts)" "200 401 401" \
	"signed out at the second: the first refuses the cookie too"

# Real devices, each sync through the other process than the last.
sync_device A "Nguyễn Văn An" || bail "enroll A"
sync_device B "Trần Thị Bình" || bail "enroll B"
url() { sq "$1/store.db" "UPDATE meta SET value = '$2' WHERE key = 'server_url'"; }
sync_visits 40 "Đợt A" >"$W/a.json"; fsd "$A" import "$W/a.json" >/dev/null
sync_visits 40 "Đợt B" >"$W/b.json"; fsd "$B" import "$W/b.json" >/dev/null
rcs=
for i in 1 2 3 4; do
	if [ $((i % 2)) = 1 ]; then url "$A" "$P1"; url "$B" "$P2"
	else url "$A" "$P2"; url "$B" "$P1"; fi
	fsd "$A" sync >/dev/null 2>>"$W/sync.log"; rcs="$rcs$?"
	fsd "$B" sync >/dev/null 2>>"$W/sync.log"; rcs="$rcs$?"
	fsd "$A" visit add --direction out --province Sekong --leader "Vòng $i" \
		--members 2 --sector health --start 2026-05-0$i >/dev/null
done
url "$A" "$P2"; fsd "$A" sync >/dev/null 2>>"$W/sync.log"; rcs="$rcs$?"
url "$B" "$P1"; fsd "$B" sync >/dev/null 2>>"$W/sync.log"; rcs="$rcs$?"
is "$rcs" "0000000000" "every sync, alternating between the processes, exits 0" || diag "$(cat "$W/sync.log")"
is "$(ssq "select count(*) from records")" 84 "the server holds every entry once (40 + 40 + 4)"
is "$(ssq "select count(*) from (select device, seq from sets group by device, seq having count(*) > 1) t")" 0 \
	"no set twice in any device's chain"
sdump >"$W/s.dump"
fsd "$A" dump >"$W/a.dump"; fsd "$B" dump >"$W/b.dump"
cmp -s "$W/a.dump" "$W/s.dump" && cmp -s "$W/b.dump" "$W/s.dump"
ok $? "both devices hold what the server holds"

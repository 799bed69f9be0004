#!/bin/bash
# server_two_procs_kill.t: two fieldsyncd processes on one database (issue
# 14) while 10 real devices push and pull, each sync through the other
# process than its last; one process is killed with SIGKILL in the middle
# of a push and started again. Meanwhile a puller (a device key and curl)
# pulls page after page through both processes. Then: every entry a
# device reported saved is at the server exactly once, every device's dump
# equals the server's, and the puller received every set the server holds,
# once (a cursor skipped while another push committed would show here).
# FIELDSYNC_TEST_DB (a database URL, see server_pg.t) runs it on another
# backend; by default the database is a SQLite file.
. "$(dirname "$0")/lib.sh"
for c in jq curl sqlite3; do
	command -v $c >/dev/null || bail "$c is needed"
done
FSTOOL=$FIELDSYNC_TOOLS/fstool
plan 9

W=$(tmpdir)
sync_server "$W" || bail "first fieldsyncd did not start"
P1=$SERVER_URL P1_PID=$SERVER_PID
start_server "$SDB" || bail "second fieldsyncd did not start"
P2=$SERVER_URL P2_PID=$SERVER_PID
url() { sq "$1/store.db" "UPDATE meta SET value = '$2' WHERE key = 'server_url'"; }

declare -a D
for i in $(seq 0 9); do
	sync_device "DEV" "Thiết bị $i" || bail "enroll $i"
	D[i]=$DEV
	sync_visits 30 "Máy $i" >"$W/v$i.json"
	fsd "${D[i]}" import "$W/v$i.json" >>"$W/ids" 2>/dev/null || bail "import $i"
done

# The puller: its own key, a session renewed as needed, every page
# through one process then the other, until told to stop.
"$FSTOOL" keygen "$W/pk" >/dev/null || bail keygen
tok=$("$FIELDSYNCD_BIN" token create --db "$SDB" --name puller --role expert 2>/dev/null | tail -1)
printf '{"token":"%s","public_key":"%s","name":"p"}' "$tok" "$(cat "$W/pk/pk")" |
	curl -s -o /dev/null -H 'Content-Type: application/json' --data-binary @- "$P1/v2/enroll"
echo "$P1" >"$W/p1"; echo "$P2" >"$W/p2"
(
	after=0 n=0 sess=
	while :; do
		# The processes' addresses as they are now (a restart moves one).
		if [ $((n % 2)) = 0 ]; then u=$(cat "$W/p1"); else u=$(cat "$W/p2"); fi
		n=$((n + 1))
		[ -n "$sess" ] || sess=$("$FSTOOL" session --key "$W/pk" --url "$u" 2>/dev/null)
		page=$(curl -s --max-time 5 -H "Authorization: Bearer $sess" "$u/v2/pull?after=$after&limit=7")
		if ! jq -e .sets >/dev/null 2>&1 <<<"$page"; then
			# a killed process, an ended session: log it, try again
			printf '%s %s %.200s\n' "$u" "$after" "$page" >>"$W/puller.log"
			sess=
			# bounded: once told to stop, 600 failures end it
			[ -e "$W/stop" ] && fails=$((${fails:-0} + 1)) && [ "$fails" -gt 600 ] && break
			sleep 0.05
			continue
		fi
		jq -r '.sets[] | .cursor as $c | (.set | fromjson) | "\($c) \(.device) \(.seq)"' <<<"$page" >>"$W/pulled"
		next=$(jq -r '.next // empty' <<<"$page")
		if [ -z "$next" ]; then
			printf 'no next: %.300s\n' "$page" >>"$W/puller.log"
			continue
		fi
		after=$next
		if [ "$(jq -r .more <<<"$page")" != true ]; then
			[ -e "$W/stop" ] && break
			sleep 0.05
		fi
	done
) &
PULLER=$!
at_exit "kill $PULLER"

rcs= killed=
for round in 1 2 3; do
	for i in $(seq 0 9); do
		if [ $(((i + round) % 2)) = 0 ]; then url "${D[i]}" "$P1"; else url "${D[i]}" "$P2"; fi
		if [ "$round" = 2 ] && [ "$i" = 4 ] && [ -z "$killed" ]; then
			# Device 4 pushes through P1 (round 2: (4+2)%2 = 0), which
			# is killed while the push is under way.
			sync_visits 600 "Máy 4 thêm" >"$W/v4b.json"
			fsd "${D[i]}" import "$W/v4b.json" >>"$W/ids" 2>/dev/null
			id4=$(sq "${D[i]}/store.db" "select value from meta where key = 'device_id'")
			held=$(ssq "select count(*) from sets where device = '$id4'")
			FIELDSYNC_SET_CHANGES=10 FIELDSYNC_STALL_SECONDS=2 \
				fsd "${D[i]}" sync >/dev/null 2>>"$W/sync.log" &
			spid=$!
			for ((k = 0; k < 300; k++)); do
				[ "$(ssq "select count(*) from sets where device = '$id4'" 2>/dev/null)" -gt $((held + 5)) ] && break
				sleep 0.02
			done
			kill -KILL "$P1_PID"; wait "$P1_PID" 2>/dev/null
			wait "$spid"
			at_kill=$(ssq "select count(*) from sets where device = '$id4'")
			killed=yes
			start_server "$SDB" || bail "restart failed"
			P1=$SERVER_URL P1_PID=$SERVER_PID
			echo "$P1" >"$W/p1"
			continue
		fi
		fsd "${D[i]}" sync >/dev/null 2>>"$W/sync.log"; rcs="$rcs$?"
	done
	for i in 0 3 7; do
		fsd "${D[i]}" visit add --direction in --province Salavan --leader "Vòng $round máy $i" \
			--members 2 --sector health --start 2026-06-0$round >>"$W/ids" 2>/dev/null
	done
done
ok "$([ -n "$killed" ]; echo $?)" "one fieldsyncd was killed (SIGKILL) in the middle of a push and started again"
# Everyone syncs to the end, through whichever process.
fails=0
for pass in 1 2; do
	for i in $(seq 0 9); do
		if [ $(((i + pass) % 2)) = 0 ]; then url "${D[i]}" "$P1"; else url "${D[i]}" "$P2"; fi
		sync_until "${D[i]}" 5 || fails=$((fails + 1))
	done
done
is "$fails" 0 "every device syncs cleanly after the restart" || diag "$(tail -5 "$W/sync.log")"
after=$(ssq "select count(*) from sets where device = '$id4'")
ok "$([ "$at_kill" -lt "$after" ]; echo $?)" "the push was cut: the server held $at_kill of device 4's sets when killed, $after at the end"
touch "$W/stop"
wait "$PULLER"

saved=$(sort -u "$W/ids" | wc -l)
is "$(ssq "select count(*) from records")" "$saved" "every entry a device reported saved is at the server ($saved)"
missing=$(cut -c1-32 "$W/ids" | sort -u | comm -23 - <(sdump | cut -c1-32 | sort) | wc -l)
is "$missing" 0 "... each of them"
is "$(ssq "select count(*) from (select device, seq from sets group by device, seq having count(*) > 1) t")" 0 \
	"no set twice in a device's chain"
sdump >"$W/s.dump"
same=0
for i in $(seq 0 9); do
	fsd "${D[i]}" dump >"$W/d$i.dump"
	cmp -s "$W/d$i.dump" "$W/s.dump" && same=$((same + 1))
done
is "$same" 10 "every device's dump equals the server's"
ssq "select cursor || ' ' || device || ' ' || seq from sets order by cursor" >"$W/all"
is "$(sort -n "$W/pulled" | uniq | wc -l) $(wc -l <"$W/all")" "$(wc -l <"$W/all") $(wc -l <"$W/all")" \
	"the puller got as many sets as the server holds"
cmp -s <(sort -n "$W/pulled" | uniq) "$W/all"
ok $? "... exactly the server's sets, cursor for cursor: none skipped while others committed" ||
	diag "$(diff <(sort -n "$W/pulled" | uniq) "$W/all" | head -5)" "$(tail -5 "$W/puller.log" 2>/dev/null)"

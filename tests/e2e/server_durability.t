#!/bin/bash
# Durability: while fstool pushes a stream of change sets (one set per
# request, each re-sent until it gets a 2xx), fieldsyncd is killed with
# SIGKILL and restarted several times on the same port. After each kill,
# with the server dead, every set acknowledged so far must be in the
# database; at the end every set is there exactly once, no set is partially
# applied (each has all its records), and integrity_check is ok.
. "$(dirname "$0")/lib.sh"
FSD=${FIELDSYNCD_BIN:-$(dirname "$0")/../../build/fieldsyncd}
FSTOOL=${FIELDSYNC_TOOLS:-$(dirname "$0")/../../build/tests/tools}/fstool
FIELDSYNCD_BIN=$FSD
for c in curl jq sqlite3; do command -v $c >/dev/null || bail "$c is needed"; done
KILLS=5
SETS=1200
CHANGES=10
plan $((KILLS + 9))

D=$(tmpdir)
DB=$(new_db "$D/hq.db") || bail "no database"
"$FSD" init --db "$DB" >/dev/null || bail "init"
tok=$("$FSD" token create --db "$DB" --name "load" --role expert 2>/dev/null) || bail "token"
"$FSTOOL" keygen "$D/k" >/dev/null || bail "keygen"
A=$(cat "$D/k/id")
start_server "$DB" || bail "server did not start"
PORT=$SERVER_PORT
curl -s --max-time 10 -H 'Content-Type: application/json' \
	-d "{\"token\":\"$tok\",\"public_key\":\"$(cat "$D/k/pk")\",\"name\":\"Nguyễn Thị Hoa\"}" \
	"$SERVER_URL/v2/enroll" >/dev/null || bail "enroll"

: >"$D/acked"
"$FSTOOL" load --key "$D/k" --url "$SERVER_URL" --sets $SETS \
	--changes $CHANGES --acked "$D/acked" 2>"$D/load.err" &
LOAD=$!
at_exit "kill $LOAD"

missing_acked() { # acked seqs not in the database
	local n
	sq "$DB" "select seq from sets where device='$A'" | sort >"$D/held"
	sort -u "$D/acked" | comm -23 - "$D/held" | wc -l | tr -d ' '
}

for ((i = 1; i <= KILLS; i++)); do
	# Kill while the load is in full swing: once a share of the sets is
	# acknowledged, at a random moment a few milliseconds later.
	while [ "$(wc -l <"$D/acked")" -lt $((i * SETS / (KILLS + 1))) ]; do
		kill -0 $LOAD 2>/dev/null || break
		sleep 0.02
	done
	sleep "0.0$((RANDOM % 10))"
	stop_server KILL
	got=$(wc -l <"$D/acked")
	is "$(missing_acked)" 0 "kill $i: all $got sets acknowledged so far are in the database"
	start_server "$DB" --listen "127.0.0.1:$PORT" || bail "restart $i failed"
done

for ((i = 0; i < 1200; i++)); do
	kill -0 $LOAD 2>/dev/null || break
	sleep 0.1
done
wait $LOAD
is "$?" 0 "the load finished: every set acknowledged in the end"
[ -s "$D/load.err" ] && diag "$(tail -3 "$D/load.err")"
is "$(sort -n "$D/acked" | uniq | wc -l)" $SETS "all $SETS sets acknowledged"
is "$(missing_acked)" 0 "every acknowledged set is in the database"
is "$(sq "$DB" "select count(*), count(distinct seq), min(seq), max(seq) from sets where device='$A'")" \
	"$SETS|$SETS|1|$SETS" "each set stored exactly once, seq 1..$SETS"
is "$(sq "$DB" "select count(*) from sets s where (select count(*) from records r where r.updated_cursor = s.cursor) != $CHANGES")" 0 \
	"no set partially applied: each has its $CHANGES records"
is "$(sq "$DB" 'select count(*) from records')" $((SETS * CHANGES)) "records: $((SETS * CHANGES))"
is "$(sq "$DB" "select head_seq from devices where id='$A'")" $SETS "the device's chain head is $SETS"
stop_server TERM
is "$SERVER_RC" 0 "final SIGTERM: clean exit"
is "$(db_intact "$DB")" ok "integrity_check ok"
diag "$(server_logs | grep -c 'POST /v2/push 200') log lines of pushes answered 200, for $SETS sets (a set re-sent after a kill adds one; a kill can also eat a line)"

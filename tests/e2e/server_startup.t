#!/bin/bash
# fieldsyncd refuses what a typo would otherwise turn into a second HQ or a
# half-working server: every command but `init` refuses a database that
# does not exist (naming the path and `fieldsyncd init`, creating nothing),
# and a second `serve` on a port in use fails to start with a clear message
# and exit status 1 instead of sharing the port (SO_REUSEPORT).
. "$(dirname "$0")/lib.sh"
sqlite_only "what a mistyped database file path does (on PostgreSQL, server_pg.t: a database without the schema is refused by name)"
FSD=${FIELDSYNCD_BIN:-$(dirname "$0")/../../build/fieldsyncd}
FIELDSYNCD_BIN=$FSD
for c in curl; do command -v $c >/dev/null || bail "$c is needed"; done
plan 24

D=$(tmpdir)
DB="$D/hq.db"
TYPO="$D/hq-typo.db"

# ---- a database that does not exist --------------------------------------
refused() { # DESC CMD...: exit 1, message names the path and init
	local desc=$1
	shift
	run timeout 20 "$@"
	is "$RC" 1 "$desc on a missing database: exit 1"
	like "$ERR" "no database at $TYPO.*fieldsyncd init --db $TYPO" \
		"$desc: names the path and says to run fieldsyncd init"
}
refused "token create" "$FSD" token create --db "$TYPO" --name "Salavan 1" --role expert
unlike "$OUT" '[0-9a-f]{64}' "token create: no token printed"
refused "serve" "$FSD" serve --db "$TYPO" --listen 127.0.0.1:0
refused "devices list" "$FSD" devices list --db "$TYPO"
refused "devices revoke" "$FSD" devices revoke --db "$TYPO" abcd
refused "report" "$FSD" report --db "$TYPO" --format json
refused "conflicts list" "$FSD" conflicts list --db "$TYPO"
ls -A "$D" >"$D.ls"
is "$(cat "$D.ls")" "" "nothing was created: no database, no HQ key, no WAL"
run "$FSD" token create --db "sqlite:$TYPO" --name x --role expert
is "$RC" 1 "token create with the sqlite: prefix on a missing database: exit 1"
run "$FSD" token create --db "$D/no/such/dir/hq.db" --name x --role expert
is "$RC" 1 "token create in a directory that does not exist: exit 1"

# ---- init creates; then the others work -----------------------------------
run "$FSD" init --db "$DB"
is "$RC" 0 "init creates the database"
HQ=$OUT
run "$FSD" token create --db "$DB" --name "Salavan 1" --role expert
is "$RC" 0 "token create on the database init made: exit 0"
like "$OUT" '^[0-9a-f]{64}$' "it prints the token"

# ---- a port already in use -----------------------------------------------
start_server "$DB" || bail "server did not start"
P=$SERVER_PORT
# The second one runs in the background while requests go to the port, so
# that a second server sharing it would show: it gets 5 s to fail or to say
# it listens (each is an event; no time is asserted).
L2="$D.second.log"
"$FSD" serve --db "$DB" --listen "127.0.0.1:$P" 2>"$L2" &
PID2=$!
at_exit "kill -KILL $PID2"
for ((i = 0; i < 100; i++)); do
	kill -0 "$PID2" 2>/dev/null || break
	grep -q 'listening on' "$L2" && break
	sleep 0.05
done
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	curl -s -o /dev/null --max-time 10 "$SERVER_URL/v2/health"
done
kill -KILL "$PID2" 2>/dev/null && diag "the second serve was still running"
wait "$PID2" 2>/dev/null
RC2=$?
is "$RC2" 1 "a second serve on the port in use exits with status 1"
like "$(cat "$L2")" "cannot listen on 127.0.0.1:$P" "it says it cannot listen on that address"
unlike "$(cat "$L2")" 'listening on' "it never says it is listening"
is "$(grep -c 'GET /v2/health 200' "$SERVER_LOG")" 12 \
	"all 12 requests were answered by the first server"
stop_server TERM
is "$SERVER_RC" 0 "the first server stops cleanly"

# server_pg.t: fieldsyncd on PostgreSQL (issue 14), a smoke test. The test
# starts its own cluster in a temporary directory (initdb + pg_ctl, listening
# on a Unix socket in that directory only, as an unprivileged user when run
# as root) and stops it at exit; without PostgreSQL installed it skips.
# Then: `fieldsyncd init --db URL` creates the schema (version 1, again is
# harmless), a database without it is refused by name; two real devices
# enroll, record, sync both ways and hold what the server's records hold
# (read with psql, printed by srvdump); cursors are 1..n with no gap; the
# report works on the URL; SIGKILL of the server and a restart lose nothing;
# a restart of PostgreSQL under a running server is survived (the pool
# reconnects, devices retry); two fieldsyncd processes on one database with
# devices pushing through both at once keep cursors and chains exact; and
# the store's unit tests (test_server_push, test_server_caps) pass on it;
# and server_migrate.t migrates its SQLite fixture into this cluster. The
# other server and sync suites run on PostgreSQL in tests/run.sh's second
# run (FIELDSYNC_BACKEND=postgresql, tests/e2e/lib.sh).
. "$(dirname "$0")/lib.sh"

# FIELDSYNC_PGBIN: another PostgreSQL's bin directory (a missing one shows
# the skip).
PGBIN=${FIELDSYNC_PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_ctl" ] ||
	! command -v psql >/dev/null; then
	echo "1..0 # SKIP PostgreSQL is not installed (initdb, pg_ctl, psql: apt-get install postgresql)"
	exit 0
fi
command -v jq >/dev/null || bail "jq is needed"
plan 44

W=$(tmpdir)
export FIELDSYNCD_STATE_DIR="$W/state"
mkdir -p "$FIELDSYNCD_STATE_DIR"

# ---- the cluster -----------------------------------------------------------
# initdb refuses to run as root: then the cluster belongs to postgres (or
# nobody), in a directory of its own outside the test root (which only root
# may enter).
PGD=$(mktemp -d /tmp/fieldsync-pg.XXXXXX) || bail "no temp dir"
at_exit "rm -rf '$PGD'"
AS=()
if [ "$(id -u)" = 0 ]; then
	pguser=postgres
	id -u postgres >/dev/null 2>&1 || pguser=nobody
	chown "$pguser" "$PGD"
	AS=(runuser -u "$pguser" --)
fi
pgctl() { "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGD/data" -w -l "$PGD/log" "$@"; }
pg_up() {
	pgctl -o "-c listen_addresses='' -c unix_socket_directories='$PGD' -c fsync=on -c synchronous_commit=on" start >/dev/null
}
"${AS[@]}" "$PGBIN/initdb" -D "$PGD/data" -U fieldsync --auth=trust \
	-E UTF8 --locale=C.UTF-8 >"$W/initdb.log" 2>&1 ||
	bail "initdb failed: $(tail -5 "$W/initdb.log")"
pg_up || bail "PostgreSQL did not start: $(tail -5 "$PGD/log")"
at_exit "${AS[*]} '$PGBIN/pg_ctl' -D '$PGD/data' -m immediate stop"
ok 0 "a PostgreSQL cluster of the test's own runs on a Unix socket in $PGD"
PSQL=(psql -X -q -At -h "$PGD" -U fieldsync)
"${PSQL[@]}" -d postgres -c "CREATE DATABASE fs" ||
	bail "cannot create the test database"
URL="postgresql:///fs?host=$PGD&user=fieldsync"
q() { "${PSQL[@]}" -d fs -c "$1"; }

# ---- init, and a database without the schema ---------------------------------
run "$FIELDSYNCD_BIN" devices list --db "postgresql:///postgres?host=$PGD&user=fieldsync"
isnt "$RC" 0 "a database without the schema is refused"
like "$ERR" "not a fieldsyncd database" "...saying it is not a fieldsyncd database"
run "$FIELDSYNCD_BIN" init --db "$URL"
is "$RC" 0 "fieldsyncd init --db URL creates the schema" || diag "$ERR"
is "$(q "SELECT value FROM meta WHERE key = 'schema'")" 1 "schema version 1 in meta"
hq=$(q "SELECT value FROM meta WHERE key = 'hq_device'")
like "$hq" '^[0-9a-f]{32}$' "HQ's device is recorded"
[ -s "$FIELDSYNCD_STATE_DIR/pg-fs@_tmp_${PGD#/tmp/}.hqkey" ]
ok $? "HQ's key is in the state directory, not in the database"
run "$FIELDSYNCD_BIN" init --db "host=$PGD dbname=fs user=fieldsync"
is "$RC" 0 "init again, as a conninfo string, is harmless" || diag "$ERR"
is "$(q "SELECT value FROM meta WHERE key = 'hq_device'")" "$hq" "...and keeps HQ's identity"

# ---- two devices sync through it ---------------------------------------------
SDB=$URL
start_server "$URL" || bail "fieldsyncd serve --db URL did not start"
sync_device A "Nguyễn Thị Hoa"
ok $? "device A enrolls"
sync_device B "ສົມສັກ ພົມມະວົງ"
ok $? "device B enrolls"
sync_visits 5 "A" >"$W/A.jsonl"
fsd "$A" import "$W/A.jsonl" >/dev/null 2>&1 ||
	diag "import A failed"
sync_visits 4 "B" >"$W/B.jsonl"
fsd "$B" import "$W/B.jsonl" >/dev/null 2>&1 ||
	diag "import B failed"
a1=$(fsd "$A" visit add --direction out --province Attapeu \
	--leader "Đoàn công tác Sở Y tế" --members 6 --sector health \
	--start 2026-04-10 --end 2026-04-12 2>/dev/null)
b1=$(fsd "$B" model add --crop "ເຂົ້າໜຽວ (Lúa nếp)" --province Saravane \
	--district "Lao Ngam" --village "ບ້ານ ນາດີ" --planned-ha 5 \
	--planned-households 42 2>/dev/null)
[ -n "$a1" ] && [ -n "$b1" ]
ok $? "records made offline on both devices"
for d in A B A; do
	run fsd "${!d}" sync
	[ "$RC" -eq 0 ] || diag "sync $d: $ERR"
done
run fsd "$B" sync
is "$RC" 0 "the last sync exits 0"

server_dump() {
	q "SELECT id || ' ' || encode(convert_to(state, 'UTF8'), 'hex') FROM records ORDER BY id" |
		"$FIELDSYNC_TOOLS/srvdump" -
}
same_state() { # label
	fsd "$A" dump >"$W/a.dump"
	fsd "$B" dump >"$W/b.dump"
	server_dump >"$W/s.dump"
	[ -s "$W/s.dump" ] && cmp -s "$W/a.dump" "$W/s.dump" &&
		cmp -s "$W/b.dump" "$W/s.dump"
	ok $? "$1: A, B and the server hold the same records" ||
		diag "$(diff "$W/a.dump" "$W/s.dump" | head -5)"
}
same_state "after syncing"
is "$(wc -l <"$W/s.dump" | tr -d ' ')" 11 "the server holds all 11 records"
grep -qF "ເຂົ້າໜຽວ (Lúa nếp)" "$W/a.dump"
ok $? "A holds B's Lao and Vietnamese text byte for byte"
is "$(q "SELECT count(*) = max(cursor) AND min(cursor) = 1 FROM sets")" t \
	"cursors run 1..n with no gap"

run "$FIELDSYNCD_BIN" report --db "$URL" --format json
is "$RC" 0 "fieldsyncd report --db URL --format json exits 0" || diag "$ERR"
printf '%s' "$OUT" | jq -e . >/dev/null
ok $? "...and prints JSON"
like "$OUT" '"visits"' "...with the visits section"
run "$FIELDSYNCD_BIN" devices list --db "$URL"
like "$OUT" "${A_ID:0:8}" "devices list --db URL shows device A"

# ---- SIGKILL of the server, a restart: nothing lost ------------------------------
PORT=$SERVER_PORT
stop_server KILL
a2=$(fsd "$A" visit add --direction in --province Sekong --leader "Phạm Văn Bình" \
	--members 2 --sector agriculture --start 2026-05-01 2>/dev/null)
start_server "$URL" --listen "127.0.0.1:$PORT" ||
	bail "fieldsyncd did not start again"
sync_until "$A" 5
is "$SYNC_RC" 0 "after kill -KILL and a restart A syncs"
sync_until "$B" 5
same_state "after the restart"
is "$(wc -l <"$W/s.dump" | tr -d ' ')" 12 "12 records: nothing lost, the new one added"

# ---- PostgreSQL restarts under a running server -----------------------------------
pgctl -m fast stop >/dev/null && pg_up
ok $? "PostgreSQL restarted under the running server"
b2=$(fsd "$B" visit add --direction out --province Champasak \
	--leader "Lê Thị Mai" --members 3 --sector education \
	--start 2026-06-01 2>/dev/null)
sync_until "$B" 5
diag "B synced after $SYNC_TRIES attempt(s)"
is "$SYNC_RC" 0 "B syncs through the same server (its pool reconnected)" ||
	diag "$(tail -3 "$B.synclog")" "$(tail -3 "$SERVER_LOG")"
sync_until "$A" 5
same_state "after the database restart"
is "$(wc -l <"$W/s.dump" | tr -d ' ')" 13 "13 records"

# ---- HQ's own change, signed with the key from the state directory -------------
run "$FIELDSYNCD_BIN" records correct --db "$URL" "$a1" --members 7 \
	--reason "gõ nhầm: 7 người"
is "$RC" 0 "records correct --db URL (HQ's key found in the state directory)" ||
	diag "$ERR"
sync_until "$B" 5
fsd "$B" show "$a1" --json | grep -Eq '"members":[[:space:]]*7([^0-9]|$)'
ok $? "B receives HQ's correction at its next sync"

# ---- the one writer: a push waits while another transaction holds the lock ------
# (the advisory lock store_pg.c takes at the start of every write
# transaction, the same number in every process)
"${PSQL[@]}" -d fs -c "BEGIN" -c "SELECT pg_advisory_xact_lock(112585675093860)" \
	-c "SELECT pg_sleep(2)" -c "COMMIT" >/dev/null &
LOCKER=$!
# Until that session holds it (pg_locks: the key's high and low 32 bits).
for ((i = 0; i < 100; i++)); do
	[ "$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 26213 AND objid = 1697363812")" = 1 ] && break
	sleep 0.05
done
[ "$i" -lt 100 ] || diag "psql's session was never seen holding the write lock"
a4=$(fsd "$A" visit add --direction out --province Attapeu --leader "Vũ Hải" \
	--members 1 --sector health --start 2026-07-01 2>/dev/null)
t0=$(date +%s%N)
run fsd "$A" sync
t1=$(date +%s%N)
wait "$LOCKER"
is "$RC" 0 "a push while another writer holds the lock succeeds" || diag "$ERR"
waited=$(((t1 - t0) / 1000000))
[ "$waited" -ge 1000 ]
ok $? "...after waiting for it (${waited} ms)"

# ---- two processes, pushes through both at once ----------------------------------
S1_URL=$SERVER_URL
start_server "$URL" || bail "a second fieldsyncd did not start"
S2_URL=$SERVER_URL
SERVER_URL=$S2_URL
sync_device C "Trần Minh Đức"
sync_device D "Lê Văn Tám"
SERVER_URL=$S1_URL
# Each of three devices records and syncs 8 times, all three at once.
for d in A C D; do
	(for i in 1 2 3 4 5 6 7 8; do
		sync_visits 4 "$d$i" >"$W/$d$i.jsonl"
		fsd "${!d}" import "$W/$d$i.jsonl" >/dev/null 2>&1 || exit 1
		sync_until "${!d}" 10
		[ "$SYNC_RC" -eq 0 ] || exit 1
	done) &
done
fails=0
for j in 1 2 3; do wait -n || fails=$((fails + 1)); done
is "$fails" 0 "A (server 1), C and D (server 2) record and sync at once, 8 times each"
for d in A B C D; do sync_until "${!d}" 5; done
is "$(q "SELECT count(*) = max(cursor) AND min(cursor) = 1 FROM sets")" t \
	"cursors still run 1..n with no gap"
is "$(q "SELECT count(*) FROM (SELECT device FROM sets GROUP BY device HAVING count(*) <> max(seq) OR min(seq) <> 1) x")" 0 \
	"every device's chain on the server is 1..its head, no seq missing or twice"
# A, C and D pulled while the others pushed: a set skipped by a pull (its
# cursor passed over while still uncommitted) would be missing for good.
server_dump >"$W/s.dump"
same=0
for d in A C D; do
	fsd "${!d}" dump >"$W/$d.dump"
	cmp -s "$W/$d.dump" "$W/s.dump" || { same=1; diag "$d differs from the server"; }
done
[ "$same" -eq 0 ] && [ "$(wc -l <"$W/s.dump" | tr -d ' ')" -eq 110 ]
ok $? "A, C and D hold the server's 110 records (14 + 3 x 8 x 4): no pull skipped a set" ||
	diag "$(wc -l <"$W/s.dump") records on the server"

# ---- PostgreSQL killed during a push (immediate: no clean shutdown) ------------
sync_visits 3000 "D-big" >"$W/big.jsonl"
fsd "$D" import "$W/big.jsonl" >/dev/null 2>&1
SERVER_URL=$S2_URL
"$FIELDSYNC_BIN" --dir "$D" sync >"$W/big.out" 2>&1 &
BIG=$!
sleep 0.15
pgctl -m immediate stop >/dev/null
wait "$BIG"
diag "the sync cut by the database crash exited $? ($(tail -1 "$W/big.out"))"
pg_up
ok $? "PostgreSQL is back after the crash"
sync_until "$D" 10
is "$SYNC_RC" 0 "D syncs again once the database is back (after $SYNC_TRIES tries)"
is "$(q "SELECT count(*) = max(cursor) AND min(cursor) = 1 FROM sets")" t \
	"after the crash cursors run 1..n with no gap"
for d in A B C; do sync_until "${!d}" 5; done
fsd "$A" dump >"$W/a.dump"
server_dump >"$W/s.dump"
cmp -s "$W/a.dump" "$W/s.dump" && [ "$(wc -l <"$W/s.dump" | tr -d ' ')" -eq 3110 ]
ok $? "A holds the server's 3110 records: every one D recorded, once" ||
	diag "$(wc -l <"$W/s.dump") records on the server"

stop_server TERM
is "$SERVER_RC" 0 "SIGTERM stops the second server cleanly (its pool closed)"

# ---- the server's store unit tests, on this cluster ------------------------------
UNIT=$(dirname "$FIELDSYNC_TOOLS")/unit
for t in push caps; do
	if [ ! -x "$UNIT/test_server_$t" ]; then
		skip 1 "$UNIT/test_server_$t is not built (make units)"
		continue
	fi
	run env FIELDSYNC_TEST_PGHOST="$PGD" "$UNIT/test_server_$t"
	is "$RC" 0 "test_server_$t passes on the PostgreSQL store" ||
		diag "$(grep -E 'FAIL|ERROR|error' "$OUTF" "$ERRF" | head -10)"
done

# ---- SQLite to PostgreSQL: migration of a fixture store ----------------------
# server_migrate.t copies its SQLite fixture into an empty database of this
# cluster and checks pull bytes and report against the source. (Every other
# server and sync suite runs with its databases on PostgreSQL in tests/run.sh's
# second run; there server_migrate.t copies a PostgreSQL fixture to SQLite.)
"${PSQL[@]}" -d postgres -c "CREATE DATABASE server_migrate" || bail "create server_migrate"
env -u FIELDSYNC_BACKEND FIELDSYNC_TEST_DB_COPY="postgresql:///server_migrate?host=$PGD&user=fieldsync" \
	bash "$(dirname "$0")/server_migrate.t" >"$W/server_migrate.tap" 2>&1
rc=$?
is "$rc $(grep -c '^not ok' "$W/server_migrate.tap")" "0 0" \
	"server_migrate.t passes from SQLite to PostgreSQL ($(grep -c '^ok' "$W/server_migrate.tap") checks)" ||
	diag "$(grep -A3 '^not ok\|Bail' "$W/server_migrate.tap" | head -20)"

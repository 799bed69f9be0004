# tests/e2e/lib.sh — shared TAP helpers for the end-to-end tests (bash).
#
# Source it first:  . "$(dirname "$0")/lib.sh"
#   plan N                 print the plan
#   ok STATUS DESC         pass if STATUS is 0:  ok $? "it worked"
#   is GOT WANT DESC       string equality (shows both on failure)
#   isnt GOT UNWANTED DESC
#   like TEXT REGEX DESC   grep -E match; unlike TEXT REGEX DESC
#   skip N REASON          count N tests as skipped
#   diag TEXT...           a "# " comment on stderr
#   bail REASON            stop the whole script ("Bail out!")
#   run CMD...             run CMD; sets RC, OUT, ERR (stdout/stderr text)
#                          and OUTF, ERRF (files holding the exact bytes)
#   tmpdir                 print a fresh directory, removed at exit
#   at_exit CMD...         run CMD at exit (before the temp dirs go), last
#                          registered first: kill what you started here
#   free_port              print a TCP port free on 127.0.0.1 right now
# Every script gets its own root under $TMPDIR, so scripts run in parallel.
# Exit status: 0 only if every test passed and the plan was met.

# The programs speak the language of LANGUAGE/LC_ALL/LC_MESSAGES/LANG and
# Vietnamese when none is set; the tests read their messages in English
# (client_i18n.t checks the other languages).
export LANGUAGE=en

_t_n=0
_t_fail=0
_t_plan=
_t_hooks=()
_T_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/fieldsync-e2e.XXXXXX") || exit 255

_t_cleanup() {
	local rc=$? i
	for ((i = ${#_t_hooks[@]} - 1; i >= 0; i--)); do
		eval "${_t_hooks[i]}" >/dev/null 2>&1
	done
	chmod -R u+rwX "$_T_ROOT" 2>/dev/null
	rm -rf "$_T_ROOT"
	if [ -n "$_t_plan" ] && [ "$_t_n" -ne "$_t_plan" ]; then
		echo "# planned $_t_plan tests but ran $_t_n" >&2
		rc=255
	fi
	[ "$_t_fail" -gt 0 ] && [ "$rc" -eq 0 ] && rc=1
	exit "$rc"
}
trap _t_cleanup EXIT
trap 'exit 130' INT TERM

plan() { _t_plan=$1; echo "1..$1"; }

diag() {
	local line
	printf '%s\n' "$@" | while IFS= read -r line; do
		printf '# %s\n' "$line" >&2
	done
}

ok() {
	local status=$1
	shift
	_t_n=$((_t_n + 1))
	if [ "$status" -eq 0 ]; then
		echo "ok $_t_n - $*"
	else
		echo "not ok $_t_n - $*"
		_t_fail=$((_t_fail + 1))
	fi
	return "$status"
}

is() {
	if [ "$1" == "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "     got: '$1'" "expected: '$2'"
		return 1
	fi
}

isnt() {
	if [ "$1" != "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "got the unwanted value: '$1'"
		return 1
	fi
}

like() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "text: '$1'" "does not match: /$2/"
		return 1
	fi
}

unlike() {
	if ! printf '%s' "$1" | grep -Eq -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "text: '$1'" "matches: /$2/"
		return 1
	fi
}

skip() {
	local i
	for ((i = 0; i < $1; i++)); do
		_t_n=$((_t_n + 1))
		echo "ok $_t_n # skip $2"
	done
}

bail() { echo "Bail out! $*"; exit 255; }

run() {
	OUTF="$_T_ROOT/.out"
	ERRF="$_T_ROOT/.err"
	"$@" >"$OUTF" 2>"$ERRF"
	RC=$?
	OUT=$(cat "$OUTF")
	ERR=$(cat "$ERRF")
	return 0
}

tmpdir() { mktemp -d "$_T_ROOT/d.XXXXXX"; }

at_exit() { _t_hooks+=("$*"); }

free_port() {
	local p i
	for ((i = 0; i < 100; i++)); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# ---- server helpers (fieldsyncd) -------------------------------------
#   make_cert DIR          self-signed cert for 127.0.0.1/localhost:
#                          DIR/cert.pem DIR/key.pem (openssl, at test time)
#   start_server DB [SERVE_OPTIONS...]
#                          start $FIELDSYNCD_BIN serve on 127.0.0.1 (port 0
#                          = a free one, unless --listen is given), wait for
#                          it to listen; sets SERVER_PID SERVER_PORT
#                          SERVER_URL (https when --tls-cert is given)
#                          SERVER_LOG; it is killed at exit
#   server_logs            print the logs of every server started so far
#   stop_server [SIGNAL]   stop it (default TERM) and wait; sets SERVER_RC
make_cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
		-keyout "$1/key.pem" -out "$1/cert.pem" -subj "/CN=localhost" \
		-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
		>/dev/null 2>&1
}

start_server() {
	local db=$1 scheme=http listen=127.0.0.1:0 a i
	shift
	# The HTTPS run: the script's certificate, unless the suite gives one.
	if [ "$SCHEME" = https ]; then
		a=1
		for i in "$@"; do [ "$i" = --tls-cert ] && a=; done
		[ -z "$a" ] || set -- --tls-cert "$_T_TLS/cert.pem" \
			--tls-key "$_T_TLS/key.pem" "$@"
	fi
	for a in "$@"; do
		[ "$a" = --tls-cert ] && scheme=https
		[ "$a" = --listen ] && listen=
	done
	# A PostgreSQL URL or conninfo is no file name: log in the test root.
	case $db in
	*://* | *=*) SERVER_LOG="$_T_ROOT/server.log.$RANDOM" ;;
	*) SERVER_LOG="$db.log.$RANDOM" ;;
	esac
	: >>"$SERVER_LOG"
	_t_logs+=("$SERVER_LOG")
	if [ -n "$listen" ]; then
		"$FIELDSYNCD_BIN" serve --db "$db" --listen "$listen" "$@" \
			2>>"$SERVER_LOG" &
	else
		"$FIELDSYNCD_BIN" serve --db "$db" "$@" 2>>"$SERVER_LOG" &
	fi
	SERVER_PID=$!
	at_exit "kill -KILL $SERVER_PID"
	SERVER_PORT=
	for ((i = 0; i < 100; i++)); do
		SERVER_PORT=$(sed -n 's/^fieldsyncd: listening on [a-z]*:\/\/[^ ]*:\([0-9][0-9]*\) .*/\1/p' \
			"$SERVER_LOG" | tail -1)
		[ -n "$SERVER_PORT" ] && break
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.05
	done
	if [ -z "$SERVER_PORT" ]; then
		diag "fieldsyncd did not start:" "$(cat "$SERVER_LOG")"
		return 1
	fi
	SERVER_URL="$scheme://127.0.0.1:$SERVER_PORT"
}

# server_logs: every log of a fieldsyncd this script started, in order.
_t_logs=()
server_logs() { cat "${_t_logs[@]}"; }

stop_server() {
	kill -"${1:-TERM}" "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID" 2>/dev/null
	SERVER_RC=$?
}

# ---- sync helpers (tests/e2e/sync_*.t) -------------------------------
#   sync_server DIR [SERVE_OPTIONS...]
#                          fieldsyncd init DIR/server.db and start_server it;
#                          sets SDB (the server db) besides SERVER_*; in the
#                          HTTPS run (FIELDSYNC_SCHEME=https, tests/run.sh)
#                          it serves HTTPS with the script's certificate,
#                          which sync_device, curl and fstool then trust
#                          (CURL_CA_BUNDLE); SCHEME is http or https for the
#                          URLs a suite builds itself (a proxy's)
#   sync_device VAR NAME [ENROLL_OPTIONS...]
#                          init a device store under a fresh dir, enroll it
#                          with a new token at $SERVER_URL; sets VAR to its
#                          dir and VAR_ID to its device id; returns enroll's
#                          status
#   fsd DIR ARGS...        $FIELDSYNC_BIN --dir DIR ARGS...
#   sync_visits N TAG      print N JSON lines for `fieldsync import`: visits
#                          with Vietnamese and Lao text, leader "TAG n"
#   sq DB SQL              sqlite3 -batch DB SQL (read what a store holds)
#   ssq SQL                SQL on the server's database ($SDB), SQLite or
#                          PostgreSQL (portable SQL only)
#   sync_until DIR MAX     run `fsd DIR sync` until exit 0, at most MAX
#                          times; sets SYNC_TRIES and SYNC_RC
sync_server() {
	# FIELDSYNC_TEST_DB: the (empty) database to use instead of a new one
	# (see server_pg.t); else new_db's choice of backend.
	SDB=${FIELDSYNC_TEST_DB:-$(new_db "$1/server.db")} || return 1
	shift
	"$FIELDSYNCD_BIN" init --db "$SDB" >/dev/null 2>&1 || return 1
	start_server "$SDB" "$@"
}

sync_device() {
	local var=$1 name=$2 dir tok id
	shift 2
	dir=$(tmpdir)/dev
	printf -v "$var" '%s' "$dir"
	id=$("$FIELDSYNC_BIN" --dir "$dir" init --name "$name" 2>/dev/null) ||
		return 1
	printf -v "${var}_ID" '%s' "$id"
	tok=$("$FIELDSYNCD_BIN" token create --db "$SDB" --name "$name" \
		--role expert 2>/dev/null) || return 1
	local a link=
	# The HTTPS run: as a field device is enrolled, by the link that pins
	# the server's key (SPEC 10.11), unless the suite gives a --cacert.
	if [ "${SERVER_URL%%:*}" = https ] && [ "$SCHEME" = https ]; then
		link=1
		for a in "$@"; do [ "$a" = --cacert ] && link=; done
	fi
	if [ -n "$link" ]; then
		link=$("$FIELDSYNCD_BIN" token create --db "$SDB" --name "$name" \
			--role expert --url "$SERVER_URL" \
			--tls-cert "$_T_TLS/cert.pem" 2>/dev/null | sed -n 2p)
		[ -n "$link" ] || return 1
		"$FIELDSYNC_BIN" --dir "$dir" enroll "$link" "$@" >/dev/null
		return
	fi
	"$FIELDSYNC_BIN" --dir "$dir" enroll "$SERVER_URL" "$tok" "$@" \
		>/dev/null
}

fsd() {
	local dir=$1
	shift
	"$FIELDSYNC_BIN" --dir "$dir" "$@"
}

sync_visits() {
	awk -v n="$1" -v tag="$2" 'BEGIN {
		split("Attapeu Champasak Salavan Sekong", p, " ")
		for (i = 1; i <= n; i++)
			printf "{\"kind\":\"visit\",\"fields\":{\"direction\":\"out\",\"province\":\"%s\",\"leader\":\"%s %d\",\"title\":\"Giám đốc Sở Y tế\",\"host\":\"ພະແນກສາທາລະນະສຸກແຂວງ\",\"members\":\"%d\",\"sector\":\"health\",\"start\":\"2026-04-10\",\"end\":\"2026-04-12\",\"purpose\":\"Khảo sát nhu cầu đào tạo\"}}\n", p[1 + i % 4], tag, i, 1 + i % 9
	}'
}

sq() {
	case $1 in
	postgresql://* | postgres://* | *=*) psql -X -q -At "$1" -c "$2" ;;
	*) sqlite3 -batch "$1" "$2" ;;
	esac
}
# sdump: the server's records as srvdump prints them, from $SDB (a SQLite
# file, or a PostgreSQL database read with psql).
sdump() {
	local tool=${FIELDSYNC_TOOLS:-$(dirname "$0")/../../build/tests/tools}/srvdump
	case $SDB in
	*://* | *=*) ssq "SELECT id || ' ' || encode(convert_to(state, 'UTF8'), 'hex') FROM records ORDER BY id" |
		"$tool" - ;;
	*) "$tool" "$SDB" ;;
	esac
}
# ssq SQL: the server database's answer (SDB: a SQLite file or a PostgreSQL
# URL or connection string), one row a line, columns joined by |.
ssq() {
	case $SDB in
	*://* | *=*) psql -X -q -At "$SDB" -c "$1" ;;
	*) sqlite3 -batch "$SDB" "$1" ;;
	esac
}

sync_until() {
	local dir=$1 max=$2
	SYNC_TRIES=0
	SYNC_RC=1
	while [ "$SYNC_TRIES" -lt "$max" ]; do
		SYNC_TRIES=$((SYNC_TRIES + 1))
		"$FIELDSYNC_BIN" --dir "$dir" sync >/dev/null 2>>"$dir.synclog"
		SYNC_RC=$?
		[ "$SYNC_RC" -eq 0 ] && return 0
	done
	return 1
}

# ---- HQ's own signed changes (tests of who may change what) ------------
#   hq_push CHANGES        CHANGES: a JSON array as `fstool mkset` reads it
#                          ({id,kind,op,fields?,base?,to?,reason?}). The
#                          set is signed with HQ's own key (hqkey_of), in
#                          HQ's chain as the server holds it (seq, head),
#                          its HLCs above every HLC the server has seen (as
#                          HQ's resolutions are, SPEC 9.5), and pushed
#                          through POST /v2/push with an HQ session: the
#                          path any HQ-signed change takes. Sets HQ_CODE
#                          (HTTP status) and HQ_BODY; returns 0 on 2xx.
#                          With HQ_CACERT set (a TLS server), it trusts
#                          that certificate.
# raw_device DIR: a field device that exists only as a key in DIR (fstool
# keygen), enrolled with a fresh token and signed in: RAW_KEY=DIR,
# RAW_SESSION its bearer session, RAW_OUT where raw_push leaves the answer.
# For the sets a client would refuse to make (another device's record).
raw_device() {
	local tool=${FIELDSYNC_TOOLS:-$(dirname "$0")/../../build/tests/tools}/fstool tok
	RAW_KEY=$1
	RAW_OUT=$1/out
	"$tool" keygen "$RAW_KEY" >/dev/null || return 1
	tok=$("$FIELDSYNCD_BIN" token create --db "$SDB" --name "Máy lạ" \
		--role expert 2>/dev/null | tail -1)
	printf '{"token":"%s","public_key":"%s","name":"raw"}' "$tok" \
		"$(cat "$RAW_KEY/pk")" |
		curl -s -o /dev/null -H 'Content-Type: application/json' \
			--data-binary @- "$SERVER_URL/v2/enroll"
	RAW_SESSION=$("$tool" session --key "$RAW_KEY" --url "$SERVER_URL" 2>/dev/null)
	[ -n "$RAW_SESSION" ]
}

# raw_push CHANGES: push one set of CHANGES (a JSON array) signed with
# raw_device's key; prints the HTTP status, the body is in $RAW_OUT.
raw_push() {
	local tool=${FIELDSYNC_TOOLS:-$(dirname "$0")/../../build/tests/tools}/fstool
	printf '%s' "$1" | "$tool" mkset --key "$RAW_KEY" --no-save >"$RAW_KEY/set.json" || return 1
	jq -c '{sets: [.]}' "$RAW_KEY/set.json" | curl -s -o "$RAW_OUT" -w '%{http_code}' \
		-H 'Content-Type: application/json' -H "Authorization: Bearer $RAW_SESSION" \
		--data-binary @- "$SERVER_URL/v2/push"
}

hq_push() {
	local k="$_T_ROOT/hqkey.$RANDOM" sk hq seq head hlc sess tool
	tool=${FIELDSYNC_TOOLS:-$(dirname "$0")/../../build/tests/tools}/fstool
	mkdir -p "$k" && chmod 700 "$k"
	sk=$(tr -d '\n' <"$(hqkey_of "$SDB")")
	hq=$(sq "$SDB" "SELECT value FROM meta WHERE key = 'hq_device'")
	seq=$(sq "$SDB" "SELECT head_seq FROM devices WHERE id = '$hq'")
	head=$(sq "$SDB" "SELECT lower(hex(head_hash)) FROM devices WHERE id = '$hq'")
	[ -n "$head" ] || head=$(printf '0%.0s' $(seq 1 64))
	hlc=$(sq "$SDB" "SELECT max(last_hlc) FROM devices")
	(umask 077
	 printf '%s\n' "$sk" >"$k/sk"
	 printf '%s\n' "${sk:64:64}" >"$k/pk"
	 printf '%s\n' "$hq" >"$k/id"
	 printf '%s\n' "$seq" >"$k/seq"
	 printf '%s\n' "$head" >"$k/head"
	 printf '%016x\n' "${hlc:-0}" >"$k/hlc")
	printf '%s' "$1" | "$tool" mkset --key "$k" >"$k/set.json" || return 1
	local ca=()
	[ -z "${HQ_CACERT:-}" ] || ca=(--cacert "$HQ_CACERT")
	sess=$("$tool" session --key "$k" --url "$SERVER_URL" "${ca[@]}") || return 1
	HQ_BODY=$(jq -c '{sets: [.]}' "$k/set.json" |
		curl -s --max-time 20 "${ca[@]}" -w '\n%{http_code}' \
			-H 'Content-Type: application/json' \
			-H "Authorization: Bearer $sess" --data-binary @- \
			"$SERVER_URL/v2/push")
	HQ_CODE=${HQ_BODY##*$'\n'}
	HQ_BODY=${HQ_BODY%$'\n'*}
	rm -rf "$k"
	[ "${HQ_CODE:0:1}" = 2 ]
}

# ---- the server's backend ----------------------------------------------
# FIELDSYNC_BACKEND=postgresql (tests/run.sh sets it for its second run of
# the server and sync suites) puts every server database a suite makes with
# new_db or sync_server on PostgreSQL: a fresh database of its own on the
# cluster whose socket directory is FIELDSYNC_PG_HOST (tests/run.sh starts
# one for the whole run; a suite run alone starts its own here). Unset or
# "sqlite": SQLite files, as fieldsyncd's default. The assertions stay the
# same; what reads the server's database goes through these:
#   backend                print "sqlite" or "postgresql"
#   sqlite_only REASON     in a PostgreSQL run, skip the whole script
#                          (1..0 # SKIP REASON): for what only a SQLite
#                          file has (its disk, its locks, its file format)
#   new_db PATH            print the database to use: PATH on SQLite, the
#                          URL of a new empty database on PostgreSQL
#   sq DB SQL              (above) SQL on DB, a SQLite file or a URL; the
#                          PostgreSQL databases new_db makes have hex(bytea)
#                          json_extract(text, '$.a.b') and
#                          instr(text, text) as SQLite does
#   side_file DB SUFFIX    print the file fieldsyncd keeps beside DB
#                          (.hqkey, .targets): DB.SUFFIX for SQLite, in
#                          FIELDSYNCD_STATE_DIR for PostgreSQL
#   hqkey_of DB            print the file that holds HQ's secret key
#   db_intact DB           print "ok" if DB passes its engine's check
#                          (SQLite integrity_check; PostgreSQL amcheck of
#                          every index: bt_index_check with heapallindexed)
#   sql_blob HEX           print a literal of the bytes HEX for SQL on $SDB
#   set_change_ids [WHERE] print the id of every change of the sets on the
#                          server ($SDB), one per line; WHERE: a condition
#                          on the sets table (device = '...')
#   db_files DB            print the SQLite file and its -wal/-shm (for
#                          copies of a store); nothing on PostgreSQL
backend() {
	case ${FIELDSYNC_BACKEND:-sqlite} in
	postgresql | pg) echo postgresql ;;
	*) echo sqlite ;;
	esac
}

sqlite_only() {
	if [ "$(backend)" = postgresql ]; then
		echo "1..0 # SKIP on SQLite only: $*"
		exit 0
	fi
}

_t_pg_compat="CREATE FUNCTION hex(bytea) RETURNS text LANGUAGE sql IMMUTABLE
	AS \$\$SELECT upper(encode(\$1, 'hex'))\$\$;
CREATE FUNCTION json_extract(text, text) RETURNS text LANGUAGE sql IMMUTABLE
	AS \$\$SELECT (\$1::jsonb) #>> string_to_array(substr(\$2, 3), '.')\$\$;
CREATE FUNCTION instr(text, text) RETURNS integer LANGUAGE sql IMMUTABLE
	AS \$\$SELECT strpos(\$1, \$2)\$\$;
CREATE EXTENSION IF NOT EXISTS amcheck;"

new_db() {
	local name
	if [ "$(backend)" = sqlite ]; then
		printf '%s\n' "$1"
		return 0
	fi
	name=$(basename "$0" .t | tr -c 'a-z0-9_\n' _)
	name="t_${name}_$$_${RANDOM}${RANDOM}"
	psql -X -q -At -h "$FIELDSYNC_PG_HOST" -U fieldsync -d postgres \
		-c "CREATE DATABASE $name" >/dev/null || return 1
	psql -X -q -At -h "$FIELDSYNC_PG_HOST" -U fieldsync -d "$name" \
		-c "$_t_pg_compat" >/dev/null || return 1
	printf 'postgresql:///%s?host=%s&user=fieldsync\n' "$name" "$FIELDSYNC_PG_HOST"
}

side_file() {
	local db=$1 name host
	case $db in
	postgresql://* | postgres://*)
		name=${db#*:///}
		name=${name%%\?*}
		host=${db#*host=}
		host=${host%%&*}
		printf '%s/pg-%s@%s%s\n' "$FIELDSYNCD_STATE_DIR" "$name" \
			"$(printf '%s' "$host" | sed 's/[^-_.@0-9a-zA-Z]/_/g')" "$2"
		;;
	*) printf '%s%s\n' "$db" "$2" ;;
	esac
}

hqkey_of() { side_file "$1" .hqkey; }

db_intact() {
	case $1 in
	postgresql://* | postgres://*)
		psql -X -q -At "$1" -v ON_ERROR_STOP=1 -c "SELECT count(bt_index_check(c.oid, true))
			FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
			JOIN pg_namespace n ON n.oid = c.relnamespace
			JOIN pg_am a ON a.oid = c.relam
			WHERE n.nspname = 'public' AND a.amname = 'btree'" >/dev/null &&
			echo ok
		;;
	*) sqlite3 -batch "$1" 'PRAGMA integrity_check' ;;
	esac
}

sql_blob() {
	case $SDB in
	postgresql://* | postgres://*) printf "decode('%s', 'hex')" "$1" ;;
	*) printf "X'%s'" "$1" ;;
	esac
}

set_change_ids() {
	sq "$SDB" "SELECT hex(bytes) FROM sets${1:+ WHERE $1} ORDER BY cursor" |
		perl -ne 'chomp; print pack("H*", $_), "\n"' | jq -r '.changes[].id'
}

db_files() {
	case $1 in
	postgresql://* | postgres://*) ;;
	*) printf '%s\n' "$1" "$1-wal" "$1-shm" ;;
	esac
}

if [ "$(backend)" = postgresql ]; then
	if ! _t_why=$(sh "${FIELDSYNC_ROOT:-$(dirname "$0")/../..}/tests/tools/pgcluster.sh" check); then
		echo "1..0 # SKIP $_t_why"
		exit 0
	fi
	if [ -z "${FIELDSYNC_PG_HOST:-}" ]; then
		FIELDSYNC_PG_HOST=$(mktemp -d /tmp/fieldsync-pg.XXXXXX) || exit 255
		sh "${FIELDSYNC_ROOT:-$(dirname "$0")/../..}/tests/tools/pgcluster.sh" \
			start "$FIELDSYNC_PG_HOST" || exit 255
		at_exit "sh '${FIELDSYNC_ROOT:-$(dirname "$0")/../..}/tests/tools/pgcluster.sh' stop '$FIELDSYNC_PG_HOST'"
		export FIELDSYNC_PG_HOST
	fi
	if [ -z "${FIELDSYNCD_STATE_DIR:-}" ]; then
		export FIELDSYNCD_STATE_DIR="$_T_ROOT/state"
		mkdir -p "$FIELDSYNCD_STATE_DIR"
	fi
fi

# ---- the transport ------------------------------------------------------
SCHEME=http
if [ "${FIELDSYNC_SCHEME:-http}" = https ]; then
	SCHEME=https
	_T_TLS="$_T_ROOT/tls"
	mkdir -p "$_T_TLS" && make_cert "$_T_TLS" || {
		echo "Bail out! cannot make a certificate (openssl)"
		exit 255
	}
	export CURL_CA_BUNDLE="$_T_TLS/cert.pem"
fi

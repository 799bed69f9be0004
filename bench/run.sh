#!/bin/sh
# bench/run.sh — the fieldsync sync benchmark (`make bench` runs it after
# building). Everything runs on 127.0.0.1 against the real binaries in
# $BUILD (default build/), in one temporary directory removed at exit; every
# process it starts is killed at exit; every step is bounded by `timeout` and
# the whole run by a time budget (BENCH_BUDGET seconds, default 1500), so a
# hung or slow step is reported, not waited for. PostgreSQL runs on a
# cluster of the bench's own (initdb + pg_ctl in a temporary directory, a
# Unix socket only, stopped at exit); without PostgreSQL its rows say
# "skipped" and the run does not fail for it.
#
# Scenarios (see bench/README.md for how to read the figures):
#   loopback  for N in BENCH_SIZES (default "1000 10000 100000"): a fresh
#             server; device A imports N entries (bench/gen.c) and pushes them
#             in one `fieldsync sync`; a fresh device B pulls them in one sync;
#             then 1% of A's entries are edited, A syncs, B syncs.
#             The same on PostgreSQL for N in BENCH_PG_SIZES (100000).
#   devices   BENCH_DEVICES (50) devices with BENCH_PER_DEVICE (200) entries
#             each all start `fieldsync sync` at once against a fresh server.
#   crowd     BENCH_CROWD (500) devices with BENCH_CROWD_PER_DEVICE (200)
#             entries each, all started at once: on SQLite through one
#             fieldsyncd, on PostgreSQL through BENCH_PG_PROCS (2) fieldsyncd
#             on one database, devices alternating between them.
#             The largest SQLite size (BENCH_GZIP_N, 100000) is pulled once
#             more by a device asking for gzip, the older encoding.
#   field     through tests/tools/faultproxy shaping the link (bandwidth each
#             way, delay, the TCP handshake's round trip), on each link of
#             BENCH_FIELD_LINKS ("2G 3G": 100/200 kbit/s and 400 ms RTT,
#             1,000/2,000 kbit/s and 150 ms), over each of BENCH_FIELD_SCHEMES
#             ("http https"; the certificate is made at bench time), five
#             syncs, each one `fieldsync` process: (a) 10 new entries,
#             nothing to pull; (b) 10 new and 50 to pull; (c) idle; (d)
#             BENCH_FIELD_N (5000) pushed; (e) those pulled to a fresh
#             device. On 2G over HTTPS, (a) and (d) again with gzip.
# It prints one table (with the machine's description) and writes it to
# BENCH_OUT (default bench/RESULTS.md). Exit status: 0 when every scenario
# ran and its consistency checks passed (targets missed do not fail the
# run: they are reported), 1 otherwise, 2 when a binary is missing.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
FS=$ROOT/$BUILD/fieldsync
FSD=$ROOT/$BUILD/fieldsyncd
PROXY=$ROOT/$BUILD/tests/tools/faultproxy
SIZES=${BENCH_SIZES:-"1000 10000 100000"}
DEVICES=${BENCH_DEVICES:-50}
PER_DEVICE=${BENCH_PER_DEVICE:-200}
FIELD_N=${BENCH_FIELD_N:-5000}
PG_SIZES=${BENCH_PG_SIZES:-100000}
CROWD=${BENCH_CROWD:-500}
CROWD_PER=${BENCH_CROWD_PER_DEVICE:-200}
PG_PROCS=${BENCH_PG_PROCS:-2}
SETUP_JOBS=${BENCH_SETUP_JOBS:-4}
RETRIES=${BENCH_RETRIES:-5}
CROWD_LIMIT=${BENCH_CROWD_LIMIT:-180}
BUDGET=${BENCH_BUDGET:-1500}
KEEP=${BENCH_KEEP:-}
OUT=${BENCH_OUT:-$ROOT/bench/RESULTS.md}

GZIP_N=${BENCH_GZIP_N:-100000}
FIELD_LINKS=${BENCH_FIELD_LINKS:-"2G 3G"}
FIELD_SCHEMES=${BENCH_FIELD_SCHEMES:-"http https"}
GZIP_LINK=2G

# The field links, as issue 15 defines them: NAME:UP_BPS:DOWN_BPS:DELAY_MS
# (the delay is one way: the round trip is twice it).
LINKS="2G:100000:200000:200 3G:1000000:2000000:75"

# Targets (compared below, never assumed): issue 15's for the loopback
# 100,000 and the field link, issue 6's for the rest.
T_PUSH_S=1.5        # 100,000 entries pushed and applied, seconds (<)
T_PULL_S=1.5        # 100,000 entries pulled to a fresh device, seconds (<)
T_BYTES=120         # bytes on the wire per entry pushed, loopback (<)
T_CLIENT_MB=32      # client peak RSS, 100,000 entries on loopback, MB (<)
T_CROWD_MB=48       # client peak RSS of a device in a crowd, MB (<)
T_SERVER_MB=96      # server peak RSS with 50 devices syncing, MB (<)
T_RATIO=1.5         # field (d), (e): wall time / the ideal time (<=)
T_A_S=1.6           # 2G, HTTPS, (a): wall time, seconds (<=)
T_A_RT=3            # 2G, HTTPS, (a): round trips, handshakes included (<=)
T_C_S=1.3           # 2G, HTTPS, (c): wall time, seconds (<=)
T_A_BPE=60          # (a): bytes per entry pushed (<=)
T_D_BPE=50          # (d): bytes per entry pushed (<=)

die() { echo "bench: $*" >&2; exit 2; }

# The options of the field links, checked before anything starts: a name
# that is not a link or a scheme, or a count that is not a number, would
# otherwise surface as a proxy or an enrollment that "failed".
count_ok() { # count_ok NAME VALUE MIN: a whole number from MIN to 10,000,000
	case $2 in
	'' | *[!0-9]*) die "$1 must be a whole number, not \"$2\"" ;;
	esac
	[ "${#2}" -le 8 ] && [ "$2" -ge "$3" ] && [ "$2" -le 10000000 ] ||
		die "$1 must be from $3 to 10000000, not $2"
}
count_ok BENCH_FIELD_N "$FIELD_N" 1
count_ok BENCH_GZIP_N "$GZIP_N" 0
for ln in $FIELD_LINKS; do
	case " $(echo "$LINKS" | sed 's/:[^ ]*//g') " in
	*" $ln "*) ;;
	*) die "BENCH_FIELD_LINKS: no link \"$ln\" (the links: $(echo "$LINKS" | sed 's/:[^ ]*//g'))" ;;
	esac
done
for sch in $FIELD_SCHEMES; do
	case $sch in
	http | https) ;;
	*) die "BENCH_FIELD_SCHEMES: \"$sch\" is not http or https" ;;
	esac
done

for b in "$FS" "$FSD" "$PROXY"; do
	[ -x "$b" ] || die "$b is missing: run \`make\` first"
done
"$FS" import --help >/dev/null 2>&1 ||
	die "$FS has no \`import\` command (needed to create entries fast)"
command -v timeout >/dev/null 2>&1 || die "timeout (coreutils) is missing"
command -v cc >/dev/null 2>&1 || die "cc is missing (to build bench/gen.c)"
case " $FIELD_SCHEMES " in
*" https "*) command -v openssl >/dev/null 2>&1 ||
	die "openssl is missing (to make the field link's certificate)" ;;
esac
HAVE_TIME=
[ -x /usr/bin/time ] && HAVE_TIME=1
HAVE_SQLITE=
command -v sqlite3 >/dev/null 2>&1 && HAVE_SQLITE=1
# PostgreSQL: the newest /usr/lib/postgresql/*/bin (or BENCH_PGBIN), and
# psql for the consistency checks. PG_SKIP says why its rows are skipped
# ("" when they run); a skip for want of PostgreSQL does not fail the run.
PGBIN=${BENCH_PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
PG_SKIP=
if [ "${BENCH_PG:-1}" = 0 ]; then
	PG_SKIP="skipped: BENCH_PG=0"
elif [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_ctl" ] ||
	! command -v psql >/dev/null 2>&1; then
	PG_SKIP="skipped: PostgreSQL not installed"
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/fieldsync-bench.XXXXXX") || die "mktemp failed"
PIDS=
PGD=
PG_UP=
PG_USER=
cleanup() {
	for p in $PIDS; do
		kill -KILL "$p" 2>/dev/null
	done
	[ -n "$PG_UP" ] &&
		pg_as "$PGBIN/pg_ctl" -D "$PGD/data" -m immediate stop >/dev/null 2>&1
	[ -n "$PGD" ] && rm -rf "$PGD"
	if [ -n "$KEEP" ]; then
		echo "bench: BENCH_KEEP: the run's files are in $W" >&2
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Run copies of the binaries: others may rebuild build/ while this runs, and
# a binary replaced mid-run would mix two versions in one table.
mkdir -p "$W/bin" &&
	cp "$FS" "$FSD" "$PROXY" "$W/bin/" || die "cannot copy the binaries"
FS=$W/bin/fieldsync
FSD=$W/bin/fieldsyncd
PROXY=$W/bin/faultproxy

# The HTTPS rows' certificate, made now (self-signed, for 127.0.0.1; the
# devices pin it through their enrollment links): ECDSA P-256, as
# server/README.md advises for field links (its handshake is 580 bytes
# shorter than RSA 2048's).
TLS=$W/tls
mkdir -p "$TLS" &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-keyout "$TLS/key.pem" -out "$TLS/cert.pem" -subj "/CN=localhost" \
		-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" >/dev/null 2>&1 ||
	case " $FIELD_SCHEMES " in
	*" https "*) die "cannot make a certificate (openssl)" ;;
	esac

T0=$(date +%s)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
DEADLINE=$((T0 + BUDGET))
RES=$W/results
: >"$RES"
FAILS=0

# ---- small helpers ------------------------------------------------------
now_ns() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
put() { printf '%s=%s\n' "$1" "$2" >>"$RES"; }
get() {
	awk -v k="$1" 'index($0, k "=") == 1 { v = substr($0, length(k) + 2) }
		END { print v }' "$RES"
}
# json_num FILE KEY: a number from one line of `sync --json` or proxy stats.
json_num() {
	sed -n "s/.*\"$2\":\\([0-9.]*\\).*/\\1/p" "$1" 2>/dev/null | tail -1
}
# rss_kb TIMEFILE: "Maximum resident set size" of /usr/bin/time -v, in KiB.
# (the largest, when the file holds several runs: time -a).
rss_kb() {
	sed -n 's/.*Maximum resident set size (kbytes): *\([0-9]*\).*/\1/p' \
		"$1" 2>/dev/null | awk '$1 > m { m = $1 } END { if (NR) print m }'
}
# hwm_kb PID: peak resident set size so far of a running process, in KiB.
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
# cpu_s TIMEFILE: user + system CPU seconds of /usr/bin/time -v.
cpu_s() {
	awk -F': *' '/User time \(seconds\)|System time \(seconds\)/ { t += $2; n++ }
		END { if (n) printf "%.2f", t }' "$1" 2>/dev/null
}
# proc_ticks PID: user + system CPU of a running process, in clock ticks.
proc_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }
TICK=$(getconf CLK_TCK 2>/dev/null || echo 100)
left() { echo $((DEADLINE - $(date +%s))); }
# lim SECONDS: that limit, cut to what remains of the budget (at least 1).
lim() {
	l=$1
	r=$(left)
	[ "$r" -lt "$l" ] && l=$r
	[ "$l" -lt 1 ] && l=1
	echo "$l"
}
fail() {
	FAILS=$((FAILS + 1))
	echo "bench: $*" >&2
	printf '%s\n' "$*" >>"$W/failures"
}
log() { printf '[%4ss] %s\n' "$(($(date +%s) - T0))" "$*" >&2; }

# run_timed LIMIT TIMEFILE CMD...: CMD under timeout, with /usr/bin/time -v
# adding its peak RSS and CPU to TIMEFILE when /usr/bin/time exists. timeout
# signals its whole process group, so CMD dies with /usr/bin/time.
run_timed() {
	_l=$1 _tf=$2
	shift 2
	if [ -n "$HAVE_TIME" ]; then
		timeout -k 5 "$_l" /usr/bin/time -a -v -o "$_tf" "$@"
	else
		: >"$_tf"
		timeout -k 5 "$_l" "$@"
	fi
}

# ---- PostgreSQL ------------------------------------------------------------
# The cluster belongs to the bench: initdb in a directory of its own (outside
# W, which only its owner may enter), a Unix socket in that directory and no
# TCP port, fsync and synchronous_commit on (a 2xx means committed, as with
# SQLite's synchronous=FULL); as root it runs as postgres (or nobody), since
# initdb refuses root. Stopped (immediate) and removed at exit.
pg_as() {
	if [ -n "$PG_USER" ]; then
		runuser -u "$PG_USER" -- "$@"
	else
		"$@"
	fi
}
pg_start() {
	PGD=$(mktemp -d "${TMPDIR:-/tmp}/fieldsync-bench-pg.XXXXXX") || return 1
	if [ "$(id -u)" = 0 ]; then
		PG_USER=postgres
		id -u postgres >/dev/null 2>&1 || PG_USER=nobody
		chown "$PG_USER" "$PGD" || return 1
	fi
	pg_as "$PGBIN/initdb" -D "$PGD/data" -U fieldsync --auth=trust \
		-E UTF8 --locale=C.UTF-8 >"$W/initdb.log" 2>&1 || {
		tail -5 "$W/initdb.log" >&2
		return 1
	}
	pg_as "$PGBIN/pg_ctl" -D "$PGD/data" -w -t 60 -l "$PGD/log" \
		-o "-c listen_addresses='' -c unix_socket_directories='$PGD' -c fsync=on -c synchronous_commit=on" \
		start >/dev/null 2>&1 || {
		tail -5 "$PGD/log" >&2
		return 1
	}
	PG_UP=1
	# HQ's key of a PostgreSQL store lives in the state directory.
	FIELDSYNCD_STATE_DIR=$W/state
	export FIELDSYNCD_STATE_DIR
	mkdir -p "$FIELDSYNCD_STATE_DIR"
}
# pg_sql DBNAME SQL: one statement on the bench's cluster, rows on stdout.
pg_sql() { psql -X -q -At -h "$PGD" -U fieldsync -d "$1" -c "$2"; }
# pg_ticks: CPU of the whole cluster so far, in clock ticks: the postmaster
# (with the children it has reaped: backends that ended) plus every live
# child (backends, checkpointer, WAL writer...).
pg_ticks() {
	_pm=$(head -1 "$PGD/data/postmaster.pid" 2>/dev/null)
	[ -n "$_pm" ] || return 0
	for _f in /proc/[0-9]*/stat; do
		cat "$_f" 2>/dev/null
		echo
	done | awk -v pm="$_pm" 'NF {
		pid = $1; s = $0; sub(/^.*\) /, "", s); split(s, f, " ")
		# f[2] ppid, f[12] utime, f[13] stime, f[14] cutime, f[15] cstime
		if (pid == pm) t += f[12] + f[13] + f[14] + f[15]
		else if (f[2] == pm) t += f[12] + f[13] }
		END { print t + 0 }'
}

# ---- server, proxy, devices --------------------------------------------
# init_db DIR BACKEND NAME: a fresh database, DIR/server.db (sqlite) or the
# database NAME on the bench's cluster (pg), made by `fieldsyncd init`.
# Sets SDB (the --db value), SBACK and SPGDB (the PostgreSQL name, or "").
init_db() {
	SBACK=$2
	SPGDB=
	case $2 in
	pg)
		SPGDB=$3
		pg_sql postgres "CREATE DATABASE $3" >/dev/null 2>"$1/init.log" ||
			{ cat "$1/init.log" >&2; return 1; }
		SDB="postgresql:///$3?host=$PGD&user=fieldsync"
		;;
	*) SDB=$1/server.db ;;
	esac
	"$FSD" init --db "$SDB" >"$1/init.log" 2>&1 ||
		{ cat "$1/init.log" >&2; return 1; }
}

# serve DIR K [SERVE OPTIONS...]: fieldsyncd number K on SDB, on 127.0.0.1,
# any free port, its log DIR/serverK.log. Appends its pid to SPS and its URL
# to SURLS; sets SP and SURL to the first process's.
SPS=
SURLS=
serve() {
	_dir=$1 _k=$2
	shift 2
	_log=$_dir/server$_k.log
	: >"$_log"
	"$FSD" serve --db "$SDB" --listen 127.0.0.1:0 "$@" 2>"$_log" &
	_p=$!
	PIDS="$PIDS $_p"
	_port=
	_i=0
	while [ "$_i" -lt 200 ]; do
		_port=$(sed -n 's/^fieldsyncd: listening on [a-z]*:\/\/[^ ]*:\([0-9][0-9]*\) .*/\1/p' \
			"$_log" | tail -1)
		[ -n "$_port" ] && break
		kill -0 "$_p" 2>/dev/null || break
		sleep 0.05
		_i=$((_i + 1))
	done
	[ -n "$_port" ] || { cat "$_log" >&2; return 1; }
	[ -n "$SPS" ] || { SP=$_p; SURL=http://127.0.0.1:$_port; SPORT=$_port; }
	SPS="$SPS $_p"
	SURLS="$SURLS http://127.0.0.1:$_port"
}

# start_server DIR [BACKEND NAME]: init_db + one serve (sqlite by default).
# Sets SP (its pid), SDB, SPORT, SURL.
start_server() {
	SPS=
	SURLS=
	init_db "$1" "${2:-sqlite}" "${3:-}" || return 1
	serve "$1" 1
}

# servers_ticks: CPU of every running server (SPS) so far, in clock ticks.
servers_ticks() {
	for _p in $SPS; do proc_ticks "$_p"; done | awk '{ t += $1 } END { print t + 0 }'
}

# stop_server [keep]: read every server's peak RSS (VmHWM) just before
# SIGTERM, then wait for them to stop (SIGKILL after 15 s). Sets SRSS_KB
# (the first process's) and SRSS_ALL (each one's, in the order started);
# drops the scenario's PostgreSQL database unless told to keep it (then
# drop_db does).
stop_server() {
	SRSS_KB=$(hwm_kb "$SP")
	SRSS_ALL=
	for _p in $SPS; do
		SRSS_ALL="$SRSS_ALL $(hwm_kb "$_p")"
		kill -TERM "$_p" 2>/dev/null
	done
	for _p in $SPS; do
		_i=0
		while kill -0 "$_p" 2>/dev/null && [ "$_i" -lt 150 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		kill -KILL "$_p" 2>/dev/null
		wait "$_p" 2>/dev/null
	done
	SPS=
	SURLS=
	[ "${1:-}" = keep ] || drop_db
}
drop_db() {
	[ -n "$SPGDB" ] && pg_sql postgres "DROP DATABASE $SPGDB" >/dev/null 2>&1
	SPGDB=
}

# new_device DIR NAME URL: init a store and enroll it with a fresh token.
new_device() {
	"$FS" --dir "$1" init --name "$2" >/dev/null 2>"$1.err" || return 1
	_tok=$("$FSD" token create --db "$SDB" --name "$2" --role expert \
		2>>"$1.err") || return 1
	timeout 60 "$FS" --dir "$1" enroll "$3" "$_tok" >/dev/null 2>>"$1.err"
}

# ticks_s T0 T1: clock ticks T1 - T0 as seconds ("" when one is missing).
ticks_s() {
	[ -n "$1" ] && [ -n "$2" ] &&
		awk -v a="$1" -v b="$2" -v t="$TICK" 'BEGIN { printf "%.2f", (b - a) / t }'
}

# timed_sync DIR TAG LIMIT [SYNC OPTIONS...]: one `fieldsync sync --json`,
# timed.
# Sets S_SEC, S_RC, S_RSS (KiB), S_CPU (client CPU s), S_SCPU (the server's
# CPU seconds meanwhile), S_PGCPU (PostgreSQL's, on that backend) and
# S_JSON (its output file).
timed_sync() {
	S_JSON=$W/$2.json
	_g0=
	[ "$SBACK" = pg ] && _g0=$(pg_ticks)
	_t0=$(proc_ticks "$SP")
	_s=$(now_ns)
	_dir=$1 _tag=$2 _lim=$3
	shift 3
	run_timed "$(lim "$_lim")" "$W/$_tag.time" "$FS" --dir "$_dir" sync --json \
		"$@" >"$S_JSON" 2>"$W/$_tag.err"
	S_RC=$?
	set -- "$_dir" "$_tag"
	_e=$(now_ns)
	S_SEC=$(secs "$_s" "$_e")
	S_RSS=$(rss_kb "$W/$2.time")
	S_CPU=$(cpu_s "$W/$2.time")
	_t1=$(proc_ticks "$SP")
	S_SCPU=$(ticks_s "$_t0" "$_t1")
	S_PGCPU=
	[ -n "$_g0" ] && S_PGCPU=$(ticks_s "$_g0" "$(pg_ticks)")
	printf '%s: %s\n' "$2" "$(cat "$S_JSON")" >>"$W/raw"
	if [ "$S_RC" -ne 0 ]; then
		fail "$2: fieldsync sync exited $S_RC after ${S_SEC}s: $(tail -c 300 "$W/$2.err" | tr '\n' ' ')"
	fi
}

# import DIR FILE TAG: `fieldsync import`, timed; checks one id per line.
import() {
	_s=$(now_ns)
	timeout -k 5 "$(lim 300)" "$FS" --dir "$1" import "$2" >"$W/$3.ids" \
		2>"$W/$3.err"
	_rc=$?
	put "$3_import_s" "$(secs "$_s" "$(now_ns)")"
	_want=$(wc -l <"$2" | tr -d ' ')
	_got=$(wc -l <"$W/$3.ids" | tr -d ' ')
	if [ "$_rc" -ne 0 ] || [ "$_got" != "$_want" ]; then
		fail "$3: import exited $_rc with $_got of $_want ids: $(tail -c 300 "$W/$3.err")"
		return 1
	fi
}

# server_sql SQL: the server database's answer, one row a line, columns
# joined by | (portable SQL only; "" for SQLite without sqlite3).
server_sql() {
	case $SBACK in
	pg) psql -X -q -At "$SDB" -c "$1" 2>/dev/null ;;
	*)
		[ -n "$HAVE_SQLITE" ] || return 0
		sqlite3 -batch "$SDB" "$1" 2>/dev/null
		;;
	esac
}
# server_records: records the server holds ("" without sqlite3).
server_records() { server_sql 'SELECT count(*) FROM records'; }

# ---- generator -----------------------------------------------------------
GEN=$W/gen
cc -std=c11 -O2 -Wall -Wextra -Werror -o "$GEN" "$ROOT/bench/gen.c" ||
	die "cannot build bench/gen.c"

# ---- scenario 1: loopback, N entries ------------------------------------
# edit_one_percent DIR TAG: edit every 100th record of DIR (in id order, so a
# spread sample), one `fieldsync edit` each, as a user would. Sets EDITS.
edit_one_percent() {
	_dir=$1
	_tag=$2
	"$FS" --dir "$_dir" dump >"$W/$_tag.dump" 2>/dev/null
	awk 'NR % 100 == 50 { print $1, $2 }' "$W/$_tag.dump" >"$W/$_tag.pick"
	EDITS=0
	_k=0
	while read -r _id _kind; do
		_k=$((_k + 1))
		if [ "$(left)" -lt 60 ]; then
			fail "$_tag: time budget: stopped editing after $EDITS edits"
			break
		fi
		# set -- holds the edit's options (the kind's own fields).
		case $_kind in
		visit) set -- --outcome "Đã cập nhật sau chuyến đi: ký biên bản $_k nội dung – ສຳເລັດ" ;;
		trip) set -- --trained "$((_k % 90 + 1))" --outcome "Bổ sung số liệu lần $_k" ;;
		model) set -- --season "Vụ mùa 2026 (điều chỉnh $_k)" ;;
		*) continue ;;
		esac
		if timeout 30 "$FS" --dir "$_dir" edit "$_id" "$@" >/dev/null \
			2>"$W/$_tag.err1"; then
			EDITS=$((EDITS + 1))
		else
			printf '%s (%s %s): %s\n' "$_k" "$_kind" "$_id" \
				"$(head -c 300 "$W/$_tag.err1")" >>"$W/$_tag.err"
		fi
	done <"$W/$_tag.pick"
	_want=$(wc -l <"$W/$_tag.pick" | tr -d ' ')
	[ "$EDITS" = "$_want" ] ||
		fail "$_tag: $EDITS of $_want edits succeeded; first errors: $(head -3 "$W/$_tag.err" | tr '\n' ' ')"
}

# scale N BACKEND: the loopback scenario on sqlite (figures n<N>_*) or pg
# (pg_n<N>_*).
scale() {
	n=$1
	k=n$n
	[ "$2" = pg ] && k=pg_n$n
	d=$W/$k
	mkdir -p "$d"
	log "loopback $n ($2): server, device A, import"
	start_server "$d" "$2" "bench_$k" || { fail "$k: server did not start"; return; }
	if ! new_device "$d/a" "Nguyễn Thị Hoa" "$SURL"; then
		fail "$k: enroll A failed: $(cat "$d/a.err")"
		stop_server
		return
	fi
	"$GEN" "$n" 1 >"$d/in.jsonl"
	put "${k}_raw_bytes" "$(wc -c <"$d/in.jsonl" | tr -d ' ')"
	import "$d/a" "$d/in.jsonl" "$k" || { stop_server; return; }

	log "loopback $n ($2): push"
	timed_sync "$d/a" "${k}_push" 300
	put "${k}_push_s" "$S_SEC"
	put "${k}_push_rc" "$S_RC"
	put "${k}_push_rss" "$S_RSS"
	put "${k}_push_changes" "$(json_num "$S_JSON" pushed_changes)"
	put "${k}_push_up" "$(json_num "$S_JSON" bytes_up)"
	put "${k}_push_down" "$(json_num "$S_JSON" bytes_down)"
	put "${k}_push_req" "$(json_num "$S_JSON" requests)"
	put "${k}_push_sets" "$(json_num "$S_JSON" pushed_sets)"
	put "${k}_push_cpu" "$S_CPU"
	put "${k}_push_scpu" "$S_SCPU"
	put "${k}_push_pgcpu" "$S_PGCPU"
	put "${k}_srss_push" "$(hwm_kb "$SP")"
	held=$(server_records)
	put "${k}_server_records" "$held"
	[ -z "$held" ] || [ "$held" = "$n" ] ||
		fail "$k: server holds $held records after the push, not $n"

	log "loopback $n ($2): pull to a fresh device B"
	if new_device "$d/b" "ສົມສັກ ພົມມະວົງ" "$SURL"; then
		timed_sync "$d/b" "${k}_pull" 300
		put "${k}_pull_s" "$S_SEC"
		put "${k}_pull_rc" "$S_RC"
		put "${k}_pull_rss" "$S_RSS"
		_p=$(json_num "$S_JSON" pulled_changes)
		put "${k}_pull_changes" "$_p"
		put "${k}_pull_down" "$(json_num "$S_JSON" bytes_down)"
		put "${k}_pull_up" "$(json_num "$S_JSON" bytes_up)"
		put "${k}_pull_req" "$(json_num "$S_JSON" requests)"
		put "${k}_pull_cpu" "$S_CPU"
		put "${k}_pull_scpu" "$S_SCPU"
		put "${k}_pull_pgcpu" "$S_PGCPU"
		put "${k}_srss_pull" "$(hwm_kb "$SP")"
		[ "$_p" = "$n" ] || fail "$k: B pulled ${_p:-?} changes, not $n"
	else
		fail "$k: enroll B failed: $(cat "$d/b.err")"
	fi

	# The older encoding beside zstd: a third device asks for gzip.
	if [ "$2" = sqlite ] && [ "$n" = "$GZIP_N" ]; then
		log "loopback $n ($2): pull to a fresh device G with --encoding gzip"
		if new_device "$d/g" "Phạm Văn Long" "$SURL"; then
			timed_sync "$d/g" "${k}_gpull" 300 --encoding gzip
			put "${k}_gpull_s" "$S_SEC"
			put "${k}_gpull_rc" "$S_RC"
			put "${k}_gpull_rss" "$S_RSS"
			_p=$(json_num "$S_JSON" pulled_changes)
			put "${k}_gpull_changes" "$_p"
			put "${k}_gpull_down" "$(json_num "$S_JSON" bytes_down)"
			[ "$_p" = "$n" ] || fail "$k: G pulled ${_p:-?} changes, not $n"
			grep -q '"encoding":"gzip"' "$S_JSON" ||
				fail "$k: G's sync did not go as gzip"
		else
			fail "$k: enroll G failed: $(cat "$d/g.err")"
		fi
		rm -rf "$d/g"
	fi

	if [ "$(left)" -lt 90 ]; then
		fail "$k: time budget: incremental sync skipped"
	else
		log "loopback $n ($2): edit 1% on A, sync A, sync B"
		_s=$(now_ns)
		edit_one_percent "$d/a" "${k}_edit"
		put "${k}_edit_s" "$(secs "$_s" "$(now_ns)")"
		put "${k}_edits" "$EDITS"
		timed_sync "$d/a" "${k}_ipush" 120
		put "${k}_ipush_s" "$S_SEC"
		put "${k}_ipush_rss" "$S_RSS"
		_c=$(json_num "$S_JSON" pushed_changes)
		put "${k}_ipush_changes" "$_c"
		put "${k}_ipush_up" "$(json_num "$S_JSON" bytes_up)"
		put "${k}_ipush_down" "$(json_num "$S_JSON" bytes_down)"
		[ "$_c" = "$EDITS" ] ||
			fail "$k: incremental push sent ${_c:-?} changes for $EDITS edits"
		timed_sync "$d/b" "${k}_ipull" 120
		put "${k}_ipull_s" "$S_SEC"
		put "${k}_ipull_rss" "$S_RSS"
		_c=$(json_num "$S_JSON" pulled_changes)
		put "${k}_ipull_changes" "$_c"
		put "${k}_ipull_down" "$(json_num "$S_JSON" bytes_down)"
		put "${k}_ipull_up" "$(json_num "$S_JSON" bytes_up)"
		[ "$_c" = "$EDITS" ] ||
			fail "$k: incremental pull got ${_c:-?} changes for $EDITS edits"
		# The replicas must now be identical (canonical dumps).
		"$FS" --dir "$d/a" dump >"$d/a.dump" 2>/dev/null
		"$FS" --dir "$d/b" dump >"$d/b.dump" 2>/dev/null
		if cmp -s "$d/a.dump" "$d/b.dump" &&
			[ "$(wc -l <"$d/a.dump" | tr -d ' ')" = "$n" ]; then
			put "${k}_identical" yes
		else
			put "${k}_identical" no
			fail "$k: A and B differ after the incremental sync"
		fi
	fi
	stop_server
	put "${k}_server_rss" "$SRSS_KB"
	rm -rf "$d"
}

# ---- scenario 2: many devices at once -----------------------------------
# One device of a crowd, set up (xargs runs SETUP_JOBS of these at once):
# its store, a token, enrollment at its server (device i at server
# (i - 1) % NPROC + 1 of C_URLS), its entries generated and imported.
# Writes C_DIR/ok<i> (the device's id) when all went well, else its
# messages are in C_DIR/dev<i>.err.
cat >"$W/setup_device.sh" <<'EOF'
i=$1
dir=$C_DIR/dev$i
set -- $C_URLS
shift $(((i - 1) % $#))
{
	id=$(timeout 60 "$FS" --dir "$dir" init --name "Thiết bị $i – ອຸປະກອນ $i") &&
		tok=$(timeout 60 "$FSD" token create --db "$C_DB" \
			--name "Thiết bị $i – ອຸປະກອນ $i" --role expert) &&
		timeout 60 "$FS" --dir "$dir" enroll "$1" "$tok" >/dev/null &&
		"$GEN" "$C_PER" "$((1000 + i))" "d$i-" >"$dir.jsonl" &&
		timeout 120 "$FS" --dir "$dir" import "$dir.jsonl" >"$dir.ids" &&
		[ "$(wc -l <"$dir.ids")" -eq "$C_PER" ] &&
		echo "$id" >"$C_DIR/ok$i"
} 2>"$dir.err"
EOF

# crowd TAG BACKEND DEVICES PER NPROC: DEVICES devices with PER entries
# each, enrolled (in parallel; setup, not measured) at NPROC fieldsyncd on
# one fresh database, device i at process (i - 1) % NPROC + 1; then all of
# them start `fieldsync sync --json` at once and the run waits for every
# one. A sync that exits 3 (server unreachable or busy: nothing lost, sync
# again) is run again as `sync --watch` would: after 1 s, then 2, 4... with
# +-25% jitter, at most RETRIES times and not past CROWD_LIMIT seconds from
# the start (a sync still running then is stopped by timeout: exit 124);
# every retry is counted. Then the database is checked: records, cursors
# 1..n, every device's chain. Figures are TAG_*.
crowd() {
	tag=$1 back=$2 nd=$3 per=$4 np=$5
	d=$W/$tag
	mkdir -p "$d"
	log "$tag: $nd devices x $per entries, $back, $np fieldsyncd: setup ($SETUP_JOBS at once)"
	# Every client comes from 127.0.0.1 and holds a connection or two; the
	# server refuses more than 200 connections from one address (the
	# per-address cap, where real devices each have an address of their
	# own), so a crowd larger than that gets a cap to match.
	set --
	[ "$nd" -gt 150 ] && set -- --max-per-ip $((2 * nd))
	# The limits 500 clients need: each client is four processes (this
	# shell's subshell, timeout, time, fieldsync), the one server a
	# descriptor per connection.
	_u=$(awk '/^Max processes/ { print $3 }' /proc/self/limits 2>/dev/null)
	if [ -n "$_u" ] && [ "$_u" != unlimited ] && [ "$_u" -lt $((5 * nd + 500)) ]; then
		fail "$tag: skipped: ulimit -u is $_u, $nd clients need about $((5 * nd + 500)) processes"
		return
	fi
	_n=$(ulimit -n)
	if [ "$_n" != unlimited ] && [ "$_n" -lt $((2 * nd + 256)) ]; then
		ulimit -n $((2 * nd + 256)) 2>/dev/null || {
			fail "$tag: skipped: ulimit -n is $_n and cannot be raised to $((2 * nd + 256))"
			return
		}
	fi
	SPS=
	SURLS=
	init_db "$d" "$back" "bench_$tag" ||
		{ fail "$tag: fieldsyncd init failed"; return; }
	_k=1
	while [ "$_k" -le "$np" ]; do
		serve "$d" "$_k" "$@" || {
			fail "$tag: server $_k did not start"
			stop_server
			return
		}
		_k=$((_k + 1))
	done
	_s=$(now_ns)
	seq 1 "$nd" | C_DIR=$d C_URLS=$SURLS C_DB=$SDB C_PER=$per FS=$FS \
		FSD=$FSD GEN=$GEN timeout -k 5 "$(lim 400)" \
		xargs -P "$SETUP_JOBS" -n 1 sh "$W/setup_device.sh"
	put "${tag}_setup_s" "$(secs "$_s" "$(now_ns)")"
	: >"$d/ready"
	i=1
	while [ "$i" -le "$nd" ]; do
		if [ -s "$d/ok$i" ]; then
			echo "$i" >>"$d/ready"
		else
			fail "$tag: setting up device $i failed: $(tail -c 300 "$d/dev$i.err" 2>/dev/null | tr '\n' ' ')"
		fi
		i=$((i + 1))
	done
	ready=$(wc -l <"$d/ready" | tr -d ' ')
	put "${tag}_ready" "$ready"
	if [ "$ready" -eq 0 ] || [ "$(left)" -lt 30 ]; then
		fail "$tag: no sync run ($ready devices set up, $(left) s of the budget left)"
		stop_server
		return
	fi

	log "$tag: $ready devices sync at once"
	_g0=
	[ "$back" = pg ] && _g0=$(pg_ticks)
	_t0=$(servers_ticks)
	cpids=
	cend=$(($(date +%s) + CROWD_LIMIT))
	for i in $(cat "$d/ready"); do
		(
			s=$(now_ns)
			a=0
			b=1
			while :; do
				a=$((a + 1))
				l=$((cend - $(date +%s)))
				[ "$l" -gt 0 ] || l=1
				run_timed "$(lim "$l")" "$d/t$i.time" "$FS" --dir "$d/dev$i" \
					sync --json >"$d/s$i.$a.json" 2>>"$d/s$i.err"
				rc=$?
				[ "$rc" = 3 ] && [ "$a" -le "$RETRIES" ] || break
				w=$(awk -v b="$b" -v s="$i$a" 'BEGIN { srand(s)
					printf "%.2f", b * (0.75 + 0.5 * rand()) }')
				[ "$(date +%s)" -lt $((cend - b)) ] || break
				sleep "$w"
				b=$((b * 2))
			done
			echo "$rc $s $(now_ns) $a" >"$d/res$i"
		) &
		cpids="$cpids $!"
	done
	PIDS="$PIDS $cpids"
	for p in $cpids; do
		wait "$p"
	done
	_t1=$(servers_ticks)
	put "${tag}_scpu" "$(ticks_s "$_t0" "$_t1")"
	[ -n "$_g0" ] && put "${tag}_pgcpu" "$(ticks_s "$_g0" "$(pg_ticks)")"
	# The servers stop before anything is counted (letting requests in
	# progress end): a sync stopped by timeout may have left a push that
	# the server still commits, and its log line.
	stop_server keep
	put "${tag}_server_rss" "$SRSS_ALL"

	# One awk over every device's files (a process per device and attempt
	# would take longer than the syncs with 500 devices): all holds
	# "rc start_ns end_ns pushed pulled rss_kb attempts cpu_s" a device,
	# heads "id own_head rc i" (own_head "-" when no attempt printed it:
	# see below), failed "exit RC (status)" for each device
	# that did not sync (sync --json prints no message, only a status).
	# Raw JSON into RESULTS.md for up to 50 devices; a crowd's (3,000
	# attempts and more) stays in its directory (BENCH_KEEP keeps it).
	_raw=$W/raw
	if [ "$nd" -gt 50 ]; then
		_raw=$d/raw
		printf '%s: the JSON of its %s devices'"'"' attempts is not kept here (BENCH_KEEP=1 keeps it in %s)\n' \
			"$tag" "$nd" "$tag/raw" >>"$W/raw"
	fi
	for f in "$d"/res* "$d"/ok* "$d"/t*.time "$d"/s*.json; do
		[ -e "$f" ] && printf '%s\n' "$f"
	done | awk -v ready="$d/ready" -v all="$d/all" -v heads="$d/heads" \
		-v failed="$d/failed" -v raw="$_raw" '
	function num(s, k,   r) {
		if (!match(s, "\"" k "\":[0-9]+")) return 0
		return substr(s, RSTART + length(k) + 3, RLENGTH - length(k) - 3) + 0 }
	{
		f = $0; b = f; sub(/.*\//, "", b)
		while ((getline l < f) > 0) {
			if (b ~ /^res/) res[substr(b, 4)] = l
			else if (b ~ /^ok/) id[substr(b, 3)] = l
			else if (b ~ /^t[0-9]+\.time$/) {
				i = substr(b, 2); sub(/\.time$/, "", i)
				if (l ~ /Maximum resident set size/) {
					n = split(l, x, " "); if (x[n] + 0 > rss[i]) rss[i] = x[n] + 0 }
				if (l ~ /(User|System) time \(seconds\)/) {
					n = split(l, x, " "); cpu[i] += x[n] }
			} else if (b ~ /^s[0-9]+\.[0-9]+\.json$/) {
				split(substr(b, 2), x, "."); js[x[1], x[2]] = l
				pu[x[1]] += num(l, "pushed_changes")
				pl[x[1]] += num(l, "pulled_changes")
			}
		}
		close(f)
	}
	END {
		while ((getline i < ready) > 0) {
			r = res[i]; if (r == "") r = "999 0 0 1"
			split(r, x, " "); a = x[4]
			printf "%s %s %s %d %d %d %d %.2f\n", x[1], x[2], x[3],
				pu[i], pl[i], rss[i], a, cpu[i] > all
			last = js[i, a]
			own = "-" # the chain head the device reported, if it did
			for (k = 1; k <= a; k++) {
				printf "device %s attempt %d: %s\n", i, k, js[i, k] >> raw
				if (js[i, k] ~ /"local_seq":/ &&
				    (own == "-" || num(js[i, k], "local_seq") > own))
					own = num(js[i, k], "local_seq")
			}
			print id[i], own, x[1], i > heads
			if (x[1] != 0) {
				st = ""
				if (match(last, /"status":"[a-z_]+"/))
					st = substr(last, RSTART + 10, RLENGTH - 11)
				print "exit " x[1] " (" st ")" > failed
			}
		}
	}'
	# A device whose last attempt was stopped by timeout may have built
	# and pushed its set after the last JSON it printed: its own chain head
	# is read from its store (`status --json`, local_seq), the sync over.
	awk '$2 == "-" || $3 != 0 { print $4 }' "$d/heads" |
		timeout -k 5 "$(lim 120)" xargs -P "$SETUP_JOBS" -n 1 sh -c \
			'"$0" --dir "$1/dev$2" status --json 2>/dev/null |
			sed -n "s/.*\"local_seq\":[[:space:]]*\([0-9][0-9]*\).*/\1/p" |
			head -1 >"$1/own$2"' "$FS" "$d"
	awk -v d="$d" '{ v = ""; f = d "/own" $4
		if ((getline v < f) > 0 && v != "") $2 = v; close(f); print }' \
		"$d/heads" >"$d/heads.own" && mv "$d/heads.own" "$d/heads"
	# One line for the devices that did not sync, by exit status.
	[ -s "$d/failed" ] &&
		fail "$tag: $(wc -l <"$d/failed" | tr -d ' ') of $ready devices did not sync (last attempt: $(sort "$d/failed" | uniq -c | awk '{ c = $1; $1 = ""; printf "%s%s×%s", (n++ ? ", " : ""), c, $0 }'))"
	awk -v t="$tag" '
	function pct(v, n, q,   i, j, y, k) {
		# nearest rank over v[1..n], sorted in place
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (v[j] < v[i]) { y = v[i]; v[i] = v[j]; v[j] = y }
		k = int(q * n + 0.999999); return n ? v[k] : "" }
	{ n++; d = ($3 - $2) / 1e9; x[n] = d
		if ($1 == 0) { ok++; y[ok] = d; if ($7 == 1) first++ }
		retries += $7 - 1
		if (n == 1 || $2 < s0) s0 = $2; if ($3 > e1) e1 = $3
		push += $4; pull += $5; if ($6 > rss) rss = $6; cpu += $8 }
	END {
		printf "%s_ok=%d\n%s_first_ok=%d\n%s_retries=%d\n", t, ok, t, first, t, retries
		printf "%s_wall=%.3f\n%s_pushed=%d\n%s_pulled=%d\n", t, (e1 - s0) / 1e9, t, push, t, pull
		printf "%s_p50=%s\n%s_p99=%s\n", t, pct(x, n, 0.50), t, pct(x, n, 0.99)
		printf "%s_ok_p50=%s\n", t, pct(y, ok, 0.50)
		printf "%s_ok_p99=%s\n", t, pct(y, ok, 0.99)
		printf "%s_client_rss=%d\n%s_client_cpu=%.2f\n", t, rss, t, cpu
	}' "$d/all" >>"$RES"
	# What the servers answered with a status of 400 or more, by status,
	# code and endpoint (their request log: time device method path
	# status [code] in= out= ms).
	put "${tag}_errors" "$(cat "$d"/server*.log | awk '$5 ~ /^[45][0-9][0-9]$/ {
			c = ($6 ~ /^in=/) ? "" : " " $6; n[$5 c " (" $3 " " $4 ")"]++ }
		END { for (k in n) printf "%s%d× %s", (s++ ? ", " : ""), n[k], k }')"

	held=$(server_records)
	put "${tag}_server_records" "$held"
	# Cursors 1..n with no gap; each device's chain on the server 1..its
	# head, no seq missing or twice, the head the devices table keeps; for
	# every device whose sync exited 0 the head it reports itself, and for
	# none a head beyond its own; PER records for each device's set (its
	# PER entries fit in one set).
	cur=$(server_sql 'SELECT count(*) || '"' '"' || coalesce(min(cursor), 0) || '"' '"' || coalesce(max(cursor), 0) FROM sets')
	if [ -n "$cur" ]; then
		put "${tag}_sets" "${cur%% *}"
		set -- $cur
		if [ "$2" = 1 ] && [ "$1" = "$3" ]; then
			put "${tag}_cursors" "yes"
		else
			put "${tag}_cursors" "no"
			fail "$tag: cursors are not 1..n without a gap: $1 sets, cursors $2..$3"
		fi
		bad=$(server_sql 'SELECT count(*) FROM (SELECT device FROM sets GROUP BY device HAVING count(*) <> max(seq) OR min(seq) <> 1) x')
		badh=$(server_sql 'SELECT count(*) FROM devices d WHERE d.head_seq <> (SELECT coalesce(max(s.seq), 0) FROM sets s WHERE s.device = d.id)')
		server_sql "SELECT device || ' ' || max(seq) FROM sets GROUP BY device" >"$d/server_heads"
		# heads: id own_head rc; answers: synced-and-held, synced,
		# devices held, devices with more on the server than their own
		set -- $(awk 'NR == FNR { h[$1] = $2; next }
			{ if ($3 == 0) { ok++; if ($2 > 0 && h[$1] == $2) good++ }
			  if (h[$1] > 0) held++; if ($2 != "-" && h[$1] > $2 + 0) over++ }
			END { print good + 0, ok + 0, held + 0, over + 0 }' \
			"$d/server_heads" "$d/heads")
		put "${tag}_chains" "$1"
		put "${tag}_chains_held" "$3"
		put "${tag}_chain_gaps" "$bad"
		put "${tag}_head_mismatch" "$badh"
		[ "$bad" = 0 ] ||
			fail "$tag: $bad devices have a chain on the server that is not 1..head"
		[ "$badh" = 0 ] ||
			fail "$tag: $badh devices have a head in the devices table unlike their sets"
		[ "$1" = "$2" ] ||
			fail "$tag: of $2 devices whose sync exited 0, only $1 have on the server the chain head they report"
		[ "$4" = 0 ] ||
			fail "$tag: $4 devices have more sets on the server than they made"
		[ -z "$held" ] || [ "$held" = $(($3 * per)) ] ||
			fail "$tag: server holds $held records, not $per for each of the $3 devices whose set it holds"
	elif [ -n "$held" ]; then
		[ "$held" = $((ready * per)) ] ||
			fail "$tag: server holds $held records, not $((ready * per))"
	fi
	drop_db
	[ -n "$KEEP" ] || rm -rf "$d"
}

# ---- scenario 3: the field link -----------------------------------------
# proxy_stats TAG: ask faultproxy for its stats (SIGUSR1) into W/TAG.stats.
proxy_stats() {
	rm -f "$W/field.stats"
	kill -USR1 "$PP" 2>/dev/null
	_i=0
	while [ ! -s "$W/field.stats" ] && [ "$_i" -lt 100 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	cp "$W/field.stats" "$W/$1.stats" 2>/dev/null || : >"$W/$1.stats"
	printf '%s proxy: %s\n' "$1" "$(cat "$W/$1.stats")" >>"$W/raw"
}

# link_param NAME up|down|delay: a field link's figure (LINKS).
link_param() {
	for _l in $LINKS; do
		case $_l in
		"$1":*)
			echo "$_l" | awk -F: -v w="$2" '{ print (w == "up") ? $2 : (w == "down") ? $3 : $4 }'
			return
			;;
		esac
	done
}

# field_device DIR NAME URL: a device enrolled at URL: over https by the
# link that pins the bench's certificate (SPEC 10.11), as in the field.
field_device() {
	case $3 in
	https:*)
		"$FS" --dir "$1" init --name "$2" >/dev/null 2>"$1.err" || return 1
		_link=$("$FSD" token create --db "$SDB" --name "$2" --role expert \
			--url "$3" --tls-cert "$TLS/cert.pem" 2>>"$1.err" | sed -n 2p)
		[ -n "$_link" ] || return 1
		timeout 60 "$FS" --dir "$1" enroll "$_link" >/dev/null 2>>"$1.err"
		;;
	*) new_device "$@" ;;
	esac
}

# field_sync TAG DIR [SYNC OPTIONS...]: one timed sync through the proxy,
# its stats zeroed before (and the link idle: buckets empty) and read after.
# Records TAG_{s,rc,changes_up,changes_down,body_up,body_down,encoding,tls,
# bytes_up,bytes_down,round_trips,connections}.
field_sync() {
	_ft=$1 _fd=$2
	shift 2
	kill -USR2 "$PP"
	sleep 0.3
	timed_sync "$_fd" "$_ft" 300 "$@"
	put "${_ft}_s" "$S_SEC"
	put "${_ft}_rc" "$S_RC"
	put "${_ft}_changes_up" "$(json_num "$S_JSON" pushed_changes)"
	put "${_ft}_changes_down" "$(json_num "$S_JSON" pulled_changes)"
	put "${_ft}_body_up" "$(json_num "$S_JSON" bytes_up)"
	put "${_ft}_body_down" "$(json_num "$S_JSON" bytes_down)"
	put "${_ft}_requests" "$(json_num "$S_JSON" requests)"
	put "${_ft}_encoding" "$(sed -n 's/.*"encoding":"\([a-z]*\)".*/\1/p' "$S_JSON")"
	put "${_ft}_tls" "$(sed -n 's/.*"tls":"\([^"]*\)".*/\1/p' "$S_JSON")"
	proxy_stats "$_ft"
	for _k in bytes_up bytes_down round_trips connections; do
		put "${_ft}_$_k" "$(json_num "$W/$_ft.stats" "$_k")"
	done
}

# field_check TAG UP DOWN: the sync pushed UP and pulled DOWN changes.
field_check() {
	[ "$(get "$1_changes_up")" = "$2" ] && [ "$(get "$1_changes_down")" = "$3" ] ||
		fail "$1: pushed $(get "$1_changes_up") and pulled $(get "$1_changes_down") changes, not $2 and $3"
}

# field SCHEME LINK: the five cases on one link, over http or https, on a
# fresh server: (d) A pushes FIELD_N, (e) fresh B pulls them, (b) A pushes
# 10 and pulls the 50 that C pushed meanwhile (C straight to the server,
# not through the link), (a) A pushes 10 with nothing to pull, (c) A syncs
# with nothing to do. On GZIP_LINK over https, (a) and (d) once more with
# --encoding gzip. Figures f_SCHEME_LINK_CASE_*.
field() {
	sch=$1 ln=$2
	fk=f_${sch}_$ln
	d=$W/$fk
	mkdir -p "$d"
	log "field $sch $ln: server, shaping proxy, devices"
	init_db "$d" sqlite || { fail "$fk: fieldsyncd init failed"; return; }
	if [ "$sch" = https ]; then
		serve "$d" 1 --tls-cert "$TLS/cert.pem" --tls-key "$TLS/key.pem"
	else
		serve "$d" 1
	fi || { fail "$fk: server did not start"; return; }
	"$PROXY" --to "127.0.0.1:$SPORT" --port-file "$d/pport" \
		--up-bps "$(link_param "$ln" up)" --down-bps "$(link_param "$ln" down)" \
		--delay-ms "$(link_param "$ln" delay)" \
		--stats "$W/field.stats" --log "$d/proxy.log" \
		--max-seconds "$(lim 900)" >"$d/proxy.out" 2>"$d/proxy.err" &
	PP=$!
	PIDS="$PIDS $PP"
	_i=0
	while [ ! -s "$d/pport" ] && [ "$_i" -lt 100 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	[ -s "$d/pport" ] || {
		fail "$fk: faultproxy did not start: $(cat "$d/proxy.err")"
		stop_server
		return
	}
	purl=$sch://127.0.0.1:$(cat "$d/pport")
	surl=$sch://127.0.0.1:$SPORT
	if ! field_device "$d/a" "Trần Minh Đức" "$purl" ||
		! field_device "$d/b" "ວິໄລ ແກ້ວມະນີ" "$purl" ||
		! field_device "$d/c" "Lê Văn Tám" "$surl"; then
		fail "$fk: enroll failed: $(cat "$d/a.err" "$d/b.err" "$d/c.err" 2>/dev/null)"
		kill -TERM "$PP" 2>/dev/null
		stop_server
		return
	fi
	# A's first sync (its session, nothing to send): setup, not measured.
	timeout 120 "$FS" --dir "$d/a" sync >/dev/null 2>"$d/a0.err" ||
		fail "$fk: A's first sync failed: $(cat "$d/a0.err")"

	log "field $sch $ln: (d) push $FIELD_N, (e) pull them to a fresh device"
	"$GEN" "$FIELD_N" 7 "f-" >"$d/d.jsonl"
	import "$d/a" "$d/d.jsonl" "${fk}_d" || { kill -TERM "$PP"; stop_server; return; }
	field_sync "${fk}_d" "$d/a"
	field_check "${fk}_d" "$FIELD_N" 0
	field_sync "${fk}_e" "$d/b"
	field_check "${fk}_e" 0 "$FIELD_N"

	log "field $sch $ln: (b) 10 new and 50 to pull, (a) 10 new, (c) idle"
	"$GEN" 50 8 "c-" >"$d/c.jsonl"
	import "$d/c" "$d/c.jsonl" "${fk}_c" &&
		timeout 120 "$FS" --dir "$d/c" sync >/dev/null 2>"$d/c0.err" ||
		fail "$fk: C's sync of 50 failed: $(cat "$d/c0.err" 2>/dev/null)"
	"$GEN" 10 9 "b-" >"$d/b.jsonl"
	import "$d/a" "$d/b.jsonl" "${fk}_b" &&
		field_sync "${fk}_b" "$d/a"
	field_check "${fk}_b" 10 50
	"$GEN" 10 10 "a-" >"$d/a.jsonl"
	import "$d/a" "$d/a.jsonl" "${fk}_a" &&
		field_sync "${fk}_a" "$d/a"
	field_check "${fk}_a" 10 0
	field_sync "${fk}_c" "$d/a"
	field_check "${fk}_c" 0 0

	if [ "$sch" = https ] && [ "$ln" = "$GZIP_LINK" ]; then
		log "field $sch $ln: (a) and (d) again with --encoding gzip"
		"$GEN" 10 11 "ga-" >"$d/ga.jsonl"
		import "$d/a" "$d/ga.jsonl" "${fk}_ga" &&
			field_sync "${fk}_ga" "$d/a" --encoding gzip
		field_check "${fk}_ga" 10 0
		"$GEN" "$FIELD_N" 12 "gd-" >"$d/gd.jsonl"
		import "$d/a" "$d/gd.jsonl" "${fk}_gd" &&
			field_sync "${fk}_gd" "$d/a" --encoding gzip
		field_check "${fk}_gd" "$FIELD_N" 0
	fi
	kill -TERM "$PP" 2>/dev/null
	wait "$PP" 2>/dev/null
	stop_server
	rm -rf "$d"
}

# ---- run ----------------------------------------------------------------
for n in $SIZES; do
	if [ "$(left)" -lt 60 ]; then
		fail "n$n: loopback $n skipped, time budget spent"
		continue
	fi
	scale "$n" sqlite
done
# The PostgreSQL cluster, when a scenario needs it.
if [ -z "$PG_SKIP" ] && { [ -n "$PG_SIZES" ] || [ "$CROWD" -gt 0 ]; }; then
	log "PostgreSQL: initdb and start a cluster of the bench's own"
	pg_start || {
		fail "pg: the bench's PostgreSQL cluster did not start"
		PG_SKIP="not measured: the PostgreSQL cluster did not start"
	}
fi
for n in $PG_SIZES; do
	[ -z "$PG_SKIP" ] || break
	if [ "$(left)" -lt 90 ]; then
		fail "pg_n$n: loopback $n on PostgreSQL skipped, time budget spent"
		continue
	fi
	scale "$n" pg
done
if [ "$(left)" -lt 60 ]; then
	fail "dev: devices skipped, time budget spent"
else
	crowd dev sqlite "$DEVICES" "$PER_DEVICE" 1
fi
for ln in $FIELD_LINKS; do
	for sch in $FIELD_SCHEMES; do
		if [ "$(left)" -lt 120 ]; then
			fail "f_${sch}_$ln: field link skipped, time budget spent"
		else
			field "$sch" "$ln"
		fi
	done
done
if [ "$CROWD" -gt 0 ]; then
	if [ "$(left)" -lt 150 ]; then
		fail "crowd_sqlite: skipped, time budget spent"
	else
		crowd crowd_sqlite sqlite "$CROWD" "$CROWD_PER" 1
	fi
	if [ -n "$PG_SKIP" ]; then
		:
	elif [ "$(left)" -lt 150 ]; then
		fail "crowd_pg: skipped, time budget spent"
	else
		crowd crowd_pg pg "$CROWD" "$CROWD_PER" "$PG_PROCS"
	fi
fi
TOTAL_S=$(($(date +%s) - T0))
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
log "done in ${TOTAL_S}s; writing the table"

# ---- the table ----------------------------------------------------------
# Formatting and verdicts are awk over the recorded figures: nothing below
# is a constant except the targets defined at the top.
fmt() { # fmt KIND VALUE [N]: s | rate | bytes | mb | int | ratio
	awk -v k="$1" -v v="${2:-}" -v n="${3:-}" '
	function commas(x,   s, r) {
		s = sprintf("%d", x); r = ""
		while (length(s) > 3) { r = "," substr(s, length(s) - 2) r
			s = substr(s, 1, length(s) - 3) }
		return s r }
	BEGIN {
		if (v == "" || v !~ /^[0-9.]+$/) { print "n/a"; exit }
		if (k == "s") printf "%.2f s", v
		else if (k == "rate") printf "%s entries/s", (v > 0 ? commas(n / v) : "n/a")
		else if (k == "perentry") printf "%.1f B", v / n
		else if (k == "mb") printf "%.1f MB", v * 1024 / 1e6
		else if (k == "int") printf "%s", commas(v)
		else if (k == "ratio") printf "%.2f×", v
		else print v }'
}
# judge VALUE OP LIMIT: met / not met / not measured.
judge() {
	awk -v v="${1:-}" -v op="$2" -v l="$3" 'BEGIN {
		if (v == "" || v !~ /^[0-9.]+$/) { print "not measured"; exit }
		ok = (op == "<") ? (v + 0 < l + 0) : (v + 0 <= l + 0)
		print ok ? "met" : "**not met**" }'
}
calc() { awk "BEGIN { printf \"%.6f\", $1 }" 2>/dev/null; }
mb() { [ -n "${1:-}" ] && calc "$1 * 1024 / 1e6"; }
max2() {
	awk -v a="${1:-}" -v b="${2:-}" 'BEGIN {
		if (a == "") { print b; exit } if (b == "") { print a; exit }
		print (a + 0 > b + 0) ? a : b }'
}

TABLE=$W/table
: >"$TABLE"
row() { printf '| %s | %s | %s | %s | %s |\n' "$@" >>"$TABLE"; }

row "scenario" "figure" "measured" "target (issue)" "verdict"
row "---" "---" "---" "---" "---"
# loop_rows N BACKEND: the rows of one loopback scenario.
loop_rows() {
	n=$1
	nn=$(fmt int "$n")
	k=n$n
	sc="loopback, $nn entries, SQLite"
	if [ "$2" = pg ]; then
		k=pg_n$n
		sc="loopback, $nn entries, PostgreSQL"
		if [ -n "$PG_SKIP" ]; then
			row "$sc" "all figures" "$PG_SKIP" "" ""
			return
		fi
	fi
	if [ -z "$(get "${k}_push_s")" ]; then
		row "$sc" "all figures" "not measured (see failures)" "" ""
		return
	fi
	ps=$(get "${k}_push_s")
	pl=$(get "${k}_pull_s")
	tp=""
	vp=""
	tl=""
	vl=""
	if [ "$n" = 100000 ] && [ "$2" = pg ]; then
		tp="(< $T_PUSH_S s is for SQLite)"
		tl="(< $T_PULL_S s is for SQLite)"
	elif [ "$n" = 100000 ]; then
		tp="< $T_PUSH_S s (15)"
		vp=$(judge "$ps" "<" "$T_PUSH_S")
		[ "$(get "${k}_push_rc")" = 0 ] || vp="**not met** (sync failed)"
		tl="< $T_PULL_S s (15)"
		vl=$(judge "$pl" "<" "$T_PULL_S")
		[ "$(get "${k}_pull_rc")" = 0 ] || vl="**not met** (sync failed)"
	fi
	# CPU: the client, fieldsyncd, and PostgreSQL's processes on pg.
	cpu() { # cpu push|pull
		printf 'CPU: client %s, %s %s' "$(fmt s "$(get "${k}_$1_cpu")")" \
			"$([ "$2" = pg ] && echo fieldsyncd || echo server)" \
			"$(fmt s "$(get "${k}_$1_scpu")")"
		[ "$2" = pg ] && printf ', PostgreSQL %s' "$(fmt s "$(get "${k}_$1_pgcpu")")"
	}
	row "$sc" "push: one \`sync\` of $nn pending entries to a fresh server (pushed + applied)" \
		"$(fmt s "$ps"), $(fmt rate "$ps" "$n"); change sets: $(get "${k}_push_sets"), requests: $(get "${k}_push_req"); $(cpu push "$2")" \
		"$tp" "$vp"
	row "$sc" "pull: one \`sync\` of a fresh device" \
		"$(fmt s "$pl"), $(fmt rate "$pl" "$n"); requests: $(get "${k}_pull_req"); $(cpu pull "$2")" \
		"$tl" "$vl"
	up=$(get "${k}_push_up")
	bpe=""
	[ -n "$up" ] && bpe=$(calc "$up / $n")
	row "$sc" "bytes on the wire per entry pushed (bytes_up / N)" \
		"$(fmt perentry "$up" "$n") ($(fmt int "$up") B in all; input JSON $(fmt perentry "$(get "${k}_raw_bytes")" "$n"))" \
		"< $T_BYTES B (6)" "$(judge "$bpe" "<" "$T_BYTES")"
	row "$sc" "bytes per entry pulled (bytes_down / N)" \
		"$(fmt perentry "$(get "${k}_pull_down")" "$n") (zstd)" "" ""
	if [ -n "$(get "${k}_gpull_s")" ]; then
		row "$sc" "pull of a fresh device G asking for gzip (the older encoding), beside B's zstd above" \
			"$(fmt s "$(get "${k}_gpull_s")") (zstd: $(fmt s "$pl")); $(fmt perentry "$(get "${k}_gpull_down")" "$n") per entry pulled (zstd: $(fmt perentry "$(get "${k}_pull_down")" "$n")); client peak RSS $(fmt mb "$(get "${k}_gpull_rss")")" \
			"" ""
	fi
	cr=$(max2 "$(get "${k}_push_rss")" "$(get "${k}_pull_rss")")
	cr=$(max2 "$cr" "$(get "${k}_ipush_rss")")
	cr=$(max2 "$cr" "$(get "${k}_ipull_rss")")
	row "$sc" "client peak RSS (push / pull)" \
		"$(fmt mb "$(get "${k}_push_rss")") / $(fmt mb "$(get "${k}_pull_rss")")" \
		"< $T_CLIENT_MB MB (15)" "$(judge "$(mb "$cr")" "<" "$T_CLIENT_MB")"
	srv="server peak RSS (VmHWM)"
	[ "$2" = pg ] && srv="fieldsyncd peak RSS (VmHWM; PostgreSQL's processes not counted)"
	row "$sc" "$srv after the push / after the pull / at the end" \
		"$(fmt mb "$(get "${k}_srss_push")") / $(fmt mb "$(get "${k}_srss_pull")") / $(fmt mb "$(get "${k}_server_rss")")" \
		"(< $T_SERVER_MB MB is for 50 devices)" ""
	if [ -n "$(get "${k}_ipush_s")" ]; then
		row "$sc" "incremental: $(get "${k}_edits") entries (1%) edited, then \`sync\` A / \`sync\` B" \
			"A: $(fmt s "$(get "${k}_ipush_s")"), $(fmt int "$(get "${k}_ipush_up")") B up, $(fmt int "$(get "${k}_ipush_down")") B down / B: $(fmt s "$(get "${k}_ipull_s")"), $(fmt int "$(get "${k}_ipull_up")") B up, $(fmt int "$(get "${k}_ipull_down")") B down" \
			"" ""
	fi
	chk="server holds $(get "${k}_server_records") records; B pulled $(get "${k}_pull_changes"); replicas identical after the incremental sync: $(get "${k}_identical")"
	v=ok
	grep -q "^${k}[:_]" "$W/failures" 2>/dev/null && v="**FAILED**"
	row "$sc" "consistency" "$chk" "" "$v"
}
for n in $SIZES; do
	loop_rows "$n" sqlite
done
for n in $PG_SIZES; do
	loop_rows "$n" pg
done

# crowd_rows TAG BACKEND DEVICES PER NPROC: the rows of one crowd scenario.
crowd_rows() {
	t=$1
	case $2 in
	pg) sc="$3 devices at once, $4 entries each, PostgreSQL, $5 fieldsyncd" ;;
	*) sc="$3 devices at once, $4 entries each, SQLite, $5 fieldsyncd" ;;
	esac
	if [ "$2" = pg ] && [ -n "$PG_SKIP" ]; then
		row "$sc" "all figures" "$PG_SKIP" "" ""
		return
	fi
	if [ -z "$(get "${t}_wall")" ]; then
		row "$sc" "all figures" "not measured (see failures)" "" ""
		return
	fi
	[ "$(get "${t}_ready")" = "$3" ] ||
		sc="$(get "${t}_ready") of $sc (set up)"
	row "$sc" "all start \`sync\` together: wall time, entries pushed per second" \
		"$(fmt s "$(get "${t}_wall")"), $(fmt rate "$(get "${t}_wall")" "$(get "${t}_pushed")") ($(fmt int "$(get "${t}_pushed")") pushed, $(fmt int "$(get "${t}_pulled")") pulled in the same passes)" \
		"" ""
	if [ "$(get "${t}_ok")" = "$(get "${t}_ready")" ] &&
		[ "$(get "${t}_retries")" = 0 ]; then
		row "$sc" "per-device sync time p50 / p99" \
			"$(fmt s "$(get "${t}_p50")") / $(fmt s "$(get "${t}_p99")")" "" ""
	else
		row "$sc" "per-device sync time p50 / p99, first start to last end (retries and their waits included)" \
			"the $(get "${t}_ok") devices that synced: $(fmt s "$(get "${t}_ok_p50")") / $(fmt s "$(get "${t}_ok_p99")"); all $(get "${t}_ready"), until their last attempt ended: $(fmt s "$(get "${t}_p50")") / $(fmt s "$(get "${t}_p99")")" "" ""
	fi
	rs=
	top=
	for x in $(get "${t}_server_rss"); do
		rs="$rs${rs:+ / }$(fmt mb "$x")"
		top=$(max2 "$top" "$x")
	done
	what="server peak RSS (VmHWM)"
	[ "$5" -gt 1 ] && what="server peak RSS (VmHWM) of each fieldsyncd"
	[ "$2" = pg ] && what="$what; PostgreSQL's processes not counted"
	if [ "$t" = dev ]; then
		row "$sc" "$what" "$rs" "< $T_SERVER_MB MB (6)" \
			"$(judge "$(mb "$top")" "<" "$T_SERVER_MB")"
	else
		row "$sc" "$what" "$rs" "(< $T_SERVER_MB MB is for 50 devices)" ""
	fi
	row "$sc" "client peak RSS (largest of the devices)" \
		"$(fmt mb "$(get "${t}_client_rss")")" "< $T_CROWD_MB MB (6)" \
		"$(judge "$(mb "$(get "${t}_client_rss")")" "<" "$T_CROWD_MB")"
	c="clients $(fmt s "$(get "${t}_client_cpu")") in all, fieldsyncd $(fmt s "$(get "${t}_scpu")")"
	[ "$2" = pg ] && c="$c, PostgreSQL $(fmt s "$(get "${t}_pgcpu")")"
	row "$sc" "CPU from first start to last end (user + system)" "$c" "" ""
	row "$sc" "setup, not in the figures: init, token, enroll, import $4 entries, $SETUP_JOBS devices at a time" \
		"$(fmt s "$(get "${t}_setup_s")") for $(get "${t}_ready") devices" "" ""
	x=$(get "${t}_errors")
	chk="$(get "${t}_ok") of $(get "${t}_ready") devices synced (exit 0): $(get "${t}_first_ok") at the first attempt, $(get "${t}_retries") retries after exit 3 in all; server answers of 400 or more: ${x:-none}; server holds $(get "${t}_server_records") records"
	if [ -n "$(get "${t}_cursors")" ]; then
		chk="$chk ($4 for each of the $(get "${t}_chains_held") devices whose set it holds); $(get "${t}_sets") sets, cursors 1..n with no gap: $(get "${t}_cursors"); every chain on the server 1..head with no gap: $( [ "$(get "${t}_chain_gaps")" = 0 ] && [ "$(get "${t}_head_mismatch")" = 0 ] && echo yes || echo no); server's head = the device's own for $(get "${t}_chains") of the $(get "${t}_ok") devices synced"
	fi
	v=ok
	grep -q "^${t}:" "$W/failures" 2>/dev/null && v="**FAILED**"
	row "$sc" "consistency" "$chk" "" "$v"
}
crowd_rows dev sqlite "$DEVICES" "$PER_DEVICE" 1
if [ "$CROWD" -gt 0 ]; then
	crowd_rows crowd_sqlite sqlite "$CROWD" "$CROWD_PER" 1
	crowd_rows crowd_pg pg "$CROWD" "$CROWD_PER" "$PG_PROCS"
fi

# field_rows SCHEME LINK: the rows of one field link.
field_rows() {
	fk=f_$1_$2
	up=$(link_param "$2" up)
	down=$(link_param "$2" down)
	dl=$(link_param "$2" delay)
	rtt=$((2 * dl))
	sc="field link $2 ($((up / 1000))/$((down / 1000)) kbit/s, $rtt ms RTT), $(echo "$1" | tr a-z A-Z)"
	for c in a b c d e ga gd; do
		t=${fk}_$c
		case $c in
		a) what="(a) 10 new entries, nothing to pull"; n=10 ;;
		b) what="(b) 10 new entries, 50 to pull"; n=10 ;;
		c) what="(c) idle: nothing to push or pull"; n=0 ;;
		d) what="(d) $(fmt int "$FIELD_N") entries pushed"; n=$FIELD_N ;;
		e) what="(e) $(fmt int "$FIELD_N") entries pulled to a fresh device"; n=$FIELD_N ;;
		ga) what="(a) with \`--encoding gzip\` (the older encoding)"; n=10 ;;
		gd) what="(d) with \`--encoding gzip\` (the older encoding)"; n=$FIELD_N ;;
		esac
		case $c in
		g*) [ "$1" = https ] && [ "$2" = "$GZIP_LINK" ] || continue ;;
		esac
		w=$(get "${t}_s")
		bu=$(get "${t}_bytes_up")
		bd=$(get "${t}_bytes_down")
		if [ -z "$w" ] || [ -z "$bu" ] || [ -z "$bd" ]; then
			row "$sc" "$what" "not measured (see failures)" "" ""
			continue
		fi
		ex=$(get "${t}_round_trips"); ex=${ex:-0}
		cn=$(get "${t}_connections"); cn=${cn:-0}
		rt=$((ex + cn))
		ideal=$(calc "$rt * $rtt / 1000 + $bu * 8 / $up + $bd * 8 / $down")
		ratio=$(calc "$w / $ideal")
		body=$(get "${t}_body_up")
		[ "$c" = e ] && body=$(get "${t}_body_down")
		per=
		if [ "$n" -gt 0 ]; then
			per="; per entry $( [ "$c" = e ] && echo pulled || echo pushed): $(fmt perentry "$body" "$n") of body ($(get "${t}_encoding")), $(fmt perentry "$( [ "$c" = e ] && echo "$bd" || echo "$bu")" "$n") on the wire"
		fi
		tls=$(get "${t}_tls")
		m="$(fmt s "$w") wall; $rt round trips ($cn TCP handshake$( [ "$cn" = 1 ] || echo s) + $ex request/answer exchanges$( [ "$1" = https ] && echo ", the TLS handshake's among them")), $cn connection$( [ "$cn" = 1 ] || echo s), $(get "${t}_requests") HTTP requests${tls:+, $tls}; $(fmt int "$bu") B up, $(fmt int "$bd") B down$per; ideal (round trips × RTT + bytes ÷ bandwidth) $(fmt s "$ideal") → $(fmt ratio "$ratio")"
		tg=
		v=
		bpe=
		[ "$n" -gt 0 ] && bpe=$(calc "$body / $n")
		case $c in
		a | ga)
			tg="≤ $T_A_BPE B per entry pushed (body)"
			v="bytes $(judge "$bpe" "<=" "$T_A_BPE")"
			if [ "$c" = a ] && [ "$1" = https ] && [ "$2" = 2G ]; then
				tg="≤ $T_A_S s, ≤ $T_A_RT round trips; $tg"
				v="time $(judge "$w" "<=" "$T_A_S"), round trips $(judge "$rt" "<=" "$T_A_RT"), $v"
			fi
			;;
		c)
			if [ "$1" = https ] && [ "$2" = 2G ]; then
				tg="≤ $T_C_S s"
				v=$(judge "$w" "<=" "$T_C_S")
			fi
			;;
		d | gd)
			tg="≤ $T_D_BPE B per entry pushed (body); ≤ $T_RATIO× the ideal"
			v="bytes $(judge "$bpe" "<=" "$T_D_BPE"), time $(judge "$ratio" "<=" "$T_RATIO")"
			;;
		e)
			tg="≤ $T_RATIO× the ideal"
			v=$(judge "$ratio" "<=" "$T_RATIO")
			;;
		esac
		[ "$(get "${t}_rc")" = 0 ] || v="**not met** (sync failed)"
		grep -q "^$t:" "$W/failures" 2>/dev/null && v="$v; **FAILED** (see failures)"
		row "$sc" "$what" "$m" "$tg${tg:+ (15)}" "$v"
	done
}
for ln in $FIELD_LINKS; do
	for sch in $FIELD_SCHEMES; do
		field_rows "$sch" "$ln"
	done
done

# ---- machine and the file -----------------------------------------------
cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
fstype=$(df -PT "$W" 2>/dev/null | awk 'NR == 2 { print $2 }')
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=
# (bench/RESULTS.md itself, the previous run's output, does not count)
[ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -v ' bench/RESULTS.md$' | head -1)" ] &&
	dirty=" plus uncommitted changes in the work tree"
libs=$(pkg-config --modversion sqlite3 libsodium libcurl libmicrohttpd zlib 2>/dev/null |
	paste -sd' ' - | awk '{ printf "SQLite %s, libsodium %s, libcurl %s, libmicrohttpd %s, zlib %s", $1, $2, $3, $4, $5 }')
ccv=$(cc --version 2>/dev/null | head -1)
pgv="PostgreSQL rows $PG_SKIP"
[ -z "$PG_SKIP" ] &&
	pgv="$("$PGBIN/postgres" --version 2>/dev/null | sed 's/^postgres (PostgreSQL) /PostgreSQL /') (a cluster of the bench's own on a Unix socket, default settings but fsync=on, synchronous_commit=on)"

{
	echo "# fieldsync benchmark results"
	echo
	echo "Written by \`make bench\` (bench/run.sh) on $(date -u +%Y-%m-%dT%H:%MZ), in ${TOTAL_S} s. How to run and read it: bench/README.md."
	echo
	echo "**Machine:** ${cpu:-unknown CPU}, $(nproc) cores, $mem RAM; $(uname -srm); stores and server database on ${fstype:-?} (\`$(dirname "$W")\`); $libs; $pgv; $ccv; fieldsync at commit $commit$dirty, built with the Makefile's default flags (-O2 -g). Load average (1, 5, 15 min) at the start: $LOAD0; at the end: $LOAD1 (other work on the machine slows every figure)."
	echo
	echo "All traffic on 127.0.0.1, over plain HTTP except the field-link rows marked HTTPS (TLS 1.3 to fieldsyncd's GnuTLS, a self-signed ECDSA P-256 certificate made at bench time and pinned by the devices' enrollment links; every sync is a new \`fieldsync\` process, so a new TCP connection and TLS handshake). Bodies go as zstd unless a row says gzip. The field link's round trips count one TCP handshake per connection plus each request/answer exchange the proxy saw (a TLS handshake's included); its bytes are TCP payload both ways (TLS records and HTTP headers included, TCP/IP headers not); \"body\" is what \`sync --json\` reports as bytes_up or bytes_down (the HTTP bodies only, as sent). Entries: visits, expert trips and demonstration models with 9 to 12 fields each (about ten), Vietnamese and Lao text, from \`bench/gen.c\`. Client figures come from \`fieldsync sync --json\` and \`/usr/bin/time -v\`; server RSS is \`VmHWM\` read just before SIGTERM (of \`fieldsyncd\` only: PostgreSQL's own processes are not in it, their CPU is shown beside fieldsyncd's); field-link bytes and round trips are counted by \`tests/tools/faultproxy\`. 1 MB = 10^6 bytes."
	echo
	cat "$TABLE"
	echo
	if [ -s "$W/failures" ]; then
		echo "**Failures and skipped steps in this run:**"
		echo
		sed 's/^/- /' "$W/failures"
	else
		echo "No step failed; every consistency check passed."
	fi
	echo
	echo "<details><summary>Raw figures (sync --json of each timed sync, proxy stats)</summary>"
	echo
	echo '```'
	cat "$W/raw" 2>/dev/null
	echo '```'
	echo
	echo "</details>"
} >"$W/RESULTS.md"

cat "$W/RESULTS.md"
if cp "$W/RESULTS.md" "$OUT.tmp" && mv "$OUT.tmp" "$OUT"; then
	echo
	echo "bench: written to $OUT"
else
	echo "bench: cannot write $OUT" >&2
	exit 1
fi
[ "$FAILS" -eq 0 ] || exit 1
exit 0

#!/bin/sh
# bench/run.sh — the fieldsync sync benchmark (`make bench` runs it after
# building). Everything runs on 127.0.0.1 against the real binaries in
# $BUILD (default build/), in one temporary directory removed at exit; every
# process it starts is killed at exit; every step is bounded by `timeout` and
# the whole run by a time budget (BENCH_BUDGET seconds, default 540), so a
# hung or slow step is reported, not waited for.
#
# Scenarios (see bench/README.md for how to read the figures):
#   loopback  for N in BENCH_SIZES (default "1000 10000 100000"): a fresh
#             server; device A imports N entries (bench/gen.c) and pushes them
#             in one `fieldsync sync`; a fresh device B pulls them in one sync;
#             then 1% of A's entries are edited, A syncs, B syncs.
#   devices   BENCH_DEVICES (50) devices with BENCH_PER_DEVICE (200) entries
#             each all start `fieldsync sync` at once against a fresh server.
#   field     BENCH_FIELD_N (5000) entries pushed, then pulled to a fresh
#             device, through tests/tools/faultproxy shaping the link to
#             100 kbit/s up, 200 kbit/s down, 200 ms each way (400 ms RTT).
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
BUDGET=${BENCH_BUDGET:-540}
OUT=${BENCH_OUT:-$ROOT/bench/RESULTS.md}

# The field link, as issue 6 defines it.
UP_BPS=100000
DOWN_BPS=200000
DELAY_MS=200

# Targets of issue 6 (compared below, never assumed).
T_PUSH_S=3          # 100,000 entries pushed and applied, seconds (<)
T_PULL_S=3          # 100,000 entries pulled to a fresh device, seconds (<)
T_BYTES=120         # bytes on the wire per entry pushed (<)
T_CLIENT_MB=48      # client peak RSS, MB (<)
T_SERVER_MB=96      # server peak RSS with 50 devices syncing, MB (<)
T_RATIO=1.5         # field wall time / time the bytes alone need (<=)

die() { echo "bench: $*" >&2; exit 2; }

for b in "$FS" "$FSD" "$PROXY"; do
	[ -x "$b" ] || die "$b is missing: run \`make\` first"
done
"$FS" import --help >/dev/null 2>&1 ||
	die "$FS has no \`import\` command (needed to create entries fast)"
command -v timeout >/dev/null 2>&1 || die "timeout (coreutils) is missing"
command -v cc >/dev/null 2>&1 || die "cc is missing (to build bench/gen.c)"
HAVE_TIME=
[ -x /usr/bin/time ] && HAVE_TIME=1
HAVE_SQLITE=
command -v sqlite3 >/dev/null 2>&1 && HAVE_SQLITE=1

W=$(mktemp -d "${TMPDIR:-/tmp}/fieldsync-bench.XXXXXX") || die "mktemp failed"
PIDS=
cleanup() {
	for p in $PIDS; do
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$W"
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
rss_kb() {
	sed -n 's/.*Maximum resident set size (kbytes): *\([0-9]*\).*/\1/p' \
		"$1" 2>/dev/null | tail -1
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
# writing its peak RSS to TIMEFILE when /usr/bin/time exists. timeout
# signals its whole process group, so CMD dies with /usr/bin/time.
run_timed() {
	_l=$1 _tf=$2
	shift 2
	if [ -n "$HAVE_TIME" ]; then
		timeout -k 5 "$_l" /usr/bin/time -v -o "$_tf" "$@"
	else
		: >"$_tf"
		timeout -k 5 "$_l" "$@"
	fi
}

# ---- server, proxy, devices --------------------------------------------
# start_server DIR: fieldsyncd init + serve on 127.0.0.1, any free port.
# Sets SP (its pid), SDB, SPORT, SURL.
start_server() {
	SDB=$1/server.db
	"$FSD" init --db "$SDB" >/dev/null 2>&1 || return 1
	"$FSD" serve --db "$SDB" --listen 127.0.0.1:0 2>"$1/server.log" &
	SP=$!
	PIDS="$PIDS $SP"
	SPORT=
	_i=0
	while [ "$_i" -lt 200 ]; do
		SPORT=$(sed -n 's/^fieldsyncd: listening on [a-z]*:\/\/[^ ]*:\([0-9][0-9]*\) .*/\1/p' \
			"$1/server.log" | tail -1)
		[ -n "$SPORT" ] && break
		kill -0 "$SP" 2>/dev/null || break
		sleep 0.05
		_i=$((_i + 1))
	done
	[ -n "$SPORT" ] || { cat "$1/server.log" >&2; return 1; }
	SURL=http://127.0.0.1:$SPORT
}

# stop_server: read the server's peak RSS (VmHWM) just before SIGTERM, then
# wait for it to stop (SIGKILL after 15 s). Sets SRSS_KB.
stop_server() {
	SRSS_KB=$(hwm_kb "$SP")
	kill -TERM "$SP" 2>/dev/null
	_i=0
	while kill -0 "$SP" 2>/dev/null && [ "$_i" -lt 150 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	kill -KILL "$SP" 2>/dev/null
	wait "$SP" 2>/dev/null
}

# new_device DIR NAME URL: init a store and enroll it with a fresh token.
new_device() {
	"$FS" --dir "$1" init --name "$2" >/dev/null 2>"$1.err" || return 1
	_tok=$("$FSD" token create --db "$SDB" --name "$2" --role expert \
		2>>"$1.err") || return 1
	timeout 60 "$FS" --dir "$1" enroll "$3" "$_tok" >/dev/null 2>>"$1.err"
}

# timed_sync DIR TAG LIMIT: one `fieldsync sync --json`, timed.
# Sets S_SEC, S_RC, S_RSS (KiB), S_CPU (client CPU s), S_SCPU (the server's
# CPU seconds meanwhile) and S_JSON (its output file).
timed_sync() {
	S_JSON=$W/$2.json
	_t0=$(proc_ticks "$SP")
	_s=$(now_ns)
	run_timed "$(lim "$3")" "$W/$2.time" "$FS" --dir "$1" sync --json \
		>"$S_JSON" 2>"$W/$2.err"
	S_RC=$?
	_e=$(now_ns)
	S_SEC=$(secs "$_s" "$_e")
	S_RSS=$(rss_kb "$W/$2.time")
	S_CPU=$(cpu_s "$W/$2.time")
	_t1=$(proc_ticks "$SP")
	S_SCPU=
	[ -n "$_t0" ] && [ -n "$_t1" ] &&
		S_SCPU=$(awk -v a="$_t0" -v b="$_t1" -v t="$TICK" \
			'BEGIN { printf "%.2f", (b - a) / t }')
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

# server_records: records the server holds ("" without sqlite3).
server_records() {
	[ -n "$HAVE_SQLITE" ] || return 0
	sqlite3 -batch "$SDB" 'SELECT count(*) FROM records' 2>/dev/null
}

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

scale() {
	n=$1
	d=$W/n$n
	mkdir -p "$d"
	log "loopback $n: server, device A, import"
	start_server "$d" || { fail "n$n: server did not start"; return; }
	if ! new_device "$d/a" "Nguyễn Thị Hoa" "$SURL"; then
		fail "n$n: enroll A failed: $(cat "$d/a.err")"
		stop_server
		return
	fi
	"$GEN" "$n" 1 >"$d/in.jsonl"
	put "n${n}_raw_bytes" "$(wc -c <"$d/in.jsonl" | tr -d ' ')"
	import "$d/a" "$d/in.jsonl" "n$n" || { stop_server; return; }

	log "loopback $n: push"
	timed_sync "$d/a" "n${n}_push" 300
	put "n${n}_push_s" "$S_SEC"
	put "n${n}_push_rc" "$S_RC"
	put "n${n}_push_rss" "$S_RSS"
	put "n${n}_push_changes" "$(json_num "$S_JSON" pushed_changes)"
	put "n${n}_push_up" "$(json_num "$S_JSON" bytes_up)"
	put "n${n}_push_down" "$(json_num "$S_JSON" bytes_down)"
	put "n${n}_push_req" "$(json_num "$S_JSON" requests)"
	put "n${n}_push_sets" "$(json_num "$S_JSON" pushed_sets)"
	put "n${n}_push_cpu" "$S_CPU"
	put "n${n}_push_scpu" "$S_SCPU"
	put "n${n}_srss_push" "$(hwm_kb "$SP")"
	held=$(server_records)
	put "n${n}_server_records" "$held"
	[ -z "$held" ] || [ "$held" = "$n" ] ||
		fail "n$n: server holds $held records after the push, not $n"

	log "loopback $n: pull to a fresh device B"
	if new_device "$d/b" "ສົມສັກ ພົມມະວົງ" "$SURL"; then
		timed_sync "$d/b" "n${n}_pull" 300
		put "n${n}_pull_s" "$S_SEC"
		put "n${n}_pull_rc" "$S_RC"
		put "n${n}_pull_rss" "$S_RSS"
		_p=$(json_num "$S_JSON" pulled_changes)
		put "n${n}_pull_changes" "$_p"
		put "n${n}_pull_down" "$(json_num "$S_JSON" bytes_down)"
		put "n${n}_pull_up" "$(json_num "$S_JSON" bytes_up)"
		put "n${n}_pull_req" "$(json_num "$S_JSON" requests)"
		put "n${n}_pull_cpu" "$S_CPU"
		put "n${n}_pull_scpu" "$S_SCPU"
		put "n${n}_srss_pull" "$(hwm_kb "$SP")"
		[ "$_p" = "$n" ] || fail "n$n: B pulled ${_p:-?} changes, not $n"
	else
		fail "n$n: enroll B failed: $(cat "$d/b.err")"
	fi

	if [ "$(left)" -lt 90 ]; then
		fail "n$n: time budget: incremental sync skipped"
	else
		log "loopback $n: edit 1% on A, sync A, sync B"
		_s=$(now_ns)
		edit_one_percent "$d/a" "n${n}_edit"
		put "n${n}_edit_s" "$(secs "$_s" "$(now_ns)")"
		put "n${n}_edits" "$EDITS"
		timed_sync "$d/a" "n${n}_ipush" 120
		put "n${n}_ipush_s" "$S_SEC"
		put "n${n}_ipush_rss" "$S_RSS"
		_c=$(json_num "$S_JSON" pushed_changes)
		put "n${n}_ipush_changes" "$_c"
		put "n${n}_ipush_up" "$(json_num "$S_JSON" bytes_up)"
		put "n${n}_ipush_down" "$(json_num "$S_JSON" bytes_down)"
		[ "$_c" = "$EDITS" ] ||
			fail "n$n: incremental push sent ${_c:-?} changes for $EDITS edits"
		timed_sync "$d/b" "n${n}_ipull" 120
		put "n${n}_ipull_s" "$S_SEC"
		put "n${n}_ipull_rss" "$S_RSS"
		_c=$(json_num "$S_JSON" pulled_changes)
		put "n${n}_ipull_changes" "$_c"
		put "n${n}_ipull_down" "$(json_num "$S_JSON" bytes_down)"
		put "n${n}_ipull_up" "$(json_num "$S_JSON" bytes_up)"
		[ "$_c" = "$EDITS" ] ||
			fail "n$n: incremental pull got ${_c:-?} changes for $EDITS edits"
		# The replicas must now be identical (canonical dumps).
		"$FS" --dir "$d/a" dump >"$d/a.dump" 2>/dev/null
		"$FS" --dir "$d/b" dump >"$d/b.dump" 2>/dev/null
		if cmp -s "$d/a.dump" "$d/b.dump" &&
			[ "$(wc -l <"$d/a.dump" | tr -d ' ')" = "$n" ]; then
			put "n${n}_identical" yes
		else
			put "n${n}_identical" no
			fail "n$n: A and B differ after the incremental sync"
		fi
	fi
	stop_server
	put "n${n}_server_rss" "$SRSS_KB"
	rm -rf "$d"
}

# ---- scenario 2: many devices at once -----------------------------------
devices() {
	d=$W/devices
	mkdir -p "$d"
	log "devices: $DEVICES devices x $PER_DEVICE entries: enroll + import"
	start_server "$d" || { fail "devices: server did not start"; return; }
	i=1
	ready=0
	while [ "$i" -le "$DEVICES" ]; do
		if [ "$(left)" -lt 60 ]; then
			fail "devices: time budget: only $ready devices set up"
			break
		fi
		if new_device "$d/dev$i" "Thiết bị $i – ອຸປະກອນ $i" "$SURL" &&
			"$GEN" "$PER_DEVICE" "$((1000 + i))" "d$i-" >"$d/in$i.jsonl" &&
			import "$d/dev$i" "$d/in$i.jsonl" "dev$i"; then
			ready=$((ready + 1))
		else
			fail "devices: setting up device $i failed: $(cat "$d/dev$i.err" 2>/dev/null)"
		fi
		i=$((i + 1))
	done
	put dev_ready "$ready"

	log "devices: $ready devices sync at once"
	cpids=
	i=1
	l=$(lim 240)
	while [ "$i" -le "$ready" ]; do
		(
			s=$(now_ns)
			run_timed "$l" "$d/t$i.time" "$FS" --dir "$d/dev$i" \
				sync --json >"$d/s$i.json" 2>"$d/s$i.err"
			rc=$?
			echo "$rc $s $(now_ns)" >"$d/res$i"
		) &
		cpids="$cpids $!"
		i=$((i + 1))
	done
	PIDS="$PIDS $cpids"
	for p in $cpids; do
		wait "$p"
	done
	i=1
	: >"$d/all"
	while [ "$i" -le "$ready" ]; do
		_rss=$(rss_kb "$d/t$i.time")
		printf '%s %s %s %s\n' "$(cat "$d/res$i" 2>/dev/null || echo "999 0 0")" \
			"$(json_num "$d/s$i.json" pushed_changes)" \
			"$(json_num "$d/s$i.json" pulled_changes)" "${_rss:-0}" \
			>>"$d/all"
		printf 'device %s: %s\n' "$i" "$(cat "$d/s$i.json")" >>"$W/raw"
		rc=$(cut -d' ' -f1 "$d/res$i" 2>/dev/null)
		[ "${rc:-999}" = 0 ] ||
			fail "devices: device $i: sync exited ${rc:-?}: $(tail -c 200 "$d/s$i.err" | tr '\n' ' ')"
		i=$((i + 1))
	done
	# all: rc start_ns end_ns pushed pulled rss_kb, one line per device.
	awk '{ n++; if ($1 == 0) ok++; d = ($3 - $2) / 1e9; t[n] = d
		if (n == 1 || $2 < s0) s0 = $2; if ($3 > e1) e1 = $3
		push += $4; pull += $5; if ($6 > rss) rss = $6 }
	END {
		# nearest-rank percentiles over the devices'"'"' sync times
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (t[j] < t[i]) { x = t[i]; t[i] = t[j]; t[j] = x }
		p50 = int(0.50 * n + 0.999999); p99 = int(0.99 * n + 0.999999)
		printf "dev_ok=%d\ndev_wall=%.3f\ndev_pushed=%d\ndev_pulled=%d\n",
			ok, (e1 - s0) / 1e9, push, pull
		printf "dev_p50=%.3f\ndev_p99=%.3f\ndev_client_rss=%d\n",
			t[p50], t[p99], rss
	}' "$d/all" >>"$RES"
	held=$(server_records)
	put dev_server_records "$held"
	want=$((ready * PER_DEVICE))
	[ -z "$held" ] || [ "$held" = "$want" ] ||
		fail "devices: server holds $held records, not $want"
	stop_server
	put dev_server_rss "$SRSS_KB"
	rm -rf "$d"
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

field() {
	d=$W/field
	mkdir -p "$d"
	log "field: server, shaping proxy, devices, import $FIELD_N"
	start_server "$d" || { fail "field: server did not start"; return; }
	"$PROXY" --to "127.0.0.1:$SPORT" --port-file "$d/pport" \
		--up-bps "$UP_BPS" --down-bps "$DOWN_BPS" --delay-ms "$DELAY_MS" \
		--stats "$W/field.stats" --log "$d/proxy.log" \
		--max-seconds "$(lim 600)" >"$d/proxy.out" 2>"$d/proxy.err" &
	PP=$!
	PIDS="$PIDS $PP"
	_i=0
	while [ ! -s "$d/pport" ] && [ "$_i" -lt 100 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	[ -s "$d/pport" ] || {
		fail "field: faultproxy did not start: $(cat "$d/proxy.err")"
		stop_server
		return
	}
	purl=http://127.0.0.1:$(cat "$d/pport")
	if ! new_device "$d/a" "Trần Minh Đức" "$purl" ||
		! new_device "$d/b" "ວິໄລ ແກ້ວມະນີ" "$purl"; then
		fail "field: enroll through the proxy failed: $(cat "$d/a.err" "$d/b.err" 2>/dev/null)"
		kill -TERM "$PP" 2>/dev/null
		stop_server
		return
	fi
	"$GEN" "$FIELD_N" 7 "f-" >"$d/in.jsonl"
	import "$d/a" "$d/in.jsonl" field || {
		kill -TERM "$PP"
		stop_server
		return
	}

	log "field: push $FIELD_N through the slow link"
	kill -USR2 "$PP"
	sleep 0.3
	timed_sync "$d/a" field_push 300
	put field_push_s "$S_SEC"
	put field_push_rc "$S_RC"
	put field_push_changes "$(json_num "$S_JSON" pushed_changes)"
	put field_push_engine_up "$(json_num "$S_JSON" bytes_up)"
	proxy_stats field_push
	for k in bytes_up bytes_down round_trips connections; do
		put "field_push_$k" "$(json_num "$W/field_push.stats" "$k")"
	done

	log "field: pull to a fresh device through the slow link"
	kill -USR2 "$PP"
	sleep 0.3
	timed_sync "$d/b" field_pull 300
	put field_pull_s "$S_SEC"
	put field_pull_rc "$S_RC"
	put field_pull_changes "$(json_num "$S_JSON" pulled_changes)"
	put field_pull_engine_down "$(json_num "$S_JSON" bytes_down)"
	proxy_stats field_pull
	for k in bytes_up bytes_down round_trips connections; do
		put "field_pull_$k" "$(json_num "$W/field_pull.stats" "$k")"
	done
	[ "$(get field_push_changes)" = "$FIELD_N" ] ||
		fail "field: pushed $(get field_push_changes) changes, not $FIELD_N"
	[ "$(get field_pull_changes)" = "$FIELD_N" ] ||
		fail "field: pulled $(get field_pull_changes) changes, not $FIELD_N"
	kill -TERM "$PP" 2>/dev/null
	wait "$PP" 2>/dev/null
	stop_server
	rm -rf "$d"
}

# ---- run ----------------------------------------------------------------
for n in $SIZES; do
	if [ "$(left)" -lt 60 ]; then
		fail "loopback $n: skipped, time budget spent"
		continue
	fi
	scale "$n"
done
if [ "$(left)" -lt 60 ]; then
	fail "devices: skipped, time budget spent"
else
	devices
fi
if [ "$(left)" -lt 60 ]; then
	fail "field: skipped, time budget spent"
else
	field
fi
TOTAL_S=$(($(date +%s) - T0))
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
log "done in ${TOTAL_S}s; writing the table"

# ---- the table ----------------------------------------------------------
# Formatting and verdicts are awk over the recorded figures: nothing below
# is a constant except the targets of issue 6 defined at the top.
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

row "scenario" "figure" "measured" "target (issue 6)" "verdict"
row "---" "---" "---" "---" "---"
for n in $SIZES; do
	nn=$(fmt int "$n")
	sc="loopback, $nn entries"
	if [ -z "$(get "n${n}_push_s")" ]; then
		row "$sc" "all figures" "not measured (see failures)" "" ""
		continue
	fi
	ps=$(get "n${n}_push_s")
	pl=$(get "n${n}_pull_s")
	tp=""
	vp=""
	tl=""
	vl=""
	if [ "$n" = 100000 ]; then
		tp="< $T_PUSH_S s"
		vp=$(judge "$ps" "<" "$T_PUSH_S")
		[ "$(get "n${n}_push_rc")" = 0 ] || vp="**not met** (sync failed)"
		tl="< $T_PULL_S s"
		vl=$(judge "$pl" "<" "$T_PULL_S")
		[ "$(get "n${n}_pull_rc")" = 0 ] || vl="**not met** (sync failed)"
	fi
	row "$sc" "push: one \`sync\` of $nn pending entries to a fresh server (pushed + applied)" \
		"$(fmt s "$ps"), $(fmt rate "$ps" "$n"); change sets: $(get "n${n}_push_sets"), requests: $(get "n${n}_push_req"); CPU: client $(fmt s "$(get "n${n}_push_cpu")"), server $(fmt s "$(get "n${n}_push_scpu")")" \
		"$tp" "$vp"
	row "$sc" "pull: one \`sync\` of a fresh device" \
		"$(fmt s "$pl"), $(fmt rate "$pl" "$n"); requests: $(get "n${n}_pull_req"); CPU: client $(fmt s "$(get "n${n}_pull_cpu")"), server $(fmt s "$(get "n${n}_pull_scpu")")" \
		"$tl" "$vl"
	up=$(get "n${n}_push_up")
	bpe=""
	[ -n "$up" ] && bpe=$(calc "$up / $n")
	row "$sc" "bytes on the wire per entry pushed (bytes_up / N)" \
		"$(fmt perentry "$up" "$n") ($(fmt int "$up") B in all; input JSON $(fmt perentry "$(get "n${n}_raw_bytes")" "$n"))" \
		"< $T_BYTES B" "$(judge "$bpe" "<" "$T_BYTES")"
	row "$sc" "bytes per entry pulled (bytes_down / N)" \
		"$(fmt perentry "$(get "n${n}_pull_down")" "$n")" "" ""
	cr=$(max2 "$(get "n${n}_push_rss")" "$(get "n${n}_pull_rss")")
	cr=$(max2 "$cr" "$(get "n${n}_ipush_rss")")
	cr=$(max2 "$cr" "$(get "n${n}_ipull_rss")")
	row "$sc" "client peak RSS (push / pull)" \
		"$(fmt mb "$(get "n${n}_push_rss")") / $(fmt mb "$(get "n${n}_pull_rss")")" \
		"< $T_CLIENT_MB MB" "$(judge "$(mb "$cr")" "<" "$T_CLIENT_MB")"
	row "$sc" "server peak RSS (VmHWM) after the push / after the pull / at the end" \
		"$(fmt mb "$(get "n${n}_srss_push")") / $(fmt mb "$(get "n${n}_srss_pull")") / $(fmt mb "$(get "n${n}_server_rss")")" \
		"(< $T_SERVER_MB MB is for 50 devices)" ""
	if [ -n "$(get "n${n}_ipush_s")" ]; then
		row "$sc" "incremental: $(get "n${n}_edits") entries (1%) edited, then \`sync\` A / \`sync\` B" \
			"A: $(fmt s "$(get "n${n}_ipush_s")"), $(fmt int "$(get "n${n}_ipush_up")") B up, $(fmt int "$(get "n${n}_ipush_down")") B down / B: $(fmt s "$(get "n${n}_ipull_s")"), $(fmt int "$(get "n${n}_ipull_up")") B up, $(fmt int "$(get "n${n}_ipull_down")") B down" \
			"" ""
	fi
	chk="server holds $(get "n${n}_server_records") records; B pulled $(get "n${n}_pull_changes"); replicas identical after the incremental sync: $(get "n${n}_identical")"
	v=ok
	grep -q "^n${n}[:_]" "$W/failures" 2>/dev/null && v="**FAILED**"
	row "$sc" "consistency" "$chk" "" "$v"
done

if [ -n "$(get dev_wall)" ]; then
	sc="$(get dev_ready) devices at once, $PER_DEVICE entries each"
	row "$sc" "all start \`sync\` together: wall time, entries pushed per second" \
		"$(fmt s "$(get dev_wall)"), $(fmt rate "$(get dev_wall)" "$(get dev_pushed)") ($(fmt int "$(get dev_pushed)") pushed, $(fmt int "$(get dev_pulled)") pulled in the same passes)" \
		"" ""
	row "$sc" "per-device sync time p50 / p99" \
		"$(fmt s "$(get dev_p50)") / $(fmt s "$(get dev_p99)")" "" ""
	row "$sc" "server peak RSS (VmHWM)" "$(fmt mb "$(get dev_server_rss)")" \
		"< $T_SERVER_MB MB" "$(judge "$(mb "$(get dev_server_rss)")" "<" "$T_SERVER_MB")"
	row "$sc" "client peak RSS (largest of the devices)" \
		"$(fmt mb "$(get dev_client_rss)")" "< $T_CLIENT_MB MB" \
		"$(judge "$(mb "$(get dev_client_rss)")" "<" "$T_CLIENT_MB")"
	v=ok
	grep -q "^dev" "$W/failures" 2>/dev/null && v="**FAILED**"
	row "$sc" "consistency" "$(get dev_ok) of $(get dev_ready) syncs exited 0; server holds $(get dev_server_records) records" "" "$v"
else
	row "$DEVICES devices at once" "all figures" "not measured (see failures)" "" ""
fi

field_rows() { # field_rows push|pull LABEL
	w=$(get "field_$1_s")
	bu=$(get "field_$1_bytes_up")
	bd=$(get "field_$1_bytes_down")
	if [ -z "$w" ] || [ -z "$bu" ] || [ -z "$bd" ]; then
		row "field link, $(fmt int "$FIELD_N") entries" "$2" "not measured (see failures)" "" ""
		return
	fi
	need=$(calc "$bu * 8 / $UP_BPS + $bd * 8 / $DOWN_BPS")
	ratio=$(calc "$w / $need")
	v=$(judge "$ratio" "<=" "$T_RATIO")
	[ "$(get "field_$1_rc")" = 0 ] || v="**not met** (sync failed)"
	row "field link, $(fmt int "$FIELD_N") entries" "$2" \
		"$(fmt s "$w") wall; $(fmt int "$bu") B up, $(fmt int "$bd") B down; $(get "field_$1_round_trips") round trips, $(get "field_$1_connections") connections; the bytes alone need $(fmt s "$need") → $(fmt ratio "$ratio")" \
		"≤ $T_RATIO× the bytes-alone time" "$v"
}
field_rows push "push to a fresh server (100 kbit/s up, 200 kbit/s down, 400 ms RTT)"
field_rows pull "pull to a fresh device (same link)"

# ---- machine and the file -----------------------------------------------
cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
fstype=$(df -PT "$W" 2>/dev/null | awk 'NR == 2 { print $2 }')
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=
[ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null | head -1)" ] &&
	dirty=" plus uncommitted changes in the work tree"
libs=$(pkg-config --modversion sqlite3 libsodium libcurl libmicrohttpd zlib 2>/dev/null |
	paste -sd' ' - | awk '{ printf "SQLite %s, libsodium %s, libcurl %s, libmicrohttpd %s, zlib %s", $1, $2, $3, $4, $5 }')
ccv=$(cc --version 2>/dev/null | head -1)

{
	echo "# fieldsync benchmark results"
	echo
	echo "Written by \`make bench\` (bench/run.sh) on $(date -u +%Y-%m-%dT%H:%MZ), in ${TOTAL_S} s. How to run and read it: bench/README.md."
	echo
	echo "**Machine:** ${cpu:-unknown CPU}, $(nproc) cores, $mem RAM; $(uname -srm); stores and server database on ${fstype:-?} (\`$(dirname "$W")\`); $libs; $ccv; fieldsync at commit $commit$dirty, built with the Makefile's default flags (-O2 -g). Load average (1, 5, 15 min) at the start: $LOAD0; at the end: $LOAD1 (other work on the machine slows every figure)."
	echo
	echo "All traffic on 127.0.0.1 over plain HTTP. Entries: visits, expert trips and demonstration models with 9 to 12 fields each (about ten), Vietnamese and Lao text, from \`bench/gen.c\`. Client figures come from \`fieldsync sync --json\` and \`/usr/bin/time -v\`; server RSS is \`VmHWM\` read just before SIGTERM; field-link bytes and round trips are counted by \`tests/tools/faultproxy\`. 1 MB = 10^6 bytes."
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

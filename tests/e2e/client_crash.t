#!/bin/bash
# Crash test of the client store: rounds of `fieldsync visit add` (1,100 in
# all, two at a time) each killed with SIGKILL at a random moment of its
# life. Afterwards every command that printed an id has its record, nothing
# is half-written (integrity_check, one outbox change per record and no
# orphan, every state readable, HLCs unique), and the store still works.
# Then two processes write to the same store at once and both succeed.
# Then the money kinds (issue 13): scholarship, work and work_progress adds
# on an enrolled device, killed at random too; every one that printed its
# id keeps its amount (near 10^13) exactly, read by a new process, and
# after a sync on a second device.
# Set FIELDSYNC_SEED to replay a run; the seed is printed.
. "$(dirname "$0")/lib.sh"
B=${FIELDSYNC_BIN:-$(dirname "$0")/../../build/fieldsync}
command -v sqlite3 >/dev/null || bail "sqlite3 is needed"
command -v jq >/dev/null || bail "jq is needed"
plan 24

SEED=${FIELDSYNC_SEED:-$(( ($(date +%s) ^ $$) & 0x7fffffff ))}
diag "seed $SEED (replay with FIELDSYNC_SEED=$SEED)"
RANDOM=$SEED
ROUNDS=5
PER_WORKER=110  # x 2 workers x 5 rounds = 1,100 commands
T=$(tmpdir)
D="$T/data"
sql() { sqlite3 "$D/store.db" "$@"; }
"$B" --dir "$D" init --name "Crash tester" >/dev/null 2>&1 || bail "init failed"

add() { # add LABEL: one visit. exec: the pid killed is fieldsync's own.
	exec "$B" --dir "$D" visit add --direction out --province Salavan \
		--leader "Đoàn $1 ສາລະວັນ" --members 3 --sector agriculture \
		--start 2026-04-10 --purpose "crash test $1"
}

# How long does an add live? Kill delays are drawn from 0 to 1.3 times that,
# so kills land everywhere: before the store is open, inside the
# transaction, during commit, after it.
s=$EPOCHREALTIME
for i in $(seq 20); do (add "calib $i") >/dev/null || bail "add failed"; done
e=$EPOCHREALTIME
avg_us=$(( (${e/./} - ${s/./}) / 20 ))
max_us=$(( avg_us * 13 / 10 ))
diag "an add takes about $avg_us us; kill delays 0..$max_us us"

# A process killed while LeakSanitizer runs at its exit makes it print
# "Unable to get registers"; leaks are checked by the other tests.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
mkfifo "$T/fifo"
exec 9<>"$T/fifo" # read -t on it = a sleep without a process
mkdir "$T/out"

worker() { # worker W ROUND: PER_WORKER adds, each killed at random
	local w=$1 r=$2 i pid d
	RANDOM=$((SEED + r * 7 + w))
	for ((i = 0; i < PER_WORKER; i++)); do
		(add "r$r.w$w.$i") >"$T/out/$r.$w.$i" 2>"$T/out/$r.$w.$i.err" &
		pid=$!
		d=$(( (RANDOM * 32768 + RANDOM) % (max_us + 1) ))
		read -t "$((d / 1000000)).$(printf %06d $((d % 1000000)))" -u 9
		kill -KILL "$pid" 2>/dev/null
		wait "$pid"
		echo $? >>"$T/out/rc.$r.$w"
	done
}

integrity=ok
for ((r = 0; r < ROUNDS; r++)); do
	# (bash's "Killed" job notices go to /dev/null)
	worker 1 "$r" 2>/dev/null &
	w1=$!
	worker 2 "$r" 2>/dev/null &
	w2=$!
	wait "$w1" "$w2"
	ic=$(sql 'PRAGMA integrity_check')
	[ "$ic" = ok ] || integrity="round $r: $ic"
done
is "$integrity" ok "integrity_check ok after every round"

total=$(cat "$T"/out/rc.* | wc -l)
is "$total" $((ROUNDS * 2 * PER_WORKER)) "ran $((ROUNDS * 2 * PER_WORKER)) add commands"
bad_rc=$(grep -cvE '^(0|137)$' "$T"/out/rc.* | awk -F: '{s += $2} END {print s + 0}')
is "$bad_rc" 0 "every command either succeeded or was killed (no error exits)"
cat "$T"/out/*.err >"$T/errors"
is "$(head -c 300 "$T/errors")" "" "no command printed an error"
cat "$T"/out/[0-9]*[0-9] 2>/dev/null | grep -v '^$' >"$T/lines"
is "$(grep -cvE '^[0-9a-f]{32}$' "$T/lines")" 0 "every line printed is a whole id"
sort -u "$T/lines" >"$T/printed"
sql "SELECT id FROM records" | sort >"$T/present"
missing=$(comm -23 "$T/printed" "$T/present" | wc -l)
is "$missing" 0 "every id printed is in the store ($(wc -l <"$T/printed") printed)"
killed=$(cat "$T"/out/rc.* | grep -c '^137$')
silent=$(( $(sql "SELECT count(*) FROM records") - 20 - $(wc -l <"$T/printed") ))
diag "$killed of $total killed; $(wc -l <"$T/printed") printed an id;" \
	"$silent committed but were killed before printing the id"

is "$(sql "SELECT count(*) FROM records r WHERE (SELECT count(*) FROM outbox o WHERE o.record_id = r.id) != 1")" \
	0 "every record has exactly one outbox change"
is "$(sql "SELECT count(*) FROM outbox o WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.id = o.record_id)")" \
	0 "no outbox change without its record"
is "$(sql "SELECT count(*) FROM outbox WHERE json_extract(change, '$.id') != record_id OR json_extract(change, '$.op') != 'create'")" \
	0 "every outbox change is a whole create of its record"
is "$(sql "SELECT count(DISTINCT hlc) = count(*) FROM outbox")" 1 "no two changes share an HLC"
is "$(sql "SELECT value >= (SELECT max(hlc) FROM outbox) FROM meta WHERE key = 'hlc'")" 1 \
	"the persisted HLC is at least the last change's"
n=$(sql "SELECT count(*) FROM records")
is "$("$B" --dir "$D" list visits --json | jq length)" "$n" "all $n records read back through list --json"
run bash -c "$(declare -f add); B='$B' D='$D' add 'after the crashes'"
[ "$RC" -eq 0 ] && [ "$("$B" --dir "$D" show "$OUT" --json | jq -r .fields.purpose)" = "crash test after the crashes" ]
ok $? "the store still takes and returns new records"

# ---- two writers at once -----------------------------------------------------------
n0=$(sql "SELECT count(*) FROM records")
writer() {
	local w=$1 i
	for ((i = 0; i < 100; i++)); do
		(add "writer $w $i") >>"$T/w$w.ids" 2>>"$T/w$w.err"
		echo $? >>"$T/w$w.rc"
	done
}
writer 1 &
p1=$!
writer 2 &
p2=$!
wait "$p1" "$p2"
is "$(cat "$T/w1.rc" "$T/w2.rc" | sort -u | tr '\n' ' ')" "0 " "two concurrent writers: all 200 adds exit 0"
is "$(cat "$T/w1.err" "$T/w2.err")" "" "two concurrent writers: no errors"
sort -u "$T/w1.ids" "$T/w2.ids" >"$T/wids"
sql "SELECT id FROM records" | sort >"$T/present"
[ "$(wc -l <"$T/wids")" -eq 200 ] && [ -z "$(comm -23 "$T/wids" "$T/present")" ] &&
	[ "$(sql "SELECT count(*) FROM records")" -eq $((n0 + 200)) ]
ok $? "two concurrent writers: 200 distinct ids, all stored"

# ---- the money kinds, killed at random --------------------------------------------
# Command I (0..59) writes an amount of its own, so each record's value is
# known: I % 3 = 0 a scholarship with allowance 9,999,999,999,000 + I;
# 1 a work with budget 9,999,999,990,000 + I; 2 an observation of W0
# (budget 10^13) with disbursed 9,999,999,900,000 + I. All below 10^13 and
# 2^53, so exact as JSON numbers; each differs from its neighbours in the
# last digits, where a float rounding would show.
Wk=$(tmpdir)
sync_server "$Wk" || bail "server did not start"
sync_device K kim || bail "enroll K"
W0=$(fsd "$K" work add --province Sekong --name "Trạm y tế hữu nghị" \
	--sector health --budget 10000000000000 2>/dev/null) || bail "work add"
kadd() { # kadd I: command I. exec: the pid killed is fieldsync's own.
	case $(($1 % 3)) in
	0) exec "$B" --dir "$K" scholarship add --province Attapeu \
		--academic-year 2026-2027 --level university \
		--school "Trường Đại học Quy Nhơn" --awarded 20 \
		--allowance $((9999999999000 + $1)) ;;
	1) exec "$B" --dir "$K" work add --province Salavan \
		--name "Công trình $1 ສາລະວັນ" --sector education \
		--budget $((9999999990000 + $1)) ;;
	2) exec "$B" --dir "$K" work work_progress "$W0" --date 2026-06-01 \
		--disbursed $((9999999900000 + $1)) --built-pct 50 \
		--status under-construction ;;
	esac
}
mkdir "$T/k"
RANDOM=$((SEED + 99))
for ((i = 0; i < 60; i++)); do
	(kadd $i) >"$T/k/$i" 2>"$T/k/$i.err" &
	pid=$!
	d=$(( (RANDOM * 32768 + RANDOM) % (max_us + 1) ))
	read -t "$((d / 1000000)).$(printf %06d $((d % 1000000)))" -u 9
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	echo $? >>"$T/k/rc"
done 2>/dev/null
is "$(sqlite3 "$K/store.db" 'PRAGMA integrity_check')" ok "money kinds: integrity_check ok after 60 killed adds"
is "$(grep -cvE '^(0|137)$' "$T/k/rc")" 0 "money kinds: every command succeeded or was killed"
# expect DIR: "I FIELD VALUE" for every command that printed an id, where
# VALUE is what DIR's store (read by a new process) holds.
values() {
	local dir=$1 i id f
	for ((i = 0; i < 60; i++)); do
		id=$(cat "$T/k/$i")
		[ -n "$id" ] || continue
		case $((i % 3)) in 0) f=allowance ;; 1) f=budget ;; 2) f=disbursed ;; esac
		echo "$i $f $(fsd "$dir" show "$id" --json 2>&1 | jq -r ".fields.$f | tostring")"
	done
}
want() {
	local i
	for ((i = 0; i < 60; i++)); do
		[ -s "$T/k/$i" ] || continue
		case $((i % 3)) in
		0) echo "$i allowance $((9999999999000 + i))" ;;
		1) echo "$i budget $((9999999990000 + i))" ;;
		2) echo "$i disbursed $((9999999900000 + i))" ;;
		esac
	done
}
want >"$T/k/want"
printed=$(wc -l <"$T/k/want")
diag "money kinds: $(grep -c '^137$' "$T/k/rc") of 60 killed; $printed printed an id"
values "$K" >"$T/k/got"
is "$(cat "$T"/k/*.err)" "" "money kinds: no command printed an error"
# (a run where every command was killed before printing would prove
# nothing: it fails here; kills land up to 1.3 x an add's time, so most
# runs print a third or more)
is "$(diff "$T/k/want" "$T/k/got"; [ "$printed" -gt 0 ] || echo "no id printed")" "" "money kinds: all $printed records that printed an id hold their amount exactly after the kills"
is "$(fsd "$K" show "$W0" --json | jq -r '.fields.budget | tostring')" 10000000000000 \
	"money kinds: W0's budget of 10^13 is intact"
run fsd "$K" sync
is "$RC" 0 "money kinds: the crashed store syncs"
sync_device C carol || bail "enroll C"
fsd "$C" sync >/dev/null 2>&1
values "$C" >"$T/k/got_c"
is "$(diff "$T/k/want" "$T/k/got_c")" "" "money kinds: after sync a second device holds the same amounts exactly"
fsd "$K" dump >"$T/k/k.dump"
fsd "$C" dump >"$T/k/c.dump"
cmp -s "$T/k/k.dump" "$T/k/c.dump"
ok $? "money kinds: both devices hold the same records, byte for byte (dump)"
stop_server

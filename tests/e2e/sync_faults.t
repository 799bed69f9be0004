# sync_faults.t: sync over a link that dies at random byte offsets, stalls,
# and delivers requests twice (tests/tools/faultproxy between client and
# fieldsyncd). For several seeds, device A records a batch offline and runs
# `fieldsync sync` until it exits 0 (bounded); device B pulls through a
# faulty link too. Afterwards every entry is on the server exactly once
# (records by id, changes across A's sets), A's sets are seq 1..N each
# once, A's outbox is empty, and A, B and the server hold the same state.
# FIELDSYNC_SEED replays a run (the proxies' seeds derive from it).
. "$(dirname "$0")/lib.sh"

SEED=${FIELDSYNC_SEED:-$(( ($$ * 7919 + $(date +%s)) % 1000000 ))}
ROUNDS=8
PER=60
CUTS=30
plan $((ROUNDS * 2 + 13))
diag "seed $SEED (replay with FIELDSYNC_SEED=$SEED)"

export FIELDSYNC_STALL_SECONDS=1 FIELDSYNC_SET_CHANGES=15
W=$(tmpdir)
sync_server "$W" || bail "server did not start"
sync_device A "Nguyễn Thị Hoa" || bail "enroll A failed"
sync_device B "ສົມສັກ" || bail "enroll B failed"

# Start a proxy to the server with the given seed and fault mix; sets
# PROXY_URL, PROXY_PID. Point device DIR at it.
proxy() {
	local dir=$1 seed=$2
	shift 2
	rm -f "$W/port"
	"$FIELDSYNC_TOOLS/faultproxy" --to "127.0.0.1:$SERVER_PORT" \
		--port-file "$W/port" --seed "$seed" --max-seconds 300 \
		--log "$W/proxy.log" --stats "$W/stats.$seed" "$@" \
		>/dev/null 2>>"$W/proxy.log" &
	PROXY_PID=$!
	at_exit "kill -KILL $PROXY_PID"
	for ((i = 0; i < 100; i++)); do
		[ -s "$W/port" ] && break
		sleep 0.05
	done
	PROXY_URL="$SCHEME://127.0.0.1:$(cat "$W/port")"
	sq "$dir/store.db" "UPDATE meta SET value = '$PROXY_URL' WHERE key = 'server_url'"
}

total=0
for ((r = 1; r <= ROUNDS; r++)); do
	s=$((SEED + r))
	sync_visits "$PER" "Đoàn $r" >"$W/v$r.jsonl"
	fsd "$A" import "$W/v$r.jsonl" >>"$W/ids" 2>/dev/null
	total=$((total + PER))
	proxy "$A" "$s" --cut-prob 0.6 --cut-max 12000 --stall-prob 0.15 \
		--stall-max 12000 --dup-prob 0.25
	sync_until "$A" 60
	ok $? "round $r (proxy seed $s): A synced after $SYNC_TRIES attempts"
	is "$(sq "$A/store.db" 'SELECT count(*) FROM outbox')" 0 \
		"round $r: A's outbox is empty"
	diag "round $r proxy: $(kill -USR1 "$PROXY_PID"; sleep 0.2; cat "$W/stats.$s")"
	kill -TERM "$PROXY_PID"
	wait "$PROXY_PID" 2>/dev/null
done
# One more round where every request that arrives whole is delivered a
# second time: a sync is now often a single request, so the random rounds
# above may draw no duplicate at all.
s=$((SEED + ROUNDS + 1))
sync_visits "$PER" "Đoàn lặp" >"$W/vdup.jsonl"
fsd "$A" import "$W/vdup.jsonl" >>"$W/ids" 2>/dev/null
total=$((total + PER))
proxy "$A" "$s" --dup-prob 1
sync_until "$A" 60
ok $? "every request delivered twice (proxy seed $s): A synced after $SYNC_TRIES attempts"
is "$(sq "$A/store.db" 'SELECT count(*) FROM outbox')" 0 \
	"and A's outbox is empty"
kill -USR1 "$PROXY_PID"; sleep 0.2
kill -TERM "$PROXY_PID"
wait "$PROXY_PID" 2>/dev/null

# Sweep: one sync attempt dying at each of CUTS byte offsets spread over a
# whole pass (plus a random part), each after a few new entries; then a
# clean link must finish the job.
for ((k = 0; k < CUTS; k++)); do
	sync_visits 5 "Cắt $k" >"$W/c.jsonl"
	fsd "$A" import "$W/c.jsonl" >>"$W/ids" 2>/dev/null
	total=$((total + 5))
	off=$((k * 170 + (SEED + k * 37) % 170))
	proxy "$A" $((SEED + 1000 + k)) --cut-after "$off"
	fsd "$A" sync >/dev/null 2>&1
	echo "$off:$?" >>"$W/sweep"
	kill -TERM "$PROXY_PID"
	wait "$PROXY_PID" 2>/dev/null
done
diag "cut offset:exit of the sweep: $(tr '\n' ' ' <"$W/sweep")"
proxy "$A" $((SEED + 2000))
sync_until "$A" 3
ok $? "after $CUTS cut attempts a clean link syncs A (exit 0)"
is "$(sq "$A/store.db" 'SELECT count(*) FROM outbox')" 0 \
	"A's outbox is empty after the sweep"
kill -TERM "$PROXY_PID"
wait "$PROXY_PID" 2>/dev/null

# B pulls everything through a faulty link of its own.
proxy "$B" $((SEED + 100)) --cut-prob 0.5 --cut-max 200000 --dup-prob 0.2
FIELDSYNC_SET_CHANGES= sync_until "$B" 60
ok $? "B pulled through cuts after $SYNC_TRIES attempts"

is "$(sq "$SDB" "SELECT count(*) FROM records")" "$total" \
	"the server holds $total records"
sort "$W/ids" >"$W/ids.sorted"
sq "$SDB" "SELECT id FROM records ORDER BY id" | sort | cmp -s - "$W/ids.sorted"
ok $? "they are exactly the ids A printed"
is "$(set_change_ids "device = '$A_ID'" | awk '{ n++; if (!s[$0]++) d++ } END { print n + 0 "/" d + 0 }')" \
	"$total/$total" "each change is in A's accepted sets exactly once"
is "$(sq "$SDB" "SELECT CASE WHEN count(*) = max(seq) AND min(seq) = 1 AND count(DISTINCT seq) = count(*) THEN 1 ELSE 0 END FROM sets WHERE device = '$A_ID'")" \
	1 "A's sets on the server: seq 1..N, each once"
n=$(sq "$SDB" "SELECT max(seq) FROM sets WHERE device = '$A_ID'")
like "$(fsd "$A" status)" "server holds 1-$n of $n" "A's receipt covers all its $n sets"
sdump >"$W/s.dump"
fsd "$A" dump | cmp -s - "$W/s.dump"
ok $? "A holds the server's state"
fsd "$B" dump | cmp -s - "$W/s.dump"
ok $? "B holds the server's state"
cuts=$(cat "$W"/stats.* | sed -n 's/.*"cuts":\([0-9]*\).*/\1/p' | awk '{s += $1} END {print s + 0}')
dups=$(cat "$W"/stats.* | sed -n 's/.*"dups":\([0-9]*\).*/\1/p' | awk '{s += $1} END {print s + 0}')
diag "faults fired: $cuts cuts, $dups duplicated requests"
[ "$cuts" -gt 0 ] && [ "$dups" -gt 0 ]
ok $? "faults actually fired ($cuts cuts, $dups dups)"

#!/bin/bash
# Large JSON objects from a stranger must not starve honest devices (issue 9
# item 8). Five unauthenticated POST /v2/auth/challenge bodies, each one
# object of 200,000 members (2.7 MB), are sent at once — with the old
# pairwise duplicate-key check each kept a server thread for about a
# minute — while an enrolled device syncs 20 entries. The criterion is the
# client's own timeouts (`fieldsync sync` exits 0) and each stranger getting
# a 4xx answer within curl's --max-time; times are printed, never asserted.
. "$(dirname "$0")/lib.sh"
for c in curl awk; do command -v $c >/dev/null || bail "$c is needed"; done
plan 5

D=$(tmpdir)
sync_server "$D" || bail "server did not start"
sync_device A "Nguyễn Văn Hùng" || bail "enroll failed"
sync_visits 20 "Đoàn" >"$D/visits.jsonl"
fsd "$A" import "$D/visits.jsonl" >/dev/null 2>&1 || bail "import failed"

# One object, 200,000 distinct member names (and a "device" member).
awk 'BEGIN { printf "{\"device\":\"00112233445566778899aabbccddeeff\"";
	for (i = 0; i < 200000; i++) printf ",\"k%d\":%d", i, i % 10; print "}" }' \
	>"$D/big.json"
diag "stranger's body: $(wc -c <"$D/big.json") bytes"

t0=$(date +%s%N)
for i in 1 2 3 4 5; do
	curl -s -o /dev/null -w '%{http_code}\n' --max-time 120 \
		-H 'Content-Type: application/json' --data-binary "@$D/big.json" \
		"$SERVER_URL/v2/auth/challenge" >"$D/att$i" 2>/dev/null &
	at_exit "kill $!"
	pids="${pids:-} $!"
done
sleep 0.5 # the bodies are on their way (or being parsed) when the sync starts

timeout 100 "$FIELDSYNC_BIN" --dir "$A" sync >"$D/sync.out" 2>"$D/sync.err"
rc=$?
t1=$(date +%s%N)
is "$rc" 0 "an honest sync succeeds while five 200,000-member bodies arrive"
[ "$rc" -eq 0 ] || diag "$(cat "$D/sync.err")"
diag "honest sync took $(( (t1 - t0) / 1000000 )) ms"
is "$(sq "$SDB" 'select count(*) from records')" 20 "the server holds its 20 entries"

for p in $pids; do wait "$p" 2>/dev/null; done
t2=$(date +%s%N)
diag "all five strangers answered after $(( (t2 - t0) / 1000000 )) ms: $(cat "$D"/att* | tr '\n' ' ')"
bad=0
for i in 1 2 3 4 5; do
	case "$(cat "$D/att$i")" in 4??) ;; *) bad=$((bad + 1)) ;; esac
done
is "$bad" 0 "each stranger got a 4xx answer within curl's 120 s"
# The same object with one name twice, at the very end: still found.
sed 's/}$/,"k7":1}/' "$D/big.json" >"$D/dup.json"
body=$(curl -s --max-time 60 -H 'Content-Type: application/json' \
	--data-binary "@$D/dup.json" "$SERVER_URL/v2/auth/challenge")
like "$body" '"error":"(duplicate_key|[a-z_]*too_large)"' \
	"a duplicate name as the 200,001st member is refused"
ok $(kill -0 "$SERVER_PID" 2>/dev/null; echo $?) "the server is still running"

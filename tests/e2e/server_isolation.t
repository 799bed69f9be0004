#!/bin/bash
# Isolation: ten hostile connections — five trickling a request one byte a
# second, five that send their headers and part of a body and then nothing —
# must not stop a normal client: health, authentication and a push complete
# while they hang on. The failure criterion is curl's --max-time (5 s); the
# measured times are printed, never asserted.
. "$(dirname "$0")/lib.sh"
FSD=${FIELDSYNCD_BIN:-$(dirname "$0")/../../build/fieldsyncd}
FSTOOL=${FIELDSYNC_TOOLS:-$(dirname "$0")/../../build/tests/tools}/fstool
FIELDSYNCD_BIN=$FSD
for c in curl jq sqlite3; do command -v $c >/dev/null || bail "$c is needed"; done
plan 10

D=$(tmpdir)
DB=$(new_db "$D/hq.db") || bail "no database"
"$FSD" init --db "$DB" >/dev/null || bail "init"
tok=$("$FSD" token create --db "$DB" --name "normal" --role expert 2>/dev/null) || bail "token"
"$FSTOOL" keygen "$D/k" >/dev/null || bail "keygen"
start_server "$DB" || bail "server did not start"
P=$SERVER_PORT
CURL=(curl -s --max-time 5)

# Five slow-loris clients: the request trickles in, one byte a second.
req=$'POST /v2/push HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"sets":['
for i in 1 2 3 4 5; do
	(exec 3<>"/dev/tcp/127.0.0.1/$P" || exit 1
	 while :; do
		for ((k = 0; k < ${#req}; k++)); do
			printf '%s' "${req:k:1}" >&3 || exit 0
			sleep 1
		done
	 done) 2>/dev/null &
	at_exit "kill $!"
done
# Five that send headers and a bit of the body, then nothing.
for i in 1 2 3 4 5; do
	(exec 3<>"/dev/tcp/127.0.0.1/$P" || exit 1
	 printf '%s' "$req" >&3
	 sleep 300) 2>/dev/null &
	at_exit "kill $!"
done
sleep 2
open=$(ss -tn state established "( sport = :$P )" 2>/dev/null | tail -n +2 | wc -l)
diag "hostile connections open at the server: $open"
ok $(( open >= 10 ? 0 : 1 )) "ten hostile connections are open"

ms() { echo $(( $(date +%s%N) / 1000000 )); }
t0=$(ms)
st=$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$SERVER_URL/v2/health")
t1=$(ms)
is "$st" 200 "health answers while they hang on"
diag "health: $((t1 - t0)) ms"

t0=$(ms)
st=$("${CURL[@]}" -o "$D/enr" -w '%{http_code}' -H 'Content-Type: application/json' \
	-d "{\"token\":\"$tok\",\"public_key\":\"$(cat "$D/k/pk")\",\"name\":\"Nguyễn Thị Hoa\"}" "$SERVER_URL/v2/enroll")
is "$st" 201 "enrollment completes"
S=$(timeout 5 "$FSTOOL" session --key "$D/k" --url "$SERVER_URL")
like "$S" '^[0-9a-f]{64}$' "authentication completes"
for n in 1 2 3; do
	printf '[{"kind":"trip","op":"create","fields":{"expert":"Lê Thị Mai","specialty":"obstetrics","province":"Sekong","start":"2026-05-0%d","trained":3}}]' $n |
		"$FSTOOL" mkset --key "$D/k" | jq -c '{sets: [.]}' >"$D/p.json"
	t0=$(ms)
	st=$("${CURL[@]}" -o "$D/r" -w '%{http_code}' -H 'Content-Type: application/json' \
		-H "Authorization: Bearer $S" --data-binary "@$D/p.json" "$SERVER_URL/v2/push")
	t1=$(ms)
	is "$st $(jq -c .accepted "$D/r")" "200 [$n]" "push $n completes while ten connections misbehave"
	diag "push $n: $((t1 - t0)) ms"
done
open=$(ss -tn state established "( sport = :$P )" 2>/dev/null | tail -n +2 | wc -l)
ok $(( open >= 10 ? 0 : 1 )) "the hostile connections were still open during the pushes ($open)"
stop_server TERM
is "$(sq "$DB" "select count(*) from sets")" 3 "exactly the three pushes are stored"
is "$(db_intact "$DB")" ok "integrity_check ok"

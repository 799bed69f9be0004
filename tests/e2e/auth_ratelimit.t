#!/bin/bash
# auth_ratelimit.t (issue 9 item 13): guessing enrollment tokens
# (POST /v2/enroll) and dashboard tokens (POST /login) is throttled per
# client address: after 10 failed attempts in a row from one address the
# next gets 429 too_many_requests with Retry-After, while another address
# still enrolls and signs in, successful attempts are not counted, and the
# real `fieldsync enroll` says what happened. Source addresses are chosen
# with curl --interface inside 127.0.0.0/8; no test here depends on time.
. "$(dirname "$0")/lib.sh"
FSTOOL=$FIELDSYNC_TOOLS/fstool
for c in curl jq sqlite3; do command -v $c >/dev/null || bail "$c is needed"; done
curl -s --max-time 2 --interface 127.0.0.2 -o /dev/null http://127.0.0.1:1/ 2>/dev/null
[ $? -eq 45 ] && bail "cannot use 127.0.0.2 as a source address"
plan 21

W=$(tmpdir)
DB=$(new_db "$W/hq.db") || bail "no database"
"$FIELDSYNCD_BIN" init --db "$DB" >/dev/null 2>&1 || bail "init"
start_server "$DB" || bail "server did not start"
token() { "$FIELDSYNCD_BIN" token create --db "$DB" --name "$1" --role "${2:-expert}" 2>/dev/null; }
key() { "$FSTOOL" keygen "$W/$1" >/dev/null && cat "$W/$1/pk"; }

# post FROM PATH JSON: POST from source address FROM; sets ST, BODY, HDRS
post() {
	printf '%s' "$3" >"$W/req.json"
	ST=$(curl -s --max-time 10 --interface "$1" -o "$W/body" -D "$W/hdrs" \
		-w '%{http_code}' -H 'Content-Type: application/json' \
		--data-binary "@$W/req.json" "$SERVER_URL$2")
	BODY=$(cat "$W/body")
	HDRS=$(tr -d '\r' <"$W/hdrs")
}
enroll() { # FROM TOKEN KEYNAME
	post "$1" /v2/enroll "{\"token\":\"$2\",\"public_key\":\"$(key "$3")\",\"name\":\"$3\"}"
}
guess() { printf '%064x' "$1"; }

# ---- enrollment ---------------------------------------------------------
codes=
for ((i = 1; i <= 10; i++)); do
	enroll 127.0.0.2 "$(guess "$i")" "g$i"
	codes="$codes $ST:$(jq -r .error <<<"$BODY")"
done
is "$codes" "$(printf ' 401:invalid_token%.0s' {1..10})" \
	"10 wrong enrollment tokens from 127.0.0.2: each 401 invalid_token"
enroll 127.0.0.2 "$(guess 11)" g11
is "$ST $(jq -r .error <<<"$BODY")" "429 too_many_requests" "the 11th attempt from 127.0.0.2: 429 too_many_requests"
ra=$(sed -n 's/^Retry-After: *//Ip' <<<"$HDRS")
like "$ra" '^[1-9][0-9]*$' "with a Retry-After header ($ra s)"
is "$(jq -r .retry_after <<<"$BODY")" "$ra" "and retry_after in the body, the same"
like "$(jq -r .message <<<"$BODY")" "127\\.0\\.0\\.2.*try again in $ra s" "the message names the address and the wait"

TOK=$(token "Salavan agronomist")
enroll 127.0.0.2 "$TOK" real2
is "$ST" 429 "from 127.0.0.2 even a valid token waits"
is "$(sq "$DB" "SELECT count(*) FROM tokens WHERE used_at IS NOT NULL")" 0 \
	"and the token is not used up"
enroll 127.0.0.3 "$TOK" real3
is "$ST $(jq -r .role <<<"$BODY")" "201 expert" "another address (127.0.0.3) enrolls with it meanwhile"

# Honest enrollments do not count: 12 in a row from one address.
codes=
for ((i = 1; i <= 12; i++)); do
	enroll 127.0.0.4 "$(token "Laptop $i")" "ok$i"
	codes="$codes $ST"
done
is "$codes" "$(printf ' 201%.0s' {1..12})" "12 successful enrollments in a row from 127.0.0.4: all 201"
enroll 127.0.0.4 "$(guess 99)" g99
is "$ST" 401 "and its next wrong token is still just 401"

# The real client, from 127.0.0.1, after that address guessed too much.
for ((i = 20; i < 31; i++)); do enroll 127.0.0.1 "$(guess "$i")" "h$i"; done
is "$ST" 429 "127.0.0.1 is throttled after its guesses"
D=$(tmpdir)/dev
"$FIELDSYNC_BIN" --dir "$D" init --name "Lê Văn Tám" >/dev/null 2>&1 || bail "fieldsync init"
run "$FIELDSYNC_BIN" --dir "$D" enroll "$SERVER_URL" "$(token "Tám")"
is "$RC" 1 "fieldsync enroll from the throttled address: exit 1 (refused)"
like "$ERR" "too_many_requests.*try again in [0-9]+ s" "and it says why and how long to wait"
diag "fieldsync enroll said: $ERR"
like "$(cat "$SERVER_LOG")" "POST /v2/enroll 429 too_many_requests" "the server logs the 429"

# ---- dashboard sign-in (its own buckets) ---------------------------------
HQTOK=$(token "HQ staff" hq)
codes=
for ((i = 1; i <= 10; i++)); do
	post 127.0.0.2 /login "{\"token\":\"$(guess $((100 + i)))\"}"
	codes="$codes $ST"
done
is "$codes" "$(printf ' 401%.0s' {1..10})" "10 wrong sign-ins from 127.0.0.2 (throttled for enroll): each 401"
post 127.0.0.2 /login "{\"token\":\"$(guess 111)\"}"
is "$ST $(jq -r .error <<<"$BODY")" "429 too_many_requests" "the 11th sign-in from 127.0.0.2: 429"
like "$(sed -n 's/^Retry-After: *//Ip' <<<"$HDRS")" '^[1-9][0-9]*$' "with Retry-After"
post 127.0.0.2 /login "{\"token\":\"$HQTOK\"}"
is "$ST" 429 "a valid HQ token from 127.0.0.2 waits too"
post 127.0.0.5 /login "{\"token\":\"$HQTOK\"}"
is "$ST" 200 "another address signs in meanwhile"
like "$HDRS" "Set-Cookie: fs_hq=" "and gets its session cookie"
stop_server TERM
is "$(db_intact "$DB")" ok "integrity_check ok"

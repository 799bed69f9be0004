#!/bin/bash
# End-to-end test of fieldsyncd's HTTP API against the real binary on a free
# loopback port: every endpoint, and every bad input the server issue lists.
# Each refusal is checked for its status, its error code, and that the data
# is unchanged (a dump of sets, records, devices, tokens, conflicts and
# forks, before and after). Run with FS_TLS=1 (server_tls.t) it does the
# same over HTTPS with a certificate generated at test time.
. "$(dirname "$0")/lib.sh"
FSD=${FIELDSYNCD_BIN:-$(dirname "$0")/../../build/fieldsyncd}
FSTOOL=${FIELDSYNC_TOOLS:-$(dirname "$0")/../../build/tests/tools}/fstool
FIELDSYNCD_BIN=$FSD
for c in curl jq sqlite3 openssl; do
	command -v $c >/dev/null || bail "$c is needed"
done
[ -x "$FSTOOL" ] || bail "fstool is not built ($FSTOOL)"
FAKETIME_LIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)

D=$(tmpdir)
DB=$(new_db "$D/hq.db") || bail "no database"
CURL=(curl -s --max-time 20)
TLSARGS=()
if [ "${FS_TLS:-0}" = 1 ]; then
	make_cert "$D" || bail "openssl could not make a certificate"
	TLSARGS=(--tls-cert "$D/cert.pem" --tls-key "$D/key.pem")
	CURL+=(--cacert "$D/cert.pem")
	HQ_CACERT=$D/cert.pem
fi

# req METHOD PATH [CURL ARGS...]: sets ST (status), BODY, CODE (error).
req() {
	local m=$1 p=$2
	shift 2
	ST=$("${CURL[@]}" -X "$m" -o "$D/resp" -w '%{http_code}' "$@" \
		"$SERVER_URL$p")
	BODY=$(cat "$D/resp")
	CODE=$(jq -r '.error // empty' <"$D/resp" 2>/dev/null)
}
# post PATH FILE [CURL ARGS...]: a JSON POST of FILE's exact bytes.
post() {
	local p=$1 f=$2
	shift 2
	req POST "$p" -H 'Content-Type: application/json' --data-binary "@$f" "$@"
}
auth() { echo "-HAuthorization: Bearer $1"; }
# What a refusal must not change (last_seen moves with every sync).
snap() {
	sq "$DB" "select cursor, device, seq, hex(hash), hex(bytes), sig from sets;
		select id, kind, state, updated_cursor from records;
		select id, head_seq, hex(head_hash), last_hlc, flags,
		       revoked_at_cursor from devices order by id;
		select hex(hash), used_at, device from tokens order by 1;
		select count(*) from conflicts; select count(*) from forks;" |
		sha256sum
}
# refused DESC STATUS CODE: checks the last response and the data.
refused() {
	is "$ST $CODE" "$2 $3" "$1: $2 $3"
	is "$(snap)" "$SNAP" "$1: data unchanged"
}
nsets() { sq "$DB" 'select count(*) from sets'; }
push_file() { # SESSION FILE [CURL ARGS]: push a file of {"sets":[...]}
	local s=$1 f=$2
	shift 2
	post /v2/push "$f" "$(auth "$s")" "$@"
}
wrap() { jq -c '{sets: [.]}' "$1" >"$2"; } # one {"set","sig"} -> push body
json_body() { printf '%s' "$1" >"$D/body.json"; }

HQ=$("$FSD" init --db "$DB") || bail "init failed"
start_server "$DB" "${TLSARGS[@]}" || bail "server did not start"
[ -n "$FAKETIME_LIB" ] || diag "libfaketime not found: expiry tests skipped"

# ---- health ----------------------------------------------------------
req GET /v2/health
is "$ST" 200 "health: 200"
is "$(jq -r '.status, .version, .device' <<<"$BODY" | tr '\n' ' ')" \
	"ok 2 $HQ " "health: ok, version 2, HQ's device id"
now=$(($(date +%s) * 1000))
st=$(jq -r .server_time <<<"$BODY")
ok $(( st > now - 60000 && st < now + 60000 ? 0 : 1 )) "health: server_time is now"
req POST /v2/health
is "$ST $CODE" "405 method_not_allowed" "POST /v2/health: 405"
req GET /v2/nothing
is "$ST $CODE" "404 not_found" "unknown endpoint: 404 not_found"
req GET /v1/health
is "$ST $CODE" "404 unsupported_version" "a /v1/ path (protocol v1): 404 unsupported_version"
hdr=$("${CURL[@]}" -D - -o /dev/null -X PUT "$SERVER_URL/v2/push")
like "$hdr" '[Aa]llow: POST' "405 names the allowed method"

# ---- enrollment ------------------------------------------------------
tokA=$("$FSD" token create --db "$DB" --name "Laptop Phạm Thị Hoa" --role expert 2>/dev/null)
tokB=$("$FSD" token create --db "$DB" --name "ທ່ານ ບຸນມີ" --role leader 2>/dev/null)
tokC=$("$FSD" token create --db "$DB" --name "spare" --role expert 2>/dev/null)
tokX=$("$FSD" token create --db "$DB" --name "short" --role expert --expires 1s 2>/dev/null)
"$FSTOOL" keygen "$D/a" >/dev/null && "$FSTOOL" keygen "$D/b" >/dev/null &&
	"$FSTOOL" keygen "$D/c" >/dev/null || bail "keygen failed"
A=$(cat "$D/a/id"); B=$(cat "$D/b/id"); C=$(cat "$D/c/id")
enroll_body() { printf '{"token":"%s","public_key":"%s","name":"%s"}' "$1" "$(cat "$2/pk")" "$3" >"$D/body.json"; }

enroll_body "$tokA" "$D/a" "hoa-laptop"
post /v2/enroll "$D/body.json"
is "$ST" 201 "enroll A: 201"
is "$(jq -r '.device, .role, .name' <<<"$BODY" | tr '\n' '|')" \
	"$A|expert|Laptop Phạm Thị Hoa|" "enroll A: device id, role and HQ's name (UTF-8 intact)"
enroll_body "$tokB" "$D/b" "bounmy"
post /v2/enroll "$D/body.json"
is "$ST $(jq -r .role <<<"$BODY")" "201 leader" "enroll B: 201 leader"

SNAP=$(snap)
enroll_body "$tokA" "$D/c" "again"
post /v2/enroll "$D/body.json"
refused "reused token" 401 token_used
enroll_body "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" "$D/c" "x"
post /v2/enroll "$D/body.json"
refused "unknown token" 401 invalid_token
sleep 1.2
enroll_body "$tokX" "$D/c" "late"
post /v2/enroll "$D/body.json"
refused "expired token" 401 token_expired
enroll_body "$tokC" "$D/a" "twice"
post /v2/enroll "$D/body.json"
refused "key already enrolled (token kept)" 409 already_enrolled
is "$(jq -r .device <<<"$BODY")" "$A" "already_enrolled names the device"
# A's first answer lost: retrying with its own spent token says enrolled.
enroll_body "$tokA" "$D/a" "hoa-laptop"
post /v2/enroll "$D/body.json"
refused "retry by the token's own device" 409 already_enrolled
json_body "{\"token\":\"$tokC\",\"public_key\":\"zz\",\"name\":\"c\"}"
post /v2/enroll "$D/body.json"
refused "bad public key" 400 invalid_format
json_body "{\"token\":\"$tokC\",\"public_key\":\"$(cat "$D/c/pk")\",\"colour\":1}"
post /v2/enroll "$D/body.json"
refused "enroll with an unknown member" 400 unknown_field
json_body "{\"token\":\"$tokC\"}"
post /v2/enroll "$D/body.json"
refused "enroll without public_key" 400 missing_field
json_body "{\"token\":\"$tokC\",\"token\":\"$tokC\",\"public_key\":\"$(cat "$D/c/pk")\"}"
post /v2/enroll "$D/body.json"
refused "duplicate key in the body" 400 duplicate_key
json_body "{\"token\":\"$tokC\",\"public_key\":\"$(cat "$D/c/pk")\",\"name\":\"$(printf 'x%.0s' $(seq 1 201))\"}"
post /v2/enroll "$D/body.json"
refused "over-long name" 400 too_long

# ---- authentication ---------------------------------------------------
# challenge DEV -> CH
challenge() {
	json_body "{\"device\":\"$1\"}"
	post /v2/auth/challenge "$D/body.json"
	CH=$(jq -r '.challenge // empty' <<<"$BODY")
}
# session DEV KEYDIR CHALLENGE [local_seq]
session() {
	local sig
	sig=$("$FSTOOL" authsign --key "$2" "$3")
	json_body "{\"device\":\"$1\",\"challenge\":\"$3\",\"signature\":\"$sig\",\"local_seq\":${4:-0}}"
	post /v2/auth/session "$D/body.json"
	SESS=$(jq -r '.session // empty' <<<"$BODY")
}

challenge "$A"
is "$ST $(jq -r .expires_in <<<"$BODY")" "200 120" "challenge: 200, valid 120 s"
like "$CH" '^[0-9a-f]{64}$' "challenge: 64 hex digits"
session "$A" "$D/a" "$CH" 0
is "$ST" 200 "session A: 200"
like "$SESS" '^[0-9a-f]{64}$' "session A: a 64-hex token"
is "$(jq -r '.expires_in, .holds, .head' <<<"$BODY" | tr '\n' ' ')" \
	"900 0 $(printf '0%.0s' $(seq 1 64)) " "session A: 15 min, holds 0, zero head"
SA=$SESS
SNAP=$(snap)
session "$A" "$D/a" "$CH"
refused "challenge used twice" 401 challenge_used
challenge "$A"
session "$A" "$D/b" "$CH"
refused "challenge signed by another key" 401 bad_signature
challenge "$A"
session "$B" "$D/b" "$CH"
refused "challenge issued to another device" 401 invalid_challenge
challenge "$C"
refused "challenge for an unknown device" 404 unknown_device
json_body '{"device":"XYZ"}'
post /v2/auth/challenge "$D/body.json"
refused "challenge with a malformed id" 400 invalid_format
challenge "$B"; session "$B" "$D/b" "$CH"
SB=$SESS
is "$ST" 200 "session B: 200"

# ---- push ---------------------------------------------------------------
M=0123456789abcdef0123456789abcdef # the Salavan sticky-maize model
printf '[{"id":"%s","kind":"model","op":"create","fields":{"crop":"Sticky maize ສາລີ","province":"Salavan","district":"Lao Ngam","village":"Bản Nà Sản","planned_ha":5,"planned_households":42}}]' "$M" >"$D/ch1.json"
"$FSTOOL" mkset --key "$D/a" <"$D/ch1.json" >"$D/a1.json" || bail "mkset 1"
wrap "$D/a1.json" "$D/p1.json"
SNAP=$(snap)
push_file "" "$D/p1.json"
refused "push with a bad session" 401 invalid_session
post /v2/push "$D/p1.json"
refused "push without a session" 401 invalid_session

push_file "$SA" "$D/p1.json"
is "$ST $(jq -c '[.accepted, .duplicates, .holds]' <<<"$BODY")" '200 [[1],[],1]' "push A1: accepted, holds 1"
is "$(jq -r .head <<<"$BODY")" "$(cat "$D/a/head")" "push A1: head is the set's hash"
is "$(nsets)" 1 "push A1: one set stored"
is "$(sq "$DB" "select hex(bytes) from sets where seq=1 and device='$A'" | xxd -r -p)" \
	"$(jq -r .set "$D/a1.json")" "push A1: bytes stored verbatim (Lao and Vietnamese intact)"
SNAP=$(snap)
push_file "$SA" "$D/p1.json"
is "$ST $(jq -c '[.accepted, .duplicates, .holds]' <<<"$BODY")" '200 [[],[1],1]' "re-push A1: success as a duplicate"
is "$(snap)" "$SNAP" "re-push A1: nothing changed"

# Two sets in one request; A2 updates a field of the model with its base.
stamp1=$(sq "$DB" "select json_extract(state, '\$.f.crop.s') from records where id='$M'")
printf '[{"id":"%s","kind":"model","op":"update","fields":{"crop":"Sticky maize"},"base":{"crop":"%s"}}]' "$M" "$stamp1" >"$D/ch2.json"
"$FSTOOL" mkset --key "$D/a" <"$D/ch2.json" >"$D/a2.json"
printf '[{"kind":"trip","op":"create","fields":{"expert":"Nguyễn Văn Bình","specialty":"surgery","province":"Attapeu","site":"Attapeu provincial hospital","start":"2026-03-02","trained":12,"patients":40}}]' >"$D/ch3.json"
"$FSTOOL" mkset --key "$D/a" <"$D/ch3.json" >"$D/a3.json"
jq -cs '{sets: .}' "$D/a2.json" "$D/a3.json" >"$D/p23.json"
push_file "$SA" "$D/p23.json"
is "$ST $(jq -c '[.accepted, .holds]' <<<"$BODY")" '200 [[2,3],3]' "push A2+A3 in one request"

# B may not change A's model (SPEC 9.6): refused, nothing changes.
printf '[{"id":"%s","kind":"model","op":"update","fields":{"crop":"Nếp (sticky) maize"},"base":{"crop":"%s"}}]' "$M" "$stamp1" >"$D/chb.json"
"$FSTOOL" mkset --key "$D/b" <"$D/chb.json" >"$D/b1.json"
wrap "$D/b1.json" "$D/pb1.json"
SNAP=$(snap)
push_file "$SB" "$D/pb1.json"
refused "push B1 (B edits A's model)" 403 not_owner
# A concurrent edit: HQ writes crop having seen A1's value, not A2's
# (a set signed with HQ's key, pushed with an HQ session: hq_push).
SDB=$DB
hq_push "$(cat "$D/chb.json")"
is "$HQ_CODE" 200 "push HQ's concurrent edit: accepted"
is "$(sq "$DB" "select count(*) from conflicts where record='$M' and field='crop' and resolved_at is null")" 1 \
	"concurrent edit: one open conflict kept for HQ"
is "$(sq "$DB" "select case when (winner_value = '\"Nếp (sticky) maize\"' and loser_value = '\"Sticky maize\"') or (loser_value = '\"Nếp (sticky) maize\"' and winner_value = '\"Sticky maize\"') then 1 else 0 end from conflicts")" 1 \
	"concurrent edit: both values kept"

# Refusals. Each changes nothing.
SNAP=$(snap)
json_body '{"sets":[{"set":"abc", "sig":'
post /v2/push "$D/body.json" "$(auth "$SA")"
refused "malformed JSON" 400 malformed_json
head -c $(( $(wc -c <"$D/p1.json") / 2 )) "$D/p1.json" >"$D/trunc.json"
post /v2/push "$D/trunc.json" "$(auth "$SA")"
refused "truncated body" 400 malformed_json
"$FSTOOL" mkset --key "$D/a" --no-save <"$D/ch3.json" >"$D/a4.json"
wrap "$D/a4.json" "$D/p4.json"
gzip -c "$D/p4.json" | head -c 60 >"$D/trunc.gz"
post /v2/push "$D/trunc.gz" "$(auth "$SA")" -H 'Content-Encoding: gzip'
refused "truncated gzip body" 400 truncated_body
req POST /v2/push "$(auth "$SA")" -H 'Content-Type: text/plain' --data-binary "@$D/p4.json"
refused "wrong content type" 415 wrong_content_type
req POST /v2/push "$(auth "$SA")" -H 'Content-Type: application/json' -H 'Content-Encoding: br' --data-binary "@$D/p4.json"
refused "unsupported content encoding" 415 unsupported_encoding
jq -c --arg s "$(jq -r .sig "$D/a1.json")" '.sets[0].sig = $s' "$D/p4.json" >"$D/badsig.json"
push_file "$SA" "$D/badsig.json"
refused "signature of another set" 403 bad_signature
jq -c '.sets[0].set |= sub("\"trained\":12"; "\"trained\":13")' "$D/p4.json" >"$D/tamper.json"
push_file "$SA" "$D/tamper.json"
refused "tampered bytes" 403 bad_signature
jq -c '.sets[0].sig |= .[0:100]' "$D/p4.json" >"$D/shortsig.json"
push_file "$SA" "$D/shortsig.json"
refused "signature of the wrong length" 422 bad_signature_length
push_file "$SA" "$D/pb1.json"
refused "B's old set replayed by A" 403 device_mismatch
is "$(jq -c '[.position, .seq, .holds]' <<<"$BODY")" '[0,1,3]' "refusal names position, seq and the receipt"
"$FSTOOL" mkset --key "$D/a" --no-save --seq 9 <"$D/ch3.json" >"$D/gap.json"
wrap "$D/gap.json" "$D/pgap.json"
push_file "$SA" "$D/pgap.json"
refused "sequence gap" 409 sequence_gap
is "$(jq -c '[.expected_seq, .holds]' <<<"$BODY")" '[4,3]' "sequence gap: expected_seq 4, holds 3"
"$FSTOOL" mkset --key "$D/a" --no-save --seq 4 --prev "$(printf 'ab%.0s' $(seq 1 32))" <"$D/ch3.json" >"$D/brk.json"
wrap "$D/brk.json" "$D/pbrk.json"
push_file "$SA" "$D/pbrk.json"
refused "broken chain" 409 chain_broken
bad_hlc=$(printf '%016x' $(( ( ($(date +%s) * 1000) - 86400000 ) << 16 )))
"$FSTOOL" mkset --key "$D/a" --no-save --hlc "$bad_hlc" <"$D/ch3.json" >"$D/old.json"
wrap "$D/old.json" "$D/pold.json"
push_file "$SA" "$D/pold.json"
refused "HLC not after the device's last" 422 hlc_order
like "$(jq -r .last_hlc <<<"$BODY")" '^[0-9a-f]{16}$' "hlc_order: last_hlc given"
printf '[%s]' "$(for i in $(seq 1 65); do printf '%s{"set":"x","sig":"y"}' "$([ "$i" -gt 1 ] && echo ,)"; done)" >"$D/65.json"
jq -c '{sets: .}' "$D/65.json" >"$D/p65.json"
push_file "$SA" "$D/p65.json"
refused "65 sets in one push" 413 too_many
json_body '{"sets":[]}'
post /v2/push "$D/body.json" "$(auth "$SA")"
is "$ST $(jq -c '[.accepted, .holds]' <<<"$BODY")" '200 [[],3]' "empty push: the receipt"
is "$(snap)" "$SNAP" "empty push: nothing changed"
json_body '{"sets":[{"set":"x"}]}'
post /v2/push "$D/body.json" "$(auth "$SA")"
refused "set without sig" 400 missing_field
json_body '{"sets":[{"set":"x","sig":"y","extra":1}]}'
post /v2/push "$D/body.json" "$(auth "$SA")"
refused "unknown member in a set" 400 unknown_field
# Sets signed correctly but invalid inside: bytes made by hand, then signed.
head4=$(cat "$D/a/head")
hlc_now=$(printf '%016x' $(( ($(date +%s) * 1000) << 16 )))
signed_push() { # BYTES -> $D/hand.json, pushed by A
	local sig
	printf '%s' "$1" >"$D/hand.bytes"
	sig=$("$FSTOOL" sign --key "$D/a" <"$D/hand.bytes")
	jq -cn --rawfile s "$D/hand.bytes" --arg g "$sig" '{sets: [{set: $s, sig: $g}]}' >"$D/hand.json"
	push_file "$SA" "$D/hand.json"
}
pre="{\"v\":2,\"device\":\"$A\",\"seq\":4,\"prev\":\"$head4\",\"changes\":["
tripf='"expert":"X","specialty":"surgery","province":"Sekong","start":"2026-03-02"'
signed_push "$pre{\"id\":\"$M\",\"kind\":\"trip\",\"op\":\"create\",\"hlc\":\"$hlc_now\",\"fields\":{$tripf,\"colour\":\"red\"}}]}"
refused "unknown field" 422 unknown_field
is "$(jq -r .index <<<"$BODY")" 0 "unknown field: index of the change"
is "$(jq -r .seq <<<"$BODY")" 4 "unknown field: the refusal names the set's seq, 4 (SPEC 10.2)"
signed_push "$pre{\"id\":\"$M\",\"kind\":\"spaceship\",\"op\":\"create\",\"hlc\":\"$hlc_now\",\"fields\":{$tripf}}]}"
refused "unknown kind" 422 unknown_kind
signed_push "$pre{\"id\":\"$M\",\"kind\":\"trip\",\"op\":\"create\",\"hlc\":\"$hlc_now\",\"fields\":{\"expert\":\"$(printf 'ê%.0s' $(seq 1 150))\",\"specialty\":\"surgery\",\"province\":\"Sekong\",\"start\":\"2026-03-02\"}}]}"
refused "over-long text" 422 too_long
signed_push "$pre{\"id\":\"$M\",\"kind\":\"trip\",\"op\":\"create\",\"hlc\":\"$hlc_now\",\"fields\":{\"expert\":\"X\",\"specialty\":\"surgery\",\"province\":\"Vientiane\",\"start\":\"2026-03-02\"}}]}"
refused "province outside the list" 422 invalid_value
signed_push "$pre{\"id\":\"$M\",\"kind\":\"trip\",\"op\":\"create\",\"hlc\":\"$hlc_now\",\"fields\":{\"expert\":\"X\",\"specialty\":\"surgery\",\"start\":\"2026-03-02\"}}]}"
refused "create missing a required field" 422 missing_field
many=$(for i in $(seq 1 2001); do printf '%s{"id":"%032x","kind":"trip","op":"delete","hlc":"%016x"}' "$([ "$i" -gt 1 ] && echo ,)" "$i" $(( (($(date +%s) * 1000) << 16) + i )); done)
signed_push "$pre$many]}"
refused "2001 changes in one set" 422 too_many
is "$(jq -c '[.seq, .index]' <<<"$BODY")" '[4,-1]' "2001 changes: seq 4 named, index -1"
# Invalid UTF-8 inside the body (a raw 0xff byte in a string).
{ printf '{"sets":[{"set":"{\\"v\\":1,\\"x\\":\\"'; printf '\xff'; printf '\\"}","sig":"00"}]}'; } >"$D/utf8.json"
post /v2/push "$D/utf8.json" "$(auth "$SA")"
refused "invalid UTF-8" 400 invalid_utf8
head -c 9000000 /dev/zero | tr '\0' ' ' >"$D/big.json"
post /v2/push "$D/big.json" "$(auth "$SA")"
refused "9 MB body" 413 body_too_large
head -c 9000000 /dev/zero | tr '\0' ' ' | post /v2/push - "$(auth "$SA")" -H 'Transfer-Encoding: chunked'
refused "9 MB chunked body (no length given)" 413 body_too_large
head -c 100000000 /dev/zero | gzip -9 >"$D/bomb.gz"
post /v2/push "$D/bomb.gz" "$(auth "$SA")" -H 'Content-Encoding: gzip'
refused "gzip bomb (100 MB of zeros)" 413 inflated_too_large
diag "gzip bomb: $(wc -c <"$D/bomb.gz") bytes compressed"

# A clock years ahead: refused with what to do; the data is not lost.
future=$(printf '%016x' $(( ( ($(date +%s) + 86400 * 400) * 1000) << 16 )))
"$FSTOOL" mkset --key "$D/a" --no-save --hlc "$future" <"$D/ch3.json" >"$D/fut.json"
wrap "$D/fut.json" "$D/pfut.json"
push_file "$SA" "$D/pfut.json"
refused "HLC 400 days ahead" 422 clock_ahead
like "$(jq -r .message <<<"$BODY")" 'ahead of the server clock.*fix the clock and sync again' \
	"clock_ahead: the message says how far and what to do"
ok $(( $(jq -r .ahead_ms <<<"$BODY") > 86400000 * 399 ? 0 : 1 )) "clock_ahead: ahead_ms reported"
# The device keeps the same change and re-stamps it from server time.
"$FSTOOL" mkset --key "$D/a" <"$D/ch3.json" >"$D/a4.json"
wrap "$D/a4.json" "$D/p4.json"
gzip -c "$D/p4.json" >"$D/p4.gz"
post /v2/push "$D/p4.gz" "$(auth "$SA")" -H 'Content-Encoding: gzip'
is "$ST $(jq -c .accepted <<<"$BODY")" '200 [4]' "the same change re-stamped, sent gzipped: accepted"

# A fork: a different set 2 from A. Refused, both versions kept, A flagged.
before_sets=$(nsets)
"$FSTOOL" mkset --key "$D/a" --no-save --seq 2 --prev "$(jq -r .set "$D/a1.json" | tr -d '\n' | "$FSTOOL" hash)" <"$D/ch3.json" >"$D/fork.json"
wrap "$D/fork.json" "$D/pfork.json"
push_file "$SA" "$D/pfork.json"
is "$ST $CODE" "409 fork" "fork: 409 fork"
is "$(nsets)" "$before_sets" "fork: no set added"
is "$(sq "$DB" "select hex(other_bytes) from forks where device='$A' and seq=2" | xxd -r -p)" \
	"$(jq -r .set "$D/fork.json")" "fork: the refused version is kept as evidence"
is "$(sq "$DB" "select hex(held_bytes) from forks where device='$A'" | xxd -r -p)" "$(jq -r .set "$D/a2.json")" \
	"fork: the held version is kept beside it"
is "$("$FSD" devices list --db "$DB" --json | jq -r ".[] | select(.device==\"$A\") | .forked")" true \
	"fork: device flagged for HQ"

# ---- pull ---------------------------------------------------------------
req GET "/v2/pull?after=0" "$(auth "$SB")"
is "$ST $(jq -c '[.sets[].cursor, .next, .more]' <<<"$BODY")" '200 [1,2,3,4,5,5,false]' \
	"pull after 0: every set in cursor order"
jq -r '.sets[0].set' <<<"$BODY" >"$D/pulled1"
jq -r '.set' "$D/a1.json" >"$D/sent1"
cmp -s "$D/pulled1" "$D/sent1"
ok $? "pull: the bytes come back exactly as signed (UTF-8 intact)"
is "$(jq -r '.sets[0].sig' <<<"$BODY")" "$(jq -r .sig "$D/a1.json")" "pull: the signature comes back"
req GET "/v2/pull?after=1&limit=2" "$(auth "$SB")"
is "$(jq -c '[.sets[].cursor, .next, .more]' <<<"$BODY")" '[2,3,3,true]' "pull page: limit 2, next 3, more"
req GET "/v2/pull?after=5" "$(auth "$SB")"
is "$(jq -c '[.sets, .next, .more]' <<<"$BODY")" '[[],5,false]' "pull at the end: empty page"
req GET "/v2/pull?after=-1" "$(auth "$SB")"
is "$ST $CODE" "400 invalid_format" "pull after=-1: 400 invalid_format"
req GET "/v2/pull?after=9007199254740992" "$(auth "$SB")"
is "$ST $CODE" "400 out_of_range" "pull after=2^53: 400 out_of_range"
req GET "/v2/pull?limit=501" "$(auth "$SB")"
is "$ST $(jq -c '[(.sets | length), .more]' <<<"$BODY")" '200 [5,false]' "pull limit=501: treated as 500"
req GET "/v2/pull?after=x1" "$(auth "$SB")"
is "$ST $CODE" "400 invalid_format" "pull after=x1: 400 invalid_format"
req GET "/v2/pull?after=0&colour=red" "$(auth "$SB")"
is "$ST $CODE" "400 unknown_field" "pull with an unknown parameter: 400 unknown_field"
req GET "/v2/pull" -H "Authorization: Bearer $(printf 'f%.0s' $(seq 1 64))"
is "$ST $CODE" "401 invalid_session" "pull with an unknown session: 401"
hdr=$("${CURL[@]}" --compressed -H 'Accept-Encoding: gzip' -D - -o "$D/gz" "$(auth "$SB")" "$SERVER_URL/v2/pull?after=0")
like "$hdr" '[Cc]ontent-[Ee]ncoding: gzip' "pull: gzip when the client accepts it"
is "$(jq -c '[.sets[].cursor]' "$D/gz")" '[1,2,3,4,5]' "pull gzipped: same content"
# curl --compressed offers "deflate, gzip, br, zstd": zstd is preferred.
hdr=$("${CURL[@]}" --compressed -D - -o "$D/zst" "$(auth "$SB")" "$SERVER_URL/v2/pull?after=0")
like "$hdr" '[Cc]ontent-[Ee]ncoding: zstd' "pull: zstd when the client lists it (curl --compressed)"
is "$(jq -c '[.sets[].cursor]' "$D/zst")" '[1,2,3,4,5]' "pull as zstd: same content"

# ---- roster and revocation ------------------------------------------------
req GET /v2/devices "$(auth "$SA")"
is "$(jq -r '[.devices[] | .device] | sort | join(" ")' <<<"$BODY")" \
	"$(printf '%s\n' "$A" "$B" "$HQ" | sort | tr '\n' ' ' | sed 's/ $//')" "roster: A, B and HQ"
is "$(jq -r ".devices[] | select(.device==\"$A\") | .public_key" <<<"$BODY")" "$(cat "$D/a/pk")" \
	"roster: A's public key"
is "$(jq -r ".devices[] | select(.device==\"$HQ\") | .role" <<<"$BODY")" hq "roster: HQ has role hq"
run "$FSD" devices revoke --db "$DB" "${B:0:8}"
is "$RC" 0 "revoke B by id prefix while the server runs"
like "$OUT" "revoked $B" "revoke: names the device"
printf '[{"kind":"trip","op":"create","fields":{%s}}]' "$tripf" >"$D/chb2.json"
"$FSTOOL" mkset --key "$D/b" <"$D/chb2.json" >"$D/b2.json"
wrap "$D/b2.json" "$D/pb2.json"
SNAP=$(snap)
push_file "$SB" "$D/pb2.json"
refused "push signed by a revoked key" 403 device_revoked
challenge "$B"
refused "challenge for a revoked device" 403 device_revoked
req GET /v2/devices "$(auth "$SA")"
is "$(jq -c ".devices[] | select(.device==\"$B\") | [.revoked, .revoked_at_cursor]" <<<"$BODY")" \
	'[true,5]' "roster: B revoked at cursor 5 (its sets up to 5 stay valid)"

# local_seq is an integer (SPEC 3.1): a fraction is the wrong type, a
# negative one out of range; neither uses up the challenge.
SNAP=$(snap)
challenge "$A"; session "$A" "$D/a" "$CH" 1.5
refused "session with local_seq 1.5" 400 wrong_type
session "$A" "$D/a" "$CH" -1
refused "session with local_seq -1" 400 out_of_range

# ---- restore and expiry (server clock moved with libfaketime) --------------
challenge "$A"; session "$A" "$D/a" "$CH" 2
is "$(jq -r .holds <<<"$BODY")" 4 "session with local_seq 2 < holds 4: holds reported"
is "$(sq "$DB" "select count(*) from events where kind='restore' and device='$A'")" 1 \
	"a device behind the server is recorded as a restore for HQ"
if [ -n "$FAKETIME_LIB" ]; then
	stop_server
	echo "+0" >"$D/ft"
	# (ASan wants to be first; libfaketime's preload is harmless to it.)
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	LD_PRELOAD=$FAKETIME_LIB FAKETIME_TIMESTAMP_FILE="$D/ft" FAKETIME_NO_CACHE=1 \
		FAKETIME_DONT_FAKE_MONOTONIC=1 start_server "$DB" "${TLSARGS[@]}" ||
		bail "server did not restart"
	challenge "$A"; CH_OLD=$CH
	challenge "$A"; session "$A" "$D/a" "$CH"; S_OLD=$SESS
	echo "+20m" >"$D/ft"
	SNAP=$(snap)
	push_file "$S_OLD" "$D/p1.json"
	refused "session 20 minutes old" 401 session_expired
	session "$A" "$D/a" "$CH_OLD"
	refused "challenge 20 minutes old" 401 challenge_expired
else
	skip 4 "libfaketime not installed"
fi

# ---- shutdown -------------------------------------------------------------
stop_server TERM
is "$SERVER_RC" 0 "SIGTERM: clean exit"
like "$(cat "$SERVER_LOG")" 'fieldsyncd: stopped' "SIGTERM: stopped gracefully"
like "$(server_logs | grep -c "^[0-9TZ:-]* $A POST /v2/push 409 fork in=[0-9]* out=[0-9]* [0-9]*ms")" '^[1-9]' \
	"log: one line per request with device, endpoint, status, bytes, ms"
is "$(db_intact "$DB")" ok "integrity_check ok"
plan "$_t_n"

#!/bin/bash
# sync_ticket.t: the one-request sync (SPEC 10.12, protocol version 3).
# Real devices: the first sync signs in the usual way (challenge, session)
# and keeps the ticket it is given; the next ones are one request each, idle
# or with entries to push and a page to pull, and the devices converge. A
# raw device shows the rules at the wire: a ticket works once (an exact
# replay of an earlier sync's request is refused 401 ticket_used and
# changes nothing), at either of two fieldsyncd of one database; every
# sign-in ends the tickets issued before it; an altered ticket, another
# device's ticket, a bad signature or no ticket is refused before anything
# is applied (and a bad signature leaves the ticket usable); the answer
# carries the push receipt, the first page of the feed and the next
# ticket. Last, devices whose clocks are years ahead or behind sync with
# tickets all the same: the server's clock decides every expiry.
. "$(dirname "$0")/lib.sh"
for c in jq curl faketime; do
	command -v $c >/dev/null || bail "$c is needed"
done
FSTOOL=$FIELDSYNC_TOOLS/fstool
plan 33

W=$(tmpdir)
sync_server "$W" || bail "server did not start"
P1=$SERVER_URL
sync_device A "Nguyễn Thị Hoa" || bail "enroll A"
sync_device B "ສົມສັກ ພົມມະວົງ" || bail "enroll B"
req() { jq -r .requests <<<"$1"; }
lines() { server_logs | grep -c " $1 " ; }

# ---- real devices --------------------------------------------------------
run fsd "$A" sync --json
is "$RC $(lines /v2/auth/session)" "0 1" "A's first sync signs in the usual way"
like "$(sq "$A/store.db" "select value from meta where key = 'ticket'")" '^[0-9a-f]{64}$' \
	"...and keeps the ticket the session gave it"
run fsd "$A" sync --json
is "$RC $(req "$OUT") $(lines /v3/sync)" "0 1 1" "an idle sync is one request (/v3/sync)"
is "$(lines /v2/auth/challenge)" 1 "...with no challenge"
sync_visits 10 "Vé" >"$W/a.jsonl"
fsd "$A" import "$W/a.jsonl" >/dev/null 2>&1
run fsd "$A" sync --json
is "$RC $(req "$OUT") $(jq -r .pushed_changes <<<"$OUT")" "0 1 10" \
	"10 new entries: pushed in one request"
run fsd "$B" sync --json
run fsd "$B" visit add --direction in --province Sekong --leader "Phạm Văn Bình" \
	--members 3 --sector agriculture --start 2026-05-01
run fsd "$B" sync --json
is "$RC $(req "$OUT") $(jq -r .pushed_changes <<<"$OUT")" "0 1 1" \
	"B pushes its entry in one request"
# A meets B's key for the first time: the roster is one more request.
run fsd "$A" sync --json
is "$RC $(jq -r .pulled_changes <<<"$OUT")" "0 1" "A pulls B's entry"
diag "A's first sync with B's set: $(req "$OUT") requests (the roster, once)"
run fsd "$B" visit add --direction in --province Salavan --leader "Lò Thị Sen" \
	--members 5 --sector education --start 2026-05-04
run fsd "$B" sync --json
run fsd "$A" sync --json
is "$RC $(req "$OUT") $(jq -r .pulled_changes <<<"$OUT")" "0 1 1" \
	"A pulls B's next entry in one request"
sdump >"$W/s.dump"
fsd "$A" dump >"$W/a.dump"
fsd "$B" dump >"$W/b.dump"
cmp -s "$W/a.dump" "$W/s.dump" && cmp -s "$W/b.dump" "$W/s.dump"
ok $? "A, B and the server hold the same 12 records"

# ---- at the wire ------------------------------------------------------------
"$FSTOOL" keygen "$W/k" >/dev/null || bail keygen
DEV=$(cat "$W/k/id")
tok=$("$FIELDSYNCD_BIN" token create --db "$SDB" --name "Máy thô" --role expert 2>/dev/null | tail -1)
printf '{"token":"%s","public_key":"%s","name":"raw"}' "$tok" "$(cat "$W/k/pk")" |
	curl -s -o /dev/null -H 'Content-Type: application/json' --data-binary @- "$P1/v2/enroll"
post() { # URL PATH BODY [AUTH]: sets ST and BODY
	local a=()
	[ -z "${4:-}" ] || a=(-H "Authorization: $4")
	BODY=$(curl -s -w '\n%{http_code}' -H 'Content-Type: application/json' \
		"${a[@]}" --data-binary "$3" "$1$2")
	ST=${BODY##*$'\n'}
	BODY=${BODY%$'\n'*}
}
post "$P1" /v2/auth/challenge "{\"device\":\"$DEV\"}"
CH=$(jq -r .challenge <<<"$BODY")
post "$P1" /v2/auth/session "{\"device\":\"$DEV\",\"challenge\":\"$CH\",\"signature\":\"$("$FSTOOL" authsign --key "$W/k" "$CH")\",\"local_seq\":0}"
T0=$(jq -r .ticket <<<"$BODY")
is "$ST $(jq -r .ticket_expires_in <<<"$BODY")" "200 2592000" "a session answer carries a ticket for 30 days"
printf '[{"kind":"trip","op":"create","fields":{"expert":"Lê Văn Tám","specialty":"crop","province":"Salavan","site":"Bản Nông Mạ","start":"2026-06-01","trained":12}}]' |
	"$FSTOOL" mkset --key "$W/k" >"$W/s1.json" || bail mkset
SYNC1=$(jq -c '{local_seq: 1, after: 0, sets: [.]}' "$W/s1.json")
AUTH1=$("$FSTOOL" ticketauth --key "$W/k" "$T0")
nsets() { ssq "select count(*) from sets"; }
before=$(nsets)
post "$P1" /v3/sync "$SYNC1" "$AUTH1"
is "$ST $(jq -c '[.push.status, .push.accepted, .push.holds]' <<<"$BODY")" "200 [200,[1],1]" \
	"/v3/sync with the ticket: signed in and the set accepted in one request"
is "$(jq -r '.pull.more, (.pull.sets | length > 0), (.session | length), (.ticket | length)' <<<"$BODY" | tr '\n' ' ')" \
	"false true 64 64 " "...with the first page of the feed, a session and the next ticket"
T1=$(jq -r .ticket <<<"$BODY")
S1=$(jq -r .session <<<"$BODY")
is "$(nsets)" "$((before + 1))" "the server holds the set"
is "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $S1" "$P1/v2/pull?after=0")" 200 \
	"the session it brought works for /v2/pull"
snap() { ssq "select count(*) from sets; select count(*) from events; select max(floor_ms) from auth_floor" | tr '\n' ' '; }
SNAP=$(snap)
post "$P1" /v3/sync "$SYNC1" "$AUTH1"
is "$ST $(jq -r .error <<<"$BODY")" "401 ticket_used" "the same request replayed: 401 ticket_used"
is "$(snap)" "$SNAP" "...and nothing changed"

# Two processes of one database: the ticket from the first works at the
# second, once.
start_server "$SDB" || bail "second fieldsyncd"
P2=$SERVER_URL
AUTH2=$("$FSTOOL" ticketauth --key "$W/k" "$T1")
post "$P2" /v3/sync '{"local_seq":1,"after":0,"sets":[]}' "$AUTH2"
is "$ST $(jq -r .push.holds <<<"$BODY")" "200 1" "the first process's ticket works at the second"
T2=$(jq -r .ticket <<<"$BODY")
post "$P1" /v3/sync '{"local_seq":1,"after":0,"sets":[]}' "$AUTH2"
is "$ST $(jq -r .error <<<"$BODY")" "401 ticket_used" "...and then at neither"

# A sign-in ends older tickets.
post "$P1" /v2/auth/challenge "{\"device\":\"$DEV\"}"
CH=$(jq -r .challenge <<<"$BODY")
post "$P1" /v2/auth/session "{\"device\":\"$DEV\",\"challenge\":\"$CH\",\"signature\":\"$("$FSTOOL" authsign --key "$W/k" "$CH")\",\"local_seq\":1}"
T3=$(jq -r .ticket <<<"$BODY")
post "$P1" /v3/sync '{"local_seq":1,"after":0,"sets":[]}' "$("$FSTOOL" ticketauth --key "$W/k" "$T2")"
is "$ST $(jq -r .error <<<"$BODY")" "401 ticket_used" "an unused ticket is ended by a later sign-in"

# Refused before anything is applied.
SNAP=$(snap)
alt=$(printf '%s' "$T3" | tr '0-9a-f' '1-9a-f0')
post "$P1" /v3/sync '{"local_seq":1,"after":0,"sets":[]}' "$("$FSTOOL" ticketauth --key "$W/k" "$alt")"
is "$ST $(jq -r .error <<<"$BODY")" "401 invalid_ticket" "an altered ticket: 401 invalid_ticket"
post "$P1" /v3/sync '{"local_seq":1,"after":0,"sets":[]}' \
	"Ticket $A_ID.$T3.$("$FSTOOL" ticketauth --key "$W/k" "$T3" | cut -d. -f3)"
is "$ST $(jq -r .error <<<"$BODY")" "401 invalid_ticket" "another device's id with this ticket: 401 invalid_ticket"
post "$P1" /v3/sync '{"local_seq":1,"after":0,"sets":[]}' \
	"Ticket $DEV.$T3.$("$FSTOOL" authsign --key "$W/k" "$T3")"
is "$ST $(jq -r .error <<<"$BODY")" "401 bad_signature" \
	"a challenge's signature over the ticket: 401 bad_signature"
post "$P1" /v3/sync '{"local_seq":1,"after":0,"sets":[]}'
is "$ST $(jq -r .error <<<"$BODY")" "401 invalid_ticket" "no ticket: 401 invalid_ticket"
head -c 3000000 /dev/zero | tr '\0' ' ' >"$W/big"
st=$(curl -s -o "$W/big.out" -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary @"$W/big" "$P1/v3/sync")
is "$st $(jq -r .error "$W/big.out")" "401 invalid_ticket" "a 3 MB body without a ticket: 401, refused before it is kept"
post "$P1" /v3/sync '{"local_seq":1,"after":0,"sets":[],"colour":1}' "$("$FSTOOL" ticketauth --key "$W/k" "$T3")"
is "$ST $(jq -r .error <<<"$BODY")" "400 unknown_field" "an unknown member: 400 unknown_field"
TA=$("$FSTOOL" ticketauth --key "$W/k" "$T3")
bad=
for b in '{"local_seq":1,"after":0,"sets":[],"limit":0}:400 out_of_range' \
	'{"local_seq":1,"after":-1,"sets":[]}:400 out_of_range' \
	'{"local_seq":1.5,"after":0,"sets":[]}:400 wrong_type' \
	'{"local_seq":1,"after":0,"sets":[],"own":2}:400 invalid_value' \
	'{"local_seq":1,"sets":[]}:400 missing_field' \
	'{"local_seq":1,"after":0,"sets":[{"set":"x"}]}:400 missing_field' \
	'[]:400 wrong_type' '{:400 malformed_json'; do
	post "$P1" /v3/sync "${b%:*}" "$TA"
	[ "$ST $(jq -r .error <<<"$BODY" 2>/dev/null)" = "${b##*:}" ] ||
		bad="$bad ${b%:*} -> $ST $BODY;"
done
is "$bad" "" "zero limit, negative cursor, fractional seq, bad own, missing members, non-object and broken JSON: 400 naming the fault"
is "$(snap)" "$SNAP" "none of these changed anything"
post "$P1" /v3/sync '{"local_seq":1,"after":0,"sets":[]}' "$("$FSTOOL" ticketauth --key "$W/k" "$T3")"
is "$ST" 200 "the ticket refused only for its request's faults still works"

# ---- clocks years off --------------------------------------------------------
sync_device F "Máy lệch giờ" || bail "enroll F"
sync_device G "Máy chậm giờ" || bail "enroll G"
# libfaketime is preloaded into an ASan binary: let ASan accept that.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
ahead() { faketime -f '+1500d' "$@"; }
behind() { faketime -f '-2000d' "$@"; }
ahead "$FIELDSYNC_BIN" --dir "$F" sync >/dev/null 2>&1
behind "$FIELDSYNC_BIN" --dir "$G" sync >/dev/null 2>&1
ahead "$FIELDSYNC_BIN" --dir "$F" visit add --direction out --province Attapeu \
	--leader "Đồng hồ nhanh" --members 2 --sector health --start 2026-05-02 >/dev/null
behind "$FIELDSYNC_BIN" --dir "$G" visit add --direction out --province Champasak \
	--leader "Đồng hồ chậm" --members 4 --sector health --start 2026-05-03 >/dev/null
run ahead "$FIELDSYNC_BIN" --dir "$F" sync --json
is "$RC $(jq -r .pushed_changes <<<"$OUT")" "0 1" "a device 4 years ahead syncs with its ticket (its entry re-dated)" ||
	diag "$ERR"
run behind "$FIELDSYNC_BIN" --dir "$G" sync --json
is "$RC $(req "$OUT") $(jq -r .pushed_changes <<<"$OUT")" "0 1 1" \
	"a device 5 years behind syncs in one request with its ticket"
run behind "$FIELDSYNC_BIN" --dir "$G" sync --json
is "$RC $(req "$OUT")" "0 1" "...and again (its clock plays no part in the ticket's life)"
for d in A B F G; do sync_until "${!d}" 3; done
sdump >"$W/s.dump"
same=0
for d in A B F G; do
	fsd "${!d}" dump | cmp -s - "$W/s.dump" || { same=1; diag "$d differs"; }
done
is "$same" 0 "every device holds the server's records, both clock-off entries included"
is "$(ssq "select count(*) from records where instr(state, 'Đồng hồ') > 0")" 2 \
	"the server holds both"

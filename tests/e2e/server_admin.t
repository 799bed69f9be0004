#!/bin/bash
# fieldsyncd's command line: --help everywhere, exit status 0/1/2, errors
# that name the bad argument and the allowed values, init is idempotent, the
# HQ key file is private, tokens are stored only as hashes, devices list and
# revoke (by prefix) work on the database.
. "$(dirname "$0")/lib.sh"
FSD=${FIELDSYNCD_BIN:-$(dirname "$0")/../../build/fieldsyncd}
FSTOOL=${FIELDSYNC_TOOLS:-$(dirname "$0")/../../build/tests/tools}/fstool
FIELDSYNCD_BIN=$FSD
for c in curl jq sqlite3; do command -v $c >/dev/null || bail "$c is needed"; done
D=$(tmpdir)
DB=$(new_db "$D/hq.db") || bail "no database"

for cmd in "" serve init "token create" "devices list"; do
	run "$FSD" $cmd --help
	is "$RC" 0 "fieldsyncd $cmd --help: exit 0"
	like "$OUT" 'usage: fieldsyncd' "fieldsyncd $cmd --help: usage on stdout"
done
run "$FSD"
is "$RC" 2 "no command: exit 2"
run "$FSD" frobnicate
is "$RC" 2 "unknown command: exit 2"
like "$ERR" 'unknown command "frobnicate"' "unknown command: named"
run "$FSD" serve --listen 127.0.0.1:0
is "$RC" 2 "serve without --db: exit 2"
like "$ERR" '--db PATH is required' "serve without --db: says so"
run "$FSD" serve --db "$DB" --threads 0
is "$RC" 2 "serve --threads 0: exit 2"
run "$FSD" serve --db "$DB" --listen 127.0.0.1:0 --tls-cert /nonexistent.pem
is "$RC" 2 "serve with --tls-cert alone: exit 2"

run "$FSD" init --db "$DB"
is "$RC" 0 "init: exit 0"
HQ=$OUT
like "$HQ" '^[0-9a-f]{32}$' "init prints HQ's device id"
is "$(stat -c %a "$(hqkey_of "$DB")")" 600 "HQ key file has mode 0600"
like "$(cat "$(hqkey_of "$DB")")" '^[0-9a-f]{128}$' "HQ key file holds the secret key"
run "$FSD" init --db "$DB"
is "$RC $OUT" "0 $HQ" "init again: same identity, nothing changed"
is "$(sq "$DB" "select role, name from devices where id='$HQ'")" "hq|HQ" \
	"HQ is a device with role hq"
run "$FSD" serve --db "$DB" --listen nonsense
is "$RC" 1 "serve --listen nonsense: exit 1"
like "$ERR" '--listen must be HOST:PORT' "serve --listen nonsense: names the form"

run "$FSD" token create --db "$DB" --name "Sở Y tế — Attapeu team" --role expert --expires 12h
is "$RC" 0 "token create: exit 0"
TOK=$OUT
like "$TOK" '^[0-9a-f]{64}$' "token create prints the token"
like "$ERR" 'valid once' "token create tells it works once"
is "$(sq "$DB" "select count(*) from tokens where hex(hash) like '%$TOK%' or name like '%$TOK%'")" 0 \
	"the token itself is not stored"
is "$(sq "$DB" "select lower(hex(hash)) from tokens where name like 'Sở Y tế%'")" \
	"$(printf '%s' "$TOK" | b2sum -l 256 | cut -d' ' -f1)" "only its BLAKE2b-256 hash is stored"
exp=$(sq "$DB" "select expires_at - created_at from tokens where name like 'Sở Y tế%'")
is "$exp" $((12 * 3600 * 1000)) "--expires 12h"
run "$FSD" token create --db "$DB" --name x --role admin
is "$RC" 2 "token create --role admin: exit 2"
like "$ERR" 'expert, leader, hq' "bad role: lists the allowed roles"
run "$FSD" token create --db "$DB" --name x --role leader --expires 3weeks
is "$RC" 2 "token create --expires 3weeks: exit 2"
like "$ERR" 'e.g. 7d, 12h, 30m' "bad duration: shows the form"
run "$FSD" token create --db "$DB" --role leader
is "$RC" 2 "token create without --name: exit 2"
run "$FSD" token delete --db "$DB"
is "$RC" 2 "token delete: exit 2"

run "$FSD" devices list --db "$D/none.db"
is "$RC" 1 "devices list on a missing database: exit 1"
like "$ERR" 'no database at' "missing database: says so"
[ ! -e "$D/none.db" ]
ok $? "devices list did not create a database"

start_server "$DB" || bail "server did not start"
enroll() { # KEYDIR ROLE
	local t
	"$FSTOOL" keygen "$1" >/dev/null
	t=$("$FSD" token create --db "$DB" --name "dev $2" --role "$2" 2>/dev/null)
	curl -s --max-time 10 -H 'Content-Type: application/json' \
		-d "{\"token\":\"$t\",\"public_key\":\"$(cat "$1/pk")\",\"name\":\"ເຄື່ອງ\"}" \
		"$SERVER_URL/v2/enroll" >/dev/null
}
enroll "$D/k1" expert
enroll "$D/k2" leader
K1=$(cat "$D/k1/id"); K2=$(cat "$D/k2/id")
run "$FSD" devices list --db "$DB"
is "$RC" 0 "devices list: exit 0"
is "$(grep -c -E "^($K1|$K2|$HQ) " <<<"$OUT")" 3 "devices list: HQ and both devices"
like "$(grep "^$K2" <<<"$OUT")" 'leader .* active' "devices list: role and state"
run "$FSD" devices list --db "$DB" --json
is "$(jq -r ".[] | select(.device==\"$K1\") | [.role, .revoked, .client_name] | join(\" \")" <<<"$OUT")" \
	"expert false ເຄື່ອງ" "devices list --json: role, state, the device's own name (Lao intact)"
run "$FSD" devices revoke --db "$DB"
is "$RC" 2 "devices revoke without DEVICE: exit 2"
run "$FSD" devices revoke --db "$DB" XYZ
is "$RC" 2 "devices revoke XYZ: exit 2 (not hex)"
run "$FSD" devices revoke --db "$DB" ffffffffffffffffffffffffffffffff
is "$RC" 1 "devices revoke of an unknown device: exit 1"
run "$FSD" devices revoke --db "$DB" "$HQ"
is "$RC" 1 "HQ's own identity cannot be revoked"
# A one-digit prefix that matches two devices, if there is one.
p=""
for d in 0 1 2 3 4 5 6 7 8 9 a b c d e f; do
	n=$(printf '%s\n' "$K1" "$K2" "$HQ" | grep -c "^$d")
	[ "$n" -ge 2 ] && p=$d && break
done
if [ -n "$p" ]; then
	run "$FSD" devices revoke --db "$DB" "$p"
	is "$RC" 1 "an ambiguous prefix is refused"
else
	run "$FSD" devices revoke --db "$DB" ""
	is "$RC" 2 "an empty prefix is refused"
fi
run "$FSD" devices revoke --db "$DB" "${K1:0:6}"
is "$RC" 0 "revoke by prefix while the server runs: exit 0"
like "$OUT" "revoked $K1" "revoke: names the device"
run "$FSD" devices revoke --db "$DB" "$K1"
is "$RC" 0 "revoke again: exit 0"
like "$OUT" 'already revoked' "revoke again: says so"
run "$FSD" devices list --db "$DB" --json
is "$(jq -r ".[] | select(.device==\"$K1\") | .revoked" <<<"$OUT")" true "devices list: revoked"
is "$(sq "$DB" "select count(*) from events where kind='revoke' and device='$K1'")" 1 \
	"the revocation is recorded once as an event"
stop_server TERM
is "$SERVER_RC" 0 "server stops cleanly"
plan "$_t_n"

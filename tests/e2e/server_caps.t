#!/bin/bash
# One device cannot grow HQ's lists without bound (issue 9 item 12), over
# the real HTTP API: a set with 1200 concurrent edits is accepted and every
# edit merged, but only 1000 open conflicts are listed for the device and
# it is flagged conflicts-capped; 20 different sets with one seq are all
# refused as forks, 16 are kept as evidence and it is flagged forks-capped;
# the dashboard's /api/conflicts answers in pages. A database made before
# conflicts had a device column gets it on open, filled in.
. "$(dirname "$0")/lib.sh"
FSD=${FIELDSYNCD_BIN:-$(dirname "$0")/../../build/fieldsyncd}
FSTOOL=${FIELDSYNC_TOOLS:-$(dirname "$0")/../../build/tests/tools}/fstool
FIELDSYNCD_BIN=$FSD
for c in curl jq sqlite3; do command -v $c >/dev/null || bail "$c is needed"; done
plan 16

D=$(tmpdir)
DB=$(new_db "$D/hq.db") || bail "no database"
CURL=(curl -s --max-time 60)
"$FSD" init --db "$DB" >/dev/null || bail "init"
start_server "$DB" || bail "server did not start"
tok=$("$FSD" token create --db "$DB" --name "Máy thử" --role expert 2>/dev/null) || bail token
"$FSTOOL" keygen "$D/k" >/dev/null || bail keygen
A=$(cat "$D/k/id")
"${CURL[@]}" -o /dev/null -H 'Content-Type: application/json' \
	-d "{\"token\":\"$tok\",\"public_key\":\"$(cat "$D/k/pk")\",\"name\":\"t\"}" \
	"$SERVER_URL/v2/enroll" || bail enroll
S=$("$FSTOOL" session --key "$D/k" --url "$SERVER_URL") || bail session
push() { # FILE: sets ST, CODE
	ST=$("${CURL[@]}" -o "$D/resp" -w '%{http_code}' -H 'Content-Type: application/json' \
		-H "Authorization: Bearer $S" --data-binary "@$1" "$SERVER_URL/v2/push")
	CODE=$(jq -r '.error // empty' <"$D/resp")
}
M=c0ffee00c0ffee00c0ffee00c0ffee00
# changes N [FROM]: a create of M (unless FROM is given) and N crop updates
# without a base, each a concurrent edit of the one before.
changes() {
	awk -v id=$M -v n="$1" -v from="${2:-}" 'BEGIN {
		sep = ""
		if (from == "") {
			printf "[{\"id\":\"%s\",\"kind\":\"model\",\"op\":\"create\",\"fields\":{\"crop\":\"Cà phê 0\",\"province\":\"Attapeu\",\"planned_ha\":1,\"planned_households\":2}}", id
			sep = ","; from = 1
		} else printf "["
		for (i = from; i < from + n; i++) {
			printf "%s{\"id\":\"%s\",\"kind\":\"model\",\"op\":\"update\",\"fields\":{\"crop\":\"Cà phê %d\"}}", sep, id, i
			sep = ","
		}
		print "]" }'
}
changes 1200 | "$FSTOOL" mkset --key "$D/k" | jq -c '{sets: [.]}' >"$D/p1.json"
push "$D/p1.json"
is "$ST" 200 "a set with 1200 concurrent edits is accepted"
is "$(sq "$DB" "select json_extract(state, '\$.f.crop.v') from records where id = '$M'")" \
	"Cà phê 1200" "every edit merged: the record holds the last value"
run "$FSD" conflicts list --db "$DB" --json
is "$(jq .open <<<"$OUT")" 1000 "only 1000 open conflicts are listed for the device"
run "$FSD" devices list --db "$DB"
like "$(grep "^$A" <<<"$OUT")" 'conflicts-capped' "devices list flags it conflicts-capped"
run "$FSD" devices list --db "$DB" --json
is "$(jq -r --arg a "$A" '.[] | select(.device == $a) | [.conflicts_capped, .forks_capped] | @tsv' <<<"$OUT")" \
	"$(printf 'true\tfalse')" "devices list --json: conflicts_capped true, forks_capped false"
is "$(sq "$DB" "select count(*) from events where device = '$A' and kind = 'conflicts_capped'")" 1 \
	"one conflicts_capped event for HQ"
changes 50 1201 | "$FSTOOL" mkset --key "$D/k" | jq -c '{sets: [.]}' >"$D/p2.json"
push "$D/p2.json"
is "$ST $(sq "$DB" 'select count(*) from conflicts')" "200 1000" \
	"50 more: merged, still 1000 listed"

# Forks: 20 different sets, all numbered 1.
cp -r "$D/k" "$D/k0"
for i in $(seq 1 20); do
	printf '[{"kind":"trip","op":"create","fields":{"expert":"Fork %d","specialty":"surgery","province":"Attapeu","start":"2026-03-02"}}]' "$i" |
		"$FSTOOL" mkset --key "$D/k0" --seq 1 --prev "$(printf '0%.0s' $(seq 1 64))" --no-save |
		jq -c '{sets: [.]}' >"$D/f.json"
	push "$D/f.json"
	echo "$ST $CODE"
done >"$D/forks.txt"
is "$(sort -u "$D/forks.txt")" "409 fork" "all 20 are refused as forks"
is "$(sq "$DB" "select count(*) from forks where device = '$A'")" 16 "16 are kept as evidence"
run "$FSD" devices list --db "$DB"
like "$(grep "^$A" <<<"$OUT")" 'forked,conflicts-capped,forks-capped' "devices list: forked, conflicts-capped, forks-capped"

# The dashboard's list, in pages.
htok=$("$FSD" token create --db "$DB" --name "HQ" --role hq 2>/dev/null)
"${CURL[@]}" -c "$D/jar" -o /dev/null -H 'Content-Type: application/json' \
	-d "{\"token\":\"$htok\"}" "$SERVER_URL/login"
"${CURL[@]}" -b "$D/jar" -o "$D/page1" "$SERVER_URL/api/conflicts"
is "$(jq -c '[(.conflicts | length), .open, (.next | type), (.capped_devices | map(.id))]' "$D/page1")" \
	"[100,1000,\"number\",[\"$A\"]]" "/api/conflicts: a page of 100 of the 1000, next, the capped device"
diag "first page: $(wc -c <"$D/page1") bytes (was every conflict in one answer)"
n=0 after=0 pages=0
while :; do
	"${CURL[@]}" -b "$D/jar" -o "$D/page" "$SERVER_URL/api/conflicts?limit=500&after=$after"
	n=$((n + $(jq '.conflicts | length' "$D/page")))
	pages=$((pages + 1))
	after=$(jq '.next' "$D/page")
	[ "$after" = null ] && break
	[ "$pages" -gt 10 ] && break
done
is "$n $pages" "1000 2" "limit=500 following next: all 1000 in 2 pages"
st=$("${CURL[@]}" -b "$D/jar" -o /dev/null -w '%{http_code}' "$SERVER_URL/api/conflicts?limit=501")
is "$st" 400 "limit=501: 400"
stop_server TERM

# An older database: no conflicts.device, no index. Opening adds both and
# fills the column from the sets. (A SQLite file only: the PostgreSQL
# schema had the column from its first version.)
if [ "$(backend)" = sqlite ]; then
	sq "$DB" "drop index conflicts_open_device; alter table conflicts drop column device;" ||
		bail "cannot make an old-style database"
	run "$FSD" conflicts list --db "$DB" --json
	is "$RC $(jq .open <<<"$OUT")" "0 1000" "an older database opens (conflicts list)"
	is "$(sq "$DB" "select count(*) from conflicts where device = '$A'")" 1000 \
		"conflicts.device was added and filled in from the sets"
else
	skip 2 "an older SQLite schema (PostgreSQL's first schema has conflicts.device)"
fi
is "$(db_intact "$DB")" ok "integrity_check: ok"

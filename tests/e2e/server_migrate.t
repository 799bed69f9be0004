#!/bin/bash
# server_migrate.t: `fieldsyncd migrate --from DB --to DB` (issue 14) on a
# database the HQ fixture built with real devices (visits, trips, models,
# an HQ-signed change, an open conflict): the copy is checked by migrate
# itself, then from outside: a server on the copy serves the same pull
# bytes (byte-compared, every page) and the same report; HQ's key came
# along (HQ signs a correction on the copy); devices sync with the copy as
# if nothing happened; a target that is not empty is refused and left as
# it was. FIELDSYNC_TEST_DB_COPY (a database URL) sets the target; by
# default a new SQLite file.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hq_lib.sh"
for c in jq curl sqlite3; do
	command -v $c >/dev/null || bail "$c is needed"
done
FSTOOL=$FIELDSYNC_TOOLS/fstool
plan 12

W=$(tmpdir)
hq_fixture "$W" || bail "fixture"
SRC=$DB
DST=${FIELDSYNC_TEST_DB_COPY:-$W/copy.db}
# A raw puller enrolled on the source, for the pull bytes.
"$FSTOOL" keygen "$W/pk" >/dev/null || bail keygen
tok=$("$FSD" token create --db "$SRC" --name puller --role expert 2>/dev/null | tail -1)
printf '{"token":"%s","public_key":"%s","name":"p"}' "$tok" "$(cat "$W/pk/pk")" |
	curl -s -o /dev/null -H 'Content-Type: application/json' --data-binary @- "$SERVER_URL/v2/enroll"
pull_all() { # URL OUT: every page's body, as served
	local sess after=0 page
	sess=$("$FSTOOL" session --key "$W/pk" --url "$1") || return 1
	: >"$2"
	while :; do
		page=$(curl -s -H "Authorization: Bearer $sess" "$1/v2/pull?after=$after&limit=3")
		printf '%s\n' "$page" >>"$2"
		[ "$(jq -r .more <<<"$page")" = true ] || break
		after=$(jq -r .next <<<"$page")
	done
}
pull_all "$SERVER_URL" "$W/src.pull" || bail "pull from the source"
report() { "$FSD" report --db "$1" --period 2026H2 --format json 2>/dev/null | jq -S 'del(.now_ms)'; }
report "$SRC" >"$W/src.report"
stop_server

bad=0
for args in "" "--from $SRC" "--to $DST" "--from  --to $DST" "--from $SRC --to $DST --force"; do
	# shellcheck disable=SC2086
	run "$FSD" migrate $args
	[ "$RC" = 2 ] || { bad=1; diag "[$args] $RC $ERR"; }
done
run "$FSD" migrate --from "$W/none.db" --to "$W/never.db"
[ "$RC" = 1 ] && [[ $ERR == *"the source:"* ]] && [ ! -e "$W/never.db" ] || bad=1
is "$bad" 0 "migrate without both databases, with another argument, or from a missing one: refused, nothing made"
run "$FSD" migrate --from "$SRC" --to "$DST"
is "$RC" 0 "migrate exits 0" || diag "$ERR"
like "$OUT" 'sets +[1-9][0-9]* rows' "it copied the sets"
like "$OUT" 'copied and checked' "and checked the copy"
run "$FSD" migrate --from "$SRC" --to "$DST"
like "$RC $ERR" '^1 .*is not empty' "a second migrate into the same target is refused: not empty"

# (the report first: a pull signs the puller in, which is news to report)
report "$DST" >"$W/dst.report"
cmp -s "$W/src.report" "$W/dst.report"
ok $? "the copy makes the same report" || diag "$(diff "$W/src.report" "$W/dst.report" | head -5)"
start_server "$DST" || bail "serve the copy"
pull_all "$SERVER_URL" "$W/dst.pull" || bail "pull from the copy"
cmp -s "$W/src.pull" "$W/dst.pull"
ok $? "the copy serves the same pull bytes, page for page ($(wc -c <"$W/src.pull") bytes)"
is "$("$FSD" conflicts list --db "$DST" --json | jq .open)" 1 "the open conflict came along"
run "$FSD" records correct --db "$DST" "$M2" --planned-ha 6 --reason "sau khi chuyển máy chủ"
is "$RC" 0 "HQ's key came along: HQ signs a correction on the copy" || diag "$ERR"
for d in "$DA" "$DB_"; do
	sq "$d/store.db" "UPDATE meta SET value = '$SERVER_URL' WHERE key = 'server_url'"
done
fsd "$DA" sync >/dev/null 2>&1 && fsd "$DB_" sync >/dev/null 2>&1
ok $? "the devices sync with the copy as with the source"
is "$(fsd "$DB_" show "$M2" --json | jq .fields.planned_ha)" 6 "and receive HQ's correction made on it"
SDB=$DST sdump >"$W/s.dump"
fsd "$DA" dump >"$W/a.dump"
cmp -s "$W/a.dump" "$W/s.dump"
ok $? "a device's dump equals the copy's"

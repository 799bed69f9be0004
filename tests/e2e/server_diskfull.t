#!/bin/bash
# A full disk under the server's database is reported as what it is: the
# server's database lives on a real 2 MiB tmpfs; once the filesystem is
# filled, a push gets 503 storage_full with Retry-After (a client retries
# later: 5xx is "unreachable, nothing is lost"), the log names the cause,
# nothing is stored, and once space is freed the same push is accepted and
# the database is sound.
#
# The tmpfs is mounted in a private mount namespace (unshare -m as root,
# unshare -rm as a user where user namespaces are allowed): the script
# re-runs itself inside one, so the mount vanishes with it whatever happens.
# Where neither works the tests are skipped, saying why.
if [ -z "${FS_DISKFULL_NS:-}" ]; then
	if [ "$(id -u)" = 0 ]; then ns=(unshare -m); else ns=(unshare -rm); fi
	if "${ns[@]}" true 2>/dev/null; then
		FS_DISKFULL_NS=1 exec "${ns[@]}" bash "$0" "$@"
	fi
	FS_DISKFULL_NS=none
fi
. "$(dirname "$0")/lib.sh"
sqlite_only "a full filesystem under the database file (PostgreSQL's disk is its own; a database that stops answering is server_pg.t's crash and restart)"
FSD=${FIELDSYNCD_BIN:-$(dirname "$0")/../../build/fieldsyncd}
FSTOOL=${FIELDSYNC_TOOLS:-$(dirname "$0")/../../build/tests/tools}/fstool
FIELDSYNC_BIN=${FIELDSYNC_BIN:-$(dirname "$0")/../../build/fieldsync}
FIELDSYNCD_BIN=$FSD
for c in curl jq sqlite3 dd; do command -v $c >/dev/null || bail "$c is needed"; done
N=18
plan $N

D=$(tmpdir)
FS="$D/fs"
mkdir -p "$FS"
if [ "$FS_DISKFULL_NS" != 1 ] || ! mount -t tmpfs -o size=2m tmpfs "$FS" 2>"$D/mount.err"; then
	why="cannot mount a tmpfs here (namespace: $FS_DISKFULL_NS; $(cat "$D/mount.err" 2>/dev/null))"
	diag "$why"
	skip $N "$why"
	exit 0
fi
at_exit "umount -l '$FS'"
DB="$FS/hq.db"
CURL=(curl -s --max-time 30)

"$FSD" init --db "$DB" >/dev/null || bail "init"
tok=$("$FSD" token create --db "$DB" --name "Salavan 1" --role expert 2>/dev/null) || bail "token"
"$FSTOOL" keygen "$D/k" >/dev/null || bail "keygen"
start_server "$DB" || bail "server did not start"
"${CURL[@]}" -H 'Content-Type: application/json' \
	-d "{\"token\":\"$tok\",\"public_key\":\"$(cat "$D/k/pk")\",\"name\":\"x\"}" \
	"$SERVER_URL/v2/enroll" >/dev/null || bail "enroll"
S=$("$FSTOOL" session --key "$D/k" --url "$SERVER_URL") || bail "session"
"$FIELDSYNC_BIN" --dir "$D/dev" init --name "Nguyễn Văn Hùng" >/dev/null 2>&1 &&
	"$FIELDSYNC_BIN" --dir "$D/dev" enroll "$SERVER_URL" \
		"$("$FSD" token create --db "$DB" --name dev --role expert 2>/dev/null)" \
		>/dev/null 2>&1 || bail "client enroll"

# push FILE: sets ST, BODY, CODE, HDRS
push() {
	ST=$("${CURL[@]}" -D "$D/hdrs" -o "$D/resp" -w '%{http_code}' \
		-H 'Content-Type: application/json' -H "Authorization: Bearer $S" \
		--data-binary "@$1" "$SERVER_URL/v2/push")
	BODY=$(cat "$D/resp")
	CODE=$(jq -r '.error // empty' <"$D/resp" 2>/dev/null)
	HDRS=$(cat "$D/hdrs")
}
# mkpush N TAG: a push body of one set of N trips with 1.5 KB outcomes
mkpush() {
	local out=$D/push.$2.json
	awk -v n="$1" -v tag="$2" 'BEGIN {
		pad = sprintf("%1500s", ""); gsub(/ /, "x", pad)
		printf "["
		for (i = 1; i <= n; i++)
			printf "%s{\"kind\":\"trip\",\"op\":\"create\",\"fields\":{\"expert\":\"%s %d\",\"specialty\":\"surgery\",\"province\":\"Attapeu\",\"start\":\"2026-03-02\",\"outcome\":\"%s\"}}", (i > 1 ? "," : ""), tag, i, pad
		printf "]"
	}' | "$FSTOOL" mkset --key "$D/k" | jq -c '{sets: [.]}' >"$out"
	echo "$out"
}

P1=$(mkpush 1 small)
push "$P1"
is "$ST" 200 "a push with room on the disk: 200"

# Fill the filesystem, then push a set that needs more room than is left.
dd if=/dev/zero of="$FS/fill" bs=4096 2>/dev/null
df -k "$FS" | tail -1 | awk '{print "# filesystem: " $2 " KiB, " $4 " KiB free"}' >&2
P2=$(mkpush 300 big)
# The real client meanwhile: an entry saved offline, a sync on the full
# disk is "server unreachable" (exit 3, entry kept), then goes through.
run "$FIELDSYNC_BIN" --dir "$D/dev" visit add --direction out --province Salavan \
	--leader "Nguyễn Văn Hùng" --members 3 --sector agriculture --start 2026-04-10
run "$FIELDSYNC_BIN" --dir "$D/dev" sync
is "$RC" 3 "fieldsync sync on the full disk: exit 3 (retry later)"; diag "fieldsync: $ERR"
like "$ERR" "503.*disk is full.*nothing is lost" "it tells the user the server's disk is full and nothing is lost"
push "$P2"
is "$ST $CODE" "503 storage_full" "a push on a full disk: 503 storage_full"
like "$(jq -r .message <<<"$BODY")" 'disk.*full' "the message says the disk is full"
unlike "$BODY" 'rollback' "the first error is kept (not the failed ROLLBACK's)"
like "$HDRS" '[Rr]etry-[Aa]fter: [0-9]+' "it carries Retry-After"
like "$(cat "$SERVER_LOG")" 'POST /v2/push 503 storage_full' "the log line names the cause"
is "$(sqlite3 "$DB" 'select count(*) from sets')" 1 "nothing of the refused push was stored"
push "$P2"
is "$ST $CODE" "503 storage_full" "again while the disk is full: still 503 storage_full"

rm -f "$FS/fill"
push "$P2"
is "$ST" 200 "the same push once space is freed: 200"
is "$(jq -c .accepted <<<"$BODY")" "[2]" "set 2 accepted"
is "$(sqlite3 "$DB" "select count(*) from records where kind = 'trip'")" 301 "all 301 trips are held"
push "$P2"
is "$ST $(jq -c .duplicates <<<"$BODY")" "200 [2]" "a resend is a duplicate"
run "$FIELDSYNC_BIN" --dir "$D/dev" sync
is "$RC" 0 "fieldsync sync once there is room: exit 0"
is "$(sqlite3 "$DB" "select count(*) from records where kind = 'visit'")" 1 "the device's visit reached HQ"
stop_server TERM
is "$SERVER_RC" 0 "the server stops cleanly"
is "$(sqlite3 "$DB" 'pragma integrity_check')" ok "integrity_check: ok"

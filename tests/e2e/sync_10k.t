# sync_10k.t: a device offline for a month with 10,000 pending entries (made
# with `fieldsync import`) syncs them all in ONE `fieldsync sync`: exit 0,
# the server holds every record once, the outbox is empty, and a second
# device pulls all 10,000 byte for byte.
. "$(dirname "$0")/lib.sh"
plan 9

W=$(tmpdir)
sync_server "$W" || bail "server did not start"
sync_device A "Nguyễn Thị Hoa" || bail "enroll A failed"
sync_device B "ສົມສັກ" || bail "enroll B failed"

sync_visits 10000 "Đoàn công tác" >"$W/v.jsonl"
run fsd "$A" import "$W/v.jsonl"
is "$RC" 0 "import of 10,000 lines exits 0"
is "$(wc -l <"$OUTF" | tr -d ' ')" 10000 "import printed 10,000 ids"
is "$(sq "$A/store.db" 'SELECT count(*) FROM outbox')" 10000 \
	"10,000 changes pending"

run fsd "$A" sync --json
is "$RC" 0 "one sync pushes everything (exit 0)"
diag "sync: $OUT"
is "$(sq "$A/store.db" 'SELECT count(*) FROM outbox')" 0 "outbox empty"
is "$(ssq "SELECT count(*) FROM records")" 10000 \
	"server holds 10,000 records"
sets=$(ssq "SELECT count(*) || ' ' || min(seq) || ' ' || max(seq) FROM sets WHERE device = '$A_ID'")
n=${sets%% *}
is "$sets" "$n 1 $n" "server's sets of A are seq 1..$n, each once"
like "$(fsd "$A" status)" "server holds 1-$n of $n" \
	"status shows the receipt covering every set"

run fsd "$B" sync
fsd "$A" dump >"$W/a.dump"
fsd "$B" dump >"$W/b.dump"
cmp -s "$W/a.dump" "$W/b.dump"
ok $? "a second device pulled all 10,000 records identically (rc $RC)"

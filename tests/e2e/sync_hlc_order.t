# sync_hlc_order.t: a store whose clock went back (restored from a backup
# after it had sent changes stamped a few minutes ahead) must not block its
# queue: the server refuses the new set with hlc_order, the client re-dates
# the pending changes past the last HLC the server holds of it and syncs.
. "$(dirname "$0")/lib.sh"
plan 7

command -v faketime >/dev/null || bail "faketime is not installed"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

W=$(tmpdir)
sync_server "$W" || bail "server did not start"
sync_device A "Nguyễn Thị Hoa" || bail "enroll A failed"
fsd "$A" sync >/dev/null || bail "first sync failed"
cp -a "$A" "$W/backup"

# Four minutes ahead: inside the server's bound, so accepted as is.
faketime -f '+4m' "$FIELDSYNC_BIN" --dir "$A" visit add --direction out \
	--province Attapeu --leader "Đoàn X" --members 3 --sector health \
	--start 2026-05-01 >"$W/x.id" || bail "add X failed"
run fsd "$A" sync
is "$RC" 0 "X (stamped 4 minutes ahead) accepted"

# The laptop is restored from the backup; the clock is right again.
rm -rf "$A" && cp -a "$W/backup" "$A"
Y=$(fsd "$A" visit add --direction in --province Sekong --leader "ທ່ານ Y" \
	--members 2 --sector agriculture --start 2026-05-02) || bail "add Y"
run fsd "$A" sync
is "$RC" 0 "the restored store syncs (exit 0), its queue not blocked"
like "$ERR" "re-dated" "the user is told pending changes were re-dated"
is "$(sq "$A/store.db" 'SELECT count(*) FROM outbox')" 0 "outbox empty"
is "$(ssq "SELECT count(*) FROM records WHERE id IN ('$(cat "$W/x.id")', '$Y')")" 2 \
	"the server holds both X and Y"
sets=$(ssq "SELECT count(*) || ' ' || max(seq) FROM sets WHERE device = '$A_ID'")
is "$sets" "${sets%% *} ${sets%% *}" "A's sets are 1..n with no gap or duplicate"
run fsd "$A" show "$(cat "$W/x.id")" --json
is "$RC" 0 "the restored store got X back from the server"

# sync_disk_full.t: a device whose disk filled up syncs again once a little
# room is free, less than the pending change sets themselves take. Its store
# lives on a real 3 MiB tmpfs (needs root and mount; skipped otherwise),
# beside a filler file: entries are added until the disk is full, then the
# filler gives back a few KiB at a time. With too little room, sync exits 2
# (as every disk-full does), says how much it needs and changes nothing;
# after freeing what it asked for (less than the bytes of the pending sets),
# sync exits 0, the outbox is empty and the server holds every entry that
# was saved, byte for byte.
. "$(dirname "$0")/lib.sh"
plan 14

T=$(tmpdir)
MNT="$T/mnt"
mkdir "$MNT"
if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=3m tmpfs "$MNT" 2>/dev/null; then
	skip 14 "a small tmpfs needs root and mount"
	exit 0
fi
at_exit umount -l "$MNT"

sync_server "$T" || bail "server did not start"
A="$MNT/dev"
fsd "$A" init --name "Nguyễn Thị Hoa" >/dev/null 2>&1 || bail "init failed"
tok=$("$FIELDSYNCD_BIN" token create --db "$SDB" --name hoa --role expert 2>/dev/null)
fsd "$A" enroll "$SERVER_URL" "$tok" ${CURL_CA_BUNDLE:+--cacert "$CURL_CA_BUNDLE"} >/dev/null ||
	bail "enroll failed"

# The room that will be given back later.
head -c $((512 * 1024)) /dev/zero >"$MNT/filler"
filler=$((512 * 1024))
free_some() { # free $1 bytes of the filler
	filler=$((filler - $1))
	truncate -s "$filler" "$MNT/filler"
}

# Fill the disk: batches of 100 visits, then single ones, until full.
: >"$T/ids"
b=0
while :; do
	sync_visits 100 "Đợt $b" >"$T/batch"
	fsd "$A" import "$T/batch" >>"$T/ids" 2>"$T/err" || break
	b=$((b + 1))
done
like "$(cat "$T/err")" "disk full" "imports stop with a full disk"
i=0
while fsd "$A" visit add --direction in --province Sekong --leader "Lẻ $i" \
	--members 2 --sector health --start 2026-05-01 >>"$T/ids" 2>"$T/err"; do
	i=$((i + 1))
done
like "$(cat "$T/err")" "disk full" "single adds stop with a full disk too"
saved=$(wc -l <"$T/ids")
pend_bytes=$(sq "$A/store.db" "SELECT sum(length(CAST(change AS BLOB))) FROM outbox")
is "$(sq "$A/store.db" 'SELECT count(*) FROM outbox')" "$saved" \
	"every saved entry is pending ($saved, $((pend_bytes / 1024)) KiB of changes)"
diag "store $(du -k "$A" | cut -f1) KiB; $(df -k --output=avail "$MNT" | tail -1) KiB free"

# A little room: not enough. Nothing may change.
free_some $((16 * 1024))
before=$(sq "$A/store.db" 'SELECT count(*), sum(length(change)) FROM outbox; SELECT count(*) FROM sets' | sha256sum)
run fsd "$A" sync
is "$RC" 2 "sync with 16 KiB free: exit 2 (disk full, as the README says)"
like "$ERR" "sync needs about [0-9]+ KiB free .* free [0-9]+ KiB more" \
	"... and it says how much room it needs" && diag "$ERR"
is "$(sq "$A/store.db" 'SELECT count(*), sum(length(change)) FROM outbox; SELECT count(*) FROM sets' | sha256sum)" \
	"$before" "... and changes nothing in the store"
is "$(sq "$SDB" 'SELECT count(*) FROM records')" 0 "... nor at the server"

# Free what it asked for (rounded up to whole pages), and no more.
more=$(printf '%s' "$ERR" | sed -n 's/.* free \([0-9][0-9]*\) KiB more.*/\1/p')
[ -n "$more" ] || more=$((pend_bytes / 1024))
give=$(((more * 1024 + 8191) / 4096 * 4096))
free_some "$give"
total=$((16 * 1024 + give))
ok $((total >= pend_bytes)) "the room freed ($((total / 1024)) KiB) is less than the pending changes ($((pend_bytes / 1024)) KiB)"
run fsd "$A" sync
is "$RC" 0 "sync after freeing that: exit 0"
[ "$RC" = 0 ] || diag "$ERR"
is "$(sq "$A/store.db" 'SELECT count(*) FROM outbox')" 0 "nothing is pending any more"
is "$(sq "$SDB" 'SELECT count(*) FROM records')" "$saved" "the server holds all $saved entries"
fsd "$A" dump >"$T/a.dump"
sdump >"$T/s.dump"
ok "$(cmp -s "$T/a.dump" "$T/s.dump"; echo $?)" "device and server hold the same records, byte for byte"
missing=$(cut -c1-32 "$T/s.dump" | sort | comm -13 - <(sort "$T/ids") | wc -l)
is "$missing" 0 "every id the device printed is at the server"
is "$(sq "$A/store.db" 'PRAGMA integrity_check')" ok "the device's store is intact"

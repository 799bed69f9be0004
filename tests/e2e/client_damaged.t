# client_damaged.t: a damaged store is noticed, never synced, and can be
# saved. Device A syncs 62 records (HQ holds set 1), then records 42 more
# offline. An intact store is not flagged (status, doctor). Then one leaf
# page of the records table holding synced records and one holding pending
# records are overwritten with fixed pseudo-random bytes (chosen from
# SQLite's dbstat, so the check must fail). status and sync refuse with a
# message naming the damage and what HQ holds, and sync sends nothing;
# `doctor --export` writes every readable record (the pending ones of the
# damaged page rebuilt from the outbox; only the synced ones of the other
# page are missing, and HQ has those). The documented recovery (fresh store,
# enroll, sync, import, sync) ends with every record, at HQ too.
. "$(dirname "$0")/lib.sh"
plan 29

W=$(tmpdir)
sync_server "$W" || bail "server did not start"
sync_device A "Nguyễn Thị Hoa" || bail "enroll A failed"

sync_visits 60 "Đã gửi" >"$W/b1.jsonl"
fsd "$A" import "$W/b1.jsonl" >/dev/null 2>&1 || bail "import failed"
M1=$(fsd "$A" model add --crop "Ngô nếp (sticky maize)" --province Saravane \
	--village "ບ້ານ ນາດີ" --planned-ha 5 --planned-households 42)
fsd "$A" model progress "$M1" --sown-ha 3.8 --households 42 --date 2026-09-30 >/dev/null
run fsd "$A" sync
is "$RC" 0 "A syncs its first 62 records"
n1=$(sq "$A/store.db" 'SELECT count(*) FROM records')
sync_visits 40 "Chưa gửi" >"$W/b2.jsonl"
fsd "$A" import "$W/b2.jsonl" >/dev/null 2>&1 || bail "import failed"
M2=$(fsd "$A" model add --crop "Lúa nước" --province Sekong --planned-ha 2 \
	--planned-households 10)
fsd "$A" model progress "$M2" --sown-ha 1.5 --households 9 --date 2026-10-01 >/dev/null
records() { jq -cS '.[] | {id, kind, fields}' | sort; }
fsd "$A" list --json | records >"$W/before"
is "$(wc -l <"$W/before")" 104 "A holds 104 records, 42 of them pending"

# An intact store is not flagged.
run fsd "$A" status
is "$RC" 0 "status on the intact store: exit 0"
unlike "$ERR$OUT" "damaged" "... and no word of damage"
run fsd "$A" doctor
is "$RC" 0 "doctor on the intact store: exit 0"
like "$ERR" "is intact \(integrity_check: ok\)" "... it says the store is intact"

# Two leaf pages of the records table, in key order with their rows
# (rowids 1..N in the order the records were made): one inside the synced
# rows, one inside the pending ones.
sq "$A/store.db" "SELECT pageno, ncell FROM dbstat WHERE name = 'records' AND pagetype = 'leaf' ORDER BY path" >"$W/leaves"
read -r P1 P2 R1 R2 < <(awk -F'|' -v n1="$n1" '
	{ lo = s + 1; s += $2; hi = s }
	!p1 && NR > 1 && hi <= n1 - 5 { p1 = $1; a1 = lo; b1 = hi }
	lo > n1 && !p2 { p2 = $1; a2 = lo; b2 = hi }
	END { print p1, p2, a1 "-" b1, a2 "-" b2 }' "$W/leaves")
[ -n "$P1" ] && [ -n "$P2" ] || bail "no suitable pages in: $(tr '\n' ' ' <"$W/leaves")"
lost=$(sq "$A/store.db" "SELECT id FROM records WHERE rowid BETWEEN ${R1%-*} AND ${R1#*-} ORDER BY id")
rebuilt=$(sq "$A/store.db" "SELECT id FROM records WHERE rowid BETWEEN ${R2%-*} AND ${R2#*-} ORDER BY id")
is "$(sq "$A/store.db" "SELECT count(*) FROM outbox WHERE record_id IN (SELECT id FROM records WHERE rowid BETWEEN ${R1%-*} AND ${R1#*-})")" 0 \
	"page $P1 holds synced records only (rows $R1)"
is "$(sq "$A/store.db" "SELECT count(DISTINCT record_id) FROM outbox WHERE record_id IN (SELECT id FROM records WHERE rowid BETWEEN ${R2%-*} AND ${R2#*-})")" \
	"$(printf '%s\n' "$rebuilt" | wc -l)" "page $P2 holds pending records only (rows $R2)"
page_size=$(sq "$A/store.db" 'PRAGMA page_size')
sets_before=$(sq "$SDB" 'SELECT count(*) FROM sets')
cp -a "$A" "$W/A.intact"
for p in "$P1" "$P2"; do
	LC_ALL=C awk -v seed="$p" -v n="$page_size" 'BEGIN { srand(seed)
		for (i = 0; i < n; i++) printf "%c", int(rand() * 256) }' |
		dd of="$A/store.db" bs="$page_size" seek=$((p - 1)) conv=notrunc status=none
done
isnt "$(sq "$A/store.db" 'PRAGMA quick_check' 2>&1)" ok "the two pages are damaged (sqlite3's quick_check fails)"

# status and sync refuse, saying what is wrong and what HQ holds.
run fsd "$A" status
is "$RC" 1 "status on the damaged store: exit 1"
like "$ERR" "store $A/store.db is damaged \(quick_check: .*Page ($P1|$P2)" "... naming the damaged page"
like "$ERR" "HQ holds this device's change sets 1-1 \(last synced [0-9-]+ " "... what HQ holds"
like "$ERR" "42 changes made here since are only in this store" "... and what it does not"
like "$ERR" "fieldsync doctor --export FILE" "... and what to do"
run fsd "$A" sync
is "$RC" 1 "sync refuses the damaged store: exit 1"
like "$ERR" "is damaged .*sync refuses it" "... with the same message"
is "$(sq "$SDB" 'SELECT count(*) FROM sets')" "$sets_before" "... and HQ received nothing"

# doctor: every readable record, as JSON lines.
run fsd "$A" doctor --export "$W/rescue.jsonl"
is "$RC" 1 "doctor --export on the damaged store: exit 1 (damaged), export written"
is "$(stat -c %a "$W/rescue.jsonl")" 600 "the export is private (mode 600)"
jq -cS '{id, kind, fields}' "$W/rescue.jsonl" | sort >"$W/rescued"
is "$(comm -13 "$W/before" "$W/rescued" | wc -l)" 0 "every exported line is a record exactly as it was"
is "$(comm -23 "$W/before" "$W/rescued" | jq -r .id | sort)" "$lost" \
	"only the synced records of page $P1 are missing ($(printf '%s\n' "$lost" | wc -l))"
is "$(jq -r 'select(.pending) | .id' "$W/rescue.jsonl" | sort)" \
	"$(sq "$W/A.intact/store.db" 'SELECT DISTINCT record_id FROM outbox ORDER BY 1')" \
	"the 42 pending records are marked pending, those of page $P2 rebuilt from the outbox"
like "$ERR" "wrote 101 records .*42 with changes HQ does not hold yet, $(printf '%s\n' "$rebuilt" | wc -l) rebuilt from the outbox" \
	"doctor reports what it wrote"
run fsd "$A" doctor --export "$W/rescue.jsonl"
is "$RC" 2 "doctor never overwrites an export"

# The documented recovery: a fresh store receives what HQ holds, then the
# export adds what HQ did not have.
mv "$A" "$A.damaged"
sync_device A2 "Nguyễn Thị Hoa" || bail "enroll of the fresh store failed"
fsd "$A2" sync >/dev/null 2>&1
run fsd "$A2" import "$W/rescue.jsonl"
like "$ERR" "42 records added" "import adds the 42 pending records"
like "$ERR" "59 lines left out: a record with their id is here already" "... and leaves out the 59 that HQ sent back"
run fsd "$A2" sync
is "$RC" 0 "the fresh store syncs"
fsd "$A2" list --json | records >"$W/after"
ok "$(cmp -s "$W/before" "$W/after"; echo $?)" "it holds every record of before the damage, ids and values"
is "$(sq "$SDB" 'SELECT count(*) FROM records')" 104 "and HQ holds all 104"

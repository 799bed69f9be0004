# sync_clone_race.t: two copies of one enrolled store syncing at the same
# moment, several rounds. A is copied to C; in each round both record 20
# entries and start `fieldsync sync` at once. Whichever copy loses a seq to
# the other (or its ticket, SPEC 11.10) must keep its entries and say so;
# HQ sees the identity flagged.
# Then each copy that reports the clone becomes a new device (`fieldsync
# reenroll` with a fresh token) and both sync: every entry of both copies
# is at HQ exactly once, and A, C and the server hold the same state.
. "$(dirname "$0")/lib.sh"
ROUNDS=5
PER=20
plan $((ROUNDS + 7))

export FIELDSYNC_SET_CHANGES=7
W=$(tmpdir)
sync_server "$W" || bail "server did not start"
sync_device A "Nguyễn Thị Hoa" || bail "enroll A failed"
sync_visits 10 "Trước khi sao" >"$W/v0.jsonl"
fsd "$A" import "$W/v0.jsonl" >>"$W/ids" 2>/dev/null
fsd "$A" sync >/dev/null 2>&1 || bail "first sync failed"
cp -a "$A" "$W/C"
C="$W/C"

for ((r = 1; r <= ROUNDS; r++)); do
	sync_visits "$PER" "A vòng $r" >"$W/a$r.jsonl"
	sync_visits "$PER" "C vòng $r" >"$W/c$r.jsonl"
	fsd "$A" import "$W/a$r.jsonl" >>"$W/ids" 2>/dev/null
	fsd "$C" import "$W/c$r.jsonl" >>"$W/ids" 2>/dev/null
	fsd "$A" sync >/dev/null 2>>"$W/a.log" &
	pa=$!
	fsd "$C" sync >/dev/null 2>>"$W/c.log" &
	pc=$!
	wait "$pa"
	ra=$?
	wait "$pc"
	rc=$?
	pend=$(( $(sq "$A/store.db" 'SELECT count(*) FROM outbox') +
		$(sq "$C/store.db" 'SELECT count(*) FROM outbox') ))
	# What a copy drops must be on the server: records at HQ + entries
	# still pending on either copy cover every entry made so far.
	have=$(sq "$SDB" 'SELECT count(*) FROM records')
	made=$(wc -l <"$W/ids")
	ok "$([ $((have + pend)) -ge "$made" ] && echo 0 || echo 1)" \
		"round $r (exit A $ra, C $rc): $have at HQ + $pend pending cover the $made entries made"
done

# Two copies that sign in with the same ticket at once: one wins, the
# other's request is refused before anything of it is applied, it unbuilds
# its sets and, signing in the usual way, finds the server ahead of it: it
# takes the other's sets as its own (a restore, SPEC 11.7, 11.10) and sends
# its entries after them. So the identity shows "forked" when both copies
# got sets to the server under one number, "restored" otherwise; flagged
# either way.
dev=$("$FIELDSYNCD_BIN" devices list --db "$SDB" | grep "$A_ID")
like "$dev" "forked|restored" "HQ's device list flags the shared identity"

# Each copy that reports the clone becomes a new device.
n=0
for d in "$A" "$C"; do
	fsd "$d" sync >/dev/null 2>"$W/last.err"
	if grep -q "another copy" "$W/last.err"; then
		tok=$("$FIELDSYNCD_BIN" token create --db "$SDB" \
			--name "copy $n" --role expert 2>/dev/null)
		fsd "$d" reenroll "$tok" >/dev/null 2>>"$W/reenroll.log" ||
			diag "reenroll failed: $(cat "$W/reenroll.log")"
		n=$((n + 1))
	fi
done
ok "$([ "$n" -ge 1 ] && echo 0 || echo 1)" "a copy told its user about the clone ($n re-enrolled)"
for pass in 1 2; do
	sync_until "$A" 3
	ra=$SYNC_RC
	sync_until "$C" 3
done
is "$ra/$SYNC_RC" "0/0" "afterwards both copies sync"
is "$(( $(sq "$A/store.db" 'SELECT count(*) FROM outbox') + $(sq "$C/store.db" 'SELECT count(*) FROM outbox') ))" \
	0 "nothing is left pending"

sort "$W/ids" >"$W/ids.sorted"
total=$(wc -l <"$W/ids.sorted")
sq "$SDB" "SELECT id FROM records ORDER BY id" | sort | cmp -s - "$W/ids.sorted"
ok $? "the server holds exactly the $total entries of both copies"
is "$(set_change_ids | sort -u | wc -l | tr -d ' ')" \
	"$total" "every entry was accepted"
sdump >"$W/s.dump"
fsd "$A" dump >"$W/a.dump"
fsd "$C" dump >"$W/c.dump"
cmp -s "$W/a.dump" "$W/s.dump" && cmp -s "$W/c.dump" "$W/s.dump"
ok $? "A, C and the server hold the same state"

# sync_forbidden.t: a server that serves a change the ownership rule forbids
# (a compromised or buggy server; simulated by inserting a validly signed set
# of another field device straight into the server's store, which the push
# path would have refused) has it refused by every pulling client (SPEC
# 9.6): the change is not applied, the client keeps it as a refusal that
# `fieldsync status` shows with not_owner, its sync exits 0 and goes on to
# the sets after it, and every replica holds the owner's values.
. "$(dirname "$0")/lib.sh"
plan 10

W=$(tmpdir)
sync_server "$W" || bail "server did not start"
sync_device A "Nguyễn Thị Hoa" || bail "enroll A failed"
sync_device B "ສົມສັກ ພົມມະວົງ" || bail "enroll B failed"
V=$(fsd "$A" visit add --direction out --province Sekong --leader "Đoàn Sở Y tế" \
	--members 6 --sector health --start 2026-05-10 2>/dev/null)
fsd "$A" sync >/dev/null 2>&1 && fsd "$B" sync >/dev/null 2>&1
is "$(fsd "$B" show "$V" --json | jq -r .fields.members)" 6 "B holds A's visit with 6 members"

# A third field device, enrolled, whose first set edits A's visit.
raw_device "$W/raw" || bail "the raw device did not enroll"
K=$RAW_KEY
printf '[{"id":"%s","kind":"visit","op":"update","fields":{"members":99}}]' "$V" |
	"$FIELDSYNC_TOOLS/fstool" mkset --key "$K" --no-save >"$W/set.json" || bail "mkset"
jq -j .set "$W/set.json" >"$W/set.bytes"
hash=$("$FIELDSYNC_TOOLS/fstool" hash <"$W/set.bytes")
dev=$(cat "$K/id")
sq "$SDB" "INSERT INTO sets(cursor, device, seq, bytes, sig, hash, received_at)
	VALUES((SELECT coalesce(max(cursor), 0) + 1 FROM sets), '$dev', 1,
	$(sql_blob "$(xxd -p "$W/set.bytes" | tr -d '\n')"), '$(jq -r .sig "$W/set.json")',
	$(sql_blob "$hash"), 0); UPDATE devices SET head_seq = 1, head_hash = $(sql_blob "$hash") WHERE id = '$dev'" >/dev/null
is "$(sq "$SDB" "SELECT count(*) FROM sets WHERE device = '$dev'")" 1 \
	"the forbidden set is in the server's store, as a server would serve it"

run fsd "$B" sync --json
is "$RC" 0 "B pulls the forbidden set and keeps syncing (exit 0)"
is "$(fsd "$B" show "$V" --json | jq -r .fields.members)" 6 \
	"B did not apply it: the visit still has A's 6 members, not 99"
# A later, allowed change by the owner, served after the forbidden one.
fsd "$A" edit "$V" --members 7 >/dev/null 2>&1
run fsd "$A" sync --json
is "$RC" 0 "A pulls the forbidden set too, pushes its edit (exit 0)"
fsd "$B" sync >/dev/null 2>&1
is "$(fsd "$A" show "$V" --json | jq -r .fields.members)/$(fsd "$B" show "$V" --json | jq -r .fields.members)" \
	"7/7" "the owner's later 7 members reach B: syncing went on past the refused set"
like "$(fsd "$B" status --json | jq -c '.sync.refused')" "not_owner" \
	"B's status reports the refused change with not_owner"
like "$(fsd "$B" status --json | jq -r '[.sync.refused[]?.message] | join(" ")')" "$dev" \
	"naming the set's author"
run fsd "$B" sync --json
is "$RC" 0 "the next sync is clean (the refused set is behind the cursor)"
sdump >"$W/s.dump"
fsd "$A" dump >"$W/a.dump"
fsd "$B" dump >"$W/b.dump"
cmp -s "$W/a.dump" "$W/s.dump" && cmp -s "$W/b.dump" "$W/s.dump"
ok $? "A, B and the server hold the same state"

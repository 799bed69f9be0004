# sync_own.t: a device does not download its own change sets again. After
# pushing 500 entries, its next sync pulls only what others wrote (here one
# entry of B), not its own 500 back; the server's pull with own=0 moves the
# cursor past the caller's sets; own=1 (the default) still returns them, as
# a device restored from an old backup needs; a bad own value is refused.
. "$(dirname "$0")/lib.sh"
plan 9

W=$(tmpdir)
sync_server "$W" || bail "server did not start"
sync_device A "Nguyễn Thị Hoa" || bail "enroll A failed"
sync_device B "ສົມສັກ" || bail "enroll B failed"

sync_visits 500 "Đoàn" >"$W/v.jsonl"
fsd "$A" import "$W/v.jsonl" >/dev/null || bail "import failed"
run fsd "$A" sync --json
is "$RC" 0 "A pushes 500 entries"
fsd "$B" visit add --direction out --province Sekong --leader "B's leader" \
	--members 2 --sector health --start 2026-05-02 >/dev/null
run fsd "$B" sync --json
is "$(jq -r .pulled_changes <<<"$OUT")" 500 "B pulls A's 500 entries"

run fsd "$A" sync --json
is "$RC" 0 "A syncs again"
is "$(jq -r .pulled_changes <<<"$OUT")" 1 "A pulls only B's one entry"
is "$(jq -r .pushed_sets <<<"$OUT")" 0 "nothing new to push: pushed_sets is 0, not the running total"
down=$(jq -r .bytes_down <<<"$OUT")
# 500 entries of A's would be about 35 KB compressed; B's one is < 1 KB.
ok "$([ "$down" -lt 4000 ] && echo 0 || echo 1)" \
	"A's own 500 entries were not downloaded again ($down bytes down)"
cur=$(sq "$A/store.db" "SELECT value FROM meta WHERE key = 'cursor'")
max=$(ssq "SELECT max(cursor) FROM sets")
is "$cur" "$max" "A's cursor moved past its own sets to the newest ($max)"

# The raw API, as a device made with fstool: own=1 gives every set, own=0
# none of the caller's (it has none: all of them), a bad value is a 400.
K="$W/raw"
"$FIELDSYNC_TOOLS/fstool" keygen "$K" >/dev/null || bail "keygen failed"
tok=$("$FIELDSYNCD_BIN" token create --db "$SDB" --name raw --role expert | tail -1)
printf '{"token":"%s","public_key":"%s","name":"raw"}' "$tok" "$(cat "$K/pk")" |
	curl -s -o /dev/null -H 'Content-Type: application/json' --data-binary @- \
		"$SERVER_URL/v2/enroll"
S=$("$FIELDSYNC_TOOLS/fstool" session --key "$K" --url "$SERVER_URL" 2>/dev/null)
n=$(curl -s -H "Authorization: Bearer $S" \
	"$SERVER_URL/v2/pull?after=0&limit=500&own=1" | jq '.sets | length')
is "$n" "$max" "own=1 returns every set ($max)"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $S" \
	"$SERVER_URL/v2/pull?after=0&own=maybe")
is "$code" 400 "own=maybe is refused with 400"

#!/bin/bash
# sync_zstd.t: zstd on the wire (SPEC 10.1). Real devices send their bodies
# as zstd with the protocol's dictionary and get zstd answers (the server's
# log says so) and converge; one told `--encoding gzip` sends and gets gzip
# and converges too. At the wire, with bodies made by the zstd command
# (another implementation of RFC 8878) and the dictionary's file from
# protocol/zstd/: a set compressed with the dictionary or without one is
# accepted; a frame naming another dictionary, a window over 1 MiB, a cut
# frame, bytes after the frame, a bomb and an unknown coding are refused
# with their codes and change nothing. Answers come in the coding asked
# for: zstd (any zstd decoder reads them), gzip, or none, q=0 respected.
# A server that has no zstd (FIELDSYNCD_NO_ZSTD=1) refuses a zstd body with
# 415 unsupported_encoding: the client sends it again as gzip, its ticket
# still good, and goes on in gzip; the pages come as gzip.
. "$(dirname "$0")/lib.sh"
for c in jq curl zstd; do
	command -v $c >/dev/null || bail "$c is needed"
done
FSTOOL=$FIELDSYNC_TOOLS/fstool
DICT=$FIELDSYNC_ROOT/protocol/zstd/fieldsync-1.dict
[ -s "$DICT" ] || bail "the protocol's dictionary $DICT is missing"
plan 38

W=$(tmpdir)
sync_server "$W" || bail "server did not start"
sync_device A "Nguyễn Thị Hoa" || bail "enroll A"
sync_device B "ສົມສັກ ພົມມະວົງ" || bail "enroll B"
sync_device G "Trần Văn Gia" || bail "enroll G"

# ---- real devices --------------------------------------------------------
sync_visits 30 "Nén" >"$W/a.jsonl"
fsd "$A" import "$W/a.jsonl" >/dev/null 2>&1
run fsd "$A" sync --json
is "$RC $(jq -r .encoding <<<"$OUT") $(jq -r .pushed_changes <<<"$OUT")" "0 zstd 30" \
	"A syncs 30 entries, its bodies as zstd"
like "$(server_logs | grep " POST /v2/push \| POST /v3/sync " | tail -1)" ' enc=zstd>' \
	"...the server read a zstd body (its log)"
run fsd "$A" sync --json
like "$(server_logs | grep " POST /v3/sync " | tail -1)" ' enc=zstd>' \
	"A's next sync (one request, its ticket) sends zstd too"
run fsd "$B" sync --json
is "$RC $(jq -r .pulled_changes <<<"$OUT")" "0 30" "B pulls the 30 entries"
like "$(server_logs | grep " GET /v2/pull" | tail -1)" ' enc=->zstd$' \
	"...its pull page came as zstd"
run fsd "$G" visit add --direction in --province Sekong --leader "Phạm Văn Bình" \
	--members 3 --sector agriculture --start 2026-05-01
run fsd "$G" sync --encoding gzip --json
is "$RC $(jq -r .encoding <<<"$OUT") $(jq -r .pulled_changes <<<"$OUT")" "0 gzip 30" \
	"G with --encoding gzip pushes its entry and pulls the 30"
G_LINES=$(server_logs | grep " $G_ID " | grep " POST /v2/push \| POST /v3/sync \| GET /v2/pull")
like "$G_LINES" 'POST /v2/push .* enc=gzip>' "...the server read G's gzip body"
like "$G_LINES" 'GET /v2/pull .* enc=->gzip' "...and answered G's pull in gzip"
unlike "$G_LINES" 'zstd' "...and nothing of G's went as zstd"
run fsd "$G" sync --encoding brotli
is "$RC" 2 "--encoding brotli: usage error (exit 2)"
like "$ERR" 'zstd or gzip' "...naming what is allowed"
run fsd "$A" sync --json
run fsd "$B" sync --json
fsd "$A" dump >"$W/a.dump"
fsd "$B" dump >"$W/b.dump"
fsd "$G" dump >"$W/g.dump"
ok $(cmp -s "$W/a.dump" "$W/b.dump" && cmp -s "$W/a.dump" "$W/g.dump"; echo $?) \
	"A, B and G hold the same records"

# ---- at the wire -----------------------------------------------------------
raw_device "$W/k" || bail "raw device"
nsets() { sq "$SDB" "select count(*) from sets"; }
# post FILE CODING: POST the file as /v2/push with Content-Encoding CODING;
# prints the status, the answer is in $W/out.
post() {
	curl -s -o "$W/out" -w '%{http_code}' -H 'Content-Type: application/json' \
		-H "Content-Encoding: $2" -H "Authorization: Bearer $RAW_SESSION" \
		--data-binary @"$1" "$SERVER_URL/v2/push"
}
code() { jq -r .error "$W/out" 2>/dev/null; }
printf '[{"op":"create","kind":"visit","fields":{"direction":"out","province":"Attapeu","leader":"Lê Văn Tâm","members":4,"sector":"health","start":"2026-06-01"}}]' |
	"$FSTOOL" mkset --key "$W/k" >"$W/s1.json" || bail mkset
jq -c '{sets: [.]}' "$W/s1.json" >"$W/body.json"
zstd -q -19 -D "$DICT" -c "$W/body.json" >"$W/dict.zst"
before=$(nsets)
ST=$(post "$W/dict.zst" zstd)
is "$ST $(jq -r .holds "$W/out")" "200 1" "a set as zstd with the protocol's dictionary (zstd -D) is accepted"
is "$(nsets)" "$((before + 1))" "...and held"
zstd -q -3 -c "$W/body.json" >"$W/plain.zst"
ST=$(post "$W/plain.zst" zstd)
is "$ST $(jq -c .duplicates "$W/out")" "200 [1]" "the same set as zstd without a dictionary: read (a duplicate)"

# Refusals: each leaves the server as it was.
before=$(nsets)
mkdir -p "$W/other"
for i in $(seq 1 40); do
	printf '{"x":%d,"y":"%s"}\n' "$i" "$(head -c 300 /dev/urandom | base64 -w0)" >"$W/other/$i"
done
zstd -q --train "$W"/other/* --dictID=7 --maxdict=4096 -o "$W/other.dict" 2>/dev/null ||
	bail "zstd --train failed"
zstd -q -D "$W/other.dict" -c "$W/body.json" >"$W/other.zst"
ST=$(post "$W/other.zst" zstd)
is "$ST $(code)" "400 bad_encoding" "a frame naming another dictionary: 400 bad_encoding"
like "$(jq -r .message "$W/out")" 'dictionary' "...the message says it is the dictionary"
{ jq -c '{sets: [.]}' "$W/s1.json"; head -c 2500000 /dev/zero | tr '\0' ' '; } >"$W/big.json"
zstd -q --zstd=wlog=23 -c "$W/big.json" >"$W/wide.zst"
ST=$(post "$W/wide.zst" zstd)
is "$ST $(code)" "400 bad_encoding" "a frame whose window is over 1 MiB: 400 bad_encoding"
like "$(jq -r .message "$W/out")" 'window' "...the message names the window"
head -c $(($(stat -c %s "$W/dict.zst") - 6)) "$W/dict.zst" >"$W/cut.zst"
ST=$(post "$W/cut.zst" zstd)
is "$ST $(code)" "400 truncated_body" "a cut frame: 400 truncated_body"
cat "$W/dict.zst" "$W/dict.zst" >"$W/two.zst"
ST=$(post "$W/two.zst" zstd)
is "$ST $(code)" "400 bad_encoding" "bytes after the frame: 400 bad_encoding"
head -c 30000000 /dev/zero | tr '\0' ' ' | zstd -q -19 --zstd=wlog=20 -c >"$W/bomb.zst"
ST=$(post "$W/bomb.zst" zstd)
is "$ST $(code)" "413 inflated_too_large" "a zstd bomb ($(stat -c %s "$W/bomb.zst") bytes): 413 inflated_too_large"
ST=$(post "$W/body.json" br)
is "$ST $(code)" "415 unsupported_encoding" "Content-Encoding br: 415 unsupported_encoding"
like "$(jq -r .message "$W/out")" 'zstd, gzip or none' "...naming what is allowed"
is "$(nsets)" "$before" "none of the refused bodies changed anything"

# ---- answers in the coding asked for -------------------------------------
# get AE: GET the whole feed with Accept-Encoding AE (empty: none); the
# answer's Content-Encoding is printed, the body is in $W/page.
get() {
	curl -s -D "$W/h" -o "$W/page" -H "Accept-Encoding: $1" \
		-H "Authorization: Bearer $RAW_SESSION" \
		"$SERVER_URL/v2/pull?after=0&limit=100&own=1" >/dev/null
	tr -d '\r' <"$W/h" | sed -n 's/^[Cc]ontent-[Ee]ncoding: *//p'
}
is "$(get '')" "" "no Accept-Encoding: the answer goes as it is"
cp "$W/page" "$W/page.plain"
is "$(get 'zstd')" "zstd" "Accept-Encoding zstd: zstd"
ok $(zstd -q -d -c "$W/page" | cmp -s - "$W/page.plain"; echo $?) \
	"...that any zstd decoder reads back to the same page (no dictionary needed)"
is "$(get 'gzip, deflate')" "gzip" "Accept-Encoding gzip: gzip"
ok $(gzip -d -c <"$W/page" | cmp -s - "$W/page.plain"; echo $?) "...the same page"
is "$(get 'zstd;q=0, gzip')" "gzip" "zstd;q=0 declines zstd: gzip"

# ---- a server without zstd -------------------------------------------------
# FIELDSYNCD_NO_ZSTD=1 makes fieldsyncd refuse zstd bodies as a server of
# before zstd does (415 unsupported_encoding): the client sends the same
# request again as gzip and goes on in gzip for the rest of the pass.
W2=$(tmpdir)
export FIELDSYNCD_NO_ZSTD=1
sync_server "$W2" || bail "the server without zstd did not start"
unset FIELDSYNCD_NO_ZSTD
sync_device D "Phạm Thu Dung" || bail "enroll D"
sync_device E "ບຸນມີ ສີຫາລາດ" || bail "enroll E"
sync_visits 12 "Cũ" >"$W2/d.jsonl"
fsd "$D" import "$W2/d.jsonl" >/dev/null 2>&1
run fsd "$D" sync --json
is "$RC $(jq -r .encoding <<<"$OUT") $(jq -r .pushed_changes <<<"$OUT")" "0 gzip 12" \
	"to a server that refuses zstd, D's first sync goes through as gzip (12 entries)"
like "$(grep -c ' POST /v2/push 415 unsupported_encoding ' "$SERVER_LOG")" '^1$' \
	"...after the server refused its zstd push with 415 unsupported_encoding (its log)"
sync_visits 3 "Lại" >"$W2/d2.jsonl"
fsd "$D" import "$W2/d2.jsonl" >/dev/null 2>&1
run fsd "$D" sync --json
is "$RC $(jq -r .encoding <<<"$OUT") $(jq -r .pushed_changes <<<"$OUT")" "0 gzip 3" \
	"its next sync, one request with its ticket, goes through as gzip too (3 entries)"
like "$(grep ' POST /v3/sync ' "$SERVER_LOG" | tail -2 | awk '{ print $5, $6 }' | paste -sd' ' -)" \
	'^415 unsupported_encoding 200 in=' \
	"...the same request sent again as gzip once zstd was refused; the ticket was still good"
run fsd "$E" sync --json
is "$RC $(jq -r .pulled_changes <<<"$OUT")" "0 15" "E pulls the 15 entries from it"
like "$(grep ' GET /v2/pull ' "$SERVER_LOG" | tail -1)" ' enc=->gzip$' \
	"...whose pages came as gzip: that server never answers in zstd"
fsd "$D" dump >"$W2/d.dump" 2>/dev/null
fsd "$E" dump >"$W2/e.dump" 2>/dev/null
ok $(cmp -s "$W2/d.dump" "$W2/e.dump" && [ -s "$W2/d.dump" ]; echo $?) \
	"D and E hold the same records"

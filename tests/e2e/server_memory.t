#!/bin/bash
# Memory from small bodies (issue 9, item 7). Gzip bodies of about 800 KB
# that inflate to a 32 MiB JSON array of digits: four at a time to
# /v2/enroll from one address (no credentials), and four at a time to
# /v2/push from an enrolled device on another, five rounds each. Before,
# each body became a cJSON tree of ~1 GiB and the server held gigabytes
# for good. Now an enroll body is refused past 16 KiB (before inflating
# further), a push body past 4096 JSON values (counted before parsing), and
# what is parsed is reserved in the memory budgets first. An honest device
# syncs with the real client while the attack runs and must succeed; the
# server's peak memory must stay within its body budget (512 MiB) plus
# 128 MiB, and the memory must be given back afterwards.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attack_lib.sh"
for c in curl sqlite3; do command -v $c >/dev/null || bail "$c is needed"; done
plan 9

W=$(tmpdir)
sync_server "$W" || bail "server did not start"
honest_device H "Nguyễn Thị Hoa" || bail "honest device did not enroll"
attacker "$W/a" || bail "attacker did not enroll"
S=$(attacker_session "$W/a") || bail "attacker has no session"
diag "server before the attack: VmRSS $(server_kib VmRSS) KiB"

"$HAMMER" upload --port "$SERVER_PORT" --from 127.0.0.2 --path /v2/enroll \
	--count 4 --rounds 5 --gzip-json 33554432 >"$W/enroll.out" 2>&1 &
E_PID=$!
at_exit "kill $E_PID"
"$HAMMER" upload --port "$SERVER_PORT" --from 127.0.0.3 --path /v2/push \
	--session "$S" --count 4 --rounds 5 --gzip-json 33554400 --wrap-sets \
	>"$W/push.out" 2>&1 &
P_PID=$!
at_exit "kill $P_PID"
wait_lines "$W/enroll.out" '^upload' 1 || diag "the attack has not started"

honest_sync "$H" honest-m1
is "$HONEST_RC" 0 "an honest device syncs while the attack runs"
[ "$HONEST_RC" -eq 0 ] || diag "$HONEST_ERR"
diag "honest sync during the attack: $HONEST_MS ms"
is "$HONEST_HELD" 5 "the server holds its 5 entries"

wait "$E_PID" "$P_PID"
diag "enroll bodies: $(sed -n 1p "$W/enroll.out")"
diag "push bodies:   $(sed -n 1p "$W/push.out")"
is "$(grep -c '^upload' "$W/enroll.out")" 20 "twenty enroll bodies were sent"
is "$(grep -c 'send_error=0 status=413 code=body_too_large' "$W/enroll.out")" 20 \
	"each enroll body is refused 413 body_too_large (16 KiB), after it was read"
is "$(grep -c '^upload' "$W/push.out")" 20 "twenty push bodies were sent"
is "$(grep -Ec 'status=(413 code=too_many|503 code=busy)' "$W/push.out")" 20 \
	"each push body is refused: too many JSON values (413) or the device's budget is full (503)"

peak=$(server_kib VmHWM)
diag "server peak memory: $peak KiB; after the attack: VmRSS $(server_kib VmRSS) KiB"
ok $((peak < (512 + 128) * 1024 ? 0 : 1)) \
	"the server's peak memory stays within its body budget plus 128 MiB"
rss=$(server_kib VmRSS)
if [ -n "${FIELDSYNC_SANITIZED:-}" ]; then
	skip 1 "AddressSanitizer's allocator keeps freed memory in quarantine"
else
	ok $((rss < 128 * 1024 ? 0 : 1)) "the memory is given back after the attack"
fi

honest_sync "$H" honest-m2
is "$HONEST_RC $HONEST_HELD" "0 5" "the honest device syncs again afterwards"
stop_server TERM

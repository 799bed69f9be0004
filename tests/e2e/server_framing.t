#!/bin/bash
# Request framing and refusals of a body (issue 9, items 11 and 15), over
# real sockets (tests/tools/hammer).
#
# 11. Behind a reverse proxy that frames a body otherwise, an ambiguous
#     request smuggles a second one: a request with both Content-Length and
#     Transfer-Encoding, with two different Content-Lengths, or with a
#     Transfer-Encoding other than a single "chunked" is refused with
#     400 bad_framing and the connection is closed. Two equal
#     Content-Lengths, or chunked alone, are ordinary requests.
# 15. A body refused from its headers (413 body_too_large from
#     Content-Length, 401 on a push without a session) used to be answered
#     at once and the connection closed while the client was still sending:
#     its TCP stack then resets, and the answer can be lost. Now the rest is
#     read and dropped and then the answer sent (SPEC §10.1): a client that
#     sends its whole body gets the answer, and the connection stays usable
#     (a GET /v2/health on it afterwards). Only a body announced past
#     16 MiB, which the server will not read, is answered at once and the
#     connection closed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attack_lib.sh"
for c in curl sqlite3; do command -v $c >/dev/null || bail "$c is needed"; done
plan 18

W=$(tmpdir)
sync_server "$W" || bail "server did not start"
attacker "$W/a" || bail "device did not enroll"
S=$(attacker_session "$W/a") || bail "no session"

# raw DESC WANT REQUEST: send the exact bytes, compare "status code closed".
raw() {
	local got
	got=$(printf '%b' "$3" | "$HAMMER" raw --port "$SERVER_PORT" --wait-ms 3000)
	is "$(sed -n 's/^raw status=\([0-9]*\) code=\([a-z_]*\) closed=\([01]\).*/\1 \2 \3/p' <<<"$got")" \
		"$2" "$1"
}
H='POST /v2/enroll HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n'
raw "Content-Length and Transfer-Encoding: 400 bad_framing, closed" "400 bad_framing 1" \
	"${H}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
raw "two different Content-Lengths: 400 bad_framing, closed" "400 bad_framing 1" \
	"${H}Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}GET /v2/health HTTP/1.1\r\nHost: x\r\n\r\n"
raw "Transfer-Encoding: gzip: 400 bad_framing, closed" "400 bad_framing 1" \
	"${H}Transfer-Encoding: gzip\r\n\r\n{}"
raw "Transfer-Encoding: gzip, chunked: 400 bad_framing, closed" "400 bad_framing 1" \
	"${H}Transfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
raw "Transfer-Encoding given twice: 400 bad_framing, closed" "400 bad_framing 1" \
	"${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
raw "a GET with both headers: 400 bad_framing, closed" "400 bad_framing 1" \
	'GET /v2/health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
raw "two equal Content-Lengths: an ordinary request" "400 missing_field 0" \
	"${H}Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}"
raw "chunked alone: an ordinary request" "400 missing_field 0" \
	"${H}Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"

# upload DESC WANT HAMMER-OPTIONS: the whole body is sent, then the answer
# is "status code" and a GET /v2/health on the same connection gets 200.
upload() {
	local desc=$1 want=$2 got
	shift 2
	got=$("$HAMMER" upload --port "$SERVER_PORT" --then-health "$@")
	diag "$got"
	is "$(sed -n 's/.* status=\([0-9]*\) code=\([a-z_]*\) .*/\1 \2/p' <<<"$got")" \
		"$want" "$desc: $want"
	like "$got" 'sent=([0-9]+) total=\1 send_error=0 .*closed=0 health=200' \
		"$desc: the whole body was sent, and the connection serves the next request"
}
upload "9 MiB push (limit 8 MiB), refused from Content-Length" "413 body_too_large" \
	--path /v2/push --session "$S" --plain-json 9437184
upload "1 MiB enroll (limit 16 KiB), refused from Content-Length" "413 body_too_large" \
	--path /v2/enroll --plain-json 1048576
upload "1 MiB push without a session, refused from the headers" "401 invalid_session" \
	--path /v2/push --plain-json 1048576
upload "gzip push inflating past 32 MiB, refused while it streams" "413 inflated_too_large" \
	--path /v2/push --session "$S" --gzip-json 40000000 --wrap-sets

got=$("$HAMMER" upload --port "$SERVER_PORT" --path /v2/push --session "$S" \
	--plain-json 20000000)
diag "$got"
like "$got" 'closed=1' "a body announced past 16 MiB: the connection is closed"

stop_server TERM
is "$(sq "$SDB" 'select count(*) from sets')" 0 "nothing was stored"

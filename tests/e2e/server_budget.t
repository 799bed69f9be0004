#!/bin/bash
# Body-budget exhaustion (issue 9, item 9). Sixteen gzip uploads of about
# 800 KB that inflate to 32 MiB each, sent but for their last bytes and then
# left open, used to fill the server's 512 MiB body budget: every device got
# 503 until they closed. Four attacks, one after the other, each of sixteen
# such uploads from one address, while an honest device syncs with the real
# client and must succeed:
#   a) pushes without a session: refused from the headers (401), nothing
#      of the body is kept;
#   b) enrollments: refused past 16 KiB;
#   c) pushes by one enrolled device: at most 96 MiB per device;
#   d) pushes by eight enrolled devices behind one address: at most 192 MiB
#      per address.
# Then the deadline: with --request-timeout 1, an upload left silent and one
# trickling a byte a second are both closed by the server within the
# 6 seconds they are held (the idle timeout alone is 30 s and a trickle
# never meets it).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attack_lib.sh"
for c in curl sqlite3; do command -v $c >/dev/null || bail "$c is needed"; done
plan 11

W=$(tmpdir)
sync_server "$W" || bail "server did not start"
honest_device H "Nguyễn Thị Hoa" || bail "honest device did not enroll"
attacker "$W/m" || bail "attacker did not enroll"
attacker_session "$W/m" >"$W/m.sessions" || bail "attacker has no session"
for i in 1 2 3 4 5 6 7 8; do
	attacker "$W/n$i" || bail "attacker $i did not enroll"
	s=$(attacker_session "$W/n$i") || bail "attacker $i has no session"
	printf '%s\n' "$s" >>"$W/n.sessions"
done

# settle: wait until the server's memory stops growing (it has inflated
# whatever the attack sent), at most 10 s.
settle() {
	local a b i
	a=$(server_kib VmRSS)
	for ((i = 0; i < 20; i++)); do
		sleep 0.5
		b=$(server_kib VmRSS)
		[ $((b - a)) -lt 1024 ] && [ $((a - b)) -lt 1024 ] && break
		a=$b
	done
}

# attack NAME FROM PATH [HAMMER OPTIONS]: sixteen uploads held open; then
# the honest sync; then the uploads are dropped.
attack() {
	local name=$1 from=$2 path=$3 pid
	shift 3
	"$HAMMER" upload --port "$SERVER_PORT" --from "$from" --path "$path" \
		--count 16 --gzip-json 33554400 --wrap-sets --hold 60 "$@" \
		>"$W/$name.out" 2>&1 &
	pid=$!
	at_exit "kill $pid"
	wait_lines "$W/$name.out" holding 16 ||
		diag "$name: the uploads were not all sent: $(cat "$W/$name.out")"
	settle
	diag "$name: server memory with the uploads open: $(server_kib VmRSS) KiB"
	honest_sync "$H" "honest-$name"
	is "$HONEST_RC $HONEST_HELD" "0 5" \
		"$name: an honest device syncs while sixteen uploads are held open"
	[ "$HONEST_RC" -eq 0 ] || diag "$HONEST_ERR"
	diag "$name: honest sync $HONEST_MS ms"
	is "$(grep -c 'closed=1' "$W/$name.out")" 0 "$name: the uploads were still open"
	kill "$pid"
	wait "$pid" 2>/dev/null
}

attack a 127.0.0.2 /v2/push
attack b 127.0.0.3 /v2/enroll
attack c 127.0.0.4 /v2/push --sessions "$W/m.sessions"
attack d 127.0.0.5 /v2/push --sessions "$W/n.sessions"
stop_server TERM

# The deadline of each upload.
start_server "$SDB" --request-timeout 1 || bail "server did not restart"
S=$(attacker_session "$W/m") || bail "attacker has no session"
"$HAMMER" upload --port "$SERVER_PORT" --path /v2/push --session "$S" \
	--gzip-json 1000000 --hold 6 >"$W/silent.out" 2>&1 &
s_pid=$!
"$HAMMER" upload --port "$SERVER_PORT" --path /v2/push --session "$S" \
	--gzip-json 1000000 --hold 6 --trickle >"$W/trickle.out" 2>&1 &
t_pid=$!
wait "$s_pid" "$t_pid"
like "$(grep '^upload 0 sent' "$W/silent.out")" 'closed=1' \
	"an upload left silent is closed at its deadline"
like "$(grep '^upload 0 sent' "$W/trickle.out")" 'closed=1' \
	"an upload trickling a byte a second is closed at its deadline"
diag "silent: $(grep '^upload 0 sent' "$W/silent.out")" \
	"trickle: $(grep '^upload 0 sent' "$W/trickle.out")"
stop_server TERM
is "$(db_intact "$SDB")" ok "integrity_check ok"

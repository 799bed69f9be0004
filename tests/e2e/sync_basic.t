# sync_basic.t: three devices enroll with an HTTPS server (a certificate made
# at test time, trusted through --cacert), record offline, sync, and each
# sees the others' entries byte for byte (Vietnamese and Lao). Then: list
# marks pending/synced, status shows the receipt, a second sync is a no-op,
# exit 3 with the server down (outbox untouched), `sync --watch` retries with
# backoff until the server is back and stops cleanly on SIGTERM, a revoked
# device is refused with a clear message and keeps its data, and a used
# enrollment token is refused.
. "$(dirname "$0")/lib.sh"
plan 49

W=$(tmpdir)
make_cert "$W" || bail "openssl could not make a certificate"
sync_server "$W" --tls-cert "$W/cert.pem" --tls-key "$W/key.pem" ||
	bail "server did not start"
like "$SERVER_URL" '^https://' "server speaks HTTPS"

# Without the CA the certificate is not trusted: nothing is enrolled.
X=$(tmpdir)/dev
fsd "$X" init --name x >/dev/null 2>&1
tok=$("$FIELDSYNCD_BIN" token create --db "$SDB" --name x --role expert 2>/dev/null)
run fsd "$X" enroll "$SERVER_URL" "$tok"
is "$RC" 1 "enroll without --cacert fails (untrusted cert: exit 1, not 3)"
like "$ERR" "[Cc]ertificate|SSL" "the message names the certificate problem"
run fsd "$X" sync
is "$RC" 2 "that device is not enrolled (sync exit 2)"

sync_device A "Nguyễn Thị Hoa" --cacert "$W/cert.pem"
ok $? "device A enrolls over HTTPS with --cacert"
sync_device B "ສົມສັກ ພົມມະວົງ" --cacert "$W/cert.pem"
ok $? "device B enrolls"
sync_device C "Trần Minh Đức" --cacert "$W/cert.pem"
ok $? "device C enrolls"

# Offline records.
VI_LEADER="Đoàn công tác Sở Y tế Gia Lai"
VI_OUT="Thống nhất đào tạo 3 cán bộ; ưu tiên sản khoa"
LO_VILLAGE="ບ້ານ ນາດີ"
LO_CROP="ເຂົ້າໜຽວ (Lúa nếp)"
a1=$(fsd "$A" visit add --direction out --province Attapeu \
	--leader "$VI_LEADER" --title "Giám đốc Sở Y tế" --members 6 \
	--sector health --start 2026-04-10 --end 2026-04-12 \
	--outcome "$VI_OUT" 2>/dev/null)
a2=$(fsd "$A" visit add --direction in --province Sekong --leader "Phạm Văn Bình" \
	--members 2 --sector agriculture --start 2026-05-01 2>/dev/null)
b1=$(fsd "$B" model add --crop "$LO_CROP" --province Saravane \
	--district "Lao Ngam" --village "$LO_VILLAGE" --planned-ha 5 \
	--planned-households 42 2>/dev/null)
c1=$(fsd "$C" trip add --expert "BS. Trần Minh Đức" --specialty surgery \
	--province Attapeu --site "Bệnh viện tỉnh Attapeu" \
	--start 2025-03-03 --end 2025-03-21 --patients 41 2>/dev/null)
[ -n "$a1" ] && [ -n "$a2" ] && [ -n "$b1" ] && [ -n "$c1" ]
ok $? "four records made offline on three devices"
like "$(fsd "$A" list visits)" "${a1:0:8} .* pending" "A lists its visit as pending"
like "$(fsd "$A" status)" "2 changes waiting" "A's status: 2 changes waiting"

for d in A B C A B; do
	run fsd "${!d}" sync
	[ "$RC" -eq 0 ] || diag "sync $d: $ERR"
done
ok 0 "five sync passes ran"
for d in A B C; do
	run fsd "${!d}" sync
	is "$RC" 0 "device $d: sync exits 0"
done

# Everyone sees everything, byte for byte; only "mine" (whether the
# showing device owns the record) depends on who asks, and is true on the
# owner alone.
for id in "$a1" "$b1" "$c1"; do
	for d in A B C; do
		fsd "${!d}" show "$id" --json >"$W/$d.full" 2>&1
		jq -c 'del(.mine)' "$W/$d.full" >"$W/$d.json"
	done
	mine=$(for d in A B C; do jq -r .mine "$W/$d.full"; done | tr '\n' ' ')
	case $id in
	"$a1") want="true false false " ;;
	"$b1") want="false true false " ;;
	*) want="false false true " ;;
	esac
	cmp -s "$W/A.json" "$W/B.json" && cmp -s "$W/A.json" "$W/C.json" &&
		[ "$mine" = "$want" ]
	ok $? "record ${id:0:8}: show --json identical on A, B and C, mine only on its owner"
done
fsd "$C" show "$a1" --json | grep -qF "\"outcome\":	\"$VI_OUT\""
ok $? "C holds A's Vietnamese outcome byte for byte"
fsd "$A" show "$b1" --json | grep -qF "\"village\":	\"$LO_VILLAGE\""
ok $? "A holds B's Lao village byte for byte"
fsd "$C" show "$b1" --json | grep -qF "\"crop\":	\"$LO_CROP\""
ok $? "C holds B's mixed Lao/Vietnamese crop byte for byte"
fsd "$A" dump >"$W/a.dump"
fsd "$B" dump >"$W/b.dump"
sdump >"$W/s.dump"
cmp -s "$W/a.dump" "$W/s.dump" && cmp -s "$W/b.dump" "$W/s.dump"
ok $? "A, B and the server hold the same canonical state"
is "$(wc -l <"$W/s.dump" | tr -d ' ')" 4 "the server holds 4 records"

like "$(fsd "$A" list visits)" "${a1:0:8} .* synced" "A's visit is now listed as synced"
unlike "$(fsd "$A" list visits)" "pending" "no A visit is pending"
n=$(sq "$A/store.db" "SELECT value FROM meta WHERE key = 'last_seq'")
like "$(fsd "$A" status)" "server holds 1-$n of $n" "status: server holds 1-$n of $n"
like "$(fsd "$A" status)" "0 changes waiting" "status: 0 changes waiting"

# A second pass changes nothing.
before=$(ssq "SELECT count(*) FROM sets")
run fsd "$A" sync --json
is "$RC" 0 "re-running sync exits 0"
like "$OUT" '"pushed_changes":0,"pulled_sets":0,"pulled_changes":0' \
	"re-running sync pushes and pulls nothing"
is "$(ssq "SELECT count(*) FROM sets")" "$before" \
	"the server's set count is unchanged"
fsd "$A" dump | cmp -s - "$W/a.dump"
ok $? "A's state is unchanged"

# Server down: exit 3, nothing lost.
PORT=$SERVER_PORT
stop_server KILL
a3=$(fsd "$A" visit add --direction out --province Champasak \
	--leader "Lê Thị Mai" --members 3 --sector education \
	--start 2026-06-01 2>/dev/null)
run fsd "$A" sync
is "$RC" 3 "server down: sync exits 3"
like "$ERR" "unreachable.*nothing is lost" "message: server unreachable, nothing is lost"
is "$(sq "$A/store.db" 'SELECT count(*) FROM outbox')" 1 "the outbox still holds the change"
like "$(fsd "$A" list visits)" "${a3:0:8} .* pending" "the new visit is listed as pending"

# --watch: retries with backoff while the server is down, syncs once it is
# back, stops on SIGTERM with exit 0 (the last pass succeeded).
"$FIELDSYNC_BIN" --dir "$A" sync --watch --max-backoff 2 --interval 1 >"$W/watch.out" 2>"$W/watch.err" &
WPID=$!
at_exit "kill -KILL $WPID"
for ((i = 0; i < 100; i++)); do
	[ "$(grep -c 'retrying in' "$W/watch.err")" -ge 3 ] && break
	sleep 0.1
done
[ "$(grep -c 'retrying in' "$W/watch.err")" -ge 3 ]
ok $? "watch retries while the server is down"
grep 'retrying in' "$W/watch.err" | head -3 | sed -n 's/.*retrying in \([0-9]*\) s/\1/p' >"$W/delays"
first=$(sed -n 1p "$W/delays")
third=$(sed -n 3p "$W/delays")
[ "${third:-0}" -ge "${first:-9}" ]
ok $? "backoff grows (delays: $(tr '\n' ' ' <"$W/delays"))"
start_server "$SDB" --listen "127.0.0.1:$PORT" --tls-cert "$W/cert.pem" \
	--tls-key "$W/key.pem" || bail "server did not restart on port $PORT"
for ((i = 0; i < 200; i++)); do
	[ "$(sq "$A/store.db" 'SELECT count(*) FROM outbox')" = 0 ] && break
	sleep 0.1
done
is "$(sq "$A/store.db" 'SELECT count(*) FROM outbox')" 0 \
	"watch synced once the server came back"
is "$(ssq "SELECT count(*) FROM records WHERE id = '$a3'")" 1 \
	"the server holds the visit made while it was down"
kill -TERM "$WPID"
wait "$WPID"
is "$?" 0 "SIGTERM stops the watch cleanly with exit 0"
kill -0 "$WPID" 2>/dev/null
isnt "$?" 0 "the watch process is gone"

# Revocation.
c2=$(fsd "$C" trip add --expert "Hoàng Văn Nam" --specialty surgery \
	--province Salavan --start 2026-02-02 2>/dev/null)
run "$FIELDSYNCD_BIN" devices revoke --db "$SDB" "$C_ID"
is "$RC" 0 "HQ revokes device C"
fsd "$C" dump >"$W/c.before"
run fsd "$C" sync
is "$RC" 1 "the revoked device's sync exits 1"
like "$ERR" "revoked" "the message says the device was revoked"
fsd "$C" dump | cmp -s - "$W/c.before"
ok $? "the revoked device keeps its local data unchanged"
like "$(fsd "$C" list trips)" "${c2:0:8} .* pending" "it still lists its unsent trip"
is "$(ssq "SELECT count(*) FROM records WHERE id = '$c2'")" 0 \
	"the server did not accept the revoked device's new trip"

# An enrollment token works once.
tok=$("$FIELDSYNCD_BIN" token create --db "$SDB" --name d --role expert 2>/dev/null)
D=$(tmpdir)/dev
E=$(tmpdir)/dev
fsd "$D" init --name d >/dev/null 2>&1
fsd "$E" init --name e >/dev/null 2>&1
run fsd "$D" enroll "$SERVER_URL" "$tok" --cacert "$W/cert.pem"
is "$RC" 0 "a fresh token enrolls device D"
run fsd "$E" enroll "$SERVER_URL" "$tok" --cacert "$W/cert.pem"
is "$RC" 1 "the same token is refused for device E (exit 1)"
like "$ERR" "invalid_token|used" "the message says the token is used"

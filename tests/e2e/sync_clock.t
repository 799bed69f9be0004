# sync_clock.t: devices whose clocks are wrong by years (libfaketime).
# F runs 3 years ahead: its entries reach the server re-dated to the
# server's time (the CLI warns; its own correction of a re-dated entry is
# not reported as a conflict), and a later edit of the same field by a
# correctly clocked writer wins everywhere. Only a record's owner or HQ may
# change it (SPEC 9.6), so that writer is HQ (its correction signed with
# HQ's key and pushed like any set, hq_push), and the correctly clocked
# device N pulls it. P runs 3 years behind: its data syncs, and a later HQ
# correction wins too. At the end F, N, P and the server hold the same
# state.
. "$(dirname "$0")/lib.sh"
plan 20

command -v faketime >/dev/null || bail "faketime is not installed"
# libfaketime is preloaded into an ASan binary: let ASan accept that.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
ahead() { faketime -f '+3y' "$FIELDSYNC_BIN" --dir "$@"; }
behind() { faketime -f '-3y' "$FIELDSYNC_BIN" --dir "$@"; }
now_ms() { echo $(( $(date +%s) * 1000 )); }
# Milliseconds of the HLC in a stamp "<16 hex>-<device>".
stamp_ms() { echo $(( 0x${1:0:16} >> 16 )); }

W=$(tmpdir)
sync_server "$W" || bail "server did not start"
sync_device F "Future Phạm" || bail "enroll F failed"
sync_device N "Nguyễn Thị Hoa" || bail "enroll N failed"
sync_device P "ປີ ກ່ອນ" || bail "enroll P failed"

# --- 3 years ahead ---
v=$(ahead "$F" visit add --direction out --province Salavan \
	--leader "Đoàn tương lai" --members 4 --sector health \
	--start 2026-04-10 2>/dev/null)
ok $? "F records a visit with its clock 3 years ahead"
ahead "$F" edit "$v" --outcome "Đã sửa: ຕົກລົງ" >/dev/null 2>&1
ok $? "and corrects it (an edit whose base is its own future stamp)"
s=$(fsd "$F" show "$v" --json | sed -n 's/.*"members":[[:space:]]*"\([0-9a-f]\{16\}-[0-9a-f]*\)".*/\1/p')
[ "$(stamp_ms "$s")" -gt $(( $(now_ms) + 365 * 86400000 )) ]
ok $? "its local stamp is years in the future ($s)"
run ahead "$F" sync
is "$RC" 0 "F's sync exits 0"
like "$ERR" "warning: .*clock is [0-9]+ minutes ahead" "the CLI warns that the clock is ahead"
line=$(sdump | grep "^$v ")
[ -n "$line" ]
ok $? "the server holds F's visit"
ss=$(printf '%s' "$line" | sed -n 's/.* members=4@\([0-9a-f]\{16\}-[0-9a-f]*\).*/\1/p')
[ -n "$ss" ] && [ "$(stamp_ms "$ss")" -le $(( $(now_ms) + 600000 )) ]
ok $? "re-dated on the server to at most 10 min past the server's clock ($ss)"
is "$(ssq "SELECT count(*) FROM conflicts WHERE record = '$v'")" 0 \
	"F's correction of its own re-dated entry is not a conflict at HQ"
like "$(fsd "$F" show "$v")" "sync +(sent|synced)" "F still holds its visit, marked sent"

run fsd "$N" sync
like "$(fsd "$N" show "$v")" "Đoàn tương lai" "N pulled F's visit"
run fsd "$N" edit "$v" --members 7
like "$RC:$ERR" "^[1-9].*belongs to Future Phạm" "N may not edit F's visit: refused, naming its owner"
ms=$(ssq "SELECT state FROM records WHERE id = '$v'" | jq -r .f.members.s)
hq_push "[{\"id\":\"$v\",\"kind\":\"visit\",\"op\":\"update\",\"fields\":{\"members\":7},\"base\":{\"members\":\"$ms\"}}]"
is "$HQ_CODE" 200 "HQ (correct clock) later corrects members to 7"
run fsd "$N" sync
run ahead "$F" sync
is "$RC" 0 "F syncs again"
like "$(fsd "$F" show "$v" --json)" '"members":[[:space:]]*7' \
	"HQ's later correction wins on F, whose clock is still ahead"

# --- 3 years behind ---
p=$(behind "$P" model add --crop "Lúa nếp" --province Sekong \
	--village "ບ້ານ ນາດີ" --planned-ha 5 --planned-households 42 2>/dev/null)
ok $? "P records a model with its clock 3 years behind"
run behind "$P" sync
is "$RC" 0 "P's sync exits 0"
is "$(ssq "SELECT count(*) FROM records WHERE id = '$p'")" 1 \
	"the server holds P's model"
ps=$(ssq "SELECT state FROM records WHERE id = '$p'" | jq -r .f.planned_ha.s)
hq_push "[{\"id\":\"$p\",\"kind\":\"model\",\"op\":\"update\",\"fields\":{\"planned_ha\":6.5},\"base\":{\"planned_ha\":\"$ps\"}}]"
run behind "$P" sync
like "$(fsd "$P" show "$p" --json)" '"planned_ha":[[:space:]]*6.5' \
	"HQ's later correction wins on P"

# Everyone converged.
for d in F N P; do
	if [ "$d" = F ]; then ahead "${!d}" sync >/dev/null 2>&1
	elif [ "$d" = P ]; then behind "${!d}" sync >/dev/null 2>&1
	else fsd "${!d}" sync >/dev/null 2>&1; fi
done
sdump >"$W/s.dump"
same=0
for d in F N P; do
	fsd "${!d}" dump | cmp -s - "$W/s.dump" || same=1
done
ok $same "F, N, P and the server hold the same state"
grep -q "^$v .* members=7@" "$W/s.dump" && grep -q "^$p .* planned_ha=6.5@" "$W/s.dump"
ok $? "the server keeps HQ's values"

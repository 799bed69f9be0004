# sync_converge.t: four devices edit overlapping records (the same fields)
# concurrently while offline, then sync in random orders, repeatedly, with
# more offline edits in between. Since protocol v2 (SPEC 9.6) a field device
# changes only the records it owns, so the concurrent writer of a device's
# record is HQ: every round HQ corrects fields of random shared records
# (hq_push, based on the server's current stamps) while their owners edit
# the same fields offline; the devices also try to edit each other's
# records, which is refused locally every time. Afterwards every device and
# the server hold the same state (canonical dumps: `fieldsync dump` and
# srvdump of the server's records), and the concurrent edits are in the
# server's conflict list. Random choices come from bash's RANDOM seeded with
# the printed seed; FIELDSYNC_SEED replays a run.
. "$(dirname "$0")/lib.sh"

SEED=${FIELDSYNC_SEED:-$(( ($$ * 7919 + $(date +%s)) % 1000000 ))}
RANDOM=$SEED
ROUNDS=4
EDITS=6
plan $((ROUNDS + 13))
diag "seed $SEED (replay with FIELDSYNC_SEED=$SEED)"

W=$(tmpdir)
sync_server "$W" || bail "server did not start"
DEVS=(A B C D)
sync_device A "Nguyễn Thị Hoa" || bail "enroll A failed"
sync_device B "ສົມສັກ ພົມມະວົງ" || bail "enroll B failed"
sync_device C "Trần Minh Đức" || bail "enroll C failed"
sync_device D "ນາງ ແກ້ວ" || bail "enroll D failed"

# Shared records, two made by each device (its owner), known to everyone.
IDS=()
declare -A OWNER
for d in A B C D; do
	sync_visits 2 "Đoàn chung $d" >"$W/base.jsonl"
	mapfile -t mine < <(fsd "${!d}" import "$W/base.jsonl" 2>/dev/null)
	for id in "${mine[@]}"; do IDS+=("$id"); OWNER[$id]=$d; done
	fsd "${!d}" sync >/dev/null 2>&1
done
for d in A B C D; do fsd "${!d}" sync >/dev/null 2>&1; done
is "$(fsd "$D" dump | wc -l | tr -d ' ')" 8 "every device starts with the 8 shared records"

# A shared scholarship batch and friendship work (issue 13): money fields
# edited concurrently with amounts near 10^13 must converge exactly.
SCH=$(fsd "$A" scholarship add --province Sekong --academic-year 2026-2027 \
	--level college --school "Trường Cao đẳng Y tế Gia Lai" --awarded 12 2>/dev/null)
WRK=$(fsd "$B" work add --province Attapeu --name "Bệnh viện nhỏ Văng Tắt" \
	--sector health --budget 15000000000 2>/dev/null)
OWNER[$SCH]=A
OWNER[$WRK]=B
for d in A B C D; do fsd "${!d}" sync >/dev/null 2>&1; done

LEADERS=("Đoàn công tác Sở Y tế" "ຄະນະ ແຂວງ ສາລະວັນ" "Phạm Văn Bình" "Lê Thị Mai" "ທ່ານ ສົມພອນ")
OUTCOMES=("Thống nhất đào tạo 3 cán bộ" "ຕົກລົງ ຮ່ວມມື" "Chưa thống nhất" "Hoãn lại")

# One random offline edit by device $1 (letter): an overlapping field of a
# shared record, sometimes a new record, rarely a delete. When the record
# picked is another device's, the edit must be refused locally (SPEC 9.6):
# an edit that succeeds anyway is counted in $W/forbidden_ok.
random_edit() {
	local me=$1 dir=${!1} id=${IDS[RANDOM % ${#IDS[@]}]} r=$((RANDOM % 26)) t
	if [ "$r" -ge 20 ]; then
		case $((r % 3)) in
		0) t=$SCH; fsd "$dir" edit "$SCH" --enrolled $((RANDOM % 14)) \
			--allowance $((9999999990000 + RANDOM % 10000)) ;;
		1) t=$WRK; fsd "$dir" edit "$WRK" --budget $((10000000000000 - RANDOM)) ;;
		*) t=$WRK; fsd "$dir" work work_progress "$WRK" --date 2026-0$((1 + RANDOM % 9))-1$((RANDOM % 10)) \
			--disbursed $((9000000000000 + RANDOM * 1000)) \
			--built-pct $((RANDOM % 101)) --status under-construction ;;
		esac
		# a work observation is anyone's to add; edits are the owner's
		[ $((r % 3)) -eq 2 ] && return 0
	elif [ "$r" -lt 6 ]; then
		t=$id; fsd "$dir" edit "$id" --members $((1 + RANDOM % 30))
	elif [ "$r" -lt 11 ]; then
		t=$id; fsd "$dir" edit "$id" --leader "${LEADERS[RANDOM % ${#LEADERS[@]}]}"
	elif [ "$r" -lt 15 ]; then
		t=$id; fsd "$dir" edit "$id" --outcome "${OUTCOMES[RANDOM % ${#OUTCOMES[@]}]}" \
			--members $((1 + RANDOM % 30))
	elif [ "$r" -lt 19 ]; then
		fsd "$dir" visit add --direction in --province Sekong \
			--leader "Mới $RANDOM" --members 2 --sector education \
			--start 2026-07-0$((1 + RANDOM % 9))
		return 0
	else
		t=$id; fsd "$dir" delete "$id" --reason "nhập trùng"
	fi
	local rc=$?
	if [ "${OWNER[$t]}" != "$me" ]; then
		echo forbidden >>"$W/forbidden_tried"
		[ "$rc" -eq 0 ] && echo "$me changed $t of ${OWNER[$t]}" >>"$W/forbidden_ok"
	fi
	return 0
}

# HQ corrects field $2 of record $1 to $3 (JSON), based on the stamp the
# server holds: concurrent with an owner's offline edit of that field. A
# record deleted on the server is left alone.
hq_correct() {
	local st
	st=$(sq "$SDB" "SELECT state FROM records WHERE id = '$1'")
	[ "$(jq -r '.f._deleted.v // false' <<<"$st")" = true ] && return 0
	hq_push "[{\"id\":\"$1\",\"kind\":\"visit\",\"op\":\"update\",\"fields\":{\"$2\":$3},\"base\":{\"$2\":\"$(jq -r ".f.$2.s" <<<"$st")\"}}]" ||
		echo "HQ correction of $1 $2: $HQ_CODE $HQ_BODY" >>"$W/hq.err"
}

# A concurrent edit that must conflict: A (the owner) sets members of record
# 0 to 11 offline while HQ corrects it to 22.
fsd "$A" edit "${IDS[0]}" --members 11 >/dev/null 2>&1
hq_correct "${IDS[0]}" members 22

for ((r = 1; r <= ROUNDS; r++)); do
	for d in "${DEVS[@]}"; do
		for ((e = 0; e < EDITS; e++)); do
			random_edit "$d" >/dev/null 2>&1
		done
	done
	# HQ corrects two random shared records meanwhile.
	hq_correct "${IDS[RANDOM % ${#IDS[@]}]}" members $((31 + RANDOM % 20))
	hq_correct "${IDS[RANDOM % ${#IDS[@]}]}" leader "\"HQ $RANDOM\""
	# A random subset syncs, in a random order (some devices twice).
	order=()
	for ((k = 0; k < 5; k++)); do
		[ $((RANDOM % 3)) -eq 0 ] && continue
		order+=("${DEVS[RANDOM % 4]}")
	done
	bad=0
	for d in "${order[@]}"; do
		fsd "${!d}" sync >/dev/null 2>>"$W/sync.err" || bad=1
	done
	ok $bad "round $r: sync order ${order[*]:-(none)} all exit 0"
done

# Final: everyone syncs twice, in a random rotation, so all see everything.
start=$((RANDOM % 4))
bad=0
for ((k = 0; k < 8; k++)); do
	d=${DEVS[(start + k) % 4]}
	fsd "${!d}" sync >/dev/null 2>>"$W/sync.err" || bad=1
done
ok $bad "final passes exit 0"
[ "$bad" -eq 0 ] || diag "$(cat "$W/sync.err")"

[ ! -s "$W/hq.err" ]
ok $? "every HQ correction was accepted" || diag "$(cat "$W/hq.err")"
[ -s "$W/forbidden_tried" ] && [ ! -s "$W/forbidden_ok" ]
ok $? "all $(wc -l <"$W/forbidden_tried" 2>/dev/null | tr -d ' ') edits of another device's record were refused locally" ||
	diag "$(cat "$W/forbidden_ok" 2>/dev/null)"

"$FIELDSYNC_TOOLS/srvdump" "$SDB" >"$W/s.dump"
ok $? "server state dumped ($(wc -l <"$W/s.dump" | tr -d ' ') records)"
for d in A B C D; do
	fsd "${!d}" dump >"$W/$d.dump"
	cmp -s "$W/$d.dump" "$W/s.dump"
	ok $? "device $d holds exactly the server's state" ||
		diag "$(diff "$W/$d.dump" "$W/s.dump" | head -5)"
done
is "$(sq "$SDB" "SELECT count(*) FROM conflicts WHERE record = '${IDS[0]}' AND field = 'members'" | awk '{print ($1 > 0)}')" 1 \
	"A's and HQ's concurrent edit of members is in the server's conflict list"
n=$(sq "$SDB" "SELECT count(*) FROM conflicts")
[ "$n" -gt 1 ]
ok $? "the random concurrent edits are in the conflict list ($n conflicts)"
# The winner of the planned conflict is the same everywhere and is one of
# the two values written.
grep "^${IDS[0]} " "$W/s.dump" | grep -Eq " members=[0-9]+@"
ok $? "record ${IDS[0]:0:8} has one members value everywhere"
# Money converges as written: whole digits, never a float's rounding.
grep "^$WRK " "$W/s.dump" | grep -Eq " budget=(15000000000|99999999[0-9]{5})@"
ok $? "the work's budget is one of the amounts written, exact, everywhere" ||
	diag "$(grep "^$WRK " "$W/s.dump")"

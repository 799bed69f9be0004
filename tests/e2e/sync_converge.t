# sync_converge.t: four devices edit records concurrently while offline,
# then sync in random orders, repeatedly, with more offline edits in
# between. A owns the shared records; HQ corrects them while A edits them
# offline (the concurrent edits of protocol v2, SPEC 9.6); B, C and D edit
# their own records and try to edit A's (refused locally, before anything
# is written); each round a raw set signed with another field device's key
# edits or deletes one of A's records and the server refuses it (403
# not_owner). Afterwards every device and the server hold the same state
# (canonical dumps: `fieldsync dump` and srvdump of the server's records),
# and the concurrent edits are in the server's conflict list. Random choices come from bash's RANDOM seeded with the printed seed;
# FIELDSYNC_SEED replays a run.
. "$(dirname "$0")/lib.sh"

SEED=${FIELDSYNC_SEED:-$(( ($$ * 7919 + $(date +%s)) % 1000000 ))}
RANDOM=$SEED
ROUNDS=4
EDITS=6
plan $((2 * ROUNDS + 12))
diag "seed $SEED (replay with FIELDSYNC_SEED=$SEED)"

W=$(tmpdir)
sync_server "$W" || bail "server did not start"
DEVS=(A B C D)
sync_device A "Nguyễn Thị Hoa" || bail "enroll A failed"
sync_device B "ສົມສັກ ພົມມະວົງ" || bail "enroll B failed"
sync_device C "Trần Minh Đức" || bail "enroll C failed"
sync_device D "ນາງ ແກ້ວ" || bail "enroll D failed"

# Shared records, made by A, known to everyone.
sync_visits 8 "Đoàn chung" >"$W/base.jsonl"
mapfile -t IDS < <(fsd "$A" import "$W/base.jsonl" 2>/dev/null)
for d in A B C D; do fsd "${!d}" sync >/dev/null 2>&1; done
is "$(fsd "$D" dump | wc -l | tr -d ' ')" 8 "every device starts with the 8 shared records"

# A shared scholarship batch and friendship work (issue 13): money fields
# edited concurrently with amounts near 10^13 must converge exactly.
SCH=$(fsd "$A" scholarship add --province Sekong --academic-year 2026-2027 \
	--level college --school "Trường Cao đẳng Y tế Gia Lai" --awarded 12 2>/dev/null)
WRK=$(fsd "$A" work add --province Attapeu --name "Bệnh viện nhỏ Văng Tắt" \
	--sector health --budget 15000000000 2>/dev/null)
for d in B C D; do
	sync_visits 2 "Đoàn của $d" >"$W/$d.jsonl"
	mapfile -t "OWN_$d" < <(fsd "${!d}" import "$W/$d.jsonl" 2>/dev/null)
done
for d in A B C D; do fsd "${!d}" sync >/dev/null 2>&1; done

# A field device that is not the owner of anything, for raw sets (made
# with fstool, pushed with curl, bypassing the client's own refusal).
raw_device "$W/raw" || bail "the raw device did not enroll"

LEADERS=("Đoàn công tác Sở Y tế" "ຄະນະ ແຂວງ ສາລະວັນ" "Phạm Văn Bình" "Lê Thị Mai" "ທ່ານ ສົມພອນ")
OUTCOMES=("Thống nhất đào tạo 3 cán bộ" "ຕົກລົງ ຮ່ວມມື" "Chưa thống nhất" "Hoãn lại")

# One random offline edit on device $1 (dir $2): A edits the shared records
# (overlapping fields, money near 10^13, sometimes a new record, rarely a
# delete); the others edit their own records or try one of A's, which the
# client refuses (exit 1, nothing written; REFUSED counts the attempts that
# exited 0, which must stay 0).
REFUSED=0
random_edit() {
	local dev=$1 dir=$2 id=${IDS[RANDOM % ${#IDS[@]}]} r=$((RANDOM % 26)) own
	if [ "$dev" != A ]; then
		own="OWN_$dev[$((RANDOM % 2))]"
		if [ "$r" -lt 5 ]; then
			fsd "$dir" edit "$id" --members $((1 + RANDOM % 30)) && REFUSED=$((REFUSED + 1))
			return 0
		fi
		id=${!own}
	fi
	if [ "$dev" = A ] && [ "$r" -ge 20 ]; then
		case $((r % 3)) in
		0) fsd "$dir" edit "$SCH" --enrolled $((RANDOM % 14)) \
			--allowance $((9999999990000 + RANDOM % 10000)) ;;
		1) fsd "$dir" edit "$WRK" --budget $((10000000000000 - RANDOM)) ;;
		*) fsd "$dir" work work_progress "$WRK" --date 2026-0$((1 + RANDOM % 9))-1$((RANDOM % 10)) \
			--disbursed $((9000000000000 + RANDOM * 1000)) \
			--built-pct $((RANDOM % 101)) --status under-construction ;;
		esac
	elif [ "$r" -lt 6 ]; then
		fsd "$dir" edit "$id" --members $((1 + RANDOM % 30))
	elif [ "$r" -lt 11 ]; then
		fsd "$dir" edit "$id" --leader "${LEADERS[RANDOM % ${#LEADERS[@]}]}"
	elif [ "$r" -lt 15 ]; then
		fsd "$dir" edit "$id" --outcome "${OUTCOMES[RANDOM % ${#OUTCOMES[@]}]}" \
			--members $((1 + RANDOM % 30))
	elif [ "$r" -lt 19 ]; then
		fsd "$dir" visit add --direction in --province Sekong \
			--leader "Mới $RANDOM" --members 2 --sector education \
			--start 2026-07-0$((1 + RANDOM % 9))
	else
		fsd "$dir" delete "$id" --reason "nhập trùng"
	fi
}

# HQ corrects one of A's shared records (concurrent with A's offline edits).
hq_correct() {
	"$FIELDSYNCD_BIN" records correct --db "$SDB" "${IDS[RANDOM % ${#IDS[@]}]}" \
		--members $((31 + RANDOM % 30)) --reason "văn phòng đối chiếu"
}

# A concurrent edit that must conflict: A, offline, and HQ set members of
# record 0 to different values.
fsd "$A" edit "${IDS[0]}" --members 11 >/dev/null 2>&1
"$FIELDSYNCD_BIN" records correct --db "$SDB" "${IDS[0]}" --members 22 \
	--reason "văn phòng đối chiếu" >/dev/null 2>&1
# And another, on a text field of another record (the random edits may or
# may not meet HQ's corrections, depending on the seed).
fsd "$A" edit "${IDS[1]}" --leader "Đoàn A ghi" >/dev/null 2>&1
"$FIELDSYNCD_BIN" records correct --db "$SDB" "${IDS[1]}" --leader "Đoàn HQ ghi" \
	--reason "văn phòng đối chiếu" >/dev/null 2>&1

for ((r = 1; r <= ROUNDS; r++)); do
	for d in "${DEVS[@]}"; do
		for ((e = 0; e < EDITS; e++)); do
			random_edit "$d" "${!d}" >/dev/null 2>&1
		done
	done
	hq_correct >/dev/null 2>&1
	# A forbidden change, signed and pushed raw: refused, nothing applied.
	before=$(sq "$SDB" "SELECT count(*) FROM sets")
	id=${IDS[RANDOM % ${#IDS[@]}]}
	if [ $((RANDOM % 2)) -eq 0 ]; then
		ch="{\"id\":\"$id\",\"kind\":\"visit\",\"op\":\"update\",\"fields\":{\"members\":99}}"
	else
		ch="{\"id\":\"$id\",\"kind\":\"visit\",\"op\":\"delete\",\"reason\":\"x\"}"
	fi
	code=$(raw_push "[$ch]")
	is "$code $(jq -r .error "$RAW_OUT")/$(sq "$SDB" "SELECT count(*) FROM sets")" \
		"403 not_owner/$before" "round $r: a raw forbidden change is refused (not_owner), nothing stored"
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

sdump >"$W/s.dump"
ok $? "server state dumped ($(wc -l <"$W/s.dump" | tr -d ' ') records)"
for d in A B C D; do
	fsd "${!d}" dump >"$W/$d.dump"
	cmp -s "$W/$d.dump" "$W/s.dump"
	ok $? "device $d holds exactly the server's state" ||
		diag "$(diff "$W/$d.dump" "$W/s.dump" | head -5)"
done
is "$(sq "$SDB" "SELECT count(*) FROM conflicts WHERE record = '${IDS[0]}' AND field = 'members'" | awk '{print ($1 > 0)}')" 1 \
	"A's and B's concurrent edit of members is in the server's conflict list"
is "$(sq "$SDB" "SELECT count(*) FROM conflicts WHERE record = '${IDS[1]}' AND field = 'leader'" | awk '{print ($1 > 0)}')" 1 \
	"... and A's and HQ's concurrent edit of the other record's leader ($(sq "$SDB" "SELECT count(*) FROM conflicts") conflicts in all)"
is "$REFUSED" 0 "every local edit of another device's record was refused"
# The winner of the planned conflict is the same everywhere and is one of
# the two values written.
grep "^${IDS[0]} " "$W/s.dump" | grep -Eq " members=[0-9]+@"
ok $? "record ${IDS[0]:0:8} has one members value everywhere"
# Money converges as written: whole digits, never a float's rounding.
grep "^$WRK " "$W/s.dump" | grep -Eq " budget=(15000000000|99999999[0-9]{5})@"
ok $? "the work's budget is one of the amounts written, exact, everywhere" ||
	diag "$(grep "^$WRK " "$W/s.dump")"

#!/bin/bash
# End-to-end test: every kind of bad input the client issue lists gets a
# clear error on stderr naming the offending argument (and the allowed values
# where there is a list), exit status 2, and leaves the store unchanged
# (compared with `sqlite3 .dump` before and after). Also: exit 1 for an
# insecure key file and for a second init.
. "$(dirname "$0")/lib.sh"
B=${FIELDSYNC_BIN:-$(dirname "$0")/../../build/fieldsync}
command -v sqlite3 >/dev/null || bail "sqlite3 is needed"
plan 153

T=$(tmpdir)
D="$T/data"
fs() { "$B" --dir "$D" "$@"; }
snap() { sqlite3 "$D/store.db" .dump | sha256sum; }

# bad DESC REGEX ARGS...: exit 2, stderr matches REGEX, store unchanged.
bad() {
	local desc=$1 re=$2 before
	shift 2
	before=$(snap)
	run fs "$@"
	is "$RC" 2 "$desc: exit 2"
	like "$ERR" "$re" "$desc: stderr names it"
	is "$(snap)" "$before" "$desc: store unchanged"
}

fs init --name "Phạm Thị Hoa" >/dev/null 2>&1 || bail "init failed"
M=$(fs model add --crop "Sticky maize" --province Salavan --planned-ha 5 \
	--planned-households 42) || bail "model add failed"
V=$(fs visit add --direction in --province Sekong --leader "ທ່ານ ບຸນມີ" \
	--members 5 --sector agriculture --start 2026-04-10 --end 2026-04-12) ||
	bail "visit add failed"
P=$(fs model progress "$M" --sown-ha 3.8 --households 42 --date 2025-09-30) ||
	bail "progress failed"
# A visit missing what each case adds: --province, --sector, --leader, --start.
VISIT=(visit add --direction out --members 3)
MODEL=(model add --crop Maize --province Salavan --planned-households 10)

bad "unknown province" '--province: unknown province "Vientiane"; allowed: Attapeu, Champasak, Salavan, Sekong' \
	model add --crop Maize --planned-households 10 --province Vientiane --planned-ha 1
bad "unknown province in list" '--province: .*allowed: Attapeu' list --province Hanoi
bad "unknown sector" '--sector: unknown sector "fishing"; allowed: politics, education' \
	"${VISIT[@]}" --province Attapeu --leader L --sector fishing --start 2026-04-10
bad "negative hectares" '--planned-ha: .*-2 is out of range; allowed 0 to' \
	"${MODEL[@]}" --planned-ha -2
bad "negative sown hectares" '--sown-ha: .*out of range' \
	model progress "$M" --sown-ha -0.5 --households 3
bad "non-numeric hectares" '--planned-ha: "five" is not a number' \
	"${MODEL[@]}" --planned-ha five
bad "hectares with two decimal commas" '--sown-ha: "3,8,1" is not a number' \
	model progress "$M" --sown-ha 3,8,1 --households 3
bad "hectares with 3 decimals" '--planned-ha: .*more than 2 decimals' \
	"${MODEL[@]}" --planned-ha 1.255
bad "households not a whole number" '--planned-households: "42.5" is not a whole number' \
	model add --crop Maize --province Salavan --planned-ha 1 --planned-households 42.5
bad "progress households not a number" '--households: "many" is not a number' \
	model progress "$M" --sown-ha 1 --households many
bad "members out of range" '--members: 0 is out of range; allowed 1 to' \
	visit add --direction out --province Attapeu --leader L --members 0 \
	--sector health --start 2026-04-10
bad "end date before start" '--end: 2026-04-09 is before start 2026-04-10' \
	trip add --expert E --specialty crop --province Attapeu \
	--start 2026-04-10 --end 2026-04-09
bad "edit making end before start" '--end: 2020-01-01 is before start 2026-04-10' \
	edit "$V" --end 2020-01-01
bad "invalid date" '--start: "2026-02-30" is not a valid date; expected YYYY-MM-DD' \
	"${VISIT[@]}" --province Attapeu --leader L --sector health --start 2026-02-30
bad "day-first date that does not exist" '--date: "32/13/2026" is not a valid date' \
	model progress "$M" --sown-ha 1 --households 2 --date 32/13/2026
# An observation more than one day in the future (the year typed 2030 for
# 2026, or the day after tomorrow) is refused at entry; tomorrow is allowed
# (a time zone ahead). The limit is the device's date + 1 day.
lim=$(date -d tomorrow +%F)
bad "observation dated 2030" "--date: 2030-04-10 is more than one day in the future; an observation is dated on or before $lim" \
	model progress "$M" --sown-ha 1 --households 2 --date 2030-04-10
bad "observation dated the day after tomorrow" "--date: $(date -d '+2 days' +%F) is more than one day in the future" \
	model progress "$M" --sown-ha 1 --households 2 --date "$(date -d '+2 days' +%F)"
run fs model progress "$M" --sown-ha 1 --households 2 --date "$lim"
is "$RC" 0 "an observation dated tomorrow is accepted"
bad "invalid UTF-8" '--leader: not valid UTF-8' \
	"${VISIT[@]}" --province Attapeu --sector health --leader $'Nguy\xc3\x28n' --start 2026-04-10
bad "overlong UTF-8 in an edit" '--village: not valid UTF-8' \
	edit "$M" --village $'\xc0\xaf'
bad "control character in text" '--leader: control character' \
	"${VISIT[@]}" --province Attapeu --sector health --leader $'a\x1bb' --start 2026-04-10
long=$(printf 'ư%.0s' $(seq 101)) # 101 x 2 bytes = 202 bytes
bad "name over its limit" '--leader: 202 bytes, at most 200 allowed' \
	"${VISIT[@]}" --province Attapeu --sector health --leader "$long" --start 2026-04-10
long=$(head -c 2001 /dev/zero | tr '\0' x)
bad "free text over its limit" '--outcome: 2001 bytes, at most 2000 allowed' \
	"${VISIT[@]}" --province Attapeu --sector health --leader L --start 2026-04-10 --outcome "$long"
bad "missing required field" '--leader: a visit needs field "leader"' \
	visit add --direction out --province Attapeu --members 3 --sector health \
	--start 2026-04-10
bad "option without its value" '--crop needs a value' model add --crop
bad "unknown option for add" 'unknown option --colour for a trip; options: --expert' \
	trip add --colour red
bad "unknown field in edit" '--colour: a model has no field "colour"' \
	edit "$M" --colour red
bad "edit without fields" 'nothing to change' edit "$M"
bad "unknown command" 'unknown command "fly"' fly
bad "unknown kind in list" 'KIND: unknown record kind "birds"' list birds
bad "unknown subcommand" 'unknown subcommand "plant"; subcommands: add, progress' \
	model plant

# Ids: an id no record has, a prefix too short or not hex.
absent=
for p in 0000 1111 2222 3333 4444 5555 6666 7777 8888 9999 aaaa bbbb; do
	case " $M $V $P" in *" $p"*) ;; *) absent=$p; break;; esac
done
bad "unknown id (show)" "ID \"$absent\": no record has an id starting with it" show "$absent"
bad "unknown id (edit)" "ID \"${absent}9\": no record" edit "${absent}9" --crop X
bad "unknown id (delete)" "ID \"$absent\": no record" delete "$absent" --reason x
bad "delete without a reason" "delete: .*--reason TEXT" delete "${V:0:6}"
bad "id prefix too short" 'ID "abc": expected an id or its first 4 or more hex digits' show abc
bad "id not hex" 'ID "wxyz1": expected an id' show wxyz1
bad "progress for a visit" "MODEL: model $V is a visit, not a model" \
	model progress "${V:0:6}" --sown-ha 1 --households 2
bad "progress for an unknown model" "MODEL: model \"$absent\": no record" \
	model progress "$absent" --sown-ha 1 --households 2
bad "editing a progress observation" 'append-only' edit "$P" --notes x
bad "deleting a progress observation" 'never deleted; retract it instead' delete "$P" --reason x

# An ambiguous prefix: add small visits until two ids share 4 digits
# (expected after ~320; the birthday bound).
pref=
i=0
while [ -z "$pref" ] && [ "$i" -lt 3000 ]; do
	i=$((i + 1))
	fs visit add --direction out --province Attapeu --leader "L$i" --members 2 \
		--sector health --start 2026-01-01 >/dev/null || break
	if ((i % 25 == 0 || i > 2000)); then
		pref=$(sqlite3 "$D/store.db" "SELECT substr(id,1,4) p FROM records GROUP BY p HAVING count(*) > 1 LIMIT 1")
	fi
done
[ -n "$pref" ]
ok $? "found two records sharing the id prefix $pref after $i adds"
bad "ambiguous prefix (show)" "ID \"$pref\" is ambiguous: .*$pref.*give more digits" show "$pref"
bad "ambiguous prefix (edit)" "ID \"$pref\" is ambiguous" edit "$pref" --members 4
bad "ambiguous prefix (delete)" "ID \"$pref\" is ambiguous" delete "$pref" --reason x

# ---- environment ------------------------------------------------------------
E="$T/empty"
mkdir "$E"
run "$B" --dir "$E" list
is "$RC" 2 "store not initialised: exit 2"
like "$ERR" "no fieldsync store in $E; run: fieldsync init" "store not initialised: says to run init"
run "$B" --dir "$E/sub" visit add --direction out --province Attapeu --leader L \
	--members 2 --sector health --start 2026-01-01
is "$RC:$(ls -A "$E")" "2:" "not initialised: add exits 2 and creates nothing"
run "$B" --dir "$T/badname" init --name "$(printf 'ư%.0s' $(seq 101))"
is "$RC:$(ls -d "$T/badname" 2>/dev/null)" "2:" "init with a name over 200 bytes: exit 2, no directory"
like "$ERR" "--name: .*at most 200" "... naming --name"

# Disk full, simulated with a file size limit. SIGXFSZ is ignored by the
# CLI, so the write fails with an error instead of killing it. Output goes
# through pipes, which the limit does not cover.
before=$(snap)
res=$( (ulimit -f 0; "$B" --dir "$D" model add --crop Maize --province Salavan \
	--planned-ha 1 --planned-households 2 2>&1; echo "rc=$?") )
like "$res" "rc=2$" "ulimit -f 0: exit 2 (not killed by SIGXFSZ)"
like "$res" "disk full or file size limit" "ulimit -f 0: says the disk is full"
is "$(snap)" "$before" "ulimit -f 0: store unchanged"

# Disk full for real: a tiny tmpfs (needs root and mount).
MNT="$T/mnt"
mkdir "$MNT"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=1m tmpfs "$MNT" 2>/dev/null; then
	at_exit umount -l "$MNT"
	"$B" --dir "$MNT/d" init --name x >/dev/null 2>&1
	"$B" --dir "$MNT/d" model add --crop Maize --province Salavan --planned-ha 1 \
		--planned-households 2 >/dev/null
	avail=$(df --output=avail -B1 "$MNT" | tail -1)
	head -c $((avail - 40960)) /dev/zero >"$MNT/fill" 2>/dev/null
	before=$(sqlite3 "$MNT/d/store.db" .dump | sha256sum)
	run "$B" --dir "$MNT/d" model add --crop "Lúa" --province Salavan \
		--planned-ha 1 --planned-households 2 --village "$(head -c 180 /dev/zero | tr '\0' v)"
	is "$RC" 2 "full tmpfs: exit 2"
	like "$ERR" "disk full" "full tmpfs: says the disk is full"
	rm -f "$MNT/fill"
	is "$(sqlite3 "$MNT/d/store.db" .dump | sha256sum)" "$before" "full tmpfs: store unchanged"
	run "$B" --dir "$MNT/d" model add --crop "Lúa" --province Salavan \
		--planned-ha 1 --planned-households 2
	is "$RC" 0 "after space is freed, adding works again"
	is "$(sqlite3 "$MNT/d/store.db" 'PRAGMA integrity_check')" ok "full tmpfs: integrity_check ok"
else
	skip 5 "tmpfs needs root and mount"
fi

# Store directory not writable: a read-only bind mount as root (root ignores
# permission bits), chmod otherwise.
RO="$T/ro"
mkdir "$RO"
ro_ok=
if [ "$(id -u)" = 0 ]; then
	if mount --bind "$D" "$RO" 2>/dev/null; then
		at_exit umount -l "$RO"
		mount -o remount,bind,ro "$RO" 2>/dev/null && ro_ok=1
	fi
else
	rmdir "$RO"
	RO=$D
	chmod 555 "$D" && ro_ok=1
	at_exit chmod 755 "$D"
fi
if [ -n "$ro_ok" ]; then
	before=$(snap)
	run "$B" --dir "$RO" model add --crop Maize --province Salavan --planned-ha 1 \
		--planned-households 2
	is "$RC" 2 "unwritable store directory: exit 2"
	like "$ERR" "cannot write to $RO: (Read-only file system|Permission denied); the data directory must be writable" \
		"unwritable store directory: says so"
	is "$(snap)" "$before" "unwritable store directory: store unchanged"
	run "$B" --dir "$RO/new" init --name x
	is "$RC" 2 "init under an unwritable directory: exit 2"
	like "$ERR" "cannot create directory $RO/new" "... and says where"
	[ "$RO" = "$D" ] && chmod 755 "$D"
else
	skip 5 "cannot make a read-only directory here"
fi

# ---- failures that are not bad input: exit 1 ------------------------------------
chmod 644 "$D/device.key"
run fs list
is "$RC" 1 "a device.key readable by others: exit 1"
like "$ERR" "device.key is accessible by group or others \(mode 0644\); refusing .*chmod 600" \
	"... and says how to fix it"
chmod 600 "$D/device.key"
run fs status
is "$RC" 0 "after chmod 600 the store opens again"
is "$(sqlite3 "$D/store.db" 'PRAGMA integrity_check')" ok "integrity_check ok at the end"

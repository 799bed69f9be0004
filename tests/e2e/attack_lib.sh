# tests/e2e/attack_lib.sh — the fixture of the attack tests of issue 9
# (server_memory.t, server_budget.t, server_connections.t): an honest
# device that syncs with the real `fieldsync` while tests/tools/hammer
# attacks the real `fieldsyncd`. Source after lib.sh and sync_server.
#
#   HAMMER, FSTOOL         paths of tests/tools/hammer and fstool
#   honest_device VAR NAME enroll a real fieldsync device (sync_device);
#                          sets VAR and VAR_ID
#   honest_sync DIR TAG    DIR records 5 visits (leaders "TAG 1".."TAG 5")
#                          and runs one `fieldsync sync` with the client's
#                          normal timeouts; sets HONEST_RC (its exit
#                          status), HONEST_ERR (its stderr), HONEST_MS (how
#                          long it took, for diag only) and HONEST_HELD (how
#                          many of the 5 the server holds)
#   attacker DIR           a device identity enrolled with fstool (a device
#                          that misbehaves: it has credentials)
#   attacker_session DIR   print a new session token for it
#   server_kib FIELD       VmHWM (peak) or VmRSS of the server, in KiB
#   wait_lines FILE RE N   wait (at most 30 s) until FILE has N lines
#                          matching RE; returns 1 if it never does
HAMMER=${FIELDSYNC_TOOLS:-$(dirname "$0")/../../build/tests/tools}/hammer
FSTOOL=${FIELDSYNC_TOOLS:-$(dirname "$0")/../../build/tests/tools}/fstool
[ -x "$HAMMER" ] || bail "hammer is not built ($HAMMER)"

honest_device() { sync_device "$@"; }

honest_sync() {
	local dir=$1 tag=$2 t0 t1
	sync_visits 5 "$tag" >"$dir.$tag.jsonl"
	if ! fsd "$dir" import "$dir.$tag.jsonl" >/dev/null 2>&1; then
		HONEST_RC=99
		HONEST_ERR="import failed"
		HONEST_HELD=0
		return
	fi
	t0=$(date +%s%N)
	"$FIELDSYNC_BIN" --dir "$dir" sync >/dev/null 2>"$dir.$tag.err"
	HONEST_RC=$?
	t1=$(date +%s%N)
	HONEST_MS=$(((t1 - t0) / 1000000))
	HONEST_ERR=$(cat "$dir.$tag.err")
	HONEST_HELD=$(sq "$SDB" "SELECT count(*) FROM records
		WHERE instr(state, '$tag ') > 0")
}

attacker() {
	local dir=$1 tok
	"$FSTOOL" keygen "$dir" >/dev/null || return 1
	tok=$("$FIELDSYNCD_BIN" token create --db "$SDB" --name attacker \
		--role expert 2>/dev/null) || return 1
	curl -s --max-time 10 -o /dev/null -w '%{http_code}' \
		-H 'Content-Type: application/json' \
		-d "{\"token\":\"$tok\",\"public_key\":\"$(cat "$dir/pk")\",\"name\":\"attacker\"}" \
		"$SERVER_URL/v2/enroll" | grep -qx 201
}

attacker_session() {
	timeout 10 "$FSTOOL" session --key "$1" --url "$SERVER_URL"
}

server_kib() {
	sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$SERVER_PID/status"
}

wait_lines() {
	local i
	for ((i = 0; i < 300; i++)); do
		[ "$(grep -Ec "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

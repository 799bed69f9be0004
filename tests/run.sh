#!/bin/sh
# Runs every unit test binary (cmocka) and every end-to-end TAP script
# (tests/e2e/*.t, bash, run by prove), then the sync scripts again over
# HTTPS, then the server and sync scripts again with the server's databases
# on PostgreSQL, then prints one line:
#   N passed, N failed
# Exit status 0 only if nothing failed. BUILD selects the build folder.
set -u
BUILD=${BUILD:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export FIELDSYNC_ROOT="$ROOT"
export FIELDSYNC_BIN="$ROOT/$BUILD/fieldsync"
export FIELDSYNCD_BIN="$ROOT/$BUILD/fieldsyncd"
export FIELDSYNC_TOOLS="$ROOT/$BUILD/tests/tools"
export VECTORS="$ROOT/protocol/vectors"
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for t in "$ROOT/$BUILD"/tests/unit/test_*; do
	[ -x "$t" ] || continue
	case "$t" in *.o|*.d) continue;; esac
	echo "== unit: $(basename "$t")"
	(cd "$ROOT" && "$t") >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	p=${p:-0}; f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "unit binary $(basename "$t") exited $rc"; f=1
	fi
	passed=$((passed + p)); failed=$((failed + f))
done

# prove_count LABEL FILES...: run FILES with prove, add to the counts.
prove_count() {
	label=$1
	shift
	echo "== end-to-end$label: prove"
	(cd "$ROOT" && prove --exec bash -j2 --timer "$@") >"$log" 2>&1
	cat "$log"
	total=$(sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\).*/\1/p' "$log" | tail -1)
	total=${total:-0}
	fsub=$(awk '/Failed [0-9]+\/[0-9]+ subtests/ { split($2, a, "/"); s += a[1] } END { print s + 0 }' "$log")
	# planned but never run (a script that died early)
	miss=$(awk '/You planned [0-9]+ tests? but ran [0-9]+/ { for (i = 1; i <= NF; i++) { if ($i == "planned") p = $(i+1); if ($i == "ran") r = $(i+1) } s += p - r } END { print s + 0 }' "$log")
	# scripts that failed without a failing subtest (no plan, crash)
	bad=$(awk '/Wstat: [1-9]/ && !/Failed: [1-9]/ {n++} /No plan found/ {n++} END { print n + 0 }' "$log")
	# a script that bailed out stops prove: the scripts after it never ran
	bad=$((bad + $(grep -c '^FAILED--Further testing stopped' "$log")))
	[ "$miss" -lt 0 ] && miss=0
	passed=$((passed + total - fsub))
	failed=$((failed + fsub + miss + bad))
}

set -- "$ROOT"/tests/e2e/*.t
[ -e "$1" ] && prove_count "" "$@"

# The server and sync suites again, every server database on PostgreSQL
# (FIELDSYNC_BACKEND, tests/e2e/lib.sh): one cluster of the run's own
# (tests/tools/pgcluster.sh), a fresh database per suite. server_pg.t
# (its own cluster, which it restarts and crashes) ran above.
# FIELDSYNC_BACKENDS="sqlite" runs SQLite only.
# The sync suites again over HTTPS (FIELDSYNC_SCHEME, tests/e2e/lib.sh):
# fieldsyncd with a certificate made per script, devices enrolled by the
# link that pins it, as in the field.
if [ "${FIELDSYNC_HTTPS_RUN:-1}" = 1 ]; then
	set -- "$ROOT"/tests/e2e/sync_*.t
	FIELDSYNC_SCHEME=https
	export FIELDSYNC_SCHEME
	prove_count " over HTTPS" "$@"
	unset FIELDSYNC_SCHEME
fi

case " ${FIELDSYNC_BACKENDS:-sqlite postgresql} " in
*" postgresql "*)
	if why=$(sh "$ROOT/tests/tools/pgcluster.sh" check); then
		pgdir=$(mktemp -d /tmp/fieldsync-pgrun.XXXXXX)
		if sh "$ROOT/tests/tools/pgcluster.sh" start "$pgdir"; then
			set --
			for t in "$ROOT"/tests/e2e/server_*.t "$ROOT"/tests/e2e/sync_*.t \
				"$ROOT"/tests/e2e/hq_*.t "$ROOT"/tests/e2e/auth_*.t \
				"$ROOT"/tests/e2e/enroll_link.t; do
				[ "$(basename "$t")" = server_pg.t ] || set -- "$@" "$t"
			done
			FIELDSYNC_BACKEND=postgresql FIELDSYNC_PG_HOST=$pgdir
			export FIELDSYNC_BACKEND FIELDSYNC_PG_HOST
			prove_count " on PostgreSQL" "$@"
			unset FIELDSYNC_BACKEND FIELDSYNC_PG_HOST
			sh "$ROOT/tests/tools/pgcluster.sh" stop "$pgdir"
		else
			echo "PostgreSQL did not start: the PostgreSQL run failed"
			failed=$((failed + 1))
			rm -rf "$pgdir"
		fi
	else
		echo "== end-to-end on PostgreSQL: skipped: $why"
	fi
	;;
esac

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]

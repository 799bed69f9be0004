# tests/e2e/browser_lib.sh — what the browser tests share (source after
# lib.sh): Debian's Chromium driven by playwright-core, pinned in
# tests/browser/package-lock.json and installed with `npm ci` on first use.
#   browser_missing        print what this machine lacks ("" if nothing)
#   browser_install DIR    install playwright-core (one installer at a
#                          time); status 0 when the pinned version is there;
#                          npm's log in DIR/npm.log
BROWSER_DIR="${FIELDSYNC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/browser"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

browser_missing() {
	local m=""
	[ -x "$CHROMIUM" ] || m="$m chromium ($CHROMIUM)"
	command -v node >/dev/null || m="$m node"
	command -v npm >/dev/null || m="$m npm"
	command -v jq >/dev/null || m="$m jq"
	echo "$m"
}

browser_install() {
	local want have
	want=$(jq -r '.packages["node_modules/playwright-core"].version' \
		"$BROWSER_DIR/package-lock.json")
	(
		flock 9
		have=$(jq -r .version \
			"$BROWSER_DIR/node_modules/playwright-core/package.json" 2>/dev/null)
		if [ "$have" != "$want" ]; then
			cd "$BROWSER_DIR" && npm ci --no-audit --no-fund --loglevel=error
		fi
	) 9>"$BROWSER_DIR/.install.lock" >"$1/npm.log" 2>&1
	[ "$(jq -r .version "$BROWSER_DIR/node_modules/playwright-core/package.json" 2>/dev/null)" = "$want" ]
}

# Run node SCRIPT with the environment given, turning its "ok - "/"not ok - "
# lines into this script's tests; exactly N are expected.
#   browser_run N OUTDIR node SCRIPT   (environment set by the caller)
browser_run() {
	local want=$1 dir=$2 n=0 nrc line
	shift 2
	timeout 300 "$@" >"$dir/node.out" 2>"$dir/node.err"
	nrc=$?
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) n=$((n + 1)); [ "$n" -le "$want" ] && ok 0 "browser: ${line#ok - }" ;;
		"not ok - "*) n=$((n + 1)); [ "$n" -le "$want" ] && ok 1 "browser: ${line#not ok - }" ;;
		"# "*) diag "${line#\# }" ;;
		esac
	done <"$dir/node.out"
	if [ "$nrc" -ne 0 ] || [ "$n" -ne "$want" ]; then
		diag "node exited $nrc after $n of $want checks" "$(tail -20 "$dir/node.err")"
		while [ "$n" -lt "$want" ]; do
			n=$((n + 1))
			ok 1 "browser: check $n did not run"
		done
	fi
}

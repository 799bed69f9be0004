#!/bin/bash
# Browser test of the field app (TAP wrapper): a real fieldsyncd on
# loopback, `fieldsync ui` on a fresh data directory, and
# tests/browser/fieldapp.test.js driving Debian's Chromium through it as an
# agronomist would (see that file). Then a second device, with the CLI,
# enrolls and syncs, and must hold exactly what the agronomist recorded.
# Screenshots of every page at 1280 and 390 px go to the test's temp dir
# (UI_SHOTS=DIR keeps a copy; the README shows two of them).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/browser_lib.sh"
NODE_CHECKS=31
plan $((9 + NODE_CHECKS))

missing=$(browser_missing)
if [ -n "$missing" ]; then
	echo "# ui_browser.t: this machine lacks:$missing; run \`make deps\`" >&2
	skip $((9 + NODE_CHECKS)) "missing:$missing (make deps installs them)"
	exit 0
fi
W=$(tmpdir)
browser_install "$W"
ok $? "playwright-core installed from package-lock.json (npm ci)" ||
	diag "$(tail -20 "$W/npm.log")"

sync_server "$W"
ok $? "a fieldsyncd on loopback" || exit 1
LINK=$("$FIELDSYNCD_BIN" token create --db "$SDB" --name "Nguyễn Văn Hùng" \
	--role expert --url "$SERVER_URL" 2>/dev/null | grep -o 'fieldsync://[^ ]*' | head -1)
like "$LINK" '^fieldsync://enroll\?' "HQ made an enrollment link"

D="$W/agronomist"
"$FIELDSYNC_BIN" --dir "$D" ui --no-browser --url-file "$W/url" >"$W/ui.out" 2>"$W/ui.err" &
UI_PID=$!
at_exit "kill $UI_PID"
for _ in $(seq 50); do [ -s "$W/url" ] && break; sleep 0.1; done
APP=$(cat "$W/url")
like "$APP" '^http://127\.0\.0\.1:[0-9]+/login\?k=' "fieldsync ui started on a fresh directory"

mkdir -p "$W/shots" "$W/profile"
FS_APP=$APP FS_LINK=$LINK FS_SHOTS="$W/shots" FS_PROFILE="$W/profile" FS_SDB=$SDB \
FS_OUT="$W/ids.json" CHROMIUM=$CHROMIUM \
	browser_run "$NODE_CHECKS" "$W" node "$BROWSER_DIR/fieldapp.test.js"
ls "$W/shots" | sed 's/^/# screenshot: /' >&2
if [ -n "${UI_SHOTS:-}" ]; then
	mkdir -p "$UI_SHOTS" && cp "$W"/shots/*.png "$UI_SHOTS"/
fi
MODEL=$(jq -r .model "$W/ids.json" 2>/dev/null)

# A second device, with the CLI, sees exactly those entries.
sync_device B "Trần Thị Mai"
ok $? "a second device (CLI) enrolled"
fsd "$B" sync >/dev/null 2>&1
ok $? "it syncs"
fsd "$B" list --json >"$W/b.json" 2>/dev/null
is "$(jq -c '[.[] | .kind] | sort' "$W/b.json")" '["model","progress","progress"]' \
	"it holds one model and two observations, and not the deleted visit"
is "$(jq -c '[.[] | select(.kind=="model") | .fields | {crop,province,district,village,planned_ha,planned_households}][0]' "$W/b.json")" \
	'{"crop":"Ngô nếp","province":"Salavan","district":"Lao Ngam","village":"Ban Nong Bua Thong","planned_ha":5,"planned_households":42}' \
	"the model as entered and edited in the app, byte for byte"
is "$(jq -c '[.[] | select(.kind=="progress") | [.fields.model == "'"$MODEL"'", .fields.date, .fields.sown_ha, .fields.households]] | sort' "$W/b.json")" \
	'[[true,"2026-06-05",1.5,20],[true,"2026-06-20",3.8,42]]' \
	"both observations, of that model, 3,8 stored as 3.8"

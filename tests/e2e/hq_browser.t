#!/bin/bash
# Browser test of the HQ dashboard (TAP wrapper). Records the fixture of
# hq_lib.sh through real devices into a live fieldsyncd, makes an hq token,
# then runs tests/browser/dashboard.test.js: Debian's Chromium, headless,
# driven by playwright-core (pinned in tests/browser/package-lock.json,
# installed with `npm ci` on first use), checks that only the login page
# is reachable without a session, signs in, opens every page and compares
# every figure shown with `fieldsyncd report --format json`, and that a
# broken targets file costs the targets page only; screenshots
# go to the test's temp dir (HQ_SHOTS=DIR keeps a copy).
#
# A machine without chromium, node or npm gets a skip that says which is
# missing (`make deps` installs them); if they are there but cannot run,
# or playwright-core cannot be installed, the test fails.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hq_lib.sh"
. "$(dirname "$0")/browser_lib.sh"
ROOT=${FIELDSYNC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
NODE_CHECKS=78
FSTOOL=${FIELDSYNC_TOOLS:-$ROOT/build/tests/tools}/fstool
plan $((17 + NODE_CHECKS))

missing=$(browser_missing)
if [ -n "$missing" ]; then
	echo "# hq_browser.t: this machine lacks:$missing; run \`make deps\`" >&2
	skip $((17 + NODE_CHECKS)) "missing:$missing (make deps installs them)"
	exit 0
fi

W=$(tmpdir)
browser_install "$W"
ok $? "playwright-core installed from package-lock.json (npm ci)" ||
	diag "$(tail -20 "$W/npm.log")"
is "$(jq -r .version "$BROWSER_DIR/node_modules/playwright-core/package.json" 2>/dev/null)" \
	"$(jq -r '.packages["node_modules/playwright-core"].version' "$BROWSER_DIR/package-lock.json")" \
	"the installed playwright-core is the pinned version"

hq_fixture "$W" && hq_fixture_kinds
ok $? "fixture: three real devices recorded the entries (a scholarship batch and two works too) and synced" || exit 1
# More conflicts than the dashboard shows on one page (100), so the pages
# must page through /api/conflicts: a fourth device (fstool) creates a model
# that starts in 2031 (outside the report) and changes its crop 150 times
# in one set without a base, each a concurrent edit.
"$FSTOOL" keygen "$W/k4" >/dev/null &&
tok=$("$FSD" token create --db "$DB" --name "Máy thử" --role expert 2>/dev/null) &&
curl -s --max-time 10 -o /dev/null -H 'Content-Type: application/json' \
	-d "{\"token\":\"$tok\",\"public_key\":\"$(cat "$W/k4/pk")\",\"name\":\"t\"}" \
	"$SERVER_URL/v2/enroll" &&
awk 'BEGIN { id = "c0ffee00c0ffee00c0ffee00c0ffee00"
	printf "[{\"id\":\"%s\",\"kind\":\"model\",\"op\":\"create\",\"fields\":{\"crop\":\"Cà phê 0\",\"province\":\"Attapeu\",\"planned_ha\":1,\"planned_households\":2,\"start\":\"2031-01-01\"}}", id
	for (i = 1; i <= 150; i++)
		printf ",{\"id\":\"%s\",\"kind\":\"model\",\"op\":\"update\",\"fields\":{\"crop\":\"Cà phê %d\"}}", id, i
	print "]" }' | "$FSTOOL" mkset --key "$W/k4" | jq -c '{sets: [.]}' >"$W/many.json" &&
S4=$("$FSTOOL" session --key "$W/k4" --url "$SERVER_URL") &&
st=$(curl -s --max-time 20 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	-H "Authorization: Bearer $S4" --data-binary "@$W/many.json" "$SERVER_URL/v2/push") &&
[ "$st" = 200 ]
ok $? "a fourth device pushed 150 concurrent edits (HTTP ${st:-?})"
TOKEN=$("$FSD" token create --db "$DB" --name "HQ dashboard" --role hq \
	--expires 1d 2>/dev/null)
like "$TOKEN" '^[0-9a-f]{64}$' "an hq token for the dashboard"
"$FSD" report --db "$DB" --period 2026H2 --format json >"$W/report.json" 2>/dev/null
is "$(jq -c '[.summary.models, .education_totals.rate, .works_totals.budget]' "$W/report.json")" \
	'[3,85,10015000000000]' "the report JSON the pages are compared with (hq_lib.sh: 3 models, 17 of 20 -> 85 %, 15 x 10^9 + 10^13)"
"$FSD" conflicts list --db "$DB" --json >"$W/conflicts.json"
is "$(jq .open "$W/conflicts.json")" 151 "the conflicts JSON (151 open: more than one page)"

# The same checks without a browser: what any HTTP client gets.
st=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$SERVER_URL/api/report")
is "$st" 401 "curl without a session: /api/report is 401"
# Bad requests to the new endpoints, signed in: 4xx naming what is allowed,
# and the conflicts unchanged.
curl -s -o /dev/null -c "$W/jar" -H 'Content-Type: application/json' \
	-d "{\"token\":\"$TOKEN\"}" "$SERVER_URL/login"
CSRF=$(curl -s -b "$W/jar" "$SERVER_URL/api/session" | jq -r .csrf)
get() { curl -s -o "$W/body" -w '%{http_code}' -b "$W/jar" "$SERVER_URL$1"; }
resolve() { curl -s -o "$W/body" -w '%{http_code}' -b "$W/jar" -H "Content-Type: ${3:-application/json}" \
	-H "X-CSRF-Token: $2" --data-binary "$1" "$SERVER_URL/api/conflicts/resolve"; }
bad=
for q in "format=pdf" "format=csv" "format=csv&table=nope" "format=docx&table=visits" "format=docx&lang=fr" \
	"format=docx&period=2026H3" "format=xlsx&province=Vientiane"; do
	bad="$bad $(get "/api/report/file?$q")"
done
for id in "" zz "$(printf 'a%.0s' $(seq 1 40))" "0000000000000000000000000000dead"; do
	bad="$bad $(get "/api/record?id=$id")"
done
bad="$bad $(resolve '{"id":1,"keep":"value:x"}' "")"
bad="$bad $(resolve '{"id":1,"keep":"value:x"}' "$CSRF" text/plain)"
for body in '' '[]' '{"id":1}' '{"id":-1,"keep":"value:x"}' '{"id":1.5,"keep":"value:x"}' \
	'{"id":1,"keep":""}' '{"id":1,"keep":"value:x","more":1}' "{\"id\":1,\"keep\":\"$(head -c 9000 /dev/zero | tr '\0' x)\"}"; do
	bad="$bad $(resolve "$body" "$CSRF")"
done
bad="$bad $(resolve '{"id":99999,"keep":"value:x"}' "$CSRF")"
is "$bad" " 400 400 400 400 400 400 400 400 400 400 404 403 415 400 400 400 400 400 400 400 413 404" \
	"bad downloads, record ids and resolutions: 400/403/404/413/415, each with its reason"
is "$("$FSD" conflicts list --db "$DB" --json | jq .open)" 151 "... and no conflict was resolved by them"

mkdir -p "$W/shots" "$W/profile"
FS_URL=$SERVER_URL FS_TOKEN=$TOKEN FS_PERIOD=2026H2 FS_SHOTS="$W/shots" \
FS_PROFILE="$W/profile" FS_REPORT="$W/report.json" \
FS_CONFLICTS="$W/conflicts.json" FS_TARGETS="$(side_file "$DB" .targets)" CHROMIUM=$CHROMIUM \
FS_OUT="$W" FS_BIN=$FIELDSYNC_BIN FS_DA=$DA \
	browser_run "$NODE_CHECKS" "$W" node "$BROWSER_DIR/dashboard.test.js"
ls "$W/shots" | sed 's/^/# screenshot: /' >&2

# What the page did, seen from outside: HQ's choice reached both devices,
# and the downloaded files are the report.
is "$("$FSD" conflicts list --db "$DB" --json | jq .open)" 150 "the conflict resolved from the page is resolved in the store"
fsd "$DA" sync >/dev/null 2>&1; fsd "$DB_" sync >/dev/null 2>&1
is "$(fsd "$DA" show "$M3" --json | jq -r .fields.district) $(fsd "$DB_" show "$M3" --json | jq -r .fields.district)" \
	"Vapy Vapy" "after sync both devices hold the value HQ kept from the page"
D=$(unzip -p "$W/report.docx" word/document.xml 2>/dev/null)
like "$D" 'Salavan — Ngô nếp \(sticky maize\): 5 ha kế hoạch, 42 hộ; đã gieo 3,8 ha \(76 %\)' \
	"the downloaded DOCX holds the Salavan sentence in Vietnamese"
like "$(unzip -p "$W/report.xlsx" xl/workbook.xml 2>/dev/null)" '<sheet name="Mô hình"' \
	"the downloaded XLSX is the workbook, its sheets named in Vietnamese"
like "$(unzip -p "$W/report.xlsx" xl/worksheets/sheet6.xml 2>/dev/null)" '<c r="F2"( s="[0-9]+")?><v>3.8</v></c>' \
	"... and its models sheet holds 3.8 as a number"
if command -v soffice >/dev/null && command -v pdftotext >/dev/null; then
	(cd "$W" && HOME="$W" timeout 180 soffice --headless --norestore \
		"-env:UserInstallation=file://$W/lo" --convert-to pdf "$W/report.docx" \
		--outdir "$W" >"$W/lo.out" 2>&1)
	ok $? "LibreOffice opens the downloaded DOCX (converts it to PDF)" || diag "$(cat "$W/lo.out")"
	like "$(pdftotext "$W/report.pdf" - 2>/dev/null | tr -s ' \n' ' ')" 'Nông nghiệp' "... and its text has the sector headings"
else
	skip 2 "LibreOffice or pdftotext missing (make deps installs them)"
fi
if [ -n "${HQ_SHOTS:-}" ]; then
	mkdir -p "$HQ_SHOTS" && cp "$W"/shots/*.png "$HQ_SHOTS"/
fi
stop_server

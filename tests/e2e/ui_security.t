#!/bin/bash
# The field app (`fieldsync ui`) is a server on the user's machine: it must
# refuse whatever is not its own page in the user's own browser. Real
# fieldsync, real loopback sockets, curl as the stranger:
#   - a request without the per-launch secret (no cookie, wrong cookie,
#     wrong secret in the login link);
#   - a foreign Host (DNS rebinding);
#   - a cross-origin POST, a POST without the CSRF token, a form POST;
#   - a non-loopback connection: it listens on 127.0.0.1 only.
# And that nothing of a refused write reached the store.
. "$(dirname "$0")/lib.sh"
plan 22

W=$(tmpdir)
D="$W/dev"
"$FIELDSYNC_BIN" --dir "$D" init --name "Trần Thị Mai" >/dev/null 2>&1
ok $? "a device store"
"$FIELDSYNC_BIN" --dir "$D" ui --no-browser --url-file "$W/url" >"$W/ui.out" 2>"$W/ui.err" &
UI_PID=$!
at_exit "kill $UI_PID"
for _ in $(seq 50); do [ -s "$W/url" ] && break; sleep 0.1; done
URL=$(cat "$W/url")
like "$URL" '^http://127\.0\.0\.1:[0-9]+/login\?k=[0-9a-f]{64}$' "it prints a loopback URL with a 64-hex secret"
PORT=$(echo "$URL" | sed 's|^http://127.0.0.1:\([0-9]*\)/.*|\1|')
BASE="http://127.0.0.1:$PORT"
like "$(cat "$W/ui.out")" "open $BASE/login" "the URL is printed for the user"

code() { curl -s -o "$W/body" -w '%{http_code}' --max-time 5 "$@"; }

# Without the secret.
is "$(code "$BASE/")" 403 "no cookie: the page is refused"
is "$(code "$BASE/api/state")" 403 "no cookie: the API is refused"
like "$(cat "$W/body")" '"no_session"' "... saying why"
is "$(code -b "fs_ui_$PORT=$(printf '0%.0s' $(seq 64))" "$BASE/api/state")" 403 \
	"a wrong cookie is refused"
is "$(code "$BASE/login?k=$(printf 'a%.0s' $(seq 64))")" 403 "a wrong secret in the link is refused"
! grep -q "Set-Cookie" <(curl -s -D - -o /dev/null "$BASE/login?k=x")
ok $? "... and sets no cookie"

# With it: the link sets the cookie and leaves the secret out of the URL.
hdrs=$(curl -s -D - -o /dev/null -c "$W/jar" "$URL")
like "$hdrs" "Set-Cookie: fs_ui_$PORT=[0-9a-f]{64}; Path=/; HttpOnly; SameSite=Strict" \
	"the link sets an HttpOnly, SameSite=Strict session cookie"
like "$hdrs" "Location: /" "... and redirects to the app without the secret"
is "$(code -b "$W/jar" "$BASE/api/state")" 200 "with the cookie the API answers"
CSRF=$(jq -r .csrf "$W/body")
like "$CSRF" '^[0-9a-f]{64}$' "the state gives the page its CSRF token"

# DNS rebinding: the right cookie, a foreign Host.
is "$(code -b "$W/jar" -H "Host: attacker.example:$PORT" "$BASE/api/state")" 421 \
	"a foreign Host is refused (421)"
is "$(code -b "$W/jar" -H "Host: 127.0.0.1:1" "$BASE/api/state")" 421 \
	"the loopback address on another port is refused too"

save='{"kind":"model","fields":{"crop":"Ngô nếp","province":"Salavan","planned_ha":"5","planned_households":"42"}}'
post() { code -b "$W/jar" -H 'Content-Type: application/json' "$@" -d "$save" "$BASE/api/save"; }
is "$(post -H "Origin: http://attacker.example" -H "X-CSRF-Token: $CSRF")" 403 \
	"a cross-origin POST is refused"
is "$(post -H "Origin: $BASE")" 403 "a same-origin POST without the CSRF token is refused"
is "$(code -b "$W/jar" -H "Origin: $BASE" -H "X-CSRF-Token: $CSRF" \
	-d 'kind=model' "$BASE/api/save")" 415 "a form-encoded POST is refused"
is "$("$FIELDSYNC_BIN" --dir "$D" status --json | jq .records.model)" 0 \
	"none of the refused writes reached the store"
is "$(post -H "Origin: $BASE" -H "X-CSRF-Token: $CSRF")" 201 \
	"the app's own POST (origin + token) saves"

# Loopback only: the listening socket is bound to 127.0.0.1, and the
# machine's other addresses do not answer.
listen=$(ss -Hltn "sport = :$PORT" 2>/dev/null | awk '{print $4}' | sort -u | tr '\n' ' ')
is "$listen" "127.0.0.1:$PORT " "it listens on 127.0.0.1:$PORT only"
# A real non-loopback connection: from a network namespace of our own,
# over a veth pair this test makes (addresses only on that pair), to the
# host side of the pair, at the app's port.
NS=fsui$$
if ip netns add "$NS" 2>/dev/null; then
	at_exit "ip netns del $NS"
	ip link add "fsa$$" type veth peer name "fsb$$" &&
	at_exit "ip link del fsa$$" &&
	ip link set "fsb$$" netns "$NS" &&
	ip addr add 169.254.77.1/30 dev "fsa$$" && ip link set "fsa$$" up &&
	ip netns exec "$NS" ip addr add 169.254.77.2/30 dev "fsb$$" &&
	ip netns exec "$NS" ip link set "fsb$$" up
	ip netns exec "$NS" curl -s -o /dev/null --max-time 3 "http://169.254.77.1:$PORT/" 2>/dev/null
	rc=$?
	is "$rc" 7 "a connection from another host (a network namespace) is refused: curl exit 7"
else
	ok 0 "# SKIP cannot make a network namespace here (needs CAP_NET_ADMIN)"
fi

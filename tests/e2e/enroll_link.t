# enroll_link.t: enrollment by link against a real `fieldsyncd serve` over
# HTTPS with a self-signed certificate made by openssl at test time.
# `token create --url --tls-cert --qr` prints the token and the link, whose
# pin must be the SHA-256 of the certificate's public key as openssl
# computes it, and writes the same link as a QR code (decoded back with
# zbarimg when it is installed). `fieldsync enroll LINK` trusts exactly
# that certificate: it enrolls and syncs, later syncs keep using the pin
# (an impostor certificate on the same port gets nothing); a wrong pin, an
# unknown certificate and http vs https each exit 1 with a message saying
# which, while a dead port stays exit 3. Malformed links exit 2 and change
# nothing, and token create's own bad options leave no token behind.
. "$(dirname "$0")/lib.sh"
plan 60

W=$(tmpdir)
make_cert "$W" || bail "openssl could not make a certificate"
sync_server "$W" --tls-cert "$W/cert.pem" --tls-key "$W/key.pem" ||
	bail "server did not start"
PORT=$SERVER_PORT
pin_of() {
	openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der |
		sha256sum | cut -d' ' -f1
}
PIN=$(pin_of "$W/cert.pem")
like "$PIN" '^[0-9a-f]{64}$' "openssl gives the certificate's public-key pin"
ntokens() { sq "$SDB" "SELECT count(*) FROM tokens"; }

# ---- token create prints the link and writes its QR code ----------------
run "$FIELDSYNCD_BIN" token create --db "$SDB" --name "Nguyễn Văn Hùng" \
	--role expert --url "$SERVER_URL" --tls-cert "$W/cert.pem" \
	--qr "$W/hung.png"
is "$RC" 0 "token create --url --tls-cert --qr: exit 0"
TOK=$(sed -n 1p "$OUTF")
LINK=$(sed -n 2p "$OUTF")
like "$TOK" '^[0-9a-f]{64}$' "the first line is still the token alone"
is "$LINK" "fieldsync://enroll?url=$SERVER_URL&token=$TOK&pin=$PIN" \
	"the second line is the link: server URL, that token, openssl's pin"
is "$(wc -l <"$OUTF")" 2 "nothing else on stdout"
like "$ERR" "QR code" "stderr says where the QR code went"
is "$(stat -c %a "$W/hung.png")" 600 "the QR file is mode 0600 (it holds the token)"
is "$(head -c 8 "$W/hung.png" | od -An -tx1 | tr -d ' \n')" 89504e470d0a1a0a \
	"the QR file is a PNG"
if command -v zbarimg >/dev/null 2>&1; then
	is "$(zbarimg --raw -q "$W/hung.png" 2>/dev/null)" "$LINK" \
		"zbarimg reads the printed link back from the PNG"
else
	skip 1 "zbarimg (zbar-tools) not installed"
fi

# ---- enroll by link, sync, and later syncs keep the pin ------------------
A=$(tmpdir)/a
fsd "$A" init --name "Nguyễn Văn Hùng" >/dev/null 2>&1
run fsd "$A" enroll "$LINK"
is "$RC" 0 "enroll LINK against the self-signed server: exit 0"
like "$OUT" "enrolled device .* with $SERVER_URL" "it names the server"
is "$(sq "$A/store.db" "SELECT value FROM meta WHERE key='server_pin'")" "$PIN" \
	"the pin is kept in the store's meta"
M=$(fsd "$A" model add --crop "Ngô nếp (sticky maize)" --province Saravane \
	--district "Lao Ngam" --planned-ha 5 --planned-households 42 2>/dev/null)
run fsd "$A" sync
is "$RC" 0 "sync over the pinned certificate: exit 0"
sdump | grep -q "^$M model "
ok $? "the server holds the model"
run fsd "$A" enroll "$LINK"
is "$RC" 0 "the same link again (same key): still enrolled, exit 0"

# An impostor on the same address with another certificate gets nothing.
stop_server
W3=$(tmpdir)
make_cert "$W3"
start_server "$SDB" --listen "127.0.0.1:$PORT" --tls-cert "$W3/cert.pem" \
	--tls-key "$W3/key.pem" || bail "impostor did not start"
M2=$(fsd "$A" model add --crop "Lúa nước" --province Sekong --planned-ha 2 \
	--planned-households 9 2>/dev/null)
run fsd "$A" sync
isnt "$RC" 0 "sync refuses a server whose certificate is not the pinned one"
like "$ERR" "pinned|pin" "the message names the pin"
unlike "$(cat "$SERVER_LOG")" "/v2/" "the impostor received no request"
like "$(fsd "$A" status)" "1 change" "the new entry is still waiting"
stop_server
start_server "$SDB" --listen "127.0.0.1:$PORT" --tls-cert "$W/cert.pem" \
	--tls-key "$W/key.pem" || bail "server did not restart"
run fsd "$A" sync
is "$RC" 0 "back on the real certificate, sync: exit 0"
sdump | grep -q "^$M2 model "
ok $? "the waiting entry reached the server"

# ---- TLS failures: exit 1 with what is wrong, nothing changed -------------
B=$(tmpdir)/b
fsd "$B" init --name "Trần Thị Mai" >/dev/null 2>&1
meta_b() { sq "$B/store.db" "SELECT key, value FROM meta ORDER BY key"; }
META0=$(meta_b)
mklink() { "$FIELDSYNCD_BIN" token create --db "$SDB" --name b --role expert \
	--url "$1" "${@:2}" 2>/dev/null | sed -n 2p; }

L=$(mklink "$SERVER_URL" --tls-cert "$W/cert.pem")
# the pin is the link's last 64 characters: change its last digit
if [ "${L: -1}" = 0 ]; then BAD="${L%?}1"; else BAD="${L%?}0"; fi
run fsd "$B" enroll "$BAD"
is "$RC" 1 "a link whose pin is one digit off: exit 1"
like "$ERR" "does not match the pin" "the message: certificate does not match the pin"
is "$(meta_b)" "$META0" "nothing changed in the store"
run fsd "$B" sync
is "$RC" 2 "the device is not enrolled"

W2=$(tmpdir)
make_cert "$W2"
run fsd "$B" enroll "$(mklink "$SERVER_URL" --tls-cert "$W2/cert.pem")"
is "$RC" 1 "a link pinning another real certificate: exit 1"
like "$ERR" "does not match the pin" "same message"

tok=$("$FIELDSYNCD_BIN" token create --db "$SDB" --name b --role expert 2>/dev/null)
run fsd "$B" enroll "$SERVER_URL" "$tok"
is "$RC" 1 "URL and TOKEN, self-signed certificate, no pin, no --cacert: exit 1"
like "$ERR" "not trusted" "the message: the certificate is not trusted"
like "$ERR" "link|--cacert" "and what to do about it"

run fsd "$B" enroll "$(mklink "http://127.0.0.1:$PORT")"
is "$RC" 1 "an http:// link to the HTTPS server: exit 1"
like "$ERR" "speaks HTTPS.*https://127.0.0.1:$PORT" "the message says to use https:// (same port)"

PLAIN=$(tmpdir)
PDB=$(new_db "$PLAIN/p.db") || bail "no database"
"$FIELDSYNCD_BIN" init --db "$PDB" >/dev/null 2>&1
SAVE="$SERVER_PID $SERVER_URL $SERVER_LOG $SERVER_PORT"
start_server "$PDB" || bail "plain server did not start"
PPORT=$SERVER_PORT
ptok=$("$FIELDSYNCD_BIN" token create --db "$PDB" --name b --role expert 2>/dev/null)
run fsd "$B" enroll "https://127.0.0.1:$PPORT" "$ptok"
is "$RC" 1 "https:// to a plain-HTTP server: exit 1"
like "$ERR" "speaks plain HTTP.*http://127.0.0.1:$PPORT" "the message says to use http://"
run fsd "$B" enroll "$(mklink "https://127.0.0.1:$PPORT" --tls-cert "$W/cert.pem")"
is "$RC" 1 "a pinned https link to a plain-HTTP server: exit 1"
like "$ERR" "speaks plain HTTP" "same message"
stop_server
read -r SERVER_PID SERVER_URL SERVER_LOG SERVER_PORT <<<"$SAVE"

DEAD=$(free_port)
run fsd "$B" enroll "$(mklink "https://127.0.0.1:$DEAD" --tls-cert "$W/cert.pem")"
is "$RC" 3 "nothing listening: still exit 3 (unreachable, try later)"
is "$(meta_b)" "$META0" "after every failure the store is unchanged"

# ---- malformed links: exit 2, nothing changed, nothing sent --------------
L=$(mklink "$SERVER_URL" --tls-cert "$W/cert.pem")
LOGN=$(grep -c . "$SERVER_LOG")
T63=${TOK%?}
bad_link() { # DESC PATTERN ARGS...
	local desc=$1 pat=$2
	shift 2
	run fsd "$B" enroll "$@"
	[ "$RC" -eq 2 ] && printf '%s' "$ERR" | grep -Eq -- "$pat"
	ok $? "$desc: exit 2, message /$pat/" || diag "rc=$RC err=$ERR"
}
bad_link "another scheme" "fieldsync://enroll" "http${L#fieldsync}"
bad_link "another action" "fieldsync://enroll\?" "${L/enroll?/join?}"
bad_link "an unknown parameter" 'unknown parameter "role"' "$L&role=hq"
bad_link "a parameter twice" "token twice" "$L&token=$TOK"
bad_link "a 63-digit token" "64 hex digits.*63" "fieldsync://enroll?url=$SERVER_URL&token=$T63"
bad_link "a token that is not hex" "not all lowercase hex" "fieldsync://enroll?url=$SERVER_URL&token=${T63}g"
bad_link "no token" "no token" "fieldsync://enroll?url=$SERVER_URL"
bad_link "a pin on an http:// URL" "not https" "fieldsync://enroll?url=http://127.0.0.1:$PORT&token=$TOK&pin=$PIN"
bad_link "an overlong link" "at most 1024" "$L&$(printf 'x%.0s' $(seq 1100))"
bad_link "a link and a TOKEN" "link alone" "$L" "$TOK"
bad_link "a pinned link and --cacert" "cacert" "$L" --cacert "$W/cert.pem"
bad_link "a URL without TOKEN" "enrollment link" "$SERVER_URL"
is "$(meta_b)" "$META0" "the store is unchanged"
is "$(grep -c . "$SERVER_LOG")" "$LOGN" "the server received no request"
run fsd "$B" enroll "$L"
is "$RC" 0 "B enrolls with a good link after all that"

# ---- token create refuses bad link options and leaves no token -----------
N0=$(ntokens)
run "$FIELDSYNCD_BIN" token create --db "$SDB" --name x --role expert --qr "$W/x.png"
is "$RC" 2 "--qr without --url: exit 2"
run "$FIELDSYNCD_BIN" token create --db "$SDB" --name x --role expert \
	--url "http://127.0.0.1:$PORT" --tls-cert "$W/cert.pem"
is "$RC" 2 "--tls-cert with an http:// URL: exit 2"
run "$FIELDSYNCD_BIN" token create --db "$SDB" --name x --role expert \
	--url "$SERVER_URL" --tls-cert "$W/key.pem"
like "$RC $ERR" "^2 .*not a PEM certificate" "--tls-cert given the key: exit 2, says why"
run "$FIELDSYNCD_BIN" token create --db "$SDB" --name x --role expert \
	--url "ftp://127.0.0.1"
like "$RC $ERR" "^2 .*http:// or https://" "--url ftp://: exit 2, says why"
run "$FIELDSYNCD_BIN" token create --db "$SDB" --name x --role expert \
	--url "$SERVER_URL" --qr "$W/no/such/dir/x.png"
is "$RC" 1 "--qr into a missing directory: exit 1"
is "$(ntokens)" "$N0" "no token was stored by any of these"
[ ! -e "$W/x.png" ] && [ -z "$(ls "$W"/*.tmp.* 2>/dev/null)" ]
ok $? "and no QR or temporary file was left"

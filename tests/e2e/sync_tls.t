#!/bin/bash
# sync_tls.t: HTTPS costs one round trip of handshake (issue 15). fieldsyncd
# (GnuTLS through libmicrohttpd) with a certificate made here speaks TLS 1.3
# and 1.2 and nothing older; fieldsync (OpenSSL through libcurl) negotiates
# TLS 1.3 with it and says so in `sync --json` ("tls"), over one kept-alive
# connection for the whole sync ("connections"), and a sync with a ticket is
# one request over it. TLS sessions are not resumed across fieldsync
# processes: Debian 12's libcurl (7.88) has no way to keep them outside a
# process (curl_easy_ssls_export came with 8.12), and a TLS 1.3 resumption
# without early data saves no round trip anyway (server/README.md).
. "$(dirname "$0")/lib.sh"
for c in jq openssl; do command -v $c >/dev/null || bail "$c is needed"; done
plan 8

W=$(tmpdir)
make_cert "$W" || bail "cannot make a certificate"
sync_server "$W" --tls-cert "$W/cert.pem" --tls-key "$W/key.pem" ||
	bail "server did not start"
like "$SERVER_URL" '^https://' "fieldsyncd serves HTTPS"
PORT=$SERVER_PORT
proto() { # openssl s_client options: the protocol negotiated, or "none"
	local p
	p=$(echo | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" "$@" 2>/dev/null |
		sed -n 's/^New, \(TLSv[0-9.]*\), Cipher is .*/\1/p')
	echo "${p:-none}"
}
is "$(proto)" TLSv1.3 "a client offering everything gets TLS 1.3"
is "$(proto -tls1_2)" TLSv1.2 "a TLS 1.2 client is still served"
is "$(proto -tls1_1)" none "TLS 1.1 is refused"

sync_device A "Nguyễn Thị Hoa" --cacert "$W/cert.pem" || bail "enroll A"
run fsd "$A" sync --json
like "$(jq -r .tls <<<"$OUT")" '^TLSv1\.3 ' "fieldsync negotiates TLS 1.3 ($(jq -r .tls <<<"$OUT"))"
is "$RC $(jq -r .connections <<<"$OUT")" "0 1" \
	"the first sync's $(jq -r .requests <<<"$OUT") requests share one connection"
sync_visits 10 "TLS" >"$W/a.jsonl"
fsd "$A" import "$W/a.jsonl" >/dev/null 2>&1
run fsd "$A" sync --json
is "$RC $(jq -c '[.requests, .connections, .pushed_changes]' <<<"$OUT")" "0 [1,1,10]" \
	"10 entries over HTTPS: one request on one connection"
sdump >"$W/s.dump"
fsd "$A" dump | cmp -s - "$W/s.dump"
ok $? "the device and the server hold the same records"

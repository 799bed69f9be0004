#!/bin/bash
# This file contains the self-test of tests/tools/faultproxy, the fault-
# injecting and link-shaping proxy the sync tests and the benchmark rely on:
# if the proxy silently stopped cutting, stalling, duplicating or shaping,
# those tests would pass without testing anything. Peers are small python3
# programs written below (an HTTP server that logs each request and echoes
# POST bodies, a raw TCP echo server, a byte source, a raw client) plus curl.
# Everything listens on 127.0.0.1 with ports chosen at run time; every
# process started here is killed by its pid at exit. Timing assertions are
# lower bounds only, each one implied by the configured rate or delay.
# Self-contained on purpose (no lib.sh): it tests the harness others use.
set -u

ROOT=${FIELDSYNC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
TOOLS=${FIELDSYNC_TOOLS:-$ROOT/build/tests/tools}
FP=$TOOLS/faultproxy

# ---- TAP ----
n=0
fails=0
plan() { echo "1..$1"; }
ok() { # STATUS DESC: STATUS is an exit status, 0 = pass
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi
}
is() { # GOT WANT DESC
	n=$((n + 1))
	if [ "$1" = "$2" ]; then echo "ok $n - $3"
	else echo "not ok $n - $3"; echo "#   got:  '$1'"; echo "#   want: '$2'"; fails=$((fails + 1)); fi
}
diag() { echo "# $*"; }

plan 31

if [ ! -x "$FP" ]; then
	echo "Bail out! $FP not built (make build/tests/tools/faultproxy)"
	exit 1
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/fp-selftest.XXXXXX")
PIDS=""
cleanup() {
	local p
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

wait_file() { # FILE: up to 5 s for it to exist and be non-empty
	local i
	for i in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.05; done
	return 1
}
wait_lines() { # FILE PATTERN COUNT: up to 5 s for COUNT matching lines
	local i
	for i in $(seq 100); do
		[ "$(grep -c -- "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0
		sleep 0.05
	done
	return 1
}
# gt A B: exit 0 if the decimal A > B
gt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 > b + 0) }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }
json() { # FILE KEY: a number from the stats line
	python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])[sys.argv[2]])' "$1" "$2"
}

cat >"$T/peer.py" <<'EOF'
import http.server, os, socket, sys, threading

lock = threading.Lock()

def write_port(path, port):
    with open(path + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(path + ".tmp", path)

def append(path, line):
    with lock, open(path, "a") as f:
        f.write(line + "\n")

def tcp_server(portfile, handle):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    write_port(portfile, s.getsockname()[1])
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(c,), daemon=True).start()

mode = sys.argv[1]
if mode == "http":  # PORTFILE LOG DIR: files from DIR, POST echoes, log requests
    portfile, log, root = sys.argv[2:5]
    class H(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=root, **k)
        def log_message(self, fmt, *args):
            append(log, self.requestline)
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    write_port(portfile, srv.server_address[1])
    srv.serve_forever()
elif mode == "echo":  # PORTFILE LOG: echo, log "recv N" per connection
    portfile, log = sys.argv[2:4]
    def handle(c):
        total = 0
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                total += len(d)
                c.sendall(d)
        except OSError:
            pass
        c.close()
        append(log, "recv %d" % total)
    tcp_server(portfile, handle)
elif mode == "source":  # PORTFILE SIZE: send SIZE bytes, close
    portfile, size = sys.argv[2], int(sys.argv[3])
    data = bytes(i % 251 for i in range(size))
    def handle(c):
        try:
            c.sendall(data)
        except OSError:
            pass
        c.close()
    tcp_server(portfile, handle)
elif mode == "client":  # PORT ROUNDS SIZE: send SIZE, read SIZE back, ROUNDS
    # times; ROUNDS 0: read until the end. Prints "BYTES_RECEIVED HOW".
    port, rounds, size = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    c = socket.create_connection(("127.0.0.1", port), timeout=10)
    got, how = 0, "ok"
    try:
        for r in range(rounds):
            c.sendall(b"x" * size)
            want = size
            while want > 0:
                d = c.recv(65536)
                if not d:
                    raise EOFError
                got += len(d)
                want -= len(d)
        while rounds == 0:
            d = c.recv(65536)
            if not d:
                raise EOFError
            got += len(d)
    except EOFError:
        how = "eof"
    except ConnectionResetError:
        how = "reset"
    except socket.timeout:
        how = "timeout"
    c.close()
    print(got, how)
EOF

# start_peer NAME MODE ARGS...: runs a peer, sets PORT once it listens
start_peer() {
	local name=$1; shift
	python3 "$T/peer.py" "$1" "$T/$name.port" "${@:2}" >"$T/$name.out" 2>&1 &
	PIDS="$PIDS $!"
	wait_file "$T/$name.port" || { echo "Bail out! peer $name did not start"; exit 1; }
	PORT=$(cat "$T/$name.port")
}
# start_proxy NAME ARGS...: runs faultproxy, sets PPORT and PPID_
start_proxy() {
	local name=$1; shift
	"$FP" --port-file "$T/$name.pport" --log "$T/$name.log" --stats "$T/$name.stats" \
		--max-seconds 60 "$@" >"$T/$name.stdout" 2>"$T/$name.stderr" &
	PPID_=$!
	PIDS="$PIDS $PPID_"
	wait_file "$T/$name.pport" || { echo "Bail out! proxy $name did not start: $(cat "$T/$name.stderr")"; exit 1; }
	PPORT=$(cat "$T/$name.pport")
}
BADEXIT="" # proxies that exited non-zero (a sanitizer report does that)
stop_proxy() { # PID: SIGTERM, wait, return its exit status
	local rc
	kill -TERM "$1"
	wait "$1"
	rc=$?
	[ "$rc" -eq 0 ] || BADEXIT="$BADEXIT $1:$rc"
	return "$rc"
}

# ---- arguments ----
"$FP" --help >"$T/help" 2>&1
ok $? "--help exits 0"
grep -q -- "--cut-after" "$T/help"
ok $? "--help lists the options"
"$FP" --to 10.1.2.3:80 >/dev/null 2>"$T/err"
rc=$?
is "$rc" 2 "a non-loopback --to is refused with exit status 2"
grep -q "10.1.2.3.*not a loopback" "$T/err"
ok $? "the refusal names the address and why ($(head -c 120 "$T/err"))"
"$FP" --to 127.0.0.1:1 --cut-prob 1.5 >/dev/null 2>"$T/err"
rc=$?
is "$rc:$(grep -c -- '--cut-prob' "$T/err")" "2:1" "a probability above 1 is refused, naming --cut-prob"

start_peer http http "$T/http.log" "$T"
HTTP=$PORT
start_peer echo echo "$T/echo.log"
ECHO=$PORT
start_peer src source 20000
SRC=$PORT

# ---- pass-through ----
head -c 8192 /dev/urandom >"$T/blob"
want=$(sha256sum <"$T/blob")
start_proxy plain --to "127.0.0.1:$HTTP" --seed 1
got=$(curl -sS --max-time 10 "http://127.0.0.1:$PPORT/blob" | sha256sum)
is "$got" "$want" "8 KB downloaded through the proxy is intact (sha256)"
got=$(curl -sS --max-time 10 -H 'Expect:' --data-binary @"$T/blob" "http://127.0.0.1:$PPORT/echo" | sha256sum)
is "$got" "$want" "8 KB uploaded and echoed back through the proxy is intact"
stop_proxy "$PPID_"
ok $? "SIGTERM makes the proxy exit 0"
is "$(json "$T/plain.stats" connections):$(json "$T/plain.stats" round_trips)" "2:2" \
	"stats: 2 connections, 1 round trip each"
grep -q "seed 1 " "$T/plain.log"
ok $? "the seed is logged at start"

# Exact counters on a raw connection: 3 exchanges of 1000 bytes each way.
start_proxy raw --to "127.0.0.1:$ECHO"
out=$(python3 "$T/peer.py" client "$PPORT" 3 1000)
is "$out" "3000 ok" "3 echo exchanges of 1000 bytes pass intact"
kill -USR1 "$PPID_"
wait_file "$T/raw.stats"
# SIGUSR1 writes the line while running; read it before stopping.
got="$(json "$T/raw.stats" bytes_up) $(json "$T/raw.stats" bytes_down) $(json "$T/raw.stats" round_trips) $(json "$T/raw.stats" connections)"
is "$got" "3000 3000 3 1" "SIGUSR1 stats: bytes_up 3000, bytes_down 3000, round_trips 3, connections 1"
# SIGUSR2 zeroes every counter, the connection count too (a bench reads
# the connections of one sync from it); a new connection counts from 1.
rm -f "$T/raw.stats"
kill -USR2 "$PPID_"
sleep 0.2
out=$(python3 "$T/peer.py" client "$PPORT" 1 100)
kill -USR1 "$PPID_"
wait_file "$T/raw.stats"
got="$(json "$T/raw.stats" bytes_up) $(json "$T/raw.stats" round_trips) $(json "$T/raw.stats" connections)"
is "$out:$got" "100 ok:100 1 1" "after SIGUSR2 the stats count only what came after: 100 bytes, 1 round trip, 1 connection"
stop_proxy "$PPID_"

# ---- cuts ----
start_proxy cut1 --to "127.0.0.1:$SRC" --cut-after 1234
out=$(python3 "$T/peer.py" client "$PPORT" 0 0)
is "${out% *}" 1234 "--cut-after 1234: the client receives exactly 1234 of 20000 bytes ($out)"
wait_lines "$T/cut1.log" "fault=cut@1234 end=cut up=0 down=1234" 1
ok $? "the log line shows the fault and the bytes each way"
stop_proxy "$PPID_"

# Counted over both directions: what the echo server received plus what the
# client received back is the cut offset.
: >"$T/echo.log"
start_proxy cut2 --to "127.0.0.1:$ECHO" --cut-after 1500
out=$(python3 "$T/peer.py" client "$PPORT" 1 1000)
wait_lines "$T/echo.log" "^recv " 1
srv=$(sed -n 's/^recv //p' "$T/echo.log" | head -1)
is "$(( ${out% *} + ${srv:-0} ))" 1500 "--cut-after 1500 over both directions: server got $srv, client got ${out% *}"
is "${out#* }" reset "the client sees a reset, not a clean end"
stop_proxy "$PPID_"

: >"$T/http.log"
start_proxy cut0 --to "127.0.0.1:$HTTP" --skip-first 1 --cut-after 0
curl -sS --max-time 5 -o /dev/null "http://127.0.0.1:$PPORT/blob" 2>/dev/null
ok $? "--skip-first 1: the first connection passes"
curl -sS --max-time 5 -o /dev/null "http://127.0.0.1:$PPORT/blob" 2>/dev/null
rc=$?
ok $((rc == 0)) "the second connection is cut (curl exit $rc)"
stop_proxy "$PPID_"
is "$(grep -c 'GET /blob' "$T/http.log")" 1 "a cut at byte 0 never reaches the server"

# ---- stall ----
start_proxy stall --to "127.0.0.1:$HTTP" --stall-prob 1 --stall-max 40
curl -sS --max-time 3 -o /dev/null "http://127.0.0.1:$PPORT/blob" 2>/dev/null
rc=$?
is "$rc" 28 "a stall inside the request makes curl --max-time 3 time out (exit 28)"
stop_proxy "$PPID_"
is "$(json "$T/stall.stats" stalls)" 1 "stats count the stall"

# ---- dup ----
: >"$T/http.log"
start_proxy dup --to "127.0.0.1:$HTTP" --dup-prob 1
got=$(curl -sS --max-time 10 -H 'Expect:' --data-binary @"$T/blob" "http://127.0.0.1:$PPORT/dup-test" | sha256sum)
is "$got" "$want" "with --dup-prob 1 the client still gets its normal reply"
wait_lines "$T/http.log" "POST /dup-test" 2
wait_lines "$T/dup.log" "dup-replay end=closed" 1
stop_proxy "$PPID_"
is "$(grep -c 'POST /dup-test' "$T/http.log")" 2 "the server saw the request twice"
is "$(json "$T/dup.stats" dups)" 1 "stats count one replay"

# ---- replay by seed ----
faults() { # LOG: the fault of each connection, in connection order
	sed -n 's/.*conn \([0-9]*\) fault=\([^ ]*\) .*/\1 \2/p' "$1" | sort -n | tr '\n' ' '
}
for run in a b; do
	start_proxy "seed$run" --to "127.0.0.1:$HTTP" --seed 4242 --cut-prob 0.4 --cut-max 300 \
		--stall-prob 0.1 --stall-max 40 --dup-prob 0.3
	for i in 1 2 3 4 5 6 7 8; do
		curl -sS --max-time 1 -o /dev/null "http://127.0.0.1:$PPORT/blob" 2>/dev/null
	done
	stop_proxy "$PPID_"
done
fa=$(faults "$T/seeda.log")
is "$fa" "$(faults "$T/seedb.log")" "the same seed makes the same fault decisions ($fa)"

# ---- shaping ----
head -c 51200 /dev/urandom >"$T/b50"
want50=$(sha256sum <"$T/b50")
start_proxy fast --to "127.0.0.1:$HTTP"
t_fast=$(curl -sS --max-time 20 -H 'Expect:' --data-binary @"$T/b50" -o /dev/null -w '%{time_total}' "http://127.0.0.1:$PPORT/up")
stop_proxy "$PPID_"
start_proxy slow --to "127.0.0.1:$HTTP" --up-bps 100000
t_slow=$(curl -sS --max-time 20 -H 'Expect:' --data-binary @"$T/b50" -o "$T/b50.back" -w '%{time_total}' "http://127.0.0.1:$PPORT/up")
stop_proxy "$PPID_"
diag "50 KB up: unshaped ${t_fast}s, at 100 kbit/s ${t_slow}s (bytes alone need 4.1 s)"
gt "$t_slow" 2 && [ "$(sha256sum <"$T/b50.back")" = "$want50" ]
ok $? "50 KB up at 100 kbit/s takes over 2 s (${t_slow}s) and arrives intact"

start_proxy down --to "127.0.0.1:$HTTP" --down-bps 200000
t_down=$(curl -sS --max-time 20 -o "$T/b50.down" -w '%{time_total}' "http://127.0.0.1:$PPORT/b50")
stop_proxy "$PPID_"
diag "50 KB down at 200 kbit/s: ${t_down}s (bytes alone need 2.05 s)"
gt "$t_down" 1.5 && [ "$(sha256sum <"$T/b50.down")" = "$want50" ]
ok $? "50 KB down at 200 kbit/s takes over 1.5 s (${t_down}s) and arrives intact"

start_proxy delay --to "127.0.0.1:$HTTP" --delay-ms 300
t_delay=$(curl -sS --max-time 10 -o /dev/null -w '%{time_total}' "http://127.0.0.1:$PPORT/blob")
stop_proxy "$PPID_"
diag "small GET with --delay-ms 300: ${t_delay}s"
ge "$t_delay" 1.2
ok $? "--delay-ms 300 costs a fresh connection at least 2 round trips of 600 ms: the TCP handshake's, then the request's (${t_delay}s)"

# ---- bounded ----
"$FP" --to "127.0.0.1:$HTTP" --max-seconds 1 >"$T/bounded.out" 2>/dev/null
rc=$?
is "$rc:$(head -1 "$T/bounded.out" | grep -c '^[0-9][0-9]*$'):$(tail -1 "$T/bounded.out" | grep -c '"connections":0')" \
	"0:1:1" "--max-seconds 1 exits 0 by itself; stdout has the port, then the stats line"

is "$BADEXIT" "" "every proxy exited 0 on SIGTERM (clean under sanitizers)"
for f in "$T"/*.stderr; do
	grep -q "Sanitizer\|runtime error" "$f" && { diag "$f:"; sed 's/^/# /' "$f" | head -40; }
done

exit $((fails > 0))

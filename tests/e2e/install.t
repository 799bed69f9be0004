# install.t: `make install` into a temporary DESTDIR puts both binaries,
# the man pages, the menu entry and every message catalog the build made
# (a stand-in catalog tree here, since the rule must work with or without
# them) where they belong; the installed commands run the README's tour
# against each other; `man -l` renders both pages without a warning and they
# name every command, option, exit status and environment variable the
# programs have (taken from --help and the sources, not from the pages);
# the desktop entry validates; `make uninstall` leaves nothing behind, not
# even an empty directory, but keeps what was there before.
. "$(dirname "$0")/lib.sh"
plan 40

unset MAKEFLAGS MFLAGS MAKELEVEL
ROOT=$FIELDSYNC_ROOT
# -o all: install what is built and never rebuild here (under make check a
# rebuild would drop the sanitizer flags, and other tests run meanwhile).
mk() { make -s --no-print-directory -C "$ROOT" BUILD="${BUILD:-build}" -o all "$@"; }

D=$(tmpdir)
L=$(tmpdir)
for ll in vi lo; do
	mkdir -p "$L/$ll/LC_MESSAGES"
	printf 'catalog %s\n' "$ll" >"$L/$ll/LC_MESSAGES/fieldsync.mo"
done
P=/usr/local
run mk install DESTDIR="$D" PREFIX="$P" LOCALE_BUILD="$L"
is "$RC" 0 "make install DESTDIR=... exits 0" || diag "$ERR"
for f in bin/fieldsync:755 bin/fieldsyncd:755 share/man/man1/fieldsync.1:644 \
	share/man/man8/fieldsyncd.8:644 share/applications/fieldsync.desktop:644 \
	share/locale/vi/LC_MESSAGES/fieldsync.mo:644 \
	share/locale/lo/LC_MESSAGES/fieldsync.mo:644; do
	is "$(stat -c %a "$D$P/${f%:*}" 2>&1)" "${f##*:}" "installed $P/${f%:*} (mode ${f##*:})"
done
cmp -s "$L/lo/LC_MESSAGES/fieldsync.mo" "$D$P/share/locale/lo/LC_MESSAGES/fieldsync.mo"
ok $? "the catalog is the build's, byte for byte"
cmp -s "$ROOT/${BUILD:-build}/fieldsync" "$D$P/bin/fieldsync"
ok $? "the binary is the build's"

# ---- the README's tour with the installed commands ----------------------
BIN=$D$P/bin
W=$(tmpdir)
make_cert "$W" || bail "openssl could not make a certificate"
"$BIN/fieldsyncd" init --db "$W/hq.db" >/dev/null 2>&1
FIELDSYNCD_BIN=$BIN/fieldsyncd start_server "$W/hq.db" \
	--tls-cert "$W/cert.pem" --tls-key "$W/key.pem" || bail "installed fieldsyncd did not start"
link=$("$BIN/fieldsyncd" token create --db "$W/hq.db" \
	--name "Nguyễn Văn Hùng, agronomist" --role expert --expires 7d \
	--url "$SERVER_URL" --tls-cert "$W/cert.pem" 2>/dev/null | sed -n 2p)
F="$BIN/fieldsync --dir $W/dev"
$F init --name "Nguyễn Văn Hùng" >/dev/null 2>&1 &&
	$F enroll "$link" >/dev/null 2>&1
ok $? "installed fieldsync: init, enroll LINK"
M=$($F model add --crop "Ngô nếp (sticky maize)" --province Saravane \
	--district "Lao Ngam" --planned-ha 5 --planned-households 42 2>/dev/null)
$F model progress "$M" --sown-ha 3.8 --households 42 >/dev/null 2>&1 &&
	$F sync >/dev/null 2>&1
ok $? "model add, model progress, sync"
like "$($F status)" "holds 1-1 of 1" "status: the server holds the set"
like "$("$BIN/fieldsyncd" report --db "$W/hq.db" 2>&1)" "Lao Ngam" \
	"installed fieldsyncd report shows the model"
stop_server

# ---- the man pages -------------------------------------------------------
M1=$D$P/share/man/man1/fieldsync.1
M8=$D$P/share/man/man8/fieldsyncd.8
for m in "$M1" "$M8"; do
	out=$(MANWIDTH=80 man --warnings -l "$m" 2>"$W/man.err")
	like "$out" "^$(basename "${m%.*}" | tr a-z A-Z)\\(" "man -l renders $(basename "$m")"
	is "$(cat "$W/man.err")" "" "man --warnings: no warning for $(basename "$m")"
	is "$(groff -man -ww -z "$m" 2>&1)" "" "groff -man -ww: no warning for $(basename "$m")"
done

# Plain text of a page's source: \- is -, fonts dropped.
src() { sed 's/\\-/-/g; s/\\f[BIRP]//g; s/\\%//g' "$1"; }
# Every --option that a --help text names, one a line.
opts() { grep -oE -- '--[a-z][a-z0-9-]*' | sort -u; }
missing=
S1=$(src "$M1")
cmds=$("$BIN/fieldsync" --help | sed -n '/^Commands:/,/^$/p' | grep '^  [a-z]' |
	awk '{ c = $1; if ($2 == "add" || $2 == "progress") c = c " " $2; print c }')
[ -n "$cmds" ] || missing="$missing (no commands read from fieldsync --help)"
while IFS= read -r c; do
	case "$c" in
	*" add") printf '%s\n' "$S1" | grep -q '^\.SS "KIND add' &&
		printf '%s\n' "$S1" | grep -qw "${c% add}" || missing="$missing [$c]" ;;
	*) printf '%s\n' "$S1" | grep -qE "^\\.SS \"?$c( |\"|$)" || missing="$missing [$c]" ;;
	esac
	for o in $( { "$BIN/fieldsync" $c --help; "$BIN/fieldsync" --help; } 2>/dev/null | opts); do
		printf '%s\n' "$S1" | grep -qE -- "$o([^a-z0-9-]|$)" || missing="$missing $c:$o"
	done
done <<<"$cmds"
is "$missing" "" "fieldsync.1 names every command of fieldsync --help and every option of each"

missing=
S8=$(src "$M8")
cmds=$("$BIN/fieldsyncd" --help | grep '^  [a-z]' | awk '{ print $1 }' | sort -u)
[ -n "$cmds" ] || missing="$missing (no commands read from fieldsyncd --help)"
for c in $cmds; do
	printf '%s\n' "$S8" | grep -qE "^\\.SS \"?$c( |\"|$)" || missing="$missing [$c]"
	for o in $("$BIN/fieldsyncd" $c --help 2>/dev/null | opts); do
		printf '%s\n' "$S8" | grep -qE -- "$o([^a-z0-9-]|$)" || missing="$missing $c:$o"
	done
done
is "$missing" "" "fieldsyncd.8 names every command of fieldsyncd --help and every option of each"

envs() { grep -rhoE 'getenv\("[A-Za-z_]+"\)' "$@" | sed 's/getenv("//; s/")//' | sort -u; }
missing=
for v in $(envs "$ROOT/client"); do
	printf '%s\n' "$S1" | grep -q "^\\.B.* $v\\|^\\.B $v" || missing="$missing $v"
done
is "$missing" "" "fieldsync.1 documents every variable the client reads (getenv)"
missing=
for v in $(envs "$ROOT/server"); do
	printf '%s\n' "$S8" | grep -q "^\\.B.* $v\\|^\\.B $v" || missing="$missing $v"
done
is "$missing" "" "fieldsyncd.8 documents every variable the server reads"

# Exit statuses: those each program's --help names.
codes() { grep -i -A3 'exit status' | grep -oE '(^|[ ,])[0-9]( |$)' | tr -d ' ,' | sort -u; }
missing=
for c in $("$BIN/fieldsync" --help | codes); do
	printf '%s\n' "$S1" | sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' | grep -q "^\\.B $c\$" ||
		missing="$missing $c"
done
is "$missing" "" "fieldsync.1 explains each exit status of fieldsync --help"
missing=
for c in $("$BIN/fieldsyncd" --help | codes); do
	printf '%s\n' "$S8" | sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' | grep -q "^\\.B $c\$" ||
		missing="$missing $c"
done
is "$missing" "" "fieldsyncd.8 explains each exit status of fieldsyncd --help"

# ---- the menu entry ------------------------------------------------------
DF=$D$P/share/applications/fieldsync.desktop
if command -v desktop-file-validate >/dev/null 2>&1; then
	is "$(desktop-file-validate "$DF" 2>&1)" "" "desktop-file-validate: no complaint"
else
	skip 1 "desktop-file-validate (desktop-file-utils) not installed"
fi
is "$(grep -E '^(Exec|Terminal)=' "$DF" | tr '\n' ' ')" "Exec=fieldsync ui Terminal=false " \
	"it starts fieldsync ui without a terminal"
for k in 'Name' 'Name\[vi\]' 'Name\[lo\]' 'Comment' 'Comment\[vi\]' 'Comment\[lo\]'; do
	grep -qE "^$k=.+" "$DF"
	ok $? "it has ${k//\\/}"
done

# ---- uninstall ----------------------------------------------------------
run mk uninstall DESTDIR="$D" PREFIX="$P"
is "$RC" 0 "make uninstall exits 0"
is "$(cd "$D" && find . -mindepth 1 | sort | tr '\n' ' ')" "" \
	"nothing is left in DESTDIR: no file, no empty directory"

# Twice, without catalogs: the same, and no share/locale at all.
mk install DESTDIR="$D" PREFIX="$P" LOCALE_BUILD="$W/none" >/dev/null 2>&1 &&
	mk install DESTDIR="$D" PREFIX="$P" LOCALE_BUILD="$W/none" >/dev/null 2>&1
ok $? "installing twice, with no catalog built, works"
[ ! -e "$D$P/share/locale" ]
ok $? "without catalogs nothing goes to share/locale"
mk uninstall DESTDIR="$D" PREFIX="$P" >/dev/null 2>&1
is "$(cd "$D" && find . -mindepth 1 | tr '\n' ' ')" "" "and uninstall still leaves nothing"

# What was there before stays: another page in man1, an empty bin/.
mkdir -p "$D$P/share/man/man1" "$D$P/bin"
echo other >"$D$P/share/man/man1/other.1"
mk install DESTDIR="$D" PREFIX="$P" LOCALE_BUILD="$L" >/dev/null 2>&1 &&
	mk uninstall DESTDIR="$D" PREFIX="$P" >/dev/null 2>&1
is "$(cd "$D" && find . -mindepth 1 | sort | tr '\n' ' ')" \
	"./usr ./usr/local ./usr/local/bin ./usr/local/share ./usr/local/share/man ./usr/local/share/man/man1 ./usr/local/share/man/man1/other.1 " \
	"uninstall keeps what it did not install (another page, a directory that existed)"

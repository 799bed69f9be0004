#!/bin/bash
# End-to-end test of the CLI's languages and of input as people type it.
# Languages: the same bad `model add --province Nowhere` and `--help` with
# LANG=vi_VN.UTF-8, lo_LA.UTF-8 and en_US.UTF-8 (none of these locales needs
# to exist on the machine: `locale -a` may list only C.utf8), LANGUAGE before
# LANG, and Vietnamese for C, POSIX, an unset LANG and an unsupported
# language. The expected texts are not copied from the program: they are
# looked up in the build's catalogs with GNU gettext's own `gettext` tool.
# Input: decimal comma, DD/MM/YYYY and 2026-6-20 dates, reference names
# without diacritics or with the words around them, "did you mean", NFC and
# trimmed text, each with the refusals that still refuse (3,8,1, 32/13/2026).
. "$(dirname "$0")/lib.sh"
B=${FIELDSYNC_BIN:-$(dirname "$0")/../../build/fieldsync}
ROOT=${FIELDSYNC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
LOCALEDIR=${FIELDSYNC_LOCALEDIR:-$(dirname "$B")/locale}
command -v jq >/dev/null || bail "jq is needed"
command -v gettext >/dev/null || bail "gettext is needed (Debian gettext-base)"
[ -f "$LOCALEDIR/vi/LC_MESSAGES/fieldsync.mo" ] || bail "no catalogs in $LOCALEDIR"
plan 42

T=$(tmpdir)
D="$T/data"
# The CLI as a person runs it: no LANGUAGE, the locale from the arguments.
cli() { local lang=$1; shift; env -u LANGUAGE -u LC_ALL -u LC_MESSAGES LANG="$lang" "$B" --dir "$D" "$@"; }
# msgid in language ll, from the catalogs (gettext(1), not the program).
tr_() { LC_ALL=C.UTF-8 LANGUAGE=$1 TEXTDOMAINDIR=$LOCALEDIR gettext -d fieldsync -- "$2"; }

cli en_US.UTF-8 init --name "Phạm Thị Hoa" >/dev/null 2>&1 || bail "init failed"
diag "locales on this machine: $(locale -a 2>/dev/null | tr '\n' ' ')"

# ---- the same error in three languages ----------------------------------------
expect_error() { # LL: the message of `model add --province Nowhere` in LL
	local ll=$1 names="" sep="" p
	for p in Attapeu Champasak Salavan Sekong; do
		if [ "$ll" = en ]; then names="$names$sep$p"; else names="$names$sep$(tr_ "$ll" "$p")"; fi
		sep=", "
	done
	# shellcheck disable=SC2059
	printf "fieldsync: --province: $(tr_ "$ll" 'unknown %s "%.60s"; allowed: %s')" \
		"$(tr_ "$ll" province)" Nowhere "$names"
}
for pair in vi_VN.UTF-8:vi lo_LA.UTF-8:lo en_US.UTF-8:en; do
	lang=${pair%%:*} ll=${pair##*:}
	run cli "$lang" model add --province Nowhere --crop "Ngô nếp" --planned-ha 5 \
		--planned-households 42
	is "$RC" 2 "LANG=$lang: a wrong province exits 2"
	is "$ERR" "$(expect_error "$ll")" "LANG=$lang: the error in $ll"
done
# The expected texts really differ (the catalogs are not English).
isnt "$(expect_error vi)" "$(expect_error en)" "the Vietnamese message is not the English one"
like "$(expect_error vi)" 'không có tỉnh "Nowhere"' "Vietnamese with its diacritics"
like "$(expect_error lo)" 'ບໍ່ມີແຂວງ "Nowhere"; ອະນຸຍາດ: ອັດຕະປື' "Lao, with the provinces' Lao names"

# No language the catalogs have: Vietnamese, the default for a store.
for lang in C POSIX fr_FR.UTF-8 ""; do
	run cli "$lang" model add --province Nowhere --crop x --planned-ha 5 --planned-households 4
	is "$ERR" "$(expect_error vi)" "LANG='$lang': Vietnamese"
done
run env -u LANG -u LANGUAGE -u LC_ALL -u LC_MESSAGES "$B" --dir "$D" model add --province Nowhere \
	--crop x --planned-ha 5 --planned-households 4
is "$ERR" "$(expect_error vi)" "no locale variable at all: Vietnamese"
# LANGUAGE comes first, LC_ALL before LANG.
run env LANGUAGE=lo LANG=vi_VN.UTF-8 "$B" --dir "$D" model add --province Nowhere --crop x \
	--planned-ha 5 --planned-households 4
is "$ERR" "$(expect_error lo)" "LANGUAGE=lo beats LANG=vi_VN.UTF-8"
run env -u LANGUAGE LC_ALL=en_US.UTF-8 LANG=vi_VN.UTF-8 "$B" --dir "$D" model add --province Nowhere \
	--crop x --planned-ha 5 --planned-households 4
is "$ERR" "$(expect_error en)" "LC_ALL=en_US.UTF-8 beats LANG"

# ---- --help in three languages ---------------------------------------------------
for pair in vi_VN.UTF-8:vi lo_LA.UTF-8:lo en_US.UTF-8:en; do
	lang=${pair%%:*} ll=${pair##*:}
	run cli "$lang" --help
	is "$RC:$(printf '%s\n' "$OUT" | head -1)" "0:$(tr_ "$ll" 'usage: fieldsync [--dir DIR] COMMAND [ARGS...]')" \
		"LANG=$lang: --help in $ll"
	[ "$ll" = en ] || isnt "$(tr_ "$ll" 'usage: fieldsync [--dir DIR] COMMAND [ARGS...]')" \
		'usage: fieldsync [--dir DIR] COMMAND [ARGS...]' "the $ll catalog translates the usage line"
	run cli "$lang" model add --help
	like "$OUT" "--planned-ha .*\* $(tr_ "$ll" 'planned area, hectares, up to 2 decimals')" \
		"LANG=$lang: model add --help explains --planned-ha in $ll (from the kind table)"
done
run cli vi_VN.UTF-8 visit add --help
like "$OUT" "agriculture \(nông nghiệp\)" "Vietnamese help lists each sector with its Vietnamese name"
# What scripts read does not change: ids and --json are the same.
M=$(cli vi_VN.UTF-8 model add --crop "Ngô nếp" --province Salavan --planned-ha 5 \
	--planned-households 42) || bail "model add failed"
like "$M" '^[0-9a-f]{32}$' "the new id alone on stdout, in Vietnamese too"
is "$(cli vi_VN.UTF-8 show "$M" --json | jq -c .fields)" "$(cli en_US.UTF-8 show "$M" --json | jq -c .fields)" \
	"show --json is the same in Vietnamese and English"

# ---- input as people type it ---------------------------------------------------------
field() { cli en_US.UTF-8 show "$1" --json | jq -r ".fields.$2"; }
P=$(cli vi_VN.UTF-8 model progress "$M" --sown-ha 3,8 --households 42 --date 20/06/2026) ||
	bail "progress with 3,8 and 20/06/2026 refused"
is "$(field "$P" sown_ha)" 3.8 "--sown-ha 3,8 is stored as 3.8"
is "$(field "$P" date)" 2026-06-20 "--date 20/06/2026 is stored as 2026-06-20"
P2=$(cli vi_VN.UTF-8 model progress "$M" --sown-ha 4 --households 42 --date 2026-6-21) ||
	bail "progress with 2026-6-21 refused"
is "$(field "$P2" date)" 2026-06-21 "--date 2026-6-21 is stored as 2026-06-21"
before=$(cli en_US.UTF-8 dump | sha256sum)
run cli en_US.UTF-8 model progress "$M" --sown-ha 3,8,1 --households 42
is "$RC" 2 "--sown-ha 3,8,1 is still refused (exit 2)"
like "$ERR" '--sown-ha: "3,8,1" is not a number: use one decimal separator' "and says why"
run cli en_US.UTF-8 model progress "$M" --sown-ha 1 --households 42 --date 32/13/2026
is "$RC" 2 "--date 32/13/2026 is still refused (exit 2)"
like "$ERR" '--date: "32/13/2026" is not a valid date; expected YYYY-MM-DD or DD/MM/YYYY' "and says which forms"
is "$(cli en_US.UTF-8 dump | sha256sum)" "$before" "the refusals changed nothing"

V=$(cli vi_VN.UTF-8 visit add --direction "đoàn vào" --province "ແຂວງສາລະວັນ" --leader "  ທ່ານ ບຸນມີ " \
	--members 4 --sector "nong nghiep" --start 10/04/2026) || bail "visit add with typed names refused"
is "$(cli en_US.UTF-8 show "$V" --json | jq -c '[.fields.direction, .fields.province, .fields.sector, .fields.leader]')" \
	'["in","Salavan","agriculture","ທ່ານ ບຸນມີ"]' \
	"đoàn vào, ແຂວງສາລະວັນ, nong nghiep: canonical names; the leader trimmed"
nfd=$(printf 'Ngo\xcc\x82 ne\xcc\x82\xcc\x81p')
V2=$(cli vi_VN.UTF-8 trip add --expert "$nfd" --specialty "thu y" --province "tỉnh Sekong" \
	--sector "$(printf 'no\xcc\x82ng nghie\xcc\xa3\xcc\x82p')" --start 2026-4-11) || bail "trip add refused"
is "$(cli en_US.UTF-8 show "$V2" --json | jq -c '[.fields.expert, .fields.specialty, .fields.province, .fields.sector, .fields.start]')" \
	'["Ngô nếp","veterinary","Sekong","agriculture","2026-04-11"]' \
	"decomposed text stored NFC; thu y, tỉnh Sekong, decomposed nông nghiệp understood"
run cli en_US.UTF-8 list models --province "tinh salavan" --json
is "$(printf '%s' "$OUT" | jq -r '.[].id')" "$M" "list --province 'tinh salavan' finds the Salavan model"
run cli en_US.UTF-8 model add --crop x --province Salavn --planned-ha 1 --planned-households 1
like "$RC $ERR" '^2 .*--province: unknown province "Salavn"; did you mean Salavan\?' "Salavn: did you mean Salavan?"
run cli vi_VN.UTF-8 visit add --direction out --province Attapeu --leader L --members 2 \
	--sector "nong ngiep" --start 2026-04-10
# shellcheck disable=SC2059
is "$ERR" "fieldsync: --sector: $(printf "$(tr_ vi 'unknown %s "%.60s"; did you mean %s?')" \
	"$(tr_ vi sector)" "nong ngiep" "$(tr_ vi agriculture)")" \
	"nong ngiep in Vietnamese: did you mean nông nghiệp?"
run cli en_US.UTF-8 model add --crop x --province Vientiane --planned-ha 1 --planned-households 1
like "$ERR" 'unknown province "Vientiane"; allowed: Attapeu, Champasak, Salavan, Sekong' \
	"a name far from all: the allowed names, no guess"
unlike "$ERR" "did you mean" "no wrong guess for Vientiane"

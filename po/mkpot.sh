#!/bin/sh
# This file contains the extraction of every translatable string of
# fieldsync into one template (po/fieldsync.pot), with GNU xgettext only:
#   C (.c)           _("..."), N_("..."), dngettext(d, s, p, n), and the
#                    message functions whose format is a msgid: fs_fail(3),
#                    fs_fail_field(4), fs_sqlfail(3), sysfail(3), field_fail(3) in
#                    libfieldsync, proto_fail(3), proto_fail_field(4) in the
#                    protocol module, usage_error(2) in the CLI,
#                    srv_rtr(2), srv_rntr(2, 3) in the server's report
#                    documents (server/report_*.c);
#   JavaScript (.js) _("..."), N_("..."), ngettext("...", "...", n);
#   HTML (.html)     the text of elements marked data-i18n
#                    (<span data-i18n>Overview</span>) and the values of
#                    data-i18n-ATTR="..." attributes (data-i18n-title=...),
#                    turned into a JavaScript file of _() calls first, line
#                    for line, so that xgettext does the escaping.
# References carry the file only (no line numbers), so that moving code does
# not change the template; entries are sorted by msgid.
#
# usage: sh po/mkpot.sh OUT.pot WORKDIR SOURCE...
set -eu
out=$1; work=$2; shift 2
mkdir -p "$work"
common="--force-po --from-code=UTF-8 --add-comments=TRANSLATORS: --add-location=file
	--sort-output --package-name=fieldsync --msgid-bugs-address=HQ
	--copyright-holder=fieldsync --no-wrap"
cfiles=""; jsfiles=""; parts=""
for f in "$@"; do
	case "$f" in
	*.c) cfiles="$cfiles $f" ;;
	*.js) jsfiles="$jsfiles $f" ;;
	*.html)
		js="$work/$(echo "$f" | tr / _).js"
		awk -v src="$f" '
		function decode(s) {
			gsub(/&lt;/, "<", s); gsub(/&gt;/, ">", s)
			gsub(/&quot;/, "\"", s); gsub(/&#39;/, "'\''", s)
			gsub(/&nbsp;/, " ", s); gsub(/&amp;/, "\\&", s)
			gsub(/[ \t]+/, " ", s); sub(/^ /, "", s); sub(/ $/, "", s)
			return s
		}
		function emit(s) {
			s = decode(s)
			if (s == "") return
			gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s)
			line = line "_(\"" s "\"); "
		}
		{
			line = ""; rest = $0
			while (match(rest, /data-i18n>[^<]*</)) {
				emit(substr(rest, RSTART + 10, RLENGTH - 11))
				rest = substr(rest, RSTART + RLENGTH)
			}
			rest = $0
			while (match(rest, /data-i18n-[a-z-]+="[^"]*"/)) {
				s = substr(rest, RSTART, RLENGTH)
				sub(/^data-i18n-[a-z-]+="/, "", s); sub(/"$/, "", s)
				emit(s)
				rest = substr(rest, RSTART + RLENGTH)
			}
			if ($0 ~ /data-i18n>[^<]*$/) {
				print src ":" NR ": data-i18n text must end on its line" > "/dev/stderr"
				exit 1
			}
			print line
		}' "$f" > "$js"
		jsfiles="$jsfiles $js"
		parts="$parts $js=$f"
		;;
	*) echo "mkpot: no extractor for $f" >&2; exit 1 ;;
	esac
done
# shellcheck disable=SC2086
xgettext $common --language=C -o "$work/c.pot" \
	--keyword=_ --keyword=N_ --keyword=dngettext:2,3 \
	--keyword=fs_fail:3 --keyword=fs_fail_field:4 --keyword=fs_sqlfail:3 \
	--keyword=field_fail:3 --flag=field_fail:3:c-format \
	--keyword=sysfail:3 --keyword=proto_fail:3 --keyword=proto_fail_field:4 \
	--keyword=usage_error:2 --keyword=fs_tr:2 --flag=fs_tr:2:c-format \
	--keyword=srv_rtr:2 --keyword=srv_rntr:2,3 \
	--flag=srv_rtr:2:c-format --flag=srv_rntr:2:c-format --flag=srv_rntr:3:c-format \
	--flag=fs_fail:3:c-format --flag=fs_fail_field:4:c-format \
	--flag=proto_fail:3:c-format --flag=proto_fail_field:4:c-format \
	--flag=usage_error:2:c-format $cfiles
pots="$work/c.pot"
if [ -n "$jsfiles" ]; then
	# shellcheck disable=SC2086
	# Joined into the C template (-j), so a message both use keeps both
	# references: the web dictionaries take what app.js references.
	xgettext $common --language=JavaScript -j -o "$work/c.pot" \
		--keyword=_ --keyword=N_ --keyword=ngettext:1,2 $jsfiles
	# The HTML's references name the HTML file, not the generated one.
	for p in $parts; do
		sed -i "s|$(echo "${p%%=*}" | sed 's/[.[\*^$|]/\\&/g')|${p#*=}|g" "$work/c.pot"
	done
fi
# shellcheck disable=SC2086
msgcat --use-first --sort-output --add-location=file --no-wrap -o "$work/all.pot" $pots
# One header, stable: no creation date (make compares the template).
sed -e '/^"POT-Creation-Date:/d' "$work/all.pot" > "$out"

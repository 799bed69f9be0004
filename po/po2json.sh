#!/bin/sh
# This file contains the converter from gettext catalogs to what web pages
# use: JSON dictionaries {msgid: msgstr}, so that every front end reads the
# same po/*.po at build time and nothing is translated at run time on the
# server. POSIX sh and awk only.
#
# usage: sh po/po2json.sh [-r PREFIX]... FILE.po            > dict.json
#        sh po/po2json.sh [-r PREFIX]... -v VAR LL=FILE.po... > dict.js
#   -r PREFIX  keep only messages referenced ("#: file") from a file whose
#              path starts with PREFIX (several -r: any); default all
#   -v VAR     write "var VAR = {"LL": DICT, ...};" for several catalogs
# A dictionary maps each msgid to its msgstr, or for a plural message
# (msgid_plural) "msgid" to the array of forms; the key "" holds
# {"plural": EXPR} from the catalog's Plural-Forms, where EXPR is "0" (one
# form: vi, lo) or "n != 1" (two: en); any other rule is refused, so a page
# needs no expression evaluator. Fuzzy and untranslated messages are left
# out (the build refuses such catalogs anyway); a context (msgctxt) becomes
# "CONTEXT\u0004msgid", as in gettext.
set -eu
prefixes=""
var=""
while [ $# -gt 0 ]; do
	case "$1" in
	-r) prefixes="$prefixes $2"; shift 2 ;;
	-v) var=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || { echo "usage: po2json.sh [-r PREFIX]... [-v VAR] FILE.po..." >&2; exit 2; }

dict() {
	awk -v prefixes="$prefixes" -v file="$1" '
	function flush() {
		if (state != "") {
			if (fuzzy || (!has_plural && msgstr == "") ||
			    (has_plural && forms == 0))
				keep = 0
			if (msgid == "" && !has_ctx) {
				header = msgstr
			} else if (keep && (nprefix == 0 || refok)) {
				k = (has_ctx ? ctx "\\u0004" : "") msgid
				if (has_plural) {
					v = "["
					for (i = 0; i < forms; i++)
						v = v (i ? ", " : "") "\"" form[i] "\""
					v = v "]"
				} else {
					v = "\"" msgstr "\""
				}
				out[++n] = "\"" k "\": " v
			}
		}
		state = ""; msgid = ""; msgstr = ""; ctx = ""; has_ctx = 0
		has_plural = 0; forms = 0; fuzzy = 0; refok = 0; keep = 1
		delete form
	}
	# The text between the quotes, checked: JSON and PO share \" \\ \n
	# \t; anything else would not survive the copy.
	function str(s) {
		sub(/^[^"]*"/, "", s); sub(/"[ \t]*$/, "", s)
		t = s
		gsub(/\\[\\"nt]/, "", t)
		if (t ~ /\\/) {
			print file ":" NR ": escape not supported in web dictionaries" > "/dev/stderr"
			bad = 1; exit 1
		}
		return s
	}
	function add(s) {
		if (state == "msgid") msgid = msgid s
		else if (state == "ctx") ctx = ctx s
		else if (state == "plural") ;
		else if (state == "str") msgstr = msgstr s
		else if (state ~ /^form/) form[substr(state, 5)] = form[substr(state, 5)] s
	}
	BEGIN {
		nprefix = split(prefixes, pre, " ")
		state = ""; keep = 1; n = 0
	}
	/^#~/ { next }
	/^[ \t]*$/ { flush(); next }
	/^#:/ {
		for (i = 2; i <= NF; i++) {
			r = $i; sub(/:[0-9]+$/, "", r)
			for (j = 1; j <= nprefix; j++)
				if (index(r, pre[j]) == 1) refok = 1
		}
		next
	}
	/^#,/ { if ($0 ~ /fuzzy/) fuzzy = 1; next }
	/^#/ { next }
	/^msgctxt / { if (state != "" && state != "ctx") flush(); state = "ctx"; has_ctx = 1; ctx = str($0); next }
	/^msgid_plural / { state = "plural"; has_plural = 1; next }
	/^msgid / { if (state != "" && state != "ctx") flush(); if (state == "") state = "x"; state = "msgid"; msgid = str($0); next }
	/^msgstr\[/ {
		i = $0; sub(/^msgstr\[/, "", i); sub(/\].*/, "", i)
		state = "form" i; form[i] = str($0); if (i + 1 > forms) forms = i + 1
		if (form[i] == "") keep = 0
		next
	}
	/^msgstr / { state = "str"; msgstr = str($0); next }
	/^"/ { add(str($0)); next }
	{ print file ":" NR ": cannot read: " $0 > "/dev/stderr"; bad = 1; exit 1 }
	END {
		if (bad) exit 1
		flush()
		plural = header
		if (plural !~ /Plural-Forms:/) rule = "n != 1"
		else {
			sub(/.*Plural-Forms:[ ]*/, "", plural); sub(/\\n.*/, "", plural)
			rule = plural; sub(/.*plural=[ ]*/, "", rule); sub(/;.*/, "", rule)
			gsub(/[()]/, "", rule); gsub(/[ ]+/, " ", rule); sub(/^ /, "", rule); sub(/ $/, "", rule)
			if (rule != "0" && rule != "n != 1") {
				print file ": Plural-Forms \"" plural "\" not supported" > "/dev/stderr"
				exit 1
			}
		}
		printf "{\"\": {\"plural\": \"%s\"}", rule
		for (i = 1; i <= n; i++) printf ",\n%s", out[i]
		printf "}"
	}' "$1"
}

if [ -z "$var" ]; then
	[ $# -eq 1 ] || { echo "po2json: one catalog without -v" >&2; exit 2; }
	dict "$1"
	echo
	exit 0
fi
printf 'var %s = {' "$var"
sep=""
for a in "$@"; do
	case "$a" in
	*=*) ;;
	*) echo "po2json: with -v give LL=FILE.po, not $a" >&2; exit 2 ;;
	esac
	printf '%s\n"%s": ' "$sep" "${a%%=*}"
	dict "${a#*=}"
	sep=","
done
printf '};\n'

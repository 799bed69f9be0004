#!/bin/sh
# dist/install.sh — what `make install` and `make uninstall` run.
#
#   install.sh install   DESTDIR PREFIX FIELDSYNC FIELDSYNCD LOCALE_BUILD
#   install.sh uninstall DESTDIR PREFIX
#
# install copies, under DESTDIR + PREFIX:
#   bin/fieldsync, bin/fieldsyncd                      (0755)
#   share/man/man1/fieldsync.1, share/man/man8/fieldsyncd.8
#   share/applications/fieldsync.desktop               (the menu entry)
#   share/locale/LL/LC_MESSAGES/fieldsync.mo           each LOCALE_BUILD/LL/
#                                                      LC_MESSAGES/fieldsync.mo
#                                                      that exists (maybe none)
# and records every file it wrote and every directory it had to create in
# PREFIX/share/fieldsync/installed ("f PATH" / "d PATH", paths as on the
# target system, without DESTDIR). uninstall removes exactly those files,
# then those directories if they are empty, then the record: nothing it did
# not put there. Without a record it removes the files above and leaves
# every directory.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
op=${1:-}
destdir=${2:-}
prefix=${3:-}
case "$prefix" in
/*) ;;
*) echo "install.sh: PREFIX must be an absolute path (got \"$prefix\")" >&2
   exit 2 ;;
esac
prefix=${prefix%/}
record="$prefix/share/fieldsync/installed"

# Create the directory $1 (a target path) under DESTDIR, component by
# component, recording each one this run creates.
make_dirs() {
	p=
	old_ifs=$IFS
	IFS=/
	set -f
	for c in $1; do
		[ -n "$c" ] || continue
		p="$p/$c"
		if [ ! -d "$destdir$p" ]; then
			mkdir -m 0755 "$destdir$p"
			echo "d $p" >>"$new"
		fi
	done
	set +f
	IFS=$old_ifs
}

# put SRC TARGET MODE
put() {
	make_dirs "$(dirname "$2")"
	install -m "$3" "$1" "$destdir$2"
	echo "f $2" >>"$new"
	echo "  $destdir$2"
}

do_install() {
	fieldsync=$1 fieldsyncd=$2 locales=$3
	for f in "$fieldsync" "$fieldsyncd"; do
		[ -x "$f" ] || { echo "install.sh: $f is not built" >&2; exit 1; }
	done
	if [ -n "$destdir" ] && [ ! -d "$destdir" ]; then
		mkdir -p "$destdir"
	fi
	new=$(mktemp)
	trap 'rm -f "$new"' EXIT
	# A second install keeps what the first one created.
	[ -f "$destdir$record" ] && cat "$destdir$record" >>"$new"
	echo "installing into $destdir$prefix:"
	put "$fieldsync" "$prefix/bin/fieldsync" 0755
	put "$fieldsyncd" "$prefix/bin/fieldsyncd" 0755
	put "$here/fieldsync.1" "$prefix/share/man/man1/fieldsync.1" 0644
	put "$here/fieldsyncd.8" "$prefix/share/man/man8/fieldsyncd.8" 0644
	put "$here/fieldsync.desktop" \
		"$prefix/share/applications/fieldsync.desktop" 0644
	n=0
	for mo in "$locales"/*/LC_MESSAGES/fieldsync.mo; do
		[ -f "$mo" ] || continue
		ll=$(basename "$(dirname "$(dirname "$mo")")")
		put "$mo" "$prefix/share/locale/$ll/LC_MESSAGES/fieldsync.mo" 0644
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || echo "  (no message catalogs in $locales: English only)"
	make_dirs "$(dirname "$record")"
	awk '!seen[$0]++' "$new" >"$new.u"
	install -m 0644 "$new.u" "$destdir$record"
	rm -f "$new.u"
}

do_uninstall() {
	if [ ! -f "$destdir$record" ]; then
		echo "uninstall: no record of an install in $destdir$prefix;" \
			"removing the known files, keeping every directory"
		for f in bin/fieldsync bin/fieldsyncd share/man/man1/fieldsync.1 \
			share/man/man8/fieldsyncd.8 \
			share/applications/fieldsync.desktop; do
			rm -f "$destdir$prefix/$f"
		done
		rm -f "$destdir$prefix"/share/locale/*/LC_MESSAGES/fieldsync.mo
		return 0
	fi
	echo "removing from $destdir$prefix:"
	sed -n 's/^f //p' "$destdir$record" | while IFS= read -r f; do
		rm -f "$destdir$f"
		echo "  $destdir$f"
	done
	dirs=$(sed -n 's/^d //p' "$destdir$record" |
		awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2-)
	rm -f "$destdir$record"
	# Deepest first; one that now holds something else stays.
	printf '%s\n' "$dirs" | while IFS= read -r d; do
		[ -n "$d" ] || continue
		rmdir "$destdir$d" 2>/dev/null || true
	done
}

case "$op" in
install) shift 3; do_install "$@" ;;
uninstall) do_uninstall ;;
*) echo "usage: install.sh install DESTDIR PREFIX FIELDSYNC FIELDSYNCD LOCALES" >&2
   echo "       install.sh uninstall DESTDIR PREFIX" >&2
   exit 2 ;;
esac

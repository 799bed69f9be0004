#!/bin/sh
# Installs the Debian packages fieldsync needs to build and test, only those
# missing. Libraries are detected through pkg-config, tools through
# `command -v`. As root it runs apt-get; otherwise through sudo; without
# either it prints the exact command to run and fails.
set -u

missing=""
need_pc() { # pkg-config name, Debian package
	pkg-config --exists "$1" 2>/dev/null || missing="$missing $2"
}
need_cmd() { # command, Debian package
	command -v "$1" >/dev/null 2>&1 || missing="$missing $2"
}

need_cmd pkg-config pkg-config
need_cmd cc gcc
need_cmd make make
need_pc sqlite3 libsqlite3-dev
need_pc libcurl libcurl4-openssl-dev
need_pc libcjson libcjson-dev
need_pc libsodium libsodium-dev
need_pc libmicrohttpd libmicrohttpd-dev
need_pc zlib zlib1g-dev
need_pc libzstd libzstd-dev        # zstd on the wire with the protocol's dictionary
need_pc xlsxwriter libxlsxwriter-dev   # the report as a workbook
need_cmd unzip unzip                  # hq_report.t reads the XLSX inside
need_pc libzip libzip-dev             # the report as a Word document (DOCX)
# hq_docx.t: LibreOffice converts the DOCX to PDF, poppler reads it back.
need_cmd soffice libreoffice-writer-nogui
[ -e /usr/lib/libreoffice/program/libswlo.so ] || missing="$missing libreoffice-writer-nogui"
# hq_report.t: LibreOffice Calc opens the XLSX and writes each sheet as CSV.
[ -e /usr/lib/libreoffice/program/libsclo.so ] || missing="$missing libreoffice-calc-nogui"
need_cmd pdftotext poppler-utils
need_cmd pdftoppm poppler-utils
need_pc cmocka libcmocka-dev
need_cmd prove perl
need_cmd curl curl
need_cmd sqlite3 sqlite3
need_cmd openssl openssl
need_cmd faketime faketime
need_cmd clang clang
need_cmd jq jq
need_cmd chromium chromium
# Translations (po/): xgettext, msgfmt, msgmerge, msgcmp, msgcat. Input
# normalisation: libunistring (no pkg-config file in Debian 12). Messages
# need no generated locale: libfieldsync looks them up under C.UTF-8,
# which libc-bin always has (client/lib/lang.c).
need_cmd msgfmt gettext
need_cmd xgettext gettext
need_cmd gettext gettext-base   # tests look expected texts up with gettext(1)
[ -f /usr/include/uninorm.h ] || missing="$missing libunistring-dev"
need_cmd node nodejs
need_cmd npm npm
need_pc libqrencode libqrencode-dev
# The PostgreSQL store (issue 14): libpq to build; the server binaries
# (initdb, pg_ctl, postgres) for server_pg.t's own throwaway cluster.
need_pc libpq libpq-dev
# Optional: where it cannot be installed, make test says so and skips only
# the PostgreSQL runs (tests/run.sh, server_pg.t).
optional=
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || optional="postgresql"
need_cmd zbarimg zbar-tools
need_cmd desktop-file-validate desktop-file-utils
need_cmd man man-db
need_cmd groff groff-base
need_cmd ss iproute2          # ui_security.t: what the field app listens on
need_cmd ip iproute2
[ -f /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 ] || \
	ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1 || missing="$missing libfaketime"
ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 || \
	missing="$missing libclang-rt-14-dev"

[ -z "$missing" ] && [ -z "$optional" ] && exit 0

# Remove duplicates while keeping order.
pkgs=$(echo $missing | tr ' ' '\n' | awk '!seen[$0]++' | tr '\n' ' ')
cmd="apt-get install -y --no-install-recommends $pkgs"
echo "deps: installing:$missing${optional:+ $optional (optional)}" >&2
if [ "$(id -u)" = 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	SUDO="sudo"
elif [ -z "$missing" ]; then
	echo "deps: $optional is not installed and this user cannot install it: make test will skip its PostgreSQL runs" >&2
	exit 0
else
	echo "deps: missing packages; run as root:" >&2
	echo "  apt-get update && $cmd" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2 || {
	[ -n "$missing" ] && exit 1
	echo "deps: apt-get update failed: make test will skip its PostgreSQL runs" >&2
	exit 0
}
if [ -n "$missing" ]; then
	$SUDO apt-get install -y -qq --no-install-recommends $pkgs >&2 || {
		echo "deps: apt-get failed; try: $cmd" >&2; exit 1; }
fi
if [ -n "$optional" ]; then
	$SUDO apt-get install -y -qq --no-install-recommends $optional >&2 ||
		echo "deps: $optional could not be installed: make test will skip its PostgreSQL runs" >&2
fi

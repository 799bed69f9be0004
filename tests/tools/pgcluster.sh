#!/bin/sh
# tests/tools/pgcluster.sh — a PostgreSQL cluster of the tests' own, never a
# system service. Used by tests/run.sh (one cluster for the PostgreSQL run of
# the server and sync suites), by tests/e2e/lib.sh (a suite run alone with
# FIELDSYNC_BACKEND=postgresql) and by bench/run.sh.
#
#   pgcluster.sh check        exit 0 if PostgreSQL is installed (initdb,
#                             pg_ctl, psql), else print why not and exit 1
#   pgcluster.sh start DIR    initdb a cluster in DIR/data (DIR must be
#                             empty or new) and start it, listening on a Unix
#                             socket in DIR only (no TCP port), superuser
#                             "fieldsync", trust auth on that socket, fsync
#                             and synchronous_commit on; the log is DIR/log
#   pgcluster.sh stop DIR     stop it (immediate) and remove DIR
#
# Run as root, the cluster belongs to "postgres" (or "nobody"): initdb
# refuses to run as root. DIR must then lie outside any directory only root
# may enter, e.g. a fresh `mktemp -d /tmp/...`.
# FIELDSYNC_PGBIN: another PostgreSQL's bin directory.
# Clients connect with: psql -h DIR -U fieldsync, or the URL
#   postgresql:///DBNAME?host=DIR&user=fieldsync
set -u
PGBIN=${FIELDSYNC_PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}

as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u "$(stat -c %U "$DIR")" -- "$@"
	else
		"$@"
	fi
}

check() {
	if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_ctl" ]; then
		echo "PostgreSQL is not installed (no initdb/pg_ctl under /usr/lib/postgresql/*/bin; apt-get install postgresql)"
		return 1
	fi
	if ! command -v psql >/dev/null 2>&1; then
		echo "psql is not installed (apt-get install postgresql-client)"
		return 1
	fi
	return 0
}

case ${1:-} in
check)
	check
	exit $?
	;;
start)
	DIR=${2:?usage: pgcluster.sh start DIR}
	check >&2 || exit 1
	mkdir -p "$DIR" || exit 1
	if [ "$(id -u)" = 0 ]; then
		owner=postgres
		id -u postgres >/dev/null 2>&1 || owner=nobody
		chown "$owner" "$DIR" || exit 1
	fi
	as_owner "$PGBIN/initdb" -D "$DIR/data" -U fieldsync --auth=trust \
		-E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 || {
		echo "initdb failed:" >&2
		tail -5 "$DIR/initdb.log" >&2
		exit 1
	}
	as_owner "$PGBIN/pg_ctl" -D "$DIR/data" -w -l "$DIR/log" -o \
		"-c listen_addresses='' -c unix_socket_directories='$DIR' -c fsync=on -c synchronous_commit=on -c max_connections=300" \
		start >/dev/null || {
		echo "PostgreSQL did not start:" >&2
		tail -5 "$DIR/log" >&2
		exit 1
	}
	;;
stop)
	DIR=${2:?usage: pgcluster.sh stop DIR}
	[ -d "$DIR/data" ] &&
		as_owner "$PGBIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null 2>&1
	rm -rf "$DIR"
	;;
*)
	echo "usage: pgcluster.sh check | start DIR | stop DIR" >&2
	exit 2
	;;
esac

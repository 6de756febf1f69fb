# bench/cluster.sh -- sourced by the shipper's benchmarks: a throwaway
# PostgreSQL cluster and the mock Kafka cluster on 127.0.0.1, stopped and
# removed on exit, and the arithmetic the reports use.
#
# Needs PG_CONFIG and SRC (the source tree); defines PGBIN, SHIPPER, WORK,
# CONN, BOOTSTRAP, log, die, sql, calc, median, and start_cluster CONF...
# (extra postgresql.conf lines) and start_mock ARGS... (mockbroker topics).

PGBIN=$("$PG_CONFIG" --bindir)
SHIPPER=$PGBIN/cellcdc-shipper
BENCH=$(basename "$0")

log() { printf '[%s %s] %s\n' "$BENCH" "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
calc() { awk "BEGIN { print $* }"; }
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

[[ -x $SHIPPER ]] || die "$SHIPPER not found: run make install first"
make -s regress/mockbroker >/dev/null || die "cannot build regress/mockbroker"
unset PGHOST PGPORT PGUSER PGDATABASE PGOPTIONS PGSERVICE PGPASSWORD

WORK=$(mktemp -d "/tmp/cellcdc-${BENCH%.sh}.XXXXXX")
if [[ $(id -u) -eq 0 ]]; then
	chown postgres "$WORK"
	as_owner() { runuser -u postgres -- "$@"; }
else
	as_owner() { "$@"; }
fi
PIDS=()
cleanup() {
	set +e
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	as_owner "$PGBIN/pg_ctl" -D "$WORK/data" -m immediate -w stop >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT

# start_cluster LINE...: initdb (UTF-8), logical decoding, the plugins
# listed where the server wants them, plus LINEs; sets CONN
start_cluster() {
	local port plugins
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	as_owner "$PGBIN/initdb" -D "$WORK/data" -A trust -U bench --encoding=UTF8 --locale=C >/dev/null
	printf '%s\n' "listen_addresses = '127.0.0.1'" "port = $port" \
		"unix_socket_directories = '$WORK'" "wal_level = logical" "max_wal_size = 4GB" \
		"fsync = off" "synchronous_commit = off" "$@" >>"$WORK/data/postgresql.conf"
	plugins="'pgoutput, test_decoding, cellcdc, wal2json'"
	if grep -q '^output_plugin_libraries' <<<"$("$PGBIN/postgres" --describe-config)"; then
		echo "output_plugin_libraries = $plugins" >>"$WORK/data/postgresql.conf"
	fi
	as_owner "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/pg.log" -w start >/dev/null
	CONN="host=127.0.0.1 port=$port user=bench dbname=postgres"
}

sql() { "$PGBIN/psql" -X -q -tA -v ON_ERROR_STOP=1 -d "$CONN" "$@"; }

# start_mock ARGS...: the mock Kafka cluster, 3 brokers; sets BOOTSTRAP
start_mock() {
	"$SRC/regress/mockbroker" -b 3 -f "$WORK/bootstrap" -c "$WORK/control" "$@" \
		>"$WORK/mock.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do [[ -s $WORK/bootstrap ]] && break; sleep 0.1; done
	BOOTSTRAP=$(cat "$WORK/bootstrap")
}

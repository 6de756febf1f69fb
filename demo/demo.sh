#!/usr/bin/env bash
# The cellcdc demo: the main job on embedded defaults.
#
# Starts a throwaway PostgreSQL cluster with the extension and a sample of
# the EMP tables, the mock Kafka cluster, and cellcdc-shipper; runs a live
# workload through them; then prints what landed in Kafka (topics, counts,
# sample messages) and checks it against the database.  Everything runs on
# 127.0.0.1 and is stopped and removed at the end, whatever happens.
#
#   bash demo/demo.sh                 (as root on a fresh machine: installs, builds, runs)
#   DEMO_SECONDS=30 demo/demo.sh      (as a user, once installed)
set -euo pipefail

cd "$(dirname "$0")/.."
DEMO_SECONDS=${DEMO_SECONDS:-15}
DEMO_USER=${DEMO_USER:-postgres}

if [ "${1:-}" != "--run" ]; then
	source regress/setup.sh
	install_packages
	if [ "$(id -u)" -eq 0 ]; then
		build_install
		make -s regress/mockbroker
	elif ! command -v "$("$PG_CONFIG" --bindir)/cellcdc-shipper" >/dev/null; then
		echo "cellcdc is not installed: run this once as root, or make install" >&2
		exit 2
	else
		make -s regress/mockbroker
	fi
	# the cluster runs as an unprivileged user, in a directory it owns
	work=$(mktemp -d /tmp/cellcdc-demo.XXXXXX)
	cp demo/* regress/mockbroker "$work/"
	if [ "$(id -u)" -eq 0 ]; then
		id "$DEMO_USER" >/dev/null 2>&1 || useradd --system --create-home "$DEMO_USER"
		chown -R "$DEMO_USER" "$work"
		exec runuser -u "$DEMO_USER" -- env DEMO_SECONDS="$DEMO_SECONDS" PG_CONFIG="$PG_CONFIG" \
			bash "$work/demo.sh" --run "$work"
	fi
	exec env PG_CONFIG="$PG_CONFIG" bash "$work/demo.sh" --run "$work"
fi

work=$2
cd "$work"
PATH=$("$PG_CONFIG" --bindir):$PATH
pg_pid='' mock_pid='' shipper_pid=''

cleanup() {
	[ -n "$shipper_pid" ] && kill "$shipper_pid" 2>/dev/null && wait "$shipper_pid" 2>/dev/null
	[ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null && wait "$mock_pid" 2>/dev/null
	[ -n "$pg_pid" ] && pg_ctl -D "$work/pg" -m fast -w stop >/dev/null 2>&1
	cd / && rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "PostgreSQL: a throwaway cluster on 127.0.0.1"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
initdb -D "$work/pg" -A trust -U cellcdc >/dev/null
cat >>"$work/pg/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$work'
wal_level = logical
fsync = off
EOF
settings=$(postgres --describe-config)
if grep -q '^output_plugin_libraries' <<<"$settings"; then
	echo "output_plugin_libraries = 'pgoutput, test_decoding, cellcdc'" >>"$work/pg/postgresql.conf"
fi
pg_ctl -D "$work/pg" -l "$work/pg.log" -w start >/dev/null
pg_pid=$(head -1 "$work/pg/postmaster.pid")
conninfo="host=127.0.0.1 port=$port user=cellcdc dbname=postgres"
sql() { psql -X -q -v ON_ERROR_STOP=1 -d "$conninfo" "$@"; }
sql -c 'CREATE EXTENSION cellcdc' -f emp-schema.sql
sql <<'EOF'
INSERT INTO core_currency (code, name, decimals) VALUES ('EUR', 'Euro', 2), ('USD', 'US Dollar', 2), ('JPY', 'Yen', 0);
INSERT INTO clients_client (uuid, name, email)
	SELECT md5(g::text)::uuid, 'client ' || g, 'client' || g || '@example.com'
	FROM generate_series(1, 200) g;
EOF
echo "port $port, EMP sample tables: core_currency, clients_client,"
echo "settlements_currencyaccountentry, payments_payment, core_eventlog"

step "Kafka: the mock cluster (3 brokers)"
./mockbroker -b 3 -f bootstrap -c control >mock.log 2>&1 &
mock_pid=$!
for _ in $(seq 100); do [ -s bootstrap ] && break; sleep 0.1; done
bootstrap=$(cat bootstrap)
echo "bootstrap servers $bootstrap"

step "cellcdc-shipper (demo.properties)"
grep -v '^#' demo.properties
DEMO_CONNINFO=$conninfo DEMO_BOOTSTRAP=$bootstrap \
	cellcdc-shipper -c demo.properties >shipper.log 2>&1 &
shipper_pid=$!
for _ in $(seq 100); do
	grep -q 'streaming slot' shipper.log && break
	kill -0 "$shipper_pid" 2>/dev/null || { cat shipper.log; echo "the shipper did not start" >&2; exit 1; }
	sleep 0.1
done
cat shipper.log

step "Live workload: pgbench, 2 clients, $DEMO_SECONDS s; half way, a re-snapshot of core_currency"
pgbench -n -c 2 -T "$DEMO_SECONDS" -f workload.sql "$conninfo" 2>&1 |
	grep -E 'transactions actually processed|tps' &
bench_pid=$!
sleep $((DEMO_SECONDS / 2))
sql -tA -c "SELECT 'requested at LSN ' || cellcdc.request_snapshot('public.core_currency')"
wait "$bench_pid"

step "Waiting for Kafka to acknowledge everything"
end=$(sql -tA -c 'SELECT pg_current_wal_lsn()')
for _ in $(seq 600); do
	done_=$(sql -tA -c "SELECT confirmed_flush_lsn >= '$end' FROM pg_replication_slots WHERE slot_name = 'cellcdc_demo'")
	[ "$done_" = t ] && break
	kill -0 "$shipper_pid" 2>/dev/null || { cat shipper.log; echo "the shipper stopped" >&2; exit 1; }
	sleep 0.1
done
sql -c "SELECT slot_name, active, confirmed_flush_lsn, retained_wal_bytes, lag_bytes FROM cellcdc.status"
kill -TERM "$shipper_pid"
wait "$shipper_pid" || { echo "the shipper failed:"; cat shipper.log; exit 1; }
shipper_pid=''
tail -1 shipper.log

step "The shipper's log"
grep -E 'snapshot|streaming' shipper.log

step "What landed in Kafka"
topics=$(kcat -b "$bootstrap" -L | sed -n 's/.*topic "\(emp-demo[^"]*\)".*/\1/p' | sort)
printf '%-62s %9s %s\n' topic messages "r (snapshot/incremental)/c/u/d/tombstones"
for t in $topics; do
	kcat -b "$bootstrap" -C -t "$t" -e -q -Z -f '%s\n' >"msgs.$t"
	printf '%-62s %9d %s+%s/%s/%s/%s/%s\n' "$t" "$(wc -l <"msgs.$t")" \
		"$(grep '"op":"r"' "msgs.$t" | grep -vc '"snapshot":"incremental"' || true)" \
		"$(grep -c '"snapshot":"incremental"' "msgs.$t" || true)" \
		"$(grep -c '"op":"c"' "msgs.$t" || true)" "$(grep -c '"op":"u"' "msgs.$t" || true)" \
		"$(grep -c '"op":"d"' "msgs.$t" || true)" "$(grep -c '^NULL$' "msgs.$t" || true)"
done

step "A sample message: the last settlement entry of partition 0 (payload; the schema block is in the message too)"
t=emp-demo-events-bos-v2.public.settlements_currencyaccountentry
kcat -b "$bootstrap" -C -t "$t" -p 0 -o -1 -e -q -f '%k\n%h\n%s\n' >sample
printf 'key:     %s\nheaders: %s\nvalue:\n' "$(sed -n 1p sample)" "$(sed -n 2p sample)"
sed -n 3p sample | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)["payload"], indent=2))'

step "Check: the seed rows arrived as snapshot reads (op r), once each, without being touched"
for check in core_currency:code clients_client:id; do
	table=${check%%:*} key=${check#*:}
	rows=$(sql -tA -c "SELECT count(*) FROM $table")
	reads=$(grep '"op":"r"' "msgs.emp-demo-events-bos-v2.public.$table" | grep -v '"snapshot":"incremental"' |
		grep -o "\"after\":{\"$key\":[^,]*" | sort -u | wc -l)
	echo "$table: $rows rows, $reads read by the initial snapshot"
	[ "$rows" -eq "$reads" ] || { echo "MISMATCH" >&2; exit 1; }
done

step "Check: every committed settlement entry is in Kafka exactly once"
rows=$(sql -tA -c 'SELECT count(*) FROM settlements_currencyaccountentry')
creates=$(grep '"op":"c"' "msgs.$t" | grep -o '"after":{"id":[0-9]*' | sort -u | wc -l)
total=$(grep -c '"op":"c"' "msgs.$t" || true)
echo "rows in the table: $rows; create messages: $total; distinct ids: $creates"
if [ "$rows" -ne "$creates" ] || [ "$total" -ne "$creates" ]; then
	echo "MISMATCH" >&2
	exit 1
fi
echo "ok"

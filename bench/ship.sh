#!/usr/bin/env bash
# bench/ship.sh -- end-to-end benchmark of cellcdc-shipper, with the
# pg_recvlogical + wal2json pipeline as the baseline, on one throwaway
# PostgreSQL cluster and the mock Kafka cluster.
#
# What it measures, on the same committed backlog of NCHANGES row changes
# (inserts and updates of an EMP-like ledger table, 1000 rows per txn):
#  1. kafka: cellcdc-shipper streaming to the mock broker, from start until
#     the slot's confirmed_flush_lsn (which only moves over acknowledged
#     changes) reaches the end of the backlog: changes/s of wall time, and
#     changes per second of shipper CPU (all its threads: rendering, zstd,
#     librdkafka), i.e. what one core sustains.
#  2. null: the same with sink=null, isolating parsing and rendering:
#     shipper CPU per change.
#  3. wal2json: pg_recvlogical + wal2json (format 2) to /dev/null, the
#     baseline pipeline (it does not even reach Kafka).
#  4. memory: shipper peak RSS (VmHWM) while it ships one 1,000,000-row
#     transaction to the mock broker.
#  5. spool: with every broker down, SPOOLROWS changes (1000-row
#     transactions) go to spool.dir; then the brokers come back and the
#     spool drains: changes/s spooled (slot confirmed over them) and
#     drained (acknowledged by Kafka), and the spool's size on disk.
# Targets: >= 100k changes/s on one core end to end, peak RSS < 100 MB.
# The median of RUNS passes is reported; PASS/FAIL lines are a report, so a
# missed target still exits 0, while errors exit non-zero.
#
# Usage: bench/ship.sh   (after make install; as root or a normal user)
# Env:   RUNS=3  NCHANGES=300000  BIGROWS=1000000  SPOOLROWS=1000000  PG_CONFIG
set -euo pipefail

RUNS=${RUNS:-3}
NCHANGES=${NCHANGES:-300000}
BIGROWS=${BIGROWS:-1000000}
SPOOLROWS=${SPOOLROWS:-1000000}
PG_CONFIG=${PG_CONFIG:-pg_config}
cd "$(dirname "$0")/.."
SRC=$(pwd)
HZ=$(getconf CLK_TCK)
source bench/cluster.sh
[[ -f $("$PG_CONFIG" --pkglibdir)/wal2json.so ]] ||
	die "wal2json (the baseline) is not installed: apt-get install postgresql-$("$PG_CONFIG" --version | sed 's/[^0-9]*\([0-9]*\).*/\1/')-wal2json"
start_cluster "shared_buffers = 256MB" "max_replication_slots = 20"
start_mock -t bench.public.ledger:6 -t bench.public.big:6 -t bench.public.spooled:12

sql <<'EOF'
CREATE EXTENSION cellcdc;
CREATE TABLE ledger (id bigint PRIMARY KEY, client_id bigint NOT NULL, currency char(3) NOT NULL,
	amount numeric(18,2) NOT NULL, balance numeric(18,2), value_date date NOT NULL,
	description text, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE big (id bigint PRIMARY KEY, payload text NOT NULL);
CREATE TABLE spooled (id bigint PRIMARY KEY, client_id bigint NOT NULL, amount numeric(18,2) NOT NULL,
	note text NOT NULL);
EOF

# slots first, so that each has the whole backlog
slots=()
for r in $(seq "$RUNS"); do slots+=("kafka_$r" "null_$r" "w2j_$r"); done
slots+=(big)
for s in "${slots[@]}"; do
	plugin=cellcdc
	[[ $s == w2j_* ]] && plugin=wal2json
	sql -c "SELECT pg_create_logical_replication_slot('$s', '$plugin')" >/dev/null
done

log "workload: $NCHANGES changes in transactions of 1000 rows"
ninsert=$((NCHANGES * 2 / 3 / 1000 * 1000))
nupdate=$((NCHANGES - ninsert))
for ((i = 0; i < ninsert; i += 1000)); do
	echo "INSERT INTO ledger SELECT g, g % 997, 'EUR', (g % 100000) / 100.0, g / 7.0, '2025-03-01'::date + g % 365, 'entry ' || g FROM generate_series($i + 1, $i + 1000) g;"
done | sql
for ((i = 0; i < nupdate; i += 1000)); do
	echo "UPDATE ledger SET balance = balance + 1, description = 'updated' WHERE id > $i AND id <= $i + 1000;"
done | sql
END_LSN=$(sql -c 'SELECT pg_current_wal_lsn()')
log "backlog ends at $END_LSN; big transaction: $BIGROWS rows"
sql -c "INSERT INTO big SELECT g, repeat('x', 100) || g FROM generate_series(1, $BIGROWS) g"
BIG_END=$(sql -c 'SELECT pg_current_wal_lsn()')

# ship_once SLOT SINK END: run the shipper until the slot is confirmed past
# END; prints "wall_seconds cpu_seconds peak_rss_kb"
ship_once() {
	local slot=$1 sink=$2 end=$3 pid t0 t1 cpu hwm
	cat >"$WORK/$slot.properties" <<EOF
topic.prefix=bench
database.conninfo=$CONN
slot.name=$slot
sink=$sink
kafka.bootstrap.servers=$BOOTSTRAP
status.interval.ms=100
EOF
	t0=$(date +%s.%N)
	"$SHIPPER" -c "$WORK/$slot.properties" >/dev/null 2>"$WORK/$slot.log" &
	pid=$!
	PIDS+=($pid)
	until [[ $(sql -c "SELECT confirmed_flush_lsn >= '$end' FROM pg_replication_slots WHERE slot_name = '$slot'") == t ]]; do
		kill -0 "$pid" 2>/dev/null || die "shipper for $slot died: $(cat "$WORK/$slot.log")"
		sleep 0.02
	done
	t1=$(date +%s.%N)
	cpu=$(awk -v hz="$HZ" '{ print ($14 + $15) / hz }' "/proc/$pid/stat")
	hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
	kill -TERM "$pid"
	wait "$pid" || die "shipper for $slot exited with an error: $(cat "$WORK/$slot.log")"
	echo "$(calc "$t1 - $t0") $cpu $hwm"
}

# wal2json_once SLOT: pg_recvlogical to /dev/null up to END_LSN; "wall cpu"
wal2json_once() {
	python3 - "$PGBIN/pg_recvlogical" "$CONN" "$1" "$END_LSN" <<'EOF'
import resource, subprocess, sys, time
recv, conn, slot, end = sys.argv[1:]
t = time.time()
subprocess.run([recv, '-d', conn, '-S', slot, '--start', '--no-loop', '-E', end,
                '-o', 'format-version=2', '-f', '/dev/null'], check=True)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(time.time() - t, r.ru_utime + r.ru_stime)
EOF
}


declare -A wall cpu
for r in $(seq "$RUNS"); do
	log "run $r/$RUNS"
	read -r w c _ < <(ship_once "kafka_$r" kafka "$END_LSN"); wall[kafka]+="$w "; cpu[kafka]+="$c "
	read -r w c _ < <(ship_once "null_$r" null "$END_LSN"); wall[null]+="$w "; cpu[null]+="$c "
	read -r w c < <(wal2json_once "w2j_$r"); wall[w2j]+="$w "; cpu[w2j]+="$c "
done
log "memory: the $BIGROWS-row transaction to Kafka"
read -r _ _ big_hwm < <(ship_once big kafka "$BIG_END")

# wait_log PID PATTERN: until the shipper's log has the pattern
wait_log() {
	until grep -q "$2" "$WORK/spool.log"; do
		kill -0 "$1" 2>/dev/null || die "the spooling shipper died: $(cat "$WORK/spool.log")"
		sleep 0.02
	done
}

# spool_once: stream slot "spool" from here, take the brokers away, write
# SPOOLROWS changes, wait until the slot is confirmed over them (they are
# in the spool), bring the brokers back and wait for the drain; prints
# "spool_seconds drain_seconds spool_bytes seconds_from_brokers_up"
spool_once() {
	local pid t0 t1 t2 end bytes drain
	sql -c "SELECT pg_create_logical_replication_slot('spool', 'cellcdc')" >/dev/null
	cat >"$WORK/spool.properties" <<EOF
topic.prefix=bench
database.conninfo=$CONN
slot.name=spool
kafka.bootstrap.servers=$BOOTSTRAP
status.interval.ms=100
spool.dir=$WORK/spool
spool.after.ms=500
EOF
	"$SHIPPER" -c "$WORK/spool.properties" >/dev/null 2>"$WORK/spool.log" &
	pid=$!
	PIDS+=($pid)
	wait_log "$pid" 'streaming slot'
	for b in 1 2 3; do echo "down $b" >"$WORK/control"; done
	wait_log "$pid" 'to the spool (Kafka is away)'
	t0=$(date +%s.%N)
	for ((i = 0; i < SPOOLROWS; i += 1000)); do
		echo "INSERT INTO spooled SELECT g, g % 997, (g % 100000) / 100.0, 'spooled entry ' || g FROM generate_series($i + 1, $i + 1000) g;"
	done | sql
	end=$(sql -c 'SELECT pg_current_wal_lsn()')
	until [[ $(sql -c "SELECT confirmed_flush_lsn >= '$end' FROM pg_replication_slots WHERE slot_name = 'spool'") == t ]]; do
		kill -0 "$pid" 2>/dev/null || die "the spooling shipper died: $(cat "$WORK/spool.log")"
		sleep 0.02
	done
	t1=$(date +%s.%N)
	bytes=$(du -sb "$WORK/spool" | cut -f1)
	for b in 1 2 3; do echo "up $b" >"$WORK/control"; done
	wait_log "$pid" 'drained the spool'
	t2=$(date +%s.%N)
	kill -TERM "$pid"
	wait "$pid" || die "the spooling shipper exited with an error: $(cat "$WORK/spool.log")"
	drain=$(sed -n 's/.*drained the spool: [0-9]* messages sent to Kafka in \([0-9.]*\) s.*/\1/p' "$WORK/spool.log")
	echo "$(calc "$t1 - $t0") $drain $bytes $(calc "$t2 - $t1")"
}
log "spool: $SPOOLROWS changes while Kafka is away, then the drain"
read -r spool_s drain_s spool_bytes drain_wall < <(spool_once)

med() { tr ' ' '\n' <<<"$1" | grep . | median; }
echo
echo "cellcdc-shipper end to end, $NCHANGES changes (median of $RUNS; PostgreSQL $("$PGBIN/postgres" -V | awk '{ print $3 }'), mock Kafka)"
printf '%-44s %9s %12s %12s %14s\n' pipeline wall_s changes/s client_cpu_s changes/cpu_s
for k in kafka null w2j; do
	w=$(med "${wall[$k]}"); c=$(med "${cpu[$k]}")
	case $k in
		kafka) name="cellcdc-shipper -> Kafka (acknowledged)" ;;
		null) name="cellcdc-shipper, sink=null" ;;
		w2j) name="pg_recvlogical + wal2json -> /dev/null" ;;
	esac
	printf '%-44s %9.3f %12.0f %12.3f %14.0f\n' "$name" "$w" "$(calc "$NCHANGES / $w")" \
		"$c" "$(calc "$NCHANGES / $c")"
done
kw=$(med "${wall[kafka]}"); ww=$(med "${wall[w2j]}"); kc=$(med "${cpu[kafka]}"); nc=$(med "${cpu[null]}")
echo
printf 'shipper CPU per change: %.2f us with Kafka, %.2f us with sink=null (parse + render)\n' \
	"$(calc "$kc * 1000000 / $NCHANGES")" "$(calc "$nc * 1000000 / $NCHANGES")"
printf 'wall time, wal2json pipeline / cellcdc to Kafka: %.2fx\n' "$(calc "$ww / $kw")"
printf 'shipper peak RSS shipping a %d-row transaction: %.1f MB\n' "$BIGROWS" "$(calc "$big_hwm / 1024")"
printf 'spool: %d changes spooled at %.0f changes/s (writing them included), %.1f MB on disk (%.0f bytes a change)\n' \
	"$SPOOLROWS" "$(calc "$SPOOLROWS / $spool_s")" "$(calc "$spool_bytes / 1000000")" "$(calc "$spool_bytes / $SPOOLROWS")"
printf 'spool: drained to Kafka at %.0f changes/s (%.1f s; %.1f s from the brokers coming back, probe included)\n' \
	"$(calc "$SPOOLROWS / $drain_s")" "$drain_s" "$drain_wall"
rate=$(calc "$NCHANGES / $kc")
[[ $(calc "($rate >= 100000) ? 1 : 0") == 1 ]] && v=PASS || v=FAIL
printf '%s: %.0f changes per shipper CPU-second end to end (target >= 100000)\n' "$v" "$rate"
[[ $(calc "($big_hwm < 102400) ? 1 : 0") == 1 ]] && v=PASS || v=FAIL
printf '%s: peak RSS %.1f MB (target < 100 MB)\n' "$v" "$(calc "$big_hwm / 1024")"

#!/usr/bin/env bash
# bench/snapshot.sh -- the shipper's snapshot, against COPY as its floor, on
# one throwaway PostgreSQL cluster and the mock Kafka cluster.
#
# One table of ROWS rows, the 8-column mixed-type table of bench/decode.sh
# (int, bigint, text, numeric, timestamptz, bool, jsonb, uuid).  Measured,
# each the median of RUNS passes:
#  1. copy N: COPY (SELECT * FROM bench WHERE id in one of N key ranges)
#     TO STDOUT into /dev/null by N connections at once (N = 1, 2): what
#     reading the table costs at all, the floor.
#  2. kafka N: cellcdc-shipper with snapshot.mode=initial_only and
#     snapshot.max.threads=N, every row rendered and acknowledged by the
#     mock broker: rows/s of wall time, and the shipper's peak RSS.
#  3. null N: the same with sink=null (reading and rendering only).
# Targets: kafka at least 50% of the copy floor's rows/s with as many
# connections, kafka 2 at least 1.6x kafka 1, peak RSS under 150 MB.  PASS
# and FAIL lines are a report (a missed target still exits 0); errors exit
# non-zero.  The mock broker keeps only the newest messages of a partition
# (5 MB or 100k batches), which costs it nothing here.
#
# Usage: bench/snapshot.sh   (after make install; as root or a normal user)
# Env:   RUNS=3  ROWS=2000000  PG_CONFIG
set -euo pipefail

RUNS=${RUNS:-3}
ROWS=${ROWS:-2000000}
PG_CONFIG=${PG_CONFIG:-pg_config}
cd "$(dirname "$0")/.."
SRC=$(pwd)
source bench/cluster.sh
start_cluster "shared_buffers = 512MB"
start_mock -t bench.public.bench:6

log "table: $ROWS rows"
sql <<EOF
CREATE EXTENSION cellcdc;
CREATE TABLE bench (id int PRIMARY KEY, big bigint, txt text, num numeric(12,2),
                    ts timestamptz, flag bool, doc jsonb, uid uuid);
INSERT INTO bench
SELECT i, i::bigint * 1000003, 'customer-' || md5(i::text), (i * 1.37)::numeric(12,2),
       timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second', i % 2 = 0,
       jsonb_build_object('k', i, 'name', 'n' || i, 'tags', jsonb_build_array('a', 'b')),
       md5(i::text)::uuid
  FROM generate_series(1, $ROWS) i;
VACUUM ANALYZE bench;
EOF


# copy_once N: N connections COPY a 1/N key range each to /dev/null; wall seconds
copy_once() {
	python3 - "$PGBIN/psql" "$CONN" "$ROWS" "$1" <<'EOF'
import subprocess, sys, time
psql, conn, rows, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
t = time.time()
procs = [subprocess.Popen([psql, '-X', '-q', '-d', conn, '-c',
                           f'COPY (SELECT * FROM bench WHERE id > {rows * k // n} '
                           f'AND id <= {rows * (k + 1) // n}) TO STDOUT'],
                          stdout=subprocess.DEVNULL)
         for k in range(n)]
for p in procs:
    if p.wait() != 0:
        sys.exit('COPY failed')
print(time.time() - t)
EOF
}

# ship_once SINK N: an initial_only snapshot by N connections; "wall cpu peak_rss_kb"
ship_once() {
	cat >"$WORK/ship.properties" <<EOF
topic.prefix=bench
database.conninfo=$CONN
slot.name=bench
sink=$1
snapshot.mode=initial_only
snapshot.max.threads=$2
kafka.bootstrap.servers=$BOOTSTRAP
EOF
	python3 - "$SHIPPER" "$WORK/ship.properties" "$WORK/ship.log" <<'EOF'
import resource, subprocess, sys, time
shipper, props, logf = sys.argv[1:]
t = time.time()
with open(logf, 'w') as log:
    if subprocess.run([shipper, '-c', props], stderr=log).returncode != 0:
        sys.exit('the shipper failed: see ' + logf)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(time.time() - t, r.ru_utime + r.ru_stime, r.ru_maxrss)
EOF
}

declare -A wall cpu rss
for r in $(seq "$RUNS"); do
	log "run $r/$RUNS"
	for n in 1 2; do
		wall[copy$n]+="$(copy_once $n) "
		read -r w c m < <(ship_once kafka $n) || die "$(cat "$WORK/ship.log")"
		wall[kafka$n]+="$w "; cpu[kafka$n]+="$c "; rss[kafka$n]+="$m "
		read -r w c m < <(ship_once null $n) || die "$(cat "$WORK/ship.log")"
		wall[null$n]+="$w "; cpu[null$n]+="$c "; rss[null$n]+="$m "
	done
done
grep -q "snapshot done: $ROWS rows" "$WORK/ship.log" || die "the snapshot did not read every row: $(cat "$WORK/ship.log")"

med() { tr ' ' '\n' <<<"$1" | grep . | median; }
rate() { calc "$ROWS / $(med "${wall[$1]}")"; }
echo
echo "snapshot of $ROWS rows, 8 mixed-type columns (median of $RUNS; PostgreSQL $("$PGBIN/postgres" -V | awk '{ print $3 }'), mock Kafka, $(nproc) cores)"
printf '%-52s %9s %12s %16s %12s\n' reader wall_s rows/s shipper_cpu_us/row peak_rss_MB
for k in copy1 kafka1 null1 copy2 kafka2 null2; do
	m='' u=''
	case $k in
		copy*) name="COPY (SELECT ...) TO STDOUT, ${k#copy} connection(s)" ;;
		kafka*) name="cellcdc-shipper -> Kafka, ${k#kafka} thread(s)" ;;
		null*) name="cellcdc-shipper, sink=null, ${k#null} thread(s)" ;;
	esac
	if [[ $k != copy* ]]; then
		m=$(printf '%.1f' "$(calc "$(med "${rss[$k]}") / 1024")")
		u=$(printf '%.2f' "$(calc "$(med "${cpu[$k]}") * 1000000 / $ROWS")")
	fi
	printf '%-52s %9.2f %12.0f %16s %12s\n' "$name" "$(med "${wall[$k]}")" "$(rate "$k")" "$u" "$m"
done
echo
k1=$(rate kafka1); k2=$(rate kafka2); c1=$(rate copy1); c2=$(rate copy2)
peak=$(calc "$(med "${rss[kafka2]}") / 1024")
verdict() { [[ $(calc "($1) ? 1 : 0") == 1 ]] && echo PASS || echo FAIL; }
printf '%s: 1 thread at %.0f%% of the COPY floor (target >= 50%%)\n' "$(verdict "$k1 >= 0.5 * $c1")" "$(calc "100 * $k1 / $c1")"
printf '%s: 2 threads at %.0f%% of the COPY floor with 2 connections (target >= 50%%)\n' "$(verdict "$k2 >= 0.5 * $c2")" "$(calc "100 * $k2 / $c2")"
printf '%s: 2 threads %.2fx 1 thread (target >= 1.6x)\n' "$(verdict "$k2 >= 1.6 * $k1")" "$(calc "$k2 / $k1")"
printf '%s: peak RSS %.1f MB with 2 threads (target < 150 MB)\n' "$(verdict "$peak < 150")" "$peak"
n1=$(rate null1); n2=$(rate null2)
printf 'reading and rendering alone (sink=null): %.0f%% of the floor with 1 thread, %.0f%% with 2, 2 threads %.2fx 1\n' \
	"$(calc "100 * $n1 / $c1")" "$(calc "100 * $n2 / $c2")" "$(calc "$n2 / $n1")"

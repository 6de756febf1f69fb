#!/usr/bin/env bash
# bench/decode.sh -- benchmark of the cellcdc logical decoding output plugin
# against its peers, on one throwaway PostgreSQL cluster.
#
# What it measures:
#  1. Decode time and output size. One workload of 350,000 row changes
#     (200 txns x 1000 inserts, 100 x 1000 updates, 50 x 1000 deletes) is
#     decoded through the SQL interface (pg_logical_slot_peek_binary_changes)
#     by test_decoding, pgoutput (text and binary), wal2json, decoderbufs and
#     cellcdc, plus a "floor" that decodes everything and emits nothing.
#     Time is taken server-side with clock_timestamp() around the one query,
#     so the overhead is tiny and the same for every plugin. The median of
#     RUNS passes is reported, with output bytes per change, both relative to
#     cellcdc.
#  2. Walsender memory. pg_recvlogical streams one 1,000,000-row transaction
#     through test_decoding, pgoutput and cellcdc while the walsender's peak
#     RssAnon is sampled from /proc every 0.05 s.
# Why: cellcdc's targets are to be at least 1.5x faster than pgoutput (text),
# to emit no more bytes per change than pgoutput in binary mode, and to use
# no more walsender memory than test_decoding. PASS/FAIL lines are printed
# for each; this is a report, so failed targets still exit 0, while real
# errors (a failed setup, a plugin that errors out) exit non-zero.
#
# Usage: bench/decode.sh        (as root or as a normal user, after `make install`)
# Env:   RUNS=3       timed passes per plugin (median reported)
#        WARMUP=1     untimed passes per plugin before the timed ones
#        SKIP_MEM=1   skip the memory part
#        PG_CONFIG    pg_config to use (default: pg_config in PATH)
#        PORT         first TCP port to try (default 55432, searched upward)
#        BENCH_TMPDIR parent of the throwaway cluster dir (default /tmp)
# Progress goes to stderr, the result tables to stdout.
set -euo pipefail

RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
SKIP_MEM=${SKIP_MEM:-0}
PG_CONFIG=${PG_CONFIG:-pg_config}
FIRST_PORT=${PORT:-55432}
NCHANGES=350000        # row changes in the decode workload
NTXNS=350              # transactions in the decode workload
DB=bench

log() { printf '[decode.sh %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer (got '$RUNS')"
[[ $WARMUP =~ ^[0-9]+$ ]] || die "WARMUP must be a non-negative integer (got '$WARMUP')"
[[ $FIRST_PORT =~ ^[0-9]+$ ]] || die "PORT must be a number (got '$FIRST_PORT')"
command -v "$PG_CONFIG" >/dev/null 2>&1 || die "pg_config not found (set PG_CONFIG)"
PGBIN=$("$PG_CONFIG" --bindir)
PKGLIBDIR=$("$PG_CONFIG" --pkglibdir)
for b in initdb pg_ctl postgres psql pg_recvlogical pg_isready; do
    [[ -x $PGBIN/$b ]] || die "$PGBIN/$b not found"
done
command -v timeout >/dev/null 2>&1 || die "timeout(1) not found"

# Keep the caller's libpq settings out of our connections.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGOPTIONS PGSERVICE \
      PGSERVICEFILE PGPASSWORD PGPASSFILE PGSSLMODE PGTARGETSESSIONATTRS PGAPPNAME

# initdb and the server refuse to run as root: as root, the cluster belongs
# to the OS user postgres; otherwise to whoever runs the script.
if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "running as root needs an OS user 'postgres' to own the cluster"
    command -v runuser >/dev/null 2>&1 || die "runuser not found"
    OWNER=postgres
    as_owner() { runuser -u postgres -- "$@"; }
else
    OWNER=$(id -un)
    as_owner() { "$@"; }
fi

# ---------------------------------------------------------------- cluster --
WORK=$(mktemp -d "${BENCH_TMPDIR:-/tmp}/cellcdc-bench.XXXXXX")
DATA=$WORK/data
BG_PIDS=()            # background processes we started (killed on exit)

cleanup() {
    local rc=$? p pm
    set +e
    trap - EXIT INT TERM
    for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    if [[ -f $DATA/postmaster.pid ]]; then
        if ! as_owner "$PGBIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null 2>&1; then
            pm=$(head -n 1 "$DATA/postmaster.pid" 2>/dev/null)
            if [[ $pm =~ ^[0-9]+$ ]]; then
                kill -QUIT "$pm" 2>/dev/null
                sleep 2
            fi
        fi
    fi
    if (( rc != 0 )) && [[ -f $WORK/server.log ]]; then
        log "last lines of the server log:"
        tail -n 25 "$WORK/server.log" >&2
    fi
    cd /
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[[ $OWNER == "$(id -un)" ]] || chown "$OWNER" "$WORK"
chmod 700 "$WORK"
cd "$WORK"     # a cwd the cluster owner can enter

port_busy() {
    local rc=0
    if command -v ss >/dev/null 2>&1 && [[ -n $(ss -Htln "sport = :$1" 2>/dev/null) ]]; then
        return 0
    fi
    "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$1" -t 1 || rc=$?
    (( rc != 2 ))          # 2 = no response: nobody listens there
}
PORT=$FIRST_PORT
while port_busy "$PORT"; do
    PORT=$((PORT + 1))
    (( PORT < FIRST_PORT + 200 )) || die "no free port in $FIRST_PORT..$PORT"
done

log "initdb in $DATA (owner $OWNER), port $PORT"
if ! as_owner "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C \
        >"$WORK/initdb.log" 2>&1; then
    cat "$WORK/initdb.log" >&2
    die "initdb failed"
fi

DESCRIBE=$("$PGBIN/postgres" --describe-config 2>/dev/null || true)
cat >>"$DATA/postgresql.conf" <<EOF

# ---- bench/decode.sh ----
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$WORK'
wal_level = logical
max_replication_slots = 20
max_wal_senders = 20
shared_buffers = 1GB
max_wal_size = 8GB
checkpoint_timeout = 30min
fsync = off
synchronous_commit = off
logical_decoding_work_mem = 64MB
# no background vacuum/analyze competing for the 2 cores during timings
autovacuum = off
EOF
if grep -q output_plugin_libraries <<<"$DESCRIBE"; then
    echo "output_plugin_libraries = 'pgoutput, test_decoding, wal2json, decoderbufs, cellcdc'" \
        >>"$DATA/postgresql.conf"
fi
cat >"$DATA/pg_hba.conf" <<EOF
local   all          all                 trust
host    all          all   127.0.0.1/32  trust
host    replication  all   127.0.0.1/32  trust
EOF

as_owner "$PGBIN/pg_ctl" -D "$DATA" -l "$WORK/server.log" -w -t 120 start >/dev/null \
    || die "server did not start"

PSQL=("$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres)
sql() { "${PSQL[@]}" -d "$DB" "$@"; }
"${PSQL[@]}" -d postgres -c "create database $DB"
PGVERSION=$(sql -c "show server_version")
log "server $PGVERSION up"

# ------------------------------------------------------------------ setup --
sql <<'EOF'
create table bench(id int primary key, big bigint, txt text, num numeric(12,2),
                   ts timestamptz, flag bool, doc jsonb, uid uuid);
create publication bench_pub for table bench;
create publication empty_pub;

-- One decode pass, timed inside the server: the clock brackets exactly the
-- decoding query, so the measuring overhead is the same for every plugin.
create function bench_decode(p_slot name, p_upto pg_lsn, p_opts text[],
                             out secs float8, out nrows bigint, out nbytes bigint)
language plpgsql as $$
declare
    t0 timestamptz;
begin
    t0 := clock_timestamp();
    select count(*), coalesce(sum(octet_length(c.data)), 0)
      into nrows, nbytes
      from pg_logical_slot_peek_binary_changes(p_slot, p_upto, NULL, variadic p_opts) c;
    secs := extract(epoch from clock_timestamp() - t0)::float8;
end
$$;
EOF

HAVE_CELLCDC=0
CELLCDC_NOTE=""
if [[ -f $PKGLIBDIR/cellcdc.so ]]; then
    HAVE_CELLCDC=1
else
    CELLCDC_NOTE="cellcdc not installed ($PKGLIBDIR/cellcdc.so missing; run 'make install'): its rows are skipped"
    log "NOTE: $CELLCDC_NOTE"
fi

# Plugins whose slot could not be created: name -> error text.
declare -A SLOT_ERR=()
create_slot() {   # slot plugin
    local err
    if ! err=$(sql -c "select pg_create_logical_replication_slot('$1', '$2')" 2>&1 >/dev/null); then
        SLOT_ERR[$2]=$err
        log "ERROR: could not create slot $1 for $2: $err"
        return 1
    fi
}

log "creating slots"
create_slot s_td test_decoding
create_slot s_pgo pgoutput
create_slot s_w2j wal2json || true
create_slot s_dbufs decoderbufs || true
if (( HAVE_CELLCDC )); then create_slot s_cellcdc cellcdc || true; fi

# End of the WAL written so far, once it is flushed. pg_current_wal_lsn() is
# only the *write* position, and with synchronous_commit = off the last
# commits may not even be written yet, so take the insert position and wait
# until the flush position (how far decoding may read) has passed it.
wal_end() {
    local lsn i
    lsn=$(sql -c "select pg_current_wal_insert_lsn()")
    for ((i = 0; i < 600; i++)); do
        if [[ $(sql -c "select pg_current_wal_flush_lsn() >= '$lsn'") == t ]]; then
            echo "$lsn"
            return 0
        fi
        sleep 0.1
    done
    die "WAL was not flushed up to $lsn within 60 s"
}

# --------------------------------------------------------------- workload --
START_LSN=$(sql -c "select pg_current_wal_insert_lsn()")
log "workload: 200 txns x 1000 inserts, 100 x 1000 updates, 50 x 1000 deletes"
t0=$(date +%s.%N)
sql <<'EOF'
do $$
declare
    b int;
begin
    for b in 0..199 loop
        insert into bench
        select i, i::bigint * 1000003, 'customer-' || md5(i::text), (i * 1.37)::numeric(12,2),
               timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second', i % 2 = 0,
               jsonb_build_object('k', i, 'name', 'n' || i, 'tags', jsonb_build_array('a', 'b')),
               md5(i::text)::uuid
          from generate_series(b * 1000 + 1, b * 1000 + 1000) i;
        commit;
    end loop;
    for b in 0..99 loop
        update bench set num = num + 1, txt = txt || 'u', flag = not flag
         where id between b * 1000 + 1 and b * 1000 + 1000;
        commit;
    end loop;
    for b in 0..49 loop
        delete from bench where id between 150000 + b * 1000 + 1 and 150000 + b * 1000 + 1000;
        commit;
    end loop;
end
$$;
EOF
WAL_END=$(wal_end)
WAL_MB=$(sql -c "select round(pg_wal_lsn_diff('$WAL_END', '$START_LSN') / 1048576.0, 1)")
log "workload done in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s; WAL $START_LSN..$WAL_END ($WAL_MB MB)"

# ----------------------------------------------------------------- decode --
# Rows of the report: id -> label, slot, options (shown), options (SQL text[]).
ORDER=()
declare -A R_LABEL=() R_SLOT=() R_OPTS=() R_SQL=() R_TIMES=() R_ROWS=() R_BYTES=() R_ERR=()
add_row() {   # id label slot plugin shown-options sql-options
    ORDER+=("$1")
    R_LABEL[$1]=$2; R_SLOT[$1]=$3; R_OPTS[$1]=$5; R_SQL[$1]=$6
    R_TIMES[$1]=""; R_ROWS[$1]=""; R_BYTES[$1]=""
    R_ERR[$1]=${SLOT_ERR[$4]:-}
    [[ -z ${R_ERR[$1]} ]] || R_ERR[$1]="slot creation failed"
}
PGO="'proto_version','1','publication_names'"
add_row td        "test_decoding"   s_td     test_decoding "include-xids 0, skip-empty-xacts 1" \
        "array['include-xids','0','skip-empty-xacts','1']"
add_row pgo_text  "pgoutput text"   s_pgo    pgoutput "proto_version 1, publication_names bench_pub" \
        "array[$PGO,'bench_pub']"
add_row pgo_bin   "pgoutput binary" s_pgo    pgoutput "proto_version 1, publication_names bench_pub, binary true" \
        "array[$PGO,'bench_pub','binary','true']"
add_row w2j       "wal2json"        s_w2j    wal2json "format-version 2" "array['format-version','2']"
add_row dbufs     "decoderbufs"     s_dbufs  decoderbufs "(none)" "'{}'::text[]"
if (( HAVE_CELLCDC )); then
    add_row cellcdc "cellcdc"         s_cellcdc cellcdc "(none)" "'{}'::text[]"
    add_row floor   "floor: cellcdc"  s_cellcdc cellcdc "exclude_tables public.*" \
            "array['exclude_tables','public.*']"
fi
# Always shown: pure decoding cost of the server (pgoutput publishing nothing).
# Without cellcdc it is the floor the brief asks for.
add_row floor_pgo "floor: pgoutput, empty publication" s_pgo pgoutput \
        "proto_version 1, publication_names empty_pub" "array[$PGO,'empty_pub']"

decode_pass() {   # id timed(0/1)
    local id=$1 timed=$2 out secs rows bytes
    [[ -z ${R_ERR[$id]} ]] || return 0
    if ! out=$(sql -F ' ' -c "select secs, nrows, nbytes from bench_decode('${R_SLOT[$id]}', '$WAL_END', ${R_SQL[$id]})" \
                2>"$WORK/decode.err"); then
        log "ERROR: ${R_LABEL[$id]}: $(tr '\n' ' ' <"$WORK/decode.err")"
        R_ERR[$id]=$(grep -m 1 . "$WORK/decode.err" || echo "psql failed")
        return 0
    fi
    read -r secs rows bytes <<<"$out"
    if [[ -n ${R_ROWS[$id]} && ( ${R_ROWS[$id]} != "$rows" || ${R_BYTES[$id]} != "$bytes" ) ]]; then
        log "WARNING: ${R_LABEL[$id]}: output changed between passes ($rows rows/$bytes bytes vs ${R_ROWS[$id]}/${R_BYTES[$id]})"
    fi
    R_ROWS[$id]=$rows; R_BYTES[$id]=$bytes
    if (( timed )); then
        R_TIMES[$id]+="$secs "
        log "  ${R_LABEL[$id]}: $(printf '%.3f' "$secs") s, $rows rows, $bytes bytes"
    fi
}

# Passes are interleaved (one pass of every plugin per round) so that drift
# in machine load or cache state is spread over all plugins alike.
for ((r = 1; r <= WARMUP; r++)); do
    log "warm-up pass $r/$WARMUP"
    for id in "${ORDER[@]}"; do decode_pass "$id" 0; done
done
for ((r = 1; r <= RUNS; r++)); do
    log "timed pass $r/$RUNS"
    for id in "${ORDER[@]}"; do decode_pass "$id" 1; done
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{ if (NR % 2) printf "%.3f", a[(NR+1)/2]; else printf "%.3f", (a[NR/2]+a[NR/2+1])/2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a != "" && b != "" && b+0 > 0) printf "%.2f", a/b; else printf "n/a" }'; }

declare -A R_MED=()
for id in "${ORDER[@]}"; do
    # shellcheck disable=SC2086  # word splitting of the run list is intended
    [[ -n ${R_ERR[$id]} || -z ${R_TIMES[$id]} ]] || R_MED[$id]=$(median ${R_TIMES[$id]})
done

expect_td=$((NCHANGES + 2 * NTXNS))
if [[ -n ${R_ROWS[td]} && ${R_ROWS[td]} != "$expect_td" ]]; then
    log "WARNING: test_decoding emitted ${R_ROWS[td]} rows, expected $expect_td ($NCHANGES changes + BEGIN/COMMIT per txn)"
fi
if (( HAVE_CELLCDC )) && [[ -n ${R_ROWS[floor]} && ${R_ROWS[floor]} != 0 ]]; then
    log "WARNING: the cellcdc floor emitted ${R_ROWS[floor]} rows; exclude_tables=public.* should emit none"
fi

C_MED=${R_MED[cellcdc]:-}
C_BYTES=""
[[ -n ${R_ERR[cellcdc]:-} ]] || C_BYTES=${R_BYTES[cellcdc]:-}

echo "## Decode: $NCHANGES changes in $NTXNS transactions ($WAL_MB MB of WAL), PostgreSQL $PGVERSION"
echo
echo "Median of $RUNS timed passes (after $WARMUP warm-up) of pg_logical_slot_peek_binary_changes, timed in the server."
echo "Ratios: time = plugin s / cellcdc s and size = plugin bytes / cellcdc bytes; > 1 means cellcdc is faster / smaller."
[[ -z $CELLCDC_NOTE ]] || echo "NOTE: $CELLCDC_NOTE; ratios are n/a."
echo
echo "| plugin | options | median s | runs (s) | rows | bytes/change | time ratio to cellcdc | size ratio to cellcdc |"
echo "|---|---|---:|---|---:|---:|---:|---:|"
for id in "${ORDER[@]}"; do
    if [[ -n ${R_ERR[$id]} ]]; then
        echo "| ${R_LABEL[$id]} | ${R_OPTS[$id]} | ERROR | ${R_ERR[$id]//|/\\|} | | | | |"
        continue
    fi
    runs=$(for t in ${R_TIMES[$id]}; do printf '%.3f ' "$t"; done)
    bpc=$(awk -v b="${R_BYTES[$id]}" -v n="$NCHANGES" 'BEGIN{printf "%.1f", b/n}')
    echo "| ${R_LABEL[$id]} | ${R_OPTS[$id]} | ${R_MED[$id]:-n/a} | ${runs% } | ${R_ROWS[$id]} | $bpc | $(ratio "${R_MED[$id]:-}" "$C_MED") | $(ratio "${R_BYTES[$id]}" "$C_BYTES") |"
done
echo
echo "Targets:"
if [[ -z $C_MED ]]; then
    echo "- cellcdc at least 1.5x faster than pgoutput text: N/A (no cellcdc result)"
    echo "- cellcdc bytes/change <= pgoutput binary: N/A (no cellcdc result)"
else
    t=$(ratio "${R_MED[pgo_text]:-}" "$C_MED")
    if [[ $t != n/a ]] && awk -v t="$t" 'BEGIN{exit !(t >= 1.5)}'; then v=PASS; else v=FAIL; fi
    echo "- cellcdc at least 1.5x faster than pgoutput text: $v (pgoutput text ${R_MED[pgo_text]:-n/a} s / cellcdc $C_MED s = ${t}x)"
    pb=${R_BYTES[pgo_bin]:-}
    [[ -z ${R_ERR[pgo_bin]} ]] || pb=""
    if [[ -n $pb ]] && (( C_BYTES <= pb )); then v=PASS; else v=FAIL; fi
    echo "- cellcdc bytes/change <= pgoutput binary: $v (cellcdc $(awk -v b="$C_BYTES" -v n="$NCHANGES" 'BEGIN{printf "%.1f", b/n}'), pgoutput binary $(awk -v b="$pb" -v n="$NCHANGES" 'BEGIN{ if (b == "") printf "n/a"; else printf "%.1f", b/n}'))"
fi

# ----------------------------------------------------------------- memory --
MEM_ORDER=()
declare -A M_LABEL=() M_PEAK=() M_LAST=() M_WALL=() M_ERR=()
if [[ $SKIP_MEM == 1 ]]; then
    log "SKIP_MEM=1: skipping the memory part"
else
    log "memory: creating table big and its slots"
    sql -c "create table big(id int primary key, a text, b int, c timestamptz)" \
        -c "create publication big_pub for table big"
    declare -A M_SLOT=() M_ARGS=()
    add_mem() {   # id label slot plugin pg_recvlogical-options...
        local id=$1 label=$2 slot=$3 plugin=$4
        shift 4
        MEM_ORDER+=("$id"); M_LABEL[$id]=$label; M_SLOT[$id]=$slot; M_ARGS[$id]="$*"
        M_ERR[$id]=""
        create_slot "$slot" "$plugin" || M_ERR[$id]="slot creation failed"
    }
    add_mem td "test_decoding" m_td test_decoding -o include-xids=0 -o skip-empty-xacts=1
    if (( HAVE_CELLCDC )); then add_mem cellcdc "cellcdc" m_cellcdc cellcdc; fi
    add_mem pgo "pgoutput (extra)" m_pgo pgoutput -o proto_version=1 -o publication_names=big_pub

    log "memory: one transaction inserting 1,000,000 rows into big"
    sql -c "insert into big select i, 'row number ' || i, i % 1000, now() from generate_series(1, 1000000) i"
    MEM_END=$(wal_end)

    mem_run() {   # id
        local id=$1 slot=${M_SLOT[$1]} t0 t1 rpid wpid="" peak=0 last=0 k v rest rc=0 p keep=()
        # shellcheck disable=SC2206  # the option list is split on purpose
        local opts=(${M_ARGS[$id]})
        log "memory: pg_recvlogical through ${M_LABEL[$id]}"
        t0=$(date +%s.%N)
        timeout 300 "$PGBIN/pg_recvlogical" --no-loop -d "host=127.0.0.1 port=$PORT dbname=$DB user=postgres" \
            --slot "$slot" --start --endpos="$MEM_END" -f /dev/null "${opts[@]}" \
            2>"$WORK/recv_$slot.log" &
        rpid=$!
        BG_PIDS+=("$rpid")
        while kill -0 "$rpid" 2>/dev/null; do
            if [[ -z $wpid ]]; then
                wpid=$(sql -c "select active_pid from pg_replication_slots where slot_name = '$slot' and active_pid is not null" 2>/dev/null || true)
                if [[ -z $wpid ]]; then sleep 0.01; continue; fi
            fi
            { while read -r k v rest; do
                  if [[ $k == RssAnon: ]]; then
                      if (( v > peak )); then peak=$v; fi
                      last=$v
                      break
                  fi
              done <"/proc/$wpid/status"; } 2>/dev/null || true
            sleep 0.05
        done
        wait "$rpid" || rc=$?
        t1=$(date +%s.%N)
        for p in "${BG_PIDS[@]}"; do [[ $p == "$rpid" ]] || keep+=("$p"); done
        BG_PIDS=("${keep[@]}")
        if (( rc != 0 )); then
            log "ERROR: ${M_LABEL[$id]}: pg_recvlogical exit $rc: $(tr '\n' ' ' <"$WORK/recv_$slot.log")"
            M_ERR[$id]="pg_recvlogical exit $rc: $(grep -m 1 . "$WORK/recv_$slot.log" || true)"
            return 0
        fi
        if (( peak == 0 )); then
            M_ERR[$id]="walsender not sampled (finished before its pid was found)"
            log "ERROR: ${M_LABEL[$id]}: ${M_ERR[$id]}"
            return 0
        fi
        M_PEAK[$id]=$peak
        M_LAST[$id]=$last
        M_WALL[$id]=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}')
        log "  ${M_LABEL[$id]}: peak RssAnon $peak kB, last $last kB, ${M_WALL[$id]} s"
    }
    for id in "${MEM_ORDER[@]}"; do
        [[ -n ${M_ERR[$id]} ]] || mem_run "$id"
    done

    echo
    echo "## Memory: walsender streaming one 1,000,000-row transaction (pg_recvlogical to /dev/null)"
    echo
    echo "Peak RssAnon of the walsender, sampled every 0.05 s from /proc/<pid>/status; logical_decoding_work_mem = 64MB."
    echo "The peak is usually reached while the reorder buffer fills and spills, before the plugin sees the transaction;"
    echo "the last sample is taken after the plugin has replayed all 1,000,000 changes, so memory it keeps shows there."
    [[ -z $CELLCDC_NOTE ]] || echo "NOTE: $CELLCDC_NOTE."
    echo
    echo "| plugin | peak walsender RssAnon kB | wall s | ratio to test_decoding | last sample RssAnon kB |"
    echo "|---|---:|---:|---:|---:|"
    for id in "${MEM_ORDER[@]}"; do
        if [[ -n ${M_ERR[$id]} ]]; then
            echo "| ${M_LABEL[$id]} | ERROR | ${M_ERR[$id]//|/\\|} | | |"
        else
            echo "| ${M_LABEL[$id]} | ${M_PEAK[$id]} | ${M_WALL[$id]} | $(ratio "${M_PEAK[$id]}" "${M_PEAK[td]:-}") | ${M_LAST[$id]} |"
        fi
    done
    echo
    echo "Target (2% tolerance on test_decoding's peak for sampling noise):"
    if [[ -z ${M_PEAK[cellcdc]:-} || -z ${M_PEAK[td]:-} ]]; then
        echo "- cellcdc peak <= test_decoding peak: N/A (no cellcdc or test_decoding result)"
    else
        if awk -v c="${M_PEAK[cellcdc]}" -v t="${M_PEAK[td]}" 'BEGIN{exit !(c <= t * 1.02)}'; then v=PASS; else v=FAIL; fi
        echo "- cellcdc peak <= test_decoding peak (+2%): $v (cellcdc ${M_PEAK[cellcdc]} kB, test_decoding ${M_PEAK[td]} kB)"
    fi
fi

# ------------------------------------------------------------------- exit --
nerr=0
for id in "${ORDER[@]}"; do [[ -z ${R_ERR[$id]} ]] || nerr=$((nerr + 1)); done
for id in "${MEM_ORDER[@]}"; do [[ -z ${M_ERR[$id]} ]] || nerr=$((nerr + 1)); done
if (( nerr > 0 )); then
    die "$nerr measurement(s) failed (see ERROR rows above)"
fi
log "done"

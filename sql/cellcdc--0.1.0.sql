-- cellcdc 0.1.0: the SQL side of the cellcdc output plugin.
-- The plugin itself needs no SQL; this adds a record renderer, a status view
-- of the slots that use the plugin, and a check of output_plugin_libraries.

\echo Use "CREATE EXTENSION cellcdc" to load this file. \quit

CREATE FUNCTION render(record bytea, stable boolean DEFAULT false)
RETURNS text
AS 'MODULE_PATHNAME', 'cellcdc_render'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION render(bytea, boolean) IS
'One cellcdc record as a readable line; stable => true leaves out xids, LSNs, times and OIDs';

CREATE VIEW status AS
SELECT s.slot_name,
       s.database,
       s.active,
       s.active_pid,
       s.restart_lsn,
       s.confirmed_flush_lsn,
       pg_catalog.pg_wal_lsn_diff(w.lsn, s.restart_lsn)::bigint AS retained_wal_bytes,
       pg_catalog.pg_wal_lsn_diff(w.lsn, s.confirmed_flush_lsn)::bigint AS lag_bytes,
       r.flush_lag,
       s.wal_status,
       s.safe_wal_size,
       t.spill_bytes,
       t.total_txns,
       t.total_bytes
FROM pg_catalog.pg_replication_slots s
CROSS JOIN LATERAL (
    SELECT CASE WHEN pg_catalog.pg_is_in_recovery()
                THEN pg_catalog.pg_last_wal_receive_lsn()
                ELSE pg_catalog.pg_current_wal_lsn() END AS lsn) w
LEFT JOIN pg_catalog.pg_stat_replication r ON r.pid = s.active_pid
LEFT JOIN pg_catalog.pg_stat_replication_slots t ON t.slot_name = s.slot_name
WHERE s.plugin = 'cellcdc' AND s.slot_type = 'logical';

COMMENT ON VIEW status IS
'Slots that use the cellcdc plugin: activity, confirmed position, retained WAL and lag';

REVOKE ALL ON status FROM PUBLIC;
GRANT SELECT ON status TO pg_monitor;

-- PostgreSQL 15.19+ refuses output plugins not listed in output_plugin_libraries.
DO $check$
DECLARE
    libs text := pg_catalog.current_setting('output_plugin_libraries', true);
    items text[];
BEGIN
    IF libs IS NULL THEN
        RETURN;     -- a server without the setting accepts any plugin
    END IF;
    items := pg_catalog.regexp_split_to_array(pg_catalog.btrim(libs), '\s*,\s*');
    items := array(SELECT pg_catalog.btrim(i, '" ') FROM pg_catalog.unnest(items) i WHERE pg_catalog.btrim(i, '" ') <> '');
    IF 'cellcdc' = ANY (items) OR '$libdir/cellcdc' = ANY (items) THEN
        RETURN;
    END IF;
    items := items || 'cellcdc'::text;
    RAISE WARNING 'output_plugin_libraries (now %) does not list cellcdc: slots using the cellcdc plugin will be refused',
        pg_catalog.quote_literal(libs)
        USING HINT = pg_catalog.format(
            'Set output_plugin_libraries = %s in postgresql.conf, or run ALTER SYSTEM SET output_plugin_libraries = %s; then SELECT pg_reload_conf();',
            pg_catalog.quote_literal(pg_catalog.array_to_string(items, ', ')),
            (SELECT pg_catalog.string_agg(pg_catalog.quote_literal(i), ', ') FROM pg_catalog.unnest(items) i));
END
$check$;

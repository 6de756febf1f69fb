-- cellcdc 0.1.0: the SQL side of the cellcdc output plugin.
-- The plugin itself needs no SQL; this adds a record renderer, a status view
-- of the slots that use the plugin, and a check of output_plugin_libraries.
--
-- CREATE EXTENSION runs this as a superuser with search_path = cellcdc.
-- The guard below runs before the schema is known to be safe, so it
-- qualifies every name and operator it uses: nothing planted in the schema
-- may be picked.

\echo Use "CREATE EXTENSION cellcdc" to load this file. \quit

-- CREATE EXTENSION creates schema cellcdc, or uses the one that exists.  A
-- schema that a non-superuser owns, may create in, or has put objects in
-- could hold an overload of render() that then runs with the privileges of
-- whoever calls it: refuse it.
DO $guard$
DECLARE
    owner name;
    unsafe text;
BEGIN
    SELECT r.rolname INTO owner
      FROM pg_catalog.pg_namespace n
      JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner
     WHERE n.nspname OPERATOR(pg_catalog.=) 'cellcdc'::pg_catalog.name;
    SELECT CASE WHEN x.role OPERATOR(pg_catalog.=) 0::pg_catalog.oid THEN 'PUBLIC'::pg_catalog.text
                ELSE pg_catalog.format('Role "%s"', r.rolname) END
           OPERATOR(pg_catalog.||) ' '::pg_catalog.text OPERATOR(pg_catalog.||) x.what
      INTO unsafe
      FROM (SELECT n.nspowner AS role, 'owns it'::pg_catalog.text AS what
              FROM pg_catalog.pg_namespace n
             WHERE n.nspname OPERATOR(pg_catalog.=) 'cellcdc'::pg_catalog.name
            UNION ALL
            SELECT a.grantee, 'may create objects in it'::pg_catalog.text
              FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a
             WHERE n.nspname OPERATOR(pg_catalog.=) 'cellcdc'::pg_catalog.name
               AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'::pg_catalog.text
            UNION ALL
            SELECT p.proowner, pg_catalog.format('owns function cellcdc.%I(%s) in it', p.proname,
                                                 pg_catalog.pg_get_function_identity_arguments(p.oid))
              FROM pg_catalog.pg_proc p
             WHERE p.pronamespace OPERATOR(pg_catalog.=) 'cellcdc'::pg_catalog.regnamespace
            UNION ALL
            SELECT o.oprowner, pg_catalog.format('owns operator cellcdc.%s in it', o.oprname)
              FROM pg_catalog.pg_operator o
             WHERE o.oprnamespace OPERATOR(pg_catalog.=) 'cellcdc'::pg_catalog.regnamespace
            UNION ALL
            SELECT c.relowner, pg_catalog.format('owns relation cellcdc.%I in it', c.relname)
              FROM pg_catalog.pg_class c
             WHERE c.relnamespace OPERATOR(pg_catalog.=) 'cellcdc'::pg_catalog.regnamespace
            UNION ALL
            SELECT t.typowner, pg_catalog.format('owns type cellcdc.%I in it', t.typname)
              FROM pg_catalog.pg_type t
             WHERE t.typnamespace OPERATOR(pg_catalog.=) 'cellcdc'::pg_catalog.regnamespace) x
      LEFT JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) x.role
     WHERE r.rolsuper IS NOT TRUE
     LIMIT 1;
    IF unsafe IS NOT NULL THEN
        RAISE EXCEPTION 'schema "cellcdc" already exists, owned by role "%", and is not safe to install into', owner
            USING ERRCODE = 'duplicate_schema',
                  DETAIL = unsafe OPERATOR(pg_catalog.||) '.  CREATE EXTENSION cellcdc installs into that schema as it is, and an object that a role other than a superuser placed there could run with the privileges of whoever calls cellcdc.render().',
                  HINT = 'Check what schema cellcdc holds, then drop it (DROP SCHEMA cellcdc CASCADE) or rename it (ALTER SCHEMA cellcdc RENAME TO ...), and run CREATE EXTENSION cellcdc again.';
    END IF;
END
$guard$;

-- render() is for everyone and status for pg_monitor: both need the schema.
-- Every other function added here must REVOKE EXECUTE ... FROM PUBLIC.
GRANT USAGE ON SCHEMA cellcdc TO PUBLIC;

-- VOLATILE: the output depends on the RELATION records this session has
-- rendered before.  PARALLEL RESTRICTED: that memory is the backend's own.
CREATE FUNCTION render(record bytea, stable boolean DEFAULT false)
RETURNS text
AS 'MODULE_PATHNAME', 'cellcdc_render'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED
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
-- The setting reads back as a list: elements separated by commas, quoted
-- with "..." when they contain anything unusual (a comma, "$", "/"), "" for
-- a quote.  A quoted element with a comma in it is the known mistake of
-- ALTER SYSTEM SET output_plugin_libraries = 'pgoutput, cellcdc': one
-- library name, which matches no plugin.
DO $check$
DECLARE
    libs text := pg_catalog.current_setting('output_plugin_libraries', true);
    items text[];
    fixed text[] := '{}';
    item text;
    part text;
    merged text;
    hint text;
BEGIN
    IF libs IS NULL THEN
        RETURN;     -- a server without the setting accepts any plugin
    END IF;
    items := array(
        SELECT CASE WHEN m[1] LIKE '"%'
                    THEN pg_catalog.replace(pg_catalog.substr(m[1], 2, pg_catalog.length(m[1]) - 2), '""', '"')
                    ELSE m[1] END
          FROM pg_catalog.regexp_matches(libs, '\s*("(?:[^"]|"")*"|[^",]*[^",\s])\s*(?:,|$)', 'g') m);
    IF 'cellcdc'::text = ANY (items) OR '$libdir/cellcdc'::text = ANY (items) THEN
        RETURN;
    END IF;

    -- what was meant: every element split at its commas, then cellcdc
    FOREACH item IN ARRAY items LOOP
        IF merged IS NULL AND pg_catalog.strpos(item, ',') > 0 THEN
            merged := item;
        END IF;
        FOREACH part IN ARRAY pg_catalog.regexp_split_to_array(pg_catalog.btrim(item), '\s*,\s*') LOOP
            IF part <> '' AND NOT part = ANY (fixed) THEN
                fixed := fixed || part;
            END IF;
        END LOOP;
    END LOOP;
    IF NOT ('cellcdc'::text = ANY (fixed) OR '$libdir/cellcdc'::text = ANY (fixed)) THEN
        fixed := fixed || 'cellcdc'::text;
    END IF;

    hint := pg_catalog.format(
        'Set output_plugin_libraries = %s in postgresql.conf, or run ALTER SYSTEM SET output_plugin_libraries = %s; then SELECT pg_reload_conf();',
        pg_catalog.quote_literal(pg_catalog.array_to_string(fixed, ', ')),
        (SELECT pg_catalog.string_agg(pg_catalog.quote_literal(i), ', ') FROM pg_catalog.unnest(fixed) i));
    IF merged IS NULL THEN
        RAISE WARNING 'output_plugin_libraries (now %) does not list cellcdc: slots using the cellcdc plugin will be refused',
            pg_catalog.quote_literal(libs)
            USING HINT = hint;
    ELSE
        RAISE WARNING 'output_plugin_libraries (now %) does not list cellcdc: slots using the cellcdc plugin will be refused',
            pg_catalog.quote_literal(libs)
            USING DETAIL = pg_catalog.format('Its element %s is one library name with commas in it: it was given as one quoted string.',
                                             pg_catalog.quote_ident(merged)),
                  HINT = hint;
    END IF;
END
$check$;

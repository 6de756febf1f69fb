-- cellcdc 0.1.0 -> 0.2.0: the snapshot encoders, and incremental snapshot requests.

\echo Use "ALTER EXTENSION cellcdc UPDATE" to load this file. \quit

-- The snapshot encoders: a table's rows as the records the output plugin
-- writes, for a snapshot reader (the shipper) that renders them as it
-- renders streamed changes.  They encode only what the caller passes in or
-- may read in the catalog: no privilege is needed beyond reading the table.
-- snapshot_row() resolves no names, so it needs no pinned search_path,
-- which would cost a GUC save on each of millions of calls.
CREATE FUNCTION snapshot_relation(tbl regclass, exclude_columns text DEFAULT '')
RETURNS bytea
AS 'MODULE_PATHNAME', 'cellcdc_snapshot_relation'
LANGUAGE C STRICT STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION snapshot_relation(regclass, text) IS
'The RELATION record of a table, as the cellcdc plugin writes it (exclude_columns: the plugin option)';

CREATE FUNCTION snapshot_row(row_value record, exclude_columns text DEFAULT '')
RETURNS bytea
AS 'MODULE_PATHNAME', 'cellcdc_snapshot_row'
LANGUAGE C STRICT STABLE PARALLEL SAFE;

COMMENT ON FUNCTION snapshot_row(record, text) IS
'A table row (pass the whole row: SELECT cellcdc.snapshot_row(t) FROM tbl t) as the INSERT record the cellcdc plugin writes';


-- Incremental snapshots, asked of the shippers that stream this database:
-- a transactional logical decoding message (prefix cellcdc.snapshot) that
-- each shipper finds in its stream once the transaction commits.  slot
-- names one shipper; NULL asks every shipper that captures the table.  The
-- filter runs in the shipper's session: these are for the roles that may
-- read what the shipper reads (EXECUTE is granted to nobody by default).
CREATE FUNCTION request_snapshot(tbl regclass, filter text DEFAULT NULL, slot name DEFAULT NULL)
RETURNS pg_lsn
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rel record;
BEGIN
    SELECT n.nspname, c.relname, c.relkind INTO rel
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = tbl;
    IF rel.relkind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION 'cellcdc: % is not a table', tbl USING ERRCODE = 'wrong_object_type';
    END IF;
    IF filter IS NOT NULL THEN
        IF strpos(filter, ';') > 0 THEN
            RAISE EXCEPTION 'cellcdc: the filter must be one SQL condition on the rows of %, without ";"', tbl
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        -- an error here names what is wrong with the filter, before any shipper sees it
        EXECUTE format('SELECT FROM ONLY %s t WHERE (%s) LIMIT 0', tbl, filter);
    END IF;
    RETURN pg_logical_emit_message(true, 'cellcdc.snapshot',
        json_build_object('action', 'execute', 'schema', rel.nspname, 'table', rel.relname,
                          'filter', filter, 'slot', slot)::text);
END
$$;

COMMENT ON FUNCTION request_snapshot(regclass, text, name) IS
'Ask the shippers streaming this database (or the one of slot) for an incremental snapshot of tbl, rows matching filter';

CREATE FUNCTION stop_snapshot(tbl regclass DEFAULT NULL, slot name DEFAULT NULL)
RETURNS pg_lsn
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT pg_logical_emit_message(true, 'cellcdc.snapshot',
    json_build_object('action', 'stop',
                      'schema', (SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = tbl),
                      'table', (SELECT c.relname FROM pg_class c WHERE c.oid = tbl),
                      'slot', slot)::text)
$$;

COMMENT ON FUNCTION stop_snapshot(regclass, name) IS
'Stop the incremental snapshots of tbl (NULL: all) in the shippers streaming this database (or the one of slot)';

CREATE FUNCTION pause_snapshots(slot name DEFAULT NULL)
RETURNS pg_lsn
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT pg_logical_emit_message(true, 'cellcdc.snapshot',
    json_build_object('action', 'pause', 'slot', slot)::text)
$$;

CREATE FUNCTION resume_snapshots(slot name DEFAULT NULL)
RETURNS pg_lsn
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT pg_logical_emit_message(true, 'cellcdc.snapshot',
    json_build_object('action', 'resume', 'slot', slot)::text)
$$;

REVOKE EXECUTE ON FUNCTION request_snapshot(regclass, text, name), stop_snapshot(regclass, name),
    pause_snapshots(name), resume_snapshots(name) FROM PUBLIC;


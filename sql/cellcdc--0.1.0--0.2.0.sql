-- cellcdc 0.1.0 -> 0.2.0: the snapshot encoders.

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


-- The extension: its objects, their privileges and pinned search_path, the
-- refusal of a schema cellcdc that others could have filled, and the
-- warning when output_plugin_libraries does not list cellcdc.

-- A schema cellcdc made beforehand is refused while a role that is not a
-- superuser owns it, may create in it, or owns something in it: a planted
-- render(text, boolean) would catch cellcdc.render('\x...') calls.
CREATE ROLE regress_cellcdc_other;
CREATE ROLE regress_cellcdc_admin SUPERUSER;
CREATE SCHEMA cellcdc AUTHORIZATION regress_cellcdc_other;
SET ROLE regress_cellcdc_other;
CREATE FUNCTION cellcdc.render(text, boolean DEFAULT false) RETURNS text
LANGUAGE sql AS $$SELECT 'planted'$$;
RESET ROLE;
CREATE EXTENSION cellcdc;
ALTER SCHEMA cellcdc OWNER TO regress_cellcdc_admin;
CREATE EXTENSION cellcdc;
DROP FUNCTION cellcdc.render(text, boolean);
GRANT CREATE ON SCHEMA cellcdc TO regress_cellcdc_other;
CREATE EXTENSION cellcdc;
REVOKE CREATE ON SCHEMA cellcdc FROM regress_cellcdc_other;
GRANT CREATE ON SCHEMA cellcdc TO PUBLIC;
CREATE EXTENSION cellcdc;
REVOKE CREATE ON SCHEMA cellcdc FROM PUBLIC;
-- an empty schema owned by a superuser is fine
CREATE EXTENSION cellcdc;
DROP EXTENSION cellcdc;
DROP SCHEMA cellcdc;
DROP ROLE regress_cellcdc_admin;

-- Servers before 15.19 have no output_plugin_libraries and accept any plugin.
SELECT current_setting('output_plugin_libraries', true) IS NOT NULL AS has_plugin_list \gset
\if :has_plugin_list
SET output_plugin_libraries = pgoutput, test_decoding;
CREATE EXTENSION cellcdc;
DROP EXTENSION cellcdc;
-- one quoted element with a comma in it names no plugin: the known mistake
SET output_plugin_libraries = 'pgoutput, cellcdc';
CREATE EXTENSION cellcdc;
DROP EXTENSION cellcdc;
SET output_plugin_libraries = pgoutput, "$libdir/cellcdc";
CREATE EXTENSION cellcdc;
DROP EXTENSION cellcdc;
RESET output_plugin_libraries;
\endif

CREATE EXTENSION cellcdc;

SELECT e.extname, e.extversion, n.nspname
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname = 'cellcdc';

SELECT pg_describe_object(classid, objid, 0) AS object
FROM pg_depend
WHERE refclassid = 'pg_extension'::regclass
  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'cellcdc')
ORDER BY 1;

-- every function pins its search_path, but snapshot_row: it resolves no
-- names, and runs once per row, where a SET clause would cost a GUC save each
SELECT p.oid::regprocedure, p.proconfig
FROM pg_proc p WHERE p.pronamespace = 'cellcdc'::regnamespace ORDER BY 1;

-- snapshot requests run a filter in the shipper's session: nobody by default
SELECT has_function_privilege('public', 'cellcdc.request_snapshot(regclass, text, name)', 'EXECUTE')
       AS request_public,
       has_function_privilege('public', 'cellcdc.snapshot_row(record, text)', 'EXECUTE')
       AS encode_public;

-- render() remembers RELATION records between calls, in this backend only
SELECT provolatile, proparallel FROM pg_proc
WHERE oid = 'cellcdc.render(bytea, boolean)'::regprocedure;

-- render() is for everyone, the status view for monitors; nobody else may
-- create objects in the schema
SELECT has_schema_privilege('public', 'cellcdc', 'USAGE') AS schema_public,
       has_schema_privilege('public', 'cellcdc', 'CREATE') AS create_public,
       has_function_privilege('public', 'cellcdc.render(bytea, boolean)', 'EXECUTE') AS render_public,
       has_table_privilege('public', 'cellcdc.status', 'SELECT') AS status_public,
       has_table_privilege('pg_monitor', 'cellcdc.status', 'SELECT') AS status_monitor;

-- a slot can be created, and is then in the status view
SELECT 'init' FROM pg_create_logical_replication_slot('regression_slot', 'cellcdc');
SELECT slot_name, plugin, slot_type FROM pg_replication_slots;

-- what a member of pg_monitor and an ordinary role may do
CREATE ROLE regress_cellcdc_monitor IN ROLE pg_monitor;
SET ROLE regress_cellcdc_monitor;
SELECT slot_name, active FROM cellcdc.status;
SET ROLE regress_cellcdc_other;
SELECT cellcdc.render('\x420100000000016b374800000000000000000000002a', true);
SELECT slot_name, active FROM cellcdc.status;
RESET ROLE;
DROP ROLE regress_cellcdc_monitor;
DROP ROLE regress_cellcdc_other;

SELECT pg_drop_replication_slot('regression_slot');

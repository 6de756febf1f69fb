-- The extension: its objects, their privileges and pinned search_path, and
-- the warning when output_plugin_libraries does not list cellcdc.

-- Servers before 15.19 have no output_plugin_libraries and accept any plugin.
SELECT current_setting('output_plugin_libraries', true) IS NOT NULL AS has_plugin_list \gset
\if :has_plugin_list
SET output_plugin_libraries = pgoutput, test_decoding;
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

-- every function pins its search_path
SELECT p.oid::regprocedure, p.proconfig
FROM pg_proc p WHERE p.pronamespace = 'cellcdc'::regnamespace ORDER BY 1;

-- render() is a pure function of its argument; the status view is for monitors
SELECT has_function_privilege('public', 'cellcdc.render(bytea, boolean)', 'EXECUTE') AS render_public,
       has_table_privilege('public', 'cellcdc.status', 'SELECT') AS status_public,
       has_table_privilege('pg_monitor', 'cellcdc.status', 'SELECT') AS status_monitor;

-- a slot can be created and dropped
SELECT 'init' FROM pg_create_logical_replication_slot('regression_slot', 'cellcdc');
SELECT slot_name, plugin, slot_type FROM pg_replication_slots;
SELECT pg_drop_replication_slot('regression_slot');

-- An installed 0.1.0 updates to the current version and then has exactly
-- the objects, privileges and settings of a fresh install.
CREATE DATABASE cellcdc_upgrade;
\c cellcdc_upgrade
SET client_min_messages = error;
CREATE EXTENSION cellcdc VERSION '0.1.0';
ALTER EXTENSION cellcdc UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'cellcdc';
CREATE TEMP TABLE updated AS
SELECT pg_describe_object(d.classid, d.objid, 0) AS object, p.proconfig, p.proacl::text AS acl
FROM pg_depend d LEFT JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
WHERE d.refclassid = 'pg_extension'::regclass
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'cellcdc');
DROP EXTENSION cellcdc;
CREATE EXTENSION cellcdc;
SELECT count(*) AS objects,
       count(*) FILTER (WHERE (u.object, u.proconfig, u.acl) IS DISTINCT FROM (f.object, f.proconfig, f.acl)) AS differ
FROM updated u
FULL JOIN (SELECT pg_describe_object(d.classid, d.objid, 0) AS object, p.proconfig, p.proacl::text AS acl
           FROM pg_depend d LEFT JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
           WHERE d.refclassid = 'pg_extension'::regclass
             AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'cellcdc')) f
  USING (object);
\c contrib_regression
DROP DATABASE cellcdc_upgrade;

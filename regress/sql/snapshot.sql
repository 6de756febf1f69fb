-- The snapshot encoders: rows as the records the plugin streams, with
-- dropped and excluded columns, out-of-line values, and clear errors.
CREATE TABLE snap (id int PRIMARY KEY, gone text, secret text, big text, n numeric(6,2));
ALTER TABLE snap DROP COLUMN gone;
ALTER TABLE snap ALTER big SET STORAGE EXTERNAL;
SELECT 'init' FROM pg_create_logical_replication_slot('snap_slot', 'cellcdc');
INSERT INTO snap VALUES (1, 's1', NULL, 1.5),
  (2, 's2', (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 400) i), -2);
SELECT pg_relation_size(reltoastrelid) > 0 AS big_is_out_of_line FROM pg_class WHERE oid = 'snap'::regclass;

-- byte for byte what streaming wrote, with and without excluded columns
SELECT count(*) AS rows_compared, count(*) FILTER (WHERE s.data IS DISTINCT FROM r.data) AS differ
FROM (SELECT data, row_number() OVER () AS n
      FROM pg_logical_slot_peek_binary_changes('snap_slot', NULL, NULL)
      WHERE get_byte(data, 0) = ascii('I')) s
FULL JOIN (SELECT cellcdc.snapshot_row(t) AS data, row_number() OVER (ORDER BY id) AS n
           FROM snap t) r USING (n);
SELECT count(*) AS rows_compared, count(*) FILTER (WHERE s.data IS DISTINCT FROM r.data) AS differ
FROM (SELECT data, row_number() OVER () AS n
      FROM pg_logical_slot_peek_binary_changes('snap_slot', NULL, NULL,
                                               'exclude_columns', 'public.snap.secret')
      WHERE get_byte(data, 0) = ascii('I')) s
FULL JOIN (SELECT cellcdc.snapshot_row(t, 'public.snap.secret') AS data,
                  row_number() OVER (ORDER BY id) AS n
           FROM snap t) r USING (n);

SELECT cellcdc.render(cellcdc.snapshot_relation('snap', 'public.snap.secret'), true);
SELECT left(cellcdc.render(cellcdc.snapshot_row(t, 'public.snap.secret'), true), 60) FROM snap t ORDER BY id;

-- what is not a table's whole row, and bad options
SELECT cellcdc.snapshot_row(ROW(1, 'x'));
CREATE VIEW snap_view AS SELECT id FROM snap;
SELECT cellcdc.snapshot_row(v) FROM snap_view v;
SELECT cellcdc.snapshot_relation('snap_view');
SELECT cellcdc.snapshot_row(t, 'public.snap.') FROM snap t;

SELECT pg_drop_replication_slot('snap_slot');
DROP VIEW snap_view;
DROP TABLE snap;

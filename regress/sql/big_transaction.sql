-- A transaction far larger than logical_decoding_work_mem (64kB here) is
-- spilled to disk by the reorder buffer and still decoded whole and in order.
CREATE TABLE big (id int PRIMARY KEY, payload text, amount numeric(12,2));
SELECT 'init' FROM pg_create_logical_replication_slot('regression_slot', 'cellcdc');

BEGIN;
INSERT INTO big SELECT i, repeat(md5(i::text), 4), i * 1.25 FROM generate_series(1, 20000) i;
UPDATE big SET amount = amount + 1 WHERE id % 2 = 0;
DELETE FROM big WHERE id % 10 = 0;
COMMIT;

CREATE TEMP TABLE decoded AS
SELECT row_number() OVER () AS n, cellcdc.render(data, true) AS line
FROM pg_logical_slot_get_binary_changes('regression_slot', NULL, NULL);

SELECT substring(line FROM '^\w+') AS record, count(*)
FROM decoded GROUP BY 1 ORDER BY min(n);

-- every insert, in order, with its values
SELECT count(*) AS inserts_checked,
       count(*) FILTER (WHERE line <> format('INSERT public.big new: id=%s payload=%L amount=%s',
                                           id, repeat(md5(id::text), 4), id * 1.25)) AS mismatches,
       bool_and(id = n - 2) AS in_order
FROM (SELECT n, line, (regexp_match(line, '^INSERT public\.big new: id=(\d+) '))[1]::int AS id
      FROM decoded) d
WHERE id IS NOT NULL;

SELECT spill_txns > 0 AS spilled, spill_bytes > 64 * 1024 AS spilled_more_than_work_mem
FROM pg_stat_replication_slots WHERE slot_name = 'regression_slot';

SELECT pg_drop_replication_slot('regression_slot');
DROP TABLE big;

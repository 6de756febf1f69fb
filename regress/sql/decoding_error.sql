-- An ERROR while decoding ends that decoding, and leaves the backend sound:
-- the cache callbacks, registered for the backend's life, must not touch
-- the relation cache that went with the decoding context.  The ERROR here
-- comes from a value whose enum label was deleted from the catalog behind
-- PostgreSQL's back, so that the type's output function fails.
CREATE TYPE regress_mood AS ENUM ('ok', 'gone');
CREATE TABLE mood (id int PRIMARY KEY, m regress_mood, n int);
INSERT INTO mood VALUES (1, 'gone', 0);
SELECT 'init' FROM pg_create_logical_replication_slot('regression_slot', 'cellcdc');
DELETE FROM pg_enum WHERE enumtypid = 'regress_mood'::regtype AND enumlabel = 'gone';
INSERT INTO mood SELECT g, 'ok', 0 FROM generate_series(2, 100) g;
UPDATE mood SET n = 1 WHERE id = 1;
\set VERBOSITY sqlstate
SELECT count(*) FROM pg_logical_slot_peek_binary_changes('regression_slot', NULL, NULL);
\set VERBOSITY default

-- memory reused, then relcache and schema invalidations in this backend
SELECT count(*) AS sorted
FROM (SELECT repeat(g::text, 50) FROM generate_series(1, 100000) g ORDER BY 1 DESC) s;
ALTER TABLE mood ADD COLUMN c int;
CREATE SCHEMA regress_moods;
ALTER SCHEMA regress_moods RENAME TO regress_moods2;
SELECT 'alive' AS backend;

-- past the bad change, decoding works again in the same backend
SELECT 'skipped' FROM pg_replication_slot_advance('regression_slot', pg_current_wal_lsn());
INSERT INTO mood VALUES (200, 'ok', 2, 0);
SELECT cellcdc.render(data, true) FROM pg_logical_slot_get_binary_changes('regression_slot', NULL, NULL);

SELECT pg_drop_replication_slot('regression_slot');
DROP SCHEMA regress_moods2;
DROP TABLE mood;
DROP TYPE regress_mood;

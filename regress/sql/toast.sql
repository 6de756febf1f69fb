-- TOAST: an unchanged out-of-line value is not in the WAL; it is marked,
-- never fetched.  Values TOASTed in the same transaction, compressed inline
-- values and REPLICA IDENTITY FULL old rows carry the whole value.
CREATE TABLE toasted (id int PRIMARY KEY, n int NOT NULL, big text, small text, doc jsonb);
ALTER TABLE toasted ALTER COLUMN big SET STORAGE EXTERNAL;
SELECT 'init' FROM pg_create_logical_replication_slot('regression_slot', 'cellcdc');

-- shorten long values to their start and length
CREATE FUNCTION shown(line text) RETURNS text LANGUAGE sql AS $$
  SELECT regexp_replace(line, '''([^'']{12})[^'']{88,}''', '''\1...''', 'g')
$$;
CREATE FUNCTION big_value(seed int) RETURNS text LANGUAGE sql AS $$
  SELECT string_agg(md5((seed * 10000 + i)::text), '') FROM generate_series(1, 3000) i
$$;

INSERT INTO toasted VALUES (1, 10, big_value(1), 's', jsonb_build_object('k', big_value(9)));
UPDATE toasted SET n = 11 WHERE id = 1;                 -- big and doc unchanged
UPDATE toasted SET big = big_value(2) WHERE id = 1;     -- big changed
UPDATE toasted SET id = 2 WHERE id = 1;                 -- key changed, big unchanged
DELETE FROM toasted WHERE id = 2;
INSERT INTO toasted VALUES (3, 30, 'b', repeat('compressible ', 5000), NULL);  -- compressed inline
UPDATE toasted SET n = 31 WHERE id = 3;

SELECT shown(cellcdc.render(data, true)) FROM pg_logical_slot_peek_binary_changes('regression_slot', NULL, NULL);

-- the lengths of what was sent: whole values where they are in the WAL
SELECT substring(line FROM '^\w+') AS change,
       length(substring(line FROM ' big=''([0-9a-f]*)''')) AS big_length,
       length(substring(line FROM ' doc=''(\{[^'']*)''')) AS doc_length,
       length(substring(line FROM ' small=''(compressible[^'']*)''')) AS small_length
FROM (SELECT cellcdc.render(data, true) AS line
      FROM pg_logical_slot_get_binary_changes('regression_slot', NULL, NULL)) r
WHERE line ~ '^(INSERT|UPDATE|DELETE)';

-- REPLICA IDENTITY FULL: the old row has every value, and the new row takes
-- the unchanged ones from it
ALTER TABLE toasted REPLICA IDENTITY FULL;
INSERT INTO toasted VALUES (4, 40, big_value(4), 's', NULL);
UPDATE toasted SET n = 41 WHERE id = 4;
DELETE FROM toasted WHERE id = 4;
SELECT shown(cellcdc.render(data, true)) FROM pg_logical_slot_get_binary_changes('regression_slot', NULL, NULL);

SELECT pg_drop_replication_slot('regression_slot');
DROP TABLE toasted;
DROP FUNCTION shown(text), big_value(int);

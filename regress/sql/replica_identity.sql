-- What old row UPDATE and DELETE carry under each replica identity, and the
-- key flags in RELATION.
CREATE TABLE ri_default (id int PRIMARY KEY, u int NOT NULL UNIQUE, v text);
CREATE TABLE ri_full (id int PRIMARY KEY, u int NOT NULL UNIQUE, v text);
ALTER TABLE ri_full REPLICA IDENTITY FULL;
CREATE TABLE ri_index (id int PRIMARY KEY, u int NOT NULL, v text);
CREATE UNIQUE INDEX ri_index_u ON ri_index (u);
ALTER TABLE ri_index REPLICA IDENTITY USING INDEX ri_index_u;
CREATE TABLE ri_nothing (id int PRIMARY KEY, u int NOT NULL UNIQUE, v text);
ALTER TABLE ri_nothing REPLICA IDENTITY NOTHING;
CREATE TABLE no_pkey (a int, b text);
CREATE TABLE no_pkey_full (a int, b text);
ALTER TABLE no_pkey_full REPLICA IDENTITY FULL;
CREATE TABLE composite_key (a int, b text, c text, PRIMARY KEY (b, a));
SELECT 'init' FROM pg_create_logical_replication_slot('regression_slot', 'cellcdc');

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['ri_default', 'ri_full', 'ri_index', 'ri_nothing'] LOOP
    EXECUTE format('INSERT INTO %I VALUES (1, 10, ''a'')', t);
    EXECUTE format('UPDATE %I SET v = ''b'' WHERE id = 1', t);
    EXECUTE format('UPDATE %I SET id = 2 WHERE id = 1', t);
    EXECUTE format('UPDATE %I SET u = 20 WHERE id = 2', t);
    EXECUTE format('DELETE FROM %I WHERE id = 2', t);
  END LOOP;
END $$;
INSERT INTO no_pkey VALUES (1, 'a');
UPDATE no_pkey SET b = 'b';
DELETE FROM no_pkey;
INSERT INTO no_pkey_full VALUES (1, 'a');
UPDATE no_pkey_full SET b = 'b';
DELETE FROM no_pkey_full;
INSERT INTO composite_key VALUES (1, 'x', 'c');
UPDATE composite_key SET b = 'y';
DELETE FROM composite_key;

SELECT cellcdc.render(data, true) FROM pg_logical_slot_get_binary_changes('regression_slot', NULL, NULL)
WHERE get_byte(data, 0) <> ascii('B') AND get_byte(data, 0) <> ascii('C');

SELECT pg_drop_replication_slot('regression_slot');
DROP TABLE ri_default, ri_full, ri_index, ri_nothing, no_pkey, no_pkey_full, composite_key;

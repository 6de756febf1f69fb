-- DDL in the middle of the stream, and inside a transaction: each change is
-- decoded with the table's shape at that point, and RELATION is sent again
-- after every change to the table's definition.
CREATE TABLE evolving (id int PRIMARY KEY, a text);
SELECT 'init' FROM pg_create_logical_replication_slot('regression_slot', 'cellcdc');

INSERT INTO evolving VALUES (1, 'one');
BEGIN;
INSERT INTO evolving VALUES (2, 'two');
ALTER TABLE evolving ADD COLUMN b int DEFAULT 7;
INSERT INTO evolving VALUES (3, 'three', 3);
UPDATE evolving SET a = 'uno' WHERE id = 1;     -- a row written before the column existed
ALTER TABLE evolving RENAME COLUMN a TO label;
INSERT INTO evolving VALUES (4, 'four', 4);
ALTER TABLE evolving DROP COLUMN b;
INSERT INTO evolving VALUES (5, 'five');
COMMIT;
ALTER TABLE evolving ALTER COLUMN id TYPE bigint;   -- a rewrite: not decoded as changes
INSERT INTO evolving VALUES (6000000000, 'big');
ALTER TABLE evolving ADD COLUMN c numeric(5,1) NOT NULL DEFAULT 1.5, REPLICA IDENTITY FULL;
DELETE FROM evolving WHERE id = 6000000000;
ALTER TABLE evolving RENAME TO evolved;
CREATE SCHEMA moved;
ALTER TABLE evolved SET SCHEMA moved;
INSERT INTO moved.evolved VALUES (7, 'seven');
ALTER SCHEMA moved RENAME TO renamed;
INSERT INTO renamed.evolved VALUES (8, 'eight');
-- a transaction with only DDL emits nothing
CREATE TABLE unused (x int);

SELECT cellcdc.render(data, true) FROM pg_logical_slot_get_binary_changes('regression_slot', NULL, NULL);

SELECT pg_drop_replication_slot('regression_slot');
DROP SCHEMA renamed CASCADE;
DROP TABLE unused;

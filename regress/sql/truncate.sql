-- TRUNCATE: one record per statement listing the relations, with the
-- CASCADE and RESTART IDENTITY flags; excluded relations are left out.
CREATE TABLE parent (id serial PRIMARY KEY);
CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent);
CREATE TABLE other (id int PRIMARY KEY);
INSERT INTO parent DEFAULT VALUES;
INSERT INTO child VALUES (1, 1);
SELECT 'init' FROM pg_create_logical_replication_slot('regression_slot', 'cellcdc');

TRUNCATE other;
TRUNCATE parent, other RESTART IDENTITY CASCADE;
BEGIN;
INSERT INTO other VALUES (1);
TRUNCATE other;
INSERT INTO other VALUES (2);
COMMIT;
BEGIN;
TRUNCATE other;
ROLLBACK;

SELECT cellcdc.render(data, true) FROM pg_logical_slot_peek_binary_changes('regression_slot', NULL, NULL);

-- with child excluded, the CASCADE truncate lists only parent and other;
-- with all three excluded, nothing of those transactions is sent
SELECT cellcdc.render(data, true) FROM pg_logical_slot_peek_binary_changes('regression_slot', NULL, NULL,
    'exclude_tables', 'public.child');
SELECT cellcdc.render(data, true) FROM pg_logical_slot_get_binary_changes('regression_slot', NULL, NULL,
    'exclude_tables', 'public.child, public.parent, public.other');

SELECT pg_drop_replication_slot('regression_slot');
DROP TABLE child, parent, other;

-- Partitioned tables: changes come from the partitions, under their own
-- names; a row moving between partitions is a DELETE and an INSERT.
CREATE TABLE measurements (id int, region text, value numeric, PRIMARY KEY (id, region))
  PARTITION BY LIST (region);
CREATE TABLE measurements_east PARTITION OF measurements FOR VALUES IN ('east');
CREATE TABLE measurements_west PARTITION OF measurements FOR VALUES IN ('west')
  PARTITION BY RANGE (id);
CREATE TABLE measurements_west_low PARTITION OF measurements_west FOR VALUES FROM (0) TO (100);
CREATE TABLE measurements_west_high PARTITION OF measurements_west FOR VALUES FROM (100) TO (MAXVALUE);
SELECT 'init' FROM pg_create_logical_replication_slot('regression_slot', 'cellcdc');

INSERT INTO measurements VALUES (1, 'east', 1.5), (2, 'west', 2.5), (200, 'west', 3.5);
UPDATE measurements SET value = value + 1 WHERE id = 1;
UPDATE measurements SET region = 'west' WHERE id = 1;
DELETE FROM measurements WHERE id = 200;

SELECT cellcdc.render(data, true) FROM pg_logical_slot_peek_binary_changes('regression_slot', NULL, NULL);

-- naming the partitioned table in a filter covers its partitions, at any depth
SELECT cellcdc.render(data, true)
FROM pg_logical_slot_peek_binary_changes('regression_slot', NULL, NULL,
                                         'include_tables', 'public.measurements_west');
SELECT cellcdc.render(data, true)
FROM pg_logical_slot_get_binary_changes('regression_slot', NULL, NULL,
                                        'exclude_tables', 'public.measurements',
                                        'skip_empty_xacts', 'on');

SELECT pg_drop_replication_slot('regression_slot');
DROP TABLE measurements;

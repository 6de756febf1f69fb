-- A database that is not UTF-8: text and jsonb are converted to UTF-8 in
-- the records (jsonb goes as text there, its strings need converting), and
-- render() converts them back.
CREATE DATABASE cellcdc_latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
\c cellcdc_latin1
SET client_encoding = 'UTF8';
CREATE EXTENSION cellcdc;
CREATE TABLE latin (id int PRIMARY KEY, t text, j jsonb);
SELECT 'init' FROM pg_create_logical_replication_slot('regression_slot', 'cellcdc');
INSERT INTO latin VALUES (1, 'café', '{"naïve": ["é", 1.50]}');

SELECT cellcdc.render(data, true) FROM pg_logical_slot_peek_binary_changes('regression_slot', NULL, NULL);
-- é is 0xe9 in LATIN1 and 0xc3 0xa9 in UTF-8: the record holds UTF-8 only
SELECT position('\xc3a9'::bytea IN data) > 0 AS utf8_in_record,
       position('\xe9'::bytea IN data) = 0 AS no_latin1_in_record
FROM pg_logical_slot_get_binary_changes('regression_slot', NULL, NULL)
WHERE get_byte(data, 0) = ascii('I');

SELECT pg_drop_replication_slot('regression_slot');
\c contrib_regression
DROP DATABASE cellcdc_latin1;

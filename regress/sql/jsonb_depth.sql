-- jsonb nested as deep as PostgreSQL accepts (10000 levels with the default
-- max_stack_depth) goes through the plugin, and render() prints it exactly
-- as jsonb_out does: the reader's nesting is limited by memory only.
CREATE TABLE deep (id int PRIMARY KEY, j jsonb);
SELECT 'init' FROM pg_create_logical_replication_slot('regression_slot', 'cellcdc');
INSERT INTO deep
SELECT d, (repeat('[', d) || repeat(']', d))::jsonb
FROM unnest(ARRAY[1000, 1001, 5000, 10000]) d;
-- objects and arrays in turn, with numbers, strings and nulls on the way
INSERT INTO deep
SELECT -d, (repeat('{"k": [1.5, "x", ', d / 2) || 'null' || repeat(']}', d / 2))::jsonb
FROM unnest(ARRAY[1000, 5000, 10000]) d;
CREATE TEMP TABLE rendered AS
SELECT cellcdc.render(data, true) AS line
FROM pg_logical_slot_peek_binary_changes('regression_slot', NULL, NULL);
SELECT d.id, length(d.j::text) AS text_length,
       r.line = format('INSERT public.deep new: id=%s j=''%s''', d.id, d.j::text) AS same_as_jsonb_out
FROM deep d LEFT JOIN rendered r ON r.line LIKE format('INSERT public.deep new: id=%s j=%%', d.id)
ORDER BY d.id;

-- Every prefix and single-byte corruption of the record of a value 40
-- levels deep renders or fails with one of render()'s own errors.
SELECT count(*) > 0 AS consumed FROM pg_logical_slot_get_binary_changes('regression_slot', NULL, NULL);
INSERT INTO deep VALUES (0, (repeat('{"k": [1.5, "x", ', 20) || 'null' || repeat(']}', 20))::jsonb);
CREATE TEMP TABLE nested AS
SELECT data AS record
FROM pg_logical_slot_get_binary_changes('regression_slot', NULL, NULL)
WHERE get_byte(data, 0) = ascii('I');
SELECT count(*) AS inserts, min(length(record)) > 500 AS long_enough FROM nested;
DO $$
DECLARE
    record bytea := (SELECT n.record FROM nested n);
    i int;
    b int;
    variant bytea;
    rendered int := 0;
    refused int := 0;
BEGIN
    FOR i IN 0 .. length(record) - 1 LOOP
        FOR b IN 0 .. 2 LOOP
            variant := CASE b WHEN 0 THEN substring(record FROM 1 FOR i)
                              WHEN 1 THEN set_byte(record, i, 255 - get_byte(record, i))
                              ELSE set_byte(record, i, (get_byte(record, i) + 1) % 256) END;
            BEGIN
                PERFORM cellcdc.render(variant);
                rendered := rendered + 1;
            EXCEPTION WHEN invalid_binary_representation OR character_not_in_repertoire
                           OR untranslatable_character THEN
                refused := refused + 1;
            END;
        END LOOP;
    END LOOP;
    RAISE NOTICE 'variants rendered or refused cleanly: % (% refused)',
        CASE WHEN rendered + refused > 1000 THEN 'over 1000' ELSE 'too few' END,
        CASE WHEN refused > 100 THEN 'over 100' ELSE 'too few' END;
END
$$;

SELECT pg_drop_replication_slot('regression_slot');
DROP TABLE deep;

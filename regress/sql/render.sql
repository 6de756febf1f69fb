-- cellcdc.render() on malformed input: a clear error naming what is wrong
-- and where, never a crash.
SELECT cellcdc.render('\x');
SELECT cellcdc.render('\x5a');
SELECT cellcdc.render('\x42');
-- a well-formed BEGIN: version 1, final LSN 0/16B3748, commit time 0, xid 42
SELECT cellcdc.render('\x420100000000016b374800000000000000000000002a');
SELECT cellcdc.render('\x420100000000016b374800000000000000000000002a', true);
SELECT cellcdc.render('\x420200000000016b374800000000000000000000002a');
SELECT cellcdc.render('\x420100000000016b374800000000000000000000002a00');
-- INSERT into relation 1 with one column per case
SELECT cellcdc.render('\x49000000014e0169');                   -- integer without bytes
SELECT cellcdc.render('\x49000000014e0169ffffffffffffffffffff01'); -- varint too long
SELECT cellcdc.render('\x49000000014e0178');                   -- unknown value tag
SELECT cellcdc.render('\x49000000014e054e');                   -- column count beyond the record
SELECT cellcdc.render('\x49000000014e014e00000001ffff');       -- numeric digit > 9999
SELECT cellcdc.render('\x49000000014e014e05');                 -- numeric kind
SELECT cellcdc.render('\x49000000014e015402c328');             -- text that is not UTF-8
SELECT cellcdc.render('\x49000000014e0154026100');             -- text with a NUL byte
SELECT cellcdc.render('\x49000000014e0173' || int8send(9223372036854775806)); -- timestamp beyond range
SELECT cellcdc.render('\x49000000014e0168ffffffffff0f');       -- time beyond a day
SELECT cellcdc.render('\x49000000014e014a000400000070');       -- jsonb neither array nor object
SELECT cellcdc.render('\x49000000014e014a0008010000400c000000'); -- jsonb element beyond its container
SELECT cellcdc.render('\x49000000014e014a0208');               -- jsonb of unknown byte order
SELECT cellcdc.render('\x49000000014b0169020169');             -- INSERT with a key tuple
SELECT cellcdc.render('\x55000000014e016902' || '\x4e016904'::bytea); -- UPDATE with two new tuples
-- well-formed values of every tag, for a relation the catalog does not know
SELECT cellcdc.render('\x49000000014e0f'::bytea
       || '\x6e' || '\x75' || '\x30' || '\x31'        -- null, unchanged, false, true
       || '\x6903'                                     -- integer -2
       || '\x653fc00000'                               -- float4 1.5
       || '\x64c00921fb54442d18'                       -- float8 -3.141592653589793
       || '\x4404'                                     -- date 2000-01-03
       || '\x6801'                                     -- time 00:00:00.000001
       || '\x73' || int8send(0)                        -- timestamp 2000-01-01
       || '\x7a' || int8send(-1)                       -- timestamptz a microsecond earlier
       || '\x67' || uuid_send('00000000-0000-0000-0000-0000000000ff')
       || '\x5402c3a9'                                 -- text 'é'
       || '\x62020001'                                 -- bytea
       || '\x4e01000402270f0001',                      -- numeric -9999.0001
       true);

-- Every prefix and every single-byte corruption of real records either
-- renders or fails with one of render()'s own errors.
CREATE TABLE fuzz (id int PRIMARY KEY, t text, n numeric, ts timestamptz, d date, b bytea, j jsonb, u uuid, f float8);
SELECT 'init' FROM pg_create_logical_replication_slot('regression_slot', 'cellcdc');
INSERT INTO fuzz VALUES (1, 'x''y', -12.5, '2024-05-01 10:00+00', '2024-05-01', '\x00ff', '{"a":1}',
                         'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 2.5);
UPDATE fuzz SET id = 2, n = 'NaN';
DELETE FROM fuzz;
SELECT 'm' FROM pg_logical_emit_message(true, 'fuzz', '\x00ff'::bytea);
TRUNCATE fuzz;
CREATE TEMP TABLE records AS
  SELECT row_number() OVER () AS n, data FROM pg_logical_slot_get_binary_changes('regression_slot', NULL, NULL);
DO $$
DECLARE
    rec record;
    i int;
    b int;
    variant bytea;
    rendered int := 0;
    refused int := 0;
BEGIN
    FOR rec IN SELECT data FROM records ORDER BY n LOOP
        FOR i IN 0 .. length(rec.data) - 1 LOOP
            FOR b IN 0 .. 2 LOOP
                variant := CASE b WHEN 0 THEN substring(rec.data FROM 1 FOR i)
                                  WHEN 1 THEN set_byte(rec.data, i, 255 - get_byte(rec.data, i))
                                  ELSE set_byte(rec.data, i, (get_byte(rec.data, i) + 1) % 256) END;
                BEGIN
                    PERFORM cellcdc.render(variant);
                    rendered := rendered + 1;
                EXCEPTION WHEN invalid_binary_representation OR character_not_in_repertoire
                               OR untranslatable_character THEN
                    refused := refused + 1;
                END;
            END LOOP;
        END LOOP;
    END LOOP;
    RAISE NOTICE 'variants rendered or refused cleanly: % (% refused)',
        CASE WHEN rendered + refused > 1000 THEN 'over 1000' ELSE 'too few' END,
        CASE WHEN refused > 100 THEN 'over 100' ELSE 'too few' END;
END
$$;
SELECT count(*) AS records FROM records;
SELECT pg_drop_replication_slot('regression_slot');
DROP TABLE fuzz;

-- Every value type: the compact binary forms of the common built-in types,
-- and output-function text for everything else.
SET extra_float_digits = 1;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN price AS numeric(10,2) CHECK (VALUE >= 0);
CREATE DOMAIN short_text AS text;
CREATE TYPE pair AS (a int, b text);
CREATE TABLE every_type (
    id serial PRIMARY KEY,
    c_bool bool, c_int2 int2, c_int4 int4, c_int8 int8, c_oid oid,
    c_float4 float4, c_float8 float8, c_numeric numeric, c_numeric_10_2 numeric(10,2),
    c_date date, c_time time, c_timetz timetz, c_timestamp timestamp(3), c_timestamptz timestamptz,
    c_interval interval, c_uuid uuid, c_text text, c_varchar varchar(10), c_char char(5),
    c_json json, c_jsonb jsonb, c_bytea bytea, c_int_array int[], c_text_array text[],
    c_mood mood, c_price price, c_short short_text, c_pair pair, c_range int4range,
    c_inet inet, c_money money, c_bits bit(3), c_varbit varbit, c_point point, c_xml xml);
SELECT 'init' FROM pg_create_logical_replication_slot('regression_slot', 'cellcdc');

INSERT INTO every_type DEFAULT VALUES;
INSERT INTO every_type (c_bool, c_int2, c_int4, c_int8, c_oid, c_float4, c_float8, c_numeric, c_numeric_10_2,
    c_date, c_time, c_timetz, c_timestamp, c_timestamptz, c_interval, c_uuid, c_text, c_varchar, c_char,
    c_json, c_jsonb, c_bytea, c_int_array, c_text_array, c_mood, c_price, c_short, c_pair, c_range,
    c_inet, c_money, c_bits, c_varbit, c_point, c_xml)
VALUES
  (true, 32767, 2147483647, 9223372036854775807, 4294967295, 3.4028235e38, 1.7976931348623157e308,
   '123456789012345678901234567890.123456789', 99999999.99, '2024-02-29', '23:59:59.999999', '12:00+02',
   '2024-01-01 12:34:56.789', '2024-06-30 23:59:59.999999+00', '1 year 2 mons 3 days 04:05:06.7',
   'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'it''s "quoted" \ backslash', 'ünïcødé', 'ab',
   '{"b": 1, "a": [true, null]}', '{"b": 1, "a": [true, null]}', '\x00ff7f80', '{1,NULL,-3}', '{"a,b","c\"d",NULL}',
   'happy', 12.5, 'dom', '(1,"x y")', '[1,10)', '192.168.0.1/24', 12.34, '101', '1101', '(1.5,-2)', '<a>x</a>'),
  (false, -32768, -2147483648, -9223372036854775808, 0, -1.5e-38, 4.9e-324,
   '-0.000000000000000000000000000001', -0.01, '0001-01-01 BC', '00:00', '00:00-12:30',
   '1970-01-01 00:00:00', '1969-12-31 23:59:59.5+00', '-1 day -00:00:01', '00000000-0000-0000-0000-000000000000',
   '', '', '', '[]', '{}', '', '{}', '{}', 'sad', 0, '', '(,)', 'empty', '::1', -0.01, '000', '', '(0,0)', '<a/>'),
  (NULL, 0, 0, 0, NULL, 'NaN', 'NaN', 'NaN', NULL, 'infinity', '24:00', NULL, 'infinity', 'infinity', NULL,
   NULL, 'tab	newline
end', NULL, NULL, 'null', 'null', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL),
  (NULL, NULL, NULL, NULL, NULL, 'Infinity', 'Infinity', 'Infinity', NULL, '-infinity', NULL, NULL, '-infinity', '-infinity', NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL),
  (NULL, NULL, NULL, NULL, NULL, '-Infinity', '-Infinity', '-Infinity', NULL, '294276-12-31', NULL, NULL, '294276-12-31 23:59:59.999', '4713-01-01 00:00:00+00 BC', NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL),
  (NULL, NULL, NULL, NULL, NULL, '-0', '-0', '0.000', NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL);

-- A snapshot reads each row as exactly the record streaming wrote for it
SELECT count(*) AS rows_compared, count(*) FILTER (WHERE s.data IS DISTINCT FROM r.data) AS differ
FROM (SELECT data, row_number() OVER () AS n
      FROM pg_logical_slot_peek_binary_changes('regression_slot', NULL, NULL)
      WHERE get_byte(data, 0) = ascii('I')) s
FULL JOIN (SELECT cellcdc.snapshot_row(t) AS data, row_number() OVER (ORDER BY id) AS n
           FROM every_type t) r USING (n);
SELECT data = cellcdc.snapshot_relation('every_type') AS same_relation
FROM pg_logical_slot_peek_binary_changes('regression_slot', NULL, NULL)
WHERE get_byte(data, 0) = ascii('R');

SELECT cellcdc.render(data, true) FROM pg_logical_slot_get_binary_changes('regression_slot', NULL, NULL);

-- Numerics, floats, dates and timestamps in bulk: what render() prints from
-- the binary forms equals PostgreSQL's own text of the same values.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
CREATE TABLE many (id int PRIMARY KEY, n numeric, f float8, r float4, d date, ts timestamp, tz timestamptz, t time);
SELECT setseed(0.42);
INSERT INTO many
SELECT i,
       round((random() - 0.5)::numeric * 10::numeric ^ (i % 60 - 30), i % 40),
       (random() - 0.5) * 10 ^ (i % 600 - 300),
       ((random() - 0.5) * 10 ^ (i % 60 - 30))::float4,
       date '2000-01-01' + ((random() - 0.5) * 3000000)::int,
       timestamp '2000-01-01' + (random() - 0.5) * interval '200000 days',
       timestamptz '2000-01-01 00:00+00' + (random() - 0.5) * interval '200000 days',
       time '00:00' + random() * interval '24 hours'
FROM generate_series(1, 3000) i;
CREATE TEMP TABLE decoded AS
SELECT cellcdc.render(data, true) AS line
FROM pg_logical_slot_get_binary_changes('regression_slot', NULL, NULL);
SELECT count(*) AS rows_compared,
       count(*) FILTER (WHERE line <> format('INSERT public.many new: id=%s n=%s f=%s r=%s d=%L ts=%L tz=%L t=%L',
                                           id, n, f, r, d, ts, tz, t)) AS mismatches
FROM (SELECT line, (regexp_match(line, '^INSERT public\.many new: id=(\d+) '))[1]::int AS id FROM decoded) d
JOIN many USING (id);
RESET TimeZone;
RESET DateStyle;

-- jsonb is sent as stored and printed by the reader: it must print exactly
-- what jsonb_out prints, for every shape (arrays and objects past the
-- 32-element offset stride, escapes, numerics, scalars, deep nesting)
CREATE TABLE docs (id int PRIMARY KEY, j jsonb);
INSERT INTO docs
SELECT i, CASE i % 8
  WHEN 0 THEN jsonb_build_object('n', round((random() * 1e6)::numeric, i % 9), 's', md5(i::text),
                                 'b', i % 2 = 0, 'z', NULL, '', '')
  WHEN 1 THEN (SELECT jsonb_agg(x * (i % 3 - 1)) FROM generate_series(1, i % 70) x)
  WHEN 2 THEN (SELECT jsonb_object_agg('k' || x, x * 1.5) FROM generate_series(1, i % 70) x)
  WHEN 3 THEN to_jsonb(E'esc "q" \\ back\n\t\b\f\r' || chr(1) || chr(31) || ' ünï ' || i)
  WHEN 4 THEN to_jsonb(-(i::numeric) / 7)
  WHEN 5 THEN jsonb_build_array(jsonb_build_object('deep', jsonb_build_array('[]'::jsonb, '{}'::jsonb)),
                                true, false, NULL, 1e-20::numeric, 123456789012345678901234567890::numeric,
                                -0.5, 1e20::numeric, 'x', '')
  WHEN 6 THEN (ARRAY['null', '[]', '{}', 'true', '"s"', '0', '[[]]', '{"a": {}}'])[i % 8 + 1]::jsonb
  ELSE (repeat('[', i % 60) || '{"x": 1}' || repeat(']', i % 60))::jsonb
END
FROM generate_series(1, 2000) i;
SELECT count(*) AS docs_compared,
       count(*) FILTER (WHERE rendered IS DISTINCT FROM j::text) AS mismatches
FROM (SELECT (regexp_match(line, '^INSERT public\.docs new: id=(\d+) '))[1]::int AS id,
             replace(substring(line FROM ' j=''(.*)''$'), '''''', '''') AS rendered
      FROM (SELECT cellcdc.render(data, true) AS line
            FROM pg_logical_slot_get_binary_changes('regression_slot', NULL, NULL)) l) d
JOIN docs USING (id);

SELECT pg_drop_replication_slot('regression_slot');
DROP TABLE every_type, many, docs;
DROP TYPE mood, pair;
DROP DOMAIN price, short_text;

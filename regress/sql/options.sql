-- Options: every bad option is an ERROR that names it; good values of every
-- kind are accepted.  (A boolean given with no value at all means true; only
-- the replication protocol can send that: see regress/t/001_replication.pl.)
SELECT 'init' FROM pg_create_logical_replication_slot('regression_slot', 'cellcdc');
CREATE FUNCTION try(VARIADIC options text[]) RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM pg_logical_slot_peek_binary_changes('regression_slot', NULL, NULL, VARIADIC options)
$$;

SELECT try('bogus', '1');
SELECT try('format_version', '2');
SELECT try('format_version', 'one');
SELECT try('skip_empty_xacts', 'maybe');
SELECT try('include_origins', '');
SELECT try('only_local', 'yes', 'only_local', 'no');
SELECT try('include_tables', 'orders');
SELECT try('include_tables', 'public.');
SELECT try('include_tables', '.orders');
SELECT try('include_tables', 'a.b.c');
SELECT try('include_tables', 'public.orders,');
SELECT try('exclude_tables', 'public.orders\');
SELECT try('exclude_columns', 'public.orders');
SELECT try('exclude_columns', 'public.orders.id.x');
SELECT try('message_prefixes', 'a,,b');

-- accepted spellings
SELECT try('format_version', '1', 'skip_empty_xacts', 'off', 'include_origins', 'TRUE', 'only_local', '0',
           'include_tables', '*.*', 'exclude_tables', 'x.y', 'exclude_columns', '*.*.secret',
           'message_prefixes', 'a, b*');

-- a binary plugin refuses the text interface with PostgreSQL's own error
SELECT count(*) FROM pg_logical_slot_peek_changes('regression_slot', NULL, NULL);

-- decoding sessions started again and again in one backend: the cache
-- callbacks are registered once, not per session (a backend has only ten)
DO $$
BEGIN
  FOR i IN 1 .. 25 LOOP
    PERFORM count(*) FROM pg_logical_slot_peek_binary_changes('regression_slot', NULL, NULL);
  END LOOP;
END $$;
SELECT 'still alive' AS backend;

SELECT pg_drop_replication_slot('regression_slot');
DROP FUNCTION try(text[]);

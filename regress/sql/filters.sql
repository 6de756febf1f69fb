-- include_tables, exclude_tables and exclude_columns: schema-qualified
-- patterns with * wildcards and \ escapes, applied in the decoder.
CREATE SCHEMA sales;
CREATE SCHEMA "odd.schema";
CREATE TABLE public.users (id int PRIMARY KEY, email text, password text, ssn text);
CREATE TABLE public.user_roles (id int PRIMARY KEY, role text);
CREATE TABLE sales.orders (id int PRIMARY KEY, total numeric, ssn text);
CREATE TABLE sales.order_lines (id int PRIMARY KEY, qty int);
CREATE TABLE "odd.schema"."a,b*c" (id int PRIMARY KEY);
SELECT 'init' FROM pg_create_logical_replication_slot('regression_slot', 'cellcdc');

BEGIN;
INSERT INTO public.users VALUES (1, 'ann@example.com', 'secret', '123-45-6789');
INSERT INTO public.user_roles VALUES (1, 'admin');
INSERT INTO sales.orders VALUES (1, 9.99, '987-65-4321');
INSERT INTO sales.order_lines VALUES (1, 3);
INSERT INTO "odd.schema"."a,b*c" VALUES (1);
COMMIT;
INSERT INTO sales.order_lines VALUES (2, 4);

CREATE FUNCTION decoded(VARIADIC options text[]) RETURNS SETOF text LANGUAGE sql AS $$
  SELECT cellcdc.render(data, true)
  FROM pg_logical_slot_peek_binary_changes('regression_slot', NULL, NULL, VARIADIC options)
  WHERE get_byte(data, 0) NOT IN (ascii('B'), ascii('C'))
$$;

SELECT decoded('include_tables', 'sales.*');
SELECT decoded('include_tables', 'public.user*, sales.order_lines');
SELECT decoded('exclude_tables', '*.order*');
SELECT decoded('include_tables', '*.*', 'exclude_tables', 'public.*');
SELECT decoded('include_tables', 'odd\.schema.a\,b\*c');
SELECT decoded('include_tables', 'odd\.schema.a\,b*');
SELECT decoded('include_tables', '  sales.orders  ,  public.users  ');
SELECT decoded('include_tables', 'Sales.Orders');     -- names are case-sensitive
SELECT decoded('include_tables', 'nosuch.*');
SELECT decoded('exclude_columns', 'public.users.password, *.*.ssn', 'include_tables', 'public.users, sales.orders');
-- a transaction whose changes are all filtered out is skipped entirely: only
-- the first transaction touches user_roles (BEGIN, RELATION, INSERT, COMMIT)
SELECT count(*) AS records
FROM pg_logical_slot_peek_binary_changes('regression_slot', NULL, NULL, 'include_tables', 'public.user_roles');

-- an excluded column never leaves the database, whatever the operation
ALTER TABLE public.users REPLICA IDENTITY FULL;
UPDATE public.users SET password = 'changed';
DELETE FROM public.users;
CREATE FUNCTION password_leaks(VARIADIC options text[]) RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FILTER (WHERE position('secret' IN encode(data, 'escape')) > 0
                             OR position('changed' IN encode(data, 'escape')) > 0)
  FROM pg_logical_slot_peek_binary_changes('regression_slot', NULL, NULL, VARIADIC options)
$$;
SELECT password_leaks('exclude_columns', 'public.users.password') AS excluded,
       password_leaks('exclude_columns', 'public.users.email') AS not_excluded;

SELECT pg_drop_replication_slot('regression_slot');
DROP FUNCTION decoded(text[]), password_leaks(text[]);
DROP SCHEMA sales, "odd.schema" CASCADE;
DROP TABLE public.users, public.user_roles;

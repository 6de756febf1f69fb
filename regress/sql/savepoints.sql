-- Subtransactions, rollbacks and empty transactions: only what committed is
-- sent, and a transaction with nothing to send is skipped entirely.
CREATE TABLE sp (id int PRIMARY KEY, v text);
SELECT 'init' FROM pg_create_logical_replication_slot('regression_slot', 'cellcdc');

BEGIN;
INSERT INTO sp VALUES (1, 'kept');
SAVEPOINT a;
INSERT INTO sp VALUES (2, 'rolled back');
SELECT 'm' FROM pg_logical_emit_message(true, 'sp', 'rolled back too');
ROLLBACK TO SAVEPOINT a;
SAVEPOINT b;
INSERT INTO sp VALUES (3, 'released');
RELEASE SAVEPOINT b;
SAVEPOINT c;
UPDATE sp SET v = 'updated in a savepoint' WHERE id = 1;
COMMIT;

BEGIN;
INSERT INTO sp VALUES (4, 'aborted');
SELECT 'm' FROM pg_logical_emit_message(false, 'sp', 'sent although its transaction aborts');
ROLLBACK;

-- nothing to send: an empty transaction, a DDL-only one, one that only reads
BEGIN; COMMIT;
CREATE INDEX sp_v ON sp (v);
SELECT count(*) FROM sp;
-- a subtransaction that is rolled back leaves its parent empty
BEGIN; SAVEPOINT x; INSERT INTO sp VALUES (5, 'gone'); ROLLBACK TO SAVEPOINT x; COMMIT;

SELECT cellcdc.render(data, true) FROM pg_logical_slot_peek_binary_changes('regression_slot', NULL, NULL);

-- skip_empty_xacts = false sends BEGIN and COMMIT of every transaction
SELECT count(*) FILTER (WHERE get_byte(data, 0) = ascii('B')) AS begins,
       count(*) FILTER (WHERE get_byte(data, 0) = ascii('C')) AS commits
FROM pg_logical_slot_peek_binary_changes('regression_slot', NULL, NULL, 'skip_empty_xacts', 'false');
SELECT count(*) FILTER (WHERE get_byte(data, 0) = ascii('B')) AS begins,
       count(*) FILTER (WHERE get_byte(data, 0) = ascii('C')) AS commits
FROM pg_logical_slot_get_binary_changes('regression_slot', NULL, NULL);

SELECT pg_drop_replication_slot('regression_slot');
DROP TABLE sp;

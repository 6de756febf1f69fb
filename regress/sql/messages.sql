-- pg_logical_emit_message: transactional messages inside their transaction,
-- non-transactional ones at once (even if their transaction aborts), binary
-- content kept byte for byte, and the message_prefixes filter.
CREATE TABLE msg_t (id int PRIMARY KEY);
SELECT 'init' FROM pg_create_logical_replication_slot('regression_slot', 'cellcdc');

SELECT 'm' FROM pg_logical_emit_message(false, 'app', 'outside any transaction');
SELECT 'm' FROM pg_logical_emit_message(true, 'app', 'alone in its transaction');
BEGIN;
INSERT INTO msg_t VALUES (1);
SELECT 'm' FROM pg_logical_emit_message(true, 'app', 'after an insert');
SELECT 'm' FROM pg_logical_emit_message(false, 'audit', 'non-transactional, mid-transaction');
SELECT 'm' FROM pg_logical_emit_message(true, 'audit.login', 'user=ann');
COMMIT;
BEGIN;
SELECT 'm' FROM pg_logical_emit_message(true, 'app', 'in an aborted transaction');
SELECT 'm' FROM pg_logical_emit_message(false, 'app', 'non-transactional in an aborted transaction');
ROLLBACK;
SELECT 'm' FROM pg_logical_emit_message(true, 'bin', '\x00ff0a27'::bytea);
SELECT 'm' FROM pg_logical_emit_message(true, 'empty', '');
SELECT 'm' FROM pg_logical_emit_message(true, 'ünïcødé', 'naïve ''quoted''');

SELECT cellcdc.render(data, true) FROM pg_logical_slot_peek_binary_changes('regression_slot', NULL, NULL);

-- the content comes back exactly as it went in
SELECT substring(data FROM 11) = '\x0362696e04' || '\x00ff0a27'::bytea AS binary_exact
FROM pg_logical_slot_peek_binary_changes('regression_slot', NULL, NULL)
WHERE position('\x0362696e'::bytea IN data) > 0;

-- only the listed prefixes, with wildcards; an empty list passes none
SELECT cellcdc.render(data, true) FROM pg_logical_slot_peek_binary_changes('regression_slot', NULL, NULL,
    'message_prefixes', 'audit*, bin');
SELECT cellcdc.render(data, true) FROM pg_logical_slot_get_binary_changes('regression_slot', NULL, NULL,
    'message_prefixes', '');

SELECT pg_drop_replication_slot('regression_slot');
DROP TABLE msg_t;

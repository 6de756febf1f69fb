-- cellcdc.status: the slots that use the plugin, with position and lag.
CREATE TABLE status_t (id int PRIMARY KEY);
SELECT 'init' FROM pg_create_logical_replication_slot('regression_slot', 'cellcdc');
SELECT 'init' FROM pg_create_logical_replication_slot('other_plugin_slot', 'test_decoding');

INSERT INTO status_t SELECT generate_series(1, 100);

SELECT slot_name, active, active_pid IS NULL AS no_pid,
       retained_wal_bytes > 0 AS retains_wal,
       lag_bytes > 0 AS lagging,
       lag_bytes <= retained_wal_bytes AS lag_within_retained,
       wal_status
FROM cellcdc.status;

-- consuming the changes moves the confirmed position and shrinks the lag
SELECT pg_current_wal_lsn() AS before_lsn \gset
SELECT count(*) > 0 AS consumed FROM pg_logical_slot_get_binary_changes('regression_slot', NULL, NULL);
SELECT confirmed_flush_lsn >= :'before_lsn'::pg_lsn AS confirmed_moved,
       lag_bytes < 8192 AS lag_small
FROM cellcdc.status;

SELECT pg_drop_replication_slot('regression_slot');
SELECT pg_drop_replication_slot('other_plugin_slot');
SELECT count(*) AS slots_left FROM cellcdc.status;
DROP TABLE status_t;

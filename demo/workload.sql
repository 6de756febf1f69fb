-- pgbench script of the demo: the life of the EMP tables, one business
-- transaction at a time.
\set cid random(1, 200)
\set cents random(-500000, 500000)
\set pay random(1, 1000000000)
BEGIN;
INSERT INTO settlements_currencyaccountentry (client_id, currency, amount, value_date, description)
	VALUES (:cid, CASE WHEN :cents % 3 = 0 THEN 'USD' ELSE 'EUR' END, :cents / 100.0, current_date, 'demo entry');
UPDATE clients_client SET updated_at = now(), metadata = jsonb_build_object('last_amount', :cents / 100.0) WHERE id = :cid;
INSERT INTO payments_payment VALUES (md5(:pay::text)::uuid, :cid, abs(:cents) / 100.0, 0.25, 'new', NULL, NULL)
	ON CONFLICT (id) DO NOTHING;
UPDATE payments_payment SET state = 'settled', processed_at = now() WHERE client_id = :cid AND state = 'new';
DELETE FROM payments_payment WHERE client_id = :cid AND state = 'settled' AND :cents % 4 = 0;
INSERT INTO core_eventlog (event) VALUES ('entry for client ' || :cid);
END;

-- The steady load of the traffic benchmark (pgbench custom script; tests/bench/traffic/run.sh):
-- point reads and updates by key on both tables, autocommit, one "transaction" per run of
-- the script. SELECT * keeps working through column renames and type changes.
\set uid random(1, :nusers)
\set oid random(1, :norders)
SELECT * FROM users WHERE id = :uid;
UPDATE users SET balance = balance + 1 WHERE id = :uid;
SELECT * FROM orders WHERE id = :oid;
UPDATE orders SET note = 'seen' WHERE id = :oid;

CREATE TABLE customers (id integer, k integer, payload jsonb NOT NULL, PRIMARY KEY (id, k)) PARTITION BY RANGE (k);
CREATE TABLE customers_p_1 PARTITION OF customers FOR VALUES FROM (0) TO (100);
CREATE TABLE customers_p_2 PARTITION OF customers FOR VALUES FROM (100) TO (MAXVALUE);
INSERT INTO customers SELECT g, g % 200, jsonb_build_object('k', g) FROM generate_series(1, 5) g;
CREATE TABLE keep (id integer PRIMARY KEY);

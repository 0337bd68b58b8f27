CREATE TABLE invoices (id integer PRIMARY KEY, email jsonb);
INSERT INTO invoices SELECT g, jsonb_build_object('k', g) FROM generate_series(1, 5) g;

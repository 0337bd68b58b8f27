CREATE TABLE accounts (id integer PRIMARY KEY);
INSERT INTO accounts SELECT g FROM generate_series(1, 5) g;

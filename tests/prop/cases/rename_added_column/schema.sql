CREATE TABLE events (id integer PRIMARY KEY);
INSERT INTO events SELECT g FROM generate_series(1, 5) g;

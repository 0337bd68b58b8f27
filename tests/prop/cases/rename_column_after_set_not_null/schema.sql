CREATE TABLE users (id integer PRIMARY KEY, label text);
INSERT INTO users SELECT g, 'v' || g FROM generate_series(1, 5) g;

CREATE TYPE status AS ENUM ('new', 'paid', 'shipped');
CREATE TABLE items (
    id integer,
    k integer,
    flag numeric(10,2),
    PRIMARY KEY (id, k)
) PARTITION BY RANGE (k);
CREATE TABLE items_p_1 PARTITION OF items FOR VALUES FROM (0) TO (100);
CREATE TABLE items_p_2 PARTITION OF items FOR VALUES FROM (100) TO (MAXVALUE);
INSERT INTO items (id, k, flag)
SELECT g, g % 200, g * 1.25 FROM generate_series(1, 300) g;
CREATE TABLE orders (
    id uuid,
    "order" bigint,
    PRIMARY KEY (id)
);
INSERT INTO orders (id, "order")
SELECT md5('pk' || g || '1')::uuid, CASE WHEN g % 4 = 0 THEN NULL ELSE g * 100003 END FROM generate_series(1, 300) g;

-- The benchmark's tables (tests/bench/traffic/): users (N rows) and orders (2N rows). Every
-- column a scenario changes is here as it is before the change; mkmig reads this as --schema.
CREATE TABLE users (
    id bigint PRIMARY KEY,
    email text,
    name text NOT NULL,
    score integer NOT NULL DEFAULT 0,
    status text,
    balance bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    user_id bigint NOT NULL,
    amount numeric(12,2) NOT NULL,
    note text,
    created_at timestamptz NOT NULL DEFAULT now()
);

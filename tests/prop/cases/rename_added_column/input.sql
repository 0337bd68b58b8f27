ALTER TABLE events ADD COLUMN "CamelCase" bigint DEFAULT 42;
ALTER TABLE events RENAME COLUMN "CamelCase" TO "order";
CREATE INDEX ix_2 ON events ("order");

ALTER TABLE users ADD COLUMN metadata jsonb NOT NULL DEFAULT '{}';

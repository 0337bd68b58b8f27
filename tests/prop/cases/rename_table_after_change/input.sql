ALTER TABLE accounts ADD COLUMN flag boolean DEFAULT false;
ALTER TABLE accounts RENAME TO users;

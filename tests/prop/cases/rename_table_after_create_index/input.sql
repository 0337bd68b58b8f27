CREATE INDEX ix_4 ON orders ("order");
ALTER TABLE orders RENAME TO "MixedCase";

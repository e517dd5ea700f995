-- Sales rollups kept by the transactions that change orders (twin of the
-- other engine's file; report_rollup.go). Migration 0005 folded orders in
-- when a report was read, from a watermark set to "now" on the first read,
-- so orders written before it (the demo, an import, a shop opening the
-- dashboard days later) were never counted. The rollups are rebuilt here
-- from the orders, and from now on every order write changes them in its
-- own transaction. A report only reads.
DROP TABLE report_watermarks;
DROP INDEX orders_updated;
DROP TABLE sales_days;
DROP TABLE sales_product_days;
DROP TABLE customer_firsts;

-- Purchases per UTC day and currency. shard spreads the rows of one day
-- over several (order id modulo the engine's shard count) so that
-- concurrent orders on PostgreSQL do not queue on one row; SQLite has one
-- writer and one shard. Readers sum over shards.
CREATE TABLE sales_days (
  day BIGINT NOT NULL,          -- placed_at / 86400000 (UTC days)
  currency TEXT NOT NULL,
  shard INTEGER NOT NULL,
  orders BIGINT NOT NULL,
  revenue BIGINT NOT NULL,
  PRIMARY KEY (day, currency, shard)
);
CREATE TABLE sales_product_days (
  day BIGINT NOT NULL,
  currency TEXT NOT NULL,
  sku TEXT NOT NULL,
  shard INTEGER NOT NULL,
  name TEXT NOT NULL,
  lines BIGINT NOT NULL,
  quantity BIGINT NOT NULL,
  revenue BIGINT NOT NULL,
  PRIMARY KEY (day, currency, sku, shard)
);
-- A customer's first purchase (its amount and currency), the time of the
-- second purchase (order), and of the first purchase on a later UTC day
-- than the first (same-day orders collapsed): "new" revenue, the two
-- repeat rates and the days to the second purchase.
CREATE TABLE customer_firsts (
  contact_id BIGINT PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
  first_at BIGINT NOT NULL,
  first_currency TEXT NOT NULL,
  first_total BIGINT NOT NULL,
  second_at BIGINT,
  second_day_at BIGINT
);
CREATE INDEX customer_firsts_first ON customer_firsts(first_at, second_at, second_day_at, first_currency, first_total);
-- Purchases per customer, UTC day and currency: returning revenue and the
-- returning customers of a month (a distinct count, which day sums cannot give).
CREATE TABLE customer_days (
  contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  day BIGINT NOT NULL,
  currency TEXT NOT NULL,
  orders BIGINT NOT NULL,
  revenue BIGINT NOT NULL,
  PRIMARY KEY (contact_id, day, currency)
);
CREATE INDEX customer_days_day ON customer_days(day, contact_id, currency, orders, revenue);

INSERT INTO sales_days (day, currency, shard, orders, revenue)
SELECT placed_at / 86400000, currency, 0, COUNT(*), SUM(total) FROM orders
WHERE status IN ('paid', 'shipped', 'delivered') GROUP BY placed_at / 86400000, currency;
INSERT INTO sales_product_days (day, currency, sku, shard, name, lines, quantity, revenue)
SELECT o.placed_at / 86400000, o.currency, l.sku, 0, MAX(l.name), COUNT(*), SUM(l.quantity), SUM(l.total)
FROM orders o JOIN order_lines l ON l.order_id = o.id
WHERE o.status IN ('paid', 'shipped', 'delivered') GROUP BY o.placed_at / 86400000, o.currency, l.sku;
INSERT INTO customer_days (contact_id, day, currency, orders, revenue)
SELECT contact_id, placed_at / 86400000, currency, COUNT(*), SUM(total) FROM orders
WHERE contact_id IS NOT NULL AND status IN ('paid', 'shipped', 'delivered') GROUP BY contact_id, placed_at / 86400000, currency;
INSERT INTO customer_firsts (contact_id, first_at, first_currency, first_total, second_at, second_day_at)
SELECT contact_id, MAX(CASE WHEN rn = 1 THEN placed_at END), MAX(CASE WHEN rn = 1 THEN currency END),
  MAX(CASE WHEN rn = 1 THEN total END), MAX(CASE WHEN rn = 2 THEN placed_at END),
  MIN(CASE WHEN placed_at / 86400000 > first_day THEN placed_at END)
FROM (SELECT contact_id, placed_at, currency, total, ROW_NUMBER() OVER (PARTITION BY contact_id ORDER BY placed_at, id) AS rn,
    MIN(placed_at / 86400000) OVER (PARTITION BY contact_id) AS first_day
  FROM orders WHERE contact_id IS NOT NULL AND status IN ('paid', 'shipped', 'delivered')) x
GROUP BY contact_id;

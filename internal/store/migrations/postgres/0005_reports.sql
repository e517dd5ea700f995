-- Sales reports: daily rollups the dashboard reads instead of orders
-- (twin of the other engine's file). Scanning a million orders and their
-- lines took 11–17 s on SQLite; the rollups hold one row per day and
-- currency (and SKU), and one per customer. They are derived from orders
-- and kept current by the store (report_rollup.go): the order import
-- recomputes the days it touched, and every report first folds in the
-- orders changed since the last one (orders_updated finds them).
-- Each has an id only so that the full export can list it in order.
CREATE SEQUENCE sales_days_id_seq;
CREATE SEQUENCE sales_product_days_id_seq;
CREATE SEQUENCE customer_firsts_id_seq;
CREATE SEQUENCE report_watermarks_id_seq;
CREATE TABLE sales_days (
  id BIGINT PRIMARY KEY DEFAULT nextval('sales_days_id_seq'),
  day BIGINT NOT NULL,          -- placed_at / 86400000 (UTC days)
  currency TEXT NOT NULL,
  orders BIGINT NOT NULL,
  revenue BIGINT NOT NULL,
  UNIQUE (day, currency)
);
CREATE TABLE sales_product_days (
  id BIGINT PRIMARY KEY DEFAULT nextval('sales_product_days_id_seq'),
  day BIGINT NOT NULL,
  currency TEXT NOT NULL,
  sku TEXT NOT NULL,
  name TEXT NOT NULL,
  lines BIGINT NOT NULL,
  quantity BIGINT NOT NULL,
  revenue BIGINT NOT NULL,
  UNIQUE (day, currency, sku)
);
-- A customer's first purchase (its amount and currency) and the time of
-- the second: "new" revenue, the repeat rate and the gap histogram.
CREATE TABLE customer_firsts (
  id BIGINT PRIMARY KEY DEFAULT nextval('customer_firsts_id_seq'),
  contact_id BIGINT NOT NULL UNIQUE REFERENCES contacts(id) ON DELETE CASCADE,
  first_at BIGINT NOT NULL,
  first_currency TEXT NOT NULL,
  first_total BIGINT NOT NULL,
  second_at BIGINT
);
CREATE INDEX customer_firsts_first ON customer_firsts(first_at, second_at, first_currency, first_total);
-- How far the rollups have folded in orders.updated_at.
CREATE TABLE report_watermarks (
  id BIGINT PRIMARY KEY DEFAULT nextval('report_watermarks_id_seq'),
  name TEXT NOT NULL UNIQUE,
  at BIGINT NOT NULL
);
CREATE INDEX orders_updated ON orders(updated_at);

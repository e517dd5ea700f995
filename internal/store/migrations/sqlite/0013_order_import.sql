-- Order import of real shop exports: credit notes, and imported orders
-- identified independently of their position in the file.
--
-- kind is 'order' (a sale) or 'credit' (a cancellation or return: status
-- refunded, negative quantities and total, netted against revenue and the
-- customer's spend); credit_for is the sale it cancels, when known.
ALTER TABLE orders ADD COLUMN kind TEXT NOT NULL DEFAULT 'order';
ALTER TABLE orders ADD COLUMN credit_for BIGINT REFERENCES orders(id) ON DELETE SET NULL;
CREATE INDEX orders_credit_for ON orders(credit_for) WHERE credit_for IS NOT NULL;

-- Credit notes net the sales rollups (report_rollup.go): a day's revenue
-- and a product's units and revenue, and a customer's day revenue; the
-- credits columns hold the part of the revenue that is credit notes (zero
-- or less), so the report's returning and guest revenue can leave them
-- out. No order was a credit note before this migration, so every row's
-- credits is 0.
ALTER TABLE sales_days ADD COLUMN credits BIGINT NOT NULL DEFAULT 0;
ALTER TABLE customer_days ADD COLUMN credits BIGINT NOT NULL DEFAULT 0;
DROP INDEX customer_days_day;
CREATE INDEX customer_days_day ON customer_days(day, contact_id, currency, orders, revenue, credits);

-- rewrite: CDNOW orders were identified by "cdnow:<customer>:<date>:<line
-- of the file>", so a file with one line more or less imported everything
-- again. They are now "cdnow:<customer>:<date>#<rank>", the rank of the
-- purchase among the customer's purchases of that day in file order; the
-- old line numbers give that order, so existing imports keep matching.
UPDATE orders SET external_id = n.new_id
FROM (SELECT id, prefix || '#' || ROW_NUMBER() OVER (PARTITION BY prefix ORDER BY CAST(substr(external_id, length(prefix) + 2) AS INTEGER), id) AS new_id
  FROM (SELECT id, external_id, rtrim(rtrim(external_id, '0123456789'), ':') AS prefix FROM orders
    WHERE external_id LIKE 'cdnow:%:%:%' AND external_id NOT LIKE '%#%') x) n
WHERE n.id = orders.id;

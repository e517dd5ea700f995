-- Sales reports: covering indexes so the dashboard aggregates from index
-- pages alone, never from the order rows (twin of the other engine's file).
-- Revenue by day of the range: one range per purchased status. It leads
-- with status like orders_status, which it extends, so that the SQLite
-- planner (without ANALYZE statistics) prefers it as the covering one.
CREATE INDEX orders_report_status ON orders(status, placed_at, currency, total);
-- A customer's purchases in order, for first and second purchase.
CREATE INDEX orders_report_contact ON orders(contact_id, placed_at, id, status, currency, total);
-- The cohort of customers whose first purchase falls in the range.
CREATE INDEX customer_facts_first ON customer_facts(first_order_at, contact_id);
-- Top products: an order's lines with what the table sums.
CREATE INDEX order_lines_report ON order_lines(order_id, sku, quantity, total, name);

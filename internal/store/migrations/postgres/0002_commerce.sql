-- Commerce: products, stock ledger, orders, purchase facts (twin of sqlite/0002_commerce.sql).
CREATE SEQUENCE products_id_seq;
CREATE SEQUENCE orders_id_seq;
CREATE SEQUENCE order_lines_id_seq;
CREATE SEQUENCE order_events_id_seq;
CREATE SEQUENCE stock_movements_id_seq;

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE products (
  id BIGINT PRIMARY KEY DEFAULT nextval('products_id_seq'),
  sku TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  sort_name TEXT COLLATE "C" NOT NULL,
  names TEXT NOT NULL DEFAULT '{}',
  description TEXT NOT NULL DEFAULT '',
  descriptions TEXT NOT NULL DEFAULT '{}',
  category TEXT NOT NULL DEFAULT '',
  price BIGINT NOT NULL CHECK (price >= 0),
  currency TEXT NOT NULL,
  tax_rate_bp INTEGER NOT NULL DEFAULT 0,
  active BOOLEAN NOT NULL DEFAULT TRUE,
  image_url TEXT NOT NULL DEFAULT '',
  low_stock BIGINT NOT NULL DEFAULT 0,
  options TEXT NOT NULL DEFAULT '[]',
  search TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX products_sort_name ON products(sort_name, id);
CREATE INDEX products_category ON products(category, sort_name, id);
CREATE INDEX products_created ON products(created_at, id);

-- stock_levels is the running sum of stock_movements per product and
-- location, updated in the movement's transaction; the CHECK is the last
-- guard against overselling.
CREATE TABLE stock_levels (
  product_id BIGINT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
  location TEXT NOT NULL,
  on_hand BIGINT NOT NULL DEFAULT 0,
  reserved BIGINT NOT NULL DEFAULT 0,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (product_id, location),
  CHECK (reserved >= 0 AND on_hand >= reserved)
);

CREATE TABLE orders (
  id BIGINT PRIMARY KEY DEFAULT nextval('orders_id_seq'),
  contact_id BIGINT REFERENCES contacts(id) ON DELETE SET NULL,
  status TEXT NOT NULL,
  channel TEXT NOT NULL DEFAULT 'web',
  currency TEXT NOT NULL,
  external_id TEXT NOT NULL DEFAULT '',
  subtotal BIGINT NOT NULL DEFAULT 0,
  discount BIGINT NOT NULL DEFAULT 0,
  tax BIGINT NOT NULL DEFAULT 0,
  total BIGINT NOT NULL DEFAULT 0,
  note TEXT NOT NULL DEFAULT '',
  carrier TEXT NOT NULL DEFAULT '',
  tracking_number TEXT NOT NULL DEFAULT '',
  deal_id BIGINT,
  placed_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX orders_contact ON orders(contact_id, placed_at, id);
CREATE INDEX orders_placed ON orders(placed_at, id);
CREATE INDEX orders_status ON orders(status, placed_at, id);
CREATE INDEX orders_deal ON orders(deal_id);
CREATE UNIQUE INDEX orders_external ON orders(external_id) WHERE external_id <> '';

CREATE TABLE order_lines (
  id BIGINT PRIMARY KEY DEFAULT nextval('order_lines_id_seq'),
  order_id BIGINT NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  product_id BIGINT REFERENCES products(id) ON DELETE SET NULL,
  sku TEXT NOT NULL,
  name TEXT NOT NULL,
  quantity BIGINT NOT NULL CHECK (quantity > 0),
  unit_price BIGINT NOT NULL,
  discount BIGINT NOT NULL DEFAULT 0,
  tax_rate_bp INTEGER NOT NULL DEFAULT 0,
  tax BIGINT NOT NULL DEFAULT 0,
  total BIGINT NOT NULL,
  options TEXT NOT NULL DEFAULT '{}',
  location TEXT NOT NULL DEFAULT ''
);
CREATE INDEX order_lines_order ON order_lines(order_id, position);
CREATE INDEX order_lines_product ON order_lines(product_id);

CREATE TABLE order_events (
  id BIGINT PRIMARY KEY DEFAULT nextval('order_events_id_seq'),
  order_id BIGINT NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  status TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  carrier TEXT NOT NULL DEFAULT '',
  tracking_number TEXT NOT NULL DEFAULT '',
  actor TEXT NOT NULL DEFAULT '',
  at BIGINT NOT NULL
);
CREATE INDEX order_events_order ON order_events(order_id, id);

CREATE TABLE stock_movements (
  id BIGINT PRIMARY KEY DEFAULT nextval('stock_movements_id_seq'),
  product_id BIGINT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
  location TEXT NOT NULL,
  kind TEXT NOT NULL,
  quantity BIGINT NOT NULL,
  order_id BIGINT REFERENCES orders(id) ON DELETE SET NULL,
  note TEXT NOT NULL DEFAULT '',
  actor TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL
);
CREATE INDEX stock_movements_product ON stock_movements(product_id, id);
CREATE INDEX stock_movements_order ON stock_movements(order_id);

-- customer_facts is derived from orders (recomputed per contact in every
-- order transaction); amounts are in the shop currency of settings.
CREATE TABLE customer_facts (
  contact_id BIGINT PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
  orders INTEGER NOT NULL DEFAULT 0,
  total_spent BIGINT NOT NULL DEFAULT 0,
  currency TEXT NOT NULL DEFAULT '',
  first_order_at BIGINT,
  last_order_at BIGINT,
  updated_at BIGINT NOT NULL
);
CREATE INDEX customer_facts_orders ON customer_facts(orders);
CREATE INDEX customer_facts_spent ON customer_facts(total_spent);
CREATE INDEX customer_facts_last ON customer_facts(last_order_at);

-- External ids link a contact to its records in other systems (a shop's
-- customer number, CDNOW's customer id), one per source.
CREATE TABLE contact_external_ids (
  source TEXT NOT NULL,
  external_id TEXT NOT NULL,
  contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  PRIMARY KEY (source, external_id)
);
CREATE INDEX contact_external_ids_contact ON contact_external_ids(contact_id);

-- Orders appear on the customer's timeline as activities of kind "order".
ALTER TABLE activities ADD COLUMN order_id BIGINT REFERENCES orders(id) ON DELETE CASCADE;
CREATE INDEX activities_order ON activities(order_id);


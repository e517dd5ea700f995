-- Sales pipeline: pipelines with ordered stages, deals with product lines
-- and their stage history (twin of postgres/0004_deals.sql).
CREATE TABLE pipelines (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  position INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE pipeline_stages (
  id INTEGER PRIMARY KEY,
  pipeline_id BIGINT NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  position INTEGER NOT NULL,
  probability INTEGER NOT NULL CHECK (probability BETWEEN 0 AND 100),
  kind TEXT NOT NULL DEFAULT 'open' CHECK (kind IN ('open', 'won', 'lost'))
);
CREATE INDEX pipeline_stages_pipeline ON pipeline_stages(pipeline_id, position);

-- stage_id is RESTRICT: a stage with deals cannot disappear under them
-- (the store refuses first, with a clear message; this is the last guard).
CREATE TABLE deals (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  sort_title TEXT NOT NULL,
  pipeline_id BIGINT NOT NULL REFERENCES pipelines(id),
  stage_id BIGINT NOT NULL REFERENCES pipeline_stages(id),
  amount BIGINT NOT NULL DEFAULT 0 CHECK (amount >= 0),
  currency TEXT NOT NULL,
  expected_close TEXT NOT NULL DEFAULT '',
  probability INTEGER CHECK (probability BETWEEN 0 AND 100),
  owner_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
  contact_id BIGINT REFERENCES contacts(id) ON DELETE SET NULL,
  company_id BIGINT REFERENCES companies(id) ON DELETE SET NULL,
  status TEXT NOT NULL DEFAULT 'open',
  lost_reason TEXT NOT NULL DEFAULT '',
  closed_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
-- A board column is a stage's deals, most recently changed first.
CREATE INDEX deals_stage ON deals(stage_id, updated_at, id);
CREATE INDEX deals_amount ON deals(amount, id);
CREATE INDEX deals_updated ON deals(updated_at, id);
CREATE INDEX deals_created ON deals(created_at, id);
CREATE INDEX deals_pipeline ON deals(pipeline_id, status, expected_close);
CREATE INDEX deals_owner ON deals(owner_id, status);
CREATE INDEX deals_contact ON deals(contact_id);
CREATE INDEX deals_company ON deals(company_id);
CREATE INDEX deals_sort_title ON deals(sort_title, id);
CREATE INDEX deals_close ON deals(expected_close, id);
CREATE INDEX deals_closed_at ON deals(status, closed_at);

CREATE TABLE deal_lines (
  id INTEGER PRIMARY KEY,
  deal_id BIGINT NOT NULL REFERENCES deals(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  product_id BIGINT REFERENCES products(id) ON DELETE SET NULL,
  sku TEXT NOT NULL,
  name TEXT NOT NULL,
  quantity BIGINT NOT NULL CHECK (quantity > 0),
  unit_price BIGINT NOT NULL,
  discount BIGINT NOT NULL DEFAULT 0,
  tax_rate_bp INTEGER NOT NULL DEFAULT 0,
  total BIGINT NOT NULL
);
CREATE INDEX deal_lines_deal ON deal_lines(deal_id, position);

CREATE TABLE deal_stage_history (
  id INTEGER PRIMARY KEY,
  deal_id BIGINT NOT NULL REFERENCES deals(id) ON DELETE CASCADE,
  from_stage_id BIGINT,
  to_stage_id BIGINT NOT NULL,
  from_name TEXT NOT NULL DEFAULT '',
  to_name TEXT NOT NULL,
  actor TEXT NOT NULL DEFAULT '',
  at BIGINT NOT NULL
);
CREATE INDEX deal_stage_history_deal ON deal_stage_history(deal_id, id);

-- The default pipeline every new database starts with.
INSERT INTO pipelines (id, name, position, created_at, updated_at) VALUES (1, 'Sales', 0, 0, 0);
INSERT INTO pipeline_stages (pipeline_id, name, position, probability, kind) VALUES
  (1, 'Qualified', 0, 10, 'open'),
  (1, 'Proposal', 1, 30, 'open'),
  (1, 'Negotiation', 2, 60, 'open'),
  (1, 'Won', 3, 100, 'won'),
  (1, 'Lost', 4, 0, 'lost');

-- Recommendations (issue 10): item-to-item collaborative filtering
-- (internal/recommend), written by the recs.rebuild job (store/recs).
-- Everything here is derived from the orders and the tracked product
-- views: not exported, rebuilt after a restore. Rows belong to a build;
-- readers use the newest finished build, so a build can be written in
-- several transactions (or by COPY) without anyone seeing half of it, and
-- the rows of older builds are deleted once the new one is live. No
-- foreign keys: lookups join products, so a deleted product's rows are
-- never shown and leave with the next build.

-- One row per build, with what it read, its timings, the watermark that
-- lets the next run skip an unchanged history, and the offline evaluation
-- (JSON).
CREATE SEQUENCE recs_builds_id_seq;
CREATE TABLE recs_builds (
  id BIGINT PRIMARY KEY DEFAULT nextval('recs_builds_id_seq'),
  started_at BIGINT NOT NULL,
  finished_at BIGINT,
  status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed')),
  cause TEXT NOT NULL DEFAULT 'job',
  message TEXT NOT NULL DEFAULT '',
  orders_mark TEXT NOT NULL DEFAULT '',
  views_mark BIGINT NOT NULL DEFAULT 0,
  purchases BIGINT NOT NULL DEFAULT 0,
  views BIGINT NOT NULL DEFAULT 0,
  customers BIGINT NOT NULL DEFAULT 0,
  products BIGINT NOT NULL DEFAULT 0,
  pairs BIGINT NOT NULL DEFAULT 0,
  similar_rows BIGINT NOT NULL DEFAULT 0,
  build_ms BIGINT NOT NULL DEFAULT 0,
  write_ms BIGINT NOT NULL DEFAULT 0,
  evaluation TEXT NOT NULL DEFAULT ''
);

-- The best neighbours of each product, rank 1 first: the blended score
-- and its evidence (customers who bought both, people who viewed both
-- within a week, and the two cosines).
CREATE TABLE product_similarity (
  build_id BIGINT NOT NULL,
  product_id BIGINT NOT NULL,
  rank INTEGER NOT NULL,
  similar_id BIGINT NOT NULL,
  score DOUBLE PRECISION NOT NULL,
  co_count BIGINT NOT NULL,
  co_views BIGINT NOT NULL,
  purchase_score DOUBLE PRECISION NOT NULL,
  view_score DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (build_id, product_id, rank)
);

-- Best sellers: distinct buyers in the last 90 days, then ever.
CREATE TABLE product_popularity (
  build_id BIGINT NOT NULL,
  rank INTEGER NOT NULL,
  product_id BIGINT NOT NULL,
  buyers BIGINT NOT NULL,
  recent_buyers BIGINT NOT NULL,
  score DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (build_id, rank)
);

-- The build reads product views by time without scanning every event.
CREATE INDEX events_product_views ON events(occurred_at) WHERE name = 'product_view';

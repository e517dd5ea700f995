-- Scheduled jobs shared by every server (score fits, segment refreshes,
-- recommendation builds). A server runs a job after claiming its lease:
-- one conditional UPDATE, so of several servers exactly one wins, and a
-- server that dies mid-run loses the job when its lease runs out.
-- next_run_at = 0 asks for a run at the next tick (on demand).
CREATE TABLE jobs (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL DEFAULT '',
    lease_until BIGINT NOT NULL DEFAULT 0,
    next_run_at BIGINT NOT NULL DEFAULT 0,
    last_started_at BIGINT,
    last_finished_at BIGINT,
    last_error TEXT NOT NULL DEFAULT '',
    runs BIGINT NOT NULL DEFAULT 0
);

-- Segments (issue 10): the definition is a JSON AND/OR tree compiled to
-- SQL (internal/segment); dynamic segments are refreshed into
-- segment_members by a job, static lists hold what was added. Every
-- entry and exit is a segment_changes row: journeys start from them.
CREATE TABLE segments (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL CHECK (kind IN ('dynamic', 'static')),
  definition TEXT NOT NULL DEFAULT '',
  owner_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
  member_count BIGINT NOT NULL DEFAULT 0,
  refreshed_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE segment_members (
  segment_id BIGINT NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
  contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  added_at BIGINT NOT NULL,
  PRIMARY KEY (segment_id, contact_id)
);
CREATE INDEX segment_members_contact ON segment_members(contact_id);

CREATE TABLE segment_changes (
  segment_id BIGINT NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
  contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  change TEXT NOT NULL CHECK (change IN ('entered', 'left')),
  at BIGINT NOT NULL
);
CREATE INDEX segment_changes_at ON segment_changes(segment_id, at);
CREATE INDEX segment_changes_contact ON segment_changes(contact_id);

-- Customer value scores (issue 10): one row per customer with orders,
-- written by the score job (internal/clv fits). Money is in minor units
-- of the shop currency; probabilities are 0..1; never NaN or Inf.
CREATE TABLE contact_scores (
  contact_id BIGINT PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
  run_id BIGINT NOT NULL,
  computed_at BIGINT NOT NULL,
  frequency BIGINT NOT NULL,           -- repeat purchase days (BG/NBD x)
  recency_days REAL NOT NULL,        -- days since the last purchase day
  monetary BIGINT NOT NULL,            -- mean spend per purchase day
  r_score INTEGER NOT NULL,            -- 1..5 quintiles
  f_score INTEGER NOT NULL,
  m_score INTEGER NOT NULL,
  rfm_group TEXT NOT NULL,             -- champions, loyal, promising, new, at_risk, cant_lose, hibernating, lost, ...
  p_alive REAL NOT NULL,
  exp_purchases_30 REAL NOT NULL,
  exp_purchases_90 REAL NOT NULL,
  exp_purchases_365 REAL NOT NULL,
  exp_spend BIGINT NOT NULL,           -- Gamma-Gamma expected spend per purchase
  clv_12m BIGINT NOT NULL,             -- discounted 12-month CLV
  churn_risk REAL NOT NULL,          -- P(no purchase in the next 90 days)
  churn_band TEXT NOT NULL CHECK (churn_band IN ('low', 'medium', 'high')),
  avg_days_between REAL,             -- NULL with fewer than two purchase days
  next_order_at BIGINT                 -- expected date of the next order
);
CREATE INDEX contact_scores_group ON contact_scores(rfm_group);
CREATE INDEX contact_scores_clv ON contact_scores(clv_12m);
CREATE INDEX contact_scores_alive ON contact_scores(p_alive);

-- One row per score run: the fitted parameters, their log-likelihood and
-- the holdout check as JSON, shown to the shop (ecrm shows the model).
CREATE TABLE score_runs (
  id INTEGER PRIMARY KEY,
  started_at BIGINT NOT NULL,
  finished_at BIGINT,
  as_of TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed')),
  message TEXT NOT NULL DEFAULT '',
  customers BIGINT NOT NULL DEFAULT 0,
  record TEXT NOT NULL DEFAULT '{}'
);

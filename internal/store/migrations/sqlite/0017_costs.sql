-- Costs (issue 10, store/economics): what the business spends, in minor
-- units with a currency and a date, for the cohort and economics reports.
-- One table for four kinds, keyed by kind, key, date and currency (an
-- import of the same file changes nothing):
--   acquisition  key: marketing channel (matched to contacts.source, else
--                the first order's channel); date: the month's first day;
--                amount: the month's spend, spread evenly over its days.
--   product      key: SKU; date: effective from (UTC day); amount per
--                `per` units sold (COGS of an order line at placed_at).
--   message      key: email | sms; date: effective from; amount per `per`
--                messages sent.
--   staff        key: activity kind (call, meeting, note, email), task,
--                ticket or * (any); date: effective from; amount per `per`
--                minutes of staff time.
CREATE TABLE costs (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('acquisition', 'product', 'message', 'staff')),
  key TEXT NOT NULL,
  day BIGINT NOT NULL,              -- UTC days since 1970 (date / 86400000 ms)
  amount BIGINT NOT NULL CHECK (amount >= 0),
  per BIGINT NOT NULL DEFAULT 1 CHECK (per >= 1),
  currency TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (kind, key, day, currency)
);
CREATE INDEX costs_day ON costs(kind, day);

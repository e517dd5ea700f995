-- Passive collection: tracking sites, visitors, events and the cookieless
-- page-view counts (twin of sqlite/0007_tracking.sql).

-- A site is a web property that embeds /t.js with its public key. The
-- identify secret signs browser identify calls; it is never selected by a
-- read path and not exported (store.DumpSchema), so a restored site has
-- none until it is rotated.
CREATE SEQUENCE sites_id_seq;
CREATE SEQUENCE events_id_seq;
CREATE SEQUENCE page_counts_id_seq;

CREATE TABLE sites (
  id BIGINT PRIMARY KEY DEFAULT nextval('sites_id_seq'),
  name TEXT NOT NULL,
  public_key TEXT NOT NULL UNIQUE,
  origins TEXT NOT NULL DEFAULT '',
  identify_secret TEXT NOT NULL DEFAULT '',
  active BOOLEAN NOT NULL DEFAULT TRUE,
  banner BOOLEAN NOT NULL DEFAULT TRUE,
  banner_color TEXT NOT NULL DEFAULT '',
  banner_position TEXT NOT NULL DEFAULT 'bottom',
  banner_language TEXT NOT NULL DEFAULT 'en',
  privacy_url TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- A visitor is a browser that consented to analytics: its id is random
-- (128 bits, made by the snippet). contact_id is set only by a trusted
-- link (a form submission, a signed identify), never by what the browser
-- claims. Events join through here, so linking attaches the whole past.
CREATE TABLE visitors (
  id TEXT PRIMARY KEY,
  site_id BIGINT REFERENCES sites(id) ON DELETE SET NULL,
  contact_id BIGINT REFERENCES contacts(id) ON DELETE SET NULL,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  linked_at BIGINT,
  link_source TEXT NOT NULL DEFAULT ''
);
CREATE INDEX visitors_contact ON visitors(contact_id) WHERE contact_id IS NOT NULL;

-- Consented events only; site and visitor are kept without foreign keys
-- to spare the batch insert the lookups (the writer checks the site).
CREATE TABLE events (
  id BIGINT PRIMARY KEY DEFAULT nextval('events_id_seq'),
  site_id BIGINT NOT NULL,
  visitor_id TEXT NOT NULL,
  session_id TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL,
  url TEXT NOT NULL DEFAULT '',
  path TEXT NOT NULL DEFAULT '',
  title TEXT NOT NULL DEFAULT '',
  referrer TEXT NOT NULL DEFAULT '',
  utm_source TEXT NOT NULL DEFAULT '',
  utm_medium TEXT NOT NULL DEFAULT '',
  utm_campaign TEXT NOT NULL DEFAULT '',
  utm_term TEXT NOT NULL DEFAULT '',
  utm_content TEXT NOT NULL DEFAULT '',
  product_sku TEXT NOT NULL DEFAULT '',
  product_name TEXT NOT NULL DEFAULT '',
  value BIGINT,
  currency TEXT NOT NULL DEFAULT '',
  props TEXT NOT NULL DEFAULT '{}',
  occurred_at BIGINT NOT NULL,
  received_at BIGINT NOT NULL
);
CREATE INDEX events_visitor ON events(visitor_id, occurred_at);
CREATE INDEX events_site ON events(site_id, occurred_at);

-- Page views before consent: a count per site, UTC day and path, with no
-- visitor, no IP and no query string.
CREATE TABLE page_counts (
  id BIGINT PRIMARY KEY DEFAULT nextval('page_counts_id_seq'),
  site_id BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
  day BIGINT NOT NULL,
  path TEXT NOT NULL,
  count BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX page_counts_key ON page_counts(site_id, day, path);

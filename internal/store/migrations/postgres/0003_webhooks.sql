-- Outbound webhooks: endpoints, the delivery outbox and its log (twin of sqlite/0003_webhooks.sql).
-- secret signs deliveries and is never exported; prev_secret keeps signing
-- until prev_secret_until after a rotation. events is space-separated, or "*".
CREATE SEQUENCE webhook_endpoints_id_seq;
CREATE SEQUENCE webhook_deliveries_id_seq;
CREATE SEQUENCE webhook_attempts_id_seq;

CREATE TABLE webhook_endpoints (
  id BIGINT PRIMARY KEY DEFAULT nextval('webhook_endpoints_id_seq'),
  url TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  events TEXT NOT NULL DEFAULT '*',
  active BOOLEAN NOT NULL DEFAULT TRUE,
  secret TEXT NOT NULL DEFAULT '',
  prev_secret TEXT NOT NULL DEFAULT '',
  prev_secret_until BIGINT,
  failing_since BIGINT,
  disabled_reason TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- One row per message and endpoint: the transactional outbox. A claim
-- sets lease_until and counts the attempt; next_attempt_at is NULL once
-- the delivery is final.
CREATE TABLE webhook_deliveries (
  id BIGINT PRIMARY KEY DEFAULT nextval('webhook_deliveries_id_seq'),
  endpoint_id BIGINT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  msg_id TEXT NOT NULL,
  event TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  next_attempt_at BIGINT,
  lease_until BIGINT,
  last_code INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  delivered_at BIGINT
);
CREATE UNIQUE INDEX webhook_deliveries_msg ON webhook_deliveries(endpoint_id, msg_id);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE next_attempt_at IS NOT NULL;

CREATE TABLE webhook_attempts (
  id BIGINT PRIMARY KEY DEFAULT nextval('webhook_attempts_id_seq'),
  delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
  attempt INTEGER NOT NULL,
  at BIGINT NOT NULL,
  response_code INTEGER NOT NULL DEFAULT 0,
  response_body TEXT NOT NULL DEFAULT '',
  duration_ms BIGINT NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, id);

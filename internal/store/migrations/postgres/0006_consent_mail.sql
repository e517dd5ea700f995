-- Consent ledger, mail outbox and server secrets (twin of sqlite/0006_consent_mail.sql).
CREATE SEQUENCE consents_id_seq;
CREATE SEQUENCE mail_outbox_id_seq;

-- secrets holds keys that must be shared by every server but never leave
-- the database: the link-signing key, the SMTP password. It is not part
-- of the export (store.DumpSchema), like password and API-key hashes.
CREATE TABLE secrets (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- The consent ledger is append-only: the store never updates or deletes
-- a row (erasing the contact removes its rows). The current state of a
-- topic (purpose × channel) is its newest row.
CREATE TABLE consents (
  id BIGINT PRIMARY KEY DEFAULT nextval('consents_id_seq'),
  contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  purpose TEXT NOT NULL,
  channel TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('granted', 'withdrawn')),
  legal_basis TEXT NOT NULL,
  source TEXT NOT NULL,
  source_ref TEXT NOT NULL DEFAULT '',
  wording_version TEXT NOT NULL DEFAULT '',
  wording TEXT NOT NULL DEFAULT '',
  ip TEXT NOT NULL DEFAULT '',
  user_agent TEXT NOT NULL DEFAULT '',
  actor TEXT NOT NULL DEFAULT '',
  at BIGINT NOT NULL,
  expires_at BIGINT
);
CREATE INDEX consents_contact ON consents(contact_id, at);

-- The mail outbox: one row per message, claimed by a worker with a lease
-- (lease_until) like webhook deliveries; next_attempt_at is NULL once the
-- message is sent or has failed for good.
CREATE TABLE mail_outbox (
  id BIGINT PRIMARY KEY DEFAULT nextval('mail_outbox_id_seq'),
  kind TEXT NOT NULL,
  to_addr TEXT NOT NULL,
  to_name TEXT NOT NULL DEFAULT '',
  subject TEXT NOT NULL,
  text_body TEXT NOT NULL DEFAULT '',
  html_body TEXT NOT NULL DEFAULT '',
  contact_id BIGINT REFERENCES contacts(id) ON DELETE SET NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT,
  lease_until BIGINT,
  last_error TEXT NOT NULL DEFAULT '',
  message_id TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  sent_at BIGINT
);
CREATE INDEX mail_outbox_due ON mail_outbox(next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX mail_outbox_contact ON mail_outbox(contact_id);

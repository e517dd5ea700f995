-- Forms, their consent wording versions and submissions (twin of sqlite/0008_forms.sql).
CREATE SEQUENCE forms_id_seq;
CREATE SEQUENCE form_consent_versions_id_seq;
CREATE SEQUENCE form_submissions_id_seq;

-- fields and consents are JSON (crm.FormField, crm.FormConsent): a form
-- is read and written whole. views and submissions are counters for the
-- list's conversion rate.
CREATE TABLE forms (
  id BIGINT PRIMARY KEY DEFAULT nextval('forms_id_seq'),
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active',
  language TEXT NOT NULL DEFAULT '',
  title TEXT NOT NULL DEFAULT '',
  intro TEXT NOT NULL DEFAULT '',
  submit_label TEXT NOT NULL DEFAULT '',
  fields TEXT NOT NULL DEFAULT '[]',
  consents TEXT NOT NULL DEFAULT '[]',
  double_opt_in BOOLEAN NOT NULL DEFAULT FALSE,
  owner_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
  success_message TEXT NOT NULL DEFAULT '',
  redirect_url TEXT NOT NULL DEFAULT '',
  views BIGINT NOT NULL DEFAULT 0,
  submissions BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- Every wording a consent checkbox has had: append-only, so a ledger
-- entry's wording_version always names the text the person saw.
CREATE TABLE form_consent_versions (
  id BIGINT PRIMARY KEY DEFAULT nextval('form_consent_versions_id_seq'),
  form_id BIGINT NOT NULL REFERENCES forms(id) ON DELETE CASCADE,
  purpose TEXT NOT NULL,
  channel TEXT NOT NULL,
  version INTEGER NOT NULL,
  wording TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (form_id, purpose, channel, version)
);

-- A form with submissions is never deleted (only archived), so
-- form_id needs no cascade; a deleted contact leaves its submissions
-- without a contact.
CREATE TABLE form_submissions (
  id BIGINT PRIMARY KEY DEFAULT nextval('form_submissions_id_seq'),
  form_id BIGINT NOT NULL REFERENCES forms(id),
  contact_id BIGINT REFERENCES contacts(id) ON DELETE SET NULL,
  answers TEXT NOT NULL DEFAULT '{}',
  consents TEXT NOT NULL DEFAULT '[]',
  ip TEXT NOT NULL DEFAULT '',
  user_agent TEXT NOT NULL DEFAULT '',
  visitor_id TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL CHECK (status IN ('accepted', 'pending', 'confirmed')),
  created_at BIGINT NOT NULL,
  confirmed_at BIGINT,
  confirm_ip TEXT NOT NULL DEFAULT '',
  confirm_user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX form_submissions_form ON form_submissions(form_id, id);
CREATE INDEX form_submissions_contact ON form_submissions(contact_id);

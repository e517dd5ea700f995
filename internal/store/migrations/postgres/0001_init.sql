-- Foundation schema (PostgreSQL twin of sqlite/0001_init.sql). Times are unix milliseconds (BIGINT) on both engines.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE SEQUENCE users_id_seq;
CREATE SEQUENCE api_keys_id_seq;
CREATE SEQUENCE companies_id_seq;
CREATE SEQUENCE contacts_id_seq;
CREATE SEQUENCE custom_fields_id_seq;
CREATE SEQUENCE activities_id_seq;
CREATE SEQUENCE tasks_id_seq;
CREATE SEQUENCE audit_log_id_seq;
CREATE SEQUENCE saved_views_id_seq;

CREATE TABLE users (
  id BIGINT PRIMARY KEY DEFAULT nextval('users_id_seq'),
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL,
  language TEXT NOT NULL DEFAULT 'en',
  password_hash TEXT NOT NULL DEFAULT '',
  active BOOLEAN NOT NULL DEFAULT TRUE,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE role_settings (
  role TEXT PRIMARY KEY,
  own_only BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_keys (
  id BIGINT PRIMARY KEY DEFAULT nextval('api_keys_id_seq'),
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  secret_hash TEXT NOT NULL UNIQUE,
  scopes TEXT NOT NULL,
  created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT,
  revoked_at BIGINT
);

CREATE TABLE companies (
  id BIGINT PRIMARY KEY DEFAULT nextval('companies_id_seq'),
  name TEXT NOT NULL,
  sort_name TEXT COLLATE "C" NOT NULL,
  domain TEXT NOT NULL DEFAULT '',
  industry TEXT NOT NULL DEFAULT '',
  size INTEGER NOT NULL DEFAULT 0,
  phone TEXT NOT NULL DEFAULT '',
  street TEXT NOT NULL DEFAULT '',
  city TEXT NOT NULL DEFAULT '',
  region TEXT NOT NULL DEFAULT '',
  country TEXT NOT NULL DEFAULT '',
  owner_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
  tags TEXT NOT NULL DEFAULT '',
  custom TEXT NOT NULL DEFAULT '{}',
  search TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX companies_sort_name ON companies(sort_name, id);
CREATE INDEX companies_domain ON companies(domain);
CREATE INDEX companies_created ON companies(created_at, id);
CREATE INDEX companies_updated ON companies(updated_at, id);
CREATE INDEX companies_country ON companies(country, sort_name, id);
CREATE INDEX companies_search ON companies USING gin (search gin_trgm_ops);
CREATE INDEX companies_owner ON companies(owner_id, sort_name, id);

CREATE TABLE company_tags (
  tag TEXT NOT NULL,
  company_id BIGINT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  PRIMARY KEY (tag, company_id)
);

CREATE TABLE contacts (
  id BIGINT PRIMARY KEY DEFAULT nextval('contacts_id_seq'),
  first_name TEXT NOT NULL DEFAULT '',
  last_name TEXT NOT NULL DEFAULT '',
  sort_name TEXT COLLATE "C" NOT NULL,
  email TEXT NOT NULL DEFAULT '',
  phone TEXT NOT NULL DEFAULT '',
  company_id BIGINT REFERENCES companies(id) ON DELETE SET NULL,
  title TEXT NOT NULL DEFAULT '',
  street TEXT NOT NULL DEFAULT '',
  city TEXT NOT NULL DEFAULT '',
  region TEXT NOT NULL DEFAULT '',
  postal_code TEXT NOT NULL DEFAULT '',
  country TEXT NOT NULL DEFAULT '',
  birth_date TEXT NOT NULL DEFAULT '',
  language TEXT NOT NULL DEFAULT '',
  stage TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL DEFAULT '',
  owner_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
  tags TEXT NOT NULL DEFAULT '',
  custom TEXT NOT NULL DEFAULT '{}',
  search TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX contacts_sort_name ON contacts(sort_name, id);
CREATE INDEX contacts_email ON contacts(email);
CREATE INDEX contacts_phone ON contacts(phone);
CREATE INDEX contacts_company ON contacts(company_id, sort_name, id);
CREATE INDEX contacts_created ON contacts(created_at, id);
CREATE INDEX contacts_updated ON contacts(updated_at, id);
CREATE INDEX contacts_country ON contacts(country, sort_name, id);
CREATE INDEX contacts_stage ON contacts(stage, sort_name, id);
CREATE INDEX contacts_owner ON contacts(owner_id, sort_name, id);

CREATE INDEX contacts_search ON contacts USING gin (search gin_trgm_ops);

CREATE TABLE contact_emails (
  contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  email TEXT NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (contact_id, email)
);
CREATE INDEX contact_emails_email ON contact_emails(email);

CREATE TABLE contact_phones (
  contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  phone TEXT NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (contact_id, phone)
);
CREATE INDEX contact_phones_phone ON contact_phones(phone);

CREATE TABLE contact_tags (
  tag TEXT NOT NULL,
  contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  PRIMARY KEY (tag, contact_id)
);
CREATE INDEX contact_tags_contact ON contact_tags(contact_id);

CREATE TABLE custom_fields (
  id BIGINT PRIMARY KEY DEFAULT nextval('custom_fields_id_seq'),
  entity TEXT NOT NULL,
  key TEXT NOT NULL,
  label TEXT NOT NULL,
  type TEXT NOT NULL,
  options TEXT NOT NULL DEFAULT '[]',
  required BOOLEAN NOT NULL DEFAULT FALSE,
  position INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  UNIQUE (entity, key)
);

CREATE TABLE activities (
  id BIGINT PRIMARY KEY DEFAULT nextval('activities_id_seq'),
  kind TEXT NOT NULL,
  contact_id BIGINT REFERENCES contacts(id) ON DELETE CASCADE,
  company_id BIGINT REFERENCES companies(id) ON DELETE CASCADE,
  subject TEXT NOT NULL DEFAULT '',
  body TEXT NOT NULL DEFAULT '',
  outcome TEXT NOT NULL DEFAULT '',
  duration_sec INTEGER NOT NULL DEFAULT 0,
  occurred_at BIGINT NOT NULL,
  author_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX activities_contact ON activities(contact_id, occurred_at, id);
CREATE INDEX activities_company ON activities(company_id, occurred_at, id);
CREATE INDEX activities_occurred ON activities(occurred_at, id);

CREATE TABLE tasks (
  id BIGINT PRIMARY KEY DEFAULT nextval('tasks_id_seq'),
  title TEXT NOT NULL,
  body TEXT NOT NULL DEFAULT '',
  contact_id BIGINT REFERENCES contacts(id) ON DELETE CASCADE,
  company_id BIGINT REFERENCES companies(id) ON DELETE CASCADE,
  assignee_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
  due_at BIGINT,
  remind_at BIGINT,
  status TEXT NOT NULL DEFAULT 'open',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX tasks_assignee ON tasks(assignee_id, status, due_at, id);
CREATE INDEX tasks_contact ON tasks(contact_id, due_at, id);
CREATE INDEX tasks_company ON tasks(company_id);

CREATE TABLE audit_log (
  id BIGINT PRIMARY KEY DEFAULT nextval('audit_log_id_seq'),
  at BIGINT NOT NULL,
  actor TEXT NOT NULL,
  actor_id BIGINT,
  action TEXT NOT NULL,
  entity TEXT NOT NULL,
  entity_id BIGINT,
  before TEXT NOT NULL DEFAULT '',
  after TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_entity ON audit_log(entity, entity_id, id);

CREATE TABLE saved_views (
  id BIGINT PRIMARY KEY DEFAULT nextval('saved_views_id_seq'),
  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  entity TEXT NOT NULL,
  name TEXT NOT NULL,
  query TEXT NOT NULL DEFAULT '',
  columns TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL
);
CREATE INDEX saved_views_user ON saved_views(user_id, entity);

CREATE TABLE idempotency_keys (
  actor TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status INTEGER NOT NULL DEFAULT 0,
  body BYTEA,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (actor, key)
);
CREATE INDEX idempotency_created ON idempotency_keys(created_at);

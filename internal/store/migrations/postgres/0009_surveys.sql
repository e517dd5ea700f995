-- Surveys: NPS, CSAT and custom questionnaires, their answers and the
-- invitations sent (twin of sqlite/0009_surveys.sql).
CREATE SEQUENCE surveys_id_seq;
CREATE SEQUENCE survey_responses_id_seq;
CREATE SEQUENCE survey_sends_id_seq;

CREATE TABLE surveys (
  id BIGINT PRIMARY KEY DEFAULT nextval('surveys_id_seq'),
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('nps', 'csat', 'custom')),
  question TEXT NOT NULL DEFAULT '',
  questions TEXT NOT NULL DEFAULT '[]',
  intro TEXT NOT NULL DEFAULT '',
  thank_you TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL CHECK (status IN ('draft', 'active', 'closed')),
  anonymous BOOLEAN NOT NULL DEFAULT FALSE,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- One response per contact and survey (answering again updates the row
-- and keeps the earlier version in history); anonymous answers have no
-- contact, and NULLs never collide in the unique index. manager_id is
-- the contact's owner when the answer was given.
CREATE TABLE survey_responses (
  id BIGINT PRIMARY KEY DEFAULT nextval('survey_responses_id_seq'),
  survey_id BIGINT NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
  contact_id BIGINT REFERENCES contacts(id) ON DELETE CASCADE,
  manager_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
  score INTEGER CHECK (score IS NULL OR (score >= 0 AND score <= 10)),
  comment TEXT NOT NULL DEFAULT '',
  answers TEXT NOT NULL DEFAULT '{}',
  channel TEXT NOT NULL CHECK (channel IN ('link', 'embed')),
  ip TEXT NOT NULL DEFAULT '',
  user_agent TEXT NOT NULL DEFAULT '',
  revisions INTEGER NOT NULL DEFAULT 0,
  history TEXT NOT NULL DEFAULT '[]',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX survey_responses_contact ON survey_responses(survey_id, contact_id);
CREATE INDEX survey_responses_survey ON survey_responses(survey_id, id);
CREATE INDEX survey_responses_of_contact ON survey_responses(contact_id);

-- Who was sent which survey when: the response rate's denominator and
-- the guard against inviting someone twice in a week.
CREATE TABLE survey_sends (
  id BIGINT PRIMARY KEY DEFAULT nextval('survey_sends_id_seq'),
  survey_id BIGINT NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
  contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  mail_id BIGINT REFERENCES mail_outbox(id) ON DELETE SET NULL,
  actor TEXT NOT NULL DEFAULT '',
  sent_at BIGINT NOT NULL
);
CREATE INDEX survey_sends_contact ON survey_sends(survey_id, contact_id, sent_at);
CREATE INDEX survey_sends_of_contact ON survey_sends(contact_id);

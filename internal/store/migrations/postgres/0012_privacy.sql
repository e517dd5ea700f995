-- Privacy (issue 9): refused visitors of erased contacts, and preference
-- links that can be revoked (twin of sqlite/0012_privacy.sql).

-- erased_visitors remembers the ids of the visitors of an erased (deleted)
-- contact, so that their browsers' events are refused instead of being
-- stored again under an anonymous visitor. The id is a random number that
-- no longer leads to anyone; nothing else about the visitor is kept.
CREATE TABLE erased_visitors (
  id TEXT PRIMARY KEY,
  erased_at BIGINT NOT NULL
);

-- preference_links: the version of a contact's preference-centre link is
-- signed into the link; revoking bumps it, so every older link stops
-- working on every server at once. A contact has a row only once its link
-- was used or revoked (no row = version 0, the links sent before).
CREATE TABLE preference_links (
  contact_id BIGINT PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
  version INTEGER NOT NULL DEFAULT 0,
  revoked_at BIGINT,
  revoked_by TEXT NOT NULL DEFAULT '',
  last_used_at BIGINT
);

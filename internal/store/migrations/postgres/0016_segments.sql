-- Segments (issue 10): indexes for the segment engine's web behaviour and
-- consent predicates. A web predicate walks each linked visitor's events
-- of one name in a time window: with the name in the index that walk
-- reads the index alone, never the event rows. A consent predicate asks
-- for a contact's newest entry of one topic: this index answers it
-- without reading the ledger rows. Both are kept by the database in the
-- writing transaction, so they are right under any concurrency; the cost
-- is one more index entry per tracked event and consent entry.
CREATE INDEX events_visitor_name ON events(visitor_id, name, occurred_at);
CREATE INDEX consents_topic ON consents(contact_id, purpose, channel, at, status, expires_at);

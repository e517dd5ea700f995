-- Mail: a List-Unsubscribe link per message (campaigns, later: one-click
-- unsubscribe per RFC 8058) and an index for the outbox list filtered by
-- state, newest first. SMTP settings live in settings ("mail.*") and the
-- password in secrets, so they need no table.
ALTER TABLE mail_outbox ADD COLUMN list_unsubscribe TEXT NOT NULL DEFAULT '';
CREATE INDEX mail_outbox_status ON mail_outbox(status, id);

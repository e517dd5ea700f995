-- The committed ranges of each collect spool (a server's append-only file
-- of accepted tracking events). A batch's range is written in the batch's
-- own transaction, so replaying a spool after a crash skips what the
-- database already has. Rows go once the spool's files are deleted.
CREATE TABLE collect_spool_ranges (
    spool TEXT NOT NULL,
    first_seq BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    PRIMARY KEY (spool, first_seq)
);

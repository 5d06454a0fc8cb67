-- ChatBuilder store-jdbc schema, version 3, MariaDB 10.3+: lease intents and conversation turns.
-- intent: what the lease holder is doing (kept when its lease lapses, so the next holder can finish
-- or roll it back); intent_token: the token of the lease that recorded it.
ALTER TABLE ${prefix}leases ADD COLUMN IF NOT EXISTS intent MEDIUMTEXT NULL;
ALTER TABLE ${prefix}leases ADD COLUMN IF NOT EXISTS intent_token BIGINT NULL;
-- turn_id: the run (or history operation) that appended the message; NULL for rows of version 2.
ALTER TABLE ${prefix}messages ADD COLUMN IF NOT EXISTS turn_id VARCHAR(100) NULL;

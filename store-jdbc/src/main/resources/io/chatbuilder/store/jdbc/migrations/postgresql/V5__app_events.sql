-- ChatBuilder store-jdbc schema, version 5, PostgreSQL: the app stream (DESIGN §3.1).
-- Re-runnable (IF NOT EXISTS), like every script.

-- One row per app holding its last app-event seq: every append locks it (SELECT ... FOR UPDATE),
-- so hosts appending to one app at once are serialized and seqs have no gap and no duplicate.
CREATE TABLE IF NOT EXISTS ${prefix}app_streams (
  app_id   VARCHAR(255) NOT NULL PRIMARY KEY,
  last_seq BIGINT       NOT NULL
);

-- The app events: their JSON wire form, numbered from 1 within the app.
CREATE TABLE IF NOT EXISTS ${prefix}app_events (
  app_id        VARCHAR(255) NOT NULL,
  seq           BIGINT       NOT NULL,
  event_type    VARCHAR(64)  NOT NULL,
  payload       TEXT NOT NULL,
  created_at_ms BIGINT       NOT NULL,
  CONSTRAINT ${prefix}app_events_pk PRIMARY KEY (app_id, seq)
);

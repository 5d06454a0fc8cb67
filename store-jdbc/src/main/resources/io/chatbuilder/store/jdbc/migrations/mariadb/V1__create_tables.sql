-- ChatBuilder store-jdbc schema, version 1, MariaDB 10.3+ (and MySQL 8).
-- ${prefix} is the configured table prefix (default cb_). Every statement is idempotent, so a
-- migration interrupted on a database without transactional DDL can simply be run again.

-- Each app's current head: the row the compare-and-set append locks.
CREATE TABLE IF NOT EXISTS ${prefix}app_heads (
  app_id      VARCHAR(255) NOT NULL PRIMARY KEY,
  head_id     VARCHAR(64)  NOT NULL,
  head_seq    BIGINT       NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

-- The append-only history: seq is the position in the app's linear chain (1 = first).
CREATE TABLE IF NOT EXISTS ${prefix}checkpoints (
  app_id               VARCHAR(255) NOT NULL,
  id                   VARCHAR(64)  NOT NULL,
  seq                  BIGINT       NOT NULL,
  parent_id            VARCHAR(64),
  revision_id          VARCHAR(64)  NOT NULL,
  checkpoint_type      VARCHAR(32)  NOT NULL,
  checkpoint_label     MEDIUMTEXT      NOT NULL,
  tool_summary         MEDIUMTEXT      NOT NULL,
  run_id               VARCHAR(255),
  run_outcome          VARCHAR(32),
  source_checkpoint_id VARCHAR(64),
  conversation_length  INTEGER      NOT NULL,
  files_added          INTEGER      NOT NULL,
  files_modified       INTEGER      NOT NULL,
  files_deleted        INTEGER      NOT NULL,
  files_renamed        INTEGER      NOT NULL,
  lines_added          BIGINT       NOT NULL,
  lines_removed        BIGINT       NOT NULL,
  bytes_written        BIGINT       NOT NULL,
  created_at_s         BIGINT       NOT NULL,
  created_at_ns        INTEGER      NOT NULL,
  CONSTRAINT ${prefix}checkpoints_pk PRIMARY KEY (app_id, id),
  CONSTRAINT ${prefix}checkpoints_seq_uq UNIQUE (app_id, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

-- Revisions are skip-deltas: a row is either a full snapshot (depth 0) or the changes against an
-- earlier revision on its base chain, chosen so that reading needs at most log2(depth) + 1
-- deltas. read_path lists (space-separated) the revisions whose entries make up this one, nearest
-- first, ending with the snapshot.
CREATE TABLE IF NOT EXISTS ${prefix}revisions (
  id            VARCHAR(64)   NOT NULL PRIMARY KEY,
  base_id       VARCHAR(64),
  depth         INTEGER       NOT NULL,
  read_path     VARCHAR(4000) NOT NULL,
  entry_count   INTEGER       NOT NULL,
  path_entries  BIGINT        NOT NULL,
  file_count    INTEGER       NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

-- Files of a snapshot, or changes of a delta (blob_id NULL = deleted).
CREATE TABLE IF NOT EXISTS ${prefix}revision_entries (
  revision_id VARCHAR(64)  NOT NULL,
  path        VARCHAR(700) NOT NULL,
  blob_id     VARCHAR(64),
  byte_size   BIGINT,
  CONSTRAINT ${prefix}revision_entries_pk PRIMARY KEY (revision_id, path)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

-- Content-addressed file bytes (SHA-256 hex), stored once. encoding 0 = raw, 1 = deflate.
CREATE TABLE IF NOT EXISTS ${prefix}blobs (
  id       VARCHAR(64) NOT NULL PRIMARY KEY,
  byte_size BIGINT     NOT NULL,
  encoding SMALLINT    NOT NULL,
  data     LONGBLOB    NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

-- Each app's conversation; msg_count is the lock row and the number of messages.
CREATE TABLE IF NOT EXISTS ${prefix}conversations (
  app_id VARCHAR(255) NOT NULL PRIMARY KEY,
  msg_count INTEGER   NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS ${prefix}messages (
  app_id   VARCHAR(255) NOT NULL,
  msg_index INTEGER     NOT NULL,
  payload  MEDIUMTEXT      NOT NULL,
  CONSTRAINT ${prefix}messages_pk PRIMARY KEY (app_id, msg_index)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

-- Runs in start order; last_seq is the lock row for gapless event sequence numbers.
CREATE TABLE IF NOT EXISTS ${prefix}runs (
  app_id   VARCHAR(255) NOT NULL,
  run_id   VARCHAR(255) NOT NULL,
  ordinal  BIGINT       NOT NULL AUTO_INCREMENT,
  last_seq BIGINT       NOT NULL,
  CONSTRAINT ${prefix}runs_pk PRIMARY KEY (app_id, run_id),
  KEY ${prefix}runs_ordinal_ix (ordinal)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE INDEX IF NOT EXISTS ${prefix}runs_order_ix ON ${prefix}runs (app_id, ordinal);

-- Every event of every run as its JSON wire form.
CREATE TABLE IF NOT EXISTS ${prefix}events (
  app_id     VARCHAR(255) NOT NULL,
  run_id     VARCHAR(255) NOT NULL,
  seq        BIGINT       NOT NULL,
  event_type VARCHAR(64)  NOT NULL,
  payload    MEDIUMTEXT      NOT NULL,
  CONSTRAINT ${prefix}events_pk PRIMARY KEY (app_id, run_id, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

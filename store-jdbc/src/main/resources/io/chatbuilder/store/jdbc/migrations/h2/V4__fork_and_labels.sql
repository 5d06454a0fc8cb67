-- ChatBuilder store-jdbc schema, version 4, H2: forks and checkpoint labels.
-- Re-runnable (IF NOT EXISTS), like every script.

-- A fork checkpoint (checkpoint_type 'fork') shares its source's revision; this is the app it came
-- from (source_checkpoint_id names the checkpoint). NULL for every other checkpoint.
ALTER TABLE ${prefix}checkpoints ADD COLUMN IF NOT EXISTS source_app_id VARCHAR(255);

-- Labels (bookmarks: the label 'bookmark') on checkpoints: metadata beside the append-only
-- history, so adding or removing one never rewrites a checkpoint row. Labels are NFC-normalized,
-- at most 64 code points (VARCHAR(255) leaves room for any encoding's length rules).
CREATE TABLE IF NOT EXISTS ${prefix}checkpoint_labels (
  app_id        VARCHAR(255) NOT NULL,
  checkpoint_id VARCHAR(64)  NOT NULL,
  label         VARCHAR(255) NOT NULL,
  created_at_ms BIGINT       NOT NULL,
  CONSTRAINT ${prefix}checkpoint_labels_pk PRIMARY KEY (app_id, checkpoint_id, label)
);

-- Search by label within an app (exact or prefix).
CREATE INDEX IF NOT EXISTS ${prefix}checkpoint_labels_ix ON ${prefix}checkpoint_labels (app_id, label);

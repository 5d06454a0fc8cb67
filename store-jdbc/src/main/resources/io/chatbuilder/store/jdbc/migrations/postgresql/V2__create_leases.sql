-- ChatBuilder store-jdbc schema, version 2, PostgreSQL: app leases.
-- One row per app that was ever leased; it is kept after release, so token only grows. Times are
-- milliseconds since the epoch by the database's clock, never a host's. expires_at_ms = 0: released.
CREATE TABLE IF NOT EXISTS ${prefix}leases (
  app_id         VARCHAR(255) NOT NULL PRIMARY KEY,
  holder         VARCHAR(255) NOT NULL,
  token          BIGINT       NOT NULL,
  expires_at_ms  BIGINT       NOT NULL,
  acquired_at_ms BIGINT       NOT NULL
);

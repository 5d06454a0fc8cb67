package io.chatbuilder.store.jdbc;

/** What {@link JdbcStores.Builder#build()} does with the database schema. */
public enum SchemaMode {
  /** Applies the migrations that are missing (one node at a time), then validates. The default. */
  CREATE,
  /**
   * Changes nothing; fails with a {@link io.chatbuilder.core.StoreException} unless every migration
   * this version needs is recorded with a matching checksum and every table is present. For
   * databases where a DBA applies the shipped DDL.
   */
  VALIDATE,
  /** Neither changes nor checks anything. */
  SKIP
}

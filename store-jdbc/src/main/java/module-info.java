/** Checkpoints, leases, events and conversations in H2, PostgreSQL or MariaDB. */
module io.chatbuilder.store.jdbc {
  requires transitive io.chatbuilder.core;
  requires transitive java.sql;
  requires org.slf4j;

  exports io.chatbuilder.store.jdbc;
}

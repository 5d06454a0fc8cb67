/** Sandboxes on the local machine: confined file access and bubblewrap-isolated processes. */
module io.chatbuilder.sandbox.local {
  requires transitive io.chatbuilder.core;
  requires org.slf4j;

  exports io.chatbuilder.sandbox.local;
}

/** The sandbox host (an HTTP server) and its client: sandboxes on other machines. */
module io.chatbuilder.sandbox.remote {
  requires transitive io.chatbuilder.core;
  requires jdk.httpserver;
  requires okhttp3;
  requires org.slf4j;

  exports io.chatbuilder.sandbox.remote;
}

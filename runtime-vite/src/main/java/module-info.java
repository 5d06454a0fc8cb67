/** Vite draft mode (a dev server in the app's sandbox) and publish builds. */
module io.chatbuilder.runtime.vite {
  requires transitive io.chatbuilder.core;
  requires org.slf4j;

  exports io.chatbuilder.runtime.vite;
}

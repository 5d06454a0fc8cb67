/** Contract suites every implementation of an SPI runs; open so JUnit can run their tests. */
open module io.chatbuilder.testkit {
  requires transitive io.chatbuilder.core;
  requires transitive org.junit.jupiter.api;
  requires transitive org.junit.jupiter.params;
  requires transitive org.assertj.core;

  exports io.chatbuilder.testkit;
}

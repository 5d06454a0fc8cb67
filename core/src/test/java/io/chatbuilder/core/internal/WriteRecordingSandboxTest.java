package io.chatbuilder.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.testing.InMemorySandbox;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WriteRecordingSandboxTest {
  private final InMemorySandbox target = InMemorySandbox.builder("app").file("src/a.js", "a").build();
  private final WriteRecordingSandbox sandbox = new WriteRecordingSandbox(target);

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private String written(String path) {
    return sandbox.written(path).map(b -> new String(b, StandardCharsets.UTF_8)).orElse("(none)");
  }

  @Test
  void aWriteIsRememberedUnderItsNormalPathAndACopyIsKept() {
    byte[] content = utf8("new");
    sandbox.write("./src//b.js", content);
    content[0] = 'X';
    assertThat(written("src/b.js")).isEqualTo("new");
    assertThat(new String(target.read("src/b.js").bytes(), StandardCharsets.UTF_8)).isEqualTo("new");
    assertThat(written("src/a.js")).as("never written in this call").isEqualTo("(none)");
  }

  @Test
  void deletesRenamesAndAppliesForgetWhatTheyTouch() {
    sandbox.write("src/x/1.js", utf8("1"));
    sandbox.write("src/x/2.js", utf8("2"));
    sandbox.write("src/y.js", utf8("y"));
    sandbox.write("src/z.js", utf8("z"));
    sandbox.write("src/xx.js", utf8("xx"));
    sandbox.delete("src/x");
    assertThat(written("src/x/1.js")).isEqualTo("(none)");
    assertThat(written("src/x/2.js")).isEqualTo("(none)");
    assertThat(written("src/xx.js")).as("a sibling with the same prefix").isEqualTo("xx");
    sandbox.rename("src/y.js", "src/w.js");
    assertThat(written("src/y.js")).isEqualTo("(none)");
    assertThat(written("src/w.js")).isEqualTo("(none)");
    sandbox.apply(Map.of("src/z.js", Optional.of(utf8("applied"))));
    assertThat(written("src/z.js")).isEqualTo("(none)");
  }

  @Test
  void aCommandStopsTheRecordingForTheCall() {
    sandbox.write("src/b.js", utf8("b"));
    try {
      sandbox.run(CommandRequest.of("ls"), CommandListener.NONE, new io.chatbuilder.core.Cancellation());
    } catch (ChatBuilderException e) {
      // the in-memory sandbox runs no commands: what matters is that the call was made
    }
    assertThat(written("src/b.js")).isEqualTo("(none)");
    sandbox.write("src/c.js", utf8("c"));
    assertThat(written("src/c.js")).as("not after a command either").isEqualTo("(none)");
  }

  @Test
  void aFailedWriteIsNotRemembered() {
    sandbox.write("src/b.js", utf8("b"));
    assertThatThrownBy(() -> sandbox.write("src/b.js/under-a-file", utf8("x"))).isInstanceOf(ChatBuilderException.class);
    assertThat(written("src/b.js/under-a-file")).isEqualTo("(none)");
    assertThatThrownBy(() -> sandbox.write("../outside.js", utf8("x"))).isInstanceOf(ChatBuilderException.class);
    assertThat(written("src/b.js")).isEqualTo("b");
  }
}

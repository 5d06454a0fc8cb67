package io.chatbuilder.tools.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ToolNamesTest {
  @Test
  void aCleanNameIsPrefixedWithTheServer() {
    assertThat(ToolNames.of("github", "search_issues", Set.of())).isEqualTo("github__search_issues");
  }

  @Test
  void badCharactersLengthAndCollisionsGiveDistinctValidNames() {
    Set<String> taken = new HashSet<>();
    String dotted = ToolNames.of("s", "files.read", taken);
    taken.add(dotted);
    String underscored = ToolNames.of("s", "files_read", taken);
    taken.add(underscored);
    String longName = ToolNames.of("s", "x".repeat(200), taken);
    String emoji = ToolNames.of("s", "\uD83D\uDE00; rm -rf /", taken);
    assertThat(dotted).matches("s__files_read_[0-9a-f]{8}");
    assertThat(underscored).isEqualTo("s__files_read");
    assertThat(longName).hasSize(64).matches("^[a-zA-Z0-9_-]{1,64}$");
    assertThat(emoji).matches("^[a-zA-Z0-9_-]{1,64}$");
    String again = ToolNames.of("s", "files_read", taken);
    assertThat(again).as("a second tool mapping to a taken name").isNotEqualTo(underscored).matches("s__files_read_[0-9a-f]{8}");
  }

  @Test
  void aServerNameOutsideTheRuleIsRefused() {
    assertThatThrownBy(() -> McpToolSource.stdio("bad name")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("[a-zA-Z0-9_-]{1,32}");
    assertThatThrownBy(() -> McpToolSource.streamableHttp("x".repeat(33))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> McpToolSource.streamableHttp("ok").url("file:///etc/passwd")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> McpToolSource.stdio("ok").connect()).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("command is required");
  }
}

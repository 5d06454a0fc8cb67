package io.chatbuilder.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.CommandDeniedException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CommandPolicyTest {
  private final CommandPolicy policy = CommandPolicy.defaults();

  @ParameterizedTest
  @ValueSource(strings = {"npm install", "npm run build", "npx vite build", "node scripts/gen.js", "vite --port 5173",
      "node_modules/.bin/vite build", "./node_modules/.bin/vite"})
  void allowsWhatAViteAppNeeds(String command) {
    assertThat(policy.check(List.of(command.split(" ")))).isNotBlank();
  }

  @ParameterizedTest
  @ValueSource(strings = {"sh -c id", "bash", "env sh -c id", "/usr/bin/time rm -rf .", "time rm x", "rm -rf /",
      "/usr/bin/node -e 1", "../node_modules/.bin/vite", "node_modules/.bin/../../../bin/sh", "xargs rm", "sudo npm i",
      "git -c alias.x=!sh x", "find . -exec rm {} ;", "npm exec -c id", "npx -c id", "npm --script-shell=/bin/sh run x",
      "NPM install", "curl http://x", "npm install -g evil", "npm i --prefix=/usr/local x", "npm --global i x",
      "node -r /etc/evil.js app.js", "node --require=../../x.js app.js", "node --import file:///x.mjs a.js"})
  void refusesBypasses(String command) {
    assertThatThrownBy(() -> policy.check(List.of(command.split(" ")))).isInstanceOf(CommandDeniedException.class)
        .hasMessageStartingWith("command refused: ");
  }

  @Test
  void refusesShellSyntaxInArguments() {
    for (String arg : List.of("a&&b", "a;b", "a|b", "$(id)", "`id`", ">f", "<f", "a\nb", "${HOME}")) {
      assertThatThrownBy(() -> policy.check(List.of("npm", "run", arg))).isInstanceOf(CommandDeniedException.class)
          .hasMessageContaining("shell");
    }
  }

  @Test
  void denyWinsOverAllow() {
    CommandPolicy p = CommandPolicy.builder().allow("git", "rm").build();
    assertThat(p.check(List.of("git", "status"))).isEqualTo("git");
    assertThatThrownBy(() -> p.check(List.of("rm", "x"))).isInstanceOf(CommandDeniedException.class).hasMessageContaining("denied");
    assertThatThrownBy(() -> p.check(List.of("git", "-c", "core.pager=sh", "log"))).isInstanceOf(CommandDeniedException.class);
  }

  @Test
  void shellOnlyWhenExplicitlyAllowed() {
    CommandPolicy p = CommandPolicy.builder().allowShell(true).build();
    assertThat(p.check(List.of("sh", "-c", "npm install && npm run build"))).isEqualTo("sh");
  }

  @Test
  void customArgumentRules() {
    CommandPolicy p = CommandPolicy.builder()
        .argumentRule((program, args) -> program.equals("npm") && args.contains("publish") ? Optional.of("npm publish is not allowed") : Optional.empty())
        .build();
    assertThatThrownBy(() -> p.check(List.of("npm", "publish"))).hasMessageContaining("npm publish is not allowed");
  }

  @Test
  void environmentIsScrubbedToTheAllowlist() {
    Map<String, String> host = Map.of("PATH", "/usr/bin", "AWS_SECRET_ACCESS_KEY", "s3cr3t", "HOME", "/home/x", "OPENAI_API_KEY", "sk-1");
    CommandRequest request = new CommandRequest(List.of("npm", "i"), "", Map.of("VITE_API_URL", "http://x", "LD_PRELOAD", "evil.so"), Optional.empty());
    Map<String, String> env = policy.environmentFor(host, request);
    assertThat(env).containsEntry("PATH", "/usr/bin").containsEntry("VITE_API_URL", "http://x").containsEntry("CI", "1")
        .doesNotContainKeys("AWS_SECRET_ACCESS_KEY", "HOME", "OPENAI_API_KEY", "LD_PRELOAD");
  }

  @Test
  void timeoutsAreCapped() {
    CommandPolicy p = CommandPolicy.builder().defaultTimeout(Duration.ofSeconds(30)).maxTimeout(Duration.ofMinutes(1)).build();
    assertThat(p.timeoutFor(CommandRequest.of("npm", "i"))).isEqualTo(Duration.ofSeconds(30));
    assertThat(p.timeoutFor(CommandRequest.of("npm", "i").withTimeout(Duration.ofHours(1)))).isEqualTo(Duration.ofMinutes(1));
  }
}

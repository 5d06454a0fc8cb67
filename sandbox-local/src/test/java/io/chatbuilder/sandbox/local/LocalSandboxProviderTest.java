package io.chatbuilder.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.PathRefusedException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LocalSandboxProviderTest {
  @TempDir Path base;

  @Test
  void eachAppGetsItsOwnDirectoryAndTheSameSandboxEveryTime() {
    try (LocalSandboxProvider provider = LocalSandboxProvider.create(base.resolve("apps"), b -> b.unisolated())) {
      LocalSandbox todo = provider.open("todo-1");
      todo.write("index.html", "todo".getBytes(StandardCharsets.UTF_8));
      provider.open("shop_2").write("index.html", "shop".getBytes(StandardCharsets.UTF_8));
      assertThat(provider.open("todo-1")).isSameAs(todo);
      assertThat(todo.id()).isEqualTo("todo-1");
      assertThat(base.resolve("apps/todo-1/index.html")).hasContent("todo");
      assertThat(base.resolve("apps/shop_2/index.html")).hasContent("shop");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "..", ".", "../x", "a/b", "/abs", "con", "NUL", "nul.shop", "a b", "-leading", "é", "a\u0000b",
      "a..b", ".hidden", "trailing.", "a.-b", "a:b", "a\\b",
      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"})
  void hostileAppIdsAreRefused(String appId) {
    try (LocalSandboxProvider provider = LocalSandboxProvider.create(base.resolve("apps"))) {
      assertThatThrownBy(() -> provider.open(appId)).isInstanceOf(InvalidArgumentException.class).hasMessageContaining("app id");
    }
    assertThat(base.toFile().list()).containsExactly("apps");
  }

  @Test
  void tenantAppIdsAreOneDirectoryEach() throws Exception {
    String longest = "t".repeat(60) + "." + "a".repeat(67);
    try (LocalSandboxProvider provider = LocalSandboxProvider.create(base.resolve("apps"))) {
      provider.open("acme.shop").write("index.html", "acme".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      provider.open(longest).write("index.html", "long".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    assertThat(base.resolve("apps/acme.shop/index.html")).hasContent("acme");
    assertThat(base.resolve("apps").resolve(longest).resolve("index.html")).hasContent("long");
  }

  @Test
  void anAppDirectoryThatIsASymlinkIsRefused() throws Exception {
    Files.createDirectories(base.resolve("apps"));
    Files.createDirectories(base.resolve("elsewhere"));
    Files.createSymbolicLink(base.resolve("apps/evil"), base.resolve("elsewhere"));
    try (LocalSandboxProvider provider = LocalSandboxProvider.create(base.resolve("apps"))) {
      assertThatThrownBy(() -> provider.open("evil")).isInstanceOf(PathRefusedException.class);
    }
  }
}

package io.chatbuilder.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AppIdTest {
  @ParameterizedTest
  @ValueSource(strings = {"a", "todo-1", "shop_2", "Acme", "acme.shop", "tenant-42.app-7", "a.b.c", "0"})
  void acceptsSimpleAndTenantQualifiedIds(String id) {
    assertThat(AppId.check(id)).isEqualTo(id);
    assertThat(AppId.of(id).value()).isEqualTo(id);
    assertThat(AppId.isValid(id)).isTrue();
  }

  @Test
  void acceptsExactlyUpToTheMaximumLength() {
    String longest = "t".repeat(63) + "." + "a".repeat(AppId.MAX_LENGTH - 64);
    assertThat(longest).hasSize(AppId.MAX_LENGTH);
    assertThat(AppId.check(longest)).isEqualTo(longest);
    assertThatThrownBy(() -> AppId.check(longest + "x"))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("at most 128");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", ".", "..", "a..b", ".a", "a.", "a.-b", "-a", "_a", "a/b", "a\\b", "a:b", "a b", "é",
      "a\u0000b", "a\nb", "con", "NUL", "nul.shop", "lpt1.x", "../etc"})
  void refusesEverythingElseSayingWhy(String id) {
    assertThatThrownBy(() -> AppId.check(id)).isInstanceOf(InvalidArgumentException.class).hasMessageContaining("invalid app id");
    assertThat(AppId.isValid(id)).isFalse();
  }

  @Test
  void nullIsRefusedToo() {
    assertThatThrownBy(() -> AppId.check(null)).isInstanceOf(NullPointerException.class);
    assertThat(AppId.isValid(null)).isFalse();
  }

  @Test
  void aControlCharacterIsPrintedEscaped() {
    assertThatThrownBy(() -> AppId.check("a\nb")).hasMessageContaining("a\\nb");
  }
}

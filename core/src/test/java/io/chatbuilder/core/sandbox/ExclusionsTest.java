package io.chatbuilder.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ExclusionsTest {
  private final Exclusions defaults = Exclusions.defaults();

  @ParameterizedTest
  @ValueSource(strings = {".git/hooks/pre-commit", ".GIT/hooks/x", "sub/.Git/config", "Node_Modules/.bin/x",
      "NODE_MODULES/pkg/index.js", "node_\u200Bmodules/x", "node_modules\uFEFF/x", ".g\u200Cit/config", "DIST/index.html",
      ".git./config", ".git /config", ".ds_store", "src/.DS_STORE", "Coverage/lcov.info", ".chatbuilder/x", ".ChatBuilder/x", ".\u017Fvn/entries", "node_modules\u200D/x"})
  void excludedNamesMatchIgnoringCaseInvisibleCharactersAndTrailingDots(String path) {
    assertThat(defaults.isExcluded(path)).as(path).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"src/App.jsx", "gitignore", "my.git/x", "node_modules_backup/x", "distant/x", "src/dist.js", "coverage.md"})
  void otherNamesAreNotExcluded(String path) {
    assertThat(defaults.isExcluded(path)).as(path).isFalse();
  }

  @Test
  void configuredNamesAreFoldedTooAndKeptAsGiven() {
    Exclusions custom = Exclusions.withExtra(List.of("Generated"));
    assertThat(custom.names()).contains("Generated", "node_modules");
    assertThat(custom.isExcludedName("generated")).isTrue();
    assertThat(custom.isExcludedName("GENERATED")).isTrue();
    assertThat(custom.isExcluded("src/GeNeRaTeD/out.js")).isTrue();
    assertThat(Exclusions.of(List.of("Stra\u00dfe")).isExcludedName("STRASSE")).as("full case folding").isTrue();
  }

  @Test
  void foldingLeavesOrdinaryLowerCaseNamesAlone() {
    String name = "node_modules";
    assertThat(Exclusions.fold(name)).isSameAs(name);
    assertThat(Exclusions.fold("Node_Modules")).isEqualTo("node_modules");
    assertThat(Exclusions.fold("node\u200Bmodules")).isEqualTo("nodemodules");
  }
}

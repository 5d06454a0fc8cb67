package io.chatbuilder.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.PathRefusedException;
import java.text.Normalizer;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.StringLength;

/** Properties of {@link SandboxPaths} over arbitrary strings (any UTF-16, lone surrogates included). */
class SandboxPathsProperties {

  @Property(tries = 3000)
  void everyStringIsNormalizedOrRefusedWithPathRefused(@ForAll @StringLength(max = 40) String path) {
    String normalized;
    try {
      normalized = SandboxPaths.normalizeOrRoot(path);
    } catch (PathRefusedException refused) {
      return;
    }
    // Whatever is accepted is NFC, free of hidden characters, and stable.
    assertThat(Normalizer.isNormalized(normalized, Normalizer.Form.NFC)).isTrue();
    assertThat(SandboxPaths.normalizeOrRoot(normalized)).isEqualTo(normalized);
    if (!normalized.isEmpty()) {
      for (String segment : normalized.split("/")) {
        assertThat(SandboxPaths.isAcceptedName(segment)).as(segment).isTrue();
      }
    }
    normalized.codePoints().forEach(cp -> {
      assertThat(Character.getType(cp)).isNotIn((int) Character.CONTROL, (int) Character.FORMAT,
          (int) Character.SURROGATE, (int) Character.UNASSIGNED, (int) Character.LINE_SEPARATOR);
      assertThat(SandboxPaths.isDefaultIgnorable(cp)).isFalse();
    });
  }

  @Property(tries = 2000)
  void acceptedNameAgreesWithNormalize(@ForAll @StringLength(min = 1, max = 12) @CharRange(from = 0, to = 0x3000) String name) {
    boolean normalizes;
    try {
      normalizes = SandboxPaths.normalize(name).equals(name) && !name.contains("/");
    } catch (PathRefusedException refused) {
      normalizes = false;
    }
    // "~x" alone is refused as a home-relative path, but is a fine name below the root.
    if (name.startsWith("~") && !name.contains("/")) {
      try {
        normalizes = SandboxPaths.normalize("d/" + name).equals("d/" + name);
      } catch (PathRefusedException refused) {
        normalizes = false; // e.g. "~" followed by a NUL: refused below the root too
      }
    }
    assertThat(SandboxPaths.isAcceptedName(name)).as(name).isEqualTo(normalizes);
  }
}

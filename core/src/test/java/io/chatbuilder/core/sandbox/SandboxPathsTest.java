package io.chatbuilder.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.ErrorCode;
import io.chatbuilder.core.PathRefusedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SandboxPathsTest {

  private static void assertRefusedNaming(String path, String codePoint) {
    assertThatThrownBy(() -> SandboxPaths.normalize(path))
        .isInstanceOf(PathRefusedException.class)
        .hasMessageContaining(codePoint)
        .satisfies(e -> assertThat(((PathRefusedException) e).code()).isEqualTo(ErrorCode.PATH_REFUSED));
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource({
      // bidi controls
      "061C, U+061C", "200E, U+200E", "200F, U+200F", "202A, U+202A", "202B, U+202B", "202C, U+202C",
      "202D, U+202D", "202E, U+202E", "2066, U+2066", "2067, U+2067", "2068, U+2068", "2069, U+2069",
      // C0 and C1 controls
      "0001, U+0001", "0009, U+0009", "001B, U+001B", "007F, U+007F", "0080, U+0080", "0085, U+0085",
      "009B, U+009B", "009F, U+009F",
      // zero-width and other default-ignorable or format characters
      "200B, U+200B", "200C, U+200C", "200D, U+200D", "2060, U+2060", "2061, U+2061", "2064, U+2064",
      "FEFF, U+FEFF", "00AD, U+00AD", "034F, U+034F", "115F, U+115F", "3164, U+3164", "180E, U+180E",
      "FE00, U+FE00", "FE0F, U+FE0F", "E0100, U+E0100", "E0001, U+E0001", "E0041, U+E0041", "E007F, U+E007F",
      "0600, U+0600", "FFF9, U+FFF9", "1D173, U+1D173",
      // line and paragraph separators
      "2028, U+2028", "2029, U+2029",
      // noncharacters and unassigned code points
      "FFFE, U+FFFE", "FFFF, U+FFFF", "FDD0, U+FDD0", "1FFFF, U+1FFFF", "10FFFF, U+10FFFF", "0378, U+0378",
      "E0080, U+E0080"})
  void invisibleControlAndUnassignedCodePointsAreRefusedNamingThem(String hex, String shown) {
    String character = new String(Character.toChars(Integer.parseInt(hex, 16)));
    assertRefusedNaming("src/evil" + character + "name.js", shown);
    assertRefusedNaming(character + "leading.js", shown);
    assertRefusedNaming("trailing.js" + character, shown);
    assertThat(SandboxPaths.isAcceptedName("a" + character + "b")).isFalse();
  }

  @Test
  void loneSurrogatesAreRefusedNotAnInternalError() {
    assertRefusedNaming("a\uD800b.txt", "U+D800");
    assertRefusedNaming("a\uDC00b.txt", "U+DC00");
    assertRefusedNaming("end\uD83D", "U+D83D");
    assertRefusedNaming("reversed\uDE00\uD83D.txt", "U+DE00");
    assertThat(SandboxPaths.normalize("emoji\uD83D\uDE00.txt")).as("a proper pair is fine").isEqualTo("emoji😀.txt");
  }

  @Test
  void theMessageShowsHiddenCharactersInsteadOfPrintingThem() {
    // A refusal printed as is would itself reorder the log line.
    assertThatThrownBy(() -> SandboxPaths.normalize("invoice\u202Egpj.exe"))
        .hasMessageContaining("bidirectional")
        .hasMessageContaining("'invoice<U+202E>gpj.exe'")
        .hasMessageNotContaining("\u202E");
    assertThatThrownBy(() -> SandboxPaths.normalize("a\u0000b")).hasMessageContaining("NUL").hasMessageContaining("<U+0000>");
  }

  @Test
  void namesNotInNfcAreRefusedAndTheNfcFormIsSuggested() {
    String decomposed = "cafe\u0301.txt";
    String composed = "caf\u00e9.txt";
    assertThatThrownBy(() -> SandboxPaths.normalize(decomposed))
        .isInstanceOf(PathRefusedException.class)
        .hasMessageContaining("normalization form C")
        .hasMessageContaining(composed);
    assertThat(SandboxPaths.normalize(composed)).isEqualTo(composed);
    assertThat(SandboxPaths.normalize("docs/na\u00efve caf\u00e9 \u2713.md")).isEqualTo("docs/naïve café ✓.md");
    // Hangul syllables built from jamo are NFC only when composed.
    assertThatThrownBy(() -> SandboxPaths.normalize("\u1112\u1161\u11AB.txt")).isInstanceOf(PathRefusedException.class);
    assertThat(SandboxPaths.normalize("\uD55C.txt")).isEqualTo("한.txt");
  }

  @ParameterizedTest
  @ValueSource(strings = {".chatbuilder", ".chatbuilder/state.json", "src/.chatbuilder/x", ".ChatBuilder/x", ".CHATBUILDER",
      ".chatbuilder-tmp-0123456789abcdef", "src/.chatbuilder-tmp-x", ".chatbuilder-install", ".Chatbuilder-Tmp-1"})
  void theSdksOwnNamesAreReserved(String path) {
    assertThatThrownBy(() -> SandboxPaths.normalize(path))
        .isInstanceOf(PathRefusedException.class)
        .hasMessageContaining("reserved for the SDK");
  }

  @Test
  void namesThatOnlyStartLikeTheSdksAreFine() {
    assertThat(SandboxPaths.normalize(".chatbuilderrc")).isEqualTo(".chatbuilderrc");
    assertThat(SandboxPaths.normalize("chatbuilder/x")).isEqualTo("chatbuilder/x");
    assertThat(SandboxPaths.isReservedName(".chatbuilderrc")).isFalse();
    assertThat(SandboxPaths.isReservedName(".chat\u200Bbuilder")).as("invisible characters do not hide it").isTrue();
  }

  @Test
  void ordinaryUnicodeNamesAreAccepted() {
    for (String ok : new String[] {"Grüße.md", "日本語/ファイル.tsx", "emoji 🎉.png", "ελληνικά.txt", "עברית.txt",
        "عربي.js", "[id].jsx", "#hash.js", "a b.txt", "ok~.txt", "src/~backup.js", "\uE000private-use.txt"}) {
      assertThat(SandboxPaths.normalize(ok)).isEqualTo(ok);
    }
  }

  @Test
  void acceptedNamesAreExactlyTheSegmentsNormalizeKeeps() {
    assertThat(SandboxPaths.isAcceptedName("App.jsx")).isTrue();
    for (String bad : new String[] {"", ".", "..", "a/b", "con", "name.", " lead", "a:b", ".chatbuilder-tmp-1", "x\u200By",
        "cafe\u0301", "\uD800"}) {
      assertThat(SandboxPaths.isAcceptedName(bad)).as(bad).isFalse();
    }
  }
}

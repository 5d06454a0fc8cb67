package io.chatbuilder.core.tool;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * A text file as the edit tools see it: the text with {@code \n} line ends and without a byte-order
 * mark, plus what it takes to write it back as it was. The model always writes {@code \n}; a file
 * whose every line ends in {@code \r\n} is matched in its {@code \n} form and written back with
 * {@code \r\n}, so CRLF files stay CRLF. A file that mixes both is left as it is (its {@code \r}
 * stays part of the lines, which the whitespace-tolerant match levels ignore).
 */
final class TextDocument {
  private static final String BOM = "\uFEFF";

  private final String text;
  private final boolean crlf;
  private final boolean bom;

  private TextDocument(String text, boolean crlf, boolean bom) {
    this.text = text;
    this.crlf = crlf;
    this.bom = bom;
  }

  static TextDocument decode(String raw) {
    boolean bom = raw.startsWith(BOM);
    String body = bom ? raw.substring(1) : raw;
    boolean crlf = usesCrlf(body);
    return new TextDocument(crlf ? body.replace("\r\n", "\n") : body, crlf, bom);
  }

  /** A new file: {@code \n} line ends, no byte-order mark. */
  static TextDocument empty() {
    return new TextDocument("", false, false);
  }

  /** Whether every {@code \n} of the text is preceded by {@code \r} (and there is at least one). */
  static boolean usesCrlf(String s) {
    int newlines = 0;
    for (int i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) {
      if (i == 0 || s.charAt(i - 1) != '\r') {
        return false;
      }
      newlines++;
    }
    return newlines > 0;
  }

  /** The text with {@code \n} line ends, without the byte-order mark. */
  String text() {
    return text;
  }

  boolean crlf() {
    return crlf;
  }

  /** The same file's line ends and byte-order mark around new text. */
  TextDocument withText(String lfText) {
    return new TextDocument(lfText, crlf, bom);
  }

  byte[] encode() {
    String out = crlf ? text.replace("\n", "\r\n") : text;
    return ((bom ? BOM : "") + out).getBytes(StandardCharsets.UTF_8);
  }

  /** Turns what the model wrote into {@code \n} form. */
  static String modelText(String s) {
    return s.indexOf('\r') < 0 ? s : s.replace("\r\n", "\n");
  }

  /** The lines of a text split at {@code \n}; a final {@code \n} gives a final empty line. */
  static List<String> splitLines(String text) {
    return Arrays.asList(text.split("\n", -1));
  }
}

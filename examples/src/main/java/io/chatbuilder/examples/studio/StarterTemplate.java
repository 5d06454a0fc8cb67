package io.chatbuilder.examples.studio;

import io.chatbuilder.core.runtime.AppTemplate;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A plain HTML/CSS/JS app with relative asset paths: it needs no build step and no npm, so the
 * studio can preview it as static files. The same files also run under Vite.
 */
final class StarterTemplate implements AppTemplate {
  static final String ID = "static-vanilla";

  @Override
  public String id() {
    return ID;
  }

  @Override
  public String description() {
    return "Plain HTML, CSS and JavaScript (no build step; previewed as static files)";
  }

  @Override
  public SortedMap<String, byte[]> files() {
    SortedMap<String, byte[]> files = new TreeMap<>();
    files.put("index.html", utf8("<!doctype html>\n"
        + "<html lang=\"en\">\n"
        + "  <head>\n"
        + "    <meta charset=\"UTF-8\" />\n"
        + "    <meta name=\"viewport\" content=\"width=device-width, initial-scale=1.0\" />\n"
        + "    <title>New app</title>\n"
        + "    <link rel=\"stylesheet\" href=\"./style.css\" />\n"
        + "  </head>\n"
        + "  <body>\n"
        + "    <main>\n"
        + "      <h1 id=\"title\">New app</h1>\n"
        + "      <p>Ask the builder for something.</p>\n"
        + "    </main>\n"
        + "    <script type=\"module\" src=\"./src/main.js\"></script>\n"
        + "  </body>\n"
        + "</html>\n"));
    files.put("style.css", utf8("body {\n  margin: 0;\n  font-family: system-ui, sans-serif;\n}\n"
        + "main {\n  max-width: 30rem;\n  margin: 4rem auto;\n  text-align: center;\n}\n"));
    files.put("src/main.js", utf8("// The app's entry point.\n"));
    return Collections.unmodifiableSortedMap(files);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}

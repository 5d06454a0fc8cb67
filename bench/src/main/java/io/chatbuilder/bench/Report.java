package io.chatbuilder.bench;

import io.chatbuilder.core.json.JsonCodec;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Prints the results as a Markdown table and writes them as JSON. */
final class Report {
  private static final JsonCodec JSON = new JsonCodec();

  private Report() {}

  static void printTable(List<Result> results, PrintStream out) {
    String[] header = {"case", "ours ms (p10-p90)", "peer", "peer ms (p10-p90)", "ratio peer/ours", "target", "met"};
    List<String[]> rows = new ArrayList<>();
    for (Result r : results) {
      String ours = r.oursStats().toString();
      String peer = r.peerStats().toString();
      if (r.ratioOf().equals("bytes")) {
        ours = r.extra().get("ours_bytes") + " B";
        peer = r.extra().get("peer_bytes") + " B";
      }
      rows.add(new String[] {r.name(), ours, r.peer(), peer,
          String.format(Locale.ROOT, "%.2f%s", r.ratio(), r.ratioOf().equals("bytes") ? " (bytes)" : ""),
          r.target(), r.met() ? "yes" : "NO"});
    }
    int[] widths = new int[header.length];
    for (int i = 0; i < header.length; i++) {
      widths[i] = header[i].length();
      for (String[] row : rows) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    out.println(line(header, widths));
    StringBuilder sep = new StringBuilder("|");
    for (int w : widths) {
      sep.append('-').append("-".repeat(w)).append("-|");
    }
    out.println(sep);
    rows.forEach(row -> out.println(line(row, widths)));
  }

  private static String line(String[] cells, int[] widths) {
    StringBuilder sb = new StringBuilder("|");
    for (int i = 0; i < cells.length; i++) {
      sb.append(' ').append(cells[i]).append(" ".repeat(widths[i] - cells[i].length())).append(" |");
    }
    return sb.toString();
  }

  static void writeJson(Path file, Map<String, Object> machine, List<String> command, List<Result> results) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("machine", machine);
    root.put("command", command);
    List<Map<String, Object>> list = new ArrayList<>();
    results.forEach(r -> list.add(r.toJson()));
    root.put("results", list);
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, JSON.writePretty(JSON.fromJava(root)) + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}

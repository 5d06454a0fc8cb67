package io.chatbuilder.core.tool;

import io.chatbuilder.core.internal.LineDiff;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the lines that replace a matched region when the match was not exact. The model's old
 * and new text are compared line by line: a line it kept unchanged is taken from the file as it is
 * (so the file keeps its own trailing whitespace, indentation and typographic quotes there); a line
 * it changed or added is written as the model wrote it, re-indented to the file's indentation when
 * the match ignored indentation, and with the file's typographic characters carried over from the
 * line it replaces when the match folded Unicode punctuation. Which line the model kept is read from
 * its own text alone: where its old text shows the same line twice and its new text once, the first
 * copy is the kept one (the diff keeps the common prefix), also when the file tells the copies apart
 * only by what the match ignored, e.g. trailing whitespace.
 */
final class Replacer {
  /** Above this many cells the character alignment of one line pair is skipped. */
  static final int MAX_ALIGN_CELLS = 1_000_000;

  private final List<String> fileLines;
  private String fileUnit;
  private boolean fileUnitKnown;

  /** {@code fileLines}: the whole file, to learn its indentation unit when needed. */
  Replacer(List<String> fileLines) {
    this.fileLines = fileLines;
  }

  List<String> replace(List<String> region, List<String> oldLines, List<String> newLines, Fuzzy.Level level) {
    boolean reindent = level.compareTo(Fuzzy.Level.INDENTATION) >= 0;
    if (level == Fuzzy.Level.EXACT) {
      if (!otherUnit(oldLines, newLines)) {
        return new ArrayList<>(newLines);
      }
      reindent = true;
    }
    Indents indents = reindent ? new Indents(region, oldLines, newLines) : null;
    List<String> out = new ArrayList<>(newLines.size());
    List<Integer> deleted = new ArrayList<>();
    List<String> added = new ArrayList<>();
    int oi = 0;
    for (LineDiff.Edit e : LineDiff.edits(oldLines, newLines)) {
      switch (e.op()) {
        case ' ' -> {
          flush(region, oldLines, deleted, added, level, indents, out);
          out.add(region.get(oi++));
        }
        case '-' -> deleted.add(oi++);
        default -> added.add(e.line());
      }
    }
    flush(region, oldLines, deleted, added, level, indents, out);
    return out;
  }

  private void flush(List<String> region, List<String> oldLines, List<Integer> deleted, List<String> added,
      Fuzzy.Level level, Indents indents, List<String> out) {
    int lastPaired = -1;
    for (String line : added) {
      String n = indents != null ? indents.reindent(line) : line;
      if (level == Fuzzy.Level.UNICODE) {
        int pair = -1;
        double best = 0.5;
        for (int d = lastPaired + 1; d < deleted.size(); d++) {
          double s = Similarity.lines(oldLines.get(deleted.get(d)), line);
          if (s > best) {
            best = s;
            pair = d;
          }
        }
        if (pair >= 0) {
          lastPaired = pair;
          n = carryOverPunctuation(region.get(deleted.get(pair)), oldLines.get(deleted.get(pair)), n);
        }
      }
      out.add(n);
    }
    deleted.clear();
    added.clear();
  }

  /**
   * The model's new line with the file's typographic characters where the model kept the text of
   * the old line: {@code file} and {@code old} are equal once punctuation is folded, so the
   * characters {@code neu} shares with {@code old} (by alignment) are taken from {@code file}.
   */
  static String carryOverPunctuation(String file, String old, String neu) {
    if (!Fuzzy.hasFoldable(file)) {
      return neu;
    }
    String fileContent = file.stripLeading();
    String oldContent = old.stripLeading();
    String indent = neu.substring(0, neu.length() - neu.stripLeading().length());
    String newContent = neu.substring(indent.length());
    Fuzzy.Folded ff = Fuzzy.foldPunctuation(fileContent);
    Fuzzy.Folded fo = Fuzzy.foldPunctuation(oldContent);
    Fuzzy.Folded fn = Fuzzy.foldPunctuation(newContent);
    String a = fo.text().strip();
    if (!a.equals(ff.text().strip())) {
      return neu;
    }
    int fileLead = ff.text().length() - ff.text().stripLeading().length();
    String b = fn.text();
    if ((long) a.length() * b.length() > MAX_ALIGN_CELLS || a.isEmpty() || b.isEmpty()) {
      return neu;
    }
    int[] match = align(a, b);
    StringBuilder out = new StringBuilder(indent);
    int lastFrom = -1;
    boolean lastFromFile = false;
    for (int p = 0; p < b.length(); p++) {
      int q = match[p];
      boolean fromFile = q >= 0;
      int from = fromFile ? ff.from()[q + fileLead] : fn.from()[p];
      int to = fromFile ? ff.to()[q + fileLead] : fn.to()[p];
      if (from == lastFrom && fromFile == lastFromFile) {
        continue; // one source character folded into several (the ellipsis)
      }
      out.append(fromFile ? fileContent : newContent, from, to);
      lastFrom = from;
      lastFromFile = fromFile;
    }
    return out.toString();
  }

  /** For each index of {@code b}, the index of {@code a} it aligns with in an LCS, or -1. */
  static int[] align(String a, String b) {
    int n = a.length();
    int m = b.length();
    int[][] lcs = new int[n + 1][m + 1];
    for (int i = n - 1; i >= 0; i--) {
      for (int j = m - 1; j >= 0; j--) {
        lcs[i][j] = a.charAt(i) == b.charAt(j) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    int[] match = new int[m];
    java.util.Arrays.fill(match, -1);
    int i = 0;
    int j = 0;
    while (i < n && j < m) {
      if (a.charAt(i) == b.charAt(j)) {
        match[j] = i;
        i++;
        j++;
      } else if (lcs[i + 1][j] >= lcs[i][j + 1]) {
        i++;
      } else {
        j++;
      }
    }
    return match;
  }

  static String leading(String line) {
    int i = 0;
    while (i < line.length() && (line.charAt(i) == ' ' || line.charAt(i) == '\t')) {
      i++;
    }
    return line.substring(0, i);
  }

  /**
   * The most common indentation step between consecutive non-blank lines: a tab if most indented
   * lines start with one, else that many spaces; null if the lines show none.
   */
  static String unit(List<String> lines) {
    int tabs = 0;
    int spaces = 0;
    Map<Integer, Integer> steps = new HashMap<>();
    int previous = -1;
    for (String line : lines) {
      if (line.isBlank()) {
        continue;
      }
      String lead = leading(line);
      if (lead.startsWith("\t")) {
        tabs++;
      } else if (lead.startsWith(" ")) {
        spaces++;
      }
      if (lead.indexOf('\t') < 0) {
        if (previous >= 0 && lead.length() != previous) {
          steps.merge(Math.abs(lead.length() - previous), 1, Integer::sum);
        }
        previous = lead.length();
      } else {
        previous = -1;
      }
    }
    if (tabs > spaces && tabs > 0) {
      return "\t";
    }
    int best = 0;
    int count = 0;
    for (Map.Entry<Integer, Integer> e : steps.entrySet()) {
      if (e.getValue() > count || (e.getValue() == count && e.getKey() < best)) {
        best = e.getKey();
        count = e.getValue();
      }
    }
    return best == 0 ? null : " ".repeat(best);
  }

  /**
   * Whether an exact quote that shows no indentation comes with new lines indented in another unit
   * than the file's (two spaces in a file indented with tabs): the model did not see how the file
   * indents, so its new lines are re-indented to the file's unit.
   */
  boolean otherUnit(List<String> oldLines, List<String> newLines) {
    for (String l : oldLines) {
      if (!l.isBlank() && !leading(l).isEmpty()) {
        return false;
      }
    }
    if (newLines.stream().allMatch(l -> l.isBlank() || leading(l).isEmpty())) {
      return false;
    }
    List<String> model = new ArrayList<>(oldLines);
    model.addAll(newLines);
    String mu = unit(model);
    return mu != null && fileUnit() != null && !mu.equals(fileUnit()) && consistent(fileLines, fileUnit());
  }

  /** Whether (nearly) every indented line of the file is indented in whole units of {@code unit}. */
  static boolean consistent(List<String> lines, String unit) {
    int indented = 0;
    int whole = 0;
    for (String l : lines) {
      String lead = leading(l);
      if (l.isBlank() || lead.isEmpty()) {
        continue;
      }
      indented++;
      // a block comment's " * " lines add one space to the unit
      boolean ok = unit.equals("\t") ? lead.matches("\t+ ?")
          : lead.indexOf('\t') < 0 && (lead.length() % unit.length() <= 1);
      if (ok) {
        whole++;
      }
    }
    return indented > 0 && whole * 10 >= indented * 9;
  }

  private String fileUnit() {
    if (!fileUnitKnown) {
      fileUnit = unit(fileLines);
      fileUnitKnown = true;
    }
    return fileUnit;
  }

  /** How the model's indentation maps to the file's in one matched region. */
  private final class Indents {
    private final Map<String, String> map = new HashMap<>();
    private final List<String[]> pairs = new ArrayList<>();
    private final String modelUnit;

    Indents(List<String> region, List<String> oldLines, List<String> newLines) {
      for (int i = 0; i < oldLines.size(); i++) {
        if (!oldLines.get(i).isBlank()) {
          String o = leading(oldLines.get(i));
          String r = leading(region.get(i));
          if (map.putIfAbsent(o, r) == null) {
            pairs.add(new String[] {o, r});
          }
        }
      }
      List<String> model = new ArrayList<>(oldLines);
      model.addAll(newLines);
      String mu = unit(model);
      if (mu == null && !pairs.isEmpty() && fileUnit() != null) {
        // One indentation level only: the first pair says how many model spaces make a file level.
        String o = pairs.get(0)[0];
        String r = pairs.get(0)[1];
        int levels = r.length() / fileUnit().length();
        if (levels > 0 && o.indexOf('\t') < 0 && o.length() % levels == 0 && o.length() > 0) {
          mu = " ".repeat(o.length() / levels);
        }
      }
      this.modelUnit = mu;
    }

    String reindent(String line) {
      String w = leading(line);
      String content = line.substring(w.length());
      if (content.isEmpty()) {
        return line;
      }
      String same = map.get(w);
      if (same != null) {
        return same + content;
      }
      String[] deeper = null;
      String[] shallower = null;
      for (String[] p : pairs) {
        if (w.startsWith(p[0]) && (deeper == null || p[0].length() > deeper[0].length())) {
          deeper = p;
        }
        if (p[0].startsWith(w) && (shallower == null || p[0].length() < shallower[0].length())) {
          shallower = p;
        }
      }
      String mu = modelUnit;
      String fu = fileUnit() != null ? fileUnit() : mu;
      if (mu == null) {
        mu = fu;
      }
      if (deeper != null) {
        return deeper[1] + convert(w.substring(deeper[0].length()), mu, fu) + content;
      }
      if (shallower != null && mu != null && fu != null) {
        String missing = shallower[0].substring(w.length());
        String r = shallower[1];
        int levels = 0;
        while (missing.startsWith(mu, levels * mu.length())) {
          levels++;
        }
        if (levels * mu.length() == missing.length()) {
          for (; levels > 0 && r.endsWith(fu); levels--) {
            r = r.substring(0, r.length() - fu.length());
          }
          if (levels == 0) {
            return r + content;
          }
        }
      }
      return line;
    }
  }

  /** Indentation written in the model's unit, in the file's unit; a remainder is kept as it is. */
  static String convert(String extra, String modelUnit, String fileUnit) {
    if (extra.isEmpty() || modelUnit == null || fileUnit == null || modelUnit.equals(fileUnit)) {
      return extra;
    }
    int levels = 0;
    while (extra.startsWith(modelUnit, levels * modelUnit.length())) {
      levels++;
    }
    return fileUnit.repeat(levels) + extra.substring(levels * modelUnit.length());
  }
}

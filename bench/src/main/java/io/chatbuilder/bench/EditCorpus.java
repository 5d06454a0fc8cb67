package io.chatbuilder.bench;

import io.chatbuilder.bench.CorpusFiles.Source;
import io.chatbuilder.bench.EditDerivation.Call;
import io.chatbuilder.bench.EditDerivation.Chunk;
import io.chatbuilder.bench.EditDerivation.FileOp;
import io.chatbuilder.bench.EditDerivation.ModelView;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The edit corpus of issue 15: realistic changes to realistic files, each with the file(s) before
 * and after and the calls each tool set makes for it (derived by {@link EditDerivation}, with the
 * model's imperfections of the case's category injected). Deterministic for a seed.
 *
 * <p>Categories: {@code modify}, {@code insert}, {@code delete}, {@code replace-block},
 * {@code append-eof}, {@code multi-hunk}, {@code rename-symbol} (plain changes the model quotes
 * exactly); {@code trailing-whitespace} (the file has trailing spaces the model drops),
 * {@code indentation} (the file is indented with four spaces or tabs and the model quotes with
 * two-space indentation or without the common indentation), {@code crlf} (the file has CRLF line
 * ends, the model writes LF), {@code unicode} (the file's copy text has typographic quotes, dashes,
 * ellipses and non-breaking spaces, the model writes ASCII), {@code ambiguous} (the changed lines
 * occur several times: {@code ambiguous-careful} adds context or an anchor, {@code ambiguous-minimal}
 * does not), {@code stale} (the model misremembers a word of the text it quotes),
 * {@code large-file}, {@code file-rename}, {@code file-delete} and {@code file-add}.
 */
final class EditCorpus {
  static final long SEED = 15;

  /** The tool sets compared. */
  enum Style {
    EDIT_FILE("edit_file"), APPLY_PATCH("apply_patch"), WRITE_FILE("write_file");

    final String tool;

    Style(String tool) {
      this.tool = tool;
    }
  }

  /**
   * One case: the files involved before and after (absent = no such file; texts as stored, CRLF
   * included) and the calls of each style.
   */
  record Case(String id, String category, Map<String, Optional<String>> before, Map<String, Optional<String>> after,
      Map<Style, List<Call>> calls) {
    int bytes(Style style) {
      return calls.get(style).stream().mapToInt(Call::bytes).sum();
    }
  }

  private static final Map<String, Integer> PLAN = new LinkedHashMap<>();

  static {
    PLAN.put("modify", 30);
    PLAN.put("insert", 24);
    PLAN.put("delete", 18);
    PLAN.put("replace-block", 14);
    PLAN.put("append-eof", 10);
    PLAN.put("multi-hunk", 28);
    PLAN.put("rename-symbol", 12);
    PLAN.put("trailing-whitespace", 20);
    PLAN.put("indentation", 22);
    PLAN.put("crlf", 20);
    PLAN.put("unicode", 20);
    PLAN.put("ambiguous-careful", 12);
    PLAN.put("ambiguous-minimal", 10);
    PLAN.put("stale", 6);
    PLAN.put("large-file", 6);
    PLAN.put("file-rename", 8);
    PLAN.put("file-delete", 6);
    PLAN.put("file-add", 4);
  }

  private static final String[] WORDS = {"primary", "compact", "featured", "summer", "latest", "secondary", "large",
      "bold", "Welcome", "Shop", "outline", "muted"};
  private static final String[] SYMBOLS = {"query", "selected", "handleSelect", "visible", "BASE_URL", "TIMEOUT_MS",
      "--radius", "--brand", "controller", "setQuery", "count"};
  private static final Pattern NUMBER = Pattern.compile("(?<![\\w.#-])\\d+(\\.\\d+)?(?![\\w.])");
  private static final Pattern WORD = Pattern.compile("(?<![\\w$-])[A-Za-z]{4,}(?![\\w$-])");

  private final List<Source> sources;

  private EditCorpus(List<Source> sources) {
    this.sources = sources;
  }

  /** The corpus: every category of {@link #PLAN}, over the templates and the generated files. */
  static List<Case> generate() {
    List<Source> all = new ArrayList<>(CorpusFiles.templates());
    all.addAll(CorpusFiles.generated(SEED));
    return new EditCorpus(all).cases();
  }

  private List<Case> cases() {
    List<Case> out = new ArrayList<>();
    int n = 0;
    for (Map.Entry<String, Integer> e : PLAN.entrySet()) {
      for (int i = 0; i < e.getValue(); i++, n++) {
        Random r = new Random(SEED * 1_000_003L + n);
        for (int attempt = 0; ; attempt++) {
          Optional<Case> c = make(e.getKey(), String.format(Locale.ROOT, "%03d-%s", n, e.getKey()), r);
          if (c.isPresent()) {
            out.add(c.get());
            break;
          }
          if (attempt > 200) {
            throw new IllegalStateException("cannot make a " + e.getKey() + " case");
          }
        }
      }
    }
    return out;
  }

  private List<Source> of(String... kinds) {
    List<String> k = List.of(kinds);
    return sources.stream().filter(s -> k.contains(s.kind()) && !s.path().endsWith("package-lock.json")
        && !s.path().equals("src/lib/reports.ts")).toList();
  }

  private static <T> T pick(Random r, List<T> values) {
    return values.get(r.nextInt(values.size()));
  }

  private Optional<Case> make(String category, String id, Random r) {
    return switch (category) {
      case "modify" -> plain(id, category, pick(r, of("tsx", "ts", "css", "html", "json", "js")), r, this::modify);
      case "insert" -> plain(id, category, pick(r, of("tsx", "ts", "css", "html", "json", "js")), r, EditCorpus::insert);
      case "delete" -> plain(id, category, pick(r, of("tsx", "ts", "css", "html", "json")), r, EditCorpus::delete);
      case "replace-block" -> plain(id, category, pick(r, of("tsx", "ts", "css", "html")), r, EditCorpus::replaceBlock);
      case "append-eof" -> plain(id, category, pick(r, of("tsx", "ts", "css", "js")), r, EditCorpus::append);
      case "multi-hunk" -> plain(id, category, pick(r, of("tsx", "ts", "css", "html", "json")), r, this::multi);
      case "rename-symbol" -> renameSymbol(id, pick(r, of("tsx", "ts", "css")), r);
      case "trailing-whitespace" -> trailingWhitespace(id, pick(r, of("tsx", "ts", "css", "html", "json", "js")), r);
      case "indentation" -> indentation(id, pick(r, of("tsx", "ts", "css", "html")), r);
      case "crlf" -> crlf(id, pick(r, of("tsx", "ts", "css", "html", "json", "js")), r);
      case "unicode" -> unicode(id, r);
      case "ambiguous-careful", "ambiguous-minimal" -> ambiguous(id, category, r);
      case "stale" -> stale(id, pick(r, of("tsx", "ts", "css", "html")), r);
      case "large-file" -> plain(id, category, pick(r, sources.stream().filter(s -> s.path().endsWith("package-lock.json")
          || s.path().equals("src/lib/reports.ts")).toList()), r, r.nextBoolean() ? this::modify : EditCorpus::insert);
      case "file-rename" -> fileRename(id, pick(r, of("tsx", "ts", "css")), r);
      case "file-delete" -> {
        Source s = pick(r, of("tsx", "ts", "css", "html", "json"));
        yield Optional.of(build(id, category, FileOp.delete(s.path(), s.text()), ModelView.EXACT, false, s.text(), null));
      }
      case "file-add" -> {
        Source s = pick(r, of("tsx", "ts", "css"));
        String path = s.path().replaceAll("(\\.\\w+)$", "Copy$1");
        yield Optional.of(build(id, category, FileOp.add(path, s.text()), ModelView.EXACT, false, null, s.text()));
      }
      default -> throw new IllegalArgumentException(category);
    };
  }

  private interface Mutation {
    Optional<List<String>> apply(List<String> lines, Source source, Random r);
  }

  // ---- cases ----

  private Optional<Case> plain(String id, String category, Source s, Random r, Mutation m) {
    List<String> before = EditDerivation.lines(s.text());
    return m.apply(before, s, r).map(after -> build(id, category, FileOp.modify(s.path(), s.text(), text(after)),
        ModelView.EXACT, false, s.text(), text(after)));
  }

  private Optional<Case> renameSymbol(String id, Source s, Random r) {
    List<String> candidates = new ArrayList<>();
    for (String sym : SYMBOLS) {
      if (count(s.text(), sym) >= 3) {
        candidates.add(sym);
      }
    }
    if (candidates.isEmpty()) {
      return Optional.empty();
    }
    String from = pick(r, candidates);
    String to = from.startsWith("--") ? from + "-alt" : from + (Character.isUpperCase(from.charAt(0)) ? "_V2" : "Next");
    String after = s.text().replaceAll("(?<![\\w$-])" + Pattern.quote(from) + "(?![\\w$])", Matcher.quoteReplacement(to));
    return Optional.of(build(id, "rename-symbol", FileOp.modify(s.path(), s.text(), after), ModelView.EXACT, false,
        s.text(), after));
  }

  private static int count(String text, String symbol) {
    Matcher m = Pattern.compile("(?<![\\w$-])" + Pattern.quote(symbol) + "(?![\\w$])").matcher(text);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }

  private Optional<Case> trailingWhitespace(String id, Source s, Random r) {
    List<String> lines = new ArrayList<>(EditDerivation.lines(s.text()));
    int at = editable(lines, r);
    if (at < 0) {
      return Optional.empty();
    }
    // Trailing spaces and tabs around the change, as an editor that does not trim them leaves.
    for (int i = Math.max(0, at - 5); i < Math.min(lines.size(), at + 6); i++) {
      if (!lines.get(i).isBlank() && (i == at || r.nextInt(3) > 0)) {
        lines.set(i, lines.get(i) + pick(r, List.of(" ", "  ", "\t", "   ")));
      }
    }
    String before = text(lines);
    Mutation m = pick(r, List.<Mutation>of(this::modifyAt, EditCorpus::insertAt, EditCorpus::deleteAt));
    Optional<List<String>> after = m.apply(atLine(lines, at), s, r);
    ModelView view = line -> line.stripTrailing();
    return after.map(a -> build(id, "trailing-whitespace", FileOp.modify(s.path(), before, text(a)), view, false, before, text(a)));
  }

  private Optional<Case> indentation(String id, Source s, Random r) {
    String unit = r.nextBoolean() ? "    " : "\t";
    Source wide = new Source(s.path(), CorpusFiles.reindent(s.text(), unit), s.kind());
    List<String> lines = EditDerivation.lines(wide.text());
    Mutation m = pick(r, List.<Mutation>of(this::modify, (l, src, rr) -> insert(l, src, rr, unit), EditCorpus::delete,
        (l, src, rr) -> replaceBlock(l, src, rr, unit)));
    Optional<List<String>> after = m.apply(lines, wide, r);
    boolean dedent = r.nextBoolean();
    ModelView view = dedent ? new Dedent() : twoSpace(unit);
    return after.map(a -> build(id, "indentation", FileOp.modify(s.path(), wide.text(), text(a)), view, false, wide.text(),
        text(a)));
  }

  private Optional<Case> crlf(String id, Source s, Random r) {
    List<String> lines = EditDerivation.lines(s.text());
    Mutation m = pick(r, List.<Mutation>of(this::modify, EditCorpus::insert, EditCorpus::delete, this::multi));
    return m.apply(lines, s, r).map(a -> {
      String before = s.text().replace("\n", "\r\n");
      String after = text(a).replace("\n", "\r\n");
      // The model sees and writes the file with \n line ends.
      return build(id, "crlf", FileOp.modify(s.path(), s.text(), text(a)), ModelView.EXACT, false, before, after);
    });
  }

  private Optional<Case> unicode(String id, Random r) {
    List<Source> typographic = sources.stream().filter(s -> !s.path().endsWith("package-lock.json") && typographic(s.text())).toList();
    Source s = pick(r, typographic);
    List<String> lines = EditDerivation.lines(s.text());
    List<Integer> at = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (typographic(lines.get(i)) && WORD.matcher(ascii(lines.get(i))).find()) {
        at.add(i);
      }
    }
    int line = pick(r, at);
    Mutation m = r.nextInt(3) == 0 ? EditCorpus::insertAt : this::modifyWordAt;
    Optional<List<String>> after = m.apply(atLine(lines, line), s, r);
    ModelView view = EditCorpus::ascii;
    return after.map(a -> build(id, "unicode", FileOp.modify(s.path(), s.text(), text(a)), view, false, s.text(), text(a)));
  }

  private Optional<Case> ambiguous(String id, String category, Random r) {
    Source s = pick(r, of("css", "html", "json", "tsx"));
    List<String> lines = EditDerivation.lines(s.text());
    List<Integer> repeated = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i);
      if (!l.isBlank() && l.strip().length() > 3 && count(lines, l) >= 2 && (NUMBER.matcher(l).find() || WORD.matcher(l).find())) {
        repeated.add(i);
      }
    }
    if (repeated.isEmpty()) {
      return Optional.empty();
    }
    int at = pick(r, repeated);
    Optional<List<String>> after = (r.nextBoolean() ? (Mutation) this::modifyAt : (Mutation) EditCorpus::insertAt)
        .apply(atLine(lines, at), s, r);
    boolean minimal = category.equals("ambiguous-minimal");
    return after.map(a -> build(id, category, FileOp.modify(s.path(), s.text(), text(a)), ModelView.EXACT, minimal,
        s.text(), text(a)));
  }

  private Optional<Case> stale(String id, Source s, Random r) {
    List<String> lines = EditDerivation.lines(s.text());
    return modify(lines, s, r).map(a -> build(id, "stale", FileOp.modify(s.path(), s.text(), text(a)), new Stale(),
        false, s.text(), text(a)));
  }

  private Optional<Case> fileRename(String id, Source s, Random r) {
    String to = s.path().replaceFirst("^src/(\\w+)/", "src/$1/moved/");
    List<String> lines = EditDerivation.lines(s.text());
    return modify(lines, s, r).map(a -> {
      Case c = build(id, "file-rename", FileOp.move(s.path(), to, s.text(), text(a)), ModelView.EXACT, false, s.text(), null);
      Map<String, Optional<String>> after = new LinkedHashMap<>();
      after.put(s.path(), Optional.empty());
      after.put(to, Optional.of(text(a)));
      Map<String, Optional<String>> before = new LinkedHashMap<>();
      before.put(s.path(), Optional.of(s.text()));
      before.put(to, Optional.empty());
      return new Case(c.id(), c.category(), before, after, c.calls());
    });
  }

  private static Case build(String id, String category, FileOp op, ModelView view, boolean minimal, String before,
      String after) {
    Map<Style, List<Call>> calls = new LinkedHashMap<>();
    calls.put(Style.EDIT_FILE, EditDerivation.editFile(op, view, minimal));
    calls.put(Style.APPLY_PATCH, EditDerivation.applyPatch(op, view, minimal));
    calls.put(Style.WRITE_FILE, EditDerivation.writeFile(op));
    Map<String, Optional<String>> b = new LinkedHashMap<>();
    b.put(op.path(), Optional.ofNullable(before));
    Map<String, Optional<String>> a = new LinkedHashMap<>();
    a.put(op.path(), Optional.ofNullable(after));
    return new Case(id, category, b, a, calls);
  }

  // ---- mutations ----

  /** Lines with the edit position marked: mutations that take a position use it instead of choosing one. */
  private static final class Positioned extends ArrayList<String> {
    private static final long serialVersionUID = 1L;
    final int at;

    Positioned(List<String> lines, int at) {
      super(lines);
      this.at = at;
    }
  }

  private static List<String> atLine(List<String> lines, int at) {
    return new Positioned(lines, at);
  }

  private static int position(List<String> lines, Random r) {
    return lines instanceof Positioned p ? p.at : editable(lines, r);
  }

  /** A random non-blank line that is more than a bracket. */
  private static int editable(List<String> lines, Random r) {
    List<Integer> ok = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i).strip();
      if (l.length() > 3 && (NUMBER.matcher(l).find() || WORD.matcher(l).find())) {
        ok.add(i);
      }
    }
    return ok.isEmpty() ? -1 : pick(r, ok);
  }

  private Optional<List<String>> modify(List<String> lines, Source s, Random r) {
    return modifyAt(lines, s, r);
  }

  private Optional<List<String>> modifyAt(List<String> lines, Source s, Random r) {
    int at = position(lines, r);
    if (at < 0) {
      return Optional.empty();
    }
    String line = lines.get(at);
    Matcher num = NUMBER.matcher(line);
    String changed;
    if (num.find() && r.nextBoolean()) {
      String n = num.group();
      String next = n.contains(".") ? n + "5" : String.valueOf(Long.parseLong(n) * 2 + 1);
      changed = line.substring(0, num.start()) + next + line.substring(num.end());
    } else {
      return modifyWordAt(lines, s, r);
    }
    return Optional.of(replace(lines, at, 1, List.of(changed.stripTrailing())));
  }

  private Optional<List<String>> modifyWordAt(List<String> lines, Source s, Random r) {
    int at = position(lines, r);
    if (at < 0) {
      return Optional.empty();
    }
    String line = lines.get(at);
    Matcher w = WORD.matcher(line);
    List<int[]> words = new ArrayList<>();
    while (w.find()) {
      words.add(new int[] {w.start(), w.end()});
    }
    if (words.isEmpty()) {
      return Optional.empty();
    }
    int[] word = pick(r, words);
    String replacement = pick(r, List.of(WORDS));
    if (replacement.equals(line.substring(word[0], word[1]))) {
      replacement = replacement + "s";
    }
    String changed = line.substring(0, word[0]) + replacement + line.substring(word[1]);
    return Optional.of(replace(lines, at, 1, List.of(changed.stripTrailing())));
  }

  private static Optional<List<String>> insert(List<String> lines, Source s, Random r) {
    return insert(lines, s, r, "  ");
  }

  private static Optional<List<String>> insertAt(List<String> lines, Source s, Random r) {
    return insert(lines, s, r, unitOf(lines));
  }

  private static Optional<List<String>> insert(List<String> lines, Source s, Random r, String unit) {
    int at = position(lines, r);
    if (at < 0) {
      return Optional.empty();
    }
    String indent = leading(lines.get(at));
    if (s.kind().equals("json")) {
      // a new key before this one keeps the JSON valid
      if (!lines.get(at).strip().startsWith("\"")) {
        return Optional.empty();
      }
      return Optional.of(replace(lines, at, 0, List.of(indent + "\"added" + r.nextInt(100) + "\": \"" + pick(r, List.of(WORDS)) + "\",")));
    }
    return Optional.of(replace(lines, at + 1, 0, snippet(s.kind(), r, indent, unit)));
  }

  private static Optional<List<String>> delete(List<String> lines, Source s, Random r) {
    return deleteAt(lines, s, r);
  }

  private static Optional<List<String>> deleteAt(List<String> lines, Source s, Random r) {
    int at = position(lines, r);
    if (at < 0 || lines.size() < 6) {
      return Optional.empty();
    }
    int n = 1 + r.nextInt(3);
    n = Math.min(n, lines.size() - at);
    return Optional.of(replace(lines, at, n, List.of()));
  }

  private static Optional<List<String>> replaceBlock(List<String> lines, Source s, Random r) {
    return replaceBlock(lines, s, r, "  ");
  }

  private static Optional<List<String>> replaceBlock(List<String> lines, Source s, Random r, String unit) {
    int at = position(lines, r);
    if (at < 0) {
      return Optional.empty();
    }
    String indent = leading(lines.get(at));
    int n = 1;
    while (at + n < lines.size() && n < 4 && leading(lines.get(at + n)).equals(indent) && !lines.get(at + n).isBlank()) {
      n++;
    }
    List<String> with = new ArrayList<>(snippet(s.kind(), r, indent, unit));
    with.addAll(snippet(s.kind(), r, indent, unit));
    return Optional.of(replace(lines, at, n, with));
  }

  private static Optional<List<String>> append(List<String> lines, Source s, Random r) {
    List<String> with = new ArrayList<>(List.of(""));
    switch (s.kind()) {
      case "css" -> with.addAll(List.of(".highlight {", "  color: var(--brand, #2563eb);", "  font-weight: 600;", "}"));
      case "ts" -> with.addAll(List.of("export function clamp(value: number, min: number, max: number) {",
          "  return Math.min(max, Math.max(min, value))", "}"));
      default -> with.addAll(List.of("export const displayName = '" + pick(r, List.of(WORDS)) + "'"));
    }
    return Optional.of(replace(lines, lines.size(), 0, with));
  }

  private Optional<List<String>> multi(List<String> lines, Source s, Random r) {
    int changes = 2 + r.nextInt(2);
    List<Integer> at = new ArrayList<>();
    for (int tries = 0; tries < 50 && at.size() < changes; tries++) {
      int p = editable(lines, r);
      if (p >= 0 && at.stream().allMatch(q -> Math.abs(q - p) >= 8)) {
        at.add(p);
      }
    }
    if (at.size() < 2) {
      return Optional.empty();
    }
    at.sort(java.util.Comparator.reverseOrder());
    List<String> current = lines;
    for (int p : at) {
      Mutation m = pick(r, List.<Mutation>of(this::modifyAt, EditCorpus::insertAt, EditCorpus::deleteAt));
      Optional<List<String>> next = m.apply(atLine(current, p), s, r);
      if (next.isEmpty()) {
        return Optional.empty();
      }
      current = next.get();
    }
    return Optional.of(current);
  }

  /** Realistic lines to add, for the language of the file, indented like the line they follow. */
  private static List<String> snippet(String kind, Random r, String indent, String unit) {
    List<List<String>> options = switch (kind) {
      case "tsx", "jsx" -> List.of(
          List.of("<p className=\"hint\">Changes are saved automatically.</p>"),
          List.of("{selected && (", "\t<p className=\"selection\">Selected: {selected}</p>", ")}"),
          List.of("<span className=\"badge\">New</span>"));
      case "ts", "js" -> List.of(
          List.of("if (!id) {", "\tthrow new Error('id is required')", "}"),
          List.of("console.debug('request', id)"),
          List.of("const started = Date.now()"));
      case "css" -> List.of(
          List.of("transition: color 0.2s ease;"),
          List.of("box-shadow: 0 1px 2px rgba(0, 0, 0, 0.1);", "cursor: pointer;"));
      case "html" -> List.of(
          List.of("<p class=\"note\">Prices include VAT.</p>"),
          List.of("<div class=\"banner\">", "\t<strong>New:</strong> gift cards are here.", "</div>"));
      default -> List.of(List.of("// changed by the builder"));
    };
    List<String> out = new ArrayList<>();
    for (String l : pick(r, options)) {
      int depth = 0;
      while (l.startsWith("\t")) {
        l = l.substring(1);
        depth++;
      }
      out.add(indent + unit.repeat(depth) + l);
    }
    return out;
  }

  private static List<String> replace(List<String> lines, int at, int remove, List<String> with) {
    List<String> out = new ArrayList<>(lines.subList(0, at));
    out.addAll(with);
    out.addAll(lines.subList(Math.min(lines.size(), at + remove), lines.size()));
    return out;
  }

  private static String text(List<String> lines) {
    return lines.isEmpty() ? "" : String.join("\n", lines) + "\n";
  }

  static String leading(String line) {
    return line.substring(0, line.length() - line.stripLeading().length());
  }

  private static int count(List<String> lines, String line) {
    int n = 0;
    for (String l : lines) {
      if (l.strip().equals(line.strip())) {
        n++;
      }
    }
    return n;
  }

  private static String unitOf(List<String> lines) {
    for (String l : lines) {
      if (l.startsWith("\t")) {
        return "\t";
      }
      if (l.startsWith("    ") && !l.startsWith("     ") && lines.stream().noneMatch(x -> x.startsWith("  ") && !x.startsWith("    ") && !x.isBlank())) {
        return "    ";
      }
    }
    return "  ";
  }

  // ---- the model's view ----

  static boolean typographic(String s) {
    return !ascii(s).equals(s);
  }

  /** What a model that types ASCII writes for typographic punctuation. */
  static String ascii(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '\u2018', '\u2019' -> out.append('\'');
        case '\u201C', '\u201D' -> out.append('"');
        case '\u2013', '\u2014', '\u2011' -> out.append('-');
        case '\u2026' -> out.append("...");
        case '\u00A0' -> out.append(' ');
        default -> out.append(c);
      }
    }
    return out.toString();
  }

  /** A model that sees the file with two-space indentation. */
  static ModelView twoSpace(String unit) {
    return line -> {
      String lead = leading(line);
      int levels = 0;
      int rest = 0;
      if (unit.equals("\t")) {
        levels = (int) lead.chars().filter(c -> c == '\t').count();
        rest = lead.length() - levels;
      } else {
        levels = lead.length() / unit.length();
        rest = lead.length() % unit.length();
      }
      return "  ".repeat(levels) + " ".repeat(rest) + line.substring(lead.length());
    };
  }

  /** A model that quotes a snippet without its common indentation. */
  static final class Dedent implements ModelView {
    @Override
    public String line(String line) {
      return line;
    }

    @Override
    public boolean needsContext() {
      return true;
    }

    @Override
    public String[] edit(String oldString, String newString) {
      String common = common(EditDerivation.lines(oldString));
      return new String[] {ModelView.mapLines(oldString, l -> strip(l, common)), ModelView.mapLines(newString, l -> strip(l, common))};
    }

    @Override
    public List<String> chunk(Chunk c) {
      String common = common(c.oldLines());
      List<String> out = new ArrayList<>();
      c.anchors().forEach(a -> out.add("@@ " + a));
      if (c.anchors().isEmpty()) {
        out.add("@@");
      }
      c.lines().forEach(l -> out.add(l.charAt(0) + strip(l.substring(1), common)));
      if (c.endOfFile()) {
        out.add("*** End of File");
      }
      return out;
    }

    private static String common(List<String> lines) {
      String common = null;
      for (String l : lines) {
        if (l.isBlank()) {
          continue;
        }
        String lead = leading(l);
        if (common == null) {
          common = lead;
        } else {
          int i = 0;
          while (i < common.length() && i < lead.length() && common.charAt(i) == lead.charAt(i)) {
            i++;
          }
          common = common.substring(0, i);
        }
      }
      return common == null ? "" : common;
    }

    private static String strip(String line, String common) {
      return line.startsWith(common) ? line.substring(common.length()) : line.stripLeading();
    }
  }

  /** A model that misremembers one word of the text it quotes (in a line it does not change, when there is one). */
  static final class Stale implements ModelView {
    @Override
    public String line(String line) {
      return line;
    }

    @Override
    public boolean needsContext() {
      return true;
    }

    private static String garble(String line) {
      Matcher w = WORD.matcher(line);
      return w.find() ? line.substring(0, w.start()) + "stale" + w.group() + line.substring(w.end()) : line + " ";
    }

    @Override
    public String[] edit(String oldString, String newString) {
      List<String> old = EditDerivation.lines(oldString);
      int i = 0;
      while (i < old.size() - 1 && !WORD.matcher(old.get(i)).find()) {
        i++;
      }
      String remembered = garble(old.get(i));
      String wrong = old.get(i);
      List<String> neu = new ArrayList<>(EditDerivation.lines(newString));
      neu.replaceAll(l -> l.equals(wrong) ? remembered : l);
      old.set(i, remembered);
      return new String[] {String.join("\n", old) + "\n", neu.isEmpty() ? "" : String.join("\n", neu) + "\n"};
    }

    @Override
    public List<String> chunk(Chunk c) {
      List<String> out = new ArrayList<>(ModelView.EXACT.chunk(c));
      for (int i = 0; i < out.size(); i++) {
        String l = out.get(i);
        if ((l.startsWith(" ") || l.startsWith("-")) && WORD.matcher(l).find()) {
          out.set(i, l.charAt(0) + garble(l.substring(1)));
          break;
        }
      }
      return out;
    }
  }
}

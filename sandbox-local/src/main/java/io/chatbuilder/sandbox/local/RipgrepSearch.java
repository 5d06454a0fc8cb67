package io.chatbuilder.sandbox.local;

import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.PathRefusedException;
import io.chatbuilder.core.TooLargeException;
import io.chatbuilder.core.sandbox.SearchQuery;
import io.chatbuilder.core.sandbox.SearchResult;
import io.chatbuilder.core.sandbox.TextSearch;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The search with ripgrep: the same {@link SearchResult} as {@link ByteSearch} (and so as the
 * sequential reference), with {@code rg} doing the reading. How the answer stays exact:
 *
 * <ul>
 *   <li><b>Which files:</b> the change tracker's list of checkpointable regular files (the watcher
 *       keeps it current at O(changes)), filtered by the query's globs with core's rule and by the
 *       size limit in Java. {@code rg} gets these paths as arguments, never a directory to walk, so
 *       the exclusions, the .gitignore rules and the glob syntax are ours, not ripgrep's.
 *   <li><b>Which files are text</b> (no NUL in the first 8,000 bytes, strict UTF-8: what the
 *       reference counts and searches): remembered per file with the stat it was checked at, and
 *       trusted while the file's stat is unchanged and was already older than the racy window when
 *       checked (as the tracker trusts a stat). A file not known yet is read once through the
 *       confined file access and searched in-process, which also fills in its mark.
 *   <li><b>Which lines:</b> {@code rg} only proposes lines: those holding the literal every match
 *       must contain ({@link ByteSearch.Prefilter}), as fixed bytes ({@code -F}, {@code -a},
 *       {@code --encoding none}: no transcoding, no BOM handling, no binary rules). Each proposed
 *       line is then tested with core's line rule, so regular expressions keep Java's syntax and
 *       case rules. A file where the line text is ambiguous (a line ending in CR), where {@code rg}
 *       stopped at its per-file count, or that needs context lines is searched in-process instead.
 * </ul>
 *
 * <p>Confinement: in an isolated sandbox {@code rg} runs inside bubblewrap with only the system
 * directories and the app's root, read-only ({@link Bubblewrap#readOnlyCommand}): whatever a file
 * swapped for a symlink mid-search points at, rg can reach nothing its commands could not. The
 * proposals are only line numbers and text of files we listed; anything else in its output is
 * dropped. Queries without a usable literal go to the byte search.
 */
final class RipgrepSearch {
  private static final Logger log = LoggerFactory.getLogger(RipgrepSearch.class);
  /**
   * Argument bytes per rg run (each path's UTF-8 bytes, its NUL and its pointer): half the kernel's
   * limit for arguments and environment together (ARG_MAX, 2 MiB on Linux; rg gets no environment).
   * One run per search up to tens of thousands of files: every extra run costs a process start.
   */
  private static final int MAX_ARGUMENT_BYTES = 1024 * 1024;
  /** More output than this: the query proposes nearly every line; the byte search is as good. */
  private static final int MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

  /** A file's text check and the stat it was made at. */
  private record TextMark(FileStat stat, boolean text, boolean trusted) {}

  /** One line rg proposed. */
  private record Proposal(int line, byte[] text) {}

  /** How the files are read in-process: {@link ConfinedFiles#read}. */
  @FunctionalInterface
  interface Reader {
    Optional<byte[]> read(String path);
  }

  private final Path executable;
  private final Path root;
  /** Wraps rg's command line: bubblewrap's read-only profile, or nothing for an unisolated sandbox. */
  private final Function<List<String>, List<String>> wrap;
  private final LongSupplier clockNanos;
  /** Guarded by the sandbox's lock, as every search is. */
  private final Map<String, TextMark> marks = new HashMap<>();
  private final int argumentBytes;
  private volatile boolean failed;
  private long answered;

  RipgrepSearch(Path executable, Path root, Function<List<String>, List<String>> wrap, LongSupplier clockNanos) {
    this(executable, root, wrap, clockNanos, MAX_ARGUMENT_BYTES);
  }

  /** @param argumentBytes argument bytes per rg run; tests make it small to get several runs */
  RipgrepSearch(Path executable, Path root, Function<List<String>, List<String>> wrap, LongSupplier clockNanos,
      int argumentBytes) {
    this.argumentBytes = argumentBytes;
    this.executable = Objects.requireNonNull(executable, "executable == null");
    this.root = Objects.requireNonNull(root, "root == null");
    this.wrap = Objects.requireNonNull(wrap, "wrap == null");
    this.clockNanos = Objects.requireNonNull(clockNanos, "clockNanos == null");
  }

  /** {@code rg} from the system directories (never from PATH or the app), if installed. */
  static Optional<Path> find() {
    return Bubblewrap.systemProgram("rg");
  }

  /** Searches rg answered (the others went to the byte search); for tests and the bench. */
  long answered() {
    return answered;
  }

  /** Whether an rg run failed in a way that is not the query's (then the byte search answers from now on). */
  boolean failed() {
    return failed;
  }

  /**
   * Searches {@code files} (every checkpointable file with its stat), or returns empty when this
   * query has no literal rg can look for; the caller then runs the byte search.
   */
  Optional<SearchResult> search(SearchQuery query, long maxFileBytes, SortedMap<String, FileStat> files, Reader reader,
      ExecutorService pool) {
    TextSearch filter = TextSearch.start(query); // validates the pattern and globs first
    ByteSearch.Prefilter prefilter = ByteSearch.Prefilter.of(query);
    Optional<byte[]> needle = prefilter.needle();
    if (failed || needle.isEmpty() || !usableInArgv(needle.get())) {
      return Optional.empty();
    }
    long deadline = System.nanoTime() + query.timeLimit().toNanos();
    marks.keySet().retainAll(files.keySet());
    List<String> unknown = new ArrayList<>();
    List<String> forRg = new ArrayList<>();
    for (Map.Entry<String, FileStat> e : files.entrySet()) {
      String path = e.getKey();
      if (e.getValue().size() > maxFileBytes || !filter.accepts(path)) {
        continue;
      }
      TextMark mark = marks.get(path);
      if (mark == null || !mark.trusted() || !mark.stat().sameAs(e.getValue())) {
        unknown.add(path);
      } else if (mark.text()) {
        forRg.add(path);
      }
    }
    List<ByteSearch.FileOutcome> outcomes = new ArrayList<>();
    // Files not known yet: read and searched here, which also tells whether they are text.
    long checkedAt = clockNanos.getAsLong();
    java.util.Set<String> read = new java.util.HashSet<>();
    for (ByteSearch.FileOutcome outcome : inProcess(query, filter, prefilter, unknown, reader, pool, deadline)) {
      outcomes.add(outcome);
      read.add(outcome.path());
      FileStat stat = files.get(outcome.path());
      boolean trusted = stat.ctimeNanos() != FileStat.UNKNOWN
          && Math.max(stat.mtimeNanos(), stat.ctimeNanos()) < checkedAt - ChangeTracker.RACY_WINDOW.toNanos();
      marks.put(outcome.path(), new TextMark(stat, outcome.text(), trusted));
    }
    for (String path : unknown) {
      if (!read.contains(path)) {
        marks.remove(path); // unreadable now (gone, replaced): checked again next time
      }
    }
    int maxCount = query.maxResults() + 1;
    Map<String, List<Proposal>> proposals = new HashMap<>();
    List<List<String>> chunks = chunks(forRg);
    List<Future<Optional<Map<String, List<Proposal>>>>> runs = new ArrayList<>();
    for (int i = 1; i < chunks.size(); i++) { // the rare extra runs (a huge tree) alongside the first
      List<String> chunk = chunks.get(i);
      runs.add(pool.submit(() -> runRg(query, needle.get(), prefilter.asciiFold(), maxCount, chunk, deadline)));
    }
    List<Optional<Map<String, List<Proposal>>>> parts = new ArrayList<>();
    if (!chunks.isEmpty()) {
      parts.add(runRg(query, needle.get(), prefilter.asciiFold(), maxCount, chunks.get(0), deadline));
    }
    for (Future<Optional<Map<String, List<Proposal>>>> run : runs) {
      parts.add(await(run));
    }
    for (Optional<Map<String, List<Proposal>>> part : parts) {
      if (part.isEmpty()) {
        return Optional.empty();
      }
      proposals.putAll(part.get());
    }
    List<String> again = new ArrayList<>();
    for (String path : forRg) {
      List<Proposal> lines = proposals.get(path);
      if (lines == null) {
        outcomes.add(new ByteSearch.FileOutcome(path, true, List.of(), false));
        continue;
      }
      Optional<ByteSearch.FileOutcome> outcome = fromProposals(query, filter, path, lines, maxCount);
      if (outcome.isPresent()) {
        outcomes.add(outcome.get());
      } else {
        again.add(path);
      }
    }
    outcomes.addAll(inProcess(query, filter, prefilter, again, reader, pool, deadline));
    answered++;
    return Optional.of(ByteSearch.merge(query, outcomes));
  }

  /** A NUL or a line break cannot be one rg argument that means the same bytes. */
  private static boolean usableInArgv(byte[] needle) {
    for (byte b : needle) {
      if (b == 0 || b == '\n') {
        return false;
      }
    }
    return true;
  }

  /** The outcome from rg's proposed lines, or empty where only reading the file gives it exactly. */
  private static Optional<ByteSearch.FileOutcome> fromProposals(SearchQuery query, TextSearch filter, String path,
      List<Proposal> lines, int maxCount) {
    if (lines.size() >= maxCount) {
      return Optional.empty(); // rg stopped counting: more lines may follow
    }
    lines.sort(java.util.Comparator.comparingInt(Proposal::line));
    List<SearchResult.Match> matches = new ArrayList<>();
    for (Proposal p : lines) {
      byte[] t = p.text();
      if (t.length > 0 && t[t.length - 1] == '\r') {
        // "a\r\n" is the line "a", but "a\r" at the end of a file is the line "a\r": rg prints both alike.
        return Optional.empty();
      }
      String text = new String(t, StandardCharsets.UTF_8);
      if (filter.matchesLine(text)) {
        if (query.contextLines() > 0) {
          return Optional.empty();
        }
        if (matches.size() >= query.maxResults()) {
          return Optional.of(new ByteSearch.FileOutcome(path, true, matches, true));
        }
        matches.add(new SearchResult.Match(path, p.line(), text, List.of(), List.of()));
      }
    }
    return Optional.of(new ByteSearch.FileOutcome(path, true, matches, false));
  }

  /** Reads and searches {@code paths} on the pool; files that cannot be read now are left out. */
  private static List<ByteSearch.FileOutcome> inProcess(SearchQuery query, TextSearch filter, ByteSearch.Prefilter prefilter,
      List<String> paths, Reader reader, ExecutorService pool, long deadline) {
    if (paths.isEmpty()) {
      return List.of();
    }
    int batch = Math.max(16, paths.size() / 16);
    List<List<String>> batches = new ArrayList<>();
    for (int i = 0; i < paths.size(); i += batch) {
      batches.add(paths.subList(i, Math.min(paths.size(), i + batch)));
    }
    List<Future<List<ByteSearch.FileOutcome>>> work = new ArrayList<>();
    for (List<String> part : batches) {
      work.add(pool.submit(() -> {
        List<ByteSearch.FileOutcome> out = new ArrayList<>();
        for (String path : part) {
          if (System.nanoTime() - deadline > 0) {
            throw ByteSearch.timeout(query);
          }
          Optional<byte[]> bytes;
          try {
            bytes = reader.read(path);
          } catch (PathRefusedException | NotFoundException | TooLargeException e) {
            continue; // changed under us (a running command): skipped, as the byte search does
          }
          bytes.ifPresent(b -> out.add(ByteSearch.searchFile(query, filter, path, b, prefilter)));
        }
        return out;
      }));
    }
    List<ByteSearch.FileOutcome> outcomes = new ArrayList<>();
    for (Future<List<ByteSearch.FileOutcome>> f : work) {
      outcomes.addAll(await(f));
    }
    return outcomes;
  }

  private static <T> T await(Future<T> f) {
    try {
      return f.get();
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new io.chatbuilder.core.SandboxException("search failed: " + e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new io.chatbuilder.core.SandboxException("search interrupted");
    }
  }

  private List<List<String>> chunks(List<String> paths) {
    List<List<String>> out = new ArrayList<>();
    int from = 0;
    int bytes = 0;
    for (int i = 0; i < paths.size(); i++) {
      int size = paths.get(i).getBytes(StandardCharsets.UTF_8).length + 1 + Long.BYTES;
      if (bytes + size > argumentBytes && i > from) {
        out.add(paths.subList(from, i));
        from = i;
        bytes = 0;
      }
      bytes += size;
    }
    if (from < paths.size()) {
      out.add(paths.subList(from, paths.size()));
    }
    return out;
  }

  /**
   * One rg run over {@code paths}: path → proposed lines. Empty if rg could not answer (it failed
   * to start or stopped with an error of its own): the byte search answers instead.
   */
  private Optional<Map<String, List<Proposal>>> runRg(SearchQuery query, byte[] needle, boolean asciiFold, int maxCount,
      List<String> paths, long deadline) {
    List<String> argv = new ArrayList<>(List.of(executable.toString(), "--no-config", "--no-ignore", "--hidden",
        "--no-messages", "--text", "--encoding", "none", "--with-filename", "--line-number", "--null", "--no-heading", "--color", "never",
        "--max-count", Integer.toString(maxCount), "--fixed-strings"));
    if (asciiFold) {
      argv.add("--no-unicode");
      argv.add("--ignore-case"); // with --no-unicode: ASCII case only, the prefilter's rule
    }
    argv.add("--regexp");
    argv.add(new String(needle, StandardCharsets.UTF_8));
    argv.add("--");
    argv.addAll(paths); // relative to the working directory, the root; after "--" a leading '-' is a name
    ProcessBuilder pb = new ProcessBuilder(wrap.apply(argv)).directory(root.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().clear(); // no RIPGREP_CONFIG_PATH, no locale surprises
    Process process;
    try {
      process = pb.start();
    } catch (IOException e) {
      return failure("cannot start rg: " + e.getMessage());
    }
    // rg may block (a listed file swapped for a FIFO mid-search): killed at the deadline, whatever it does.
    Process started = process;
    java.util.concurrent.CompletableFuture.delayedExecutor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)
        .execute(started::destroyForcibly);
    try {
      byte[] out;
      try (InputStream in = process.getInputStream()) {
        out = readCapped(in);
      }
      if (out == null) {
        process.destroyForcibly();
        return Optional.empty(); // nearly every line proposed: not worth parsing
      }
      long left = deadline - System.nanoTime();
      if (left <= 0 || !process.waitFor(left, TimeUnit.NANOSECONDS)) {
        process.destroyForcibly();
        throw ByteSearch.timeout(query);
      }
      if (System.nanoTime() - deadline > 0) {
        throw ByteSearch.timeout(query); // killed by the watchdog: its output is cut short
      }
      int code = process.exitValue();
      byte[] err;
      try (InputStream in = process.getErrorStream()) {
        err = in.readNBytes(16 * 1024); // rg is told to be quiet: only bwrap or a fatal error writes here
      }
      // 0: lines found, 1: none, 2 and silent: some file could not be opened (it vanished or was
      // swapped mid-search; --no-messages keeps those quiet); a message means rg or bwrap itself failed.
      if (code > 2 || (code != 0 && err.length > 0)) {
        return failure("rg exited with " + code + ": " + new String(err, StandardCharsets.UTF_8).strip());
      }
      return Optional.of(parse(out, paths));
    } catch (IOException e) {
      process.destroyForcibly();
      return failure("reading rg's output failed: " + e.getMessage());
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new io.chatbuilder.core.SandboxException("search interrupted");
    }
  }

  private Optional<Map<String, List<Proposal>>> failure(String why) {
    failed = true;
    log.warn("search with ripgrep in {} failed ({}); searching in-process from now on", root, why);
    return Optional.empty();
  }

  private static byte[] readCapped(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
    byte[] buf = new byte[64 * 1024];
    int n;
    while ((n = in.read(buf)) > 0) {
      out.write(buf, 0, n);
      if (out.size() > MAX_OUTPUT_BYTES) {
        return null;
      }
    }
    return out.toByteArray();
  }

  /** Records of {@code <path> NUL <line> ':' <text> LF}; paths we did not pass are dropped. */
  private Map<String, List<Proposal>> parse(byte[] out, List<String> paths) {
    java.util.Set<String> asked = new java.util.HashSet<>(paths);
    Map<String, List<Proposal>> byPath = new HashMap<>();
    int i = 0;
    String lastRaw = null;
    List<Proposal> last = null;
    while (i < out.length) {
      int nul = indexOf(out, (byte) 0, i);
      if (nul < 0) {
        break;
      }
      int colon = indexOf(out, (byte) ':', nul + 1);
      int end = indexOf(out, (byte) '\n', nul + 1);
      if (colon < 0 || end < 0 || colon > end) {
        break;
      }
      String raw = new String(out, i, nul - i, StandardCharsets.UTF_8);
      int line = Integer.parseInt(new String(out, nul + 1, colon - nul - 1, StandardCharsets.US_ASCII));
      byte[] text = java.util.Arrays.copyOfRange(out, colon + 1, end);
      i = end + 1;
      if (!raw.equals(lastRaw)) {
        lastRaw = raw;
        last = asked.contains(raw) ? byPath.computeIfAbsent(raw, k -> new ArrayList<>()) : null;
      }
      if (last != null) {
        last.add(new Proposal(line, text));
      }
    }
    return byPath;
  }

  private static int indexOf(byte[] a, byte b, int from) {
    for (int i = from; i < a.length; i++) {
      if (a[i] == b) {
        return i;
      }
    }
    return -1;
  }
}

package io.chatbuilder.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.CommandDeniedException;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.LeaseLostException;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.PathRefusedException;
import io.chatbuilder.core.TimeoutException;
import io.chatbuilder.core.TooLargeException;
import io.chatbuilder.core.sandbox.ChangeScan;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.FileContent;
import io.chatbuilder.core.sandbox.FileEntry;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.sandbox.SearchQuery;
import io.chatbuilder.core.sandbox.SearchResult;
import io.chatbuilder.core.sandbox.WriteOutcome;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The behaviour every {@link Sandbox} must have: confined paths, exclusions, change tracking,
 * restore, search and the command policy. Extend it and implement {@link #createSandbox()}, which
 * returns an empty sandbox with the default policy and exclusions.
 */
public abstract class SandboxContract {

  /** An empty sandbox with default policy and exclusions. Called before each test. */
  protected abstract Sandbox createSandbox() throws Exception;

  /** The size cap of the sandbox {@link #createSandbox()} returns. */
  protected abstract long maxFileBytes();

  protected Sandbox sandbox;

  @BeforeEach
  void openSandbox() throws Exception {
    sandbox = createSandbox();
  }

  @AfterEach
  void closeSandbox() {
    sandbox.close();
  }

  protected static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  protected String readText(String path) {
    return sandbox.read(path).text().orElseThrow();
  }

  @Test
  void writeReadRoundTripWithOutcomes() {
    assertThat(sandbox.write("src/components/App.jsx", utf8("export default 1;\n"))).isEqualTo(WriteOutcome.CREATED);
    assertThat(sandbox.write("src/components/App.jsx", utf8("export default 1;\n"))).isEqualTo(WriteOutcome.UNCHANGED);
    assertThat(sandbox.write("src/components/App.jsx", utf8("export default 2;\n"))).isEqualTo(WriteOutcome.MODIFIED);
    FileContent content = sandbox.read("src/components/App.jsx");
    assertThat(content.path()).isEqualTo("src/components/App.jsx");
    assertThat(content.text()).contains("export default 2;\n");
    assertThat(content.binary()).isFalse();
    assertThat(sandbox.tryRead("./src//components/App.jsx")).isPresent();
    assertThat(sandbox.tryRead("nope.txt")).isEmpty();
    assertThatThrownBy(() -> sandbox.read("nope.txt")).isInstanceOf(NotFoundException.class);
  }

  @Test
  void binaryAndEmptyFilesAreKeptExactly() {
    byte[] png = {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0, 13, (byte) 0xff};
    sandbox.write("public/logo.png", png);
    sandbox.write("empty.txt", new byte[0]);
    FileContent read = sandbox.read("public/logo.png");
    assertThat(read.binary()).isTrue();
    assertThat(read.text()).isEmpty();
    assertThat(read.bytes()).isEqualTo(png);
    assertThat(sandbox.read("empty.txt").bytes()).isEmpty();
    assertThat(sandbox.read("empty.txt").binary()).isFalse();
  }

  @Test
  void unicodeContentAndNames() {
    sandbox.write("docs/naïve café ✓.md", utf8("# Grüße 👋\n"));
    assertThat(readText("docs/naïve café ✓.md")).isEqualTo("# Grüße 👋\n");
    assertThat(sandbox.files()).containsKey("docs/naïve café ✓.md");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "/etc/passwd", "../outside.txt", "src/../../outside.txt", "a/../../b", "..", "src/..", "~/secret",
      "a\u0000b", "a\\..\\b", "C:/windows/system32", "con", "src/NUL.txt", "aux.js", "com1", "lpt9.txt",
      "%2e%2e/outside.txt", "src/%2E%2E/%2e%2e/x", "..%2f..%2fetc%2fpasswd", "a%00b", "name.", "trailing ",
      "bad|pipe", "q?.txt", "star*.js", "line\nbreak", ""})
  void hostilePathsAreRefusedEverywhere(String hostile) {
    assertThatThrownBy(() -> sandbox.write(hostile, utf8("x"))).isInstanceOf(PathRefusedException.class);
    assertThatThrownBy(() -> sandbox.read(hostile)).isInstanceOf(PathRefusedException.class);
    assertThatThrownBy(() -> sandbox.tryRead(hostile)).isInstanceOf(PathRefusedException.class);
    assertThatThrownBy(() -> sandbox.delete(hostile)).isInstanceOf(PathRefusedException.class);
    sandbox.write("ok.txt", utf8("ok"));
    assertThatThrownBy(() -> sandbox.rename("ok.txt", hostile)).isInstanceOf(PathRefusedException.class);
    assertThatThrownBy(() -> sandbox.rename(hostile, "ok2.txt")).isInstanceOf(PathRefusedException.class);
    assertThat(sandbox.files()).containsOnlyKeys("ok.txt");
  }

  @Test
  void refusalsSayWhy() {
    assertThatThrownBy(() -> sandbox.write("../x", utf8("x"))).hasMessageContaining("..");
    assertThatThrownBy(() -> sandbox.write("/abs", utf8("x"))).hasMessageContaining("absolute");
    assertThatThrownBy(() -> sandbox.write("a\u0000b", utf8("x"))).hasMessageContaining("NUL");
  }

  @Test
  void excludedDirectoriesAreNeverListedScannedOrWritable() {
    sandbox.write("src/main.js", utf8("x"));
    assertThatThrownBy(() -> sandbox.write("node_modules/evil/index.js", utf8("x"))).isInstanceOf(PathRefusedException.class);
    assertThatThrownBy(() -> sandbox.write("dist/index.html", utf8("x"))).isInstanceOf(PathRefusedException.class);
    assertThatThrownBy(() -> sandbox.write("sub/.git/config", utf8("x"))).isInstanceOf(PathRefusedException.class);
    assertThat(sandbox.files()).containsOnlyKeys("src/main.js");
    assertThat(sandbox.list("", true, 1000)).extracting(FileEntry::path).containsExactly("src", "src/main.js");
  }

  /** The .gitignore of create-vite's templates, plus a negation and a directory-only pattern. */
  protected static final String VITE_GITIGNORE = String.join("\n",
      "# Logs", "logs", "*.log", "npm-debug.log*", "", "node_modules", "dist", "dist-ssr", "*.local", "!keep.local",
      "build/", "/only-at-root.txt", "docs/**/*.tmp", "") ;

  @Test
  void theAppsGitignoreExtendsTheExclusions() {
    sandbox.write("src/main.js", utf8("x"));
    sandbox.write("src/build", utf8("a file named build, not the build/ directory"));
    sandbox.write(".gitignore", utf8(VITE_GITIGNORE));
    for (String ignored : List.of(".env.local", "src/.env.production.local", "logs/app.txt", "npm-debug.log.1", "x.log",
        "dist-ssr/index.html", "build/out.js", "only-at-root.txt", "docs/a/b/c.tmp", ".ENV.LOCAL")) {
      assertThatThrownBy(() -> sandbox.write(ignored, utf8("secret=1"))).as(ignored).isInstanceOf(PathRefusedException.class)
          .hasMessageContaining(".gitignore");
      assertThatThrownBy(() -> sandbox.apply(Map.of(ignored, Optional.of(utf8("x"))))).as(ignored).isInstanceOf(PathRefusedException.class);
    }
    sandbox.write("keep.local", utf8("re-included by !keep.local"));
    sandbox.write("sub/only-at-root.txt", utf8("not at the root"));
    sandbox.write("docs/c.txt", utf8("not .tmp"));
    assertThat(sandbox.files()).containsOnlyKeys(".gitignore", "src/main.js", "src/build", "keep.local", "sub/only-at-root.txt",
        "docs/c.txt");
    assertThat(sandbox.scanChanges().paths()).containsOnly(".gitignore", "src/main.js", "src/build", "keep.local",
        "sub/only-at-root.txt", "docs/c.txt");
    assertThat(sandbox.search(SearchQuery.literal("secret")).matches()).isEmpty();
  }

  @Test
  void aFileIgnoredLaterLeavesFilesScansAndReadsAndComesBackWhenTheRuleGoes() {
    sandbox.write("src/main.js", utf8("x"));
    sandbox.write(".env.local", utf8("API_KEY=before-the-rule"));
    sandbox.acknowledgeChanges(sandbox.scanChanges().generation());
    assertThat(sandbox.files()).containsKey(".env.local");

    sandbox.write(".gitignore", utf8("*.local\n"));
    assertThat(sandbox.files()).containsOnlyKeys(".gitignore", "src/main.js");
    // reported, so the next checkpoint records it as gone; reading it is refused (recorded as absent)
    assertThat(sandbox.scanChanges().paths()).contains(".env.local", ".gitignore");
    assertThatThrownBy(() -> sandbox.tryRead(".env.local")).isInstanceOf(PathRefusedException.class).hasMessageContaining(".gitignore");
    assertThatThrownBy(() -> sandbox.read(".env.local")).isInstanceOf(PathRefusedException.class);
    assertThat(sandbox.list("", true, 100)).extracting(FileEntry::path).doesNotContain(".env.local");
    assertThat(sandbox.search(SearchQuery.literal("API_KEY")).matches()).isEmpty();

    sandbox.delete(".gitignore");
    assertThat(sandbox.files()).containsOnlyKeys(".env.local", "src/main.js");
    assertThat(new String(sandbox.read(".env.local").bytes(), StandardCharsets.UTF_8)).isEqualTo("API_KEY=before-the-rule");
  }

  @Test
  void theGitignoreCannotHideWhatTheSdkNeedsToRecordTheApp() {
    sandbox.write(".gitignore", utf8("*\n!src/\n"));
    sandbox.write("package.json", utf8("{}"));
    sandbox.write("package-lock.json", utf8("{}"));
    assertThatThrownBy(() -> sandbox.write("index.html", utf8("x"))).isInstanceOf(PathRefusedException.class);
    assertThat(sandbox.files()).containsOnlyKeys(".gitignore", "package.json", "package-lock.json");
    assertThat(new String(sandbox.read(".gitignore").bytes(), StandardCharsets.UTF_8)).startsWith("*");
    // hostile patterns are just patterns: nothing breaks, nothing outside is touched
    sandbox.write(".gitignore", utf8("[z-a]\n\\\n[\n" + "*a".repeat(500) + "\n../outside\n/\n!\n"));
    sandbox.write("index.html", utf8("x"));
    assertThat(sandbox.files()).containsOnlyKeys(".gitignore", "package.json", "package-lock.json", "index.html");
  }

  /** Every file tool refuses {@code hostile} with {@code path_refused} and a message containing {@code why}. */
  protected void assertRefusedEverywhere(String hostile, String why) {
    sandbox.write("ok.txt", utf8("ok"));
    List<org.assertj.core.api.ThrowableAssert.ThrowingCallable> attempts = List.of(
        () -> sandbox.write(hostile, utf8("x")),
        () -> sandbox.read(hostile),
        () -> sandbox.tryRead(hostile),
        () -> sandbox.delete(hostile),
        () -> sandbox.rename("ok.txt", hostile),
        () -> sandbox.rename(hostile, "ok2.txt"),
        () -> sandbox.list(hostile, true, 10),
        () -> sandbox.apply(Map.of(hostile, Optional.of(utf8("x")))));
    for (org.assertj.core.api.ThrowableAssert.ThrowingCallable attempt : attempts) {
      assertThatThrownBy(attempt).isInstanceOf(PathRefusedException.class).hasMessageContaining(why)
          .satisfies(e -> assertThat(((PathRefusedException) e).code()).isEqualTo(io.chatbuilder.core.ErrorCode.PATH_REFUSED));
    }
    assertThat(sandbox.files()).containsOnlyKeys("ok.txt");
    assertThat(sandbox.list("", true, 100)).extracting(FileEntry::path).containsExactly("ok.txt");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "\u202E", "\u202A", "\u200E", "\u200F", "\u061C", "\u2066", "\u2069", // bidi controls
      "\u0007", "\u001B", "\u0085", "\u009B",                             // C0 and C1 controls
      "\u200B", "\u200C", "\u200D", "\u2060", "\u2064", "\uFEFF", "\u00AD", "\uFE0F", // invisible
      "\uDB40\uDC41", "\uDB40\uDD00",                                    // tag character, variation selector 17
      "\uD800", "\uDFFF",                                                // lone surrogates
      "\uFFFE", "\uFDD0", "\u0378", "\u2028"})                            // noncharacters, unassigned, separator
  void invisibleAndControlCharactersAreRefusedEverywhereNamingTheCodePoint(String character) {
    String codePoint = String.format("U+%04X", character.codePointAt(0));
    assertRefusedEverywhere("src/pay" + character + "ment.js", codePoint);
    assertRefusedEverywhere(character + "start.txt", codePoint);
  }

  @Test
  void namesNotInUnicodeNfcAreRefusedSoLookAlikesCannotCoexist() {
    assertRefusedEverywhere("docs/cafe\u0301.md", "normalization form C");
    assertThat(sandbox.write("docs/caf\u00e9.md", utf8("nfc"))).isEqualTo(WriteOutcome.CREATED);
    assertThat(sandbox.files()).containsOnlyKeys("ok.txt", "docs/café.md");
  }

  @ParameterizedTest
  @ValueSource(strings = {".chatbuilder", ".chatbuilder/state.json", "src/.chatbuilder/x.json", ".ChatBuilder/home/x",
      ".chatbuilder-tmp-0123456789abcdef", "src/.chatbuilder-tmp-1", ".CHATBUILDER-TMP-2"})
  void theSdksOwnNamesAreInvisibleToTheFileTools(String internal) {
    assertRefusedEverywhere(internal, "reserved for the SDK");
    assertThat(sandbox.search(SearchQuery.literal("ok")).matches()).extracting(SearchResult.Match::path).containsExactly("ok.txt");
    assertThat(sandbox.scanChanges().paths()).allSatisfy(p -> assertThat(p.toLowerCase(java.util.Locale.ROOT)).doesNotContain(".chatbuilder"));
  }

  @ParameterizedTest
  @ValueSource(strings = {".GIT/hooks/pre-commit", "sub/.Git/config", "Node_Modules/.bin/vite", "NODE_MODULES/pkg/index.js",
      "Dist/index.html", ".DS_STORE", "node_\u200Bmodules/x.js", "node\u200Bmodules/x.js", ".g\u200Cit/config", ".git./config"})
  void exclusionsMatchIgnoringLetterCaseAndInvisibleCharacters(String path) {
    sandbox.write("src/main.js", utf8("x"));
    sandbox.acknowledgeChanges(sandbox.scanChanges().generation());
    assertThatThrownBy(() -> sandbox.write(path, utf8("x"))).isInstanceOf(PathRefusedException.class);
    assertThatThrownBy(() -> sandbox.apply(Map.of(path, Optional.of(utf8("x"))))).isInstanceOf(PathRefusedException.class);
    assertThat(sandbox.files()).containsOnlyKeys("src/main.js");
    assertThat(sandbox.list("", true, 100)).extracting(FileEntry::path).containsExactly("src", "src/main.js");
    assertThat(sandbox.scanChanges().paths()).isEmpty();
  }

  @Test
  void listIsSortedAndRespectsRecursionAndLimit() {
    sandbox.write("b.txt", utf8("b"));
    sandbox.write("a/x.txt", utf8("xx"));
    sandbox.write("a/deep/y.txt", utf8("yyy"));
    assertThat(sandbox.list("", false, 100)).extracting(FileEntry::path).containsExactly("a", "b.txt");
    List<FileEntry> all = sandbox.list("", true, 100);
    assertThat(all).extracting(FileEntry::path).containsExactly("a", "a/deep", "a/deep/y.txt", "a/x.txt", "b.txt");
    assertThat(all).filteredOn(e -> e.path().equals("a/deep/y.txt")).singleElement()
        .satisfies(e -> {
          assertThat(e.kind()).isEqualTo(FileEntry.Kind.FILE);
          assertThat(e.size()).isEqualTo(3);
        });
    assertThat(all).filteredOn(e -> e.path().equals("a")).singleElement()
        .extracting(FileEntry::kind).isEqualTo(FileEntry.Kind.DIRECTORY);
    assertThat(sandbox.list("a", false, 100)).extracting(FileEntry::path).containsExactly("a/deep", "a/x.txt");
    assertThat(sandbox.list("", true, 2)).hasSize(2);
    assertThatThrownBy(() -> sandbox.list("missing", false, 10)).isInstanceOf(NotFoundException.class);
  }

  @Test
  void deleteFilesAndDirectories() {
    sandbox.write("a/one.txt", utf8("1"));
    sandbox.write("a/b/two.txt", utf8("2"));
    sandbox.write("keep.txt", utf8("k"));
    assertThat(sandbox.delete("a/one.txt")).containsExactly("a/one.txt");
    assertThat(sandbox.delete("a")).containsExactly("a/b/two.txt");
    assertThat(sandbox.files()).containsOnlyKeys("keep.txt");
    assertThatThrownBy(() -> sandbox.delete("a")).isInstanceOf(NotFoundException.class);
  }

  @Test
  void renameFilesAndDirectoriesWithoutOverwriting() {
    sandbox.write("src/old.js", utf8("old"));
    sandbox.write("src/lib/x.js", utf8("x"));
    sandbox.write("other.js", utf8("other"));
    sandbox.rename("src/old.js", "src/new/place.js");
    assertThat(readText("src/new/place.js")).isEqualTo("old");
    assertThat(sandbox.tryRead("src/old.js")).isEmpty();
    sandbox.rename("src/lib", "lib2");
    assertThat(readText("lib2/x.js")).isEqualTo("x");
    assertThatThrownBy(() -> sandbox.rename("other.js", "lib2/x.js")).isInstanceOf(InvalidArgumentException.class);
    assertThat(readText("lib2/x.js")).isEqualTo("x");
    assertThatThrownBy(() -> sandbox.rename("missing.js", "m.js")).isInstanceOf(NotFoundException.class);
  }

  @Test
  void writesOverTheSizeCapAreRefused() {
    byte[] tooBig = new byte[(int) maxFileBytes() + 1];
    assertThatThrownBy(() -> sandbox.write("big.bin", tooBig)).isInstanceOf(TooLargeException.class);
    assertThat(sandbox.files()).isEmpty();
  }

  @Test
  void changeTrackingReportsEveryChangeUntilAcknowledged() {
    sandbox.write("a.txt", utf8("a"));
    sandbox.write("b.txt", utf8("b"));
    ChangeScan first = sandbox.scanChanges();
    assertThat(first.paths()).contains("a.txt", "b.txt");
    sandbox.acknowledgeChanges(first.generation());
    assertThat(sandbox.scanChanges().paths()).isEmpty();

    sandbox.write("a.txt", utf8("a2"));
    sandbox.delete("b.txt");
    sandbox.write("c/d.txt", utf8("d"));
    sandbox.rename("c/d.txt", "e.txt");
    ChangeScan second = sandbox.scanChanges();
    assertThat(second.paths()).contains("a.txt", "b.txt", "c/d.txt", "e.txt");
    assertThat(second.generation()).isGreaterThan(first.generation());

    sandbox.write("late.txt", utf8("after the scan"));
    sandbox.acknowledgeChanges(second.generation());
    assertThat(sandbox.scanChanges().paths()).as("a change after the scan survives its acknowledgement").contains("late.txt");
  }

  @Test
  void unchangedWritesAreNotReportedAsChanges() {
    sandbox.write("a.txt", utf8("a"));
    sandbox.acknowledgeChanges(sandbox.scanChanges().generation());
    assertThat(sandbox.write("a.txt", utf8("a"))).isEqualTo(WriteOutcome.UNCHANGED);
    assertThat(sandbox.scanChanges().paths()).doesNotContain("a.txt");
  }

  @Test
  void applyRestoresAFileSetWritingOnlyWhatDiffers() {
    sandbox.write("same.txt", utf8("same"));
    sandbox.write("edit.txt", utf8("v1"));
    sandbox.write("remove.txt", utf8("bye"));
    sandbox.acknowledgeChanges(sandbox.scanChanges().generation());
    sandbox.apply(Map.of(
        "same.txt", Optional.of(utf8("same")),
        "edit.txt", Optional.of(utf8("v0")),
        "remove.txt", Optional.empty(),
        "added/new.txt", Optional.of(utf8("new")),
        "absent.txt", Optional.empty()));
    assertThat(sandbox.files()).containsOnlyKeys("same.txt", "edit.txt", "added/new.txt");
    assertThat(readText("edit.txt")).isEqualTo("v0");
    assertThat(readText("added/new.txt")).isEqualTo("new");
    assertThat(sandbox.scanChanges().paths()).doesNotContain("same.txt").contains("edit.txt", "remove.txt", "added/new.txt");
  }

  @Test
  void applySwapsAFileAndADirectoryInEitherDirection() {
    sandbox.write("lib", utf8("a file"));
    sandbox.apply(Map.of("lib", Optional.empty(), "lib/util.js", Optional.of(utf8("export {}"))));
    assertThat(sandbox.files()).containsOnlyKeys("lib/util.js");
    sandbox.apply(Map.of("lib/util.js", Optional.empty(), "lib", Optional.of(utf8("a file again"))));
    assertThat(sandbox.files()).containsOnlyKeys("lib");
    assertThat(readText("lib")).isEqualTo("a file again");
  }

  @Test
  void aFileCannotBeWrittenOrMovedUnderAFile() {
    sandbox.write("a", utf8("file"));
    sandbox.write("dir/x.js", utf8("x"));
    assertThatThrownBy(() -> sandbox.write("a/b.txt", utf8("x"))).isInstanceOf(io.chatbuilder.core.ChatBuilderException.class);
    assertThatThrownBy(() -> sandbox.rename("dir", "a/dir")).isInstanceOf(io.chatbuilder.core.ChatBuilderException.class);
    assertThat(sandbox.files()).containsOnlyKeys("a", "dir/x.js");
    assertThat(readText("a")).isEqualTo("file");
  }

  @Test
  void returnedAndPassedBytesAreCopies() {
    byte[] bytes = utf8("original");
    sandbox.write("f.txt", bytes);
    bytes[0] = 'X';
    byte[] read = sandbox.read("f.txt").bytes();
    read[1] = 'Y';
    assertThat(readText("f.txt")).isEqualTo("original");
  }

  @Test
  void searchLiteralRegexCaseGlobsContextAndLimits() {
    sandbox.write("src/App.jsx", utf8("import React from 'react';\nexport function App() {\n  return <h1>Hello</h1>;\n}\n"));
    sandbox.write("src/util.js", utf8("export const hello = 'hello';\n"));
    sandbox.write("README.md", utf8("Say HELLO\n"));
    sandbox.write("logo.bin", new byte[] {0, 'h', 'e', 'l', 'l', 'o'});

    SearchResult literal = sandbox.search(SearchQuery.literal("Hello"));
    assertThat(literal.matches()).extracting(SearchResult.Match::path, SearchResult.Match::line)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("src/App.jsx", 3));

    SearchResult insensitive = sandbox.search(new SearchQuery("hello", false, true, List.of(), 100, 0, Duration.ofSeconds(5)));
    assertThat(insensitive.matches()).extracting(SearchResult.Match::path)
        .containsExactly("README.md", "src/App.jsx", "src/util.js");

    SearchResult regex = sandbox.search(new SearchQuery("export (function|const) \\w+", true, false, List.of("*.js"), 100, 0, Duration.ofSeconds(5)));
    assertThat(regex.matches()).extracting(SearchResult.Match::path).containsExactly("src/util.js");

    SearchResult withContext = sandbox.search(new SearchQuery("return", false, false, List.of("src/**/*.jsx"), 100, 1, Duration.ofSeconds(5)));
    assertThat(withContext.matches()).singleElement().satisfies(m -> {
      assertThat(m.before()).containsExactly("export function App() {");
      assertThat(m.after()).containsExactly("}");
    });

    SearchResult limited = sandbox.search(new SearchQuery("e", false, false, List.of(), 2, 0, Duration.ofSeconds(5)));
    assertThat(limited.matches()).hasSize(2);
    assertThat(limited.truncated()).isTrue();
  }

  @Test
  void searchSkipsBinaryAndRejectsBadPatterns() {
    sandbox.write("logo.bin", new byte[] {0, 'n', 'e', 'e', 'd', 'l', 'e'});
    assertThat(sandbox.search(SearchQuery.literal("needle")).matches()).isEmpty();
    assertThatThrownBy(() -> sandbox.search(SearchQuery.regex("(unclosed"))).isInstanceOf(InvalidArgumentException.class);
  }

  @Test
  void catastrophicRegexIsStoppedByTheTimeLimit() {
    sandbox.write("evil.txt", utf8("a".repeat(40) + "!\n"));
    // Polynomial of degree 12 in the line length: minutes without a time limit.
    SearchQuery query = new SearchQuery("(.*a){12}$", true, false, List.of(), 10, 0, Duration.ofMillis(300));
    long start = System.nanoTime();
    assertThatThrownBy(() -> sandbox.search(query)).isInstanceOf(TimeoutException.class).hasMessageContaining("search");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "sh -c ls", "bash -c id", "rm -rf .", "env sh -c id", "time rm x", "/usr/bin/time rm x", "/bin/sh",
      "curl http://example.com", "python3 -c print(1)", "xargs rm", "sudo npm install"})
  void deniedProgramsAreRefusedBeforeAnythingRuns(String command) {
    List<String> argv = List.of(command.split(" "));
    assertThatThrownBy(() -> sandbox.run(new CommandRequest(argv, "", Map.of(), Optional.empty()), CommandListener.NONE, new Cancellation()))
        .isInstanceOf(CommandDeniedException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"&&", ";", "|", "$(id)", "`id`", ">out.txt", "<in.txt", "a\nb"})
  void shellSyntaxInArgumentsIsRefused(String syntax) {
    List<String> argv = List.of("npm", "run", "build", syntax, "rm");
    assertThatThrownBy(() -> sandbox.run(new CommandRequest(argv, "", Map.of(), Optional.empty()), CommandListener.NONE, new Cancellation()))
        .isInstanceOf(CommandDeniedException.class);
  }

  // ---------------------------------------------------------------- fencing

  @Test
  void aStaleFencingTokenIsRefusedAndWritesNothing() {
    Sandbox five = sandbox.fenced(5);
    assertThat(five.write("a.txt", utf8("five"))).isEqualTo(WriteOutcome.CREATED);
    five.write("gone.txt", utf8("keep"));
    Sandbox six = sandbox.fenced(6);
    assertThat(six.write("b.txt", utf8("six"))).isEqualTo(WriteOutcome.CREATED);
    Map<String, Long> before = sandbox.files();

    assertThatThrownBy(() -> five.write("a.txt", utf8("late"))).isInstanceOf(LeaseLostException.class)
        .hasMessageContaining("5").hasMessageContaining("6");
    assertThatThrownBy(() -> five.write("new.txt", utf8("late"))).isInstanceOf(LeaseLostException.class);
    assertThatThrownBy(() -> five.delete("gone.txt")).isInstanceOf(LeaseLostException.class);
    assertThatThrownBy(() -> five.rename("a.txt", "moved.txt")).isInstanceOf(LeaseLostException.class);
    assertThatThrownBy(() -> five.apply(Map.of("a.txt", Optional.of(utf8("applied")), "b.txt", Optional.empty())))
        .isInstanceOf(LeaseLostException.class);
    // Refused before the policy is even asked: a stale holder starts nothing.
    assertThatThrownBy(() -> five.run(new CommandRequest(List.of("npm", "run", "build"), "", Map.of(), Optional.empty()),
        CommandListener.NONE, new Cancellation())).isInstanceOf(LeaseLostException.class);
    // The sandbox remembers the highest token, not the view: a new view with the old token is refused too.
    assertThatThrownBy(() -> sandbox.fenced(5).write("a.txt", utf8("late"))).isInstanceOf(LeaseLostException.class);

    assertThat(sandbox.files()).isEqualTo(before);
    assertThat(readText("a.txt")).isEqualTo("five");
    assertThat(readText("b.txt")).isEqualTo("six");
    assertThat(readText("gone.txt")).isEqualTo("keep");
    assertThat(sandbox.tryRead("new.txt")).isEmpty();
    assertThat(sandbox.tryRead("moved.txt")).isEmpty();
    // Reads through a stale view still work; the current holder goes on writing.
    assertThat(five.read("a.txt").text()).contains("five");
    assertThat(six.write("a.txt", utf8("six too"))).isEqualTo(WriteOutcome.MODIFIED);
    assertThat(sandbox.fenced(6).delete("gone.txt")).containsExactly("gone.txt");
    six.close(); // closing a view leaves the sandbox open
    assertThat(readText("a.txt")).isEqualTo("six too");
  }

  @Test
  void tokensBelowOneAreRejected() {
    assertThatThrownBy(() -> sandbox.fenced(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> sandbox.fenced(-1)).isInstanceOf(IllegalArgumentException.class);
  }
}

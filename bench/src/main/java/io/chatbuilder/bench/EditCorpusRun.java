package io.chatbuilder.bench;

import io.chatbuilder.bench.EditCorpus.Case;
import io.chatbuilder.bench.EditCorpus.Style;
import io.chatbuilder.bench.EditDerivation.Call;
import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.internal.ArgumentValidator;
import io.chatbuilder.core.testing.InMemorySandbox;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.tool.BuiltinTools;
import io.chatbuilder.core.tool.EditTools;
import io.chatbuilder.core.tool.Tool;
import io.chatbuilder.core.tool.ToolContext;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Runs corpus cases through the real built-in tools (schema validation, then execute) on an
 * {@link InMemorySandbox} holding the case's files, and compares the files with the case's
 * {@code after}.
 */
final class EditCorpusRun {
  private EditCorpusRun() {}

  enum Outcome {
    /** Every call succeeded and the files are exactly {@code after}. */
    SUCCESS,
    /** Every call succeeded but the files differ from {@code after}: a silent wrong edit. */
    WRONG_RESULT,
    /** A call failed (the model got an error and nothing was changed by that call). */
    FAILED
  }

  /** {@code output}: what the tools told the model, call after call. */
  record Result(Case c, Style style, Outcome outcome, String error, String output, boolean untouched) {
    /** The loosest match level the tools reported ("exact" when none was loosened). */
    String level() {
      if (output.contains("Unicode punctuation")) {
        return "unicode";
      }
      if (output.contains("ignoring indentation")) {
        return "indentation";
      }
      if (output.contains("ignoring trailing whitespace")) {
        return "trailing-whitespace";
      }
      return "exact";
    }
  }

  static Result run(Case c, Style style) {
    InMemorySandbox.Builder b = InMemorySandbox.builder("corpus");
    c.before().forEach((path, text) -> text.ifPresent(t -> b.file(path, t.getBytes(StandardCharsets.UTF_8))));
    InMemorySandbox sandbox = b.build();
    Map<String, Tool> tools = new LinkedHashMap<>();
    BuiltinTools.with(style == Style.APPLY_PATCH ? EditTools.APPLY_PATCH : EditTools.EDIT_FILE)
        .forEach(t -> tools.put(t.definition().name(), t));
    ToolContext context = context(sandbox);
    StringBuilder output = new StringBuilder();
    for (Call call : c.calls().get(style)) {
      Tool tool = tools.get(call.tool());
      if (tool == null) {
        throw new IllegalStateException(c.id() + ": " + style + " has no tool " + call.tool());
      }
      try {
        ArgumentValidator.validate(call.tool(), tool.definition().parameters(), call.args());
        output.append(tool.execute(context, call.args().deepCopy()).content()).append('\n');
      } catch (ChatBuilderException e) {
        return new Result(c, style, Outcome.FAILED, e.getMessage(), output.toString(), same(sandbox, c.before()));
      }
    }
    boolean untouched = same(sandbox, c.before());
    if (!same(sandbox, c.after())) {
      return new Result(c, style, Outcome.WRONG_RESULT, "the files differ from the intended result", output.toString(),
          untouched);
    }
    return new Result(c, style, Outcome.SUCCESS, "", output.toString(), untouched);
  }

  private static boolean same(Sandbox sandbox, Map<String, Optional<String>> files) {
    for (Map.Entry<String, Optional<String>> e : files.entrySet()) {
      Optional<String> actual = sandbox.tryRead(e.getKey()).map(f -> new String(f.bytes(), StandardCharsets.UTF_8));
      if (!actual.equals(e.getValue())) {
        return false;
      }
    }
    return true;
  }

  /** Per style: outcome counts over the cases. */
  static Map<Style, Map<Outcome, Integer>> tally(List<Result> results) {
    Map<Style, Map<Outcome, Integer>> out = new TreeMap<>();
    for (Result r : results) {
      out.computeIfAbsent(r.style(), s -> new TreeMap<>()).merge(r.outcome(), 1, Integer::sum);
    }
    return out;
  }

  private static ToolContext context(Sandbox sandbox) {
    Cancellation cancellation = new Cancellation();
    return new ToolContext() {
      @Override
      public String appId() {
        return "corpus";
      }

      @Override
      public String runId() {
        return "corpus-run";
      }

      @Override
      public String callId() {
        return "call";
      }

      @Override
      public Sandbox sandbox() {
        return sandbox;
      }

      @Override
      public Cancellation cancellation() {
        return cancellation;
      }

      @Override
      public void status(String message) {}
    };
  }
}

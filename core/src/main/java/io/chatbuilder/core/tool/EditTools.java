package io.chatbuilder.core.tool;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Which patch tool the agent gets next to {@code write_file}. Models edit best in the format they
 * were trained on: OpenAI's GPT, Codex and o-series models in the V4A patches of
 * {@code apply_patch}, Claude and most others in the exact string replacements of {@code edit_file}.
 */
public enum EditTools {
  /** {@code edit_file}: replace an exact old string with a new one. */
  EDIT_FILE,
  /** {@code apply_patch}: a patch in OpenAI's V4A format over any number of files. */
  APPLY_PATCH;

  private static final Pattern O_SERIES = Pattern.compile("o[1-9](-.*)?");

  /**
   * The tool for a model, by its {@link io.chatbuilder.core.model.ModelClient#name() name} such as
   * {@code openai:gpt-4.1}, {@code anthropic:claude-sonnet-4-5} or, through a router,
   * {@code openai:openai/o4-mini}: {@link #APPLY_PATCH} for GPT, Codex and o-series models,
   * {@link #EDIT_FILE} for everything else.
   */
  public static EditTools forModel(String modelName) {
    Objects.requireNonNull(modelName, "modelName == null");
    String id = modelName.toLowerCase(Locale.ROOT);
    id = id.substring(id.indexOf(':') + 1); // provider prefix
    id = id.substring(id.lastIndexOf('/') + 1); // router namespace, e.g. openai/gpt-4.1
    if (id.contains("claude")) {
      return EDIT_FILE;
    }
    if (id.startsWith("gpt") || id.startsWith("chatgpt") || id.contains("codex") || O_SERIES.matcher(id).matches()) {
      return APPLY_PATCH;
    }
    return EDIT_FILE;
  }
}

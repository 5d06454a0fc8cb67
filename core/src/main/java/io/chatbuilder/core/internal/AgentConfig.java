package io.chatbuilder.core.internal;

import io.chatbuilder.core.model.ModelClient;
import io.chatbuilder.core.model.ToolDefinition;
import io.chatbuilder.core.runtime.DraftRuntime;
import io.chatbuilder.core.tool.CheckApp;
import io.chatbuilder.core.tool.Tool;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/** The fixed settings of every run of a facade. Not API. */
public record AgentConfig(
    ModelClient model,
    Map<String, Tool> tools,
    String systemPrompt,
    int maxSteps,
    int contextBudgetChars,
    OptionalInt maxOutputTokens,
    Optional<CheckApp> finalCheck,
    Optional<DraftRuntime> lockfiles) {

  public AgentConfig {
    tools = Map.copyOf(tools);
    java.util.Objects.requireNonNull(finalCheck, "finalCheck == null");
    java.util.Objects.requireNonNull(lockfiles, "lockfiles == null");
  }

  /** Without a runtime that updates lockfiles. */
  public AgentConfig(ModelClient model, Map<String, Tool> tools, String systemPrompt, int maxSteps, int contextBudgetChars,
      OptionalInt maxOutputTokens, Optional<CheckApp> finalCheck) {
    this(model, tools, systemPrompt, maxSteps, contextBudgetChars, maxOutputTokens, finalCheck, Optional.empty());
  }

  /** Without a final check. */
  public AgentConfig(ModelClient model, Map<String, Tool> tools, String systemPrompt, int maxSteps, int contextBudgetChars,
      OptionalInt maxOutputTokens) {
    this(model, tools, systemPrompt, maxSteps, contextBudgetChars, maxOutputTokens, Optional.empty());
  }

  /** The same settings with another model, for one run's model override. */
  public AgentConfig withModel(ModelClient other) {
    return new AgentConfig(other, tools, systemPrompt, maxSteps, contextBudgetChars, maxOutputTokens, finalCheck, lockfiles);
  }

  public List<ToolDefinition> toolDefinitions() {
    return tools.values().stream().map(Tool::definition).sorted(java.util.Comparator.comparing(ToolDefinition::name)).toList();
  }
}

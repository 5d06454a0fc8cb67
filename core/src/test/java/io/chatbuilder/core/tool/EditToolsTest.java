package io.chatbuilder.core.tool;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.model.ToolDefinition;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class EditToolsTest {

  @ParameterizedTest
  @CsvSource({
      "openai:gpt-4.1, APPLY_PATCH",
      "openai:gpt-5-codex, APPLY_PATCH",
      "openai:o4-mini, APPLY_PATCH",
      "openai:o3, APPLY_PATCH",
      "openai:codex-mini-latest, APPLY_PATCH",
      "openai:chatgpt-4o-latest, APPLY_PATCH",
      "openai:openai/gpt-4o, APPLY_PATCH",
      "anthropic:claude-sonnet-4-5, EDIT_FILE",
      "openai:anthropic/claude-3.5-sonnet, EDIT_FILE",
      "openai:llama-3.3-70b, EDIT_FILE",
      "openai:qwen2.5-coder, EDIT_FILE",
      "openai:ollama/olmo-2, EDIT_FILE",
      "scripted, EDIT_FILE",
  })
  void theFamilyOfAModelPicksItsPatchTool(String model, EditTools expected) {
    assertThat(EditTools.forModel(model)).isEqualTo(expected);
  }

  @Test
  void toolSetsHoldTheSevenCommonToolsAndOnePatchTool() {
    assertThat(BuiltinTools.forModel("openai:gpt-4.1")).extracting(t -> t.definition().name()).containsExactly(
        "list_files", "read_file", "search_files", "write_file", "delete_file", "rename_file", "run_command", "apply_patch");
    assertThat(BuiltinTools.with(EditTools.EDIT_FILE)).extracting(t -> t.definition().name()).containsExactly(
        "list_files", "read_file", "search_files", "write_file", "delete_file", "rename_file", "run_command", "edit_file");
    assertThat(BuiltinTools.all()).extracting(t -> t.definition().name()).contains("edit_file", "apply_patch").hasSize(9);
  }

  @Test
  void applyPatchHasCodexsFunctionSchema() {
    ToolDefinition d = BuiltinTools.with(EditTools.APPLY_PATCH).get(7).definition();
    assertThat(d.parameters().toString()).isEqualTo("{\"type\":\"object\",\"properties\":{\"input\":{\"type\":\"string\","
        + "\"description\":\"The entire contents of the apply_patch command\"}},\"required\":[\"input\"],"
        + "\"additionalProperties\":false}");
    assertThat(d.description()).startsWith("Use the `apply_patch` tool to edit files.")
        .contains("*** Begin Patch", "*** Add File: <path>", "*** Update File: <path>", "*** Move to: <new path>",
            "*** Delete File: <path>", "*** End of File", "*** End Patch", "@@");
  }
}

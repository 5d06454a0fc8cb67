package io.chatbuilder.core.tool;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.internal.ArgumentValidator;
import io.chatbuilder.core.testing.InMemorySandbox;
import io.chatbuilder.core.sandbox.Sandbox;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Runs built-in tools the way the agent loop does: schema validation first, then execute. */
final class ToolHarness {
  static final ObjectMapper JSON = new ObjectMapper();

  final InMemorySandbox sandbox;
  final List<Tool> tools;
  String runId = "run-1";

  ToolHarness(InMemorySandbox sandbox) {
    this(sandbox, BuiltinTools.all());
  }

  ToolHarness(InMemorySandbox sandbox, List<Tool> tools) {
    this.sandbox = sandbox;
    this.tools = tools;
  }

  static ToolHarness with(String... pathsAndContents) {
    InMemorySandbox.Builder b = InMemorySandbox.builder("app");
    for (int i = 0; i < pathsAndContents.length; i += 2) {
      b.file(pathsAndContents[i], pathsAndContents[i + 1]);
    }
    return new ToolHarness(b.build());
  }

  Tool tool(String name) {
    return tools.stream().filter(t -> t.definition().name().equals(name)).findFirst().orElseThrow();
  }

  ToolResult call(String name, ObjectNode args) {
    Tool tool = tool(name);
    ArgumentValidator.validate(name, tool.definition().parameters(), args);
    return tool.execute(context(), args);
  }

  ToolResult call(String name, String argsJson) {
    try {
      return call(name, (ObjectNode) JSON.readTree(argsJson));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  ToolResult edit(String path, String oldString, String newString) {
    ObjectNode args = JSON.createObjectNode().put("path", path).put("old_string", oldString).put("new_string", newString);
    return call("edit_file", args);
  }

  ToolResult patch(String patch) {
    return call("apply_patch", JSON.createObjectNode().put("input", patch));
  }

  String text(String path) {
    return new String(sandbox.read(path).bytes(), StandardCharsets.UTF_8);
  }

  ToolContext context() {
    Sandbox s = sandbox;
    String run = runId;
    return new ToolContext() {
      @Override
      public String appId() {
        return "app";
      }

      @Override
      public String runId() {
        return run;
      }

      @Override
      public String callId() {
        return "call";
      }

      @Override
      public Sandbox sandbox() {
        return s;
      }

      @Override
      public Cancellation cancellation() {
        return new Cancellation();
      }

      @Override
      public void status(String message) {}
    };
  }
}

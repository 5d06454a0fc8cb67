package io.chatbuilder.tools.mcp;

import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.RunResult;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.model.ModelRequest;
import io.chatbuilder.core.testing.InMemorySandbox;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.tool.Tool;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Runs the real agent loop (core's ChatBuilder, a scripted model) over the given tool calls, then "Done.". */
final class Agent {
  record Outcome(RunResult result, List<Event> events, List<ChatMessage.ToolResult> toolResults, List<ModelRequest> requests) {
    <T extends Event> List<T> events(Class<T> type) {
      return events.stream().filter(type::isInstance).map(type::cast).toList();
    }
  }

  private Agent() {}

  /** Each call is {tool name, JSON arguments}; the model makes them one per turn. */
  static Outcome run(List<Tool> tools, String[]... calls) {
    ScriptedModel.Builder script = ScriptedModel.builder();
    for (String[] call : calls) {
      script.turn(t -> t.text("Calling " + call[0]).toolCall(call[0], call[1]));
    }
    ScriptedModel model = script.turn(t -> t.text("Done.")).build();
    ChatBuilder.Builder b = ChatBuilder.builder().model(model).sandboxes(appId -> InMemorySandbox.builder(appId).build());
    tools.forEach(b::tool);
    List<Event> events = new CopyOnWriteArrayList<>();
    try (ChatBuilder chatBuilder = b.build()) {
      var run = chatBuilder.chat("mcp-app", "Use the tools");
      run.subscribe(0, events::add);
      RunResult result = run.completion().join();
      List<ChatMessage.ToolResult> results = new ArrayList<>();
      for (ChatMessage m : model.requests().get(model.requests().size() - 1).messages()) {
        if (m instanceof ChatMessage.ToolResult r) {
          results.add(r);
        }
      }
      return new Outcome(result, List.copyOf(events), results, model.requests());
    }
  }
}

package io.chatbuilder.spring.autoconfigure;

import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.runtime.AppTemplate;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

/** A scripted model and a template for tests that run the real facade. */
final class Fixtures {
  private Fixtures() {}

  /** Each run writes {@code n.txt} (so it ends with a checkpoint), streams {@code deltas} text chunks, and answers. */
  static ScriptedModel writingModel(int deltas) {
    AtomicInteger n = new AtomicInteger();
    return ScriptedModel.responding(request -> {
      List<ChatMessage> messages = request.messages();
      ChatMessage last = messages.get(messages.size() - 1);
      if (last instanceof ChatMessage.ToolResult) {
        ScriptedModel.TurnBuilder t = ScriptedModel.Turn.builder();
        for (int i = 0; i < deltas; i++) {
          t.text("chunk " + i + " ");
        }
        return Optional.of(t.build());
      }
      return Optional.of(ScriptedModel.Turn.builder()
          .toolCall("write_file", "{\"path\":\"n.txt\",\"content\":\"" + n.incrementAndGet() + "\"}").build());
    });
  }

  /** A model whose turn lasts until the run is cancelled. */
  static ScriptedModel holdingModel() {
    return ScriptedModel.responding(request -> Optional.of(ScriptedModel.Turn.builder().text("working").holdUntilCancelled().build()));
  }

  static AppTemplate template() {
    return new AppTemplate() {
      @Override
      public String id() {
        return "plain";
      }

      @Override
      public String description() {
        return "one HTML file";
      }

      @Override
      public SortedMap<String, byte[]> files() {
        SortedMap<String, byte[]> files = new TreeMap<>();
        files.put("index.html", "<!doctype html><h1>hi</h1>\n".getBytes(StandardCharsets.UTF_8));
        return files;
      }
    };
  }
}

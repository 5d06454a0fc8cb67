package io.chatbuilder.models;

import static io.chatbuilder.models.Fixtures.MAPPER;
import static io.chatbuilder.models.Fixtures.SECRET_KEY;
import static io.chatbuilder.models.Fixtures.sse;
import static io.chatbuilder.models.Fixtures.streamText;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.RetryPolicy;
import io.chatbuilder.core.RunResult;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.json.JsonCodec;
import io.chatbuilder.core.model.ChatInput;
import io.chatbuilder.core.model.ModelClient;
import io.chatbuilder.core.sandbox.InMemorySandbox;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Run attachments through the real agent loop and each provider's client against recorded streams:
 * the image goes out byte for byte as an image part (OpenAI {@code image_url} data URL, Anthropic
 * {@code image} base64 source) in the turn it was attached to and in every later request of the
 * conversation, and the element's, file's and error's places are in the user turn's text.
 */
class AttachmentRequestsTest {
  private static final String APP = "import { useState } from 'react'\n"
      + "export default function App() {\n"
      + "  const [count, setCount] = useState(0)\n"
      + "  return <button onClick={() => setCount(count + 1)}>count is {count}</button>\n"
      + "}\n";

  private MockWebServer server;
  private final List<ChatBuilder> builders = new ArrayList<>();
  private final JsonCodec codec = new JsonCodec();
  /** A PNG header and 150 kB of noise: base64 with every character of the alphabet, '+' and '/' too. */
  private final byte[] png = png();
  private final String pngBase64 = Base64.getEncoder().encodeToString(png);

  @BeforeEach
  void start() throws IOException {
    server = new MockWebServer();
    server.start();
  }

  @AfterEach
  void stop() {
    builders.forEach(ChatBuilder::close);
    server.close();
  }

  private static byte[] png() {
    byte[] bytes = new byte[150_000];
    new Random(16).nextBytes(bytes);
    byte[] magic = {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    System.arraycopy(magic, 0, bytes, 0, magic.length);
    return bytes;
  }

  private ChatInput input() {
    return codec.chatInputFromTree(codec.read("""
        {"message": "make this button bigger, like the mock-up",
         "attachments": [
           {"type": "element", "file": "src/App.tsx", "line": 4, "column": 10, "tag": "button", "text": "count is 0"},
           {"type": "file", "path": "src/App.tsx", "start_line": 3, "end_line": 4},
           {"type": "diagnostic", "kind": "console_error", "message": "Warning: each child needs a key", "file": "src/App.tsx", "line": 4, "column": 3},
           {"type": "image", "media_type": "image/png", "name": "mockup.png", "data": "%s"}
         ]}""".formatted(pngBase64)));
  }

  private RunResult chat(ModelClient model, ChatBuilder[] holder, ChatInput input) throws Exception {
    if (holder[0] == null) {
      InMemorySandbox sandbox = InMemorySandbox.builder("app").file("src/App.tsx", APP).build();
      holder[0] = ChatBuilder.builder().model(model).sandboxes(appId -> sandbox).build();
      builders.add(holder[0]);
    }
    return holder[0].chat("app", input).completion().get(60, TimeUnit.SECONDS);
  }

  private void assertContext(String text) {
    assertThat(text).startsWith("make this button bigger, like the mock-up\n\n<attachments>\n")
        .contains("Selected element <button> at src/App.tsx:4:10 with text \"count is 0\"\n")
        .contains("File src/App.tsx, lines 3-4:\n```\n3\t  const [count, setCount] = useState(0)\n"
            + "4\t  return <button onClick={() => setCount(count + 1)}>count is {count}</button>\n```\n")
        .contains("Preview error (console_error) at src/App.tsx:4:3: Warning: each child needs a key\n")
        .contains("Image 1 \"mockup.png\" (image/png, 150000 bytes) is attached to this message.\n")
        .endsWith("</attachments>");
  }

  @Test
  void openAiSendsTheImageAsADataUrlPartInThisAndEveryLaterRequest() throws Exception {
    for (int i = 1; i <= 3; i++) {
      server.enqueue(sse(streamText("openai/conversation-" + i + ".sse")));
    }
    server.enqueue(sse(streamText("openai/conversation-3.sse")));
    OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(server.url("/v1/").toString()).apiKey(SECRET_KEY)
        .model("gpt-4.1").retryPolicy(RetryPolicy.NONE).build();
    ChatBuilder[] builder = new ChatBuilder[1];
    RunResult first = chat(model, builder, input());
    assertThat(first.outcome()).as(first.error().orElse("")).isEqualTo(RunOutcome.COMPLETED);
    RunResult second = chat(model, builder, ChatInput.of("and make it blue"));
    assertThat(second.outcome()).as(second.error().orElse("")).isEqualTo(RunOutcome.COMPLETED);

    for (int request = 1; request <= 4; request++) {
      String body = server.takeRequest().getBody().utf8();
      // byte-exact: the base64 as attached, unescaped, in the body on the wire
      assertThat(body).as("request %d", request).contains("\"url\":\"data:image/png;base64," + pngBase64 + "\"");
      JsonNode user = MAPPER.readTree(body).get("messages").get(1);
      assertThat(user.get("role").asText()).isEqualTo("user");
      JsonNode content = user.get("content");
      assertThat(content).hasSize(2);
      assertThat(content.get(0).get("type").asText()).isEqualTo("text");
      assertContext(content.get(0).get("text").asText());
      assertThat(content.get(1).get("type").asText()).isEqualTo("image_url");
      assertThat(content.get(1).get("image_url").fieldNames()).toIterable().containsExactly("url");
      String url = content.get(1).get("image_url").get("url").asText();
      assertThat(url).isEqualTo("data:image/png;base64," + pngBase64);
      assertThat(Base64.getDecoder().decode(url.substring("data:image/png;base64,".length()))).isEqualTo(png);
      if (request == 4) {
        // the later run's own message has no attachments: a plain string, as before
        JsonNode messages = MAPPER.readTree(body).get("messages");
        JsonNode last = messages.get(messages.size() - 1);
        assertThat(last.get("content").isTextual()).isTrue();
        assertThat(last.get("content").asText()).isEqualTo("and make it blue");
      }
    }
  }

  @Test
  void anthropicSendsTheImageAsABase64SourceBlockInThisAndEveryLaterRequest() throws Exception {
    for (int i = 1; i <= 3; i++) {
      server.enqueue(sse(streamText("anthropic/conversation-" + i + ".sse")));
    }
    server.enqueue(sse(streamText("anthropic/conversation-3.sse")));
    AnthropicChatModel model = AnthropicChatModel.builder().baseUrl(server.url("/").toString()).apiKey(SECRET_KEY)
        .model("claude-sonnet-4-5").retryPolicy(RetryPolicy.NONE).build();
    ChatBuilder[] builder = new ChatBuilder[1];
    RunResult first = chat(model, builder, input());
    assertThat(first.outcome()).as(first.error().orElse("")).isEqualTo(RunOutcome.COMPLETED);
    RunResult second = chat(model, builder, ChatInput.of("and make it blue"));
    assertThat(second.outcome()).as(second.error().orElse("")).isEqualTo(RunOutcome.COMPLETED);

    for (int request = 1; request <= 4; request++) {
      String body = server.takeRequest().getBody().utf8();
      assertThat(body).as("request %d", request)
          .contains("\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"" + pngBase64 + "\"}");
      JsonNode user = MAPPER.readTree(body).get("messages").get(0);
      assertThat(user.get("role").asText()).isEqualTo("user");
      JsonNode content = user.get("content");
      assertThat(content).hasSize(2);
      JsonNode image = content.get(0);
      assertThat(image.get("type").asText()).isEqualTo("image");
      assertThat(image.get("source").get("type").asText()).isEqualTo("base64");
      assertThat(image.get("source").get("media_type").asText()).isEqualTo("image/png");
      assertThat(image.get("source").get("data").asText()).isEqualTo(pngBase64);
      assertThat(Base64.getDecoder().decode(image.get("source").get("data").asText())).isEqualTo(png);
      assertThat(content.get(1).get("type").asText()).isEqualTo("text");
      assertContext(content.get(1).get("text").asText());
    }
  }
}
